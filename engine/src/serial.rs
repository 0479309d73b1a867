//! Registration serial numbers (报名流水号) and the ranges counties divide among points.
//!
//! A serial number is eight digits: the county's four-digit city-county code (市县码) and a
//! four-digit sequence. The county divides its sequence space 0001–9999 into ranges, one or
//! more per point (optionally per subject category, 科类), in proportion to each point's
//! expected head-count. Ranges never overlap, a point never assigns outside its own ranges,
//! and running out is a clear, specific refusal: the county must allocate another range.

use crate::org::{CountyCode, PointCode};
use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The highest sequence number within a county.
pub const MAX_SEQUENCE: u16 = 9999;

/// Subject category (科类) for which a serial range may be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SubjectCategory {
    /// 物理类: physics as first-choice subject.
    Physics,
    /// 历史类: history as first-choice subject.
    History,
    /// 对口类: vocational (对口招生) candidates.
    Vocational,
}

/// An eight-digit registration serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SerialNumber(u32);

impl SerialNumber {
    /// The serial number of `sequence` in `county`.
    pub fn new(county: CountyCode, sequence: u16) -> Option<SerialNumber> {
        (1..=MAX_SEQUENCE).contains(&sequence).then(|| {
            SerialNumber(u32::from(county.city_county_code()) * 10_000 + u32::from(sequence))
        })
    }
    /// The four-digit city-county code.
    pub fn city_county_code(self) -> u16 {
        (self.0 / 10_000) as u16
    }
    /// The four-digit sequence.
    pub fn sequence(self) -> u16 {
        (self.0 % 10_000) as u16
    }
    /// The number as an integer (for index keys).
    pub fn as_u32(self) -> u32 {
        self.0
    }
    /// Parses the eight-digit printed form.
    pub fn parse(text: &str) -> Result<SerialNumber, Rejection> {
        let invalid = || Rejection::InvalidCode {
            kind: "serial number",
            value: text.to_owned(),
        };
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let value: u32 = text.parse().map_err(|_| invalid())?;
        let serial = SerialNumber(value);
        if serial.sequence() == 0 || serial.city_county_code().is_multiple_of(100) {
            return Err(invalid());
        }
        Ok(serial)
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08}", self.0)
    }
}

/// One contiguous range of sequences given to one point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialRange {
    /// The point that assigns from it.
    pub point: PointCode,
    /// Reserved for one subject category, or for any when `None`.
    pub category: Option<SubjectCategory>,
    /// First sequence, inclusive.
    pub first: u16,
    /// Last sequence, inclusive.
    pub last: u16,
    /// The next sequence this range will assign; `last + 1` once exhausted.
    pub next: u16,
}

impl SerialRange {
    /// Whether `other` is the same allocation (point, category and bounds), wherever each
    /// has got to.
    pub fn same_allocation(&self, other: &SerialRange) -> bool {
        (self.point, self.category, self.first, self.last)
            == (other.point, other.category, other.first, other.last)
    }

    fn overlaps(&self, first: u16, last: u16) -> bool {
        self.first <= last && first <= self.last
    }
    fn serves(&self, point: PointCode, category: SubjectCategory) -> bool {
        self.point == point && self.category.is_none_or(|reserved| reserved == category)
    }
}

/// All ranges of one county, with where each one has got to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeBook {
    ranges: Vec<SerialRange>,
}

impl RangeBook {
    /// The ranges, in allocation order.
    pub fn ranges(&self) -> &[SerialRange] {
        &self.ranges
    }

    /// Drops every range of `point` (a point closed before handing out a number): the
    /// numbers are free again.
    pub fn remove_point(&mut self, point: PointCode) {
        self.ranges.retain(|range| range.point != point);
    }

    /// Checks that `first..=last` may be given to a point: well-formed and overlapping none.
    pub fn check_allocation(&self, first: u16, last: u16) -> Result<(), Rejection> {
        if first == 0 || first > last || last > MAX_SEQUENCE {
            return Err(Rejection::SerialRangeInvalid { first, last });
        }
        if let Some(taken) = self.ranges.iter().find(|range| range.overlaps(first, last)) {
            return Err(Rejection::SerialRangeOverlap {
                first,
                last,
                holder: taken.point,
                holder_first: taken.first,
                holder_last: taken.last,
            });
        }
        Ok(())
    }

    /// Records an allocation already checked by [`RangeBook::check_allocation`].
    pub fn record_allocation(
        &mut self,
        point: PointCode,
        category: Option<SubjectCategory>,
        first: u16,
        last: u16,
    ) {
        self.ranges.push(SerialRange {
            point,
            category,
            first,
            last,
            next: first,
        });
    }

    /// The serial number `point` would assign next to a candidate of `category`.
    /// Ranges reserved for the category are used before unreserved ones.
    pub fn next_serial(
        &self,
        county: CountyCode,
        point: PointCode,
        category: SubjectCategory,
    ) -> Result<SerialNumber, Rejection> {
        let mut serving = self
            .ranges
            .iter()
            .filter(|range| range.serves(point, category))
            .peekable();
        if serving.peek().is_none() {
            return Err(Rejection::SerialRangeMissing { point });
        }
        let mut candidates: Vec<&SerialRange> = serving.filter(|r| r.next <= r.last).collect();
        candidates.sort_by_key(|range| (range.category.is_none(), range.first));
        let range = candidates
            .first()
            .ok_or(Rejection::SerialRangeExhausted { point })?;
        SerialNumber::new(county, range.next).ok_or(Rejection::SerialRangeExhausted { point })
    }

    /// Checks that `serial` lies in one of `point`'s ranges and has not been handed out.
    pub fn check_assignable(
        &self,
        point: PointCode,
        serial: SerialNumber,
    ) -> Result<(), Rejection> {
        let sequence = serial.sequence();
        let own = self
            .ranges
            .iter()
            .find(|range| range.point == point && (range.first..=range.last).contains(&sequence));
        match own {
            None => Err(Rejection::SerialOutsideRange { point, serial }),
            Some(range) if sequence < range.next => {
                Err(Rejection::SerialAlreadyAssigned { serial })
            }
            Some(_) => Ok(()),
        }
    }

    /// Advances the cursor of the range holding `serial` past it.
    pub fn record_assignment(&mut self, serial: SerialNumber) {
        let sequence = serial.sequence();
        if let Some(range) = self
            .ranges
            .iter_mut()
            .find(|range| (range.first..=range.last).contains(&sequence))
        {
            range.next = range.next.max(sequence + 1);
        }
    }

    /// Sequences still unallocated, as `(first, last)` runs.
    pub fn free_runs(&self) -> Vec<(u16, u16)> {
        let mut taken: Vec<(u16, u16)> = self.ranges.iter().map(|r| (r.first, r.last)).collect();
        taken.sort_unstable();
        let mut runs = Vec::new();
        let mut cursor = 1u16;
        for (first, last) in taken {
            if first > cursor {
                runs.push((cursor, first - 1));
            }
            cursor = cursor.max(last.saturating_add(1));
        }
        if cursor <= MAX_SEQUENCE {
            runs.push((cursor, MAX_SEQUENCE));
        }
        runs
    }
}

/// Divides `available` sequences starting at `first` among points in proportion to each
/// point's expected head-count (largest-remainder method, so the shares sum exactly).
/// Returns `(point, first, last)` for every point with a non-empty share.
pub fn plan_by_headcount(
    expected: &[(PointCode, u32)],
    first: u16,
    available: u16,
) -> Vec<(PointCode, u16, u16)> {
    let total: u64 = expected.iter().map(|&(_, count)| u64::from(count)).sum();
    if total == 0 || available == 0 {
        return Vec::new();
    }
    let mut shares: Vec<(usize, u64, u64)> = expected
        .iter()
        .enumerate()
        .map(|(index, &(_, count))| {
            let exact = u64::from(count) * u64::from(available);
            (index, exact / total, exact % total)
        })
        .collect();
    let assigned: u64 = shares.iter().map(|&(_, whole, _)| whole).sum();
    let mut leftover = u64::from(available) - assigned;
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(shares[i].2));
    for index in by_remainder {
        if leftover == 0 {
            break;
        }
        shares[index].1 += 1;
        leftover -= 1;
    }
    let mut cursor = first;
    let mut plan = Vec::new();
    for (index, size, _) in shares {
        if size == 0 {
            continue;
        }
        let last = cursor + (size as u16) - 1;
        plan.push((expected[index].0, cursor, last));
        cursor = last + 1;
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn county() -> CountyCode {
        CountyCode::new(430102).expect("valid")
    }
    fn point(number: u16) -> PointCode {
        PointCode::new(county(), number).expect("valid")
    }

    #[test]
    fn serial_numbers_start_with_the_city_county_code() {
        let serial = SerialNumber::new(county(), 7).expect("valid");
        assert_eq!(serial.to_string(), "01020007");
        assert_eq!(SerialNumber::parse("01020007"), Ok(serial));
        for bad in ["0102000", "010200071", "01020000", "0100 007", "abcdefgh"] {
            assert!(SerialNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn assignment_stays_inside_the_points_ranges_and_reports_exhaustion() {
        let mut book = RangeBook::default();
        book.check_allocation(1, 2).expect("free");
        book.record_allocation(point(1), None, 1, 2);
        assert_eq!(
            book.check_allocation(2, 5).expect_err("overlap").code(),
            "serial_range_overlap"
        );
        for expected in ["01020001", "01020002"] {
            let serial = book
                .next_serial(county(), point(1), SubjectCategory::Physics)
                .expect("left");
            assert_eq!(serial.to_string(), expected);
            book.record_assignment(serial);
        }
        let exhausted = book.next_serial(county(), point(1), SubjectCategory::Physics);
        assert_eq!(
            exhausted.expect_err("exhausted").code(),
            "serial_range_exhausted"
        );
        let none = book.next_serial(county(), point(2), SubjectCategory::Physics);
        assert_eq!(none.expect_err("no range").code(), "serial_range_missing");
        let foreign = SerialNumber::new(county(), 50).expect("valid");
        assert_eq!(
            book.check_assignable(point(1), foreign)
                .expect_err("outside")
                .code(),
            "serial_outside_range"
        );
    }

    #[test]
    fn category_ranges_are_used_first_and_only_by_their_category() {
        let mut book = RangeBook::default();
        book.record_allocation(point(1), None, 1, 100);
        book.record_allocation(point(1), Some(SubjectCategory::History), 101, 200);
        let history = book
            .next_serial(county(), point(1), SubjectCategory::History)
            .expect("ok");
        assert_eq!(history.sequence(), 101);
        let physics = book
            .next_serial(county(), point(1), SubjectCategory::Physics)
            .expect("ok");
        assert_eq!(physics.sequence(), 1);
    }

    #[test]
    fn free_runs_are_the_complement_of_allocations() {
        let mut book = RangeBook::default();
        book.record_allocation(point(1), None, 10, 19);
        book.record_allocation(point(2), None, 30, 9999);
        assert_eq!(book.free_runs(), vec![(1, 9), (20, 29)]);
    }

    proptest! {
        /// Whatever sequence of allocations and assignments is attempted, accepted ranges
        /// never overlap and no serial number is ever handed out twice or outside its point.
        #[test]
        fn allocation_never_overlaps_or_repeats(
            operations in prop::collection::vec((1u16..6, 0u16..10_010, 0u16..300, any::<bool>()), 1..120)
        ) {
            let mut book = RangeBook::default();
            let mut handed_out = std::collections::BTreeSet::new();
            for (number, start, length, assign) in operations {
                if assign {
                    if let Ok(serial) = book.next_serial(county(), point(number), SubjectCategory::Physics) {
                        prop_assert!(book.check_assignable(point(number), serial).is_ok());
                        prop_assert!(handed_out.insert(serial), "{} handed out twice", serial);
                        book.record_assignment(serial);
                    }
                } else {
                    let last = start.saturating_add(length);
                    if book.check_allocation(start, last).is_ok() {
                        book.record_allocation(point(number), None, start, last);
                    }
                }
            }
            let ranges = book.ranges();
            for (i, a) in ranges.iter().enumerate() {
                prop_assert!(a.first >= 1 && a.last <= MAX_SEQUENCE && a.first <= a.last);
                for b in &ranges[i + 1..] {
                    prop_assert!(!a.overlaps(b.first, b.last), "{:?} overlaps {:?}", a, b);
                }
            }
        }

        #[test]
        fn headcount_plan_covers_exactly_the_available_space(
            counts in prop::collection::vec(0u32..2000, 1..15), available in 1u16..9999
        ) {
            let expected: Vec<_> = counts.iter().enumerate().map(|(i, &c)| (point(i as u16 + 1), c)).collect();
            let plan = plan_by_headcount(&expected, 1, available);
            if counts.iter().all(|&c| c == 0) {
                prop_assert!(plan.is_empty());
            } else {
                let covered: u32 = plan.iter().map(|&(_, f, l)| u32::from(l - f + 1)).sum();
                prop_assert_eq!(covered, u32::from(available));
                for pair in plan.windows(2) {
                    prop_assert_eq!(pair[0].2 + 1, pair[1].1);
                }
            }
        }
    }
}
