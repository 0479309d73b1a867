//! Server-rendered pages (issue 15, begun): the candidate portal at `/`. HTML is written
//! with `maud` (checked at compile time, escaped by default); every form is a plain HTML form
//! that works without JavaScript, and htmx (compiled into the binary by `build.rs`) only
//! spares reloads. Page handlers parse a form, authenticate by cookie, call the same
//! application layer (`crate::app`) as the JSON API and render — no business rule here.
//!
//! Browser sessions: the same signed session token as the API's bearer token, in an
//! `HttpOnly`, `SameSite=Strict` cookie (`Secure` where TLS ends at the load balancer), and a
//! CSRF token on every form (derived from the session; before login, a double-submit
//! cookie). Pages carry a Content-Security-Policy that allows no inline script or style.
//!
//! - [`layout`]: the page frame, the step tracker, refusals in Chinese.
//! - [`portal`]: the candidate's pages.
//! - [`console`]: the operators' pages.
//! - [`api_docs`]: `/api`, the API reference rendered from the generated document.

mod adult;
mod api_docs;
pub mod console;
pub mod layout;
pub mod portal;

use crate::sessions::Session;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

/// The session cookie.
pub const SESSION_COOKIE: &str = "reg_session";
/// The pre-login CSRF cookie (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "reg_csrf";
/// A waiting-room ticket, kept by the browser between its retries.
pub const TICKET_COOKIE: &str = "reg_ticket";

/// Whether `path` is a page (rather than the JSON API, an asset or an operations route).
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/v1/")
        || path.starts_with("/assets/")
        || matches!(path, "/healthz" | "/metrics" | "/openapi.json"))
}

/// What pages may load: nothing inline, nothing from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// htmx, from the npm registry at build time (integrity-checked in `build.rs`).
const HTMX: &str = include_str!(concat!(env!("OUT_DIR"), "/htmx.min.js"));
/// The pages' style sheet.
const STYLE: &str = include_str!("../../assets/site.css");
/// The console's dashboard following the progress stream (progressive: a reload shows the
/// counts without it).
const PROGRESS: &str = include_str!("../../assets/progress.js");
/// The point's camera (progressive: the file input works without it).
const CAMERA: &str = include_str!("../../assets/camera.js");

/// Registers the pages and their assets.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/assets/htmx.min.js", web::get().to(htmx))
        .route("/assets/progress.js", web::get().to(progress))
        .route("/assets/site.css", web::get().to(style))
        .route("/assets/camera.js", web::get().to(camera))
        .route("/api", web::get().to(api_docs::reference))
        .configure(portal::configure)
        .configure(adult::configure)
        .configure(console::configure);
}

async fn htmx() -> HttpResponse {
    asset("text/javascript; charset=utf-8", HTMX)
}

async fn progress() -> HttpResponse {
    asset("text/javascript; charset=utf-8", PROGRESS)
}

async fn camera() -> HttpResponse {
    asset("text/javascript; charset=utf-8", CAMERA)
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}

/// The browser's session, from its cookie (never from an `Authorization` header: the JSON
/// API does not take cookies, so no cross-site form can act through it).
pub fn session(state: &AppState, request: &HttpRequest) -> Option<(Session, String)> {
    let token = request.cookie(SESSION_COOKIE)?.value().to_owned();
    let session = state.session_of(&token)?;
    Some((session, token))
}

/// A posted form's field, trimmed ("" when absent).
pub fn text<'a>(fields: &'a std::collections::HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map_or("", |value| value.trim())
}

/// The login form's CSRF token: the browser's double-submit cookie, or a fresh one (the
/// page sets it).
pub fn login_csrf_token(request: &HttpRequest) -> String {
    request
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .or_else(|| crate::random_hex(16))
        .unwrap_or_default()
}

/// The CSRF token of a session: a digest of its (secret, HttpOnly) token.
pub fn csrf_of(token: &str) -> String {
    hex::encode(&Sha256::digest(format!("csrf:{token}").as_bytes())[..16])
}

/// Whether a posted `csrf` field belongs to this browser's candidate session, or before
/// login to its double-submit cookie.
pub fn csrf_ok(request: &HttpRequest, posted: &str) -> bool {
    match request.cookie(SESSION_COOKIE) {
        Some(cookie) => same(&csrf_of(cookie.value()), posted),
        None => login_csrf_ok(request, posted),
    }
}

/// Whether a login form's posted `csrf` field matches the double-submit cookie.
pub fn login_csrf_ok(request: &HttpRequest, posted: &str) -> bool {
    request
        .cookie(LOGIN_CSRF_COOKIE)
        .is_some_and(|cookie| same(cookie.value(), posted))
}

/// Equal, non-empty, compared in constant time.
pub fn same(expected: &str, posted: &str) -> bool {
    !posted.is_empty()
        && expected.len() == posted.len()
        && expected
            .bytes()
            .zip(posted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A cookie as every page cookie is set.
pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_seconds: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.tls_at_balancer)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_seconds))
        .finish()
}

/// A redirect after a successful POST (so a reload does not post again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
