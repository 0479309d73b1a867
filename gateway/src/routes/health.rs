//! Liveness and metrics.

use crate::state::AppState;
use actix_web::get;
use serde::Serialize;
use utoipa::ToSchema;

/// What `/healthz` says.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `failed` (fail-stop: restart) or `degraded` (the store does not answer).
    pub status: &'static str,
    /// Whether this is the demo province (never in a real deployment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    /// Why not ok (`storage_unavailable`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The storage backend, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// The failure, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Health {
    fn status(status: &'static str) -> Health {
        Health {
            status,
            demo: None,
            code: None,
            backend: None,
            reason: None,
        }
    }
}
use actix_web::{HttpResponse, web};

/// `GET /healthz`: the process serves requests, its store answers and (scale-out mode)
/// its Kafka follower is running; an orchestrator restarts a node that says otherwise.
#[utoipa::path(
    tag = "health",
    summary = "Liveness: the process serves and its store answers",
    description = "Who may call it: anyone.",
    responses(
        (status = OK, description = "serving; its store answers", body = crate::routes::health::Health),
        (status = SERVICE_UNAVAILABLE, description = "failed or degraded: restart or wait", body = crate::routes::health::Health),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use storage::StateStore;
    if let Some(failure) = state.store.failure() {
        // Fail-stop: this node refuses every write until it restarts (and recovers).
        return HttpResponse::ServiceUnavailable().json(Health {
            code: Some("storage_unavailable"),
            backend: Some(state.store.describe()),
            reason: Some(failure),
            ..Health::status("failed")
        });
    }
    match state.store.progress(storage::ProgressScope::Province).await {
        Ok(_) => HttpResponse::Ok().json(Health {
            demo: Some(state.demo),
            ..Health::status("ok")
        }),
        Err(error) => HttpResponse::ServiceUnavailable().json(Health {
            code: Some(error.code()),
            ..Health::status("degraded")
        }),
    }
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(
    tag = "health",
    summary = "Prometheus metrics",
    description = "Who may call it: anyone.",
    responses(
        (status = OK, description = "Prometheus text format", content_type = "text/plain", body = String),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/metrics")]
pub async fn metrics(
    prometheus: web::Data<metrics_exporter_prometheus::PrometheusHandle>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(prometheus.render())
}
