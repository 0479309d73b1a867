//! Model-based test: the embedded store against a plain in-memory model.
//!
//! Random sequences of commits (upserts that move candidates between statuses, idempotency
//! records, log appends across shards), reads of every kind, and reopenings of the file are
//! applied to both; every read must agree with the model.

mod support;

use engine::candidate::Status;
use engine::key::CandidateKey;
use engine::org::PointCode;
use proptest::prelude::*;
use std::collections::BTreeMap;
use storage::{EmbeddedConfig, EmbeddedStore, EventLog, Partition, ProgressScope, StateStore};
use support::*;

#[derive(Debug, Clone)]
enum Operation {
    Upsert {
        key: u8,
        point: u8,
        status: u8,
        shard: u8,
    },
    Reopen,
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        12 => (0u8..24, 0u8..4, 0u8..7, 0u8..3).prop_map(|(key, point, status, shard)| Operation::Upsert { key, point, status, shard }),
        1 => Just(Operation::Reopen),
    ]
}

/// Points used: two in one county, one in a sibling county, one in another city.
fn points() -> [PointCode; 4] {
    [
        point(430102, 1),
        point(430102, 2),
        point(430103, 1),
        point(430202, 1),
    ]
}

#[derive(Default)]
struct Model {
    /// key → (point index, status, serial sequence)
    candidates: BTreeMap<u8, (usize, Status, u16)>,
    log_lengths: BTreeMap<u32, u64>,
    idempotency: BTreeMap<String, Vec<u8>>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn embedded_store_agrees_with_the_model(operations in prop::collection::vec(operation(), 1..80)) {
        let directory = tempfile::tempdir().expect("temp dir");
        let config = EmbeddedConfig::new(directory.path().join("model.redb"));
        let (mut store, _) = EmbeddedStore::open(&config).expect("opens");
        let mut model = Model::default();
        for (step, operation) in operations.into_iter().enumerate() {
            match operation {
                Operation::Upsert { key, point, status, shard } => {
                    // A candidate's point and serial never change once captured.
                    let (point_index, _, sequence) = model.candidates.get(&key).copied()
                        .unwrap_or((usize::from(point), Status::Captured, 100 + u16::from(key)));
                    let status = Status::from_u8(status).expect("valid");
                    let candidate = candidate([key; 16], points()[point_index], sequence, status);
                    let idempotency_key = format!("step-{step}");
                    let receipt = store.submit(commit_for(&candidate, u32::from(shard), &idempotency_key)).wait().expect("durable");
                    let expected_offset = model.log_lengths.entry(u32::from(shard)).or_default();
                    prop_assert_eq!(receipt.first_offset, *expected_offset);
                    *expected_offset += 1;
                    model.candidates.insert(key, (point_index, status, sequence));
                    model.idempotency.insert(idempotency_key.clone(), idempotency_key.into_bytes());
                }
                Operation::Reopen => {
                    drop(store);
                    let (reopened, report) = EmbeddedStore::open(&config).expect("reopens");
                    prop_assert_eq!(report.candidates, model.candidates.len() as u64);
                    prop_assert_eq!(report.log_records, model.log_lengths.values().sum::<u64>());
                    store = reopened;
                }
            }
            check(&store, &model)?;
        }
    }
}

fn check(store: &EmbeddedStore, model: &Model) -> Result<(), TestCaseError> {
    for (&key, &(point_index, status, sequence)) in &model.candidates {
        let found = block_on(store.candidate(CandidateKey::from_bytes([key; 16]))).expect("reads");
        prop_assert_eq!(found.map(|c| c.status()), Some(status));
        let serial = engine::serial::SerialNumber::new(points()[point_index].county(), sequence)
            .expect("valid");
        prop_assert_eq!(
            block_on(store.candidate_key_by_serial(serial)).expect("reads"),
            Some(CandidateKey::from_bytes([key; 16]))
        );
    }
    prop_assert_eq!(
        block_on(store.candidate(CandidateKey::from_bytes([200; 16]))).expect("reads"),
        None
    );
    for (index, point) in points().into_iter().enumerate() {
        let expected: Vec<u8> = model
            .candidates
            .iter()
            .filter(|(_, v)| v.0 == index)
            .map(|(k, _)| *k)
            .collect();
        let listed = block_on(store.candidates_at_point(point, None, None, 1000)).expect("lists");
        prop_assert_eq!(
            listed
                .iter()
                .map(|c| c.key.as_bytes()[0])
                .collect::<Vec<_>>(),
            expected.clone()
        );
        // Paging: the first two, then everything after the second.
        let page = block_on(store.candidates_at_point(point, None, None, 2)).expect("pages");
        prop_assert_eq!(page.len(), expected.len().min(2));
        if let Some(last) = page.last() {
            let rest = block_on(store.candidates_at_point(point, None, Some(last.key), 1000))
                .expect("pages");
            prop_assert_eq!(page.len() + rest.len(), expected.len());
        }
        for status in Status::ALL {
            let of_status = block_on(store.candidates_at_point(point, Some(status), None, 1000))
                .expect("lists");
            let expected = model
                .candidates
                .values()
                .filter(|v| v.0 == index && v.1 == status)
                .count();
            prop_assert_eq!(of_status.len(), expected);
        }
    }
    let scopes = [
        (ProgressScope::Province, None),
        (
            ProgressScope::City(points()[0].county().city()),
            Some(points()[0].county().city()),
        ),
    ];
    for (scope, city) in scopes {
        let mut expected: BTreeMap<Status, u64> = BTreeMap::new();
        for &(index, status, _) in model.candidates.values() {
            if city.is_none_or(|city| points()[index].county().city() == city) {
                *expected.entry(status).or_default() += 1;
            }
        }
        prop_assert_eq!(block_on(store.progress(scope)).expect("counts"), expected);
    }
    let county = points()[0].county();
    let county_total: u64 = block_on(store.progress(ProgressScope::County(county)))
        .expect("counts")
        .values()
        .sum();
    prop_assert_eq!(
        county_total,
        model
            .candidates
            .values()
            .filter(|v| points()[v.0].county() == county)
            .count() as u64
    );
    for (shard, &length) in &model.log_lengths {
        let partition = Partition::Candidates(*shard);
        prop_assert_eq!(block_on(store.end_offset(partition)).expect("head"), length);
        let records = block_on(store.read(partition, 0, usize::MAX)).expect("reads");
        prop_assert_eq!(
            records
                .iter()
                .map(|(offset, _)| *offset)
                .collect::<Vec<_>>(),
            (0..length).collect::<Vec<_>>()
        );
        let tail = block_on(store.read(partition, length.saturating_sub(1), 10)).expect("reads");
        prop_assert_eq!(tail.len(), usize::from(length > 0));
    }
    for (key, outcome) in &model.idempotency {
        let stored = block_on(store.idempotent_outcome(key)).expect("reads");
        prop_assert_eq!(stored.as_ref(), Some(outcome));
    }
    prop_assert_eq!(
        block_on(store.idempotent_outcome("never-seen")).expect("reads"),
        None
    );
    Ok(())
}
