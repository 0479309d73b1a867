//! Every way the adult exam's engine says no, each with a stable code (the gaokao's codes
//! are [`crate::Rejection`]'s; these are this exam's own, and never renamed once shipped).

use super::volunteer::Level;
use crate::RejectionKind;

/// A refusal of the adult exam. Refusals change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A field is missing or malformed.
    #[error("{field}: {reason}")]
    FieldInvalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The ID number is invalid.
    #[error(transparent)]
    IdNumber(#[from] crate::id_number::IdNumberError),
    /// The photo does not meet the standard.
    #[error(transparent)]
    Photo(#[from] crate::photo::PhotoError),
    /// The year's rules have no such level.
    #[error("{} is not offered this year", level.chinese())]
    LevelNotOffered {
        /// The level.
        level: Level,
    },
    /// The level is not sat in that subject category.
    #[error("{} is not sat in the category '{category}'", level.chinese())]
    CategoryNotOffered {
        /// The level.
        level: Level,
        /// The category asked for.
        category: String,
    },
    /// The second choice's level is not one the first allows.
    #[error(
        "a {} candidate's second choice may be {}, not {}",
        first.chinese(),
        allowed.iter().map(|level| level.chinese()).collect::<Vec<_>>().join(" or "),
        second.chinese()
    )]
    SecondChoiceLevel {
        /// The first choice's level.
        first: Level,
        /// The second's.
        second: Level,
        /// What the first allows.
        allowed: Vec<Level>,
    },
    /// A 专升本 second choice in another major category.
    #[error("a 专升本 second choice keeps the first's major category ({first}), not {second}")]
    SecondChoiceCrossesCategory {
        /// The first choice's category.
        first: String,
        /// The second's.
        second: String,
    },
    /// An account with this username exists.
    #[error("this username is taken; choose another")]
    UsernameTaken,
    /// No such registration.
    #[error("no such adult-exam registration")]
    NotRegistered,
    /// Registration is not open for this candidate now (city, household registration).
    #[error("{0}")]
    RegistrationClosed(String),
    /// A step that must come first has not been done.
    #[error("{0} first")]
    StepMissing(&'static str),
    /// The registration is confirmed: nothing the candidate entered changes any more.
    #[error("the registration is confirmed and can no longer be changed")]
    Confirmed,
    /// The point does not confirm this candidate (level, medical, under 17).
    #[error("{0}")]
    PointNotForCandidate(String),
    /// Confirmation at another point than the one chosen.
    #[error("the candidate chose another confirmation point")]
    NotTheChosenPoint,
    /// Outside the points' working hours.
    #[error("confirmations are taken {hours} (China Standard Time) only")]
    OutsideWorkingHours {
        /// The hours, as people read them.
        hours: String,
    },
    /// The identity documents still await the city's approval.
    #[error("the identity documents await the city's approval")]
    AwaitingCityApproval,
    /// Nothing awaits the city's approval.
    #[error("nothing awaits the city's approval")]
    NothingToApprove,
    /// Not confirmed (payment and everything after it need a confirmed registration).
    #[error("the registration is not confirmed yet: confirm it at the chosen point first")]
    NotConfirmed,
    /// The fee is paid already.
    #[error("the fee is paid already; do not pay again")]
    FeeAlreadyPaid,
    /// Paying is closed.
    #[error("payment closed at {0} (China Standard Time)")]
    PaymentClosed(String),
    /// A payment for an order this candidate never had (or of another provider).
    #[error("no such order for this candidate")]
    PaymentOrderUnknown,
    /// A payment of another amount than the order's.
    #[error("the order is for {expected_fen} fen, the payment for {received_fen}")]
    PaymentAmountMismatch {
        /// The order's amount.
        expected_fen: u32,
        /// The payment's.
        received_fen: u32,
    },
    /// The unpaid-reason work list takes confirmed, unpaid candidates after the deadline.
    #[error("{0}")]
    NotUnpaid(String),
    /// Exemption reviews go city first, then province, on an application.
    #[error("{0}")]
    ExemptionReview(String),
    /// The county has reported its data (数据上报): its registrations are frozen until the
    /// city returns the report.
    #[error(
        "the county has reported its data; its registrations are frozen until the report is returned"
    )]
    RecordsFrozen,
    /// The operator's scope does not cover this registration.
    #[error("outside the caller's scope")]
    OutOfScope,
    /// Numbering cannot seat everyone: an area has too few rooms.
    #[error(
        "exam area {area}: {needed} rooms are needed, its sites offer {offered} (short by {})",
        needed - offered
    )]
    RoomsShort {
        /// The exam area.
        area: String,
        /// Rooms the area's candidates need.
        needed: u32,
        /// Rooms its sites offer.
        offered: u32,
    },
    /// A run would give printed tickets other numbers (only a forced run may).
    #[error(
        "{count} candidates who printed their admission tickets would get other numbers; \
         force the run to renumber them (audited)"
    )]
    PrintedTicketsWouldChange {
        /// How many.
        count: u32,
    },
    /// A candidate's county and category has no exam area.
    #[error("county {county}, category {category}: no exam area assigned")]
    NoExamArea {
        /// The county.
        county: String,
        /// The category.
        category: String,
    },
}

impl Rejection {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::FieldInvalid { .. } => "adult_field_invalid",
            Rejection::IdNumber(_) => "invalid_id_number",
            Rejection::Photo(error) => error.code(),
            Rejection::LevelNotOffered { .. } => "level_not_offered",
            Rejection::CategoryNotOffered { .. } => "category_not_offered",
            Rejection::SecondChoiceLevel { .. } => "second_choice_level_not_allowed",
            Rejection::SecondChoiceCrossesCategory { .. } => "second_choice_crosses_major_category",
            Rejection::UsernameTaken => "username_taken",
            Rejection::NotRegistered => "adult_registration_not_found",
            Rejection::RegistrationClosed(_) => "adult_registration_closed",
            Rejection::StepMissing(_) => "step_missing",
            Rejection::Confirmed => "registration_confirmed",
            Rejection::PointNotForCandidate(_) => "point_not_for_candidate",
            Rejection::NotTheChosenPoint => "not_the_chosen_point",
            Rejection::OutsideWorkingHours { .. } => "outside_working_hours",
            Rejection::AwaitingCityApproval => "awaiting_city_approval",
            Rejection::NothingToApprove => "nothing_to_approve",
            Rejection::NotConfirmed => "not_confirmed",
            Rejection::FeeAlreadyPaid => "fee_already_paid",
            Rejection::PaymentClosed(_) => "payment_closed",
            Rejection::PaymentOrderUnknown => "payment_order_unknown",
            Rejection::PaymentAmountMismatch { .. } => "payment_amount_mismatch",
            Rejection::NotUnpaid(_) => "not_confirmed_unpaid",
            Rejection::ExemptionReview(_) => "exemption_review_refused",
            Rejection::OutOfScope => "out_of_scope",
            Rejection::RecordsFrozen => "records_frozen",
            Rejection::RoomsShort { .. } => "rooms_short",
            Rejection::NoExamArea { .. } => "no_exam_area",
            Rejection::PrintedTicketsWouldChange { .. } => "printed_tickets_would_change",
        }
    }

    /// The broad class, for a transport's status code.
    pub fn kind(&self) -> RejectionKind {
        match self {
            Rejection::FieldInvalid { .. }
            | Rejection::IdNumber(_)
            | Rejection::Photo(_)
            | Rejection::LevelNotOffered { .. }
            | Rejection::CategoryNotOffered { .. }
            | Rejection::SecondChoiceLevel { .. }
            | Rejection::SecondChoiceCrossesCategory { .. }
            | Rejection::PointNotForCandidate(_)
            | Rejection::PaymentOrderUnknown
            | Rejection::PaymentAmountMismatch { .. } => RejectionKind::Invalid,
            Rejection::NotRegistered => RejectionKind::NotFound,
            Rejection::UsernameTaken
            | Rejection::StepMissing(_)
            | Rejection::Confirmed
            | Rejection::NotTheChosenPoint
            | Rejection::AwaitingCityApproval
            | Rejection::NothingToApprove
            | Rejection::NotConfirmed
            | Rejection::FeeAlreadyPaid
            | Rejection::NotUnpaid(_)
            | Rejection::ExemptionReview(_)
            | Rejection::RoomsShort { .. }
            | Rejection::PrintedTicketsWouldChange { .. }
            | Rejection::NoExamArea { .. } => RejectionKind::Conflict,
            Rejection::OutOfScope => RejectionKind::Forbidden,
            Rejection::RegistrationClosed(_)
            | Rejection::OutsideWorkingHours { .. }
            | Rejection::PaymentClosed(_)
            | Rejection::RecordsFrozen => RejectionKind::Closed,
        }
    }
}
