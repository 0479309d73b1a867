//! The adult exam's use cases (成人高考), in the terms of the 2019 plan: a candidate makes
//! an account and fills the registration in ([`Registrant`]), chooses a confirmation point,
//! is confirmed there by its operator ([`operator`]), and pays once confirmed; counties
//! propose confirmation points, cities review them and the province approves them
//! ([`points`]). Every write runs on the registration's shard (`actors::AdultShard`), with
//! the same idempotency, durability and audit as the gaokao's.

pub mod exam;
pub mod operator;
pub mod points;
pub mod reporting;

use crate::app::AppError;
use crate::app::candidate::{FeeOrderView, Payer};
use crate::app::session::{Attempt, Client, Issued};
use crate::state::AppState;
use actors::{AdultExecute, AdultOutcome};
use engine::adult::info::BasicInfo;
use engine::adult::volunteer::Volunteers;
use engine::adult::{AdultCandidate, AdultCommand};
use engine::key::CandidateKey;
use engine::scope::Scope;
use storage::StateStore;

/// Runs one command on the registration's shard; returns once durable.
pub async fn run(
    state: &AppState,
    key: CandidateKey,
    command: AdultCommand,
    idempotency_key: String,
) -> Result<AdultOutcome, AppError> {
    Ok(state
        .registry
        .execute_adult(AdultExecute {
            key,
            command,
            idempotency_key,
            now: state.now(),
            attachments: Vec::new(),
        })
        .await?)
}

/// A registration, or 404.
pub async fn load(state: &AppState, key: CandidateKey) -> Result<AdultCandidate, AppError> {
    state
        .store
        .adult_candidate(key)
        .await?
        .ok_or_else(|| engine::adult::Rejection::NotRegistered.into())
}

/// 4–32 lower-case letters, digits or `_`, starting with a letter.
fn check_username(username: &str) -> Result<(), AppError> {
    let well_formed = (4..=32).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(AppError::invalid(
            "username_invalid",
            "用户名为 4–32 位小写字母、数字或下划线，以字母开头 / 4–32 lower-case letters, \
             digits or '_', starting with a letter",
        ));
    }
    Ok(())
}

fn issue(state: &AppState, key: CandidateKey, record: &AdultCandidate) -> Result<Issued, AppError> {
    crate::app::session::issue(
        state,
        Scope::Candidate(key),
        key.to_string(),
        record.region(),
    )
}

/// Makes an account (username + password, argon2id), counted against the login limits of
/// the username and the client's address; answers with a session.
pub async fn register(
    state: &AppState,
    client: &Client,
    username: &str,
    password: &str,
) -> Result<Issued, AppError> {
    check_username(username)?;
    if !crate::app::password_strong(password, 8) {
        return Err(AppError::invalid(
            "password_too_weak",
            "密码 8–64 位，须同时包含字母和数字 / 8–64 characters with letters and digits",
        ));
    }
    state.admission.admit_login_attempt(
        &format!("adult:{username}"),
        &client.address,
        state.now(),
    )?;
    let key = state.key_secret.adult_key(username);
    let password_hash = state
        .hasher
        .hash(password.to_owned())
        .await
        .map_err(crate::app::session::busy)?;
    // The account's creation is decided once: a retry (same username) is refused as taken
    // unless it is this very request's replay.
    let outcome = run(
        state,
        key,
        AdultCommand::Register {
            username: username.to_owned(),
            password_hash,
        },
        format!("register-{username}"),
    )
    .await?;
    if outcome.replayed {
        return Err(engine::adult::Rejection::UsernameTaken.into());
    }
    let record = outcome
        .candidate
        .ok_or(engine::adult::Rejection::NotRegistered)?;
    issue(state, key, &record)
}

/// Logs in with username and password: the one refusal for an unknown account and a wrong
/// password, after the same work, so the answer does not say who is registered.
pub async fn login(
    state: &AppState,
    client: &Client,
    username: &str,
    password: &str,
) -> Result<Issued, AppError> {
    let attempt = Attempt::begin(state, client, &format!("adult:{username}"))?;
    let key = state.key_secret.adult_key(username);
    let record = state.store.adult_candidate(key).await?;
    let wrong = || {
        attempt.count_failure();
        AppError::unauthenticated(
            "invalid_credentials",
            "用户名或密码不正确 / the username or password is incorrect",
        )
    };
    let Some(record) = record else {
        state
            .hasher
            .verify_nobody(password.to_owned())
            .await
            .map_err(crate::app::session::busy)?;
        return Err(wrong());
    };
    if !state
        .hasher
        .verify(password.to_owned(), record.password_hash.clone())
        .await
        .map_err(crate::app::session::busy)?
    {
        return Err(wrong());
    }
    attempt.succeeded();
    issue(state, key, &record)
}

/// The logged-in adult-exam candidate, acting on their own registration.
pub struct Registrant<'a> {
    state: &'a AppState,
    key: CandidateKey,
}

impl<'a> Registrant<'a> {
    /// The caller's own registration (a candidate session).
    pub fn of(state: &'a AppState, caller: &crate::sessions::Caller) -> Result<Self, AppError> {
        match caller.0.scope {
            Scope::Candidate(key) => Ok(Registrant { state, key }),
            _ => Err(AppError::out_of_scope()),
        }
    }

    /// The registration.
    pub async fn record(&self) -> Result<AdultCandidate, AppError> {
        load(self.state, self.key).await
    }

    async fn run(
        &self,
        command: AdultCommand,
        idempotency: String,
    ) -> Result<AdultCandidate, AppError> {
        run(self.state, self.key, command, idempotency)
            .await?
            .candidate
            .ok_or_else(|| engine::adult::Rejection::NotRegistered.into())
    }

    /// Accepts the integrity pledge.
    pub async fn accept_pledge(&self, idempotency: String) -> Result<AdultCandidate, AppError> {
        self.run(AdultCommand::AcceptPledge, idempotency).await
    }

    /// Saves the basic information.
    pub async fn save_info(
        &self,
        info: BasicInfo,
        idempotency: String,
    ) -> Result<AdultCandidate, AppError> {
        self.run(AdultCommand::SaveInfo(Box::new(info)), idempotency)
            .await
    }

    /// Saves the volunteers.
    pub async fn save_volunteers(
        &self,
        volunteers: Volunteers,
        idempotency: String,
    ) -> Result<AdultCandidate, AppError> {
        self.run(
            AdultCommand::SaveVolunteers(Box::new(volunteers)),
            idempotency,
        )
        .await
    }

    /// Chooses a confirmation point (an approved one; the engine checks it takes them).
    pub async fn choose_point(
        &self,
        point: &str,
        idempotency: String,
    ) -> Result<AdultCandidate, AppError> {
        let code: engine::org::PointCode = point.parse()?;
        let point = points::find(self.state, code).await?;
        self.run(AdultCommand::ChoosePoint(Box::new(point)), idempotency)
            .await
    }

    /// Applies for admission without the exam (once the registration is valid).
    pub async fn apply_exemption(
        &self,
        reason: &str,
        idempotency: String,
    ) -> Result<AdultCandidate, AppError> {
        self.run(
            AdultCommand::ApplyExemption {
                reason: reason.to_owned(),
            },
            idempotency,
        )
        .await
    }

    /// Orders the fee (once confirmed) and asks the provider for the payment, as the
    /// gaokao's orders do: the order is durable first, a retry asks the provider again for
    /// the same order.
    pub async fn order_fee(
        &self,
        payer: Payer,
        idempotency: String,
    ) -> Result<FeeOrderView, AppError> {
        let provider = payer.provider;
        let gateway = crate::app::payments::offered(self.state, provider)?;
        let existing = self.record().await?;
        let applied = self
            .state
            .store
            .idempotent_outcome(&actors::scoped_idempotency_key_for::<actors::Adult>(
                self.key,
                &idempotency,
            ))
            .await?
            .is_some();
        let record = if applied {
            existing
        } else {
            let order_id = crate::orders::adult_order_id(self.key, existing.fee.orders.len() + 1);
            self.run(AdultCommand::OrderFee { order_id, provider }, idempotency)
                .await?
        };
        let created = record
            .fee
            .orders
            .last()
            .ok_or(engine::adult::Rejection::NotConfirmed)?;
        let pay = crate::app::payments::create_payment(
            self.state,
            gateway,
            created,
            "成人高考报名考试考务费",
            &payer,
        )
        .await?;
        Ok(FeeOrderView {
            order_id: created.order_id.clone(),
            amount_fen: created.amount_fen,
            provider: created.provider,
            pay,
        })
    }
}

/// Changes one of the adult exam's organisation settings (points, sites, areas) under the
/// organisation lock: read, `apply`, commit durably.
async fn change_setting<T, V>(
    state: &AppState,
    name: &'static str,
    apply: impl FnOnce(&mut V) -> Result<T, AppError>,
) -> Result<T, AppError>
where
    V: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let _changes = state.organisation_changes.lock().await;
    let mut value: V = crate::app::stored_setting(state, name)
        .await?
        .unwrap_or_default();
    let answer = apply(&mut value)?;
    crate::app::commit_setting(state, name.to_owned(), &value).await?;
    Ok(answer)
}
