//! Alipay (支付宝开放平台, RSA2), as the open platform documents it:
//!
//! - "公共请求参数" and "自行实现签名": a request is a form of `app_id`, `method`, `format`
//!   (`JSON`), `charset` (`utf-8`), `sign_type` (`RSA2`), `timestamp`
//!   (`yyyy-MM-dd HH:mm:ss`, Beijing time), `version` (`1.0`), `notify_url` and
//!   `biz_content` (JSON); `sign` is SHA256-with-RSA (base64) by the app's private key of the
//!   parameters sorted by name, joined `name=value&…`, empty values left out.
//! - "统一收单线下交易预创建" `alipay.trade.precreate` → `qr_code` (a QR code), and
//!   "手机网站支付" `alipay.trade.wap.pay`, which is not called but opened by the payer's
//!   browser: the signed parameters in the gateway's URL.
//! - "同步响应验签": an answer is JSON `{"<method>_response": {…}, "sign": "…"}`; the sign
//!   covers the exact text of the response object, verified with the Alipay public key.
//! - "异步通知验签": the notification is `application/x-www-form-urlencoded`; without `sign`
//!   and `sign_type`, sorted by name and joined `name=value&…` (values URL-decoded), it is
//!   verified under the Alipay public key; `sign_type` must be `RSA2`.
//! - "异步通知参数": `app_id`, `out_trade_no`, `trade_no`, `trade_status`
//!   (`TRADE_SUCCESS` or `TRADE_FINISHED` count as paid), `total_amount` in yuan with up to
//!   two decimals — read exactly into fen, never through floating point — and `gmt_payment`.
//!   The answer: the plain text `success`, anything else (`failure`) for Alipay to retry.
//! - "统一收单线下交易查询" `alipay.trade.query` → `trade_status`, `trade_no`,
//!   `total_amount`, `send_pay_date`; an unknown order is `40004` / `ACQ.TRADE_NOT_EXIST`.

use super::keys::{PrivateKey, PublicKey};
use super::sandbox::Sandbox;
use super::{
    Answer, CallError, Channel, CreateError, Headers, HttpClient, NewPayment, Notification,
    OrderState, Paid, PayInstructions, PayMethod, PaymentGateway, QueryError, Refusal,
};
use engine::candidate::{FeeOrder, Provider};
use engine::time::Timestamp;
use futures::future::LocalBoxFuture;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The answer Alipay reads as accepted.
pub const SUCCESS: &str = "success";
/// The answer Alipay reads as "retry".
pub const FAILURE: &str = "failure";

/// An app's Alipay account, as configured.
pub struct Alipay {
    app_id: String,
    alipay_public_key: PublicKey,
    mode: Mode,
    notify_url: String,
}

enum Mode {
    Live {
        gateway_url: String,
        app_key: PrivateKey,
        http: HttpClient,
    },
    Sandbox(Arc<Sandbox>),
}

impl std::fmt::Debug for Alipay {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Alipay")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// Why a configuration was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The Alipay public key is not a PEM RSA public key.
    #[error("the Alipay public key is not a PEM RSA public key")]
    AlipayPublicKey,
    /// The app's private key is not a PEM RSA private key.
    #[error("the Alipay app private key is not a PEM RSA private key")]
    AppKey,
}

impl Alipay {
    /// An app speaking to Alipay's gateway at `gateway_url`
    /// (`https://openapi.alipay.com/gateway.do`).
    pub fn live(
        app_id: &str,
        alipay_public_key_pem: &str,
        app_private_key_pem: &str,
        gateway_url: &str,
        notify_url: &str,
        http: HttpClient,
    ) -> Result<Alipay, ConfigError> {
        Ok(Alipay {
            app_id: app_id.to_owned(),
            alipay_public_key: PublicKey::from_pem(alipay_public_key_pem)
                .ok_or(ConfigError::AlipayPublicKey)?,
            mode: Mode::Live {
                gateway_url: gateway_url.to_owned(),
                app_key: PrivateKey::from_pem(app_private_key_pem).ok_or(ConfigError::AppKey)?,
                http,
            },
            notify_url: notify_url.to_owned(),
        })
    }

    /// The demo's sandbox app: the sandbox's key is "Alipay's".
    pub fn sandbox(sandbox: Arc<Sandbox>, notify_url: &str) -> Alipay {
        Alipay {
            app_id: super::sandbox::MERCHANT_ID.to_owned(),
            alipay_public_key: super::sandbox::certificate().key,
            mode: Mode::Sandbox(sandbox),
            notify_url: notify_url.to_owned(),
        }
    }

    /// The signed parameters of a request `method` with `biz_content`.
    fn signed_request(
        &self,
        app_key: &PrivateKey,
        method: &str,
        biz_content: serde_json::Value,
        now: Timestamp,
    ) -> BTreeMap<String, String> {
        let mut parameters: BTreeMap<String, String> = [
            ("app_id", self.app_id.as_str()),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("version", "1.0"),
            ("notify_url", self.notify_url.as_str()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        parameters.insert("timestamp".into(), super::cst(now, false));
        parameters.insert("biz_content".into(), biz_content.to_string());
        let sign = app_key.sign(request_content(&parameters).as_bytes());
        parameters.insert("sign".into(), sign);
        parameters
    }

    /// Calls `method` and returns its verified response object.
    async fn call(
        &self,
        method: &str,
        biz_content: serde_json::Value,
        now: Timestamp,
    ) -> Result<serde_json::Value, CallError> {
        let malformed = |what: String| CallError::Malformed(format!("malformed answer: {what}"));
        let Mode::Live {
            gateway_url,
            app_key,
            http,
        } = &self.mode
        else {
            return Err(CallError::Unreachable("the sandbox makes no calls".into()));
        };
        let parameters = self.signed_request(app_key, method, biz_content, now);
        let response = http
            .send(
                "POST",
                gateway_url,
                &[(
                    "Content-Type",
                    "application/x-www-form-urlencoded;charset=utf-8".to_owned(),
                )],
                Some(form(&parameters).into_bytes()),
            )
            .await
            .map_err(CallError::Unreachable)?;
        if response.status != 200 {
            return Err(CallError::Unreachable(format!("HTTP {}", response.status)));
        }
        let envelope: BTreeMap<String, Box<RawValue>> =
            serde_json::from_slice(&response.body).map_err(|error| malformed(error.to_string()))?;
        let name = format!("{}_response", method.replace('.', "_"));
        let object = envelope
            .get(&name)
            .ok_or_else(|| malformed(format!("no {name}")))?;
        let sign: String = envelope
            .get("sign")
            .and_then(|sign| serde_json::from_str(sign.get()).ok())
            .ok_or_else(|| CallError::Unverified("no sign".into()))?;
        if !self
            .alipay_public_key
            .verifies(object.get().as_bytes(), &sign)
        {
            return Err(CallError::Unverified(
                "the signature does not verify".into(),
            ));
        }
        serde_json::from_str(object.get()).map_err(|error| malformed(error.to_string()))
    }
}

impl PaymentGateway for Alipay {
    fn provider(&self) -> Provider {
        Provider::Alipay
    }

    fn is_sandbox(&self) -> bool {
        matches!(self.mode, Mode::Sandbox(_))
    }

    fn create<'a>(
        &'a self,
        payment: NewPayment<'a>,
    ) -> LocalBoxFuture<'a, Result<PayInstructions, CreateError>> {
        Box::pin(async move {
            let (gateway_url, app_key) = match &self.mode {
                Mode::Sandbox(sandbox) => {
                    return Ok(sandbox.instructions(&payment.order.order_id));
                }
                Mode::Live {
                    gateway_url,
                    app_key,
                    ..
                } => (gateway_url, app_key),
            };
            let mut biz_content = serde_json::json!({
                "out_trade_no": payment.order.order_id,
                "total_amount": super::fen_to_yuan(payment.order.amount_fen),
                "subject": payment.description,
                "timeout_express": "30m",
            });
            match payment.channel {
                Channel::Qr => {
                    let answer = self
                        .call("alipay.trade.precreate", biz_content, payment.now)
                        .await?;
                    if answer["code"] != "10000" {
                        return Err(CreateError::Provider(format!(
                            "{} {}",
                            answer["code"], answer["sub_code"]
                        )));
                    }
                    let qr_code = answer["qr_code"]
                        .as_str()
                        .filter(|code| !code.is_empty())
                        .ok_or_else(|| CreateError::BadAnswer("no qr_code".into()))?;
                    Ok(PayInstructions::new(
                        PayMethod::Qr,
                        qr_code.to_owned(),
                        false,
                    ))
                }
                Channel::Mobile => {
                    biz_content["product_code"] = "QUICK_WAP_WAY".into();
                    let parameters = self.signed_request(
                        app_key,
                        "alipay.trade.wap.pay",
                        biz_content,
                        payment.now,
                    );
                    let url = format!("{gateway_url}?{}", form(&parameters));
                    Ok(PayInstructions::new(PayMethod::Link, url, false))
                }
            }
        })
    }

    fn read_notification(
        &self,
        _headers: Headers<'_>,
        body: &[u8],
        _now: Timestamp,
    ) -> Result<Paid, Refusal> {
        let mut parameters: BTreeMap<String, String> = form_urlencoded::parse(body)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let sign = parameters
            .remove("sign")
            .ok_or_else(|| Refusal::Unsigned("no sign".into()))?;
        if parameters.remove("sign_type").as_deref() != Some("RSA2") {
            return Err(Refusal::Signature);
        }
        if !self
            .alipay_public_key
            .verifies(notification_content(&parameters).as_bytes(), &sign)
        {
            return Err(Refusal::Signature);
        }
        let field = |name: &str| {
            parameters
                .get(name)
                .cloned()
                .ok_or_else(|| Refusal::Malformed(format!("no {name}")))
        };
        if field("app_id")? != self.app_id {
            return Err(Refusal::WrongMerchant);
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
        let paid_at = super::from_cst(&field("gmt_payment")?, false)
            .ok_or_else(|| Refusal::Malformed("gmt_payment is not yyyy-MM-dd HH:mm:ss".into()))?;
        Ok(Paid {
            order_id: field("out_trade_no")?,
            transaction_id: field("trade_no")?,
            amount_fen,
            paid_at,
        })
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "text/plain",
            body: SUCCESS.to_owned(),
        }
    }

    fn refused(&self, refusal: &Refusal) -> Answer {
        Answer {
            status: refusal.status(),
            content_type: "text/plain",
            body: FAILURE.to_owned(),
        }
    }

    fn query<'a>(
        &'a self,
        order: &'a FeeOrder,
        now: Timestamp,
    ) -> LocalBoxFuture<'a, Result<OrderState, QueryError>> {
        Box::pin(async move {
            if let Mode::Sandbox(sandbox) = &self.mode {
                return Ok(super::sandbox_state(sandbox, &order.order_id));
            }
            let answer = self
                .call(
                    "alipay.trade.query",
                    serde_json::json!({"out_trade_no": order.order_id}),
                    now,
                )
                .await?;
            if answer["code"] == "40004" && answer["sub_code"] == "ACQ.TRADE_NOT_EXIST" {
                return Ok(OrderState::NotFound);
            }
            if answer["code"] != "10000" {
                return Err(QueryError::Unreachable(format!(
                    "{} {}",
                    answer["code"], answer["sub_code"]
                )));
            }
            if answer["out_trade_no"] != order.order_id.as_str() {
                return Err(QueryError::Malformed(format!(
                    "asked about {}, answered about {}",
                    order.order_id, answer["out_trade_no"]
                )));
            }
            let text = |name: &str| answer[name].as_str().unwrap_or_default().to_owned();
            match text("trade_status").as_str() {
                "TRADE_SUCCESS" | "TRADE_FINISHED" => {
                    let malformed =
                        |what: &str| QueryError::Malformed(format!("{what} missing or malformed"));
                    let transaction_id = Some(text("trade_no"))
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| malformed("trade_no"))?;
                    let amount_fen = yuan_to_fen(&text("total_amount"))
                        .ok_or_else(|| malformed("total_amount"))?;
                    let paid_at = super::from_cst(&text("send_pay_date"), false)
                        .ok_or_else(|| malformed("send_pay_date"))?;
                    Ok(OrderState::Paid {
                        transaction_id,
                        amount_fen,
                        paid_at,
                    })
                }
                "WAIT_BUYER_PAY" => Ok(OrderState::NotPaid),
                "TRADE_CLOSED" => Ok(OrderState::Closed),
                other => Err(QueryError::Malformed(format!(
                    "unknown trade_status {other}"
                ))),
            }
        })
    }

    fn sandbox_notification(&self, paid: &Paid, _now: Timestamp) -> Option<Notification> {
        let Mode::Sandbox(sandbox) = &self.mode else {
            return None;
        };
        Some(provider_side::notification(
            sandbox.key(),
            &notification_parameters(&self.app_id, paid, "TRADE_SUCCESS"),
        ))
    }
}

/// What a request's `sign` covers: sorted, empty values left out.
fn request_content(parameters: &BTreeMap<String, String>) -> String {
    parameters
        .iter()
        .filter(|(name, value)| !value.is_empty() && name.as_str() != "sign")
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// What a notification's `sign` covers: every parameter but `sign` and `sign_type`
/// (already removed), sorted.
pub fn notification_content(parameters: &BTreeMap<String, String>) -> String {
    parameters
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn form(parameters: &BTreeMap<String, String>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in parameters {
        form.append_pair(name, value);
    }
    form.finish()
}

/// The parameters of Alipay's notification of `paid` (unsigned).
pub fn notification_parameters(
    app_id: &str,
    paid: &Paid,
    trade_status: &str,
) -> BTreeMap<String, String> {
    let paid_at = super::cst(paid.paid_at, false);
    let amount = super::fen_to_yuan(paid.amount_fen);
    [
        ("notify_time", paid_at.as_str()),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
        ("app_id", app_id),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("trade_no", paid.transaction_id.as_str()),
        ("out_trade_no", paid.order_id.as_str()),
        ("trade_status", trade_status),
        ("total_amount", amount.as_str()),
        ("receipt_amount", amount.as_str()),
        ("gmt_payment", paid_at.as_str()),
        ("subject", "报名费"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// Alipay's side of a notification: what the sandbox sends.
pub mod provider_side {
    use super::*;

    /// The form Alipay posts for `parameters`, signed with `key`.
    pub fn notification(key: &PrivateKey, parameters: &BTreeMap<String, String>) -> Notification {
        let sign = key.sign(notification_content(parameters).as_bytes());
        let mut signed = parameters.clone();
        signed.insert("sign_type".into(), "RSA2".into());
        signed.insert("sign".into(), sign);
        Notification {
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: form(&signed).into_bytes(),
        }
    }
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

    /// The tests' own key pairs (`tests/keys/`): they stand in for Alipay's and the app's.
    const ALIPAY_PRIVATE: &str = include_str!("../../../tests/keys/alipay-platform-test.pem");
    const ALIPAY_PUBLIC: &str = include_str!("../../../tests/keys/alipay-platform-test.pub.pem");
    const APP_PRIVATE: &str = include_str!("../../../tests/keys/alipay-app-test.pem");
    // `date -d 2026-11-29T01:30:00Z +%s`
    const NOW: Timestamp = Timestamp(1_795_915_800_000);

    fn app() -> Alipay {
        Alipay::live(
            "2021000122671234",
            ALIPAY_PUBLIC,
            APP_PRIVATE,
            "https://openapi.alipay.com/gateway.do",
            "https://bm.example.cn/v1/payments/alipay/notify",
            HttpClient::new(std::time::Duration::from_secs(1)),
        )
        .expect("valid")
    }

    fn paid() -> Paid {
        Paid {
            order_id: "GK0123456789ABCDEFGHJKMNPQRS01".into(),
            transaction_id: "2026112922001419681234567890".into(),
            amount_fen: 12000,
            paid_at: NOW,
        }
    }

    /// The form Alipay would post, with `changes` made before signing.
    fn notification(changes: &[(&str, &str)]) -> Vec<u8> {
        let mut parameters = notification_parameters("2021000122671234", &paid(), "TRADE_SUCCESS");
        parameters.insert("fund_bill_list".into(), String::new());
        for (name, value) in changes {
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        let key = PrivateKey::from_pem(ALIPAY_PRIVATE).expect("test key");
        provider_side::notification(&key, &parameters).body
    }

    fn read(body: &[u8]) -> Result<Paid, Refusal> {
        app().read_notification(&|_| None, body, NOW)
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment() {
        assert_eq!(read(&notification(&[])), Ok(paid()));
        assert!(read(&notification(&[("trade_status", "TRADE_FINISHED")])).is_ok());
    }

    #[test]
    fn every_forgery_and_mistake_is_refused_by_name() {
        let genuine = String::from_utf8(notification(&[])).expect("utf-8");
        // The amount changed after signing.
        let tampered = genuine.replace("total_amount=120.00", "total_amount=1.00");
        assert_eq!(read(tampered.as_bytes()), Err(Refusal::Signature));
        // RSA (SHA-1) or no sign_type: refused.
        let weak = genuine.replace("sign_type=RSA2", "sign_type=RSA");
        assert_eq!(read(weak.as_bytes()), Err(Refusal::Signature));
        let unsigned = genuine
            .split('&')
            .filter(|pair| !pair.starts_with("sign="))
            .collect::<Vec<_>>()
            .join("&");
        assert!(matches!(
            read(unsigned.as_bytes()),
            Err(Refusal::Unsigned(_))
        ));
        // Signed by the app's key instead of Alipay's.
        let app_key = PrivateKey::from_pem(APP_PRIVATE).expect("key");
        let forged = provider_side::notification(
            &app_key,
            &notification_parameters("2021000122671234", &paid(), "TRADE_SUCCESS"),
        );
        assert_eq!(read(&forged.body), Err(Refusal::Signature));
        for (changes, refusal) in [
            (vec![("app_id", "2021000000000000")], Refusal::WrongMerchant),
            (vec![("trade_status", "WAIT_BUYER_PAY")], Refusal::NotPaid),
            (vec![("trade_status", "TRADE_CLOSED")], Refusal::NotPaid),
        ] {
            assert_eq!(read(&notification(&changes)), Err(refusal));
        }
        let bad_amount = notification(&[("total_amount", "1.005")]);
        assert!(matches!(read(&bad_amount), Err(Refusal::Malformed(_))));
        assert_eq!(
            Alipay::live(
                "x",
                "not a key",
                APP_PRIVATE,
                "u",
                "n",
                HttpClient::new(std::time::Duration::from_secs(1))
            )
            .err(),
            Some(ConfigError::AlipayPublicKey)
        );
        assert_eq!(app().refused(&Refusal::Signature).body, FAILURE);
        assert_eq!(app().accepted().body, SUCCESS);
    }

    #[test]
    fn a_wap_payment_is_a_signed_link_the_payer_opens() {
        let order = FeeOrder {
            order_id: "GK0123456789ABCDEFGHJKMNPQRS01".into(),
            provider: Provider::Alipay,
            amount_fen: 12000,
            created_at: NOW,
        };
        let created = futures::executor::block_on(app().create(NewPayment {
            order: &order,
            description: "普通高考报名费",
            channel: Channel::Mobile,
            client_ip: "203.0.113.7",
            now: NOW,
        }))
        .expect("a link");
        assert_eq!(created.method, PayMethod::Link);
        let query = created
            .content
            .strip_prefix("https://openapi.alipay.com/gateway.do?")
            .expect("the gateway");
        let mut parameters: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        assert_eq!(parameters["method"], "alipay.trade.wap.pay");
        assert!(parameters["biz_content"].contains("\"total_amount\":\"120.00\""));
        let sign = parameters.remove("sign").expect("signed");
        let app_public =
            PublicKey::from_pem(include_str!("../../../tests/keys/alipay-app-test.pub.pem"))
                .expect("key");
        assert!(app_public.verifies(request_content(&parameters).as_bytes(), &sign));
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
