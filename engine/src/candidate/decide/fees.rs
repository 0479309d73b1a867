//! Fee orders (registration, exam, art/PE categories) and payments.

use super::*;
use crate::candidate::art_pe::ArtCategory;
use crate::candidate::command::{PaymentNotice, Provider};
use crate::candidate::event::{Event, Payment};
use crate::candidate::{Candidate, transaction_ledger_key};
use crate::rejection::Rejection;
use crate::schedule::WindowKind;
use crate::time::Timestamp;

/// `Command::CreateFeeOrder`.
pub(super) fn create_fee_order(
    candidate: &Candidate,
    order_id: &str,
    provider: &Provider,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let registration = registration_window(candidate.capture.track);

    ctx.schedule.require_open(registration, at)?;
    require_activated(candidate)?;
    if candidate.fee.paid.is_some() {
        return Err(Rejection::FeeAlreadyPaid);
    }
    check_reference("order_id", order_id)?;
    if candidate
        .fee
        .orders
        .iter()
        .any(|order| order.order_id == *order_id)
    {
        return Err(Rejection::DuplicateOrder);
    }
    Ok(vec![Event::FeeOrderCreated {
        order_id: order_id.to_owned(),
        provider: *provider,
        amount_fen: ctx.policy.registration_fee_fen,
        at,
    }])
}

/// `Command::CreateExamFeeOrder`.
pub(super) fn create_exam_fee_order(
    candidate: &Candidate,
    order_id: &str,
    provider: &Provider,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;

    ctx.schedule.require_open(WindowKind::ExamFee, at)?;
    if !candidate.signed_current_form() {
        return Err(Rejection::FormNotSigned);
    }
    if candidate.exam_fee.paid.is_some() {
        return Err(Rejection::ExamFeeAlreadyPaid);
    }
    check_reference("order_id", order_id)?;
    if candidate
        .all_orders()
        .any(|order| order.order_id == *order_id)
    {
        return Err(Rejection::DuplicateOrder);
    }
    Ok(vec![Event::ExamFeeOrderCreated {
        order_id: order_id.to_owned(),
        provider: *provider,
        amount_fen: ctx.policy.exam_fee_fen,
        at,
    }])
}

/// `Command::CreateArtFeeOrder`.
pub(super) fn create_art_fee_order(
    candidate: &Candidate,
    category: &ArtCategory,
    order_id: &str,
    provider: &Provider,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;

    ctx.schedule.require_open(WindowKind::ArtPe, at)?;
    let entry = candidate
        .art_pe
        .get(category)
        .ok_or(Rejection::ArtPeCategoryNotChosen)?;
    if entry.is_paid() {
        return Err(Rejection::ArtPeCategoryPaid);
    }
    check_reference("order_id", order_id)?;
    if candidate
        .all_orders()
        .any(|order| order.order_id == *order_id)
    {
        return Err(Rejection::DuplicateOrder);
    }
    Ok(vec![Event::ArtFeeOrderCreated {
        category: *category,
        order_id: order_id.to_owned(),
        provider: *provider,
        amount_fen: ctx.policy.art_pe_fee_fen,
        at,
    }])
}

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
    let matches = |order: &&crate::candidate::FeeOrder| {
        order.order_id == notice.order_id && order.provider == notice.provider
    };
    // Which fee the order is for: registration, exam, or one art/PE category's.
    let (order, target) = if let Some(order) = candidate.fee.orders.iter().find(matches) {
        (order, FeeTarget::Registration)
    } else if let Some(order) = candidate.exam_fee.orders.iter().find(matches) {
        (order, FeeTarget::Exam)
    } else {
        candidate
            .art_pe
            .iter()
            .find_map(|(category, entry)| {
                entry
                    .fee
                    .orders
                    .iter()
                    .find(matches)
                    .map(|order| (order, FeeTarget::ArtPe(*category)))
            })
            .ok_or(Rejection::PaymentOrderUnknown)?
    };
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
    let event = match target {
        FeeTarget::Registration if candidate.fee.paid.is_some() => {
            Event::SurplusPaymentRecorded { payment, at }
        }
        FeeTarget::Registration => Event::FeePaid { payment, at },
        FeeTarget::Exam if candidate.exam_fee.paid.is_some() => {
            Event::ExamSurplusPaymentRecorded { payment, at }
        }
        FeeTarget::Exam => Event::ExamFeePaid { payment, at },
        FeeTarget::ArtPe(category)
            if candidate.art_pe.get(&category).is_some_and(|e| e.is_paid()) =>
        {
            Event::ArtSurplusPaymentRecorded {
                category,
                payment,
                at,
            }
        }
        FeeTarget::ArtPe(category) => Event::ArtFeePaid {
            category,
            payment,
            at,
        },
    };
    Ok(vec![event])
}
