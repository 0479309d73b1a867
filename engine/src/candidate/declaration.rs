//! Bonus points and special plans (优惠加分及专项计划资格): declared by the candidate within
//! the window, with references to supporting documents, reviewed by the county and then the
//! city; the candidate sees each decision. Undeclared means no benefit.

use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};

/// What is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl Review {
    /// Where the review stands, as the candidate and staff read it.
    pub fn chinese(&self) -> String {
        match self {
            Review::Pending => "待县区审核".to_owned(),
            Review::CountyApproved => "县区已通过，待市州审核".to_owned(),
            Review::Approved => "已通过".to_owned(),
            Review::Rejected { reason, .. } => format!("未通过：{reason}"),
            Review::Withdrawn => "已撤回".to_owned(),
        }
    }
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

/// What candidates may declare this year: the province's list of bonus-point categories
/// and special plans (data, not code: a province sets its own), and how many declarations
/// one candidate may make in all (withdrawn ones count: they stay on the record). Bounded
/// items keep a record's size bounded, well under a log message's limit, so declarations
/// can never block the same candidate's payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// 优惠加分 categories.
    pub bonus_points: Vec<String>,
    /// 专项计划.
    pub special_plans: Vec<String>,
    /// Most declarations per candidate, withdrawn ones included.
    pub max_per_candidate: u32,
}

impl Default for Catalogue {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect();
        Catalogue {
            bonus_points: list(&[
                "少数民族加分",
                "烈士子女加分",
                "归侨华侨子女加分",
                "台湾籍考生加分",
                "退役士兵加分",
                "体育特长",
            ]),
            special_plans: list(&["国家专项计划", "地方专项计划", "高校专项计划"]),
            max_per_candidate: 12,
        }
    }
}

impl Catalogue {
    /// Whether `item` may be declared as `kind`.
    pub fn lists(&self, kind: DeclarationKind, item: &str) -> bool {
        let items = match kind {
            DeclarationKind::BonusPoints => &self.bonus_points,
            DeclarationKind::SpecialPlan => &self.special_plans,
        };
        items.iter().any(|listed| listed == item)
    }
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

/// Checks a declaration's item (one of the catalogue's, for its kind) and document
/// references.
pub fn check(
    catalogue: &Catalogue,
    kind: DeclarationKind,
    item: &str,
    documents: &[String],
) -> Result<(), Rejection> {
    if !text_ok(item) || !catalogue.lists(kind, item) {
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
