//! The Kafka log against librdkafka's in-process `MockCluster` (the real protocol over
//! loopback TCP): writes acknowledged after `acks=all` and applied; a broker failure while
//! writes are in flight; rebalances that move shards between nodes. After each, a fresh
//! follower replays the whole log and every acknowledged write is there exactly once.

mod support;

use engine::candidate::Status;
use futures::future::join_all;
use rdkafka::mocking::{MockCluster, MockCoordinator};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage::kafka::codec;
use storage::keys::KeyRing;
use storage::{
    Commit, EmbeddedConfig, EmbeddedStore, EventLog, KafkaConfig, KafkaLog, Partition, StateStore,
    StorageError,
};
use support::{candidate, commit_for, point};
use tempfile::TempDir;

const SHARDS: u32 = 4;
const PREFIX: &str = "test";

struct Node {
    log: KafkaLog<EmbeddedStore>,
    _directory: TempDir,
}

fn cluster() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let cluster = MockCluster::new(3).expect("mock cluster");
    cluster
        .create_topic(&format!("{PREFIX}.candidates"), SHARDS as i32, 3)
        .expect("candidates topic");
    cluster
        .create_topic(&format!("{PREFIX}.organisation"), 1, 3)
        .expect("organisation topic");
    cluster
        .create_topic(&format!("{PREFIX}.audit"), 1, 3)
        .expect("audit topic");
    cluster
}

/// The deployment's `log_commits` ring, the same on every node.
fn keys() -> KeyRing {
    KeyRing::single("1", vec![7; 32]).expect("valid ring")
}

async fn node(brokers: &str, url: &str, group: &str) -> Node {
    node_with(
        brokers,
        url,
        group,
        KafkaConfig::new(brokers, url).apply_timeout_seconds,
    )
    .await
}

async fn node_with(brokers: &str, url: &str, group: &str, apply_timeout_seconds: u64) -> Node {
    let directory = TempDir::new().expect("temp dir");
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("node.redb")))
        .expect("store opens");
    let mut config = KafkaConfig::new(brokers, url);
    config.topic_prefix = PREFIX.into();
    config.group_id = group.into();
    config.replication_factor = 3;
    config.session_timeout_seconds = 6;
    config.apply_timeout_seconds = apply_timeout_seconds;
    config.internal_url = Some(format!("{url}-admin"));
    let log = KafkaLog::start(&config, SHARDS, keys(), Arc::new(store))
        .await
        .expect("kafka log starts");
    Node {
        log,
        _directory: directory,
    }
}

/// A node that is alone in `group`, once the group has given it every partition.
async fn sole_node(brokers: &str, url: &str, group: &str) -> Node {
    let node = node(brokers, url, group).await;
    owns_everything(node, url).await
}

async fn owns_everything(node: Node, url: &str) -> Node {
    eventually(
        &format!("{url} to own every partition"),
        Duration::from_secs(30),
        || node.log.owned().len() == SHARDS as usize + 1,
    )
    .await;
    node
}

/// Writes `count` commits to every shard through `node`, all acknowledged.
async fn write_every_shard(
    node: &Node,
    from: u32,
    count: u32,
    acknowledged: &mut BTreeSet<String>,
) {
    for shard in 0..SHARDS {
        let (acked, refused) = write_many(node, shard, from, count).await;
        assert!(refused.is_empty(), "{refused:?}");
        acknowledged.extend(acked);
    }
}

async fn eventually(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A commit for candidate `n` of `shard` (keys chosen per shard so keys differ).
fn write(shard: u32, n: u32) -> (Commit, String) {
    let mut key = [0u8; 16];
    key[0] = shard as u8;
    key[1..5].copy_from_slice(&n.to_be_bytes());
    let idempotency = format!("s{shard}-n{n}");
    let candidate = candidate(
        key,
        point(430102, 1),
        (n % 9000 + 1) as u16,
        Status::Captured,
    );
    (commit_for(&candidate, shard, &idempotency), idempotency)
}

/// Writes `count` commits to `shard` through `node`, all in flight together; returns the
/// idempotency keys acknowledged and those refused.
async fn write_many(
    node: &Node,
    shard: u32,
    from: u32,
    count: u32,
) -> (Vec<String>, Vec<StorageError>) {
    let (commits, keys): (Vec<_>, Vec<_>) = (from..from + count).map(|n| write(shard, n)).unzip();
    let results = join_all(commits.into_iter().map(|commit| node.log.commit(commit))).await;
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    for (key, result) in keys.into_iter().zip(results) {
        match result {
            Ok(_) => acknowledged.push(key),
            Err(error) => refused.push(error),
        }
    }
    (acknowledged, refused)
}

/// Replays the whole log into a fresh projection (its own group, so it moves nobody's
/// shards) and returns, per idempotency key, how many log records carry it.
async fn replay_everything(brokers: &str) -> BTreeMap<String, usize> {
    let verifier = sole_node(brokers, "http://verifier", "verifier").await;
    let store = verifier.log.projection();
    let mut seen = BTreeMap::new();
    for shard in 0..SHARDS {
        for (_, record) in store
            .read(Partition::Candidates(shard), 0, 100_000)
            .await
            .expect("local log reads")
        {
            *seen.entry(record.idempotency_key).or_insert(0) += 1;
        }
    }
    seen
}

/// Replays the log and checks it holds every acknowledged write once and nothing else;
/// returns what it saw.
async fn log_holds_exactly(
    brokers: &str,
    acknowledged: &BTreeSet<String>,
) -> BTreeMap<String, usize> {
    let seen = replay_everything(brokers).await;
    assert_exactly_once(&seen, acknowledged);
    assert_eq!(seen.len(), acknowledged.len());
    seen
}

/// Makes `broker` the leader of every candidates partition.
fn lead_all(
    cluster: &MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    broker: i32,
) {
    for shard in 0..SHARDS {
        cluster
            .partition_leader(&format!("{PREFIX}.candidates"), shard as i32, Some(broker))
            .expect("leader");
    }
}

fn assert_exactly_once(seen: &BTreeMap<String, usize>, acknowledged: &BTreeSet<String>) {
    for key in acknowledged {
        assert_eq!(
            seen.get(key),
            Some(&1),
            "acknowledged write {key} must be in the log once"
        );
    }
    for (key, count) in seen {
        assert_eq!(*count, 1, "{key} applied {count} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_acknowledged_once_durable_and_applied_in_every_projection() {
    let cluster = cluster();
    let brokers = cluster.bootstrap_servers();
    let a = sole_node(&brokers, "http://a", "gateways").await;
    let mut acknowledged = BTreeSet::new();
    write_every_shard(&a, 0, 50, &mut acknowledged).await;
    // Read-your-writes: acknowledged means applied to this node's projection.
    for shard in 0..SHARDS {
        let (commit, key) = write(shard, 7);
        let _ = commit;
        let outcome = a
            .log
            .projection()
            .idempotent_outcome(&key)
            .await
            .expect("reads");
        assert_eq!(outcome.as_deref(), Some(key.as_bytes()));
    }
    // State-only commits (audit, settings) go to the organisation partition from any node.
    let setting = Commit {
        partition: Partition::Organisation,
        records: Vec::new(),
        updates: vec![storage::StateUpdate::Setting {
            name: "schedule".into(),
            value: b"v1".to_vec(),
        }],
    };
    a.log.commit(setting).await.expect("setting committed");
    assert_eq!(
        a.log.projection().setting("schedule").await.expect("reads"),
        Some(b"v1".to_vec())
    );
    // The same commit delivered again (a producer retry after a lost ack is deduplicated
    // by the broker; a consumer redelivery by the projection's offsets).
    log_holds_exactly(&brokers, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_failure_delays_acknowledgements_but_loses_and_duplicates_nothing() {
    let cluster = cluster();
    let brokers = cluster.bootstrap_servers();
    // Keep the group coordinator away from the broker we stop.
    cluster
        .coordinator(MockCoordinator::Group("gateways".into()), 3)
        .expect("coordinator");
    lead_all(&cluster, 1);
    let a = sole_node(&brokers, "http://a", "gateways").await;
    let (before, refused) = write_many(&a, 0, 0, 20).await;
    assert!(refused.is_empty(), "{refused:?}");

    cluster.broker_down(1).expect("broker 1 down");
    let in_flight: Vec<_> = (100..140)
        .map(|n| {
            let (commit, key) = write(n % SHARDS, n);
            (key, tokio::spawn(a.log.commit(commit)))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        in_flight.iter().all(|(_, task)| !task.is_finished()),
        "nothing may be acknowledged while the partitions' leader is down"
    );
    // The cluster elects new leaders; the producer retries (idempotently) against them.
    lead_all(&cluster, 2);
    let mut acknowledged: BTreeSet<String> = before.into_iter().collect();
    for (key, task) in in_flight {
        task.await
            .expect("task")
            .expect("acknowledged after failover");
        acknowledged.insert(key);
    }
    cluster.broker_up(1).expect("broker 1 back");
    log_holds_exactly(&brokers, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebalances_move_shards_without_losing_or_double_applying_anything() {
    let cluster = cluster();
    let brokers = cluster.bootstrap_servers();
    let a = sole_node(&brokers, "http://a", "gateways").await;
    let mut acknowledged = BTreeSet::new();
    write_every_shard(&a, 0, 25, &mut acknowledged).await;

    // A second node joins: the group splits the shards between them.
    let b = node(&brokers, "http://b", "gateways").await;
    eventually("the shards to be split", Duration::from_secs(60), || {
        let (on_a, on_b) = (a.log.owned(), b.log.owned());
        !on_a.is_empty() && !on_b.is_empty() && on_a.len() + on_b.len() == SHARDS as usize + 1
    })
    .await;
    let on_b = b.log.owned();
    // B rebuilt what A wrote before serving.
    for shard in 0..SHARDS {
        let (_, key) = write(shard, 3);
        assert!(
            b.log
                .projection()
                .idempotent_outcome(&key)
                .await
                .expect("reads")
                .is_some()
        );
    }
    // Only the owner writes; the other is told so and its commit is not in the log.
    let mut refused_keys = BTreeSet::new();
    for shard in 0..SHARDS {
        let partition = Partition::Candidates(shard);
        let (owner, other) = if on_b.contains(&partition) {
            (&b, &a)
        } else {
            (&a, &b)
        };
        let (acked, refused) = write_many(owner, shard, 100, 25).await;
        assert!(refused.is_empty(), "{refused:?}");
        acknowledged.extend(acked);
        let (commit, key) = write(shard, 999);
        assert_eq!(
            other.log.commit(commit).await,
            Err(StorageError::NotOwner(partition))
        );
        refused_keys.insert(key);
        let expected = if on_b.contains(&partition) {
            "http://b"
        } else {
            "http://a"
        };
        // Both of the owner's addresses: writes are redirected to the public one,
        // node-to-node requests go to its admin listener.
        assert_eq!(
            other.log.owner_url(partition).expect("lookup"),
            Some(storage::kafka::NodeUrls {
                public: expected.to_owned(),
                internal: Some(format!("{expected}-admin")),
            })
        );
    }

    // A leaves: B takes every shard over, including A's last writes.
    drop(a);
    eventually("b to own everything", Duration::from_secs(60), || {
        b.log.owned().len() == SHARDS as usize + 1
    })
    .await;
    for shard in 0..SHARDS {
        let (_, key) = write(shard, 110);
        assert!(
            b.log
                .projection()
                .idempotent_outcome(&key)
                .await
                .expect("reads")
                .is_some()
        );
        let (acked, refused) = write_many(&b, shard, 200, 10).await;
        assert!(refused.is_empty(), "{refused:?}");
        acknowledged.extend(acked);
    }
    let seen = log_holds_exactly(&brokers, &acknowledged).await;
    for key in refused_keys {
        assert!(
            !seen.contains_key(&key),
            "refused write {key} reached the log"
        );
    }
}

/// Security audit item 5: a write Kafka acknowledged but this node did not apply in time was
/// treated as failed, and the next decision read the lagging projection (a paid fee could
/// vanish, a serial be reused). Its outcome is unknown: the partition is fenced until the
/// projection has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_5_a_write_of_unknown_outcome_fences_its_partition_until_applied() {
    let cluster = cluster();
    let brokers = cluster.bootstrap_servers();
    // No time at all to apply: every acknowledged write's outcome is unknown to its caller.
    let a = owns_everything(
        node_with(&brokers, "http://a", "gateways", 0).await,
        "http://a",
    )
    .await;
    let mut unknown = None;
    for index in 0..50u16 {
        let written = candidate(
            [index as u8 + 1; 16],
            point(430102, 1),
            index + 1,
            Status::Activated,
        );
        if a.log
            .commit(commit_for(&written, 0, &format!("unknown-{index}")))
            .await
            .is_err()
        {
            unknown = Some(written);
            break;
        }
    }
    let written = unknown.expect("a write whose outcome was unknown");
    // A writer waits here before reading: afterwards the projection holds the write.
    a.log
        .caught_up(Partition::Candidates(0))
        .await
        .expect("caught up within the wait");
    assert_eq!(
        a.log
            .projection()
            .candidate(written.key)
            .await
            .expect("reads"),
        Some(written),
        "the fence let a read through before the write was applied"
    );
}

/// Writes `payload` straight into candidate partition `shard`, as anyone who can reach the
/// brokers could.
async fn produce_raw(brokers: &str, shard: u32, payload: &[u8]) {
    let producer: rdkafka::producer::FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("raw producer");
    producer
        .send(
            rdkafka::producer::FutureRecord::<(), [u8]>::to(&format!("{PREFIX}.candidates"))
                .partition(shard as i32)
                .payload(payload),
            Duration::from_secs(10),
        )
        .await
        .expect("raw record delivered");
}

async fn applied(node: &Node, key: &str) -> bool {
    node.log
        .projection()
        .idempotent_outcome(key)
        .await
        .expect("reads")
        .is_some()
}

/// Security audit item 5 (zombie fencing): a node that lost its partition without noticing
/// (here: another node given it by another group, as if this one had been cut off from its
/// group) kept writing, and its writes interleaved with the new owner's. Now the new owner's
/// claim fences it: its write that lands after the claim is dropped by every follower, and
/// it refuses further writes once it has seen the claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_5_a_node_that_lost_its_partition_changes_nothing_after_the_new_claim() {
    let cluster = cluster();
    let brokers = cluster.bootstrap_servers();
    let a = sole_node(&brokers, "http://a", "gateways").await;
    let mut acknowledged = BTreeSet::new();
    let (acked, refused) = write_many(&a, 0, 0, 5).await;
    assert!(refused.is_empty(), "{refused:?}");
    acknowledged.extend(acked);
    let old_epoch = a
        .log
        .owner_epoch(Partition::Candidates(0))
        .expect("a owns shard 0");

    let b = sole_node(&brokers, "http://b", "takeover").await;
    let new_epoch = b
        .log
        .owner_epoch(Partition::Candidates(0))
        .expect("b owns shard 0");
    assert!(new_epoch > old_epoch, "{new_epoch} after {old_epoch}");
    // A's write that was in flight when B claimed lands after the claim.
    let (zombie, zombie_key) = write(0, 50);
    produce_raw(
        &brokers,
        0,
        &codec::encode(&keys(), old_epoch, &zombie).expect("encodes"),
    )
    .await;
    let (acked, refused) = write_many(&b, 0, 100, 5).await;
    assert!(refused.is_empty(), "{refused:?}");
    acknowledged.extend(acked);
    // A has seen the claim: it refuses instead of writing.
    let (late, late_key) = write(0, 60);
    let started = Instant::now();
    loop {
        match a.log.commit(late.clone()).await {
            Err(StorageError::NotOwner(Partition::Candidates(0))) => break,
            outcome => assert!(
                started.elapsed() < Duration::from_secs(30),
                "a still writes after b's claim: {outcome:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every projection alike: the earlier writes and B's, never the zombie's.
    for node in [&a, &b] {
        for key in &acknowledged {
            let started = Instant::now();
            while !applied(node, key).await {
                assert!(started.elapsed() < Duration::from_secs(30), "{key} missing");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        assert!(
            !applied(node, &zombie_key).await,
            "the zombie's write applied"
        );
    }
    let seen = log_holds_exactly(&brokers, &acknowledged).await;
    assert!(!seen.contains_key(&zombie_key) && !seen.contains_key(&late_key));
}

/// Security audit item 6: anyone who could reach Kafka could write candidate state, or stop
/// every follower with one malformed record. Records are signed now: forged, altered or
/// garbage records are skipped (never applied, never fatal) and the log goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_6_records_not_signed_by_the_deployment_are_skipped_and_following_goes_on() {
    let cluster = cluster();
    let brokers = cluster.bootstrap_servers();
    let a = sole_node(&brokers, "http://a", "gateways").await;
    let epoch = a
        .log
        .owner_epoch(Partition::Candidates(1))
        .expect("a owns shard 1");
    let (forged, forged_key) = write(1, 7);
    let stranger = KeyRing::single("1", vec![9; 32]).expect("valid ring");
    produce_raw(
        &brokers,
        1,
        &codec::encode(&stranger, epoch, &forged).expect("encodes"),
    )
    .await;
    produce_raw(&brokers, 1, b"\x04 not a record at all").await;
    produce_raw(&brokers, 1, &[]).await;
    let (acked, refused) = write_many(&a, 1, 100, 5).await;
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(a.log.failure(), None, "the follower stopped");
    for key in &acked {
        assert!(applied(&a, key).await, "{key} missing");
    }
    assert!(
        !applied(&a, &forged_key).await,
        "a forged commit was applied"
    );
    let seen = replay_everything(&brokers).await;
    assert!(!seen.contains_key(&forged_key));
    assert_eq!(seen.len(), acked.len());
}
