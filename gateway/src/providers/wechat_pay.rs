//! WeChat Pay API v3: verifying and reading a payment notification (支付结果通知), as
//! documented in the merchant API v3 guide:
//!
//! - "签名验证" (verifying WeChat Pay's signature): the signed message is
//!   `Wechatpay-Timestamp\n` + `Wechatpay-Nonce\n` + body + `\n`, signed SHA256-with-RSA
//!   (PKCS#1 v1.5) by the platform key named in `Wechatpay-Serial` (a platform certificate's
//!   serial, or a `PUB_KEY_ID_…` of the newer platform public keys); the signature is
//!   base64 in `Wechatpay-Signature`. A merchant keeps two platform keys during rotation.
//!   Timestamps more than five minutes from now are refused (replays).
//! - "回调报文解密" (decrypting the notification): `resource.ciphertext` is base64 of
//!   AEAD_AES_256_GCM (RFC 5116) under the merchant's 32-byte APIv3 key, with
//!   `resource.nonce` (12 bytes) and `resource.associated_data`; the 16-byte tag is at its end.
//! - "支付成功回调通知" (the transaction inside): `mchid`, `appid`, `out_trade_no`,
//!   `transaction_id`, `trade_state` (`SUCCESS`), `success_time` (RFC 3339),
//!   `amount.total` (fen) and `amount.currency` (`CNY`).
//! - The answer: HTTP 200/204 when accepted; 4XX/5XX with `{"code":"FAIL","message":…}`
//!   otherwise, which WeChat Pay retries on its schedule.
//!
//! Only public keys are used here (verification): the merchant's private key signs the
//! requests *to* WeChat Pay, which is not part of this module.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde::Deserialize;
use sha2::Sha256;
use std::collections::HashMap;

/// How far a notification's timestamp may be from now.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// Why a notification was not accepted: each is answered with WeChat Pay's failure body and
/// counted by its label; nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A `Wechatpay-*` header is missing or malformed.
    #[error("the Wechatpay-{0} header is missing or malformed")]
    Header(&'static str),
    /// `Wechatpay-Serial` names no platform key configured here.
    #[error("no platform key with this serial is configured")]
    UnknownSerial,
    /// The timestamp is more than five minutes from now.
    #[error("the notification's timestamp is stale")]
    Stale,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Signature,
    /// The body is not a notification, or its resource does not decrypt.
    #[error("the notification is malformed or does not decrypt: {0}")]
    Malformed(String),
    /// Another merchant or app.
    #[error("the notification is for another merchant or app")]
    WrongMerchant,
    /// A trade state other than `SUCCESS`, or a currency other than `CNY`.
    #[error("not a successful payment in CNY")]
    NotPaid,
}

impl Refusal {
    /// The metric label (bounded).
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Header(_) => "header",
            Refusal::UnknownSerial => "unknown_serial",
            Refusal::Stale => "stale",
            Refusal::Signature => "signature",
            Refusal::Malformed(_) => "malformed",
            Refusal::WrongMerchant => "wrong_merchant",
            Refusal::NotPaid => "not_paid",
        }
    }
}

/// A merchant's WeChat Pay configuration, as far as notifications need it.
pub struct Merchant {
    /// 商户号.
    pub mchid: String,
    /// The app the orders were made for.
    pub appid: String,
    /// The APIv3 key (32 bytes).
    api_v3_key: [u8; 32],
    /// Platform verification keys by serial (two during a rotation).
    platform_keys: HashMap<String, VerifyingKey<Sha256>>,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The APIv3 key is never printed.
        formatter
            .debug_struct("Merchant")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field(
                "platform_keys",
                &self.platform_keys.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Why a merchant configuration was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The APIv3 key is not 32 bytes.
    #[error("the WeChat Pay APIv3 key must be exactly 32 bytes")]
    ApiV3Key,
    /// A platform key is not a PEM public key.
    #[error("the WeChat Pay platform key '{0}' is not a PEM RSA public key")]
    PlatformKey(String),
    /// No platform key at all.
    #[error("at least one WeChat Pay platform key is needed")]
    NoPlatformKey,
}

impl Merchant {
    /// A merchant with its APIv3 key and platform keys (`serial`, PEM SPKI public key).
    pub fn new(
        mchid: &str,
        appid: &str,
        api_v3_key: &[u8],
        platform_keys: &[(&str, &str)],
    ) -> Result<Merchant, ConfigError> {
        let api_v3_key: [u8; 32] = api_v3_key.try_into().map_err(|_| ConfigError::ApiV3Key)?;
        if platform_keys.is_empty() {
            return Err(ConfigError::NoPlatformKey);
        }
        let mut keys = HashMap::new();
        for (serial, pem) in platform_keys {
            let key = rsa::RsaPublicKey::from_public_key_pem(pem)
                .map_err(|_| ConfigError::PlatformKey((*serial).to_owned()))?;
            keys.insert((*serial).to_owned(), VerifyingKey::<Sha256>::new(key));
        }
        Ok(Merchant {
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            api_v3_key,
            platform_keys: keys,
        })
    }

    /// Verifies a notification (`header(name)` reads a request header) received at
    /// `now_seconds` and returns the successful payment inside it.
    pub fn read_notification(
        &self,
        header: impl Fn(&str) -> Option<String>,
        body: &[u8],
        now_seconds: i64,
    ) -> Result<Paid, Refusal> {
        let timestamp = header("Wechatpay-Timestamp").ok_or(Refusal::Header("Timestamp"))?;
        let nonce = header("Wechatpay-Nonce").ok_or(Refusal::Header("Nonce"))?;
        let signature = header("Wechatpay-Signature").ok_or(Refusal::Header("Signature"))?;
        let serial = header("Wechatpay-Serial").ok_or(Refusal::Header("Serial"))?;
        let sent: i64 = timestamp
            .parse()
            .map_err(|_| Refusal::Header("Timestamp"))?;
        if (now_seconds - sent).abs() > MAX_CLOCK_SKEW_SECONDS {
            return Err(Refusal::Stale);
        }
        let key = self
            .platform_keys
            .get(&serial)
            .ok_or(Refusal::UnknownSerial)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .ok()
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .ok_or(Refusal::Signature)?;
        let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
        for part in [
            timestamp.as_bytes(),
            b"\n",
            nonce.as_bytes(),
            b"\n",
            body,
            b"\n",
        ] {
            message.extend_from_slice(part);
        }
        key.verify(&message, &signature)
            .map_err(|_| Refusal::Signature)?;
        let notification: Notification =
            serde_json::from_slice(body).map_err(|error| Refusal::Malformed(error.to_string()))?;
        let plaintext = self.decrypt(&notification.resource)?;
        let transaction: Transaction = serde_json::from_slice(&plaintext)
            .map_err(|error| Refusal::Malformed(error.to_string()))?;
        if transaction.mchid != self.mchid || transaction.appid != self.appid {
            return Err(Refusal::WrongMerchant);
        }
        if transaction.trade_state != "SUCCESS" || transaction.amount.currency != "CNY" {
            return Err(Refusal::NotPaid);
        }
        let paid_at_ms = engine::time::Timestamp::from_rfc3339(&transaction.success_time)
            .ok_or_else(|| Refusal::Malformed("success_time is not RFC 3339".to_owned()))?;
        Ok(Paid {
            out_trade_no: transaction.out_trade_no,
            transaction_id: transaction.transaction_id,
            amount_fen: transaction.amount.total,
            paid_at_ms: paid_at_ms.0,
        })
    }

    fn decrypt(&self, resource: &Resource) -> Result<Vec<u8>, Refusal> {
        if resource.algorithm != "AEAD_AES_256_GCM" || resource.nonce.len() != 12 {
            return Err(Refusal::Malformed(
                "not AEAD_AES_256_GCM with a 12-byte nonce".into(),
            ));
        }
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(&resource.ciphertext)
            .map_err(|_| Refusal::Malformed("ciphertext is not base64".into()))?;
        let cipher = Aes256Gcm::new(&self.api_v3_key.into());
        cipher
            .decrypt(
                Nonce::from_slice(resource.nonce.as_bytes()),
                Payload {
                    msg: &ciphertext,
                    aad: resource.associated_data.as_bytes(),
                },
            )
            .map_err(|_| Refusal::Malformed("the resource does not decrypt".into()))
    }
}

/// A successful payment, as a notification reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// Our order number.
    pub out_trade_no: String,
    /// WeChat Pay's transaction id.
    pub transaction_id: String,
    /// Amount paid, fen.
    pub amount_fen: u32,
    /// When, Unix milliseconds.
    pub paid_at_ms: i64,
}

/// The answer WeChat Pay reads as "failed, retry": HTTP 4XX/5XX with this body.
pub fn failure_body(message: &str) -> serde_json::Value {
    serde_json::json!({"code": "FAIL", "message": message})
}

#[derive(Debug, Deserialize)]
struct Notification {
    resource: Resource,
}

#[derive(Debug, Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

#[derive(Debug, Deserialize)]
struct Transaction {
    mchid: String,
    appid: String,
    out_trade_no: String,
    transaction_id: String,
    trade_state: String,
    success_time: String,
    amount: Amount,
}

#[derive(Debug, Deserialize)]
struct Amount {
    total: u32,
    currency: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};

    /// A test key pair made for these tests only (`openssl genpkey -algorithm RSA
    /// -pkeyopt rsa_keygen_bits:2048`); it signs nothing anywhere else.
    const PLATFORM_PRIVATE: &str = include_str!("../../../tests/keys/wechat-platform-test.pem");
    const PLATFORM_PUBLIC: &str = include_str!("../../../tests/keys/wechat-platform-test.pub.pem");
    const API_V3_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_780_000_000;

    fn merchant() -> Merchant {
        Merchant::new(
            "1900000109",
            "wxd678efh567hg6787",
            API_V3_KEY,
            &[("5157F09EFDC096DE15EBE81A47057A72", PLATFORM_PUBLIC)],
        )
        .expect("valid configuration")
    }

    fn transaction(state: &str, currency: &str, mchid: &str) -> String {
        serde_json::json!({
            "mchid": mchid, "appid": "wxd678efh567hg6787", "out_trade_no": "GK0123456789ABCDEFGHJKMNPQRS01",
            "transaction_id": "4200000000202611290000000001", "trade_type": "NATIVE",
            "trade_state": state, "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "",
            "success_time": "2026-11-29T09:30:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": 12000, "payer_total": 12000, "currency": currency, "payer_currency": currency}
        })
        .to_string()
    }

    /// The body WeChat Pay would send for `plaintext`, and the headers signing it.
    fn notification(plaintext: &str, timestamp: i64) -> (Vec<u8>, HashMap<&'static str, String>) {
        let nonce = "fdasflkja484";
        let associated = "transaction";
        let cipher = Aes256Gcm::new(&(*API_V3_KEY).into());
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(nonce.as_bytes()),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: associated.as_bytes(),
                },
            )
            .expect("encrypts");
        let body = serde_json::json!({
            "id": "EV-2018022511223320873", "create_time": "2026-11-29T09:30:01+08:00",
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64::engine::general_purpose::STANDARD.encode(ciphertext),
                "associated_data": associated, "nonce": nonce}
        })
        .to_string()
        .into_bytes();
        let headers = sign(&body, timestamp, "5157F09EFDC096DE15EBE81A47057A72");
        (body, headers)
    }

    fn sign(body: &[u8], timestamp: i64, serial: &str) -> HashMap<&'static str, String> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(PLATFORM_PRIVATE).expect("test key");
        let signing = SigningKey::<Sha256>::new(key);
        let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        let signature = signing.sign(&message).to_vec();
        HashMap::from([
            ("Wechatpay-Timestamp", timestamp.to_string()),
            ("Wechatpay-Nonce", nonce.to_owned()),
            (
                "Wechatpay-Signature",
                base64::engine::general_purpose::STANDARD.encode(signature),
            ),
            ("Wechatpay-Serial", serial.to_owned()),
        ])
    }

    fn read(headers: &HashMap<&'static str, String>, body: &[u8]) -> Result<Paid, Refusal> {
        merchant().read_notification(|name| headers.get(name).cloned(), body, NOW)
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment() {
        let (body, headers) = notification(&transaction("SUCCESS", "CNY", "1900000109"), NOW - 3);
        let paid = read(&headers, &body).expect("accepted");
        assert_eq!(paid.out_trade_no, "GK0123456789ABCDEFGHJKMNPQRS01");
        assert_eq!(paid.transaction_id, "4200000000202611290000000001");
        assert_eq!(paid.amount_fen, 12000);
        // `date -d 2026-11-29T01:30:00Z +%s`
        assert_eq!(paid.paid_at_ms, 1_795_915_800_000);
    }

    #[test]
    fn every_forgery_and_mistake_is_refused_by_name() {
        let plaintext = transaction("SUCCESS", "CNY", "1900000109");
        let (body, headers) = notification(&plaintext, NOW);
        // A body changed by one byte after signing.
        let mut tampered = body.clone();
        let last = tampered.len() - 2;
        tampered[last] ^= 1;
        assert_eq!(read(&headers, &tampered), Err(Refusal::Signature));
        // A signature by another key.
        let mut forged = headers.clone();
        forged.insert(
            "Wechatpay-Signature",
            base64::engine::general_purpose::STANDARD.encode([7u8; 256]),
        );
        assert_eq!(read(&forged, &body), Err(Refusal::Signature));
        // A serial nobody configured; a missing header; a stale (replayed) one.
        let mut unknown = headers.clone();
        unknown.insert(
            "Wechatpay-Serial",
            "PUB_KEY_ID_0000000000000000000000000000".to_owned(),
        );
        assert_eq!(read(&unknown, &body), Err(Refusal::UnknownSerial));
        let mut missing = headers.clone();
        missing.remove("Wechatpay-Nonce");
        assert_eq!(read(&missing, &body), Err(Refusal::Header("Nonce")));
        let (old_body, old_headers) = notification(&plaintext, NOW - MAX_CLOCK_SKEW_SECONDS - 1);
        assert_eq!(read(&old_headers, &old_body), Err(Refusal::Stale));
        // Genuine, but for another merchant, not paid, or not in CNY.
        for (plaintext, refusal) in [
            (
                transaction("SUCCESS", "CNY", "1900000999"),
                Refusal::WrongMerchant,
            ),
            (transaction("NOTPAY", "CNY", "1900000109"), Refusal::NotPaid),
            (
                transaction("SUCCESS", "USD", "1900000109"),
                Refusal::NotPaid,
            ),
        ] {
            let (body, headers) = notification(&plaintext, NOW);
            assert_eq!(read(&headers, &body), Err(refusal));
        }
        // Signed but encrypted under another APIv3 key: it does not decrypt.
        let other = Merchant::new(
            "1900000109",
            "wxd678efh567hg6787",
            b"ffffffffffffffffffffffffffffffff",
            &[("5157F09EFDC096DE15EBE81A47057A72", PLATFORM_PUBLIC)],
        )
        .expect("valid");
        let refused = other.read_notification(|name| headers.get(name).cloned(), &body, NOW);
        assert!(matches!(refused, Err(Refusal::Malformed(_))), "{refused:?}");
        assert_eq!(failure_body("签名错误")["code"], "FAIL");
    }

    #[test]
    fn configuration_is_refused_at_start_when_malformed() {
        assert_eq!(
            Merchant::new("1", "a", b"short", &[("s", PLATFORM_PUBLIC)]).err(),
            Some(ConfigError::ApiV3Key)
        );
        assert_eq!(
            Merchant::new(
                "1",
                "a",
                API_V3_KEY,
                &[(
                    "s",
                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
                )]
            )
            .err(),
            Some(ConfigError::PlatformKey("s".into()))
        );
        assert_eq!(
            Merchant::new("1", "a", API_V3_KEY, &[]).err(),
            Some(ConfigError::NoPlatformKey)
        );
        assert!(
            !format!("{:?}", merchant()).contains("0123456789abcdef"),
            "the key is never printed"
        );
    }
}
