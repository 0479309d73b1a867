//! WeChat Pay API v3 (微信支付 APIv3), as the merchant API v3 guide documents it:
//!
//! - "签名生成" (signing our requests): the message is `METHOD\nPATH?QUERY\nTIMESTAMP\n`
//!   `NONCE\nBODY\n`, signed SHA256-with-RSA by the merchant's API certificate key, sent as
//!   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",`
//!   `timestamp="…",serial_no="…"` (the merchant certificate's serial).
//! - "签名验证" (verifying WeChat Pay's answers and notifications): the message is
//!   `Wechatpay-Timestamp\n` + `Wechatpay-Nonce\n` + body + `\n`, signed by the platform key
//!   named in `Wechatpay-Serial` (a platform certificate's serial, or a `PUB_KEY_ID_…` of the
//!   newer platform public keys); the signature is base64 in `Wechatpay-Signature`. Two
//!   platform keys are valid during a rotation. Timestamps more than five minutes from now
//!   are refused (replays).
//! - "Native下单" `POST /v3/pay/transactions/native` → `code_url` (a QR code), and
//!   "H5下单" `POST /v3/pay/transactions/h5` (with `scene_info.payer_client_ip` and
//!   `h5_info.type = Wap`) → `h5_url`. Both are idempotent per `out_trade_no`.
//! - "回调报文解密" (the notification): `resource.ciphertext` is base64 of
//!   AEAD_AES_256_GCM under the merchant's 32-byte APIv3 key, with `resource.nonce` (12
//!   bytes) and `resource.associated_data`; the 16-byte tag is at its end. Inside
//!   ("支付成功回调通知"): `mchid`, `appid`, `out_trade_no`, `transaction_id`,
//!   `trade_state` (`SUCCESS`), `success_time` (RFC 3339), `amount.total` (fen),
//!   `amount.currency` (`CNY`).
//! - The answer to a notification: HTTP 200 when accepted; 4XX/5XX with
//!   `{"code":"FAIL","message":…}` otherwise, which WeChat Pay retries on its schedule.
//! - "商户订单号查询订单" `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…` →
//!   the same transaction object, plain (not encrypted) and signed; 404 `ORDER_NOT_EXIST`.

use super::keys::{Certificate, PrivateKey, PublicKey};
use super::sandbox::Sandbox;
use super::{
    Answer, CallError, Channel, CreateError, Headers, HttpClient, NewPayment, Notification,
    OrderState, Paid, PayInstructions, PayMethod, PaymentGateway, QueryError, Refusal,
};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use engine::candidate::{FeeOrder, Provider};
use engine::time::Timestamp;
use futures::future::LocalBoxFuture;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// How far a signed timestamp may be from now.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// A merchant's WeChat Pay account, as configured.
pub struct WeChatPay {
    /// 商户号.
    mchid: String,
    /// The app the orders are made for.
    appid: String,
    /// The APIv3 key (32 bytes): decrypts notifications.
    api_v3_key: [u8; 32],
    /// Platform verification keys by serial (two during a rotation).
    platform_keys: HashMap<String, PublicKey>,
    /// Where requests go, and how they are signed; or the sandbox.
    mode: Mode,
    /// Our notification URL.
    notify_url: String,
}

enum Mode {
    Live {
        api_url: String,
        merchant_serial: String,
        merchant_key: PrivateKey,
        http: HttpClient,
    },
    Sandbox(Arc<Sandbox>),
}

impl std::fmt::Debug for WeChatPay {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are never printed.
        formatter
            .debug_struct("WeChatPay")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field(
                "platform_keys",
                &self.platform_keys.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Why a configuration was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The APIv3 key is not 32 bytes.
    #[error("the WeChat Pay APIv3 key must be exactly 32 bytes")]
    ApiV3Key,
    /// A platform key or certificate is not PEM RSA.
    #[error("the WeChat Pay platform key '{0}' is not a PEM RSA public key or certificate")]
    PlatformKey(String),
    /// No platform key at all.
    #[error("at least one WeChat Pay platform key or certificate is needed")]
    NoPlatformKey,
    /// The merchant key is not a PEM RSA private key.
    #[error("the WeChat Pay merchant key is not a PEM RSA private key")]
    MerchantKey,
}

/// A platform key: `serial` and a PEM public key, or a PEM certificate (its serial is read
/// from it).
#[derive(Debug, Clone, Copy)]
pub enum PlatformKey<'a> {
    /// `PUB_KEY_ID_…` and `BEGIN PUBLIC KEY`.
    PublicKey(&'a str, &'a str),
    /// `BEGIN CERTIFICATE`.
    Certificate(&'a str),
}

impl WeChatPay {
    /// A merchant account speaking to WeChat Pay at `api_url`.
    #[allow(clippy::too_many_arguments)]
    pub fn live(
        mchid: &str,
        appid: &str,
        api_v3_key: &[u8],
        platform_keys: &[PlatformKey<'_>],
        merchant_serial: &str,
        merchant_key_pem: &str,
        api_url: &str,
        notify_url: &str,
        http: HttpClient,
    ) -> Result<WeChatPay, ConfigError> {
        let merchant_key =
            PrivateKey::from_pem(merchant_key_pem).ok_or(ConfigError::MerchantKey)?;
        let mode = Mode::Live {
            api_url: api_url.trim_end_matches('/').to_owned(),
            merchant_serial: merchant_serial.to_owned(),
            merchant_key,
            http,
        };
        WeChatPay::new(mchid, appid, api_v3_key, platform_keys, mode, notify_url)
    }

    /// The demo's sandbox merchant: the sandbox's certificate is the platform's.
    pub fn sandbox(sandbox: Arc<Sandbox>, notify_url: &str) -> WeChatPay {
        let platform = super::sandbox::CERTIFICATE_PEM;
        WeChatPay::new(
            super::sandbox::MERCHANT_ID,
            super::sandbox::MERCHANT_ID,
            super::sandbox::WECHAT_API_V3_KEY,
            &[PlatformKey::Certificate(platform)],
            Mode::Sandbox(sandbox),
            notify_url,
        )
        .unwrap_or_else(|_| unreachable!("the sandbox's compiled-in keys are valid"))
    }

    fn new(
        mchid: &str,
        appid: &str,
        api_v3_key: &[u8],
        platform_keys: &[PlatformKey<'_>],
        mode: Mode,
        notify_url: &str,
    ) -> Result<WeChatPay, ConfigError> {
        let api_v3_key: [u8; 32] = api_v3_key.try_into().map_err(|_| ConfigError::ApiV3Key)?;
        if platform_keys.is_empty() {
            return Err(ConfigError::NoPlatformKey);
        }
        let mut keys = HashMap::new();
        for platform_key in platform_keys {
            let (serial, key) = match platform_key {
                PlatformKey::PublicKey(serial, pem) => (
                    (*serial).to_owned(),
                    PublicKey::from_pem(pem)
                        .ok_or_else(|| ConfigError::PlatformKey((*serial).to_owned()))?,
                ),
                PlatformKey::Certificate(pem) => {
                    let certificate = Certificate::from_pem(pem)
                        .ok_or_else(|| ConfigError::PlatformKey("certificate".to_owned()))?;
                    (certificate.serial_hex(), certificate.key)
                }
            };
            keys.insert(serial, key);
        }
        Ok(WeChatPay {
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            api_v3_key,
            platform_keys: keys,
            mode,
            notify_url: notify_url.to_owned(),
        })
    }

    /// Checks a message signed by WeChat Pay (a notification, or an answer to us).
    fn verify_signed(
        &self,
        header: Headers<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), Refusal> {
        let missing = |name: &str| Refusal::Unsigned(format!("no Wechatpay-{name} header"));
        let timestamp = header("Wechatpay-Timestamp").ok_or_else(|| missing("Timestamp"))?;
        let nonce = header("Wechatpay-Nonce").ok_or_else(|| missing("Nonce"))?;
        let signature = header("Wechatpay-Signature").ok_or_else(|| missing("Signature"))?;
        let serial = header("Wechatpay-Serial").ok_or_else(|| missing("Serial"))?;
        let sent: i64 = timestamp.parse().map_err(|_| missing("Timestamp"))?;
        if (now.0 / 1000 - sent).abs() > MAX_CLOCK_SKEW_SECONDS {
            return Err(Refusal::Stale);
        }
        let key = self.platform_keys.get(&serial).ok_or(Refusal::UnknownKey)?;
        if !key.verifies(&signed_message(&timestamp, &nonce, body), &signature) {
            return Err(Refusal::Signature);
        }
        Ok(())
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
        Aes256Gcm::new(&self.api_v3_key.into())
            .decrypt(
                Nonce::from_slice(resource.nonce.as_bytes()),
                Payload {
                    msg: &ciphertext,
                    aad: resource.associated_data.as_bytes(),
                },
            )
            .map_err(|_| Refusal::Malformed("the resource does not decrypt".into()))
    }

    /// A transaction object's payment, after the merchant checks.
    fn paid(&self, transaction: Transaction) -> Result<Paid, Refusal> {
        if transaction.mchid != self.mchid || transaction.appid != self.appid {
            return Err(Refusal::WrongMerchant);
        }
        let amount = transaction.amount.ok_or(Refusal::NotPaid)?;
        if transaction.trade_state != "SUCCESS" || amount.currency != "CNY" {
            return Err(Refusal::NotPaid);
        }
        let paid_at = transaction
            .success_time
            .as_deref()
            .and_then(Timestamp::from_rfc3339)
            .ok_or_else(|| Refusal::Malformed("success_time is not RFC 3339".to_owned()))?;
        Ok(Paid {
            order_id: transaction.out_trade_no,
            transaction_id: transaction
                .transaction_id
                .ok_or_else(|| Refusal::Malformed("no transaction_id".into()))?,
            amount_fen: amount.total,
            paid_at,
        })
    }

    /// Sends a signed request to WeChat Pay and checks the answer's signature.
    async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<String>,
        now: Timestamp,
    ) -> Result<(u16, Vec<u8>), CallError> {
        let Mode::Live {
            api_url,
            merchant_serial,
            merchant_key,
            http,
        } = &self.mode
        else {
            return Err(CallError::Unreachable("the sandbox makes no calls".into()));
        };
        let timestamp = (now.0 / 1000).to_string();
        let nonce = super::nonce();
        let payload = body.clone().unwrap_or_default();
        let message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{payload}\n");
        let signature = merchant_key.sign(message.as_bytes());
        let authorization = format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{merchant_serial}\"",
            self.mchid
        );
        let mut headers = vec![
            ("Authorization", authorization),
            ("Accept", "application/json".to_owned()),
            ("User-Agent", "registration-gateway".to_owned()),
        ];
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        let url = format!("{api_url}{path_and_query}");
        let response = http
            .send(method, &url, &headers, body.map(String::into_bytes))
            .await
            .map_err(CallError::Unreachable)?;
        if (200..300).contains(&response.status) {
            self.verify_signed(&|name| response.header(name), &response.body, now)
                .map_err(|refusal| CallError::Unverified(refusal.to_string()))?;
        }
        Ok((response.status, response.body))
    }
}

/// The message WeChat Pay signs.
fn signed_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
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
    message
}

impl PaymentGateway for WeChatPay {
    fn provider(&self) -> Provider {
        Provider::WeChatPay
    }

    fn is_sandbox(&self) -> bool {
        matches!(self.mode, Mode::Sandbox(_))
    }

    fn create<'a>(
        &'a self,
        payment: NewPayment<'a>,
    ) -> LocalBoxFuture<'a, Result<PayInstructions, CreateError>> {
        Box::pin(async move {
            if let Mode::Sandbox(sandbox) = &self.mode {
                return Ok(sandbox.instructions(&payment.order.order_id));
            }
            let mut body = serde_json::json!({
                "appid": self.appid,
                "mchid": self.mchid,
                "description": payment.description,
                "out_trade_no": payment.order.order_id,
                "notify_url": self.notify_url,
                "amount": {"total": payment.order.amount_fen, "currency": "CNY"},
            });
            let (path, field, method) = match payment.channel {
                Channel::Qr => ("/v3/pay/transactions/native", "code_url", PayMethod::Qr),
                Channel::Mobile => {
                    body["scene_info"] = serde_json::json!({
                        "payer_client_ip": payment.client_ip,
                        "h5_info": {"type": "Wap"},
                    });
                    ("/v3/pay/transactions/h5", "h5_url", PayMethod::Link)
                }
            };
            let (status, answer) = self
                .call("POST", path, Some(body.to_string()), payment.now)
                .await?;
            let answer: serde_json::Value = serde_json::from_slice(&answer)
                .map_err(|error| CreateError::BadAnswer(error.to_string()))?;
            if status != 200 {
                return Err(CreateError::Provider(format!(
                    "HTTP {status} {}: {}",
                    answer["code"].as_str().unwrap_or_default(),
                    answer["message"].as_str().unwrap_or_default()
                )));
            }
            let content = answer[field]
                .as_str()
                .filter(|url| !url.is_empty())
                .ok_or_else(|| CreateError::BadAnswer(format!("no {field}")))?;
            Ok(PayInstructions::new(method, content.to_owned(), false))
        })
    }

    fn read_notification(
        &self,
        header: Headers<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Paid, Refusal> {
        self.verify_signed(header, body, now)?;
        let notification: EventNotification =
            serde_json::from_slice(body).map_err(|error| Refusal::Malformed(error.to_string()))?;
        let plaintext = self.decrypt(&notification.resource)?;
        let transaction: Transaction = serde_json::from_slice(&plaintext)
            .map_err(|error| Refusal::Malformed(error.to_string()))?;
        self.paid(transaction)
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            body: serde_json::json!({"code": "SUCCESS", "message": "成功"}).to_string(),
        }
    }

    fn refused(&self, refusal: &Refusal) -> Answer {
        Answer {
            status: refusal.status(),
            content_type: "application/json",
            body: failure_body(&refusal.to_string()).to_string(),
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
            let path = format!(
                "/v3/pay/transactions/out-trade-no/{}?mchid={}",
                order.order_id, self.mchid
            );
            let (status, body) = self.call("GET", &path, None, now).await?;
            if status == 404 {
                return Ok(OrderState::NotFound);
            }
            if status != 200 {
                return Err(QueryError::Unreachable(format!("HTTP {status}")));
            }
            let transaction: Transaction = serde_json::from_slice(&body)
                .map_err(|error| QueryError::Malformed(error.to_string()))?;
            if transaction.out_trade_no != order.order_id {
                return Err(QueryError::Malformed(format!(
                    "asked about {}, answered about {}",
                    order.order_id, transaction.out_trade_no
                )));
            }
            match transaction.trade_state.as_str() {
                "SUCCESS" => self
                    .paid(transaction)
                    .map(OrderState::from)
                    .map_err(|refusal| QueryError::Malformed(refusal.to_string())),
                "NOTPAY" | "USERPAYING" => Ok(OrderState::NotPaid),
                "CLOSED" | "REVOKED" | "PAYERROR" | "REFUND" => Ok(OrderState::Closed),
                other => Err(QueryError::Malformed(format!(
                    "unknown trade_state {other}"
                ))),
            }
        })
    }

    fn sandbox_notification(&self, paid: &Paid, now: Timestamp) -> Option<Notification> {
        let Mode::Sandbox(sandbox) = &self.mode else {
            return None;
        };
        let transaction = transaction_json(&self.mchid, &self.appid, paid, "SUCCESS");
        Some(provider_side::notification(
            sandbox.key(),
            &sandbox.certificate().serial_hex(),
            &self.api_v3_key,
            &transaction,
            now.0 / 1000,
        ))
    }
}

/// The transaction object WeChat Pay reports for `paid`.
pub fn transaction_json(mchid: &str, appid: &str, paid: &Paid, trade_state: &str) -> String {
    let success_time = format!(
        "{}+08:00",
        super::cst(paid.paid_at, false).replace(' ', "T")
    );
    serde_json::json!({
        "mchid": mchid, "appid": appid, "out_trade_no": paid.order_id,
        "transaction_id": paid.transaction_id, "trade_type": "NATIVE",
        "trade_state": trade_state, "trade_state_desc": "支付成功", "bank_type": "OTHERS",
        "attach": "", "success_time": success_time,
        "payer": {"openid": "sandbox-payer"},
        "amount": {"total": paid.amount_fen, "payer_total": paid.amount_fen,
                   "currency": "CNY", "payer_currency": "CNY"}
    })
    .to_string()
}

/// WeChat Pay's side of a notification: what the sandbox sends (and what the unit tests
/// forge from).
pub mod provider_side {
    use super::*;

    /// The notification WeChat Pay sends for a transaction object, encrypted under
    /// `api_v3_key` and signed with the platform `key` named `serial`, at `timestamp`.
    pub fn notification(
        key: &PrivateKey,
        serial: &str,
        api_v3_key: &[u8; 32],
        transaction: &str,
        timestamp: i64,
    ) -> Notification {
        let nonce = &super::super::nonce()[..12];
        let associated = "transaction";
        let ciphertext = Aes256Gcm::new(&(*api_v3_key).into())
            .encrypt(
                Nonce::from_slice(nonce.as_bytes()),
                Payload {
                    msg: transaction.as_bytes(),
                    aad: associated.as_bytes(),
                },
            )
            .unwrap_or_default();
        let body = serde_json::json!({
            "id": format!("EV-{nonce}"), "create_time": "2026-11-29T09:30:01+08:00",
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64::engine::general_purpose::STANDARD.encode(ciphertext),
                "associated_data": associated, "nonce": nonce}
        })
        .to_string()
        .into_bytes();
        let headers = signed_headers(key, serial, &body, timestamp);
        Notification { headers, body }
    }

    /// The `Wechatpay-*` headers signing `body` at `timestamp`.
    pub fn signed_headers(
        key: &PrivateKey,
        serial: &str,
        body: &[u8],
        timestamp: i64,
    ) -> Vec<(String, String)> {
        let nonce = super::super::nonce();
        let timestamp = timestamp.to_string();
        let signature = key.sign(&signed_message(&timestamp, &nonce, body));
        vec![
            ("Wechatpay-Timestamp".into(), timestamp),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Signature".into(), signature),
            ("Wechatpay-Serial".into(), serial.to_owned()),
            ("Content-Type".into(), "application/json".into()),
        ]
    }
}

/// The answer WeChat Pay reads as "failed, retry": HTTP 4XX/5XX with this body.
pub fn failure_body(message: &str) -> serde_json::Value {
    serde_json::json!({"code": "FAIL", "message": message})
}

#[derive(Debug, Deserialize)]
struct EventNotification {
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
    #[serde(default)]
    transaction_id: Option<String>,
    trade_state: String,
    #[serde(default)]
    success_time: Option<String>,
    #[serde(default)]
    amount: Option<Amount>,
}

#[derive(Debug, Deserialize)]
struct Amount {
    total: u32,
    currency: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test keys made for these tests only (`tests/keys/`); they sign nothing anywhere else.
    const PLATFORM_PRIVATE: &str = include_str!("../../../tests/keys/wechat-platform-test.pem");
    const PLATFORM_PUBLIC: &str = include_str!("../../../tests/keys/wechat-platform-test.pub.pem");
    const PLATFORM_CERTIFICATE: &str = include_str!("../../../tests/keys/wechat-platform-test.crt");
    const MERCHANT_PRIVATE: &str = include_str!("../../../tests/keys/wechat-merchant-test.pem");
    const API_V3_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
    const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72";
    // `date -d 2026-11-29T01:30:00Z +%s`
    const NOW: i64 = 1_795_915_800;

    fn merchant() -> WeChatPay {
        WeChatPay::live(
            "1900000109",
            "wxd678efh567hg6787",
            API_V3_KEY,
            &[
                PlatformKey::Certificate(PLATFORM_CERTIFICATE),
                PlatformKey::PublicKey("PUB_KEY_ID_0114232026112900000000000000", PLATFORM_PUBLIC),
            ],
            "3775B6A45ACD588826D15E583A95F5DD",
            MERCHANT_PRIVATE,
            "https://api.mch.weixin.qq.com",
            "https://bm.example.cn/v1/payments/wechat_pay/notify",
            HttpClient::new(std::time::Duration::from_secs(1)),
        )
        .expect("valid configuration")
    }

    fn platform() -> PrivateKey {
        PrivateKey::from_pem(PLATFORM_PRIVATE).expect("test key")
    }

    fn paid() -> Paid {
        Paid {
            order_id: "GK0123456789ABCDEFGHJKMNPQRS01".into(),
            transaction_id: "4200000000202611290000000001".into(),
            amount_fen: 12000,
            paid_at: Timestamp(NOW * 1000),
        }
    }

    fn transaction(state: &str, currency: &str, mchid: &str) -> String {
        transaction_json(mchid, "wxd678efh567hg6787", &paid(), state).replace(
            "\"currency\":\"CNY\"",
            &format!("\"currency\":\"{currency}\""),
        )
    }

    fn notification(plaintext: &str, timestamp: i64) -> Notification {
        provider_side::notification(&platform(), SERIAL, API_V3_KEY, plaintext, timestamp)
    }

    fn read(notification: &Notification) -> Result<Paid, Refusal> {
        merchant().read_notification(
            &|name| notification.header(name),
            &notification.body,
            Timestamp(NOW * 1000),
        )
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment() {
        let genuine = notification(&transaction("SUCCESS", "CNY", "1900000109"), NOW - 3);
        assert_eq!(read(&genuine), Ok(paid()));
        // Signed by the same platform key under its public-key id.
        let mut by_key_id = genuine.clone();
        by_key_id.headers = provider_side::signed_headers(
            &platform(),
            "PUB_KEY_ID_0114232026112900000000000000",
            &genuine.body,
            NOW,
        );
        assert_eq!(read(&by_key_id), Ok(paid()));
    }

    #[test]
    fn every_forgery_and_mistake_is_refused_by_name() {
        let plaintext = transaction("SUCCESS", "CNY", "1900000109");
        let genuine = notification(&plaintext, NOW);
        let with_header = |name: &str, value: &str| {
            let mut changed = genuine.clone();
            changed.headers.retain(|(key, _)| key != name);
            changed.headers.push((name.to_owned(), value.to_owned()));
            changed
        };
        // A body changed by one byte after signing.
        let mut tampered = genuine.clone();
        let last = tampered.body.len() - 2;
        tampered.body[last] ^= 1;
        assert_eq!(read(&tampered), Err(Refusal::Signature));
        // A signature by another key, or not base64.
        let other = PrivateKey::from_pem(MERCHANT_PRIVATE).expect("key");
        let mut forged = genuine.clone();
        forged.headers = provider_side::signed_headers(&other, SERIAL, &genuine.body, NOW);
        assert_eq!(read(&forged), Err(Refusal::Signature));
        assert_eq!(
            read(&with_header("Wechatpay-Signature", "%%%")),
            Err(Refusal::Signature)
        );
        // A serial nobody configured; a missing header; a stale (replayed) one.
        assert_eq!(
            read(&with_header("Wechatpay-Serial", "PUB_KEY_ID_0000")),
            Err(Refusal::UnknownKey)
        );
        let mut missing = genuine.clone();
        missing.headers.retain(|(key, _)| key != "Wechatpay-Nonce");
        assert!(matches!(read(&missing), Err(Refusal::Unsigned(m)) if m.contains("Nonce")));
        let old = notification(&plaintext, NOW - MAX_CLOCK_SKEW_SECONDS - 1);
        assert_eq!(read(&old), Err(Refusal::Stale));
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
            assert_eq!(read(&notification(&plaintext, NOW)), Err(refusal));
        }
        // Signed, but encrypted under another APIv3 key: it does not decrypt.
        let foreign = provider_side::notification(
            &platform(),
            SERIAL,
            b"ffffffffffffffffffffffffffffffff",
            &plaintext,
            NOW,
        );
        assert!(matches!(read(&foreign), Err(Refusal::Malformed(_))));
        // Every refusal is WeChat Pay's failure answer, 4xx or 5xx, so it retries.
        let answer = merchant().refused(&Refusal::Signature);
        assert_eq!(answer.status, 401);
        assert!(answer.body.contains("\"code\":\"FAIL\""));
        assert_eq!(merchant().refused(&Refusal::Unavailable).status, 503);
        assert_eq!(merchant().accepted().status, 200);
    }

    #[test]
    fn configuration_is_refused_at_start_when_malformed() {
        let http = HttpClient::new(std::time::Duration::from_secs(1));
        let platform = [PlatformKey::Certificate(PLATFORM_CERTIFICATE)];
        let build = |key: &[u8], platform: &[PlatformKey<'_>], merchant: &str| {
            WeChatPay::live("1", "a", key, platform, "s", merchant, "u", "n", http).err()
        };
        assert_eq!(
            build(b"short", &platform, MERCHANT_PRIVATE),
            Some(ConfigError::ApiV3Key)
        );
        assert_eq!(
            build(
                API_V3_KEY,
                &[PlatformKey::PublicKey(
                    "s",
                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
                )],
                MERCHANT_PRIVATE
            ),
            Some(ConfigError::PlatformKey("s".into()))
        );
        assert_eq!(
            build(API_V3_KEY, &[], MERCHANT_PRIVATE),
            Some(ConfigError::NoPlatformKey)
        );
        assert_eq!(
            build(API_V3_KEY, &platform, PLATFORM_PUBLIC),
            Some(ConfigError::MerchantKey)
        );
        let printed = format!("{:?}", merchant());
        assert!(!printed.contains("0123456789abcdef") && printed.contains(SERIAL));
    }

    #[test]
    fn the_sandbox_pays_through_the_same_verification() {
        let sandbox = Arc::new(Sandbox::new("http://127.0.0.1:8080"));
        let gateway = WeChatPay::sandbox(Arc::clone(&sandbox), "n");
        let paid = sandbox.pay(
            Provider::WeChatPay,
            "GK0123456789ABCDEFGHJKMNPQRS01",
            12000,
            Timestamp(NOW * 1000),
        );
        let sent = gateway
            .sandbox_notification(&paid, Timestamp(NOW * 1000))
            .expect("sandbox");
        assert_eq!(
            gateway.read_notification(&|name| sent.header(name), &sent.body, Timestamp(NOW * 1000)),
            Ok(paid.clone())
        );
        // A live merchant does not take the sandbox's notifications.
        assert_eq!(
            merchant().read_notification(
                &|name| sent.header(name),
                &sent.body,
                Timestamp(NOW * 1000)
            ),
            Err(Refusal::UnknownKey)
        );
        assert!(
            merchant()
                .sandbox_notification(&paid, Timestamp(NOW * 1000))
                .is_none()
        );
        assert!(gateway.is_sandbox() && !merchant().is_sandbox());
    }
}
