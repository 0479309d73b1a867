//! The operator console (`/console`), begun: login (and the forced password change of a
//! one-time password), a point's capture of a candidate with a photo file (the photo
//! checked — and its verdict shown — before a serial number is spent), and for every level
//! the live progress of its scope (updating by itself through htmx polling) with a candidate
//! list filtered by step and name. Like the portal, each handler parses, checks the CSRF
//! token, calls `crate::app` and renders.

use super::layout::{Problem, alert, csrf, field, respond};
use super::{csrf_of, login_csrf_ok, see_other, text};
use crate::app::AppError;
use crate::app::operator::{ListFilter, Operator};
use crate::error::ApiError;
use crate::sessions::{Caller, Session};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::scope::Scope;
use futures::StreamExt as _;
use maud::{DOCTYPE, Markup, html};
use std::collections::HashMap;

/// The operator's session cookie (apart from a candidate's on the same browser).
pub const OPERATOR_COOKIE: &str = "reg_operator";

/// The largest upload a capture takes (a photo is ~30 KB; the API takes 256 KiB of JSON).
const MAX_UPLOAD_BYTES: usize = 256 * 1024;

/// Registers the console's pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/console", web::get().to(home))
        .route("/console/login", web::post().to(login))
        .route("/console/logout", web::post().to(logout))
        .route("/console/password", web::post().to(password))
        .route("/console/capture", web::post().to(capture))
        .route("/console/progress", web::get().to(progress))
        .route(
            "/console/candidates/{key}/signature",
            web::post().to(signature),
        )
        .route(
            "/console/candidates/{key}/registration-form.pdf",
            web::get().to(printable),
        )
        .route("/console/pause", web::post().to(pause))
        .route(
            "/console/candidates/{key}/moral-evaluation",
            web::post().to(moral_evaluation),
        )
        .route("/console/candidates.csv", web::get().to(export))
        .route("/console/login-cards.pdf", web::get().to(login_cards))
        .route("/console/accounts", web::post().to(create_account))
        .route("/console/points", web::post().to(create_point))
        .route("/console/windows", web::post().to(window))
        .route(
            "/console/candidates/{key}/approval",
            web::post().to(approve),
        )
        .route(
            "/console/candidates/{key}/declarations/{id}",
            web::post().to(review),
        )
        .route("/console/ranges", web::post().to(allocate))
        .route("/console/submission", web::post().to(submission))
        .route("/console/city-submission", web::post().to(city_submission))
        .route("/console/returns", web::post().to(return_county))
        .route("/console/city-returns", web::post().to(return_city));
}

/// The operator's session, from the console cookie, checked like a bearer token's (a
/// disabled account, a reset or a logout ends it).
fn operator_session(state: &AppState, request: &HttpRequest) -> Option<(Session, String)> {
    let token = request.cookie(OPERATOR_COOKIE)?.value().to_owned();
    let session = state
        .session_of(&token)
        .filter(|session| !matches!(session.scope, Scope::Candidate(_)))?;
    Some((session, token))
}

fn frame(title: &str, who: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // htmx would otherwise inject an inline style, which the CSP refuses.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false}"#;
                title { (title) " · 报名管理" }
                link rel="stylesheet" href="/assets/site.css";
                script src="/assets/htmx.min.js" defer {}
                script src="/assets/camera.js" defer {}
            }
            body class="console" {
                a class="skip" href="#main" { "跳到正文" }
                header class="top" {
                    p class="brand" { "普通高考报名管理" @if let Some(who) = who { " · " (who.subject) } }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

/// `GET /console`.
async fn home(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    match operator_session(&state, &request) {
        Some((session, token)) => workspace(&state, &request, session, &token, None, None).await,
        None => login_page(&state, &request, None),
    }
}

fn login_page(state: &AppState, request: &HttpRequest, problem: Option<&Problem>) -> HttpResponse {
    let token = super::login_csrf_token(request);
    let body = html! {
        h1 { "工作人员登录" }
        (alert(problem))
        section {
            form method="post" action="/console/login" {
                (csrf(&token))
                (field("username", "用户名", "text", "", problem, "username"))
                (field("password", "密码", "password", "", problem, "current-password"))
                button type="submit" { "登录" }
            }
        }
    };
    let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNAUTHORIZED);
    let mut response = respond(status, frame("工作人员登录", None, body));
    let _ = response.add_cookie(&super::cookie(state, super::LOGIN_CSRF_COOKIE, token, 3600));
    response
}

/// `POST /console/login`.
async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    if !login_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let client = crate::app::session::Client {
        address: crate::audit::client_address(&request),
        ticket: None,
    };
    match crate::app::session::operator_login(
        &state,
        &client,
        text(&fields, "username"),
        text(&fields, "password"),
    )
    .await
    {
        Ok(issued) => {
            let seconds = issued.expires_at.seconds_since(state.now()).max(60);
            let mut response = see_other("/console");
            let _ = response.add_cookie(&super::cookie(
                &state,
                OPERATOR_COOKIE,
                issued.token,
                seconds,
            ));
            response
        }
        Err(error) => login_page(&state, &request, Some(&Problem::of(&ApiError::from(error)))),
    }
}

/// `POST /console/logout`: the session ends on every node (as the API's logout).
async fn logout(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    if let Some((session, _)) = operator_session(&state, &request) {
        if !console_csrf_ok(&request, text(&fields, "csrf")) {
            return forbidden();
        }
        let _ = crate::app::accounts::log_out(&state, &session).await;
    }
    let mut response = see_other("/console");
    let _ = response.add_cookie(&super::cookie(&state, OPERATOR_COOKIE, String::new(), 0));
    response
}

fn console_csrf_ok(request: &HttpRequest, posted: &str) -> bool {
    request
        .cookie(OPERATOR_COOKIE)
        .is_some_and(|cookie| super::same(&csrf_of(cookie.value()), posted))
}

fn forbidden() -> HttpResponse {
    respond(
        StatusCode::FORBIDDEN,
        frame(
            "请求无效",
            None,
            html! { h1 { "请求无效" } p { "页面已过期或来源不明（csrf_invalid）。" } p { a href="/console" { "返回" } } },
        ),
    )
}

/// `POST /console/password`: a one-time password is replaced before anything else.
async fn password(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let Some((session, token)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    if !console_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    match crate::app::accounts::change_own_password(
        &state,
        &session,
        text(&fields, "current_password"),
        text(&fields, "new_password"),
    )
    .await
    {
        // Every earlier session of the account ends with the change: log in again.
        Ok(_) => {
            let mut response = see_other("/console");
            let _ = response.add_cookie(&super::cookie(&state, OPERATOR_COOKIE, String::new(), 0));
            response
        }
        Err(error) => {
            let problem = Problem::of(&ApiError::from(error));
            workspace(&state, &request, session, &token, Some(problem), None).await
        }
    }
}

/// `POST /console/capture` (multipart: the ID-card fields and the photo file).
async fn capture(
    state: web::Data<AppState>,
    request: HttpRequest,
    mut payload: actix_multipart::Multipart,
) -> HttpResponse {
    let Some((session, token)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let (fields, photo) = match read_multipart(&mut payload).await {
        Ok(parts) => parts,
        Err(problem) => {
            return workspace(&state, &request, session, &token, Some(problem), None).await;
        }
    };
    if !console_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let Scope::Point(point) = session.scope else {
        let problem = Problem::of(&ApiError::out_of_scope());
        return workspace(&state, &request, session, &token, Some(problem), None).await;
    };
    let outcome = capture_with(&state, point, &fields, photo).await;
    match outcome {
        Ok(serial) => {
            workspace(
                &state,
                &request,
                session,
                &token,
                None,
                Some(Notice::Captured(serial)),
            )
            .await
        }
        Err(error) => {
            let mut problem = Problem::of(&ApiError::from(error));
            if problem.message.contains("photo") {
                problem.field = Some("photo");
            }
            workspace(&state, &request, session, &token, Some(problem), None).await
        }
    }
}

async fn capture_with(
    state: &AppState,
    point: engine::org::PointCode,
    fields: &HashMap<String, String>,
    photo: Vec<u8>,
) -> Result<String, AppError> {
    use base64::Engine as _;
    let body = serde_json::json!({
        "id_number": text(fields, "id_number"),
        "name": text(fields, "name"),
        "gender": text(fields, "gender"),
        "ethnicity": text(fields, "ethnicity").parse::<u8>().unwrap_or(0),
        "birth_date": text(fields, "birth_date"),
        "address": text(fields, "address"),
        "valid_until": text(fields, "valid_until"),
        "category": text(fields, "category"),
        "mode": "card_read",
        "photo_base64": base64::engine::general_purpose::STANDARD.encode(photo),
    });
    let request: crate::app::capture::CaptureRequest = serde_json::from_value(body)
        .map_err(|error| AppError::malformed("invalid_capture", error.to_string()))?;
    let idempotency = match fields
        .get("key")
        .filter(|key| !key.is_empty() && key.len() <= 64)
    {
        Some(key) => format!("console-{key}"),
        None => crate::app::fresh_idempotency_key("console")?,
    };
    let candidate = match crate::app::capture::prepare(state, point, &request, &idempotency).await?
    {
        crate::app::capture::Prepared::Done(candidate) => Some(*candidate),
        crate::app::capture::Prepared::New(capture) => {
            crate::app::capture::commit(state, point, capture, idempotency).await?
        }
    };
    Ok(candidate
        .map(|candidate| candidate.capture.serial.to_string())
        .unwrap_or_default())
}

/// The form's text fields and the photo file, bounded.
async fn read_multipart(
    payload: &mut actix_multipart::Multipart,
) -> Result<(HashMap<String, String>, Vec<u8>), Problem> {
    let too_large = || Problem {
        field: Some("photo"),
        message: "上传内容过大：照片不超过 256 KB（body_too_large）".to_owned(),
        retry_after_seconds: None,
    };
    let malformed = || Problem {
        field: None,
        message: "表单无法读取（malformed_body）".to_owned(),
        retry_after_seconds: None,
    };
    let mut fields = HashMap::new();
    let mut photo = Vec::new();
    let mut total = 0usize;
    while let Some(part) = payload.next().await {
        let mut part = part.map_err(|_| malformed())?;
        let name = part.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| malformed())?;
            total += chunk.len();
            if total > MAX_UPLOAD_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "photo" {
            photo = bytes;
        } else {
            fields.insert(name, String::from_utf8(bytes).map_err(|_| malformed())?);
        }
    }
    Ok((fields, photo))
}

/// `POST /console/candidates/{key}/signature`: the point confirms the printed form was
/// signed.
async fn signature(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let idempotency = format!("console-sign-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        Operator::of(state, &caller)
            .confirm_signature(&key, idempotency)
            .await
            .map(|_| ())
    })
    .await
}

/// `GET /console/candidates/{key}/registration-form.pdf`: a candidate's form, printed by an
/// operator in scope.
async fn printable(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let caller = Caller(session);
    let answer = match Operator::of(&state, &caller).candidate(&key).await {
        Ok(candidate) => crate::routes::documents::registration_form_pdf(state, candidate).await,
        Err(error) => Err(ApiError::from(error)),
    };
    answer.unwrap_or_else(|error| {
        respond(
            error.status,
            frame(
                "无法打印",
                None,
                html! { h1 { "无法打印" } (alert(Some(&Problem::of(&error)))) },
            ),
        )
    })
}

/// `POST /console/candidates/{key}/moral-evaluation` (the point or county).
async fn moral_evaluation(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let evaluation = engine::candidate::MoralEvaluation {
        qualified: text(&fields, "qualified") == "yes",
        opinion: text(&fields, "opinion").to_owned(),
    };
    let idempotency = format!("console-moral-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        Operator::of(state, &caller)
            .moral_evaluation(&key, evaluation, idempotency)
            .await
            .map(|_| ())
    })
    .await
}

/// `GET /console/candidates.csv?status=&name=` (a point): its list as a file (UTF-8 with a
/// BOM for spreadsheets, ID numbers masked), the same as the API's export.
async fn export(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let Scope::Point(point) = session.scope else {
        return respond(
            StatusCode::FORBIDDEN,
            frame(
                "无法导出",
                None,
                alert(Some(&Problem::of(&ApiError::out_of_scope()))),
            ),
        );
    };
    let filter = ListFilter {
        status: query.get("status").filter(|s| !s.is_empty()).cloned(),
        name_prefix: query.get("name").filter(|s| !s.is_empty()).cloned(),
    };
    let caller = Caller(session);
    let exported = Operator::of(&state, &caller)
        .export_point(point, &filter)
        .await
        .map_err(ApiError::from)
        .and_then(|candidates| crate::routes::lists::csv_lines(&candidates, true));
    match exported {
        Ok(lines) => {
            let mut bytes = crate::routes::lists::CSV_BOM.to_vec();
            bytes.extend(lines);
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"candidates-{point}.csv\""),
                ))
                .body(bytes)
        }
        Err(error) => respond(
            error.status,
            frame("无法导出", None, alert(Some(&Problem::of(&error)))),
        ),
    }
}

/// `GET /console/login-cards.pdf?status=` (a point): its candidates' login cards, four to
/// a page.
async fn login_cards(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let Scope::Point(point) = session.scope else {
        return see_other("/console");
    };
    let caller = Caller(session);
    let status = query
        .get("status")
        .filter(|s| !s.is_empty())
        .map(String::as_str);
    let answer =
        match crate::app::documents::point_login_cards(&state, &caller, point, status, None, None)
            .await
        {
            Ok((candidates, _)) => {
                crate::routes::documents::login_cards_pdf(
                    state.clone(),
                    point,
                    candidates,
                    format!("login-cards-{point}.pdf"),
                )
                .await
            }
            Err(error) => Err(ApiError::from(error)),
        };
    answer.unwrap_or_else(|error| {
        respond(
            error.status,
            frame("无法打印", None, alert(Some(&Problem::of(&error)))),
        )
    })
}

/// `POST /console/accounts`: an account for a unit the operator manages; its one-time
/// password is shown once.
async fn create_account(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let Some((session, token)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    if !console_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    match crate::app::accounts::create(
        &state,
        &session,
        text(&fields, "username"),
        text(&fields, "scope"),
    )
    .await
    {
        Ok(created) => {
            let notice = Notice::Created {
                username: created.account.username,
                scope: created.account.scope,
                one_time_password: created.one_time_password,
            };
            workspace(&state, &request, session, &token, None, Some(notice)).await
        }
        Err(error) => {
            let problem = Problem::of(&ApiError::from(error));
            workspace(&state, &request, session, &token, Some(problem), None).await
        }
    }
}

/// `POST /console/candidates/{key}/declarations/{id}` (county, then city): approve, or
/// reject with a reason the candidate sees.
async fn review(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, u32)>,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (key, id) = path.into_inner();
    let approved = text(&fields, "approved") == "yes";
    let reason = Some(text(&fields, "reason").to_owned()).filter(|reason| !reason.is_empty());
    let idempotency = format!("console-review-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        Operator::of(state, &caller)
            .review_declaration(&key, id, approved, reason, idempotency)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/candidates/{key}/approval`: a special case settled by the level that
/// settles it — a typed-in ID verified in person at the point, a migrant worker's child's
/// eligibility approved by the county, a capture with another identity document approved by
/// the city.
async fn approve(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let idempotency = format!("console-approve-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        let operator = Operator::of(state, &caller);
        match text(fields, "kind") {
            "id_verification" => operator.verify_id(&key, idempotency).await,
            "migrant_audit" => operator.approve_migrant(&key, idempotency).await,
            "document_approval" => operator.approve_document(&key, idempotency).await,
            _ => Err(AppError::invalid("approval_unknown", "no such approval")),
        }
        .map(|_| ())
    })
    .await
}

/// `POST /console/windows` (province): sets a window afresh, or extends its close.
async fn window(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let time = |name: &str| {
        engine::time::Timestamp::parse_cst_text(text(&fields, name)).ok_or_else(|| {
            AppError::invalid(
                "schedule_time_invalid",
                "times are 'YYYY-MM-DD HH:MM', China Standard Time",
            )
        })
    };
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        let kind = crate::app::settings::window_kind(text(fields, "window"))?;
        if text(fields, "action") == "extend" {
            crate::app::settings::extend_window(state, &caller, kind, time("until")?).await?;
        } else {
            crate::app::settings::set_window(
                state,
                &caller,
                kind,
                time("opens_at")?,
                time("closes_at")?,
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// `POST /console/points` (a county): a new registration point.
async fn create_point(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    county_change(state, &request, fields, |session, county, key| async move {
        let point = crate::app::county::CreatePoint {
            number: text(fields, "number").parse().map_err(|_| {
                AppError::malformed("invalid_point_number", "a point number is 1–999")
            })?,
            name: text(fields, "point_name").to_owned(),
            expected_headcount: text(fields, "expected_headcount").parse().map_err(|_| {
                AppError::malformed("invalid_headcount", "the expected head-count is a number")
            })?,
            designated_for_migrant_children: text(fields, "migrant") == "yes",
        };
        crate::app::county::create_point(
            state,
            &session.scope,
            &session.subject,
            county,
            point,
            &key,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/ranges` (a county): serial numbers for a point, or divided among all.
async fn allocate(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    county_change(state, &request, fields, |session, county, key| async move {
        let number = |name: &str| {
            text(fields, name).parse::<u16>().map_err(|_| {
                AppError::malformed("invalid_range", "a range is two sequence numbers, 1–9999")
            })
        };
        let allocation = crate::app::county::Allocation {
            point: Some(text(fields, "range_point").to_owned()).filter(|point| !point.is_empty()),
            category: None,
            first: number("first")?,
            last: number("last")?,
        };
        crate::app::county::allocate(
            state,
            &session.scope,
            &session.subject,
            county,
            allocation,
            &key,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// A county's own change from the console: session, CSRF, the county, then `change`.
async fn county_change<F, Fut>(
    state: &AppState,
    request: &HttpRequest,
    fields: &HashMap<String, String>,
    change: F,
) -> HttpResponse
where
    F: FnOnce(Session, engine::org::CountyCode, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let key = format!("console-{}", text(fields, "key"));
    act(state, request, fields, |session| async move {
        let Scope::County(county) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        change(session, county, key).await
    })
    .await
}

/// A console action: the operator's session and the form's CSRF token checked, then
/// `action`; success goes back to the workspace, a refusal shows it with its message.
async fn act<F, Fut>(
    state: &AppState,
    request: &HttpRequest,
    fields: &HashMap<String, String>,
    action: F,
) -> HttpResponse
where
    F: FnOnce(Session) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let Some((session, token)) = operator_session(state, request) else {
        return see_other("/console");
    };
    if !console_csrf_ok(request, text(fields, "csrf")) {
        return forbidden();
    }
    match action(session.clone()).await {
        Ok(()) => see_other("/console"),
        Err(error) => {
            let problem = Problem::of(&ApiError::from(error));
            workspace(state, request, session, &token, Some(problem), None).await
        }
    }
}

/// `POST /console/submission` (a county): submits its records to the city.
async fn submission(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let idempotency = format!("console-submit-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::County(county) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        crate::app::county::submit(
            state,
            &session.scope,
            &session.subject,
            county,
            &idempotency,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/city-submission` (a city): submits its counties' records to the province,
/// once every county has submitted.
async fn city_submission(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::City(city) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        crate::app::county::submit_city(state, &session.scope, city)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/returns` (a city or the province): returns a county's submission for
/// correction, with the reason the county sees.
async fn return_county(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let idempotency = format!("console-return-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let county: engine::org::CountyCode = text(fields, "county").parse()?;
        crate::app::county::return_submission(
            state,
            &session.scope,
            &session.subject,
            county,
            text(fields, "reason"),
            &idempotency,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/city-returns` (province): returns a city's submission for correction.
async fn return_city(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let city: engine::org::CityCode = text(fields, "city").parse()?;
        crate::app::county::return_city(state, &session.scope, city, text(fields, "reason"))
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/pause` (province): the emergency switch.
async fn pause(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let paused = text(&fields, "paused") == "yes";
    let retry = text(&fields, "retry_after_seconds").parse::<u32>().ok();
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        crate::app::settings::pause(state, &Caller(session), paused, retry).await
    })
    .await
}

/// `GET /console/progress?scope=…`: the counts, as a fragment htmx swaps in every few
/// seconds (and a page of its own without htmx).
async fn progress(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let caller = Caller(session);
    let scope = query
        .get("scope")
        .cloned()
        .unwrap_or_else(|| crate::app::accounts::scope_text(&caller.0.scope));
    match Operator::of(&state, &caller).progress(&scope).await {
        Ok(counts) => respond(StatusCode::OK, counts_table(&scope, &counts)),
        Err(error) => respond(
            ApiError::from(error).status,
            html! { p class="error" { "无法读取进度" } },
        ),
    }
}

/// The step names as operators read them.
fn step_label(status: &str) -> &str {
    match status {
        "captured" => "已采集",
        "activated" => "已首次登录",
        "paid" => "已缴费",
        "authenticated" => "已实人认证",
        "passwords_set" => "已设密码",
        "form_saved" => "已填报名表",
        "signed" => "已签字确认",
        "evaluated" => "已品德评价",
        other => other,
    }
}

fn counts_table(scope: &str, counts: &std::collections::BTreeMap<&'static str, u64>) -> Markup {
    let total: u64 = counts.values().sum();
    html! {
        div id="progress" hx-get={"/console/progress?scope=" (scope)} hx-trigger="every 2s" hx-swap="outerHTML" {
            table {
                caption { "报名进度（合计 " span id="progress-total" { (total) } " 人，每 2 秒自动更新）" }
                thead { tr { th scope="col" { "步骤" } th scope="col" { "人数" } } }
                tbody {
                    @for (status, count) in counts {
                        tr { th scope="row" { (step_label(status)) } td data-status=(status) { (count) } }
                    }
                }
            }
        }
    }
}

/// What just succeeded, said at the top of the workspace.
enum Notice {
    /// A capture, with its serial number.
    Captured(String),
    /// An account, with its one-time password (shown this once).
    Created {
        username: String,
        scope: String,
        one_time_password: String,
    },
}

/// The operator's workspace: the capture form (a point), the live progress and the list.
async fn workspace(
    state: &AppState,
    request: &HttpRequest,
    session: Session,
    token: &str,
    problem: Option<Problem>,
    notice: Option<Notice>,
) -> HttpResponse {
    let csrf_token = csrf_of(token);
    let problem = problem.as_ref();
    if session.password_change_required {
        let body = html! {
            h1 { "请先修改密码" }
            p { "您使用的是一次性密码，修改后才能办理业务。" }
            (alert(problem))
            form method="post" action="/console/password" {
                (csrf(&csrf_token))
                (field("current_password", "当前密码", "password", "", problem, "current-password"))
                (field("new_password", "新密码（至少 10 位，含字母和数字）", "password", "", problem, "new-password"))
                button type="submit" { "修改密码" }
            }
        };
        return respond(StatusCode::OK, frame("修改密码", Some(&session), body));
    }
    let caller = Caller(session.clone());
    let scope = crate::app::accounts::scope_text(&session.scope);
    let query: HashMap<String, String> =
        web::Query::<HashMap<String, String>>::from_query(request.query_string())
            .map(|query| query.into_inner())
            .unwrap_or_default();
    let filter = ListFilter {
        status: query.get("status").filter(|s| !s.is_empty()).cloned(),
        name_prefix: query.get("name").filter(|s| !s.is_empty()).cloned(),
    };
    let operator = Operator::of(state, &caller);
    let counts = operator.progress(&scope).await.unwrap_or_default();
    let listed = match session.scope {
        Scope::Point(point) => operator
            .candidates_at(point, &filter, None, Some(50))
            .await
            .map(|(list, _)| list),
        Scope::County(county) => operator
            .county_candidates(county, &filter, None, Some(50))
            .await
            .map(|(list, _)| list),
        Scope::City(city) => operator
            .city_candidates(city, &filter, None, Some(50))
            .await
            .map(|(list, _)| list),
        _ => Ok(Vec::new()),
    };
    let (listed, list_problem) = match listed {
        Ok(list) => (list, None),
        Err(error) => (Vec::new(), Some(Problem::of(&ApiError::from(error)))),
    };
    let county_view = match session.scope {
        Scope::County(county) => crate::app::county::show(state, &session.scope, county)
            .await
            .ok(),
        _ => None,
    };
    let city_view = match session.scope {
        Scope::City(city) => crate::app::county::city_submission(state, &session.scope, city)
            .await
            .ok(),
        _ => None,
    };
    let declarations = match session.scope {
        Scope::County(county) => operator
            .county_declarations(county, None, None, Some(200))
            .await
            .ok(),
        _ => None,
    };
    let audit = if matches!(session.scope, Scope::Province) {
        operator
            .audit_trail(Some(20), None)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let form_key = crate::random_hex(12).unwrap_or_default();
    let statuses = engine::candidate::Status::ALL.map(|status| status.name());
    let body = html! {
        h1 { "工作台" }
        (alert(problem))
        @match &notice {
            Some(Notice::Captured(serial)) => {
                div class="notice" role="status" { "采集成功，报名号 " strong id="captured-serial" { (serial) } "。" }
            }
            Some(Notice::Created { username, scope, one_time_password }) => {
                div class="notice" role="status" {
                    "已创建账号 " strong { (username) } "（" (scope) "），一次性密码："
                    strong id="one-time-password" { (one_time_password) }
                    "。请当面交给使用人，首次登录须修改密码；本页关闭后不再显示。"
                }
            }
            None => {}
        }
        @if let Scope::Point(_) = session.scope {
            section aria-labelledby="capture" {
                h2 id="capture" { "现场采集" }
                form method="post" action="/console/capture" enctype="multipart/form-data" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                    (field("id_number", "身份证号", "text", "", problem, "off"))
                    (field("name", "姓名", "text", "", problem, "off"))
                    div class="field" {
                        label for="gender" { "性别" }
                        select id="gender" name="gender" { option value="male" { "男" } option value="female" { "女" } }
                    }
                    (field("ethnicity", "民族代码（01 汉族）", "text", "1", problem, "off"))
                    (field("birth_date", "出生日期（YYYY-MM-DD）", "text", "", problem, "off"))
                    (field("address", "住址", "text", "", problem, "off"))
                    (field("valid_until", "有效期至（YYYY-MM-DD 或“长期”）", "text", "长期", problem, "off"))
                    div class="field" {
                        label for="category" { "科类" }
                        select id="category" name="category" { option value="physics" { "物理类" } option value="history" { "历史类" } option value="vocational" { "对口" } }
                    }
                    div class="field" {
                        label for="photo" { "照片（JPEG，480×640）" }
                        input id="photo" name="photo" type="file" accept="image/jpeg" capture="user"
                            aria-invalid=[problem.filter(|p| p.field == Some("photo")).map(|_| "true")]
                            aria-describedby=[problem.filter(|p| p.field == Some("photo")).map(|_| "photo-error")];
                        @if let Some(problem) = problem.filter(|p| p.field == Some("photo")) {
                            p class="error" id="photo-error" { (problem.message) }
                        }
                    }
                    div id="camera" hidden {
                        button type="button" id="camera-start" class="secondary" { "使用摄像头拍照" }
                        video id="camera-video" autoplay playsinline muted hidden width="240" height="320" {}
                        button type="button" id="camera-take" class="secondary" hidden { "拍照" }
                        p id="camera-status" role="status" aria-live="polite" {}
                    }
                    button type="submit" { "采集并分配报名号" }
                }
            }
        }
        @if matches!(session.scope, Scope::Province) {
            @let config = state.admission.config();
            section aria-labelledby="pause-heading" {
                h2 id="pause-heading" { "紧急暂停" }
                p { "当前状态：" strong { @if config.paused { "已暂停考生写操作" } @else { "正常受理" } } }
                form method="post" action="/console/pause" {
                    (csrf(&csrf_token))
                    input type="hidden" name="paused" value=(if config.paused { "no" } else { "yes" });
                    @if !config.paused {
                        (field("retry_after_seconds", "告知考生多少秒后再来", "text", &config.pause_retry_after_seconds.to_string(), problem, "off"))
                    }
                    button type="submit" { @if config.paused { "恢复受理" } @else { "暂停考生写操作" } }
                }
            }
        }
        section aria-labelledby="progress-heading" {
            h2 id="progress-heading" { "进度 · " (scope) }
            (counts_table(&scope, &counts))
        }
        @if matches!(session.scope, Scope::Point(_) | Scope::County(_) | Scope::City(_)) {
            section aria-labelledby="list" {
                h2 id="list" { "考生名单" }
                form method="get" action="/console" class="filters" {
                    div class="field" {
                        label for="status" { "步骤" }
                        select id="status" name="status" {
                            option value="" { "全部" }
                            @for status in statuses { option value=(status) selected[filter.status.as_deref() == Some(status)] { (step_label(status)) } }
                        }
                    }
                    div class="field" {
                        label for="name-filter" { "姓名开头" }
                        input id="name-filter" name="name" type="text" value=(filter.name_prefix.clone().unwrap_or_default());
                    }
                    button type="submit" class="secondary" { "查找" }
                }
                (alert(list_problem.as_ref()))
                @if let Scope::Point(_) = session.scope {
                    p { a href="/console/login-cards.pdf?status=captured" { "打印未登录考生的登录卡（PDF）" } }
                    p { a href={"/console/candidates.csv?status=" (filter.status.clone().unwrap_or_default()) "&name=" (filter.name_prefix.clone().unwrap_or_default())} { "导出名单（CSV）" } }
                }
                table id="candidates" {
                    caption { "共 " (listed.len()) " 人（最多显示 50 人）" }
                    thead { tr { th scope="col" { "报名号" } th scope="col" { "姓名" } th scope="col" { "身份证号" } th scope="col" { "步骤" } th scope="col" { "操作" } } }
                    tbody {
                        @for candidate in &listed {
                            @let key = candidate.key.to_string();
                            tr {
                                td { (candidate.capture.serial.to_string()) }
                                td { (candidate.capture.id_card.name) }
                                td { (candidate.capture.id_card.id_number.masked()) }
                                td { (step_label(candidate.status().name())) }
                                td {
                                    @for (pending, kind, level, label) in [
                                        (candidate.id_verification_pending, "id_verification", matches!(session.scope, Scope::Point(_)), "现场核验身份"),
                                        (candidate.migrant_audit_pending, "migrant_audit", matches!(session.scope, Scope::County(_)), "通过随迁子女资格审核"),
                                        (candidate.document_approval_pending, "document_approval", matches!(session.scope, Scope::City(_)), "批准其他证件采集"),
                                    ] {
                                        @if pending && level {
                                            form method="post" action={"/console/candidates/" (key) "/approval"} class="inline" {
                                                (csrf(&csrf_token)) input type="hidden" name="key" value={(kind) "-" (key) "-" (form_key)};
                                                input type="hidden" name="kind" value=(kind);
                                                button type="submit" class="secondary" { (label) }
                                            }
                                        } @else if pending {
                                            span class="pending" { "待" (label) " " }
                                        }
                                    }
                                    @if candidate.status() >= engine::candidate::Status::FormSaved {
                                        a href={"/console/candidates/" (key) "/registration-form.pdf"} { "打印报名表" }
                                        @if candidate.status() == engine::candidate::Status::Signed {
                                            form method="post" action={"/console/candidates/" (key) "/moral-evaluation"} class="inline" {
                                                (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                                                input type="hidden" name="qualified" value="yes";
                                                input type="hidden" name="opinion" value="合格";
                                                button type="submit" class="secondary" { "品德评价：合格" }
                                            }
                                        }
                                        @if candidate.status() == engine::candidate::Status::FormSaved && matches!(session.scope, Scope::Point(_)) {
                                            form method="post" action={"/console/candidates/" (key) "/signature"} class="inline" {
                                                (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                                                button type="submit" class="secondary" { "确认签字" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !matches!(session.scope, Scope::Point(_)) {
            @let accounts = crate::app::accounts::list(state, &session).unwrap_or_default();
            section aria-labelledby="accounts-heading" {
                h2 id="accounts-heading" { "账号管理" }
                table {
                    caption { "本级及下级账号（" (accounts.len()) "）" }
                    thead { tr { th scope="col" { "用户名" } th scope="col" { "范围" } th scope="col" { "状态" } } }
                    tbody {
                        @for account in &accounts {
                            tr {
                                td { (account.username) }
                                td { (account.scope) }
                                td { @if account.disabled { "已停用" } @else if account.must_change_password { "待改密码" } @else { "正常" } }
                            }
                        }
                    }
                }
                form method="post" action="/console/accounts" {
                    (csrf(&csrf_token))
                    (field("username", "新账号用户名（小写字母、数字）", "text", "", problem, "off"))
                    (field("scope", "范围（如 county:430102、point:430102-001）", "text", "", problem, "off"))
                    button type="submit" class="secondary" { "创建账号" }
                }
            }
        }
        @if let Some(submission) = &city_view {
            section aria-labelledby="city-heading" {
                h2 id="city-heading" { "县区报送情况" }
                p { "本市州：" @if let Some(at) = &submission.submitted_at { "已于 " (at) " 报送省" } @else { "未报送" }
                    @if let Some(reason) = &submission.returned_because { "（省退回：" (reason) "）" } }
                table id="counties" {
                    thead { tr { th scope="col" { "县区" } th scope="col" { "报送" } th scope="col" { "退回修改" } } }
                    tbody {
                        @for county in &submission.counties {
                            tr {
                                td {
                                    (county.county)
                                    @if let Ok(code) = county.county.parse::<engine::org::CountyCode>() { " " (state.province.county_name(code)) }
                                }
                                td { @if let Some(at) = &county.submitted_at { (at) } @else { "未报送" } }
                                td {
                                    @if county.submitted_at.is_some() && submission.submitted_at.is_none() {
                                        form method="post" action="/console/returns" class="inline" {
                                            (csrf(&csrf_token)) input type="hidden" name="key" value={"return-" (county.county) "-" (form_key)};
                                            input type="hidden" name="county" value=(county.county);
                                            label for={"return-" (county.county)} class="visually-hidden" { "退回理由" }
                                            input type="text" name="reason" id={"return-" (county.county)} placeholder="退回理由";
                                            button type="submit" class="secondary" { "退回" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Scope::City(_) = session.scope {
                    form method="post" action="/console/city-submission" {
                        (csrf(&csrf_token))
                        button type="submit" class="secondary" { "报送省（所有县区报送后）" }
                    }
                }
            }
        }
        @if let Some(list) = &declarations {
            section aria-labelledby="declarations-heading" {
                h2 id="declarations-heading" { "加分与专项计划申报：待审核" }
                table id="declarations" {
                    caption { "共 " (list.items.len()) " 项" }
                    thead { tr { th scope="col" { "报名号" } th scope="col" { "姓名" } th scope="col" { "项目" } th scope="col" { "材料" } th scope="col" { "审核" } } }
                    tbody {
                        @for entry in &list.items {
                            tr {
                                td { (entry.serial_number) }
                                td { (entry.name) }
                                td { (entry.declaration.kind.chinese()) "：" (entry.declaration.item) }
                                td { (entry.declaration.documents.join("，")) }
                                td {
                                    form method="post" action={"/console/candidates/" (entry.key) "/declarations/" (entry.declaration.id)} class="inline" {
                                        (csrf(&csrf_token)) input type="hidden" name="key" value={"approve-" (entry.key) "-" (entry.declaration.id)};
                                        input type="hidden" name="approved" value="yes";
                                        button type="submit" class="secondary" { "通过" }
                                    }
                                    form method="post" action={"/console/candidates/" (entry.key) "/declarations/" (entry.declaration.id)} class="inline" {
                                        (csrf(&csrf_token)) input type="hidden" name="key" value={"reject-" (entry.key) "-" (entry.declaration.id)};
                                        input type="hidden" name="approved" value="no";
                                        label for={"reason-" (entry.key) "-" (entry.declaration.id)} class="visually-hidden" { "不通过的理由" }
                                        input type="text" name="reason" id={"reason-" (entry.key) "-" (entry.declaration.id)} placeholder="不通过的理由";
                                        button type="submit" class="secondary" { "不通过" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(county) = &county_view {
            section aria-labelledby="points-heading" {
                h2 id="points-heading" { "报名点与报名号段 · " (county.name) }
                table id="points" {
                    thead { tr { th scope="col" { "报名点" } th scope="col" { "名称" } th scope="col" { "预计人数" } th scope="col" { "号段（已用/剩余）" } } }
                    tbody {
                        @for point in &county.points {
                            tr {
                                td { (point.code) }
                                td { (point.name) @if point.designated_for_migrant_children { "（随迁子女）" } }
                                td { (point.expected_headcount) }
                                td {
                                    @for range in &point.ranges {
                                        span class="range" { (format!("{:04}–{:04}", range.first, range.last)) "（" (range.used) "/" (range.remaining) "）" } " "
                                    }
                                }
                            }
                        }
                    }
                }
                p { "未分配号段：" @for run in &county.unallocated { (format!("{:04}–{:04}", run[0], run[1])) " " } }
                form method="post" action="/console/points" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value={"point-" (form_key)};
                    (field("number", "新报名点编号（1–999）", "text", "", problem, "off"))
                    (field("point_name", "名称（如学校名）", "text", "", problem, "off"))
                    (field("expected_headcount", "预计人数", "text", "", problem, "off"))
                    div class="check" { input id="migrant" type="checkbox" name="migrant" value="yes"; label for="migrant" { "受理随迁子女报名" } }
                    button type="submit" class="secondary" { "新增报名点" }
                }
                form method="post" action="/console/ranges" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value={"range-" (form_key)};
                    (field("range_point", "报名点（如 430102-004；留空则按人数分给所有报名点）", "text", "", problem, "off"))
                    (field("first", "起始序号", "text", "", problem, "off"))
                    (field("last", "截止序号", "text", "", problem, "off"))
                    button type="submit" class="secondary" { "分配号段" }
                }
            }
        }
        @if let Scope::County(_) = session.scope {
            section aria-labelledby="submission-heading" {
                h2 id="submission-heading" { "报送" }
                p { "核对无误后，将本县（区）报名数据报送市州；报送后采集和修改冻结，市州可退回修改。" }
                form method="post" action="/console/submission" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                    button type="submit" class="secondary" { "报送市州" }
                }
            }
        }
        @if matches!(session.scope, Scope::Province) {
            @let schedule = state.settings.current().schedule.clone();
            @let now = state.now();
            section aria-labelledby="windows-heading" {
                h2 id="windows-heading" { "报名时间安排（北京时间）" }
                table id="windows" {
                    thead { tr { th scope="col" { "事项" } th scope="col" { "开始" } th scope="col" { "结束（含延长）" } th scope="col" { "现在" } } }
                    tbody {
                        @for (kind, window) in schedule.windows() {
                            tr {
                                td { (kind.title()) }
                                td { (window.opens_at.cst_text()) }
                                td { (window.effective_close().cst_text()) @if !window.extensions.is_empty() { "（已延长 " (window.extensions.len()) " 次）" } }
                                td { @if window.is_open(now) { "开放" } @else { "关闭" } }
                            }
                        }
                    }
                }
                form method="post" action="/console/windows" {
                    (csrf(&csrf_token))
                    div class="field" {
                        label for="window" { "事项" }
                        select id="window" name="window" {
                            @for kind in engine::schedule::WindowKind::ALL { option value=(kind.name()) { (kind.title()) } }
                        }
                    }
                    fieldset {
                        legend { "操作" }
                        div class="check" { input type="radio" id="action-extend" name="action" value="extend" checked; label for="action-extend" { "延长结束时间" } }
                        div class="check" { input type="radio" id="action-set" name="action" value="set"; label for="action-set" { "重新设置开始和结束" } }
                    }
                    (field("until", "延长至（YYYY-MM-DD HH:MM）", "text", "", problem, "off"))
                    (field("opens_at", "开始（重新设置时）", "text", "", problem, "off"))
                    (field("closes_at", "结束（重新设置时）", "text", "", problem, "off"))
                    button type="submit" class="secondary" { "保存时间安排" }
                }
            }
        }
        @if matches!(session.scope, Scope::Province) {
            section aria-labelledby="city-returns-heading" {
                h2 id="city-returns-heading" { "退回市州报送" }
                form method="post" action="/console/city-returns" {
                    (csrf(&csrf_token))
                    div class="field" {
                        label for="city" { "市州" }
                        select id="city" name="city" {
                            @for city in &state.province.cities { option value=(city.code.to_string()) { (city.name) } }
                        }
                    }
                    (field("reason", "退回理由", "text", "", problem, "off"))
                    button type="submit" class="secondary" { "退回修改" }
                }
            }
        }
        @if matches!(session.scope, Scope::Province) {
            section aria-labelledby="audit-heading" {
                h2 id="audit-heading" { "操作日志（最近 20 条）" }
                table {
                    thead { tr { th scope="col" { "时间" } th scope="col" { "操作人" } th scope="col" { "操作" } th scope="col" { "对象" } th scope="col" { "结果" } } }
                    tbody {
                        @for record in &audit {
                            tr { td { (record.at.cst_text()) } td { (record.actor) } td { (record.action) } td { (record.target) } td { (record.outcome) } }
                        }
                    }
                }
            }
        }
        form method="post" action="/console/logout" class="logout" { (csrf(&csrf_token)) button type="submit" class="secondary" { "退出登录" } }
    };
    let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
    respond(status, frame("工作台", Some(&session), body))
}
