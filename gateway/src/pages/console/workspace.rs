//! The operator's workspace: what each level sees on `/console` — the live progress, the
//! candidate list, and the forms of what that level does.

use super::{frame, operator_session};
use crate::app::operator::{ListFilter, Operator};
use crate::error::ApiError;
use crate::pages::layout::{Problem, alert, csrf, field, respond};
use crate::pages::{csrf_of, see_other};
use crate::sessions::{Caller, Session};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::scope::Scope;
use maud::{Markup, html};
use std::collections::HashMap;

/// `GET /console/progress?scope=…`: the counts, as a fragment htmx swaps in every few
/// seconds (and a page of its own without htmx).
pub(super) async fn progress(
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
pub(super) fn step_label(status: &str) -> &str {
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

/// What a candidate at `status` still has to do next (the dashboard's "missing step").
fn missing_step(status: &str) -> &str {
    match status {
        "captured" => "首次登录",
        "activated" => "缴纳报名费",
        "paid" => "实人认证",
        "authenticated" => "设置密码",
        "passwords_set" => "签署承诺、填写报名表",
        "form_saved" => "到报名点签字确认",
        "signed" => "思想品德考核",
        "evaluated" => "—",
        _ => "",
    }
}

/// The dashboard: counts by step, following the progress stream (Server-Sent Events, the
/// same stream as the API's, through `assets/progress.js`) so that it changes by itself,
/// without reloading.
pub(super) fn counts_table(
    scope: &str,
    counts: &std::collections::BTreeMap<&'static str, u64>,
) -> Markup {
    html! {
        div id="progress" data-stream={"/console/progress/stream?scope=" (scope)} {
            (counts_rows(counts))
        }
    }
}

/// The dashboard's table, as the stream sends it.
fn counts_rows(counts: &std::collections::BTreeMap<&'static str, u64>) -> Markup {
    let total: u64 = counts.values().sum();
    html! {
        table {
            caption { "报名进度（合计 " span id="progress-total" { (total) } " 人，自动更新）" }
            thead { tr { th scope="col" { "当前步骤" } th scope="col" { "人数" } th scope="col" { "尚缺" } } }
            tbody {
                @for (status, count) in counts {
                    tr { th scope="row" { (step_label(status)) } td data-status=(status) { (count) } td { (missing_step(status)) } }
                }
            }
        }
    }
}

/// `GET /console/progress/stream?scope=…`: the dashboard's rows at every change.
pub(super) async fn progress_stream(
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
    crate::routes::progress_stream::open(state, caller, scope, |_: &str, counts| {
        Some(counts_rows(&counts).into_string())
    })
    .await
    .unwrap_or_else(|error| respond(error.status, html! { p class="error" { "无法读取进度" } }))
}

/// What just succeeded, said at the top of the workspace.
pub(super) enum Notice {
    /// A capture, with its serial number.
    Captured(String),
    /// An account, with its one-time password (shown this once).
    Created {
        username: String,
        scope: String,
        one_time_password: String,
    },
}

/// What every section of the workspace needs.
struct Desk<'a> {
    state: &'a AppState,
    session: &'a Session,
    /// The form's CSRF token.
    csrf_token: String,
    /// A fresh key for this page's forms (their idempotency keys derive from it).
    form_key: String,
    /// A refusal to show beside its field.
    problem: Option<&'a Problem>,
}

/// The operator's workspace: what the operator's level does, its live progress and its
/// candidates. A point captures; a county runs its points, ranges, reviews and submission;
/// a city its counties' submissions and second reviews; the province the schedule,
/// admission control, returns and the audit trail — each with the list of its candidates
/// (the province's and a city's by a chosen city or county).
pub(super) async fn workspace(
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
    let operator = Operator::of(state, &caller);
    let scope = crate::app::accounts::scope_text(&session.scope);
    let query: HashMap<String, String> =
        web::Query::<HashMap<String, String>>::from_query(request.query_string())
            .map(|query| query.into_inner())
            .unwrap_or_default();
    let filter = ListFilter {
        status: query.get("status").filter(|s| !s.is_empty()).cloned(),
        name_prefix: query.get("name").filter(|s| !s.is_empty()).cloned(),
    };
    // The audit trail, of one operator if asked.
    let actor = query
        .get("actor")
        .map(|actor| actor.trim().to_owned())
        .filter(|actor| !actor.is_empty());
    // The province lists one city at a time; a city reviews one county at a time.
    let city = match session.scope {
        Scope::City(city) => Some(city),
        Scope::Province => chosen_city(state, query.get("city")),
        _ => None,
    };
    let county = match session.scope {
        Scope::County(county) => Some(county),
        Scope::City(city) => chosen_county(state, city, query.get("county")),
        _ => None,
    };
    let counts = operator.progress(&scope).await.unwrap_or_default();
    let listed = match (session.scope, city) {
        (Scope::Point(point), _) => operator
            .candidates_at(point, &filter, None, Some(LISTED))
            .await
            .map(|(list, _)| list),
        (Scope::County(county), _) => operator
            .county_candidates(county, &filter, None, Some(LISTED))
            .await
            .map(|(list, _)| list),
        (_, Some(city)) => operator
            .city_candidates(city, &filter, None, Some(LISTED))
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
    let declarations = match (session.scope, county) {
        (Scope::County(_) | Scope::City(_), Some(county)) => operator
            .county_declarations(county, None, None, Some(200))
            .await
            .ok(),
        _ => None,
    };
    let audit = if matches!(session.scope, Scope::Province) {
        operator
            .audit_trail(Some(AUDITED), actor.as_deref())
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let desk = Desk {
        state,
        session: &session,
        csrf_token,
        form_key: crate::random_hex(12).unwrap_or_default(),
        problem,
    };
    let adult_section =
        super::adult::section(state, &caller, &desk.csrf_token, &desk.form_key).await;
    let body = html! {
        h1 { "工作台" }
        (alert(problem))
        (notice_banner(notice.as_ref()))
        @if let Scope::Point(_) = session.scope { (capture_form(&desk)) }
        @if matches!(session.scope, Scope::Province) {
            (pause_form(&desk))
            (super::province::admission_form(&desk.state.admission.config(), &desk.csrf_token, problem))
        }
        section aria-labelledby="progress-heading" {
            h2 id="progress-heading" { "进度 · " (scope) }
            (counts_table(&scope, &counts))
        }
        (candidate_list(&desk, &filter, city, &listed, list_problem.as_ref()))
        @if let Some(list) = &declarations { (declarations_section(&desk, list)) }
        (adult_section)
        @if let Some(submission) = &city_view { (counties_submissions(&desk, submission)) }
        @if let Some(county) = &county_view { (points(&desk, county)) }
        @if let Scope::County(_) = session.scope { (county_submission(&desk)) }
        @if matches!(session.scope, Scope::Province) {
            (windows(&desk))
            (city_returns(&desk))
        }
        @if !matches!(session.scope, Scope::Point(_)) { (accounts(&desk)) }
        @if matches!(session.scope, Scope::Province) { (audit_trail(&audit, actor.as_deref())) }
        form method="post" action="/console/logout" class="logout" { (csrf(&desk.csrf_token)) button type="submit" class="secondary" { "退出登录" } }
    };
    let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
    respond(status, frame("工作台", Some(&session), body))
}

/// How many audit records the province's workspace shows.
const AUDITED: usize = 50;

/// How many candidates the workspace's list shows (the CSV export has them all).
const LISTED: usize = 50;

/// The city the province's list shows: the one asked for, or the first.
fn chosen_city(state: &AppState, asked: Option<&String>) -> Option<engine::org::CityCode> {
    asked
        .and_then(|code| code.parse::<engine::org::CityCode>().ok())
        .filter(|code| state.province.city(*code).is_some())
        .or_else(|| state.province.cities.first().map(|city| city.code))
}

/// The county a city reviews: the one asked for (if it is the city's), or its first.
fn chosen_county(
    state: &AppState,
    city: engine::org::CityCode,
    asked: Option<&String>,
) -> Option<engine::org::CountyCode> {
    let mut counties = state.province.counties_of(city).map(|county| county.code);
    let asked = asked.and_then(|code| code.parse::<engine::org::CountyCode>().ok());
    match asked {
        Some(asked) => counties.find(|code| *code == asked),
        None => counties.next(),
    }
}

/// What just succeeded.
fn notice_banner(notice: Option<&Notice>) -> Markup {
    html! {
        @match notice {
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
    }
}

/// A point's capture form (the ID-card fields, the photo file or the camera).
fn capture_form(desk: &Desk<'_>) -> Markup {
    let rules = desk.state.settings.current().policy.photo.clone();
    html! {
        section aria-labelledby="capture" {
            h2 id="capture" { "现场采集" }
            form method="post" action="/console/capture" enctype="multipart/form-data" {
                (csrf(&desk.csrf_token)) input type="hidden" name="key" value=(desk.form_key);
                (field("id_number", "身份证号", "text", "", desk.problem, "off"))
                (field("name", "姓名", "text", "", desk.problem, "off"))
                div class="field" {
                    label for="gender" { "性别" }
                    select id="gender" name="gender" { option value="male" { "男" } option value="female" { "女" } }
                }
                (field("ethnicity", "民族代码（01 汉族）", "text", "1", desk.problem, "off"))
                (field("birth_date", "出生日期（YYYY-MM-DD）", "text", "", desk.problem, "off"))
                (field("address", "住址", "text", "", desk.problem, "off"))
                (field("valid_until", "有效期至（YYYY-MM-DD 或“长期”）", "text", "长期", desk.problem, "off"))
                div class="field" {
                    label for="category" { "科类" }
                    select id="category" name="category" { option value="physics" { "物理类" } option value="history" { "历史类" } option value="vocational" { "对口" } }
                }
                div class="field" {
                    label for="photo" { "照片（JPEG，" (rules.width_px) "×" (rules.height_px) " 像素，" (rules.min_bytes / 1024) "–" (rules.max_bytes / 1024) " KB）" }
                    // Checked against the photo standard as soon as it is chosen or taken.
                    input id="photo" name="photo" type="file" accept="image/jpeg" capture="user"
                        hx-post="/console/photo-check" hx-trigger="change" hx-encoding="multipart/form-data"
                        hx-target="#photo-verdict" hx-swap="outerHTML"
                        data-width=(rules.width_px) data-height=(rules.height_px)
                        data-min-bytes=(rules.min_bytes) data-max-bytes=(rules.max_bytes)
                        aria-invalid=[desk.problem.filter(|p| p.field == Some("photo")).map(|_| "true")]
                        aria-describedby=[desk.problem.filter(|p| p.field == Some("photo")).map(|_| "photo-error")];
                    @if let Some(problem) = desk.problem.filter(|p| p.field == Some("photo")) {
                        p class="error" id="photo-error" { (problem.message) }
                    }
                    p id="photo-verdict" role="status" aria-live="polite" {}
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
}

/// The province's emergency switch.
fn pause_form(desk: &Desk<'_>) -> Markup {
    html! {
        @let config = desk.state.admission.config();
        section aria-labelledby="pause-heading" {
            h2 id="pause-heading" { "紧急暂停" }
            p { "当前状态：" strong { @if config.paused { "已暂停考生写操作" } @else { "正常受理" } } }
            form method="post" action="/console/pause" {
                (csrf(&desk.csrf_token))
                input type="hidden" name="paused" value=(if config.paused { "no" } else { "yes" });
                @if !config.paused {
                    (field("retry_after_seconds", "告知考生多少秒后再来", "text", &config.pause_retry_after_seconds.to_string(), desk.problem, "off"))
                }
                button type="submit" { @if config.paused { "恢复受理" } @else { "暂停考生写操作" } }
            }
        }
    }
}

/// The list of the operator's candidates, filtered by step and name, with what the
/// operator may do to each.
fn candidate_list(
    desk: &Desk<'_>,
    filter: &ListFilter,
    city: Option<engine::org::CityCode>,
    listed: &[engine::candidate::Candidate],
    list_problem: Option<&Problem>,
) -> Markup {
    let statuses = engine::candidate::Status::ALL.map(|status| status.name());
    html! {
        section aria-labelledby="list" {
            h2 id="list" { "考生名单" }
            form method="get" action="/console" class="filters" {
                @if let (Scope::Province, Some(city)) = (desk.session.scope, city) {
                    div class="field" {
                        label for="city-filter" { "市州" }
                        select id="city-filter" name="city" {
                            @for option in &desk.state.province.cities {
                                option value=(option.code.to_string()) selected[option.code == city] { (option.name) }
                            }
                        }
                    }
                }
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
            (alert(list_problem))
            @if let Scope::Point(_) = desk.session.scope {
                p { a href="/console/login-cards.pdf?status=captured" { "打印未登录考生的登录卡（PDF）" } }
                p { a href={"/console/candidates.csv?status=" (filter.status.clone().unwrap_or_default()) "&name=" (filter.name_prefix.clone().unwrap_or_default())} { "导出名单（CSV）" } }
            }
            table id="candidates" {
                caption { "共 " (listed.len()) " 人（最多显示 " (LISTED) " 人）" }
                thead { tr { th scope="col" { "报名号" } th scope="col" { "姓名" } th scope="col" { "身份证号" } th scope="col" { "步骤" } th scope="col" { "操作" } } }
                tbody {
                    @for candidate in listed {
                        @let key = candidate.key.to_string();
                        tr {
                            td { (candidate.capture.serial.to_string()) }
                            td { a href={"/console/candidates/" (key)} { (candidate.capture.id_card.name) } }
                            td { (candidate.capture.id_card.id_number.masked()) }
                            td { (step_label(candidate.status().name())) }
                            td {
                                @for (pending, kind, level, label) in [
                                    (candidate.id_verification_pending, "id_verification", matches!(desk.session.scope, Scope::Point(_)), "现场核验身份"),
                                    (candidate.migrant_audit_pending, "migrant_audit", matches!(desk.session.scope, Scope::County(_)), "通过随迁子女资格审核"),
                                    (candidate.document_approval_pending, "document_approval", matches!(desk.session.scope, Scope::City(_)), "批准其他证件采集"),
                                ] {
                                    @if pending && level {
                                        form method="post" action={"/console/candidates/" (key) "/approval"} class="inline" {
                                            (csrf(&desk.csrf_token)) input type="hidden" name="key" value={(kind) "-" (key) "-" (desk.form_key)};
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
                                            (csrf(&desk.csrf_token)) input type="hidden" name="key" value=(desk.form_key);
                                            input type="hidden" name="qualified" value="yes";
                                            input type="hidden" name="opinion" value="合格";
                                            button type="submit" class="secondary" { "品德评价：合格" }
                                        }
                                    }
                                    @if candidate.status() == engine::candidate::Status::FormSaved && matches!(desk.session.scope, Scope::Point(_)) {
                                        form method="post" action={"/console/candidates/" (key) "/signature"} class="inline" {
                                            (csrf(&desk.csrf_token)) input type="hidden" name="key" value=(desk.form_key);
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
}

/// Accounts of this level and below, and a form for a new one.
fn accounts(desk: &Desk<'_>) -> Markup {
    html! {
        @let accounts = crate::app::accounts::list(desk.state, desk.session).unwrap_or_default();
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
                (csrf(&desk.csrf_token))
                (field("username", "新账号用户名（小写字母、数字）", "text", "", desk.problem, "off"))
                (field("scope", "范围（如 county:430102、point:430102-001）", "text", "", desk.problem, "off"))
                button type="submit" class="secondary" { "创建账号" }
            }
        }
    }
}

/// Where the counties of a city stand with their submissions, with returns.
fn counties_submissions(
    desk: &Desk<'_>,
    submission: &crate::app::county::CitySubmissionView,
) -> Markup {
    html! {
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
                                @if let Ok(code) = county.county.parse::<engine::org::CountyCode>() { " " (desk.state.province.county_name(code)) }
                            }
                            td { @if let Some(at) = &county.submitted_at { (at) } @else { "未报送" } }
                            td {
                                @if county.submitted_at.is_some() && submission.submitted_at.is_none() {
                                    form method="post" action="/console/returns" class="inline" {
                                        (csrf(&desk.csrf_token)) input type="hidden" name="key" value={"return-" (county.county) "-" (desk.form_key)};
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
            @if let Scope::City(_) = desk.session.scope {
                form method="post" action="/console/city-submission" {
                    (csrf(&desk.csrf_token))
                    button type="submit" class="secondary" { "报送省（所有县区报送后）" }
                }
            }
        }
    }
}

/// The declarations waiting for this level's review.
fn declarations_section(desk: &Desk<'_>, list: &crate::app::operator::DeclarationList) -> Markup {
    html! {
        section aria-labelledby="declarations-heading" {
            h2 id="declarations-heading" {
                "加分与专项计划申报："
                @if let Scope::City(_) = desk.session.scope { "县区已通过，待市州审核" } @else { "待审核" }
            }
            @if let Scope::City(city) = desk.session.scope {
                form method="get" action="/console" class="filters" {
                    div class="field" {
                        label for="county-filter" { "县区" }
                        select id="county-filter" name="county" {
                            @for county in desk.state.province.counties_of(city) {
                                option value=(county.code.to_string()) selected[list.county == county.code.to_string()] { (county.name) }
                            }
                        }
                    }
                    button type="submit" class="secondary" { "查看" }
                }
            }
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
                                    (csrf(&desk.csrf_token)) input type="hidden" name="key" value={"approve-" (entry.key) "-" (entry.declaration.id)};
                                    input type="hidden" name="approved" value="yes";
                                    button type="submit" class="secondary" { "通过" }
                                }
                                form method="post" action={"/console/candidates/" (entry.key) "/declarations/" (entry.declaration.id)} class="inline" {
                                    (csrf(&desk.csrf_token)) input type="hidden" name="key" value={"reject-" (entry.key) "-" (entry.declaration.id)};
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
}

/// A county's points and serial ranges, with forms for new ones.
fn points(desk: &Desk<'_>, county: &crate::app::county::CountyView) -> Markup {
    html! {
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
                (csrf(&desk.csrf_token)) input type="hidden" name="key" value={"point-" (desk.form_key)};
                (field("number", "新报名点编号（1–999）", "text", "", desk.problem, "off"))
                (field("point_name", "名称（如学校名）", "text", "", desk.problem, "off"))
                (field("expected_headcount", "预计人数", "text", "", desk.problem, "off"))
                div class="check" { input id="migrant" type="checkbox" name="migrant" value="yes"; label for="migrant" { "受理随迁子女报名" } }
                button type="submit" class="secondary" { "新增报名点" }
            }
            form method="post" action="/console/ranges" {
                (csrf(&desk.csrf_token)) input type="hidden" name="key" value={"range-" (desk.form_key)};
                (field("range_point", "报名点（如 430102-004；留空则按人数分给所有报名点）", "text", "", desk.problem, "off"))
                (field("first", "起始序号", "text", "", desk.problem, "off"))
                (field("last", "截止序号", "text", "", desk.problem, "off"))
                button type="submit" class="secondary" { "分配号段" }
            }
        }
    }
}

/// A county's submission to its city.
fn county_submission(desk: &Desk<'_>) -> Markup {
    html! {
        section aria-labelledby="submission-heading" {
            h2 id="submission-heading" { "报送" }
            p { "核对无误后，将本县（区）报名数据报送市州；报送后采集和修改冻结，市州可退回修改。" }
            form method="post" action="/console/submission" {
                (csrf(&desk.csrf_token)) input type="hidden" name="key" value=(desk.form_key);
                button type="submit" class="secondary" { "报送市州" }
            }
        }
    }
}

/// The schedule's windows and the form that sets or extends one.
fn windows(desk: &Desk<'_>) -> Markup {
    html! {
        @let schedule = desk.state.settings.current().schedule.clone();
        @let now = desk.state.now();
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
                (csrf(&desk.csrf_token))
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
                (field("until", "延长至（YYYY-MM-DD HH:MM）", "text", "", desk.problem, "off"))
                (field("opens_at", "开始（重新设置时）", "text", "", desk.problem, "off"))
                (field("closes_at", "结束（重新设置时）", "text", "", desk.problem, "off"))
                button type="submit" class="secondary" { "保存时间安排" }
            }
        }
    }
}

/// Returning a city's submission for correction.
fn city_returns(desk: &Desk<'_>) -> Markup {
    html! {
        section aria-labelledby="city-returns-heading" {
            h2 id="city-returns-heading" { "退回市州报送" }
            form method="post" action="/console/city-returns" {
                (csrf(&desk.csrf_token))
                div class="field" {
                    label for="city" { "市州" }
                    select id="city" name="city" {
                        @for city in &desk.state.province.cities { option value=(city.code.to_string()) { (city.name) } }
                    }
                }
                (field("reason", "退回理由", "text", "", desk.problem, "off"))
                button type="submit" class="secondary" { "退回修改" }
            }
        }
    }
}

/// The newest operator actions.
fn audit_trail(audit: &[storage::AuditRecord], actor: Option<&str>) -> Markup {
    html! {
        section aria-labelledby="audit-heading" {
            h2 id="audit-heading" { "操作日志（最近 " (AUDITED) " 条）" }
            form method="get" action="/console" class="filters" {
                div class="field" {
                    label for="actor" { "只看操作人（用户名）" }
                    input id="actor" name="actor" type="text" value=(actor.unwrap_or_default());
                }
                button type="submit" class="secondary" { "筛选" }
            }
            table id="audit" {
                caption { @if let Some(actor) = actor { (actor) " 的操作" } @else { "所有操作人" } "（每个请求先记“started”，再记结果）" }
                thead { tr { th scope="col" { "时间" } th scope="col" { "操作人" } th scope="col" { "操作" } th scope="col" { "对象" } th scope="col" { "结果" } } }
                tbody {
                    @for record in audit {
                        tr { td { (record.at.cst_text()) } td { (record.actor) } td { (record.action) } td { (record.target) } td { (record.outcome) } }
                    }
                }
            }
        }
    }
}
