//! The payment providers' side of a notification, written here from their documentation
//! (not from the gateway's code, so that each side checks the other): WeChat Pay API v3
//! (AES-256-GCM resource, RSA-SHA256 over `timestamp\nnonce\nbody\n`), Alipay (RSA2 over
//! the sorted form), UnionPay 5.1.0 (RSA-SHA256 over the hex SHA-256 of the sorted form,
//! with the signing certificate in `signPubKeyCert`).
//!
//! [`Signer::sandbox`] signs as the demo's sandbox does (its published keys, compiled into
//! the gateway from `gateway/sandbox/`); the doubles in [`crate::provider`] sign with the
//! tests' own keys (`tests/keys/`). Signatures are made with OpenSSL, as the providers'
//! own SDKs make them: the gateway verifies with RustCrypto's `rsa`, so each library checks
//! the other; and OpenSSL signs ~12× faster, which keeps the load generator from competing
//! with the server for the machine's cores.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The sandbox's private key (published: the sandbox moves no money).
pub const SANDBOX_KEY: &str = include_str!("../../gateway/sandbox/sandbox-provider.pem");
/// The sandbox's certificate.
pub const SANDBOX_CERTIFICATE: &str = include_str!("../../gateway/sandbox/sandbox-provider.crt");
/// The sandbox certificate's serial (`openssl x509 -noout -serial`), WeChat Pay's spelling.
pub const SANDBOX_SERIAL: &str = "01352909";

/// One payment, as the provider reports it.
#[derive(Debug, Clone)]
pub struct Payment {
    /// Our order number.
    pub order_id: String,
    /// The provider's transaction id.
    pub transaction_id: String,
    /// Amount, fen.
    pub amount_fen: u64,
    /// When, Unix seconds.
    pub paid_at: i64,
}

impl Payment {
    /// A payment of `amount_fen` for `order_id` as transaction `transaction_id`, now.
    pub fn now(order_id: &str, transaction_id: &str, amount_fen: u64) -> Payment {
        Payment {
            order_id: order_id.to_owned(),
            transaction_id: transaction_id.to_owned(),
            amount_fen,
            paid_at: unix_now(),
        }
    }
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// `yyyy-MM-dd HH:mm:ss` in China Standard Time (civil-from-days, Howard Hinnant's).
pub fn cst(unix_seconds: i64) -> String {
    let seconds = unix_seconds + 8 * 3600;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// A provider's signing side.
#[derive(Clone)]
pub struct Signer {
    key: PKey<Private>,
    /// WeChat Pay: the platform key's serial. UnionPay: the signing certificate (PEM).
    pub key_name: String,
    /// WeChat Pay's APIv3 key.
    pub api_v3_key: [u8; 32],
    /// The merchant (WeChat Pay `mchid`, Alipay `app_id`, UnionPay `merId`).
    pub merchant: String,
    /// WeChat Pay's `appid`.
    pub app: String,
}

impl Signer {
    /// A signer with a PKCS#8 PEM key.
    pub fn new(key_pem: &str, key_name: &str, merchant: &str, app: &str) -> Signer {
        let key = PKey::private_key_from_pem(key_pem.as_bytes()).expect("a PEM RSA key");
        Signer {
            key,
            key_name: key_name.to_owned(),
            api_v3_key: *b"sandbox-apiv3-key-not-a-secret!!",
            merchant: merchant.to_owned(),
            app: app.to_owned(),
        }
    }

    /// The demo sandbox's signer for `provider` (`wechat_pay`, `alipay`, `unionpay`).
    pub fn sandbox(provider: &str) -> Signer {
        let name = if provider == "unionpay" {
            SANDBOX_CERTIFICATE
        } else {
            SANDBOX_SERIAL
        };
        Signer::new(SANDBOX_KEY, name, "SANDBOX", "SANDBOX")
    }

    /// Someone who signs `provider`'s format as the sandbox would, but with a key that is not
    /// the sandbox's (a forger).
    pub fn forger(provider: &str) -> Signer {
        let mut forger = Signer::sandbox(provider);
        forger.key =
            PKey::private_key_from_pem(include_str!("../keys/wechat-merchant-test.pem").as_bytes())
                .expect("a PEM RSA key");
        forger
    }

    /// SHA256-with-RSA (PKCS#1 v1.5), base64.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut signer =
            openssl::sign::Signer::new(MessageDigest::sha256(), &self.key).expect("an RSA key");
        signer.update(message).expect("signs");
        base64::engine::general_purpose::STANDARD.encode(signer.sign_to_vec().expect("signs"))
    }

    /// The notification `provider` sends for `payment`: headers and body.
    pub fn notification(
        &self,
        provider: &str,
        payment: &Payment,
    ) -> (Vec<(String, String)>, Vec<u8>) {
        match provider {
            "wechat_pay" => self.wechat(payment, "SUCCESS", unix_now()),
            "alipay" => self.alipay(payment, "TRADE_SUCCESS"),
            "unionpay" => self.unionpay(payment, "00"),
            other => panic!("no provider {other}"),
        }
    }

    /// WeChat Pay's transaction object.
    pub fn wechat_transaction(&self, payment: &Payment, trade_state: &str) -> String {
        let success_time = format!("{}+08:00", cst(payment.paid_at).replace(' ', "T"));
        serde_json::json!({
            "mchid": self.merchant, "appid": self.app, "out_trade_no": payment.order_id,
            "transaction_id": payment.transaction_id, "trade_type": "NATIVE",
            "trade_state": trade_state, "trade_state_desc": "支付成功", "bank_type": "OTHERS",
            "success_time": success_time, "payer": {"openid": "o-test"},
            "amount": {"total": payment.amount_fen, "payer_total": payment.amount_fen,
                       "currency": "CNY", "payer_currency": "CNY"}
        })
        .to_string()
    }

    /// WeChat Pay's notification of a transaction with `trade_state`, signed at `timestamp`.
    pub fn wechat(
        &self,
        payment: &Payment,
        trade_state: &str,
        timestamp: i64,
    ) -> (Vec<(String, String)>, Vec<u8>) {
        self.wechat_raw(&self.wechat_transaction(payment, trade_state), timestamp)
    }

    /// WeChat Pay's notification of any transaction object (`plaintext`).
    pub fn wechat_raw(&self, plaintext: &str, timestamp: i64) -> (Vec<(String, String)>, Vec<u8>) {
        let nonce = "n0tific4tion";
        let ciphertext = Aes256Gcm::new(&self.api_v3_key.into())
            .encrypt(
                Nonce::from_slice(nonce.as_bytes()),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: b"transaction",
                },
            )
            .expect("encrypts");
        let body = serde_json::json!({
            "id": "EV-2018022511223320873", "create_time": "2026-11-29T09:30:01+08:00",
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64::engine::general_purpose::STANDARD.encode(ciphertext),
                "associated_data": "transaction", "nonce": nonce}
        })
        .to_string()
        .into_bytes();
        let headers = self.wechat_headers(&body, timestamp);
        (headers, body)
    }

    /// The `Wechatpay-*` headers signing `body` at `timestamp`.
    pub fn wechat_headers(&self, body: &[u8], timestamp: i64) -> Vec<(String, String)> {
        let nonce = format!("{:032x}", timestamp.unsigned_abs() * 7919);
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("Wechatpay-Timestamp".into(), timestamp.to_string()),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Signature".into(), self.sign(&message)),
            ("Wechatpay-Serial".into(), self.key_name.clone()),
        ]
    }

    /// Alipay's notification parameters (unsigned).
    pub fn alipay_parameters(
        &self,
        payment: &Payment,
        trade_status: &str,
    ) -> BTreeMap<String, String> {
        let amount = format!(
            "{}.{:02}",
            payment.amount_fen / 100,
            payment.amount_fen % 100
        );
        [
            ("notify_time", cst(unix_now())),
            ("notify_type", "trade_status_sync".into()),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786".into()),
            ("app_id", self.merchant.clone()),
            ("charset", "utf-8".into()),
            ("version", "1.0".into()),
            ("trade_no", payment.transaction_id.clone()),
            ("out_trade_no", payment.order_id.clone()),
            ("trade_status", trade_status.into()),
            ("total_amount", amount.clone()),
            ("receipt_amount", amount),
            ("gmt_payment", cst(payment.paid_at)),
            ("subject", "普通高考报名费".into()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// Alipay's notification with `trade_status`.
    pub fn alipay(
        &self,
        payment: &Payment,
        trade_status: &str,
    ) -> (Vec<(String, String)>, Vec<u8>) {
        self.alipay_signed(self.alipay_parameters(payment, trade_status))
    }

    /// Alipay's form for `parameters`, signed (sorted, `name=value&…`).
    pub fn alipay_signed(
        &self,
        mut parameters: BTreeMap<String, String>,
    ) -> (Vec<(String, String)>, Vec<u8>) {
        let content = joined(&parameters);
        parameters.insert("sign_type".into(), "RSA2".into());
        parameters.insert("sign".into(), self.sign(content.as_bytes()));
        (form_headers(), form(&parameters).into_bytes())
    }

    /// UnionPay's notification parameters (unsigned).
    pub fn unionpay_parameters(
        &self,
        payment: &Payment,
        resp_code: &str,
    ) -> BTreeMap<String, String> {
        let time: String = cst(payment.paid_at)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
            ("txnType", "01"),
            ("txnSubType", "01"),
            ("bizType", "000201"),
            ("accessType", "0"),
            ("currencyCode", "156"),
            ("respMsg", "成功[0000000]"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .chain([
            ("merId".to_owned(), self.merchant.clone()),
            ("orderId".to_owned(), payment.order_id.clone()),
            ("queryId".to_owned(), payment.transaction_id.clone()),
            ("respCode".to_owned(), resp_code.to_owned()),
            ("txnTime".to_owned(), time.clone()),
            ("traceTime".to_owned(), time[4..].to_owned()),
            ("txnAmt".to_owned(), payment.amount_fen.to_string()),
        ])
        .collect()
    }

    /// UnionPay's notification with `resp_code`.
    pub fn unionpay(&self, payment: &Payment, resp_code: &str) -> (Vec<(String, String)>, Vec<u8>) {
        let parameters = self.unionpay_parameters(payment, resp_code);
        (
            form_headers(),
            form(&self.unionpay_signed(parameters)).into_bytes(),
        )
    }

    /// `parameters` with UnionPay's certificate and signature.
    pub fn unionpay_signed(
        &self,
        mut parameters: BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        parameters.insert("signPubKeyCert".into(), self.key_name.clone());
        let digest = hex::encode(Sha256::digest(joined(&parameters).as_bytes()));
        parameters.insert("signature".into(), self.sign(digest.as_bytes()));
        parameters
    }
}

/// `name=value&…` in name order (every value, empty ones too).
pub fn joined(parameters: &BTreeMap<String, String>) -> String {
    parameters
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// URL-encoded form.
pub fn form(parameters: &BTreeMap<String, String>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in parameters {
        form.append_pair(name, value);
    }
    form.finish()
}

fn form_headers() -> Vec<(String, String)> {
    vec![(
        "Content-Type".into(),
        "application/x-www-form-urlencoded; charset=utf-8".into(),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_standard_time_is_written_like_the_providers_write_it() {
        // `TZ=Asia/Shanghai date -d @1795915805 '+%F %T'`
        assert_eq!(cst(1_795_915_805), "2026-11-29 09:30:05");
        assert_eq!(cst(0), "1970-01-01 08:00:00");
    }
}
