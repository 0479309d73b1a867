//! The operator audit trail (§6: every operator action is audited; personal data is
//! access-audited). Each operator request — reads included, refusals included — leaves one
//! durable record *before* the reply is sent, so nothing can be seen without a trace.
//! Candidates acting on their own record are traced by the event log itself.

use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::HttpResponse;
use engine::scope::Scope;
use std::future::Future;
use storage::{AuditRecord, Commit, Partition, StateUpdate};

/// Runs an operator action, then makes its audit record durable, then replies.
pub async fn audited(
    state: &AppState,
    caller: &Caller,
    action: &'static str,
    target: String,
    work: impl Future<Output = Result<HttpResponse, ApiError>>,
) -> Result<HttpResponse, ApiError> {
    let result = work.await;
    if matches!(caller.0.scope, Scope::Candidate(_)) {
        return result;
    }
    let record = AuditRecord {
        at: state.now(),
        actor: caller.0.subject.clone(),
        role: caller.0.scope.role().to_owned(),
        action: action.to_owned(),
        target,
        outcome: match &result {
            Ok(_) => "ok".to_owned(),
            Err(error) => error.code.to_owned(),
        },
    };
    let commit = Commit {
        partition: Partition::Organisation,
        records: Vec::new(),
        updates: vec![StateUpdate::Audit(record)],
    };
    state.store.submit(commit).await?;
    result
}
