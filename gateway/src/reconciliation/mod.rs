//! Payment reconciliation: finding fees that were paid but whose notification never
//! arrived, by asking the provider about each ordered-but-unpaid order, and applying what it
//! says exactly once.
//!
//! - [`provider`]: the providers behind one trait ([`OrderQuery`]), with their query-order
//!   answers reduced to WeChat Pay / Alipay `trade_state` semantics, and the signed HTTP
//!   adapter the gateway uses in production.
//! - [`job`]: one pass over the province's unpaid orders (`POST /v1/payments/reconciliation`
//!   runs it on demand; `--reconcile-interval-seconds` runs it periodically).
//!
//! Exactly once across both paths: a payment learned by query carries the same idempotency
//! key as its notification (`PaymentNotice::idempotency_key`), and the engine's ledger of
//! applied transactions refuses a second application whichever comes first.

pub mod job;
pub mod provider;

pub use job::{Report, reconcile};
pub use provider::{OrderQuery, OrderState, QueryError, SignedHttpQuery};
