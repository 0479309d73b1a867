//! Operator accounts: the province's first administrator from the one-time setup token;
//! then each level creates and manages the accounts of the level below (and further
//! accounts of its own unit); everyone changes their own password and logs out.
//!
//! Every change is read–change–commit of the stored directory under this node's lock, after
//! the organisation partition is caught up (in Kafka mode only its owner commits: others
//! are redirected there), then put in force here at once and on every other node by
//! [`crate::live_settings`].

use super::{AppError, store_setting, stored_setting};
use crate::accounts::{self, Account, Directory, SETTING, SETUP_SETTING, SetupToken, manages};
use crate::sessions::Session;
use crate::state::AppState;
use engine::scope::Scope;
use serde::Serialize;
use sha2::{Digest, Sha256};
use storage::{Journal as _, Partition, StateStore as _};

/// An account as the API shows it (never its hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    /// Username.
    pub username: String,
    /// `province`, `city:4301`, `county:430102` or `point:430102-001`.
    pub scope: String,
    /// Disabled by the level above.
    pub disabled: bool,
    /// Still on a one-time password.
    pub must_change_password: bool,
    /// Who created it.
    pub created_by: String,
}

impl AccountView {
    fn of(username: &str, account: &Account) -> AccountView {
        AccountView {
            username: username.to_owned(),
            scope: scope_text(&account.scope),
            disabled: account.disabled,
            must_change_password: account.must_change_password,
            created_by: account.created_by.clone(),
        }
    }
}

/// An account with a one-time password to hand over (shown once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WithOneTimePassword {
    /// The account.
    pub account: AccountView,
    /// Give it to the account's holder; the first login must replace it.
    pub one_time_password: String,
}

/// A scope as the API spells it.
pub fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Province => "province".to_owned(),
        Scope::City(city) => format!("city:{city}"),
        Scope::County(county) => format!("county:{county}"),
        Scope::Point(point) => format!("point:{point}"),
        Scope::Candidate(_) => "candidate".to_owned(),
    }
}

/// Parses `province | city:4301 | county:430102 | point:430102-001` into a scope of this
/// province (a point's county must exist; its points are the county's to create).
fn parse_scope(state: &AppState, text: &str) -> Result<Scope, AppError> {
    let not_found = || {
        AppError::not_found(
            "division_not_found",
            "no such city or county in this province",
        )
    };
    let scope = super::scope_named(text)?;
    let exists = match scope {
        Scope::City(city) => state.province.city(city).is_some(),
        Scope::County(county) => state.province.county(county).is_some(),
        Scope::Point(point) => state.province.county(point.county()).is_some(),
        _ => true,
    };
    if exists { Ok(scope) } else { Err(not_found()) }
}

async fn load(state: &AppState) -> Result<Directory, AppError> {
    state.store.caught_up(Partition::Organisation).await?;
    Ok(stored_setting(state, SETTING).await?.unwrap_or_default())
}

async fn save(state: &AppState, directory: Directory) -> Result<(), AppError> {
    store_setting(state, SETTING, &directory).await?;
    state.accounts.replace(directory);
    Ok(())
}

fn one_time_password() -> Result<String, AppError> {
    // 12 characters from a 32-letter alphabet without look-alikes (60 bits), with a
    // letter and a digit so it passes the rule it is replaced under.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|_| AppError::no_entropy())?;
    let mut password: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    password.replace_range(0..1, "k");
    password.replace_range(11..12, "7");
    Ok(password)
}

async fn hash(state: &AppState, password: &str) -> Result<String, AppError> {
    state
        .hasher
        .hash(password.to_owned())
        .await
        .map_err(super::session::busy)
}

fn check_password(password: &str) -> Result<(), AppError> {
    if super::password_strong(password, 10) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "password_too_weak",
            "密码须为10–64位并同时包含字母和数字 / a password is 10–64 characters with both letters and digits",
        ))
    }
}

fn operator(session: &Session) -> Result<(), AppError> {
    match session.scope {
        Scope::Candidate(_) => Err(AppError::out_of_scope()),
        _ => Ok(()),
    }
}

/// The province's first administrator, with the one-time token printed when the
/// deployment started on an empty store. Works once: afterwards the directory is not empty
/// and the token is gone.
pub async fn set_up(
    state: &AppState,
    token: &str,
    username: &str,
    password: &str,
) -> Result<AccountView, AppError> {
    let refused = || {
        AppError::unauthenticated(
            "setup_token_invalid",
            "the setup token is wrong, or set-up is already done",
        )
    };
    if !accounts::username_valid(username) {
        return Err(invalid_username());
    }
    check_password(password)?;
    let hashed = hash(state, password).await?;
    let _changes = state.organisation_changes.lock().await;
    let directory = load(state).await?;
    let stored: Option<SetupToken> = match state.store.setting(SETUP_SETTING).await? {
        Some(bytes) => serde_json::from_slice(&bytes).ok(),
        None => None,
    };
    let Some(stored) = stored.filter(|_| directory.is_empty()) else {
        return Err(refused());
    };
    let presented = hex::encode(Sha256::digest(token.as_bytes()));
    // Both are digests of the same length: comparing them leaks nothing useful.
    if presented != stored.token_sha256 {
        return Err(refused());
    }
    let account = Account {
        password_hash: hashed,
        scope: Scope::Province,
        generation: 0,
        disabled: false,
        must_change_password: false,
        created_by: "setup".to_owned(),
    };
    let view = AccountView::of(username, &account);
    // The token is spent first: a crash between the two commits leaves no usable token
    // and no account — the operator restarts, which prints a new token.
    store_setting(
        state,
        SETUP_SETTING,
        &SetupToken {
            token_sha256: String::new(),
        },
    )
    .await?;
    save(state, Directory::from([(username.to_owned(), account)])).await?;
    Ok(view)
}

fn invalid_username() -> AppError {
    AppError::invalid(
        "username_invalid",
        "a username is 3–32 lower-case letters, digits, '-', '_' or '.'",
    )
}

/// Creates an account of `scope` (which the caller manages), with a one-time password.
pub async fn create(
    state: &AppState,
    caller: &Session,
    username: &str,
    scope: &str,
) -> Result<WithOneTimePassword, AppError> {
    operator(caller)?;
    let scope = parse_scope(state, scope)?;
    if !manages(&caller.scope, &scope) {
        return Err(AppError::out_of_scope());
    }
    if !accounts::username_valid(username) {
        return Err(invalid_username());
    }
    let password = one_time_password()?;
    let hashed = hash(state, &password).await?;
    let _changes = state.organisation_changes.lock().await;
    let mut directory = load(state).await?;
    if directory.contains_key(username) || state.accounts.is_demo(username) {
        return Err(AppError::not_now(
            "username_taken",
            format!("an account named '{username}' exists"),
        ));
    }
    let account = Account {
        password_hash: hashed,
        scope,
        generation: 0,
        disabled: false,
        must_change_password: true,
        created_by: caller.subject.clone(),
    };
    let view = AccountView::of(username, &account);
    directory.insert(username.to_owned(), account);
    save(state, directory).await?;
    Ok(WithOneTimePassword {
        account: view,
        one_time_password: password,
    })
}

/// The accounts the caller manages.
pub fn list(state: &AppState, caller: &Session) -> Result<Vec<AccountView>, AppError> {
    operator(caller)?;
    Ok(state
        .accounts
        .stored_within(|scope| manages(&caller.scope, scope))
        .iter()
        .map(|(username, account)| AccountView::of(username, account))
        .collect())
}

/// Changes `username`'s stored account with `change`, if the caller manages it (and it is
/// not the caller's own: that is [`change_own_password`]).
async fn manage(
    state: &AppState,
    caller: &Session,
    username: &str,
    change: impl FnOnce(&mut Account),
) -> Result<AccountView, AppError> {
    operator(caller)?;
    if username == caller.subject {
        return Err(AppError::not_now(
            "own_account",
            "change your own password with PUT /v1/sessions/operator/password; the level above manages your account",
        ));
    }
    let _changes = state.organisation_changes.lock().await;
    let mut directory = load(state).await?;
    let not_found = || AppError::not_found("account_not_found", "no such account in your scope");
    let account = directory.get_mut(username).ok_or_else(not_found)?;
    if !manages(&caller.scope, &account.scope) {
        // Said the same way as a missing one: names outside one's scope are not confirmed.
        return Err(not_found());
    }
    change(account);
    let view = AccountView::of(username, account);
    save(state, directory).await?;
    Ok(view)
}

/// A new one-time password for `username`; its sessions end.
pub async fn reset_password(
    state: &AppState,
    caller: &Session,
    username: &str,
) -> Result<WithOneTimePassword, AppError> {
    let password = one_time_password()?;
    let hashed = hash(state, &password).await?;
    let account = manage(state, caller, username, |account| {
        account.password_hash = hashed;
        account.must_change_password = true;
        account.generation += 1;
    })
    .await?;
    Ok(WithOneTimePassword {
        account,
        one_time_password: password,
    })
}

/// Disables or enables `username`; disabling ends its sessions.
pub async fn set_enabled(
    state: &AppState,
    caller: &Session,
    username: &str,
    enabled: bool,
) -> Result<AccountView, AppError> {
    manage(state, caller, username, |account| {
        if account.disabled == enabled {
            account.disabled = !enabled;
            account.generation += 1;
        }
    })
    .await
}

/// The caller's own password: the current one checked, the new one set, every earlier
/// session of the account ended. Returns the account's new generation and scope.
pub async fn change_own_password(
    state: &AppState,
    caller: &Session,
    current: &str,
    new: &str,
) -> Result<(u32, Scope), AppError> {
    operator(caller)?;
    if state.accounts.is_demo(&caller.subject) {
        return Err(AppError::not_now(
            "demo_account",
            "the demo's accounts share the password printed at start and cannot change it",
        ));
    }
    check_password(new)?;
    if current == new {
        return Err(AppError::invalid(
            "password_unchanged",
            "the new password must differ from the current one",
        ));
    }
    let account = state
        .accounts
        .get(&caller.subject)
        .ok_or_else(|| AppError::unauthenticated("unauthenticated", "log in first"))?;
    let verified = state
        .hasher
        .verify(current.to_owned(), account.password_hash.clone())
        .await
        .map_err(super::session::busy)?;
    if !verified {
        return Err(AppError::unauthenticated(
            "invalid_credentials",
            "the current password is not correct",
        ));
    }
    let hashed = hash(state, new).await?;
    let _changes = state.organisation_changes.lock().await;
    let mut directory = load(state).await?;
    let account = directory
        .get_mut(&caller.subject)
        .ok_or_else(|| AppError::unauthenticated("unauthenticated", "log in first"))?;
    account.password_hash = hashed;
    account.must_change_password = false;
    account.generation += 1;
    let answer = (account.generation, account.scope);
    save(state, directory).await?;
    Ok(answer)
}

/// Ends every session of the caller's account (a demo account's sessions simply expire).
pub async fn log_out(state: &AppState, caller: &Session) -> Result<(), AppError> {
    operator(caller)?;
    if state.accounts.is_demo(&caller.subject) {
        return Ok(());
    }
    let _changes = state.organisation_changes.lock().await;
    let mut directory = load(state).await?;
    if let Some(account) = directory.get_mut(&caller.subject) {
        account.generation += 1;
        save(state, directory).await?;
    }
    Ok(())
}
