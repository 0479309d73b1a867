//! The embedded store's schema version: an older store whose records this build still reads
//! (everything since was appended) opens and is marked current — so an older build then
//! refuses it instead of misreading new records; a newer or too old one is refused, naming
//! both versions.

mod support;

use redb::{Database, ReadableDatabase as _, TableDefinition};
use storage::{EmbeddedConfig, EmbeddedStore};

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

fn set_version(path: &std::path::Path, version: u64) {
    let database = Database::open(path).expect("opens");
    let transaction = database.begin_write().expect("writes");
    transaction
        .open_table(META)
        .expect("meta")
        .insert("schema_version", version)
        .expect("inserts");
    transaction.commit().expect("commits");
}

fn version(path: &std::path::Path) -> Option<u64> {
    let database = Database::open(path).expect("opens");
    let transaction = database.begin_read().expect("reads");
    let table = transaction.open_table(META).expect("meta");
    table
        .get("schema_version")
        .expect("reads")
        .map(|v| v.value())
}

#[test]
fn older_readable_stores_open_and_newer_ones_are_refused() {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("store.redb");
    drop(EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("a fresh store opens"));
    let current = version(&path).expect("a version");
    set_version(&path, current - 1);
    drop(EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("the previous schema opens"));
    assert_eq!(version(&path), Some(current), "marked current once opened");
    for refused in [current + 1, 2] {
        set_version(&path, refused);
        let error = EmbeddedStore::open(&EmbeddedConfig::new(&path))
            .err()
            .expect("refused");
        assert!(
            error.to_string().contains(&format!("version {refused}")),
            "{error}"
        );
    }
}

/// A candidate's history is their own records only, newest first, cut at the limit; a
/// store written before the history index existed (schema 6) gets it built from its log
/// when opened, so old candidates' timelines are whole.
#[test]
fn a_candidates_history_is_theirs_newest_first_and_older_stores_get_it_built() {
    use engine::candidate::Status;
    use storage::StateStore as _;
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("store.redb");
    let first = support::candidate([1; 16], support::point(430102, 1), 1, Status::Captured);
    let second = support::candidate([2; 16], support::point(430102, 1), 2, Status::Captured);
    {
        let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("opens");
        for (candidate, key) in [
            (&first, "a-1"),
            (&second, "b-1"),
            (&first, "a-2"),
            (&first, "a-3"),
        ] {
            support::block_on(store.submit(support::commit_for(candidate, 0, key)))
                .expect("durable");
        }
        let history = support::block_on(store.candidate_history(first.key, 10)).expect("reads");
        let keys: Vec<&str> = history.iter().map(|r| r.idempotency_key.as_str()).collect();
        assert_eq!(keys, ["a-3", "a-2", "a-1"], "theirs only, newest first");
        let cut = support::block_on(store.candidate_history(first.key, 2)).expect("reads");
        assert_eq!(cut.len(), 2);
        let none = support::block_on(
            store.candidate_history(engine::key::CandidateKey::from_bytes([9; 16]), 10),
        )
        .expect("reads");
        assert!(none.is_empty());
    }
    // As a version-6 store: no history table.
    {
        let database = Database::open(&path).expect("opens");
        let transaction = database.begin_write().expect("writes");
        let history: TableDefinition<(&[u8], u32, u64), ()> =
            TableDefinition::new("candidate_history");
        assert!(transaction.delete_table(history).expect("deletes"));
        transaction.commit().expect("commits");
    }
    set_version(&path, 6);
    let (store, _) =
        EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("the older store opens");
    let history = support::block_on(store.candidate_history(first.key, 10)).expect("reads");
    let keys: Vec<&str> = history.iter().map(|r| r.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["a-3", "a-2", "a-1"], "built from the log");
    let theirs = support::block_on(store.candidate_history(second.key, 10)).expect("reads");
    assert_eq!(theirs.len(), 1);
}
