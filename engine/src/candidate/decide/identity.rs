//! Who the candidate is: the capture, the approvals of documents and migrant eligibility,
//! in-person ID verification, first login.

use super::*;
use crate::candidate::Candidate;
use crate::candidate::command::{Capture, CaptureMode};
use crate::candidate::event::Event;
use crate::org::{CityCode, CountyCode, PointCode};
use crate::rejection::Rejection;
use crate::time::Date;

/// `Command::ApproveOtherDocument`.
pub(super) fn approve_other_document(
    candidate: &Candidate,
    city: &CityCode,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    if candidate.capture.point.county().city() != *city {
        return Err(Rejection::OutOfScope);
    }
    if !candidate.document_approval_pending {
        return Ok(vec![]);
    }
    Ok(vec![Event::OtherDocumentApproved { city: *city, at }])
}

/// `Command::ApproveMigrantEligibility`.
pub(super) fn approve_migrant_eligibility(
    candidate: &Candidate,
    county: &CountyCode,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    if candidate.capture.point.county() != *county {
        return Err(Rejection::OutOfScope);
    }
    if !candidate.migrant_audit_pending {
        return Err(Rejection::MigrantAuditNotPending);
    }
    Ok(vec![Event::MigrantEligibilityApproved {
        county: *county,
        at,
    }])
}

/// `Command::VerifyIdAtPoint`.
pub(super) fn verify_id_at_point(
    candidate: &Candidate,
    point: &PointCode,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    if candidate.capture.point.county() != point.county() {
        return Err(Rejection::OutOfScope);
    }
    if !candidate.id_verification_pending {
        return Err(Rejection::IdVerificationNotPending);
    }
    Ok(vec![Event::IdVerifiedAtPoint { point: *point, at }])
}

/// `Command::FirstLogin`.
pub(super) fn first_login(
    candidate: &Candidate,
    name: &str,
    valid_until: &Option<Date>,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    // Identity first, so nothing about the record's status reaches anyone who does
    // not know the captured facts. Once passwords are set, first login is closed for
    // good (only the point's reset opens it again): name, ID number and validity are
    // known to classmates, teachers and brokers, so they must never be a credential
    // beside the passwords. The refusal is the same as a mismatch.
    let card = &candidate.capture.id_card;
    if card.name != *name || card.valid_until != *valid_until {
        return Err(Rejection::IdentityMismatch);
    }
    if candidate.passwords.is_some() {
        return Err(Rejection::IdentityMismatch);
    }
    if candidate.document_approval_pending {
        return Err(Rejection::DocumentApprovalPending);
    }
    if candidate.migrant_audit_pending {
        return Err(Rejection::MigrantAuditPending);
    }
    if candidate.activated_at.is_some() {
        return Ok(vec![]);
    }
    Ok(vec![Event::FirstLoginVerified { at }])
}

pub(super) fn decide_capture(
    capture: &Capture,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    ctx.schedule
        .require_open(registration_window(capture.track), ctx.now)?;
    require_not_frozen(ctx)?;
    let card = &capture.id_card;
    let name_chars = card.name.chars().count();
    if card.name.trim().is_empty()
        || name_chars > MAX_NAME_CHARS
        || card.name.chars().any(crate::text::is_forbidden)
    {
        return Err(Rejection::IdCardFieldInvalid { field: "name" });
    }
    if card.address.trim().is_empty()
        || card.address.chars().count() > MAX_ADDRESS_CHARS
        || crate::text::has_forbidden(&card.address)
    {
        return Err(Rejection::IdCardFieldInvalid { field: "address" });
    }
    if crate::ethnicity::name(card.ethnicity).is_none() {
        return Err(Rejection::IdCardFieldInvalid { field: "ethnicity" });
    }
    if card.birth_date != card.id_number.birth_date() {
        return Err(Rejection::IdCardInconsistent {
            field: "birth_date",
        });
    }
    if card.gender != card.id_number.gender() {
        return Err(Rejection::IdCardInconsistent { field: "gender" });
    }
    let (today, _, _) = ctx.now.to_cst();
    if card.birth_date.years_until(today) < ctx.policy.minimum_age_years {
        return Err(Rejection::IdCardFieldInvalid {
            field: "birth_date",
        });
    }
    let expired = card.valid_until.is_some_and(|until| until < today);
    match (&capture.mode, expired) {
        (CaptureMode::CardRead, true) => return Err(Rejection::IdCardExpired),
        (CaptureMode::TypedExpiredCard, false) => return Err(Rejection::IdCardNotExpired),
        (
            CaptureMode::OtherDocument {
                document,
                explanation,
            },
            _,
        ) if (document.trim().is_empty()
            || explanation.trim().is_empty()
            || crate::text::has_forbidden(document)
            || crate::text::has_forbidden(explanation)) =>
        {
            return Err(Rejection::IdCardFieldInvalid {
                field: "explanation",
            });
        }
        _ => {}
    }
    if capture.serial.city_county_code() != capture.point.county().city_county_code() {
        return Err(Rejection::SerialOutsideRange {
            point: capture.point,
            serial: capture.serial,
        });
    }
    ctx.policy.photo.check(&capture.photo)?;
    Ok(vec![Event::Captured {
        key: ctx.key,
        capture: Box::new(capture.clone()),
        at: ctx.now,
    }])
}
