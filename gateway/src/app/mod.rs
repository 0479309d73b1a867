//! The application layer: the use cases, in the terms of the domain — what a candidate, a
//! point or a county can do — each one parse-free and render-free, so that the JSON API
//! (`routes/`) and the server-rendered pages to come call the same code. A handler parses,
//! authenticates, calls one use case and renders what it returns; no rule lives in a
//! handler or a template.
//!
//! Here so far: the candidate's own record ([`candidate`]), the point's capture
//! ([`capture`]), operators' decisions, work lists and progress ([`operator`]) and logging in
//! ([`session`]), county packages ([`package`]), the province's windows and admission
//! control ([`settings`]), what may be printed ([`documents`]; the PDFs are rendered by the
//! routes, like templates), payments and identity results from outside ([`payments`]: the
//! provider callbacks and the reconciliation alike), a candidate's timeline for operators
//! ([`timeline`]), and the adult exam's own use cases ([`adult`]). Node-to-node requests and the
//! reconciliation pass's own loop stay beside their transport.

pub mod accounts;
pub mod adult;
pub mod candidate;
pub mod capture;
pub mod county;
pub mod documents;
pub mod error;
pub mod import;
pub mod inbox;
pub mod operator;
pub mod package;
pub mod payments;
pub mod serials;
pub mod session;
pub mod settings;
pub mod timeline;

// The steps every use case shares: run a command on a candidate's shard, load a record,
// page through a point, store a live setting, require the province.

use crate::state::AppState;
use actors::{Execute, Outcome};
use engine::candidate::{Candidate, Command};
use engine::key::CandidateKey;
pub use error::AppError;
use storage::Journal as _;
use storage::{StateStore, StateUpdate};

/// A fresh idempotency key for a command that must be decided on every attempt (first
/// login, a counted wrong save password): a replayed key would skip the engine's check.
pub fn fresh_idempotency_key(prefix: &str) -> Result<String, AppError> {
    let nonce = crate::random_hex(8).ok_or_else(AppError::no_entropy)?;
    Ok(format!("{prefix}-{nonce}"))
}

/// Runs one command on the candidate's shard; returns once durable.
pub async fn run(
    state: &AppState,
    key: CandidateKey,
    command: Command,
    idempotency_key: String,
    attachments: Vec<StateUpdate>,
) -> Result<Outcome, AppError> {
    Ok(execute(state, key, command, idempotency_key, attachments).await?)
}

/// [`run`], keeping the actors' typed error for callers that treat some refusals alike.
pub async fn execute(
    state: &AppState,
    key: CandidateKey,
    command: Command,
    idempotency_key: String,
    attachments: Vec<StateUpdate>,
) -> Result<Outcome, actors::ActorError> {
    let request = Execute {
        key,
        command,
        idempotency_key,
        now: state.now(),
        attachments,
    };
    state.registry.execute(request).await
}

/// One page of an operator's list over candidates, in key order: after `after` (a candidate
/// key, hex, as the previous page's `next`), at most `limit` (default and most: `max`).
/// Heavy lists are paged so that no request reads or renders a whole county at once.
pub fn page_bounds(
    after: Option<&str>,
    limit: Option<usize>,
    max: usize,
) -> Result<(Option<CandidateKey>, usize), AppError> {
    let after = match after {
        None => None,
        Some(text) => Some(CandidateKey::parse_hex(text).ok_or_else(|| {
            AppError::malformed(
                "after_invalid",
                "after must be a candidate key (32 hex digits)",
            )
        })?),
    };
    match limit.unwrap_or(max) {
        limit @ 1.. if limit <= max => Ok((after, limit)),
        _ => Err(AppError::malformed(
            "limit_invalid",
            format!("limit must be between 1 and {max}"),
        )),
    }
}

/// One page of `point`'s candidates (of one status, if given) after `after`, and the key to
/// continue after when there may be more.
pub async fn page_at_point(
    state: &AppState,
    point: engine::org::PointCode,
    status: Option<engine::candidate::Status>,
    after: Option<CandidateKey>,
    limit: usize,
) -> Result<(Vec<Candidate>, Option<CandidateKey>), AppError> {
    let page = state
        .store
        .candidates_at_point(point, status, after, limit)
        .await?;
    let next = if page.len() == limit {
        page.last().map(|candidate| candidate.key)
    } else {
        None
    };
    Ok((page, next))
}

/// Every candidate of `point` (of one status, if given), in key order, read page by page.
/// Bounded: a point hands out at most 9,999 serial numbers.
pub async fn all_at_point(
    state: &AppState,
    point: engine::org::PointCode,
    status: Option<engine::candidate::Status>,
) -> Result<Vec<Candidate>, AppError> {
    const PAGE: usize = 1000;
    let mut candidates = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store
            .candidates_at_point(point, status, after, PAGE)
            .await?;
        after = page.last().map(|candidate| candidate.key);
        let full = page.len() == PAGE;
        candidates.extend(page);
        if !full {
            return Ok(candidates);
        }
    }
}

/// The stored record of `key`, or 404.
pub async fn load(state: &AppState, key: CandidateKey) -> Result<Candidate, AppError> {
    state
        .store
        .candidate(key)
        .await?
        .ok_or_else(|| engine::Rejection::CandidateNotFound.into())
}

/// Reads `province | city:4301 | county:430102 | point:430102-001` (the API's spelling of a
/// scope; whether the division exists is the caller's to check).
pub fn scope_named(text: &str) -> Result<engine::scope::Scope, AppError> {
    use engine::scope::Scope;
    Ok(match text.split_once(':') {
        None if text == "province" => Scope::Province,
        Some(("city", code)) => Scope::City(code.parse()?),
        Some(("county", code)) => Scope::County(code.parse()?),
        Some(("point", code)) => Scope::Point(code.parse()?),
        _ => {
            return Err(AppError::malformed(
                "invalid_scope",
                "scope is province, city:CODE, county:CODE or point:CODE",
            ));
        }
    })
}

/// The one password rule, at a length that differs by who chooses it (candidates 8,
/// operators 10): `min_chars`–64 characters with both letters and digits.
pub fn password_strong(password: &str, min_chars: usize) -> bool {
    (min_chars..=64).contains(&password.chars().count())
        && password.chars().any(|c| c.is_ascii_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit())
}

/// Refuses anyone but a province operator.
pub fn province_only(caller: &crate::sessions::Caller) -> Result<(), AppError> {
    match caller.0.scope {
        engine::scope::Scope::Province => Ok(()),
        _ => Err(AppError::out_of_scope()),
    }
}

/// Commits one of the province's live settings durably (JSON), before it is put in force
/// here (by the caller) and on every other node (by [`crate::live_settings`]).
pub async fn store_setting(
    state: &AppState,
    name: &'static str,
    value: &impl serde::Serialize,
) -> Result<(), AppError> {
    let value = commit_setting(state, name.to_owned(), value).await?;
    state.settings_versions.record(name, &value);
    Ok(())
}

/// Reads a stored setting of the organisation (JSON), if it was ever committed.
pub async fn stored_setting<T: serde::de::DeserializeOwned>(
    state: &AppState,
    name: &str,
) -> Result<Option<T>, AppError> {
    match state.store.setting(name).await? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| AppError::internal("setting_malformed", error.to_string())),
        None => Ok(None),
    }
}

/// Commits a stored setting of the organisation (JSON) and returns its bytes.
pub async fn commit_setting(
    state: &AppState,
    name: String,
    value: &impl serde::Serialize,
) -> Result<Vec<u8>, AppError> {
    let value = serde_json::to_vec(value)
        .map_err(|error| AppError::internal("encoding_failed", error.to_string()))?;
    state
        .store
        .commit(storage::Commit {
            partition: storage::Partition::Organisation,
            records: Vec::new(),
            updates: vec![StateUpdate::Setting {
                name,
                value: value.clone(),
            }],
        })
        .await?;
    Ok(value)
}
