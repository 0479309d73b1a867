//! The province's windows (§3) over HTTP: every caller may read them; only the province
//! sets a window or extends it (`crate::app::settings`). An extension is kept in the
//! window's history (never overwritten), so refusals outside a window always name the
//! window and its dates in force.

use super::idempotency_key;
use crate::app::province_only;
use crate::app::settings::{self, window_kind};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post, put};
use engine::schedule::Schedule;
use engine::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The schedule's name in the store.
pub const SETTING: &str = settings::SCHEDULE;

/// Reads a `YYYY-MM-DD HH:MM` (China Standard Time) field.
fn parse_cst(field: &'static str, text: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_cst_text(text).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "schedule_time_invalid",
            format!("{field} must be 'YYYY-MM-DD HH:MM' (China Standard Time)"),
        )
    })
}

/// One window as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    window: &'static str,
    title: &'static str,
    opens_at: String,
    closes_at: String,
    /// The close in force (the last extension, if any).
    effective_close: String,
    extensions: Vec<String>,
    open_now: bool,
}

fn view(schedule: &Schedule, now: Timestamp) -> Vec<WindowView> {
    schedule
        .windows()
        .map(|(kind, window)| WindowView {
            window: kind.name(),
            title: kind.title(),
            opens_at: window.opens_at.cst_text(),
            closes_at: window.closes_at.cst_text(),
            effective_close: window.effective_close().cst_text(),
            extensions: window.extensions.iter().map(|at| at.cst_text()).collect(),
            open_now: window.is_open(now),
        })
        .collect()
}

/// `GET /v1/schedule`: any logged-in caller.
#[utoipa::path(
    tag = "schedule",
    summary = "The province's windows (times in China Standard Time), open or not now",
    description = "Who may call it: any logged-in caller.",
    responses(
        (status = OK, description = "the windows", body = Vec<crate::routes::schedule::WindowView>),
    ),
    security(("operator_session" = []), ("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/schedule")]
pub async fn show(state: web::Data<AppState>, _caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(view(&state.settings.current().schedule, state.now()))
}

/// `PUT /v1/schedule/{window}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWindow {
    opens_at: String,
    closes_at: String,
}

/// `PUT /v1/schedule/{window}`: sets a window afresh (its extension history starts over).
#[utoipa::path(
    tag = "schedule",
    summary = "Set a window (opens_at, closes_at: 'YYYY-MM-DD HH:MM' CST)",
    description = "Who may call it: province.",
    params(
        ("window" = String, Path, description = "the window's name, as GET /v1/schedule lists them"),
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::schedule::SetWindow,
    responses(
        (status = OK, description = "the windows after the change", body = Vec<crate::routes::schedule::WindowView>),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/schedule/{window}")]
pub async fn set_window(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    window: web::Path<String>,
    body: crate::body::Json<SetWindow>,
) -> Result<HttpResponse, ApiError> {
    // Authorised before anything is parsed: a refusal says "not yours" before "malformed".
    province_only(&caller)?;
    idempotency_key(&request)?;
    let kind = window_kind(&window)?;
    let opens_at = parse_cst("opens_at", &body.opens_at)?;
    let closes_at = parse_cst("closes_at", &body.closes_at)?;
    let schedule = settings::set_window(&state, &caller, kind, opens_at, closes_at).await?;
    Ok(HttpResponse::Ok().json(view(&schedule, state.now())))
}

/// `POST /v1/schedule/{window}/extensions` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extend {
    until: String,
}

/// `POST /v1/schedule/{window}/extensions`: moves the close later, keeping the history.
#[utoipa::path(
    tag = "schedule",
    summary = "Extend a window (until), keeping the extension history",
    description = "Who may call it: province.",
    params(
        ("window" = String, Path, description = "the window's name, as GET /v1/schedule lists them"),
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::schedule::Extend,
    responses(
        (status = OK, description = "the windows after the change", body = Vec<crate::routes::schedule::WindowView>),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/schedule/{window}/extensions")]
pub async fn extend(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    window: web::Path<String>,
    body: crate::body::Json<Extend>,
) -> Result<HttpResponse, ApiError> {
    // Authorised before anything is parsed: a refusal says "not yours" before "malformed".
    province_only(&caller)?;
    idempotency_key(&request)?;
    let kind = window_kind(&window)?;
    let until = parse_cst("until", &body.until)?;
    let schedule = settings::extend_window(&state, &caller, kind, until).await?;
    Ok(HttpResponse::Ok().json(view(&schedule, state.now())))
}
