//! The group committer: one thread that turns many callers' commits into one fsync.
//!
//! Callers encode their commit on their own thread (so encoding runs in parallel), put it on
//! a bounded queue and wait on a oneshot. The committer takes everything queued, up to
//! `max_batch_writes`, applies it in a single redb write transaction and commits once (one
//! fsync). Only then does it answer each caller. While one group is being fsynced the next
//! one queues up, so under load groups grow by themselves and idle latency stays one fsync.
//!
//! If the transaction fails, every caller in the group gets the error and nothing of the
//! group is visible: the partition heads are advanced on a copy and swapped in only after
//! the commit succeeded. The committer then *stops accepting work* (fail-stop): writers
//! pipeline commits, so a later commit may have been decided on state that included the
//! failed one; refusing everything after a failure guarantees that no such commit becomes
//! durable. The process must reopen the store, which rebuilds from what is durable.

use super::tables::{self, level};
use crate::error::StorageError;
use crate::record::{Commit, CommitReceipt, StateUpdate, StreamKey};
use engine::candidate::Candidate;
use redb::{Database, ReadableTable, WriteTransaction};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;
use tokio::sync::oneshot;

/// A commit encoded for the committer.
pub(crate) struct EncodedCommit {
    partition: u32,
    /// For a commit replayed from an external log (Kafka): its offset there. Applied only
    /// if it is the next one not yet applied, so replays and redeliveries change nothing.
    replicated_offset: Option<u64>,
    /// Each record with its candidate's key (for the history index), if it is a
    /// candidate's.
    records: Vec<(Option<[u8; 16]>, Vec<u8>)>,
    updates: Vec<EncodedUpdate>,
}

enum EncodedUpdate {
    Candidate {
        key: [u8; 16],
        serial: u32,
        point: u64,
        status: u8,
        snapshot: Vec<u8>,
    },
    County {
        code: u32,
        snapshot: Vec<u8>,
    },
    Adult {
        key: [u8; 16],
        point: Option<u64>,
        status: u8,
        snapshot: Vec<u8>,
    },
    Idempotency {
        key: String,
        outcome: Vec<u8>,
    },
    Photo {
        sha256: String,
        bytes: Vec<u8>,
    },
    Setting {
        name: String,
        value: Vec<u8>,
    },
    Audit {
        at_ms: u64,
        sequence: u64,
        record: Vec<u8>,
    },
    InboxPut {
        dedupe: String,
        key: [u8; 16],
        entry: Vec<u8>,
        /// Its place in the external log (`inbox::replicated_sequence`); `None`: the next
        /// of this store's own sequence.
        sequence: Option<u64>,
    },
    InboxRemove {
        sequences: Vec<u64>,
    },
}

impl EncodedCommit {
    /// Whether it holds a callback for the inbox (the applier is woken once it is durable).
    fn puts_inbox(&self) -> bool {
        self.updates
            .iter()
            .any(|update| matches!(update, EncodedUpdate::InboxPut { .. }))
    }
}

/// Disambiguates audit records of the same millisecond. Starts from the clock's
/// nanoseconds so that sequences from a restarted process do not collide with old ones.
static AUDIT_SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn next_audit_sequence() -> u64 {
    if AUDIT_SEQUENCE.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| u64::from(elapsed.subsec_nanos()) << 20)
            .unwrap_or(1);
        let _ = AUDIT_SEQUENCE.compare_exchange(
            0,
            seed.max(1),
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    AUDIT_SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The audit chain's next hash: SHA-256 of the previous hash and the record's bytes.
pub(crate) fn chain_hash(previous: &[u8; 32], record: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(record);
    hasher.finalize().into()
}

/// One caller's commit and where to send its receipt.
pub(crate) struct Request {
    pub(crate) commit: EncodedCommit,
    pub(crate) reply: oneshot::Sender<Result<CommitReceipt, StorageError>>,
}

/// Encodes a commit on the caller's thread.
pub(crate) fn encode(commit: Commit) -> Result<EncodedCommit, StorageError> {
    let encode_error = |error: postcard::Error| StorageError::Encode(error.to_string());
    let records = commit
        .records
        .iter()
        .map(|record| {
            let key = match record.stream {
                StreamKey::Candidate(key) => Some(*key.as_bytes()),
                StreamKey::County(_) => None,
            };
            Ok((key, postcard::to_stdvec(record).map_err(encode_error)?))
        })
        .collect::<Result<_, StorageError>>()?;
    let updates = commit
        .updates
        .into_iter()
        .map(|update| {
            Ok(match update {
                StateUpdate::Candidate(candidate) => EncodedUpdate::Candidate {
                    key: *candidate.key.as_bytes(),
                    serial: candidate.capture.serial.as_u32(),
                    point: candidate.capture.point.as_u64(),
                    status: candidate.status().as_u8(),
                    snapshot: postcard::to_stdvec(&*candidate).map_err(encode_error)?,
                },
                StateUpdate::County(county) => EncodedUpdate::County {
                    code: county.code.code(),
                    snapshot: postcard::to_stdvec(&*county).map_err(encode_error)?,
                },
                StateUpdate::Idempotency { key, outcome } => {
                    EncodedUpdate::Idempotency { key, outcome }
                }
                StateUpdate::Photo { sha256, bytes } => EncodedUpdate::Photo { sha256, bytes },
                StateUpdate::AdultCandidate(candidate) => EncodedUpdate::Adult {
                    key: *candidate.key.as_bytes(),
                    point: candidate.point.map(|point| point.as_u64()),
                    status: candidate.status() as u8,
                    snapshot: postcard::to_stdvec(&*candidate).map_err(encode_error)?,
                },
                StateUpdate::Setting { name, value } => EncodedUpdate::Setting { name, value },
                StateUpdate::Audit(record) => EncodedUpdate::Audit {
                    at_ms: u64::try_from(record.at.0).unwrap_or(0),
                    sequence: next_audit_sequence(),
                    record: postcard::to_stdvec(&record).map_err(encode_error)?,
                },
                StateUpdate::InboxPut(entry) => encode_inbox_put(&entry)?,
                StateUpdate::InboxRemove { sequences } => EncodedUpdate::InboxRemove { sequences },
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(EncodedCommit {
        partition: commit.partition.as_u32(),
        replicated_offset: None,
        records,
        updates,
    })
}

/// A commit of the callback inbox alone (`inbox.rs`): no log record, no partition.
pub(crate) fn inbox_put(entry: &super::inbox::InboxEntry) -> Result<EncodedCommit, StorageError> {
    Ok(state_only(encode_inbox_put(entry)?))
}

fn encode_inbox_put(entry: &super::inbox::InboxEntry) -> Result<EncodedUpdate, StorageError> {
    Ok(EncodedUpdate::InboxPut {
        dedupe: entry.dedupe_key(),
        key: *entry.key.as_bytes(),
        entry: postcard::to_stdvec(entry)
            .map_err(|error| StorageError::Encode(error.to_string()))?,
        sequence: None,
    })
}

/// Removes applied inbox entries.
pub(crate) fn inbox_remove(sequences: Vec<u64>) -> EncodedCommit {
    state_only(EncodedUpdate::InboxRemove { sequences })
}

fn state_only(update: EncodedUpdate) -> EncodedCommit {
    EncodedCommit {
        partition: 0,
        replicated_offset: None,
        records: Vec::new(),
        updates: vec![update],
    }
}

/// Encodes a commit read back from an external log at `offset`.
pub(crate) fn encode_replicated(
    commit: Commit,
    offset: u64,
) -> Result<EncodedCommit, StorageError> {
    let mut encoded = encode(commit)?;
    encoded.replicated_offset = Some(offset);
    for update in &mut encoded.updates {
        if let EncodedUpdate::InboxPut { sequence, .. } = update {
            *sequence = Some(super::inbox::replicated_sequence(
                encoded.partition,
                offset,
            )?);
        }
    }
    Ok(encoded)
}

/// Runs until every sender is gone.
pub(crate) fn run(
    database: Arc<Database>,
    mut heads: HashMap<u32, u64>,
    queue: Receiver<Vec<Request>>,
    max_batch_writes: usize,
    failed: &std::sync::Mutex<Option<String>>,
    inbox_arrivals: &tokio::sync::Notify,
) {
    let mut failure: Option<String> = None;
    while let Ok(first) = queue.recv() {
        if let Some(message) = &failure {
            for request in first {
                let _ = request.reply.send(Err(StorageError::Unavailable(format!(
                    "an earlier commit failed: {message}"
                ))));
            }
            continue;
        }
        let mut group = first;
        while group.len() < max_batch_writes {
            match queue.try_recv() {
                Ok(more) => group.extend(more),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let mut next_heads = heads.clone();
        let outcome = apply_group(&database, &mut next_heads, &group);
        crate::metrics::record_group_commit(
            group.len(),
            started.elapsed().as_secs_f64(),
            outcome.is_ok(),
        );
        match outcome {
            Ok(receipts) => {
                heads = next_heads;
                if group.iter().any(|request| request.commit.puts_inbox()) {
                    inbox_arrivals.notify_one();
                }
                for (request, receipt) in group.into_iter().zip(receipts) {
                    // A caller that gave up waiting is no reason to stop committing for others.
                    let _ = request.reply.send(Ok(receipt));
                }
            }
            Err(error) => {
                let message = error.to_string();
                // Visible before anyone hears of it: the node refuses every write from now
                // on, so operators must see why (log line, metric, `/healthz` 503) rather
                // than a stream of refusals.
                tracing::error!(
                    error = %message,
                    "storage committer failed; refusing every further write until restart"
                );
                crate::metrics::committer_failed();
                if let Ok(mut shared) = failed.lock() {
                    shared.get_or_insert_with(|| message.clone());
                }
                for request in group {
                    let _ = request
                        .reply
                        .send(Err(StorageError::Unavailable(message.clone())));
                }
                failure = Some(message);
            }
        }
    }
}

fn apply_group(
    database: &Database,
    heads: &mut HashMap<u32, u64>,
    group: &[Request],
) -> Result<Vec<CommitReceipt>, StorageError> {
    // Durability::Immediate is redb's default: `commit` returns after the fsync.
    let transaction = database.begin_write()?;
    let mut receipts = Vec::with_capacity(group.len());
    for request in group {
        receipts.push(apply_commit(&transaction, heads, &request.commit)?);
    }
    transaction.commit()?;
    Ok(receipts)
}

fn apply_commit(
    transaction: &WriteTransaction,
    heads: &mut HashMap<u32, u64>,
    commit: &EncodedCommit,
) -> Result<CommitReceipt, StorageError> {
    let first_offset = heads.get(&commit.partition).copied().unwrap_or(0);
    if let Some(replicated) = commit.replicated_offset {
        let mut applied = transaction.open_table(tables::REPLICATED)?;
        let next = applied
            .get(commit.partition)?
            .map(|next| next.value())
            .unwrap_or(0);
        if replicated < next {
            return Ok(CommitReceipt {
                first_offset,
                end_offset: first_offset,
            });
        }
        applied.insert(commit.partition, replicated + 1)?;
    }
    let mut offset = first_offset;
    if !commit.records.is_empty() {
        let mut log = transaction.open_table(tables::LOG)?;
        let mut history = transaction.open_table(tables::HISTORY)?;
        for (key, record) in &commit.records {
            log.insert((commit.partition, offset), record.as_slice())?;
            if let Some(key) = key {
                history.insert((key.as_slice(), commit.partition, offset), ())?;
            }
            offset += 1;
        }
        transaction
            .open_table(tables::PARTITION_HEADS)?
            .insert(commit.partition, offset)?;
        heads.insert(commit.partition, offset);
    }
    for update in &commit.updates {
        apply_update(transaction, update)?;
    }
    Ok(CommitReceipt {
        first_offset,
        end_offset: offset,
    })
}

fn apply_update(
    transaction: &WriteTransaction,
    update: &EncodedUpdate,
) -> Result<(), StorageError> {
    match update {
        EncodedUpdate::Candidate {
            key,
            serial,
            point,
            status,
            snapshot,
        } => {
            let mut candidates = transaction.open_table(tables::CANDIDATES)?;
            let previous_status = match candidates.get(key.as_slice())? {
                Some(previous) => Some(
                    postcard::from_bytes::<Candidate>(previous.value())?
                        .status()
                        .as_u8(),
                ),
                None => None,
            };
            candidates.insert(key.as_slice(), snapshot.as_slice())?;
            if previous_status == Some(*status) {
                return Ok(());
            }
            let mut by_point = transaction.open_table(tables::BY_POINT)?;
            let mut progress = transaction.open_table(tables::PROGRESS)?;
            let scopes = progress_scopes(*point);
            if let Some(old) = previous_status {
                by_point.remove((*point, old, key.as_slice()))?;
                for (level, code) in scopes {
                    let count = progress
                        .get((level, code, old))?
                        .map(|c| c.value())
                        .unwrap_or(0);
                    progress.insert((level, code, old), count.saturating_sub(1))?;
                }
            } else {
                transaction
                    .open_table(tables::SERIALS)?
                    .insert(*serial, key.as_slice())?;
            }
            by_point.insert((*point, *status, key.as_slice()), ())?;
            for (level, code) in scopes {
                let count = progress
                    .get((level, code, *status))?
                    .map(|c| c.value())
                    .unwrap_or(0);
                progress.insert((level, code, *status), count + 1)?;
            }
        }
        EncodedUpdate::Adult {
            key,
            point,
            status,
            snapshot,
        } => {
            let mut candidates = transaction.open_table(tables::ADULT_CANDIDATES)?;
            let previous_point = match candidates.get(key.as_slice())? {
                Some(previous) => {
                    postcard::from_bytes::<engine::adult::AdultCandidate>(previous.value())?
                        .point
                        .map(|point| point.as_u64())
                }
                None => None,
            };
            candidates.insert(key.as_slice(), snapshot.as_slice())?;
            let mut by_point = transaction.open_table(tables::ADULT_BY_POINT)?;
            if let Some(previous) = previous_point
                && Some(previous) != *point
            {
                by_point.remove((previous, key.as_slice()))?;
            }
            if let Some(point) = point {
                by_point.insert((*point, key.as_slice()), *status)?;
            }
        }
        EncodedUpdate::County { code, snapshot } => {
            transaction
                .open_table(tables::COUNTIES)?
                .insert(*code, snapshot.as_slice())?;
        }
        EncodedUpdate::Idempotency { key, outcome } => {
            transaction
                .open_table(tables::IDEMPOTENCY)?
                .insert(key.as_str(), outcome.as_slice())?;
        }
        EncodedUpdate::Photo { sha256, bytes } => {
            transaction
                .open_table(tables::PHOTOS)?
                .insert(sha256.as_str(), bytes.as_slice())?;
        }
        EncodedUpdate::Setting { name, value } => {
            transaction
                .open_table(tables::SETTINGS)?
                .insert(name.as_str(), value.as_slice())?;
        }
        EncodedUpdate::Audit {
            at_ms,
            sequence,
            record,
        } => {
            transaction
                .open_table(tables::AUDIT)?
                .insert((*at_ms, *sequence), record.as_slice())?;
            // Chained in commit order, in the same transaction as the record.
            let mut chain = transaction.open_table(tables::AUDIT_CHAIN)?;
            let (position, previous) = match chain.last()? {
                Some((position, link)) => (position.value() + 1, link.value().2),
                None => (0, [0u8; 32]),
            };
            chain.insert(position, (*at_ms, *sequence, chain_hash(&previous, record)))?;
        }
        EncodedUpdate::InboxPut {
            dedupe,
            key,
            entry,
            sequence,
        } => {
            super::inbox::put(transaction, dedupe, key, entry, *sequence)?;
        }
        EncodedUpdate::InboxRemove { sequences } => {
            for sequence in sequences {
                super::inbox::remove(transaction, *sequence)?;
            }
        }
    }
    Ok(())
}

/// The four progress counters a candidate at `point` contributes to.
pub(crate) fn progress_scopes(point: u64) -> [(u8, u64); 4] {
    let county = point / 1000;
    let city = county / 100;
    [
        (level::PROVINCE, 0),
        (level::CITY, city),
        (level::COUNTY, county),
        (level::POINT, point),
    ]
}
