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
//!
//! **Records are verified before they are applied**: one that does not verify against the
//! `log_commits` key ring is skipped and counted
//! (`registration_storage_kafka_unverified_records_total`, which alerts), never applied and
//! never fatal.
//!
//! **Fencing (no zombie writer)**: a node the group has given a partition first writes a
//! *claim* record; one past the claim's offset is its epoch, and every commit it writes
//! carries that epoch. The follower applies a commit with events only under the partition's
//! latest claim, so a node that lost the partition without noticing (paused, cut off from
//! the group) cannot change anything after the new owner's claim: every follower drops its
//! commits alike (`registration_storage_kafka_fenced_commits_total`), and the writer, seeing
//! a newer claim once its offset is applied, fails the request as of unknown outcome. The
//! latest claim is kept in the projection (a setting, written with the offset it applies),
//! so a restarted follower fences as before. Skipped and dropped records are applied as
//! empty commits: offsets stay contiguous.

use super::codec::{self, Record, Refusal};
use super::config::{KafkaConfig, Topics};
use crate::error::StorageError;
use crate::keys::KeyRing;
use crate::projection::{Projection, Replicated};
use crate::record::{Commit, Partition, StateUpdate};
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
    /// Per partition: the epoch of its latest claim as applied here (0: never claimed).
    /// Set before `next` moves past the claim, so a woken writer sees it.
    fence: Vec<std::sync::atomic::AtomicU64>,
    failure: Mutex<Option<String>>,
}

impl Progress {
    pub(crate) fn new(partitions: usize) -> Progress {
        Progress {
            next: (0..partitions).map(|_| watch::channel(0).0).collect(),
            unknown: (0..partitions)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            fence: (0..partitions)
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

    /// The epoch of partition `index`'s latest claim applied here (0: none).
    pub(crate) fn fence(&self, index: usize) -> u64 {
        self.fence[index].load(std::sync::atomic::Ordering::Acquire)
    }

    fn set_fence(&self, index: usize, epoch: u64) {
        self.fence[index].fetch_max(epoch, std::sync::atomic::Ordering::AcqRel);
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
        keys: KeyRing,
        projection: Arc<P>,
        applied: HashMap<Partition, u64>,
        fences: HashMap<Partition, u64>,
        progress: Arc<Progress>,
    ) -> Result<Follower, StorageError> {
        // The thread's own runtime drives the projection's writes (ScyllaDB's are async).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StorageError::Kafka(e.to_string()))?;
        let consumer: BaseConsumer = config
            .client()?
            // Never joins the group (it assigns partitions itself); librdkafka wants an id.
            .set("group.id", format!("{}-follower", config.group_id))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set(
                "fetch.wait.max.ms",
                config.fetch_wait_milliseconds.to_string(),
            )
            // An offset the broker no longer has means lost history: stop (and say so)
            // rather than jump to whatever the broker has and build a projection with holes.
            .set("auto.offset.reset", "error")
            .create()
            .map_err(kafka_error)?;
        let mut assignment = TopicPartitionList::new();
        let mut slots = vec![0; topics.count()];
        for partition in topics.all() {
            let next = applied.get(&partition).copied().unwrap_or(0);
            let fence = fences.get(&partition).copied().unwrap_or(0);
            slots[topics.index(partition)] = fence;
            progress.set_fence(topics.index(partition), fence);
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
                let mut follower = Run {
                    topics: &topics,
                    keys: &keys,
                    fences: slots,
                };
                if let Err(error) =
                    follower.run(&consumer, &*projection, &progress, &thread_stop, &runtime)
                {
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

/// The name of the setting holding `partition`'s latest claim epoch in the projection.
fn claim_setting(partition: Partition) -> String {
    format!("log.claim.{}", partition.as_u32())
}

/// The latest claim of each partition, as `projection` last applied them.
pub(crate) async fn fences<P: Projection>(
    projection: &P,
    topics: &Topics,
) -> Result<HashMap<Partition, u64>, StorageError> {
    let mut fences = HashMap::new();
    for partition in topics.all() {
        if let Some(bytes) = projection.setting(&claim_setting(partition)).await? {
            let epoch: [u8; 8] = bytes.try_into().map_err(|_| {
                StorageError::Decode(format!("the claim of {partition:?} is malformed"))
            })?;
            fences.insert(partition, u64::from_be_bytes(epoch));
        }
    }
    Ok(fences)
}

/// The follower thread's state: which claim each partition is under.
struct Run<'a> {
    topics: &'a Topics,
    keys: &'a KeyRing,
    fences: Vec<u64>,
}

impl Run<'_> {
    fn run<P: Projection>(
        &mut self,
        consumer: &BaseConsumer,
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
                    // History the broker no longer holds: the projection cannot be completed,
                    // so the follower stops and the node reports itself failed (`/healthz`).
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
                    // Broker errors are retried by librdkafka; reported, not ours to fix.
                    Some(Err(error)) => {
                        crate::metrics::record_kafka_error("consume");
                        tracing::warn!(%error, "kafka follower: broker error, retried");
                        break;
                    }
                    Some(Ok(message)) => {
                        let partition = self
                            .topics
                            .partition_of(message.topic(), message.partition())
                            .ok_or_else(|| {
                                StorageError::Decode(format!(
                                    "message from an unexpected partition {}/{}",
                                    message.topic(),
                                    message.partition()
                                ))
                            })?;
                        let offset = message.offset() as u64;
                        let commit =
                            self.admit(partition, offset, message.payload().unwrap_or_default())?;
                        batch.push(Replicated {
                            partition,
                            offset,
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
                .map(|replicated| {
                    (
                        self.topics.index(replicated.partition),
                        replicated.offset + 1,
                    )
                })
                .collect();
            crate::metrics::record_follower_batch(batch.len());
            runtime.block_on(projection.apply(batch))?;
            for (index, next) in reached {
                progress.set_fence(index, self.fences[index]);
                progress.advance(index, next);
            }
        }
        Ok(())
    }

    /// What applying the record at `offset` of `partition` changes: its commit; a claim's
    /// fence; nothing (an empty commit) for a record that does not verify (or was signed for
    /// another partition) or a commit from a fenced-off writer. Errs only on a signed record
    /// this build cannot read.
    fn admit(
        &mut self,
        partition: Partition,
        offset: u64,
        payload: &[u8],
    ) -> Result<Commit, StorageError> {
        let nothing = Commit {
            partition,
            records: Vec::new(),
            updates: Vec::new(),
        };
        let slot = self.topics.index(partition);
        match codec::decode(self.keys, payload) {
            Err(Refusal::Unverified(reason)) => {
                crate::metrics::record_unverified_record();
                tracing::error!(
                    ?partition,
                    offset,
                    reason,
                    "kafka follower: record skipped, it does not verify"
                );
                Ok(nothing)
            }
            Err(Refusal::Unreadable(error)) => Err(error),
            Ok(Record::Claim { partition: claimed }) if claimed == partition => {
                let epoch = offset + 1;
                self.fences[slot] = epoch;
                Ok(Commit {
                    updates: vec![StateUpdate::Setting {
                        name: claim_setting(partition),
                        value: epoch.to_be_bytes().to_vec(),
                    }],
                    ..nothing
                })
            }
            Ok(Record::Commit { epoch, commit }) if commit.partition == partition => {
                if commit.records.is_empty() || epoch == self.fences[slot] {
                    Ok(commit)
                } else {
                    crate::metrics::record_fenced_commit();
                    tracing::warn!(
                        ?partition,
                        offset,
                        epoch,
                        fence = self.fences[slot],
                        "kafka follower: commit dropped, written by a node that lost the partition"
                    );
                    Ok(nothing)
                }
            }
            // Signed, but copied here from another partition: as good as forged.
            Ok(_) => {
                crate::metrics::record_unverified_record();
                tracing::error!(
                    ?partition,
                    offset,
                    "kafka follower: record skipped, signed for another partition"
                );
                Ok(nothing)
            }
        }
    }
}

pub(crate) fn kafka_error(error: rdkafka::error::KafkaError) -> StorageError {
    StorageError::Kafka(error.to_string())
}
