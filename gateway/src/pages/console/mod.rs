//! The operator console (`/console`), begun: login (and the forced password change of a
//! one-time password), a point's capture of a candidate with a photo file (the photo
//! checked — and its verdict shown — before a serial number is spent), and for every level
//! the live progress of its scope (updating by itself through htmx polling) with a candidate
//! list filtered by step and name. Like the portal, each handler parses, checks the CSRF
//! token, calls `crate::app` and renders.

use crate::app::AppError;
use crate::error::ApiError;
use crate::pages::layout::{Problem, alert, csrf, field, respond};
use crate::pages::{csrf_of, login_csrf_ok, see_other, text};
use crate::sessions::Session;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::scope::Scope;
use maud::{DOCTYPE, Markup, html};
use std::collections::HashMap;

/// The operator's session cookie (apart from a candidate's on the same browser).
pub const OPERATOR_COOKIE: &str = "reg_operator";

mod adult;
mod adult_admin;
mod candidates;
mod capture;
mod organisation;
mod province;
mod workspace;

use candidates::{
    approve, candidate_page, export, login_cards, moral_evaluation, printable, review, signature,
};
use capture::{capture, photo_check};
use organisation::{
    allocate, city_submission, create_account, create_point, return_city, return_county, submission,
};
use province::{admission, pause, window};
use workspace::{progress, progress_stream, workspace};

/// Registers the console's pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/console", web::get().to(home))
        .route("/console/login", web::post().to(login))
        .route("/console/logout", web::post().to(logout))
        .route("/console/password", web::post().to(password))
        .route("/console/capture", web::post().to(capture))
        .route(
            "/console/adult/{key}/confirm",
            web::post().to(adult::confirm),
        )
        .route("/console/adult/numbering", web::post().to(adult::numbering))
        .route(
            "/console/adult/{key}/admission-ticket.pdf",
            web::get().to(adult::ticket),
        )
        .route(
            "/console/adult/exam-materials.pdf",
            web::get().to(adult::materials),
        )
        .route(
            "/console/adult/{key}/flow-form.pdf",
            web::get().to(adult::flow_form),
        )
        .route(
            "/console/adult/points",
            web::post().to(adult_admin::propose_point),
        )
        .route(
            "/console/adult/sites",
            web::post().to(adult_admin::propose_site),
        )
        .route(
            "/console/adult/reviews",
            web::post().to(adult_admin::review),
        )
        .route("/console/adult/areas", web::post().to(adult_admin::area))
        .route(
            "/console/adult/reports",
            web::post().to(adult_admin::report),
        )
        .route(
            "/console/adult/{key}/decision",
            web::post().to(adult_admin::decision),
        )
        .route("/console/photo-check", web::post().to(photo_check))
        .route("/console/progress", web::get().to(progress))
        .route("/console/progress/stream", web::get().to(progress_stream))
        .route("/console/candidates/{key}", web::get().to(candidate_page))
        .route(
            "/console/candidates/{key}/signature",
            web::post().to(signature),
        )
        .route(
            "/console/candidates/{key}/registration-form.pdf",
            web::get().to(printable),
        )
        .route("/console/pause", web::post().to(pause))
        .route("/console/admission", web::post().to(admission))
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
pub(super) fn operator_session(
    state: &AppState,
    request: &HttpRequest,
) -> Option<(Session, String)> {
    let token = request.cookie(OPERATOR_COOKIE)?.value().to_owned();
    let session = state
        .session_of(&token)
        .filter(|session| !matches!(session.scope, Scope::Candidate(_)))?;
    Some((session, token))
}

pub(super) fn frame(title: &str, who: Option<&Session>, body: Markup) -> Markup {
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
                script src="/assets/progress.js" defer {}
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

pub(super) fn console_csrf_ok(request: &HttpRequest, posted: &str) -> bool {
    request
        .cookie(OPERATOR_COOKIE)
        .is_some_and(|cookie| super::same(&csrf_of(cookie.value()), posted))
}

/// A document that could not be printed, with why.
pub(super) fn cannot_print(error: &ApiError) -> HttpResponse {
    respond(
        error.status,
        frame(
            "无法打印",
            None,
            html! { h1 { "无法打印" } (alert(Some(&Problem::of(error)))) p { a href="/console" { "返回工作台" } } },
        ),
    )
}

pub(super) fn forbidden() -> HttpResponse {
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

/// A county's own change from the console: session, CSRF, the county, then `change`.
pub(super) async fn county_change<F, Fut>(
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
pub(super) async fn act<F, Fut>(
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
