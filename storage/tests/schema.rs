//! The embedded store's schema version: an older store whose records this build still reads
//! (everything since was appended) opens and is marked current — so an older build then
//! refuses it instead of misreading new records; a newer or too old one is refused, naming
//! both versions.

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
