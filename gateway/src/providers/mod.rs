//! The payment providers as they really speak, one module per provider behind one trait,
//! [`PaymentGateway`]: create the payment at the provider (what the candidate scans, opens
//! or posts), verify and read a notification, answer it the way the provider expects, and
//! query an order (reconciliation, "refresh payment status").
//!
//! - [`wechat_pay`]: WeChat Pay API v3 (requests signed `WECHATPAY2-SHA256-RSA2048`,
//!   notifications and answers signed by a platform key and verified here, the resource
//!   decrypted with the APIv3 key).
//! - [`alipay`]: the Alipay open platform, RSA2.
//! - [`unionpay`]: UnionPay online gateway payments 5.1.0, signMethod 01.
//! - [`sandbox`]: the demo's stand-in for the providers' servers. Each provider module can run
//!   in sandbox mode: the order is "created" by a pay link to this service, and "paying"
//!   builds the provider's own notification, signed with the sandbox's key, which goes
//!   through the same verification and application as a real one. Refused outside the demo.
//! - [`config`]: the merchant accounts, keys and certificates from the deployment's
//!   payments file, refused at start when anything is malformed; never logged.
//!
//! What a notification *means* (which candidate, which fee, once per transaction) is not
//! decided here: a verified notification becomes a [`Paid`], and `app::payments` hands it to
//! the engine.

pub mod alipay;
pub mod config;
mod http;
mod keys;
pub mod sandbox;
pub mod unionpay;
pub mod wechat_pay;

use engine::candidate::{FeeOrder, Provider};
use engine::time::Timestamp;
use futures::future::LocalBoxFuture;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use http::HttpClient;

/// What the provider says about one of our orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// Paid.
    Paid {
        /// The provider's transaction id (the unit of exactly-once).
        transaction_id: String,
        /// Amount paid, in fen.
        amount_fen: u32,
        /// When it was paid.
        paid_at: Timestamp,
    },
    /// Created, not paid (the candidate may still pay).
    NotPaid,
    /// Closed without payment.
    Closed,
    /// The provider has no such order.
    NotFound,
}

/// Why a query gave no answer to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// No adapter is configured for the provider.
    #[error("no query endpoint is configured for {0}")]
    Unconfigured(&'static str),
    /// The adapter could not be reached or failed.
    #[error("the provider could not be asked: {0}")]
    Unreachable(String),
    /// The answer's signature does not verify: it is ignored.
    #[error("the provider's answer is not signed with the merchant key")]
    BadSignature,
    /// The answer is not what the protocol says (or is about another order).
    #[error("the provider's answer is malformed: {0}")]
    Malformed(String),
}

impl QueryError {
    /// A bounded name, for the report and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            QueryError::Unconfigured(_) => "unconfigured",
            QueryError::Unreachable(_) => "unreachable",
            QueryError::BadSignature => "bad_signature",
            QueryError::Malformed(_) => "malformed",
        }
    }
}

/// What the provider needs to create a payment for one of our orders.
#[derive(Debug, Clone, Copy)]
pub struct NewPayment<'a> {
    /// The order (its number, amount and creation time).
    pub order: &'a FeeOrder,
    /// What is paid for, shown by the provider to the payer ("湖南省普通高考报名费").
    pub description: &'a str,
    /// How the candidate will pay.
    pub channel: Channel,
    /// The payer's address (WeChat Pay's H5 payments require it).
    pub client_ip: &'a str,
    /// Now (requests are signed with the time).
    pub now: Timestamp,
}

/// Where the candidate pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A QR code shown on a computer and scanned with the provider's app (WeChat Pay
    /// Native, Alipay precreate, UnionPay's web gateway).
    Qr,
    /// In the phone's browser (WeChat Pay H5, Alipay WAP, UnionPay's mobile gateway).
    Mobile,
}

/// How the candidate pays an order, as the provider answered its creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PayInstructions {
    /// `qr`: show `content` as a QR code; `link`: open `content`; `form`: submit `fields`
    /// by POST to `content`.
    pub method: PayMethod,
    /// The QR payload or URL.
    pub content: String,
    /// The form's fields (`form` only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The demo's sandbox: no money moves (沙箱).
    pub sandbox: bool,
    /// What to tell the candidate (Chinese).
    pub notice: String,
}

/// See [`PayInstructions::method`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    /// A QR code.
    Qr,
    /// A link to open.
    Link,
    /// A form to post.
    Form,
}

impl PayInstructions {
    fn new(method: PayMethod, content: String, sandbox: bool) -> PayInstructions {
        let mut notice = String::from(
            "请在 30 分钟内完成支付。支付后请点击“刷新支付状态”，不要重复支付：重复支付的款项不会自动退回。",
        );
        if sandbox {
            notice.insert_str(0, "【沙箱 sandbox】演示环境，不会真实扣款。");
        }
        PayInstructions {
            method,
            content,
            fields: BTreeMap::new(),
            sandbox,
            notice,
        }
    }
}

/// A payment a provider reported, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// Our order number.
    pub order_id: String,
    /// The provider's transaction id (the unit of exactly-once).
    pub transaction_id: String,
    /// Amount paid, fen.
    pub amount_fen: u32,
    /// When it was paid.
    pub paid_at: Timestamp,
}

/// Why a notification was not accepted. Each is answered with the provider's failure answer
/// and counted by its label; nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A required header or parameter is missing or malformed.
    #[error("the notification is malformed: {0}")]
    Malformed(String),
    /// It carries no signature, or none that can be read: unauthenticated.
    #[error("the notification is not signed: {0}")]
    Unsigned(String),
    /// The signature names no key or certificate configured here.
    #[error("the notification is signed by a key that is not configured")]
    UnknownKey,
    /// The timestamp is outside the replay window.
    #[error("the notification's timestamp is stale")]
    Stale,
    /// The signature does not verify (tampered, forged, or a weak algorithm).
    #[error("the signature does not verify")]
    Signature,
    /// Another merchant, app or merchant id.
    #[error("the notification is for another merchant")]
    WrongMerchant,
    /// Not a successful payment, or not in CNY.
    #[error("not a successful payment in CNY")]
    NotPaid,
    /// No such order of ours (or an order of another candidate, or another provider's).
    #[error("no such order")]
    OrderUnknown,
    /// The amount is not the order's.
    #[error("the amount is not the order's")]
    WrongAmount,
    /// We could not record it now (overload, storage): the provider should retry.
    #[error("cannot record the payment now")]
    Unavailable,
}

impl Refusal {
    /// The metric label (bounded).
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Unsigned(_) => "unsigned",
            Refusal::UnknownKey => "unknown_key",
            Refusal::Stale => "stale",
            Refusal::Signature => "signature",
            Refusal::WrongMerchant => "wrong_merchant",
            Refusal::NotPaid => "not_paid",
            Refusal::OrderUnknown => "order_unknown",
            Refusal::WrongAmount => "wrong_amount",
            Refusal::Unavailable => "unavailable",
        }
    }

    /// The HTTP status of the failure answer: 5xx when retrying later may succeed, 4xx
    /// otherwise (WeChat Pay retries both; the others retry anything but their success).
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Unavailable => 503,
            Refusal::Unsigned(_) | Refusal::Signature | Refusal::UnknownKey | Refusal::Stale => 401,
            _ => 400,
        }
    }
}

/// An answer to a provider, in its own format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: String,
}

/// Why a payment could not be created at the provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// The provider could not be reached, or answered with an error.
    #[error("the payment provider could not create the payment: {0}")]
    Provider(String),
    /// The provider's answer does not verify or is not what its protocol says.
    #[error("the payment provider's answer is not valid: {0}")]
    BadAnswer(String),
    /// This way of paying is not offered by the provider here.
    #[error("this provider offers no {0} payment here")]
    Channel(&'static str),
}

/// Why a call to a provider's API gave no answer to act on; what creating a payment and
/// querying an order make of it.
#[derive(Debug)]
pub(crate) enum CallError {
    /// Not reached, or answered with an HTTP failure.
    Unreachable(String),
    /// The answer's signature does not verify.
    Unverified(String),
    /// The answer is not what the protocol says.
    Malformed(String),
}

impl From<CallError> for CreateError {
    fn from(error: CallError) -> CreateError {
        match error {
            CallError::Unreachable(message) => CreateError::Provider(message),
            CallError::Unverified(message) | CallError::Malformed(message) => {
                CreateError::BadAnswer(message)
            }
        }
    }
}

impl From<CallError> for QueryError {
    fn from(error: CallError) -> QueryError {
        match error {
            CallError::Unreachable(message) => QueryError::Unreachable(message),
            CallError::Unverified(_) => QueryError::BadSignature,
            CallError::Malformed(message) => QueryError::Malformed(message),
        }
    }
}

/// Reads a request header by name (case-insensitive, as HTTP headers are).
pub type Headers<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One provider, as this service speaks to it.
pub trait PaymentGateway: Send + Sync {
    /// Which one.
    fn provider(&self) -> Provider;

    /// Whether this is the demo's sandbox.
    fn is_sandbox(&self) -> bool;

    /// Creates the payment for an order at the provider (idempotent per order number at
    /// every provider: a retry gets the same payment).
    fn create<'a>(
        &'a self,
        payment: NewPayment<'a>,
    ) -> LocalBoxFuture<'a, Result<PayInstructions, CreateError>>;

    /// Verifies a notification received at `now` and reads the payment in it.
    fn read_notification(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Paid, Refusal>;

    /// The answer that stops the provider's retries.
    fn accepted(&self) -> Answer;

    /// The answer that says "not accepted" (the provider retries on its schedule).
    fn refused(&self, refusal: &Refusal) -> Answer;

    /// The order's state at the provider, asked at `now`.
    fn query<'a>(
        &'a self,
        order: &'a FeeOrder,
        now: Timestamp,
    ) -> LocalBoxFuture<'a, Result<OrderState, QueryError>>;

    /// In the sandbox only: the notification the provider would send for `paid`, signed
    /// with the sandbox's key — headers and body — to be read by
    /// [`PaymentGateway::read_notification`] like any other.
    fn sandbox_notification(&self, paid: &Paid, now: Timestamp) -> Option<Notification>;
}

/// A notification as sent: headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Notification {
    /// A header by name, case-insensitive.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }
}

/// A nonce for a signed request: 32 hex characters.
pub(crate) fn nonce() -> String {
    crate::random_hex(16).unwrap_or_else(|| "0".repeat(32))
}

/// The providers configured here.
#[derive(Default)]
pub struct Providers {
    gateways: HashMap<Provider, Box<dyn PaymentGateway>>,
    sandbox: Option<std::sync::Arc<sandbox::Sandbox>>,
}

impl Providers {
    /// The providers of `gateways`, and the sandbox they run in (demo only).
    pub fn new(
        gateways: Vec<Box<dyn PaymentGateway>>,
        sandbox: Option<std::sync::Arc<sandbox::Sandbox>>,
    ) -> Providers {
        Providers {
            gateways: gateways
                .into_iter()
                .map(|gateway| (gateway.provider(), gateway))
                .collect(),
            sandbox,
        }
    }

    /// The provider, if configured.
    pub fn get(&self, provider: Provider) -> Option<&dyn PaymentGateway> {
        self.gateways.get(&provider).map(|gateway| gateway.as_ref())
    }

    /// The demo's sandbox, if this is the demo.
    pub fn sandbox(&self) -> Option<&sandbox::Sandbox> {
        self.sandbox.as_deref()
    }

    /// Which providers are configured (for `/healthz` and the start-up line).
    pub fn configured(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.gateways.keys().map(|p| p.name()).collect();
        names.sort_unstable();
        names
    }
}

impl From<Paid> for OrderState {
    fn from(paid: Paid) -> OrderState {
        OrderState::Paid {
            transaction_id: paid.transaction_id,
            amount_fen: paid.amount_fen,
            paid_at: paid.paid_at,
        }
    }
}

/// What the sandbox's ledger says about an order, as a provider's query would.
fn sandbox_state(sandbox: &sandbox::Sandbox, order_id: &str) -> OrderState {
    sandbox
        .paid(order_id)
        .map_or(OrderState::NotPaid, OrderState::from)
}

/// `Provider` by its API name.
pub fn named(name: &str) -> Option<Provider> {
    [Provider::WeChatPay, Provider::Alipay, Provider::UnionPay]
        .into_iter()
        .find(|provider| provider.name() == name)
}

/// China Standard Time as the providers write it: `yyyy-MM-dd HH:mm:ss` (Alipay) or
/// `yyyyMMddHHmmss` (UnionPay).
pub(crate) fn cst(at: Timestamp, compact: bool) -> String {
    let (date, hour, minute) = at.to_cst();
    let second = (at.0 / 1000).rem_euclid(60);
    let (y, m, d) = (date.year(), date.month(), date.day());
    if compact {
        format!("{y:04}{m:02}{d:02}{hour:02}{minute:02}{second:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {hour:02}:{minute:02}:{second:02}")
    }
}

/// Reads the providers' CST forms back ([`cst`]).
pub(crate) fn from_cst(text: &str, compact: bool) -> Option<Timestamp> {
    let rfc3339 = if compact {
        if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        format!(
            "{}-{}-{}T{}:{}:{}+08:00",
            &text[0..4],
            &text[4..6],
            &text[6..8],
            &text[8..10],
            &text[10..12],
            &text[12..14]
        )
    } else {
        let (date, time) = text.split_once(' ')?;
        format!("{date}T{time}+08:00")
    };
    Timestamp::from_rfc3339(&rfc3339)
}

/// `12000` fen → `120.00` yuan.
pub(crate) fn fen_to_yuan(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_standard_time_both_ways() {
        // `date -d 2026-11-29T01:30:05Z +%s`
        let at = Timestamp(1_795_915_805_000);
        assert_eq!(cst(at, false), "2026-11-29 09:30:05");
        assert_eq!(cst(at, true), "20261129093005");
        assert_eq!(from_cst("2026-11-29 09:30:05", false), Some(at));
        assert_eq!(from_cst("20261129093005", true), Some(at));
        assert_eq!(from_cst("2026112909300", true), None);
        assert_eq!(from_cst("2026-11-29T09:30:05", false), None);
        assert_eq!(fen_to_yuan(12000), "120.00");
        assert_eq!(fen_to_yuan(1), "0.01");
    }
}
