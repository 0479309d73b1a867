//! The province's live settings, the use cases: its windows (§3) and admission control.
//! Only the province changes them; every change is committed durably before it takes effect
//! here (and, through `crate::live_settings`, on every other node within a second or so),
//! and lands in the audit trail like every operator request.

use crate::admission::config::AdmissionConfig;
use crate::app::AppError;
use crate::app::{province_only, store_setting};
use crate::sessions::Caller;
use crate::state::AppState;
use engine::schedule::{Schedule, Window, WindowKind};
use engine::time::Timestamp;

/// The schedule's name in the store.
pub const SCHEDULE: &str = "schedule";
/// The admission settings' name in the store.
pub const ADMISSION: &str = "admission";
/// The adult exam's calendar's name in the store.
pub const ADULT_CALENDAR: &str = "adult-calendar";

/// Replaces the adult exam's calendar (windows by city and household registration, the
/// points' hours, the payment deadline, the day ages count on): checked whole, durable,
/// then in force.
pub async fn set_adult_calendar(
    state: &AppState,
    caller: &Caller,
    calendar: engine::adult::confirmation::AdultCalendar,
) -> Result<(), AppError> {
    province_only(caller)?;
    for (index, window) in calendar.registration.iter().enumerate() {
        if window.closes_at <= window.opens_at {
            return Err(AppError::invalid(
                "window_empty",
                format!("registration[{index}]: closes_at must be after opens_at"),
            ));
        }
    }
    for (from, to) in &calendar.working_hours {
        if from >= to || *to > 24 * 60 {
            return Err(AppError::invalid(
                "working_hours_invalid",
                "working hours are [from, to) minutes of the day, 0–1440, from before to",
            ));
        }
    }
    store_setting(state, ADULT_CALENDAR, &calendar).await?;
    crate::live_settings::put_adult_calendar_in_force(state, calendar);
    Ok(())
}

/// The window named `name`.
pub fn window_kind(name: &str) -> Result<WindowKind, AppError> {
    WindowKind::ALL
        .into_iter()
        .find(|kind| kind.name() == name)
        .ok_or_else(|| {
            AppError::not_found(
                "window_not_found",
                format!(
                    "no window '{name}'; windows are {}",
                    WindowKind::ALL.map(WindowKind::name).join(", ")
                ),
            )
        })
}

/// Commits `schedule` durably, then puts it in force; returns it.
async fn put_schedule(state: &AppState, schedule: Schedule) -> Result<Schedule, AppError> {
    store_setting(state, SCHEDULE, &schedule).await?;
    crate::live_settings::put_schedule_in_force(state, schedule.clone());
    Ok(schedule)
}

/// Sets `kind` afresh (its extension history starts over).
pub async fn set_window(
    state: &AppState,
    caller: &Caller,
    kind: WindowKind,
    opens_at: Timestamp,
    closes_at: Timestamp,
) -> Result<Schedule, AppError> {
    province_only(caller)?;
    if closes_at <= opens_at {
        return Err(AppError::invalid(
            "window_empty",
            "closes_at must be after opens_at",
        ));
    }
    let mut schedule = state.settings.current().schedule.clone();
    schedule.set(kind, Window::new(opens_at, closes_at));
    put_schedule(state, schedule).await
}

/// Moves `kind`'s close later, keeping the history.
pub async fn extend_window(
    state: &AppState,
    caller: &Caller,
    kind: WindowKind,
    until: Timestamp,
) -> Result<Schedule, AppError> {
    province_only(caller)?;
    let mut schedule = state.settings.current().schedule.clone();
    schedule.extend(kind, until)?;
    put_schedule(state, schedule).await
}

/// Validates `config`, stores it durably, then applies it.
async fn put_admission(state: &AppState, config: AdmissionConfig) -> Result<(), AppError> {
    let invalid = |error: &dyn std::fmt::Display| {
        AppError::invalid("admission_config_invalid", error.to_string())
    };
    state
        .admission
        .check(&config)
        .map_err(|error| invalid(&error))?;
    store_setting(state, ADMISSION, &config).await?;
    state
        .admission
        .apply(config)
        .map_err(|error| invalid(&error))
}

/// Replaces the whole admission settings.
pub async fn replace_admission(
    state: &AppState,
    caller: &Caller,
    config: AdmissionConfig,
) -> Result<(), AppError> {
    province_only(caller)?;
    put_admission(state, config).await
}

/// The emergency switch: pause or resume candidate writes (and what paused requests are
/// told to wait, when given).
pub async fn pause(
    state: &AppState,
    caller: &Caller,
    paused: bool,
    retry_after_seconds: Option<u32>,
) -> Result<(), AppError> {
    province_only(caller)?;
    let mut config = state.admission.config();
    config.paused = paused;
    if let Some(seconds) = retry_after_seconds {
        config.pause_retry_after_seconds = seconds;
    }
    put_admission(state, config).await
}
