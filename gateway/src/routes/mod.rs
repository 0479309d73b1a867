//! The JSON API v1, one file per route group. Every handler follows the same path:
//! authenticate (`Caller`) → check scope (`engine::scope`) → build an engine command →
//! `Registry::execute` (durable before it returns) → reply.

pub mod admission;
pub mod art_pe;
pub mod candidates;
pub mod captures;
pub mod documents;
pub mod health;
pub mod imports;
pub mod internal;
pub mod operators;
pub mod packages;
pub mod payments;
pub mod reconciliation;
pub mod schedule;
pub mod sessions;
pub mod views;

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpRequest, web};
use actors::{Execute, Outcome};
use engine::candidate::{Candidate, Command};
use engine::key::CandidateKey;
use storage::Journal as _;
use storage::{StateStore, StateUpdate};

/// Registers every route.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(health::healthz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/openapi.json", web::get().to(crate::openapi::serve))
        .route(
            "/v1/sessions/operator",
            web::post().to(sessions::operator_login),
        )
        .route(
            "/v1/sessions/candidate/first-login",
            web::post().to(sessions::candidate_first_login),
        )
        .route(
            "/v1/sessions/candidate",
            web::post().to(sessions::candidate_login),
        )
        .route(
            "/v1/points/{point}/captures",
            web::post().to(captures::capture),
        )
        .route(
            "/v1/points/{point}/imports",
            web::post().to(imports::import),
        )
        .route(
            "/v1/counties/{county}/declarations",
            web::get().to(operators::county_declarations),
        )
        .route(
            "/v1/counties/{county}/export-package",
            web::get().to(packages::export),
        )
        .route(
            "/v1/imports/county-package",
            web::post().to(packages::import),
        )
        .route(
            "/v1/imports/capture-template.csv",
            web::get().to(imports::template),
        )
        .route("/v1/candidates/me", web::get().to(candidates::me))
        .route(
            "/v1/candidates/me/fee-orders",
            web::post().to(candidates::create_fee_order),
        )
        .route(
            "/v1/candidates/me/identity-verification",
            web::post().to(candidates::start_verification),
        )
        .route(
            "/v1/candidates/me/passwords",
            web::put().to(candidates::set_passwords),
        )
        .route(
            "/v1/candidates/me/phone",
            web::put().to(candidates::bind_phone),
        )
        .route(
            "/v1/candidates/me/pledge",
            web::post().to(candidates::accept_pledge),
        )
        .route(
            "/v1/candidates/me/form",
            web::put().to(candidates::save_form),
        )
        .route(
            "/v1/candidates/me/registration-form.pdf",
            web::get().to(documents::own_registration_form),
        )
        .route(
            "/v1/candidates/me/declarations",
            web::post().to(candidates::declare),
        )
        .route(
            "/v1/candidates/me/declarations/{id}",
            web::delete().to(candidates::withdraw_declaration),
        )
        .route(
            "/v1/candidates/me/exam-fee-orders",
            web::post().to(candidates::create_exam_fee_order),
        )
        .route(
            "/v1/candidates/me/admission-ticket.pdf",
            web::get().to(candidates::admission_ticket),
        )
        .route(
            "/v1/candidates/me/art-pe/exam-ticket.pdf",
            web::get().to(art_pe::exam_ticket),
        )
        .route(
            "/v1/candidates/me/art-pe/{category}",
            web::put().to(art_pe::choose),
        )
        .route(
            "/v1/candidates/me/art-pe/{category}",
            web::delete().to(art_pe::drop_category),
        )
        .route(
            "/v1/candidates/me/art-pe/{category}/fee-orders",
            web::post().to(art_pe::create_fee_order),
        )
        .route(
            "/v1/payments/{provider}/notify",
            web::post().to(payments::notify),
        )
        .route(
            "/v1/identity/callback",
            web::post().to(payments::identity_callback),
        )
        .route("/v1/internal/serials", web::post().to(internal::serial))
        .route("/v1/reconciliation", web::post().to(reconciliation::run))
        .route("/v1/candidates/{key}", web::get().to(operators::candidate))
        .route(
            "/v1/candidates/{key}/registration-form.pdf",
            web::get().to(documents::registration_form),
        )
        .route(
            "/v1/candidates/{key}/admission-ticket.pdf",
            web::get().to(candidates::admission_ticket_for),
        )
        .route(
            "/v1/candidates/{key}/art-pe/exam-ticket.pdf",
            web::get().to(art_pe::exam_ticket_for),
        )
        .route(
            "/v1/candidates/{key}/login-card.pdf",
            web::get().to(documents::login_card),
        )
        .route(
            "/v1/points/{point}/login-cards.pdf",
            web::get().to(documents::point_login_cards),
        )
        .route(
            "/v1/candidates/{key}/declarations/{id}/review",
            web::post().to(operators::review_declaration),
        )
        .route(
            "/v1/candidates/{key}/migrant-approval",
            web::post().to(operators::approve_migrant),
        )
        .route(
            "/v1/candidates/{key}/migrant-audit-form.pdf",
            web::get().to(documents::migrant_audit_form),
        )
        .route(
            "/v1/candidates/{key}/document-approval",
            web::post().to(operators::approve_document),
        )
        .route(
            "/v1/candidates/{key}/id-verification",
            web::post().to(operators::verify_id),
        )
        .route(
            "/v1/points/{point}/open-items",
            web::get().to(operators::open_items),
        )
        .route(
            "/v1/candidates/{key}/signature",
            web::post().to(operators::confirm_signature),
        )
        .route(
            "/v1/candidates/{key}/password-reset",
            web::post().to(operators::reset_passwords),
        )
        .route(
            "/v1/candidates/{key}/moral-evaluation",
            web::post().to(operators::moral_evaluation),
        )
        .route("/v1/progress", web::get().to(operators::progress))
        .route("/v1/schedule", web::get().to(schedule::show))
        .route("/v1/schedule/{window}", web::put().to(schedule::set_window))
        .route(
            "/v1/schedule/{window}/extensions",
            web::post().to(schedule::extend),
        )
        .route("/v1/admission", web::get().to(admission::show))
        .route("/v1/admission", web::put().to(admission::replace))
        .route("/v1/admission/pause", web::put().to(admission::pause))
        .route("/v1/audit", web::get().to(operators::audit_trail));
}

/// The request's `Idempotency-Key` header: required on every client write, 1–64 safe chars.
pub fn idempotency_key(request: &HttpRequest) -> Result<String, ApiError> {
    let value = request
        .headers()
        .get("Idempotency-Key")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency_key_required",
                "send an Idempotency-Key header with every write",
            )
        })?;
    let well_formed = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::bad_request(
            "idempotency_key_invalid",
            "Idempotency-Key must be 1–64 letters, digits, '-' or '_'",
        ));
    }
    Ok(value.to_owned())
}

/// A fresh idempotency key for a command that must be decided on every attempt (first
/// login, a counted wrong save password): a replayed key would skip the engine's check.
pub fn fresh_idempotency_key(prefix: &str) -> Result<String, ApiError> {
    let nonce = crate::random_hex(8).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "entropy_unavailable",
            "cannot take this request now",
        )
    })?;
    Ok(format!("{prefix}-{nonce}"))
}

/// Runs one command on the candidate's shard; returns once durable.
pub async fn run(
    state: &AppState,
    key: CandidateKey,
    command: Command,
    idempotency_key: String,
    attachments: Vec<StateUpdate>,
) -> Result<Outcome, ApiError> {
    Ok(execute(state, key, command, idempotency_key, attachments).await?)
}

/// [`run`], keeping the actors' typed error for callers that treat some refusals alike.
pub async fn execute(
    state: &AppState,
    key: CandidateKey,
    command: Command,
    idempotency_key: String,
    attachments: Vec<StateUpdate>,
) -> Result<Outcome, actors::ActorError> {
    let request = Execute {
        key,
        command,
        idempotency_key,
        now: state.now(),
        attachments,
    };
    state.registry.execute(request).await
}

/// One page of an operator's list over candidates, in key order: after `after` (a candidate
/// key, hex, as the previous page's `next`), at most `limit` (default and most: `max`).
/// Heavy lists are paged so that no request reads or renders a whole county at once.
pub fn page_bounds(
    after: Option<&str>,
    limit: Option<usize>,
    max: usize,
) -> Result<(Option<CandidateKey>, usize), ApiError> {
    let after = match after {
        None => None,
        Some(text) => Some(CandidateKey::parse_hex(text).ok_or_else(|| {
            ApiError::bad_request(
                "after_invalid",
                "after must be a candidate key (32 hex digits)",
            )
        })?),
    };
    match limit.unwrap_or(max) {
        limit @ 1.. if limit <= max => Ok((after, limit)),
        _ => Err(ApiError::bad_request(
            "limit_invalid",
            format!("limit must be between 1 and {max}"),
        )),
    }
}

/// One page of `point`'s candidates (of one status, if given) after `after`, and the key to
/// continue after when there may be more.
pub async fn page_at_point(
    state: &AppState,
    point: engine::org::PointCode,
    status: Option<engine::candidate::Status>,
    after: Option<CandidateKey>,
    limit: usize,
) -> Result<(Vec<Candidate>, Option<CandidateKey>), ApiError> {
    let page = state
        .store
        .candidates_at_point(point, status, after, limit)
        .await?;
    let next = if page.len() == limit {
        page.last().map(|candidate| candidate.key)
    } else {
        None
    };
    Ok((page, next))
}

/// Every candidate of `point` (of one status, if given), in key order, read page by page.
/// Bounded: a point hands out at most 9,999 serial numbers.
pub async fn all_at_point(
    state: &AppState,
    point: engine::org::PointCode,
    status: Option<engine::candidate::Status>,
) -> Result<Vec<Candidate>, ApiError> {
    const PAGE: usize = 1000;
    let mut candidates = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store
            .candidates_at_point(point, status, after, PAGE)
            .await?;
        after = page.last().map(|candidate| candidate.key);
        let full = page.len() == PAGE;
        candidates.extend(page);
        if !full {
            return Ok(candidates);
        }
    }
}

/// The stored record of `key`, or 404.
pub async fn load(state: &AppState, key: CandidateKey) -> Result<Candidate, ApiError> {
    state
        .store
        .candidate(key)
        .await?
        .ok_or_else(|| engine::Rejection::CandidateNotFound.into())
}

/// Refuses anyone but a province operator.
pub fn province_only(caller: &crate::sessions::Caller) -> Result<(), ApiError> {
    match caller.0.scope {
        engine::scope::Scope::Province => Ok(()),
        _ => Err(ApiError::out_of_scope()),
    }
}

/// Commits one of the province's live settings durably (JSON), before it is put in force
/// here (by the caller) and on every other node (by [`crate::live_settings`]).
pub async fn store_setting(
    state: &AppState,
    name: &'static str,
    value: &impl serde::Serialize,
) -> Result<(), ApiError> {
    let value = serde_json::to_vec(value).map_err(|error| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "encoding_failed",
            error.to_string(),
        )
    })?;
    state
        .store
        .commit(storage::Commit {
            partition: storage::Partition::Organisation,
            records: Vec::new(),
            updates: vec![StateUpdate::Setting {
                name: name.to_owned(),
                value: value.clone(),
            }],
        })
        .await?;
    state.settings_versions.record(name, &value);
    Ok(())
}
