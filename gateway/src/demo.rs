//! The demo province: Hunan's real divisions, with a few registration points per county and
//! serial ranges divided by head-count, so a newcomer has something to register against.
//!
//! Seeding goes through the same path as any county operator's work — `County::decide`,
//! then a durable commit of the events and the new snapshot — and is idempotent: a county
//! that already exists in the store is left as it is.

use engine::county::{County, CountyCommand, CountyEvent};
use engine::org::Province;
use engine::time::Timestamp;
use engine::{Rejection, schedule::Schedule};
use storage::{
    Commit, EmbeddedStore, LogRecord, Partition, Payload, StateStore, StateUpdate, StorageError,
    StreamKey,
};

/// How many demo points each county gets.
pub const POINTS_PER_COUNTY: u16 = 3;
/// The demo points every county gets: name suffix and expected head-count.
const DEMO_POINTS: [(&str, u32); POINTS_PER_COUNTY as usize] = [
    ("第一中学报名点", 1200),
    ("第二中学报名点", 900),
    ("职业中专报名点", 400),
];
/// Sequences divided among a county's demo points (of 9999).
const DEMO_SEQUENCES: u16 = 3000;

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

/// Seeds every county of `province` that the store does not have yet, in one durable commit.
pub async fn seed(
    store: &EmbeddedStore,
    province: &Province,
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
        let mut commands: Vec<CountyCommand> = DEMO_POINTS
            .iter()
            .zip(1u16..)
            .map(
                |(&(suffix, expected_headcount), number)| CountyCommand::CreatePoint {
                    number,
                    name: format!("{}{suffix}", division.name),
                    expected_headcount,
                },
            )
            .collect();
        commands.push(CountyCommand::DivideByHeadcount {
            category: None,
            available: DEMO_SEQUENCES,
        });
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
    for pending in store.submit_many(commits) {
        pending.await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::EmbeddedConfig;

    #[tokio::test]
    async fn seeds_every_county_once_with_non_overlapping_ranges() {
        let directory = tempfile::tempdir().expect("temp dir");
        let (store, _) =
            EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("demo.redb")))
                .expect("opens");
        let hunan = Province::hunan();
        let first = seed(&store, &hunan, Timestamp(0)).await.expect("seeds");
        assert_eq!(
            first,
            SeedReport {
                counties_created: 122,
                counties_existing: 0,
                points_created: 366
            }
        );
        let again = seed(&store, &hunan, Timestamp(1))
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
        assert_eq!((ranges[0].first, ranges[2].last), (1, DEMO_SEQUENCES));
        assert!(county.points[&1].name.starts_with("芙蓉区"));
    }
}
