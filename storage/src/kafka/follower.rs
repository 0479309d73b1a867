//! The follower: applies every partition of the log, in offset order, to this node's
//! projection, and tells waiting writers how far it has got.
//!
//! Every node follows every partition (not only those it owns), so any node can answer
//! reads from its own projection; only owners write. A writer's commit is acknowledged once
//! Kafka has it (`acks=all`) *and* the follower has applied its offset here, which gives the
//! writer read-your-writes on this node. Applying is idempotent by offset
//! ([`Projection`]), so restarting from the projection's own offsets after `kill -9` re-applies
//! nothing twice and skips nothing.
//!
//! Runs on its own thread: `poll` blocks, and a batch is applied as one projection write
//! (one group commit on the embedded store).

use super::codec;
use super::config::{KafkaConfig, Topics};
use crate::error::StorageError;
use crate::projection::{Projection, Replicated};
use crate::record::Partition;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// Most commits applied as one projection write.
const MAX_BATCH_COMMITS: usize = 512;

/// How far the follower has applied each partition, and whether it has failed.
pub(crate) struct Progress {
    next: Vec<watch::Sender<u64>>,
    /// Per partition: one past the highest offset of a write of this node's that Kafka
    /// acknowledged but that was not applied here in time (its outcome unknown to its
    /// caller). Until `next` passes it, the projection lags behind what is decided.
    unknown: Vec<std::sync::atomic::AtomicU64>,
    failure: Mutex<Option<String>>,
}

impl Progress {
    pub(crate) fn new(partitions: usize) -> Progress {
        Progress {
            next: (0..partitions).map(|_| watch::channel(0).0).collect(),
            unknown: (0..partitions)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            failure: Mutex::new(None),
        }
    }

    /// Kafka acknowledged this node's write at `offset` of partition `index`, but it was
    /// not applied here in time: fence the partition until it is.
    pub(crate) fn unknown_outcome(&self, index: usize, offset: u64) {
        self.unknown[index].fetch_max(offset + 1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Resolves once partition `index` is applied past every write of unknown outcome (at
    /// once in the normal case: one atomic load).
    pub(crate) async fn caught_up(
        &self,
        index: usize,
        timeout: Duration,
    ) -> Result<(), StorageError> {
        let unknown = self.unknown[index].load(std::sync::atomic::Ordering::Acquire);
        if unknown == 0 || self.next(index) >= unknown {
            return Ok(());
        }
        self.wait_applied(index, unknown - 1, timeout).await
    }

    /// The next offset not yet applied.
    pub(crate) fn next(&self, index: usize) -> u64 {
        *self.next[index].borrow()
    }

    fn advance(&self, index: usize, next: u64) {
        self.next[index].send_if_modified(|current| {
            let moved = next > *current;
            if moved {
                *current = next;
            }
            moved
        });
    }

    /// Resolves once `offset` of partition `index` has been applied.
    pub(crate) async fn wait_applied(
        &self,
        index: usize,
        offset: u64,
        timeout: Duration,
    ) -> Result<(), StorageError> {
        let mut receiver = self.next[index].subscribe();
        match tokio::time::timeout(timeout, receiver.wait_for(|next| *next > offset)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(StorageError::Kafka("the follower has stopped".into())),
            Err(_) => Err(StorageError::Kafka(match self.failure() {
                Some(failure) => format!("the follower has failed: {failure}"),
                None => format!("offset {offset} not applied here within {timeout:?}"),
            })),
        }
    }

    /// Why the follower stopped, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .map(|failure| failure.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn fail(&self, reason: String) {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(reason);
        }
    }
}

/// The running follower; stops and joins on drop.
pub(crate) struct Follower {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Follower {
    /// Starts following from the projection's own offsets (`applied`).
    pub(crate) fn start<P: Projection>(
        config: &KafkaConfig,
        topics: Topics,
        projection: Arc<P>,
        applied: HashMap<Partition, u64>,
        progress: Arc<Progress>,
    ) -> Result<Follower, StorageError> {
        // The thread's own runtime drives the projection's writes (ScyllaDB's are async).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StorageError::Kafka(e.to_string()))?;
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            // Never joins the group (it assigns partitions itself); librdkafka wants an id.
            .set("group.id", format!("{}-follower", config.group_id))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("fetch.wait.max.ms", "10")
            // An offset the broker no longer has means lost history: stop (and say so)
            // rather than jump to whatever the broker has and build a projection with holes.
            .set("auto.offset.reset", "error")
            .create()
            .map_err(kafka_error)?;
        let mut assignment = TopicPartitionList::new();
        for partition in topics.all() {
            let next = applied.get(&partition).copied().unwrap_or(0);
            progress.advance(topics.index(partition), next);
            let (topic, index) = topics.locate(partition);
            assignment
                .add_partition_offset(topic, index, Offset::Offset(next as i64))
                .map_err(kafka_error)?;
        }
        consumer.assign(&assignment).map_err(kafka_error)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kafka-follower".into())
            .spawn(move || {
                if let Err(error) = run(
                    &consumer,
                    &topics,
                    &*projection,
                    &progress,
                    &thread_stop,
                    &runtime,
                ) {
                    progress.fail(error.to_string());
                }
            })
            .map_err(|e| StorageError::Kafka(e.to_string()))?;
        Ok(Follower {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run<P: Projection>(
    consumer: &BaseConsumer,
    topics: &Topics,
    projection: &P,
    progress: &Progress,
    stop: &AtomicBool,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), StorageError> {
    while !stop.load(Ordering::Relaxed) {
        let mut batch = Vec::new();
        let mut wait = Duration::from_millis(50);
        while batch.len() < MAX_BATCH_COMMITS {
            match consumer.poll(wait) {
                None => break,
                // History the broker no longer holds: the projection cannot be completed, so
                // the follower stops and the node reports itself failed (`/healthz`).
                Some(Err(error))
                    if error.rdkafka_error_code()
                        == Some(rdkafka::types::RDKafkaErrorCode::OffsetOutOfRange)
                        || error.rdkafka_error_code()
                            == Some(rdkafka::types::RDKafkaErrorCode::AutoOffsetReset) =>
                {
                    crate::metrics::record_kafka_error("consume");
                    return Err(StorageError::Kafka(format!(
                        "the log no longer holds the offsets this node must apply: {error}"
                    )));
                }
                // Broker errors are retried by librdkafka; they are reported, not ours to fix.
                Some(Err(error)) => {
                    crate::metrics::record_kafka_error("consume");
                    eprintln!("kafka follower: {error}");
                    break;
                }
                Some(Ok(message)) => {
                    let partition = topics
                        .partition_of(message.topic(), message.partition())
                        .ok_or_else(|| {
                            StorageError::Decode(format!(
                                "message from an unexpected partition {}/{}",
                                message.topic(),
                                message.partition()
                            ))
                        })?;
                    let commit = codec::decode(message.payload().unwrap_or_default())?;
                    if commit.partition != partition {
                        return Err(StorageError::Decode(format!(
                            "a commit for {:?} found in {partition:?}",
                            commit.partition
                        )));
                    }
                    batch.push(Replicated {
                        partition,
                        offset: message.offset() as u64,
                        commit,
                    });
                }
            }
            wait = Duration::ZERO;
        }
        if batch.is_empty() {
            continue;
        }
        let reached: Vec<(usize, u64)> = batch
            .iter()
            .map(|replicated| (topics.index(replicated.partition), replicated.offset + 1))
            .collect();
        crate::metrics::record_follower_batch(batch.len());
        runtime.block_on(projection.apply(batch))?;
        for (index, next) in reached {
            progress.advance(index, next);
        }
    }
    Ok(())
}

pub(crate) fn kafka_error(error: rdkafka::error::KafkaError) -> StorageError {
    StorageError::Kafka(error.to_string())
}
