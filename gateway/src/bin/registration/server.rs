//! The HTTP server: the middleware stack in its order, and the background work every node
//! runs (reconciliation, live settings, limiter pruning).

use crate::options::Options;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use gateway::state::AppState;
use std::time::Duration;

/// Starts the background loops on this node.
pub fn spawn_background(options: &Options, state: &web::Data<AppState>) {
    if options.reconcile_interval_seconds > 0 && !state.providers.configured().is_empty() {
        // Every node runs it for the shards it owns; a failed pass is retried next time.
        let (state, interval, min_age) = (
            state.clone(),
            Duration::from_secs(options.reconcile_interval_seconds),
            i64::from(options.reconcile_min_order_age_seconds),
        );
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(interval).await;
                if let Err(error) = gateway::reconciliation::reconcile(&state, min_age).await {
                    tracing::warn!(%error, "reconciliation pass failed");
                }
            }
        });
    }
    // Payments acknowledged from the inbox are applied behind the answer.
    gateway::app::inbox::spawn(state.clone());
    // Settings changed on another node are put in force here too.
    gateway::live_settings::spawn(state.clone());
    // Login buckets back at full quota are dropped every minute (bounded memory).
    let state = state.clone();
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(Duration::from_secs(60)).await;
            state.admission.prune(state.now());
        }
    });
}

/// Serves the API on the public listener, and `/metrics` and node-to-node requests on the
/// admin listener, until the process is stopped.
pub async fn serve(
    options: &Options,
    state: web::Data<AppState>,
    prometheus: metrics_exporter_prometheus::PrometheusHandle,
    workers: usize,
) -> anyhow::Result<()> {
    let prometheus = web::Data::new(prometheus);
    let hsts_max_age_seconds = options.hsts_max_age_seconds;
    // The admin listener: metrics for the deployment's Prometheus, node-to-node requests
    // for the other gateways.
    let admin_state = state.clone();
    let admin = HttpServer::new(move || {
        App::new()
            .wrap(gateway::security_headers(0))
            .app_data(prometheus.clone())
            .app_data(admin_state.clone())
            .configure(gateway::configure_admin)
    })
    .workers(1)
    .bind(&options.admin_listen)
    .with_context(|| format!("binding the admin listener {}", options.admin_listen))?
    .run();
    let public = HttpServer::new(move || {
        // actix runs the last `wrap` first. A request passes, in order: security headers
        // (so every answer carries them, even one an inner layer makes up: a shed request, a
        // redirect, a failed audit) → metrics (every answer counted) → redirect (writes for
        // shards owned elsewhere leave before anything here is spent on them) → admission
        // (shed before anything is written) → audit (the intent, durable before the
        // handler runs, then the outcome) → the handler.
        App::new()
            .wrap(actix_web::middleware::from_fn(gateway::audit::record))
            .wrap(actix_web::middleware::from_fn(
                gateway::admission::gate::gate,
            ))
            .wrap(actix_web::middleware::from_fn(gateway::redirect::redirect))
            .wrap(actix_web::middleware::from_fn(gateway::metrics::record))
            .wrap(gateway::security_headers(hsts_max_age_seconds))
            .app_data(state.clone())
            .configure(gateway::configure)
    })
    .workers(workers)
    .bind(&options.listen)
    .with_context(|| format!("binding {}", options.listen))?
    .run();
    futures::future::try_join(public, admin).await?;
    Ok(())
}
