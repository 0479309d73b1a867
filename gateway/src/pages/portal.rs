//! The candidate portal (`/`): first login, the fee (the provider's QR code or link; the
//! sandbox in the demo) with "refresh payment status", real-person authentication,
//! passwords, the pledge, the registration form with the save password, the printable form.
//! A step tracker says what is done and what comes next. Each handler parses the form, checks
//! its CSRF token, calls `crate::app` and renders (or redirects after success).

use super::layout::{Problem, Step, alert, csrf, field, page, respond, tracker};
use super::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, csrf_of, csrf_ok, see_other, session, text,
};
use crate::app::candidate::{Myself, Payer};
use crate::app::{AppError, fresh_idempotency_key};
use crate::error::ApiError;
use crate::providers::{Channel, PayInstructions, PayMethod};
use crate::routes::views::CandidateView;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::candidate::{Candidate, FeeKind, Provider};
use maud::{Markup, html};
use std::collections::HashMap;

/// Registers the portal's pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(home))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/fee", web::post().to(fee))
        .route("/fee/refresh", web::post().to(refresh))
        .route("/sandbox/pay", web::post().to(sandbox_pay))
        .route("/verification", web::post().to(verification))
        .route("/passwords", web::post().to(passwords))
        .route("/pledge", web::post().to(pledge))
        .route("/form", web::post().to(form))
        .route("/registration-form.pdf", web::get().to(printable))
        .route("/phone", web::post().to(phone))
        .route("/exam-fee", web::post().to(exam_fee))
        .route("/admission-ticket.pdf", web::get().to(admission_ticket))
        .route("/art-pe", web::post().to(art_pe))
        .route("/art-pe/fee", web::post().to(art_pe_fee))
        .route("/art-pe-ticket.pdf", web::get().to(art_pe_ticket))
        .route("/declarations", web::post().to(declare))
        .route("/declarations/withdraw", web::post().to(withdraw))
        .route("/art-pe/drop", web::post().to(drop_art_pe));
}

/// A posted form: its fields by name (repeated names keep the last; electives are two
/// named fields).
type Fields = web::Form<HashMap<String, String>>;

/// `GET /`: the login page, or the candidate's registration.
async fn home(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    match session(&state, &request) {
        // An adult-exam candidate's session: their portal is /adult.
        Some((session, _))
            if matches!(session.scope, engine::scope::Scope::Candidate(key)
                if storage::StateStore::adult_candidate(&*state.store, key).await.ok().flatten().is_some()) =>
        {
            see_other("/adult")
        }
        Some((session, token)) => {
            dashboard(&state, Caller(session), &token, None, None, None).await
        }
        None => login_page(&state, &request, None),
    }
}

fn login_page(state: &AppState, request: &HttpRequest, problem: Option<&Problem>) -> HttpResponse {
    let token = super::login_csrf_token(request);
    let body = html! {
        h1 { "考生登录" }
        (alert(problem))
        section aria-labelledby="first-login" {
            h2 id="first-login" { "首次登录" }
            p class="hint" { "使用报名点采集的身份证信息登录。设置密码后，首次登录即失效。" }
            @if let Some(demo) = state.demo_candidate.get() {
                p class="notice" id="demo-candidate" {
                    "演示系统：可用演示考生登录——身份证号 " code { (demo.id_number) } "，姓名 " (demo.name) "，有效期“长期”。"
                }
            }
            form method="post" action="/login" {
                (csrf(&token))
                input type="hidden" name="mode" value="first";
                (field("id_number", "身份证号", "text", "", problem, "off"))
                (field("name", "姓名", "text", "", problem, "name"))
                (field("valid_until", "身份证有效期至（如 2030-01-01，或“长期”）", "text", "", problem, "off"))
                button type="submit" { "登录" }
            }
        }
        p class="hint" { "报考成人高考请进入 " a href="/adult" { "成人高考报名" } "。" }
        section aria-labelledby="password-login" {
            h2 id="password-login" { "密码登录" }
            form method="post" action="/login" {
                (csrf(&token))
                input type="hidden" name="mode" value="password";
                (field("login", "身份证号或报名号", "text", "", problem, "username"))
                (field("password", "登录密码", "password", "", problem, "current-password"))
                button type="submit" { "登录" }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut response = respond(status, page("考生登录", body));
    let _ = response.add_cookie(&cookie(state, LOGIN_CSRF_COOKIE, token, 3600));
    response
}

/// `POST /login`: first login or password login; the session goes into the cookie.
async fn login(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    if !super::login_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let client = crate::app::session::Client {
        address: crate::audit::client_address(&request),
        ticket: None,
    };
    let issued = if text(&fields, "mode") == "first" {
        match crate::app::session::parse_validity(text(&fields, "valid_until")) {
            Ok(valid_until) => {
                crate::app::session::first_login(
                    &state,
                    &client,
                    text(&fields, "id_number"),
                    text(&fields, "name").to_owned(),
                    valid_until,
                )
                .await
            }
            Err(error) => Err(error),
        }
    } else {
        crate::app::session::candidate_login(
            &state,
            &client,
            text(&fields, "login"),
            text(&fields, "password"),
        )
        .await
    };
    match issued {
        Ok(issued) => {
            let seconds = issued.expires_at.seconds_since(state.now()).max(60);
            let mut response = see_other("/");
            let _ = response.add_cookie(&cookie(&state, SESSION_COOKIE, issued.token, seconds));
            response
        }
        Err(error) => login_page(&state, &request, Some(&Problem::of(&ApiError::from(error)))),
    }
}

/// `POST /logout`.
async fn logout(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    if !csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let mut response = see_other("/");
    let _ = response.add_cookie(&cookie(&state, SESSION_COOKIE, String::new(), 0));
    response
}

fn forbidden() -> HttpResponse {
    respond(
        StatusCode::FORBIDDEN,
        page(
            "请求无效",
            html! {
                h1 { "请求无效" }
                p { "页面已过期或来源不明（csrf_invalid）。请返回首页重新操作。" }
                p { a href="/" { "返回首页" } }
            },
        ),
    )
}

/// Runs `action` for the signed-in candidate after the CSRF check; success goes back to
/// `/`, a refusal re-renders the registration with its message.
async fn act<F, Fut>(
    state: &AppState,
    request: &HttpRequest,
    fields: &HashMap<String, String>,
    action: F,
) -> HttpResponse
where
    F: FnOnce(Caller) -> Fut,
    Fut: std::future::Future<Output = Result<Option<(FeeKind, PayInstructions)>, AppError>>,
{
    let Some((session, token)) = session(state, request) else {
        return see_other("/");
    };
    if !csrf_ok(request, text(fields, "csrf")) {
        return forbidden();
    }
    match action(Caller(session.clone())).await {
        Ok(None) => see_other("/"),
        Ok(Some(pay)) => dashboard(state, Caller(session), &token, None, Some(pay), None).await,
        Err(error) => {
            // The page comes back with what was typed (passwords excepted) and why not.
            let mut problem = Problem::of(&ApiError::from(error));
            // The phone form has its own save-password field (ids are unique on a page).
            if problem.field == Some("save_password") && fields.contains_key("phone_save_password")
            {
                problem.field = Some("phone_save_password");
            }
            if fields.contains_key("phone_number") && problem.field.is_none() {
                problem.field = Some("phone_number");
            }
            dashboard(
                state,
                Caller(session),
                &token,
                Some(problem),
                None,
                Some(fields),
            )
            .await
        }
    }
}

/// A form's idempotency key: made when the form was rendered, so posting it twice (a double
/// click, a reload) is one request.
fn key(fields: &HashMap<String, String>) -> Result<String, AppError> {
    match fields
        .get("key")
        .filter(|key| !key.is_empty() && key.len() <= 64)
    {
        Some(key) => Ok(format!("page-{key}")),
        None => fresh_idempotency_key("page"),
    }
}

/// `POST /fee`: an order with the chosen provider; the page shows how to pay it.
async fn fee(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let provider = crate::providers::named(text(fields, "provider")).ok_or_else(|| {
            AppError::invalid(
                "provider_unavailable",
                "choose WeChat Pay, Alipay or UnionPay",
            )
        })?;
        let channel = if text(fields, "channel") == "mobile" {
            Channel::Mobile
        } else {
            Channel::Qr
        };
        let payer = Payer {
            provider,
            channel,
            client_ip: crate::audit::client_address(request),
        };
        let order = Myself::of(state, &caller)?
            .create_order(FeeKind::Registration, payer, key(fields)?)
            .await?;
        Ok(Some((FeeKind::Registration, order.pay)))
    })
    .await
}

/// `POST /phone`: binds the mobile number (with the save password).
async fn phone(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        Myself::of(state, &caller)?
            .bind_phone(
                text(fields, "phone_number").to_owned(),
                Some(text(fields, "phone_save_password")),
                key(fields)?,
            )
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /exam-fee`: an order for the exam fee (its own window, once the form is signed).
async fn exam_fee(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let provider = crate::providers::named(text(fields, "provider")).ok_or_else(|| {
            AppError::invalid(
                "provider_unavailable",
                "choose WeChat Pay, Alipay or UnionPay",
            )
        })?;
        let payer = Payer {
            provider,
            channel: Channel::Mobile,
            client_ip: crate::audit::client_address(request),
        };
        let order = Myself::of(state, &caller)?
            .create_order(FeeKind::Exam, payer, key(fields)?)
            .await?;
        Ok(Some((FeeKind::Exam, order.pay)))
    })
    .await
}

/// `POST /art-pe`: chooses an art/PE category and its items (with the save password).
async fn art_pe(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let category = art_category(fields)?;
        let sub_item = Some(text(fields, "sub_item").to_owned()).filter(|item| !item.is_empty());
        Myself::of(state, &caller)?
            .choose_art_category(
                category,
                text(fields, "main_item").to_owned(),
                sub_item,
                Some(text(fields, "art_save_password")),
                key(fields)?,
            )
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /declarations`: a bonus-point or special-plan declaration (with the save
/// password), from the province's catalogue.
async fn declare(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let (kind, item) = text(fields, "item").split_once(':').ok_or_else(|| {
            AppError::invalid("declaration_item_unknown", "choose an item of the list")
        })?;
        let kind = match kind {
            "bonus_points" => engine::candidate::declaration::DeclarationKind::BonusPoints,
            _ => engine::candidate::declaration::DeclarationKind::SpecialPlan,
        };
        let documents = text(fields, "documents")
            .split([',', '，', '\n'])
            .map(str::trim)
            .filter(|document| !document.is_empty())
            .map(str::to_owned)
            .collect();
        Myself::of(state, &caller)?
            .declare(
                kind,
                item.to_owned(),
                documents,
                Some(text(fields, "declaration_save_password")),
                key(fields)?,
            )
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /declarations/withdraw`: withdraws a pending declaration (with the save password).
async fn withdraw(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let id = text(fields, "id")
            .parse()
            .map_err(|_| AppError::malformed("declaration_unknown", "which declaration"))?;
        Myself::of(state, &caller)?
            .withdraw_declaration(
                id,
                Some(text(fields, "declaration_save_password")),
                key(fields)?,
            )
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /art-pe/drop`: drops an unpaid art/PE category (with the save password).
async fn drop_art_pe(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let category = art_category(fields)?;
        Myself::of(state, &caller)?
            .drop_art_category(
                category,
                Some(text(fields, "art_save_password")),
                key(fields)?,
            )
            .await?;
        Ok(None)
    })
    .await
}

/// The form's art/PE category.
fn art_category(
    fields: &HashMap<String, String>,
) -> Result<engine::candidate::art_pe::ArtCategory, AppError> {
    engine::candidate::art_pe::ArtCategory::named(text(fields, "category"))
        .ok_or_else(|| AppError::invalid("art_pe_category_unknown", "choose a category"))
}

/// `POST /art-pe/fee`: the order of one chosen category's fee.
async fn art_pe_fee(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let category = art_category(fields)?;
        let payer = Payer {
            provider: Provider::WeChatPay,
            channel: Channel::Mobile,
            client_ip: crate::audit::client_address(request),
        };
        let order = Myself::of(state, &caller)?
            .create_order(FeeKind::ArtPe(category), payer, key(fields)?)
            .await?;
        Ok(Some((FeeKind::ArtPe(category), order.pay)))
    })
    .await
}

/// `GET /art-pe-ticket.pdf`: the professional exam ticket of the paid categories.
async fn art_pe_ticket(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    document(state, &request, crate::routes::art_pe::exam_ticket_pdf).await
}

/// `GET /admission-ticket.pdf`: once the exam fee is paid.
async fn admission_ticket(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    document(
        state,
        &request,
        crate::routes::candidates::admission_ticket_pdf,
    )
    .await
}

/// `POST /fee/refresh`: "refresh payment status".
async fn refresh(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        Myself::of(state, &caller)?.refresh_payments().await?;
        Ok(None)
    })
    .await
}

/// `POST /sandbox/pay` (demo only): pays the order in the sandbox, which notifies through
/// the providers' real path.
async fn sandbox_pay(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let order_id = text(fields, "order_id");
        // Only the candidate's own orders, from their page: an order number names its
        // candidate, and the sandbox looks the order up in that record.
        if crate::orders::key_of(order_id) != Some(Myself::of(state, &caller)?.key()) {
            return Err(AppError::not_found(
                "order_unknown",
                "no such order of yours",
            ));
        }
        crate::app::payments::sandbox_pay(state, order_id, true).await?;
        Ok(None)
    })
    .await
}

/// `POST /verification`: starts real-person authentication; in the demo the sandbox's
/// identity provider completes it at once.
async fn verification(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let myself = Myself::of(state, &caller)?;
        let started = myself.start_verification().await?;
        crate::app::payments::sandbox_identity(state, &myself, &started.verification).await?;
        Ok(None)
    })
    .await
}

/// `POST /passwords`.
async fn passwords(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        Myself::of(state, &caller)?
            .set_passwords(
                Some(text(fields, "login_password").to_owned()),
                Some(text(fields, "save_password").to_owned()),
                key(fields)?,
            )
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /pledge`.
async fn pledge(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        if text(fields, "accept") != "yes" {
            return Err(AppError::invalid(
                "pledge_not_accepted",
                "tick the pledge to accept it",
            ));
        }
        Myself::of(state, &caller)?
            .accept_pledge(key(fields)?)
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /form`: the registration form, with the save password.
async fn form(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let form = registration_form(fields)?;
        Myself::of(state, &caller)?
            .save_form(form, Some(text(fields, "save_password")), key(fields)?)
            .await?;
        Ok(None)
    })
    .await
}

/// The form's fields as the API's JSON reads them (the engine checks every rule).
fn registration_form(
    fields: &HashMap<String, String>,
) -> Result<engine::candidate::form::RegistrationForm, AppError> {
    let vocational = text(fields, "exam_type") == "vocational";
    let to = text(fields, "resume_to");
    let json = serde_json::json!({
        "exam_type": if vocational { "vocational" } else { "general" },
        "first_subject": (!vocational).then(|| text(fields, "first_subject")),
        "electives": if vocational { vec![] } else { vec![text(fields, "elective_1"), text(fields, "elective_2")] },
        "vocational_group": vocational.then(|| text(fields, "vocational_group")),
        "graduation": text(fields, "graduation"),
        "school": text(fields, "school"),
        "urban_rural_code": text(fields, "urban_rural_code").parse::<u16>().unwrap_or(0),
        "resume": [{
            "from": text(fields, "resume_from"),
            "to": if to.is_empty() { serde_json::Value::Null } else { to.into() },
            "organisation": text(fields, "resume_organisation"),
            "role": text(fields, "resume_role"),
            "witness": text(fields, "resume_witness"),
        }],
    });
    serde_json::from_value(json)
        .map_err(|error| AppError::malformed("form_field_invalid", error.to_string()))
}

/// `GET /registration-form.pdf`: the candidate's printable form.
async fn printable(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    document(
        state,
        &request,
        crate::routes::documents::registration_form_pdf,
    )
    .await
}

/// One of the candidate's own documents, rendered by `render` as the API renders it; a
/// refusal (not printable yet) is a page saying why.
async fn document<F, Fut>(
    state: web::Data<AppState>,
    request: &HttpRequest,
    render: F,
) -> HttpResponse
where
    F: FnOnce(web::Data<AppState>, Candidate) -> Fut,
    Fut: std::future::Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some((session, _)) = session(&state, request) else {
        return see_other("/");
    };
    let candidate = match Myself::of(&state, &Caller(session)) {
        Ok(myself) => myself.record().await,
        Err(error) => Err(error),
    };
    let answer = match candidate {
        Ok(candidate) => render(state.clone(), candidate).await,
        Err(error) => Err(ApiError::from(error)),
    };
    answer.unwrap_or_else(|error| {
        respond(
            error.status,
            page(
                "无法打印",
                html! { h1 { "无法打印" } (alert(Some(&Problem::of(&error)))) p { a href="/" { "返回" } } },
            ),
        )
    })
}

/// The candidate's registration: who, the tracker, the next step's form, documents.
async fn dashboard(
    state: &AppState,
    caller: Caller,
    token: &str,
    problem: Option<Problem>,
    pay: Option<(FeeKind, PayInstructions)>,
    posted: Option<&HashMap<String, String>>,
) -> HttpResponse {
    // Which fee the instructions are for: each fee's section shows only its own.
    let pay_for = |fee: fn(FeeKind) -> bool| {
        pay.as_ref()
            .filter(|(kind, _)| fee(*kind))
            .map(|(_, pay)| pay)
    };
    let recorded = match Myself::of(state, &caller) {
        Ok(myself) => myself.record_and_pending().await,
        Err(error) => Err(error),
    };
    let (candidate, being_recorded) = match recorded {
        Ok(recorded) => recorded,
        Err(error) => {
            let error = ApiError::from(error);
            return respond(
                error.status,
                page("出错了", alert(Some(&Problem::of(&error)))),
            );
        }
    };
    let view = CandidateView::from(&candidate).being_recorded(being_recorded);
    let csrf_token = csrf_of(token);
    let steps = [
        Step {
            name: "现场采集",
            done: true,
        },
        Step {
            name: "缴纳报名费",
            done: view.fee_paid,
        },
        Step {
            name: "实人认证",
            done: view.authenticated,
        },
        Step {
            name: "设置密码",
            done: view.passwords_set,
        },
        Step {
            name: "诚信承诺",
            done: view.pledge_accepted,
        },
        Step {
            name: "填写报名表",
            done: view.form_version > 0,
        },
        Step {
            name: "报名点确认签字",
            done: view.signed,
        },
    ];
    let problem = problem.as_ref();
    let form_key = crate::random_hex(12).unwrap_or_default();
    let body = html! {
        h1 { "我的报名" }
        p class="who" { (view.name) " · 报名号 " (view.serial_number) " · 身份证 " (view.id_number) }
        (tracker(&steps))
        (alert(problem))
        @if view.payments_being_recorded > 0 {
            p class="notice" role="status" { "已收到付款，正在入账。请稍后刷新本页查看，不要重复支付。" }
        }
        @if !view.fee_paid {
            (fee_section(state, &candidate, &csrf_token, &form_key, problem, pay_for(|kind| kind == FeeKind::Registration)))
        } @else if !view.authenticated {
            section aria-labelledby="auth" {
                h2 id="auth" { "实人认证" }
                @if view.fee_paid_in_sandbox { p class="sandbox" { "【沙箱 sandbox】报名费已在演示环境支付，未真实扣款。" } }
                p { "请本人完成人脸识别认证。" }
                @if state.demo { p class="sandbox" { "演示环境：点击后由沙箱认证服务立即完成认证。" } }
                form method="post" action="/verification" { (csrf(&csrf_token)) button type="submit" { "开始实人认证" } }
            }
        } @else if !view.passwords_set {
            section aria-labelledby="passwords" {
                h2 id="passwords" { "设置密码" }
                p class="hint" { "登录密码用于登录，保存密码用于保存和修改报名信息，两者不能相同；至少 8 位，含字母和数字。" }
                form method="post" action="/passwords" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                    (field("login_password", "登录密码", "password", "", problem, "new-password"))
                    (field("save_password", "保存密码", "password", "", problem, "new-password"))
                    button type="submit" { "保存密码" }
                }
            }
        } @else if !view.pledge_accepted {
            section aria-labelledby="pledge" {
                h2 id="pledge" { "考生诚信承诺" }
                p { "本人承诺所填报名信息真实、准确、完整，如有虚假，愿承担由此造成的一切后果。" }
                form method="post" action="/pledge" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                    div class="check" {
                        input id="accept" type="checkbox" name="accept" value="yes" required;
                        label for="accept" { "我已阅读并同意以上承诺" }
                    }
                    button type="submit" { "提交承诺" }
                }
            }
        } @else {
            (form_section(&view, &csrf_token, &form_key, problem, posted))
        }
        @if view.passwords_set {
            section aria-labelledby="phone" {
                h2 id="phone" { "手机号码" }
                p { "当前：" @if let Some(phone) = &view.phone { (phone) } @else { "未绑定" } }
                form method="post" action="/phone" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                    @let typed = posted.and_then(|fields| fields.get("phone_number")).cloned().unwrap_or_default();
                    (field("phone_number", "手机号码（11 位）", "tel", &typed, problem, "tel"))
                    (field("phone_save_password", "保存密码", "password", "", problem, "current-password"))
                    button type="submit" class="secondary" { "绑定手机" }
                }
            }
        }
        @if view.form_version > 0 {
            @let catalogue = state.settings.current().policy.declarations.clone();
            section aria-labelledby="declarations" {
                h2 id="declarations" { "优惠加分与专项计划申报" }
                @if !view.declarations.is_empty() {
                    ul {
                        @for declaration in &view.declarations {
                            li {
                                (declaration.kind.chinese()) "：" (declaration.item) " · " (&declaration.review.chinese())
                                @if matches!(declaration.review, engine::candidate::declaration::Review::Pending) {
                                    form method="post" action="/declarations/withdraw" class="withdraw" {
                                        (csrf(&csrf_token)) input type="hidden" name="key" value={"withdraw-" (declaration.id) "-" (form_key)};
                                        input type="hidden" name="id" value=(declaration.id);
                                        label for={"withdraw-password-" (declaration.id)} { "保存密码（撤回时）" }
                                        input type="password" id={"withdraw-password-" (declaration.id)} name="declaration_save_password" autocomplete="current-password";
                                        button type="submit" class="secondary" { "撤回" }
                                    }
                                }
                            }
                        }
                    }
                }
                form method="post" action="/declarations" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value={"declare-" (form_key)};
                    div class="field" {
                        label for="item" { "申报项目" }
                        select id="item" name="item" {
                            optgroup label="优惠加分" { @for item in &catalogue.bonus_points { option value={"bonus_points:" (item)} { (item) } } }
                            optgroup label="专项计划" { @for item in &catalogue.special_plans { option value={"special_plan:" (item)} { (item) } } }
                        }
                    }
                    (field("documents", "证明材料编号（多个用逗号分隔）", "text", "", problem, "off"))
                    (field("declaration_save_password", "保存密码", "password", "", problem, "current-password"))
                    button type="submit" class="secondary" { "提交申报" }
                }
            }
        }
        @if view.phone.is_some() {
            section aria-labelledby="art-pe" {
                h2 id="art-pe" { "艺术体育类专业考试（选报）" }
                @if !view.art_pe.is_empty() {
                    table {
                        thead { tr { th scope="col" { "类别" } th scope="col" { "主项/副项" } th scope="col" { "费用" } } }
                        tbody {
                            @for chosen in &view.art_pe {
                                tr {
                                    td { (chosen.name) }
                                    td { (chosen.main_item) @if let Some(sub) = &chosen.sub_item { " / " (sub) } }
                                    td {
                                        @if chosen.paid { "已缴费" } @else {
                                            form method="post" action="/art-pe/drop" class="withdraw" {
                                                (csrf(&csrf_token)) input type="hidden" name="key" value={"drop-" (chosen.category) "-" (form_key)};
                                                input type="hidden" name="category" value=(chosen.category);
                                                label for={"drop-password-" (chosen.category)} { "保存密码（取消时）" }
                                                input type="password" id={"drop-password-" (chosen.category)} name="art_save_password" autocomplete="current-password";
                                                button type="submit" class="secondary" { "取消选报" }
                                            }
                                            form method="post" action="/art-pe/fee" class="inline" {
                                                (csrf(&csrf_token)) input type="hidden" name="key" value={"art-" (chosen.category) "-" (form_key)};
                                                input type="hidden" name="category" value=(chosen.category);
                                                button type="submit" class="secondary" { "缴费" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(pay) = pay_for(|kind| matches!(kind, FeeKind::ArtPe(_))) {
                        (pay_block(pay, candidate.art_pe.values().flat_map(|choice| choice.fee.orders.last()).max_by_key(|order| order.created_at), &csrf_token, "/sandbox/pay"))
                    }
                    @if view.art_pe.iter().any(|chosen| chosen.paid) {
                        p { a href="/art-pe-ticket.pdf" download="art-pe-ticket.pdf" { "下载专业考试准考证（PDF）" } }
                    }
                }
                form method="post" action="/art-pe" {
                    (csrf(&csrf_token)) input type="hidden" name="key" value={"art-" (form_key)};
                    div class="field" {
                        label for="category" { "类别" }
                        select id="category" name="category" {
                            @for category in engine::candidate::art_pe::ArtCategory::ALL { option value=(category.name()) { (category.chinese()) } }
                        }
                    }
                    (field("main_item", "主项", "text", "", problem, "off"))
                    (field("sub_item", "副项（可不填）", "text", "", problem, "off"))
                    (field("art_save_password", "保存密码", "password", "", problem, "current-password"))
                    button type="submit" class="secondary" { "选报" }
                }
            }
        }
        @if view.signed {
            section aria-labelledby="exam-fee" {
                h2 id="exam-fee" { "考试费" }
                @if view.exam_fee_paid {
                    p { "考试费已缴纳。" a href="/admission-ticket.pdf" download="admission-ticket.pdf" { "下载准考证（PDF）" } }
                } @else {
                    p class="notice" { "考试费在规定时间内缴纳；请勿重复支付。" }
                    @if let Some(pay) = pay_for(|kind| kind == FeeKind::Exam) { (pay_block(pay, candidate.exam_fee.orders.last(), &csrf_token, "/sandbox/pay")) }
                    form method="post" action="/exam-fee" {
                        (csrf(&csrf_token)) input type="hidden" name="key" value=(form_key);
                        input type="hidden" name="provider" value="wechat_pay";
                        button type="submit" class="secondary" { "缴纳考试费" }
                    }
                }
            }
        }
        @if view.form_version > 0 {
            section aria-labelledby="documents" {
                h2 id="documents" { "下载与打印" }
                p { a href="/registration-form.pdf" download="registration-form.pdf" { "下载报名登记表（PDF）" } }
                @if !view.signed { p class="hint" { "请打印报名登记表，到报名点核对并签字确认。" } }
            }
        }
        form method="post" action="/logout" class="logout" { (csrf(&csrf_token)) button type="submit" class="secondary" { "退出登录" } }
    };
    let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
    respond(status, page("我的报名", body))
}

/// The pay payload as a QR code (an SVG image in the page: the CSP allows `data:` images).
fn qr_image(payload: &str) -> Markup {
    use base64::Engine as _;
    let svg = qrcode::QrCode::new(payload.as_bytes()).ok().map(|code| {
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .build()
    });
    html! {
        @if let Some(svg) = svg {
            img class="qr" alt="支付二维码" width="220" height="220"
                src={"data:image/svg+xml;base64," (base64::engine::general_purpose::STANDARD.encode(svg))};
        }
        p class="hint" { "无法扫码时可复制支付链接：" code { (payload) } }
    }
}

/// How to pay an order: the sandbox's button (posting to `sandbox_action`), the provider's
/// form, link or QR code.
pub(super) fn pay_block(
    pay: &PayInstructions,
    order: Option<&engine::candidate::FeeOrder>,
    csrf_token: &str,
    sandbox_action: &str,
) -> Markup {
    html! {
        div class="pay" {
            @if pay.sandbox { p class="sandbox" { (pay.notice) } } @else { p { (pay.notice) } }
            @match pay.method {
                PayMethod::Form => {
                    form method="post" action=(pay.content) {
                        @for (name, value) in &pay.fields { input type="hidden" name=(name) value=(value); }
                        button type="submit" { "前往银联支付" }
                    }
                }
                _ if pay.sandbox => {
                    @if let Some(order) = order {
                        form method="post" action=(sandbox_action) {
                            (csrf(csrf_token))
                            input type="hidden" name="order_id" value=(order.order_id);
                            button type="submit" { "在沙箱中支付 " (order.amount_fen / 100) " 元" }
                        }
                    }
                }
                PayMethod::Link => { p { a href=(pay.content) { "打开支付页面" } } }
                PayMethod::Qr => {
                    p { "请用微信或支付宝扫描二维码支付：" }
                    (qr_image(&pay.content))
                }
            }
        }
    }
}

fn fee_section(
    state: &AppState,
    candidate: &Candidate,
    csrf_token: &str,
    form_key: &str,
    problem: Option<&Problem>,
    pay: Option<&PayInstructions>,
) -> Markup {
    let latest = candidate.fee.orders.last();
    let configured = state.providers.configured();
    html! {
        section aria-labelledby="fee" {
            h2 id="fee" { "缴纳报名费" }
            p class="notice" { "请勿重复支付：支付后请点击“刷新支付状态”；重复支付的款项不会自动退回。" }
            @if let Some(pay) = pay { (pay_block(pay, latest, csrf_token, "/sandbox/pay")) }
            @if let Some(order) = latest {
                p { "订单号 " code { (order.order_id) } " · " (order.provider.chinese()) " · " (order.amount_fen / 100) " 元" }
                form method="post" action="/fee/refresh" { (csrf(csrf_token)) button type="submit" class="secondary" { "刷新支付状态" } }
            }
            @if pay.is_none() {
                form method="post" action="/fee" {
                    (csrf(csrf_token)) input type="hidden" name="key" value=(form_key);
                    fieldset {
                        legend { "支付方式" }
                        @for name in &configured {
                            @if let Some(provider) = crate::providers::named(name) {
                                div class="check" {
                                    input type="radio" name="provider" id={"provider-" (name)} value=(name) checked[*name == "wechat_pay"];
                                    label for={"provider-" (name)} { (provider.chinese()) }
                                }
                            }
                        }
                        @if problem.is_some_and(|p| p.field == Some("provider")) {
                            p class="error" { (problem.map(|p| p.message.as_str()).unwrap_or_default()) }
                        }
                    }
                    fieldset {
                        legend { "在哪里支付" }
                        div class="check" { input type="radio" name="channel" id="channel-mobile" value="mobile" checked; label for="channel-mobile" { "在本手机上支付" } }
                        div class="check" { input type="radio" name="channel" id="channel-qr" value="qr"; label for="channel-qr" { "显示二维码，用另一部手机扫码" } }
                    }
                    button type="submit" { @if latest.is_some() { "重新获取支付方式" } @else { "去缴费" } }
                }
            }
        }
    }
}

fn form_section(
    view: &CandidateView,
    csrf_token: &str,
    form_key: &str,
    problem: Option<&Problem>,
    posted: Option<&HashMap<String, String>>,
) -> Markup {
    let saved = view.form.as_ref();
    let value = |name: &str| -> String {
        if let Some(typed) = posted.and_then(|fields| fields.get(name)) {
            return typed.clone();
        }
        saved
            .and_then(|form| serde_json::to_value(form).ok())
            .and_then(|json| match name {
                "resume_from" => json["resume"][0]["from"].as_str().map(str::to_owned),
                "resume_to" => json["resume"][0]["to"].as_str().map(str::to_owned),
                "resume_organisation" => json["resume"][0]["organisation"]
                    .as_str()
                    .map(str::to_owned),
                "resume_role" => json["resume"][0]["role"].as_str().map(str::to_owned),
                "resume_witness" => json["resume"][0]["witness"].as_str().map(str::to_owned),
                "urban_rural_code" => json[name].as_u64().map(|code| code.to_string()),
                "elective_1" => json["electives"][0].as_str().map(str::to_owned),
                "elective_2" => json["electives"][1].as_str().map(str::to_owned),
                other => json[other].as_str().map(str::to_owned),
            })
            .unwrap_or_default()
    };
    let subjects = [("physics", "物理"), ("history", "历史")];
    let electives = [
        ("chemistry", "化学"),
        ("biology", "生物"),
        ("politics", "思想政治"),
        ("geography", "地理"),
    ];
    html! {
        section aria-labelledby="form" {
            h2 id="form" { @if view.form_version > 0 { "修改报名表" } @else { "填写报名表" } }
            @if view.signed { p class="notice" { "报名点已签字确认，报名表不能再修改。" } }
            form method="post" action="/form" {
                (csrf(csrf_token)) input type="hidden" name="key" value=(form_key);
                input type="hidden" name="exam_type" value="general";
                div class="field" {
                    label for="first_subject" { "首选科目" }
                    select id="first_subject" name="first_subject" {
                        @for (code, name) in subjects { option value=(code) selected[value("first_subject") == code] { (name) } }
                    }
                }
                fieldset {
                    legend { "再选科目（两门）" }
                    @for (index, field_name) in ["elective_1", "elective_2"].iter().enumerate() {
                        div class="field" {
                            label for=(field_name) { "再选科目 " (index + 1) }
                            @let chosen = value(field_name);
                            select id=(field_name) name=(field_name) {
                                @for (position, (code, name)) in electives.iter().enumerate() {
                                    option value=(code) selected[if chosen.is_empty() { position == index } else { chosen == *code }] { (name) }
                                }
                            }
                        }
                    }
                }
                div class="field" {
                    label for="graduation" { "应届/往届" }
                    select id="graduation" name="graduation" {
                        option value="current" selected[value("graduation") != "previous"] { "应届" }
                        option value="previous" selected[value("graduation") == "previous"] { "往届" }
                    }
                }
                (field("school", "毕业学校", "text", &value("school"), problem, "organization"))
                (field("urban_rural_code", "城乡分类代码（111–220）", "text", &value("urban_rural_code"), problem, "off"))
                fieldset {
                    legend { "简历（最近一段）" }
                    (field("resume_from", "起始年月（如 2020-09）", "text", &value("resume_from"), problem, "off"))
                    (field("resume_to", "截止年月（至今可不填）", "text", &value("resume_to"), problem, "off"))
                    (field("resume_organisation", "学校或单位", "text", &value("resume_organisation"), problem, "off"))
                    (field("resume_role", "职务", "text", &value("resume_role"), problem, "off"))
                    (field("resume_witness", "证明人", "text", &value("resume_witness"), problem, "off"))
                }
                (field("save_password", "保存密码", "password", "", problem, "current-password"))
                button type="submit" { "保存报名表" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pay_payload_becomes_a_qr_image_and_a_link_to_copy() {
        let html = qr_image("weixin://wxpay/bizpayurl?pr=abc123").into_string();
        assert!(html.contains("src=\"data:image/svg+xml;base64,"), "{html}");
        assert!(html.contains("alt=\"支付二维码\""));
        assert!(html.contains("weixin://wxpay/bizpayurl?pr=abc123"));
        let svg = html
            .split("base64,")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|encoded| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .expect("base64")
            })
            .expect("an image");
        assert!(String::from_utf8(svg).expect("text").contains("<svg"));
    }
}
