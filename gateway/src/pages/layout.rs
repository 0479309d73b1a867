//! The page frame every page shares, the candidate's step tracker, and refusals in Chinese.

use crate::error::ApiError;
use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, html};

/// A whole page: zh-CN, mobile first, the style sheet and htmx, a skip link, `main`.
pub fn page(title: &str, body: Markup) -> Markup {
    page_of("普通高考网上报名", title, body)
}

/// [`page`] under another exam's name (`brand`).
pub fn page_of(brand: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // htmx would otherwise inject an inline style, which the CSP refuses.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false}"#;
                title { (title) " · " (brand) }
                link rel="stylesheet" href="/assets/site.css";
                script src="/assets/htmx.min.js" defer {}
            }
            body {
                a class="skip" href="#main" { "跳到正文" }
                header class="top" {
                    p class="brand" { (brand) }
                }
                main id="main" tabindex="-1" { (body) }
                footer { p { "如遇问题请联系所在报名点。" } }
            }
        }
    }
}

/// A page as an HTTP answer with `status`, uncached, under the pages' CSP.
pub fn respond(status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Security-Policy", super::CONTENT_SECURITY_POLICY))
        .body(markup.into_string())
}

/// One step of the candidate's registration, as the tracker shows it.
pub struct Step {
    /// What it is called.
    pub name: &'static str,
    /// Whether it is done.
    pub done: bool,
}

/// The step tracker: done steps ticked, the first open one marked current.
pub fn tracker(steps: &[Step]) -> Markup {
    let current = steps.iter().position(|step| !step.done);
    html! {
        nav aria-label="报名进度" {
            ol class="steps" {
                @for (index, step) in steps.iter().enumerate() {
                    @let state = if step.done { "done" } else if Some(index) == current { "current" } else { "todo" };
                    li class=(state) aria-current=[(Some(index) == current).then_some("step")] {
                        span class="mark" aria-hidden="true" { @if step.done { "✓" } @else { (index + 1) } }
                        " " (step.name)
                        @if step.done { span class="visually-hidden" { "（已完成）" } }
                        @else if Some(index) == current { span class="visually-hidden" { "（当前步骤）" } }
                    }
                }
            }
        }
    }
}

/// A refusal, for a page: which field it belongs to (if any), and what to tell the person.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The form field it is about, so the message can stand beside it.
    pub field: Option<&'static str>,
    /// Chinese text (with the code, for the help desk).
    pub message: String,
    /// For admission refusals: when to come back.
    pub retry_after_seconds: Option<u64>,
}

impl Problem {
    /// The API's refusal, said in Chinese where the code is known.
    pub fn of(error: &ApiError) -> Problem {
        let (field, text): (Option<&'static str>, &str) = match error.code {
            "save_password_incorrect" | "save_password_required" => {
                (Some("save_password"), "保存密码不正确，请重新输入。")
            }
            "save_password_locked" => (
                Some("save_password"),
                "保存密码错误次数过多，已锁定；请到报名点重置密码。",
            ),
            "invalid_credentials" => (None, "登录信息不正确，请核对后重试。"),
            "password_too_weak" | "weak_password" => (
                Some("login_password"),
                "密码至少 8 位，须同时包含字母和数字。",
            ),
            "passwords_identical" => (Some("save_password"), "保存密码不能与登录密码相同。"),
            "photo_format" | "photo_unreadable" | "photo_dimensions" | "photo_size" => {
                (Some("photo"), "照片不符合标准：")
            }
            "fee_already_paid" => (None, "报名费已缴纳，请勿重复支付。"),
            "fee_not_paid" => (None, "请先缴纳报名费。"),
            "provider_unavailable" => {
                (Some("provider"), "该支付方式暂未开通，请选择其他支付方式。")
            }
            "provider_unreachable" => (None, "支付平台暂时无法连接，请稍后重试。"),
            "form_field_invalid" => (None, "报名表填写有误："),
            "registration_paused" => (None, "报名系统暂停服务，请稍后再来。"),
            "outside_region_slot" => (None, "现在不是您所在地区的报名时段。"),
            "queued" | "waiting_room" => (None, "当前访问人数较多，您已进入排队。"),
            "rate_limited" | "too_many_requests" => (None, "请求过于频繁，请稍后重试。"),
            "window_closed" | "window_not_yet_open" | "window_not_configured" => {
                (None, "当前不在报名时间内。")
            }
            // The adult exam's.
            "username_taken" => (Some("username"), "该用户名已被使用，请换一个。"),
            "username_invalid" => (
                Some("username"),
                "用户名为 4–32 位小写字母、数字或下划线，以字母开头。",
            ),
            "second_choice_level_not_allowed" => (None, "第二志愿的层次不符合规定："),
            "second_choice_crosses_major_category" => (None, "专升本第二志愿不能跨专业类填报："),
            "category_not_offered" => (None, "该层次没有这个科类："),
            "step_missing" => (None, "请先完成前面的步骤："),
            "registration_confirmed" => (None, "报名信息已现场确认，不能再修改。"),
            "point_not_for_candidate" => (None, "该确认点不能办理您的确认："),
            "outside_working_hours" => (None, "不在确认点的办理时间内："),
            "adult_registration_closed" => (None, "不在您的报名时间内："),
            "payment_closed" => (None, "缴费已截止："),
            "not_confirmed" => (None, "报名信息尚未现场确认，确认后才能缴费。"),
            "awaiting_city_approval" => (None, "证件正在市州审核，审核通过后才能缴费。"),
            "not_the_chosen_point" => (None, "考生选择的不是本确认点。"),
            _ => (None, ""),
        };
        let message = if text.is_empty() {
            format!("操作未成功（{}）：{}", error.code, error.message)
        } else if text.ends_with('：') {
            format!("{text}{}（{}）", error.message, error.code)
        } else {
            format!("{text}（{}）", error.code)
        };
        Problem {
            field,
            message,
            retry_after_seconds: error.retry_after_seconds,
        }
    }
}

/// Admission control turned the page away: why, and when to come back. With htmx the page
/// asks again by itself every so often and shows the registration once admitted (a refused
/// retry changes nothing on screen); without script, the "try now" link does the same. (Not a
/// `meta` refresh: a timed reload takes the page away from someone still reading it, WCAG
/// 2.2.1.) In the waiting room it shows the place and keeps the ticket in a cookie for its
/// retries.
pub fn refused(state: &crate::state::AppState, error: &ApiError) -> HttpResponse {
    let problem = Problem::of(error);
    let wait = error
        .queue
        .as_ref()
        .map(|place| place.estimated_wait_seconds)
        .or(error.retry_after_seconds)
        .unwrap_or(30);
    // Look again at most every half minute: a pause may end early, a queue moves.
    let refresh = wait.clamp(5, 30);
    let body = html! {
        h1 { @if error.queue.is_some() { "正在排队" } @else { "请稍后再来" } }
        div class="alert" role="status" aria-live="polite" {
            p { (problem.message) }
            @if let Some(place) = &error.queue {
                p { "您前面还有 " strong { (place.position.saturating_sub(1)) } " 人，预计等待约 " (place.estimated_wait_seconds.div_ceil(60).max(1)) " 分钟。" }
                p { "请不要关闭本页，轮到您时页面会自动进入。" }
            } @else {
                p { "请在约 " (wait.div_ceil(60).max(1)) " 分钟后再来；本页会自动重试。" }
            }
        }
        p { a href="/" { "立即重试" } }
    };
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // htmx would otherwise inject an inline style, which the CSP refuses.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false}"#;
                title { "请稍后 · 普通高考网上报名" }
                link rel="stylesheet" href="/assets/site.css";
                script src="/assets/htmx.min.js" defer {}
            }
            body {
                main id="main" hx-get="/" hx-trigger={"every " (refresh) "s"} hx-target="#main" hx-select="#main" hx-swap="outerHTML" {
                    (body)
                }
            }
        }
    };
    let mut response = respond(error.status, markup);
    if let Some(seconds) = error.retry_after_seconds {
        let _ = response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    if let Some(place) = &error.queue {
        let _ = response.add_cookie(&super::cookie(
            state,
            super::TICKET_COOKIE,
            place.ticket.clone(),
            3600,
        ));
    }
    response
}

/// A refusal not tied to a field, as an alert at the top of the page.
pub fn alert(problem: Option<&Problem>) -> Markup {
    html! {
        @if let Some(problem) = problem.filter(|p| p.field.is_none()) {
            div class="alert" role="alert" {
                p { (problem.message) }
                @if let Some(seconds) = problem.retry_after_seconds {
                    p { "请在 " (seconds.div_ceil(60).max(1)) " 分钟后再试。" }
                }
            }
        }
    }
}

/// A labelled input; a refusal about it stands beside it, tied by `aria-describedby`.
pub fn field(
    name: &'static str,
    label: &str,
    kind: &str,
    value: &str,
    problem: Option<&Problem>,
    autocomplete: &str,
) -> Markup {
    let error = problem.filter(|p| p.field == Some(name));
    let error_id = format!("{name}-error");
    html! {
        div class="field" {
            label for=(name) { (label) }
            // A refused field takes the focus (and the screen), so its message is read first.
            input id=(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete)
                autofocus[error.is_some()]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())];
            @if let Some(error) = error {
                p class="error" id=(error_id) { (error.message) }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
