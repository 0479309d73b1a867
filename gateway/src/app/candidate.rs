//! A candidate acting on their own record (steps 3–8 of the gaokao flow): the scope is the
//! session's own key, so there is no way to name another candidate here.
//!
//! Every save of registration data checks the save password first (domain §2.5), on the
//! hashing pool; a wrong one is counted durably before the refusal.

use crate::app::AppError;
use crate::app::session::busy;
use crate::app::{fresh_idempotency_key, load, run};
use crate::orders::order_id;
use crate::providers::{Channel, PayInstructions};
use crate::sessions::Caller;
use crate::state::AppState;
use actors::Outcome;
use engine::candidate::art_pe::ArtCategory;
use engine::candidate::declaration::DeclarationKind;
use engine::candidate::form::RegistrationForm;
use engine::candidate::{Candidate, Command, FeeKind, FeeOrder, Provider, SavePasswordCheck};
use engine::key::CandidateKey;
use engine::scope::Scope;
use serde::Serialize;
use storage::StateStore as _;

/// An order to pay, and how to pay it at the provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeeOrderView {
    /// Our order number.
    pub order_id: String,
    /// Amount due, fen.
    pub amount_fen: u32,
    /// Provider.
    pub provider: Provider,
    /// What the provider answered: the QR code, link or form to pay with.
    pub pay: PayInstructions,
}

/// Who pays an order, and how.
#[derive(Debug, Clone)]
pub struct Payer {
    /// With which provider.
    pub provider: Provider,
    /// On a computer (QR code) or in the phone's browser.
    pub channel: Channel,
    /// The payer's address (WeChat Pay's H5 payments need it).
    pub client_ip: String,
}

/// A started real-person verification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The ticket for the identity provider.
    pub verification: String,
    /// How long it is good for.
    pub expires_in_seconds: i64,
}

/// The candidate signed in, acting on their own record.
pub struct Myself<'a> {
    state: &'a AppState,
    key: CandidateKey,
}

impl<'a> Myself<'a> {
    /// The caller as a candidate; operators are refused.
    pub fn of(state: &'a AppState, caller: &Caller) -> Result<Myself<'a>, AppError> {
        match caller.0.scope {
            Scope::Candidate(key) => Ok(Myself { state, key }),
            _ => Err(AppError::out_of_scope()),
        }
    }

    /// Their key.
    pub fn key(&self) -> CandidateKey {
        self.key
    }

    /// Their record as stored now, with the payments they made applied first (a payment
    /// acknowledged from the inbox is the candidate's to see at once: `app::inbox`).
    pub async fn record(&self) -> Result<Candidate, AppError> {
        Ok(self.record_and_pending().await?.0)
    }

    /// [`Myself::record`], and how many of their payments are received but could not be
    /// recorded yet (shown as "已收到付款，正在入账") — one look at the inbox for both.
    pub async fn record_and_pending(&self) -> Result<(Candidate, usize), AppError> {
        let pending = crate::app::inbox::settle(self.state, self.key).await;
        Ok((load(self.state, self.key).await?, pending))
    }

    async fn run(&self, command: Command, idempotency: String) -> Result<Outcome, AppError> {
        // In order: their payments received before this command are applied before it.
        crate::app::inbox::settle(self.state, self.key).await;
        self.run_settled(command, idempotency).await
    }

    /// [`Myself::run`] right after their payments were applied (by [`Myself::record`]).
    async fn run_settled(
        &self,
        command: Command,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        run(self.state, self.key, command, idempotency, Vec::new()).await
    }

    /// A save of registration data: the save password is checked first (a wrong one is
    /// counted), then `make` builds the command carrying the check for the engine.
    async fn save(
        &self,
        save_password: Option<&str>,
        idempotency: String,
        make: impl FnOnce(SavePasswordCheck) -> Command,
    ) -> Result<Outcome, AppError> {
        let check = self.check_save_password(save_password).await?;
        match check {
            // Checking read the record, which applied their payments just now.
            SavePasswordCheck::Verified { .. } => self.run_settled(make(check), idempotency).await,
            _ => self.run(make(check), idempotency).await,
        }
    }

    /// Checks a save password on the hashing pool. A wrong one is counted durably before
    /// the answer, and the count locks saving at the policy's limit; a locked record is
    /// refused before any hashing, so a stolen session cannot keep guessing.
    async fn check_save_password(
        &self,
        provided: Option<&str>,
    ) -> Result<SavePasswordCheck, AppError> {
        let Some(password) = provided else {
            return Ok(SavePasswordCheck::NotProvided);
        };
        let candidate = self.record().await?;
        let Some(passwords) = &candidate.passwords else {
            return Err(engine::Rejection::PasswordsNotSet.into());
        };
        if candidate.save_password_locked(&self.state.settings.current().policy) {
            return Err(engine::Rejection::SavePasswordLocked.into());
        }
        let matches = self
            .state
            .hasher
            .verify(password.to_owned(), passwords.save_hash.clone())
            .await
            .map_err(busy)?;
        if matches {
            return Ok(SavePasswordCheck::Verified {
                generation: passwords.save_generation,
            });
        }
        let attempt = fresh_idempotency_key("save-password-failure")?;
        self.run_settled(Command::RecordSavePasswordFailure, attempt)
            .await?;
        Err(engine::Rejection::SavePasswordIncorrect.into())
    }

    /// Starts a real-person authentication (after the registration fee): a signed,
    /// single-use ticket for the identity provider.
    pub async fn start_verification(&self) -> Result<Verification, AppError> {
        let candidate = self.record().await?;
        if candidate.fee.paid.is_none() {
            return Err(engine::Rejection::FeeNotPaid.into());
        }
        let ticket = self
            .state
            .verifications
            .issue(self.key, self.state.now())
            .ok_or_else(|| {
                AppError::internal("entropy_unavailable", "cannot start a verification now")
            })?;
        Ok(Verification {
            verification: ticket,
            expires_in_seconds: crate::verification::TICKET_TTL_MS / 1000,
        })
    }

    /// Creates an order for one of the candidate's fees. The order number depends on the
    /// orders made so far, so a retry would build another command: a request already
    /// applied is answered from the record (its newest order of that fee) instead.
    ///
    /// The order is durable before the provider is asked to create the payment; if the
    /// provider cannot be reached the caller gets 502 and retries with the same key, which
    /// asks the provider again for the same order number (idempotent at every provider).
    pub async fn create_order(
        &self,
        fee: FeeKind,
        payer: Payer,
        idempotency: String,
    ) -> Result<FeeOrderView, AppError> {
        let provider = payer.provider;
        let gateway = crate::app::payments::offered(self.state, provider)?;
        let existing = self.record().await?;
        let applied = self
            .state
            .store
            .idempotent_outcome(&actors::scoped_idempotency_key(self.key, &idempotency))
            .await?
            .is_some();
        let record = if applied {
            existing
        } else {
            let command = order_command(fee, self.key, &existing, provider);
            self.run(command, idempotency)
                .await?
                .candidate
                .ok_or(engine::Rejection::CandidateNotFound)?
        };
        let created = orders_of(&record, fee)
            .and_then(|orders| orders.last())
            .ok_or(engine::Rejection::CandidateNotFound)?;
        let pay = crate::app::payments::create_payment(
            self.state,
            gateway,
            created,
            fee_description(fee),
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

    /// "Refresh payment status": asks the providers about this candidate's unpaid orders
    /// (their query APIs, as reconciliation does) and records what was paid — for the
    /// candidate whose notification is late or lost.
    pub async fn refresh_payments(&self) -> Result<crate::reconciliation::Report, AppError> {
        let candidate = self.record().await?;
        let mut report = crate::reconciliation::Report::default();
        crate::reconciliation::job::check_candidate(
            self.state,
            &candidate,
            self.state.now(),
            &mut report,
        )
        .await;
        Ok(report)
    }

    /// Declares a bonus-point or special-plan eligibility.
    pub async fn declare(
        &self,
        kind: DeclarationKind,
        item: String,
        documents: Vec<String>,
        save_password: Option<&str>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.save(save_password, idempotency, |save_password| {
            Command::Declare {
                kind,
                item,
                documents,
                save_password,
            }
        })
        .await
    }

    /// Withdraws a declaration not yet reviewed.
    pub async fn withdraw_declaration(
        &self,
        id: u32,
        save_password: Option<&str>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.save(save_password, idempotency, |save_password| {
            Command::WithdrawDeclaration { id, save_password }
        })
        .await
    }

    /// Sets or changes the login and/or save password: each 8–64 characters with letters
    /// and digits, the two different, hashed on the pool.
    pub async fn set_passwords(
        &self,
        login_password: Option<String>,
        save_password: Option<String>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.refuse_identical(login_password.as_ref(), save_password.as_ref())
            .await?;
        let mut hashes = [None, None];
        for (slot, (field, password)) in hashes.iter_mut().zip([
            ("login_password", login_password),
            ("save_password", save_password),
        ]) {
            if let Some(password) = password {
                check_strength(field, &password)?;
                *slot = Some(self.state.hasher.hash(password).await.map_err(busy)?);
            }
        }
        let [login_hash, save_hash] = hashes;
        self.run(
            Command::SetPasswords {
                login_hash,
                save_hash,
            },
            idempotency,
        )
        .await
    }

    /// The save password must differ from the login password. Only the plaintexts can show
    /// it (salted hashes of one password differ): both new ones against each other, or a
    /// single new one against the stored hash of the other.
    async fn refuse_identical(
        &self,
        login: Option<&String>,
        save: Option<&String>,
    ) -> Result<(), AppError> {
        // With one new password: it, and whether the other (to compare with) is the save one.
        let (new, other_is_save) = match (login, save) {
            (Some(login), Some(save)) if login == save => {
                return Err(engine::Rejection::PasswordsIdentical.into());
            }
            (Some(_), Some(_)) | (None, None) => return Ok(()),
            (Some(login), None) => (login, true),
            (None, Some(save)) => (save, false),
        };
        let Some(passwords) = self.record().await?.passwords else {
            return Ok(()); // the engine refuses an incomplete first setting
        };
        let other_hash = if other_is_save {
            passwords.save_hash
        } else {
            passwords.login_hash
        };
        let identical = self
            .state
            .hasher
            .verify(new.clone(), other_hash)
            .await
            .map_err(busy)?;
        if identical {
            return Err(engine::Rejection::PasswordsIdentical.into());
        }
        Ok(())
    }

    /// Binds a mobile number. (The SMS verification step belongs to the SMS gateway
    /// integration, which these machines cannot reach; the number is checked and bound.)
    pub async fn bind_phone(
        &self,
        phone: String,
        save_password: Option<&str>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.save(save_password, idempotency, |save_password| {
            Command::BindPhone {
                phone,
                save_password,
            }
        })
        .await
    }

    /// Accepts the integrity pledge.
    pub async fn accept_pledge(&self, idempotency: String) -> Result<Outcome, AppError> {
        self.run(Command::AcceptPledge, idempotency).await
    }

    /// Saves the registration form.
    pub async fn save_form(
        &self,
        form: RegistrationForm,
        save_password: Option<&str>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.save(save_password, idempotency, |save_password| {
            Command::SaveForm {
                form: Box::new(form),
                save_password,
            }
        })
        .await
    }

    /// Chooses an art/PE category (or changes its items while unpaid).
    pub async fn choose_art_category(
        &self,
        category: ArtCategory,
        main_item: String,
        sub_item: Option<String>,
        save_password: Option<&str>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.save(save_password, idempotency, |save_password| {
            Command::ChooseArtCategory {
                category,
                main_item,
                sub_item,
                save_password,
            }
        })
        .await
    }

    /// Drops an unpaid art/PE category.
    pub async fn drop_art_category(
        &self,
        category: ArtCategory,
        save_password: Option<&str>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.save(save_password, idempotency, |save_password| {
            Command::DropArtCategory {
                category,
                save_password,
            }
        })
        .await
    }
}

/// The command creating the next order of `fee` for `candidate`.
fn order_command(
    fee: FeeKind,
    key: CandidateKey,
    candidate: &Candidate,
    provider: Provider,
) -> Command {
    let next = orders_of(candidate, fee).map_or(0, Vec::len) + 1;
    Command::CreateFeeOrder {
        fee,
        order_id: order_id(fee, key, next),
        provider,
    }
}

/// The orders of `fee` on `candidate`.
/// What is paid for, as the provider shows it to the payer.
fn fee_description(fee: FeeKind) -> &'static str {
    match fee {
        FeeKind::Registration => "普通高考报名费",
        FeeKind::Exam => "普通高考考试费",
        FeeKind::ArtPe(_) => "艺术体育类专业考试费",
    }
}

fn orders_of(candidate: &Candidate, fee: FeeKind) -> Option<&Vec<FeeOrder>> {
    candidate.account(fee).map(|account| &account.orders)
}

/// At least 8 characters with letters and digits; at most 64.
fn check_strength(field: &'static str, password: &str) -> Result<(), AppError> {
    if !super::password_strong(password, 8) {
        return Err(AppError::invalid(
            "password_too_weak",
            format!("{field} must be 8–64 characters with both letters and digits"),
        ));
    }
    Ok(())
}
