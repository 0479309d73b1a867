//! Money and identity arriving from outside, the use cases: a payment reported by a
//! provider (its notification, or the reconciliation's query of an order) and a
//! real-person authentication result from the identity provider. Who sent them is
//! established before (signatures, in the routes); what they mean is decided here and in
//! the engine.

use crate::app::AppError;
use crate::app::{load, run};
use crate::providers::{Answer, Headers, Paid, PaymentGateway, Refusal};
use crate::state::AppState;
use engine::Rejection;
use engine::candidate::{Command, Event, PaymentNotice, PaymentSource, Provider};
use serde::Serialize;

/// What a payment report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// It paid the fee.
    Applied,
    /// The fee was paid already: recorded as surplus (not refunded).
    Surplus,
    /// This provider transaction was applied before: nothing changed.
    Duplicate,
    /// Durable in the callback inbox; the shard applies it next (`app::inbox`).
    Received,
}

impl PaymentOutcome {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            PaymentOutcome::Applied => "applied",
            PaymentOutcome::Surplus => "surplus",
            PaymentOutcome::Duplicate => "duplicate",
            PaymentOutcome::Received => "received",
        }
    }
}

/// Records a payment on the candidate the order number names (order numbers embed the
/// key, `crate::orders`), once per provider transaction however often it is reported.
pub async fn record_payment(
    state: &AppState,
    notice: PaymentNotice,
) -> Result<PaymentOutcome, AppError> {
    Ok(record_payment_with(state, notice, Vec::new()).await?.0)
}

/// [`record_payment`], storing `attachments` in the same commit when the payment changes a
/// gaokao record (the inbox's removal of the entry it came from: one commit, not two); the
/// flag says whether they were stored (not when nothing changed, nor for an adult-exam
/// order, which has its own engine module and takes none).
pub async fn record_payment_with(
    state: &AppState,
    notice: PaymentNotice,
    attachments: Vec<storage::StateUpdate>,
) -> Result<(PaymentOutcome, bool), AppError> {
    let owner =
        crate::orders::owner_of(&notice.order_id).ok_or(engine::Rejection::PaymentOrderUnknown)?;
    let idempotency = notice.idempotency_key();
    let candidate = match owner {
        crate::orders::Owner::Gaokao(key) => key,
        crate::orders::Owner::Adult(key) => {
            let outcome = crate::app::adult::run(
                state,
                key,
                engine::adult::AdultCommand::ApplyPayment(notice),
                idempotency,
            )
            .await?;
            let outcome = outcome
                .events
                .iter()
                .find_map(|event| match event {
                    engine::adult::AdultEvent::FeePaid { .. } => Some(PaymentOutcome::Applied),
                    engine::adult::AdultEvent::SurplusRecorded { .. } => {
                        Some(PaymentOutcome::Surplus)
                    }
                    _ => None,
                })
                .unwrap_or(PaymentOutcome::Duplicate);
            return Ok((outcome, false));
        }
    };
    let outcome = run(
        state,
        candidate,
        Command::RecordPayment(notice),
        idempotency,
        attachments,
    )
    .await?;
    // The shard commits (with the attachments) exactly when there are events.
    let stored = !outcome.events.is_empty();
    let outcome = outcome
        .events
        .iter()
        .find_map(|event| match event {
            Event::FeePaymentApplied { .. } => Some(PaymentOutcome::Applied),
            Event::FeeSurplusRecorded { .. } => Some(PaymentOutcome::Surplus),
            _ => None,
        })
        .unwrap_or(PaymentOutcome::Duplicate);
    Ok((outcome, stored))
}

/// A provider's notification as received: verified by the provider's module, recorded, and
/// answered the way that provider expects — accepted (it stops), or refused with its failure
/// answer (it retries), the reason counted. Nothing is applied unless every check passes.
///
/// An error is returned only when the provider is not configured here, or the candidate's
/// shard is owned by another node (the answer is the redirect every write gets).
pub async fn notified(
    state: &AppState,
    provider: Provider,
    headers: Headers<'_>,
    body: &[u8],
) -> Result<Answer, AppError> {
    let gateway = configured(state, provider)?;
    let refuse = |refusal: Refusal| {
        crate::metrics::payment_notification_refused(provider.name(), refusal.label());
        Ok(gateway.refused(&refusal))
    };
    let mut paid = match gateway.read_notification(headers, body, state.now()) {
        Ok(paid) => paid,
        Err(refusal) => return refuse(refusal),
    };
    if gateway.is_sandbox() {
        paid.transaction_id = crate::providers::sandbox::marked(paid.transaction_id);
    }
    // Counted against the callback rate only once it verified: a flood of forgeries cannot
    // crowd out the provider's real notifications.
    if state.admission.admit_callback().is_err() {
        return refuse(Refusal::Unavailable);
    }
    let notice = notice(provider, paid, PaymentSource::Notification);
    match crate::app::inbox::receive_payment(state, notice).await {
        Ok(outcome) => {
            crate::metrics::payment_notification(provider.name(), outcome.label());
            Ok(gateway.accepted())
        }
        Err(error) => match refusal_of(error) {
            Ok(refusal) => refuse(refusal),
            Err(error) => Err(error),
        },
    }
}

/// The provider a candidate chose, if this deployment offers it (else 409 in Chinese).
pub fn offered(state: &AppState, provider: Provider) -> Result<&dyn PaymentGateway, AppError> {
    state
        .providers
        .get(provider)
        .ok_or_else(|| AppError::NotNow {
            code: "provider_unavailable",
            message: format!(
                "该支付方式暂未开通，请选择其他支付方式 ({} is not offered here)",
                provider.name()
            ),
        })
}

/// Asks the provider to create the payment of `order` (idempotent at every provider, so a
/// retry asks again for the same order); unreachable: 502, retry with the same request.
pub async fn create_payment(
    state: &AppState,
    gateway: &dyn PaymentGateway,
    order: &engine::candidate::FeeOrder,
    description: &str,
    payer: &crate::app::candidate::Payer,
) -> Result<crate::providers::PayInstructions, AppError> {
    gateway
        .create(crate::providers::NewPayment {
            order,
            description,
            channel: payer.channel,
            client_ip: &payer.client_ip,
            now: state.now(),
        })
        .await
        .map_err(|error| {
            crate::metrics::payment_create_failed(order.provider.name());
            AppError::Upstream {
                code: "provider_unreachable",
                message: format!("支付平台暂时无法创建支付，请稍后用同一请求重试 ({error})"),
            }
        })
}

/// The provider, if this deployment takes it.
fn configured(state: &AppState, provider: Provider) -> Result<&dyn PaymentGateway, AppError> {
    state
        .providers
        .get(provider)
        .ok_or_else(|| AppError::NotFound {
            code: "provider_unknown",
            message: format!("{} is not configured here", provider.name()),
        })
}

/// What the provider is told when recording failed; the errors a provider cannot act on
/// (another node owns the candidate: the redirect) are passed on.
fn refusal_of(error: AppError) -> Result<Refusal, AppError> {
    if let AppError::Actor(actors::ActorError::AdultRejected(rejection)) = &error {
        use engine::adult::Rejection as Adult;
        return Ok(match rejection {
            Adult::PaymentOrderUnknown | Adult::NotRegistered => Refusal::OrderUnknown,
            Adult::PaymentAmountMismatch { .. } => Refusal::WrongAmount,
            other => Refusal::Malformed(other.to_string()),
        });
    }
    let rejection = match &error {
        AppError::Rejected(rejection) => Some(rejection),
        AppError::Actor(actors::ActorError::Rejected(rejection)) => Some(rejection),
        AppError::Actor(actors::ActorError::Storage(storage::StorageError::NotOwner(_))) => {
            return Err(error);
        }
        _ => None,
    };
    Ok(match rejection {
        Some(Rejection::PaymentOrderUnknown | Rejection::CandidateNotFound) => {
            Refusal::OrderUnknown
        }
        Some(Rejection::PaymentAmountMismatch { .. }) => Refusal::WrongAmount,
        Some(other) => Refusal::Malformed(other.to_string()),
        // Another report of this transaction carried other details.
        None if matches!(
            error,
            AppError::Actor(actors::ActorError::IdempotencyKeyReused)
        ) =>
        {
            Refusal::Malformed("this transaction was reported before with other details".into())
        }
        None => Refusal::Unavailable,
    })
}

/// The engine's command for a verified payment.
pub fn notice(provider: Provider, paid: Paid, source: PaymentSource) -> PaymentNotice {
    PaymentNotice {
        provider,
        order_id: paid.order_id,
        transaction_id: paid.transaction_id,
        amount_fen: paid.amount_fen,
        paid_at: paid.paid_at,
        source,
    }
}

/// What paying in the sandbox did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SandboxPayment {
    /// Always true: no money moved (沙箱).
    pub sandbox: bool,
    /// The sandbox's transaction id.
    pub transaction_id: String,
    /// Amount "paid", fen.
    pub amount_fen: u32,
    /// Whether the notification was sent (false: a lost notification, for reconciliation
    /// to find).
    pub notified: bool,
    /// The HTTP status this service answered the notification with.
    pub notification_status: Option<u16>,
    /// What to tell the candidate.
    pub notice: String,
}

/// Pays an order in the demo's sandbox: the sandbox records the payment in its ledger and,
/// unless `notify` is false, sends the provider's own notification, signed with the
/// sandbox's key, through [`notified`] — the path a real notification takes.
pub async fn sandbox_pay(
    state: &AppState,
    order_id: &str,
    notify: bool,
) -> Result<SandboxPayment, AppError> {
    let not_found = || AppError::NotFound {
        code: "order_unknown",
        message: "没有这个订单 (no such order)".into(),
    };
    let sandbox = state
        .providers
        .sandbox()
        .ok_or_else(|| AppError::NotFound {
            code: "sandbox_unavailable",
            message: "the payment sandbox exists only in the demo".into(),
        })?;
    let order = match crate::orders::owner_of(order_id).ok_or_else(not_found)? {
        crate::orders::Owner::Gaokao(key) => {
            let candidate = load(state, key).await.map_err(|_| not_found())?;
            candidate
                .accounts()
                .flat_map(|(_, account)| account.orders.iter())
                .find(|order| order.order_id == order_id)
                .cloned()
        }
        crate::orders::Owner::Adult(key) => crate::app::adult::load(state, key)
            .await
            .map_err(|_| not_found())?
            .fee
            .orders
            .into_iter()
            .find(|order| order.order_id == order_id),
    }
    .ok_or_else(not_found)?;
    let gateway = configured(state, order.provider)?;
    let now = state.now();
    let paid = sandbox.pay(order.provider, order_id, order.amount_fen, now);
    let notification_status = match gateway.sandbox_notification(&paid, now) {
        Some(sent) if notify => {
            let answer =
                notified(state, order.provider, &|name| sent.header(name), &sent.body).await?;
            Some(answer.status)
        }
        _ => None,
    };
    Ok(SandboxPayment {
        sandbox: true,
        transaction_id: paid.transaction_id,
        amount_fen: paid.amount_fen,
        notified: notification_status.is_some(),
        notification_status,
        notice: "【沙箱 sandbox】演示支付成功，没有真实扣款。请回到报名页面刷新支付状态。".into(),
    })
}

/// In the demo only: the sandbox's identity provider verifies the candidate at once — the
/// result recorded for their ticket through [`record_identity_result`], with the digest of
/// the ID number the engine holds, as a real provider's callback would be.
pub async fn sandbox_identity(
    state: &AppState,
    myself: &crate::app::candidate::Myself<'_>,
    verification: &str,
) -> Result<(), AppError> {
    if state.providers.sandbox().is_none() {
        return Err(AppError::not_now(
            "identity_app_required",
            "complete the face verification in the identity provider's app with your ticket",
        ));
    }
    let candidate = myself.record().await?;
    let digest = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(
            candidate.capture.id_card.id_number.expose().as_bytes(),
        ))
    };
    record_identity_result(
        state,
        verification,
        true,
        format!("sandbox-{}", &digest[..12]),
        &digest,
    )
    .await
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
