//! Bonus-point and special-plan declarations: made, withdrawn, reviewed.

use super::*;
use crate::candidate::Candidate;
use crate::candidate::command::SavePasswordCheck;
use crate::candidate::declaration::DeclarationKind;
use crate::candidate::event::Event;
use crate::rejection::Rejection;
use crate::schedule::WindowKind;
use crate::time::Timestamp;

/// `Command::Declare`.
pub(super) fn declare(
    candidate: &Candidate,
    kind: &DeclarationKind,
    item: &str,
    documents: &[String],
    save_password: &SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_saving_in(WindowKind::BonusDeclaration, candidate, *save_password, ctx)?;
    let catalogue = &ctx.policy.declarations;
    crate::candidate::declaration::check(catalogue, *kind, item, documents)?;
    if candidate.declarations.len() >= catalogue.max_per_candidate as usize {
        return Err(Rejection::DeclarationLimit {
            limit: catalogue.max_per_candidate,
        });
    }
    let declared = candidate.declarations.iter().any(|d| {
        d.kind == *kind
            && d.item == *item
            && d.review != crate::candidate::declaration::Review::Withdrawn
    });
    if declared {
        return Err(Rejection::DeclarationDuplicate);
    }
    // Withdrawn declarations stay in the list, so numbers are never reused.
    let id = candidate.declarations.len() as u32 + 1;
    Ok(vec![Event::Declared {
        id,
        kind: *kind,
        item: item.to_owned(),
        documents: documents.to_vec(),
        at,
    }])
}

/// `Command::WithdrawDeclaration`.
pub(super) fn withdraw_declaration(
    candidate: &Candidate,
    id: &u32,
    save_password: &SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_saving_in(WindowKind::BonusDeclaration, candidate, *save_password, ctx)?;
    let declaration = candidate
        .declarations
        .iter()
        .find(|d| d.id == *id)
        .ok_or(Rejection::DeclarationUnknown)?;
    if declaration.review != crate::candidate::declaration::Review::Pending {
        return Err(Rejection::DeclarationNotAwaiting);
    }
    Ok(vec![Event::DeclarationWithdrawn { id: *id, at }])
}

/// A county's (first) or city's (second) decision on a declaration. Reviews are not
/// window-checked: they follow the declaration window at the reviewers' pace.
pub(super) fn decide_review(
    candidate: &Candidate,
    id: u32,
    level: crate::candidate::declaration::ReviewLevel,
    org: u32,
    approved: bool,
    reason: Option<&str>,
    at: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    use crate::candidate::declaration::{Review, ReviewLevel};
    let county = candidate.capture.point.county();
    let own = match level {
        ReviewLevel::County => county.code() == org,
        ReviewLevel::City => u32::from(county.city().code()) == org,
    };
    if !own {
        return Err(Rejection::OutOfScope);
    }
    let declaration = candidate
        .declarations
        .iter()
        .find(|d| d.id == id)
        .ok_or(Rejection::DeclarationUnknown)?;
    let awaiting = matches!(
        (level, &declaration.review),
        (ReviewLevel::County, Review::Pending) | (ReviewLevel::City, Review::CountyApproved)
    );
    if !awaiting {
        return Err(Rejection::DeclarationNotAwaiting);
    }
    let review = if approved {
        match level {
            ReviewLevel::County => Review::CountyApproved,
            ReviewLevel::City => Review::Approved,
        }
    } else {
        let reason = reason.unwrap_or_default();
        crate::candidate::declaration::check_reason(reason)?;
        Review::Rejected {
            by: level,
            reason: reason.to_owned(),
        }
    };
    Ok(vec![Event::DeclarationReviewed { id, review, at }])
}
