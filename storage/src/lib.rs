//! `storage`: where registrations become durable, and where they are read back.
//!
//! The [`traits`] module is the boundary the actors program against: a [`Journal`] makes a
//! [`Commit`] (log records plus the state they produce) durable and only then resolves; an
//! [`EventLog`] reads partitions back for rebuilding; a [`StateStore`] answers queries.
//! Partitions are candidate shards, so a Kafka log and a ScyllaDB store implement the same
//! traits (issue 7). The default backend is [`embedded`]: one redb file with group commit.

mod backend;
pub mod embedded;
mod error;
pub mod inbox;
pub mod kafka;
pub mod keys;
pub mod metrics;
mod projection;
mod record;
pub mod scylla;
pub mod traits;

pub use backend::Backend;
pub use embedded::{EmbeddedConfig, EmbeddedStore, PendingCommit, RecoveryReport};
pub use error::StorageError;
pub use inbox::Inbox;
pub use kafka::{KafkaConfig, KafkaLog};
pub use projection::{Projection, Replicated};
pub use record::{
    AuditRecord, Commit, CommitReceipt, LogRecord, Partition, Payload, ProgressScope, StateUpdate,
    StreamKey,
};
pub use scylla::{ScyllaConfig, ScyllaStore};
pub use traits::{EventLog, Journal, StateStore};
