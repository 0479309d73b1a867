//! The adult exam's portal (`/adult`, 成人高考网上报名), mobile first like the gaokao's: an
//! account (username and password), then the pledge, the basic information, the volunteers
//! and a confirmation point, each a form with its refusals beside the fields; then what to
//! bring to the point (and its hours); the fee once confirmed (the sandbox's in the demo);
//! the admission ticket once numbered. A step tracker says what is done and what is next.
//! Handlers parse, check the CSRF token, call `crate::app::adult` and render.

use super::layout::{Problem, Step, alert, csrf, field, page_of, respond, tracker};
use super::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, csrf_of, csrf_ok, see_other, session, text,
};
use crate::app::AppError;
use crate::app::adult::{self, Registrant};
use crate::app::candidate::Payer;
use crate::error::ApiError;
use crate::providers::{Channel, PayInstructions};
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::adult::info::{BasicInfo, IdentityDocument};
use engine::adult::volunteer::{Choice, Level, StudyForm, Volunteers};
use engine::adult::{AdultCandidate, DocumentReview, Status};
use engine::candidate::Provider;
use engine::time::Date;
use maud::{Markup, html};
use std::collections::HashMap;

const BRAND: &str = "成人高考网上报名";

type Fields = web::Form<HashMap<String, String>>;

/// Registers the adult portal's pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/adult", web::get().to(home))
        .route("/adult/register", web::post().to(register))
        .route("/adult/login", web::post().to(login))
        .route("/adult/logout", web::post().to(logout))
        .route("/adult/pledge", web::post().to(pledge))
        .route("/adult/info", web::post().to(info))
        .route("/adult/volunteers", web::post().to(volunteers))
        .route("/adult/point", web::post().to(point))
        .route("/adult/fee", web::post().to(fee))
        .route("/adult/sandbox/pay", web::post().to(sandbox_pay))
        .route("/adult/admission-ticket.pdf", web::get().to(ticket))
        .route("/adult/flow-form.pdf", web::get().to(flow_form))
        .route("/adult/exemption", web::post().to(exemption));
}

/// Every field of the information form, for refusals to find their place.
const INFO_FIELDS: [&str; 21] = [
    "id_number",
    "name",
    "birth_date",
    "political_status",
    "education",
    "foreign_language",
    "candidate_feature",
    "enrolment_category",
    "graduation_date",
    "graduation_school",
    "certificate_number",
    "medical_licence",
    "occupation",
    "work_start",
    "phone",
    "address",
    "postcode",
    "hukou_city",
    "remarks",
    "gender",
    "ethnicity",
];

/// A refusal in Chinese, beside its field where the engine named one.
fn problem_of(error: AppError) -> Problem {
    let error = ApiError::from(error);
    let mut problem = Problem::of(&error);
    if error.code == "adult_field_invalid" {
        let named = error.message.split(':').next().unwrap_or_default().trim();
        if let Some(field) = INFO_FIELDS.iter().find(|field| **field == named) {
            problem.field = Some(field);
            problem.message = format!("请检查此项（{}）：{}", error.code, error.message);
        }
    }
    problem
}

fn forbidden() -> HttpResponse {
    respond(
        StatusCode::FORBIDDEN,
        page_of(
            BRAND,
            "请求无效",
            html! {
                h1 { "请求无效" }
                p { "页面已过期或来源不明（csrf_invalid）。请返回重新操作。" }
                p { a href="/adult" { "返回" } }
            },
        ),
    )
}

/// `GET /adult`.
async fn home(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    match session(&state, &request) {
        Some((session, token)) => {
            dashboard(&state, &Caller(session), &token, None, None, None).await
        }
        None => entry(&state, &request, None),
    }
}

/// Making an account, or logging in.
fn entry(state: &AppState, request: &HttpRequest, problem: Option<&Problem>) -> HttpResponse {
    let token = super::login_csrf_token(request);
    let body = html! {
        h1 { "成人高考报名" }
        (alert(problem))
        p class="hint" { "先注册账号，再阅读报考须知、签订诚信考试承诺书、填写基本信息和报考志愿，并选择报名确认点；之后本人携带身份证到确认点现场确认，确认后网上缴费。" }
        section aria-labelledby="register-heading" {
            h2 id="register-heading" { "注册" }
            form method="post" action="/adult/register" {
                (csrf(&token))
                (field("username", "用户名（4–32 位小写字母、数字或下划线，字母开头）", "text", "", problem, "username"))
                (field("password", "密码（8 位以上，含字母和数字）", "password", "", problem, "new-password"))
                button type="submit" { "注册并登录" }
            }
        }
        section aria-labelledby="login-heading" {
            h2 id="login-heading" { "登录" }
            form method="post" action="/adult/login" {
                (csrf(&token))
                (field("login_username", "用户名", "text", "", problem, "username"))
                (field("login_password", "密码", "password", "", problem, "current-password"))
                button type="submit" { "登录" }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = respond(status, page_of(BRAND, "报名", body));
    let _ = response.add_cookie(&cookie(state, LOGIN_CSRF_COOKIE, token, 3600));
    response
}

fn signed_in(state: &AppState, issued: crate::app::session::Issued) -> HttpResponse {
    let seconds = issued.expires_at.seconds_since(state.now()).max(60);
    let mut response = see_other("/adult");
    let _ = response.add_cookie(&cookie(state, SESSION_COOKIE, issued.token, seconds));
    response
}

fn client(request: &HttpRequest) -> crate::app::session::Client {
    crate::app::session::Client {
        address: crate::audit::client_address(request),
        ticket: None,
    }
}

/// `POST /adult/register`.
async fn register(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    if !super::login_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let username = text(&fields, "username");
    match adult::register(
        &state,
        &client(&request),
        username,
        text(&fields, "password"),
    )
    .await
    {
        Ok(issued) => signed_in(&state, issued),
        Err(error) => {
            let mut problem = problem_of(error);
            if problem.message.contains("password_too_weak") {
                problem.field = Some("password");
            } else if problem.message.contains("username") {
                problem.field = Some("username");
            }
            entry(&state, &request, Some(&problem))
        }
    }
}

/// `POST /adult/login`.
async fn login(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    if !super::login_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    match adult::login(
        &state,
        &client(&request),
        text(&fields, "login_username"),
        text(&fields, "login_password"),
    )
    .await
    {
        Ok(issued) => signed_in(&state, issued),
        Err(error) => entry(&state, &request, Some(&problem_of(error))),
    }
}

/// `POST /adult/logout`.
async fn logout(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    if !csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let mut response = see_other("/adult");
    let _ = response.add_cookie(&cookie(&state, SESSION_COOKIE, String::new(), 0));
    response
}

/// Runs `action` for the signed-in candidate after the CSRF check; success goes back to
/// `/adult`, a refusal re-renders the page with its message and what was typed.
async fn act<F, Fut>(
    state: &AppState,
    request: &HttpRequest,
    fields: &HashMap<String, String>,
    action: F,
) -> HttpResponse
where
    F: FnOnce(Caller) -> Fut,
    Fut: std::future::Future<Output = Result<Option<(PayInstructions, String)>, AppError>>,
{
    let Some((session, token)) = session(state, request) else {
        return see_other("/adult");
    };
    if !csrf_ok(request, text(fields, "csrf")) {
        return forbidden();
    }
    let caller = Caller(session);
    match action(caller.clone()).await {
        Ok(None) => see_other("/adult"),
        Ok(Some(pay)) => dashboard(state, &caller, &token, None, Some(pay), None).await,
        Err(error) => {
            let problem = problem_of(error);
            dashboard(state, &caller, &token, Some(problem), None, Some(fields)).await
        }
    }
}

fn key(prefix: &str) -> Result<String, AppError> {
    crate::app::fresh_idempotency_key(prefix)
}

/// `POST /adult/pledge`.
async fn pledge(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        if text(fields, "accept") != "yes" {
            return Err(AppError::invalid(
                "pledge_not_accepted",
                "请勾选“我已阅读并承诺遵守”",
            ));
        }
        Registrant::of(state, &caller)?
            .accept_pledge(key("pledge")?)
            .await?;
        Ok(None)
    })
    .await
}

fn date_field(fields: &HashMap<String, String>, name: &'static str) -> Result<Date, AppError> {
    Date::parse(text(fields, name)).ok_or_else(|| {
        AppError::invalid("adult_field_invalid", format!("{name}: a date, YYYY-MM-DD"))
    })
}

fn read_info(fields: &HashMap<String, String>) -> Result<BasicInfo, AppError> {
    let owned = |name: &str| text(fields, name).to_owned();
    let document = match text(fields, "document") {
        "hong_kong_macao_taiwan" => IdentityDocument::HongKongMacaoTaiwan,
        "overseas_chinese" => IdentityDocument::OverseasChinese,
        "foreign_resident" => IdentityDocument::ForeignResident,
        _ => IdentityDocument::ResidentCard,
    };
    let gender = match text(fields, "gender") {
        "female" => engine::id_number::Gender::Female,
        _ => engine::id_number::Gender::Male,
    };
    let invalid =
        |name: &str| AppError::invalid("adult_field_invalid", format!("{name}: a number"));
    Ok(BasicInfo {
        document,
        id_number: owned("id_number").to_uppercase(),
        name: owned("name"),
        gender,
        ethnicity: text(fields, "ethnicity")
            .parse()
            .map_err(|_| invalid("ethnicity"))?,
        birth_date: date_field(fields, "birth_date")?,
        political_status: owned("political_status"),
        education: owned("education"),
        foreign_language: owned("foreign_language"),
        candidate_feature: owned("candidate_feature"),
        enrolment_category: owned("enrolment_category"),
        graduation_date: date_field(fields, "graduation_date")?,
        graduation_school: owned("graduation_school"),
        certificate_number: owned("certificate_number"),
        medical_licence: Some(owned("medical_licence")).filter(|text| !text.is_empty()),
        occupation: owned("occupation"),
        work_start: match text(fields, "work_start") {
            "" => None,
            _ => Some(date_field(fields, "work_start")?),
        },
        phone: owned("phone"),
        address: owned("address"),
        postcode: owned("postcode"),
        hukou_city: text(fields, "hukou_city")
            .parse()
            .map_err(|_| invalid("hukou_city"))?,
        remarks: owned("remarks"),
    })
}

/// `POST /adult/info`.
async fn info(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let info = read_info(fields)?;
        Registrant::of(state, &caller)?
            .save_info(info, key("info")?)
            .await?;
        Ok(None)
    })
    .await
}

fn read_choice(fields: &HashMap<String, String>, prefix: &str) -> Result<Option<Choice>, AppError> {
    let get = |name: &str| text(fields, &format!("{prefix}{name}")).to_owned();
    if get("school_code").is_empty() && prefix == "second_" {
        return Ok(None);
    }
    let level = Level::named(&get("level")).ok_or_else(|| {
        AppError::invalid(
            "adult_field_invalid",
            format!("{prefix}level: choose a level"),
        )
    })?;
    Ok(Some(Choice {
        level,
        school_code: get("school_code"),
        school: get("school"),
        major_code: get("major_code"),
        major: get("major"),
        major_category: get("major_category"),
        length_years: get("length_years").parse().unwrap_or(0),
    }))
}

/// `POST /adult/volunteers`.
async fn volunteers(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let first = read_choice(fields, "first_")?.ok_or_else(|| {
            AppError::invalid("adult_field_invalid", "first: the first choice is required")
        })?;
        let study_form = match text(fields, "study_form") {
            "correspondence" => StudyForm::Correspondence,
            "full_time" => StudyForm::FullTime,
            _ => StudyForm::PartTime,
        };
        let chosen = Volunteers {
            category: text(fields, "category").to_owned(),
            study_form,
            first,
            second: read_choice(fields, "second_")?,
        };
        Registrant::of(state, &caller)?
            .save_volunteers(chosen, key("volunteers")?)
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /adult/point`.
async fn point(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        Registrant::of(state, &caller)?
            .choose_point(text(fields, "point"), key("point")?)
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /adult/exemption`: applies for admission without the exam.
async fn exemption(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        Registrant::of(state, &caller)?
            .apply_exemption(text(fields, "exemption_reason"), key("exemption")?)
            .await?;
        Ok(None)
    })
    .await
}

/// `POST /adult/fee`: an order with the chosen provider, then how to pay it.
async fn fee(state: web::Data<AppState>, request: HttpRequest, fields: Fields) -> HttpResponse {
    let client_ip = crate::audit::client_address(&request);
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let provider = match text(fields, "provider") {
            "wechat_pay" => Provider::WeChatPay,
            "unionpay" => Provider::UnionPay,
            _ => Provider::Alipay,
        };
        let payer = Payer {
            provider,
            channel: Channel::Mobile,
            client_ip,
        };
        let order = Registrant::of(state, &caller)?
            .order_fee(payer, key("fee")?)
            .await?;
        Ok(Some((order.pay, order.order_id)))
    })
    .await
}

/// `POST /adult/sandbox/pay` (demo): pays one of the candidate's own orders in the sandbox.
async fn sandbox_pay(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, request, fields) = (&state, &request, &fields);
    act(state, request, fields, |caller| async move {
        let order_id = text(fields, "order_id");
        let own = Registrant::of(state, &caller)?.record().await?.key;
        if crate::orders::owner_of(order_id) != Some(crate::orders::Owner::Adult(own)) {
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

/// `GET /adult/admission-ticket.pdf`.
async fn ticket(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let Some((session, _)) = session(&state, &request) else {
        return see_other("/adult");
    };
    let answer = async {
        let own = Registrant::of(&state, &Caller(session))?
            .record()
            .await?
            .key;
        let (record, photo) = crate::app::adult::exam::print_ticket(&state, own).await?;
        crate::routes::adult_exam::ticket_pdf(&state, record, photo).await
    };
    answer
        .await
        .unwrap_or_else(|error: ApiError| cannot_print(&error))
}

/// A document that could not be printed, with why.
fn cannot_print(error: &ApiError) -> HttpResponse {
    respond(
        error.status,
        page_of(
            BRAND,
            "无法打印",
            html! { h1 { "无法打印" } (alert(Some(&Problem::of(error)))) p { a href="/adult" { "返回" } } },
        ),
    )
}

/// `GET /adult/flow-form.pdf`.
async fn flow_form(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let Some((session, _)) = session(&state, &request) else {
        return see_other("/adult");
    };
    let answer = async {
        let record = Registrant::of(&state, &Caller(session))?.record().await?;
        crate::routes::adult_exam::flow_form_pdf(&state, &record).await
    };
    answer
        .await
        .unwrap_or_else(|error: ApiError| cannot_print(&error))
}

fn value(typed: Option<&HashMap<String, String>>, name: &str, stored: String) -> String {
    typed
        .and_then(|fields| fields.get(name).cloned())
        .unwrap_or(stored)
}

/// The candidate's page: the tracker and the step at hand.
async fn dashboard(
    state: &AppState,
    caller: &Caller,
    token: &str,
    problem: Option<Problem>,
    pay: Option<(PayInstructions, String)>,
    typed: Option<&HashMap<String, String>>,
) -> HttpResponse {
    let record = match Registrant::of(state, caller) {
        Ok(registrant) => registrant.record().await,
        Err(error) => Err(error),
    };
    let record = match record {
        Ok(record) => record,
        // A gaokao session in this browser: the adult exam needs its own account.
        Err(_) => {
            let mut response = see_other("/adult");
            let _ = response.add_cookie(&cookie(state, SESSION_COOKIE, String::new(), 0));
            return response;
        }
    };
    let csrf_token = csrf_of(token);
    let problem = problem.as_ref();
    let status = record.status();
    let steps = [
        Step {
            name: "诚信承诺",
            done: record.pledge_accepted_at.is_some(),
        },
        Step {
            name: "基本信息",
            done: record.info.is_some(),
        },
        Step {
            name: "报考志愿",
            done: record.volunteers.is_some(),
        },
        Step {
            name: "选择确认点",
            done: record.point.is_some(),
        },
        Step {
            name: "现场确认",
            done: status >= Status::Confirmed,
        },
        Step {
            name: "网上缴费",
            done: status >= Status::Paid,
        },
        Step {
            name: "打印准考证",
            done: record.ticket_printed_at.is_some(),
        },
    ];
    let points = adult::points::approved(state, None)
        .await
        .unwrap_or_default();
    let settings = state.settings.current();
    let hours = settings.adult.calendar.hours_text();
    let body = html! {
        h1 { "成人高考报名 · " (record.username) }
        (tracker(&steps))
        (alert(problem))
        @if let (Some(point), None) = (record.point, &record.confirmation) {
            p class="notice" role="status" id="next-step" {
                "请本人携带身份证及相关材料，到 " strong { (point.to_string()) } " 现场确认（办理时间 " (hours) "）。确认后信息不能再修改。"
            }
            p { a href="/adult/flow-form.pdf" download="flow-form.pdf" { "下载报名流程表（PDF），打印后带到确认点" } }
        }
        @if record.confirmation.is_none() {
            @if record.pledge_accepted_at.is_none() {
                section aria-labelledby="pledge-heading" {
                    h2 id="pledge-heading" { "报考须知与诚信考试承诺书" }
                    p { "本人已认真阅读报考须知，承诺所填信息真实准确，遵守考试纪律，如有违规愿承担相应责任。" }
                    form method="post" action="/adult/pledge" {
                        (csrf(&csrf_token))
                        div class="check" { input id="accept" type="checkbox" name="accept" value="yes"; label for="accept" { "我已阅读并承诺遵守" } }
                        button type="submit" { "签订承诺书" }
                    }
                }
            } @else {
                (info_form(&record, &csrf_token, problem, typed))
                @if record.info.is_some() { (volunteers_form(&record, &csrf_token, problem, typed)) }
                @if record.volunteers.is_some() {
                    section aria-labelledby="point-heading" {
                        h2 id="point-heading" { "选择报名确认点" }
                        p class="hint" { "17 周岁以下考生及医卫类考生只能选择指定的确认点。" }
                        form method="post" action="/adult/point" {
                            (csrf(&csrf_token))
                            div class="field" {
                                label for="point" { "报名确认点" }
                                select id="point" name="point" {
                                    @for point in &points {
                                        option value=(point.code.to_string()) selected[record.point == Some(point.code)] {
                                            (point.code.to_string()) " " (point.name)
                                            @if point.medical { "（医卫类）" } @if point.under_17 { "（低龄）" }
                                        }
                                    }
                                }
                            }
                            button type="submit" { "选择此确认点" }
                        }
                    }
                }
            }
        } @else {
            section aria-labelledby="confirmed-heading" {
                h2 id="confirmed-heading" { "报名信息已确认" }
                @if record.confirmation.as_ref().is_some_and(|c| c.documents == DocumentReview::AwaitingCity) {
                    p class="notice" role="status" { "您使用的身份证件须经市州审核，审核通过后方可缴费。" }
                } @else if record.fee.paid.is_none() {
                    p { "请在规定时间内缴纳报名考试考务费（" (settings.adult.fee_fen / 100) " 元），缴费后报名方为有效。请勿重复支付。" }
                    @if let Some((pay, order_id)) = &pay {
                        @let order = record.fee.orders.iter().find(|order| &order.order_id == order_id);
                        (super::portal::pay_block(pay, order, &csrf_token, "/adult/sandbox/pay"))
                    } @else {
                        form method="post" action="/adult/fee" {
                            (csrf(&csrf_token))
                            fieldset {
                                legend { "支付方式" }
                                @for (provider, checked) in [(Provider::Alipay, true), (Provider::WeChatPay, false), (Provider::UnionPay, false)] {
                                    div class="check" {
                                        input type="radio" id={"provider-" (provider.name())} name="provider" value=(provider.name()) checked[checked];
                                        label for={"provider-" (provider.name())} { (provider.chinese()) }
                                    }
                                }
                            }
                            button type="submit" { "缴费" }
                        }
                    }
                } @else {
                    p class="notice" role="status" id="valid" { "已缴费，报名有效。" }
                    @if record.seat.is_some() {
                        p { a href="/adult/admission-ticket.pdf" download="admission-ticket.pdf" { "下载准考证（PDF）" } }
                    } @else {
                        p { "准考证号编排后可在此打印准考证。" }
                    }
                    @match &record.exemption {
                        None => {
                            form method="post" action="/adult/exemption" {
                                (csrf(&csrf_token))
                                (field("exemption_reason", "申请免试入学（符合政策的考生填写依据，如“全国劳动模范”；不申请可不填）", "text", "", problem, "off"))
                                button type="submit" class="secondary" { "提交免试入学申请" }
                            }
                        }
                        Some(exemption) => {
                            p { "免试入学申请（" (exemption.reason) "）："
                                @match &exemption.stage {
                                    engine::adult::ExemptionStage::Applied => { "待市州审核" }
                                    engine::adult::ExemptionStage::CityPassed => { "市州已通过，待省审核" }
                                    engine::adult::ExemptionStage::Approved => { "已批准，可免试入学" }
                                    engine::adult::ExemptionStage::Refused { reason, .. } => { "未通过：" (reason) "（须参加统一考试）" }
                                }
                            }
                        }
                    }
                    @for bonus in &record.bonus { p { "照顾加分：" (bonus.reason) " " (bonus.points) " 分" } }
                }
            }
        }
        form method="post" action="/adult/logout" class="logout" { (csrf(&csrf_token)) button type="submit" class="secondary" { "退出登录" } }
    };
    let code = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(code, page_of(BRAND, "我的报名", body))
}

fn info_form(
    record: &AdultCandidate,
    csrf_token: &str,
    problem: Option<&Problem>,
    typed: Option<&HashMap<String, String>>,
) -> Markup {
    let stored = record.info.clone();
    let get = |name: &str, from: &dyn Fn(&BasicInfo) -> String| {
        value(typed, name, stored.as_ref().map(from).unwrap_or_default())
    };
    let text_field = |name: &'static str, label: &str, from: &dyn Fn(&BasicInfo) -> String| {
        field(name, label, "text", &get(name, from), problem, "off")
    };
    html! {
        section aria-labelledby="info-heading" {
            h2 id="info-heading" { "基本信息" @if record.info.is_some() { "（已保存，可修改）" } }
            form method="post" action="/adult/info" {
                (csrf(csrf_token))
                div class="field" {
                    label for="document" { "证件类型" }
                    select id="document" name="document" {
                        @for (name, document) in [("resident_card", IdentityDocument::ResidentCard), ("hong_kong_macao_taiwan", IdentityDocument::HongKongMacaoTaiwan), ("overseas_chinese", IdentityDocument::OverseasChinese), ("foreign_resident", IdentityDocument::ForeignResident)] {
                            option value=(name) selected[typed.and_then(|t| t.get("document")).map_or(stored.as_ref().is_some_and(|i| i.document == document), |typed| typed == name)] { (document.chinese()) }
                        }
                    }
                }
                (text_field("id_number", "证件号码", &|i| i.id_number.clone()))
                (text_field("name", "姓名", &|i| i.name.clone()))
                div class="field" {
                    label for="gender" { "性别" }
                    select id="gender" name="gender" {
                        option value="male" { "男" }
                        option value="female" selected[value(typed, "gender", stored.as_ref().map(|i| if i.gender == engine::id_number::Gender::Female { "female" } else { "male" }.to_owned()).unwrap_or_default()) == "female"] { "女" }
                    }
                }
                (text_field("ethnicity", "民族代码（01 汉族）", &|i| i.ethnicity.to_string()))
                (text_field("birth_date", "出生日期（YYYY-MM-DD）", &|i| i.birth_date.to_string()))
                (text_field("political_status", "政治面貌", &|i| i.political_status.clone()))
                (text_field("education", "文化程度", &|i| i.education.clone()))
                (text_field("foreign_language", "外语语种", &|i| i.foreign_language.clone()))
                (text_field("candidate_feature", "考生特征", &|i| i.candidate_feature.clone()))
                (text_field("enrolment_category", "招生类别", &|i| i.enrolment_category.clone()))
                (text_field("graduation_date", "毕业日期（YYYY-MM-DD）", &|i| i.graduation_date.to_string()))
                (text_field("graduation_school", "毕业学校", &|i| i.graduation_school.clone()))
                (text_field("certificate_number", "毕业证书编号", &|i| i.certificate_number.clone()))
                (text_field("medical_licence", "医学类执业资格证书编号（医学类考生）", &|i| i.medical_licence.clone().unwrap_or_default()))
                (text_field("occupation", "职业类别", &|i| i.occupation.clone()))
                (text_field("work_start", "参加工作日期（YYYY-MM-DD，未工作可不填）", &|i| i.work_start.map(|d| d.to_string()).unwrap_or_default()))
                (text_field("phone", "联系电话（手机）", &|i| i.phone.clone()))
                (text_field("address", "通讯地址", &|i| i.address.clone()))
                (text_field("postcode", "邮政编码", &|i| i.postcode.clone()))
                (text_field("hukou_city", "户籍所在市州代码（如 4301 长沙市）", &|i| i.hukou_city.to_string()))
                (text_field("remarks", "备注", &|i| i.remarks.clone()))
                button type="submit" { "保存基本信息" }
            }
        }
    }
}

fn volunteers_form(
    record: &AdultCandidate,
    csrf_token: &str,
    problem: Option<&Problem>,
    typed: Option<&HashMap<String, String>>,
) -> Markup {
    let stored = record.volunteers.clone();
    let choice_of = |prefix: &str| -> Option<Choice> {
        let volunteers = stored.as_ref()?;
        if prefix == "first_" {
            Some(volunteers.first.clone())
        } else {
            volunteers.second.clone()
        }
    };
    let choice_fields = |prefix: &'static str, heading: &str| {
        let stored = choice_of(prefix);
        let get = |name: &str, from: &dyn Fn(&Choice) -> String| {
            value(
                typed,
                &format!("{prefix}{name}"),
                stored.as_ref().map(from).unwrap_or_default(),
            )
        };
        html! {
            fieldset {
                legend { (heading) }
                div class="field" {
                    label for={(prefix) "level"} { "层次" }
                    select id={(prefix) "level"} name={(prefix) "level"} {
                        @if prefix == "second_" { option value="" { "（不填报）" } }
                        @for level in Level::ALL {
                            option value=(level.name()) selected[typed.and_then(|t| t.get(&format!("{prefix}level"))).map_or(stored.as_ref().is_some_and(|c| c.level == level), |typed| typed == level.name())] { (level.chinese()) }
                        }
                    }
                }
                @for (name, label) in [("school_code", "院校代码（5 位）"), ("school", "院校名称"), ("major_code", "专业代码"), ("major", "专业名称"), ("major_category", "专业类（如 管理学、医学）"), ("length_years", "学制（年）")] {
                    div class="field" {
                        label for={(prefix) (name)} { (label) }
                        input id={(prefix) (name)} name={(prefix) (name)} type="text" autocomplete="off"
                            value=(get(name, &|c: &Choice| match name {
                                "school_code" => c.school_code.clone(),
                                "school" => c.school.clone(),
                                "major_code" => c.major_code.clone(),
                                "major" => c.major.clone(),
                                "major_category" => c.major_category.clone(),
                                _ => c.length_years.to_string(),
                            }));
                    }
                }
            }
        }
    };
    let problem_here = problem.filter(|p| p.field.is_none());
    html! {
        section aria-labelledby="volunteers-heading" {
            h2 id="volunteers-heading" { "报考志愿" @if record.volunteers.is_some() { "（已保存，可修改）" } }
            p class="hint" { "报考高起本的考生，第二志愿可兼报高起专；报考高起专的考生，第二志愿只能为高起专；报考专升本的考生，第二志愿不能跨专业类填报。" }
            @if let Some(problem) = problem_here { p class="error" id="volunteers-error" { (problem.message) } }
            form method="post" action="/adult/volunteers" {
                (csrf(csrf_token))
                (field("category", "科类（高起：文史、理工；专升本：政治、经管、法学、教育、艺术、文史中医、理工、医学、农学）", "text", &value(typed, "category", stored.as_ref().map(|v| v.category.clone()).unwrap_or_default()), problem, "off"))
                div class="field" {
                    label for="study_form" { "学习形式" }
                    select id="study_form" name="study_form" {
                        @for (name, form) in [("part_time", StudyForm::PartTime), ("correspondence", StudyForm::Correspondence), ("full_time", StudyForm::FullTime)] {
                            option value=(name) selected[typed.and_then(|t| t.get("study_form")).map_or(stored.as_ref().is_some_and(|v| v.study_form == form), |typed| typed == name)] { (form.chinese()) }
                        }
                    }
                }
                (choice_fields("first_", "第一志愿"))
                (choice_fields("second_", "第二志愿（可不填）"))
                button type="submit" { "保存报考志愿" }
            }
        }
    }
}
