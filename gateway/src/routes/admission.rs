//! Live control of admission over HTTP (province operators only): read the slots, limits
//! and live state; replace the settings; pause and resume candidate writes. The use cases
//! (durable before in force) are `crate::app::settings`.

use super::idempotency_key;
use crate::admission::config::AdmissionConfig;
use crate::app::province_only;
use crate::app::settings;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, put};
use serde::Deserialize;

/// The settings' name in the store.
pub const SETTING: &str = settings::ADMISSION;

/// Admission as the province sees it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AdmissionView {
    /// The settings in force.
    config: AdmissionConfig,
    /// Live state: in flight, slots, queues.
    status: crate::admission::Status,
    /// What this node has in force, by setting name; every node of a deployment converges
    /// on the same within a second or so (`crate::live_settings`).
    settings_versions: std::collections::BTreeMap<&'static str, String>,
}

fn reply(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().json(AdmissionView {
        config: state.admission.config(),
        status: state.admission.status(state.now()),
        settings_versions: state.settings_versions.snapshot(),
    })
}

/// `GET /v1/admission`.
#[utoipa::path(
    tag = "admission",
    summary = "Admission settings (region slots, limits, waiting room, pause) and live state",
    description = "Who may call it: province.",
    responses(
        (status = OK, description = "settings, live state and the settings versions in force on this node", body = crate::routes::admission::AdmissionView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/admission")]
pub async fn show(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    province_only(&caller)?;
    Ok(reply(&state))
}

/// `PUT /v1/admission`: replaces the whole settings.
#[utoipa::path(
    tag = "admission",
    summary = "Replace the admission settings (durable, audited, no restart)",
    description = "Who may call it: province.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::admission::config::AdmissionConfig,
    responses(
        (status = OK, description = "in force", body = crate::routes::admission::AdmissionView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/admission")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<AdmissionConfig>,
) -> Result<HttpResponse, ApiError> {
    province_only(&caller)?;
    idempotency_key(&request)?;
    settings::replace_admission(&state, &caller, body.into_inner()).await?;
    Ok(reply(&state))
}

/// `PUT /v1/admission/pause` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    paused: bool,
    /// What paused requests are told; unchanged when absent.
    retry_after_seconds: Option<u32>,
}

/// `PUT /v1/admission/pause`: the emergency switch.
#[utoipa::path(
    tag = "admission",
    summary = "Pause or resume all candidate writes (operators and callbacks keep working)",
    description = "Who may call it: province.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::admission::PauseRequest,
    responses(
        (status = OK, description = "in force", body = crate::routes::admission::AdmissionView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/admission/pause")]
pub async fn pause(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<PauseRequest>,
) -> Result<HttpResponse, ApiError> {
    province_only(&caller)?;
    idempotency_key(&request)?;
    settings::pause(&state, &caller, body.paused, body.retry_after_seconds).await?;
    Ok(reply(&state))
}
