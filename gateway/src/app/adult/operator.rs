//! What operators do to adult-exam registrations: the point confirms a candidate on site
//! (the photo taken there checked against the standard and stored with the confirmation),
//! the city approves other identity documents, the point lists its registrations by status.

use crate::app::AppError;
use crate::sessions::Caller;
use crate::state::AppState;
use engine::adult::{AdultCandidate, AdultCommand, Status};
use engine::key::CandidateKey;
use engine::scope::Scope;
use storage::{StateStore, StateUpdate};

/// What the point records on site.
#[derive(Debug, Clone)]
pub struct OnSite {
    /// The photo taken on site (JPEG).
    pub photo: Vec<u8>,
    /// The qualification was checked.
    pub qualification_checked: bool,
    /// The bonus documents were checked.
    pub bonus_checked: bool,
    /// The candidate copied out the pledge.
    pub pledge_transcribed: bool,
}

fn key_of(key: &str) -> Result<CandidateKey, AppError> {
    CandidateKey::parse_hex(key).ok_or_else(|| {
        AppError::not_found(
            "adult_registration_not_found",
            "no such adult-exam registration",
        )
    })
}

/// The point confirms the registration `key` (its operator's own point must be the one the
/// candidate chose; the engine checks hours, window and steps).
pub async fn confirm(
    state: &AppState,
    caller: &Caller,
    key: &str,
    on_site: OnSite,
    idempotency: String,
) -> Result<AdultCandidate, AppError> {
    let Scope::Point(point) = caller.0.scope else {
        return Err(AppError::out_of_scope());
    };
    let key = key_of(key)?;
    let (photo_file, photo) = crate::app::capture::check_photo(state, on_site.photo)?;
    let command = AdultCommand::Confirm {
        point,
        operator: caller.0.subject.clone(),
        photo: photo.clone(),
        qualification_checked: on_site.qualification_checked,
        bonus_checked: on_site.bonus_checked,
        pledge_transcribed: on_site.pledge_transcribed,
    };
    let done = state
        .registry
        .execute_adult(actors::AdultExecute {
            key,
            command,
            idempotency_key: idempotency,
            now: state.now(),
            attachments: vec![StateUpdate::Photo {
                sha256: photo.sha256,
                bytes: photo_file,
            }],
        })
        .await?;
    outcome(done)
}

/// The candidate's city approves another identity document.
pub async fn approve_documents(
    state: &AppState,
    caller: &Caller,
    key: &str,
    idempotency: String,
) -> Result<AdultCandidate, AppError> {
    let Scope::City(city) = caller.0.scope else {
        return Err(AppError::out_of_scope());
    };
    outcome(
        super::run(
            state,
            key_of(key)?,
            AdultCommand::ApproveDocuments { city },
            idempotency,
        )
        .await?,
    )
}

/// A registration an operator in scope may see (its chosen point's).
pub async fn registration(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<AdultCandidate, AppError> {
    let record = super::load(state, key_of(key)?).await?;
    let visible = record
        .point
        .is_some_and(|point| caller.0.scope.covers_point(point));
    if !visible {
        return Err(AppError::out_of_scope());
    }
    Ok(record)
}

/// A point's registrations (of one status), a page after `after`.
pub async fn at_point(
    state: &AppState,
    caller: &Caller,
    point: &str,
    status: Option<&str>,
    after: Option<&str>,
    limit: Option<usize>,
) -> Result<Vec<AdultCandidate>, AppError> {
    let point: engine::org::PointCode = point.parse()?;
    if !caller.0.scope.covers_point(point) {
        return Err(AppError::out_of_scope());
    }
    let status = match status {
        None | Some("") => None,
        Some(name) => Some(
            Status::ALL
                .into_iter()
                .find(|status| status.name() == name)
                .ok_or_else(|| {
                    AppError::malformed("status_unknown", format!("no status named '{name}'"))
                })?,
        ),
    };
    let (after, limit) = crate::app::page_bounds(after, limit, 500)?;
    Ok(state
        .store
        .adult_candidates_at_point(point, status, after, limit)
        .await?)
}

/// After the payment deadline, the point records why a candidate it confirmed did not pay.
pub async fn record_unpaid_reason(
    state: &AppState,
    caller: &Caller,
    key: &str,
    reason: &str,
    idempotency: String,
) -> Result<AdultCandidate, AppError> {
    let Scope::Point(point) = caller.0.scope else {
        return Err(AppError::out_of_scope());
    };
    let command = AdultCommand::RecordUnpaidReason {
        point,
        reason: reason.to_owned(),
    };
    outcome(super::run(state, key_of(key)?, command, idempotency).await?)
}

/// The city, then the province, reviews an exemption application.
pub async fn review_exemption(
    state: &AppState,
    caller: &Caller,
    key: &str,
    approved: bool,
    reason: &str,
    idempotency: String,
) -> Result<AdultCandidate, AppError> {
    let (by, city) = match caller.0.scope {
        Scope::City(city) => (engine::adult::ReviewLevel::City, Some(city)),
        Scope::Province => (engine::adult::ReviewLevel::Province, None),
        _ => return Err(AppError::out_of_scope()),
    };
    let command = AdultCommand::ReviewExemption {
        by,
        city,
        approved,
        reason: reason.to_owned(),
    };
    outcome(super::run(state, key_of(key)?, command, idempotency).await?)
}

/// The candidate's city enters bonus points.
pub async fn enter_bonus(
    state: &AppState,
    caller: &Caller,
    key: &str,
    points: u8,
    reason: &str,
    idempotency: String,
) -> Result<AdultCandidate, AppError> {
    let Scope::City(city) = caller.0.scope else {
        return Err(AppError::out_of_scope());
    };
    let command = AdultCommand::EnterBonus {
        city,
        points,
        reason: reason.to_owned(),
    };
    outcome(super::run(state, key_of(key)?, command, idempotency).await?)
}

fn outcome(outcome: actors::AdultOutcome) -> Result<AdultCandidate, AppError> {
    outcome
        .candidate
        .ok_or_else(|| engine::adult::Rejection::NotRegistered.into())
}
