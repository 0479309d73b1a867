//! Data reporting (数据上报), the plan's step 8: a county reports its registrations to its
//! city once they are right — which freezes them (`records_frozen`) — the city returns a
//! county's report for correction with a reason, or reports to the province once every
//! county has; the province may return a city's. One stored setting holds every report; the
//! frozen counties are put in force on every node with the other live settings.

use crate::app::AppError;
use crate::state::AppState;
use engine::org::{CityCode, CountyCode};
use engine::scope::Scope;
use engine::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The setting holding every report.
pub const SETTING: &str = "adult-reporting";

/// One level's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AdultReport)]
pub struct Report {
    /// When reported (absent: not reported, or returned).
    #[schema(value_type = Option<i64>)]
    pub reported_at: Option<Timestamp>,
    /// Why it was last returned.
    pub returned_because: Option<String>,
}

/// Every report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reports {
    /// By county code.
    pub counties: BTreeMap<u32, Report>,
    /// By city code.
    pub cities: BTreeMap<u16, Report>,
}

impl Reports {
    /// The counties whose registrations are frozen.
    pub fn frozen(&self) -> std::collections::BTreeSet<CountyCode> {
        self.counties
            .iter()
            .filter(|(_, report)| report.reported_at.is_some())
            .filter_map(|(code, _)| CountyCode::new(*code))
            .collect()
    }
}

/// A city's counties' reports and its own, as the city and the province see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CityView {
    /// The city.
    pub city: u16,
    /// Its report to the province.
    pub report: Report,
    /// Each county's report, by code.
    pub counties: BTreeMap<u32, Report>,
}

fn reason_text(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || engine::text::has_forbidden(reason) {
        return Err(AppError::invalid(
            "return_reason_required",
            "a reason of 1–200 characters, which the level below reads",
        ));
    }
    Ok(reason.to_owned())
}

async fn change<T>(
    state: &AppState,
    apply: impl FnOnce(&mut Reports) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let answer = super::change_setting(state, SETTING, apply).await?;
    let reports: Reports = crate::app::stored_setting(state, SETTING)
        .await?
        .unwrap_or_default();
    crate::live_settings::put_adult_frozen_in_force(state, reports.frozen());
    Ok(answer)
}

/// A city's view.
pub async fn city_view(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
) -> Result<CityView, AppError> {
    if *scope != Scope::Province && *scope != Scope::City(city) {
        return Err(AppError::out_of_scope());
    }
    let reports: Reports = crate::app::stored_setting(state, SETTING)
        .await?
        .unwrap_or_default();
    Ok(view(state, &reports, city))
}

fn view(state: &AppState, reports: &Reports, city: CityCode) -> CityView {
    CityView {
        city: city.code(),
        report: reports
            .cities
            .get(&city.code())
            .cloned()
            .unwrap_or_default(),
        counties: state
            .province
            .counties_of(city)
            .map(|county| {
                (
                    county.code.code(),
                    reports
                        .counties
                        .get(&county.code.code())
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// A county reports its registrations to its city (and freezes them).
pub async fn report_county(
    state: &AppState,
    scope: &Scope,
    county: CountyCode,
) -> Result<CityView, AppError> {
    if *scope != Scope::County(county) {
        return Err(AppError::out_of_scope());
    }
    let now = state.now();
    change(state, |reports| {
        if reports
            .cities
            .get(&county.city().code())
            .is_some_and(|report| report.reported_at.is_some())
        {
            return Err(AppError::not_now(
                "already_submitted",
                "the city has reported to the province already",
            ));
        }
        let report = reports.counties.entry(county.code()).or_default();
        if report.reported_at.is_none() {
            report.reported_at = Some(now);
        }
        Ok(view(state, reports, county.city()))
    })
    .await
}

/// The city returns a county's report with a reason (the county's registrations thaw).
pub async fn return_county(
    state: &AppState,
    scope: &Scope,
    county: CountyCode,
    reason: &str,
) -> Result<CityView, AppError> {
    if *scope != Scope::City(county.city()) {
        return Err(AppError::out_of_scope());
    }
    let reason = reason_text(reason)?;
    change(state, |reports| {
        if reports
            .cities
            .get(&county.city().code())
            .is_some_and(|report| report.reported_at.is_some())
        {
            return Err(AppError::not_now(
                "already_submitted",
                "the city has reported to the province: the province returns it first",
            ));
        }
        let report = reports.counties.entry(county.code()).or_default();
        if report.reported_at.is_none() {
            return Err(engine::Rejection::NotSubmitted.into());
        }
        report.reported_at = None;
        report.returned_because = Some(reason);
        Ok(view(state, reports, county.city()))
    })
    .await
}

/// The city reports to the province, once every county has.
pub async fn report_city(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
) -> Result<CityView, AppError> {
    if *scope != Scope::City(city) {
        return Err(AppError::out_of_scope());
    }
    let now = state.now();
    change(state, |reports| {
        let waiting: Vec<String> = state
            .province
            .counties_of(city)
            .filter(|county| {
                reports
                    .counties
                    .get(&county.code.code())
                    .is_none_or(|report| report.reported_at.is_none())
            })
            .map(|county| county.code.to_string())
            .collect();
        if !waiting.is_empty() {
            return Err(AppError::not_now(
                "counties_not_submitted",
                format!("these counties have not reported: {}", waiting.join(", ")),
            ));
        }
        let report = reports.cities.entry(city.code()).or_default();
        if report.reported_at.is_none() {
            report.reported_at = Some(now);
        }
        Ok(view(state, reports, city))
    })
    .await
}

/// The province returns a city's report with a reason.
pub async fn return_city(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
    reason: &str,
) -> Result<CityView, AppError> {
    if *scope != Scope::Province {
        return Err(AppError::out_of_scope());
    }
    let reason = reason_text(reason)?;
    change(state, |reports| {
        let report = reports.cities.entry(city.code()).or_default();
        if report.reported_at.is_none() {
            return Err(engine::Rejection::NotSubmitted.into());
        }
        report.reported_at = None;
        report.returned_because = Some(reason);
        Ok(view(state, reports, city))
    })
    .await
}
