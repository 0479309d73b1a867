//! Every way the engine can say no, each with a stable machine-readable code.
//!
//! Codes are API: they reach the HTTP body as `{"code": ..., "message": ...}` and clients
//! branch on them, so a code, once shipped, is never renamed. Messages are for people and
//! name the field, window or range concerned. [`RejectionKind`] groups rejections so the
//! gateway can choose an HTTP status without knowing every case.

use crate::id_number::IdNumberError;
use crate::org::PointCode;
use crate::photo::PhotoError;
use crate::schedule::WindowKind;
use crate::serial::SerialNumber;
use crate::time::Timestamp;

/// Broad classes of refusal, for transports to map onto their status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The input itself is malformed or violates a rule (HTTP 422).
    Invalid,
    /// The thing referred to does not exist (HTTP 404).
    NotFound,
    /// The request conflicts with the record's current state (HTTP 409).
    Conflict,
    /// The caller is not allowed to do this to this record (HTTP 403).
    Forbidden,
    /// Outside the window, or the records are frozen (HTTP 403 with the window named).
    Closed,
    /// A credential-like check failed (HTTP 401).
    Unauthenticated,
}

/// A refusal. Refusals change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A division, point or serial code is malformed.
    #[error("'{value}' is not a valid {kind} code")]
    InvalidCode {
        /// What kind of code.
        kind: &'static str,
        /// The offending text.
        value: String,
    },
    /// The ID number is invalid.
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    /// The photo does not meet the standard.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// An ID-card field is missing or malformed.
    #[error("the ID-card field '{field}' is missing or invalid")]
    IdCardFieldInvalid {
        /// The field.
        field: &'static str,
    },
    /// An ID-card field disagrees with the ID number.
    #[error("the ID-card field '{field}' does not agree with the ID number")]
    IdCardInconsistent {
        /// The field.
        field: &'static str,
    },
    /// A card read at the point has expired; the typed-in expired-card path applies.
    #[error("the ID card has expired: capture it as an expired card (typed in, verified later)")]
    IdCardExpired,
    /// The expired-card path was chosen for a card that is still valid.
    #[error("the ID card has not expired: read it with the card reader")]
    IdCardNotExpired,
    /// A serial range is empty, reversed or outside 0001–9999.
    #[error("serial range {first:04}–{last:04} is not a valid range within 0001–9999")]
    SerialRangeInvalid {
        /// First sequence.
        first: u16,
        /// Last sequence.
        last: u16,
    },
    /// A serial range overlaps one already allocated.
    #[error(
        "serial range {first:04}–{last:04} overlaps {holder_first:04}–{holder_last:04} of point {holder}"
    )]
    SerialRangeOverlap {
        /// First sequence asked for.
        first: u16,
        /// Last sequence asked for.
        last: u16,
        /// The point holding the overlapping range.
        holder: PointCode,
        /// Its first sequence.
        holder_first: u16,
        /// Its last sequence.
        holder_last: u16,
    },
    /// The point has no serial range (for this category).
    #[error("point {point} has no serial-number range; the county must allocate one")]
    SerialRangeMissing {
        /// The point.
        point: PointCode,
    },
    /// Every serial number of the point's ranges has been assigned.
    #[error(
        "point {point} has used every serial number in its ranges; the county must allocate another range"
    )]
    SerialRangeExhausted {
        /// The point.
        point: PointCode,
    },
    /// The serial number is not in the point's ranges.
    #[error("serial number {serial} is outside the ranges of point {point}")]
    SerialOutsideRange {
        /// The point.
        point: PointCode,
        /// The serial number.
        serial: SerialNumber,
    },
    /// The serial number has already been assigned.
    #[error("serial number {serial} has already been assigned")]
    SerialAlreadyAssigned {
        /// The serial number.
        serial: SerialNumber,
    },
    /// The window has not been set by the province.
    #[error("the {window} window ({}) has not been scheduled by the province", window.title())]
    WindowNotConfigured {
        /// The window.
        window: WindowKind,
    },
    /// The window opens later.
    #[error("the {window} window ({}) opens at {opens_at} and closes at {closes_at}", window.title())]
    WindowNotYetOpen {
        /// The window.
        window: WindowKind,
        /// Its opening.
        opens_at: Timestamp,
        /// Its close in force.
        closes_at: Timestamp,
    },
    /// The window has closed.
    #[error("the {window} window ({}) was open from {opens_at} to {closes_at} and has closed", window.title())]
    WindowClosed {
        /// The window.
        window: WindowKind,
        /// Its opening.
        opens_at: Timestamp,
        /// Its close in force.
        closes_at: Timestamp,
    },
    /// An extension would not move the close later.
    #[error("the {window} window already closes at {current_close}; an extension must be later")]
    WindowExtensionNotLater {
        /// The window.
        window: WindowKind,
        /// Its close in force.
        current_close: Timestamp,
    },
    /// The county has submitted its records upward; they are frozen.
    #[error("the county has submitted its records to the city; they can no longer be changed")]
    RecordsFrozen,
    /// A form field is invalid.
    #[error("the field '{field}' {reason}")]
    FormFieldInvalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A sensitive field that this flow must not collect was sent.
    #[error("the field '{field}' is not collected in gaokao registration; remove it")]
    SensitiveFieldNotCollected {
        /// The field.
        field: &'static str,
    },
    /// An order, transaction or reference id is malformed.
    #[error("'{field}' must be 1–64 letters, digits, '-' or '_'")]
    ReferenceInvalid {
        /// The field.
        field: &'static str,
    },
    /// A record for this ID number already exists.
    #[error("a registration with this ID number already exists")]
    AlreadyRegistered,
    /// No record for this candidate.
    #[error("no registration was found for this candidate")]
    CandidateNotFound,
    /// The record is outside the caller's scope.
    #[error("this registration is outside your scope")]
    OutOfScope,
    /// Nothing awaits in-person ID verification.
    #[error("this candidate's ID does not await verification at the point")]
    IdVerificationNotPending,
    /// The city has not yet approved the other identity document.
    #[error("the identity document awaits the city's approval before registration can continue")]
    DocumentApprovalPending,
    /// First-login data do not match the capture.
    #[error("the name or ID validity does not match what the registration point captured")]
    IdentityMismatch,
    /// First login has not happened.
    #[error("log in for the first time with your ID number, name and ID validity first")]
    FirstLoginRequired,
    /// The fee is already paid; paying again would not be refunded.
    #[error("the registration fee is already paid; do not pay again (fees are not refunded)")]
    FeeAlreadyPaid,
    /// The order number was used before.
    #[error("this order number has already been used")]
    DuplicateOrder,
    /// The fee is not paid yet.
    #[error("the registration fee has not been paid yet")]
    FeeNotPaid,
    /// A payment names an order we did not create.
    #[error("the payment refers to an order that does not exist for this candidate")]
    PaymentOrderUnknown,
    /// A payment's amount differs from the order's.
    #[error(
        "the payment of {received_fen} fen does not match the order amount of {expected_fen} fen"
    )]
    PaymentAmountMismatch {
        /// What the order asked for.
        expected_fen: u32,
        /// What the provider reported.
        received_fen: u32,
    },
    /// Real-person authentication has not passed.
    #[error("complete real-person authentication first")]
    RealPersonAuthRequired,
    /// The last authentication is too old or was already used for a change.
    #[error("changing a password requires a fresh real-person authentication")]
    RealPersonAuthNotFresh,
    /// Setting passwords needs both the first time, and at least one later.
    #[error("set both the login password and the save password")]
    PasswordsIncomplete,
    /// A password arrived that is not an argon2id hash (a plaintext must never be stored).
    #[error("password hashes must be argon2id")]
    PasswordHashFormat,
    /// Login and save password are the same.
    #[error("the save password must differ from the login password")]
    PasswordsIdentical,
    /// Passwords have not been set.
    #[error("set your login and save passwords first")]
    PasswordsNotSet,
    /// Phone number malformed.
    #[error("the phone number must be an 11-digit mainland mobile number")]
    PhoneInvalid,
    /// This candidate must bind a phone first.
    #[error("bind a mobile phone first (repeat and art/PE candidates must, to receive SMS)")]
    PhoneBindingRequired,
    /// An art/PE item is missing, malformed, or not allowed for the category.
    #[error("the art/PE {field} is missing, malformed or not allowed for this category")]
    ArtPeItemInvalid {
        /// `main_item` or `sub_item`.
        field: &'static str,
    },
    /// The candidate has not chosen this art/PE category.
    #[error("choose this art/PE category before ordering or dropping it")]
    ArtPeCategoryNotChosen,
    /// The category is paid: it can no longer be changed, dropped or paid again.
    #[error(
        "this art/PE category is paid; it cannot be changed, dropped or paid again (fees are not refunded)"
    )]
    ArtPeCategoryPaid,
    /// A declaration's field is missing or malformed.
    #[error("the declaration's {field} is missing, malformed or not on the province's list")]
    DeclarationInvalid {
        /// `item`, `documents` or `reason`.
        field: &'static str,
    },
    /// No such declaration.
    #[error("no such declaration")]
    DeclarationUnknown,
    /// The same benefit or plan is already declared.
    #[error("this benefit or plan is already declared")]
    DeclarationDuplicate,
    /// The declaration is not at the stage this action needs.
    #[error("the declaration is not awaiting this decision")]
    DeclarationNotAwaiting,
    /// The point is not designated to register migrant workers' children.
    #[error("registration point {point} is not designated for migrant workers' children")]
    PointNotDesignated {
        /// The point.
        point: crate::org::PointCode,
    },
    /// The county has not yet approved a migrant worker's child's eligibility.
    #[error("the county has not yet approved this migrant worker's child's eligibility audit")]
    MigrantAuditPending,
    /// Nothing awaits the county's migrant-eligibility decision.
    #[error("this candidate's eligibility does not await the county's audit")]
    MigrantAuditNotPending,
    /// An imported record differs from the one this instance already has.
    #[error("this instance already holds a different record; the import would overwrite it")]
    ImportConflict,
    /// The exam fee is already paid.
    #[error("the exam fee is already paid; do not pay again (fees are not refunded)")]
    ExamFeeAlreadyPaid,
    /// The category has an order: a payment may be on its way, so it cannot be dropped.
    #[error("an order for this art/PE category exists; it can no longer be dropped")]
    ArtPeCategoryOrdered,
    /// The pledge has not been accepted.
    #[error("read and accept the integrity pledge first")]
    PledgeRequired,
    /// No save password was given.
    #[error("saving registration data requires the save password")]
    SavePasswordRequired,
    /// The save password is wrong.
    #[error("the save password is incorrect")]
    SavePasswordIncorrect,
    /// No form saved yet.
    #[error("the registration form has not been filled in yet")]
    FormNotSaved,
    /// The current form version is not signed.
    #[error("the candidate has not signed the current printed registration form")]
    FormNotSigned,
    /// The point already exists.
    #[error("registration point {point} already exists")]
    PointExists {
        /// The point.
        point: PointCode,
    },
    /// The point does not exist.
    #[error("registration point {point} does not exist")]
    PointUnknown {
        /// The point.
        point: PointCode,
    },
    /// The level has already submitted.
    #[error("this level has already submitted its records")]
    AlreadySubmitted,
    /// The level below has not submitted yet.
    #[error("{what} has not submitted its records yet")]
    LowerLevelNotSubmitted {
        /// Which division.
        what: String,
    },
    /// The point has handed out serial numbers: it cannot be closed.
    #[error("registration point {point} has candidates; it cannot be closed")]
    PointInUse {
        /// The point.
        point: PointCode,
    },
    /// Nothing to return: the level has not submitted.
    #[error("this level has not submitted its records; there is nothing to return")]
    NotSubmitted,
    /// Returning a submission for correction needs a reason (1–200 characters).
    #[error("say why the submission is returned (1–200 characters)")]
    ReturnReasonRequired,
    /// Too many wrong save passwords: locked until the candidate sets a new save password
    /// (after a fresh real-person authentication) or the point resets the passwords.
    #[error("保存密码错误次数过多，已锁定：请实人认证后重设保存密码，或持身份证到报名点重置密码")]
    SavePasswordLocked,
    /// The candidate has made as many declarations as one may (withdrawn ones count).
    #[error("at most {limit} declarations may be made (withdrawn ones count)")]
    DeclarationLimit {
        /// The limit.
        limit: u32,
    },
}

impl Rejection {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::InvalidCode { .. } => "invalid_code",
            Rejection::IdNumber(error) => error.code(),
            Rejection::Photo(error) => error.code(),
            Rejection::IdCardFieldInvalid { .. } => "id_card_field_invalid",
            Rejection::IdCardInconsistent { .. } => "id_card_inconsistent",
            Rejection::IdCardExpired => "id_card_expired",
            Rejection::IdCardNotExpired => "id_card_not_expired",
            Rejection::SerialRangeInvalid { .. } => "serial_range_invalid",
            Rejection::SerialRangeOverlap { .. } => "serial_range_overlap",
            Rejection::SerialRangeMissing { .. } => "serial_range_missing",
            Rejection::SerialRangeExhausted { .. } => "serial_range_exhausted",
            Rejection::SerialOutsideRange { .. } => "serial_outside_range",
            Rejection::SerialAlreadyAssigned { .. } => "serial_already_assigned",
            Rejection::WindowNotConfigured { .. } => "window_not_configured",
            Rejection::WindowNotYetOpen { .. } => "window_not_yet_open",
            Rejection::WindowClosed { .. } => "window_closed",
            Rejection::WindowExtensionNotLater { .. } => "window_extension_not_later",
            Rejection::RecordsFrozen => "records_frozen",
            Rejection::FormFieldInvalid { .. } => "form_field_invalid",
            Rejection::SensitiveFieldNotCollected { .. } => "sensitive_field_not_collected",
            Rejection::ReferenceInvalid { .. } => "reference_invalid",
            Rejection::AlreadyRegistered => "candidate_already_registered",
            Rejection::CandidateNotFound => "candidate_not_found",
            Rejection::OutOfScope => "out_of_scope",
            Rejection::IdVerificationNotPending => "id_verification_not_pending",
            Rejection::DocumentApprovalPending => "document_approval_pending",
            Rejection::IdentityMismatch => "identity_mismatch",
            Rejection::FirstLoginRequired => "first_login_required",
            Rejection::FeeAlreadyPaid => "fee_already_paid",
            Rejection::DuplicateOrder => "order_id_reused",
            Rejection::FeeNotPaid => "fee_not_paid",
            Rejection::PaymentOrderUnknown => "payment_order_unknown",
            Rejection::PaymentAmountMismatch { .. } => "payment_amount_mismatch",
            Rejection::RealPersonAuthRequired => "real_person_auth_required",
            Rejection::RealPersonAuthNotFresh => "real_person_auth_not_fresh",
            Rejection::PasswordsIncomplete => "passwords_incomplete",
            Rejection::PasswordHashFormat => "password_hash_format",
            Rejection::PasswordsIdentical => "passwords_identical",
            Rejection::PasswordsNotSet => "passwords_not_set",
            Rejection::PhoneInvalid => "phone_invalid",
            Rejection::PhoneBindingRequired => "phone_binding_required",
            Rejection::ArtPeItemInvalid { .. } => "art_pe_item_invalid",
            Rejection::ArtPeCategoryNotChosen => "art_pe_category_not_chosen",
            Rejection::ArtPeCategoryPaid => "art_pe_category_paid",
            Rejection::ArtPeCategoryOrdered => "art_pe_category_ordered",
            Rejection::ExamFeeAlreadyPaid => "exam_fee_already_paid",
            Rejection::ImportConflict => "import_conflict",
            Rejection::PointNotDesignated { .. } => "point_not_designated",
            Rejection::MigrantAuditPending => "migrant_audit_pending",
            Rejection::MigrantAuditNotPending => "migrant_audit_not_pending",
            Rejection::DeclarationInvalid { .. } => "declaration_invalid",
            Rejection::DeclarationUnknown => "declaration_unknown",
            Rejection::DeclarationDuplicate => "declaration_duplicate",
            Rejection::DeclarationNotAwaiting => "declaration_not_awaiting",
            Rejection::PledgeRequired => "pledge_required",
            Rejection::SavePasswordRequired => "save_password_required",
            Rejection::SavePasswordIncorrect => "save_password_incorrect",
            Rejection::FormNotSaved => "form_not_saved",
            Rejection::FormNotSigned => "form_not_signed",
            Rejection::PointExists { .. } => "point_exists",
            Rejection::PointUnknown { .. } => "point_unknown",
            Rejection::AlreadySubmitted => "already_submitted",
            Rejection::LowerLevelNotSubmitted { .. } => "lower_level_not_submitted",
            Rejection::NotSubmitted => "not_submitted",
            Rejection::PointInUse { .. } => "point_in_use",
            Rejection::ReturnReasonRequired => "return_reason_required",
            Rejection::SavePasswordLocked => "save_password_locked",
            Rejection::DeclarationLimit { .. } => "declaration_limit",
        }
    }

    /// The broad class, for choosing a transport status.
    pub fn kind(&self) -> RejectionKind {
        use Rejection::*;
        match self {
            CandidateNotFound | PointUnknown { .. } | PaymentOrderUnknown | DeclarationUnknown => {
                RejectionKind::NotFound
            }
            OutOfScope => RejectionKind::Forbidden,
            WindowNotConfigured { .. }
            | WindowNotYetOpen { .. }
            | WindowClosed { .. }
            | RecordsFrozen => RejectionKind::Closed,
            IdentityMismatch | SavePasswordRequired | SavePasswordIncorrect => {
                RejectionKind::Unauthenticated
            }
            SavePasswordLocked => RejectionKind::Forbidden,
            AlreadyRegistered
            | SerialAlreadyAssigned { .. }
            | SerialRangeOverlap { .. }
            | SerialRangeExhausted { .. }
            | SerialRangeMissing { .. }
            | WindowExtensionNotLater { .. }
            | IdVerificationNotPending
            | DocumentApprovalPending
            | FirstLoginRequired
            | FeeAlreadyPaid
            | DuplicateOrder
            | FeeNotPaid
            | RealPersonAuthRequired
            | RealPersonAuthNotFresh
            | PasswordsNotSet
            | PhoneBindingRequired
            | ArtPeCategoryNotChosen
            | ArtPeCategoryPaid
            | ArtPeCategoryOrdered
            | ExamFeeAlreadyPaid
            | ImportConflict
            | PointNotDesignated { .. }
            | MigrantAuditPending
            | MigrantAuditNotPending
            | DeclarationDuplicate
            | DeclarationNotAwaiting
            | DeclarationLimit { .. }
            | PledgeRequired
            | FormNotSaved
            | FormNotSigned
            | PointExists { .. }
            | AlreadySubmitted
            | LowerLevelNotSubmitted { .. }
            | NotSubmitted
            | PointInUse { .. } => RejectionKind::Conflict,
            ReturnReasonRequired => RejectionKind::Invalid,
            InvalidCode { .. }
            | IdNumber(_)
            | Photo(_)
            | IdCardFieldInvalid { .. }
            | IdCardInconsistent { .. }
            | IdCardExpired
            | IdCardNotExpired
            | SerialRangeInvalid { .. }
            | SerialOutsideRange { .. }
            | FormFieldInvalid { .. }
            | SensitiveFieldNotCollected { .. }
            | ReferenceInvalid { .. }
            | PaymentAmountMismatch { .. }
            | PasswordsIncomplete
            | PasswordHashFormat
            | PasswordsIdentical
            | PhoneInvalid
            | ArtPeItemInvalid { .. }
            | DeclarationInvalid { .. } => RejectionKind::Invalid,
        }
    }
}
