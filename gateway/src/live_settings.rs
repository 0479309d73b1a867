//! The province's live settings (admission control, the pause switch, the windows) in force
//! on every node, whichever node changed them. A change is committed like any write (to the
//! log's organisation partition in Kafka mode, so every node's follower applies it to its
//! projection); each node reads the stored settings every [`REFRESH_INTERVAL`] and puts a
//! changed one in force. Each setting's version (a digest of its stored bytes) is what
//! `GET /v1/admission` shows, so an operator can see every node has the same.

use crate::admission::config::AdmissionConfig;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use engine::schedule::Schedule;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use storage::StateStore as _;

/// How often a node looks for settings changed on another node. Two reads of the local
/// projection a second: nothing on the hot path.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// The version of each setting in force on this node.
#[derive(Debug, Default)]
pub struct Versions(Mutex<BTreeMap<&'static str, String>>);

impl Versions {
    /// Every setting's version in force here.
    pub fn snapshot(&self) -> BTreeMap<&'static str, String> {
        self.0.lock().map(|map| map.clone()).unwrap_or_default()
    }

    fn get(&self, name: &'static str) -> Option<String> {
        self.0.lock().ok()?.get(name).cloned()
    }

    /// Records that `bytes` of `name` are in force here.
    pub fn record(&self, name: &'static str, bytes: &[u8]) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(name, version(bytes));
        }
    }
}

/// A setting's version: the first 16 hex digits of its stored bytes' SHA-256.
pub fn version(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

fn malformed(name: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "setting_malformed",
        format!("the stored {name} setting cannot be applied: {error}"),
    )
}

/// Puts in force every stored setting that differs from what this node has in force.
pub async fn refresh(state: &AppState) -> Result<(), ApiError> {
    refresh_one(
        state,
        crate::routes::admission::SETTING,
        |config: AdmissionConfig| {
            state
                .admission
                .apply(config)
                .map_err(|error| error.to_string())
        },
    )
    .await?;
    refresh_one(
        state,
        crate::routes::schedule::SETTING,
        |schedule: Schedule| {
            put_schedule_in_force(state, schedule);
            Ok(())
        },
    )
    .await?;
    refresh_one(
        state,
        crate::app::settings::ADULT_CALENDAR,
        |calendar: engine::adult::confirmation::AdultCalendar| {
            put_adult_calendar_in_force(state, calendar);
            Ok(())
        },
    )
    .await?;
    refresh_one(
        state,
        crate::app::adult::reporting::SETTING,
        |reports: crate::app::adult::reporting::Reports| {
            put_adult_frozen_in_force(state, reports.frozen());
            Ok(())
        },
    )
    .await?;
    // Operator accounts: a disabled account or a changed password ends sessions here too.
    refresh_one(
        state,
        crate::accounts::SETTING,
        |directory: crate::accounts::Directory| {
            state.accounts.replace(directory);
            Ok(())
        },
    )
    .await
}

/// Reads setting `name`; if its version differs from the one in force here, decodes it and
/// `apply`s it, then records the version.
async fn refresh_one<T: serde::de::DeserializeOwned>(
    state: &AppState,
    name: &'static str,
    apply: impl FnOnce(T) -> Result<(), String>,
) -> Result<(), ApiError> {
    let Some(bytes) = state.store.setting(name).await? else {
        return Ok(());
    };
    if state.settings_versions.get(name) == Some(version(&bytes)) {
        return Ok(());
    }
    let value: T = serde_json::from_slice(&bytes).map_err(|error| malformed(name, error))?;
    apply(value).map_err(|error| malformed(name, error))?;
    state.settings_versions.record(name, &bytes);
    Ok(())
}

/// Puts `schedule` in force on this node (the policy stays as it is).
pub fn put_schedule_in_force(state: &AppState, schedule: Schedule) {
    state.settings.edit(|settings| settings.schedule = schedule);
}

/// Puts the adult exam's `calendar` in force on this node.
pub fn put_adult_calendar_in_force(
    state: &AppState,
    calendar: engine::adult::confirmation::AdultCalendar,
) {
    state
        .settings
        .edit(|settings| settings.adult.calendar = calendar);
}

/// Puts the adult exam's frozen (reported) counties in force on this node.
pub fn put_adult_frozen_in_force(
    state: &AppState,
    frozen: std::collections::BTreeSet<engine::org::CountyCode>,
) {
    state
        .settings
        .edit(|settings| settings.adult.frozen_counties = frozen);
}

/// Refreshes every [`REFRESH_INTERVAL`] for as long as the server runs.
pub fn spawn(state: actix_web::web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        loop {
            if let Err(error) = refresh(&state).await {
                tracing::warn!(%error, "live settings: refresh failed");
            }
            actix_web::rt::time::sleep(REFRESH_INTERVAL).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::admission::config::AdmissionConfig;
    use engine::schedule::{Schedule, Window, WindowKind};
    use engine::time::Timestamp;

    /// Golden bytes of the stored settings (JSON): a change here means a store written by the
    /// previous build holds settings this one reads differently. Append fields with serde
    /// defaults, then re-bless with `REG_BLESS_GOLDEN=1` (see storage/tests/golden.rs).
    #[test]
    fn stored_settings_are_exactly_the_checked_in_json() {
        let mut schedule = Schedule::default();
        schedule.set(
            WindowKind::Registration,
            Window::new(Timestamp(1_780_000_000_000), Timestamp(1_780_600_000_000)),
        );
        let stored = [
            (
                crate::routes::admission::SETTING,
                serde_json::to_string_pretty(&AdmissionConfig::default()).expect("encodes"),
            ),
            (
                crate::routes::schedule::SETTING,
                serde_json::to_string_pretty(&schedule).expect("encodes"),
            ),
            (
                crate::accounts::SETTING,
                serde_json::to_string_pretty(&crate::accounts::Directory::from([(
                    "county-430102".to_owned(),
                    crate::accounts::Account {
                        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"
                            .to_owned(),
                        scope: engine::scope::Scope::County(
                            engine::org::CountyCode::new(430102).expect("valid"),
                        ),
                        generation: 2,
                        disabled: false,
                        must_change_password: true,
                        created_by: "city-4301".to_owned(),
                    },
                )]))
                .expect("encodes"),
            ),
            (
                crate::accounts::SETUP_SETTING,
                serde_json::to_string_pretty(&crate::accounts::SetupToken {
                    token_sha256: "ab".repeat(32),
                })
                .expect("encodes"),
            ),
            (
                "point-details",
                serde_json::to_string_pretty(&std::collections::BTreeMap::from([(
                    1u16,
                    crate::app::county::PointDetails {
                        address: Some("永定区大庸路1号".to_owned()),
                        contact: Some("王老师".to_owned()),
                        phone: Some("0744-8221234".to_owned()),
                    },
                )]))
                .expect("encodes"),
            ),
            (
                "city-submission",
                serde_json::to_string_pretty(&crate::app::county::StoredCitySubmission {
                    submitted_at: Some(Timestamp(1_780_000_000_000)),
                    returned_because: Some("材料不全".to_owned()),
                })
                .expect("encodes"),
            ),
        ];
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let bless = std::env::var("REG_BLESS_GOLDEN").is_ok_and(|value| value == "1");
        for (name, json) in stored {
            let path = directory.join(format!("setting-{name}.json"));
            if bless {
                std::fs::create_dir_all(&directory).expect("golden directory");
                std::fs::write(&path, format!("{json}\n")).expect("writes");
                continue;
            }
            let golden = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(golden.trim(), json, "the stored {name} setting changed");
        }
        // And the checked-in JSON still reads back.
        if !bless {
            let admission: AdmissionConfig = serde_json::from_str(
                &std::fs::read_to_string(directory.join("setting-admission.json")).expect("golden"),
            )
            .expect("decodes");
            assert_eq!(
                serde_json::to_value(admission).expect("encodes"),
                serde_json::to_value(AdmissionConfig::default()).expect("encodes")
            );
        }
    }
}
