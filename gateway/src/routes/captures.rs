//! `POST /v1/points/{point}/captures` (step 2): the point captures a candidate. The use
//! case is `crate::app::capture`; this parses, authorises, calls and renders.

use super::{idempotency_key, views::CandidateView};
use crate::app::capture::{CaptureRequest, Prepared, commit, prepare};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::org::PointCode;

/// `POST /v1/points/{point}/captures`: point operators (or their county) only.
#[utoipa::path(
    tag = "captures",
    summary = "Capture ID data, photo and serial number",
    description = "Who may call it: point, county.",
    params(
        crate::routes::PointPath,
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::app::capture::CaptureRequest,
    responses(
        (status = CREATED, description = "captured; the serial number is assigned", body = crate::routes::views::CandidateView),
        (status = OK, description = "this capture was made before: the same record", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/points/{point}/captures")]
pub async fn capture(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    point: web::Path<String>,
    body: crate::body::Json<CaptureRequest>,
) -> Result<HttpResponse, ApiError> {
    let idempotency = idempotency_key(&request)?;
    let point: PointCode = point.parse()?;
    require_capturing_scope(&caller, point)?;
    match prepare(&state, point, &body, &idempotency).await? {
        Prepared::Done(candidate) => Ok(HttpResponse::Ok().json(CandidateView::from(&*candidate))),
        Prepared::New(capture) => {
            let candidate = commit(&state, point, capture, idempotency).await?;
            Ok(HttpResponse::Created().json(candidate.as_ref().map(CandidateView::from)))
        }
    }
}

/// Only the point itself, or its county, captures at a point.
pub(crate) fn require_capturing_scope(caller: &Caller, point: PointCode) -> Result<(), ApiError> {
    if !matches!(
        caller.0.scope,
        engine::scope::Scope::Point(_) | engine::scope::Scope::County(_)
    ) || !caller.0.scope.covers_point(point)
    {
        return Err(ApiError::out_of_scope());
    }
    Ok(())
}
