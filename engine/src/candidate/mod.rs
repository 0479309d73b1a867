//! One candidate's registration: state, and how events evolve it.
//!
//! The flow is [`decide`] (command + state + context → events or a rejection) followed by
//! [`evolve`] (state + event → state). Only events change state, so the event log is the
//! truth and any snapshot can be rebuilt from it.

pub mod art_pe;
mod command;
mod decide;
pub mod declaration;
mod event;
mod fee;
pub mod form;

pub use command::{
    Capture, CaptureMode, Command, IdCard, MoralEvaluation, PaymentNotice, PaymentSource, Provider,
    SavePasswordCheck, Track,
};
pub use decide::{Context, Policy, check_payment, decide};
pub use event::{Event, Payment};
pub(crate) use fee::FeeChange;
pub use fee::{FeeAccount, FeeKind, FeeOrder};

use crate::key::CandidateKey;
use crate::time::Timestamp;
use art_pe::{ArtCategory, ArtEntry};
use form::RegistrationForm;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far a candidate has got; ordered, so "missing a step" is `status < wanted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Captured at the point; has not logged in.
    Captured,
    /// First login done; fee not paid.
    Activated,
    /// Registration fee paid.
    Paid,
    /// Real-person authentication passed.
    Authenticated,
    /// Login and save passwords set.
    PasswordsSet,
    /// Form saved (pledge accepted).
    FormSaved,
    /// Printed form signed at the point (for the current form version).
    Signed,
    /// Moral-character evaluation entered: ready for submission.
    Evaluated,
}

impl Status {
    /// Every status, in order.
    pub const ALL: [Status; 8] = [
        Status::Captured,
        Status::Activated,
        Status::Paid,
        Status::Authenticated,
        Status::PasswordsSet,
        Status::FormSaved,
        Status::Signed,
        Status::Evaluated,
    ];

    /// Stable small integer for index keys.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Inverse of [`Status::as_u8`].
    pub fn from_u8(value: u8) -> Option<Status> {
        Status::ALL.get(usize::from(value)).copied()
    }

    /// The stable machine-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Captured => "captured",
            Status::Activated => "activated",
            Status::Paid => "paid",
            Status::Authenticated => "authenticated",
            Status::PasswordsSet => "passwords_set",
            Status::FormSaved => "form_saved",
            Status::Signed => "signed",
            Status::Evaluated => "evaluated",
        }
    }
}

/// The candidate's passwords (argon2id PHC strings) and their generations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passwords {
    /// Login password hash.
    pub login_hash: String,
    /// Save password hash.
    pub save_hash: String,
    /// Incremented on every change of the save password.
    pub save_generation: u32,
    /// When either was last changed.
    pub changed_at: Timestamp,
}

/// One candidate's whole record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Pseudonymous key.
    pub key: CandidateKey,
    /// What the point captured.
    pub capture: Capture,
    /// When captured.
    pub captured_at: Timestamp,
    /// Whether a typed-in ID still awaits verification in person.
    pub id_verification_pending: bool,
    /// Whether another identity document still awaits the city's approval.
    pub document_approval_pending: bool,
    /// Whether a migrant worker's child's eligibility still awaits the county's audit.
    pub migrant_audit_pending: bool,
    /// When the first login matched.
    pub activated_at: Option<Timestamp>,
    /// The registration fee.
    pub fee: FeeAccount,
    /// Latest passing real-person authentication.
    pub last_auth_passed_at: Option<Timestamp>,
    /// Failed authentications, for the operators' lists.
    pub failed_auth_count: u32,
    /// Passwords, once set.
    pub passwords: Option<Passwords>,
    /// Bound phone.
    pub phone: Option<String>,
    /// When the pledge was accepted.
    pub pledge_accepted_at: Option<Timestamp>,
    /// The current form.
    pub form: Option<RegistrationForm>,
    /// Its version (0 before the first save).
    pub form_version: u32,
    /// When the form was last saved.
    pub form_saved_at: Option<Timestamp>,
    /// The version the candidate signed, if any.
    pub signed_version: Option<u32>,
    /// The moral-character evaluation.
    pub moral_evaluation: Option<MoralEvaluation>,
    /// Art/PE professional exam categories chosen, each with its own fee.
    pub art_pe: BTreeMap<ArtCategory, ArtEntry>,
    /// The exam fee (高考、学考选择性考试考试费), paid in its own later window; the
    /// admission ticket prints only once it is paid.
    pub exam_fee: FeeAccount,
    /// Bonus-point and special-plan declarations with their reviews.
    pub declarations: Vec<declaration::Declaration>,
    /// Wrong save passwords since the save password was last set or reset; at
    /// [`Policy::save_password_max_failures`] every save is refused until then.
    pub save_password_failures: u32,
}

/// The key of a transaction in [`Fee::applied_transactions`].
pub fn transaction_ledger_key(provider: Provider, transaction_id: &str) -> String {
    format!("{}/{}", provider.name(), transaction_id)
}

impl Candidate {
    /// Whether wrong save passwords have locked saving (until a new save password or the
    /// point's reset).
    pub fn save_password_locked(&self, policy: &Policy) -> bool {
        self.save_password_failures >= policy.save_password_max_failures
    }

    /// Whether the candidate signed the printed form of the *current* version (an edit after
    /// signing needs a new signature).
    pub fn signed_current_form(&self) -> bool {
        self.form_version > 0 && self.signed_version == Some(self.form_version)
    }

    /// How far the candidate has got.
    pub fn status(&self) -> Status {
        let signed_current = self.signed_current_form();
        if signed_current && self.moral_evaluation.is_some() {
            Status::Evaluated
        } else if signed_current {
            Status::Signed
        } else if self.form.is_some() {
            Status::FormSaved
        } else if self.passwords.is_some() {
            Status::PasswordsSet
        } else if self.last_auth_passed_at.is_some() {
            Status::Authenticated
        } else if self.fee.paid.is_some() {
            Status::Paid
        } else if self.activated_at.is_some() {
            Status::Activated
        } else {
            Status::Captured
        }
    }

    /// The account of `kind`: the registration and exam fees always, an art/PE category's
    /// once the category is chosen.
    pub fn account(&self, kind: FeeKind) -> Option<&FeeAccount> {
        match kind {
            FeeKind::Registration => Some(&self.fee),
            FeeKind::Exam => Some(&self.exam_fee),
            FeeKind::ArtPe(category) => self.art_pe.get(&category).map(|entry| &entry.fee),
        }
    }

    fn account_mut(&mut self, kind: FeeKind) -> Option<&mut FeeAccount> {
        match kind {
            FeeKind::Registration => Some(&mut self.fee),
            FeeKind::Exam => Some(&mut self.exam_fee),
            FeeKind::ArtPe(category) => self.art_pe.get_mut(&category).map(|entry| &mut entry.fee),
        }
    }

    /// Every account with its kind.
    pub fn accounts(&self) -> impl Iterator<Item = (FeeKind, &FeeAccount)> {
        [
            (FeeKind::Registration, &self.fee),
            (FeeKind::Exam, &self.exam_fee),
        ]
        .into_iter()
        .chain(
            self.art_pe
                .iter()
                .map(|(category, entry)| (FeeKind::ArtPe(*category), &entry.fee)),
        )
    }

    /// Whether a provider transaction was already applied to any of this candidate's fees:
    /// the exactly-once ledger spans them all.
    pub fn transaction_applied(&self, ledger_key: &str) -> bool {
        self.accounts()
            .any(|(_, account)| account.applied_transactions.contains(ledger_key))
    }

    /// Every fee order of the candidate, whatever it is for.
    pub fn all_orders(&self) -> impl Iterator<Item = &FeeOrder> {
        self.accounts()
            .flat_map(|(_, account)| account.orders.iter())
    }

    /// The order `order_id` made with `provider`, and which fee it is for.
    pub fn find_order(&self, order_id: &str, provider: Provider) -> Option<(FeeKind, &FeeOrder)> {
        self.accounts().find_map(|(kind, account)| {
            account
                .orders
                .iter()
                .find(|order| order.order_id == order_id && order.provider == provider)
                .map(|order| (kind, order))
        })
    }

    /// Applies one event. Events are facts, so this never fails.
    pub fn apply(&mut self, event: &Event) {
        // Every fee event, of builds before the fee model and after, goes to its account.
        if let Some((kind, change)) = event.fee_change() {
            if let Some(account) = self.account_mut(kind) {
                account.apply(change);
            }
            return;
        }
        match event {
            Event::Declared {
                id,
                kind,
                item,
                documents,
                ..
            } => self.declarations.push(declaration::Declaration {
                id: *id,
                kind: *kind,
                item: item.clone(),
                documents: documents.clone(),
                review: declaration::Review::Pending,
            }),
            Event::DeclarationWithdrawn { id, .. } => {
                if let Some(declaration) = self.declarations.iter_mut().find(|d| d.id == *id) {
                    declaration.review = declaration::Review::Withdrawn;
                }
            }
            Event::DeclarationReviewed { id, review, .. } => {
                if let Some(declaration) = self.declarations.iter_mut().find(|d| d.id == *id) {
                    declaration.review = review.clone();
                }
            }
            Event::ArtCategoryChosen {
                category,
                main_item,
                sub_item,
                ..
            } => {
                let entry = self.art_pe.entry(*category).or_insert_with(|| ArtEntry {
                    main_item: String::new(),
                    sub_item: None,
                    fee: FeeAccount::default(),
                });
                entry.main_item = main_item.clone();
                entry.sub_item = sub_item.clone();
            }
            Event::ArtCategoryDropped { category, .. } => {
                self.art_pe.remove(category);
            }
            // A second capture of the same key never passes `decide`; ignoring it here keeps
            // `apply` total without letting a malformed log overwrite a record.
            // Like a capture, an import only ever creates a record (see `evolve`).
            Event::Captured { .. } | Event::Imported { .. } => {}
            // Applied above, through `fee_change`.
            Event::FeeOrderCreated { .. }
            | Event::FeePaid { .. }
            | Event::SurplusPaymentRecorded { .. }
            | Event::ExamFeeOrderCreated { .. }
            | Event::ExamFeePaid { .. }
            | Event::ExamSurplusPaymentRecorded { .. }
            | Event::ArtFeeOrderCreated { .. }
            | Event::ArtFeePaid { .. }
            | Event::ArtSurplusPaymentRecorded { .. }
            | Event::FeeOrdered { .. }
            | Event::FeePaymentApplied { .. }
            | Event::FeeSurplusRecorded { .. } => {}
            Event::OtherDocumentApproved { .. } => self.document_approval_pending = false,
            Event::MigrantEligibilityApproved { .. } => self.migrant_audit_pending = false,
            Event::IdVerifiedAtPoint { .. } => self.id_verification_pending = false,
            Event::FirstLoginVerified { at } => self.activated_at = Some(*at),
            Event::RealPersonAuthRecorded {
                passed: true, at, ..
            } => self.last_auth_passed_at = Some(*at),
            Event::RealPersonAuthRecorded { passed: false, .. } => self.failed_auth_count += 1,
            Event::PasswordsChanged {
                login_hash,
                save_hash,
                at,
            } => match &mut self.passwords {
                None => {
                    self.passwords = Some(Passwords {
                        login_hash: login_hash.clone().unwrap_or_default(),
                        save_hash: save_hash.clone().unwrap_or_default(),
                        save_generation: 1,
                        changed_at: *at,
                    });
                }
                Some(passwords) => {
                    if let Some(hash) = login_hash {
                        passwords.login_hash = hash.clone();
                    }
                    if let Some(hash) = save_hash {
                        passwords.save_hash = hash.clone();
                        passwords.save_generation += 1;
                        self.save_password_failures = 0;
                    }
                    passwords.changed_at = *at;
                }
            },
            Event::SavePasswordFailed { .. } => self.save_password_failures += 1,
            Event::PasswordsReset { .. } => {
                // The authentication that allowed the old passwords cannot set new ones.
                self.passwords = None;
                self.last_auth_passed_at = None;
                self.save_password_failures = 0;
            }
            Event::PhoneBound { phone, .. } => self.phone = Some(phone.clone()),
            Event::PledgeAccepted { at } => self.pledge_accepted_at = Some(*at),
            Event::FormSaved { form, version, at } => {
                self.form = Some((**form).clone());
                self.form_version = *version;
                self.form_saved_at = Some(*at);
            }
            Event::FormSigned { version, .. } => self.signed_version = Some(*version),
            Event::MoralEvaluationRecorded { evaluation, .. } => {
                self.moral_evaluation = Some(evaluation.clone());
            }
        }
    }
}

/// Evolves an optional record by one event: `Captured` creates it, the rest change it.
pub fn evolve(state: Option<Candidate>, event: &Event) -> Option<Candidate> {
    match (state, event) {
        (None, Event::Imported { snapshot, .. }) => Some((**snapshot).clone()),
        (None, Event::Captured { key, capture, at }) => Some(Candidate {
            key: *key,
            id_verification_pending: capture.mode.leaves_id_unverified(),
            document_approval_pending: matches!(capture.mode, CaptureMode::OtherDocument { .. }),
            migrant_audit_pending: capture.migrant_child,
            capture: (**capture).clone(),
            captured_at: *at,
            activated_at: None,
            fee: FeeAccount::default(),
            last_auth_passed_at: None,
            failed_auth_count: 0,
            passwords: None,
            phone: None,
            pledge_accepted_at: None,
            form: None,
            form_version: 0,
            form_saved_at: None,
            signed_version: None,
            moral_evaluation: None,
            art_pe: BTreeMap::new(),
            exam_fee: FeeAccount::default(),
            declarations: Vec::new(),
            save_password_failures: 0,
        }),
        (Some(mut candidate), event) => {
            candidate.apply(event);
            Some(candidate)
        }
        (None, _) => None,
    }
}
