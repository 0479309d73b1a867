//! The demo province: Hunan's real divisions, with a few registration points per county and
//! serial ranges divided by head-count, so a newcomer has something to register against.
//!
//! Seeding goes through the same path as any county operator's work — `County::decide`,
//! then a durable commit of the events and the new snapshot — and is idempotent: a county
//! that already exists in the store is left as it is.

use engine::Rejection;
use engine::county::{County, CountyCommand, CountyEvent};
use engine::org::Province;
use engine::schedule::{Schedule, Window, WindowKind};
use engine::time::Timestamp;
use storage::{
    Commit, Journal, LogRecord, Partition, Payload, StateStore, StateUpdate, StorageError,
    StreamKey,
};

/// The first demo points of every county: name suffix and expected head-count. Further
/// points (a loadtest province has ~10 per county) are numbered schools of 600.
const NAMED_POINTS: [(&str, u32); 3] = [
    ("第一中学报名点", 1200),
    ("第二中学报名点", 900),
    ("职业中专报名点", 400),
];
/// Head-count of each point beyond the named ones.
const FURTHER_POINT_HEADCOUNT: u32 = 600;

/// The windows in force at start: as the province last set them; on a fresh store, the demo
/// cycle (every window open from yesterday for 30 days, so a newcomer can walk the whole flow
/// today) — or, outside the demo, none: a real deployment opens nothing until the province
/// sets its windows through `/v1/schedule`.
pub fn initial_schedule(stored: Option<Schedule>, demo: bool, now: Timestamp) -> Schedule {
    match stored {
        Some(schedule) => schedule,
        None if demo => {
            let mut schedule = Schedule::default();
            for kind in WindowKind::ALL {
                schedule.set(
                    kind,
                    Window::new(now.plus_seconds(-86_400), now.plus_seconds(30 * 86_400)),
                );
            }
            schedule
        }
        None => Schedule::default(),
    }
}

/// How the demo province is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoLayout {
    /// Registration points per county (1–99).
    pub points_per_county: u16,
    /// Serial-number sequences divided among a county's points (1–9999; the rest stay free
    /// for the county to divide later).
    pub sequences_per_county: u16,
}

impl Default for DemoLayout {
    fn default() -> Self {
        DemoLayout {
            points_per_county: 3,
            sequences_per_county: 3000,
        }
    }
}

impl DemoLayout {
    /// The points of one county: name and expected head-count.
    fn points(&self, county_name: &str) -> Vec<(String, u32)> {
        (0..usize::from(self.points_per_county))
            .map(|index| match NAMED_POINTS.get(index) {
                Some(&(suffix, headcount)) => (format!("{county_name}{suffix}"), headcount),
                None => (
                    format!("{county_name}第{}报名点", index + 1),
                    FURTHER_POINT_HEADCOUNT,
                ),
            })
            .collect()
    }
}

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Counties created now.
    pub counties_created: usize,
    /// Counties that already existed.
    pub counties_existing: usize,
    /// Points created now.
    pub points_created: usize,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The engine refused a seeding command (a bug in the demo data).
    #[error("demo data refused: {0}")]
    Refused(#[from] Rejection),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Seeds every county of `province` that the store does not have yet (one commit per
/// county, all in flight together, so the embedded store makes them durable in one group).
pub async fn seed(
    store: &(impl Journal + StateStore),
    province: &Province,
    layout: DemoLayout,
    now: Timestamp,
) -> Result<SeedReport, SeedError> {
    let schedule = Schedule::default();
    let mut commits = Vec::new();
    let mut report = SeedReport {
        counties_created: 0,
        counties_existing: 0,
        points_created: 0,
    };
    for division in &province.counties {
        if store.county(division.code).await?.is_some() {
            report.counties_existing += 1;
            continue;
        }
        let mut county = County::new(division.code);
        let mut events: Vec<CountyEvent> = Vec::new();
        let mut commands: Vec<CountyCommand> = layout
            .points(division.name)
            .into_iter()
            .zip(1u16..)
            .map(
                |((name, expected_headcount), number)| CountyCommand::CreatePoint {
                    number,
                    name,
                    expected_headcount,
                },
            )
            .collect();
        commands.push(CountyCommand::DivideByHeadcount {
            category: None,
            available: layout.sequences_per_county,
        });
        // Each county's first point registers migrant workers' children.
        if let Some(point) = engine::org::PointCode::new(division.code, 1) {
            commands.push(CountyCommand::DesignateForMigrantChildren { point });
        }
        for command in &commands {
            for event in county.decide(command, &schedule, now)? {
                county.apply(&event);
                events.push(event);
            }
        }
        report.counties_created += 1;
        report.points_created += county.points.len();
        let idempotency_key = format!("demo-seed/{}", division.code);
        commits.push(Commit {
            partition: Partition::Organisation,
            records: events
                .into_iter()
                .map(|event| LogRecord {
                    stream: StreamKey::County(division.code),
                    idempotency_key: idempotency_key.clone(),
                    recorded_at: now,
                    payload: Payload::County(event),
                })
                .collect(),
            updates: vec![StateUpdate::County(Box::new(county))],
        });
    }
    futures::future::try_join_all(commits.into_iter().map(|commit| store.commit(commit))).await?;
    Ok(report)
}

/// The demo's adult-exam calendar: every city registers everyone from a day ago for thirty
/// days, confirmations all day (so that the demo works whenever it is tried; a real
/// calendar has the plan's hours), payment for as long.
pub fn adult_calendar(now: Timestamp) -> engine::adult::confirmation::AdultCalendar {
    use engine::adult::confirmation::{AdultCalendar, Cities, RegistrationWindow};
    const DAY_MS: i64 = 86_400_000;
    AdultCalendar {
        registration: vec![RegistrationWindow {
            cities: Cities::All,
            local_hukou_only: false,
            opens_at: Timestamp(now.0 - DAY_MS),
            closes_at: Timestamp(now.0 + 30 * DAY_MS),
        }],
        working_hours: vec![(0, 24 * 60)],
        payment_closes_at: Timestamp(now.0 + 30 * DAY_MS),
        age_reference: Timestamp(now.0 + 60 * DAY_MS).to_cst().0,
    }
}

/// The demo's own candidate, captured at point 430102-001 when the demo starts, so that a
/// newcomer can register through the portal at once: its ID number and name are printed at
/// start and shown on the portal's login page in the demo.
pub struct DemoCandidate {
    /// The ID number (18 characters, valid).
    pub id_number: String,
    /// The name on the card.
    pub name: &'static str,
}

impl DemoCandidate {
    /// Always the same candidate (a girl born 2008-03-15 in 芙蓉区).
    pub fn new() -> DemoCandidate {
        let id_number = engine::time::Date::new(2008, 3, 15)
            .and_then(|birth| engine::id_number::IdNumber::from_parts(430102, birth, 888))
            .map(|id| id.expose().to_owned())
            .unwrap_or_default();
        DemoCandidate {
            id_number,
            name: "李小满",
        }
    }

    /// Captures the candidate at 430102-001 (a synthetic photo of the standard's size)
    /// unless already registered: idempotent across restarts.
    pub async fn capture(
        &self,
        state: &crate::state::AppState,
    ) -> Result<(), crate::app::AppError> {
        use base64::Engine as _;
        let Some(point) = engine::org::CountyCode::new(430102)
            .and_then(|county| engine::org::PointCode::new(county, 1))
        else {
            return Ok(());
        };
        let photo = engine::photo::synthetic_jpeg(480, 640, 30 * 1024, 2008);
        let request: crate::app::capture::CaptureRequest =
            serde_json::from_value(serde_json::json!({
                "id_number": self.id_number,
                "name": self.name,
                "gender": "female",
                "ethnicity": 1,
                "birth_date": "2008-03-15",
                "address": "湖南省长沙市芙蓉区五一大道1号",
                "valid_until": "长期",
                "category": "history",
                "mode": "card_read",
                "photo_base64": base64::engine::general_purpose::STANDARD.encode(photo),
            }))
            .map_err(|error| crate::app::AppError::internal("demo_candidate", error.to_string()))?;
        let idempotency = "demo-candidate";
        match crate::app::capture::prepare(state, point, &request, idempotency).await {
            Ok(crate::app::capture::Prepared::New(capture)) => {
                crate::app::capture::commit(state, point, capture, idempotency.to_owned())
                    .await
                    .map(|_| ())
            }
            Ok(crate::app::capture::Prepared::Done(_)) => Ok(()),
            Err(crate::app::AppError::Rejected(Rejection::AlreadyRegistered)) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

impl Default for DemoCandidate {
    fn default() -> Self {
        DemoCandidate::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{EmbeddedConfig, EmbeddedStore};

    #[tokio::test]
    async fn seeds_every_county_once_with_non_overlapping_ranges() {
        let directory = tempfile::tempdir().expect("temp dir");
        let (store, _) =
            EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("demo.redb")))
                .expect("opens");
        let hunan = Province::hunan();
        let layout = DemoLayout::default();
        let first = seed(&store, &hunan, layout, Timestamp(0))
            .await
            .expect("seeds");
        assert_eq!(
            first,
            SeedReport {
                counties_created: 122,
                counties_existing: 0,
                points_created: 366
            }
        );
        let again = seed(&store, &hunan, layout, Timestamp(1))
            .await
            .expect("idempotent");
        assert_eq!(
            again,
            SeedReport {
                counties_created: 0,
                counties_existing: 122,
                points_created: 0
            }
        );
        let changsha_furong = hunan.counties[0].code;
        let county = store
            .county(changsha_furong)
            .await
            .expect("reads")
            .expect("seeded");
        let ranges = county.ranges.ranges();
        assert_eq!(ranges.len(), 3);
        assert_eq!((ranges[0].first, ranges[2].last), (1, 3000));
        assert!(county.points[&1].name.starts_with("芙蓉区"));
    }

    #[tokio::test]
    async fn a_loadtest_layout_names_every_point_and_divides_the_whole_range() {
        let directory = tempfile::tempdir().expect("temp dir");
        let (store, _) =
            EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("demo.redb")))
                .expect("opens");
        let hunan = Province::hunan();
        let layout = DemoLayout {
            points_per_county: 10,
            sequences_per_county: 9999,
        };
        let report = seed(&store, &hunan, layout, Timestamp(0))
            .await
            .expect("seeds");
        assert_eq!(report.points_created, 1220);
        let county = store
            .county(hunan.counties[0].code)
            .await
            .expect("reads")
            .expect("seeded");
        assert_eq!(county.points.len(), 10);
        assert!(county.points[&10].name.ends_with("第10报名点"));
        let ranges = county.ranges.ranges();
        assert_eq!((ranges[0].first, ranges[9].last), (1, 9999));
    }
}
