//! When candidates arrive. Registration opens on day 1 at 08:00 with a surge (by default 30%
//! of the population in the first two hours), the rest of day 1 brings 20%, and the remaining
//! half spreads over the other days of the window between 08:00 and 22:00.
//!
//! The profile is piecewise constant, so its cumulative distribution is piecewise linear and
//! can be inverted exactly: candidate `i` of `n` arrives at `F⁻¹((i + ½) / n)`. That gives a
//! monotone, table-free schedule — the dispatcher walks `i` upwards and never holds more
//! than the next candidate in memory.

/// Seconds from the opening (day 1, 08:00) to each segment's start and end, and the share
/// of all arrivals in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArrivalProfile {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
struct Segment {
    start_seconds: f64,
    end_seconds: f64,
    share: f64,
}

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;

impl ArrivalProfile {
    /// The registration-day profile: `surge_percent` in the first two hours, 20% in the rest
    /// of day 1 (to 22:00), the remainder evenly over days 2..=`window_days`, 08:00–22:00.
    pub fn registration_window(surge_percent: f64, window_days: u32) -> ArrivalProfile {
        let surge = surge_percent.clamp(0.0, 80.0) / 100.0;
        let mut segments = vec![
            Segment {
                start_seconds: 0.0,
                end_seconds: 2.0 * HOUR,
                share: surge,
            },
            Segment {
                start_seconds: 2.0 * HOUR,
                end_seconds: 14.0 * HOUR,
                share: 0.2,
            },
        ];
        let later_days = window_days.max(2) - 1;
        let rest = 1.0 - surge - 0.2;
        for day in 1..=later_days {
            let start = f64::from(day) * DAY;
            segments.push(Segment {
                start_seconds: start,
                end_seconds: start + 14.0 * HOUR,
                share: rest / f64::from(later_days),
            });
        }
        ArrivalProfile { segments }
    }

    /// The share of arrivals before `seconds` after the opening.
    pub fn cumulative(&self, seconds: f64) -> f64 {
        let mut total = 0.0;
        for segment in &self.segments {
            if seconds >= segment.end_seconds {
                total += segment.share;
            } else if seconds > segment.start_seconds {
                total += segment.share * (seconds - segment.start_seconds)
                    / (segment.end_seconds - segment.start_seconds);
            }
        }
        total.min(1.0)
    }

    /// When the arrival at quantile `q` (0..1) happens, in seconds after the opening.
    pub fn inverse(&self, q: f64) -> f64 {
        let mut remaining = q.clamp(0.0, 1.0);
        for segment in &self.segments {
            if remaining <= segment.share {
                let fraction = if segment.share > 0.0 {
                    remaining / segment.share
                } else {
                    0.0
                };
                return segment.start_seconds
                    + fraction * (segment.end_seconds - segment.start_seconds);
            }
            remaining -= segment.share;
        }
        self.segments.last().map_or(0.0, |last| last.end_seconds)
    }
}

/// The candidates (by arrival index) of a population of `candidates` who arrive between
/// `from_seconds` and `to_seconds` after the opening, and each one's arrival time.
#[derive(Debug, Clone)]
pub struct Arrivals {
    profile: ArrivalProfile,
    candidates: u64,
    /// First index in the replayed stretch.
    pub first: u64,
    /// One past the last.
    pub end: u64,
}

impl Arrivals {
    /// The stretch `[from_seconds, to_seconds)` of the day.
    pub fn between(
        profile: ArrivalProfile,
        candidates: u64,
        from_seconds: f64,
        to_seconds: f64,
    ) -> Arrivals {
        let index_at = |seconds: f64| -> u64 {
            // Candidate i arrives at F⁻¹((i + ½)/n): the first i with (i + ½)/n ≥ F(t).
            let quantile = profile.cumulative(seconds);
            ((quantile * candidates as f64 - 0.5).ceil().max(0.0) as u64).min(candidates)
        };
        let first = index_at(from_seconds);
        let end = index_at(to_seconds);
        Arrivals {
            profile,
            candidates,
            first,
            end,
        }
    }

    /// How many arrive in the stretch.
    pub fn len(&self) -> u64 {
        self.end - self.first
    }

    /// Whether none do.
    pub fn is_empty(&self) -> bool {
        self.end == self.first
    }

    /// When candidate `index` arrives, in seconds after the opening.
    pub fn at(&self, index: u64) -> f64 {
        self.profile
            .inverse((index as f64 + 0.5) / self.candidates.max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_surge_takes_its_share() {
        let profile = ArrivalProfile::registration_window(30.0, 5);
        assert!((profile.cumulative(2.0 * HOUR) - 0.30).abs() < 1e-9);
        assert!((profile.cumulative(14.0 * HOUR) - 0.50).abs() < 1e-9);
        assert!((profile.cumulative(10.0 * DAY) - 1.0).abs() < 1e-9);
        // Nights are empty: nobody arrives between 22:00 and 08:00.
        assert_eq!(
            profile.cumulative(15.0 * HOUR),
            profile.cumulative(23.0 * HOUR)
        );
    }

    #[test]
    fn inverse_undoes_cumulative_and_is_monotone() {
        let profile = ArrivalProfile::registration_window(30.0, 5);
        let mut previous = -1.0;
        for step in 0..=1000 {
            let q = f64::from(step) / 1000.0;
            let t = profile.inverse(q);
            assert!(t >= previous, "monotone at {q}");
            assert!(
                (profile.cumulative(t) - q).abs() < 1e-9,
                "round trip at {q}"
            );
            previous = t;
        }
    }

    #[test]
    fn the_peak_hour_of_hunan_is_fifteen_percent() {
        let profile = ArrivalProfile::registration_window(30.0, 5);
        let peak = Arrivals::between(profile, 700_000, 0.0, HOUR);
        assert_eq!((peak.first, peak.len()), (0, 105_000));
        assert!(peak.at(peak.end - 1) < HOUR);
        assert!(peak.at(peak.end) >= HOUR);
        let second = Arrivals::between(peak.profile.clone(), 700_000, HOUR, 2.0 * HOUR);
        assert_eq!(second.first, peak.end, "stretches tile without gaps");
    }
}
