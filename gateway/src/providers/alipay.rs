//! Alipay (open platform, RSA2): verifying and reading an asynchronous payment notification
//! (异步通知), as the open platform documents it:
//!
//! - "异步通知验签": the notification is `application/x-www-form-urlencoded`; remove `sign`
//!   and `sign_type`, sort the remaining parameters by name, join them as
//!   `name=value&…` (values URL-decoded, empty values left out), and verify `sign` (base64)
//!   as SHA256-with-RSA (PKCS#1 v1.5, "RSA2") under the Alipay public key.
//! - "异步通知参数": `app_id`, `out_trade_no`, `trade_no`, `trade_status`
//!   (`TRADE_SUCCESS` or `TRADE_FINISHED` count as paid), `total_amount` in yuan with up to
//!   two decimals — read exactly into fen, never through floating point — and `gmt_payment`
//!   (`yyyy-MM-dd HH:mm:ss`, Beijing time).
//! - The answer: the plain text `success`, or anything else (`failure`) for Alipay to retry.

use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;
use std::collections::BTreeMap;

/// The answer Alipay reads as accepted.
pub const SUCCESS: &str = "success";
/// The answer Alipay reads as "retry".
pub const FAILURE: &str = "failure";

/// Why a notification was not accepted (answered [`FAILURE`], counted by its label;
/// nothing is applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a form, or a parameter is missing.
    #[error("the notification is malformed: {0}")]
    Malformed(String),
    /// `sign_type` is not RSA2, or the signature does not verify.
    #[error("the signature does not verify")]
    Signature,
    /// Another app.
    #[error("the notification is for another app")]
    WrongApp,
    /// A trade status that is not a payment.
    #[error("not a successful payment")]
    NotPaid,
}

impl Refusal {
    /// The metric label (bounded).
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Signature => "signature",
            Refusal::WrongApp => "wrong_app",
            Refusal::NotPaid => "not_paid",
        }
    }
}

/// A successful payment, as a notification reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// Our order number.
    pub out_trade_no: String,
    /// Alipay's trade number.
    pub trade_no: String,
    /// Amount paid, fen.
    pub amount_fen: u32,
    /// When, Unix milliseconds.
    pub paid_at_ms: i64,
}

/// An app's Alipay configuration, as far as notifications need it.
pub struct App {
    /// The app id.
    pub app_id: String,
    alipay_public_key: VerifyingKey<Sha256>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("App")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// The Alipay public key is not a PEM RSA public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Alipay public key is not a PEM RSA public key")]
pub struct ConfigError;

impl App {
    /// An app with the Alipay public key (PEM SPKI).
    pub fn new(app_id: &str, alipay_public_key_pem: &str) -> Result<App, ConfigError> {
        let key = rsa::RsaPublicKey::from_public_key_pem(alipay_public_key_pem)
            .map_err(|_| ConfigError)?;
        Ok(App {
            app_id: app_id.to_owned(),
            alipay_public_key: VerifyingKey::new(key),
        })
    }

    /// Verifies a notification's form body and returns the payment inside it.
    pub fn read_notification(&self, body: &[u8]) -> Result<Paid, Refusal> {
        let mut parameters: BTreeMap<String, String> = form_urlencoded::parse(body)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let sign = parameters
            .remove("sign")
            .ok_or_else(|| Refusal::Malformed("no sign".into()))?;
        if parameters.remove("sign_type").as_deref() != Some("RSA2") {
            return Err(Refusal::Signature);
        }
        let content = signed_content(&parameters);
        let signature = base64::engine::general_purpose::STANDARD
            .decode(sign.trim())
            .ok()
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .ok_or(Refusal::Signature)?;
        self.alipay_public_key
            .verify(content.as_bytes(), &signature)
            .map_err(|_| Refusal::Signature)?;
        let field = |name: &str| {
            parameters
                .get(name)
                .cloned()
                .ok_or_else(|| Refusal::Malformed(format!("no {name}")))
        };
        if field("app_id")? != self.app_id {
            return Err(Refusal::WrongApp);
        }
        if !matches!(
            field("trade_status")?.as_str(),
            "TRADE_SUCCESS" | "TRADE_FINISHED"
        ) {
            return Err(Refusal::NotPaid);
        }
        let amount_fen = yuan_to_fen(&field("total_amount")?).ok_or_else(|| {
            Refusal::Malformed("total_amount is not yuan with two decimals".into())
        })?;
        let paid_at = field("gmt_payment")?;
        let paid_at_ms = paid_at
            .split_once(' ')
            .and_then(|(date, time)| {
                engine::time::Timestamp::from_rfc3339(&format!("{date}T{time}+08:00"))
            })
            .ok_or_else(|| Refusal::Malformed("gmt_payment is not yyyy-MM-dd HH:mm:ss".into()))?;
        Ok(Paid {
            out_trade_no: field("out_trade_no")?,
            trade_no: field("trade_no")?,
            amount_fen,
            paid_at_ms: paid_at_ms.0,
        })
    }
}

/// The string Alipay signs: parameters sorted by name, empty values left out.
pub fn signed_content(parameters: &BTreeMap<String, String>) -> String {
    parameters
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `120.00` → 12000 fen, exactly: digits, at most two decimals, no sign, no exponent.
pub fn yuan_to_fen(text: &str) -> Option<u32> {
    let (yuan, fen) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if yuan.is_empty() || fen.len() > 2 || !digits(yuan) || !digits(fen) {
        return None;
    }
    let yuan: u32 = yuan.parse().ok()?;
    let fen: u32 = format!("{fen:0<2}").parse().ok()?;
    yuan.checked_mul(100)?.checked_add(fen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};

    /// The tests' own key pair (see `wechat_pay`'s tests): it stands in for Alipay's.
    const PRIVATE: &str = include_str!("../../../tests/keys/wechat-platform-test.pem");
    const PUBLIC: &str = include_str!("../../../tests/keys/wechat-platform-test.pub.pem");

    fn app() -> App {
        App::new("2021000122671234", PUBLIC).expect("valid")
    }

    /// The form Alipay would post for these parameters, signed.
    fn notification(changes: &[(&str, &str)]) -> Vec<u8> {
        let mut parameters: BTreeMap<String, String> = [
            ("notify_time", "2026-11-29 09:30:02"),
            ("notify_type", "trade_status_sync"),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
            ("app_id", "2021000122671234"),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("trade_no", "2026112922001419681234567890"),
            ("out_trade_no", "GK0123456789ABCDEFGHJKMNPQRS01"),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", "120.00"),
            ("receipt_amount", "120.00"),
            ("gmt_payment", "2026-11-29 09:30:00"),
            ("subject", "普通高考报名费"),
            ("fund_bill_list", ""),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        for (name, value) in changes {
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE).expect("test key");
        let signature = SigningKey::<Sha256>::new(key)
            .sign(signed_content(&parameters).as_bytes())
            .to_vec();
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &parameters {
            form.append_pair(name, value);
        }
        form.append_pair("sign_type", "RSA2");
        form.append_pair(
            "sign",
            &base64::engine::general_purpose::STANDARD.encode(signature),
        );
        form.finish().into_bytes()
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment() {
        let paid = app()
            .read_notification(&notification(&[]))
            .expect("accepted");
        assert_eq!(paid.out_trade_no, "GK0123456789ABCDEFGHJKMNPQRS01");
        assert_eq!(paid.trade_no, "2026112922001419681234567890");
        assert_eq!(paid.amount_fen, 12000);
        // `date -d 2026-11-29T01:30:00Z +%s`
        assert_eq!(paid.paid_at_ms, 1_795_915_800_000);
        let finished = notification(&[("trade_status", "TRADE_FINISHED")]);
        assert!(app().read_notification(&finished).is_ok());
    }

    #[test]
    fn every_forgery_and_mistake_is_refused_by_name() {
        let genuine = String::from_utf8(notification(&[])).expect("utf-8");
        // The amount changed after signing.
        let tampered = genuine.replace("total_amount=120.00", "total_amount=1.00");
        assert_eq!(
            app().read_notification(tampered.as_bytes()),
            Err(Refusal::Signature)
        );
        // RSA (SHA-1) or no sign_type: refused.
        let weak = genuine.replace("sign_type=RSA2", "sign_type=RSA");
        assert_eq!(
            app().read_notification(weak.as_bytes()),
            Err(Refusal::Signature)
        );
        let unsigned = genuine
            .split('&')
            .filter(|pair| !pair.starts_with("sign="))
            .collect::<Vec<_>>()
            .join("&");
        assert!(matches!(
            app().read_notification(unsigned.as_bytes()),
            Err(Refusal::Malformed(_))
        ));
        for (changes, refusal) in [
            (vec![("app_id", "2021000000000000")], Refusal::WrongApp),
            (vec![("trade_status", "WAIT_BUYER_PAY")], Refusal::NotPaid),
            (vec![("trade_status", "TRADE_CLOSED")], Refusal::NotPaid),
        ] {
            assert_eq!(
                app().read_notification(&notification(&changes)),
                Err(refusal)
            );
        }
        let bad_amount = notification(&[("total_amount", "1.005")]);
        assert!(matches!(
            app().read_notification(&bad_amount),
            Err(Refusal::Malformed(_))
        ));
        assert_eq!(App::new("x", "not a key").err(), Some(ConfigError));
    }

    #[test]
    fn yuan_become_fen_exactly() {
        for (text, fen) in [
            ("120.00", Some(12000)),
            ("0.01", Some(1)),
            ("99.9", Some(9990)),
            ("7", Some(700)),
            ("0.1", Some(10)),
            ("", None),
            (".5", None),
            ("1.005", None),
            ("-1.00", None),
            ("1e2", None),
            ("1,000.00", None),
            ("42949672.96", None),
        ] {
            assert_eq!(yuan_to_fen(text), fen, "{text}");
        }
    }
}
