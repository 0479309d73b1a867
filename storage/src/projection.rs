//! A projection: the queryable state built by applying an external log's commits in order.
//!
//! With `log = kafka` the log is Kafka and every node's follower applies each partition's
//! commits, in offset order, to a projection: the embedded redb file (`store = embedded`) or
//! ScyllaDB (`store = scylla`). Applying is idempotent by offset — each projection keeps the
//! next offset to apply per partition, advanced together with the state — so a redelivery or
//! a replay after a crash changes nothing.

use crate::embedded::EmbeddedStore;
use crate::error::StorageError;
use crate::record::{Commit, Partition};
use std::collections::HashMap;
use std::future::Future;

/// One commit as read back from the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Replicated {
    /// Its partition.
    pub partition: Partition,
    /// Its offset in that partition.
    pub offset: u64,
    /// What was committed.
    pub commit: Commit,
}

/// Somewhere a follower applies the log to (and reads its own state back from: the
/// ownership fences are settings in it).
pub trait Projection: crate::traits::StateStore + Send + Sync + 'static {
    /// Applies `batch` (in log order per partition); resolves once it is durable there.
    fn apply(
        &self,
        batch: Vec<Replicated>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// The next offset to apply, per partition (absent: from the beginning).
    fn applied_offsets(
        &self,
    ) -> impl Future<Output = Result<HashMap<Partition, u64>, StorageError>> + Send;
}

impl Projection for EmbeddedStore {
    async fn apply(&self, batch: Vec<Replicated>) -> Result<(), StorageError> {
        let pending = self.submit_replicated(
            batch
                .into_iter()
                .map(|replicated| (replicated.commit, replicated.offset))
                .collect(),
        );
        for commit in pending {
            commit.await?;
        }
        Ok(())
    }

    async fn applied_offsets(&self) -> Result<HashMap<Partition, u64>, StorageError> {
        self.replicated_offsets()
    }
}
