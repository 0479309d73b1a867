//! The callback inbox (`storage/src/embedded/inbox.rs`): what is put is durable and kept in
//! arrival order, a pending copy is stored once, what is removed is gone with its indexes,
//! and everything pending survives a reopen.

use engine::candidate::{PaymentNotice, PaymentSource, Provider};
use engine::key::CandidateKey;
use engine::time::Timestamp;
use storage::embedded::{Backlog, Callback, InboxEntry, Lookup};
use storage::{EmbeddedConfig, EmbeddedStore};

fn entry(key: u8, transaction: &str, received_at_ms: u64) -> InboxEntry {
    InboxEntry {
        key: CandidateKey::from_bytes([key; 16]),
        received_at_ms,
        callback: Callback::Payment(PaymentNotice {
            provider: Provider::WeChatPay,
            order_id: format!("GK{key:02}"),
            transaction_id: transaction.to_owned(),
            amount_fen: 2000,
            paid_at: Timestamp(1_780_000_000_000),
            source: PaymentSource::Notification,
        }),
    }
}

#[tokio::test]
async fn callbacks_wait_in_order_once_each_until_removed_and_survive_a_reopen() {
    let directory = tempfile::tempdir().expect("directory");
    let path = directory.path().join("inbox.redb");
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("opens");
    assert_eq!(store.inbox_backlog().expect("backlog"), Backlog::default());

    for (key, transaction, at) in [(1, "tx-a", 100), (2, "tx-b", 200), (1, "tx-c", 300)] {
        store
            .inbox_put(&entry(key, transaction, at))
            .await
            .expect("durable");
    }
    let one = CandidateKey::from_bytes([1; 16]);
    assert_eq!(
        store
            .inbox_lookup("payment-wechat_pay-tx-a", one)
            .expect("reads"),
        Lookup::Pending
    );
    assert_eq!(
        store
            .inbox_lookup("payment-wechat_pay-tx-z", one)
            .expect("reads"),
        Lookup::Record(None),
        "not pending: the record as stored (none here)"
    );
    // A provider's retry of a pending notification: stored once.
    store
        .inbox_put(&entry(1, "tx-a", 999))
        .await
        .expect("durable");

    let all = store.inbox_oldest(None, 10).expect("reads");
    let transactions: Vec<String> = all.iter().map(|p| p.entry.dedupe_key()).collect();
    assert_eq!(
        transactions,
        [
            "payment-wechat_pay-tx-a",
            "payment-wechat_pay-tx-b",
            "payment-wechat_pay-tx-c"
        ]
    );
    assert_eq!(
        all[0].entry,
        entry(1, "tx-a", 100),
        "the first copy is the one kept"
    );
    let sequences: Vec<u64> = all.iter().map(|p| p.sequence).collect();
    assert_eq!(sequences, [0, 1, 2]);
    assert_eq!(
        store.inbox_oldest(Some(0), 1).expect("reads")[0].sequence,
        1,
        "after a sequence, at most the limit"
    );
    let first = store
        .inbox_of(CandidateKey::from_bytes([1; 16]))
        .expect("reads");
    assert_eq!(first.iter().map(|p| p.sequence).collect::<Vec<_>>(), [0, 2]);
    assert_eq!(
        store.inbox_backlog().expect("backlog"),
        Backlog {
            pending: 3,
            oldest_received_at_ms: Some(100)
        }
    );

    // Applied: removed with its indexes; removing again changes nothing.
    store.inbox_remove(vec![0, 0]).await.expect("durable");
    assert_eq!(
        store
            .inbox_of(CandidateKey::from_bytes([1; 16]))
            .expect("reads")
            .len(),
        1
    );
    assert_eq!(
        store
            .inbox_lookup("payment-wechat_pay-tx-a", one)
            .expect("reads"),
        Lookup::Record(None)
    );
    drop(store);

    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(&path)).expect("reopens");
    assert_eq!(
        store.inbox_backlog().expect("backlog"),
        Backlog {
            pending: 2,
            oldest_received_at_ms: Some(200)
        }
    );
    // Once removed, the transaction's key is free again (the engine knows it was applied).
    store
        .inbox_put(&entry(1, "tx-a", 400))
        .await
        .expect("durable");
    let after: Vec<u64> = store
        .inbox_oldest(None, 10)
        .expect("reads")
        .iter()
        .map(|p| p.sequence)
        .collect();
    assert_eq!(after, [1, 2, 3], "sequences are never reused");
}

/// Kafka mode: entries replicated from the log are numbered by their place in it, the same
/// on every node, so one partition's entries are one range and a removal written by the
/// owner (in the application's own commit) means the same entries on every projection; a
/// replay changes nothing.
#[tokio::test]
async fn replicated_entries_are_numbered_by_their_place_in_the_log() {
    use storage::{Commit, LogRecord, Partition, Payload, StateUpdate, StreamKey};
    let directory = tempfile::tempdir().expect("directory");
    let (store, _) =
        EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("p.redb"))).expect("opens");
    let put = |partition: u32, transaction: &str| Commit {
        partition: Partition::Candidates(partition),
        records: Vec::new(),
        updates: vec![StateUpdate::InboxPut(Box::new(entry(
            partition as u8,
            transaction,
            100,
        )))],
    };
    let arrivals = store.inbox_arrivals().notified();
    let replicated = vec![
        (put(3, "tx-a"), 7),
        (put(3, "tx-a"), 8), // a provider's second copy: held once
        (put(3, "tx-b"), 9),
        (put(1, "tx-c"), 0),
    ];
    for commit in store.submit_replicated(replicated.clone()) {
        commit.await.expect("durable");
    }
    tokio::time::timeout(std::time::Duration::from_secs(5), arrivals)
        .await
        .expect("the applier is woken");
    let of = |partition| -> Vec<u64> {
        store
            .inbox_oldest_of(Partition::Candidates(partition), 10)
            .expect("reads")
            .iter()
            .map(|pending| pending.sequence)
            .collect()
    };
    assert_eq!(of(3), [(3 << 44) | 7, (3 << 44) | 9]);
    assert_eq!(of(1), [1 << 44]);
    assert!(of(2).is_empty());
    // Replayed after a crash: skipped by offset, nothing doubled.
    for commit in store.submit_replicated(replicated) {
        commit.await.expect("durable");
    }
    assert_eq!(store.inbox_backlog().expect("backlog").pending, 3);
    // The owner's application of the entry, carrying its removal (one record, not two), as
    // the log carries it: the event and the removal land together.
    let application = Commit {
        partition: Partition::Candidates(3),
        records: vec![LogRecord {
            stream: StreamKey::Candidate(CandidateKey::from_bytes([3; 16])),
            idempotency_key: "payment-wechat_pay-tx-a".into(),
            recorded_at: Timestamp(2),
            payload: Payload::Adult(engine::adult::AdultEvent::PledgeAccepted { at: Timestamp(2) }),
        }],
        updates: vec![StateUpdate::InboxRemove {
            sequences: vec![(3 << 44) | 7],
        }],
    };
    for commit in store.submit_replicated(vec![(application, 10)]) {
        commit.await.expect("durable");
    }
    assert_eq!(of(3), [(3 << 44) | 9]);
    let log = storage::EventLog::read(&store, Partition::Candidates(3), 0, 10)
        .await
        .expect("reads");
    assert_eq!(
        log.iter()
            .map(|(_, record)| record.idempotency_key.as_str())
            .collect::<Vec<_>>(),
        ["payment-wechat_pay-tx-a"]
    );
    assert_eq!(
        store
            .inbox_lookup("payment-wechat_pay-tx-a", CandidateKey::from_bytes([3; 16]))
            .expect("reads"),
        Lookup::Record(None),
        "a removed entry's copies are the record's to judge"
    );
    assert_eq!(
        storage::embedded::inbox::partition_of((3 << 44) | 9),
        Partition::Candidates(3)
    );
}
