//! The write-path comparison behind `docs/adr/0001-write-path.md`: one registration write
//! mix made durable three ways, on the same machine, in the same run.
//!
//! - `redb`: the embedded store as it is (`EmbeddedStore::submit_many`: encoding, the
//!   committer thread, one redb transaction and fsync per group: log, history, snapshot,
//!   indexes, counters, idempotency).
//! - `redb-folded`: the same file, but each group's transaction holds only what answering
//!   and recovering need (log, history, idempotency) and is fsynced; snapshots, indexes and
//!   counters are folded in behind it every `FOLD_GROUPS` groups, in one transaction that
//!   is not fsynced itself (redb persists it with the next durable commit; after a crash
//!   they would be rebuilt from the log since the last fold).
//! - `fjall`: an LSM tree (fjall 2): each group one atomic batch over the same seven kinds
//!   of keys, journal fsynced (`PersistMode::SyncAll`); counters kept in memory and written
//!   as values (an LSM has no read-modify-write).
//!
//! The mix: `--candidates` candidates, each taken through seven commits (captured →
//! signed: a log record, the candidate's snapshot at that step, an idempotency record),
//! interleaved as a morning's arrivals are (a candidate's steps are spread over the run);
//! `--group` commits per durable group (what the group committer sees under load).
//!
//! Run: `cargo bench -p storage --bench write_path -- --candidates 15000 --group 64`

#[path = "../tests/support/mod.rs"]
mod support;

use engine::candidate::{Candidate, Event, Status};
use engine::time::Timestamp;
use redb::{Durability, ReadableTable};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;
use storage::embedded::tables;
use storage::{Commit, EmbeddedConfig, EmbeddedStore, LogRecord, Partition, Payload};
use storage::{PendingCommit, StateUpdate, StreamKey};
use support::{candidate, point};

/// Groups between two folds in `redb-folded` (64 × 16 = 1,024 commits a fold at `--group 64`).
const FOLD_GROUPS: usize = 16;
const SHARDS: u32 = 16;

fn main() {
    let mut candidates = 15_000u32;
    let mut group = 64usize;
    let mut only: Option<String> = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--candidates" => candidates = number(arguments.next()),
            "--group" => group = number(arguments.next()) as usize,
            "--only" => only = arguments.next(),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    let commits = mix(candidates);
    println!(
        "write mix: {} commits ({candidates} candidates × 7 steps), groups of {group}",
        commits.len()
    );
    for (name, run) in [
        ("redb", redb_as_today as fn(&Path, &[Commit], usize) -> u64),
        ("redb-folded", redb_folded),
        ("fjall", fjall_batches),
    ] {
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let directory = tempfile::tempdir().expect("temp dir");
        let started = Instant::now();
        let bytes = run(directory.path(), &commits, group);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name:>12}: {:>8.0} durable commits/s ({seconds:.1} s), {:.0} MiB on disk",
            commits.len() as f64 / seconds,
            bytes as f64 / 1048576.0
        );
    }
}

fn number(value: Option<String>) -> u32 {
    value
        .and_then(|value| value.parse().ok())
        .expect("a number after the option")
}

/// Every candidate's seven commits, in arrival order: candidate `i`'s step `s` comes at
/// `i + s × spread`, so about `spread` other candidates' commits separate two of its steps.
fn mix(candidates: u32) -> Vec<Commit> {
    let spread = candidates.div_ceil(8).max(1);
    let steps = &Status::ALL[..7];
    let mut timed: Vec<(u32, Commit)> = Vec::with_capacity(candidates as usize * 7);
    for index in 0..candidates {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&index.to_be_bytes());
        key[4..8].copy_from_slice(&index.wrapping_mul(2_654_435_761).to_be_bytes());
        let county = [430102, 430103, 430104, 430105][index as usize % 4];
        let at = point(county, 1 + (index % 40) as u16);
        for (step, status) in steps.iter().enumerate() {
            let snapshot = candidate(key, at, 1 + (index % 9000) as u16, *status);
            timed.push((index + step as u32 * spread, commit(snapshot, index, step)));
        }
    }
    timed.sort_by_key(|(time, _)| *time);
    timed.into_iter().map(|(_, commit)| commit).collect()
}

fn commit(snapshot: Candidate, index: u32, step: usize) -> Commit {
    let idempotency = format!("{:032x}-step-{step}", index);
    Commit {
        partition: Partition::Candidates(index % SHARDS),
        records: vec![LogRecord {
            stream: StreamKey::Candidate(snapshot.key),
            idempotency_key: idempotency.clone(),
            recorded_at: Timestamp(1_780_000_000_000),
            payload: Payload::Candidate(Event::FirstLoginVerified {
                at: Timestamp(1_780_000_000_000),
            }),
        }],
        updates: vec![
            StateUpdate::Candidate(Box::new(snapshot)),
            StateUpdate::Idempotency {
                key: idempotency,
                outcome: vec![7; 96],
            },
        ],
    }
}

fn size_of(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => size_of(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// What one commit writes, encoded as every variant stores it.
struct Encoded {
    partition: u32,
    key: [u8; 16],
    record: Vec<u8>,
    serial: u32,
    point: u64,
    status: u8,
    snapshot: Vec<u8>,
    idempotency: String,
    outcome: Vec<u8>,
}

fn encode(commit: &Commit) -> Encoded {
    let [
        StateUpdate::Candidate(candidate),
        StateUpdate::Idempotency { key, outcome },
    ] = &commit.updates[..]
    else {
        unreachable!("the mix's commits")
    };
    Encoded {
        partition: commit.partition.as_u32(),
        key: *candidate.key.as_bytes(),
        record: postcard::to_stdvec(&commit.records[0]).expect("encodes"),
        serial: candidate.capture.serial.as_u32(),
        point: candidate.capture.point.as_u64(),
        status: candidate.status().as_u8(),
        snapshot: postcard::to_stdvec(&**candidate).expect("encodes"),
        idempotency: key.clone(),
        outcome: outcome.clone(),
    }
}

fn previous_status(snapshot: &[u8]) -> u8 {
    postcard::from_bytes::<Candidate>(snapshot)
        .expect("decodes")
        .status()
        .as_u8()
}

/// The four progress counters a candidate at `point` counts in (as the committer's).
fn scopes(point: u64) -> [(u8, u64); 4] {
    let county = point / 1000;
    [(0, 0), (1, county / 100), (2, county), (3, point)]
}

fn redb_as_today(directory: &Path, commits: &[Commit], group: usize) -> u64 {
    let path = directory.join("store.redb");
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("opens");
    for chunk in commits.chunks(group) {
        let pending: Vec<PendingCommit> = store.submit_many(chunk.to_vec());
        for commit in pending {
            commit.wait().expect("durable");
        }
    }
    drop(store);
    size_of(directory)
}

fn redb_folded(directory: &Path, commits: &[Commit], group: usize) -> u64 {
    let database = redb::Database::create(directory.join("store.redb")).expect("opens");
    let mut heads: HashMap<u32, u64> = HashMap::new();
    let mut unfolded: Vec<Encoded> = Vec::new();
    for (index, chunk) in commits.chunks(group).enumerate() {
        let encoded: Vec<Encoded> = chunk.iter().map(encode).collect();
        // What answering needs: the log, its history index, the idempotency record. Durable.
        let transaction = database.begin_write().expect("begins");
        {
            let mut log = transaction.open_table(tables::LOG).expect("table");
            let mut history = transaction.open_table(tables::HISTORY).expect("table");
            let mut idempotency = transaction.open_table(tables::IDEMPOTENCY).expect("table");
            for write in &encoded {
                let head = heads.entry(write.partition).or_insert(0);
                log.insert((write.partition, *head), write.record.as_slice())
                    .expect("insert");
                history
                    .insert((write.key.as_slice(), write.partition, *head), ())
                    .expect("insert");
                *head += 1;
                idempotency
                    .insert(write.idempotency.as_str(), write.outcome.as_slice())
                    .expect("insert");
            }
        }
        transaction.commit().expect("durable");
        unfolded.extend(encoded);
        if (index + 1) % FOLD_GROUPS == 0 {
            fold(&database, std::mem::take(&mut unfolded));
        }
    }
    fold(&database, unfolded);
    // The last fold made durable, as the next group's commit would.
    let transaction = database.begin_write().expect("begins");
    transaction.commit().expect("durable");
    drop(database);
    size_of(directory)
}

/// Snapshots, indexes and counters of `writes`, in one transaction that redb persists with
/// the next durable commit: a candidate's last snapshot only, counters summed first.
fn fold(database: &redb::Database, writes: Vec<Encoded>) {
    let mut last: HashMap<[u8; 16], Encoded> = HashMap::new();
    for write in writes {
        last.insert(write.key, write);
    }
    let mut transaction = database.begin_write().expect("begins");
    transaction
        .set_durability(Durability::None)
        .expect("durability");
    {
        let mut candidates = transaction.open_table(tables::CANDIDATES).expect("table");
        let mut serials = transaction.open_table(tables::SERIALS).expect("table");
        let mut by_point = transaction.open_table(tables::BY_POINT).expect("table");
        let mut deltas: HashMap<(u8, u64, u8), i64> = HashMap::new();
        for write in last.values() {
            let previous = candidates
                .get(write.key.as_slice())
                .expect("reads")
                .map(|bytes| previous_status(bytes.value()));
            candidates
                .insert(write.key.as_slice(), write.snapshot.as_slice())
                .expect("insert");
            if previous == Some(write.status) {
                continue;
            }
            match previous {
                Some(old) => {
                    by_point
                        .remove((write.point, old, write.key.as_slice()))
                        .expect("remove");
                    for (level, code) in scopes(write.point) {
                        *deltas.entry((level, code, old)).or_default() -= 1;
                    }
                }
                None => {
                    serials
                        .insert(write.serial, write.key.as_slice())
                        .expect("insert");
                }
            }
            by_point
                .insert((write.point, write.status, write.key.as_slice()), ())
                .expect("insert");
            for (level, code) in scopes(write.point) {
                *deltas.entry((level, code, write.status)).or_default() += 1;
            }
        }
        let mut progress = transaction.open_table(tables::PROGRESS).expect("table");
        for (counter, delta) in deltas {
            let count = progress
                .get(counter)
                .expect("reads")
                .map_or(0, |c| c.value());
            progress
                .insert(counter, count.saturating_add_signed(delta))
                .expect("insert");
        }
    }
    transaction.commit().expect("commits");
}

fn fjall_batches(directory: &Path, commits: &[Commit], group: usize) -> u64 {
    use fjall::{PartitionCreateOptions, PersistMode};
    let keyspace = fjall::Config::new(directory.join("store"))
        .open()
        .expect("opens");
    let open = |name: &str| {
        keyspace
            .open_partition(name, PartitionCreateOptions::default())
            .expect("partition")
    };
    let (log, history, candidates, serials, by_point, progress, idempotency) = (
        open("log"),
        open("history"),
        open("candidates"),
        open("serials"),
        open("by_point"),
        open("progress"),
        open("idempotency"),
    );
    let mut heads: HashMap<u32, u64> = HashMap::new();
    let mut counts: HashMap<(u8, u64, u8), u64> = HashMap::new();
    let counter_key = |(level, code, status): (u8, u64, u8)| {
        let mut key = [0u8; 10];
        key[0] = level;
        key[1..9].copy_from_slice(&code.to_be_bytes());
        key[9] = status;
        key
    };
    for chunk in commits.chunks(group) {
        let mut batch = keyspace.batch().durability(Some(PersistMode::SyncAll));
        let mut touched: HashMap<(u8, u64, u8), ()> = HashMap::new();
        // A snapshot written earlier in this batch is not readable yet: remember it.
        let mut in_batch: HashMap<[u8; 16], u8> = HashMap::new();
        for write in chunk.iter().map(encode) {
            let head = heads.entry(write.partition).or_insert(0);
            let mut log_key = [0u8; 12];
            log_key[..4].copy_from_slice(&write.partition.to_be_bytes());
            log_key[4..].copy_from_slice(&head.to_be_bytes());
            batch.insert(&log, log_key, &write.record);
            let mut history_key = Vec::with_capacity(28);
            history_key.extend_from_slice(&write.key);
            history_key.extend_from_slice(&log_key);
            batch.insert(&history, history_key, []);
            *head += 1;
            batch.insert(&idempotency, write.idempotency.as_bytes(), &write.outcome);
            let previous = match in_batch.get(&write.key) {
                Some(status) => Some(*status),
                None => candidates
                    .get(write.key)
                    .expect("reads")
                    .map(|bytes| previous_status(&bytes)),
            };
            batch.insert(&candidates, write.key, &write.snapshot);
            in_batch.insert(write.key, write.status);
            if previous == Some(write.status) {
                continue;
            }
            let point_key = |status: u8| {
                let mut key = Vec::with_capacity(25);
                key.extend_from_slice(&write.point.to_be_bytes());
                key.push(status);
                key.extend_from_slice(&write.key);
                key
            };
            match previous {
                Some(old) => {
                    batch.remove(&by_point, point_key(old));
                    for (level, code) in scopes(write.point) {
                        let count = counts.entry((level, code, old)).or_default();
                        *count = count.saturating_sub(1);
                        touched.insert((level, code, old), ());
                    }
                }
                None => batch.insert(&serials, write.serial.to_be_bytes(), write.key),
            }
            batch.insert(&by_point, point_key(write.status), []);
            for (level, code) in scopes(write.point) {
                *counts.entry((level, code, write.status)).or_default() += 1;
                touched.insert((level, code, write.status), ());
            }
        }
        for counter in touched.into_keys() {
            batch.insert(
                &progress,
                counter_key(counter),
                counts[&counter].to_be_bytes(),
            );
        }
        batch.commit().expect("durable");
    }
    drop(keyspace);
    size_of(directory)
}
