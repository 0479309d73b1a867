//! `POST /v1/sessions/...`: logging in. The use cases (attempt limits, back-off, uniform
//! refusals, hashing) are `crate::app::session`; these parse, call and render.

use crate::admission::gate::ticket_of;
use crate::app::session::{self, Client, Issued, parse_validity};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

/// A session as returned to the client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// Bearer token.
    pub token: String,
    /// Expiry, Unix milliseconds.
    pub expires_at_ms: i64,
    /// `province` | `city` | `county` | `point` | `candidate`.
    pub role: &'static str,
    /// Issued on a one-time password: choose a password first
    /// (`PUT /v1/sessions/operator/password`); every other route refuses it.
    pub password_change_required: bool,
}

/// `POST /v1/sessions/operator` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorLogin {
    username: String,
    password: String,
}

/// `POST /v1/sessions/candidate/first-login` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstLogin {
    id_number: String,
    name: String,
    /// `YYYY-MM-DD`, or `长期` for a card without expiry.
    valid_until: String,
}

/// `POST /v1/sessions/candidate` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateLogin {
    /// ID number or eight-digit serial number.
    login: String,
    password: String,
}

fn client(request: &HttpRequest) -> Client {
    Client {
        address: crate::audit::client_address(request),
        ticket: ticket_of(request.headers()),
    }
}

fn reply(issued: Issued) -> HttpResponse {
    HttpResponse::Ok().json(SessionView {
        token: issued.token,
        expires_at_ms: issued.expires_at.0,
        role: issued.scope.role(),
        password_change_required: issued.password_change_required,
    })
}

/// `POST /v1/sessions/operator`.
#[utoipa::path(
    tag = "sessions",
    summary = "Operator login (username, password)",
    description = "Who may call it: anyone; rate-limited.",
    request_body = crate::routes::sessions::OperatorLogin,
    responses(
        (status = OK, description = "a session", body = crate::routes::sessions::SessionView),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/sessions/operator")]
pub async fn operator_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<OperatorLogin>,
) -> Result<HttpResponse, ApiError> {
    let issued =
        session::operator_login(&state, &client(&request), &body.username, &body.password).await?;
    Ok(reply(issued))
}

/// `POST /v1/sessions/candidate/first-login`.
#[utoipa::path(
    tag = "sessions",
    summary = "Candidate first login (ID number, name, ID validity)",
    description = "Who may call it: anyone; rate-limited.",
    params(
        ("X-Queue-Ticket" = Option<String>, Header, description = "a waiting-room ticket from an earlier queued answer"),
    ),
    request_body = crate::routes::sessions::FirstLogin,
    responses(
        (status = OK, description = "a session", body = crate::routes::sessions::SessionView),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/sessions/candidate/first-login")]
pub async fn candidate_first_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<FirstLogin>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let valid_until = parse_validity(&body.valid_until)?;
    let issued = session::first_login(
        &state,
        &client(&request),
        &body.id_number,
        body.name,
        valid_until,
    )
    .await?;
    Ok(reply(issued))
}

/// `POST /v1/sessions/candidate`.
#[utoipa::path(
    tag = "sessions",
    summary = "Candidate login (ID or serial number, login password)",
    description = "Who may call it: anyone; rate-limited.",
    params(
        ("X-Queue-Ticket" = Option<String>, Header, description = "a waiting-room ticket from an earlier queued answer"),
    ),
    request_body = crate::routes::sessions::CandidateLogin,
    responses(
        (status = OK, description = "a session", body = crate::routes::sessions::SessionView),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/sessions/candidate")]
pub async fn candidate_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<CandidateLogin>,
) -> Result<HttpResponse, ApiError> {
    let issued =
        session::candidate_login(&state, &client(&request), &body.login, &body.password).await?;
    Ok(reply(issued))
}
