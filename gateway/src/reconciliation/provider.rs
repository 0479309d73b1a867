//! The providers' query-order API behind one trait.
//!
//! WeChat Pay (`GET /v3/pay/transactions/out-trade-no/{out_trade_no}`) and Alipay
//! (`alipay.trade.query`) answer with a trade state; reconciliation needs four of them:
//! paid (`SUCCESS` / `TRADE_SUCCESS`, with the transaction id, amount and time), not paid
//! yet (`NOTPAY` / `WAIT_BUYER_PAY`), closed (`CLOSED` / `TRADE_CLOSED`) and unknown order
//! (`ORDER_NOT_EXIST` / `ACQ.TRADE_NOT_EXIST`).
//!
//! The gateway reaches providers through an adapter per provider, [`SignedHttpQuery`]:
//! `GET <endpoint>/orders/<order_id>` answering JSON with the trade state, signed like the
//! provider's notifications (`X-Signature`: hex HMAC-SHA256 of the body under the merchant
//! key). The adapter holds the merchant certificates and speaks the provider's own API;
//! keeping certificates out of the gateway is why it sits behind this seam.

use engine::candidate::Provider;
use engine::time::Timestamp;
use futures::future::LocalBoxFuture;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::time::Duration;

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

/// Asks a provider about an order.
pub trait OrderQuery {
    /// The order's state at the provider.
    fn query<'a>(
        &'a self,
        provider: Provider,
        order_id: &'a str,
    ) -> LocalBoxFuture<'a, Result<OrderState, QueryError>>;
}

/// The adapter's answer, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryAnswer {
    /// Which order.
    pub order_id: String,
    /// `SUCCESS`, `NOTPAY`, `CLOSED` or `ORDER_NOT_EXIST` (WeChat Pay's names; the Alipay
    /// adapter maps `TRADE_SUCCESS`, `WAIT_BUYER_PAY`, `TRADE_CLOSED`, `ACQ.TRADE_NOT_EXIST`).
    pub trade_state: String,
    /// For `SUCCESS`.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// For `SUCCESS`.
    #[serde(default)]
    pub amount_fen: Option<u32>,
    /// For `SUCCESS`.
    #[serde(default)]
    pub paid_at_ms: Option<i64>,
}

impl QueryAnswer {
    /// The state this answer reports about `order_id`.
    pub fn state(self, order_id: &str) -> Result<OrderState, QueryError> {
        if self.order_id != order_id {
            return Err(QueryError::Malformed(format!(
                "asked about {order_id}, answered about {}",
                self.order_id
            )));
        }
        match self.trade_state.as_str() {
            "SUCCESS" => match (self.transaction_id, self.amount_fen, self.paid_at_ms) {
                (Some(transaction_id), Some(amount_fen), Some(paid_at_ms))
                    if !transaction_id.is_empty() =>
                {
                    Ok(OrderState::Paid {
                        transaction_id,
                        amount_fen,
                        paid_at: Timestamp(paid_at_ms),
                    })
                }
                _ => Err(QueryError::Malformed(
                    "SUCCESS without transaction_id, amount_fen and paid_at_ms".into(),
                )),
            },
            "NOTPAY" | "USERPAYING" => Ok(OrderState::NotPaid),
            "CLOSED" | "REVOKED" | "PAYERROR" => Ok(OrderState::Closed),
            "ORDER_NOT_EXIST" => Ok(OrderState::NotFound),
            other => Err(QueryError::Malformed(format!(
                "unknown trade_state {other}"
            ))),
        }
    }
}

/// The production [`OrderQuery`]: one signed HTTP adapter per provider.
pub struct SignedHttpQuery {
    endpoints: HashMap<Provider, String>,
    keys: HashMap<Provider, Vec<u8>>,
    timeout: Duration,
}

impl SignedHttpQuery {
    /// Adapters at `endpoints`, answers checked with the merchant `keys`.
    pub fn new(
        endpoints: HashMap<Provider, String>,
        keys: HashMap<Provider, Vec<u8>>,
        timeout: Duration,
    ) -> SignedHttpQuery {
        SignedHttpQuery {
            endpoints,
            keys,
            timeout,
        }
    }

    /// Whether any provider has an adapter.
    pub fn is_configured(&self) -> bool {
        !self.endpoints.is_empty()
    }
}

/// Checks an answer's signature and reads it.
pub fn verify_answer(
    key: &[u8],
    signature: Option<&str>,
    body: &[u8],
    order_id: &str,
) -> Result<OrderState, QueryError> {
    let signature = signature
        .and_then(|hex_text| hex::decode(hex_text).ok())
        .ok_or(QueryError::BadSignature)?;
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| QueryError::BadSignature)?;
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| QueryError::BadSignature)?;
    serde_json::from_slice::<QueryAnswer>(body)
        .map_err(|error| QueryError::Malformed(error.to_string()))?
        .state(order_id)
}

impl OrderQuery for SignedHttpQuery {
    fn query<'a>(
        &'a self,
        provider: Provider,
        order_id: &'a str,
    ) -> LocalBoxFuture<'a, Result<OrderState, QueryError>> {
        Box::pin(async move {
            let (Some(endpoint), Some(key)) =
                (self.endpoints.get(&provider), self.keys.get(&provider))
            else {
                return Err(QueryError::Unconfigured(provider.name()));
            };
            let url = format!("{}/orders/{order_id}", endpoint.trim_end_matches('/'));
            let mut response = awc::Client::default()
                .get(&url)
                .timeout(self.timeout)
                .send()
                .await
                .map_err(|error| QueryError::Unreachable(format!("{url}: {error}")))?;
            let body = response
                .body()
                .await
                .map_err(|error| QueryError::Unreachable(error.to_string()))?;
            if !response.status().is_success() {
                return Err(QueryError::Unreachable(format!(
                    "{url} answered {}",
                    response.status()
                )));
            }
            let signature = response
                .headers()
                .get("X-Signature")
                .and_then(|value| value.to_str().ok());
            verify_answer(key, signature, &body, order_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &[u8], body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("key");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn answers_map_to_states_and_bad_ones_are_refused() {
        let key = b"merchant";
        let paid = br#"{"order_id":"o1","trade_state":"SUCCESS","transaction_id":"t1","amount_fen":2000,"paid_at_ms":5}"#;
        assert_eq!(
            verify_answer(key, Some(&signed(key, paid)), paid, "o1"),
            Ok(OrderState::Paid {
                transaction_id: "t1".into(),
                amount_fen: 2000,
                paid_at: Timestamp(5)
            })
        );
        for (state, expected) in [
            ("NOTPAY", OrderState::NotPaid),
            ("CLOSED", OrderState::Closed),
            ("ORDER_NOT_EXIST", OrderState::NotFound),
        ] {
            let body = format!(r#"{{"order_id":"o1","trade_state":"{state}"}}"#);
            assert_eq!(
                verify_answer(
                    key,
                    Some(&signed(key, body.as_bytes())),
                    body.as_bytes(),
                    "o1"
                ),
                Ok(expected)
            );
        }
        // Signed with another key, unsigned, about another order, incomplete, unknown state.
        assert_eq!(
            verify_answer(key, Some(&signed(b"other", paid)), paid, "o1"),
            Err(QueryError::BadSignature)
        );
        assert_eq!(
            verify_answer(key, None, paid, "o1"),
            Err(QueryError::BadSignature)
        );
        assert!(matches!(
            verify_answer(key, Some(&signed(key, paid)), paid, "o2"),
            Err(QueryError::Malformed(m)) if m.contains("answered about o1")
        ));
        let incomplete = br#"{"order_id":"o1","trade_state":"SUCCESS","amount_fen":2000}"#;
        assert_eq!(
            verify_answer(key, Some(&signed(key, incomplete)), incomplete, "o1")
                .map_err(|e| e.kind()),
            Err("malformed")
        );
        let odd = br#"{"order_id":"o1","trade_state":"PENDING_FOREVER"}"#;
        assert_eq!(
            verify_answer(key, Some(&signed(key, odd)), odd, "o1").map_err(|e| e.kind()),
            Err("malformed")
        );
    }
}
