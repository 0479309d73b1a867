//! Where and when the adult exam registers: confirmation points (报名确认点) — proposed by
//! a county, reviewed by its city, approved by the province — and the year's calendar as
//! data: registration windows that can differ by city and by household registration (the
//! 2019 plan: 长沙, 株洲, 衡阳, 岳阳 and 怀化 register local-hukou candidates 9/2–9/5 and
//! everyone 9/6–9/11, the other cities everyone 9/2–9/11), the points' working hours
//! (8–12 and 15–18), and the payment deadline.

use super::rejection::Rejection;
use super::volunteer::Level;
use crate::org::{CityCode, PointCode};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A confirmation point's approval, level by level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PointApproval {
    /// Proposed by the county; the city reviews it next.
    Proposed,
    /// The city passed it; the province approves it next.
    CityReviewed,
    /// Approved by the province: candidates may choose it.
    Approved,
    /// Refused by the city or the province, with the reason.
    Refused,
}

/// A confirmation point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationPoint {
    /// Its code (a county's point code).
    pub code: PointCode,
    /// Its name.
    pub name: String,
    /// 联系人.
    pub contact: String,
    /// 联系电话.
    pub phone: String,
    /// The levels it confirms.
    pub levels: Vec<Level>,
    /// Designated for medical candidates (医卫类审核点).
    pub medical: bool,
    /// Designated for candidates under 17 (低龄审核点).
    pub under_17: bool,
    /// Where its approval stands.
    pub approval: PointApproval,
    /// Why it was refused, when it was.
    pub refused_because: Option<String>,
}

impl ConfirmationPoint {
    /// Whether this point may take a candidate of `level`, medical or not, under 17 or not:
    /// approved, confirming the level, and — for the medical and the young — designated.
    pub fn takes(&self, level: Level, medical: bool, under_17: bool) -> Result<(), Rejection> {
        if self.approval != PointApproval::Approved {
            return Err(Rejection::PointNotForCandidate(format!(
                "point {} is not approved as a confirmation point",
                self.code
            )));
        }
        if !self.levels.contains(&level) {
            return Err(Rejection::PointNotForCandidate(format!(
                "point {} does not confirm {} candidates",
                self.code,
                level.chinese()
            )));
        }
        if medical && !self.medical {
            return Err(Rejection::PointNotForCandidate(format!(
                "medical candidates choose a point designated for them; {} is not",
                self.code
            )));
        }
        if under_17 && !self.under_17 {
            return Err(Rejection::PointNotForCandidate(format!(
                "candidates under 17 choose a point designated for them; {} is not",
                self.code
            )));
        }
        Ok(())
    }
}

/// Which cities a window is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cities {
    /// Every city.
    All,
    /// These cities (four-digit codes).
    Only(Vec<u16>),
    /// Every city but these.
    Except(Vec<u16>),
}

impl Cities {
    fn contains(&self, city: u16) -> bool {
        match self {
            Cities::All => true,
            Cities::Only(cities) => cities.contains(&city),
            Cities::Except(cities) => !cities.contains(&city),
        }
    }
}

/// One registration window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationWindow {
    /// The cities it is for (the city where the candidate registers and is confirmed).
    pub cities: Cities,
    /// Only candidates whose household registration is in that city.
    pub local_hukou_only: bool,
    /// Opens (inclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub opens_at: Timestamp,
    /// Closes (exclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub closes_at: Timestamp,
}

/// `working_hours` in the OpenAPI document: pairs of minutes of the day.
#[cfg(feature = "openapi")]
fn working_hours_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let minute = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(24 * 60));
    let pair = ArrayBuilder::new()
        .items(minute)
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new().items(pair).build()
}

/// The year's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdultCalendar {
    /// Registration (self-registration, edits, choosing a point, confirmation).
    pub registration: Vec<RegistrationWindow>,
    /// The points' working hours, China Standard Time minutes of the day, `[from, to)`.
    #[cfg_attr(feature = "openapi", schema(schema_with = working_hours_schema))]
    pub working_hours: Vec<(u32, u32)>,
    /// Paying closes (the 2019 plan: with registration).
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub payment_closes_at: Timestamp,
    /// The day ages are counted on (under 17 or not), `YYYY-MM-DD`.
    #[serde(with = "crate::time::date_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub age_reference: crate::time::Date,
}

impl AdultCalendar {
    /// Nothing open, no hours: until the province sets the calendar.
    pub fn closed() -> AdultCalendar {
        AdultCalendar {
            registration: Vec::new(),
            working_hours: Vec::new(),
            payment_closes_at: Timestamp(0),
            age_reference: crate::time::Date::new(1970, 1, 1)
                .unwrap_or_else(|| unreachable!("a valid date")),
        }
    }

    /// The 2019 plan's calendar moved to `year`: the five cities' local-hukou days first.
    pub fn plan_2019(year: i32) -> Option<AdultCalendar> {
        let at = |month: u32, day: u32| {
            crate::time::Date::new(year, month, day).map(|date| Timestamp::from_cst(date, 0, 0))
        };
        let five = vec![4301, 4302, 4304, 4306, 4312];
        Some(AdultCalendar {
            registration: vec![
                RegistrationWindow {
                    cities: Cities::Only(five.clone()),
                    local_hukou_only: true,
                    opens_at: at(9, 2)?,
                    closes_at: at(9, 6)?,
                },
                RegistrationWindow {
                    cities: Cities::Only(five.clone()),
                    local_hukou_only: false,
                    opens_at: at(9, 6)?,
                    closes_at: at(9, 12)?,
                },
                RegistrationWindow {
                    cities: Cities::Except(five),
                    local_hukou_only: false,
                    opens_at: at(9, 2)?,
                    closes_at: at(9, 12)?,
                },
            ],
            working_hours: vec![(8 * 60, 12 * 60), (15 * 60, 18 * 60)],
            payment_closes_at: at(9, 12)?,
            age_reference: crate::time::Date::new(year, 10, 26)?,
        })
    }

    /// Whether a candidate registering in `city`, with household registration in
    /// `hukou_city`, may register now; if not, why, naming when it opens for them.
    pub fn registration_open(
        &self,
        city: CityCode,
        hukou_city: u16,
        now: Timestamp,
    ) -> Result<(), Rejection> {
        let theirs = self.registration.iter().filter(|window| {
            window.cities.contains(city.code())
                && (!window.local_hukou_only || hukou_city == city.code())
        });
        let mut next: Option<Timestamp> = None;
        for window in theirs {
            if window.opens_at <= now && now < window.closes_at {
                return Ok(());
            }
            if window.opens_at > now {
                next =
                    Some(next.map_or(window.opens_at, |best: Timestamp| best.min(window.opens_at)));
            }
        }
        Err(Rejection::RegistrationClosed(match next {
            Some(opens) => format!(
                "registration in city {} opens for you at {} (China Standard Time){}",
                city.code(),
                opens.cst_text(),
                if hukou_city == city.code() {
                    ""
                } else {
                    "; the days before are for candidates registered locally (户籍)"
                }
            ),
            None => format!("registration in city {} is closed", city.code()),
        }))
    }

    /// Whether any registration window is open now (for accounts).
    pub fn any_open(&self, now: Timestamp) -> bool {
        self.registration
            .iter()
            .any(|window| window.opens_at <= now && now < window.closes_at)
    }

    /// Whether `now` is within the points' working hours; if not, the hours.
    pub fn within_hours(&self, now: Timestamp) -> Result<(), Rejection> {
        let (_, hour, minute) = now.to_cst();
        let minute_of_day = hour * 60 + minute;
        if self
            .working_hours
            .iter()
            .any(|(from, to)| (*from..*to).contains(&minute_of_day))
        {
            return Ok(());
        }
        Err(Rejection::OutsideWorkingHours {
            hours: self.hours_text(),
        })
    }

    /// The working hours as people read them (`08:00–12:00, 15:00–18:00`).
    pub fn hours_text(&self) -> String {
        self.working_hours
            .iter()
            .map(|(from, to)| {
                format!(
                    "{:02}:{:02}–{:02}:{:02}",
                    from / 60,
                    from % 60,
                    to / 60,
                    to % 60
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether paying is still open.
    pub fn payment_open(&self, now: Timestamp) -> Result<(), Rejection> {
        if now < self.payment_closes_at {
            Ok(())
        } else {
            Err(Rejection::PaymentClosed(self.payment_closes_at.cst_text()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Date;

    fn at(month: u32, day: u32, hour: u32) -> Timestamp {
        Timestamp::from_cst(Date::new(2026, month, day).expect("date"), hour, 0)
    }

    fn city(code: u16) -> CityCode {
        CityCode::new(code).expect("city")
    }

    #[test]
    fn the_five_cities_register_local_candidates_first() {
        let calendar = AdultCalendar::plan_2019(2026).expect("calendar");
        // 长沙 on 9/3: its own hukou only.
        assert_eq!(
            calendar.registration_open(city(4301), 4301, at(9, 3, 10)),
            Ok(())
        );
        let refused = calendar
            .registration_open(city(4301), 4305, at(9, 3, 10))
            .expect_err("not local");
        assert_eq!(refused.code(), "adult_registration_closed");
        assert!(
            refused.to_string().contains("2026-09-06 00:00"),
            "{refused}"
        );
        assert_eq!(
            calendar.registration_open(city(4301), 4305, at(9, 6, 10)),
            Ok(())
        );
        // 邵阳 (not among the five) registers everyone from 9/2.
        assert_eq!(
            calendar.registration_open(city(4305), 4301, at(9, 2, 0)),
            Ok(())
        );
        // Nobody after 9/11.
        assert!(
            calendar
                .registration_open(city(4305), 4305, at(9, 12, 0))
                .is_err()
        );
        assert!(
            calendar
                .registration_open(city(4301), 4301, at(9, 1, 23))
                .is_err()
        );
    }

    #[test]
    fn confirmations_are_taken_in_working_hours_only() {
        let calendar = AdultCalendar::plan_2019(2026).expect("calendar");
        for hour in [8, 11, 15, 17] {
            assert_eq!(calendar.within_hours(at(9, 3, hour)), Ok(()), "{hour}");
        }
        for hour in [7, 12, 14, 18, 22] {
            let refused = calendar.within_hours(at(9, 3, hour)).expect_err("closed");
            assert!(refused.to_string().contains("08:00–12:00, 15:00–18:00"));
        }
    }

    #[test]
    fn designated_points_alone_take_medical_and_young_candidates() {
        let mut point = ConfirmationPoint {
            code: PointCode::new(crate::org::CountyCode::new(430102).expect("county"), 5)
                .expect("point"),
            name: "芙蓉区成人高考确认点".into(),
            contact: "王老师".into(),
            phone: "0731-1234567".into(),
            levels: vec![Level::HighToJunior, Level::JuniorToBachelor],
            medical: false,
            under_17: false,
            approval: PointApproval::Approved,
            refused_because: None,
        };
        assert_eq!(point.takes(Level::HighToJunior, false, false), Ok(()));
        assert!(point.takes(Level::HighToBachelor, false, false).is_err());
        assert!(point.takes(Level::HighToJunior, true, false).is_err());
        assert!(point.takes(Level::HighToJunior, false, true).is_err());
        point.medical = true;
        point.under_17 = true;
        assert_eq!(point.takes(Level::HighToJunior, true, true), Ok(()));
        point.approval = PointApproval::CityReviewed;
        assert!(point.takes(Level::HighToJunior, false, false).is_err());
    }
}
