//! `gateway`: the registration service around the engine.
//!
//! Follow one request: [`routes`] (one file per route group) → [`sessions::Caller`]
//! (authentication) → `engine::scope` (authorization) → `actors::Registry::execute` (the
//! candidate's single writer; durable before it returns) → JSON reply or [`error::ApiError`].
//!
//! - [`hashing`]: argon2id on a bounded pool of its own.
//! - [`accounts`], [`sessions`]: operators, tokens, scopes.
//! - [`demo`]: the demo province the main binary seeds.
//! - [`secrets`]: the deployment's keys, generated once per data directory.

pub mod accounts;
pub mod admission;
pub mod app;
pub mod audit;
pub mod body;
pub mod client;
pub mod demo;
pub mod documents;
pub mod error;
pub mod fallback;
pub mod hashing;
pub mod heavy;
pub mod live_settings;
pub mod metrics;
pub mod node_auth;
pub mod openapi;
pub mod orders;
pub mod packages;
pub mod pages;
pub mod providers;
pub mod reconciliation;
pub mod redirect;
pub mod routes;
pub mod secrets;
pub mod sessions;
pub mod state;
pub mod verification;

use actix_web::web;

/// `bytes` random bytes from the operating system, hex: nonces, request ids, generated keys
/// and passwords. `None` only when the system has no entropy to give.
pub fn random_hex(bytes: usize) -> Option<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).ok()?;
    Some(hex::encode(buffer))
}

/// Largest JSON body accepted (a capture with its photo is ~60 KB).
pub const MAX_JSON_BYTES: usize = 256 * 1024;
/// Largest callback body accepted.
pub const MAX_CALLBACK_BYTES: usize = 16 * 1024;

/// Headers on every answer: no content sniffing, no framing (clickjacking), and — where the
/// load balancer terminates TLS and serves HTTPS only — HSTS. (actix-web sends no `Server`
/// banner.)
pub fn security_headers(hsts_max_age_seconds: u64) -> actix_web::middleware::DefaultHeaders {
    let headers = actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"));
    if hsts_max_age_seconds == 0 {
        return headers;
    }
    headers.add((
        "Strict-Transport-Security",
        format!("max-age={hsts_max_age_seconds}; includeSubDomains"),
    ))
}

/// Registers the API with its body limits and error mapping.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .app_data(web::PayloadConfig::new(MAX_CALLBACK_BYTES))
        .app_data(web::QueryConfig::default().error_handler(|error, _| {
            error::ApiError::bad_request("invalid_query", error::plain(&error.to_string())).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|error, _| {
            error::ApiError::bad_request("invalid_path", error::plain(&error.to_string())).into()
        }))
        .configure(|config| {
            routes::table(&mut utoipa_actix_web::service_config::ServiceConfig::new(
                config,
            ))
        })
        .configure(pages::configure)
        .default_service(web::to(fallback::answer));
}

/// Registers the admin listener's routes: `/metrics` (the deployment's Prometheus) and the
/// node-to-node requests (other gateways of the deployment), never on the public listener.
/// The caller adds the `PrometheusHandle` and the `AppState`.
pub fn configure_admin(config: &mut web::ServiceConfig) {
    config
        .app_data(web::PayloadConfig::new(MAX_CALLBACK_BYTES))
        .service(routes::health::metrics)
        .service(routes::internal::serial)
        .default_service(web::to(fallback::not_found));
}
