//! The Kafka log (`log = kafka`): writes are acknowledged once Kafka has them with
//! `acks=all`, shards are owned through consumer-group assignment, and every node's follower
//! applies the log to its projection.
//!
//! One request through it:
//!
//! ```text
//! shard actor ─ commit() ─► owner check ─► producer.send_result (idempotent, acks=all, linger)
//!                                             │ Kafka acknowledges offset o
//!                                             ▼
//!               reply ◄─ follower has applied o to the projection ◄─ follower (every partition)
//! ```
//!
//! Group commit is the producer's batching: `send_result` only enqueues (in the actor's
//! order, which the idempotent producer keeps per partition); librdkafka sends everything
//! queued for a partition in one request and one `acks=all` round trip. The trap the issue
//! warns about — awaiting each send before the next — never happens: `commit` returns the
//! future and the actor moves on.
//!
//! Failure: a delivery that fails (after `delivery_timeout_seconds` of retries) fails its
//! request, and the shard actor restarts and reloads from the projection, which only ever
//! holds what Kafka holds, in Kafka's order. The idempotent producer does not leave gaps:
//! a later write of the same partition cannot be acknowledged after an earlier one failed
//! without librdkafka raising a fatal error.

pub mod codec;
mod config;
mod follower;
mod ownership;

pub use config::{KafkaConfig, KafkaSecurity, NodeUrls, Topics};

use crate::error::StorageError;
use crate::keys::KeyRing;
use crate::projection::Projection;
use crate::record::{Commit, CommitReceipt, Partition};
use follower::{Follower, Progress, kafka_error};
use futures::FutureExt;
use futures::future::BoxFuture;
use ownership::{Membership, Owned};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use std::sync::Arc;
use std::time::Duration;

/// The Kafka log over projection `P` (this node's queryable state).
pub struct KafkaLog<P: Projection> {
    producer: FutureProducer,
    topics: Topics,
    keys: KeyRing,
    projection: Arc<P>,
    progress: Arc<Progress>,
    owned: Arc<Owned>,
    apply_timeout: Duration,
    // Options only so that `drop` can order them: leave the group, flush, stop following.
    membership: Option<Membership>,
    follower: Option<Follower>,
}

impl<P: Projection> KafkaLog<P> {
    /// Connects, checks (or creates) the topics, starts following every partition and joins
    /// the group. Records are signed, and verified before they are applied, with `keys`
    /// (the deployment's `log_commits` ring: the same on every node). Must be called inside
    /// a tokio runtime (the admin client awaits).
    pub async fn start(
        config: &KafkaConfig,
        shard_count: u32,
        keys: KeyRing,
        projection: Arc<P>,
    ) -> Result<KafkaLog<P>, StorageError> {
        let topics = Topics::new(&config.topic_prefix, shard_count);
        ensure_topics(config, &topics).await?;
        let producer: FutureProducer = config
            .client()?
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", config.linger_milliseconds.to_string())
            .set(
                "message.timeout.ms",
                (config.delivery_timeout_seconds * 1000).to_string(),
            )
            .set("compression.type", "lz4")
            .create()
            .map_err(kafka_error)?;
        let partitions = topics.count();
        let progress = Arc::new(Progress::new(partitions));
        let owned = Arc::new(Owned::new(partitions));
        let applied = projection.applied_offsets().await?;
        let fences = follower::fences(&*projection, &topics).await?;
        let follower = Follower::start(
            config,
            topics.clone(),
            keys.clone(),
            Arc::clone(&projection),
            applied,
            fences,
            Arc::clone(&progress),
        )?;
        let membership = Membership::join(
            config,
            topics.clone(),
            Arc::clone(&owned),
            producer.clone(),
            keys.clone(),
            Arc::clone(&progress),
        )?;
        Ok(KafkaLog {
            producer,
            topics,
            keys,
            projection,
            progress,
            owned,
            apply_timeout: Duration::from_secs(config.apply_timeout_seconds),
            membership: Some(membership),
            follower: Some(follower),
        })
    }

    /// The projection this node reads from.
    pub fn projection(&self) -> &Arc<P> {
        &self.projection
    }

    /// The topics.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// Whether this node owns `partition` now, and since which grant.
    pub fn owner_epoch(&self, partition: Partition) -> Option<u64> {
        self.owned.epoch(self.topics.index(partition))
    }

    /// Partitions this node owns now.
    pub fn owned(&self) -> Vec<Partition> {
        self.topics
            .all()
            .filter(|partition| self.owner_epoch(*partition).is_some())
            .collect()
    }

    /// Whether this node holds partitions from the group and has taken all of them over
    /// (a node that is assigned shards but still rebuilding them is not ready to write).
    pub fn settled(&self) -> bool {
        self.membership
            .as_ref()
            .is_some_and(|membership| membership.settled(&self.owned))
    }

    /// The URLs of the node that owns `partition`, as published in the group's offsets
    /// (blocking: one OffsetFetch round trip).
    pub fn owner_url(&self, partition: Partition) -> Result<Option<NodeUrls>, StorageError> {
        match &self.membership {
            Some(membership) => membership.owner_url(partition),
            None => Ok(None),
        }
    }

    /// Why the follower stopped, if it has (the node is then unhealthy).
    pub fn failure(&self) -> Option<String> {
        self.progress.failure()
    }

    /// Resolves once this node's projection of `partition` holds every write of this node's
    /// that Kafka acknowledged but that was not applied here in time. Such a write's outcome
    /// is unknown to its caller, and deciding on the stale projection would overwrite it (a
    /// paid fee vanishing, a serial number handed out twice), so writers wait here first.
    /// At once in the normal case; fails (the caller refuses, 503) past the apply timeout.
    pub fn caught_up(&self, partition: Partition) -> BoxFuture<'static, Result<(), StorageError>> {
        let progress = Arc::clone(&self.progress);
        let slot = self.topics.index(partition);
        let timeout = self.apply_timeout.max(Duration::from_secs(1));
        async move { progress.caught_up(slot, timeout).await }.boxed()
    }

    /// The next offset this node has not yet applied, per partition.
    pub fn applied(&self, partition: Partition) -> u64 {
        self.progress.next(self.topics.index(partition))
    }

    /// Makes `commit` durable in Kafka and applied here. A commit carrying events needs
    /// this node to own the partition (single writer) and is written under its epoch; one
    /// carrying only state (audit records, settings) may come from any node.
    pub fn commit(
        &self,
        commit: Commit,
    ) -> BoxFuture<'static, Result<CommitReceipt, StorageError>> {
        let partition = commit.partition;
        let slot = self.topics.index(partition);
        // Held across the enqueue: a revoke (write lock) either happens before — and we
        // refuse — or after, and its flush then includes this write.
        let owned = if commit.records.is_empty() {
            None
        } else {
            match self.owned.hold(slot) {
                // A newer claim has been applied here: the group has moved on without us.
                Some(epoch) if self.progress.fence(slot) == *epoch => Some(epoch),
                _ => return futures::future::ready(Err(StorageError::NotOwner(partition))).boxed(),
            }
        };
        let epoch = owned.as_deref().copied().unwrap_or(0);
        let sent = self.produce(&commit, epoch);
        drop(owned);
        let delivery = match sent {
            Ok(delivery) => delivery,
            Err(error) => return futures::future::ready(Err(error)).boxed(),
        };
        let progress = Arc::clone(&self.progress);
        let apply_timeout = self.apply_timeout;
        async move {
            let offset = delivery.await?;
            let delivered_at = std::time::Instant::now();
            // From here the write is in the log whatever happens next: if it is not applied
            // here in time, its outcome is unknown to the caller, and this partition is
            // fenced (`caught_up`) until the projection has it.
            if let Err(error) = progress.wait_applied(slot, offset, apply_timeout).await {
                progress.unknown_outcome(slot, offset);
                return Err(error);
            }
            // Applied — unless a newer claim came first and every follower dropped it.
            if epoch != 0 && progress.fence(slot) != epoch {
                return Err(StorageError::Kafka(format!(
                    "{partition:?} was taken over by another node while this write was in \
                     flight; its outcome is unknown: retry with the same idempotency key"
                )));
            }
            crate::metrics::record_apply_wait(delivered_at.elapsed().as_secs_f64());
            Ok(CommitReceipt {
                first_offset: offset,
                end_offset: offset + 1,
            })
        }
        .boxed()
    }

    /// Makes a state-only `commit` (no events, so any node may write it) durable in Kafka
    /// and resolves with its offset once Kafka acknowledges it (`acks=all`) — without
    /// waiting for it to be applied here. For what is answered as soon as it is durable
    /// and applied afterwards: the callback inbox (`embedded::inbox`); whoever must see it
    /// here waits for its offset ([`KafkaLog::applied_here`]).
    pub fn append(&self, commit: Commit) -> BoxFuture<'static, Result<u64, StorageError>> {
        if !commit.records.is_empty() {
            return futures::future::ready(Err(StorageError::Encode(
                "a commit with events is written by its partition's owner".into(),
            )))
            .boxed();
        }
        match self.produce(&commit, 0) {
            Ok(delivery) => delivery,
            Err(error) => futures::future::ready(Err(error)).boxed(),
        }
    }

    /// Resolves once this node's projection has applied `offset` of `partition` (fails past
    /// the apply timeout).
    pub fn applied_here(
        &self,
        partition: Partition,
        offset: u64,
    ) -> BoxFuture<'static, Result<(), StorageError>> {
        let progress = Arc::clone(&self.progress);
        let slot = self.topics.index(partition);
        let timeout = self.apply_timeout.max(Duration::from_secs(1));
        async move { progress.wait_applied(slot, offset, timeout).await }.boxed()
    }

    /// Signs `commit` under `epoch` and enqueues it on its partition (in call order); the
    /// future resolves with its offset once Kafka acknowledges it.
    fn produce(
        &self,
        commit: &Commit,
        epoch: u64,
    ) -> Result<BoxFuture<'static, Result<u64, StorageError>>, StorageError> {
        let (topic, index) = self.topics.locate(commit.partition);
        let payload = codec::encode(&self.keys, epoch, commit)?;
        let record = FutureRecord::<(), [u8]>::to(topic)
            .partition(index)
            .payload(&payload);
        let delivery = self.producer.send_result(record).map_err(|(error, _)| {
            crate::metrics::record_kafka_error("produce");
            kafka_error(error)
        })?;
        let started = std::time::Instant::now();
        Ok(async move {
            let delivered = delivery
                .await
                .map_err(|_| StorageError::Kafka("the producer has stopped".into()))?
                .map_err(|(error, _)| {
                    crate::metrics::record_kafka_error("produce");
                    kafka_error(error)
                })?;
            crate::metrics::record_produce(started.elapsed().as_secs_f64());
            u64::try_from(delivered.offset)
                .map_err(|_| StorageError::Kafka("delivery without an offset".into()))
        }
        .boxed())
    }
}

impl<P: Projection> Drop for KafkaLog<P> {
    fn drop(&mut self) {
        self.membership.take();
        let _ = self.producer.flush(Duration::from_secs(5));
        self.follower.take();
    }
}

/// Creates the topics if they are missing, then checks their partition counts: a shard is
/// a partition, so a topic with another count would route candidates wrongly.
async fn ensure_topics(config: &KafkaConfig, topics: &Topics) -> Result<(), StorageError> {
    let admin: AdminClient<DefaultClientContext> =
        config.client()?.create().map_err(kafka_error)?;
    let wanted = [
        (topics.candidates.as_str(), topics.shard_count as i32),
        (topics.organisation.as_str(), 1),
        (topics.audit.as_str(), 1),
    ];
    if check_topics(&admin, &wanted).is_ok() {
        return Ok(());
    }
    let settings = topic_settings(config.replication_factor);
    let new_topics: Vec<NewTopic<'_>> = wanted
        .iter()
        .map(|(name, partitions)| {
            settings.iter().fold(
                NewTopic::new(
                    name,
                    *partitions,
                    TopicReplication::Fixed(config.replication_factor),
                ),
                |topic, (key, value)| topic.set(key, value),
            )
        })
        .collect();
    // Brokers without CreateTopics (or topics that exist) answer with errors here; the
    // metadata check below is what decides.
    let _ = admin
        .create_topics(
            &new_topics,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await;
    check_topics(&admin, &wanted)
}

/// The configuration of the topics this binary creates. The log is the system of record
/// (projections are rebuilt from it), so nothing is ever deleted by age or size; an
/// acknowledged write must be on two replicas (where there are two) before `acks=all`
/// returns, and an out-of-sync replica never becomes leader.
pub(crate) fn topic_settings(replication_factor: i32) -> Vec<(&'static str, String)> {
    vec![
        ("retention.ms", "-1".into()),
        ("retention.bytes", "-1".into()),
        ("cleanup.policy", "delete".into()),
        (
            "min.insync.replicas",
            replication_factor.clamp(1, 2).to_string(),
        ),
        ("unclean.leader.election.enable", "false".into()),
    ]
}

fn check_topics(
    admin: &AdminClient<DefaultClientContext>,
    wanted: &[(&str, i32)],
) -> Result<(), StorageError> {
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(kafka_error)?;
    for &(name, partitions) in wanted {
        let found = metadata
            .topics()
            .iter()
            .find(|topic| topic.name() == name)
            .map(|topic| topic.partitions().len());
        match found {
            Some(count) if count == partitions as usize => {}
            Some(count) => {
                return Err(StorageError::Kafka(format!(
                    "topic {name} has {count} partitions; this deployment has {partitions} shards"
                )));
            }
            None => {
                return Err(StorageError::Kafka(format!(
                    "topic {name} does not exist and could not be created"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::topic_settings;

    /// Security audit item 21: topics were created with the broker's defaults (a week's
    /// retention would silently delete the system of record).
    #[test]
    fn item_21_topics_keep_everything_and_need_two_in_sync_replicas() {
        let settings = topic_settings(3);
        let get = |key: &str| {
            settings
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(get("retention.ms"), Some("-1"));
        assert_eq!(get("retention.bytes"), Some("-1"));
        assert_eq!(get("min.insync.replicas"), Some("2"));
        assert_eq!(get("unclean.leader.election.enable"), Some("false"));
        let single = topic_settings(1);
        assert!(
            single.contains(&("min.insync.replicas", "1".into())),
            "a one-broker test cluster can still be written to"
        );
    }
}
