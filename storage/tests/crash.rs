//! Crash test: a child process writes in a loop from many threads and prints every write the
//! store acknowledged; the parent SIGKILLs it mid-stream, three times over the same file,
//! then reopens the file and checks that
//! - every acknowledged write is present (its log record, snapshot and idempotency record),
//! - nothing is torn: every write that is present at all is present completely,
//! - no write is present twice, and the log's offsets are dense.
//!
//! It runs as a plain program (`harness = false`) because it re-executes itself as the child.

mod support;

use redb::{Database, ReadableDatabase, ReadableTable};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use storage::embedded::tables;
use storage::{EmbeddedConfig, EmbeddedStore, LogRecord};
use support::*;

const WRITER_THREADS: u8 = 8;
const ROUNDS: usize = 3;
const ACKS_BEFORE_KILL: usize = 400;

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    if let Some(position) = arguments.iter().position(|a| a == "--child") {
        child(
            &arguments[position + 1],
            arguments[position + 2].parse().expect("round"),
        );
        return;
    }
    parent();
}

/// Writes until killed: thread `w` writes key `[w, round, i...]`, printing `ACK w round i`
/// only after the commit resolved.
fn child(path: &str, round: u8) {
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(path)).expect("child opens store");
    let store = std::sync::Arc::new(store);
    let threads: Vec<_> = (0..WRITER_THREADS)
        .map(|writer| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || {
                for index in 0u32.. {
                    let candidate = candidate(
                        key(writer, round, index),
                        point(430102, 1),
                        1 + (index % 9000) as u16,
                        engine::candidate::Status::Activated,
                    );
                    let commit = commit_for(
                        &candidate,
                        u32::from(writer % 3),
                        &idempotency_key(writer, round, index),
                    );
                    store.submit(commit).wait().expect("durable");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {writer} {round} {index}").expect("stdout");
                    out.flush().expect("flush");
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
}

fn key(writer: u8, round: u8, index: u32) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[0] = writer;
    key[1] = round;
    key[2..6].copy_from_slice(&index.to_be_bytes());
    key
}

fn idempotency_key(writer: u8, round: u8, index: u32) -> String {
    format!("crash-{writer}-{round}-{index}")
}

fn parent() {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("crash.redb");
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .args([
                "--child",
                path.to_str().expect("utf-8 path"),
                &round.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawns child");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let started = Instant::now();
        let mut this_round = 0;
        while this_round < ACKS_BEFORE_KILL {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "child too slow: {this_round} acks"
            );
            let line = lines.next().expect("child alive").expect("readable");
            let parts: Vec<&str> = line.split(' ').collect();
            acknowledged.insert(idempotency_key(
                parts[1].parse().expect("w"),
                parts[2].parse().expect("r"),
                parts[3].parse().expect("i"),
            ));
            this_round += 1;
        }
        // SIGKILL: no destructors, no flush, whatever commit is in flight is cut.
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        // Acks already in the pipe were acknowledged before the kill: count them too.
        for line in lines.map_while(Result::ok) {
            let parts: Vec<&str> = line.split(' ').collect();
            if parts.len() == 4 {
                acknowledged.insert(idempotency_key(
                    parts[1].parse().expect("w"),
                    parts[2].parse().expect("r"),
                    parts[3].parse().expect("i"),
                ));
            }
        }
        // Recovery on open must succeed after every kill.
        let (store, report) =
            EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("reopens after kill -9");
        assert!(
            report.log_records >= acknowledged.len() as u64,
            "{report:?}"
        );
        drop(store);
    }
    verify(&path, &acknowledged);
}

fn verify(path: &std::path::Path, acknowledged: &BTreeSet<String>) {
    let database = Database::create(path).expect("opens for inspection");
    let transaction = database.begin_read().expect("read txn");
    let idempotency = transaction.open_table(tables::IDEMPOTENCY).expect("table");
    let candidates = transaction.open_table(tables::CANDIDATES).expect("table");
    let log = transaction.open_table(tables::LOG).expect("table");

    // Every log record decodes (nothing torn) and appears once; offsets are dense per partition.
    let mut in_log: BTreeMap<String, usize> = BTreeMap::new();
    let mut next_offset: BTreeMap<u32, u64> = BTreeMap::new();
    for entry in log.iter().expect("iterates") {
        let (key, value) = entry.expect("readable");
        let (partition, offset) = key.value();
        let expected = next_offset.entry(partition).or_default();
        assert_eq!(
            offset, *expected,
            "gap or duplicate offset in partition {partition}"
        );
        *expected += 1;
        let record: LogRecord = postcard::from_bytes(value.value()).expect("log record decodes");
        *in_log.entry(record.idempotency_key).or_default() += 1;
    }
    let duplicated: Vec<_> = in_log.iter().filter(|(_, count)| **count != 1).collect();
    assert!(
        duplicated.is_empty(),
        "writes present more than once: {duplicated:?}"
    );

    // Present at all ⇒ present completely.
    let mut present = 0usize;
    for entry in idempotency.iter().expect("iterates") {
        let (key, _) = entry.expect("readable");
        let key = key.value().to_owned();
        assert!(
            in_log.contains_key(&key),
            "{key}: idempotency record without its log record"
        );
        let parts: Vec<u32> = key
            .trim_start_matches("crash-")
            .split('-')
            .map(|p| p.parse().expect("number"))
            .collect();
        let candidate_key = self::key(parts[0] as u8, parts[1] as u8, parts[2]);
        assert!(
            candidates
                .get(candidate_key.as_slice())
                .expect("reads")
                .is_some(),
            "{key}: snapshot missing"
        );
        present += 1;
    }
    assert_eq!(
        present,
        in_log.len(),
        "log records without idempotency records"
    );

    // Acknowledged ⇒ present.
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|key| !in_log.contains_key(*key))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    println!(
        "crash: {} acknowledged writes over {ROUNDS} SIGKILLs all present; {present} writes present, none torn or duplicated",
        acknowledged.len()
    );
    println!("1 passed, 0 failed");
}
