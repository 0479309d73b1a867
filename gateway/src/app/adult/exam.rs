//! Building the exam (the plan's steps 9–11): exam sites (考点) proposed by counties with
//! the rooms they offer, reviewed by cities, approved by the province; the cities' exam
//! areas (参考范围: which area each county's candidates of each category sit in — their own
//! city's unless the city says otherwise); and the province's numbering run, which gives
//! every valid registration its admission-ticket number, room and seat
//! (`engine::adult::numbering`, deterministic) and keeps the rooms for the exam materials.

use super::points::{next_approval, text};
use crate::app::AppError;
use crate::sessions::Caller;
use crate::state::AppState;
use engine::adult::confirmation::PointApproval;
use engine::adult::numbering::{self, AreaAssignment, Entrant, NumberingPlan};
use engine::adult::{AdultCandidate, AdultCommand};
use engine::org::{CityCode, CountyCode};
use engine::scope::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use storage::StateStore;

/// The setting holding every exam site, by code.
pub const SITES: &str = "adult-exam-sites";
/// The setting holding the cities' exam areas.
pub const AREAS: &str = "adult-exam-areas";
/// The setting holding the last numbering run's rooms.
pub const ROOMS: &str = "adult-exam-rooms";

/// An exam site (考点).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExamSite {
    /// Its code: the county and a number (`430102-K01`).
    pub code: String,
    /// Its county.
    #[schema(value_type = u32)]
    pub county: CountyCode,
    /// Its name.
    pub name: String,
    /// Rooms it offers.
    pub rooms: u32,
    /// Its address.
    pub address: String,
    /// 联系人.
    pub contact: String,
    /// 联系电话.
    pub phone: String,
    /// Where its approval stands.
    pub approval: PointApproval,
    /// Why it was refused.
    pub refused_because: Option<String>,
}

/// What a county proposes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteProposal {
    /// The site's number within the county (1–99).
    pub number: u8,
    /// Its name.
    pub name: String,
    /// Rooms offered (1–500).
    pub rooms: u32,
    /// Its address.
    pub address: String,
    /// 联系人.
    pub contact: String,
    /// 联系电话.
    pub phone: String,
}

type Sites = BTreeMap<String, ExamSite>;

async fn sites(state: &AppState) -> Result<Sites, AppError> {
    Ok(crate::app::stored_setting::<Sites>(state, SITES)
        .await?
        .unwrap_or_default())
}

/// Every site the scope covers (the province: all).
pub async fn sites_in_scope(state: &AppState, scope: &Scope) -> Result<Vec<ExamSite>, AppError> {
    Ok(sites(state)
        .await?
        .into_values()
        .filter(|site| scope.covers_county(site.county))
        .collect())
}

/// A county proposes a site (again, to change it: back to its city).
pub async fn propose_site(
    state: &AppState,
    scope: &Scope,
    county: CountyCode,
    proposal: SiteProposal,
) -> Result<ExamSite, AppError> {
    if *scope != Scope::County(county) {
        return Err(AppError::out_of_scope());
    }
    if !(1..=99).contains(&proposal.number) || !(1..=500).contains(&proposal.rooms) {
        return Err(AppError::invalid(
            "adult_field_invalid",
            "number: 1 to 99; rooms: 1 to 500",
        ));
    }
    let site = ExamSite {
        code: format!("{county}-K{:02}", proposal.number),
        county,
        name: text("name", &proposal.name, 50)?,
        rooms: proposal.rooms,
        address: text("address", &proposal.address, 100)?,
        contact: text("contact", &proposal.contact, 30)?,
        phone: text("phone", &proposal.phone, 20)?,
        approval: PointApproval::Proposed,
        refused_because: None,
    };
    super::change_setting(state, SITES, |sites: &mut Sites| {
        sites.insert(site.code.clone(), site.clone());
        Ok(site.clone())
    })
    .await
}

/// The city reviews a site of its counties, the province approves one the city passed.
pub async fn review_site(
    state: &AppState,
    scope: &Scope,
    code: &str,
    approved: bool,
    reason: &str,
) -> Result<ExamSite, AppError> {
    let reason = if approved {
        None
    } else {
        Some(text("reason", reason, 200)?)
    };
    let scope = *scope;
    super::change_setting(state, SITES, move |sites: &mut Sites| {
        let site = sites.get_mut(code).ok_or_else(|| {
            AppError::not_found("exam_site_not_found", format!("{code} is not an exam site"))
        })?;
        site.approval = next_approval(scope, site.approval, site.county.city(), approved)?;
        site.refused_because = reason.clone();
        Ok(site.clone())
    })
    .await
}

type Areas = Vec<AreaAssignment>;

/// A city says which exam area a county's candidates of a category sit in.
pub async fn assign_area(
    state: &AppState,
    scope: &Scope,
    city: CityCode,
    assignment: AreaAssignment,
) -> Result<Areas, AppError> {
    if *scope != Scope::City(city) || assignment.county.city() != city {
        return Err(AppError::out_of_scope());
    }
    if state
        .province
        .city(CityCode::new(assignment.area).ok_or_else(|| {
            AppError::invalid("adult_field_invalid", "area: a city code of the province")
        })?)
        .is_none()
    {
        return Err(AppError::invalid(
            "adult_field_invalid",
            "area: a city code of the province",
        ));
    }
    let categories = categories(state);
    if !categories.contains(&assignment.category) {
        return Err(AppError::invalid(
            "adult_field_invalid",
            format!("category: one of {}", categories.join(", ")),
        ));
    }
    super::change_setting(state, AREAS, move |areas: &mut Areas| {
        areas.retain(|a| !(a.county == assignment.county && a.category == assignment.category));
        areas.push(assignment);
        Ok(areas.clone())
    })
    .await
}

/// Every subject category of the year's levels, in the rules' order.
fn categories(state: &AppState) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for level in &state.settings.current().adult.rules.levels {
        for category in &level.categories {
            if !all.contains(category) {
                all.push(category.clone());
            }
        }
    }
    all
}

/// One room of the last run, with who sits where.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredRoom {
    /// Exam area (city code).
    pub area: u16,
    /// Subject category.
    pub category: String,
    /// Room number within area and category.
    pub room: u32,
    /// The site's code.
    pub site: String,
    /// (seat, admission-ticket number, registration key), by seat.
    pub seats: Vec<(u32, String, String)>,
}

/// What a numbering run did.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunReport {
    /// Valid registrations numbered.
    pub numbered: usize,
    /// Of them, given a new or changed seat.
    pub changed: usize,
    /// Rooms used.
    pub rooms: usize,
    /// Whether printed tickets were allowed to change.
    pub forced: bool,
}

/// The province numbers every valid registration (see the module's documentation); a run
/// that would change a printed ticket is refused unless `force` (the request is audited).
pub async fn number(state: &AppState, caller: &Caller, force: bool) -> Result<RunReport, AppError> {
    if caller.0.scope != Scope::Province {
        return Err(AppError::out_of_scope());
    }
    let _place = state.heavy.enter(&caller.0.subject)?;
    let registrations = valid_registrations(state).await?;
    let entrants: Vec<Entrant> = registrations
        .iter()
        .filter_map(|record| {
            Some(Entrant {
                key: record.key,
                county: record.point?.county(),
                category: record.volunteers.as_ref()?.category.clone(),
                current: record.seat.clone(),
                printed: record.ticket_printed_at.is_some(),
            })
        })
        .collect();
    let stored: Areas = crate::app::stored_setting(state, AREAS)
        .await?
        .unwrap_or_default();
    let mut areas = stored.clone();
    for entrant in &entrants {
        let assigned = areas
            .iter()
            .any(|a| a.county == entrant.county && a.category == entrant.category);
        if !assigned {
            areas.push(AreaAssignment {
                county: entrant.county,
                category: entrant.category.clone(),
                area: entrant.county.city().code(),
            });
        }
    }
    let approved_sites: Vec<numbering::Site> = sites(state)
        .await?
        .into_values()
        .filter(|site| site.approval == PointApproval::Approved)
        .map(|site| numbering::Site {
            code: site.code,
            area: site.county.city().code(),
            rooms: site.rooms,
        })
        .collect();
    let year = u16::try_from(state.now().to_cst().0.year()).unwrap_or(0);
    let names = categories(state);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let plan = NumberingPlan::new(year, &names);
    let run = numbering::number(&entrants, &areas, &approved_sites, &plan, force)?;
    for key in &run.changed {
        let Some(seat) = run.seats.get(key) else {
            continue;
        };
        let idempotency = format!("seat-{}-{}", seat.ticket, seat.site);
        super::run(
            state,
            *key,
            AdultCommand::AssignSeat(seat.clone()),
            idempotency,
        )
        .await?;
    }
    let mut rooms: BTreeMap<(u16, String, u32), StoredRoom> = BTreeMap::new();
    for room in &run.rooms {
        rooms.insert(
            (room.area, room.category.clone(), room.room),
            StoredRoom {
                area: room.area,
                category: room.category.clone(),
                room: room.room,
                site: room.site.clone(),
                seats: Vec::new(),
            },
        );
    }
    let category_of: BTreeMap<_, _> = entrants
        .iter()
        .map(|e| (e.key, e.category.clone()))
        .collect();
    for (key, seat) in &run.seats {
        let category = category_of.get(key).cloned().unwrap_or_default();
        if let Some(room) = rooms.get_mut(&(seat.area, category, seat.room)) {
            room.seats
                .push((seat.seat, seat.ticket.clone(), key.to_string()));
        }
    }
    let mut stored_rooms: Vec<StoredRoom> = rooms.into_values().collect();
    for room in &mut stored_rooms {
        room.seats.sort();
    }
    crate::app::commit_setting(state, ROOMS.to_owned(), &stored_rooms).await?;
    Ok(RunReport {
        numbered: run.seats.len(),
        changed: run.changed.len(),
        rooms: stored_rooms.len(),
        forced: force,
    })
}

/// Every valid (confirmed and paid) registration, point by point.
async fn valid_registrations(state: &AppState) -> Result<Vec<AdultCandidate>, AppError> {
    let mut found = Vec::new();
    for point in super::points::in_scope(state, &Scope::Province).await? {
        let mut after = None;
        loop {
            let page = state
                .store
                .adult_candidates_at_point(point.code, None, after, 500)
                .await?;
            let full = page.len() == 500;
            after = page.last().map(|record| record.key);
            found.extend(page.into_iter().filter(AdultCandidate::valid));
            if !full {
                break;
            }
        }
    }
    Ok(found)
}

/// The rooms of the last run at `county`'s sites, each with its site and its candidates'
/// records (for the exam materials).
pub async fn county_rooms(
    state: &AppState,
    scope: &Scope,
    county: CountyCode,
) -> Result<Vec<(ExamSite, StoredRoom, Vec<AdultCandidate>)>, AppError> {
    if !scope.covers_county(county) {
        return Err(AppError::out_of_scope());
    }
    let sites = sites(state).await?;
    let rooms: Vec<StoredRoom> = crate::app::stored_setting(state, ROOMS)
        .await?
        .unwrap_or_default();
    let mut out = Vec::new();
    for room in rooms {
        let Some(site) = sites.get(&room.site).filter(|site| site.county == county) else {
            continue;
        };
        let mut records = Vec::new();
        for (_, _, key) in &room.seats {
            if let Some(key) = engine::key::CandidateKey::parse_hex(key)
                && let Some(record) = state.store.adult_candidate(key).await?
            {
                records.push(record);
            }
        }
        out.push((site.clone(), room, records));
    }
    Ok(out)
}

/// Seeds the demo: each county's first site, approved, with 20 rooms (once).
pub async fn seed_demo(state: &AppState) -> Result<(), AppError> {
    if state.store.setting(SITES).await?.is_some() {
        return Ok(());
    }
    let mut all = Sites::new();
    for county in &state.province.counties {
        let code = format!("{}-K01", county.code);
        all.insert(
            code.clone(),
            ExamSite {
                code,
                county: county.code,
                name: format!("{}成人高考考点", county.name),
                rooms: 20,
                address: format!("湖南省{}", county.name),
                contact: "考务办".to_owned(),
                phone: "0731-12345678".to_owned(),
                approval: PointApproval::Approved,
                refused_because: None,
            },
        );
    }
    crate::app::commit_setting(state, SITES.to_owned(), &all).await?;
    Ok(())
}

/// A registration's admission ticket: its record and on-site photo, once numbered; the
/// first print is recorded (so a re-run keeps its number).
pub async fn print_ticket(
    state: &AppState,
    key: engine::key::CandidateKey,
) -> Result<(AdultCandidate, Vec<u8>), AppError> {
    let record = super::load(state, key).await?;
    if record.seat.is_none() {
        return Err(
            engine::adult::Rejection::StepMissing("wait for the admission-ticket numbers").into(),
        );
    }
    let record = if record.ticket_printed_at.is_none() {
        super::run(
            state,
            key,
            AdultCommand::MarkTicketPrinted,
            "ticket-printed".to_owned(),
        )
        .await?
        .candidate
        .unwrap_or(record)
    } else {
        record
    };
    let photo = match &record.confirmation {
        Some(confirmation) => state.store.photo(&confirmation.photo.sha256).await?,
        None => None,
    }
    .ok_or_else(|| AppError::internal("photo_missing", "the on-site photo is missing"))?;
    Ok((record, photo))
}

/// A point prints the ticket of a registration it confirmed (the plan: a candidate whose
/// own printing failed asks the point).
pub async fn print_ticket_for(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<(AdultCandidate, Vec<u8>), AppError> {
    let record = super::operator::registration(state, caller, key).await?;
    print_ticket(state, record.key).await
}
