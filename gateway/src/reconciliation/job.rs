//! One reconciliation pass: every unpaid order — the registration fee's, the exam fee's,
//! each unpaid art/PE category's, and the adult exam's fee — older than a minimum age (a younger one's notification is probably still on its way), is
//! queried at its provider; a paid answer is recorded like a notification (same idempotency
//! key, `source = order_query`), so the pass and a late notification apply it once between
//! them. In scale-out mode a node checks only the candidates of the shards it owns.

use super::OrderState;
use crate::app::all_at_point;
use crate::app::payments::PaymentOutcome;
use crate::error::ApiError;
use crate::state::AppState;
use engine::candidate::{FeeOrder, PaymentSource};
use serde::Serialize;
use std::collections::BTreeMap;
use storage::{Journal as _, Partition, StateStore as _};

/// What one pass found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Orders asked about.
    pub orders_checked: u64,
    /// Payments this pass recorded (their notifications had not arrived).
    pub applied: u64,
    /// Paid at the provider and already recorded (a notification came first).
    pub already_applied: u64,
    /// Not paid yet.
    pub not_paid: u64,
    /// Closed without payment.
    pub closed: u64,
    /// Unknown to the provider.
    pub not_found: u64,
    /// Paid at the provider but refused by the engine (say, a wrong amount), by code.
    pub refused: BTreeMap<String, u64>,
    /// No usable answer (unreachable, bad signature, malformed), by kind.
    pub failed: BTreeMap<String, u64>,
}

/// Runs one pass over orders at least `min_age_seconds` old, asking each order's provider.
pub async fn reconcile(state: &AppState, min_age_seconds: i64) -> Result<Report, ApiError> {
    let cutoff = state.now().plus_seconds(-min_age_seconds);
    let shards = state.registry.shard_count();
    let mut report = Report::default();
    for division in &state.province.counties {
        let Some(county) = state.store.county(division.code).await? else {
            continue;
        };
        for point in county.points.values() {
            // Every status: art/PE categories and the exam fee are paid long after the
            // registration fee.
            for candidate in all_at_point(state, point.code, None).await? {
                let shard = Partition::Candidates(candidate.key.shard(shards));
                if state.store.owner_epoch(shard).is_none() {
                    continue;
                }
                check_candidate(state, &candidate, cutoff, &mut report).await;
            }
        }
    }
    // The adult exam's fee, confirmation point by point: only a registration confirmed at a
    // point has fee orders (its `CR` order numbers lead the payment to its record).
    for point in crate::app::adult::points::in_scope(state, &engine::scope::Scope::Province)
        .await
        .map_err(ApiError::from)?
    {
        let mut after = None;
        loop {
            let page = state
                .store
                .adult_candidates_at_point(point.code, None, after, ADULT_PAGE)
                .await?;
            after = page.last().map(|record| record.key);
            for record in page.iter().filter(|record| record.fee.paid.is_none()) {
                let shard = Partition::Candidates(record.key.shard(shards));
                if state.store.owner_epoch(shard).is_none() {
                    continue;
                }
                for order in record.fee.orders.iter().filter(|o| o.created_at <= cutoff) {
                    check_order(state, order, &mut report).await;
                }
            }
            if page.len() < ADULT_PAGE {
                break;
            }
        }
    }
    Ok(report)
}

/// Adult registrations read at a time.
const ADULT_PAGE: usize = 500;

/// Asks the providers about the candidate's unpaid orders made at or before `cutoff`, and
/// records what they report paid. Also the candidate's own "refresh payment status".
pub async fn check_candidate(
    state: &AppState,
    candidate: &engine::candidate::Candidate,
    cutoff: engine::time::Timestamp,
    report: &mut Report,
) {
    let unpaid_orders = candidate
        .accounts()
        .filter(|(_, account)| account.paid.is_none())
        .flat_map(|(_, account)| account.orders.iter())
        .filter(|order| order.created_at <= cutoff);
    for order in unpaid_orders {
        check_order(state, order, report).await;
    }
}

/// Asks the provider about one order and records a payment it reports.
async fn check_order(state: &AppState, order: &FeeOrder, report: &mut Report) {
    report.orders_checked += 1;
    let answer = match state.providers.get(order.provider) {
        Some(gateway) => gateway.query(order, state.now()).await,
        None => Err(super::QueryError::Unconfigured(order.provider.name())),
    };
    let (transaction_id, amount_fen, paid_at) = match answer {
        Ok(OrderState::Paid {
            transaction_id,
            amount_fen,
            paid_at,
        }) => (transaction_id, amount_fen, paid_at),
        Ok(OrderState::NotPaid) => return report.not_paid += 1,
        Ok(OrderState::Closed) => return report.closed += 1,
        Ok(OrderState::NotFound) => return report.not_found += 1,
        Err(error) => {
            crate::metrics::reconciliation(error.kind());
            *report.failed.entry(error.kind().to_owned()).or_default() += 1;
            return;
        }
    };
    let paid = crate::providers::Paid {
        order_id: order.order_id.clone(),
        transaction_id,
        amount_fen,
        paid_at,
    };
    let notice = crate::app::payments::notice(order.provider, paid, PaymentSource::OrderQuery);
    match crate::app::payments::record_payment(state, notice).await {
        // (`Received` is the inbox's answer; the query's payment is applied here and now.)
        Ok(PaymentOutcome::Applied | PaymentOutcome::Surplus | PaymentOutcome::Received) => {
            crate::metrics::reconciliation("applied");
            report.applied += 1;
        }
        Ok(PaymentOutcome::Duplicate) => {
            crate::metrics::reconciliation("already_applied");
            report.already_applied += 1;
        }
        Err(refusal) => {
            crate::metrics::reconciliation("refused");
            *report
                .refused
                .entry(ApiError::from(refusal).code.to_owned())
                .or_default() += 1;
        }
    }
}
