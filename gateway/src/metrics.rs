//! HTTP metrics: rate, errors and duration per route. The `route` label is the matched
//! pattern (`/v1/candidates/{key}`), never the concrete path, so its values stay bounded.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

/// Histogram buckets for durations (`*_seconds`): 0.5 ms to 10 s.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Histogram buckets for batch sizes (writes per commit, commits per follower batch).
const BATCH_BUCKETS: [f64; 12] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// The Prometheus exporter with real histograms (`_bucket` series, aggregatable across
/// nodes with `histogram_quantile`) rather than per-process summaries.
pub fn exporter()
-> Result<metrics_exporter_prometheus::PrometheusBuilder, metrics_exporter_prometheus::BuildError> {
    use metrics_exporter_prometheus::Matcher;
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(storage::metrics::COMMIT_BATCH_WRITES.into()),
            &BATCH_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full(storage::metrics::FOLLOWER_BATCH_COMMITS.into()),
            &BATCH_BUCKETS,
        )
}

/// Payment notifications that verified, labelled `provider` and `outcome`: `applied` (the
/// fee is now paid), `surplus` (a second transaction for a paid fee, recorded for refund)
/// or `duplicate` (already applied: a provider retry, applied nothing).
pub const PAYMENT_NOTIFICATIONS_TOTAL: &str = "registration_payments_notifications_total";

/// Counts one verified payment notification by what it did.
pub fn payment_notification(provider: &'static str, outcome: &'static str) {
    metrics::counter!(PAYMENT_NOTIFICATIONS_TOTAL, "provider" => provider, "outcome" => outcome)
        .increment(1);
}

/// Payment notifications refused, labelled `provider` and `reason`
/// (`providers::Refusal::label`: signature, unknown_key, stale, malformed, wrong_merchant,
/// not_paid, order_unknown, wrong_amount, unavailable).
pub const PAYMENT_NOTIFICATIONS_REFUSED_TOTAL: &str =
    "registration_payments_notifications_refused_total";

/// Counts one refused notification.
pub fn payment_notification_refused(provider: &'static str, reason: &'static str) {
    metrics::counter!(PAYMENT_NOTIFICATIONS_REFUSED_TOTAL, "provider" => provider, "reason" => reason)
        .increment(1);
}

/// Callbacks waiting in the inbox to be applied (`app::inbox`).
pub const INBOX_PENDING: &str = "registration_payments_inbox_pending";
/// Age of the oldest callback waiting in the inbox: the apply lag.
pub const INBOX_LAG_SECONDS: &str = "registration_payments_inbox_lag_seconds";
/// Callbacks applied from the inbox, labelled `provider` and `outcome` (`applied`,
/// `surplus`, `duplicate`, or `refused` — checked before acknowledgement, so never
/// expected: alerted).
pub const INBOX_APPLIED_TOTAL: &str = "registration_payments_inbox_applied_total";

/// The inbox's backlog, as the applier last saw it.
pub fn inbox_backlog(pending: u64, lag_seconds: f64) {
    metrics::gauge!(INBOX_PENDING).set(pending as f64);
    metrics::gauge!(INBOX_LAG_SECONDS).set(lag_seconds);
}

/// Counts one callback applied from the inbox.
pub fn inbox_applied(provider: &'static str, outcome: &'static str) {
    metrics::counter!(INBOX_APPLIED_TOTAL, "provider" => provider, "outcome" => outcome)
        .increment(1);
}

/// Payments a provider could not create (unreachable, an error, an answer that does not
/// verify), labelled `provider`.
pub const PAYMENT_CREATE_FAILED_TOTAL: &str = "registration_payments_create_failed_total";

/// Counts one failed creation.
pub fn payment_create_failed(provider: &'static str) {
    metrics::counter!(PAYMENT_CREATE_FAILED_TOTAL, "provider" => provider).increment(1);
}

/// Orders asked about by reconciliation that led to something, labelled `outcome`:
/// `applied`, `already_applied`, `refused`, or why no answer came (`unreachable`,
/// `bad_signature`, `malformed`, `unconfigured`).
pub const RECONCILIATION_TOTAL: &str = "registration_payments_reconciliation_total";

/// Counts one reconciliation outcome.
pub fn reconciliation(outcome: &'static str) {
    metrics::counter!(RECONCILIATION_TOTAL, "outcome" => outcome).increment(1);
}

/// Requests, labelled `route`, `method` and `status` (the HTTP status class: 2xx, 4xx, ...).
pub const REQUESTS_TOTAL: &str = "registration_http_requests_total";
/// Request duration, labelled `route`.
pub const REQUEST_DURATION_SECONDS: &str = "registration_http_request_duration_seconds";

/// Candidate requests admitted, labelled `region` (city code, `unknown`, `provider`) and
/// `kind` (`read`, `write`, `callback`).
pub const ADMISSION_ADMITTED_TOTAL: &str = "registration_admission_admitted_total";
/// Requests shed, labelled `region` and `reason` (`paused`, `outside_slot`, `queued`, `rate`,
/// `overload`, `bad_ticket`, `callback_rate`, `login_attempts`).
pub const ADMISSION_SHED_TOTAL: &str = "registration_admission_shed_total";
/// Time a candidate request waited for a place in flight.
pub const ADMISSION_QUEUE_WAIT_SECONDS: &str = "registration_admission_queue_wait_seconds";
/// Candidate requests in flight.
pub const ADMISSION_IN_FLIGHT: &str = "registration_admission_in_flight";
/// The overload guard's current in-flight limit.
pub const ADMISSION_IN_FLIGHT_LIMIT: &str = "registration_admission_in_flight_limit";
/// 1 while candidate writes are paused.
pub const ADMISSION_PAUSED: &str = "registration_admission_paused";
/// 1 when a region's slot is open (or it has none), 0 when closed; labelled `region`.
pub const ADMISSION_SLOT_OPEN: &str = "registration_admission_slot_open";
/// Queue tickets waiting, labelled `region`.
pub const ADMISSION_WAITING_TICKETS: &str = "registration_admission_waiting_tickets";

/// Middleware recording one request.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    let seconds = started.elapsed().as_secs_f64();
    // The access log names the route's pattern, never the path or the query (they can hold
    // a candidate key or, typed by mistake, an ID number), and no header (tokens).
    tracing::debug!(
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        milliseconds = (seconds * 1000.0).round() as u64,
        "request"
    );
    metrics::counter!(REQUESTS_TOTAL, "route" => route.clone(), "method" => method, "status" => status).increment(1);
    metrics::histogram!(REQUEST_DURATION_SECONDS, "route" => route).record(seconds);
    Ok(response)
}
