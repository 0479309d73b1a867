//! Storage errors. Any of them means "not durable": the caller must not acknowledge.

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database file could not be opened, read or written.
    #[error("storage I/O failed: {0}")]
    Database(String),
    /// A stored record could not be decoded (corruption or an incompatible version).
    #[error("stored data could not be decoded: {0}")]
    Decode(String),
    /// A record could not be encoded.
    #[error("record could not be encoded: {0}")]
    Encode(String),
    /// A commit failed on disk and the committer stopped accepting any (fail-stop): nothing
    /// more is written until the process restarts and recovers from the file.
    #[error("storage is unavailable (the committer failed and stopped: {0}); retry later")]
    Unavailable(String),
    /// The committer has stopped (the store is shutting down or crashed).
    #[error("the storage committer has stopped")]
    CommitterStopped,
    /// The commit queue is full: the caller should shed load rather than wait.
    #[error("the storage commit queue is full")]
    Overloaded,
    /// The Kafka log refused or did not acknowledge the write (or could not be read).
    #[error("the Kafka log failed: {0}")]
    Kafka(String),
    /// The ScyllaDB store failed.
    #[error("the ScyllaDB store failed: {0}")]
    Scylla(String),
    /// This node does not own the partition (Kafka consumer-group assignment): the write
    /// belongs to another node.
    #[error("partition {0:?} is owned by another node")]
    NotOwner(crate::record::Partition),
}

impl StorageError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Database(_) => "storage_io",
            StorageError::Decode(_) => "storage_decode",
            StorageError::Encode(_) => "storage_encode",
            StorageError::Unavailable(_) => "storage_unavailable",
            StorageError::CommitterStopped => "storage_stopped",
            StorageError::Overloaded => "storage_overloaded",
            StorageError::Kafka(_) => "storage_kafka",
            StorageError::Scylla(_) => "storage_scylla",
            StorageError::NotOwner(_) => "shard_elsewhere",
        }
    }
}

macro_rules! database_error {
    ($($source:ty),*) => {$(
        impl From<$source> for StorageError {
            fn from(error: $source) -> Self {
                StorageError::Database(error.to_string())
            }
        }
    )*};
}

database_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<postcard::Error> for StorageError {
    fn from(error: postcard::Error) -> Self {
        StorageError::Decode(error.to_string())
    }
}
