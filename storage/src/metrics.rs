//! Metrics of the storage layer. Names follow `registration_<subsystem>_<name>_<unit>`;
//! labels have bounded values only.

/// Writes (commits) per durable transaction: how well group commit is grouping.
pub const COMMIT_BATCH_WRITES: &str = "registration_storage_commit_batch_writes";
/// Time from the start of a group's transaction to its fsync completing.
pub const COMMIT_DURATION_SECONDS: &str = "registration_storage_commit_duration_seconds";
/// Durable transactions, labelled `outcome` = `ok` | `error`.
pub const COMMITS_TOTAL: &str = "registration_storage_commits_total";
/// Commits refused because the commit queue was full.
pub const COMMIT_QUEUE_FULL_TOTAL: &str = "registration_storage_commit_queue_full_total";

/// Time from handing a write to the Kafka producer to its `acks=all` acknowledgement.
pub const KAFKA_PRODUCE_DURATION_SECONDS: &str =
    "registration_storage_kafka_produce_duration_seconds";
/// Time from Kafka's acknowledgement of a write to this node's follower having applied it.
pub const KAFKA_APPLY_WAIT_SECONDS: &str = "registration_storage_kafka_apply_wait_seconds";
/// Kafka client errors, labelled `operation` = `produce` | `consume` | `flush` | `take_over`.
pub const KAFKA_ERRORS_TOTAL: &str = "registration_storage_kafka_errors_total";
/// Commits applied per follower batch.
pub const FOLLOWER_BATCH_COMMITS: &str = "registration_storage_follower_batch_commits";
/// Follower commits applied to this node's projection.
pub const FOLLOWER_APPLIED_TOTAL: &str = "registration_storage_follower_applied_total";
/// Partition ownership changes, labelled `change` = `assigned` | `revoked`.
pub const REBALANCES_TOTAL: &str = "registration_storage_kafka_rebalances_total";
/// Partitions (shards and the organisation partition) this node owns now.
pub const OWNED_PARTITIONS: &str = "registration_storage_kafka_owned_partitions";
/// Kafka records the follower skipped because they do not verify against the `log_commits`
/// keys (forged, corrupted, or from another deployment). Alerts: any is an intrusion or a
/// misconfigured node.
pub const KAFKA_UNVERIFIED_RECORDS_TOTAL: &str =
    "registration_storage_kafka_unverified_records_total";
/// Commits the follower dropped because their writer had lost the partition to a newer
/// claim (a zombie writer fenced off).
pub const KAFKA_FENCED_COMMITS_TOTAL: &str = "registration_storage_kafka_fenced_commits_total";
/// Time of one ScyllaDB statement, labelled `statement` (a bounded set of names).
pub const SCYLLA_DURATION_SECONDS: &str = "registration_storage_scylla_duration_seconds";
/// ScyllaDB statements that failed, labelled `statement`.
pub const SCYLLA_ERRORS_TOTAL: &str = "registration_storage_scylla_errors_total";

/// 1 once the embedded committer has failed stop (every write refused until restart).
pub const COMMITTER_FAILED: &str = "registration_storage_committer_failed";

/// Exports the storage counters that only move on rare events at zero from the start, so
/// alert rules on them have a series before the first event. Kafka ones only in Kafka mode.
pub fn register(kafka: bool) {
    metrics::counter!(COMMIT_QUEUE_FULL_TOTAL).increment(0);
    metrics::gauge!(COMMITTER_FAILED).set(0.0);
    if kafka {
        for operation in ["produce", "consume", "flush", "take_over"] {
            metrics::counter!(KAFKA_ERRORS_TOTAL, "operation" => operation).increment(0);
        }
        metrics::counter!(KAFKA_UNVERIFIED_RECORDS_TOTAL).increment(0);
        metrics::counter!(KAFKA_FENCED_COMMITS_TOTAL).increment(0);
    }
}

/// The committer has failed stop.
pub(crate) fn committer_failed() {
    metrics::gauge!(COMMITTER_FAILED).set(1.0);
}

/// Records one Kafka acknowledgement.
pub(crate) fn record_produce(seconds: f64) {
    metrics::histogram!(KAFKA_PRODUCE_DURATION_SECONDS).record(seconds);
}

/// Records how long an acknowledged write waited to be applied here.
pub(crate) fn record_apply_wait(seconds: f64) {
    metrics::histogram!(KAFKA_APPLY_WAIT_SECONDS).record(seconds);
}

/// Records a Kafka client error.
pub(crate) fn record_kafka_error(operation: &'static str) {
    metrics::counter!(KAFKA_ERRORS_TOTAL, "operation" => operation).increment(1);
}

/// Records one follower batch.
pub(crate) fn record_follower_batch(commits: usize) {
    metrics::histogram!(FOLLOWER_BATCH_COMMITS).record(commits as f64);
    metrics::counter!(FOLLOWER_APPLIED_TOTAL).increment(commits as u64);
}

/// Records an ownership change.
pub(crate) fn record_rebalance(change: &'static str) {
    metrics::counter!(REBALANCES_TOTAL, "change" => change).increment(1);
}

/// Records a record skipped for not verifying.
pub(crate) fn record_unverified_record() {
    metrics::counter!(KAFKA_UNVERIFIED_RECORDS_TOTAL).increment(1);
}

/// Records a commit dropped from a fenced-off writer.
pub(crate) fn record_fenced_commit() {
    metrics::counter!(KAFKA_FENCED_COMMITS_TOTAL).increment(1);
}

/// Records how many partitions this node owns.
pub(crate) fn record_owned(partitions: usize) {
    metrics::gauge!(OWNED_PARTITIONS).set(partitions as f64);
}

/// Records one ScyllaDB statement.
pub(crate) fn record_scylla(statement: &'static str, seconds: f64, ok: bool) {
    metrics::histogram!(SCYLLA_DURATION_SECONDS, "statement" => statement).record(seconds);
    if !ok {
        metrics::counter!(SCYLLA_ERRORS_TOTAL, "statement" => statement).increment(1);
    }
}

/// Records one durable transaction.
pub(crate) fn record_group_commit(writes: usize, seconds: f64, ok: bool) {
    metrics::histogram!(COMMIT_BATCH_WRITES).record(writes as f64);
    metrics::histogram!(COMMIT_DURATION_SECONDS).record(seconds);
    metrics::counter!(COMMITS_TOTAL, "outcome" => if ok { "ok" } else { "error" }).increment(1);
}

/// Records a refusal for a full queue.
pub(crate) fn record_queue_full() {
    metrics::counter!(COMMIT_QUEUE_FULL_TOTAL).increment(1);
}
