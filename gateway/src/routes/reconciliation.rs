//! `POST /v1/reconciliation`: the province runs a payment reconciliation pass now (see
//! `crate::reconciliation`) and gets its report.

use super::idempotency_key;
use crate::app::province_only;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// The pass's parameters.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reconcile {
    /// Orders younger than this are left to their notifications (default 300).
    #[serde(default = "default_min_age_seconds")]
    min_order_age_seconds: u32,
}

fn default_min_age_seconds() -> u32 {
    300
}

/// Runs one pass.
#[utoipa::path(
    tag = "reconciliation",
    summary = "Payment reconciliation: query the providers about unpaid orders, apply what was paid (province)",
    description = "Who may call it: province.",
    params(crate::routes::IdempotencyKey),
    request_body = crate::routes::reconciliation::Reconcile,
    responses(
        (status = OK, description = "what the pass found and did", body = crate::reconciliation::Report),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/reconciliation")]
pub async fn run(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<Reconcile>,
) -> Result<HttpResponse, ApiError> {
    province_only(&caller)?;
    let _place = state.heavy.enter(&caller.0.subject)?;
    idempotency_key(&request)?;
    if state.providers.configured().is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "reconciliation_unconfigured",
            "no payment provider is configured (REG_PAYMENTS_FILE)",
        ));
    }
    let report =
        crate::reconciliation::reconcile(&state, i64::from(body.min_order_age_seconds)).await?;
    Ok(HttpResponse::Ok().json(report))
}
