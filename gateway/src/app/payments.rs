//! Money and identity arriving from outside, the use cases: a payment reported by a
//! provider (its notification, or the reconciliation's query of an order) and a
//! real-person authentication result from the identity provider. Who sent them is
//! established before (signatures, in the routes); what they mean is decided here and in
//! the engine.

use crate::app::AppError;
use crate::app::{load, run};
use crate::state::AppState;
use engine::candidate::{Command, Event, PaymentNotice};

/// What a payment report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// It paid the fee.
    Applied,
    /// The fee was paid already: recorded as surplus (not refunded).
    Surplus,
    /// This provider transaction was applied before: nothing changed.
    Duplicate,
}

impl PaymentOutcome {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            PaymentOutcome::Applied => "applied",
            PaymentOutcome::Surplus => "surplus",
            PaymentOutcome::Duplicate => "duplicate",
        }
    }
}

/// Records a payment on the candidate the order number names (order numbers embed the
/// key, `crate::orders`), once per provider transaction however often it is reported.
pub async fn record_payment(
    state: &AppState,
    notice: PaymentNotice,
) -> Result<PaymentOutcome, AppError> {
    let candidate =
        crate::orders::key_of(&notice.order_id).ok_or(engine::Rejection::PaymentOrderUnknown)?;
    let idempotency = notice.idempotency_key();
    let outcome = run(
        state,
        candidate,
        Command::RecordPayment(notice),
        idempotency,
        Vec::new(),
    )
    .await?;
    Ok(outcome
        .events
        .iter()
        .find_map(|event| match event {
            Event::FeePaymentApplied { .. } => Some(PaymentOutcome::Applied),
            Event::FeeSurplusRecorded { .. } => Some(PaymentOutcome::Surplus),
            _ => None,
        })
        .unwrap_or(PaymentOutcome::Duplicate))
}

/// Records the identity provider's result for the verification ticket the candidate's own
/// session started: the candidate comes from the ticket, never from the callback, and the
/// ID number the provider verified must be that candidate's. One result per ticket: a
/// second callback with another result under the same nonce is refused.
pub async fn record_identity_result(
    state: &AppState,
    verification: &str,
    passed: bool,
    reference: String,
    id_number_sha256: &str,
) -> Result<(), AppError> {
    let refused = |error: crate::verification::VerificationError| {
        AppError::invalid(error.code(), error.to_string())
    };
    let ticket = state
        .verifications
        .check(verification, state.now())
        .map_err(refused)?;
    let key = ticket.candidate;
    let candidate = load(state, key).await?;
    crate::verification::same_person(
        candidate.capture.id_card.id_number.expose(),
        id_number_sha256,
    )
    .map_err(refused)?;
    let idempotency = format!("identity-{}", ticket.nonce);
    let command = Command::RecordRealPersonAuth { passed, reference };
    run(state, key, command, idempotency, Vec::new()).await?;
    Ok(())
}
