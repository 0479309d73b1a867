//! A county's administration (points, serial ranges) and the submissions upward, county →
//! city → province. The use cases are `crate::app::county`.

use super::idempotency_key;
use crate::app::county::{
    self, Allocation, CitySubmissionView, CountyView, CreatePoint, PointChange,
};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post, put};
use engine::org::{CityCode, CountyCode, PointCode};
use serde::Deserialize;

/// `GET /v1/counties/{county}`.
#[utoipa::path(
    tag = "counties",
    summary = "A county's registration points, their serial ranges (used and remaining) and its submission",
    description = "Who may call it: the county, its city, the province.",
    params(crate::routes::CountyPath),
    responses((status = OK, description = "the county", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/counties/{county}")]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let county = county::show(&state, &caller.0.scope, code.parse::<CountyCode>()?).await?;
    Ok(HttpResponse::Ok().json(county))
}

/// `POST /v1/counties/{county}/points`.
#[utoipa::path(
    tag = "counties",
    summary = "Set up a registration point",
    description = "Who may call it: the county.",
    params(
        crate::routes::CountyPath,
        crate::routes::IdempotencyKey,
    ),
    request_body = CreatePoint,
    responses((status = CREATED, description = "the county afterwards", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/counties/{county}/points")]
pub async fn create_point(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    code: web::Path<String>,
    body: crate::body::Json<CreatePoint>,
) -> Result<HttpResponse, ApiError> {
    let county = county::create_point(
        &state,
        &caller.0.scope,
        &caller.0.subject,
        code.parse::<CountyCode>()?,
        body.into_inner(),
        &idempotency_key(&request)?,
    )
    .await?;
    Ok(HttpResponse::Created().json(county))
}

fn point_of(county: &str, number: u16) -> Result<PointCode, ApiError> {
    PointCode::new(county.parse::<CountyCode>()?, number).ok_or_else(|| {
        engine::Rejection::InvalidCode {
            kind: "point",
            value: format!("{county}-{number:03}"),
        }
        .into()
    })
}

/// `PUT /v1/counties/{county}/points/{number}`.
#[utoipa::path(
    tag = "counties",
    summary = "Change a registration point: name, expected head-count, address, contact, phone",
    description = "Who may call it: the county.",
    params(
        crate::routes::CountyPath,
        ("number" = u16, Path, description = "the point's number within the county (1–999)", minimum = 1, maximum = 999),
        crate::routes::IdempotencyKey,
    ),
    request_body = PointChange,
    responses((status = OK, description = "the county afterwards", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/counties/{county}/points/{number}")]
pub async fn update_point(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, u16)>,
    body: crate::body::Json<PointChange>,
) -> Result<HttpResponse, ApiError> {
    let (county, number) = path.into_inner();
    let county = county::update_point(
        &state,
        &caller.0.scope,
        &caller.0.subject,
        point_of(&county, number)?,
        body.into_inner(),
        &idempotency_key(&request)?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(county))
}

/// `DELETE /v1/counties/{county}/points/{number}`.
#[utoipa::path(
    tag = "counties",
    summary = "Close a registration point that has handed out no serial number (its ranges are freed)",
    description = "Who may call it: the county.",
    params(
        crate::routes::CountyPath,
        ("number" = u16, Path, description = "the point's number within the county (1–999)", minimum = 1, maximum = 999),
        crate::routes::IdempotencyKey,
    ),
    responses((status = OK, description = "the county afterwards", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[delete("/v1/counties/{county}/points/{number}")]
pub async fn remove_point(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, u16)>,
) -> Result<HttpResponse, ApiError> {
    let (county, number) = path.into_inner();
    let county = county::remove_point(
        &state,
        &caller.0.scope,
        &caller.0.subject,
        point_of(&county, number)?,
        &idempotency_key(&request)?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(county))
}

/// `POST /v1/counties/{county}/ranges`.
#[utoipa::path(
    tag = "counties",
    summary = "Give a point a serial range, or divide a run among all points by head-count",
    description = "Who may call it: the county.",
    params(
        crate::routes::CountyPath,
        crate::routes::IdempotencyKey,
    ),
    request_body = Allocation,
    responses((status = CREATED, description = "the county afterwards", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/counties/{county}/ranges")]
pub async fn allocate(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    code: web::Path<String>,
    body: crate::body::Json<Allocation>,
) -> Result<HttpResponse, ApiError> {
    let county = county::allocate(
        &state,
        &caller.0.scope,
        &caller.0.subject,
        code.parse::<CountyCode>()?,
        body.into_inner(),
        &idempotency_key(&request)?,
    )
    .await?;
    Ok(HttpResponse::Created().json(county))
}

/// `POST /v1/counties/{county}/submission`.
#[utoipa::path(
    tag = "counties",
    summary = "Submit the county's records to the city (county-submission window); they are frozen until returned",
    description = "Who may call it: the county.",
    params(
        crate::routes::CountyPath,
        crate::routes::IdempotencyKey,
    ),
    responses((status = OK, description = "the county afterwards", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/counties/{county}/submission")]
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let county = county::submit(
        &state,
        &caller.0.scope,
        &caller.0.subject,
        code.parse::<CountyCode>()?,
        &idempotency_key(&request)?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(county))
}

/// The body of a submission returned for correction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// Why (1–200 characters; kept in the record and the audit trail).
    reason: String,
}

/// `DELETE /v1/counties/{county}/submission`.
#[utoipa::path(
    tag = "counties",
    summary = "Return a county's submission for correction: its records are open again",
    description = "Who may call it: the county's city, the province (not once the city has submitted).",
    params(
        crate::routes::CountyPath,
        crate::routes::IdempotencyKey,
    ),
    request_body = ReturnRequest,
    responses((status = OK, description = "the county afterwards", body = CountyView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[delete("/v1/counties/{county}/submission")]
pub async fn return_submission(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    code: web::Path<String>,
    body: crate::body::Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let county = county::return_submission(
        &state,
        &caller.0.scope,
        &caller.0.subject,
        code.parse::<CountyCode>()?,
        &body.reason,
        &idempotency_key(&request)?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(county))
}

/// `GET /v1/cities/{city}/submission`.
#[utoipa::path(
    tag = "counties",
    summary = "A city's submission to the province and each of its counties' submissions",
    description = "Who may call it: the city, the province.",
    params(crate::routes::CityPath),
    responses((status = OK, description = "the submissions", body = CitySubmissionView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/cities/{city}/submission")]
pub async fn city_submission(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = county::city_submission(&state, &caller.0.scope, code.parse::<CityCode>()?).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/cities/{city}/submission`.
#[utoipa::path(
    tag = "counties",
    summary = "Submit the city's records to the province (city-submission window; every county first)",
    description = "Who may call it: the city.",
    params(crate::routes::CityPath),
    responses((status = OK, description = "the submissions", body = CitySubmissionView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/cities/{city}/submission")]
pub async fn submit_city(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view: CitySubmissionView =
        county::submit_city(&state, &caller.0.scope, code.parse::<CityCode>()?).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /v1/cities/{city}/submission`.
#[utoipa::path(
    tag = "counties",
    summary = "Return a city's submission for correction",
    description = "Who may call it: the province.",
    params(crate::routes::CityPath),
    request_body = ReturnRequest,
    responses((status = OK, description = "the submissions", body = CitySubmissionView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[delete("/v1/cities/{city}/submission")]
pub async fn return_city(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: crate::body::Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = county::return_city(
        &state,
        &caller.0.scope,
        code.parse::<CityCode>()?,
        &body.reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
