//! What the log holds and what a commit carries.
//!
//! A log *partition* is the unit of ordering and of ownership: candidate partitions are the
//! candidate shards (one writer each), the organisation partition carries county events, and
//! the audit partition the operator audit trail.
//! Kafka maps a partition to a topic partition; the embedded backend to a key range.

use engine::candidate::{Candidate, Event};
use engine::county::{County, CountyEvent};
use engine::key::CandidateKey;
use engine::org::CountyCode;
use engine::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Which log, and which partition of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Partition {
    /// Candidate shard `n`: every event of the candidates whose key hashes to `n`.
    Candidates(u32),
    /// County events (points, ranges, serial assignment, submission), all counties.
    Organisation,
    /// The operator audit trail (state only, written by every node). Apart from the
    /// organisation partition, so that every request's audit records never queue ahead of
    /// a county's serial assignment. (Appended: older bytes decode unchanged.)
    Audit,
}

impl Partition {
    /// A dense integer for storage keys: candidate shards are `0..2^31`, organisation above.
    pub fn as_u32(self) -> u32 {
        match self {
            Partition::Candidates(shard) => shard & 0x7FFF_FFFF,
            Partition::Organisation => 0x8000_0000,
            Partition::Audit => 0x8000_0001,
        }
    }

    /// The inverse of [`Partition::as_u32`].
    pub fn from_u32(value: u32) -> Partition {
        match value {
            0x8000_0001 => Partition::Audit,
            _ if value & 0x8000_0000 == 0 => Partition::Candidates(value),
            _ => Partition::Organisation,
        }
    }
}

/// The stream an event belongs to inside its partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamKey {
    /// One candidate.
    Candidate(CandidateKey),
    /// One county.
    County(CountyCode),
}

/// An event as the log stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// A candidate event.
    Candidate(Event),
    /// A county event.
    County(CountyEvent),
    /// An adult-exam registration's event (its stream is `StreamKey::Candidate` with the
    /// registration's key, derived apart from every gaokao key). (Appended: older bytes
    /// decode unchanged.)
    Adult(engine::adult::AdultEvent),
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Whose event.
    pub stream: StreamKey,
    /// The idempotency key of the request that produced it.
    pub idempotency_key: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The event.
    pub payload: Payload,
}

/// A change to the queryable state that accompanies log records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StateUpdate {
    /// Upsert a candidate's snapshot (indexes and progress counters follow it).
    Candidate(Box<Candidate>),
    /// Upsert a county's snapshot.
    County(Box<County>),
    /// Remember the reply to a request, so a retry with the same key gets the same reply.
    Idempotency {
        /// The idempotency key (already scoped by the caller).
        key: String,
        /// The encoded reply.
        outcome: Vec<u8>,
    },
    /// Append an operator action to the audit trail.
    Audit(AuditRecord),
    /// Replace one of the province's live settings (admission control, windows), stored as
    /// the gateway's JSON so that storage needs no knowledge of its shape.
    Setting {
        /// Its name (`admission`, `schedule`).
        name: String,
        /// The encoded value.
        value: Vec<u8>,
    },
    /// Store a photo under its SHA-256.
    Photo {
        /// Hex SHA-256.
        sha256: String,
        /// The file.
        bytes: Vec<u8>,
    },
    /// Upsert an adult-exam registration's snapshot (its confirmation point's index
    /// follows it). (Appended.)
    AdultCandidate(Box<engine::adult::AdultCandidate>),
    /// Hold a verified callback in the inbox until its candidate's shard applies it
    /// (`embedded::inbox`), unless a copy is held already. Written by whichever node
    /// received the callback, state only, to the candidate's partition: its place there is
    /// its sequence on every node. (Appended.)
    InboxPut(Box<crate::embedded::InboxEntry>),
    /// Drop inbox entries whose application is durable. (Appended.)
    InboxRemove {
        /// Their sequences.
        sequences: Vec<u64>,
    },
}

/// One operator action, as the audit trail keeps it. Holds no personal data: candidates
/// appear by their pseudonymous key only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When.
    pub at: Timestamp,
    /// Operator username.
    pub actor: String,
    /// The operator's role (`province`, `city`, `county`, `point`).
    pub role: String,
    /// What was attempted (a bounded name such as `view_candidate`).
    pub action: String,
    /// What it was attempted on (candidate key, point or county code, scope).
    pub target: String,
    /// `ok` or the refusal's code; `started` for the record of intent written before the
    /// request runs (its outcome record follows with the same `request`).
    pub outcome: String,
    /// The client's address (as the connection or the trusted proxy gives it).
    pub client: String,
    /// Pairs a request's intent and outcome records (random, hex).
    pub request: String,
}

/// One atomic unit of durable work: records appended to one partition plus the state they
/// produce. Either all of it is durable or none of it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// The partition the records go to.
    pub partition: Partition,
    /// The records, in order.
    pub records: Vec<LogRecord>,
    /// The state changes.
    pub updates: Vec<StateUpdate>,
}

/// Where a commit's records landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitReceipt {
    /// Offset of the first record (equal to `end` when there were none).
    pub first_offset: u64,
    /// One past the last record.
    pub end_offset: u64,
}

/// Counts by status over some scope of the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProgressScope {
    /// The whole province.
    Province,
    /// One city.
    City(engine::org::CityCode),
    /// One county.
    County(CountyCode),
    /// One point.
    Point(engine::org::PointCode),
}
