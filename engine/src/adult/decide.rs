//! An adult-exam registration's decisions: each command, against the record and the
//! calendar, becomes events or a [`Rejection`]. The order the plan sets is enforced here:
//! the pledge, information and volunteers before a point is chosen; confirmation at that
//! point, in its working hours, within the candidate's window; edits only until confirmed;
//! the fee only once confirmed (and the city has approved other identity documents),
//! applied exactly once per provider transaction; the rest after.

use super::confirmation::{AdultCalendar, ConfirmationPoint};
use super::info::BasicInfo;
use super::rejection::Rejection;
use super::volunteer::{VolunteerRules, Volunteers};
use super::{
    AdultCandidate, AdultEvent, Bonus, Confirmation, DocumentReview, ExemptionStage, Seat,
};
use crate::candidate::{Payment, PaymentNotice, Provider};
use crate::key::CandidateKey;
use crate::org::{CityCode, PointCode};
use crate::photo::PhotoMeta;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Who reviews an exemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewLevel {
    /// The candidate's city, first.
    City,
    /// The province, after the city passed it.
    Province,
}

/// A request to change an adult-exam registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdultCommand {
    /// Make the account.
    Register {
        /// Username (checked by the gateway for form; its key is derived from it).
        username: String,
        /// The password's argon2id hash.
        password_hash: String,
    },
    /// Accept the integrity pledge online.
    AcceptPledge,
    /// Save the basic information (until confirmed).
    SaveInfo(Box<BasicInfo>),
    /// Save the volunteers (until confirmed).
    SaveVolunteers(Box<Volunteers>),
    /// Choose the confirmation point (the gateway reads the point and passes it whole).
    ChoosePoint(Box<ConfirmationPoint>),
    /// The point confirms the registration on site.
    Confirm {
        /// The confirming point (the operator's).
        point: PointCode,
        /// The operator.
        operator: String,
        /// The photo taken on site.
        photo: PhotoMeta,
        /// Qualification checked.
        qualification_checked: bool,
        /// Bonus documents checked.
        bonus_checked: bool,
        /// The pledge copied out by hand.
        pledge_transcribed: bool,
    },
    /// The candidate's city approves another identity document.
    ApproveDocuments {
        /// The approving city (the operator's).
        city: CityCode,
    },
    /// Order the fee.
    OrderFee {
        /// Our order number.
        order_id: String,
        /// Provider.
        provider: Provider,
    },
    /// A provider reports a payment.
    ApplyPayment(PaymentNotice),
    /// The point records why a confirmed candidate did not pay.
    RecordUnpaidReason {
        /// The point (the operator's).
        point: PointCode,
        /// Why.
        reason: String,
    },
    /// Apply for admission without the exam.
    ApplyExemption {
        /// The policy it rests on.
        reason: String,
    },
    /// The city, then the province, reviews the exemption.
    ReviewExemption {
        /// Who.
        by: ReviewLevel,
        /// The reviewing city, for the city's review.
        city: Option<CityCode>,
        /// Approved or not.
        approved: bool,
        /// Why (required when refused).
        reason: String,
    },
    /// The city enters bonus points.
    EnterBonus {
        /// The city (the operator's).
        city: CityCode,
        /// Points, 1–50.
        points: u8,
        /// The policy it rests on.
        reason: String,
    },
    /// Numbering's seat for the candidate.
    AssignSeat(Seat),
    /// The admission ticket was printed.
    MarkTicketPrinted,
}

/// What a decision needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The registration's key.
    pub key: CandidateKey,
    /// The instant of the decision.
    pub now: Timestamp,
    /// The year's calendar.
    pub calendar: &'a AdultCalendar,
    /// The volunteer rules.
    pub rules: &'a VolunteerRules,
    /// The fee, in fen.
    pub fee_fen: u32,
    /// Whether the registration's county has reported its data (frozen).
    pub records_frozen: bool,
}

fn reason_text(field: &'static str, text: &str) -> Result<String, Rejection> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 || crate::text::has_forbidden(text) {
        return Err(Rejection::FieldInvalid {
            field,
            reason: "1 to 200 characters of text".to_owned(),
        });
    }
    Ok(text.to_owned())
}

/// Decides `command` on `state` (absent before the account exists).
pub fn decide(
    state: Option<&AdultCandidate>,
    command: &AdultCommand,
    ctx: &Context<'_>,
) -> Result<Vec<AdultEvent>, Rejection> {
    let at = ctx.now;
    let candidate = match (state, command) {
        (
            None,
            AdultCommand::Register {
                username,
                password_hash,
            },
        ) => {
            if !ctx.calendar.any_open(at) {
                return Err(Rejection::RegistrationClosed(
                    "adult-exam registration is not open".to_owned(),
                ));
            }
            return Ok(vec![AdultEvent::Registered {
                key: ctx.key,
                username: username.clone(),
                password_hash: password_hash.clone(),
                at,
            }]);
        }
        (Some(_), AdultCommand::Register { .. }) => return Err(Rejection::UsernameTaken),
        (None, _) => return Err(Rejection::NotRegistered),
        (Some(candidate), _) => candidate,
    };
    let today = at.to_cst().0;
    // A reported county's registrations change no more (payments still land: a provider's
    // notification is a fact; the ticket's numbering and printing come after reporting).
    let frozen_here = !matches!(
        command,
        AdultCommand::ApplyPayment(_)
            | AdultCommand::AssignSeat(_)
            | AdultCommand::MarkTicketPrinted
            | AdultCommand::Register { .. }
    );
    if ctx.records_frozen && frozen_here {
        return Err(Rejection::RecordsFrozen);
    }
    match command {
        AdultCommand::Register { .. } => Err(Rejection::UsernameTaken),
        AdultCommand::AcceptPledge => {
            editable(candidate)?;
            if candidate.pledge_accepted_at.is_some() {
                return Ok(vec![]);
            }
            Ok(vec![AdultEvent::PledgeAccepted { at }])
        }
        AdultCommand::SaveInfo(info) => {
            editable(candidate)?;
            if candidate.pledge_accepted_at.is_none() {
                return Err(Rejection::StepMissing("accept the integrity pledge"));
            }
            info.check(today)?;
            let region = match candidate.point {
                Some(point) => point.county().city(),
                None => CityCode::new(info.hukou_city).ok_or(Rejection::FieldInvalid {
                    field: "hukou_city",
                    reason: "not a city of the province".to_owned(),
                })?,
            };
            ctx.calendar
                .registration_open(region, info.hukou_city, at)?;
            Ok(vec![AdultEvent::InfoSaved {
                info: info.clone(),
                at,
            }])
        }
        AdultCommand::SaveVolunteers(volunteers) => {
            editable(candidate)?;
            let info = candidate
                .info
                .as_ref()
                .ok_or(Rejection::StepMissing("fill in the basic information"))?;
            open_for(candidate, info, ctx)?;
            ctx.rules.check(volunteers)?;
            Ok(vec![AdultEvent::VolunteersSaved {
                volunteers: volunteers.clone(),
                at,
            }])
        }
        AdultCommand::ChoosePoint(point) => {
            editable(candidate)?;
            let (info, volunteers) = filled(candidate)?;
            let medical = ctx.rules.is_medical(volunteers);
            let under_17 = info.age_on(ctx.calendar.age_reference) < 17;
            point.takes(volunteers.level(), medical, under_17)?;
            ctx.calendar
                .registration_open(point.code.county().city(), info.hukou_city, at)?;
            if candidate.point == Some(point.code) {
                return Ok(vec![]);
            }
            Ok(vec![AdultEvent::PointChosen {
                point: point.code,
                at,
            }])
        }
        AdultCommand::Confirm {
            point,
            operator,
            photo,
            qualification_checked,
            bonus_checked,
            pledge_transcribed,
        } => {
            if let Some(done) = &candidate.confirmation {
                return if done.point == *point {
                    Ok(vec![])
                } else {
                    Err(Rejection::Confirmed)
                };
            }
            let (info, _) = filled(candidate)?;
            let chosen = candidate
                .point
                .ok_or(Rejection::StepMissing("choose a confirmation point"))?;
            if chosen != *point {
                return Err(Rejection::NotTheChosenPoint);
            }
            ctx.calendar
                .registration_open(point.county().city(), info.hukou_city, at)?;
            ctx.calendar.within_hours(at)?;
            if !qualification_checked {
                return Err(Rejection::FieldInvalid {
                    field: "qualification_checked",
                    reason: "the qualification must be checked before confirming".to_owned(),
                });
            }
            if !pledge_transcribed {
                return Err(Rejection::FieldInvalid {
                    field: "pledge_transcribed",
                    reason: "the candidate copies out the integrity pledge before confirming"
                        .to_owned(),
                });
            }
            let documents = if info.document.needs_city_approval() {
                DocumentReview::AwaitingCity
            } else {
                DocumentReview::NotNeeded
            };
            Ok(vec![AdultEvent::Confirmed {
                confirmation: Box::new(Confirmation {
                    point: *point,
                    at,
                    operator: operator.clone(),
                    photo: photo.clone(),
                    qualification_checked: *qualification_checked,
                    bonus_checked: *bonus_checked,
                    pledge_transcribed: *pledge_transcribed,
                    documents,
                }),
            }])
        }
        AdultCommand::ApproveDocuments { city } => {
            let confirmation = candidate
                .confirmation
                .as_ref()
                .ok_or(Rejection::NotConfirmed)?;
            if confirmation.point.county().city() != *city {
                return Err(Rejection::OutOfScope);
            }
            match confirmation.documents {
                DocumentReview::AwaitingCity => {
                    Ok(vec![AdultEvent::DocumentsApproved { city: *city, at }])
                }
                DocumentReview::Approved { .. } => Ok(vec![]),
                DocumentReview::NotNeeded => Err(Rejection::NothingToApprove),
            }
        }
        AdultCommand::OrderFee { order_id, provider } => {
            confirmed(candidate)?;
            if candidate.fee.paid.is_some() {
                return Err(Rejection::FeeAlreadyPaid);
            }
            ctx.calendar.payment_open(at)?;
            if let Some(existing) = candidate
                .fee
                .orders
                .iter()
                .find(|order| order.order_id == *order_id)
            {
                // A retry of the same order: nothing new.
                return if existing.provider == *provider {
                    Ok(vec![])
                } else {
                    Err(Rejection::PaymentOrderUnknown)
                };
            }
            Ok(vec![AdultEvent::FeeOrdered {
                order_id: order_id.clone(),
                provider: *provider,
                amount_fen: ctx.fee_fen,
                at,
            }])
        }
        AdultCommand::ApplyPayment(notice) => {
            let ledger_key =
                crate::candidate::transaction_ledger_key(notice.provider, &notice.transaction_id);
            if candidate.transaction_applied(&ledger_key) {
                return Ok(vec![]);
            }
            let order = candidate
                .fee
                .orders
                .iter()
                .find(|order| {
                    order.order_id == notice.order_id && order.provider == notice.provider
                })
                .ok_or(Rejection::PaymentOrderUnknown)?;
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
            Ok(vec![if candidate.fee.paid.is_some() {
                AdultEvent::SurplusRecorded { payment, at }
            } else {
                AdultEvent::FeePaid { payment, at }
            }])
        }
        AdultCommand::RecordUnpaidReason { point, reason } => {
            let confirmation = candidate
                .confirmation
                .as_ref()
                .ok_or(Rejection::NotConfirmed)?;
            if confirmation.point != *point {
                return Err(Rejection::OutOfScope);
            }
            if candidate.fee.paid.is_some() {
                return Err(Rejection::NotUnpaid("the candidate has paid".to_owned()));
            }
            if ctx.calendar.payment_open(at).is_ok() {
                return Err(Rejection::NotUnpaid(format!(
                    "paying is open until {}; reasons are recorded after it closes",
                    ctx.calendar.payment_closes_at.cst_text()
                )));
            }
            Ok(vec![AdultEvent::UnpaidReasonRecorded {
                point: *point,
                reason: reason_text("reason", reason)?,
                at,
            }])
        }
        AdultCommand::ApplyExemption { reason } => {
            if !candidate.valid() {
                return Err(Rejection::NotConfirmed);
            }
            if candidate.exemption.is_some() {
                return Err(Rejection::ExemptionReview(
                    "an application exists already".to_owned(),
                ));
            }
            Ok(vec![AdultEvent::ExemptionApplied {
                reason: reason_text("reason", reason)?,
                at,
            }])
        }
        AdultCommand::ReviewExemption {
            by,
            city,
            approved,
            reason,
        } => {
            let exemption = candidate.exemption.as_ref().ok_or_else(|| {
                Rejection::ExemptionReview("the candidate has not applied".to_owned())
            })?;
            match (by, &exemption.stage) {
                (ReviewLevel::City, ExemptionStage::Applied) => {
                    let theirs = candidate.region();
                    if city.is_none() || *city != theirs {
                        return Err(Rejection::OutOfScope);
                    }
                }
                (ReviewLevel::Province, ExemptionStage::CityPassed) => {}
                (ReviewLevel::Province, ExemptionStage::Applied) => {
                    return Err(Rejection::ExemptionReview(
                        "the city reviews the application first".to_owned(),
                    ));
                }
                _ => {
                    return Err(Rejection::ExemptionReview(
                        "the application is not waiting for this review".to_owned(),
                    ));
                }
            }
            let reason = if *approved {
                reason.trim().to_owned()
            } else {
                reason_text("reason", reason)?
            };
            Ok(vec![AdultEvent::ExemptionReviewed {
                by: *by,
                approved: *approved,
                reason,
                at,
            }])
        }
        AdultCommand::EnterBonus {
            city,
            points,
            reason,
        } => {
            if !candidate.valid() {
                return Err(Rejection::NotConfirmed);
            }
            if candidate.region() != Some(*city) {
                return Err(Rejection::OutOfScope);
            }
            if !(1..=50).contains(points) {
                return Err(Rejection::FieldInvalid {
                    field: "points",
                    reason: "1 to 50".to_owned(),
                });
            }
            Ok(vec![AdultEvent::BonusEntered {
                bonus: Bonus {
                    points: *points,
                    reason: reason_text("reason", reason)?,
                    city: *city,
                    at,
                },
            }])
        }
        AdultCommand::AssignSeat(seat) => {
            if !candidate.valid() {
                return Err(Rejection::NotConfirmed);
            }
            if candidate.seat.as_ref() == Some(seat) {
                return Ok(vec![]);
            }
            Ok(vec![AdultEvent::SeatAssigned {
                seat: seat.clone(),
                at,
            }])
        }
        AdultCommand::MarkTicketPrinted => {
            if candidate.seat.is_none() {
                return Err(Rejection::StepMissing(
                    "wait for the admission-ticket number",
                ));
            }
            if candidate.ticket_printed_at.is_some() {
                return Ok(vec![]);
            }
            Ok(vec![AdultEvent::TicketPrinted { at }])
        }
    }
}

/// Edits are possible until confirmation.
fn editable(candidate: &AdultCandidate) -> Result<(), Rejection> {
    if candidate.confirmation.is_some() {
        return Err(Rejection::Confirmed);
    }
    Ok(())
}

/// The information and volunteers, both needed from the point choice on.
fn filled(candidate: &AdultCandidate) -> Result<(&BasicInfo, &Volunteers), Rejection> {
    if candidate.pledge_accepted_at.is_none() {
        return Err(Rejection::StepMissing("accept the integrity pledge"));
    }
    let info = candidate
        .info
        .as_ref()
        .ok_or(Rejection::StepMissing("fill in the basic information"))?;
    let volunteers = candidate
        .volunteers
        .as_ref()
        .ok_or(Rejection::StepMissing("fill in the volunteers"))?;
    Ok((info, volunteers))
}

/// The candidate's window is open (their region: the chosen point's city, else the hukou).
fn open_for(
    candidate: &AdultCandidate,
    info: &BasicInfo,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    let region = candidate.region().ok_or(Rejection::FieldInvalid {
        field: "hukou_city",
        reason: "not a city of the province".to_owned(),
    })?;
    ctx.calendar
        .registration_open(region, info.hukou_city, ctx.now)
}

/// Confirmed, with the city's approval where needed.
fn confirmed(candidate: &AdultCandidate) -> Result<(), Rejection> {
    let confirmation = candidate
        .confirmation
        .as_ref()
        .ok_or(Rejection::NotConfirmed)?;
    if confirmation.documents == DocumentReview::AwaitingCity {
        return Err(Rejection::AwaitingCityApproval);
    }
    Ok(())
}
