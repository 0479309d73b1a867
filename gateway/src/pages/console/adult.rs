//! The adult exam in the console: a confirmation point confirms the candidates who chose it
//! (the photo taken on site, the checks, the pledge copied out) and prints their tickets;
//! the province numbers the admission tickets; a county downloads its exam materials.

use super::workspace::workspace;
use super::{act, console_csrf_ok, forbidden, operator_session};
use crate::app::AppError;
use crate::app::adult::{exam, operator};
use crate::error::ApiError;
use crate::pages::layout::{Problem, csrf};
use crate::pages::{see_other, text};
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::adult::{AdultCandidate, Status};
use engine::scope::Scope;
use maud::{Markup, html};
use std::collections::HashMap;

/// `POST /console/adult/{key}/confirm` (multipart: the photo and the checks).
pub(super) async fn confirm(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
    mut payload: actix_multipart::Multipart,
) -> HttpResponse {
    let Some((session, token)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let (fields, photo) = match super::capture::read_multipart(&mut payload).await {
        Ok(parts) => parts,
        Err(problem) => {
            return workspace(&state, &request, session, &token, Some(problem), None).await;
        }
    };
    if !console_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let on_site = operator::OnSite {
        photo,
        qualification_checked: text(&fields, "qualification_checked") == "yes",
        bonus_checked: text(&fields, "bonus_checked") == "yes",
        pledge_transcribed: text(&fields, "pledge_transcribed") == "yes",
    };
    let idempotency = format!("console-confirm-{}", text(&fields, "key"));
    let caller = Caller(session.clone());
    match operator::confirm(&state, &caller, &key, on_site, idempotency).await {
        Ok(_) => see_other("/console"),
        Err(error) => {
            let problem = Problem::of(&ApiError::from(error));
            workspace(&state, &request, session, &token, Some(problem), None).await
        }
    }
}

/// `POST /console/adult/numbering[?force=true]` (province): the force is in the query, so
/// the audit trail records it.
pub(super) async fn numbering(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let force = request.query_string() == "force=true";
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        exam::number(state, &Caller(session), force)
            .await
            .map(|_| ())
    })
    .await
}

/// `GET /console/adult/{key}/admission-ticket.pdf`: the point prints a ticket.
pub(super) async fn ticket(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let answer = async {
        let (record, photo) = exam::print_ticket_for(&state, &Caller(session), &key).await?;
        crate::routes::adult_exam::ticket_pdf(&state, record, photo).await
    };
    answer
        .await
        .unwrap_or_else(|error: ApiError| super::cannot_print(&error))
}

/// `GET /console/adult/{key}/flow-form.pdf`: the point prints a candidate's flow form.
pub(super) async fn flow_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let answer = async {
        let record = operator::registration(&state, &Caller(session), &key).await?;
        crate::routes::adult_exam::flow_form_pdf(&state, &record).await
    };
    answer
        .await
        .unwrap_or_else(|error: ApiError| super::cannot_print(&error))
}

/// `GET /console/adult/exam-materials.pdf` (a county): its sites' materials.
pub(super) async fn materials(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let Scope::County(county) = session.scope else {
        return super::cannot_print(&ApiError::from(AppError::out_of_scope()));
    };
    crate::routes::adult_exam::materials_pdf(&state, &Caller(session), county)
        .await
        .unwrap_or_else(|error| super::cannot_print(&error))
}

/// What the workspace shows of the adult exam, by level (read here so the workspace
/// itself stays a list of sections).
pub(super) async fn section(
    state: &AppState,
    caller: &Caller,
    csrf_token: &str,
    form_key: &str,
) -> Markup {
    match caller.0.scope {
        Scope::Point(point) => {
            let waiting = operator::at_point(
                state,
                caller,
                &point.to_string(),
                Some(Status::PointChosen.name()),
                None,
                Some(50),
            )
            .await
            .unwrap_or_default();
            let seated = operator::at_point(
                state,
                caller,
                &point.to_string(),
                Some(Status::Seated.name()),
                None,
                Some(50),
            )
            .await
            .unwrap_or_default();
            let unpaid = if state
                .settings
                .current()
                .adult
                .calendar
                .payment_open(state.now())
                .is_err()
            {
                operator::at_point(
                    state,
                    caller,
                    &point.to_string(),
                    Some(Status::Confirmed.name()),
                    None,
                    Some(50),
                )
                .await
                .unwrap_or_default()
            } else {
                Vec::new()
            };
            html! {
                (point_section(&waiting, &seated, csrf_token, form_key))
                (super::adult_admin::unpaid_section(&unpaid, csrf_token, form_key))
            }
        }
        Scope::County(_) => html! {
            (super::adult_admin::section(state, caller, csrf_token, form_key).await)
            section aria-labelledby="adult-heading" {
                h2 id="adult-heading" { "成人高考考务资料" }
                p { a href="/console/adult/exam-materials.pdf" { "下载本县区考点的门贴、座位表和签到表（PDF）" } }
            }
        },
        Scope::City(_) => super::adult_admin::section(state, caller, csrf_token, form_key).await,
        Scope::Province => html! {
            (super::adult_admin::section(state, caller, csrf_token, form_key).await)
            section aria-labelledby="adult-heading" {
                h2 id="adult-heading" { "成人高考准考证编排" }
                p { "按各市州划定的参考范围和审定的考点，统一编排准考证号、考场和座位；已打印准考证的考生不改号（强制重排须记录在案）。" }
                form method="post" action="/console/adult/numbering" {
                    (csrf(csrf_token))
                    button type="submit" class="secondary" { "编排准考证号" }
                }
                form method="post" action="/console/adult/numbering?force=true" {
                    (csrf(csrf_token))
                    button type="submit" class="secondary" { "强制重排（会改变已打印的准考证号，记入操作日志）" }
                }
            }
        },
        _ => html! {},
    }
}

fn point_section(
    waiting: &[AdultCandidate],
    seated: &[AdultCandidate],
    csrf_token: &str,
    form_key: &str,
) -> Markup {
    let name = |record: &AdultCandidate| {
        record
            .info
            .as_ref()
            .map(|info| info.name.clone())
            .unwrap_or_default()
    };
    html! {
        section aria-labelledby="adult-heading" {
            h2 id="adult-heading" { "成人高考现场确认" }
            table id="adult-waiting" {
                caption { "待现场确认 " (waiting.len()) " 人" }
                thead { tr { th scope="col" { "姓名" } th scope="col" { "层次·科类" } th scope="col" { "现场确认" } } }
                tbody {
                    @for record in waiting {
                        @let key = record.key.to_string();
                        tr {
                            td { (name(record)) br; a href={"/console/adult/" (key) "/flow-form.pdf"} { "打印流程表" } }
                            td { @if let Some(v) = &record.volunteers { (v.level().chinese()) " · " (v.category) } }
                            td {
                                form method="post" action={"/console/adult/" (key) "/confirm"} enctype="multipart/form-data" {
                                    (csrf(csrf_token)) input type="hidden" name="key" value={(key) "-" (form_key)};
                                    div class="field" {
                                        label for={"adult-photo-" (key)} { "现场照片（JPEG）" }
                                        input id={"adult-photo-" (key)} name="photo" type="file" accept="image/jpeg" capture="user";
                                    }
                                    @for (name, label) in [("qualification_checked", "已审核报考资格"), ("bonus_checked", "已核对照顾加分材料"), ("pledge_transcribed", "考生已抄录诚信考试承诺书")] {
                                        div class="check" {
                                            input type="checkbox" id={(name) "-" (key)} name=(name) value="yes";
                                            label for={(name) "-" (key)} { (label) }
                                        }
                                    }
                                    button type="submit" class="secondary" { "确认报名信息" }
                                }
                            }
                        }
                    }
                }
            }
            @if !seated.is_empty() {
                table id="adult-seated" {
                    caption { "已编排准考证 " (seated.len()) " 人" }
                    thead { tr { th scope="col" { "姓名" } th scope="col" { "准考证号" } th scope="col" { "打印" } } }
                    tbody {
                        @for record in seated {
                            tr {
                                td { (name(record)) }
                                td { @if let Some(seat) = &record.seat { (seat.ticket) } }
                                td { a href={"/console/adult/" (record.key.to_string()) "/admission-ticket.pdf"} { "代打印准考证" } }
                            }
                        }
                    }
                }
            }
        }
    }
}
