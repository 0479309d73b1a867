//! The redb tables of the embedded backend, and how keys are laid out.
//!
//! Everything one commit touches is in one database file, so a commit of log records,
//! snapshots, indexes and counters is a single redb transaction: all or nothing.

use redb::TableDefinition;

/// `(partition, offset) → encoded LogRecord`.
pub const LOG: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("log");
/// `partition → next offset`. Written in the same transaction as the records.
pub const PARTITION_HEADS: TableDefinition<u32, u64> = TableDefinition::new("partition_heads");
/// `candidate key → encoded Candidate`.
pub const CANDIDATES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("candidates");
/// `serial number → candidate key`.
pub const SERIALS: TableDefinition<u32, &[u8]> = TableDefinition::new("serials");
/// `(point, status, candidate key) → ()`: lists by point and status.
pub const BY_POINT: TableDefinition<(u64, u8, &[u8]), ()> = TableDefinition::new("by_point_status");
/// `(level, code, status) → count`: progress counters at every level.
pub const PROGRESS: TableDefinition<(u8, u64, u8), u64> = TableDefinition::new("progress");
/// `county code → encoded County`.
pub const COUNTIES: TableDefinition<u32, &[u8]> = TableDefinition::new("counties");
/// `idempotency key → encoded reply`.
pub const IDEMPOTENCY: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency");
/// `sha256 → photo bytes`.
pub const PHOTOS: TableDefinition<&str, &[u8]> = TableDefinition::new("photos");
/// `(unix ms, sequence) → encoded AuditRecord`: the operator audit trail, in time order.
pub const AUDIT: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("audit");
/// `position → (unix ms, sequence, chain hash)`: the audit trail in the order it was
/// committed, each record's hash chained to the one before (SHA-256 of the previous hash
/// and the record's bytes), so a changed or removed record breaks every hash after it.
pub const AUDIT_CHAIN: TableDefinition<u64, (u64, u64, [u8; 32])> =
    TableDefinition::new("audit_chain");
/// `name → encoded value`: the province's live settings (admission control, windows).
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// `partition → next offset to apply` of an external log (Kafka) this store follows;
/// written in the same transaction as what the applied commits carried.
pub const REPLICATED: TableDefinition<u32, u64> = TableDefinition::new("replicated");
/// `(candidate key, partition, offset) → ()`: where each of a candidate's log records is,
/// so that a candidate's history (the console's timeline) is a range read, not a scan of
/// the partition. One entry per record, written in the record's own transaction.
pub const HISTORY: TableDefinition<(&[u8], u32, u64), ()> =
    TableDefinition::new("candidate_history");
/// `adult-exam registration key → encoded AdultCandidate`.
pub const ADULT_CANDIDATES: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("adult_candidates");
/// `(confirmation point, registration key) → status`: a point's adult-exam registrations.
pub const ADULT_BY_POINT: TableDefinition<(u64, &[u8]), u8> =
    TableDefinition::new("adult_by_point");
/// `sequence → encoded InboxEntry`: callbacks acknowledged and not yet applied, in
/// arrival order (`inbox.rs`).
pub const INBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("inbox");
/// `callback idempotency key → sequence`: a pending callback's copies are stored once.
pub const INBOX_DEDUPE: TableDefinition<&str, u64> = TableDefinition::new("inbox_dedupe");
/// `(candidate key, sequence) → ()`: what is pending for one candidate.
pub const INBOX_BY_CANDIDATE: TableDefinition<(&[u8], u64), ()> =
    TableDefinition::new("inbox_by_candidate");
/// `name → value`: schema version and the like.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The schema this code writes; a file with another version is refused at open.
/// 2: candidate snapshots carry art/PE categories.
/// 3: candidate snapshots carry the save-password failure count (appended field; events
///    gained `SavePasswordFailed` and `PasswordsReset`, appended variants).
/// 4: the fee model's three events (`FeeOrdered`, `FeePaymentApplied`,
///    `FeeSurplusRecorded`) appended; the nine older fee events are still read. County
///    idempotency records carry the request's digest (`v2:` prefix; older ones still read).
/// 5: the county event `SubmissionReturned` appended (a submission returned for correction).
/// 6: the county events `PointUpdated` and `PointRemoved` appended.
/// 7: the `candidate_history` index; a store of an older version gets it built from its log
///    when opened (once, in the opening transaction).
/// 8: the adult exam: `Payload::Adult` and `StateUpdate::AdultCandidate` appended, its
///    tables `adult_candidates` and `adult_by_point`.
/// 9: the callback inbox (`inbox`, `inbox_dedupe`, `inbox_by_candidate`; `InboxEntry`).
pub const SCHEMA_VERSION: u64 = 9;

/// The oldest schema this build reads (everything since was appended): such a store is
/// marked current when opened.
pub const OLDEST_READABLE_SCHEMA: u64 = 3;

/// Progress levels in the `PROGRESS` key.
pub mod level {
    /// The province (code 0).
    pub const PROVINCE: u8 = 0;
    /// A city (four-digit code).
    pub const CITY: u8 = 1;
    /// A county (six-digit code).
    pub const COUNTY: u8 = 2;
    /// A point (`county * 1000 + number`).
    pub const POINT: u8 = 3;
}
