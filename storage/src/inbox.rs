//! The callback inbox as a deployment has it (the tables and their guarantees:
//! `embedded::inbox`).
//!
//! | log      | an entry is durable (and the provider answered) once | applied by                    |
//! |----------|------------------------------------------------------|-------------------------------|
//! | embedded | in the next group commit of the redb file            | this node's applier           |
//! | kafka    | Kafka has it with `acks=all` (state only, on the candidate's partition, from whichever node received it) | the partition owner's applier, from its projection |
//!
//! In Kafka mode every node's follower applies the entries — and the owner's removals — to
//! its projection's inbox, in log order, under the same sequences; the node that owns a
//! partition applies that partition's entries. Nothing acknowledged is lost: an entry is in
//! the log before the answer, and leaves a projection only when a removal is applied there —
//! carried by the application's own commit (so a payment costs two records: the entry and
//! its application), or, for an application that changed nothing, written after it. A crash
//! between such a one and its removal applies it again: a duplicate once more.
//! `store = scylla` has no inbox (its callbacks are applied before they are answered): its
//! projection has no tables for it.

use crate::embedded::{Backlog, EmbeddedStore, InboxEntry, Lookup, Pending, inbox};
use crate::error::StorageError;
use crate::kafka::KafkaLog;
use crate::record::{Commit, Partition, StateUpdate};
use engine::key::CandidateKey;
use std::collections::BTreeMap;

/// The inbox of this deployment's backend.
pub enum Inbox<'a> {
    /// The embedded log's: the redb file.
    Embedded(&'a EmbeddedStore),
    /// The Kafka log's, read from this node's projection.
    Kafka(&'a KafkaLog<EmbeddedStore>),
}

impl Inbox<'_> {
    fn store(&self) -> &EmbeddedStore {
        match self {
            Inbox::Embedded(store) => store,
            Inbox::Kafka(log) => log.projection(),
        }
    }

    /// Makes `entry` durable (a copy of one still pending is recognised and kept once);
    /// `partition` is its candidate's shard. Kafka mode: its offset there, which this
    /// node's projection has applied only once [`Inbox::applied_here`] resolves (embedded:
    /// `None`, readable at once).
    pub async fn put(
        &self,
        entry: InboxEntry,
        partition: Partition,
    ) -> Result<Option<u64>, StorageError> {
        match self {
            Inbox::Embedded(store) => store.inbox_put(&entry).await.map(|_| None),
            Inbox::Kafka(log) => log
                .append(Commit {
                    partition,
                    records: Vec::new(),
                    updates: vec![StateUpdate::InboxPut(Box::new(entry))],
                })
                .await
                .map(Some),
        }
    }

    /// Resolves once this node can read the entry put at `offset` of `partition`.
    pub async fn applied_here(
        &self,
        partition: Partition,
        offset: u64,
    ) -> Result<(), StorageError> {
        match self {
            Inbox::Embedded(_) => Ok(()),
            Inbox::Kafka(log) => log.applied_here(partition, offset).await,
        }
    }

    /// Removes entries whose application is durable; resolves once that is durable (and,
    /// in Kafka mode, applied here, so the next look at the inbox no longer has them).
    pub async fn remove(&self, sequences: Vec<u64>) -> Result<(), StorageError> {
        match self {
            Inbox::Embedded(store) => store.inbox_remove(sequences).await.map(drop),
            Inbox::Kafka(log) => {
                let mut by_partition: BTreeMap<Partition, Vec<u64>> = BTreeMap::new();
                for sequence in sequences {
                    by_partition
                        .entry(inbox::partition_of(sequence))
                        .or_default()
                        .push(sequence);
                }
                let removals = by_partition.into_iter().map(|(partition, sequences)| {
                    log.commit(Commit {
                        partition,
                        records: Vec::new(),
                        updates: vec![StateUpdate::InboxRemove { sequences }],
                    })
                });
                for removed in futures::future::join_all(removals).await {
                    removed?;
                }
                Ok(())
            }
        }
    }

    /// The oldest entries this node applies, at most `limit`: all of them (embedded), or
    /// those of the partitions this node owns, each partition's in log order, shared out
    /// so that a long backlog in one does not hold the others back.
    pub fn oldest(&self, limit: usize) -> Result<Vec<Pending>, StorageError> {
        match self {
            Inbox::Embedded(store) => store.inbox_oldest(None, limit),
            Inbox::Kafka(log) => {
                let owned: Vec<Partition> = log
                    .owned()
                    .into_iter()
                    .filter(|partition| matches!(partition, Partition::Candidates(_)))
                    .collect();
                let each = (limit / owned.len().max(1)).max(1);
                let mut pending = Vec::new();
                for partition in owned {
                    pending.extend(log.projection().inbox_oldest_of(partition, each)?);
                }
                Ok(pending)
            }
        }
    }

    /// Every entry pending for `key`, in arrival order.
    pub fn of(&self, key: CandidateKey) -> Result<Vec<Pending>, StorageError> {
        self.store().inbox_of(key)
    }

    /// Whether a callback with this idempotency key is pending, else `key`'s record.
    pub fn lookup(&self, dedupe: &str, key: CandidateKey) -> Result<Lookup, StorageError> {
        self.store().inbox_lookup(dedupe, key)
    }

    /// How many entries wait, and since when (in Kafka mode: every partition's, as this
    /// node's projection has them).
    pub fn backlog(&self) -> Result<Backlog, StorageError> {
        self.store().inbox_backlog()
    }

    /// Notified when an entry has become durable here (put, or applied from the log).
    pub fn arrivals(&self) -> &tokio::sync::Notify {
        self.store().inbox_arrivals()
    }
}
