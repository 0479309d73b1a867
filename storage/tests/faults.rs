//! The committer under a failing disk, through redb's pluggable storage backend: a write
//! error, a failed fsync and a full disk (ENOSPC) in the middle of a group commit. Nothing
//! that was not durable is acknowledged, the committer fails stop and says so
//! (`EmbeddedStore::failure`, security audit item 19), and reopening the file recovers every
//! write that was acknowledged.

mod support;

use redb::StorageBackend;
use redb::backends::FileBackend;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use storage::{EmbeddedConfig, EmbeddedStore, StateStore};
use support::*;

/// What the disk does next.
const HEALTHY: u8 = 0;
const WRITE_ERROR: u8 = 1;
const SYNC_ERROR: u8 = 2;
const DISK_FULL: u8 = 3;

/// A file backend whose writes, syncs or growth fail while `mode` says so.
#[derive(Debug)]
struct Faulty {
    file: FileBackend,
    mode: Arc<AtomicU8>,
}

impl StorageBackend for Faulty {
    fn len(&self) -> Result<u64, io::Error> {
        self.file.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.file.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        if self.mode.load(Ordering::SeqCst) == DISK_FULL && len > self.file.len()? {
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.file.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        if self.mode.load(Ordering::SeqCst) == SYNC_ERROR {
            return Err(io::Error::other("injected fsync failure"));
        }
        self.file.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        match self.mode.load(Ordering::SeqCst) {
            WRITE_ERROR => Err(io::Error::other("injected write error")),
            DISK_FULL => Err(io::Error::from_raw_os_error(28)),
            _ => self.file.write(offset, data),
        }
    }

    fn close(&self) -> Result<(), io::Error> {
        self.file.close()
    }
}

fn open_faulty(path: &std::path::Path, mode: &Arc<AtomicU8>) -> EmbeddedStore {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .expect("file");
    let backend = Faulty {
        file: FileBackend::new(file).expect("backend"),
        mode: Arc::clone(mode),
    };
    EmbeddedStore::open_with_backend(&EmbeddedConfig::new(path), backend)
        .expect("opens")
        .0
}

fn one_fault(fault: u8) {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("faults.redb");
    let mode = Arc::new(AtomicU8::new(HEALTHY));
    let store = open_faulty(&path, &mode);
    let acknowledged: Vec<_> = (0..20u8)
        .map(|i| {
            let candidate = candidate(
                [i; 16],
                point(430102, 1),
                1 + u16::from(i),
                engine::candidate::Status::Activated,
            );
            store
                .submit(commit_for(&candidate, 0, &format!("ok-{i}")))
                .wait()
                .expect("healthy disk: durable");
            candidate
        })
        .collect();
    assert_eq!(store.failure(), None);

    // The disk fails under a group of pipelined commits: none of them is acknowledged.
    mode.store(fault, Ordering::SeqCst);
    let doomed: Vec<_> = (100..116u8)
        .map(|i| {
            let candidate = candidate(
                [i; 16],
                point(430102, 2),
                u16::from(i),
                engine::candidate::Status::Activated,
            );
            store.submit(commit_for(&candidate, 0, &format!("doomed-{i}")))
        })
        .collect();
    for pending in doomed {
        assert!(
            pending.wait().is_err(),
            "fault {fault}: acknowledged a write"
        );
    }
    let failure = store.failure().expect("the failure is visible");
    assert!(!failure.is_empty());

    // Fail-stop: even once the disk is fine again, this process writes nothing more.
    mode.store(HEALTHY, Ordering::SeqCst);
    let later = candidate(
        [200; 16],
        point(430102, 3),
        1,
        engine::candidate::Status::Activated,
    );
    assert!(
        store.submit(commit_for(&later, 0, "after")).wait().is_err(),
        "fault {fault}: a commit after the failure was accepted"
    );
    drop(store);

    // A restart recovers every acknowledged write. A refused one's outcome was unknown to
    // its caller (a failed fsync may still have reached the disk; the caller retries with
    // the same idempotency key and gets the replay): it is there whole or not at all.
    let (reopened, _) = EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("reopens");
    for candidate in &acknowledged {
        let stored = block_on(reopened.candidate(candidate.key)).expect("reads");
        assert_eq!(stored.as_ref(), Some(candidate), "fault {fault}: lost");
    }
    for i in 100..116u8 {
        let key = engine::key::CandidateKey::from_bytes([i; 16]);
        let snapshot = block_on(reopened.candidate(key)).expect("reads");
        let reply = block_on(reopened.idempotent_outcome(&format!("doomed-{i}"))).expect("reads");
        assert_eq!(
            snapshot.is_some(),
            reply.is_some(),
            "fault {fault}: write {i} is torn"
        );
    }
    let after = engine::key::CandidateKey::from_bytes([200; 16]);
    assert_eq!(
        block_on(reopened.candidate(after)).expect("reads"),
        None,
        "fault {fault}: a write refused by the stopped committer became durable"
    );
    assert_eq!(reopened.failure(), None, "a restart starts healthy");
}

#[test]
fn item_19_a_write_error_fails_stop_visibly_and_loses_nothing_acknowledged() {
    one_fault(WRITE_ERROR);
}

#[test]
fn a_failed_fsync_fails_stop_visibly_and_loses_nothing_acknowledged() {
    one_fault(SYNC_ERROR);
}

#[test]
fn a_full_disk_fails_stop_visibly_and_loses_nothing_acknowledged() {
    one_fault(DISK_FULL);
}
