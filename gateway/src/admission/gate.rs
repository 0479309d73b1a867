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

/// The header a waiting-room ticket comes back in.
pub const TICKET_HEADER: &str = "X-Queue-Ticket";

/// Whether `path` is a provider's or the identity service's callback.
fn is_callback(path: &str) -> bool {
    path.starts_with("/v1/payments/")
        || path == "/v1/identity/callback"
        || path.starts_with("/v1/internal/")
}

/// Reads do not change anything, so a pause lets them through; setting passwords and every
/// save of registration data (which checks the save password: the form, the phone,
/// declarations, art/PE categories) are hashing writes. Fee orders are not.
pub fn kind_of(method: &Method, path: &str) -> Kind {
    let saves_data = path == "/v1/candidates/me/form"
        || path == "/v1/candidates/me/phone"
        || path.starts_with("/v1/candidates/me/declarations")
        || (path.starts_with("/v1/candidates/me/art-pe/") && !path.ends_with("/fee-orders"));
    if matches!(*method, Method::GET | Method::HEAD) {
        Kind::Read
    } else if path == "/v1/candidates/me/passwords" || saves_data {
        Kind::HashingWrite
    } else {
        Kind::Write
    }
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
    if is_callback(request.path()) {
        // Not rate-limited here: the handlers count a callback against the providers' rate
        // only once its signature verifies, so an unsigned flood cannot use up the quota of
        // real notifications (and node-to-node requests have no share in it at all).
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let now = state.now();
    let session = state.sessions.from_headers(request.headers(), now);
    if let Some(session) = &session {
        // Resolved once: the `Caller` extractor takes it from here instead of looking again.
        request.extensions_mut().insert(Caller(session.clone()));
    }
    let Some(session) = session.filter(|session| matches!(session.scope, Scope::Candidate(_)))
    else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let ticket = ticket_of(request.headers());
    let kind = kind_of(request.method(), request.path());
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
        Err(refusal) => return Ok(request.error_response(ApiError::from(refusal))),
    };
    let response = next.call(request).await;
    drop(permit);
    Ok(response?.map_into_boxed_body())
}
