//! The RSA keys and certificates every provider uses, read with RustCrypto (`rsa`,
//! `x509-cert`): SHA256-with-RSA (PKCS#1 v1.5) signatures in base64, which is what WeChat
//! Pay v3 ("WECHATPAY2-SHA256-RSA2048"), Alipay ("RSA2") and UnionPay (signMethod 01, over
//! a SHA-256 digest) all use.

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha2::Sha256;
use x509_cert::der::{DecodePem, Encode};

/// A private key that signs (ours at the provider; the sandbox's as the provider).
#[derive(Clone)]
pub struct PrivateKey(Box<SigningKey<Sha256>>);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("PrivateKey(…)")
    }
}

impl PrivateKey {
    /// From PEM, PKCS#8 (`BEGIN PRIVATE KEY`, as WeChat Pay issues it) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`, as Alipay's tool writes it).
    pub fn from_pem(pem: &str) -> Option<PrivateKey> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
            .ok()?;
        Some(PrivateKey(Box::new(SigningKey::new(key))))
    }

    /// SHA256-with-RSA of `message`, base64.
    pub fn sign(&self, message: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.sign(message).to_vec())
    }
}

/// A public key that verifies (the provider's, or the merchant's in the sandbox).
#[derive(Clone)]
pub struct PublicKey(VerifyingKey<Sha256>);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("PublicKey(…)")
    }
}

impl PublicKey {
    /// From a PEM public key (`BEGIN PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Option<PublicKey> {
        let key = rsa::RsaPublicKey::from_public_key_pem(pem).ok()?;
        Some(PublicKey(VerifyingKey::new(key)))
    }

    /// Whether `signature` (base64) is SHA256-with-RSA of `message`.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .ok()
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .is_some_and(|signature| self.0.verify(message, &signature).is_ok())
    }
}

/// An X.509 certificate: its RSA key, its serial number, and its DER (to compare a
/// certificate sent in a message with the ones configured).
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The subject's key.
    pub key: PublicKey,
    /// The serial number, big-endian bytes.
    pub serial: Vec<u8>,
    /// The whole certificate, DER.
    pub der: Vec<u8>,
}

impl Certificate {
    /// From PEM (`BEGIN CERTIFICATE`).
    pub fn from_pem(pem: &str) -> Option<Certificate> {
        let certificate = x509_cert::Certificate::from_pem(pem.trim().as_bytes()).ok()?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .ok()?;
        let key = rsa::RsaPublicKey::from_public_key_der(&spki).ok()?;
        Some(Certificate {
            key: PublicKey(VerifyingKey::new(key)),
            serial: certificate
                .tbs_certificate
                .serial_number
                .as_bytes()
                .to_vec(),
            der: certificate.to_der().ok()?,
        })
    }

    /// The serial as WeChat Pay writes it (`Wechatpay-Serial`): upper-case hex.
    pub fn serial_hex(&self) -> String {
        let serial = self.serial.strip_prefix(&[0]).unwrap_or(&self.serial);
        hex::encode_upper(serial)
    }

    /// The serial as UnionPay writes it (`certId`): decimal.
    pub fn serial_decimal(&self) -> String {
        // Serials are at most 20 bytes; long division by 10 on the bytes.
        let mut digits = Vec::new();
        let mut number = self.serial.clone();
        while number.iter().any(|&byte| byte != 0) {
            let mut remainder = 0u32;
            for byte in number.iter_mut() {
                let value = (remainder << 8) | u32::from(*byte);
                *byte = (value / 10) as u8;
                remainder = value % 10;
            }
            digits.push(char::from(b'0' + remainder as u8));
        }
        if digits.is_empty() {
            return "0".to_owned();
        }
        digits.iter().rev().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE: &str = include_str!("../../../tests/keys/unionpay-sign-test.pem");
    const PUBLIC: &str = include_str!("../../../tests/keys/unionpay-sign-test.pub.pem");
    const CERTIFICATE: &str = include_str!("../../../tests/keys/unionpay-sign-test.crt");
    const WECHAT_CERTIFICATE: &str = include_str!("../../../tests/keys/wechat-platform-test.crt");

    #[test]
    fn keys_sign_and_verify_and_certificates_name_their_serials() {
        let private = PrivateKey::from_pem(PRIVATE).expect("private key");
        let public = PublicKey::from_pem(PUBLIC).expect("public key");
        let certificate = Certificate::from_pem(CERTIFICATE).expect("certificate");
        let signature = private.sign(b"message");
        assert!(public.verifies(b"message", &signature));
        assert!(certificate.key.verifies(b"message", &signature));
        assert!(!public.verifies(b"messagE", &signature));
        assert!(!public.verifies(b"message", "not base64"));
        // `openssl x509 -noout -serial` of the test certificates.
        assert_eq!(certificate.serial_decimal(), "69042905377");
        assert_eq!(
            Certificate::from_pem(WECHAT_CERTIFICATE)
                .expect("certificate")
                .serial_hex(),
            "5157F09EFDC096DE15EBE81A47057A72"
        );
        assert!(PrivateKey::from_pem(PUBLIC).is_none());
        assert!(PublicKey::from_pem(PRIVATE).is_none());
        assert!(Certificate::from_pem(PUBLIC).is_none());
        assert_eq!(format!("{private:?}"), "PrivateKey(…)");
    }
}
