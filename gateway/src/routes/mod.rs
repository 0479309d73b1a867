//! The JSON API v1, one file per route group. Every handler follows the same path: parse →
//! authenticate (`Caller`) → call a use case of `crate::app` (which checks scope, decides
//! through the engine and returns once durable) → render.

pub mod accounts;
pub mod admission;
pub mod adult;
pub mod adult_exam;
pub mod art_pe;
pub mod candidates;
pub mod captures;
pub mod counties;
pub mod documents;
pub mod health;
pub mod imports;
pub mod internal;
pub mod lists;
pub mod operators;
pub mod packages;
pub mod payments;
pub mod progress_stream;
pub mod reconciliation;
pub mod schedule;
pub mod sessions;
pub mod views;

use crate::error::ApiError;
use actix_web::HttpRequest;

/// The route table: every public route, once (the admin listener's are in
/// [`crate::configure_admin`]). Registration, `/openapi.json` (each handler's
/// `#[utoipa::path]`) and the admission class of each route (its `x-admission`) all come
/// from here. Order matters where paths overlap: `/v1/candidates/me…` before
/// `/v1/candidates/{key}…`, `…/art-pe/exam-ticket.pdf` before `…/art-pe/{category}`.
pub fn table(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(health::healthz)
        .service(crate::openapi::serve)
        .service(sessions::operator_login)
        .service(sessions::candidate_first_login)
        .service(sessions::candidate_login)
        .service(accounts::change_password)
        .service(accounts::log_out)
        .service(accounts::set_up)
        .service(accounts::create)
        .service(accounts::list)
        .service(accounts::reset_password)
        .service(accounts::set_enabled)
        .service(captures::capture)
        .service(imports::import)
        .service(operators::county_declarations)
        .service(counties::show)
        .service(lists::export_county)
        .service(lists::in_county)
        .service(counties::create_point)
        .service(counties::update_point)
        .service(counties::remove_point)
        .service(counties::allocate)
        .service(counties::submit)
        .service(counties::return_submission)
        .service(counties::city_submission)
        .service(lists::in_city)
        .service(counties::submit_city)
        .service(counties::return_city)
        .service(packages::export)
        .service(packages::import)
        .service(imports::template)
        .service(candidates::me)
        .service(candidates::refresh_payment_status)
        .service(candidates::create_fee_order)
        .service(candidates::start_verification)
        .service(candidates::set_passwords)
        .service(candidates::bind_phone)
        .service(candidates::accept_pledge)
        .service(candidates::save_form)
        .service(documents::own_registration_form)
        .service(candidates::declare)
        .service(candidates::withdraw_declaration)
        .service(candidates::create_exam_fee_order)
        .service(candidates::admission_ticket)
        .service(art_pe::exam_ticket)
        .service(art_pe::choose)
        .service(art_pe::drop_category)
        .service(art_pe::create_fee_order)
        .service(payments::notify)
        .service(payments::sandbox_pay)
        .service(payments::identity_callback)
        .service(reconciliation::run)
        .service(operators::candidate)
        .service(operators::timeline)
        .service(documents::candidate_registration_form)
        .service(candidates::admission_ticket_for)
        .service(art_pe::exam_ticket_for)
        .service(documents::candidate_login_card)
        .service(documents::point_login_cards)
        .service(operators::review_declaration)
        .service(operators::approve_migrant)
        .service(documents::migrant_audit_form)
        .service(operators::approve_document)
        .service(operators::verify_id)
        .service(operators::open_items)
        .service(lists::lookup)
        .service(lists::export)
        .service(lists::at_point)
        .service(operators::confirm_signature)
        .service(operators::reset_passwords)
        .service(operators::moral_evaluation)
        .service(operators::progress)
        .service(progress_stream::stream)
        .service(schedule::show)
        .service(schedule::set_window)
        .service(schedule::extend)
        .service(admission::show)
        .service(admission::replace)
        .service(admission::pause)
        .service(operators::audit_trail)
        .service(adult::create_account)
        .service(adult::login)
        .service(adult::me)
        .service(adult::pledge)
        .service(adult::save_info)
        .service(adult::save_volunteers)
        .service(adult::choose_point)
        .service(adult::order_fee)
        .service(adult::confirmation_points)
        .service(adult::propose_point)
        .service(adult::review_point)
        .service(adult::confirm)
        .service(adult::approve_documents)
        .service(adult::registration)
        .service(adult::at_point)
        .service(adult::unpaid_reason)
        .service(adult::apply_exemption)
        .service(adult::review_exemption)
        .service(adult::enter_bonus)
        .service(adult::calendar)
        .service(adult::set_calendar)
        .service(adult_exam::propose_site)
        .service(adult_exam::review_site)
        .service(adult_exam::sites)
        .service(adult_exam::assign_area)
        .service(adult_exam::run_numbering)
        .service(adult_exam::own_ticket)
        .service(adult_exam::ticket_for)
        .service(adult_exam::materials)
        .service(adult_exam::own_flow_form)
        .service(adult_exam::flow_form_for)
        .service(adult_exam::registration_form)
        .service(adult_exam::report_county)
        .service(adult_exam::return_county)
        .service(adult_exam::city_report)
        .service(adult_exam::report_city)
        .service(adult_exam::return_city);
}

/// The `Idempotency-Key` header every client write takes, as the route table states it.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Required on every client write: 1–64 letters, digits, `-` or `_`; a retry with the
    /// same key is answered as the first.
    #[serde(rename = "Idempotency-Key")]
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    #[allow(dead_code)] // read by `idempotency_key`, declared here
    key: String,
}

/// The `{key}` path parameter: a candidate's pseudonymous key.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KeyPath {
    /// The candidate's key (pseudonymous, 32 hex digits).
    #[param(pattern = "^[0-9a-f]{32}$")]
    #[allow(dead_code)] // extracted as `web::Path<String>`, declared here
    key: String,
}

/// The `{point}` path parameter.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PointPath {
    /// Registration point code: county code and number.
    #[param(pattern = "^[0-9]{6}-[0-9]{3}$", example = "430102-001")]
    #[allow(dead_code)] // extracted as `web::Path<String>`, declared here
    point: String,
}

/// The `{county}` path parameter.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CountyPath {
    /// County code (GB/T 2260).
    #[param(pattern = "^[0-9]{6}$", example = "430102")]
    #[allow(dead_code)] // extracted as `web::Path<String>`, declared here
    county: String,
}

/// The `{city}` path parameter.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CityPath {
    /// City code (GB/T 2260).
    #[param(pattern = "^[0-9]{4}$", example = "4301")]
    #[allow(dead_code)] // extracted as `web::Path<String>`, declared here
    city: String,
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
