//! The audit trail is hash-chained in commit order (security audit item 14): a record
//! changed or removed afterwards, even by someone with the database file in hand, breaks
//! the chain at that record.

use redb::{Database, ReadableTable};
use storage::embedded::tables;
use storage::{AuditRecord, Commit, EmbeddedConfig, EmbeddedStore, Partition, StateUpdate};

fn audit(index: u32) -> Commit {
    Commit {
        partition: Partition::Organisation,
        records: Vec::new(),
        updates: vec![StateUpdate::Audit(AuditRecord {
            at: engine::time::Timestamp(1_780_000_000_000 + i64::from(index)),
            actor: format!("county-4301{index:02}"),
            role: "county".into(),
            action: "GET /v1/candidates/{key}".into(),
            target: "cd2a9b4a77848555cee4fcbd8b724704".into(),
            outcome: "ok".into(),
            client: "192.0.2.7".into(),
            request: format!("r{index}"),
        })],
    }
}

fn write_trail(path: &std::path::Path, records: u32) {
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(path)).expect("opens");
    for index in 0..records {
        store.submit(audit(index)).wait().expect("durable");
    }
    assert!(store.verify_audit_chain().is_ok());
}

fn verify(path: &std::path::Path) -> Result<u64, storage::StorageError> {
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(path)).expect("reopens");
    store.verify_audit_chain()
}

#[test]
fn item_14_the_audit_trail_is_chained_and_a_changed_record_breaks_it() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("audit.redb");
    write_trail(&path, 10);
    assert_eq!(verify(&path), Ok(10), "intact after a restart");
    // Someone with the file changes the fourth record's outcome.
    {
        let database = Database::create(&path).expect("file");
        let write = database.begin_write().expect("write");
        {
            let chain = write.open_table(tables::AUDIT_CHAIN).expect("chain");
            let (at_ms, sequence, _) = chain.get(3).expect("reads").expect("present").value();
            drop(chain);
            let mut trail = write.open_table(tables::AUDIT).expect("audit");
            let mut bytes = trail
                .get((at_ms, sequence))
                .expect("reads")
                .expect("present")
                .value()
                .to_vec();
            let at = bytes.len() - 8;
            bytes[at] ^= 1;
            trail
                .insert((at_ms, sequence), bytes.as_slice())
                .expect("edits");
        }
        write.commit().expect("commits");
    }
    let broken = verify(&path).expect_err("the edit is found");
    assert!(broken.to_string().contains("record 3"), "{broken}");
}

#[test]
fn item_14_a_removed_record_breaks_the_chain() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("audit.redb");
    write_trail(&path, 5);
    {
        let database = Database::create(&path).expect("file");
        let write = database.begin_write().expect("write");
        {
            let chain = write.open_table(tables::AUDIT_CHAIN).expect("chain");
            let (at_ms, sequence, _) = chain.get(1).expect("reads").expect("present").value();
            drop(chain);
            write
                .open_table(tables::AUDIT)
                .expect("audit")
                .remove((at_ms, sequence))
                .expect("removes");
        }
        write.commit().expect("commits");
    }
    assert!(verify(&path).is_err());
    // Appending after a valid chain keeps it valid (each record chains to the last).
    let other = directory.path().join("appended.redb");
    write_trail(&other, 3);
    write_trail(&other, 2);
    assert_eq!(verify(&other), Ok(5));
}
