//! A county's administration and the submissions upward (domain.md §2.1, §2.10): the
//! county sets up its registration points and divides its serial numbers among them; it
//! submits to its city inside the county-submission window, which freezes its records; the
//! city may return the submission for correction with a reason; a city submits to the
//! province once all its counties have, and the province may return it.
//!
//! County changes go through the county's actor like every write (idempotent, durable
//! before the answer); a city's submission is a stored setting (`city-submission.<code>`),
//! committed through the organisation partition.

use super::{AppError, commit_setting, stored_setting};
use crate::state::AppState;
use actors::CountyExecute;
use engine::county::{CitySubmission, County, CountyCommand};
use engine::org::{CityCode, CountyCode, PointCode};
use engine::scope::Scope;
use engine::serial::SubjectCategory;
use engine::time::Timestamp;
use serde::{Deserialize, Serialize};
use storage::{Journal as _, Partition, StateStore as _};

/// A county's record as its administration sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountyView {
    /// County code.
    pub county: String,
    /// Its name.
    pub name: String,
    /// When it submitted to the city (China Standard Time), if it has: its records are
    /// frozen until the city returns the submission.
    pub submitted_at: Option<String>,
    /// Its registration points.
    pub points: Vec<PointView>,
    /// Sequences (1–9999) given to no point yet, as `[first, last]` runs.
    pub unallocated: Vec<[u16; 2]>,
}

/// One registration point.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PointView {
    /// `430102-001`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Expected head-count (serial numbers are divided by it).
    pub expected_headcount: u32,
    /// Designated to register migrant workers' children.
    pub designated_for_migrant_children: bool,
    /// The subject categories it takes: those its ranges serve (`["any"]` when a range is
    /// reserved for none; empty before it has a range). A capture of another category is
    /// refused (`serial_range_missing`).
    pub categories: Vec<String>,
    /// Address, contact and phone, as the county keeps them.
    pub details: PointDetails,
    /// Its serial ranges.
    pub ranges: Vec<RangeView>,
}

/// What a county keeps about a point besides the engine's record: where it is and whom to
/// call (the setting `point-details.<county>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointDetails {
    /// Address (1–100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The contact person (1–30 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The contact's phone: 11-digit mobile, or a landline `0731-12345678`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl PointDetails {
    fn check(&self) -> Result<(), AppError> {
        let text = |value: &Option<String>, most: usize| {
            value.as_deref().is_none_or(|value| {
                let value = value.trim();
                !value.is_empty()
                    && value.chars().count() <= most
                    && !engine::text::has_forbidden(value)
            })
        };
        let phone = self.phone.as_deref().is_none_or(|phone| {
            let mobile = phone.len() == 11
                && phone.starts_with('1')
                && phone.bytes().all(|b| b.is_ascii_digit());
            let landline = phone.split_once('-').is_some_and(|(area, number)| {
                (3..=4).contains(&area.len())
                    && area.starts_with('0')
                    && (7..=8).contains(&number.len())
                    && area
                        .bytes()
                        .chain(number.bytes())
                        .all(|b| b.is_ascii_digit())
            });
            mobile || landline
        });
        if !text(&self.address, 100) {
            return Err(AppError::invalid(
                "address_invalid",
                "an address is 1–100 characters",
            ));
        }
        if !text(&self.contact, 30) {
            return Err(AppError::invalid(
                "contact_invalid",
                "a contact is 1–30 characters",
            ));
        }
        if !phone {
            return Err(AppError::invalid(
                "phone_invalid",
                "a phone is an 11-digit mobile number or a landline such as 0731-12345678",
            ));
        }
        Ok(())
    }
}

fn details_setting(county: CountyCode) -> String {
    format!("point-details.{county}")
}

async fn stored_details(
    state: &AppState,
    county: CountyCode,
) -> Result<std::collections::BTreeMap<u16, PointDetails>, AppError> {
    Ok(stored_setting(state, &details_setting(county))
        .await?
        .unwrap_or_default())
}

/// One serial range of a point.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RangeView {
    /// Reserved for one subject category (`history`, `physics`, …), or any when null.
    pub category: Option<String>,
    /// First sequence.
    pub first: u16,
    /// Last sequence.
    pub last: u16,
    /// Numbers handed out.
    pub used: u16,
    /// Numbers left.
    pub remaining: u16,
}

/// A city's submission to the province.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CitySubmissionView {
    /// City code.
    pub city: String,
    /// When it submitted (China Standard Time), if it has.
    pub submitted_at: Option<String>,
    /// Why the province last returned it, if it did.
    pub returned_because: Option<String>,
    /// Its counties and when each submitted.
    pub counties: Vec<CountySubmission>,
}

/// One county's submission state.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountySubmission {
    /// County code.
    pub county: String,
    /// When it submitted, if it has.
    pub submitted_at: Option<String>,
}

/// A city's submission as stored (the setting `city-submission.<city>`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredCitySubmission {
    /// When it submitted, if it has (and it was not returned since).
    pub submitted_at: Option<Timestamp>,
    /// Why the province last returned it.
    pub returned_because: Option<String>,
}

fn setting_name(city: CityCode) -> String {
    format!("city-submission.{city}")
}

fn category_name(category: SubjectCategory) -> String {
    serde_json::to_value(category)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn view(
    state: &AppState,
    county: &County,
    details: &std::collections::BTreeMap<u16, PointDetails>,
) -> CountyView {
    let points = county
        .points
        .values()
        .map(|point| PointView {
            code: point.code.to_string(),
            name: point.name.clone(),
            expected_headcount: point.expected_headcount,
            designated_for_migrant_children: point.designated_for_migrant_children,
            categories: {
                let mut served: Vec<String> = county
                    .ranges
                    .ranges()
                    .iter()
                    .filter(|range| range.point == point.code && range.next <= range.last)
                    .map(|range| {
                        range
                            .category
                            .map_or_else(|| "any".to_owned(), category_name)
                    })
                    .collect();
                served.sort();
                served.dedup();
                if served.iter().any(|category| category == "any") {
                    served = vec!["any".to_owned()];
                }
                served
            },
            details: details
                .get(&point.code.number())
                .cloned()
                .unwrap_or_default(),
            ranges: county
                .ranges
                .ranges()
                .iter()
                .filter(|range| range.point == point.code)
                .map(|range| RangeView {
                    category: range.category.map(category_name),
                    first: range.first,
                    last: range.last,
                    used: range.next - range.first,
                    remaining: range.last + 1 - range.next,
                })
                .collect(),
        })
        .collect();
    CountyView {
        county: county.code.to_string(),
        name: state.province.county_name(county.code).to_owned(),
        submitted_at: county.submitted_at.map(Timestamp::cst_text),
        points,
        unallocated: county
            .ranges
            .free_runs()
            .into_iter()
            .map(|(first, last)| [first, last])
            .collect(),
    }
}

fn exists(state: &AppState, code: CountyCode) -> Result<(), AppError> {
    match state.province.county(code) {
        Some(_) => Ok(()),
        None => Err(AppError::not_found(
            "division_not_found",
            "no such county in this province",
        )),
    }
}

/// The county's record, for operators whose scope covers the county (not its points: a
/// point sees its own ranges through its county's administration).
pub async fn show(
    state: &AppState,
    scope: &Scope,
    code: CountyCode,
) -> Result<CountyView, AppError> {
    if !scope.covers_county(code) {
        return Err(AppError::out_of_scope());
    }
    exists(state, code)?;
    let county = state
        .store
        .county(code)
        .await?
        .unwrap_or_else(|| County::new(code));
    Ok(view(state, &county, &stored_details(state, code).await?))
}

/// A change to the county's record by its own administration.
async fn change_county(
    state: &AppState,
    subject: &str,
    code: CountyCode,
    command: CountyCommand,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    exists(state, code)?;
    let outcome = state
        .registry
        .county(
            code,
            CountyExecute {
                command,
                // The caller's own key space: two operators' keys never collide.
                idempotency_key: format!("admin/{subject}/{idempotency_key}"),
                now: state.now(),
            },
        )
        .await?;
    Ok(view(
        state,
        &outcome.county,
        &stored_details(state, code).await?,
    ))
}

fn own_county(scope: &Scope, code: CountyCode) -> Result<(), AppError> {
    if *scope == Scope::County(code) {
        Ok(())
    } else {
        Err(AppError::out_of_scope())
    }
}

/// A county operator sets up a registration point.
pub async fn create_point(
    state: &AppState,
    scope: &Scope,
    subject: &str,
    code: CountyCode,
    point: CreatePoint,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    own_county(scope, code)?;
    let command = CountyCommand::CreatePoint {
        number: point.number,
        name: point.name.trim().to_owned(),
        expected_headcount: point.expected_headcount,
    };
    let view = change_county(state, subject, code, command, idempotency_key).await?;
    if point.designated_for_migrant_children
        && let Some(code) = PointCode::new(code, point.number)
    {
        let command = CountyCommand::DesignateForMigrantChildren { point: code };
        let key = format!("{idempotency_key}-designation");
        return change_county(state, subject, code.county(), command, &key).await;
    }
    Ok(view)
}

/// What a new point is.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePoint {
    /// Its number within the county (1–999): the point's code is `<county>-<number>`.
    pub number: u16,
    /// Its name (usually the school), 1–30 characters.
    pub name: String,
    /// Expected head-count: serial numbers are divided by it.
    pub expected_headcount: u32,
    /// Designated to register migrant workers' children (随迁子女). Default false.
    #[serde(default)]
    pub designated_for_migrant_children: bool,
}

/// A change to a point: any of its fields.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointChange {
    /// A new name (1–60 characters).
    pub name: Option<String>,
    /// A new expected head-count.
    pub expected_headcount: Option<u32>,
    /// A new address (1–100 characters).
    pub address: Option<String>,
    /// A new contact person (1–30 characters).
    pub contact: Option<String>,
    /// A new phone: 11-digit mobile, or a landline `0731-12345678`.
    pub phone: Option<String>,
}

/// A county operator changes a point: name and head-count in the county's record, address,
/// contact and phone beside it.
pub async fn update_point(
    state: &AppState,
    scope: &Scope,
    subject: &str,
    point: PointCode,
    change: PointChange,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    let code = point.county();
    own_county(scope, code)?;
    let given = PointDetails {
        address: change.address,
        contact: change.contact,
        phone: change.phone,
    };
    given.check()?;
    let command = CountyCommand::UpdatePoint {
        point,
        name: change.name.map(|name| name.trim().to_owned()),
        expected_headcount: change.expected_headcount,
    };
    // The record first: it refuses an unknown point or a frozen county before the details
    // change.
    let view = change_county(state, subject, code, command, idempotency_key).await?;
    if given == PointDetails::default() {
        return Ok(view);
    }
    let _changes = state.organisation_changes.lock().await;
    state.store.caught_up(Partition::Organisation).await?;
    let mut details = stored_details(state, code).await?;
    let entry = details.entry(point.number()).or_default();
    for (field, value) in [
        (&mut entry.address, given.address),
        (&mut entry.contact, given.contact),
        (&mut entry.phone, given.phone),
    ] {
        if let Some(value) = value {
            *field = Some(value.trim().to_owned());
        }
    }
    commit_setting(state, details_setting(code), &details).await?;
    show(state, scope, code).await
}

/// A county operator closes a point that has handed out no serial number.
pub async fn remove_point(
    state: &AppState,
    scope: &Scope,
    subject: &str,
    point: PointCode,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    let code = point.county();
    own_county(scope, code)?;
    let command = CountyCommand::RemovePoint { point };
    change_county(state, subject, code, command, idempotency_key).await
}

/// Numbers to give out: a range to one point, or (`point` absent) a run of numbers divided
/// among all the county's points by head-count — optionally reserved for one subject
/// category.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The point (`430102-001`), or absent to divide among all points by head-count.
    #[schema(pattern = "^[0-9]{6}-[0-9]{3}$")]
    pub point: Option<String>,
    /// Reserved for one subject category (`history`, `physics`, …); any when absent.
    pub category: Option<SubjectCategory>,
    /// First sequence (1–9999).
    pub first: u16,
    /// Last sequence.
    pub last: u16,
}

/// A county operator gives out serial numbers.
pub async fn allocate(
    state: &AppState,
    scope: &Scope,
    subject: &str,
    code: CountyCode,
    allocation: Allocation,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    own_county(scope, code)?;
    let Allocation {
        point,
        category,
        first,
        last,
    } = allocation;
    let point: Option<PointCode> = point.as_deref().map(str::parse).transpose()?;
    let command = match point {
        Some(point) => CountyCommand::AllocateRange {
            point,
            category,
            first,
            last,
        },
        None if first <= last && first == first_free(state, code).await? => {
            CountyCommand::DivideByHeadcount {
                category,
                available: last - first + 1,
            }
        }
        None => {
            return Err(AppError::invalid(
                "division_not_at_first_free",
                "a division among all points starts at the first unallocated number",
            ));
        }
    };
    change_county(state, subject, code, command, idempotency_key).await
}

/// The first sequence of the first free run that division would start at.
async fn first_free(state: &AppState, code: CountyCode) -> Result<u16, AppError> {
    let county = state
        .store
        .county(code)
        .await?
        .unwrap_or_else(|| County::new(code));
    Ok(county
        .ranges
        .free_runs()
        .first()
        .map_or(0, |&(first, _)| first))
}

/// The county submits its records to its city (inside the county-submission window).
pub async fn submit(
    state: &AppState,
    scope: &Scope,
    subject: &str,
    code: CountyCode,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    own_county(scope, code)?;
    change_county(
        state,
        subject,
        code,
        CountyCommand::SubmitToCity,
        idempotency_key,
    )
    .await
}

/// The county's city (or the province) returns its submission for correction.
pub async fn return_submission(
    state: &AppState,
    scope: &Scope,
    subject: &str,
    code: CountyCode,
    reason: &str,
    idempotency_key: &str,
) -> Result<CountyView, AppError> {
    if !matches!(scope, Scope::Province | Scope::City(_)) || !scope.covers_county(code) {
        return Err(AppError::out_of_scope());
    }
    // A city whose own submission is in cannot reopen one of its counties under it.
    if let Some(stored) = stored_city(state, code.city()).await?
        && stored.submitted_at.is_some()
    {
        return Err(engine::Rejection::RecordsFrozen.into());
    }
    let command = CountyCommand::ReturnSubmission {
        reason: reason.to_owned(),
    };
    change_county(state, subject, code, command, idempotency_key).await
}

async fn stored_city(
    state: &AppState,
    city: CityCode,
) -> Result<Option<StoredCitySubmission>, AppError> {
    state.store.caught_up(Partition::Organisation).await?;
    stored_setting(state, &setting_name(city)).await
}

/// When each county of `city` submitted (none: not yet, or returned since).
async fn county_submissions(
    state: &AppState,
    city: CityCode,
) -> Result<Vec<(CountyCode, Option<Timestamp>)>, AppError> {
    let mut counties = Vec::new();
    for county in state.province.counties_of(city) {
        let submitted_at = state
            .store
            .county(county.code)
            .await?
            .and_then(|record| record.submitted_at);
        counties.push((county.code, submitted_at));
    }
    Ok(counties)
}

/// The submission state of `city` and its counties, for operators covering the city.
pub async fn city_submission(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
) -> Result<CitySubmissionView, AppError> {
    if !matches!(scope, Scope::Province) && *scope != Scope::City(city) {
        return Err(AppError::out_of_scope());
    }
    if state.province.city(city).is_none() {
        return Err(AppError::not_found(
            "division_not_found",
            "no such city in this province",
        ));
    }
    let stored = stored_city(state, city).await?.unwrap_or_default();
    let counties = county_submissions(state, city)
        .await?
        .into_iter()
        .map(|(county, submitted_at)| CountySubmission {
            county: county.to_string(),
            submitted_at: submitted_at.map(Timestamp::cst_text),
        })
        .collect();
    Ok(CitySubmissionView {
        city: city.to_string(),
        submitted_at: stored.submitted_at.map(Timestamp::cst_text),
        returned_because: stored.returned_because,
        counties,
    })
}

/// A city submits its counties' records to the province: inside the city-submission window,
/// once every county of the city has submitted. Submitting again changes nothing.
pub async fn submit_city(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
) -> Result<CitySubmissionView, AppError> {
    if *scope != Scope::City(city) {
        return Err(AppError::out_of_scope());
    }
    let _changes = state.organisation_changes.lock().await;
    let current = city_submission(state, scope, city).await?;
    if current.submitted_at.is_some() {
        return Ok(current);
    }
    let counties: Vec<(CountyCode, bool)> = county_submissions(state, city)
        .await?
        .into_iter()
        .map(|(county, submitted_at)| (county, submitted_at.is_some()))
        .collect();
    let decision = CitySubmission {
        city,
        submitted_at: None,
    };
    let schedule = state.settings.current().schedule.clone();
    let at = decision.decide_submit(&counties, &schedule, state.now())?;
    let stored = StoredCitySubmission {
        submitted_at: Some(at),
        returned_because: None,
    };
    commit_setting(state, setting_name(city), &stored).await?;
    city_submission(state, scope, city).await
}

/// The province returns a city's submission for correction.
pub async fn return_city(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
    reason: &str,
) -> Result<CitySubmissionView, AppError> {
    if *scope != Scope::Province {
        return Err(AppError::out_of_scope());
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || engine::text::has_forbidden(reason) {
        return Err(engine::Rejection::ReturnReasonRequired.into());
    }
    let _changes = state.organisation_changes.lock().await;
    let current = city_submission(state, scope, city).await?;
    if current.submitted_at.is_none() {
        return Err(engine::Rejection::NotSubmitted.into());
    }
    let stored = StoredCitySubmission {
        submitted_at: None,
        returned_because: Some(reason.to_owned()),
    };
    commit_setting(state, setting_name(city), &stored).await?;
    city_submission(state, scope, city).await
}
