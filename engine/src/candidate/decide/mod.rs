//! `decide`: whether a command may happen to a candidate now, and what happens if so.
//!
//! Pure: everything it needs arrives in the [`Context`] (the instant, the schedule, the
//! policy, whether the county has frozen its records). Expected outcomes are values: an
//! already-applied payment or a repeated pledge yields *no events*, not an error, so
//! callers can acknowledge retries without special cases.

mod art_categories;
mod credentials;
mod declarations;
mod fees;
mod identity;
mod registration_form;

use super::Candidate;
use super::command::{Command, PaymentNotice, SavePasswordCheck, Track};
use super::event::Event;
use crate::key::CandidateKey;
use crate::photo::PhotoRules;
use crate::rejection::Rejection;
use crate::schedule::{Schedule, WindowKind};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Rules the province sets as data (§5: "rules as data where practical").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The registration fee (报名费), in fen.
    pub registration_fee_fen: u32,
    /// How long a passing real-person authentication allows a password change, in seconds.
    pub auth_freshness_seconds: i64,
    /// Photo standard.
    pub photo: PhotoRules,
    /// Youngest age (on the capture date) a gaokao candidate may be.
    pub minimum_age_years: i32,
    /// The fee of one art/PE professional exam category (专业统考考试费), in fen.
    #[serde(default = "default_art_pe_fee_fen")]
    pub art_pe_fee_fen: u32,
    /// The exam fee (考试费), in fen.
    #[serde(default = "default_exam_fee_fen")]
    pub exam_fee_fen: u32,
    /// Wrong save passwords before every save is refused (a six-digit-ish save password
    /// would otherwise fall to a patient guesser holding a stolen session).
    #[serde(default = "default_save_password_max_failures")]
    pub save_password_max_failures: u32,
    /// What may be declared for bonus points and special plans, and how many times.
    #[serde(default)]
    pub declarations: super::declaration::Catalogue,
}

fn default_save_password_max_failures() -> u32 {
    5
}

fn default_exam_fee_fen() -> u32 {
    15_000
}

fn default_art_pe_fee_fen() -> u32 {
    10_000
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            registration_fee_fen: 2000,
            auth_freshness_seconds: 15 * 60,
            photo: PhotoRules::default(),
            minimum_age_years: 12,
            art_pe_fee_fen: default_art_pe_fee_fen(),
            exam_fee_fen: default_exam_fee_fen(),
            save_password_max_failures: default_save_password_max_failures(),
            declarations: super::declaration::Catalogue::default(),
        }
    }
}

/// Everything outside the record that a decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The candidate's key (the stream being written).
    pub key: CandidateKey,
    /// The instant of the decision.
    pub now: Timestamp,
    /// The province's windows.
    pub schedule: &'a Schedule,
    /// The province's rules.
    pub policy: &'a Policy,
    /// Whether the candidate's county has submitted (frozen) its records.
    pub records_frozen: bool,
}

pub(super) const MAX_NAME_CHARS: usize = 30;
pub(super) const MAX_ADDRESS_CHARS: usize = 70;
pub(super) const MAX_REFERENCE_CHARS: usize = 64;

/// What a verified payment would do to the record, decided exactly as `decide` decides
/// `Command::RecordPayment` (which needs no context: payments are never window-checked):
/// `Ok(true)` it changes the record, `Ok(false)` this provider transaction was applied
/// before, or the refusal. A payment's receiver asks this of the stored record before
/// acknowledging a notification it leaves to the shard to apply: a record only moves on
/// by the candidate's own steps, none of which removes an order or changes its amount, so
/// what passes here is not refused later.
pub fn check_payment(state: Option<&Candidate>, notice: &PaymentNotice) -> Result<bool, Rejection> {
    let candidate = state.ok_or(Rejection::CandidateNotFound)?;
    fees::decide_payment(candidate, notice, Timestamp(0)).map(|events| !events.is_empty())
}

/// Decides `command` against the record (`None` before capture).
pub fn decide(
    state: Option<&Candidate>,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let candidate = match (state, command) {
        (None, Command::Capture(capture)) => return identity::decide_capture(capture, ctx),
        (Some(_), Command::Capture(_)) => return Err(Rejection::AlreadyRegistered),
        (existing, Command::Import(snapshot)) => {
            if snapshot.key != ctx.key {
                return Err(Rejection::OutOfScope);
            }
            return match existing {
                None => Ok(vec![Event::Imported {
                    snapshot: snapshot.clone(),
                    at,
                }]),
                Some(existing) if existing == &**snapshot => Ok(vec![]),
                Some(_) => Err(Rejection::ImportConflict),
            };
        }
        (None, _) => return Err(Rejection::CandidateNotFound),
        (Some(candidate), _) => candidate,
    };
    match command {
        Command::Capture(_) => Err(Rejection::AlreadyRegistered),
        Command::Import(_) => Err(Rejection::ImportConflict),
        Command::ApproveOtherDocument { city } => {
            identity::approve_other_document(candidate, city, ctx)
        }
        Command::ApproveMigrantEligibility { county } => {
            identity::approve_migrant_eligibility(candidate, county, ctx)
        }
        Command::VerifyIdAtPoint { point } => identity::verify_id_at_point(candidate, point, ctx),
        Command::FirstLogin { name, valid_until } => {
            identity::first_login(candidate, name, valid_until, ctx)
        }
        Command::RecordSavePasswordFailure => {
            credentials::record_save_password_failure(candidate, ctx)
        }
        Command::ResetPasswords { point } => credentials::reset_passwords(candidate, point, ctx),
        Command::CreateFeeOrder {
            fee,
            order_id,
            provider,
        } => fees::create_order(candidate, *fee, order_id, *provider, ctx),
        // Deliberately not window- or freeze-checked: the money has moved, so the record
        // must show it whenever the provider tells us.
        Command::RecordPayment(notice) => fees::decide_payment(candidate, notice, at),
        Command::Declare {
            kind,
            item,
            documents,
            save_password,
        } => declarations::declare(candidate, kind, item, documents, save_password, ctx),
        Command::WithdrawDeclaration { id, save_password } => {
            declarations::withdraw_declaration(candidate, id, save_password, ctx)
        }
        Command::ReviewDeclaration {
            id,
            level,
            org,
            approved,
            reason,
        } => declarations::decide_review(
            candidate,
            *id,
            *level,
            *org,
            *approved,
            reason.as_deref(),
            at,
        ),
        Command::ChooseArtCategory {
            category,
            main_item,
            sub_item,
            save_password,
        } => art_categories::choose_art_category(
            candidate,
            category,
            main_item,
            sub_item,
            save_password,
            ctx,
        ),
        Command::DropArtCategory {
            category,
            save_password,
        } => art_categories::drop_art_category(candidate, category, save_password, ctx),
        Command::RecordRealPersonAuth { passed, reference } => {
            credentials::record_real_person_auth(candidate, passed, reference, ctx)
        }
        Command::SetPasswords {
            login_hash,
            save_hash,
        } => credentials::decide_passwords(
            candidate,
            login_hash.as_deref(),
            save_hash.as_deref(),
            ctx,
        ),
        Command::BindPhone {
            phone,
            save_password,
        } => credentials::bind_phone(candidate, phone, save_password, ctx),
        Command::AcceptPledge => registration_form::accept_pledge(candidate, ctx),
        Command::SaveForm {
            form,
            save_password,
        } => registration_form::save_form(candidate, form, save_password, ctx),
        Command::ConfirmSignature { point } => {
            registration_form::confirm_signature(candidate, point, ctx)
        }
        Command::RecordMoralEvaluation { evaluation, county } => {
            registration_form::record_moral_evaluation(candidate, evaluation, county, ctx)
        }
    }
}

pub(super) fn registration_window(track: Track) -> WindowKind {
    match track {
        Track::Gaokao => WindowKind::Registration,
        Track::JuvenileClass => WindowKind::JuvenileClass,
    }
}

/// A change made in `window` that needs the save password: the window is open and the
/// save password checked (in that order, so a closed window costs no attempt).
pub(super) fn require_saving_in(
    window: WindowKind,
    candidate: &Candidate,
    save_password: SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    ctx.schedule.require_open(window, ctx.now)?;
    check_save_password(candidate, save_password, ctx)
}

/// The point's stage of a record (signature, moral evaluation): the registration or
/// point-confirmation window is open and the county has not submitted.
pub(super) fn require_point_stage(
    candidate: &Candidate,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    require_any_open(
        ctx,
        &[
            registration_window(candidate.capture.track),
            WindowKind::PointConfirmation,
        ],
    )?;
    require_not_frozen(ctx)
}

pub(super) fn require_activated(candidate: &Candidate) -> Result<(), Rejection> {
    if candidate.activated_at.is_none() {
        return Err(Rejection::FirstLoginRequired);
    }
    Ok(())
}

pub(super) fn require_passwords(candidate: &Candidate) -> Result<&super::Passwords, Rejection> {
    candidate
        .passwords
        .as_ref()
        .ok_or(Rejection::PasswordsNotSet)
}

/// Every save of registration data needs the save password (§2.5), checked outside the
/// engine against a generation; too many wrong ones lock saving.
pub(super) fn check_save_password(
    candidate: &Candidate,
    check: SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    let passwords = require_passwords(candidate)?;
    if candidate.save_password_locked(ctx.policy) {
        return Err(Rejection::SavePasswordLocked);
    }
    match check {
        SavePasswordCheck::NotProvided => Err(Rejection::SavePasswordRequired),
        SavePasswordCheck::Verified { generation } if generation == passwords.save_generation => {
            Ok(())
        }
        SavePasswordCheck::Verified { .. } | SavePasswordCheck::Incorrect => {
            Err(Rejection::SavePasswordIncorrect)
        }
    }
}

pub(super) fn require_not_frozen(ctx: &Context<'_>) -> Result<(), Rejection> {
    if ctx.records_frozen {
        return Err(Rejection::RecordsFrozen);
    }
    Ok(())
}

/// `Ok` if any of `kinds` is open now; otherwise the first one's refusal.
pub(super) fn require_any_open(ctx: &Context<'_>, kinds: &[WindowKind]) -> Result<(), Rejection> {
    let mut first_refusal = None;
    for &kind in kinds {
        match ctx.schedule.require_open(kind, ctx.now) {
            Ok(()) => return Ok(()),
            Err(refusal) => {
                first_refusal.get_or_insert(refusal);
            }
        }
    }
    Err(first_refusal.unwrap_or(Rejection::WindowNotConfigured {
        window: WindowKind::Registration,
    }))
}

pub(super) fn check_reference(field: &'static str, value: &str) -> Result<(), Rejection> {
    let well_formed = !value.is_empty()
        && value.len() <= MAX_REFERENCE_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(Rejection::ReferenceInvalid { field });
    }
    Ok(())
}

/// Eleven digits, `1[3-9]` prefix: the mainland mobile numbering plan.
pub(super) fn is_mainland_mobile(phone: &str) -> bool {
    let bytes = phone.as_bytes();
    bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && bytes[1] >= b'3'
}
