//! Live control of admission (province operators only): read the slots, limits and live
//! state; replace the settings; pause and resume candidate writes. Every change is made
//! durable before it takes effect (so a restart keeps it) and, like every operator request,
//! lands in the audit trail.

use super::{idempotency_key, province_only, store_setting};
use crate::admission::config::AdmissionConfig;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// The settings' name in the store.
pub const SETTING: &str = "admission";

fn reply(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "config": state.admission.config(),
        "status": state.admission.status(state.now()),
        // What this node has in force; every node of a deployment converges on the same
        // within a second or so (`crate::live_settings`).
        "settings_versions": state.settings_versions.snapshot(),
    }))
}

/// Validates, stores durably, then applies.
async fn persist_and_apply(state: &AppState, config: AdmissionConfig) -> Result<(), ApiError> {
    state.admission.check(&config).map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission_config_invalid",
            error.to_string(),
        )
    })?;
    store_setting(state, SETTING, &config).await?;
    state.admission.apply(config).map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "admission_config_invalid",
            error.to_string(),
        )
    })
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
    persist_and_apply(&state, body.into_inner()).await?;
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
    let mut config = state.admission.config();
    config.paused = body.paused;
    if let Some(seconds) = body.retry_after_seconds {
        config.pause_retry_after_seconds = seconds;
    }
    persist_and_apply(&state, config).await?;
    Ok(reply(&state))
}
