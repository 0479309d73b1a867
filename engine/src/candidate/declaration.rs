//! Bonus points and special plans (优惠加分及专项计划资格): declared by the candidate within
//! the window, with references to supporting documents, reviewed by the county and then the
//! city; the candidate sees each decision. Undeclared means no benefit.

use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};

/// What is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationKind {
    /// 优惠加分 (bonus points, e.g. ethnic-minority candidates in designated areas).
    BonusPoints,
    /// 专项计划 (special admission plans: national, local, university).
    SpecialPlan,
}

impl DeclarationKind {
    /// The printed name.
    pub fn chinese(self) -> &'static str {
        match self {
            DeclarationKind::BonusPoints => "优惠加分",
            DeclarationKind::SpecialPlan => "专项计划",
        }
    }
}

/// Where a declaration stands. Externally tagged (the default): the stored encoding
/// (postcard) cannot read internally tagged enums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Waiting for the county.
    Pending,
    /// The county approved; waiting for the city.
    CountyApproved,
    /// Approved by the city: the benefit applies.
    Approved,
    /// Withdrawn by the candidate before any review (kept, so numbers are never reused).
    Withdrawn,
    /// Rejected, with the level and the reason the candidate sees.
    Rejected {
        /// `county` or `city`.
        by: ReviewLevel,
        /// Why.
        reason: String,
    },
}

/// Who reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewLevel {
    /// The candidate's county (first).
    County,
    /// The candidate's city (second, after the county approved).
    City,
}

/// One declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    /// Its number within the candidate's declarations (1, 2, …), never reused.
    pub id: u32,
    /// What kind.
    pub kind: DeclarationKind,
    /// Which benefit or plan, as the province lists it (e.g. 少数民族加分, 国家专项计划).
    pub item: String,
    /// References to the supporting documents (certificate numbers, file references).
    pub documents: Vec<String>,
    /// The review so far.
    pub review: Review,
}

/// Most documents one declaration may reference.
pub const MAX_DOCUMENTS: usize = 10;
const MAX_TEXT_CHARS: usize = 40;

fn text_ok(text: &str) -> bool {
    !text.trim().is_empty()
        && text.trim() == text
        && text.chars().count() <= MAX_TEXT_CHARS
        && !text.chars().any(crate::text::is_forbidden)
}

/// Checks a declaration's item and document references.
pub fn check(item: &str, documents: &[String]) -> Result<(), Rejection> {
    if !text_ok(item) {
        return Err(Rejection::DeclarationInvalid { field: "item" });
    }
    if documents.is_empty()
        || documents.len() > MAX_DOCUMENTS
        || !documents.iter().all(|d| text_ok(d))
    {
        return Err(Rejection::DeclarationInvalid { field: "documents" });
    }
    Ok(())
}

/// Checks a rejection's reason (a decision the candidate reads must say why).
pub fn check_reason(reason: &str) -> Result<(), Rejection> {
    if reason.trim().is_empty()
        || reason.chars().count() > 200
        || reason.chars().any(crate::text::is_forbidden)
    {
        return Err(Rejection::DeclarationInvalid { field: "reason" });
    }
    Ok(())
}
