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
