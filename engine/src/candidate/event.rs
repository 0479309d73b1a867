//! What happened to one candidate's record. Events are facts: they are never rejected
//! when applied, and replaying them in order always rebuilds the same state.

use super::command::{Capture, MoralEvaluation, Provider};
use super::fee::{FeeChange, FeeKind};
use super::form::RegistrationForm;
use crate::key::CandidateKey;
use crate::org::{CityCode, CountyCode, PointCode};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A recorded payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Provider.
    pub provider: Provider,
    /// Our order number.
    pub order_id: String,
    /// Provider transaction id.
    pub transaction_id: String,
    /// Amount in fen.
    pub amount_fen: u32,
    /// When the provider says it was paid.
    pub paid_at: Timestamp,
}

impl Payment {
    /// Its key in a fee account's ledger of applied transactions.
    pub fn ledger_key(&self) -> String {
        super::transaction_ledger_key(self.provider, &self.transaction_id)
    }
}

/// A fact about one candidate.
///
/// Fee events: builds before the fee model wrote one variant per fee and outcome (nine:
/// `FeeOrderCreated` … `ArtSurplusPaymentRecorded`); they are still read, never written.
/// This build writes the three appended ones, which name their [`FeeKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The point captured the candidate; the record exists from here.
    Captured {
        /// The candidate's key.
        key: CandidateKey,
        /// What was captured.
        capture: Box<Capture>,
        /// When.
        at: Timestamp,
    },
    /// The city approved another identity document.
    OtherDocumentApproved {
        /// The city.
        city: CityCode,
        /// When.
        at: Timestamp,
    },
    /// A typed-in ID was verified in person.
    IdVerifiedAtPoint {
        /// The point.
        point: PointCode,
        /// When.
        at: Timestamp,
    },
    /// The candidate's first login matched the capture.
    FirstLoginVerified {
        /// When.
        at: Timestamp,
    },
    /// A fee order was created.
    FeeOrderCreated {
        /// Our order number.
        order_id: String,
        /// Provider.
        provider: Provider,
        /// Amount due, in fen.
        amount_fen: u32,
        /// When.
        at: Timestamp,
    },
    /// The registration fee is paid. Never reverts.
    FeePaid {
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// A second payment arrived for an already-paid fee. Fees are not refunded; the record
    /// exists so finance and the candidate's county can see and handle it.
    SurplusPaymentRecorded {
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// A bonus-point or special-plan declaration was made.
    Declared {
        /// Its number.
        id: u32,
        /// What kind.
        kind: super::declaration::DeclarationKind,
        /// Which benefit or plan.
        item: String,
        /// Supporting-document references.
        documents: Vec<String>,
        /// When.
        at: Timestamp,
    },
    /// A pending declaration was withdrawn by the candidate.
    DeclarationWithdrawn {
        /// Its number.
        id: u32,
        /// When.
        at: Timestamp,
    },
    /// The county or the city decided on a declaration.
    DeclarationReviewed {
        /// Its number.
        id: u32,
        /// Where it stands now.
        review: super::declaration::Review,
        /// When.
        at: Timestamp,
    },
    /// A registration exported by another instance was taken over whole.
    Imported {
        /// The record as exported.
        snapshot: Box<super::Candidate>,
        /// When.
        at: Timestamp,
    },
    /// The county approved a migrant worker's child's eligibility audit.
    MigrantEligibilityApproved {
        /// The approving county.
        county: CountyCode,
        /// When.
        at: Timestamp,
    },
    /// An order for the exam fee.
    ExamFeeOrderCreated {
        /// Our order number.
        order_id: String,
        /// Provider.
        provider: Provider,
        /// Amount due, in fen.
        amount_fen: u32,
        /// When.
        at: Timestamp,
    },
    /// The exam fee is paid: the admission ticket may be printed. Never reverts.
    ExamFeePaid {
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// A second payment of an already-paid exam fee (not refunded; recorded).
    ExamSurplusPaymentRecorded {
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// An art/PE category was chosen, or its items changed while unpaid.
    ArtCategoryChosen {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// 主项.
        main_item: String,
        /// 辅项.
        sub_item: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// An unpaid art/PE category was dropped.
    ArtCategoryDropped {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// When.
        at: Timestamp,
    },
    /// An order for one art/PE category's fee.
    ArtFeeOrderCreated {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// Our order number.
        order_id: String,
        /// Provider.
        provider: Provider,
        /// Amount due, in fen.
        amount_fen: u32,
        /// When.
        at: Timestamp,
    },
    /// An art/PE category's fee is paid: the category now counts. Never reverts.
    ArtFeePaid {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// A second payment for an already-paid category (not refunded; recorded).
    ArtSurplusPaymentRecorded {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// The identity provider reported a real-person authentication.
    RealPersonAuthRecorded {
        /// Whether it passed.
        passed: bool,
        /// Provider reference.
        reference: String,
        /// When.
        at: Timestamp,
    },
    /// Passwords were set or changed.
    PasswordsChanged {
        /// New login hash, if changed.
        login_hash: Option<String>,
        /// New save hash, if changed.
        save_hash: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// A phone number was bound.
    PhoneBound {
        /// The number.
        phone: String,
        /// When.
        at: Timestamp,
    },
    /// The integrity pledge was accepted.
    PledgeAccepted {
        /// When.
        at: Timestamp,
    },
    /// The form was saved (version 1 is the first save; each edit adds one).
    FormSaved {
        /// The form.
        form: Box<RegistrationForm>,
        /// Its version.
        version: u32,
        /// When.
        at: Timestamp,
    },
    /// The candidate signed the printed form of `version` at the point.
    FormSigned {
        /// The version signed.
        version: u32,
        /// The point.
        point: PointCode,
        /// When.
        at: Timestamp,
    },
    /// The moral-character evaluation was recorded.
    MoralEvaluationRecorded {
        /// The evaluation.
        evaluation: MoralEvaluation,
        /// The county of the operator.
        county: CountyCode,
        /// When.
        at: Timestamp,
    },
    /// A save password was typed wrongly (counted towards the lock; variants are appended
    /// only, so stored logs keep decoding).
    SavePasswordFailed {
        /// When.
        at: Timestamp,
    },
    /// The candidate's point reset both passwords in person: first login opens again, the
    /// save-password lock is lifted, and new passwords need a new real-person authentication.
    PasswordsReset {
        /// The point.
        point: PointCode,
        /// When.
        at: Timestamp,
    },
    /// An order for one of the candidate's fees. (Appended, like the two after it.)
    FeeOrdered {
        /// Which fee.
        fee: FeeKind,
        /// Our order number.
        order_id: String,
        /// Provider.
        provider: Provider,
        /// Amount due, in fen.
        amount_fen: u32,
        /// When.
        at: Timestamp,
    },
    /// A payment paid the fee: it now counts. Never reverts.
    FeePaymentApplied {
        /// Which fee.
        fee: FeeKind,
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
    /// A payment for a fee already paid (not refunded; recorded for finance and the county).
    FeeSurplusRecorded {
        /// Which fee.
        fee: FeeKind,
        /// The payment.
        payment: Payment,
        /// When we recorded it.
        at: Timestamp,
    },
}

impl Event {
    /// A short, bounded name for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Captured { .. } => "captured",
            Event::OtherDocumentApproved { .. } => "other_document_approved",
            Event::IdVerifiedAtPoint { .. } => "id_verified_at_point",
            Event::FirstLoginVerified { .. } => "first_login_verified",
            Event::FeeOrderCreated { .. } => "fee_order_created",
            Event::FeePaid { .. } => "fee_paid",
            Event::MigrantEligibilityApproved { .. } => "migrant_eligibility_approved",
            Event::Imported { .. } => "imported",
            Event::Declared { .. } => "declared",
            Event::DeclarationWithdrawn { .. } => "declaration_withdrawn",
            Event::DeclarationReviewed { .. } => "declaration_reviewed",
            Event::ExamFeeOrderCreated { .. } => "exam_fee_order_created",
            Event::ExamFeePaid { .. } => "exam_fee_paid",
            Event::ExamSurplusPaymentRecorded { .. } => "exam_surplus_payment_recorded",
            Event::ArtCategoryChosen { .. } => "art_category_chosen",
            Event::ArtCategoryDropped { .. } => "art_category_dropped",
            Event::ArtFeeOrderCreated { .. } => "art_fee_order_created",
            Event::ArtFeePaid { .. } => "art_fee_paid",
            Event::ArtSurplusPaymentRecorded { .. } => "art_surplus_payment_recorded",
            Event::SurplusPaymentRecorded { .. } => "surplus_payment_recorded",
            Event::RealPersonAuthRecorded { .. } => "real_person_auth_recorded",
            Event::PasswordsChanged { .. } => "passwords_changed",
            Event::PhoneBound { .. } => "phone_bound",
            Event::PledgeAccepted { .. } => "pledge_accepted",
            Event::FormSaved { .. } => "form_saved",
            Event::FormSigned { .. } => "form_signed",
            Event::MoralEvaluationRecorded { .. } => "moral_evaluation_recorded",
            Event::SavePasswordFailed { .. } => "save_password_failed",
            Event::PasswordsReset { .. } => "passwords_reset",
            Event::FeeOrdered { .. } => "fee_ordered",
            Event::FeePaymentApplied { .. } => "fee_payment_applied",
            Event::FeeSurplusRecorded { .. } => "fee_surplus_recorded",
        }
    }

    /// What a fee event does to which account (`None`: not a fee event). Every fee event —
    /// the nine of builds before the fee model, the three after — reads through here.
    pub(crate) fn fee_change(&self) -> Option<(FeeKind, FeeChange<'_>)> {
        fn ordered<'a>(
            order_id: &'a str,
            provider: &Provider,
            amount_fen: &u32,
            at: &Timestamp,
        ) -> FeeChange<'a> {
            FeeChange::Ordered {
                order_id,
                provider: *provider,
                amount_fen: *amount_fen,
                at: *at,
            }
        }
        Some(match self {
            Event::FeeOrdered {
                fee,
                order_id,
                provider,
                amount_fen,
                at,
            } => (*fee, ordered(order_id, provider, amount_fen, at)),
            Event::FeePaymentApplied { fee, payment, .. } => (*fee, FeeChange::Paid(payment)),
            Event::FeeSurplusRecorded { fee, payment, .. } => (*fee, FeeChange::Surplus(payment)),
            Event::FeeOrderCreated {
                order_id,
                provider,
                amount_fen,
                at,
            } => (
                FeeKind::Registration,
                ordered(order_id, provider, amount_fen, at),
            ),
            Event::FeePaid { payment, .. } => (FeeKind::Registration, FeeChange::Paid(payment)),
            Event::SurplusPaymentRecorded { payment, .. } => {
                (FeeKind::Registration, FeeChange::Surplus(payment))
            }
            Event::ExamFeeOrderCreated {
                order_id,
                provider,
                amount_fen,
                at,
            } => (FeeKind::Exam, ordered(order_id, provider, amount_fen, at)),
            Event::ExamFeePaid { payment, .. } => (FeeKind::Exam, FeeChange::Paid(payment)),
            Event::ExamSurplusPaymentRecorded { payment, .. } => {
                (FeeKind::Exam, FeeChange::Surplus(payment))
            }
            Event::ArtFeeOrderCreated {
                category,
                order_id,
                provider,
                amount_fen,
                at,
            } => (
                FeeKind::ArtPe(*category),
                ordered(order_id, provider, amount_fen, at),
            ),
            Event::ArtFeePaid {
                category, payment, ..
            } => (FeeKind::ArtPe(*category), FeeChange::Paid(payment)),
            Event::ArtSurplusPaymentRecorded {
                category, payment, ..
            } => (FeeKind::ArtPe(*category), FeeChange::Surplus(payment)),
            _ => return None,
        })
    }
}
