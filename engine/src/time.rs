//! Time as the engine sees it: instants it is *given* (never reads), and civil dates.
//!
//! The engine never asks the system clock; every command is decided at a `Timestamp`
//! handed in by the caller, which is what makes replays and tests deterministic.
//! Calendar arithmetic is done here (Howard Hinnant's days-from-civil algorithm) rather
//! than with a date crate because the engine needs only three things: validate a date,
//! turn an instant into a civil date in China Standard Time, and print it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// China Standard Time is UTC+8 all year (no daylight saving); windows are announced in it.
pub const CST_OFFSET_SECONDS: i64 = 8 * 3600;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant `seconds` later (or earlier, if negative).
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whole seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).div_euclid(1000)
    }

    /// The civil date and time of this instant in China Standard Time.
    pub fn to_cst(self) -> (Date, u32, u32) {
        let local_seconds = self.0.div_euclid(1000) + CST_OFFSET_SECONDS;
        let days = local_seconds.div_euclid(86_400);
        let second_of_day = local_seconds.rem_euclid(86_400);
        (
            Date::from_days_since_epoch(days),
            (second_of_day / 3600) as u32,
            ((second_of_day % 3600) / 60) as u32,
        )
    }

    /// `YYYY-MM-DD HH:MM` in China Standard Time: the form the API exchanges and documents
    /// print (`Display` adds ` CST` for prose).
    pub fn cst_text(self) -> String {
        let (date, hour, minute) = self.to_cst();
        format!("{date} {hour:02}:{minute:02}")
    }

    /// Reads [`Timestamp::cst_text`]'s form back; `None` for anything else.
    pub fn parse_cst_text(text: &str) -> Option<Timestamp> {
        let (date, time) = text.split_once(' ')?;
        let minutes = minute_of_day(time)?;
        Some(Timestamp::from_cst(
            Date::parse(date)?,
            minutes / 60,
            minutes % 60,
        ))
    }

    /// Reads an RFC 3339 instant with whole seconds and an offset, as payment providers
    /// send them: `2026-11-29T09:30:00+08:00`, `…Z`. `None` for anything else.
    pub fn from_rfc3339(text: &str) -> Option<Timestamp> {
        let (date, rest) = text.split_once('T')?;
        let date = Date::parse(date)?;
        let (clock, offset_seconds) = match rest.strip_suffix('Z') {
            Some(clock) => (clock, 0),
            None => {
                let split = rest.rfind(['+', '-'])?;
                let (clock, offset) = rest.split_at(split);
                let sign = if offset.starts_with('-') { -1 } else { 1 };
                let minutes = i64::from(minute_of_day(&offset[1..])?);
                (clock, sign * minutes * 60)
            }
        };
        let (hour_minute, second) = clock.rsplit_once(':')?;
        let minutes = minute_of_day(hour_minute)?;
        let second: i64 = second
            .parse()
            .ok()
            .filter(|s| (0..60).contains(s) && second.len() == 2)?;
        let seconds =
            date.days_since_epoch() * 86_400 + i64::from(minutes) * 60 + second - offset_seconds;
        Some(Timestamp(seconds * 1000))
    }

    /// The instant at `hour:minute` China Standard Time on `date`.
    pub fn from_cst(date: Date, hour: u32, minute: u32) -> Timestamp {
        let seconds =
            date.days_since_epoch() * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60
                - CST_OFFSET_SECONDS;
        Timestamp(seconds * 1000)
    }
}

impl fmt::Display for Timestamp {
    /// `2022-11-01 08:00 CST`: the form candidates read in notices.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} CST", self.cst_text())
    }
}

/// Minutes after midnight of a time of day written `HH:MM` (two digits each, 00:00–23:59).
pub fn minute_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return None;
    }
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// A valid proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if `year-month-day` exists in the calendar.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// Parses `YYYYMMDD` (the form inside ID numbers) or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let digits: String = match text.len() {
            8 => text.to_owned(),
            10 if text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-' => {
                text.split('-').collect()
            }
            _ => return None,
        };
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = digits[0..4].parse().ok()?;
        let month = digits[4..6].parse().ok()?;
        let day = digits[6..8].parse().ok()?;
        Date::new(year, month, day)
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }
    /// Month, 1–12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }
    /// Day of month, 1–31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Whole years from `self` to `on` (an age when `self` is a birth date).
    pub fn years_until(self, on: Date) -> i32 {
        let mut years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }

    fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let month_index = (m + 9) % 12;
        let day_of_year = (153 * month_index + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::*;

    #[test]
    fn rfc3339_instants_with_offsets_read_exactly() {
        let cst = Timestamp::from_rfc3339("2026-11-29T09:30:00+08:00").expect("reads");
        assert_eq!(
            cst,
            Timestamp::from_rfc3339("2026-11-29T01:30:00Z").expect("reads")
        );
        assert_eq!(
            cst,
            Timestamp::from_rfc3339("2026-11-28T20:30:00-05:00").expect("reads")
        );
        assert_eq!(cst.cst_text(), "2026-11-29 09:30");
        for bad in [
            "2026-11-29 09:30:00+08:00",
            "2026-11-29T09:30+08:00",
            "2026-11-29T09:30:60Z",
            "2026-13-01T00:00:00Z",
            "",
        ] {
            assert!(Timestamp::from_rfc3339(bad).is_none(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cst_text_round_trips_and_refuses_other_forms() {
        let at = Timestamp::from_cst(Date::new(2026, 11, 21).expect("date"), 8, 5);
        assert_eq!(at.cst_text(), "2026-11-21 08:05");
        assert_eq!(at.to_string(), "2026-11-21 08:05 CST");
        assert_eq!(Timestamp::parse_cst_text("2026-11-21 08:05"), Some(at));
        for bad in [
            "2026-11-21",
            "2026-11-21 8:05",
            "2026-11-21 +1:05",
            "2026-11-21 24:00",
            "2026-02-30 08:00",
            "2026-11-21 08:05 CST",
        ] {
            assert_eq!(Timestamp::parse_cst_text(bad), None, "{bad}");
        }
        assert_eq!(minute_of_day("23:59"), Some(1439));
        assert_eq!(minute_of_day("-1:00"), None);
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2024, 13, 1).is_none());
        assert!(Date::parse("2024-04-31").is_none());
        assert_eq!(Date::parse("20050312"), Date::new(2005, 3, 12));
    }

    #[test]
    fn formats_instants_in_china_standard_time() {
        let opening = Timestamp::from_cst(Date::new(2022, 11, 1).expect("valid"), 8, 0);
        assert_eq!(opening.to_string(), "2022-11-01 08:00 CST");
        // 08:00 CST is midnight UTC.
        assert_eq!(opening.0 % 86_400_000, 0);
    }

    #[test]
    fn ages_count_whole_years() {
        let born = Date::new(2006, 6, 8).expect("valid");
        assert_eq!(born.years_until(Date::new(2023, 6, 7).expect("valid")), 16);
        assert_eq!(born.years_until(Date::new(2023, 6, 8).expect("valid")), 17);
    }

    proptest! {
        #[test]
        fn civil_days_round_trip(days in -1_000_000i64..1_000_000) {
            let date = Date::from_days_since_epoch(days);
            prop_assert_eq!(date.days_since_epoch(), days);
            prop_assert!(Date::new(date.year(), date.month(), date.day()).is_some());
        }
    }
}

/// `YYYY-MM-DD` text as a date's serde form (`#[serde(with = "date_text")]`), for records
/// whose dates are read and written by people (the adult exam's information): a malformed
/// or impossible date is refused when it is read.
pub mod date_text {
    use super::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    /// Reads `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Date::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a date (YYYY-MM-DD)")))
    }

    /// The same for an optional date (`null` when absent).
    pub mod option {
        use super::Date;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `YYYY-MM-DD` or nothing.
        pub fn serialize<S: Serializer>(
            date: &Option<Date>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => serializer.serialize_some(&date.to_string()),
                None => serializer.serialize_none(),
            }
        }

        /// Reads `YYYY-MM-DD` or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Date>, D::Error> {
            let text = Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.map(|text| {
                Date::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("'{text}' is not a date (YYYY-MM-DD)"))
                })
            })
            .transpose()
        }
    }
}
