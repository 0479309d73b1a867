//! The callback inbox: a provider's verified notification is made durable here — one small
//! record, group-committed with every other write — and acknowledged; the candidate's shard
//! applies it afterwards. A provider needs a fast, durable "received"; it never reads the
//! record back, so it should not wait for a shard, a snapshot rewrite and nine index updates.
//!
//! Tables (`tables.rs`): `inbox` (`sequence → entry`, in arrival order), `inbox_dedupe`
//! (`the callback's idempotency key → sequence`: a copy arriving while the first is pending
//! is recognised and stored once) and `inbox_by_candidate` (`(key, sequence) → ()`: what is
//! pending for one candidate — "payment received, being recorded", and applying a
//! candidate's callbacks before their next command). An entry is removed, with its two
//! index rows, once applied; applying it again (a crash between the application and the
//! removal) is the engine's duplicate, which changes nothing.
//!
//! Sequences: the embedded log numbers its own entries (a counter in META). A projection of
//! the Kafka log numbers each by its place in the log ([`replicated_sequence`]: the
//! candidate partition in the top 20 bits, the offset below), so every node holds the same
//! entry under the same sequence, a removal written by the owner means the same entries
//! everywhere, and one partition's entries are one range ([`partition_range`]) for the node
//! that owns it to apply.

use super::tables;
use crate::error::StorageError;
use engine::candidate::PaymentNotice;
use engine::key::CandidateKey;
use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

/// A callback held until its candidate's shard has applied it. Stored (postcard): change
/// only by appending, with a schema version (golden `inbox-entry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Whose record it changes (a gaokao candidate's or an adult-exam registration's key:
    /// the order number says which).
    pub key: CandidateKey,
    /// When it was received, Unix ms (the apply lag is measured from it).
    pub received_at_ms: u64,
    /// What arrived.
    pub callback: Callback,
}

/// What a callback says. Variants are appended, never reordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Callback {
    /// A provider's verified payment notification.
    Payment(PaymentNotice),
}

impl InboxEntry {
    /// The key every copy of this callback shares (a payment's: its provider transaction).
    pub fn dedupe_key(&self) -> String {
        match &self.callback {
            Callback::Payment(notice) => notice.idempotency_key(),
        }
    }
}

/// An entry waiting to be applied, with its place in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its sequence: arrival order, never reused.
    pub sequence: u64,
    /// The entry.
    pub entry: InboxEntry,
}

/// How far behind the appliers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Entries not yet applied.
    pub pending: u64,
    /// When the oldest of them arrived, Unix ms.
    pub oldest_received_at_ms: Option<u64>,
}

/// The META row holding the next sequence (sequences are never reused, so an applier's
/// "after" is always right).
const NEXT_SEQUENCE: &str = "inbox_next_sequence";

/// Bits of a replicated sequence that hold the offset (17 × 10¹² records per partition).
const OFFSET_BITS: u32 = 44;

/// The sequence of an entry put by the record at `offset` of candidate partition
/// `partition` (`Partition::as_u32`) of an external log.
pub(crate) fn replicated_sequence(partition: u32, offset: u64) -> Result<u64, StorageError> {
    if partition >= 1 << (64 - OFFSET_BITS) || offset >= 1 << OFFSET_BITS {
        return Err(StorageError::Encode(format!(
            "an inbox entry at offset {offset} of partition {partition} has no sequence"
        )));
    }
    Ok(u64::from(partition) << OFFSET_BITS | offset)
}

/// The sequences of the entries put through candidate partition `partition`.
pub fn partition_range(partition: crate::record::Partition) -> std::ops::Range<u64> {
    let shard = u64::from(partition.as_u32());
    shard << OFFSET_BITS..(shard + 1) << OFFSET_BITS
}

/// The candidate partition an entry was put through (a replicated sequence's top bits).
pub fn partition_of(sequence: u64) -> crate::record::Partition {
    crate::record::Partition::Candidates((sequence >> OFFSET_BITS) as u32)
}

/// Stores `entry` unless a copy is pending (inside the committer's transaction), under
/// `sequence` if it came from an external log, else the next of this store's own.
pub(crate) fn put(
    transaction: &WriteTransaction,
    dedupe: &str,
    key: &[u8; 16],
    entry: &[u8],
    sequence: Option<u64>,
) -> Result<(), StorageError> {
    let mut dedupe_table = transaction.open_table(tables::INBOX_DEDUPE)?;
    if dedupe_table.get(dedupe)?.is_some() {
        return Ok(());
    }
    let sequence = match sequence {
        Some(sequence) => sequence,
        None => {
            let mut meta = transaction.open_table(tables::META)?;
            let sequence = meta.get(NEXT_SEQUENCE)?.map(|v| v.value()).unwrap_or(0);
            meta.insert(NEXT_SEQUENCE, sequence + 1)?;
            sequence
        }
    };
    transaction
        .open_table(tables::INBOX)?
        .insert(sequence, entry)?;
    dedupe_table.insert(dedupe, sequence)?;
    transaction
        .open_table(tables::INBOX_BY_CANDIDATE)?
        .insert((key.as_slice(), sequence), ())?;
    Ok(())
}

/// Removes an applied entry and its index rows (inside the committer's transaction);
/// nothing if it is gone already.
pub(crate) fn remove(transaction: &WriteTransaction, sequence: u64) -> Result<(), StorageError> {
    let entry: InboxEntry = {
        let mut inbox = transaction.open_table(tables::INBOX)?;
        let Some(bytes) = inbox.remove(sequence)? else {
            return Ok(());
        };
        postcard::from_bytes(bytes.value())?
    };
    transaction
        .open_table(tables::INBOX_DEDUPE)?
        .remove(entry.dedupe_key().as_str())?;
    transaction
        .open_table(tables::INBOX_BY_CANDIDATE)?
        .remove((entry.key.as_bytes().as_slice(), sequence))?;
    Ok(())
}

/// The oldest `limit` entries with sequences in `range`, in order.
pub(crate) fn oldest(
    transaction: &redb::ReadTransaction,
    range: std::ops::Range<u64>,
    limit: usize,
) -> Result<Vec<Pending>, StorageError> {
    let inbox = transaction.open_table(tables::INBOX)?;
    inbox
        .range(range)?
        .take(limit)
        .map(|row| {
            let (sequence, bytes) = row?;
            Ok(Pending {
                sequence: sequence.value(),
                entry: postcard::from_bytes(bytes.value())?,
            })
        })
        .collect()
}

/// Every entry pending for `key`, in order.
pub(crate) fn of_candidate(
    transaction: &redb::ReadTransaction,
    key: CandidateKey,
) -> Result<Vec<Pending>, StorageError> {
    let by_candidate = transaction.open_table(tables::INBOX_BY_CANDIDATE)?;
    let inbox = transaction.open_table(tables::INBOX)?;
    let key = key.as_bytes().as_slice();
    let mut pending = Vec::new();
    for row in by_candidate.range((key, 0)..=(key, u64::MAX))? {
        let sequence = row?.0.value().1;
        if let Some(bytes) = inbox.get(sequence)? {
            pending.push(Pending {
                sequence,
                entry: postcard::from_bytes(bytes.value())?,
            });
        }
    }
    Ok(pending)
}

/// What a callback's receiver reads, in one read transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A copy of this callback is pending (durable already).
    Pending,
    /// None is; the candidate's record as stored.
    Record(Option<Box<engine::candidate::Candidate>>),
}

/// Whether a callback with this key is pending, else `key`'s record.
pub(crate) fn lookup(
    transaction: &redb::ReadTransaction,
    dedupe: &str,
    key: CandidateKey,
) -> Result<Lookup, StorageError> {
    if transaction
        .open_table(tables::INBOX_DEDUPE)?
        .get(dedupe)?
        .is_some()
    {
        return Ok(Lookup::Pending);
    }
    let candidates = transaction.open_table(tables::CANDIDATES)?;
    let record = match candidates.get(key.as_bytes().as_slice())? {
        Some(bytes) => Some(Box::new(postcard::from_bytes(bytes.value())?)),
        None => None,
    };
    Ok(Lookup::Record(record))
}

/// How many entries wait, and since when.
pub(crate) fn backlog(transaction: &redb::ReadTransaction) -> Result<Backlog, StorageError> {
    let inbox = transaction.open_table(tables::INBOX)?;
    let oldest = match inbox.first()? {
        Some((_, bytes)) => Some(postcard::from_bytes::<InboxEntry>(bytes.value())?.received_at_ms),
        None => None,
    };
    Ok(Backlog {
        pending: inbox.len()?,
        oldest_received_at_ms: oldest,
    })
}
