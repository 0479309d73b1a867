//! What the API shows of a candidate. Minimised: the ID number only masked, no password
//! hashes, no photo bytes (served separately), no payment transaction ids.

use engine::candidate::Candidate;
use engine::candidate::form::RegistrationForm;
use serde::Serialize;

/// A candidate as the API returns it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    /// Pseudonymous key (use it in operator URLs).
    pub key: String,
    /// 报名号.
    pub serial_number: String,
    /// Registration point.
    pub point: String,
    /// How far registration has got.
    pub status: &'static str,
    /// 姓名.
    pub name: String,
    /// ID number, masked.
    pub id_number: String,
    /// Whether the registration fee is paid.
    pub fee_paid: bool,
    /// Whether it was paid in the demo's sandbox (沙箱: no money moved).
    pub fee_paid_in_sandbox: bool,
    /// Fee orders created.
    pub fee_orders: Vec<String>,
    /// Payments beyond the first (paid twice; fees are not refunded, finance follows up).
    pub surplus_payments: usize,
    /// Payments received from a provider and not yet recorded on the record (已收到付款，
    /// 正在入账): acknowledged to the provider, applied within moments.
    pub payments_being_recorded: usize,
    /// Whether real-person authentication has passed.
    pub authenticated: bool,
    /// Whether passwords are set.
    pub passwords_set: bool,
    /// Bound phone, masked.
    pub phone: Option<String>,
    /// Whether the pledge is accepted.
    pub pledge_accepted: bool,
    /// The form.
    #[schema(value_type = Option<Object>)]
    pub form: Option<RegistrationForm>,
    /// Its version.
    pub form_version: u32,
    /// Whether the current version is signed at the point.
    pub signed: bool,
    /// Open item: typed-in ID awaiting verification in person.
    pub id_verification_pending: bool,
    /// Open item: other document awaiting the city.
    pub document_approval_pending: bool,
    /// Open item: migrant worker's child awaiting the county's eligibility audit.
    pub migrant_audit_pending: bool,
    /// Art/PE professional exam categories chosen.
    pub art_pe: Vec<ArtPeView>,
    /// Whether the exam fee is paid (the admission ticket prints then).
    pub exam_fee_paid: bool,
    /// Exam-fee orders created.
    pub exam_fee_orders: Vec<String>,
    /// `gaokao` or `juvenile_class`.
    pub track: &'static str,
    /// Bonus-point and special-plan declarations, with the county's and city's decisions.
    #[schema(value_type = Vec<Object>)]
    pub declarations: Vec<engine::candidate::declaration::Declaration>,
}

/// One chosen art/PE category.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArtPeView {
    /// Machine-readable name (`music`).
    pub category: &'static str,
    /// Printed name (音乐类).
    pub name: &'static str,
    /// 主项.
    pub main_item: String,
    /// 辅项.
    pub sub_item: Option<String>,
    /// Whether it is paid (only paid categories count).
    pub paid: bool,
    /// Its fee orders.
    pub fee_orders: Vec<String>,
}

impl CandidateView {
    /// With `count` payments received and not yet recorded.
    pub fn being_recorded(mut self, count: usize) -> CandidateView {
        self.payments_being_recorded = count;
        self
    }
}

impl From<&Candidate> for CandidateView {
    fn from(candidate: &Candidate) -> CandidateView {
        CandidateView {
            key: candidate.key.to_string(),
            serial_number: candidate.capture.serial.to_string(),
            point: candidate.capture.point.to_string(),
            status: candidate.status().name(),
            name: candidate.capture.id_card.name.clone(),
            id_number: candidate.capture.id_card.id_number.masked(),
            fee_paid: candidate.fee.paid.is_some(),
            fee_paid_in_sandbox: candidate.fee.paid.as_ref().is_some_and(|payment| {
                crate::providers::sandbox::is_sandbox_transaction(&payment.transaction_id)
            }),
            fee_orders: candidate
                .fee
                .orders
                .iter()
                .map(|order| order.order_id.clone())
                .collect(),
            surplus_payments: candidate.fee.surplus.len(),
            payments_being_recorded: 0,
            authenticated: candidate.last_auth_passed_at.is_some(),
            passwords_set: candidate.passwords.is_some(),
            phone: candidate.phone.as_deref().map(mask_phone),
            pledge_accepted: candidate.pledge_accepted_at.is_some(),
            form: candidate.form.clone(),
            form_version: candidate.form_version,
            signed: candidate.signed_current_form(),
            id_verification_pending: candidate.id_verification_pending,
            document_approval_pending: candidate.document_approval_pending,
            migrant_audit_pending: candidate.migrant_audit_pending,
            art_pe: candidate
                .art_pe
                .iter()
                .map(|(category, entry)| ArtPeView {
                    category: category.name(),
                    name: category.chinese(),
                    main_item: entry.main_item.clone(),
                    sub_item: entry.sub_item.clone(),
                    paid: entry.is_paid(),
                    fee_orders: entry
                        .fee
                        .orders
                        .iter()
                        .map(|order| order.order_id.clone())
                        .collect(),
                })
                .collect(),
            exam_fee_paid: candidate.exam_fee.paid.is_some(),
            exam_fee_orders: candidate
                .exam_fee
                .orders
                .iter()
                .map(|order| order.order_id.clone())
                .collect(),
            declarations: candidate.declarations.clone(),
            track: match candidate.capture.track {
                engine::candidate::Track::Gaokao => "gaokao",
                engine::candidate::Track::JuvenileClass => "juvenile_class",
            },
        }
    }
}

/// A candidate as an operator's list shows it: one line, ID number masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateRow {
    /// Pseudonymous key (use it in operator URLs).
    pub key: String,
    /// 报名号.
    pub serial_number: String,
    /// 姓名.
    pub name: String,
    /// ID number, masked.
    pub id_number: String,
    /// The step reached (`captured`, `paid`, …); the step still missing is the next one.
    pub status: &'static str,
    /// `gaokao` or `juvenile_class`.
    pub track: &'static str,
    /// Whether the registration fee is paid.
    pub fee_paid: bool,
    /// Whether the current form is signed at the point.
    pub signed: bool,
    /// Something waits for an operator (ID verification, document approval, migrant audit).
    pub open_item: bool,
}

impl From<&Candidate> for CandidateRow {
    fn from(candidate: &Candidate) -> CandidateRow {
        CandidateRow {
            key: candidate.key.to_string(),
            serial_number: candidate.capture.serial.to_string(),
            name: candidate.capture.id_card.name.clone(),
            id_number: candidate.capture.id_card.id_number.masked(),
            status: candidate.status().name(),
            track: match candidate.capture.track {
                engine::candidate::Track::Gaokao => "gaokao",
                engine::candidate::Track::JuvenileClass => "juvenile_class",
            },
            fee_paid: candidate.fee.paid.is_some(),
            signed: candidate.signed_current_form(),
            open_item: candidate.id_verification_pending
                || candidate.document_approval_pending
                || candidate.migrant_audit_pending,
        }
    }
}

/// `138****8000`: the first three and last four characters. Counted in characters, not
/// bytes: a record imported from a package is not guaranteed to hold eleven ASCII digits,
/// and slicing bytes would panic on anything else.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    /// Security audit item 23: slicing the stored phone by bytes panicked on non-ASCII.
    #[test]
    fn item_23_masking_a_phone_never_panics() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("一三八零零一三八零零零"), "一三八****八零零零");
        assert_eq!(mask_phone("12é"), "***");
        assert_eq!(mask_phone(""), "");
    }
}
