//! Operator accounts over HTTP: set-up, creating and managing the level below, one's own
//! password, logout. The use cases are `crate::app::accounts`.

use crate::app::accounts::{self, AccountView, WithOneTimePassword};
use crate::error::ApiError;
use crate::routes::sessions::SessionView;
use crate::sessions::{AnySession, Caller};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post, put};
use serde::Deserialize;

/// `POST /v1/setup` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The token the deployment printed (once) when it started on an empty store.
    setup_token: String,
    /// The province administrator's username.
    username: String,
    /// Their password (10–64 characters, letters and digits).
    password: String,
}

/// `POST /v1/setup`.
#[utoipa::path(
    tag = "accounts",
    summary = "Create the province's first administrator with the one-time setup token",
    description = "Who may call it: whoever holds the setup token, once, on a deployment with no accounts.",
    request_body = SetupRequest,
    responses((status = CREATED, description = "the administrator; log in next", body = AccountView)),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/setup")]
pub async fn set_up(
    state: web::Data<AppState>,
    body: crate::body::Json<SetupRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let account =
        accounts::set_up(&state, &body.setup_token, &body.username, &body.password).await?;
    Ok(HttpResponse::Created().json(account))
}

/// `POST /v1/accounts` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// 3–32 lower-case letters, digits, `-`, `_`, `.`.
    #[schema(pattern = "^[a-z0-9._-]{3,32}$")]
    username: String,
    /// `province`, `city:4301`, `county:430102` or `point:430102-001`: the level below the
    /// caller's within its area, or the caller's own unit.
    #[schema(pattern = "^(province|city:[0-9]{4}|county:[0-9]{6}|point:[0-9]{6}-[0-9]{3})$")]
    scope: String,
}

/// `POST /v1/accounts`.
#[utoipa::path(
    tag = "accounts",
    summary = "Create an account of the level below (or of one's own unit), with a one-time password",
    description = "Who may call it: province (city and province accounts), city (its counties), county (its points), point (its own).",
    request_body = CreateAccount,
    responses((status = CREATED, description = "the account and its one-time password, shown once", body = WithOneTimePassword)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/accounts")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::body::Json<CreateAccount>,
) -> Result<HttpResponse, ApiError> {
    let created = accounts::create(&state, &caller.0, &body.username, &body.scope).await?;
    Ok(HttpResponse::Created().json(created))
}

/// `GET /v1/accounts`.
#[utoipa::path(
    tag = "accounts",
    summary = "The accounts the caller manages",
    description = "Who may call it: operators.",
    responses((status = OK, description = "by username", body = Vec<AccountView>)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/accounts")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(accounts::list(&state, &caller.0)?))
}

/// `POST /v1/accounts/{username}/password-reset`.
#[utoipa::path(
    tag = "accounts",
    summary = "A new one-time password for an account the caller manages; its sessions end",
    description = "Who may call it: the level above, or the account's own unit.",
    params(("username" = String, Path, description = "the account", pattern = "^[a-z0-9._-]{3,32}$")),
    responses((status = OK, description = "the one-time password, shown once", body = WithOneTimePassword)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/accounts/{username}/password-reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reset = accounts::reset_password(&state, &caller.0, &username).await?;
    Ok(HttpResponse::Ok().json(reset))
}

/// `PUT /v1/accounts/{username}/enabled` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enabled {
    /// `false` disables the account (its sessions end at once); `true` enables it again.
    enabled: bool,
}

/// `PUT /v1/accounts/{username}/enabled`.
#[utoipa::path(
    tag = "accounts",
    summary = "Disable or enable an account the caller manages",
    description = "Who may call it: the level above, or the account's own unit.",
    params(("username" = String, Path, description = "the account", pattern = "^[a-z0-9._-]{3,32}$")),
    request_body = Enabled,
    responses((status = OK, description = "the account", body = AccountView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/accounts/{username}/enabled")]
pub async fn set_enabled(
    state: web::Data<AppState>,
    caller: Caller,
    username: web::Path<String>,
    body: crate::body::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    let account = accounts::set_enabled(&state, &caller.0, &username, body.enabled).await?;
    Ok(HttpResponse::Ok().json(account))
}

/// `PUT /v1/sessions/operator/password` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The password (or one-time password) in use.
    current_password: String,
    /// The new one (10–64 characters, letters and digits).
    new_password: String,
}

/// `PUT /v1/sessions/operator/password`.
#[utoipa::path(
    tag = "accounts",
    summary = "Change one's own password; every earlier session of the account ends, a new one is returned",
    description = "Who may call it: operators, sessions on a one-time password included.",
    request_body = ChangePassword,
    responses((status = OK, description = "a new session", body = SessionView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/sessions/operator/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: AnySession,
    body: crate::body::Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let (generation, scope) = accounts::change_own_password(
        &state,
        &caller.0,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    let (token, expires_at) = state.sessions.issue_operator(
        scope,
        caller.0.subject.clone(),
        generation,
        false,
        state.now(),
    )?;
    Ok(HttpResponse::Ok().json(SessionView {
        token,
        expires_at_ms: expires_at.0,
        role: scope.role(),
        password_change_required: false,
    }))
}

/// `DELETE /v1/sessions/operator`.
#[utoipa::path(
    tag = "accounts",
    summary = "Log out: every session of the caller's account ends, on every node",
    description = "Who may call it: operators.",
    responses((status = NO_CONTENT, description = "logged out")),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[delete("/v1/sessions/operator")]
pub async fn log_out(
    state: web::Data<AppState>,
    caller: AnySession,
) -> Result<HttpResponse, ApiError> {
    accounts::log_out(&state, &caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
