//! The province's admission settings: region time slots, rate limits, the overload guard,
//! the waiting room and the pause switch. Read and replaced live through `/v1/admission`,
//! stored durably, validated here so that a bad setting is refused whole and changes nothing.

use engine::org::{CityCode, Province};
use engine::time::{Timestamp, minute_of_day};
use serde::{Deserialize, Serialize};

/// Everything admission control is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionConfig {
    /// Candidate-facing writes are refused (503) while set; reads, operators and callbacks
    /// keep working.
    pub paused: bool,
    /// The `Retry-After` paused requests get.
    pub pause_retry_after_seconds: u32,
    /// Region time slots.
    pub slots: SlotPlan,
    /// Rates and the overload guard.
    pub limits: Limits,
    /// Queue tickets instead of bare refusals.
    pub waiting_room: WaitingRoomConfig,
}

/// When the slot plan applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlotMode {
    /// Never: every region may register at any time.
    Off,
    /// Always: a region is served only within its slots.
    Always,
    /// Only while the gateway is loaded beyond `load_threshold_percent` of its in-flight
    /// limit: off-slot regions are the first to be turned away.
    WhenLoaded,
}

/// Region time slots ("cities A–E 08:00–10:00, F–J 10:00–12:00").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotPlan {
    /// When the plan applies.
    pub mode: SlotMode,
    /// For `when_loaded`: in-flight requests as a percentage of the limit.
    pub load_threshold_percent: u8,
    /// The slots. A city in no slot is not restricted.
    pub slots: Vec<Slot>,
}

/// One slot: these cities, between these times of day (China Standard Time). A slot whose
/// close is before its open runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// Four-digit city codes (4301 长沙市, ...).
    pub cities: Vec<u16>,
    /// `HH:MM`.
    pub opens: String,
    /// `HH:MM`.
    pub closes: String,
}

/// Rates and the overload guard. A rate of 0 means unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Candidate requests admitted per second, all regions together.
    pub global_requests_per_second: u32,
    /// Candidate requests admitted per second per region (city).
    pub region_requests_per_second: u32,
    /// Payment and identity callbacks per second (never shed by slots; providers retry).
    pub callback_requests_per_second: u32,
    /// Login attempts per account per minute (credential stuffing).
    pub login_attempts_per_account_per_minute: u32,
    /// Login attempts per client address per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Candidate requests in flight at most (the guard's ceiling).
    pub max_in_flight: u32,
    /// The adaptive limit never goes below this.
    pub min_in_flight: u32,
    /// How long a candidate request may wait for a place before it is shed.
    pub max_queue_milliseconds: u32,
    /// Mean service time above which the guard lowers its limit (0: fixed limit).
    pub target_latency_milliseconds: u32,
}

/// The waiting room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitingRoomConfig {
    /// Whether shed candidates get queue tickets.
    pub enabled: bool,
    /// Ticket holders admitted per second per region while there is capacity.
    pub admit_per_second_per_region: u32,
    /// How long a ticket stays valid.
    pub ticket_ttl_seconds: u32,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            paused: false,
            pause_retry_after_seconds: 300,
            slots: SlotPlan {
                mode: SlotMode::Off,
                load_threshold_percent: 80,
                slots: Vec::new(),
            },
            limits: Limits {
                global_requests_per_second: 0,
                region_requests_per_second: 0,
                callback_requests_per_second: 5000,
                login_attempts_per_account_per_minute: 10,
                login_attempts_per_ip_per_minute: 600,
                max_in_flight: 128,
                min_in_flight: 8,
                max_queue_milliseconds: 250,
                target_latency_milliseconds: 100,
            },
            waiting_room: WaitingRoomConfig {
                enabled: true,
                admit_per_second_per_region: 50,
                ticket_ttl_seconds: 1800,
            },
        }
    }
}

/// Why a configuration is refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The offending field, as a JSON path.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn refuse(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A slot plan checked against the province and turned into minute ranges per city.
#[derive(Debug, Clone, Default)]
pub struct CompiledSlots {
    /// `(city, opens minute, closes minute)`.
    ranges: Vec<(u16, u32, u32)>,
}

/// Where a region stands against its slots at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// The region has no slot: unrestricted.
    Unrestricted,
    /// Within one of its slots.
    Open,
    /// Outside: its next slot opens in this many seconds.
    Closed {
        /// Seconds until the next opening.
        opens_in_seconds: u64,
    },
}

impl CompiledSlots {
    /// The state of `city` at `now`.
    pub fn state(&self, city: CityCode, now: Timestamp) -> SlotState {
        let (_, hour, minute) = now.to_cst();
        let second_of_minute = u64::try_from(now.0.div_euclid(1000).rem_euclid(60)).unwrap_or(0);
        let current = hour * 60 + minute;
        let mut next_in_minutes: Option<u32> = None;
        for &(code, opens, closes) in &self.ranges {
            if code != city.code() {
                continue;
            }
            let inside = if opens < closes {
                (opens..closes).contains(&current)
            } else {
                current >= opens || current < closes
            };
            if inside {
                return SlotState::Open;
            }
            let until = (opens + 1440 - current) % 1440;
            next_in_minutes = Some(next_in_minutes.map_or(until, |best| best.min(until)));
        }
        match next_in_minutes {
            None => SlotState::Unrestricted,
            Some(minutes) => SlotState::Closed {
                opens_in_seconds: (u64::from(minutes) * 60)
                    .saturating_sub(second_of_minute)
                    .max(1),
            },
        }
    }

    /// The slots of `city` as `HH:MM–HH:MM`, for messages.
    pub fn describe(&self, city: CityCode) -> String {
        self.ranges
            .iter()
            .filter(|(code, ..)| *code == city.code())
            .map(|(_, opens, closes)| {
                format!(
                    "{:02}:{:02}–{:02}:{:02}",
                    opens / 60,
                    opens % 60,
                    closes / 60,
                    closes % 60
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl AdmissionConfig {
    /// Checks every field; on success, the slots compiled for evaluation.
    pub fn validate(&self, province: &Province) -> Result<CompiledSlots, ConfigError> {
        let limits = &self.limits;
        if limits.max_in_flight == 0 {
            return Err(refuse("limits.max_in_flight", "must be at least 1"));
        }
        if limits.min_in_flight == 0 || limits.min_in_flight > limits.max_in_flight {
            return Err(refuse(
                "limits.min_in_flight",
                "must be between 1 and limits.max_in_flight",
            ));
        }
        if limits.max_queue_milliseconds > 60_000 {
            return Err(refuse(
                "limits.max_queue_milliseconds",
                "must be at most 60000 (a minute)",
            ));
        }
        if limits.callback_requests_per_second == 0 {
            return Err(refuse(
                "limits.callback_requests_per_second",
                "callbacks must never be shut out: give a positive rate",
            ));
        }
        for (field, value) in [
            (
                "limits.login_attempts_per_account_per_minute",
                limits.login_attempts_per_account_per_minute,
            ),
            (
                "limits.login_attempts_per_ip_per_minute",
                limits.login_attempts_per_ip_per_minute,
            ),
        ] {
            if value == 0 {
                return Err(refuse(
                    field,
                    "login limits must be positive (pause instead to stop candidates)",
                ));
            }
        }
        if self.slots.load_threshold_percent == 0 || self.slots.load_threshold_percent > 100 {
            return Err(refuse(
                "slots.load_threshold_percent",
                "must be between 1 and 100",
            ));
        }
        if self.waiting_room.enabled && self.waiting_room.admit_per_second_per_region == 0 {
            return Err(refuse(
                "waiting_room.admit_per_second_per_region",
                "an enabled waiting room must admit someone",
            ));
        }
        if self.waiting_room.ticket_ttl_seconds == 0 {
            return Err(refuse(
                "waiting_room.ticket_ttl_seconds",
                "must be positive",
            ));
        }
        let mut ranges = Vec::new();
        for (index, slot) in self.slots.slots.iter().enumerate() {
            let field = |name: &str| format!("slots.slots[{index}].{name}");
            let opens = minute_of_day(&slot.opens)
                .ok_or_else(|| refuse(field("opens"), "must be HH:MM (00:00–23:59)"))?;
            let closes = minute_of_day(&slot.closes)
                .ok_or_else(|| refuse(field("closes"), "must be HH:MM (00:00–23:59)"))?;
            if opens == closes {
                return Err(refuse(field("closes"), "a slot must not be empty"));
            }
            if slot.cities.is_empty() {
                return Err(refuse(field("cities"), "name at least one city"));
            }
            for &city in &slot.cities {
                let known = CityCode::new(city).is_some_and(|code| province.city(code).is_some());
                if !known {
                    return Err(refuse(
                        field("cities"),
                        format!("{city} is not a city of {}", province.name),
                    ));
                }
                ranges.push((city, opens, closes));
            }
        }
        Ok(CompiledSlots { ranges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::time::Date;

    fn at(hour: u32, minute: u32) -> Timestamp {
        Timestamp::from_cst(Date::new(2026, 11, 21).expect("date"), hour, minute)
    }

    fn plan(slots: Vec<Slot>) -> AdmissionConfig {
        AdmissionConfig {
            slots: SlotPlan {
                mode: SlotMode::Always,
                load_threshold_percent: 80,
                slots,
            },
            ..AdmissionConfig::default()
        }
    }

    fn slot(cities: &[u16], opens: &str, closes: &str) -> Slot {
        Slot {
            cities: cities.to_vec(),
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    #[test]
    fn regions_are_open_only_within_their_slots() {
        let province = Province::hunan();
        let compiled = plan(vec![
            slot(&[4301, 4302], "08:00", "10:00"),
            slot(&[4303], "10:00", "12:00"),
            slot(&[4304], "22:00", "02:00"),
        ])
        .validate(&province)
        .expect("valid");
        let city = |code| CityCode::new(code).expect("city");
        assert_eq!(compiled.state(city(4301), at(9, 0)), SlotState::Open);
        assert_eq!(
            compiled.state(city(4301), at(10, 0)),
            SlotState::Closed {
                opens_in_seconds: 22 * 3600
            }
        );
        assert_eq!(
            compiled.state(city(4303), at(9, 30)),
            SlotState::Closed {
                opens_in_seconds: 30 * 60
            }
        );
        assert_eq!(compiled.state(city(4304), at(1, 0)), SlotState::Open);
        assert_eq!(compiled.state(city(4304), at(23, 0)), SlotState::Open);
        assert_eq!(
            compiled.state(city(4305), at(3, 0)),
            SlotState::Unrestricted
        );
        assert_eq!(compiled.describe(city(4304)), "22:00–02:00");
    }

    #[test]
    fn bad_settings_are_refused_by_field() {
        let province = Province::hunan();
        let refused =
            |config: AdmissionConfig| config.validate(&province).expect_err("refused").field;
        assert_eq!(
            refused(plan(vec![slot(&[4301], "8:00", "10:00")])),
            "slots.slots[0].opens"
        );
        assert_eq!(
            refused(plan(vec![slot(&[4301], "08:00", "24:00")])),
            "slots.slots[0].closes"
        );
        assert_eq!(
            refused(plan(vec![slot(&[4301], "08:00", "08:00")])),
            "slots.slots[0].closes"
        );
        assert_eq!(
            refused(plan(vec![slot(&[4399], "08:00", "10:00")])),
            "slots.slots[0].cities"
        );
        assert_eq!(
            refused(plan(vec![slot(&[], "08:00", "10:00")])),
            "slots.slots[0].cities"
        );
        let mut config = AdmissionConfig::default();
        config.limits.login_attempts_per_ip_per_minute = 0;
        assert_eq!(refused(config), "limits.login_attempts_per_ip_per_minute");
        let mut config = AdmissionConfig::default();
        config.limits.min_in_flight = 500;
        assert_eq!(refused(config), "limits.min_in_flight");
        let mut config = AdmissionConfig::default();
        config.limits.callback_requests_per_second = 0;
        assert_eq!(refused(config), "limits.callback_requests_per_second");
        assert!(AdmissionConfig::default().validate(&province).is_ok());
    }
}
