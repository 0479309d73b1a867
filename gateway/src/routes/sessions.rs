//! Logging in: operators (username + password), candidates' first login (ID number + name +
//! ID validity, checked by the engine against the capture), and candidates' later logins
//! (ID number or serial number + login password). Attempts are rate-limited per account and
//! per client address (credential stuffing); password checks run on the hashing pool.

use crate::admission::Kind;
use crate::admission::gate::ticket_of;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actors::ActorError;
use engine::Rejection;
use engine::candidate::Command;
use engine::id_number::IdNumber;
use engine::key::CandidateKey;
use engine::org::CityCode;
use engine::scope::Scope;
use engine::serial::SerialNumber;
use engine::time::Date;
use serde::{Deserialize, Serialize};
use storage::StateStore;

/// A session as returned to the client.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// Bearer token.
    pub token: String,
    /// Expiry, Unix milliseconds.
    pub expires_at_ms: i64,
    /// `province` | `city` | `county` | `point` | `candidate`.
    pub role: &'static str,
}

/// `POST /v1/sessions/operator` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorLogin {
    username: String,
    password: String,
}

/// `POST /v1/sessions/candidate/first-login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstLogin {
    id_number: String,
    name: String,
    /// `YYYY-MM-DD`, or `长期` for a card without expiry.
    valid_until: String,
}

/// `POST /v1/sessions/candidate` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateLogin {
    /// ID number or eight-digit serial number.
    login: String,
    password: String,
}

/// The one answer to every failed login of any kind (unknown account, wrong password, wrong
/// first-login data, first login after passwords were set).
fn wrong_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "登录信息不正确（已设置密码的考生请用密码登录） / the login details are incorrect",
    )
}

/// One login attempt: counted against the account and the client address before anything
/// is checked; its outcome fed back, so that failures from this address to this account
/// back off exponentially (and a success clears them).
struct Attempt<'a> {
    state: &'a AppState,
    account: String,
    address: String,
}

impl<'a> Attempt<'a> {
    /// Refuses when the account or the client address has used up its attempts, or this
    /// address is backing off from this account.
    fn begin(state: &'a AppState, request: &HttpRequest, account: &str) -> Result<Self, ApiError> {
        let address = request
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        state
            .admission
            .admit_login_attempt(account, &address, state.now())?;
        Ok(Attempt {
            state,
            account: account.to_owned(),
            address,
        })
    }

    /// The attempt failed: counted towards the back-off; the uniform refusal.
    fn failed(&self) -> ApiError {
        self.state
            .admission
            .login_failed(&self.account, &self.address, self.state.now());
        wrong_credentials()
    }

    /// The attempt succeeded.
    fn succeeded(&self) {
        self.state
            .admission
            .login_succeeded(&self.account, &self.address);
    }
}

fn issue(
    state: &AppState,
    scope: Scope,
    subject: String,
    region: Option<CityCode>,
) -> Result<HttpResponse, ApiError> {
    let (token, expires_at) = state.sessions.issue(scope, subject, region, state.now())?;
    Ok(HttpResponse::Ok().json(SessionView {
        token,
        expires_at_ms: expires_at.0,
        role: scope.role(),
    }))
}

/// Parses `YYYY-MM-DD` or `长期`.
pub fn parse_validity(text: &str) -> Result<Option<Date>, ApiError> {
    if text == "长期" {
        return Ok(None);
    }
    Date::parse(text).map(Some).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_date",
            format!("'{text}' is not YYYY-MM-DD or 长期"),
        )
    })
}

/// Parses an ID number into the candidate key.
pub fn key_of(state: &AppState, id_number: &str) -> Result<(IdNumber, CandidateKey), ApiError> {
    let id = IdNumber::parse(id_number).map_err(engine::Rejection::from)?;
    let key = state.key_secret.candidate_key(&id);
    Ok((id, key))
}

/// `POST /v1/sessions/operator`.
pub async fn operator_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<OperatorLogin>,
) -> Result<HttpResponse, ApiError> {
    // Usernames are compared as typed, but counted as one account however they are cased.
    let attempt = Attempt::begin(&state, &request, &body.username.trim().to_lowercase())?;
    let verified = match state.accounts.get(&body.username) {
        Some(account) => state
            .hasher
            .verify(body.password.clone(), account.password_hash.clone())
            .await
            .map_err(busy)?
            .then_some(account),
        None => {
            state
                .hasher
                .verify_nobody(body.password.clone())
                .await
                .map_err(busy)?;
            None
        }
    };
    // Every operator login is audited, failed ones too, before the answer leaves.
    let outcome = if verified.is_some() {
        "ok"
    } else {
        "invalid_credentials"
    };
    crate::audit::login(&state, &request, &body.username, outcome).await?;
    let Some(account) = verified else {
        return Err(attempt.failed());
    };
    attempt.succeeded();
    issue(&state, account.scope, body.username.clone(), None)
}

/// `POST /v1/sessions/candidate/first-login`.
pub async fn candidate_first_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<FirstLogin>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = key_of(&state, &body.id_number)?;
    let attempt = Attempt::begin(&state, &request, &key.to_string())?;
    // The region comes from the stored record; an unknown key is refused by the engine below.
    let region = state
        .store
        .candidate(key)
        .await?
        .map(|candidate| candidate.capture.point.county().city());
    let _permit = state
        .admission
        .admit_candidate(
            region,
            &key.to_string(),
            Kind::Write,
            ticket_of(request.headers()).as_deref(),
            state.now(),
        )
        .await?;
    let command = Command::FirstLogin {
        name: body.name.clone(),
        valid_until: parse_validity(&body.valid_until)?,
    };
    // A fresh idempotency key per attempt: the engine's own check of name and validity must
    // run every time (a replayed key would skip it); a repeated first login records nothing.
    // Every identity failure — unknown candidate, wrong name or validity, passwords already
    // set — is the same 401, so the answer tells nobody who is registered.
    let attempt_key = super::fresh_idempotency_key("first-login")?;
    super::execute(&state, key, command, attempt_key, Vec::new())
        .await
        .map_err(|error| match error {
            ActorError::Rejected(Rejection::IdentityMismatch | Rejection::CandidateNotFound) => {
                attempt.failed()
            }
            other => ApiError::from(other),
        })?;
    attempt.succeeded();
    issue(&state, Scope::Candidate(key), key.to_string(), region)
}

/// `POST /v1/sessions/candidate`.
pub async fn candidate_login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<CandidateLogin>,
) -> Result<HttpResponse, ApiError> {
    let key = if body.login.len() == 8 {
        let serial = SerialNumber::parse(&body.login)?;
        state.store.candidate_key_by_serial(serial).await?
    } else {
        Some(key_of(&state, &body.login)?.1)
    };
    // Serial number and ID number name the same account: one bucket for both.
    let account = key.map_or_else(|| body.login.clone(), |key| key.to_string());
    let attempt = Attempt::begin(&state, &request, &account)?;
    let candidate = match key {
        Some(key) => state.store.candidate(key).await?,
        None => None,
    };
    // Unknown login, or a candidate who has not set passwords: the same 401 after the same
    // work as a wrong password, so neither the answer nor its timing says who is registered.
    let Some((candidate, passwords)) =
        candidate.and_then(|c| c.passwords.clone().map(|passwords| (c, passwords)))
    else {
        state
            .hasher
            .verify_nobody(body.password.clone())
            .await
            .map_err(busy)?;
        return Err(attempt.failed());
    };
    let key = candidate.key;
    let region = Some(candidate.capture.point.county().city());
    let _permit = state
        .admission
        .admit_candidate(
            region,
            &key.to_string(),
            Kind::Login,
            ticket_of(request.headers()).as_deref(),
            state.now(),
        )
        .await?;
    if !state
        .hasher
        .verify(body.password.clone(), passwords.login_hash)
        .await
        .map_err(busy)?
    {
        return Err(attempt.failed());
    }
    attempt.succeeded();
    issue(&state, Scope::Candidate(key), key.to_string(), region)
}

/// The hashing pool is full: 503 with Retry-After.
pub fn busy(error: crate::hashing::HashingError) -> ApiError {
    ApiError::retry_later(
        StatusCode::SERVICE_UNAVAILABLE,
        "password_checks_busy",
        error.to_string(),
        2,
    )
}
