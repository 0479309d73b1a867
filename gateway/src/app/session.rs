//! Logging in, the use cases: operators (username + password), candidates' first login
//! (ID number + name + ID validity, checked by the engine against the capture), and
//! candidates' later logins (ID number or serial number + login password). Attempts are
//! rate-limited per account and per client address, and back off after failures; password
//! checks run on the hashing pool; every failure is the same 401 after the same work.

use crate::admission::Kind;
use crate::app::AppError;
use crate::app::{execute, fresh_idempotency_key};
use crate::state::AppState;
use actors::ActorError;
use engine::Rejection;
use engine::candidate::Command;
use engine::id_number::IdNumber;
use engine::key::CandidateKey;
use engine::org::CityCode;
use engine::scope::Scope;
use engine::serial::SerialNumber;
use engine::time::{Date, Timestamp};
use storage::StateStore;

/// Who is asking, as far as logins care: the client's address (attempt limits, back-off,
/// the audit) and the waiting-room ticket it presents, if any.
#[derive(Debug, Clone)]
pub struct Client {
    /// The connection's (or the trusted proxy's) client address.
    pub address: String,
    /// `X-Queue-Ticket`.
    pub ticket: Option<String>,
}

/// A session issued.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Bearer token.
    pub token: String,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Whose.
    pub scope: Scope,
    /// Issued on a one-time password: good only for choosing a password.
    pub password_change_required: bool,
}

/// The one answer to every failed login of any kind (unknown account, wrong password, wrong
/// first-login data, first login after passwords were set).
fn wrong_credentials() -> AppError {
    AppError::unauthenticated(
        "invalid_credentials",
        "登录信息不正确（已设置密码的考生请用密码登录） / the login details are incorrect",
    )
}

/// One login attempt: counted against the account and the client address before anything
/// is checked; its outcome fed back, so that failures from this address to this account
/// back off exponentially (and a success clears them).
pub(crate) struct Attempt<'a> {
    state: &'a AppState,
    account: String,
    address: String,
}

impl<'a> Attempt<'a> {
    /// Refuses when the account or the client address has used up its attempts, or this
    /// address is backing off from this account.
    pub(crate) fn begin(
        state: &'a AppState,
        client: &Client,
        account: &str,
    ) -> Result<Self, AppError> {
        state
            .admission
            .admit_login_attempt(account, &client.address, state.now())?;
        Ok(Attempt {
            state,
            account: account.to_owned(),
            address: client.address.clone(),
        })
    }

    /// The attempt failed: counted towards the back-off; the uniform refusal.
    fn failed(&self) -> AppError {
        self.count_failure();
        wrong_credentials()
    }

    /// Counts the failure towards the back-off (for callers with their own refusal).
    pub(crate) fn count_failure(&self) {
        self.state
            .admission
            .login_failed(&self.account, &self.address, self.state.now());
    }

    /// The attempt succeeded.
    pub(crate) fn succeeded(&self) {
        self.state
            .admission
            .login_succeeded(&self.account, &self.address);
    }
}

pub(crate) fn issue(
    state: &AppState,
    scope: Scope,
    subject: String,
    region: Option<CityCode>,
) -> Result<Issued, AppError> {
    let (token, expires_at) = state.sessions.issue(scope, subject, region, state.now())?;
    Ok(Issued {
        token,
        expires_at,
        scope,
        password_change_required: false,
    })
}

/// Parses `YYYY-MM-DD` or `长期`.
pub fn parse_validity(text: &str) -> Result<Option<Date>, AppError> {
    if text == "长期" {
        return Ok(None);
    }
    Date::parse(text).map(Some).ok_or_else(|| {
        AppError::invalid(
            "invalid_date",
            format!("'{text}' is not YYYY-MM-DD or 长期"),
        )
    })
}

/// Parses an ID number into the candidate key.
pub fn key_of(state: &AppState, id_number: &str) -> Result<(IdNumber, CandidateKey), AppError> {
    let id = IdNumber::parse(id_number).map_err(engine::Rejection::from)?;
    let key = state.key_secret.candidate_key(&id);
    Ok((id, key))
}

/// An operator's login. Every attempt is audited, failed ones too, before the answer.
pub async fn operator_login(
    state: &AppState,
    client: &Client,
    username: &str,
    password: &str,
) -> Result<Issued, AppError> {
    // Usernames are compared as typed, but counted as one account however they are cased.
    let attempt = Attempt::begin(state, client, &username.trim().to_lowercase())?;
    let verified = match state.accounts.get(username) {
        Some(account) => state
            .hasher
            .verify(password.to_owned(), account.password_hash.clone())
            .await
            .map_err(busy)?
            .then_some(account),
        None => {
            state
                .hasher
                .verify_nobody(password.to_owned())
                .await
                .map_err(busy)?;
            None
        }
    };
    let outcome = match &verified {
        Some(account) if account.disabled => "account_disabled",
        Some(_) => "ok",
        None => "invalid_credentials",
    };
    crate::audit::login(state, &client.address, username, outcome).await?;
    let Some(account) = verified else {
        return Err(attempt.failed());
    };
    if account.disabled {
        // Only someone who knows the password learns that the account is disabled.
        return Err(AppError::unauthenticated(
            "account_disabled",
            "此账号已停用 / this account is disabled; ask the level above",
        ));
    }
    attempt.succeeded();
    let (token, expires_at) = state.sessions.issue_operator(
        account.scope,
        username.to_owned(),
        account.generation,
        account.must_change_password,
        state.now(),
    )?;
    Ok(Issued {
        token,
        expires_at,
        scope: account.scope,
        password_change_required: account.must_change_password,
    })
}

/// A candidate's first login with the captured facts (only until passwords are set).
pub async fn first_login(
    state: &AppState,
    client: &Client,
    id_number: &str,
    name: String,
    valid_until: Option<Date>,
) -> Result<Issued, AppError> {
    let (_, key) = key_of(state, id_number)?;
    let attempt = Attempt::begin(state, client, &key.to_string())?;
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
            client.ticket.as_deref(),
            state.now(),
        )
        .await?;
    let command = Command::FirstLogin { name, valid_until };
    // A fresh idempotency key per attempt: the engine's own check of name and validity must
    // run every time (a replayed key would skip it); a repeated first login records nothing.
    // Every identity failure — unknown candidate, wrong name or validity, passwords already
    // set — is the same 401, so the answer tells nobody who is registered.
    let attempt_key = fresh_idempotency_key("first-login")?;
    execute(state, key, command, attempt_key, Vec::new())
        .await
        .map_err(|error| match error {
            ActorError::Rejected(Rejection::IdentityMismatch | Rejection::CandidateNotFound) => {
                attempt.failed()
            }
            other => AppError::from(other),
        })?;
    attempt.succeeded();
    issue(state, Scope::Candidate(key), key.to_string(), region)
}

/// A candidate's login with their ID number or serial number and login password.
pub async fn candidate_login(
    state: &AppState,
    client: &Client,
    login: &str,
    password: &str,
) -> Result<Issued, AppError> {
    let key = if login.len() == 8 {
        let serial = SerialNumber::parse(login)?;
        state.store.candidate_key_by_serial(serial).await?
    } else {
        Some(key_of(state, login)?.1)
    };
    // Serial number and ID number name the same account: one bucket for both.
    let account = key.map_or_else(|| login.to_owned(), |key| key.to_string());
    let attempt = Attempt::begin(state, client, &account)?;
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
            .verify_nobody(password.to_owned())
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
            client.ticket.as_deref(),
            state.now(),
        )
        .await?;
    if !state
        .hasher
        .verify(password.to_owned(), passwords.login_hash)
        .await
        .map_err(busy)?
    {
        return Err(attempt.failed());
    }
    attempt.succeeded();
    issue(state, Scope::Candidate(key), key.to_string(), region)
}

/// The hashing pool is full: 503 with Retry-After.
pub fn busy(error: crate::hashing::HashingError) -> AppError {
    AppError::busy("password_checks_busy", error.to_string(), 2)
}
