//! The adult college entrance exam (成人高考), as the 2019 plan (`seeds/003`) runs it: a
//! second exam on the same engine, in its own module, with its own record, commands, events
//! and refusals. Its shape differs from the gaokao's: candidates register themselves first
//! (an account, the pledge, basic information collected from them, volunteers, a chosen
//! confirmation point), are confirmed on site later (photo, checks, the pledge transcribed;
//! other identity documents approved by the city), pay only once confirmed, and the
//! province then builds the exam itself (`numbering`: ticket numbers, rooms, sites).
//!
//! - [`volunteer`]: levels, choices and the volunteer rules as data.
//! - [`info`]: the basic information and its checks.
//! - [`confirmation`]: confirmation points and the calendar (windows by city and household
//!   registration, working hours, the payment deadline).
//! - [`decide`]: commands → events or a [`Rejection`]; [`evolve`] applies events.
//! - [`numbering`]: admission-ticket numbers, rooms and sites, deterministic.

pub mod confirmation;
mod decide;
pub mod info;
pub mod numbering;
pub mod rejection;
#[cfg(test)]
mod tests;
pub mod volunteer;

pub use decide::{AdultCommand, Context, ReviewLevel, decide};
pub use rejection::Rejection;

use crate::candidate::{FeeAccount, Payment};
use crate::key::CandidateKey;
use crate::org::{CityCode, PointCode};
use crate::photo::PhotoMeta;
use crate::time::Timestamp;
use info::BasicInfo;
use serde::{Deserialize, Serialize};
use volunteer::Volunteers;

/// Where a registration stands, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// An account exists.
    Registered,
    /// The pledge, basic information and volunteers are in.
    Filled,
    /// A confirmation point is chosen: the candidate goes there next.
    PointChosen,
    /// Confirmed at the point; the city must approve the identity documents.
    AwaitingCityApproval,
    /// Confirmed: nothing entered changes any more; the fee is due.
    Confirmed,
    /// Confirmed and paid: a valid registration.
    Paid,
    /// Has an admission-ticket number, room and seat.
    Seated,
}

impl Status {
    /// Every status, in order.
    pub const ALL: [Status; 7] = [
        Status::Registered,
        Status::Filled,
        Status::PointChosen,
        Status::AwaitingCityApproval,
        Status::Confirmed,
        Status::Paid,
        Status::Seated,
    ];

    /// The stable machine-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::Filled => "filled",
            Status::PointChosen => "point_chosen",
            Status::AwaitingCityApproval => "awaiting_city_approval",
            Status::Confirmed => "confirmed",
            Status::Paid => "paid",
            Status::Seated => "seated",
        }
    }
}

/// How the city settled another identity document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentReview {
    /// A resident identity card: the point's check is all.
    NotNeeded,
    /// Waiting for the city.
    AwaitingCity,
    /// Approved by the city.
    Approved {
        /// The city.
        city: CityCode,
        /// When.
        at: Timestamp,
    },
}

/// What the point recorded on site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The point.
    pub point: PointCode,
    /// When.
    pub at: Timestamp,
    /// The operator (username).
    pub operator: String,
    /// The photo taken on site.
    pub photo: PhotoMeta,
    /// The qualification (资格) was checked.
    pub qualification_checked: bool,
    /// The bonus (优惠) documents were checked.
    pub bonus_checked: bool,
    /// The candidate copied out the integrity pledge in their own hand.
    pub pledge_transcribed: bool,
    /// The city's review of another identity document.
    pub documents: DocumentReview,
}

/// An application for admission without the exam (免试入学), reviewed by the city, then
/// the province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    /// Why the candidate applies (the policy it rests on).
    pub reason: String,
    /// When.
    pub applied_at: Timestamp,
    /// Where the review stands.
    pub stage: ExemptionStage,
}

/// An exemption's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExemptionStage {
    /// Waiting for the city.
    Applied,
    /// The city passed it; waiting for the province.
    CityPassed,
    /// Approved: admitted without the exam.
    Approved,
    /// Refused (the candidate sits the exam), with the level and the reason.
    Refused {
        /// Who refused.
        by: ReviewLevel,
        /// Why.
        reason: String,
    },
}

/// Bonus points entered by the city (照顾加分).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bonus {
    /// Points.
    pub points: u8,
    /// The policy it rests on.
    pub reason: String,
    /// The city that entered it.
    pub city: CityCode,
    /// When.
    pub at: Timestamp,
}

/// A seat in the exam: what the admission ticket prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    /// The admission-ticket number (准考证号).
    pub ticket: String,
    /// The exam area (考区, a city code).
    pub area: u16,
    /// The exam site (考点) code the room was given to.
    pub site: String,
    /// The room within the area and category (考场号), from 1.
    pub room: u32,
    /// The seat within the room (座位号), from 1.
    pub seat: u32,
}

/// One adult-exam registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdultCandidate {
    /// Pseudonymous key (from the username).
    pub key: CandidateKey,
    /// The account's username.
    pub username: String,
    /// The login password (argon2id PHC string).
    pub password_hash: String,
    /// When the account was made.
    pub registered_at: Timestamp,
    /// When the integrity pledge was accepted online.
    pub pledge_accepted_at: Option<Timestamp>,
    /// The basic information.
    pub info: Option<BasicInfo>,
    /// The volunteers.
    pub volunteers: Option<Volunteers>,
    /// The chosen confirmation point.
    pub point: Option<PointCode>,
    /// Saves of the information or volunteers before confirmation.
    pub edits: u32,
    /// The on-site confirmation.
    pub confirmation: Option<Confirmation>,
    /// The registration and exam fee (报名考试考务费).
    pub fee: FeeAccount,
    /// Why a confirmed candidate did not pay (recorded by the point after the deadline).
    pub unpaid_reason: Option<String>,
    /// An application for admission without the exam.
    pub exemption: Option<Exemption>,
    /// Bonus points.
    pub bonus: Vec<Bonus>,
    /// The seat, once numbered.
    pub seat: Option<Seat>,
    /// When the admission ticket was first printed (its number is then kept on re-runs).
    pub ticket_printed_at: Option<Timestamp>,
}

impl AdultCandidate {
    /// Where the registration stands.
    pub fn status(&self) -> Status {
        if self.seat.is_some() {
            return Status::Seated;
        }
        if let Some(confirmation) = &self.confirmation {
            if confirmation.documents == DocumentReview::AwaitingCity {
                return Status::AwaitingCityApproval;
            }
            return if self.fee.paid.is_some() {
                Status::Paid
            } else {
                Status::Confirmed
            };
        }
        if self.point.is_some() {
            Status::PointChosen
        } else if self.pledge_accepted_at.is_some()
            && self.info.is_some()
            && self.volunteers.is_some()
        {
            Status::Filled
        } else {
            Status::Registered
        }
    }

    /// Whether the registration is valid: confirmed (documents approved) and paid.
    pub fn valid(&self) -> bool {
        self.status() >= Status::Paid
    }

    /// The city the candidate registers in: the chosen point's, else the household
    /// registration's.
    pub fn region(&self) -> Option<CityCode> {
        match (self.point, &self.info) {
            (Some(point), _) => Some(point.county().city()),
            (None, Some(info)) => CityCode::new(info.hukou_city),
            (None, None) => None,
        }
    }

    /// Whether the fee's ledger holds this provider transaction already.
    pub fn transaction_applied(&self, ledger_key: &str) -> bool {
        self.fee.applied_transactions.contains(ledger_key)
    }
}

/// What happened to an adult-exam registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdultEvent {
    /// An account was made.
    Registered {
        /// Its key.
        key: CandidateKey,
        /// Username.
        username: String,
        /// Password hash.
        password_hash: String,
        /// When.
        at: Timestamp,
    },
    /// The pledge was accepted online.
    PledgeAccepted {
        /// When.
        at: Timestamp,
    },
    /// The basic information was saved.
    InfoSaved {
        /// It.
        info: Box<BasicInfo>,
        /// When.
        at: Timestamp,
    },
    /// The volunteers were saved.
    VolunteersSaved {
        /// They.
        volunteers: Box<Volunteers>,
        /// When.
        at: Timestamp,
    },
    /// A confirmation point was chosen.
    PointChosen {
        /// It.
        point: PointCode,
        /// When.
        at: Timestamp,
    },
    /// Confirmed on site (awaiting the city when the documents need it).
    Confirmed {
        /// What the point recorded.
        confirmation: Box<Confirmation>,
    },
    /// The city approved another identity document.
    DocumentsApproved {
        /// The city.
        city: CityCode,
        /// When.
        at: Timestamp,
    },
    /// A fee order was made.
    FeeOrdered {
        /// Our order number.
        order_id: String,
        /// Provider.
        provider: crate::candidate::Provider,
        /// Amount in fen.
        amount_fen: u32,
        /// When.
        at: Timestamp,
    },
    /// The fee was paid.
    FeePaid {
        /// The payment.
        payment: Payment,
        /// When recorded.
        at: Timestamp,
    },
    /// A payment after the fee was paid (kept, not applied twice).
    SurplusRecorded {
        /// The payment.
        payment: Payment,
        /// When recorded.
        at: Timestamp,
    },
    /// The point recorded why a confirmed candidate did not pay.
    UnpaidReasonRecorded {
        /// The point.
        point: PointCode,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The candidate applied for admission without the exam.
    ExemptionApplied {
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The city or the province reviewed the exemption.
    ExemptionReviewed {
        /// Who.
        by: ReviewLevel,
        /// Approved or not.
        approved: bool,
        /// Why (required when refused).
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The city entered bonus points.
    BonusEntered {
        /// The bonus.
        bonus: Bonus,
    },
    /// Numbering gave the candidate a seat (or a new one, when forced).
    SeatAssigned {
        /// The seat.
        seat: Seat,
        /// When.
        at: Timestamp,
    },
    /// The admission ticket was printed (first time).
    TicketPrinted {
        /// When.
        at: Timestamp,
    },
}

impl AdultEvent {
    /// A short, bounded name.
    pub fn name(&self) -> &'static str {
        match self {
            AdultEvent::Registered { .. } => "registered",
            AdultEvent::PledgeAccepted { .. } => "pledge_accepted",
            AdultEvent::InfoSaved { .. } => "info_saved",
            AdultEvent::VolunteersSaved { .. } => "volunteers_saved",
            AdultEvent::PointChosen { .. } => "point_chosen",
            AdultEvent::Confirmed { .. } => "confirmed",
            AdultEvent::DocumentsApproved { .. } => "documents_approved",
            AdultEvent::FeeOrdered { .. } => "fee_ordered",
            AdultEvent::FeePaid { .. } => "fee_paid",
            AdultEvent::SurplusRecorded { .. } => "surplus_recorded",
            AdultEvent::UnpaidReasonRecorded { .. } => "unpaid_reason_recorded",
            AdultEvent::ExemptionApplied { .. } => "exemption_applied",
            AdultEvent::ExemptionReviewed { .. } => "exemption_reviewed",
            AdultEvent::BonusEntered { .. } => "bonus_entered",
            AdultEvent::SeatAssigned { .. } => "seat_assigned",
            AdultEvent::TicketPrinted { .. } => "ticket_printed",
        }
    }
}

/// Applies `event`. Events are facts: applying never fails, and replaying a registration's
/// events in order rebuilds it.
pub fn evolve(state: Option<AdultCandidate>, event: &AdultEvent) -> Option<AdultCandidate> {
    use crate::candidate::FeeChange;
    let mut candidate = match (state, event) {
        (
            None,
            AdultEvent::Registered {
                key,
                username,
                password_hash,
                at,
            },
        ) => {
            return Some(AdultCandidate {
                key: *key,
                username: username.clone(),
                password_hash: password_hash.clone(),
                registered_at: *at,
                pledge_accepted_at: None,
                info: None,
                volunteers: None,
                point: None,
                edits: 0,
                confirmation: None,
                fee: FeeAccount::default(),
                unpaid_reason: None,
                exemption: None,
                bonus: Vec::new(),
                seat: None,
                ticket_printed_at: None,
            });
        }
        (None, _) => return None,
        (Some(candidate), _) => candidate,
    };
    match event {
        AdultEvent::Registered { .. } => {}
        AdultEvent::PledgeAccepted { at } => candidate.pledge_accepted_at = Some(*at),
        AdultEvent::InfoSaved { info, .. } => {
            candidate.info = Some((**info).clone());
            candidate.edits += 1;
        }
        AdultEvent::VolunteersSaved { volunteers, .. } => {
            candidate.volunteers = Some((**volunteers).clone());
            candidate.edits += 1;
        }
        AdultEvent::PointChosen { point, .. } => candidate.point = Some(*point),
        AdultEvent::Confirmed { confirmation } => {
            candidate.confirmation = Some((**confirmation).clone())
        }
        AdultEvent::DocumentsApproved { city, at } => {
            if let Some(confirmation) = &mut candidate.confirmation {
                confirmation.documents = DocumentReview::Approved {
                    city: *city,
                    at: *at,
                };
            }
        }
        AdultEvent::FeeOrdered {
            order_id,
            provider,
            amount_fen,
            at,
        } => candidate.fee.apply(FeeChange::Ordered {
            order_id,
            provider: *provider,
            amount_fen: *amount_fen,
            at: *at,
        }),
        AdultEvent::FeePaid { payment, .. } => candidate.fee.apply(FeeChange::Paid(payment)),
        AdultEvent::SurplusRecorded { payment, .. } => {
            candidate.fee.apply(FeeChange::Surplus(payment))
        }
        AdultEvent::UnpaidReasonRecorded { reason, .. } => {
            candidate.unpaid_reason = Some(reason.clone())
        }
        AdultEvent::ExemptionApplied { reason, at } => {
            candidate.exemption = Some(Exemption {
                reason: reason.clone(),
                applied_at: *at,
                stage: ExemptionStage::Applied,
            })
        }
        AdultEvent::ExemptionReviewed {
            by,
            approved,
            reason,
            ..
        } => {
            if let Some(exemption) = &mut candidate.exemption {
                exemption.stage = match (approved, by) {
                    (true, ReviewLevel::City) => ExemptionStage::CityPassed,
                    (true, ReviewLevel::Province) => ExemptionStage::Approved,
                    (false, by) => ExemptionStage::Refused {
                        by: *by,
                        reason: reason.clone(),
                    },
                };
            }
        }
        AdultEvent::BonusEntered { bonus } => candidate.bonus.push(bonus.clone()),
        AdultEvent::SeatAssigned { seat, .. } => candidate.seat = Some(seat.clone()),
        AdultEvent::TicketPrinted { at } => {
            candidate.ticket_printed_at.get_or_insert(*at);
        }
    }
    Some(candidate)
}
