//! Fees: an order for any of the candidate's fees — each with its own preconditions, window
//! and amount — and payments, applied to whichever account holds the order.

use super::*;
use crate::candidate::command::{PaymentNotice, Provider};
use crate::candidate::event::{Event, Payment};
use crate::candidate::{Candidate, FeeKind, transaction_ledger_key};
use crate::rejection::Rejection;
use crate::schedule::WindowKind;
use crate::time::Timestamp;

/// `Command::CreateFeeOrder`.
pub(super) fn create_order(
    candidate: &Candidate,
    fee: FeeKind,
    order_id: &str,
    provider: Provider,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let amount_fen = match fee {
        FeeKind::Registration => {
            ctx.schedule
                .require_open(registration_window(candidate.capture.track), at)?;
            require_activated(candidate)?;
            if candidate.fee.paid.is_some() {
                return Err(Rejection::FeeAlreadyPaid);
            }
            ctx.policy.registration_fee_fen
        }
        FeeKind::Exam => {
            ctx.schedule.require_open(WindowKind::ExamFee, at)?;
            if !candidate.signed_current_form() {
                return Err(Rejection::FormNotSigned);
            }
            if candidate.exam_fee.paid.is_some() {
                return Err(Rejection::ExamFeeAlreadyPaid);
            }
            ctx.policy.exam_fee_fen
        }
        FeeKind::ArtPe(category) => {
            ctx.schedule.require_open(WindowKind::ArtPe, at)?;
            let entry = candidate
                .art_pe
                .get(&category)
                .ok_or(Rejection::ArtPeCategoryNotChosen)?;
            if entry.is_paid() {
                return Err(Rejection::ArtPeCategoryPaid);
            }
            ctx.policy.art_pe_fee_fen
        }
    };
    check_reference("order_id", order_id)?;
    if candidate
        .all_orders()
        .any(|order| order.order_id == order_id)
    {
        return Err(Rejection::DuplicateOrder);
    }
    Ok(vec![Event::FeeOrdered {
        fee,
        order_id: order_id.to_owned(),
        provider,
        amount_fen,
        at,
    }])
}

/// `Command::RecordPayment`: applied to the account holding the order — once per provider
/// transaction across every account; a second payment of a paid fee is recorded as surplus.
/// Deliberately not window- or freeze-checked: the money has moved, so the record must
/// show it whenever the provider tells us.
pub(super) fn decide_payment(
    candidate: &Candidate,
    notice: &PaymentNotice,
    at: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let ledger_key = transaction_ledger_key(notice.provider, &notice.transaction_id);
    if candidate.transaction_applied(&ledger_key) {
        return Ok(vec![]);
    }
    check_reference("transaction_id", &notice.transaction_id)?;
    let (fee, order) = candidate
        .find_order(&notice.order_id, notice.provider)
        .ok_or(Rejection::PaymentOrderUnknown)?;
    if order.amount_fen != notice.amount_fen {
        return Err(Rejection::PaymentAmountMismatch {
            expected_fen: order.amount_fen,
            received_fen: notice.amount_fen,
        });
    }
    let payment = Payment {
        provider: notice.provider,
        order_id: notice.order_id.clone(),
        transaction_id: notice.transaction_id.clone(),
        amount_fen: notice.amount_fen,
        paid_at: notice.paid_at,
    };
    let already_paid = candidate
        .account(fee)
        .is_some_and(|account| account.paid.is_some());
    Ok(vec![if already_paid {
        Event::FeeSurplusRecorded { fee, payment, at }
    } else {
        Event::FeePaymentApplied { fee, payment, at }
    }])
}
