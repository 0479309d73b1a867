//! The admission middleware: every request passes here after authentication is known and
//! before its handler runs. Candidate sessions go through [`Admission::admit_candidate`]
//! (holding a place in flight while the handler runs); callbacks are counted against their
//! own rate by their handlers, after the signature verifies; operators and probes go
//! straight on. Candidate logins have no session yet; their handlers
//! call admission themselves once the record (and so the region) is known.

use super::Kind;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use engine::scope::Scope;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The header a waiting-room ticket comes back in.
pub const TICKET_HEADER: &str = "X-Queue-Ticket";

/// How the middleware treats a route: its `x-admission` in the route table
/// ([`crate::routes::table`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Not admitted here: probes and logins (whose handlers call admission once the
    /// record, and so the region, is known), and callbacks, which their handlers count
    /// against the providers' rate only once the signature verifies — so an unsigned flood
    /// cannot use up the quota of real notifications (node-to-node requests have no share
    /// in it at all).
    Exempt,
    /// A candidate request of this kind: reads are let through a pause; setting passwords
    /// and every save of registration data (which checks the save password) are hashing
    /// writes.
    Candidate(Kind),
}

impl Class {
    /// The class named `name` (`exempt`, `read`, `write`, `hashing-write`).
    pub fn named(name: &str) -> Option<Class> {
        Some(match name {
            "exempt" => Class::Exempt,
            "read" => Class::Candidate(Kind::Read),
            "write" => Class::Candidate(Kind::Write),
            "hashing-write" => Class::Candidate(Kind::HashingWrite),
            _ => return None,
        })
    }
}

/// Every route's class by method and path pattern, read once from the generated document
/// (so from the same attributes that register the routes).
/// By path pattern, then method (lower case): looked up by the matched pattern as it is,
/// with nothing allocated per request.
static CLASSES: LazyLock<HashMap<String, Vec<(&'static str, Class)>>> = LazyLock::new(|| {
    let mut classes: HashMap<String, Vec<(&'static str, Class)>> = HashMap::new();
    for (path, item) in &crate::openapi::document().paths.paths {
        for (method, operation) in crate::openapi::operations_of(item) {
            let class = operation
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("x-admission"))
                .and_then(|value| value.as_str())
                .and_then(Class::named);
            if let Some(class) = class {
                classes
                    .entry(path.clone())
                    .or_default()
                    .push((method, class));
            }
        }
    }
    classes
});

/// The class of the route `method` `pattern` (as actix matched it). A path no route
/// matches is answered 404 by the router; until then it counts as a read or a write. A
/// route's path with a method it does not take is answered 405 at once, before anything
/// of the request (a queue ticket, a session) is looked at: exempt.
pub fn class_of(method: &Method, pattern: Option<&str>) -> Class {
    let methods = pattern.and_then(|pattern| CLASSES.get(pattern));
    if let Some(methods) = methods
        && !methods
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(method.as_str()))
    {
        return Class::Exempt;
    }
    methods
        .and_then(|methods| {
            methods
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(method.as_str()))
        })
        .map(|&(_, class)| class)
        .unwrap_or(if matches!(*method, Method::GET | Method::HEAD) {
            Class::Candidate(Kind::Read)
        } else {
            Class::Candidate(Kind::Write)
        })
}

/// The request's queue ticket, if any.
pub fn ticket_of(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    headers
        .get(TICKET_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Middleware: admits or sheds.
pub async fn gate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let Class::Candidate(kind) = class_of(request.method(), request.match_pattern().as_deref())
    else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let now = state.now();
    // A page's candidate is known by the browser's cookie, and is told of a refusal by a
    // page (in Chinese, with when to come back), not by JSON.
    let page = crate::pages::is_page(request.path());
    let session = if page {
        crate::pages::session(&state, request.request()).map(|(session, _)| session)
    } else {
        state.session(request.headers())
    };
    if let Some(session) = &session {
        // Resolved once: the `Caller` extractor takes it from here instead of looking again.
        request.extensions_mut().insert(Caller(session.clone()));
    }
    let Some(session) = session.filter(|session| matches!(session.scope, Scope::Candidate(_)))
    else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let ticket = if page {
        request
            .cookie(crate::pages::TICKET_COOKIE)
            .map(|cookie| cookie.value().to_owned())
    } else {
        ticket_of(request.headers())
    };
    let permit = match state
        .admission
        .admit_candidate(
            session.region,
            &session.subject,
            kind,
            ticket.as_deref(),
            now,
        )
        .await
    {
        Ok(permit) => permit,
        Err(refusal) if page => {
            let response = crate::pages::layout::refused(&state, &ApiError::from(refusal));
            return Ok(request.into_response(response));
        }
        Err(refusal) => return Ok(request.error_response(ApiError::from(refusal))),
    };
    let response = next.call(request).await;
    drop(permit);
    Ok(response?.map_into_boxed_body())
}
