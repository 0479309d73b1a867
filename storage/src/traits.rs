//! The storage boundary: what the actors need from any backend.
//!
//! Three roles, so that backends can be mixed (log = embedded | kafka, store = embedded |
//! scylla):
//! - [`Journal`]: make a [`Commit`] durable; resolve only once it is. This is the single
//!   point where "acknowledged" is decided.
//! - [`EventLog`]: read a partition back from an offset (rebuilding a shard after a crash or
//!   a rebalance).
//! - [`StateStore`]: the queryable projection: snapshots, lookups, progress counts, replies
//!   to already-seen idempotency keys.
//!
//! Methods return `impl Future + Send` so that backends with asynchronous drivers (Kafka,
//! ScyllaDB) and the embedded one (a committer thread) fit the same shape.

use crate::error::StorageError;
use crate::record::{AuditRecord, Commit, CommitReceipt, LogRecord, Partition, ProgressScope};
use engine::candidate::{Candidate, Status};
use engine::county::County;
use engine::key::CandidateKey;
use engine::org::PointCode;
use engine::serial::SerialNumber;
use std::collections::BTreeMap;
use std::future::Future;

/// Makes commits durable.
pub trait Journal: Send + Sync + 'static {
    /// Resolves once `commit` is durable (or has failed, in which case nothing of it is).
    fn commit(
        &self,
        commit: Commit,
    ) -> impl Future<Output = Result<CommitReceipt, StorageError>> + Send + 'static;

    /// Whether this node may write `partition` now, and since which grant of it: `None`
    /// when another node owns it (Kafka consumer-group assignment). A writer whose epoch
    /// changed must drop what it cached, since another node may have written meanwhile.
    /// A single-node backend owns everything, forever (epoch 0).
    fn owner_epoch(&self, partition: Partition) -> Option<u64> {
        let _ = partition;
        Some(0)
    }

    /// Resolves once what this node reads of `partition` holds every write this node has
    /// had acknowledged there; writers await it before deciding on state read from the
    /// store. A store that is its own log is always caught up.
    fn caught_up(
        &self,
        partition: Partition,
    ) -> impl Future<Output = Result<(), StorageError>> + Send + 'static {
        let _ = partition;
        std::future::ready(Ok(()))
    }
}

/// Reads the log back.
pub trait EventLog: Send + Sync + 'static {
    /// Up to `max` records of `partition` from offset `from`, in order, with their offsets.
    fn read(
        &self,
        partition: Partition,
        from: u64,
        max: usize,
    ) -> impl Future<Output = Result<Vec<(u64, LogRecord)>, StorageError>> + Send;

    /// One past the last offset written to `partition`.
    fn end_offset(
        &self,
        partition: Partition,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
}

/// Queries over the current state.
pub trait StateStore: Send + Sync + 'static {
    /// A candidate's snapshot.
    fn candidate(
        &self,
        key: CandidateKey,
    ) -> impl Future<Output = Result<Option<Candidate>, StorageError>> + Send;

    /// The candidate holding a serial number.
    fn candidate_key_by_serial(
        &self,
        serial: SerialNumber,
    ) -> impl Future<Output = Result<Option<CandidateKey>, StorageError>> + Send;

    /// Candidates of a point, optionally of one status, ordered by key, at most `limit`,
    /// starting after `after` (for paging).
    fn candidates_at_point(
        &self,
        point: PointCode,
        status: Option<Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Candidate>, StorageError>> + Send;

    /// Counts by status over a scope (real-time registration progress).
    fn progress(
        &self,
        scope: ProgressScope,
    ) -> impl Future<Output = Result<BTreeMap<Status, u64>, StorageError>> + Send;

    /// A county's snapshot.
    fn county(
        &self,
        code: engine::org::CountyCode,
    ) -> impl Future<Output = Result<Option<County>, StorageError>> + Send;

    /// The stored reply for an idempotency key, if the request was already applied.
    fn idempotent_outcome(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StorageError>> + Send;

    /// The newest `limit` operator audit records (of `actor` only, if given), newest
    /// first. A filtered read looks at no more than [`AUDIT_SCAN_LIMIT`] records.
    fn audit_trail(
        &self,
        limit: usize,
        actor: Option<&str>,
    ) -> impl Future<Output = Result<Vec<AuditRecord>, StorageError>> + Send;

    /// An adult-exam registration's snapshot.
    fn adult_candidate(
        &self,
        key: CandidateKey,
    ) -> impl Future<Output = Result<Option<engine::adult::AdultCandidate>, StorageError>> + Send;

    /// A confirmation point's adult-exam registrations (of one status, if given), in key
    /// order after `after`, at most `limit`.
    fn adult_candidates_at_point(
        &self,
        point: PointCode,
        status: Option<engine::adult::Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<engine::adult::AdultCandidate>, StorageError>> + Send;

    /// A candidate's log records (every event of theirs, with when and by which request),
    /// newest first, at most `limit`.
    fn candidate_history(
        &self,
        key: CandidateKey,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<LogRecord>, StorageError>> + Send;

    /// One of the province's live settings, as last committed.
    fn setting(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StorageError>> + Send;

    /// A stored photo.
    fn photo(
        &self,
        sha256: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StorageError>> + Send;
}

/// The most audit records one filtered read looks at, whatever it finds.
pub const AUDIT_SCAN_LIMIT: usize = 200_000;
