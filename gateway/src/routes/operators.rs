//! Operators' routes over candidates: view, signature confirmation (step 9), moral-character
//! evaluation (step 10), the special cases' approvals, declaration reviews, work lists and
//! real-time progress by scope (step 11). The use cases are `crate::app::operator`; these
//! parse, call and render.

use super::{idempotency_key, views::CandidateView};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use actors::Outcome;
use engine::candidate::{Candidate, MoralEvaluation};
use serde::{Deserialize, Serialize};

/// A candidate the caller may see (for the document routes).
pub(super) async fn visible(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<Candidate, ApiError> {
    Ok(Operator::of(state, caller).candidate(key).await?)
}

fn reply(outcome: &Outcome) -> HttpResponse {
    HttpResponse::Ok().json(outcome.candidate.as_ref().map(CandidateView::from))
}

/// `GET /v1/candidates/{key}`.
#[utoipa::path(
    tag = "operators",
    summary = "A candidate within the caller's scope",
    description = "Who may call it: operators in scope, the candidate.",
    params(
        crate::routes::KeyPath,
    ),
    responses(
        (status = OK, description = "the record", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = []), ("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}")]
pub async fn candidate(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = Operator::of(&state, &caller).candidate(&key).await?;
    let being_recorded = crate::app::inbox::being_recorded(&state, candidate.key);
    Ok(HttpResponse::Ok().json(CandidateView::from(&candidate).being_recorded(being_recorded)))
}

/// `GET /v1/candidates/{key}/timeline` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// How many events, newest first (1–500; 500 when absent).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// `GET /v1/candidates/{key}/timeline`: every event of the record, newest first.
#[utoipa::path(
    tag = "operators",
    summary = "A candidate's timeline: every event of the record, newest first, in Chinese",
    description = "Who may call it: operators in scope, the candidate.",
    params(
        crate::routes::KeyPath,
        crate::routes::operators::TimelineQuery,
    ),
    responses(
        (status = OK, description = "the events, newest first", body = Vec<crate::app::timeline::TimelineEntry>),
    ),
    security(("operator_session" = []), ("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, entries) = Operator::of(&state, &caller)
        .timeline(&key, query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(entries))
}

/// `POST /v1/candidates/{key}/signature`: the candidate's point only.
#[utoipa::path(
    tag = "operators",
    summary = "Record the signature on the printed form",
    description = "Who may call it: the candidate's point.",
    params(
        crate::routes::KeyPath,
        crate::routes::IdempotencyKey,
    ),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/signature")]
pub async fn confirm_signature(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = Operator::of(&state, &caller)
        .confirm_signature(&key, idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `POST /v1/candidates/{key}/password-reset`: the candidate's point resets both passwords
/// for a candidate standing at the desk with the ID card.
#[utoipa::path(
    tag = "operators",
    summary = "Reset both passwords for a candidate at the desk (first login opens again, the save-password lock is lifted)",
    description = "Who may call it: the candidate's point.",
    params(
        crate::routes::KeyPath,
        crate::routes::IdempotencyKey,
    ),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/password-reset")]
pub async fn reset_passwords(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = Operator::of(&state, &caller)
        .reset_passwords(&key, idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `POST /v1/candidates/{key}/moral-evaluation` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    qualified: bool,
    opinion: String,
}

/// `POST /v1/candidates/{key}/moral-evaluation`: the candidate's point or county.
#[utoipa::path(
    tag = "operators",
    summary = "Record the moral-character evaluation",
    description = "Who may call it: the candidate's point or county.",
    params(
        crate::routes::KeyPath,
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::operators::EvaluationRequest,
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/moral-evaluation")]
pub async fn moral_evaluation(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
    body: crate::body::Json<EvaluationRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let evaluation = MoralEvaluation {
        qualified: body.qualified,
        opinion: body.opinion,
    };
    let outcome = Operator::of(&state, &caller)
        .moral_evaluation(&key, evaluation, idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `GET /v1/progress` query: `scope=province | city:4301 | county:430102 | point:430102-001`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// `province`, `city:4301`, `county:430102` or `point:430102-001`.
    #[param(pattern = "^(province|city:[0-9]{4}|county:[0-9]{6}|point:[0-9]{6}-[0-9]{3})$")]
    pub(super) scope: String,
}

/// `GET /v1/progress`: counts by status within a scope the caller covers.
#[utoipa::path(
    tag = "operators",
    summary = "Counts by status (scope=province|city:C|county:C|point:P)",
    description = "Who may call it: operators covering the scope.",
    params(crate::routes::operators::ProgressQuery),
    responses(
        (status = OK, description = "counts by status", body = crate::routes::operators::Progress),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/progress")]
pub async fn progress(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ProgressQuery>,
) -> Result<HttpResponse, ApiError> {
    let counts = Operator::of(&state, &caller).progress(&query.scope).await?;
    Ok(HttpResponse::Ok().json(Progress {
        scope: query.into_inner().scope,
        counts,
    }))
}

/// Counts by status within a scope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// The scope asked about.
    pub scope: String,
    /// Candidates by status (`captured`, `paid`, `signed`, …).
    pub counts: std::collections::BTreeMap<&'static str, u64>,
}

/// One record of the audit trail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// When, Unix milliseconds.
    at_ms: i64,
    /// Operator username.
    actor: String,
    /// Their role.
    role: String,
    /// What was attempted.
    action: String,
    /// On what.
    target: String,
    /// `ok`, `started` or the refusal's code.
    outcome: String,
    /// The client's address.
    client: String,
    /// Pairs a request's intent and outcome records.
    request: String,
}

/// `GET /v1/audit` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Only this operator's records (exact username).
    actor: Option<String>,
}

/// `GET /v1/audit`: the newest operator actions (province only; reading it is audited too).
#[utoipa::path(
    tag = "operators",
    summary = "The newest operator actions",
    description = "Who may call it: province.",
    params(crate::routes::operators::AuditQuery),
    responses(
        (status = OK, description = "the newest records first", body = Vec<crate::routes::operators::AuditEntry>),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/audit")]
pub async fn audit_trail(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let records = Operator::of(&state, &caller)
        .audit_trail(query.limit, query.actor.as_deref())
        .await?;
    let view: Vec<_> = records
        .into_iter()
        .map(|r| AuditEntry {
            at_ms: r.at.0,
            actor: r.actor,
            role: r.role,
            action: r.action,
            target: r.target,
            outcome: r.outcome,
            client: r.client,
            request: r.request,
        })
        .collect();
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/candidates/{key}/document-approval`: the candidate's city approves a capture
/// made with another identity document; the candidate may then log in.
#[utoipa::path(
    tag = "operators",
    summary = "Approve a capture made with another identity document (the candidate's city)",
    description = "Who may call it: city.",
    params(
        crate::routes::KeyPath,
        crate::routes::IdempotencyKey,
    ),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/document-approval")]
pub async fn approve_document(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = Operator::of(&state, &caller)
        .approve_document(&key, idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `POST /v1/candidates/{key}/migrant-approval`: the candidate's county approves a migrant
/// worker's child's eligibility audit; registration opens.
#[utoipa::path(
    tag = "operators",
    summary = "Approve a migrant worker's child's eligibility audit (the candidate's county)",
    description = "Who may call it: county.",
    params(
        crate::routes::KeyPath,
        crate::routes::IdempotencyKey,
    ),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/migrant-approval")]
pub async fn approve_migrant(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = Operator::of(&state, &caller)
        .approve_migrant(&key, idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `POST /v1/candidates/{key}/id-verification`: the candidate came to a point of their
/// county with a valid card; the typed-in ID is verified and the open item closed.
#[utoipa::path(
    tag = "operators",
    summary = "Verify a typed-in ID in person and close its open item (a point of the candidate's county)",
    description = "Who may call it: point.",
    params(
        crate::routes::KeyPath,
        crate::routes::IdempotencyKey,
    ),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/id-verification")]
pub async fn verify_id(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = Operator::of(&state, &caller)
        .verify_id(&key, idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `?after=&limit=` of the work lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Continue after this candidate key (the previous page's `next`).
    #[param(pattern = "^[0-9a-f]{32}$")]
    after: Option<String>,
    /// Candidates to look at (1–1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `GET /v1/points/{point}/open-items[?after=&limit=]`: the point's candidates with a
/// special case still open, for operators whose scope covers the point. One page looks at
/// `limit` candidates; `next` continues (null: done).
#[utoipa::path(
    tag = "operators",
    summary = "The point's candidates with an open special case (ID to verify, document to approve; paged: ?limit=&after=<next>)",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::operators::PageQuery,
        crate::routes::PointPath,
    ),
    responses(
        (status = OK, description = "one page of the point's open items", body = crate::app::operator::OpenItems),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/points/{point}/open-items")]
pub async fn open_items(
    state: web::Data<AppState>,
    caller: Caller,
    point: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let point: engine::org::PointCode = point.parse()?;
    let items = Operator::of(&state, &caller)
        .open_items(point, page.after.as_deref(), page.limit)
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `POST /v1/candidates/{key}/declarations/{id}/review` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    approved: bool,
    reason: Option<String>,
}

/// `POST /v1/candidates/{key}/declarations/{id}/review`: the candidate's county decides
/// first, then the candidate's city.
#[utoipa::path(
    tag = "operators",
    summary = "Decide on a declaration: the candidate's county first, then the city",
    description = "Who may call it: county, city.",
    params(
        crate::routes::KeyPath,
        ("id" = u32, Path, description = "the declaration's number on the candidate's record"),
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::operators::ReviewRequest,
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/{key}/declarations/{id}/review")]
pub async fn review_declaration(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, u32)>,
    body: crate::body::Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let (key, id) = path.into_inner();
    let body = body.into_inner();
    let outcome = Operator::of(&state, &caller)
        .review_declaration(
            &key,
            id,
            body.approved,
            body.reason,
            idempotency_key(&request)?,
        )
        .await?;
    Ok(reply(&outcome))
}

/// `GET /v1/counties/{county}/declarations` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeclarationsQuery {
    /// `pending`, `county_approved`, `approved`, `rejected` or `withdrawn`; by default what
    /// the caller decides next (the county: `pending`; the city: `county_approved`).
    #[param(pattern = "^(pending|county_approved|approved|rejected|withdrawn)$")]
    stage: Option<String>,
    /// Continue after this point and candidate (the previous page's `next`:
    /// `<point>/<candidate key>`).
    #[param(pattern = "^[0-9]{6}-[0-9]{3}/[0-9a-f]{32}$")]
    after: Option<String>,
    /// Candidates to look at (1–1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `GET /v1/counties/{county}/declarations[?stage=&after=&limit=]`: the reviewers' work
/// list. One page looks at `limit` candidates, point by point; `next` continues.
#[utoipa::path(
    tag = "operators",
    summary = "The reviewers' work list: a county's declarations at one stage (?stage=; paged: ?limit=&after=<next>)",
    description = "Who may call it: county, city, province.",
    params(
        crate::routes::operators::DeclarationsQuery,
        crate::routes::CountyPath,
    ),
    responses(
        (status = OK, description = "one page of the work list", body = crate::app::operator::DeclarationList),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/counties/{county}/declarations")]
pub async fn county_declarations(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
    query: web::Query<DeclarationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let county: engine::org::CountyCode = county.parse()?;
    let list = Operator::of(&state, &caller)
        .county_declarations(
            county,
            query.stage.as_deref(),
            query.after.as_deref(),
            query.limit,
        )
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
