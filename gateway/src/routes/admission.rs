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
use serde::Deserialize;
use serde_json::json;

/// The settings' name in the store.
pub const SETTING: &str = settings::ADMISSION;

fn reply(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "config": state.admission.config(),
        "status": state.admission.status(state.now()),
        // What this node has in force; every node of a deployment converges on the same
        // within a second or so (`crate::live_settings`).
        "settings_versions": state.settings_versions.snapshot(),
    }))
}

/// `GET /v1/admission`.
pub async fn show(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    province_only(&caller)?;
    Ok(reply(&state))
}

/// `PUT /v1/admission`: replaces the whole settings.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    paused: bool,
    /// What paused requests are told; unchanged when absent.
    retry_after_seconds: Option<u32>,
}

/// `PUT /v1/admission/pause`: the emergency switch.
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
