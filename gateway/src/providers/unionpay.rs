//! UnionPay online gateway payments (银联在线网关支付 / 手机网页支付), interface version
//! 5.1.0, as its merchant specification documents it:
//!
//! - "签名" (signMethod `01`): every parameter but `signature`, sorted by name and joined
//!   `name=value&…`; its SHA-256 in lower-case hex is signed SHA256-with-RSA by the
//!   merchant's signing key (`certId`: its certificate's serial, decimal).
//! - "消费类交易 前台" `frontTransReq.do`: the payer's browser posts the signed form
//!   (`txnType 01`, `txnSubType 01`, `bizType 000201`, `channelType` `07` on a computer or
//!   `08` on a phone, `txnAmt` in fen, `currencyCode 156`, `backUrl` for the notification).
//! - "后台通知" (the notification): a form posted to `backUrl`, signed like requests by
//!   UnionPay, whose signing certificate travels in `signPubKeyCert`. It is accepted only if
//!   that certificate is one configured here (pinned: the merchant installs UnionPay's
//!   current and next signing certificates) and the signature verifies. Paid when
//!   `respCode` is `00` or `A6`; `queryId` identifies the transaction. Answered HTTP 200
//!   when accepted; any other status makes UnionPay retry.
//! - "交易状态查询" `queryTrans.do` (`txnType 00`, `bizType 000000`, the order's `orderId`
//!   and `txnTime`): `respCode 00` and then `origRespCode` (`00` paid; `03`, `04`, `05`
//!   still processing; others failed); `respCode 34` is an unknown order.
//!
//! Not implemented: validating UnionPay's certificate chain up to its root (the pinned
//! certificates stand in for it), and the encrypted card fields (not used by gateway
//! payments).

use super::keys::{Certificate, PrivateKey};
use super::sandbox::Sandbox;
use super::{
    Answer, Channel, CreateError, Headers, HttpClient, NewPayment, Notification, OrderState, Paid,
    PayInstructions, PayMethod, PaymentGateway, QueryError, Refusal,
};
use engine::candidate::{FeeOrder, Provider};
use engine::time::Timestamp;
use futures::future::LocalBoxFuture;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A merchant's UnionPay account, as configured.
pub struct UnionPay {
    mer_id: String,
    /// UnionPay's signing certificates accepted here (current and next).
    verify_certificates: Vec<Certificate>,
    mode: Mode,
    back_url: String,
    front_url: String,
}

enum Mode {
    Live {
        gateway_url: String,
        signing_key: PrivateKey,
        cert_id: String,
        http: HttpClient,
    },
    Sandbox(Arc<Sandbox>),
}

impl std::fmt::Debug for UnionPay {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("UnionPay")
            .field("mer_id", &self.mer_id)
            .finish_non_exhaustive()
    }
}

/// Why a configuration was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A verification certificate is not a PEM RSA certificate.
    #[error("UnionPay's signing certificate #{0} is not a PEM RSA certificate")]
    VerifyCertificate(usize),
    /// No verification certificate.
    #[error("at least one UnionPay signing certificate is needed")]
    NoVerifyCertificate,
    /// The merchant's signing key is not a PEM RSA private key.
    #[error("the UnionPay merchant signing key is not a PEM RSA private key")]
    SigningKey,
    /// The merchant's signing certificate is not a PEM certificate.
    #[error("the UnionPay merchant signing certificate is not a PEM RSA certificate")]
    SigningCertificate,
}

impl UnionPay {
    /// A merchant speaking to UnionPay's gateway at `gateway_url`
    /// (`https://gateway.95516.com`).
    #[allow(clippy::too_many_arguments)]
    pub fn live(
        mer_id: &str,
        verify_certificates_pem: &[&str],
        signing_key_pem: &str,
        signing_certificate_pem: &str,
        gateway_url: &str,
        back_url: &str,
        front_url: &str,
        http: HttpClient,
    ) -> Result<UnionPay, ConfigError> {
        if verify_certificates_pem.is_empty() {
            return Err(ConfigError::NoVerifyCertificate);
        }
        let verify_certificates = verify_certificates_pem
            .iter()
            .enumerate()
            .map(|(index, pem)| {
                Certificate::from_pem(pem).ok_or(ConfigError::VerifyCertificate(index + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let signing_key = PrivateKey::from_pem(signing_key_pem).ok_or(ConfigError::SigningKey)?;
        let cert_id = Certificate::from_pem(signing_certificate_pem)
            .ok_or(ConfigError::SigningCertificate)?
            .serial_decimal();
        Ok(UnionPay {
            mer_id: mer_id.to_owned(),
            verify_certificates,
            mode: Mode::Live {
                gateway_url: gateway_url.trim_end_matches('/').to_owned(),
                signing_key,
                cert_id,
                http,
            },
            back_url: back_url.to_owned(),
            front_url: front_url.to_owned(),
        })
    }

    /// The demo's sandbox merchant: the sandbox's certificate is "UnionPay's".
    pub fn sandbox(sandbox: Arc<Sandbox>, back_url: &str, front_url: &str) -> UnionPay {
        UnionPay {
            mer_id: super::sandbox::MERCHANT_ID.to_owned(),
            verify_certificates: vec![super::sandbox::certificate()],
            mode: Mode::Sandbox(sandbox),
            back_url: back_url.to_owned(),
            front_url: front_url.to_owned(),
        }
    }

    /// Our signed request parameters, `specific` added to the common ones.
    fn signed(
        &self,
        signing_key: &PrivateKey,
        cert_id: &str,
        specific: &[(&str, String)],
    ) -> BTreeMap<String, String> {
        let mut parameters: BTreeMap<String, String> = [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
            ("accessType", "0"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        parameters.insert("merId".into(), self.mer_id.clone());
        parameters.insert("certId".into(), cert_id.to_owned());
        for (name, value) in specific {
            parameters.insert((*name).to_owned(), value.clone());
        }
        let signature = provider_side::sign(signing_key, &parameters);
        parameters.insert("signature".into(), signature);
        parameters
    }

    /// Verifies a message signed by UnionPay and returns its parameters.
    fn verified(&self, body: &[u8]) -> Result<BTreeMap<String, String>, Refusal> {
        let mut parameters: BTreeMap<String, String> = form_urlencoded::parse(body)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let signature = parameters
            .remove("signature")
            .ok_or_else(|| Refusal::Unsigned("no signature".into()))?;
        if parameters.get("signMethod").map(String::as_str) != Some("01") {
            return Err(Refusal::Signature);
        }
        let sent = parameters
            .get("signPubKeyCert")
            .and_then(|pem| Certificate::from_pem(pem))
            .ok_or_else(|| Refusal::Unsigned("no signPubKeyCert".into()))?;
        let certificate = self
            .verify_certificates
            .iter()
            .find(|known| known.der == sent.der)
            .ok_or(Refusal::UnknownKey)?;
        if !certificate
            .key
            .verifies(digest_hex(&parameters).as_bytes(), &signature)
        {
            return Err(Refusal::Signature);
        }
        Ok(parameters)
    }
}

/// The hex SHA-256 of the sorted parameters: what is signed.
fn digest_hex(parameters: &BTreeMap<String, String>) -> String {
    let content = parameters
        .iter()
        .filter(|(name, _)| name.as_str() != "signature")
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// `txnAmt`: fen, digits only.
fn fen(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl PaymentGateway for UnionPay {
    fn provider(&self) -> Provider {
        Provider::UnionPay
    }

    fn is_sandbox(&self) -> bool {
        matches!(self.mode, Mode::Sandbox(_))
    }

    fn create<'a>(
        &'a self,
        payment: NewPayment<'a>,
    ) -> LocalBoxFuture<'a, Result<PayInstructions, CreateError>> {
        Box::pin(async move {
            let (gateway_url, signing_key, cert_id) = match &self.mode {
                Mode::Sandbox(sandbox) => {
                    return Ok(sandbox.instructions(&payment.order.order_id));
                }
                Mode::Live {
                    gateway_url,
                    signing_key,
                    cert_id,
                    ..
                } => (gateway_url, signing_key, cert_id),
            };
            let channel_type = match payment.channel {
                Channel::Qr => "07",
                Channel::Mobile => "08",
            };
            let fields = self.signed(
                signing_key,
                cert_id,
                &[
                    ("txnType", "01".into()),
                    ("txnSubType", "01".into()),
                    ("bizType", "000201".into()),
                    ("channelType", channel_type.into()),
                    ("currencyCode", "156".into()),
                    ("orderId", payment.order.order_id.clone()),
                    ("txnTime", super::cst(payment.order.created_at, true)),
                    ("txnAmt", payment.order.amount_fen.to_string()),
                    ("backUrl", self.back_url.clone()),
                    ("frontUrl", self.front_url.clone()),
                ],
            );
            let mut instructions = PayInstructions::new(
                PayMethod::Form,
                format!("{gateway_url}/gateway/api/frontTransReq.do"),
                false,
            );
            instructions.fields = fields;
            Ok(instructions)
        })
    }

    fn read_notification(
        &self,
        _headers: Headers<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Paid, Refusal> {
        let parameters = self.verified(body)?;
        let field = |name: &str| {
            parameters
                .get(name)
                .filter(|value| !value.is_empty())
                .cloned()
                .ok_or_else(|| Refusal::Malformed(format!("no {name}")))
        };
        if field("merId")? != self.mer_id {
            return Err(Refusal::WrongMerchant);
        }
        if !matches!(field("respCode")?.as_str(), "00" | "A6")
            || parameters
                .get("currencyCode")
                .is_some_and(|currency| currency != "156")
        {
            return Err(Refusal::NotPaid);
        }
        let amount_fen =
            fen(&field("txnAmt")?).ok_or_else(|| Refusal::Malformed("txnAmt is not fen".into()))?;
        Ok(Paid {
            order_id: field("orderId")?,
            transaction_id: field("queryId")?,
            amount_fen,
            // The notification carries the order's time and a trace time without a year;
            // the payment is recorded at its arrival.
            paid_at: now,
        })
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "text/plain",
            body: "ok".to_owned(),
        }
    }

    fn refused(&self, refusal: &Refusal) -> Answer {
        Answer {
            status: refusal.status(),
            content_type: "text/plain",
            body: "failure".to_owned(),
        }
    }

    fn query<'a>(
        &'a self,
        order: &'a FeeOrder,
        now: Timestamp,
    ) -> LocalBoxFuture<'a, Result<OrderState, QueryError>> {
        Box::pin(async move {
            let (gateway_url, signing_key, cert_id, http) = match &self.mode {
                Mode::Sandbox(sandbox) => {
                    return Ok(super::sandbox_state(sandbox, &order.order_id));
                }
                Mode::Live {
                    gateway_url,
                    signing_key,
                    cert_id,
                    http,
                } => (gateway_url, signing_key, cert_id, http),
            };
            let request = self.signed(
                signing_key,
                cert_id,
                &[
                    ("txnType", "00".into()),
                    ("txnSubType", "00".into()),
                    ("bizType", "000000".into()),
                    ("orderId", order.order_id.clone()),
                    ("txnTime", super::cst(order.created_at, true)),
                ],
            );
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &request {
                form.append_pair(name, value);
            }
            let response = http
                .send(
                    "POST",
                    &format!("{gateway_url}/gateway/api/queryTrans.do"),
                    &[(
                        "Content-Type",
                        "application/x-www-form-urlencoded;charset=UTF-8".to_owned(),
                    )],
                    Some(form.finish().into_bytes()),
                )
                .await
                .map_err(QueryError::Unreachable)?;
            if response.status != 200 {
                return Err(QueryError::Unreachable(format!("HTTP {}", response.status)));
            }
            let answer = self
                .verified(&response.body)
                .map_err(|refusal| match refusal {
                    Refusal::Malformed(message) => QueryError::Malformed(message),
                    _ => QueryError::BadSignature,
                })?;
            let get = |name: &str| answer.get(name).map(String::as_str).unwrap_or_default();
            match get("respCode") {
                "00" => {}
                "34" => return Ok(OrderState::NotFound),
                other => return Err(QueryError::Unreachable(format!("respCode {other}"))),
            }
            if get("orderId") != order.order_id || get("merId") != self.mer_id {
                return Err(QueryError::Malformed(format!(
                    "asked about {}, answered about {}",
                    order.order_id,
                    get("orderId")
                )));
            }
            match get("origRespCode") {
                "00" | "A6" => Ok(OrderState::Paid {
                    transaction_id: Some(get("queryId"))
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| QueryError::Malformed("no queryId".into()))?
                        .to_owned(),
                    amount_fen: fen(get("txnAmt"))
                        .ok_or_else(|| QueryError::Malformed("txnAmt is not fen".into()))?,
                    paid_at: now,
                }),
                "03" | "04" | "05" => Ok(OrderState::NotPaid),
                _ => Ok(OrderState::Closed),
            }
        })
    }

    fn sandbox_notification(&self, paid: &Paid, _now: Timestamp) -> Option<Notification> {
        let Mode::Sandbox(sandbox) = &self.mode else {
            return None;
        };
        let parameters = notification_parameters(&self.mer_id, paid, "00");
        Some(provider_side::notification(
            sandbox.key(),
            super::sandbox::CERTIFICATE_PEM,
            parameters,
        ))
    }
}

/// The parameters of UnionPay's notification of `paid` (unsigned, without the
/// certificate).
pub fn notification_parameters(
    mer_id: &str,
    paid: &Paid,
    resp_code: &str,
) -> BTreeMap<String, String> {
    let time = super::cst(paid.paid_at, true);
    [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("txnType", "01"),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("accessType", "0"),
        ("currencyCode", "156"),
        ("merId", mer_id),
        ("orderId", paid.order_id.as_str()),
        ("queryId", paid.transaction_id.as_str()),
        ("respCode", resp_code),
        ("respMsg", "成功[0000000]"),
        ("txnTime", time.as_str()),
        ("traceTime", &time[4..]),
        ("settleDate", &time[4..8]),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .chain([("txnAmt".to_owned(), paid.amount_fen.to_string())])
    .collect()
}

/// UnionPay's side of a message: what the sandbox sends.
pub mod provider_side {
    use super::*;

    /// The signature (base64) of `parameters` by `key`.
    pub fn sign(key: &PrivateKey, parameters: &BTreeMap<String, String>) -> String {
        key.sign(digest_hex(parameters).as_bytes())
    }

    /// The form UnionPay posts: `parameters` with its certificate, signed.
    pub fn notification(
        key: &PrivateKey,
        certificate_pem: &str,
        mut parameters: BTreeMap<String, String>,
    ) -> Notification {
        parameters.insert("signPubKeyCert".into(), certificate_pem.to_owned());
        let signature = sign(key, &parameters);
        parameters.insert("signature".into(), signature);
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &parameters {
            form.append_pair(name, value);
        }
        Notification {
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded;charset=UTF-8".into(),
            )],
            body: form.finish().into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIONPAY_PRIVATE: &str = include_str!("../../../tests/keys/unionpay-sign-test.pem");
    const UNIONPAY_CERTIFICATE: &str = include_str!("../../../tests/keys/unionpay-sign-test.crt");
    const MERCHANT_PRIVATE: &str = include_str!("../../../tests/keys/unionpay-merchant-test.pem");
    const MERCHANT_CERTIFICATE: &str =
        include_str!("../../../tests/keys/unionpay-merchant-test.crt");
    const NOW: Timestamp = Timestamp(1_795_915_800_000);

    fn merchant() -> UnionPay {
        UnionPay::live(
            "777290058110048",
            &[UNIONPAY_CERTIFICATE],
            MERCHANT_PRIVATE,
            MERCHANT_CERTIFICATE,
            "https://gateway.95516.com",
            "https://bm.example.cn/v1/payments/unionpay/notify",
            "https://bm.example.cn/",
            HttpClient::new(std::time::Duration::from_secs(1)),
        )
        .expect("valid")
    }

    fn paid() -> Paid {
        Paid {
            order_id: "GK0123456789ABCDEFGHJKMNPQRS01".into(),
            transaction_id: "762611290930001234568".into(),
            amount_fen: 12000,
            paid_at: NOW,
        }
    }

    fn notification(changes: &[(&str, &str)], key: &str, certificate: &str) -> Vec<u8> {
        let mut parameters = notification_parameters("777290058110048", &paid(), "00");
        for (name, value) in changes {
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        let key = PrivateKey::from_pem(key).expect("key");
        provider_side::notification(&key, certificate, parameters).body
    }

    fn read(body: &[u8]) -> Result<Paid, Refusal> {
        merchant().read_notification(&|_| None, body, NOW)
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment() {
        let genuine = notification(&[], UNIONPAY_PRIVATE, UNIONPAY_CERTIFICATE);
        assert_eq!(read(&genuine), Ok(paid()));
        let a6 = notification(
            &[("respCode", "A6")],
            UNIONPAY_PRIVATE,
            UNIONPAY_CERTIFICATE,
        );
        assert!(read(&a6).is_ok());
    }

    #[test]
    fn every_forgery_and_mistake_is_refused_by_name() {
        let genuine = String::from_utf8(notification(&[], UNIONPAY_PRIVATE, UNIONPAY_CERTIFICATE))
            .expect("utf-8");
        let tampered = genuine.replace("txnAmt=12000", "txnAmt=1");
        assert_eq!(read(tampered.as_bytes()), Err(Refusal::Signature));
        // Signed by another key that sends its own certificate: not one configured here.
        let foreign = notification(&[], MERCHANT_PRIVATE, MERCHANT_CERTIFICATE);
        assert_eq!(read(&foreign), Err(Refusal::UnknownKey));
        // Signed by another key but claiming UnionPay's certificate.
        let forged = notification(&[], MERCHANT_PRIVATE, UNIONPAY_CERTIFICATE);
        assert_eq!(read(&forged), Err(Refusal::Signature));
        let other_method = genuine.replace("signMethod=01", "signMethod=11");
        assert_eq!(read(other_method.as_bytes()), Err(Refusal::Signature));
        let unsigned: String = genuine
            .split('&')
            .filter(|pair| !pair.starts_with("signature="))
            .collect::<Vec<_>>()
            .join("&");
        assert!(matches!(
            read(unsigned.as_bytes()),
            Err(Refusal::Unsigned(_))
        ));
        for (changes, refusal) in [
            (vec![("merId", "777290058119999")], Refusal::WrongMerchant),
            (vec![("respCode", "03")], Refusal::NotPaid),
            (vec![("currencyCode", "840")], Refusal::NotPaid),
        ] {
            assert_eq!(
                read(&notification(
                    &changes,
                    UNIONPAY_PRIVATE,
                    UNIONPAY_CERTIFICATE
                )),
                Err(refusal)
            );
        }
        let bad_amount = notification(
            &[("txnAmt", "120.00")],
            UNIONPAY_PRIVATE,
            UNIONPAY_CERTIFICATE,
        );
        assert!(matches!(read(&bad_amount), Err(Refusal::Malformed(_))));
        assert_eq!(merchant().refused(&Refusal::Signature).status, 401);
        assert_eq!(merchant().accepted().status, 200);
    }

    #[test]
    fn the_payment_form_is_signed_with_the_merchant_certificate() {
        let order = FeeOrder {
            order_id: "GK0123456789ABCDEFGHJKMNPQRS01".into(),
            provider: Provider::UnionPay,
            amount_fen: 12000,
            created_at: NOW,
        };
        let created = futures::executor::block_on(merchant().create(NewPayment {
            order: &order,
            description: "普通高考报名费",
            channel: Channel::Mobile,
            client_ip: "203.0.113.7",
            now: NOW,
        }))
        .expect("a form");
        assert_eq!(created.method, PayMethod::Form);
        assert_eq!(
            created.content,
            "https://gateway.95516.com/gateway/api/frontTransReq.do"
        );
        let mut fields = created.fields.clone();
        assert_eq!(fields["channelType"], "08");
        assert_eq!(fields["txnTime"], "20261129093000");
        assert_eq!(fields["certId"], "68759585097");
        let signature = fields.remove("signature").expect("signed");
        let certificate = Certificate::from_pem(MERCHANT_CERTIFICATE).expect("certificate");
        assert!(
            certificate
                .key
                .verifies(digest_hex(&fields).as_bytes(), &signature)
        );
        assert_eq!(
            UnionPay::live(
                "1",
                &[],
                MERCHANT_PRIVATE,
                MERCHANT_CERTIFICATE,
                "g",
                "b",
                "f",
                HttpClient::new(std::time::Duration::from_secs(1))
            )
            .err(),
            Some(ConfigError::NoVerifyCertificate)
        );
    }
}
