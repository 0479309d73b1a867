//! What may be printed, and for whom — the rules behind the PDFs (rendering is
//! `crate::documents`, called by the routes like a template): the registration form once
//! saved, the admission ticket once the exam fee is paid, the art/PE exam ticket for the
//! paid categories only, the migrant audit form for migrant workers' children, and a point's
//! login cards in runs.

use crate::app::AppError;
use crate::app::{page_at_point, page_bounds};
use crate::sessions::Caller;
use crate::state::AppState;
use engine::candidate::art_pe::ArtCategory;
use engine::candidate::{Candidate, Status};
use engine::key::CandidateKey;
use engine::org::PointCode;

/// Most login cards one request prints (250 A4 pages); a larger point prints in runs.
pub const MAX_LOGIN_CARDS: usize = 1000;

/// The registration form prints once it has been saved.
pub fn registration_form(candidate: &Candidate) -> Result<(), AppError> {
    if candidate.form.is_none() {
        return Err(AppError::not_now(
            "form_not_saved",
            "the registration form has not been saved yet; save it before printing",
        ));
    }
    Ok(())
}

/// The admission ticket prints once the exam fee is paid.
pub fn admission_ticket(candidate: &Candidate) -> Result<(), AppError> {
    if candidate.exam_fee.paid.is_none() {
        return Err(AppError::not_now(
            "exam_fee_not_paid",
            "the admission ticket can be printed once the exam fee is paid",
        ));
    }
    Ok(())
}

/// The migrant audit form is for migrant workers' children only.
pub fn migrant_audit_form(candidate: &Candidate) -> Result<(), AppError> {
    if !candidate.capture.migrant_child {
        return Err(AppError::not_now(
            "not_a_migrant_child",
            "this candidate was not registered as a migrant worker's child",
        ));
    }
    Ok(())
}

/// The art/PE categories the exam ticket lists: the paid ones (only those may be sat),
/// with their items; refused when none is paid.
pub fn art_pe_exam_ticket(
    candidate: &Candidate,
) -> Result<Vec<(ArtCategory, String, Option<String>)>, AppError> {
    let paid: Vec<_> = candidate
        .art_pe
        .iter()
        .filter(|(_, entry)| entry.is_paid())
        .map(|(category, entry)| (*category, entry.main_item.clone(), entry.sub_item.clone()))
        .collect();
    if paid.is_empty() {
        return Err(AppError::not_now(
            "art_pe_not_paid",
            "no art/PE category is paid; only paid categories can be sat and printed",
        ));
    }
    Ok(paid)
}

/// One run of `point`'s login cards for an operator covering the point: the candidates (of
/// `status`, if named) after `after`, at most `limit` ([`MAX_LOGIN_CARDS`]), in serial
/// order, and where the next run starts.
pub async fn point_login_cards(
    state: &AppState,
    caller: &Caller,
    point: PointCode,
    status: Option<&str>,
    after: Option<&str>,
    limit: Option<usize>,
) -> Result<(Vec<Candidate>, Option<CandidateKey>), AppError> {
    if !caller.0.scope.covers_point(point) {
        return Err(AppError::out_of_scope());
    }
    let (after, limit) = page_bounds(after, limit, MAX_LOGIN_CARDS)?;
    let _place = state.heavy.enter(&caller.0.subject)?;
    let status = match status {
        None => None,
        Some(name) => Some(
            Status::ALL
                .into_iter()
                .find(|status| status.name() == name)
                .ok_or_else(|| {
                    AppError::malformed("status_unknown", format!("no status named '{name}'"))
                })?,
        ),
    };
    let (mut candidates, next) = page_at_point(state, point, status, after, limit).await?;
    if candidates.is_empty() {
        return Err(AppError::not_found(
            "no_candidates",
            "no candidate of this point matches; nothing to print",
        ));
    }
    candidates.sort_by_key(|candidate| candidate.capture.serial);
    Ok((candidates, next))
}
