//! The ScyllaDB store (`store = scylla`, scylla driver 1.x): the shared projection that
//! every node's Kafka follower applies the log to, and that every node reads.
//!
//! - Schema: `storage/schema/scylla.cql`, applied by `registration migrate`.
//! - Statements: prepared once at connect ([`statements`]); row mapping in [`rows`].
//! - Partition keys follow the access paths: by candidate key, by serial, by point (lists),
//!   by county and status (progress, "who is missing a step"), by CST day (audit).
//! - Ordering without LWT: each write carries `USING TIMESTAMP` = its log offset + 1, so a
//!   commit applied late, twice, or by several nodes at once converges to the newest state.
//!   Single writers come from Kafka's group assignment, not from compare-and-set.
//! - Consistency: `LOCAL_QUORUM` for writes and reads, so a read after an acknowledged write
//!   sees it (quorum overlap) within a datacentre.
//!
//! No ScyllaDB server can run on the machines this was built on: the statements and the
//! row mapping are unit-tested, and `storage/tests/scylla.rs` runs against a real cluster
//! when `SCYLLA_NODES` is set.

pub mod rows;
pub mod statements;

use crate::error::StorageError;
use crate::projection::{Projection, Replicated};
use crate::record::{AuditRecord, LogRecord, Partition, ProgressScope};
use crate::traits::StateStore;
use engine::candidate::{Candidate, Status};
use engine::county::County;
use engine::key::CandidateKey;
use engine::org::{CountyCode, PointCode};
use engine::serial::SerialNumber;
use futures::future::try_join_all;
use rows::Write;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::response::query_result::QueryResult;
use scylla::serialize::row::SerializeRow;
use scylla::statement::Consistency;
use scylla::statement::prepared::PreparedStatement;
use statements::Statements;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How to reach the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScyllaConfig {
    /// Contact points, `host:port`.
    pub nodes: Vec<String>,
    /// The keyspace.
    pub keyspace: String,
    /// Replication factor used by `migrate` when it creates the keyspace.
    pub replication_factor: u32,
    /// Per-request timeout.
    pub request_timeout_seconds: u64,
    /// Password authentication (`PasswordAuthenticator` on the cluster), if set.
    pub credentials: Option<(String, String)>,
    /// TLS to the nodes, verified against this CA certificate file (PEM), if set.
    pub ca_file: Option<std::path::PathBuf>,
}

impl ScyllaConfig {
    /// Defaults for `nodes`.
    pub fn new(nodes: Vec<String>) -> ScyllaConfig {
        ScyllaConfig {
            nodes,
            keyspace: "registration".into(),
            replication_factor: 3,
            request_timeout_seconds: 5,
            credentials: None,
            ca_file: None,
        }
    }
}

/// A connected store with its statements prepared.
pub struct ScyllaStore {
    session: Session,
    prepared: HashMap<&'static str, PreparedStatement>,
}

async fn connect(config: &ScyllaConfig) -> Result<Session, StorageError> {
    let profile = ExecutionProfile::builder()
        .consistency(Consistency::LocalQuorum)
        .request_timeout(Some(Duration::from_secs(config.request_timeout_seconds)))
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&config.nodes)
        .default_execution_profile_handle(profile.into_handle());
    if let Some((username, password)) = &config.credentials {
        builder = builder.user(username, password);
    }
    if let Some(ca_file) = &config.ca_file {
        builder = builder.tls_context(Some(tls_context(ca_file)?));
    }
    builder
        .build()
        .await
        .map_err(|e| StorageError::Scylla(e.to_string()))
}

/// A TLS context that trusts `ca_file` (PEM) and verifies the nodes' certificates.
fn tls_context(ca_file: &std::path::Path) -> Result<openssl::ssl::SslContext, StorageError> {
    use openssl::ssl::{SslContextBuilder, SslMethod, SslVerifyMode};
    let failed = |error: openssl::error::ErrorStack| {
        StorageError::Scylla(format!("TLS to ScyllaDB ({}): {error}", ca_file.display()))
    };
    let mut context = SslContextBuilder::new(SslMethod::tls()).map_err(failed)?;
    context.set_ca_file(ca_file).map_err(failed)?;
    context.set_verify(SslVerifyMode::PEER);
    Ok(context.build())
}

/// Applies the schema (idempotent: every statement is `IF NOT EXISTS`).
pub async fn migrate(config: &ScyllaConfig) -> Result<usize, StorageError> {
    let session = connect(config).await?;
    let schema = statements::schema(&config.keyspace, config.replication_factor);
    for statement in &schema {
        session
            .query_unpaged(statement.as_str(), ())
            .await
            .map_err(|e| StorageError::Scylla(format!("{e} in: {statement}")))?;
    }
    session
        .await_schema_agreement()
        .await
        .map_err(|e| StorageError::Scylla(e.to_string()))?;
    Ok(schema.len())
}

fn scylla_error(error: impl std::fmt::Display) -> StorageError {
    StorageError::Scylla(error.to_string())
}

impl ScyllaStore {
    /// Connects and prepares every statement (which also checks them against the schema:
    /// run `migrate` first).
    pub async fn connect(config: &ScyllaConfig) -> Result<ScyllaStore, StorageError> {
        let session = connect(config).await?;
        let mut prepared = HashMap::new();
        for (name, text) in Statements::new(&config.keyspace).all() {
            let statement = session
                .prepare(text)
                .await
                .map_err(|e| StorageError::Scylla(format!("preparing {name}: {e}")))?;
            prepared.insert(name, statement);
        }
        Ok(ScyllaStore { session, prepared })
    }

    async fn run(
        &self,
        name: &'static str,
        values: impl SerializeRow,
    ) -> Result<QueryResult, StorageError> {
        let statement = self
            .prepared
            .get(name)
            .ok_or_else(|| StorageError::Scylla(format!("statement {name} was not prepared")))?;
        let started = Instant::now();
        let result = self.session.execute_unpaged(statement, values).await;
        crate::metrics::record_scylla(name, started.elapsed().as_secs_f64(), result.is_ok());
        result.map_err(scylla_error)
    }

    /// The single blob column of the first row, if any.
    async fn blob(
        &self,
        name: &'static str,
        values: impl SerializeRow,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let result = self.run(name, values).await?;
        let rows = result.into_rows_result().map_err(scylla_error)?;
        Ok(rows
            .maybe_first_row::<(Vec<u8>,)>()
            .map_err(scylla_error)?
            .map(|(blob,)| blob))
    }

    async fn write(&self, write: Write, timestamp: i64) -> Result<(), StorageError> {
        match write {
            Write::Candidate {
                key,
                serial,
                point,
                county,
                status,
                snapshot,
            } => {
                let previous = self
                    .run("select_candidate_status", (&key,))
                    .await?
                    .into_rows_result()
                    .map_err(scylla_error)?
                    .maybe_first_row::<(Option<i8>,)>()
                    .map_err(scylla_error)?
                    .and_then(|(status,)| status);
                if let Some(old) = previous.filter(|old| *old != status) {
                    // Older than a newer status's row by timestamp, so a late apply never
                    // removes what a node further along wrote.
                    self.run("delete_by_county_status", (timestamp, county, old, &key))
                        .await?;
                }
                self.run("insert_serial", (serial, &key, timestamp)).await?;
                self.run("insert_by_point", (point, &key, status, timestamp))
                    .await?;
                self.run(
                    "insert_by_county_status",
                    (county, status, &key, point, timestamp),
                )
                .await?;
                self.run(
                    "insert_candidate",
                    (&key, serial, point, status, snapshot, timestamp),
                )
                .await?;
            }
            Write::County { code, snapshot } => {
                self.run("insert_county", (code, snapshot, timestamp))
                    .await?;
            }
            Write::Idempotency { key, outcome } => {
                self.run("insert_idempotency", (key, outcome, timestamp))
                    .await?;
            }
            Write::Photo { sha256, bytes } => {
                self.run("insert_photo", (sha256, bytes, timestamp)).await?;
            }
            Write::Audit {
                day,
                at_ms,
                sequence,
                record,
            } => {
                self.run("insert_audit", (day, at_ms, sequence, record, timestamp))
                    .await?;
            }
            Write::Setting { name, value } => {
                self.run("insert_setting", (name, value, timestamp)).await?;
            }
            Write::AdultCandidate {
                key,
                point,
                status,
                snapshot,
            } => {
                if let Some(point) = point {
                    self.run("insert_adult_by_point", (point, &key, status, timestamp))
                        .await?;
                }
                self.run("insert_adult", (&key, point, status, snapshot, timestamp))
                    .await?;
            }
            Write::History {
                key,
                log_offset,
                position,
                record,
            } => {
                self.run(
                    "insert_history",
                    (key, log_offset, position, record, timestamp),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn count(&self, county: i32, status: Status) -> Result<u64, StorageError> {
        let result = self
            .run("count_by_county_status", (county, status.as_u8() as i8))
            .await?;
        let (count,) = result
            .into_rows_result()
            .map_err(scylla_error)?
            .single_row::<(i64,)>()
            .map_err(scylla_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn county_codes(&self) -> Result<Vec<i32>, StorageError> {
        let result = self.run("select_county_codes", ()).await?;
        let rows = result.into_rows_result().map_err(scylla_error)?;
        rows.rows::<(i32,)>()
            .map_err(scylla_error)?
            .map(|row| row.map(|(code,)| code).map_err(scylla_error))
            .collect()
    }
}

impl Projection for ScyllaStore {
    /// Commits of one partition are applied one after another (a candidate's status index
    /// reads the previous status); partitions go concurrently. Then the applied offsets.
    async fn apply(&self, batch: Vec<Replicated>) -> Result<(), StorageError> {
        let mut by_partition: BTreeMap<Partition, Vec<Replicated>> = BTreeMap::new();
        for replicated in batch {
            by_partition
                .entry(replicated.partition)
                .or_default()
                .push(replicated);
        }
        try_join_all(
            by_partition
                .into_iter()
                .map(|(partition, commits)| async move {
                    let mut next = 0;
                    for replicated in commits {
                        let timestamp = rows::write_timestamp(replicated.offset);
                        for write in rows::plan(&replicated.commit, replicated.offset)? {
                            self.write(write, timestamp).await?;
                        }
                        next = replicated.offset + 1;
                    }
                    let next = i64::try_from(next).unwrap_or(i64::MAX);
                    // Timestamped by the offset itself: a node behind never moves it back.
                    self.run("insert_applied", (partition.as_u32() as i32, next, next))
                        .await
                        .map(|_| ())
                }),
        )
        .await
        .map(|_| ())
    }

    async fn applied_offsets(&self) -> Result<HashMap<Partition, u64>, StorageError> {
        let result = self.run("select_applied", ()).await?;
        let rows = result.into_rows_result().map_err(scylla_error)?;
        rows.rows::<(i32, i64)>()
            .map_err(scylla_error)?
            .map(|row| {
                let (partition, next) = row.map_err(scylla_error)?;
                Ok((
                    Partition::from_u32(partition as u32),
                    u64::try_from(next).unwrap_or(0),
                ))
            })
            .collect()
    }
}

impl StateStore for ScyllaStore {
    async fn candidate(&self, key: CandidateKey) -> Result<Option<Candidate>, StorageError> {
        self.blob("select_candidate", (key.as_bytes().to_vec(),))
            .await?
            .map(|snapshot| rows::candidate(&snapshot))
            .transpose()
    }

    async fn candidate_key_by_serial(
        &self,
        serial: SerialNumber,
    ) -> Result<Option<CandidateKey>, StorageError> {
        Ok(self
            .blob("select_serial", (serial.as_u32() as i32,))
            .await?
            .and_then(|key| <[u8; 16]>::try_from(key).ok())
            .map(CandidateKey::from_bytes))
    }

    async fn candidates_at_point(
        &self,
        point: PointCode,
        status: Option<Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> Result<Vec<Candidate>, StorageError> {
        const PAGE_ROWS: i32 = 500;
        let mut cursor = after.map(|key| key.as_bytes().to_vec()).unwrap_or_default();
        let mut keys = Vec::new();
        while keys.len() < limit {
            let result = self
                .run(
                    "select_by_point",
                    (point.as_u64() as i64, &cursor, PAGE_ROWS),
                )
                .await?;
            let rows = result.into_rows_result().map_err(scylla_error)?;
            let page: Vec<(Vec<u8>, i8)> = rows
                .rows::<(Vec<u8>, i8)>()
                .map_err(scylla_error)?
                .collect::<Result<_, _>>()
                .map_err(scylla_error)?;
            let Some((last, _)) = page.last() else { break };
            cursor = last.clone();
            let full = page.len() == PAGE_ROWS as usize;
            keys.extend(
                page.into_iter()
                    .filter(|(_, found)| status.is_none_or(|wanted| *found == wanted.as_u8() as i8))
                    .map(|(key, _)| key),
            );
            if !full {
                break;
            }
        }
        keys.truncate(limit);
        let candidates = try_join_all(
            keys.into_iter()
                .map(|key| async move { self.blob("select_candidate", (key,)).await }),
        )
        .await?;
        candidates
            .into_iter()
            .flatten()
            .map(|snapshot| rows::candidate(&snapshot))
            .collect()
    }

    async fn progress(&self, scope: ProgressScope) -> Result<BTreeMap<Status, u64>, StorageError> {
        let mut counts: BTreeMap<Status, u64> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        if let ProgressScope::Point(point) = scope {
            for candidate in self
                .candidates_at_point(point, None, None, usize::MAX)
                .await?
            {
                *counts.entry(candidate.status()).or_insert(0) += 1;
            }
            return Ok(counts);
        }
        let counties: Vec<i32> = match scope {
            ProgressScope::County(county) => vec![county.code() as i32],
            ProgressScope::City(city) => self
                .county_codes()
                .await?
                .into_iter()
                .filter(|code| *code as u32 / 100 == u32::from(city.code()))
                .collect(),
            _ => self.county_codes().await?,
        };
        let queries = counties
            .iter()
            .flat_map(|county| Status::ALL.iter().map(move |status| (*county, *status)));
        let found = try_join_all(queries.map(|(county, status)| async move {
            self.count(county, status)
                .await
                .map(|count| (status, count))
        }))
        .await?;
        for (status, count) in found {
            *counts.entry(status).or_insert(0) += count;
        }
        Ok(counts)
    }

    async fn county(&self, code: CountyCode) -> Result<Option<County>, StorageError> {
        self.blob("select_county", (code.code() as i32,))
            .await?
            .map(|snapshot| Ok(postcard::from_bytes(&snapshot)?))
            .transpose()
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.blob("select_idempotency", (key,)).await
    }

    async fn audit_trail(
        &self,
        limit: usize,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        // Newest first: today's partition, then earlier days, for at most a month.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as i64)
            .unwrap_or(0);
        let today = rows::audit_day(engine::time::Timestamp(now));
        let mut records = Vec::new();
        for day in (today - 31..=today).rev() {
            if records.len() >= limit {
                break;
            }
            // Filtered reads look at up to the scan limit and keep the actor's records.
            let wanted = match actor {
                None => limit - records.len(),
                Some(_) => crate::traits::AUDIT_SCAN_LIMIT,
            };
            let wanted = i32::try_from(wanted).unwrap_or(i32::MAX);
            let result = self.run("select_audit", (day, wanted)).await?;
            let rows = result.into_rows_result().map_err(scylla_error)?;
            for row in rows.rows::<(Vec<u8>,)>().map_err(scylla_error)? {
                let (record,) = row.map_err(scylla_error)?;
                let record = rows::audit(&record)?;
                if actor.is_none_or(|actor| record.actor == actor) && records.len() < limit {
                    records.push(record);
                }
            }
        }
        Ok(records)
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.blob("select_setting", (name,)).await
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.blob("select_photo", (sha256,)).await
    }

    async fn adult_candidate(
        &self,
        key: CandidateKey,
    ) -> Result<Option<engine::adult::AdultCandidate>, StorageError> {
        self.blob("select_adult", (key.as_bytes().to_vec(),))
            .await?
            .map(|snapshot| rows::adult(&snapshot))
            .transpose()
    }

    async fn adult_candidates_at_point(
        &self,
        point: PointCode,
        status: Option<engine::adult::Status>,
        after: Option<CandidateKey>,
        limit: usize,
    ) -> Result<Vec<engine::adult::AdultCandidate>, StorageError> {
        const PAGE_ROWS: i32 = 500;
        let mut cursor = after.map(|key| key.as_bytes().to_vec()).unwrap_or_default();
        let mut found = Vec::new();
        while found.len() < limit {
            let result = self
                .run(
                    "select_adult_by_point",
                    (point.as_u64() as i64, &cursor, PAGE_ROWS),
                )
                .await?;
            let rows = result.into_rows_result().map_err(scylla_error)?;
            let page: Vec<(Vec<u8>, i8)> = rows
                .rows::<(Vec<u8>, i8)>()
                .map_err(scylla_error)?
                .collect::<Result<_, _>>()
                .map_err(scylla_error)?;
            let Some((last, _)) = page.last() else { break };
            cursor = last.clone();
            let full = page.len() == PAGE_ROWS as usize;
            for (key, _) in page {
                let Ok(bytes) = <[u8; 16]>::try_from(key.as_slice()) else {
                    continue;
                };
                // The snapshot decides: a row left behind by a move to another point, or an
                // index status older than the snapshot, is skipped.
                if let Some(candidate) = self
                    .adult_candidate(CandidateKey::from_bytes(bytes))
                    .await?
                    && candidate.point == Some(point)
                    && status.is_none_or(|wanted| candidate.status() == wanted)
                    && found.len() < limit
                {
                    found.push(candidate);
                }
            }
            if !full {
                break;
            }
        }
        Ok(found)
    }

    async fn candidate_history(
        &self,
        key: CandidateKey,
        limit: usize,
    ) -> Result<Vec<LogRecord>, StorageError> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let result = self
            .run("select_history", (key.as_bytes().to_vec(), limit))
            .await?;
        let rows = result.into_rows_result().map_err(scylla_error)?;
        rows.rows::<(Vec<u8>,)>()
            .map_err(scylla_error)?
            .map(|row| rows::log_record(&row.map_err(scylla_error)?.0))
            .collect()
    }
}
