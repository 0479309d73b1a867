//! Operators' routes over candidates: view, signature confirmation (step 9), moral-character
//! evaluation (step 10), and real-time progress by scope (step 11).

use super::{idempotency_key, load, run, views::CandidateView};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::candidate::{Candidate, Command, MoralEvaluation};
use engine::key::CandidateKey;
use engine::scope::Scope;
use serde::Deserialize;
use std::collections::BTreeMap;
use storage::{ProgressScope, StateStore};

/// Loads a candidate the caller may see; 404 and 403 are distinct because operators need to
/// know the difference, and the key is already pseudonymous.
pub(super) async fn visible(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<Candidate, ApiError> {
    let key = CandidateKey::parse_hex(key).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "candidate_not_found",
            "no such candidate key",
        )
    })?;
    let candidate = load(state, key).await?;
    if !caller
        .0
        .scope
        .covers_candidate(key, candidate.capture.point)
    {
        return Err(ApiError::out_of_scope());
    }
    Ok(candidate)
}

/// Runs the command `build` makes from the caller's scope on a candidate the caller may see,
/// and replies with the record afterwards.
async fn act_on_visible(
    state: &AppState,
    caller: &Caller,
    key: &str,
    request: &HttpRequest,
    build: impl FnOnce(Scope) -> Result<Command, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let candidate = visible(state, caller, key).await?;
    let command = build(caller.0.scope)?;
    let outcome = run(
        state,
        candidate.key,
        command,
        idempotency_key(request)?,
        Vec::new(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(outcome.candidate.as_ref().map(CandidateView::from)))
}

/// `GET /v1/candidates/{key}`.
pub async fn candidate(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = visible(&state, &caller, &key).await?;
    Ok(HttpResponse::Ok().json(CandidateView::from(&candidate)))
}

/// Runs `make(point)` on a candidate of the caller's own point (and no one else's).
async fn at_own_point(
    state: &AppState,
    caller: &Caller,
    key: &str,
    request: &HttpRequest,
    make: impl FnOnce(engine::org::PointCode) -> Command,
) -> Result<HttpResponse, ApiError> {
    act_on_visible(state, caller, key, request, |scope| match scope {
        Scope::Point(point) => Ok(make(point)),
        _ => Err(ApiError::out_of_scope()),
    })
    .await
}

/// `POST /v1/candidates/{key}/signature`: the candidate's point only.
pub async fn confirm_signature(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    at_own_point(&state, &caller, &key, &request, |point| {
        Command::ConfirmSignature { point }
    })
    .await
}

/// `POST /v1/candidates/{key}/password-reset`: the candidate's point resets both passwords
/// for a candidate standing at the desk with the ID card. First login opens again (it is
/// closed once passwords are set) and the save-password lock is lifted.
pub async fn reset_passwords(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    at_own_point(&state, &caller, &key, &request, |point| {
        Command::ResetPasswords { point }
    })
    .await
}

/// `POST /v1/candidates/{key}/moral-evaluation` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    qualified: bool,
    opinion: String,
}

/// `POST /v1/candidates/{key}/moral-evaluation`: the candidate's point or county.
pub async fn moral_evaluation(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
    body: crate::body::Json<EvaluationRequest>,
) -> Result<HttpResponse, ApiError> {
    let evaluation = MoralEvaluation {
        qualified: body.qualified,
        opinion: body.opinion.clone(),
    };
    act_on_visible(&state, &caller, &key, &request, |scope| {
        let county = match scope {
            Scope::Point(point) => point.county(),
            Scope::County(county) => county,
            _ => return Err(ApiError::out_of_scope()),
        };
        Ok(Command::RecordMoralEvaluation { evaluation, county })
    })
    .await
}

/// `GET /v1/progress` query: `scope=province | city:4301 | county:430102 | point:430102-001`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressQuery {
    scope: String,
}

/// `GET /v1/progress`: counts by status within a scope the caller covers.
pub async fn progress(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ProgressQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = &caller.0.scope;
    let (requested, allowed) = match query.scope.split_once(':') {
        None if query.scope == "province" => {
            (ProgressScope::Province, matches!(scope, Scope::Province))
        }
        Some(("city", code)) => {
            let city = code.parse()?;
            (
                ProgressScope::City(city),
                matches!(scope, Scope::Province) || *scope == Scope::City(city),
            )
        }
        Some(("county", code)) => {
            let county = code.parse()?;
            (ProgressScope::County(county), scope.covers_county(county))
        }
        Some(("point", code)) => {
            let point = code.parse()?;
            (ProgressScope::Point(point), scope.covers_point(point))
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_scope",
                "scope is province, city:CODE, county:CODE or point:CODE",
            ));
        }
    };
    if !allowed {
        return Err(ApiError::out_of_scope());
    }
    division_exists(&state, requested).await?;
    let counts: BTreeMap<&'static str, u64> = state
        .store
        .progress(requested)
        .await?
        .into_iter()
        .map(|(status, count)| (status.name(), count))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({"scope": query.scope, "counts": counts})))
}

/// 404 for a division the province does not have (a well-formed code of nothing would
/// otherwise read as "no candidates yet").
async fn division_exists(state: &AppState, scope: ProgressScope) -> Result<(), ApiError> {
    let exists = match scope {
        ProgressScope::Province => true,
        ProgressScope::City(city) => state.province.city(city).is_some(),
        ProgressScope::County(county) => state.province.county(county).is_some(),
        ProgressScope::Point(point) => state
            .store
            .county(point.county())
            .await?
            .is_some_and(|county| county.points.contains_key(&point.number())),
    };
    if !exists {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "division_not_found",
            "no such city, county or registration point in this province",
        ));
    }
    Ok(())
}

/// `GET /v1/audit` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    limit: Option<usize>,
    /// Only this operator's records (exact username).
    actor: Option<String>,
}

/// `GET /v1/audit`: the newest operator actions (province only; reading it is audited too).
pub async fn audit_trail(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(caller.0.scope, Scope::Province) {
        return Err(ApiError::out_of_scope());
    }
    let records = state
        .store
        .audit_trail(query.limit.unwrap_or(100).min(1000), query.actor.as_deref())
        .await?;
    let view: Vec<_> = records
        .into_iter()
        .map(|r| serde_json::json!({"at_ms": r.at.0, "actor": r.actor, "role": r.role, "action": r.action, "target": r.target, "outcome": r.outcome, "client": r.client, "request": r.request}))
        .collect();
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/candidates/{key}/document-approval`: the candidate's city approves a capture
/// made with another identity document; the candidate may then log in.
pub async fn approve_document(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    act_on_visible(&state, &caller, &key, &request, |scope| match scope {
        Scope::City(city) => Ok(Command::ApproveOtherDocument { city }),
        _ => Err(ApiError::out_of_scope()),
    })
    .await
}

/// `POST /v1/candidates/{key}/migrant-approval`: the candidate's county approves a migrant
/// worker's child's eligibility audit; registration opens.
pub async fn approve_migrant(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    act_on_visible(&state, &caller, &key, &request, |scope| match scope {
        Scope::County(county) => Ok(Command::ApproveMigrantEligibility { county }),
        _ => Err(ApiError::out_of_scope()),
    })
    .await
}

/// `POST /v1/candidates/{key}/id-verification`: the candidate came to a point of their
/// county with a valid card; the typed-in ID is verified and the open item closed.
pub async fn verify_id(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    act_on_visible(&state, &caller, &key, &request, |scope| match scope {
        Scope::Point(point) => Ok(Command::VerifyIdAtPoint { point }),
        _ => Err(ApiError::out_of_scope()),
    })
    .await
}

/// One open item of a point's candidate.
#[derive(Debug, serde::Serialize)]
struct OpenItem {
    key: String,
    serial_number: String,
    name: String,
    /// `id_verification` (typed-in ID, to verify in person), `document_approval` (another
    /// identity document, awaiting the city) and/or `migrant_audit` (a migrant worker's
    /// child, awaiting the county).
    open: Vec<&'static str>,
}

/// Most candidates one page of a work list looks at.
pub const MAX_PAGE_CANDIDATES: usize = 1000;

/// `?after=&limit=` of the work lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Continue after this candidate key (the previous page's `next`).
    after: Option<String>,
    /// Candidates to look at (1–1000, default 1000).
    limit: Option<usize>,
}

/// `GET /v1/points/{point}/open-items[?after=&limit=]`: the point's candidates with a
/// special case still open, for operators whose scope covers the point. One page looks at
/// `limit` candidates; `next` continues (null: done).
pub async fn open_items(
    state: web::Data<AppState>,
    caller: Caller,
    point: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let point: engine::org::PointCode = point.parse()?;
    if !caller.0.scope.covers_point(point) {
        return Err(ApiError::out_of_scope());
    }
    let (after, limit) =
        super::page_bounds(page.after.as_deref(), page.limit, MAX_PAGE_CANDIDATES)?;
    let _place = state.heavy.enter(&caller.0.subject)?;
    let mut items = Vec::new();
    let (candidates, next) = super::page_at_point(&state, point, None, after, limit).await?;
    for candidate in candidates {
        let open: Vec<&'static str> = [
            (candidate.id_verification_pending, "id_verification"),
            (candidate.document_approval_pending, "document_approval"),
            (candidate.migrant_audit_pending, "migrant_audit"),
        ]
        .into_iter()
        .filter_map(|(pending, name)| pending.then_some(name))
        .collect();
        if !open.is_empty() {
            items.push(OpenItem {
                key: candidate.key.to_string(),
                serial_number: candidate.capture.serial.to_string(),
                name: candidate.capture.id_card.name.clone(),
                open,
            });
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "point": point.to_string(),
        "items": items,
        "next": next.map(|key| key.to_string()),
    })))
}

/// `POST /v1/candidates/{key}/declarations/{id}/review` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    approved: bool,
    reason: Option<String>,
}

/// `POST /v1/candidates/{key}/declarations/{id}/review`: the candidate's county decides
/// first, then the candidate's city.
pub async fn review_declaration(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, u32)>,
    body: crate::body::Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    use engine::candidate::declaration::ReviewLevel;
    let (key, id) = path.into_inner();
    let body = body.into_inner();
    act_on_visible(&state, &caller, &key, &request, |scope| {
        let (level, org) = match scope {
            Scope::County(county) => (ReviewLevel::County, county.code()),
            Scope::City(city) => (ReviewLevel::City, u32::from(city.code())),
            _ => return Err(ApiError::out_of_scope()),
        };
        Ok(Command::ReviewDeclaration {
            id,
            level,
            org,
            approved: body.approved,
            reason: body.reason,
        })
    })
    .await
}

/// `GET /v1/counties/{county}/declarations` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationsQuery {
    /// `pending`, `county_approved`, `approved`, `rejected` or `withdrawn`; by default what
    /// the caller decides next (the county: `pending`; the city: `county_approved`).
    stage: Option<String>,
    /// Continue after this point and candidate (the previous page's `next`:
    /// `<point>/<candidate key>`).
    after: Option<String>,
    /// Candidates to look at (1–1000, default 1000).
    limit: Option<usize>,
}

/// `GET /v1/counties/{county}/declarations[?stage=&after=&limit=]`: the reviewers' work
/// list — the county's declarations at one stage, with who declared what and on which
/// documents. One page looks at `limit` candidates, point by point; `next` continues.
pub async fn county_declarations(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
    query: web::Query<DeclarationsQuery>,
) -> Result<HttpResponse, ApiError> {
    use engine::candidate::declaration::Review;
    let code: engine::org::CountyCode = county.parse()?;
    if matches!(caller.0.scope, Scope::Point(_) | Scope::Candidate(_))
        || !caller.0.scope.covers_county(code)
    {
        return Err(ApiError::out_of_scope());
    }
    let _place = state.heavy.enter(&caller.0.subject)?;
    let stage = match (query.stage.as_deref(), caller.0.scope) {
        (Some(stage), _) => stage.to_owned(),
        (None, Scope::City(_)) => "county_approved".to_owned(),
        (None, _) => "pending".to_owned(),
    };
    let matches = |review: &Review| match stage.as_str() {
        "pending" => Ok(*review == Review::Pending),
        "county_approved" => Ok(*review == Review::CountyApproved),
        "approved" => Ok(*review == Review::Approved),
        "rejected" => Ok(matches!(review, Review::Rejected { .. })),
        "withdrawn" => Ok(*review == Review::Withdrawn),
        other => Err(ApiError::bad_request(
            "stage_unknown",
            format!("no declaration stage named '{other}'"),
        )),
    };
    // Refuse an unknown stage or a malformed page before reading anything.
    matches(&Review::Pending)?;
    let (start, after) = match query.after.as_deref() {
        None => (None, None),
        Some(cursor) => {
            let (point, key) = cursor.split_once('/').ok_or_else(|| {
                ApiError::bad_request("after_invalid", "after must be <point>/<candidate key>")
            })?;
            let point: engine::org::PointCode = point.parse()?;
            let (key, _) = super::page_bounds(Some(key), None, 1)?;
            (Some(point), key)
        }
    };
    let (_, mut remaining) = super::page_bounds(None, query.limit, MAX_PAGE_CANDIDATES)?;
    let Some(record) = state.store.county(code).await? else {
        return Ok(HttpResponse::Ok().json(
            serde_json::json!({"county": code.to_string(), "stage": stage, "items": [], "next": null}),
        ));
    };
    let mut items = Vec::new();
    let mut next = None;
    let points = record
        .points
        .values()
        .filter(|point| start.is_none_or(|start| point.code >= start));
    for point in points {
        let after = if Some(point.code) == start {
            after
        } else {
            None
        };
        let (candidates, more) =
            super::page_at_point(&state, point.code, None, after, remaining).await?;
        remaining -= candidates.len();
        for candidate in candidates {
            for declaration in &candidate.declarations {
                if matches(&declaration.review)? {
                    items.push(serde_json::json!({
                        "key": candidate.key.to_string(),
                        "serial_number": candidate.capture.serial.to_string(),
                        "name": candidate.capture.id_card.name,
                        "declaration": declaration,
                    }));
                }
            }
        }
        if remaining == 0 {
            next = more.map(|key| format!("{}/{key}", point.code));
            break;
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "county": code.to_string(),
        "stage": stage,
        "items": items,
        "next": next,
    })))
}
