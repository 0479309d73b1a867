//! Which shards this node owns: Kafka's consumer-group assignment, nothing home-made.
//!
//! Every gateway node joins one consumer group subscribed to both topics. The partitions the
//! group assigns to a node are the shards whose single writer runs there:
//!
//! - **Revoke** (inside librdkafka's rebalance callback, before the group moves on): the
//!   shards stop accepting writes (a write lock per shard, so no send can slip between the
//!   check and the flag), then the producer is flushed, so every write this node made to
//!   them is in Kafka before anyone else is given them.
//! - **Assign**: the node waits until its follower has applied each new partition up to the
//!   high watermark read *after* the assignment — which includes the previous owner's last
//!   write — then writes a signed *claim* record and waits until its follower has applied
//!   that too. One past the claim's offset is its epoch: it starts writing under it (the
//!   shard actor drops its cache when the epoch changes), and every follower drops later
//!   commits written under an older epoch — so a previous owner that has not noticed it
//!   lost the partition (a long GC-like pause, a cut-off network) changes nothing any more.
//!   It then commits the group offset of the partition with its own URL as the offset's
//!   metadata: that is how other nodes find the owner to redirect writes to.
//!
//! The assigned partitions are paused in this consumer: it exists for membership; the
//! follower does the reading.

use super::codec;
use super::config::{KafkaConfig, Topics};
use super::follower::{Progress, kafka_error};
use crate::error::StorageError;
use crate::keys::KeyRing;
use crate::record::Partition;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Ownership, one slot per partition: the epoch this node writes it under (one past the
/// offset of its claim record), 0 while not owned.
pub(crate) struct Owned {
    slots: Vec<RwLock<u64>>,
}

impl Owned {
    pub(crate) fn new(partitions: usize) -> Owned {
        Owned {
            slots: (0..partitions).map(|_| RwLock::new(0)).collect(),
        }
    }

    /// The epoch of ownership of partition `index`, or `None` when not owned.
    pub(crate) fn epoch(&self, index: usize) -> Option<u64> {
        let epoch = *self.slots[index]
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (epoch != 0).then_some(epoch)
    }

    /// Holds partition `index` as owned while a write is handed to the producer; `None`
    /// when not owned.
    pub(crate) fn hold(&self, index: usize) -> Option<RwLockReadGuard<'_, u64>> {
        let guard = self.slots[index]
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (*guard != 0).then_some(guard)
    }

    /// Owns partition `index` under `epoch`, or (0) releases it.
    fn set(&self, index: usize, epoch: u64) {
        *self.slots[index]
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = epoch;
        crate::metrics::record_owned(
            self.slots
                .iter()
                .filter(|slot| *slot.read().unwrap_or_else(|poisoned| poisoned.into_inner()) != 0)
                .count(),
        );
    }
}

/// What the rebalance callback hands to the membership thread.
struct GroupContext {
    topics: Topics,
    owned: Arc<Owned>,
    producer: FutureProducer,
    assigned: Mutex<Vec<Partition>>,
    flush_timeout: Duration,
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            for element in list.elements() {
                if let Some(partition) = self
                    .topics
                    .partition_of(element.topic(), element.partition())
                {
                    self.owned.set(self.topics.index(partition), 0);
                    crate::metrics::record_rebalance("revoked");
                    if let Ok(mut assigned) = self.assigned.lock() {
                        assigned.retain(|pending| *pending != partition);
                    }
                }
            }
            // Everything this node wrote to them must be in Kafka before the group hands
            // them to another node, which will read up to the high watermark.
            if self.producer.flush(self.flush_timeout).is_err() {
                crate::metrics::record_kafka_error("flush");
            }
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance
            && let Ok(mut assigned) = self.assigned.lock()
        {
            assigned.extend(list.elements().iter().filter_map(|element| {
                self.topics
                    .partition_of(element.topic(), element.partition())
            }));
        }
    }
}

/// This node's membership in the group.
pub(crate) struct Membership {
    consumer: Arc<BaseConsumer<GroupContext>>,
    topics: Topics,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Membership {
    /// Joins the group. Ownership arrives asynchronously, as the group assigns it.
    pub(crate) fn join(
        config: &KafkaConfig,
        topics: Topics,
        owned: Arc<Owned>,
        producer: FutureProducer,
        keys: KeyRing,
        progress: Arc<Progress>,
    ) -> Result<Membership, StorageError> {
        let claims = Claims {
            producer: producer.clone(),
            keys,
        };
        let context = GroupContext {
            topics: topics.clone(),
            owned: Arc::clone(&owned),
            producer,
            assigned: Mutex::new(Vec::new()),
            flush_timeout: Duration::from_secs(config.delivery_timeout_seconds),
        };
        let consumer: BaseConsumer<GroupContext> = config
            .client()?
            .set("group.id", &config.group_id)
            .set("client.id", &config.advertised_url)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "latest")
            .set(
                "session.timeout.ms",
                (config.session_timeout_seconds * 1000).to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                (config.session_timeout_seconds * 1000 / 4)
                    .max(100)
                    .to_string(),
            )
            // Eager: a revoked shard is released before anyone is assigned it.
            .set("partition.assignment.strategy", "range")
            .create_with_context(context)
            .map_err(kafka_error)?;
        consumer
            .subscribe(&[&topics.candidates, &topics.organisation])
            .map_err(kafka_error)?;
        let consumer = Arc::new(consumer);
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_consumer, thread_stop, url) = (
            Arc::clone(&consumer),
            Arc::clone(&stop),
            config.published_urls(),
        );
        let thread_topics = topics.clone();
        let rebuild_timeout = Duration::from_secs(config.apply_timeout_seconds.max(1) * 10);
        let thread = std::thread::Builder::new()
            .name("kafka-membership".into())
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    // Drives heartbeats and the rebalance callbacks; records are ignored
                    // (assigned partitions are paused).
                    let _ = thread_consumer.poll(Duration::from_millis(100));
                    let assigned = thread_consumer
                        .context()
                        .assigned
                        .lock()
                        .map(|mut assigned| std::mem::take(&mut *assigned))
                        .unwrap_or_default();
                    let context = TakeOver {
                        topics: &thread_topics,
                        owned: &owned,
                        progress: &progress,
                        claims: &claims,
                        url: &url,
                        timeout: rebuild_timeout,
                    };
                    for (partition, error) in take_over(&thread_consumer, assigned, &context) {
                        // Retried on the next turn unless the group takes it away meanwhile.
                        crate::metrics::record_kafka_error("take_over");
                        tracing::warn!(?partition, %error, "kafka: taking over failed, retrying");
                        if let Ok(mut pending) = thread_consumer.context().assigned.lock() {
                            pending.push(partition);
                        }
                    }
                }
            })
            .map_err(|e| StorageError::Kafka(e.to_string()))?;
        Ok(Membership {
            consumer,
            topics,
            stop,
            thread: Some(thread),
        })
    }

    /// Whether the group has given this node partitions and it has taken every one of them
    /// over (rebuilt, claimed, owned).
    pub(crate) fn settled(&self, owned: &Owned) -> bool {
        let Ok(assignment) = self.consumer.assignment() else {
            return false;
        };
        let partitions: Vec<Partition> = assignment
            .elements()
            .iter()
            .filter_map(|element| {
                self.topics
                    .partition_of(element.topic(), element.partition())
            })
            .collect();
        !partitions.is_empty()
            && partitions
                .iter()
                .all(|partition| owned.epoch(self.topics.index(*partition)).is_some())
    }

    /// The URLs of the node owning `partition`, as it published them, if any.
    pub(crate) fn owner_url(
        &self,
        partition: Partition,
    ) -> Result<Option<super::NodeUrls>, StorageError> {
        let (topic, index) = self.topics.locate(partition);
        let mut list = TopicPartitionList::new();
        list.add_partition(topic, index);
        let committed = self
            .consumer
            .committed_offsets(list, Duration::from_secs(5))
            .map_err(kafka_error)?;
        Ok(committed
            .find_partition(topic, index)
            .and_then(|element| super::NodeUrls::from_metadata(element.metadata())))
    }
}

impl Drop for Membership {
    /// Leaves the group cleanly, so the shards move at once instead of after the session
    /// timeout.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.consumer.unsubscribe();
        let _ = self.consumer.poll(Duration::from_millis(100));
    }
}

/// How this node writes its claims.
struct Claims {
    producer: FutureProducer,
    keys: KeyRing,
}

impl Claims {
    /// Hands a claim of `partition` to the producer (claims of a whole assignment go out
    /// together, in one round trip per broker).
    fn send(
        &self,
        topics: &Topics,
        partition: Partition,
    ) -> Result<rdkafka::producer::DeliveryFuture, StorageError> {
        let payload = codec::encode_claim(&self.keys, partition)?;
        let (topic, index) = topics.locate(partition);
        let record = FutureRecord::<(), [u8]>::to(topic)
            .partition(index)
            .payload(&payload);
        self.producer
            .send_result(record)
            .map_err(|(error, _)| kafka_error(error))
    }
}

/// The offset of a sent claim once Kafka has it. On a plain thread: the delivery is a
/// oneshot, resolved by librdkafka's own thread (bounded by `message.timeout.ms`).
fn delivered(delivery: rdkafka::producer::DeliveryFuture) -> Result<u64, StorageError> {
    let delivered = futures::executor::block_on(delivery)
        .map_err(|_| StorageError::Kafka("the producer has stopped".into()))?
        .map_err(|(error, _)| kafka_error(error))?;
    u64::try_from(delivered.offset)
        .map_err(|_| StorageError::Kafka("claim delivered without an offset".into()))
}

/// Waits until the follower has applied partition `slot` up to (not including) `end`.
fn rebuild(
    progress: &Progress,
    partition: Partition,
    slot: usize,
    end: u64,
    started: Instant,
    timeout: Duration,
) -> Result<(), StorageError> {
    while progress.next(slot) < end {
        if started.elapsed() > timeout {
            return Err(StorageError::Kafka(format!(
                "{partition:?}: rebuilding stopped at offset {} of {end}",
                progress.next(slot)
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// Takes over the partitions of one assignment: rebuilds each here (the follower catches up
/// to its high watermark), claims them all at once, then owns each under its claim's epoch
/// and publishes this node as its owner. Returns those that failed, to retry.
fn take_over(
    consumer: &BaseConsumer<GroupContext>,
    assignment: Vec<Partition>,
    context: &TakeOver<'_>,
) -> Vec<(Partition, StorageError)> {
    let mut failed = Vec::new();
    let mut claimed = Vec::new();
    for partition in assignment {
        match rebuild_and_claim(consumer, partition, context) {
            Ok(pending) => claimed.push((partition, pending)),
            Err(error) => failed.push((partition, error)),
        }
    }
    for (partition, (high, delivery, started)) in claimed {
        if let Err(error) = own(consumer, partition, high, delivery, started, context) {
            failed.push((partition, error));
        }
    }
    failed
}

/// What a take-over needs besides the consumer.
struct TakeOver<'a> {
    topics: &'a Topics,
    owned: &'a Owned,
    progress: &'a Progress,
    claims: &'a Claims,
    url: &'a str,
    timeout: Duration,
}

/// Rebuilds `partition` up to the high watermark read now, then sends its claim.
fn rebuild_and_claim(
    consumer: &BaseConsumer<GroupContext>,
    partition: Partition,
    context: &TakeOver<'_>,
) -> Result<(u64, rdkafka::producer::DeliveryFuture, Instant), StorageError> {
    let (topic, index) = context.topics.locate(partition);
    let mut list = TopicPartitionList::new();
    list.add_partition(topic, index);
    consumer.pause(&list).map_err(kafka_error)?;
    let (_, high) = consumer
        .fetch_watermarks(topic, index, Duration::from_secs(10))
        .map_err(kafka_error)?;
    let high = u64::try_from(high).unwrap_or(0);
    let started = Instant::now();
    let slot = context.topics.index(partition);
    rebuild(
        context.progress,
        partition,
        slot,
        high,
        started,
        context.timeout,
    )?;
    Ok((
        high,
        context.claims.send(context.topics, partition)?,
        started,
    ))
}

/// Once the claim is in the log and applied here, owns `partition` under its epoch.
fn own(
    consumer: &BaseConsumer<GroupContext>,
    partition: Partition,
    high: u64,
    delivery: rdkafka::producer::DeliveryFuture,
    started: Instant,
    context: &TakeOver<'_>,
) -> Result<(), StorageError> {
    let claim = delivered(delivery)?;
    let slot = context.topics.index(partition);
    // Everything before the claim is in the projection now, and nothing after it from an
    // older owner will be applied anywhere.
    rebuild(
        context.progress,
        partition,
        slot,
        claim + 1,
        started,
        context.timeout,
    )?;
    let epoch = claim + 1;
    if context.progress.fence(slot) != epoch {
        return Err(StorageError::Kafka(format!(
            "{partition:?}: claimed at offset {claim}, but a newer claim followed"
        )));
    }
    context.owned.set(slot, epoch);
    crate::metrics::record_rebalance("assigned");
    let (topic, index) = context.topics.locate(partition);
    let mut published = TopicPartitionList::new();
    let mut element = published.add_partition(topic, index);
    element
        .set_offset(Offset::Offset(high as i64))
        .map_err(kafka_error)?;
    element.set_metadata(context.url);
    consumer
        .commit(&published, CommitMode::Sync)
        .map_err(kafka_error)
}
