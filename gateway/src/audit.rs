//! The operator audit trail (§6: every operator action is audited; personal data is
//! access-audited). A middleware on the whole API: every request made with an operator
//! session — reads included, refusals included — leaves one durable record *before* the
//! response leaves, so nothing is seen or changed without a trace, and no route can forget.
//! If the record cannot be made durable, the caller gets 503 instead of the response.
//! Candidates acting on their own record are traced by the event log itself.

use crate::app::AppError;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use engine::scope::Scope;
use storage::{AuditRecord, Commit, Journal, Partition, StateUpdate};

/// Middleware: audits operator requests, twice: the intent before the handler runs (if
/// that record cannot be made durable, nothing runs and the caller gets 503), the outcome
/// after it. A crash between an action and its outcome record still leaves the intent.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    // An operator acts through the API (bearer token) or the console (its cookie): both
    // are audited alike.
    let operator = state.as_ref().and_then(|state| {
        let session = state
            .sessions
            .from_headers(request.headers(), state.now())
            .or_else(|| {
                let cookie = request.cookie(crate::pages::console::OPERATOR_COOKIE)?;
                state.sessions.resolve(cookie.value(), state.now())
            })?;
        (!matches!(session.scope, Scope::Candidate(_))).then_some(session)
    });
    let (Some(state), Some(session)) = (state, operator) else {
        return next.call(request).await;
    };
    let http = request.request();
    let pattern = http
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    // Before routing, path parameters are not parsed yet: the intent names the path itself.
    let mut path = http.path().to_owned();
    if !http.query_string().is_empty() {
        path = format!("{path}?{}", http.query_string());
    }
    let intent = AuditRecord {
        at: state.now(),
        actor: session.subject.clone(),
        role: session.scope.role().to_owned(),
        action: format!("{} {pattern}", http.method()),
        target: without_personal_data(&path),
        outcome: "started".to_owned(),
        client: client_address(http),
        request: request_id(),
    };
    write(&state, intent.clone())
        .await
        .map_err(ApiError::from)?;
    let response = next.call(request).await?;
    let http = response.request();
    let mut target: Vec<String> = http
        .match_info()
        .iter()
        .map(|(_, value)| without_personal_data(value))
        .collect();
    if target.is_empty() && !http.query_string().is_empty() {
        target.push(without_personal_data(http.query_string()));
    }
    let outcome = match response.response().error() {
        Some(error) => error
            .as_error::<ApiError>()
            .map_or("error", |api| api.code)
            .to_owned(),
        None if response.status().is_success() => "ok".to_owned(),
        None => response.status().as_u16().to_string(),
    };
    write(
        &state,
        AuditRecord {
            at: state.now(),
            target: target.join(","),
            outcome,
            ..intent
        },
    )
    .await
    .map_err(ApiError::from)?;
    Ok(response)
}

/// An operator's login attempt, successful or not (there is no session yet, so the login
/// handler records it). The typed username is kept only as far as it could be one.
pub async fn login(
    state: &AppState,
    client: &str,
    username: &str,
    outcome: &str,
) -> Result<(), AppError> {
    let username: String = username.chars().take(64).collect();
    write(
        state,
        AuditRecord {
            at: state.now(),
            actor: without_personal_data(&username),
            role: "operator".to_owned(),
            action: "POST /v1/sessions/operator".to_owned(),
            target: String::new(),
            outcome: outcome.to_owned(),
            client: client.to_owned(),
            request: request_id(),
        },
    )
    .await
}

async fn write(state: &AppState, record: AuditRecord) -> Result<(), AppError> {
    let commit = Commit {
        partition: Partition::Audit,
        records: Vec::new(),
        updates: vec![StateUpdate::Audit(record)],
    };
    state.store.commit(commit).await?;
    Ok(())
}

/// The connection's peer address. (Behind a load balancer this is the balancer; reading a
/// trusted proxy's `X-Forwarded-For` belongs with the trusted-proxy setting, not yet here.)
pub fn client_address(request: &actix_web::HttpRequest) -> String {
    let Some(peer) = request.peer_addr().map(|address| address.ip()) else {
        return String::new();
    };
    let forwarded = request
        .headers()
        .get("X-Forwarded-For")
        .and_then(|value| value.to_str().ok());
    match request.app_data::<actix_web::web::Data<AppState>>() {
        Some(state) => state.trusted_proxies.client(peer, forwarded).to_string(),
        None => peer.to_string(),
    }
}

fn request_id() -> String {
    crate::random_hex(8).unwrap_or_default()
}

/// The longest target text kept per value: enough for keys, codes and queries.
const MAX_TARGET_CHARS: usize = 128;

/// A path or query value as the audit trail may keep it: an operator who types an ID number
/// where a candidate key belongs must not leave it in clear in a trail that many people
/// read, so every token shaped like an ID number (15 digits, or 17 digits and a digit or
/// `X`) is masked like a printed ID number (first four, last two), and the value is capped
/// in length. Tokens are maximal runs of letters and digits, so a candidate key (32 hex
/// digits, which may hold a long run of decimal digits) is never mistaken for one.
pub fn without_personal_data(value: &str) -> String {
    fn id_shaped(token: &str) -> bool {
        let bytes = token.as_bytes();
        match bytes.len() {
            15 => bytes.iter().all(u8::is_ascii_digit),
            18 => {
                bytes[..17].iter().all(u8::is_ascii_digit)
                    && (bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x')
            }
            _ => false,
        }
    }
    let mut out = String::with_capacity(value.len().min(MAX_TARGET_CHARS));
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if id_shaped(token) {
            out.push_str(&token[..4]);
            out.extend(std::iter::repeat_n('*', token.len() - 6));
            out.push_str(&token[token.len() - 2..]);
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in value.chars().take(MAX_TARGET_CHARS) {
        if c.is_ascii_alphanumeric() {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::without_personal_data;

    /// Security audit item 22: an ID number typed into `GET /v1/candidates/{key}` was
    /// stored in clear in the audit trail.
    #[test]
    fn item_22_id_numbers_in_paths_are_masked_in_the_audit_trail() {
        assert_eq!(
            without_personal_data("43010220050101123X"),
            "4301************3X"
        );
        assert_eq!(
            without_personal_data("scope=point:430102-001"),
            "scope=point:430102-001",
            "codes stay readable"
        );
        assert_eq!(
            without_personal_data("cd2a9b4a77848555cee4fcbd8b724704"),
            "cd2a9b4a77848555cee4fcbd8b724704",
            "candidate keys are pseudonymous already"
        );
        assert_eq!(
            without_personal_data("ab1234567890123456789012345678cd"),
            "ab1234567890123456789012345678cd",
            "even one holding a long run of decimal digits"
        );
        assert_eq!(
            without_personal_data("id=430102200501011234&x=1"),
            "id=4301************34&x=1"
        );
        assert!(without_personal_data(&"a".repeat(10_000)).len() <= 128);
    }
}
