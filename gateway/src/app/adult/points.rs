//! Confirmation points (报名确认点), the plan's 8/28–8/30 step: a county proposes one (its
//! name, contact, phone, the levels it confirms, whether it is designated for medical or
//! under-17 candidates), its city reviews it, the province approves it; only approved points
//! can be chosen. A point is one of the county's point codes, so its operators' accounts are
//! the point's. All points are one stored setting, changed under the organisation lock.

use crate::app::AppError;
use crate::state::AppState;
use engine::adult::confirmation::{ConfirmationPoint, PointApproval};
use engine::adult::volunteer::Level;
use engine::org::{CityCode, PointCode};
use engine::scope::Scope;
use std::collections::BTreeMap;

/// The setting holding every confirmation point, by code.
pub const SETTING: &str = "adult-confirmation-points";

type Points = BTreeMap<String, ConfirmationPoint>;

async fn all(state: &AppState) -> Result<Points, AppError> {
    Ok(crate::app::stored_setting::<Points>(state, SETTING)
        .await?
        .unwrap_or_default())
}

fn not_found(code: PointCode) -> AppError {
    AppError::not_found(
        "confirmation_point_not_found",
        format!("{code} is not a confirmation point"),
    )
}

/// One point.
pub async fn find(state: &AppState, code: PointCode) -> Result<ConfirmationPoint, AppError> {
    all(state)
        .await?
        .remove(&code.to_string())
        .ok_or_else(|| not_found(code))
}

/// The approved points (of one city, if given): what candidates choose from.
pub async fn approved(
    state: &AppState,
    city: Option<CityCode>,
) -> Result<Vec<ConfirmationPoint>, AppError> {
    Ok(all(state)
        .await?
        .into_values()
        .filter(|point| point.approval == PointApproval::Approved)
        .filter(|point| city.is_none_or(|city| point.code.county().city() == city))
        .collect())
}

/// Every point the operator's scope covers, whatever its approval.
pub async fn in_scope(state: &AppState, scope: &Scope) -> Result<Vec<ConfirmationPoint>, AppError> {
    Ok(all(state)
        .await?
        .into_values()
        .filter(|point| scope.covers_point(point.code))
        .collect())
}

/// What a county proposes.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// The point's number within the county (1–999).
    pub number: u16,
    /// Its name.
    pub name: String,
    /// 联系人.
    pub contact: String,
    /// 联系电话.
    pub phone: String,
    /// The levels it confirms.
    pub levels: Vec<Level>,
    /// Designated for medical candidates.
    #[serde(default)]
    pub medical: bool,
    /// Designated for candidates under 17.
    #[serde(default)]
    pub under_17: bool,
}

pub(super) fn text(field: &'static str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || engine::text::has_forbidden(value) {
        return Err(AppError::invalid(
            "adult_field_invalid",
            format!("{field}: 1 to {max} characters of text"),
        ));
    }
    Ok(value.to_owned())
}

/// A county proposes a point (again, after a refusal or to change it: back to the city).
pub async fn propose(
    state: &AppState,
    scope: &Scope,
    county: engine::org::CountyCode,
    proposal: Proposal,
) -> Result<ConfirmationPoint, AppError> {
    if *scope != Scope::County(county) {
        return Err(AppError::out_of_scope());
    }
    let code = PointCode::new(county, proposal.number)
        .ok_or_else(|| AppError::invalid("adult_field_invalid", "number: 1 to 999"))?;
    if proposal.levels.is_empty() {
        return Err(AppError::invalid(
            "adult_field_invalid",
            "levels: at least one level",
        ));
    }
    let mut levels = proposal.levels.clone();
    levels.sort();
    levels.dedup();
    let point = ConfirmationPoint {
        code,
        name: text("name", &proposal.name, 50)?,
        contact: text("contact", &proposal.contact, 30)?,
        phone: text("phone", &proposal.phone, 20)?,
        levels,
        medical: proposal.medical,
        under_17: proposal.under_17,
        approval: PointApproval::Proposed,
        refused_because: None,
    };
    super::change_setting(state, SETTING, |points: &mut Points| {
        points.insert(code.to_string(), point.clone());
        Ok(point.clone())
    })
    .await
}

/// The city reviews a proposed point of its counties, then the province approves one the
/// city passed; either may refuse it with a reason the county sees.
pub async fn review(
    state: &AppState,
    scope: &Scope,
    code: PointCode,
    approved: bool,
    reason: &str,
) -> Result<ConfirmationPoint, AppError> {
    let reason = if approved {
        None
    } else {
        Some(text("reason", reason, 200)?)
    };
    let scope = *scope;
    super::change_setting(state, SETTING, move |points: &mut Points| {
        let point = points
            .get_mut(&code.to_string())
            .ok_or_else(|| not_found(code))?;
        point.approval = next_approval(scope, point.approval, code.county().city(), approved)?;
        point.refused_because = reason.clone();
        Ok(point.clone())
    })
    .await
}

/// The review ladder shared by confirmation points and exam sites: the city reviews a
/// proposal of its own counties, the province approves what the city passed; either may
/// refuse. Anything else is refused, naming why.
pub(super) fn next_approval(
    scope: Scope,
    current: PointApproval,
    city_of_item: CityCode,
    approved: bool,
) -> Result<PointApproval, AppError> {
    let decided = |yes| {
        if approved {
            yes
        } else {
            PointApproval::Refused
        }
    };
    match (scope, current) {
        (Scope::City(city), _) if city != city_of_item => Err(AppError::out_of_scope()),
        (Scope::City(_), PointApproval::Proposed) => Ok(decided(PointApproval::CityReviewed)),
        (Scope::Province, PointApproval::CityReviewed) => Ok(decided(PointApproval::Approved)),
        (Scope::City(_) | Scope::Province, _) => Err(AppError::not_now(
            "not_awaiting_review",
            "it is not waiting for this review (the city reviews a proposal, the province \
             one the city passed)",
        )),
        _ => Err(AppError::out_of_scope()),
    }
}

/// Seeds the demo: each county's first point approved for every level and designated for
/// medical and young candidates, its second for every level (once; kept afterwards).
pub async fn seed_demo(state: &AppState) -> Result<(), AppError> {
    if storage::StateStore::setting(&*state.store, SETTING)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let mut points = Points::new();
    for county in &state.province.counties {
        for number in [1u16, 2] {
            let Some(code) = PointCode::new(county.code, number) else {
                continue;
            };
            points.insert(
                code.to_string(),
                ConfirmationPoint {
                    code,
                    name: format!("{}成人高考报名确认点{number}", county.name),
                    contact: "招生办".to_owned(),
                    phone: "0731-12345678".to_owned(),
                    levels: Level::ALL.to_vec(),
                    medical: number == 1,
                    under_17: number == 1,
                    approval: PointApproval::Approved,
                    refused_because: None,
                },
            );
        }
    }
    crate::app::commit_setting(state, SETTING.to_owned(), &points).await?;
    Ok(())
}
