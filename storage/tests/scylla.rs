//! The ScyllaDB store against a real cluster. Runs only when `SCYLLA_NODES` is set
//! (`host:port,host:port`); no ScyllaDB server can run on the machines this project is
//! built on, and a fake would prove nothing, so otherwise it says why it did not run.

mod support;

use engine::candidate::Status;
use engine::time::Timestamp;
use storage::{
    AuditRecord, Commit, Partition, ProgressScope, Projection, Replicated, ScyllaConfig,
    ScyllaStore, StateStore, StateUpdate,
};
use support::{candidate, commit_for, point};

fn nodes() -> Option<Vec<String>> {
    match std::env::var("SCYLLA_NODES") {
        Ok(nodes) if !nodes.trim().is_empty() => Some(
            nodes
                .split(',')
                .map(|node| node.trim().to_owned())
                .collect(),
        ),
        _ => {
            eprintln!(
                "SKIPPED: SCYLLA_NODES is not set; no ScyllaDB cluster to test against \
                 (deploy/README.md starts one)"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_apply_idempotently_and_every_access_path_reads_them_back() {
    let Some(nodes) = nodes() else { return };
    let mut config = ScyllaConfig::new(nodes);
    config.keyspace = format!("registration_test_{}", std::process::id());
    config.replication_factor = 1;
    storage::scylla::migrate(&config)
        .await
        .expect("schema applies");
    // Migrating twice is harmless.
    storage::scylla::migrate(&config)
        .await
        .expect("schema applies again");
    let store = ScyllaStore::connect(&config).await.expect("connects");

    let at_point = point(430102, 1);
    let captured = candidate([1; 16], at_point, 11, Status::Captured);
    let paid = candidate([1; 16], at_point, 11, Status::Paid);
    let other = candidate([2; 16], at_point, 12, Status::Captured);
    let first = Replicated {
        partition: Partition::Candidates(0),
        offset: 0,
        commit: commit_for(&captured, 0, "one"),
    };
    let second = Replicated {
        partition: Partition::Candidates(0),
        offset: 1,
        commit: commit_for(&paid, 0, "two"),
    };
    let third = Replicated {
        partition: Partition::Candidates(1),
        offset: 0,
        commit: commit_for(&other, 1, "three"),
    };
    let audit = AuditRecord {
        at: Timestamp(1_780_000_000_000),
        actor: "op".into(),
        role: "point".into(),
        action: "capture".into(),
        target: "k".into(),
        outcome: "ok".into(),
        client: "127.0.0.1".into(),
        request: "r1".into(),
    };
    let organisation = Replicated {
        partition: Partition::Organisation,
        offset: 0,
        commit: Commit {
            partition: Partition::Organisation,
            records: Vec::new(),
            updates: vec![
                StateUpdate::Setting {
                    name: "schedule".into(),
                    value: b"v1".to_vec(),
                },
                StateUpdate::Audit(audit),
            ],
        },
    };
    store
        .apply(vec![first.clone(), second.clone(), third, organisation])
        .await
        .expect("applies");
    // A late redelivery of the older commit changes nothing: the newer write wins.
    store.apply(vec![first]).await.expect("re-applies");

    assert_eq!(
        store.candidate(paid.key).await.expect("reads"),
        Some(paid.clone())
    );
    assert_eq!(
        store
            .candidate_key_by_serial(paid.capture.serial)
            .await
            .expect("reads"),
        Some(paid.key)
    );
    let listed = store
        .candidates_at_point(at_point, Some(Status::Paid), None, 10)
        .await
        .expect("lists");
    assert_eq!(listed, vec![paid.clone()]);
    let progress = store
        .progress(ProgressScope::County(at_point.county()))
        .await
        .expect("counts");
    assert_eq!(progress[&Status::Paid], 1);
    assert_eq!(progress[&Status::Captured], 1);
    assert_eq!(
        store.idempotent_outcome("two").await.expect("reads"),
        Some(b"two".to_vec())
    );
    assert_eq!(
        store.setting("schedule").await.expect("reads"),
        Some(b"v1".to_vec())
    );
    let offsets = store.applied_offsets().await.expect("reads");
    assert_eq!(offsets[&Partition::Candidates(0)], 2);
    assert_eq!(offsets[&Partition::Candidates(1)], 1);
    assert_eq!(offsets[&Partition::Organisation], 1);
}
