//! Actor tests over a real embedded store: durability before reply, idempotency, failure
//! isolation, explicit overload, bounded memory, sequential serials and frozen counties.

use actors::{ActorError, CountyExecute, Execute, Registry, Settings, ShardConfig, SharedSettings};
use engine::candidate::{Command, Status};
use engine::county::{CountyCommand, CountyEvent};
use engine::key::{CandidateKey, KeySecret};
use engine::org::{CountyCode, PointCode, Province};
use engine::schedule::{Schedule, Window, WindowKind};
use engine::serial::SubjectCategory;
use engine::time::{Date, Timestamp};
use std::collections::BTreeSet;
use std::sync::Arc;
use storage::{EmbeddedConfig, EmbeddedStore, EventLog, Partition, StateStore};

fn now() -> Timestamp {
    Timestamp::from_cst(Date::new(2022, 11, 2).expect("valid"), 9, 0)
}

fn settings() -> SharedSettings {
    let mut schedule = Schedule::default();
    let open = Window::new(now().plus_seconds(-86_400), now().plus_seconds(7 * 86_400));
    schedule.set(WindowKind::Registration, open.clone());
    schedule.set(WindowKind::CountySubmission, open);
    SharedSettings::new(Settings {
        schedule,
        ..Settings::default()
    })
}

fn county() -> CountyCode {
    CountyCode::new(430102).expect("valid")
}

fn point() -> PointCode {
    PointCode::new(county(), 1).expect("valid")
}

fn capture(sequence: u32) -> (CandidateKey, Command) {
    let id = tests::fixtures::id_number(sequence);
    let key = KeySecret::new(b"actor-tests".to_vec()).candidate_key(&id);
    let capture = tests::fixtures::capture(
        point(),
        1 + sequence as u16,
        id,
        tests::fixtures::photo(u64::from(sequence)),
    );
    (key, Command::Capture(Box::new(capture)))
}

fn execute(key: CandidateKey, command: Command, idempotency_key: &str) -> Execute {
    Execute {
        key,
        command,
        idempotency_key: idempotency_key.into(),
        now: now(),
        attachments: Vec::new(),
    }
}

fn first_login() -> Command {
    Command::FirstLogin {
        name: tests::fixtures::NAME.into(),
        valid_until: None,
    }
}

async fn start(
    config: ShardConfig,
) -> (
    tempfile::TempDir,
    Arc<EmbeddedStore>,
    Registry<EmbeddedStore>,
) {
    let directory = tempfile::tempdir().expect("temp dir");
    let (store, _) =
        EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("actors.redb")))
            .expect("opens");
    let store = Arc::new(store);
    let registry = Registry::start(Arc::clone(&store), &Province::hunan(), settings(), &config)
        .await
        .expect("starts");
    (directory, store, registry)
}

fn small() -> ShardConfig {
    ShardConfig {
        shard_count: 4,
        mailbox_capacity: 64,
        cache_capacity_per_shard: 2,
        arbiters: 2,
    }
}

#[actix_rt::test]
async fn a_reply_means_the_write_is_in_the_store() {
    let (_directory, store, registry) = start(small()).await;
    let (key, command) = capture(1);
    let outcome = registry
        .execute(execute(key, command, "capture-1"))
        .await
        .expect("captured");
    assert_eq!(outcome.events.len(), 1);
    let stored = store
        .candidate(key)
        .await
        .expect("reads")
        .expect("present as soon as acknowledged");
    assert_eq!(stored.status(), Status::Captured);
    registry
        .execute(execute(key, first_login(), "login-1"))
        .await
        .expect("logged in");
    assert_eq!(
        store
            .candidate(key)
            .await
            .expect("reads")
            .map(|c| c.status()),
        Some(Status::Activated)
    );
}

#[actix_rt::test]
async fn a_retried_request_is_applied_once() {
    let (_directory, store, registry) = start(small()).await;
    let (key, command) = capture(2);
    registry
        .execute(execute(key, command.clone(), "capture-2"))
        .await
        .expect("captured");
    let retry = registry
        .execute(execute(key, command.clone(), "capture-2"))
        .await
        .expect("same reply, not a refusal");
    assert!(retry.replayed && retry.events.is_empty());
    // A new idempotency key with the same capture is a genuinely new request: refused.
    let again = registry.execute(execute(key, command, "capture-2b")).await;
    assert_eq!(
        again.expect_err("duplicate person").code(),
        "candidate_already_registered"
    );
    // Concurrent retries of one request: exactly one set of events in the log.
    let requests = (0..8).map(|_| registry.execute(execute(key, first_login(), "login-2")));
    let outcomes = futures::future::join_all(requests).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.as_ref().is_ok_and(|o| !o.replayed))
            .count(),
        1
    );
    let shard = key.shard(registry.shard_count());
    let log = store
        .read(Partition::Candidates(shard), 0, 100)
        .await
        .expect("reads");
    let names: Vec<_> = log
        .iter()
        .filter(|(_, r)| r.stream == storage::StreamKey::Candidate(key))
        .collect();
    assert_eq!(
        names.len(),
        2,
        "one capture and one login event, whatever the retries"
    );
}

/// Security audit item 15: an idempotency key replays only the request it was first used
/// for; the same key with another command is refused, durable or still in flight.
#[actix_rt::test]
async fn item_15_an_idempotency_key_is_bound_to_its_request() {
    let (_directory, store, registry) = start(small()).await;
    let (key, command) = capture(3);
    registry
        .execute(execute(key, command, "capture-3"))
        .await
        .expect("captured");
    let other = Command::FirstLogin {
        name: tests::fixtures::NAME.into(),
        valid_until: None,
    };
    let before = store.candidate(key).await.expect("reads");
    let reused = registry.execute(execute(key, other, "capture-3")).await;
    assert!(
        matches!(reused, Err(ActorError::IdempotencyKeyReused)),
        "{reused:?}"
    );
    assert_eq!(
        store.candidate(key).await.expect("reads"),
        before,
        "nothing changed"
    );
    // While a request is in flight, a different one under its key is refused too; the
    // same one waits for it.
    let (key, command) = capture(4);
    let (first, same, different) = futures::future::join3(
        registry.execute(execute(key, command.clone(), "capture-4")),
        registry.execute(execute(key, command, "capture-4")),
        registry.execute(execute(key, first_login(), "capture-4")),
    )
    .await;
    assert!(first.is_ok() && same.is_ok(), "{first:?} {same:?}");
    assert!(
        matches!(different, Err(ActorError::IdempotencyKeyReused)),
        "{different:?}"
    );
}

#[actix_rt::test]
async fn a_panicking_shard_restarts_from_storage_without_disturbing_others() {
    let (_directory, _store, registry) = start(small()).await;
    let mut keys = Vec::new();
    for sequence in 10..30 {
        let (key, command) = capture(sequence);
        registry
            .execute(execute(key, command, &format!("capture-{sequence}")))
            .await
            .expect("captured");
        keys.push(key);
    }
    let victim = keys[0];
    let bystander = *keys
        .iter()
        .find(|k| k.shard(4) != victim.shard(4))
        .expect("another shard");
    registry.inject_panic(victim);
    let failed = registry
        .execute(execute(victim, first_login(), "login-victim"))
        .await;
    assert_eq!(failed.expect_err("panicked").code(), "internal_error");
    // Other shards keep working while and after the victim restarts.
    registry
        .execute(execute(bystander, first_login(), "login-bystander"))
        .await
        .expect("unaffected");
    // The victim's shard is back, with its records rebuilt from storage.
    let retried = registry
        .execute(execute(victim, first_login(), "login-victim"))
        .await
        .expect("restarted");
    assert_eq!(
        retried.candidate.map(|c| c.status()),
        Some(Status::Activated)
    );
    for (index, key) in keys
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, key)| **key != bystander)
    {
        let outcome = registry
            .execute(execute(*key, first_login(), &format!("login-{index}")))
            .await
            .expect("works");
        assert_eq!(outcome.events.len(), 1, "record reloaded with its capture");
    }
}

#[actix_rt::test]
async fn a_saturated_shard_says_so_instead_of_queueing_without_bound() {
    let config = ShardConfig {
        shard_count: 1,
        mailbox_capacity: 4,
        cache_capacity_per_shard: 16,
        arbiters: 1,
    };
    let (_directory, store, registry) = start(config).await;
    let requests = (100..400).map(|sequence| {
        let (key, command) = capture(sequence);
        let registry = &registry;
        async move {
            (
                key,
                registry.execute(execute(key, command, "capture")).await,
            )
        }
    });
    let results = futures::future::join_all(requests).await;
    let overloaded = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(ActorError::Overloaded(_))))
        .count();
    let accepted: Vec<_> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(k, _)| *k)
        .collect();
    assert!(
        overloaded > 0,
        "300 simultaneous requests against a mailbox of 4 must shed some"
    );
    assert_eq!(
        overloaded + accepted.len(),
        300,
        "every request either shed or applied"
    );
    for key in accepted {
        assert!(
            store.candidate(key).await.expect("reads").is_some(),
            "an acknowledged capture is stored"
        );
    }
}

#[actix_rt::test]
async fn records_beyond_the_cache_are_served_from_storage() {
    let config = ShardConfig {
        shard_count: 1,
        mailbox_capacity: 64,
        cache_capacity_per_shard: 2,
        arbiters: 1,
    };
    let (_directory, _store, registry) = start(config).await;
    let keys: Vec<_> = (500..520).map(capture).collect();
    for (key, command) in &keys {
        registry
            .execute(execute(*key, command.clone(), "capture"))
            .await
            .expect("captured");
    }
    for (key, _) in &keys {
        let outcome = registry
            .execute(execute(*key, first_login(), "login"))
            .await
            .expect("reloaded");
        assert_eq!(outcome.events.len(), 1);
    }
}

/// A county request under `key`, now.
fn county_command(command: CountyCommand, key: &str) -> CountyExecute {
    CountyExecute {
        command,
        idempotency_key: key.into(),
        now: now(),
    }
}

/// Point 1 of the county with serials 1–40.
async fn county_with_a_point(registry: &Registry<EmbeddedStore>) {
    for (command, key) in [
        (
            CountyCommand::CreatePoint {
                number: 1,
                name: "一中".into(),
                expected_headcount: 50,
            },
            "p1",
        ),
        (
            CountyCommand::AllocateRange {
                point: point(),
                category: None,
                first: 1,
                last: 40,
            },
            "r1",
        ),
    ] {
        registry
            .county(county(), county_command(command, key))
            .await
            .expect("set up");
    }
}

#[actix_rt::test]
async fn counties_assign_serials_one_by_one_and_freeze_on_submission() {
    let (_directory, _store, registry) = start(small()).await;
    county_with_a_point(&registry).await;
    let assignments = (0..50).map(|index| {
        registry.county(
            county(),
            county_command(
                CountyCommand::AssignSerial {
                    point: point(),
                    category: SubjectCategory::History,
                    migrant_child: false,
                },
                &format!("s{index}"),
            ),
        )
    });
    let results = futures::future::join_all(assignments).await;
    let mut serials = BTreeSet::new();
    for result in &results {
        if let Ok(outcome) = result
            && let Some(CountyEvent::SerialAssigned { serial, .. }) = outcome.events.first()
        {
            assert!(serials.insert(*serial), "{serial} assigned twice");
        }
    }
    assert_eq!(serials.len(), 40, "exactly the range's 40 serials");
    let exhausted = results
        .iter()
        .filter(|r| {
            r.as_ref()
                .is_err_and(|e| e.code() == "serial_range_exhausted")
        })
        .count();
    assert_eq!(exhausted, 10);
    registry
        .county(
            county(),
            county_command(CountyCommand::SubmitToCity, "submit"),
        )
        .await
        .expect("submitted");
    assert!(registry.is_frozen(county()));
    let (key, command) = capture(900);
    let refused = registry
        .execute(execute(key, command, "late-capture"))
        .await;
    assert_eq!(refused.expect_err("frozen").code(), "records_frozen");
}

/// Security audit item 15, the county's side: a county request's idempotency key replayed
/// whatever the command — a repeated serial request got its serial back, but so did another
/// request under the same key. Now the record is bound to the command: the same request gets
/// the same serial, another one is refused.
#[actix_rt::test]
async fn item_15_a_county_idempotency_key_is_bound_to_its_request() {
    let (_directory, _store, registry) = start(small()).await;
    county_with_a_point(&registry).await;
    let assign = |category| CountyCommand::AssignSerial {
        point: point(),
        category,
        migrant_child: false,
    };
    let first = registry
        .county(
            county(),
            county_command(assign(SubjectCategory::History), "s1"),
        )
        .await
        .expect("assigned");
    let again = registry
        .county(
            county(),
            county_command(assign(SubjectCategory::History), "s1"),
        )
        .await
        .expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.events, first.events, "the same serial, not another");
    let other = registry
        .county(
            county(),
            county_command(assign(SubjectCategory::Physics), "s1"),
        )
        .await;
    assert!(
        matches!(other, Err(ActorError::IdempotencyKeyReused)),
        "{other:?}"
    );
}
