//! A county's own record: its registration points, their serial ranges, and its submission.
//!
//! Counties are the single writer for their points and ranges (one county actor each), so
//! serial numbers are assigned here, one at a time, before the candidate shard records the
//! capture. A serial assigned to a capture that is then refused stays used: gaps in the
//! sequence are harmless; a number handed out twice would not be.

use crate::org::{CityCode, CountyCode, PointCode};
use crate::rejection::Rejection;
use crate::schedule::{Schedule, WindowKind};
use crate::serial::{RangeBook, SerialNumber, SubjectCategory, plan_by_headcount};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A registration point as its county set it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// Its code.
    pub code: PointCode,
    /// Its name (usually the school).
    pub name: String,
    /// Expected head-count, for dividing serial ranges.
    pub expected_headcount: u32,
    /// Whether the county designated it to register migrant workers' children (随迁子女).
    pub designated_for_migrant_children: bool,
}

/// One county's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct County {
    /// The county.
    pub code: CountyCode,
    /// Its points by number.
    pub points: BTreeMap<u16, Point>,
    /// Its serial ranges.
    pub ranges: RangeBook,
    /// When it submitted its records to the city (freezing them), if it has.
    pub submitted_at: Option<Timestamp>,
}

/// A request to change a county's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CountyCommand {
    /// Set up a registration point.
    CreatePoint {
        /// Its number within the county (1–999).
        number: u16,
        /// Its name.
        name: String,
        /// Expected head-count.
        expected_headcount: u32,
    },
    /// Give a point a specific range.
    AllocateRange {
        /// The point.
        point: PointCode,
        /// Reserved category, if any.
        category: Option<SubjectCategory>,
        /// First sequence.
        first: u16,
        /// Last sequence.
        last: u16,
    },
    /// Divide `available` sequences from the first free one among all points by head-count.
    DivideByHeadcount {
        /// Reserved category for the new ranges, if any.
        category: Option<SubjectCategory>,
        /// How many sequences to divide.
        available: u16,
    },
    /// Designate a point to register migrant workers' children.
    DesignateForMigrantChildren {
        /// The point.
        point: PointCode,
    },
    /// Assign the next serial number of a point to a candidate being captured.
    AssignSerial {
        /// The point.
        point: PointCode,
        /// The candidate's category.
        category: SubjectCategory,
        /// Whether the candidate is a migrant worker's child (only designated points).
        migrant_child: bool,
    },
    /// Submit the county's records to the city (freezes them).
    SubmitToCity,
    /// Change a point's name or expected head-count.
    UpdatePoint {
        /// The point.
        point: PointCode,
        /// A new name, if it changes.
        name: Option<String>,
        /// A new expected head-count, if it changes.
        expected_headcount: Option<u32>,
    },
    /// Close a point that has handed out no serial number: it and its ranges go (the
    /// numbers return to the county's free runs).
    RemovePoint {
        /// The point.
        point: PointCode,
    },
    /// The city returns the county's submission for correction (unfreezes it).
    ReturnSubmission {
        /// Why (kept in the log; 1–200 characters).
        reason: String,
    },
    /// Take over the county's record from another instance's export package: when this
    /// instance's record is empty or behind it (the same points and ranges, none further
    /// along here). Already ahead of it: nothing to do. Any other difference (other points
    /// or ranges): refused, since numbers could be handed out twice.
    Import(Box<County>),
}

/// What happened to a county's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CountyEvent {
    /// A point was set up.
    PointCreated {
        /// The point.
        point: Point,
        /// When.
        at: Timestamp,
    },
    /// The county's record was taken over from an export package.
    Imported {
        /// The record as exported.
        snapshot: Box<County>,
        /// When.
        at: Timestamp,
    },
    /// A point was designated to register migrant workers' children.
    PointDesignatedForMigrantChildren {
        /// The point.
        point: PointCode,
        /// When.
        at: Timestamp,
    },
    /// A range was allocated to a point.
    RangeAllocated {
        /// The point.
        point: PointCode,
        /// Reserved category, if any.
        category: Option<SubjectCategory>,
        /// First sequence.
        first: u16,
        /// Last sequence.
        last: u16,
        /// When.
        at: Timestamp,
    },
    /// A serial number was assigned.
    SerialAssigned {
        /// The point.
        point: PointCode,
        /// The number.
        serial: SerialNumber,
        /// When.
        at: Timestamp,
    },
    /// The county submitted its records to the city.
    SubmittedToCity {
        /// When.
        at: Timestamp,
    },
    /// The city returned the submission for correction: the records are open again.
    SubmissionReturned {
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// A point's name or expected head-count changed.
    PointUpdated {
        /// The point as it is now.
        point: Point,
        /// When.
        at: Timestamp,
    },
    /// A point that had handed out no number was closed, with its ranges.
    PointRemoved {
        /// The point.
        point: PointCode,
        /// When.
        at: Timestamp,
    },
}

/// A point's name: 1–60 printable characters.
fn check_point_name(name: &str) -> Result<(), Rejection> {
    if name.trim().is_empty()
        || name.chars().count() > 60
        || name.chars().any(crate::text::is_forbidden)
    {
        return Err(Rejection::FormFieldInvalid {
            field: "name",
            reason: "must be 1–60 characters".into(),
        });
    }
    Ok(())
}

impl County {
    /// A county with no points yet.
    pub fn new(code: CountyCode) -> County {
        County {
            code,
            points: BTreeMap::new(),
            ranges: RangeBook::default(),
            submitted_at: None,
        }
    }

    /// Whether its records are frozen by submission.
    pub fn is_frozen(&self) -> bool {
        self.submitted_at.is_some()
    }

    fn require_point(&self, point: PointCode) -> Result<(), Rejection> {
        if point.county() != self.code {
            return Err(Rejection::OutOfScope);
        }
        if !self.points.contains_key(&point.number()) {
            return Err(Rejection::PointUnknown { point });
        }
        Ok(())
    }

    /// Decides a command against this county at `now`.
    pub fn decide(
        &self,
        command: &CountyCommand,
        schedule: &Schedule,
        now: Timestamp,
    ) -> Result<Vec<CountyEvent>, Rejection> {
        let at = now;
        match command {
            CountyCommand::Import(snapshot) => return self.decide_import(snapshot, now),
            CountyCommand::ReturnSubmission { reason } => {
                if !self.is_frozen() {
                    return Err(Rejection::NotSubmitted);
                }
                let reason = reason.trim();
                if reason.is_empty()
                    || reason.chars().count() > 200
                    || crate::text::has_forbidden(reason)
                {
                    return Err(Rejection::ReturnReasonRequired);
                }
                return Ok(vec![CountyEvent::SubmissionReturned {
                    reason: reason.to_owned(),
                    at: now,
                }]);
            }
            _ => {}
        }
        // Submission freezes the county: no new points, ranges or captures after it.
        if self.is_frozen() {
            return Err(Rejection::RecordsFrozen);
        }
        match command {
            // Decided above, before the freeze applies.
            CountyCommand::Import(_) | CountyCommand::ReturnSubmission { .. } => {
                Err(Rejection::ImportConflict)
            }
            CountyCommand::CreatePoint {
                number,
                name,
                expected_headcount,
            } => {
                let code =
                    PointCode::new(self.code, *number).ok_or_else(|| Rejection::InvalidCode {
                        kind: "point",
                        value: format!("{}-{number:03}", self.code),
                    })?;
                if self.points.contains_key(number) {
                    return Err(Rejection::PointExists { point: code });
                }
                check_point_name(name)?;
                let point = Point {
                    code,
                    name: name.clone(),
                    expected_headcount: *expected_headcount,
                    designated_for_migrant_children: false,
                };
                Ok(vec![CountyEvent::PointCreated { point, at }])
            }
            CountyCommand::AllocateRange {
                point,
                category,
                first,
                last,
            } => {
                self.require_point(*point)?;
                self.ranges.check_allocation(*first, *last)?;
                Ok(vec![CountyEvent::RangeAllocated {
                    point: *point,
                    category: *category,
                    first: *first,
                    last: *last,
                    at,
                }])
            }
            CountyCommand::DivideByHeadcount {
                category,
                available,
            } => {
                let (start, _) = self
                    .ranges
                    .free_runs()
                    .into_iter()
                    .find(|&(first, last)| last - first + 1 >= *available)
                    .ok_or(Rejection::SerialRangeInvalid {
                        first: 1,
                        last: *available,
                    })?;
                let expected: Vec<(PointCode, u32)> = self
                    .points
                    .values()
                    .map(|point| (point.code, point.expected_headcount))
                    .collect();
                Ok(plan_by_headcount(&expected, start, *available)
                    .into_iter()
                    .map(|(point, first, last)| CountyEvent::RangeAllocated {
                        point,
                        category: *category,
                        first,
                        last,
                        at,
                    })
                    .collect())
            }
            CountyCommand::UpdatePoint {
                point,
                name,
                expected_headcount,
            } => {
                self.require_point(*point)?;
                let Some(current) = self.points.get(&point.number()) else {
                    return Err(Rejection::PointUnknown { point: *point });
                };
                if let Some(name) = name {
                    check_point_name(name)?;
                }
                let updated = Point {
                    name: name.clone().unwrap_or_else(|| current.name.clone()),
                    expected_headcount: expected_headcount.unwrap_or(current.expected_headcount),
                    ..current.clone()
                };
                if updated == *current {
                    return Ok(vec![]);
                }
                Ok(vec![CountyEvent::PointUpdated { point: updated, at }])
            }
            CountyCommand::RemovePoint { point } => {
                self.require_point(*point)?;
                let used = self
                    .ranges
                    .ranges()
                    .iter()
                    .any(|range| range.point == *point && range.next > range.first);
                if used {
                    return Err(Rejection::PointInUse { point: *point });
                }
                Ok(vec![CountyEvent::PointRemoved { point: *point, at }])
            }
            CountyCommand::DesignateForMigrantChildren { point } => {
                let designated = self
                    .require_point(*point)
                    .map(|_| self.points.get(&point.number()))?
                    .is_some_and(|p| p.designated_for_migrant_children);
                if designated {
                    return Ok(vec![]);
                }
                Ok(vec![CountyEvent::PointDesignatedForMigrantChildren {
                    point: *point,
                    at,
                }])
            }
            CountyCommand::AssignSerial {
                point,
                category,
                migrant_child,
            } => {
                self.require_point(*point)?;
                let designated = self
                    .points
                    .get(&point.number())
                    .is_some_and(|p| p.designated_for_migrant_children);
                if *migrant_child && !designated {
                    return Err(Rejection::PointNotDesignated { point: *point });
                }
                let serial = self.ranges.next_serial(self.code, *point, *category)?;
                Ok(vec![CountyEvent::SerialAssigned {
                    point: *point,
                    serial,
                    at,
                }])
            }
            CountyCommand::SubmitToCity => {
                schedule.require_open(WindowKind::CountySubmission, now)?;
                Ok(vec![CountyEvent::SubmittedToCity { at }])
            }
        }
    }

    fn decide_import(
        &self,
        snapshot: &County,
        at: Timestamp,
    ) -> Result<Vec<CountyEvent>, Rejection> {
        if snapshot.code != self.code {
            return Err(Rejection::OutOfScope);
        }
        if snapshot == self {
            return Ok(vec![]);
        }
        let empty = self.points.is_empty() && self.ranges.ranges().is_empty();
        let same_allocations = self.points.keys().eq(snapshot.points.keys())
            && self.ranges.ranges().len() == snapshot.ranges.ranges().len()
            && self
                .ranges
                .ranges()
                .iter()
                .zip(snapshot.ranges.ranges())
                .all(|(here, there)| here.same_allocation(there));
        let pairs = || self.ranges.ranges().iter().zip(snapshot.ranges.ranges());
        let behind = same_allocations
            && pairs().all(|(here, there)| here.next <= there.next)
            && (!self.is_frozen() || snapshot.is_frozen());
        let ahead = same_allocations && pairs().all(|(here, there)| here.next >= there.next);
        if !(empty || behind) {
            // Already further along here: the package holds nothing newer for the county.
            return if ahead {
                Ok(vec![])
            } else {
                Err(Rejection::ImportConflict)
            };
        }
        Ok(vec![CountyEvent::Imported {
            snapshot: Box::new(snapshot.clone()),
            at,
        }])
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &CountyEvent) {
        match event {
            CountyEvent::Imported { snapshot, .. } => *self = (**snapshot).clone(),
            CountyEvent::PointCreated { point, .. } => {
                self.points.insert(point.code.number(), point.clone());
            }
            CountyEvent::PointDesignatedForMigrantChildren { point, .. } => {
                if let Some(designated) = self.points.get_mut(&point.number()) {
                    designated.designated_for_migrant_children = true;
                }
            }
            CountyEvent::RangeAllocated {
                point,
                category,
                first,
                last,
                ..
            } => {
                self.ranges
                    .record_allocation(*point, *category, *first, *last);
            }
            CountyEvent::SerialAssigned { serial, .. } => self.ranges.record_assignment(*serial),
            CountyEvent::SubmittedToCity { at } => self.submitted_at = Some(*at),
            CountyEvent::SubmissionReturned { .. } => self.submitted_at = None,
            CountyEvent::PointUpdated { point, .. } => {
                self.points.insert(point.code.number(), point.clone());
            }
            CountyEvent::PointRemoved { point, .. } => {
                self.points.remove(&point.number());
                self.ranges.remove_point(*point);
            }
        }
    }
}

/// A city's submission of its counties' records to the province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitySubmission {
    /// The city.
    pub city: CityCode,
    /// When it submitted, if it has.
    pub submitted_at: Option<Timestamp>,
}

impl CitySubmission {
    /// Decides a city's submission: every county of the city must have submitted first.
    pub fn decide_submit(
        &self,
        counties: &[(CountyCode, bool)],
        schedule: &Schedule,
        now: Timestamp,
    ) -> Result<Timestamp, Rejection> {
        if self.submitted_at.is_some() {
            return Err(Rejection::AlreadySubmitted);
        }
        schedule.require_open(WindowKind::CitySubmission, now)?;
        if let Some((county, _)) = counties.iter().find(|(_, submitted)| !submitted) {
            return Err(Rejection::LowerLevelNotSubmitted {
                what: format!("county {county}"),
            });
        }
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Window;

    fn county() -> County {
        County::new(CountyCode::new(430102).expect("valid"))
    }

    fn run(county: &mut County, command: CountyCommand) -> Result<Vec<CountyEvent>, Rejection> {
        let mut schedule = Schedule::default();
        schedule.set(
            WindowKind::CountySubmission,
            Window::new(Timestamp(0), Timestamp(1000)),
        );
        let events = county.decide(&command, &schedule, Timestamp(10))?;
        for event in &events {
            county.apply(event);
        }
        Ok(events)
    }

    #[test]
    fn points_get_ranges_by_headcount_and_assign_in_order() {
        let mut county = county();
        for (number, expected) in [(1, 300), (2, 100)] {
            run(
                &mut county,
                CountyCommand::CreatePoint {
                    number,
                    name: format!("第{number}中学"),
                    expected_headcount: expected,
                },
            )
            .expect("created");
        }
        let events = run(
            &mut county,
            CountyCommand::DivideByHeadcount {
                category: None,
                available: 400,
            },
        )
        .expect("divided");
        assert_eq!(events.len(), 2);
        let ranges = county.ranges.ranges();
        assert_eq!(
            (
                ranges[0].first,
                ranges[0].last,
                ranges[1].first,
                ranges[1].last
            ),
            (1, 300, 301, 400)
        );
        let point2 = PointCode::new(county.code, 2).expect("valid");
        let assigned = run(
            &mut county,
            CountyCommand::AssignSerial {
                point: point2,
                category: SubjectCategory::History,
                migrant_child: false,
            },
        )
        .expect("assigned");
        assert!(
            matches!(assigned[0], CountyEvent::SerialAssigned { serial, .. } if serial.to_string() == "01020301")
        );
    }

    #[test]
    fn refusals_are_specific() {
        let mut county = county();
        run(
            &mut county,
            CountyCommand::CreatePoint {
                number: 1,
                name: "一中".into(),
                expected_headcount: 10,
            },
        )
        .expect("ok");
        let again = run(
            &mut county,
            CountyCommand::CreatePoint {
                number: 1,
                name: "一中".into(),
                expected_headcount: 10,
            },
        );
        assert_eq!(again.expect_err("dup").code(), "point_exists");
        let ghost = PointCode::new(county.code, 9).expect("valid");
        let unknown = run(
            &mut county,
            CountyCommand::AssignSerial {
                point: ghost,
                category: SubjectCategory::Physics,
                migrant_child: false,
            },
        );
        assert_eq!(unknown.expect_err("unknown").code(), "point_unknown");
        let foreign = PointCode::new(CountyCode::new(430103).expect("valid"), 1).expect("valid");
        let scope = run(
            &mut county,
            CountyCommand::AllocateRange {
                point: foreign,
                category: None,
                first: 1,
                last: 5,
            },
        );
        assert_eq!(scope.expect_err("foreign").code(), "out_of_scope");
        run(&mut county, CountyCommand::SubmitToCity).expect("submitted");
        let frozen = run(
            &mut county,
            CountyCommand::CreatePoint {
                number: 2,
                name: "二中".into(),
                expected_headcount: 1,
            },
        );
        assert_eq!(frozen.expect_err("frozen").code(), "records_frozen");
        let twice = run(&mut county, CountyCommand::SubmitToCity);
        assert_eq!(twice.expect_err("frozen").code(), "records_frozen");
        // The city returns it for correction: a reason is required, then it is open again.
        for reason in ["", "  ", "\u{202e}倒序"] {
            let refused = run(
                &mut county,
                CountyCommand::ReturnSubmission {
                    reason: reason.into(),
                },
            );
            assert_eq!(
                refused.expect_err("no reason").code(),
                "return_reason_required"
            );
        }
        run(
            &mut county,
            CountyCommand::ReturnSubmission {
                reason: "人数不符，请核对".into(),
            },
        )
        .expect("returned");
        assert!(!county.is_frozen());
        let nothing = run(
            &mut county,
            CountyCommand::ReturnSubmission {
                reason: "再次退回".into(),
            },
        );
        assert_eq!(nothing.expect_err("open").code(), "not_submitted");
        run(
            &mut county,
            CountyCommand::CreatePoint {
                number: 2,
                name: "二中".into(),
                expected_headcount: 1,
            },
        )
        .expect("open again");
        run(&mut county, CountyCommand::SubmitToCity).expect("submitted again");
    }

    #[test]
    fn a_point_is_edited_and_closed_only_while_it_has_handed_out_nothing() {
        let mut county = county();
        let point = PointCode::new(county.code, 1).expect("valid");
        run(
            &mut county,
            CountyCommand::CreatePoint {
                number: 1,
                name: "一中".into(),
                expected_headcount: 10,
            },
        )
        .expect("created");
        let renamed = run(
            &mut county,
            CountyCommand::UpdatePoint {
                point,
                name: Some("长沙市第一中学".into()),
                expected_headcount: Some(300),
            },
        )
        .expect("updated");
        assert_eq!(renamed.len(), 1);
        assert_eq!(county.points[&1].name, "长沙市第一中学");
        assert_eq!(county.points[&1].expected_headcount, 300);
        let same = run(
            &mut county,
            CountyCommand::UpdatePoint {
                point,
                name: None,
                expected_headcount: Some(300),
            },
        )
        .expect("nothing to change");
        assert!(same.is_empty());
        let empty = run(
            &mut county,
            CountyCommand::UpdatePoint {
                point,
                name: Some(" ".into()),
                expected_headcount: None,
            },
        );
        assert_eq!(empty.expect_err("blank").code(), "form_field_invalid");
        let ghost = PointCode::new(county.code, 9).expect("valid");
        let unknown = run(&mut county, CountyCommand::RemovePoint { point: ghost });
        assert_eq!(unknown.expect_err("unknown").code(), "point_unknown");
        run(
            &mut county,
            CountyCommand::AllocateRange {
                point,
                category: None,
                first: 1,
                last: 100,
            },
        )
        .expect("allocated");
        // Nothing handed out yet: it closes, and its numbers are free again.
        run(&mut county, CountyCommand::RemovePoint { point }).expect("closed");
        assert!(county.points.is_empty());
        assert!(county.ranges.ranges().is_empty());
        assert_eq!(county.ranges.free_runs().first(), Some(&(1, 9999)));
        // Set up again and used: it can no longer be closed.
        run(
            &mut county,
            CountyCommand::CreatePoint {
                number: 1,
                name: "一中".into(),
                expected_headcount: 10,
            },
        )
        .expect("created");
        run(
            &mut county,
            CountyCommand::AllocateRange {
                point,
                category: None,
                first: 1,
                last: 100,
            },
        )
        .expect("allocated");
        run(
            &mut county,
            CountyCommand::AssignSerial {
                point,
                category: SubjectCategory::Physics,
                migrant_child: false,
            },
        )
        .expect("assigned");
        let in_use = run(&mut county, CountyCommand::RemovePoint { point });
        assert_eq!(in_use.expect_err("in use").code(), "point_in_use");
    }

    #[test]
    fn a_city_submits_only_after_all_its_counties() {
        let mut schedule = Schedule::default();
        schedule.set(
            WindowKind::CitySubmission,
            Window::new(Timestamp(0), Timestamp(1000)),
        );
        let city = CitySubmission {
            city: CityCode::new(4301).expect("valid"),
            submitted_at: None,
        };
        let a = CountyCode::new(430102).expect("valid");
        let b = CountyCode::new(430103).expect("valid");
        let pending = city.decide_submit(&[(a, true), (b, false)], &schedule, Timestamp(5));
        assert_eq!(
            pending.expect_err("pending").code(),
            "lower_level_not_submitted"
        );
        assert!(
            city.decide_submit(&[(a, true), (b, true)], &schedule, Timestamp(5))
                .is_ok()
        );
    }

    #[test]
    fn only_designated_points_register_migrant_workers_children() {
        let schedule = Schedule::default();
        let mut county = County::new(CountyCode::new(430102).expect("county"));
        let at = Timestamp(0);
        let run = |county: &mut County, command: CountyCommand| -> Result<(), Rejection> {
            for event in county.decide(&command, &schedule, at)? {
                county.apply(&event);
            }
            Ok(())
        };
        for number in 1..=2 {
            run(
                &mut county,
                CountyCommand::CreatePoint {
                    number,
                    name: format!("第{number}中学"),
                    expected_headcount: 10,
                },
            )
            .expect("point");
        }
        run(
            &mut county,
            CountyCommand::DivideByHeadcount {
                category: None,
                available: 100,
            },
        )
        .expect("ranges");
        let first = PointCode::new(county.code, 1).expect("point");
        let second = PointCode::new(county.code, 2).expect("point");
        run(
            &mut county,
            CountyCommand::DesignateForMigrantChildren { point: first },
        )
        .expect("designated");
        let assign = |point, migrant_child| CountyCommand::AssignSerial {
            point,
            category: SubjectCategory::Physics,
            migrant_child,
        };
        assert_eq!(
            run(&mut county, assign(second, true)),
            Err(Rejection::PointNotDesignated { point: second })
        );
        run(&mut county, assign(first, true)).expect("designated point");
        run(&mut county, assign(second, false)).expect("others as usual");
        let unknown = PointCode::new(county.code, 9).expect("point");
        assert_eq!(
            run(
                &mut county,
                CountyCommand::DesignateForMigrantChildren { point: unknown }
            ),
            Err(Rejection::PointUnknown { point: unknown })
        );
    }

    #[test]
    fn a_county_is_imported_only_over_an_empty_or_older_record() {
        let schedule = Schedule::default();
        let code = CountyCode::new(430102).expect("county");
        let at = Timestamp(0);
        let run = |county: &mut County, command: CountyCommand| -> Result<usize, Rejection> {
            let events = county.decide(&command, &schedule, at)?;
            for event in &events {
                county.apply(event);
            }
            Ok(events.len())
        };
        let mut exporting = County::new(code);
        run(
            &mut exporting,
            CountyCommand::CreatePoint {
                number: 1,
                name: "一中".into(),
                expected_headcount: 10,
            },
        )
        .expect("point");
        run(
            &mut exporting,
            CountyCommand::DivideByHeadcount {
                category: None,
                available: 50,
            },
        )
        .expect("range");
        let older = exporting.clone();
        let point = PointCode::new(code, 1).expect("point");
        run(
            &mut exporting,
            CountyCommand::AssignSerial {
                point,
                category: SubjectCategory::Physics,
                migrant_child: false,
            },
        )
        .expect("serial");
        // Empty here: taken over. Identical: nothing to do.
        let mut receiving = County::new(code);
        assert_eq!(
            run(
                &mut receiving,
                CountyCommand::Import(Box::new(exporting.clone()))
            ),
            Ok(1)
        );
        assert_eq!(receiving, exporting);
        assert_eq!(
            run(
                &mut receiving,
                CountyCommand::Import(Box::new(exporting.clone()))
            ),
            Ok(0)
        );
        // Behind the package: taken over. Ahead of it: nothing to do.
        let mut behind = older.clone();
        assert_eq!(
            run(
                &mut behind,
                CountyCommand::Import(Box::new(exporting.clone()))
            ),
            Ok(1)
        );
        let mut ahead = exporting.clone();
        assert_eq!(
            run(&mut ahead, CountyCommand::Import(Box::new(older))),
            Ok(0)
        );
        assert_eq!(ahead, exporting);
        // Other allocations: refused, numbers could be handed out twice.
        let mut diverged = County::new(code);
        run(
            &mut diverged,
            CountyCommand::CreatePoint {
                number: 2,
                name: "二中".into(),
                expected_headcount: 10,
            },
        )
        .expect("point");
        assert_eq!(
            run(
                &mut diverged,
                CountyCommand::Import(Box::new(exporting.clone()))
            ),
            Err(Rejection::ImportConflict)
        );
        let other = County::new(CountyCode::new(430103).expect("county"));
        assert_eq!(
            run(&mut receiving, CountyCommand::Import(Box::new(other))),
            Err(Rejection::OutOfScope)
        );
    }
}
