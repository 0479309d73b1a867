//! The embedded backend: one crash-safe redb file, no services needed.
//!
//! redb commits are atomic and copy-on-write: after a crash (even `kill -9` mid-commit) the
//! file opens at the last completed commit, and a commit that returned has been fsynced.
//! On top of that this backend adds group commit ([`committer`]) and, on open, a recovery
//! check that the log and the partition heads agree.

mod committer;
pub mod inbox;
pub mod tables;

use crate::error::StorageError;
use crate::record::{
    AuditRecord, Commit, CommitReceipt, LogRecord, Partition, ProgressScope, StreamKey,
};
use crate::traits::{EventLog, Journal, StateStore};
use committer::Request;
use engine::candidate::{Candidate, Status};
use engine::county::County;
use engine::key::CandidateKey;
use engine::org::{CountyCode, PointCode};
use engine::serial::SerialNumber;
pub use inbox::{Backlog, Callback, InboxEntry, Lookup, Pending};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use tables::level;
use tokio::sync::oneshot;

/// redb's own default page cache (1 GiB), stated here so that it is a setting.
pub const DEFAULT_CACHE_BYTES: usize = 1024 * 1024 * 1024;

/// Configuration of the embedded backend.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// The database file.
    pub path: PathBuf,
    /// Most commits gathered into one durable transaction.
    pub max_batch_writes: usize,
    /// Submissions that may wait for the committer before callers are refused with
    /// [`StorageError::Overloaded`]. Bounded so that overload is visible, not buffered.
    pub queue_capacity: usize,
    /// redb's page cache, bytes: most of the server's memory once the store is larger
    /// than it (a province of 700,000 registrations is ~1.5 GB on disk).
    pub cache_bytes: usize,
}

impl EmbeddedConfig {
    /// Defaults for a database at `path`.
    pub fn new(path: impl Into<PathBuf>) -> EmbeddedConfig {
        EmbeddedConfig {
            path: path.into(),
            max_batch_writes: 4096,
            queue_capacity: 16_384,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// What was found when the database was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Partitions with records.
    pub partitions: usize,
    /// Log records across all partitions.
    pub log_records: u64,
    /// Candidate snapshots.
    pub candidates: u64,
}

/// The embedded store: journal, log and state in one redb file.
pub struct EmbeddedStore {
    database: Arc<Database>,
    queue: Option<SyncSender<Vec<Request>>>,
    committer: Option<JoinHandle<()>>,
    /// Set by the committer when it has failed stop: why, for health checks and operators.
    failure: Arc<std::sync::Mutex<Option<String>>>,
    /// Notified by the committer after a commit holding an inbox entry.
    inbox_arrivals: Arc<tokio::sync::Notify>,
}

/// A commit on its way to durability. Await it, or [`PendingCommit::wait`] from a thread
/// that is not running an async executor.
pub struct PendingCommit(oneshot::Receiver<Result<CommitReceipt, StorageError>>);

impl PendingCommit {
    fn failed(error: StorageError) -> PendingCommit {
        let (sender, receiver) = oneshot::channel();
        let _ = sender.send(Err(error));
        PendingCommit(receiver)
    }

    /// Blocks until the commit is durable or has failed.
    pub fn wait(self) -> Result<CommitReceipt, StorageError> {
        self.0
            .blocking_recv()
            .unwrap_or(Err(StorageError::CommitterStopped))
    }
}

impl Future for PendingCommit {
    type Output = Result<CommitReceipt, StorageError>;
    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(context)
            .map(|result| result.unwrap_or(Err(StorageError::CommitterStopped)))
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the database, checks it, and starts the committer.
    pub fn open(config: &EmbeddedConfig) -> Result<(EmbeddedStore, RecoveryReport), StorageError> {
        if let Some(parent) = config.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_dir(parent).map_err(|e| StorageError::Database(e.to_string()))?;
        }
        // redb repairs an uncleanly closed file here, back to its last completed commit.
        let database = redb::Builder::new()
            .set_cache_size(config.cache_bytes)
            .create(&config.path)?;
        // Candidates' personal data: readable by this service's user only.
        owner_only(&config.path).map_err(|e| StorageError::Database(e.to_string()))?;
        EmbeddedStore::start(database, config)
    }

    /// Opens the database on another redb storage backend (`config.path` is not used): how
    /// the fault-injection tests put a disk that fails under the committer.
    pub fn open_with_backend(
        config: &EmbeddedConfig,
        backend: impl redb::StorageBackend,
    ) -> Result<(EmbeddedStore, RecoveryReport), StorageError> {
        let database = redb::Builder::new()
            .set_cache_size(config.cache_bytes)
            .create_with_backend(backend)?;
        EmbeddedStore::start(database, config)
    }

    fn start(
        database: Database,
        config: &EmbeddedConfig,
    ) -> Result<(EmbeddedStore, RecoveryReport), StorageError> {
        let database = Arc::new(database);
        create_tables(&database)?;
        let (heads, report) = recover(&database)?;
        let (sender, receiver) = sync_channel(config.queue_capacity);
        let committer_database = Arc::clone(&database);
        let max_batch_writes = config.max_batch_writes.max(1);
        let failure = Arc::new(std::sync::Mutex::new(None));
        let committer_failure = Arc::clone(&failure);
        let inbox_arrivals = Arc::new(tokio::sync::Notify::new());
        let committer_arrivals = Arc::clone(&inbox_arrivals);
        let committer = std::thread::Builder::new()
            .name("storage-committer".into())
            .spawn(move || {
                committer::run(
                    committer_database,
                    heads,
                    receiver,
                    max_batch_writes,
                    &committer_failure,
                    &committer_arrivals,
                )
            })
            .map_err(|e| StorageError::Database(e.to_string()))?;
        Ok((
            EmbeddedStore {
                database,
                queue: Some(sender),
                committer: Some(committer),
                failure,
                inbox_arrivals,
            },
            report,
        ))
    }

    /// Walks the audit chain from its first record, recomputing every hash: `Ok(records)`
    /// if every record is there, unchanged, in its place; an error naming the first
    /// position where the chain breaks otherwise.
    pub fn verify_audit_chain(&self) -> Result<u64, StorageError> {
        let transaction = self.database.begin_read()?;
        let chain = transaction.open_table(tables::AUDIT_CHAIN)?;
        let audit = transaction.open_table(tables::AUDIT)?;
        let mut previous = [0u8; 32];
        let mut count = 0;
        for (expected, link) in (0u64..).zip(chain.iter()?) {
            let (position, link) = link?;
            let (at_ms, sequence, hash) = link.value();
            let broken =
                || StorageError::Decode(format!("the audit chain breaks at record {expected}"));
            if position.value() != expected {
                return Err(broken());
            }
            let record = audit.get((at_ms, sequence))?.ok_or_else(broken)?;
            if committer::chain_hash(&previous, record.value()) != hash {
                return Err(broken());
            }
            previous = hash;
            count += 1;
        }
        Ok(count)
    }

    /// Why the committer stopped accepting commits, once it has failed (fail-stop): every
    /// later write is refused until the process restarts and recovers from the file.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .map(|failure| failure.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Submits a commit; the result resolves once it is durable.
    pub fn submit(&self, commit: Commit) -> PendingCommit {
        self.submit_many(vec![commit])
            .pop()
            .unwrap_or_else(|| PendingCommit::failed(StorageError::CommitterStopped))
    }

    /// Submits several commits together; they are made durable in the same transaction.
    pub fn submit_many(&self, commits: Vec<Commit>) -> Vec<PendingCommit> {
        self.enqueue(commits.into_iter().map(committer::encode).collect())
    }

    /// Applies commits read back from an external log (Kafka), each with its offset there.
    /// A commit at an offset below the partition's next unapplied one is skipped, so a
    /// redelivery or a replay after a crash applies nothing twice; the offset advances in
    /// the same transaction as the commit's state.
    pub fn submit_replicated(&self, commits: Vec<(Commit, u64)>) -> Vec<PendingCommit> {
        self.enqueue(
            commits
                .into_iter()
                .map(|(commit, offset)| committer::encode_replicated(commit, offset))
                .collect(),
        )
    }

    /// Puts a verified callback in the inbox; resolves once it is durable (a copy of one
    /// still pending is recognised and not stored twice).
    pub fn inbox_put(&self, entry: &InboxEntry) -> PendingCommit {
        self.enqueue(vec![committer::inbox_put(entry)])
            .pop()
            .unwrap_or_else(|| PendingCommit::failed(StorageError::CommitterStopped))
    }

    /// Removes applied entries; resolves once that is durable.
    pub fn inbox_remove(&self, sequences: Vec<u64>) -> PendingCommit {
        self.enqueue(vec![Ok(committer::inbox_remove(sequences))])
            .pop()
            .unwrap_or_else(|| PendingCommit::failed(StorageError::CommitterStopped))
    }

    /// The oldest `limit` pending entries after `after`, in arrival order.
    pub fn inbox_oldest(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Pending>, StorageError> {
        let from = after.map_or(0, |after| after.saturating_add(1));
        self.read(|txn| inbox::oldest(txn, from..u64::MAX, limit))
    }

    /// The oldest `limit` pending entries put through candidate partition `partition` of
    /// the external log this store follows (`inbox::partition_range`), in log order.
    pub fn inbox_oldest_of(
        &self,
        partition: Partition,
        limit: usize,
    ) -> Result<Vec<Pending>, StorageError> {
        self.read(|txn| inbox::oldest(txn, inbox::partition_range(partition), limit))
    }

    /// Notified whenever a commit holding an inbox entry is durable (a receipt here, or
    /// one replicated from the external log): what wakes the applier.
    pub fn inbox_arrivals(&self) -> &tokio::sync::Notify {
        &self.inbox_arrivals
    }

    /// Every entry pending for `key`, in arrival order.
    pub fn inbox_of(&self, key: CandidateKey) -> Result<Vec<Pending>, StorageError> {
        self.read(|txn| inbox::of_candidate(txn, key))
    }

    /// Whether a callback with this idempotency key is pending (a copy of it needs no
    /// commit: the first is durable already), else `key`'s record — one read.
    pub fn inbox_lookup(&self, dedupe: &str, key: CandidateKey) -> Result<Lookup, StorageError> {
        self.read(|txn| inbox::lookup(txn, dedupe, key))
    }

    /// How many entries wait, and since when.
    pub fn inbox_backlog(&self) -> Result<Backlog, StorageError> {
        self.read(inbox::backlog)
    }

    /// The next offset to apply, per partition, of the external log this store follows.
    pub fn replicated_offsets(&self) -> Result<HashMap<Partition, u64>, StorageError> {
        self.read(|txn| {
            txn.open_table(tables::REPLICATED)?
                .iter()?
                .map(|entry| {
                    let (partition, next) = entry?;
                    Ok((Partition::from_u32(partition.value()), next.value()))
                })
                .collect()
        })
    }

    fn enqueue(
        &self,
        encoded: Vec<Result<committer::EncodedCommit, StorageError>>,
    ) -> Vec<PendingCommit> {
        let mut pending = Vec::with_capacity(encoded.len());
        let mut requests = Vec::with_capacity(encoded.len());
        for commit in encoded {
            match commit {
                Ok(encoded) => {
                    let (reply, receiver) = oneshot::channel();
                    requests.push(Request {
                        commit: encoded,
                        reply,
                    });
                    pending.push(PendingCommit(receiver));
                }
                Err(error) => pending.push(PendingCommit::failed(error)),
            }
        }
        if requests.is_empty() {
            return pending;
        }
        let Some(queue) = &self.queue else {
            return vec![PendingCommit::failed(StorageError::CommitterStopped)];
        };
        match queue.try_send(requests) {
            Ok(()) => {}
            // The requests are dropped with the message, so their receivers resolve to
            // `CommitterStopped`; report the real reason instead.
            Err(TrySendError::Full(_)) => {
                crate::metrics::record_queue_full();
                return pending
                    .into_iter()
                    .map(|_| PendingCommit::failed(StorageError::Overloaded))
                    .collect();
            }
            Err(TrySendError::Disconnected(_)) => {
                return pending
                    .into_iter()
                    .map(|_| PendingCommit::failed(StorageError::CommitterStopped))
                    .collect();
            }
        }
        pending
    }

    fn read<T>(
        &self,
        query: impl FnOnce(&redb::ReadTransaction) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let transaction = self.database.begin_read()?;
        query(&transaction)
    }

    fn candidate_now(&self, key: CandidateKey) -> Result<Option<Candidate>, StorageError> {
        self.read(|txn| {
            let table = txn.open_table(tables::CANDIDATES)?;
            table
                .get(key.as_bytes().as_slice())?
                .map(|bytes| decode(bytes.value()))
                .transpose()
        })
    }
}

impl Drop for EmbeddedStore {
    /// Lets queued commits finish before the file closes.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StorageError> {
    postcard::from_bytes(bytes).map_err(|e| StorageError::Decode(e.to_string()))
}

fn create_tables(database: &Database) -> Result<(), StorageError> {
    let transaction = database.begin_write()?;
    {
        transaction.open_table(tables::LOG)?;
        transaction.open_table(tables::PARTITION_HEADS)?;
        transaction.open_table(tables::CANDIDATES)?;
        transaction.open_table(tables::SERIALS)?;
        transaction.open_table(tables::BY_POINT)?;
        transaction.open_table(tables::PROGRESS)?;
        transaction.open_table(tables::COUNTIES)?;
        transaction.open_table(tables::IDEMPOTENCY)?;
        transaction.open_table(tables::PHOTOS)?;
        transaction.open_table(tables::AUDIT)?;
        transaction.open_table(tables::AUDIT_CHAIN)?;
        transaction.open_table(tables::SETTINGS)?;
        transaction.open_table(tables::REPLICATED)?;
        transaction.open_table(tables::HISTORY)?;
        transaction.open_table(tables::ADULT_CANDIDATES)?;
        transaction.open_table(tables::ADULT_BY_POINT)?;
        transaction.open_table(tables::INBOX)?;
        transaction.open_table(tables::INBOX_DEDUPE)?;
        transaction.open_table(tables::INBOX_BY_CANDIDATE)?;
        let mut meta = transaction.open_table(tables::META)?;
        let version = meta.get("schema_version")?.map(|v| v.value());
        match version {
            None => {
                meta.insert("schema_version", tables::SCHEMA_VERSION)?;
            }
            // Older but readable (every change since was appended): from now on it is the
            // current version, so an older build refuses it rather than misread new records.
            Some(found)
                if (tables::OLDEST_READABLE_SCHEMA..tables::SCHEMA_VERSION).contains(&found) =>
            {
                if found < 7 {
                    build_history(&transaction)?;
                }
                meta.insert("schema_version", tables::SCHEMA_VERSION)?;
            }
            Some(found) if found != tables::SCHEMA_VERSION => {
                return Err(StorageError::Decode(format!(
                    "database schema version {found}, this build reads {}–{}",
                    tables::OLDEST_READABLE_SCHEMA,
                    tables::SCHEMA_VERSION
                )));
            }
            Some(_) => {}
        }
    }
    transaction.commit()?;
    Ok(())
}

/// Builds the candidate history index (schema 7) from the log of an older store.
fn build_history(transaction: &redb::WriteTransaction) -> Result<(), StorageError> {
    let log = transaction.open_table(tables::LOG)?;
    let mut history = transaction.open_table(tables::HISTORY)?;
    for entry in log.iter()? {
        let (position, record) = entry?;
        let (partition, offset) = position.value();
        let record: LogRecord = decode(record.value())?;
        if let StreamKey::Candidate(key) = record.stream {
            history.insert((key.as_bytes().as_slice(), partition, offset), ())?;
        }
    }
    Ok(())
}

/// Loads partition heads and checks each against the log's last record: a head that
/// disagrees would hand out an offset twice, so it is an error, not something to paper over.
fn recover(database: &Database) -> Result<(HashMap<u32, u64>, RecoveryReport), StorageError> {
    let transaction = database.begin_read()?;
    let heads_table = transaction.open_table(tables::PARTITION_HEADS)?;
    let log = transaction.open_table(tables::LOG)?;
    let mut heads = HashMap::new();
    for entry in heads_table.iter()? {
        let (partition, head) = entry?;
        let (partition, head) = (partition.value(), head.value());
        let last = log
            .range((partition, 0)..=(partition, u64::MAX))?
            .next_back()
            .transpose()?;
        let expected = last.map(|(key, _)| key.value().1 + 1).unwrap_or(0);
        if expected != head {
            return Err(StorageError::Decode(format!(
                "partition {partition}: head {head} disagrees with log end {expected}"
            )));
        }
        heads.insert(partition, head);
    }
    let report = RecoveryReport {
        partitions: heads.len(),
        log_records: log.len()?,
        candidates: transaction.open_table(tables::CANDIDATES)?.len()?,
    };
    Ok((heads, report))
}

impl Journal for EmbeddedStore {
    fn commit(
        &self,
        commit: Commit,
    ) -> impl Future<Output = Result<CommitReceipt, StorageError>> + Send + 'static {
        self.submit(commit)
    }
}

impl EventLog for EmbeddedStore {
    async fn read(
        &self,
        partition: Partition,
        from: u64,
        max: usize,
    ) -> Result<Vec<(u64, LogRecord)>, StorageError> {
        let partition = partition.as_u32();
        self.read(|txn| {
            let log = txn.open_table(tables::LOG)?;
            log.range((partition, from)..=(partition, u64::MAX))?
                .take(max)
                .map(|entry| {
                    let (key, value) = entry?;
                    Ok((key.value().1, decode(value.value())?))
                })
                .collect()
        })
    }

    async fn end_offset(&self, partition: Partition) -> Result<u64, StorageError> {
        let partition = partition.as_u32();
        self.read(|txn| {
            Ok(txn
                .open_table(tables::PARTITION_HEADS)?
                .get(partition)?
                .map(|h| h.value())
                .unwrap_or(0))
        })
    }
}

impl StateStore for EmbeddedStore {
    async fn candidate(&self, key: CandidateKey) -> Result<Option<Candidate>, StorageError> {
        self.candidate_now(key)
    }

    async fn candidate_key_by_serial(
        &self,
        serial: SerialNumber,
    ) -> Result<Option<CandidateKey>, StorageError> {
        self.read(|txn| {
            let serials = txn.open_table(tables::SERIALS)?;
            let found = serials.get(serial.as_u32())?;
            Ok(found
                .and_then(|bytes| <[u8; 16]>::try_from(bytes.value()).ok())
                .map(CandidateKey::from_bytes))
        })
    }

    async fn candidates_at_point(
        &self,
        point: PointCode,
        status: Option<Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> Result<Vec<Candidate>, StorageError> {
        let point = point.as_u64();
        let statuses: Vec<u8> = match status {
            Some(status) => vec![status.as_u8()],
            None => Status::ALL.iter().map(|s| s.as_u8()).collect(),
        };
        self.read(|txn| {
            let by_point = txn.open_table(tables::BY_POINT)?;
            let candidates = txn.open_table(tables::CANDIDATES)?;
            let mut keys: Vec<[u8; 16]> = Vec::new();
            for status in statuses {
                let low: &[u8] = after
                    .as_ref()
                    .map(|k| k.as_bytes().as_slice())
                    .unwrap_or(&[]);
                for entry in
                    by_point.range((point, status, low)..(point, status + 1, [].as_slice()))?
                {
                    let (key, _) = entry?;
                    if let Ok(bytes) = <[u8; 16]>::try_from(key.value().2)
                        && after.is_none_or(|after| bytes > *after.as_bytes())
                    {
                        keys.push(bytes);
                    }
                }
            }
            keys.sort_unstable();
            keys.truncate(limit);
            keys.iter()
                .filter_map(|key| candidates.get(key.as_slice()).transpose())
                .map(|bytes| decode(bytes?.value()))
                .collect()
        })
    }

    async fn progress(&self, scope: ProgressScope) -> Result<BTreeMap<Status, u64>, StorageError> {
        let (level, code) = match scope {
            ProgressScope::Province => (level::PROVINCE, 0),
            ProgressScope::City(city) => (level::CITY, u64::from(city.code())),
            ProgressScope::County(county) => (level::COUNTY, u64::from(county.code())),
            ProgressScope::Point(point) => (level::POINT, point.as_u64()),
        };
        self.read(|txn| {
            let progress = txn.open_table(tables::PROGRESS)?;
            let mut counts = BTreeMap::new();
            for status in Status::ALL {
                let count = progress
                    .get((level, code, status.as_u8()))?
                    .map(|c| c.value())
                    .unwrap_or(0);
                if count > 0 {
                    counts.insert(status, count);
                }
            }
            Ok(counts)
        })
    }

    async fn county(&self, code: CountyCode) -> Result<Option<County>, StorageError> {
        self.read(|txn| {
            txn.open_table(tables::COUNTIES)?
                .get(code.code())?
                .map(|b| decode(b.value()))
                .transpose()
        })
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(|txn| {
            Ok(txn
                .open_table(tables::IDEMPOTENCY)?
                .get(key)?
                .map(|b| b.value().to_vec()))
        })
    }

    async fn audit_trail(
        &self,
        limit: usize,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        self.read(|txn| {
            let audit = txn.open_table(tables::AUDIT)?;
            let mut found = Vec::new();
            for entry in audit.iter()?.rev().take(crate::traits::AUDIT_SCAN_LIMIT) {
                let record: AuditRecord = decode(entry?.1.value())?;
                if actor.is_none_or(|actor| record.actor == actor) {
                    found.push(record);
                    if found.len() >= limit {
                        break;
                    }
                }
            }
            Ok(found)
        })
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(|txn| {
            Ok(txn
                .open_table(tables::SETTINGS)?
                .get(name)?
                .map(|b| b.value().to_vec()))
        })
    }

    async fn adult_candidate(
        &self,
        key: CandidateKey,
    ) -> Result<Option<engine::adult::AdultCandidate>, StorageError> {
        self.read(|txn| {
            txn.open_table(tables::ADULT_CANDIDATES)?
                .get(key.as_bytes().as_slice())?
                .map(|bytes| decode(bytes.value()))
                .transpose()
        })
    }

    async fn adult_candidates_at_point(
        &self,
        point: PointCode,
        status: Option<engine::adult::Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> Result<Vec<engine::adult::AdultCandidate>, StorageError> {
        let point = point.as_u64();
        self.read(|txn| {
            let by_point = txn.open_table(tables::ADULT_BY_POINT)?;
            let candidates = txn.open_table(tables::ADULT_CANDIDATES)?;
            let low: &[u8] = after
                .as_ref()
                .map(|key| key.as_bytes().as_slice())
                .unwrap_or(&[]);
            let mut found = Vec::new();
            for entry in by_point.range((point, low)..(point + 1, [].as_slice()))? {
                if found.len() >= limit {
                    break;
                }
                let (position, stored_status) = entry?;
                let key = position.value().1;
                if after.is_some_and(|after| key <= after.as_bytes().as_slice()) {
                    continue;
                }
                if status.is_some_and(|status| status as u8 != stored_status.value()) {
                    continue;
                }
                if let Some(bytes) = candidates.get(key)? {
                    found.push(decode(bytes.value())?);
                }
            }
            Ok(found)
        })
    }

    async fn candidate_history(
        &self,
        key: CandidateKey,
        limit: usize,
    ) -> Result<Vec<LogRecord>, StorageError> {
        let key = key.as_bytes().as_slice();
        self.read(|txn| {
            let history = txn.open_table(tables::HISTORY)?;
            let log = txn.open_table(tables::LOG)?;
            history
                .range((key, 0, 0)..=(key, u32::MAX, u64::MAX))?
                .rev()
                .take(limit)
                .filter_map(|entry| {
                    let (partition, offset) = match entry {
                        Ok((position, _)) => {
                            let (_, partition, offset) = position.value();
                            (partition, offset)
                        }
                        Err(error) => return Some(Err(error.into())),
                    };
                    match log.get((partition, offset)) {
                        Ok(Some(record)) => Some(decode(record.value())),
                        Ok(None) => None,
                        Err(error) => Some(Err(error.into())),
                    }
                })
                .collect()
        })
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(|txn| {
            Ok(txn
                .open_table(tables::PHOTOS)?
                .get(sha256)?
                .map(|b| b.value().to_vec()))
        })
    }
}

/// Creates `dir` (and parents) readable by the owner only, if it does not exist yet; an
/// existing directory is left as the operator set it up. (The gateway's secrets file uses
/// it too.)
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Restricts `file` to its owner (mode 0600).
pub(crate) fn owner_only(file: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
