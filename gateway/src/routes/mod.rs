//! The JSON API v1, one file per route group. Every handler follows the same path: parse →
//! authenticate (`Caller`) → call a use case of `crate::app` (which checks scope, decides
//! through the engine and returns once durable) → render.

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
use actix_web::{HttpRequest, web};

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
