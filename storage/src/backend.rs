//! The backend a deployment chose (`log` × `store`), behind the same traits.
//!
//! | log      | store    | writes acknowledged after                      | reads from            |
//! |----------|----------|------------------------------------------------|-----------------------|
//! | embedded | embedded | the redb transaction's fsync (group commit)    | the redb file         |
//! | kafka    | embedded | Kafka `acks=all`, then applied to the redb file | this node's redb file |
//! | kafka    | scylla   | Kafka `acks=all`, then applied to ScyllaDB     | ScyllaDB              |
//!
//! `store = scylla` needs `log = kafka`: the shared store is fed from the shared log by
//! every node's follower; an embedded log is one machine's, and the node it lives on would
//! be a single point of failure in front of a replicated store.

use crate::embedded::EmbeddedStore;
use crate::error::StorageError;
use crate::kafka::KafkaLog;
use crate::record::{AuditRecord, Commit, CommitReceipt, LogRecord, Partition, ProgressScope};
use crate::scylla::ScyllaStore;
use crate::traits::{Journal, StateStore};
use engine::candidate::{Candidate, Status};
use engine::county::County;
use engine::key::CandidateKey;
use engine::org::{CountyCode, PointCode};
use engine::serial::SerialNumber;
use futures::FutureExt;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// One of the supported combinations.
pub enum Backend {
    /// One redb file: log and state in one transaction.
    Embedded(Arc<EmbeddedStore>),
    /// Kafka log, this node's redb file as the projection.
    Kafka(Arc<KafkaLog<EmbeddedStore>>),
    /// Kafka log, ScyllaDB as the shared projection.
    KafkaScylla(Arc<KafkaLog<ScyllaStore>>),
}

impl Backend {
    /// Whether this node has taken over everything the group gave it (always, for the
    /// single-node backend).
    pub fn settled(&self) -> bool {
        match self {
            Backend::Embedded(_) => true,
            Backend::Kafka(log) => log.settled(),
            Backend::KafkaScylla(log) => log.settled(),
        }
    }

    /// `log=…, store=…`, for logs and the health endpoint.
    pub fn describe(&self) -> &'static str {
        match self {
            Backend::Embedded(_) => "log=embedded store=embedded",
            Backend::Kafka(_) => "log=kafka store=embedded",
            Backend::KafkaScylla(_) => "log=kafka store=scylla",
        }
    }

    /// Why this node cannot write any more, if it cannot (its follower stopped).
    pub fn failure(&self) -> Option<String> {
        match self {
            Backend::Embedded(store) => store.failure(),
            Backend::Kafka(log) => log.failure(),
            Backend::KafkaScylla(log) => log.failure(),
        }
    }

    /// The callback inbox (`inbox.rs`), where this deployment has one: every backend but
    /// `store = scylla`, which applies callbacks as it receives them.
    pub fn inbox(&self) -> Option<crate::inbox::Inbox<'_>> {
        match self {
            Backend::Embedded(store) => Some(crate::inbox::Inbox::Embedded(store)),
            Backend::Kafka(log) => Some(crate::inbox::Inbox::Kafka(log)),
            Backend::KafkaScylla(_) => None,
        }
    }

    /// The URLs of the node owning `partition` (blocking; scale-out mode only).
    pub fn owner_url(
        &self,
        partition: Partition,
    ) -> Result<Option<crate::kafka::NodeUrls>, StorageError> {
        match self {
            Backend::Embedded(_) => Ok(None),
            Backend::Kafka(log) => log.owner_url(partition),
            Backend::KafkaScylla(log) => log.owner_url(partition),
        }
    }
}

impl Journal for Backend {
    fn commit(
        &self,
        commit: Commit,
    ) -> impl Future<Output = Result<CommitReceipt, StorageError>> + Send + 'static {
        match self {
            Backend::Embedded(store) => store.submit(commit).boxed(),
            Backend::Kafka(log) => log.commit(commit),
            Backend::KafkaScylla(log) => log.commit(commit),
        }
    }

    fn owner_epoch(&self, partition: Partition) -> Option<u64> {
        match self {
            Backend::Embedded(_) => Some(0),
            Backend::Kafka(log) => log.owner_epoch(partition),
            Backend::KafkaScylla(log) => log.owner_epoch(partition),
        }
    }

    fn caught_up(
        &self,
        partition: Partition,
    ) -> impl Future<Output = Result<(), StorageError>> + Send + 'static {
        match self {
            Backend::Embedded(_) => futures::future::ready(Ok(())).boxed(),
            Backend::Kafka(log) => log.caught_up(partition),
            Backend::KafkaScylla(log) => log.caught_up(partition),
        }
    }
}

/// Sends a query to whichever store answers reads.
macro_rules! read {
    ($backend:expr, $store:ident => $query:expr) => {
        match $backend {
            Backend::Embedded($store) => $query.await,
            Backend::Kafka(log) => {
                let $store = log.projection();
                $query.await
            }
            Backend::KafkaScylla(log) => {
                let $store = log.projection();
                $query.await
            }
        }
    };
}

impl StateStore for Backend {
    async fn candidate(&self, key: CandidateKey) -> Result<Option<Candidate>, StorageError> {
        read!(self, store => store.candidate(key))
    }

    async fn candidate_key_by_serial(
        &self,
        serial: SerialNumber,
    ) -> Result<Option<CandidateKey>, StorageError> {
        read!(self, store => store.candidate_key_by_serial(serial))
    }

    async fn candidates_at_point(
        &self,
        point: PointCode,
        status: Option<Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> Result<Vec<Candidate>, StorageError> {
        read!(self, store => store.candidates_at_point(point, status, after, limit))
    }

    async fn progress(&self, scope: ProgressScope) -> Result<BTreeMap<Status, u64>, StorageError> {
        read!(self, store => store.progress(scope))
    }

    async fn county(&self, code: CountyCode) -> Result<Option<County>, StorageError> {
        read!(self, store => store.county(code))
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        read!(self, store => store.idempotent_outcome(key))
    }

    async fn audit_trail(
        &self,
        limit: usize,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        read!(self, store => store.audit_trail(limit, actor))
    }

    async fn adult_candidate(
        &self,
        key: CandidateKey,
    ) -> Result<Option<engine::adult::AdultCandidate>, StorageError> {
        read!(self, store => store.adult_candidate(key))
    }

    async fn adult_candidates_at_point(
        &self,
        point: PointCode,
        status: Option<engine::adult::Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> Result<Vec<engine::adult::AdultCandidate>, StorageError> {
        read!(self, store => store.adult_candidates_at_point(point, status, after, limit))
    }

    async fn candidate_history(
        &self,
        key: CandidateKey,
        limit: usize,
    ) -> Result<Vec<LogRecord>, StorageError> {
        read!(self, store => store.candidate_history(key, limit))
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        read!(self, store => store.setting(name))
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        read!(self, store => store.photo(sha256))
    }
}
