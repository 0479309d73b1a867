//! The operator audit trail (§6: every operator action is audited; personal data is
//! access-audited). A middleware on the whole API: every request made with an operator
//! session — reads included, refusals included — leaves one durable record *before* the
//! response leaves, so nothing is seen or changed without a trace, and no route can forget.
//! If the record cannot be made durable, the caller gets 503 instead of the response.
//! Candidates acting on their own record are traced by the event log itself.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use engine::scope::Scope;
use storage::{AuditRecord, Commit, Journal, Partition, StateUpdate};

/// Middleware: audits operator requests.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let operator = state.as_ref().and_then(|state| {
        let session = state
            .sessions
            .from_headers(request.headers(), state.now())?;
        (!matches!(session.scope, Scope::Candidate(_))).then_some(session)
    });
    let response = next.call(request).await?;
    let (Some(state), Some(session)) = (state, operator) else {
        return Ok(response);
    };
    let http = response.request();
    let pattern = http
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let mut target: Vec<String> = http
        .match_info()
        .iter()
        .map(|(_, value)| value.to_owned())
        .collect();
    if target.is_empty() && !http.query_string().is_empty() {
        target.push(http.query_string().to_owned());
    }
    let outcome = match response.response().error() {
        Some(error) => error
            .as_error::<ApiError>()
            .map_or("error", |api| api.code)
            .to_owned(),
        None if response.status().is_success() => "ok".to_owned(),
        None => response.status().as_u16().to_string(),
    };
    let record = AuditRecord {
        at: state.now(),
        actor: session.subject,
        role: session.scope.role().to_owned(),
        action: format!("{} {pattern}", http.method()),
        target: target.join(","),
        outcome,
    };
    let commit = Commit {
        partition: Partition::Organisation,
        records: Vec::new(),
        updates: vec![StateUpdate::Audit(record)],
    };
    state.store.commit(commit).await.map_err(ApiError::from)?;
    Ok(response)
}
