//! Admission-ticket numbers, rooms and sites, in one deterministic run (the plan's step 10–11:
//! the province numbers tickets from the cities' exam areas; rooms are then given to sites).
//!
//! The ticket number is 13 digits: `YY AAAA CC RRR SS` — the year's last two digits, the
//! exam area (the four-digit city code of the 考区), the subject category's two-digit code,
//! the room within that area and category (001…), the seat within the room (01…). Within
//! each area and category the rooms and seats form an unbroken sequence; a room holds at
//! most `seats_per_room` (30 by default) candidates of one category. Which categories have
//! which codes, and the seats per room, are the plan's settings.
//!
//! Determinism: candidates are ordered by county, then key, whatever order they come in.
//! Stability: a re-run keeps every seat still in its area and category (and its room's
//! site, while the site offers the room) and places newcomers in the first free seats; a candidate who printed the ticket is never given another number
//! unless the run is forced (the gateway audits a forced run) — a change that would move one
//! is refused, naming how many.

use super::Seat;
use super::rejection::Rejection;
use crate::key::CandidateKey;
use crate::org::CountyCode;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A valid (confirmed and paid) registration, as numbering sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrant {
    /// Its key.
    pub key: CandidateKey,
    /// The county of its confirmation point.
    pub county: CountyCode,
    /// Its subject category (科类).
    pub category: String,
    /// Its seat from an earlier run.
    pub current: Option<Seat>,
    /// Whether its ticket was printed.
    pub printed: bool,
}

/// Which exam area a county's candidates of a category sit in (the cities decide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaAssignment {
    /// The county.
    pub county: CountyCode,
    /// The category.
    pub category: String,
    /// The exam area (a city code).
    pub area: u16,
}

/// An approved exam site (考点).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Its code (unique in the province).
    pub code: String,
    /// Its exam area.
    pub area: u16,
    /// Rooms it offers.
    pub rooms: u32,
}

/// The plan's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberingPlan {
    /// The exam year.
    pub year: u16,
    /// Seats per room.
    pub seats_per_room: u32,
    /// Each category's two-digit code.
    pub category_codes: BTreeMap<String, u8>,
}

impl NumberingPlan {
    /// 30 seats per room; the categories numbered in the order given from 01.
    pub fn new(year: u16, categories: &[&str]) -> NumberingPlan {
        NumberingPlan {
            year,
            seats_per_room: 30,
            category_codes: categories
                .iter()
                .zip(1u8..)
                .map(|(name, code)| ((*name).to_owned(), code))
                .collect(),
        }
    }
}

/// One room of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// Exam area.
    pub area: u16,
    /// Category.
    pub category: String,
    /// Room number within area and category.
    pub room: u32,
    /// The site it was given to.
    pub site: String,
    /// Candidates seated.
    pub seated: u32,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    /// Every entrant's seat, in key order.
    pub seats: BTreeMap<CandidateKey, Seat>,
    /// Every room, by area, category and number.
    pub rooms: Vec<Room>,
    /// The entrants whose seat is new or changed (the ones to record).
    pub changed: Vec<CandidateKey>,
}

/// The ticket number of a seat (see the module's documentation).
pub fn ticket_number(year: u16, area: u16, category_code: u8, room: u32, seat: u32) -> String {
    format!(
        "{:02}{:04}{:02}{:03}{:02}",
        year % 100,
        area,
        category_code,
        room,
        seat
    )
}

/// Numbers `entrants` into rooms and sites.
pub fn number(
    entrants: &[Entrant],
    areas: &[AreaAssignment],
    sites: &[Site],
    plan: &NumberingPlan,
    force: bool,
) -> Result<Numbering, Rejection> {
    if plan.seats_per_room == 0 || plan.seats_per_room > 99 {
        return Err(Rejection::FieldInvalid {
            field: "seats_per_room",
            reason: "1 to 99".to_owned(),
        });
    }
    let area_of: BTreeMap<(CountyCode, &str), u16> = areas
        .iter()
        .map(|a| ((a.county, a.category.as_str()), a.area))
        .collect();
    // Group by area and category, each in county-then-key order.
    let mut groups: BTreeMap<(u16, String), Vec<&Entrant>> = BTreeMap::new();
    for entrant in entrants {
        let area = *area_of
            .get(&(entrant.county, entrant.category.as_str()))
            .ok_or_else(|| Rejection::NoExamArea {
                county: entrant.county.to_string(),
                category: entrant.category.clone(),
            })?;
        if !plan.category_codes.contains_key(&entrant.category) {
            return Err(Rejection::FieldInvalid {
                field: "category",
                reason: format!("the plan gives '{}' no code", entrant.category),
            });
        }
        groups
            .entry((area, entrant.category.clone()))
            .or_default()
            .push(entrant);
    }
    // Seats (room, seat) within each group.
    let mut placed: BTreeMap<CandidateKey, (u16, String, u32, u32)> = BTreeMap::new();
    let mut rooms_needed: BTreeMap<(u16, String), u32> = BTreeMap::new();
    // The site a kept room had, so that a re-run leaves rooms where they were.
    let mut previous_site: BTreeMap<(u16, String, u32), String> = BTreeMap::new();
    for ((area, category), mut members) in groups {
        members.sort_by_key(|entrant| (entrant.county, entrant.key));
        let kept = |entrant: &Entrant| -> Option<(u32, u32)> {
            if force {
                return None;
            }
            let seat = entrant.current.as_ref()?;
            let same_group = seat.area == area
                && seat
                    .ticket
                    .get(6..8)
                    .and_then(|code| code.parse::<u8>().ok())
                    == plan.category_codes.get(&category).copied();
            (same_group && seat.seat >= 1 && seat.seat <= plan.seats_per_room && seat.room >= 1)
                .then_some((seat.room, seat.seat))
        };
        let mut taken: BTreeSet<(u32, u32)> = BTreeSet::new();
        let mut waiting = Vec::new();
        for entrant in members {
            match kept(entrant) {
                Some(slot) if taken.insert(slot) => {
                    placed.insert(entrant.key, (area, category.clone(), slot.0, slot.1));
                    if let Some(seat) = &entrant.current {
                        previous_site
                            .entry((area, category.clone(), slot.0))
                            .or_insert_with(|| seat.site.clone());
                    }
                }
                _ => waiting.push(entrant),
            }
        }
        // Newcomers take the first free seats, room by room.
        let mut cursor = (1u32, 1u32);
        for entrant in waiting {
            while taken.contains(&cursor) {
                cursor = next(cursor, plan.seats_per_room);
            }
            taken.insert(cursor);
            placed.insert(entrant.key, (area, category.clone(), cursor.0, cursor.1));
        }
        let rooms = taken.iter().map(|(room, _)| *room).max().unwrap_or(0);
        rooms_needed.insert((area, category), rooms);
    }
    // Rooms to sites, area by area: sites in code order, each up to its rooms.
    let mut site_of: BTreeMap<(u16, String, u32), String> = BTreeMap::new();
    let mut areas_needed: BTreeMap<u16, u32> = BTreeMap::new();
    for ((area, _), rooms) in &rooms_needed {
        *areas_needed.entry(*area).or_default() += rooms;
    }
    for (area, needed) in &areas_needed {
        let mut area_sites: Vec<&Site> = sites.iter().filter(|site| site.area == *area).collect();
        area_sites.sort_by(|a, b| a.code.cmp(&b.code));
        let offered: u32 = area_sites.iter().map(|site| site.rooms).sum();
        if offered < *needed {
            return Err(Rejection::RoomsShort {
                area: area.to_string(),
                needed: *needed,
                offered,
            });
        }
        let mut remaining: BTreeMap<&str, u32> = area_sites
            .iter()
            .map(|site| (site.code.as_str(), site.rooms))
            .collect();
        let rooms: Vec<(String, u32)> = rooms_needed
            .iter()
            .filter(|((group_area, _), _)| group_area == area)
            .flat_map(|((_, category), rooms)| {
                (1..=*rooms).map(move |room| (category.clone(), room))
            })
            .collect();
        // Rooms that had a site keep it while it has room; the rest fill sites in order.
        for (category, room) in &rooms {
            let key = (*area, category.clone(), *room);
            if let Some(site) = previous_site.get(&key)
                && let Some(left) = remaining.get_mut(site.as_str())
                && *left > 0
            {
                *left -= 1;
                site_of.insert(key, site.clone());
            }
        }
        for (category, room) in rooms {
            let key = (*area, category, room);
            if site_of.contains_key(&key) {
                continue;
            }
            if let Some((site, left)) = remaining.iter_mut().find(|(_, left)| **left > 0) {
                *left -= 1;
                site_of.insert(key, (*site).to_owned());
            }
        }
    }
    // Seats, tickets, rooms; what changed; printed tickets that would change.
    let mut seats = BTreeMap::new();
    let mut seated: BTreeMap<(u16, String, u32), u32> = BTreeMap::new();
    let mut changed = Vec::new();
    let mut printed_moved = 0u32;
    let by_key: BTreeMap<CandidateKey, &Entrant> = entrants.iter().map(|e| (e.key, e)).collect();
    for (key, (area, category, room, seat)) in placed {
        let code = plan.category_codes.get(&category).copied().unwrap_or(0);
        let new = Seat {
            ticket: ticket_number(plan.year, area, code, room, seat),
            area,
            site: site_of
                .get(&(area, category.clone(), room))
                .cloned()
                .unwrap_or_default(),
            room,
            seat,
        };
        *seated.entry((area, category, room)).or_default() += 1;
        let entrant = by_key.get(&key);
        let current = entrant.and_then(|entrant| entrant.current.as_ref());
        if current != Some(&new) {
            if entrant.is_some_and(|entrant| entrant.printed) && current.is_some() {
                printed_moved += 1;
            }
            changed.push(key);
        }
        seats.insert(key, new);
    }
    if printed_moved > 0 && !force {
        return Err(Rejection::PrintedTicketsWouldChange {
            count: printed_moved,
        });
    }
    let rooms = seated
        .into_iter()
        .map(|((area, category, room), count)| Room {
            site: site_of
                .get(&(area, category.clone(), room))
                .cloned()
                .unwrap_or_default(),
            area,
            category,
            room,
            seated: count,
        })
        .collect();
    Ok(Numbering {
        seats,
        rooms,
        changed,
    })
}

fn next((room, seat): (u32, u32), seats_per_room: u32) -> (u32, u32) {
    if seat >= seats_per_room {
        (room + 1, 1)
    } else {
        (room, seat + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CATEGORIES: [&str; 3] = ["文史", "理工", "经管"];

    fn county(index: u32) -> CountyCode {
        let codes = [430102, 430103, 430104, 430202, 430203];
        CountyCode::new(codes[index as usize % codes.len()]).expect("county")
    }

    fn entrants(count: u32, seed: u64) -> Vec<Entrant> {
        (0..count)
            .map(|index| {
                let mut bytes = [0u8; 16];
                bytes[..8]
                    .copy_from_slice(&(u64::from(index) ^ seed.rotate_left(17)).to_be_bytes());
                bytes[8..12].copy_from_slice(&index.to_be_bytes());
                Entrant {
                    key: CandidateKey::from_bytes(bytes),
                    county: county(index.wrapping_mul(7) ^ (seed as u32)),
                    category: CATEGORIES[(index as usize + seed as usize) % 3].to_owned(),
                    current: None,
                    printed: false,
                }
            })
            .collect()
    }

    fn areas() -> Vec<AreaAssignment> {
        (0..5)
            .flat_map(|index| {
                let county = county(index);
                CATEGORIES.iter().map(move |category| AreaAssignment {
                    county,
                    category: (*category).to_owned(),
                    area: county.city().code(),
                })
            })
            .collect()
    }

    fn sites(rooms_each: u32) -> Vec<Site> {
        [4301u16, 4302]
            .iter()
            .flat_map(|area| {
                (1..=4).map(move |n| Site {
                    code: format!("{area}-K{n:02}"),
                    area: *area,
                    rooms: rooms_each,
                })
            })
            .collect()
    }

    fn plan() -> NumberingPlan {
        NumberingPlan::new(2026, &CATEGORIES)
    }

    /// Every invariant of a run over `entrants`.
    fn check(run: &Numbering, entrants: &[Entrant], sites: &[Site], plan: &NumberingPlan) {
        assert_eq!(run.seats.len(), entrants.len(), "everyone is seated once");
        let tickets: BTreeSet<&str> = run.seats.values().map(|s| s.ticket.as_str()).collect();
        assert_eq!(tickets.len(), entrants.len(), "tickets are unique");
        // Unbroken: within each area and category, (room, seat) run 1.. without a gap.
        let mut groups: BTreeMap<(u16, String), Vec<(u32, u32)>> = BTreeMap::new();
        for seat in run.seats.values() {
            assert!(
                seat.seat >= 1 && seat.seat <= plan.seats_per_room,
                "room capacity"
            );
            assert_eq!(seat.ticket.len(), 13);
            groups
                .entry((seat.area, seat.ticket[6..8].to_owned()))
                .or_default()
                .push((seat.room, seat.seat));
        }
        for slots in groups.values_mut() {
            slots.sort();
            let mut expected = (1, 1);
            for slot in slots.iter() {
                assert_eq!(*slot, expected, "an unbroken sequence");
                expected = next(expected, plan.seats_per_room);
            }
        }
        // Sites: no more rooms than offered.
        let mut used: BTreeMap<&str, u32> = BTreeMap::new();
        for room in &run.rooms {
            assert!(room.seated <= plan.seats_per_room);
            *used.entry(room.site.as_str()).or_default() += 1;
        }
        for site in sites {
            assert!(used.get(site.code.as_str()).copied().unwrap_or(0) <= site.rooms);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]

        /// 10,000 generated candidates: the run fills no room beyond capacity, no site beyond
        /// its rooms, keeps each sequence unbroken, and is the same whatever order the
        /// candidates come in.
        #[test]
        fn ten_thousand_candidates_number_deterministically(seed in any::<u64>(), rotate in 0usize..10_000) {
            let plan = plan();
            let sites = sites(60);
            let list = entrants(10_000, seed);
            let run = number(&list, &areas(), &sites, &plan, false).expect("numbered");
            check(&run, &list, &sites, &plan);
            let mut shuffled = list.clone();
            shuffled.rotate_left(rotate);
            shuffled.reverse();
            let again = number(&shuffled, &areas(), &sites, &plan, false).expect("numbered");
            prop_assert_eq!(&run.seats, &again.seats);
        }

        /// A re-run with newcomers keeps every earlier seat (printed or not) and seats the
        /// newcomers without a gap.
        #[test]
        fn a_rerun_keeps_seats_and_adds_newcomers(seed in any::<u64>(), extra in 1u32..200) {
            let plan = plan();
            let sites = sites(60);
            let mut list = entrants(3_000, seed);
            let first = number(&list, &areas(), &sites, &plan, false).expect("numbered");
            for (index, entrant) in list.iter_mut().enumerate() {
                entrant.current = first.seats.get(&entrant.key).cloned();
                entrant.printed = index % 3 == 0;
            }
            let mut more = entrants(3_000 + extra, seed);
            more.drain(..3_000);
            list.extend(more);
            let second = number(&list, &areas(), &sites, &plan, false).expect("renumbered");
            check(&second, &list, &sites, &plan);
            for entrant in list.iter().filter(|e| e.current.is_some()) {
                prop_assert_eq!(second.seats.get(&entrant.key), entrant.current.as_ref());
            }
            prop_assert_eq!(second.changed.len() as u32, extra);
        }
    }

    #[test]
    fn too_few_rooms_name_the_area_and_the_shortfall() {
        let list = entrants(2_000, 1);
        let refused = number(&list, &areas(), &sites(2), &plan(), false).expect_err("short");
        assert_eq!(refused.code(), "rooms_short");
        let text = refused.to_string();
        assert!(text.contains("exam area 430"), "{text}");
        assert!(text.contains("short by"), "{text}");
        let mut lost = list.clone();
        lost[0].county = CountyCode::new(431102).expect("county");
        assert_eq!(
            number(&lost, &areas(), &sites(60), &plan(), false)
                .expect_err("no area")
                .code(),
            "no_exam_area"
        );
    }

    #[test]
    fn a_printed_ticket_moves_only_when_forced() {
        let plan = plan();
        let mut list = entrants(100, 3);
        let first = number(&list, &areas(), &sites(60), &plan, false).expect("numbered");
        for entrant in &mut list {
            entrant.current = first.seats.get(&entrant.key).cloned();
            entrant.printed = true;
        }
        // The city moves county 430102's 文史 candidates to area 4302.
        let mut moved = areas();
        for assignment in &mut moved {
            if assignment.county.code() == 430102 && assignment.category == "文史" {
                assignment.area = 4302;
            }
        }
        let refused = number(&list, &moved, &sites(60), &plan, false).expect_err("printed");
        assert_eq!(refused.code(), "printed_tickets_would_change");
        let forced = number(&list, &moved, &sites(60), &plan, true).expect("forced");
        check(&forced, &list, &sites(60), &plan);
        assert!(!forced.changed.is_empty());
        assert_eq!(ticket_number(2026, 4301, 2, 7, 5), "2643010200705");
    }
}
