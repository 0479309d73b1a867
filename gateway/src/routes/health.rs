//! Liveness and metrics.

use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// `GET /healthz`: the process serves requests, its store answers and (scale-out mode)
/// its Kafka follower is running; an orchestrator restarts a node that says otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use storage::StateStore;
    if let Some(failure) = state.store.failure() {
        // Fail-stop: this node refuses every write until it restarts (and recovers).
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "status": "failed",
            "code": "storage_unavailable",
            "backend": state.store.describe(),
            "reason": failure,
        }));
    }
    match state.store.progress(storage::ProgressScope::Province).await {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "demo": state.demo})),
        Err(error) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "degraded", "code": error.code()})),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(
    prometheus: web::Data<metrics_exporter_prometheus::PrometheusHandle>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(prometheus.render())
}
