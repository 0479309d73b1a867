//! The adult exam's registrations in the embedded store: a snapshot reads back, a point
//! lists its own (of a status), and a registration that moves to another point before
//! confirmation leaves the first point's list.

mod support;

use engine::adult::{AdultCandidate, AdultEvent, Status, evolve};
use engine::key::CandidateKey;
use engine::time::Timestamp;
use storage::{
    Commit, EmbeddedConfig, EmbeddedStore, LogRecord, Partition, Payload, StateStore, StateUpdate,
    StreamKey,
};

fn registered(byte: u8) -> AdultCandidate {
    evolve(
        None,
        &AdultEvent::Registered {
            key: CandidateKey::from_bytes([byte; 16]),
            username: format!("user{byte}"),
            password_hash: "h".into(),
            at: Timestamp(1),
        },
    )
    .expect("a registration")
}

fn at_point(candidate: AdultCandidate, number: u16) -> AdultCandidate {
    evolve(
        Some(candidate),
        &AdultEvent::PointChosen {
            point: support::point(430102, number),
            at: Timestamp(2),
        },
    )
    .expect("chosen")
}

fn commit(candidate: &AdultCandidate) -> Commit {
    Commit {
        partition: Partition::Candidates(0),
        records: vec![LogRecord {
            stream: StreamKey::Candidate(candidate.key),
            idempotency_key: "k".into(),
            recorded_at: Timestamp(2),
            payload: Payload::Adult(AdultEvent::PledgeAccepted { at: Timestamp(2) }),
        }],
        updates: vec![StateUpdate::AdultCandidate(Box::new(candidate.clone()))],
    }
}

#[test]
fn registrations_read_back_and_points_list_their_own() {
    let directory = tempfile::tempdir().expect("temp dir");
    let (store, _) =
        EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("s.redb"))).expect("opens");
    let a = at_point(registered(1), 5);
    let b = at_point(registered(2), 5);
    let c = registered(3);
    for candidate in [&a, &b, &c] {
        support::block_on(store.submit(commit(candidate))).expect("durable");
    }
    assert_eq!(
        support::block_on(store.adult_candidate(a.key)).expect("reads"),
        Some(a.clone())
    );
    let point = support::point(430102, 5);
    let listed =
        support::block_on(store.adult_candidates_at_point(point, None, None, 10)).expect("lists");
    assert_eq!(listed, vec![a.clone(), b.clone()]);
    let page = support::block_on(store.adult_candidates_at_point(point, None, Some(a.key), 10))
        .expect("pages");
    assert_eq!(page, vec![b.clone()]);
    let filled = support::block_on(store.adult_candidates_at_point(
        point,
        Some(Status::Confirmed),
        None,
        10,
    ))
    .expect("lists");
    assert!(filled.is_empty());
    // b moves to point 6.
    let moved = at_point(b.clone(), 6);
    support::block_on(store.submit(commit(&moved))).expect("durable");
    let listed =
        support::block_on(store.adult_candidates_at_point(point, None, None, 10)).expect("lists");
    assert_eq!(listed, vec![a]);
    let there = support::block_on(store.adult_candidates_at_point(
        support::point(430102, 6),
        Some(Status::PointChosen),
        None,
        10,
    ))
    .expect("lists");
    assert_eq!(there, vec![moved.clone()]);
    // Its history holds the adult event under its key.
    let history = support::block_on(store.candidate_history(moved.key, 10)).expect("history");
    assert_eq!(history.len(), 2);
}
