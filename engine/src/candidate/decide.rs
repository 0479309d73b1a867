//! `decide`: whether a command may happen to a candidate now, and what happens if so.
//!
//! Pure: everything it needs arrives in the [`Context`] (the instant, the schedule, the
//! policy, whether the county has frozen its records). Expected outcomes are values: an
//! already-applied payment or a repeated pledge yields *no events*, not an error, so
//! callers can acknowledge retries without special cases.

use super::command::{Capture, CaptureMode, Command, PaymentNotice, SavePasswordCheck, Track};
use super::event::{Event, Payment};
use super::{Candidate, transaction_ledger_key};
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

const MAX_NAME_CHARS: usize = 30;
const MAX_ADDRESS_CHARS: usize = 70;
const MAX_REFERENCE_CHARS: usize = 64;

/// Decides `command` against the record (`None` before capture).
pub fn decide(
    state: Option<&Candidate>,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let candidate = match (state, command) {
        (None, Command::Capture(capture)) => return decide_capture(capture, ctx),
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
    let registration = registration_window(candidate.capture.track);
    match command {
        Command::Capture(_) => Err(Rejection::AlreadyRegistered),
        Command::Import(_) => Err(Rejection::ImportConflict),
        Command::ApproveOtherDocument { city } => {
            if candidate.capture.point.county().city() != *city {
                return Err(Rejection::OutOfScope);
            }
            if !candidate.document_approval_pending {
                return Ok(vec![]);
            }
            Ok(vec![Event::OtherDocumentApproved { city: *city, at }])
        }
        Command::ApproveMigrantEligibility { county } => {
            if candidate.capture.point.county() != *county {
                return Err(Rejection::OutOfScope);
            }
            if !candidate.migrant_audit_pending {
                return Err(Rejection::MigrantAuditNotPending);
            }
            Ok(vec![Event::MigrantEligibilityApproved {
                county: *county,
                at,
            }])
        }
        Command::VerifyIdAtPoint { point } => {
            if candidate.capture.point.county() != point.county() {
                return Err(Rejection::OutOfScope);
            }
            if !candidate.id_verification_pending {
                return Err(Rejection::IdVerificationNotPending);
            }
            Ok(vec![Event::IdVerifiedAtPoint { point: *point, at }])
        }
        Command::FirstLogin { name, valid_until } => {
            // Identity first, so nothing about the record's status reaches anyone who does
            // not know the captured facts. Once passwords are set, first login is closed for
            // good (only the point's reset opens it again): name, ID number and validity are
            // known to classmates, teachers and brokers, so they must never be a credential
            // beside the passwords. The refusal is the same as a mismatch.
            let card = &candidate.capture.id_card;
            if card.name != *name || card.valid_until != *valid_until {
                return Err(Rejection::IdentityMismatch);
            }
            if candidate.passwords.is_some() {
                return Err(Rejection::IdentityMismatch);
            }
            if candidate.document_approval_pending {
                return Err(Rejection::DocumentApprovalPending);
            }
            if candidate.migrant_audit_pending {
                return Err(Rejection::MigrantAuditPending);
            }
            if candidate.activated_at.is_some() {
                return Ok(vec![]);
            }
            Ok(vec![Event::FirstLoginVerified { at }])
        }
        Command::RecordSavePasswordFailure => {
            require_passwords(candidate)?;
            if candidate.save_password_locked(ctx.policy) {
                return Err(Rejection::SavePasswordLocked);
            }
            Ok(vec![Event::SavePasswordFailed { at }])
        }
        Command::ResetPasswords { point } => {
            if candidate.capture.point != *point {
                return Err(Rejection::OutOfScope);
            }
            if candidate.passwords.is_none() && candidate.save_password_failures == 0 {
                return Ok(vec![]);
            }
            Ok(vec![Event::PasswordsReset { point: *point, at }])
        }
        Command::CreateFeeOrder { order_id, provider } => {
            ctx.schedule.require_open(registration, at)?;
            require_activated(candidate)?;
            if candidate.fee.paid.is_some() {
                return Err(Rejection::FeeAlreadyPaid);
            }
            check_reference("order_id", order_id)?;
            if candidate
                .fee
                .orders
                .iter()
                .any(|order| order.order_id == *order_id)
            {
                return Err(Rejection::DuplicateOrder);
            }
            Ok(vec![Event::FeeOrderCreated {
                order_id: order_id.clone(),
                provider: *provider,
                amount_fen: ctx.policy.registration_fee_fen,
                at,
            }])
        }
        // Deliberately not window- or freeze-checked: the money has moved, so the record
        // must show it whenever the provider tells us.
        Command::RecordPayment(notice) => decide_payment(candidate, notice, at),
        Command::Declare {
            kind,
            item,
            documents,
            save_password,
        } => {
            ctx.schedule
                .require_open(WindowKind::BonusDeclaration, at)?;
            check_save_password(candidate, *save_password, ctx)?;
            let catalogue = &ctx.policy.declarations;
            super::declaration::check(catalogue, *kind, item, documents)?;
            if candidate.declarations.len() >= catalogue.max_per_candidate as usize {
                return Err(Rejection::DeclarationLimit {
                    limit: catalogue.max_per_candidate,
                });
            }
            let declared = candidate.declarations.iter().any(|d| {
                d.kind == *kind
                    && d.item == *item
                    && d.review != super::declaration::Review::Withdrawn
            });
            if declared {
                return Err(Rejection::DeclarationDuplicate);
            }
            // Withdrawn declarations stay in the list, so numbers are never reused.
            let id = candidate.declarations.len() as u32 + 1;
            Ok(vec![Event::Declared {
                id,
                kind: *kind,
                item: item.clone(),
                documents: documents.clone(),
                at,
            }])
        }
        Command::WithdrawDeclaration { id, save_password } => {
            ctx.schedule
                .require_open(WindowKind::BonusDeclaration, at)?;
            check_save_password(candidate, *save_password, ctx)?;
            let declaration = candidate
                .declarations
                .iter()
                .find(|d| d.id == *id)
                .ok_or(Rejection::DeclarationUnknown)?;
            if declaration.review != super::declaration::Review::Pending {
                return Err(Rejection::DeclarationNotAwaiting);
            }
            Ok(vec![Event::DeclarationWithdrawn { id: *id, at }])
        }
        Command::ReviewDeclaration {
            id,
            level,
            org,
            approved,
            reason,
        } => decide_review(
            candidate,
            *id,
            *level,
            *org,
            *approved,
            reason.as_deref(),
            at,
        ),
        Command::CreateExamFeeOrder { order_id, provider } => {
            ctx.schedule.require_open(WindowKind::ExamFee, at)?;
            if !candidate.signed_current_form() {
                return Err(Rejection::FormNotSigned);
            }
            if candidate.exam_fee.paid.is_some() {
                return Err(Rejection::ExamFeeAlreadyPaid);
            }
            check_reference("order_id", order_id)?;
            if candidate
                .all_orders()
                .any(|order| order.order_id == *order_id)
            {
                return Err(Rejection::DuplicateOrder);
            }
            Ok(vec![Event::ExamFeeOrderCreated {
                order_id: order_id.clone(),
                provider: *provider,
                amount_fen: ctx.policy.exam_fee_fen,
                at,
            }])
        }
        Command::ChooseArtCategory {
            category,
            main_item,
            sub_item,
            save_password,
        } => {
            ctx.schedule.require_open(WindowKind::ArtPe, at)?;
            check_save_password(candidate, *save_password, ctx)?;
            if candidate.phone.is_none() {
                return Err(Rejection::PhoneBindingRequired);
            }
            super::art_pe::check_items(*category, main_item, sub_item.as_deref())?;
            match candidate.art_pe.get(category) {
                Some(entry) if entry.is_paid() => return Err(Rejection::ArtPeCategoryPaid),
                Some(entry) if entry.main_item == *main_item && entry.sub_item == *sub_item => {
                    return Ok(vec![]);
                }
                _ => {}
            }
            Ok(vec![Event::ArtCategoryChosen {
                category: *category,
                main_item: main_item.clone(),
                sub_item: sub_item.clone(),
                at,
            }])
        }
        Command::DropArtCategory {
            category,
            save_password,
        } => {
            ctx.schedule.require_open(WindowKind::ArtPe, at)?;
            check_save_password(candidate, *save_password, ctx)?;
            match candidate.art_pe.get(category) {
                None => Err(Rejection::ArtPeCategoryNotChosen),
                Some(entry) if entry.is_paid() => Err(Rejection::ArtPeCategoryPaid),
                Some(entry) if !entry.fee.orders.is_empty() => Err(Rejection::ArtPeCategoryOrdered),
                Some(_) => Ok(vec![Event::ArtCategoryDropped {
                    category: *category,
                    at,
                }]),
            }
        }
        Command::CreateArtFeeOrder {
            category,
            order_id,
            provider,
        } => {
            ctx.schedule.require_open(WindowKind::ArtPe, at)?;
            let entry = candidate
                .art_pe
                .get(category)
                .ok_or(Rejection::ArtPeCategoryNotChosen)?;
            if entry.is_paid() {
                return Err(Rejection::ArtPeCategoryPaid);
            }
            check_reference("order_id", order_id)?;
            if candidate
                .all_orders()
                .any(|order| order.order_id == *order_id)
            {
                return Err(Rejection::DuplicateOrder);
            }
            Ok(vec![Event::ArtFeeOrderCreated {
                category: *category,
                order_id: order_id.clone(),
                provider: *provider,
                amount_fen: ctx.policy.art_pe_fee_fen,
                at,
            }])
        }
        Command::RecordRealPersonAuth { passed, reference } => {
            if candidate.fee.paid.is_none() {
                return Err(Rejection::FeeNotPaid);
            }
            check_reference("reference", reference)?;
            Ok(vec![Event::RealPersonAuthRecorded {
                passed: *passed,
                reference: reference.clone(),
                at,
            }])
        }
        Command::SetPasswords {
            login_hash,
            save_hash,
        } => decide_passwords(candidate, login_hash.as_deref(), save_hash.as_deref(), ctx),
        Command::BindPhone {
            phone,
            save_password,
        } => {
            require_any_open(ctx, &[registration, WindowKind::ArtPe])?;
            check_save_password(candidate, *save_password, ctx)?;
            if !is_mainland_mobile(phone) {
                return Err(Rejection::PhoneInvalid);
            }
            if candidate.phone.as_deref() == Some(phone) {
                return Ok(vec![]);
            }
            Ok(vec![Event::PhoneBound {
                phone: phone.clone(),
                at,
            }])
        }
        Command::AcceptPledge => {
            ctx.schedule.require_open(registration, at)?;
            require_passwords(candidate)?;
            if candidate.pledge_accepted_at.is_some() {
                return Ok(vec![]);
            }
            Ok(vec![Event::PledgeAccepted { at }])
        }
        Command::SaveForm {
            form,
            save_password,
        } => {
            ctx.schedule.require_open(registration, at)?;
            require_not_frozen(ctx)?;
            check_save_password(candidate, *save_password, ctx)?;
            if candidate.pledge_accepted_at.is_none() {
                return Err(Rejection::PledgeRequired);
            }
            form.validate_for_gaokao()?;
            if form.graduation == super::form::Graduation::Previous && candidate.phone.is_none() {
                return Err(Rejection::PhoneBindingRequired);
            }
            if candidate.form.as_ref() == Some(&**form) {
                return Ok(vec![]);
            }
            Ok(vec![Event::FormSaved {
                form: form.clone(),
                version: candidate.form_version + 1,
                at,
            }])
        }
        Command::ConfirmSignature { point } => {
            require_any_open(ctx, &[registration, WindowKind::PointConfirmation])?;
            require_not_frozen(ctx)?;
            if candidate.capture.point != *point {
                return Err(Rejection::OutOfScope);
            }
            if candidate.form.is_none() {
                return Err(Rejection::FormNotSaved);
            }
            if candidate.signed_current_form() {
                return Ok(vec![]);
            }
            Ok(vec![Event::FormSigned {
                version: candidate.form_version,
                point: *point,
                at,
            }])
        }
        Command::RecordMoralEvaluation { evaluation, county } => {
            require_any_open(ctx, &[registration, WindowKind::PointConfirmation])?;
            require_not_frozen(ctx)?;
            if candidate.capture.point.county() != *county {
                return Err(Rejection::OutOfScope);
            }
            if !candidate.signed_current_form() {
                return Err(Rejection::FormNotSigned);
            }
            if evaluation.opinion.chars().count() > 200
                || evaluation.opinion.chars().any(crate::text::is_forbidden)
            {
                return Err(Rejection::FormFieldInvalid {
                    field: "opinion",
                    reason: "must be at most 200 characters of text".into(),
                });
            }
            Ok(vec![Event::MoralEvaluationRecorded {
                evaluation: evaluation.clone(),
                county: *county,
                at,
            }])
        }
    }
}

fn registration_window(track: Track) -> WindowKind {
    match track {
        Track::Gaokao => WindowKind::Registration,
        Track::JuvenileClass => WindowKind::JuvenileClass,
    }
}

fn decide_capture(capture: &Capture, ctx: &Context<'_>) -> Result<Vec<Event>, Rejection> {
    ctx.schedule
        .require_open(registration_window(capture.track), ctx.now)?;
    require_not_frozen(ctx)?;
    let card = &capture.id_card;
    let name_chars = card.name.chars().count();
    if card.name.trim().is_empty()
        || name_chars > MAX_NAME_CHARS
        || card.name.chars().any(crate::text::is_forbidden)
    {
        return Err(Rejection::IdCardFieldInvalid { field: "name" });
    }
    if card.address.trim().is_empty()
        || card.address.chars().count() > MAX_ADDRESS_CHARS
        || crate::text::has_forbidden(&card.address)
    {
        return Err(Rejection::IdCardFieldInvalid { field: "address" });
    }
    if crate::ethnicity::name(card.ethnicity).is_none() {
        return Err(Rejection::IdCardFieldInvalid { field: "ethnicity" });
    }
    if card.birth_date != card.id_number.birth_date() {
        return Err(Rejection::IdCardInconsistent {
            field: "birth_date",
        });
    }
    if card.gender != card.id_number.gender() {
        return Err(Rejection::IdCardInconsistent { field: "gender" });
    }
    let (today, _, _) = ctx.now.to_cst();
    if card.birth_date.years_until(today) < ctx.policy.minimum_age_years {
        return Err(Rejection::IdCardFieldInvalid {
            field: "birth_date",
        });
    }
    let expired = card.valid_until.is_some_and(|until| until < today);
    match (&capture.mode, expired) {
        (CaptureMode::CardRead, true) => return Err(Rejection::IdCardExpired),
        (CaptureMode::TypedExpiredCard, false) => return Err(Rejection::IdCardNotExpired),
        (
            CaptureMode::OtherDocument {
                document,
                explanation,
            },
            _,
        ) if (document.trim().is_empty()
            || explanation.trim().is_empty()
            || crate::text::has_forbidden(document)
            || crate::text::has_forbidden(explanation)) =>
        {
            return Err(Rejection::IdCardFieldInvalid {
                field: "explanation",
            });
        }
        _ => {}
    }
    if capture.serial.city_county_code() != capture.point.county().city_county_code() {
        return Err(Rejection::SerialOutsideRange {
            point: capture.point,
            serial: capture.serial,
        });
    }
    ctx.policy.photo.check(&capture.photo)?;
    Ok(vec![Event::Captured {
        key: ctx.key,
        capture: Box::new(capture.clone()),
        at: ctx.now,
    }])
}

/// A county's (first) or city's (second) decision on a declaration. Reviews are not
/// window-checked: they follow the declaration window at the reviewers' pace.
fn decide_review(
    candidate: &Candidate,
    id: u32,
    level: super::declaration::ReviewLevel,
    org: u32,
    approved: bool,
    reason: Option<&str>,
    at: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    use super::declaration::{Review, ReviewLevel};
    let county = candidate.capture.point.county();
    let own = match level {
        ReviewLevel::County => county.code() == org,
        ReviewLevel::City => u32::from(county.city().code()) == org,
    };
    if !own {
        return Err(Rejection::OutOfScope);
    }
    let declaration = candidate
        .declarations
        .iter()
        .find(|d| d.id == id)
        .ok_or(Rejection::DeclarationUnknown)?;
    let awaiting = matches!(
        (level, &declaration.review),
        (ReviewLevel::County, Review::Pending) | (ReviewLevel::City, Review::CountyApproved)
    );
    if !awaiting {
        return Err(Rejection::DeclarationNotAwaiting);
    }
    let review = if approved {
        match level {
            ReviewLevel::County => Review::CountyApproved,
            ReviewLevel::City => Review::Approved,
        }
    } else {
        let reason = reason.unwrap_or_default();
        super::declaration::check_reason(reason)?;
        Review::Rejected {
            by: level,
            reason: reason.to_owned(),
        }
    };
    Ok(vec![Event::DeclarationReviewed { id, review, at }])
}

/// Which of a candidate's fees an order pays.
enum FeeTarget {
    Registration,
    Exam,
    ArtPe(super::art_pe::ArtCategory),
}

fn decide_payment(
    candidate: &Candidate,
    notice: &PaymentNotice,
    at: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    let ledger_key = transaction_ledger_key(notice.provider, &notice.transaction_id);
    if candidate.transaction_applied(&ledger_key) {
        return Ok(vec![]);
    }
    check_reference("transaction_id", &notice.transaction_id)?;
    let matches = |order: &&super::FeeOrder| {
        order.order_id == notice.order_id && order.provider == notice.provider
    };
    // Which fee the order is for: registration, exam, or one art/PE category's.
    let (order, target) = if let Some(order) = candidate.fee.orders.iter().find(matches) {
        (order, FeeTarget::Registration)
    } else if let Some(order) = candidate.exam_fee.orders.iter().find(matches) {
        (order, FeeTarget::Exam)
    } else {
        candidate
            .art_pe
            .iter()
            .find_map(|(category, entry)| {
                entry
                    .fee
                    .orders
                    .iter()
                    .find(matches)
                    .map(|order| (order, FeeTarget::ArtPe(*category)))
            })
            .ok_or(Rejection::PaymentOrderUnknown)?
    };
    if order.amount_fen != notice.amount_fen {
        return Err(Rejection::PaymentAmountMismatch {
            expected_fen: order.amount_fen,
            received_fen: notice.amount_fen,
        });
    }
    let payment = Payment {
        provider: notice.provider,
        order_id: notice.order_id.clone(),
        transaction_id: notice.transaction_id.clone(),
        amount_fen: notice.amount_fen,
        paid_at: notice.paid_at,
    };
    let event = match target {
        FeeTarget::Registration if candidate.fee.paid.is_some() => {
            Event::SurplusPaymentRecorded { payment, at }
        }
        FeeTarget::Registration => Event::FeePaid { payment, at },
        FeeTarget::Exam if candidate.exam_fee.paid.is_some() => {
            Event::ExamSurplusPaymentRecorded { payment, at }
        }
        FeeTarget::Exam => Event::ExamFeePaid { payment, at },
        FeeTarget::ArtPe(category)
            if candidate.art_pe.get(&category).is_some_and(|e| e.is_paid()) =>
        {
            Event::ArtSurplusPaymentRecorded {
                category,
                payment,
                at,
            }
        }
        FeeTarget::ArtPe(category) => Event::ArtFeePaid {
            category,
            payment,
            at,
        },
    };
    Ok(vec![event])
}

fn decide_passwords(
    candidate: &Candidate,
    login_hash: Option<&str>,
    save_hash: Option<&str>,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    if candidate.fee.paid.is_none() {
        return Err(Rejection::FeeNotPaid);
    }
    let auth_at = candidate
        .last_auth_passed_at
        .ok_or(Rejection::RealPersonAuthRequired)?;
    // A password change consumes the authentication it relied on: the next change needs a
    // newer one, and an old authentication cannot be used after the freshness period.
    let stale_after_change = candidate
        .passwords
        .as_ref()
        .is_some_and(|p| auth_at <= p.changed_at);
    if stale_after_change || ctx.now.seconds_since(auth_at) > ctx.policy.auth_freshness_seconds {
        return Err(Rejection::RealPersonAuthNotFresh);
    }
    if candidate.passwords.is_none() && (login_hash.is_none() || save_hash.is_none()) {
        return Err(Rejection::PasswordsIncomplete);
    }
    if login_hash.is_none() && save_hash.is_none() {
        return Err(Rejection::PasswordsIncomplete);
    }
    for hash in [login_hash, save_hash].into_iter().flatten() {
        if !hash.starts_with("$argon2id$") {
            return Err(Rejection::PasswordHashFormat);
        }
    }
    // Identical passwords are refused by the gateway, which sees the plaintexts: salted
    // hashes of the same password never compare equal here.
    Ok(vec![Event::PasswordsChanged {
        login_hash: login_hash.map(str::to_owned),
        save_hash: save_hash.map(str::to_owned),
        at: ctx.now,
    }])
}

fn require_activated(candidate: &Candidate) -> Result<(), Rejection> {
    if candidate.activated_at.is_none() {
        return Err(Rejection::FirstLoginRequired);
    }
    Ok(())
}

fn require_passwords(candidate: &Candidate) -> Result<&super::Passwords, Rejection> {
    candidate
        .passwords
        .as_ref()
        .ok_or(Rejection::PasswordsNotSet)
}

/// Every save of registration data needs the save password (§2.5), checked outside the
/// engine against a generation; too many wrong ones lock saving.
fn check_save_password(
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

fn require_not_frozen(ctx: &Context<'_>) -> Result<(), Rejection> {
    if ctx.records_frozen {
        return Err(Rejection::RecordsFrozen);
    }
    Ok(())
}

/// `Ok` if any of `kinds` is open now; otherwise the first one's refusal.
fn require_any_open(ctx: &Context<'_>, kinds: &[WindowKind]) -> Result<(), Rejection> {
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

fn check_reference(field: &'static str, value: &str) -> Result<(), Rejection> {
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
fn is_mainland_mobile(phone: &str) -> bool {
    let bytes = phone.as_bytes();
    bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && bytes[1] >= b'3'
}
