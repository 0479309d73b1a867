//! Payment reconciliation: finding fees that were paid but whose notification never
//! arrived, by asking the provider about each ordered-but-unpaid order through its own query
//! API (`providers::PaymentGateway::query`: WeChat Pay's order query, `alipay.trade.query`,
//! UnionPay's `queryTrans.do`), and applying what it says exactly once.
//!
//! [`job`]: one pass over the province's unpaid orders (`POST /v1/payments/reconciliation`
//! runs it on demand; `--reconcile-interval-seconds` runs it periodically).
//!
//! Exactly once across both paths: a payment learned by query carries the same idempotency
//! key as its notification (`PaymentNotice::idempotency_key`), and the engine's ledger of
//! applied transactions refuses a second application whichever comes first.

pub mod job;

pub use crate::providers::{OrderState, QueryError};
pub use job::{Report, reconcile};
