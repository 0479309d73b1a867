//! Metrics of the actor layer. `actor` labels take the bounded values `candidate_shard` and
//! `county`; never a key, code or ID.

/// Messages waiting in an actor's mailbox (gauge, per actor kind, summed over actors).
pub const MAILBOX_DEPTH: &str = "registration_actors_mailbox_depth";
/// Time an actor spent deciding one message (excluding the wait for durability).
pub const PROCESSING_SECONDS: &str = "registration_actors_processing_seconds";
/// Restarts after a panic or a storage failure.
pub const RESTARTS_TOTAL: &str = "registration_actors_restarts_total";
/// Messages refused because the mailbox was full.
pub const OVERLOADED_TOTAL: &str = "registration_actors_overloaded_total";
/// Candidate cache lookups, labelled `result` = `hit` | `miss`.
pub const CACHE_LOOKUPS_TOTAL: &str = "registration_actors_cache_lookups_total";

/// The `actor` label of candidate shards.
pub const CANDIDATE_SHARD: &str = "candidate_shard";
/// Actor kind label: the adult exam's shards.
pub const ADULT_SHARD: &str = "adult_shard";
/// The `actor` label of county actors.
pub const COUNTY: &str = "county";

/// Exports the counters that only move on rare events at zero from the start, so alert
/// rules on them (`increase(...) > 0`) have a series to evaluate before the first event.
pub(crate) fn register() {
    for actor in [CANDIDATE_SHARD, COUNTY] {
        metrics::counter!(RESTARTS_TOTAL, "actor" => actor).increment(0);
        metrics::counter!(OVERLOADED_TOTAL, "actor" => actor).increment(0);
    }
}

pub(crate) fn mailbox_changed(actor: &'static str, delta: f64) {
    metrics::gauge!(MAILBOX_DEPTH, "actor" => actor).increment(delta);
}

pub(crate) fn processed(actor: &'static str, seconds: f64) {
    metrics::histogram!(PROCESSING_SECONDS, "actor" => actor).record(seconds);
}

pub(crate) fn restarted(actor: &'static str) {
    metrics::counter!(RESTARTS_TOTAL, "actor" => actor).increment(1);
}

pub(crate) fn overloaded(actor: &'static str) {
    metrics::counter!(OVERLOADED_TOTAL, "actor" => actor).increment(1);
}

pub(crate) fn cache_lookup(hit: bool) {
    metrics::counter!(CACHE_LOOKUPS_TOTAL, "result" => if hit { "hit" } else { "miss" })
        .increment(1);
}
