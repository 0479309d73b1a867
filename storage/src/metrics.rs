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
