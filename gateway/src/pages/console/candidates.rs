//! What operators do to one candidate or a point's list: signatures, printed forms,
//! moral evaluations, approvals of the special cases, declaration reviews, the list's
//! export and login cards.

use super::{act, frame, operator_session};
use crate::app::AppError;
use crate::app::operator::{ListFilter, Operator};
use crate::error::ApiError;
use crate::pages::layout::{Problem, alert, respond};
use crate::pages::{see_other, text};
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::scope::Scope;
use maud::html;
use std::collections::HashMap;

/// `POST /console/candidates/{key}/signature`: the point confirms the printed form was
/// signed.
pub(super) async fn signature(
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
pub(super) async fn printable(
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
    answer.unwrap_or_else(|error| super::cannot_print(&error))
}

/// `POST /console/candidates/{key}/moral-evaluation` (the point or county).
pub(super) async fn moral_evaluation(
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
pub(super) async fn export(
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
pub(super) async fn login_cards(
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

/// `POST /console/candidates/{key}/declarations/{id}` (county, then city): approve, or
/// reject with a reason the candidate sees.
pub(super) async fn review(
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
pub(super) async fn approve(
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

/// `GET /console/candidates/{key}`: one candidate as an operator in scope sees them — where
/// the record stands, what is still open, the documents to print, and the timeline of
/// everything that happened to it, newest first.
pub(super) async fn candidate_page(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let caller = Caller(session.clone());
    let (candidate, timeline) = match Operator::of(&state, &caller).timeline(&key, None).await {
        Ok(found) => found,
        Err(error) => {
            let error = ApiError::from(error);
            return respond(
                error.status,
                frame(
                    "无法查看考生",
                    Some(&session),
                    html! {
                        h1 { "无法查看考生" }
                        (alert(Some(&Problem::of(&error))))
                        p { a href="/console" { "返回工作台" } }
                    },
                ),
            );
        }
    };
    let status = candidate.status();
    let paid = |fee: &engine::candidate::FeeAccount| match &fee.paid {
        Some(payment) => format!(
            "已缴 {}.{:02} 元（{}，{}）",
            payment.amount_fen / 100,
            payment.amount_fen % 100,
            payment.provider.chinese(),
            payment.paid_at.cst_text()
        ),
        None => "未缴".to_owned(),
    };
    let open: Vec<&str> = [
        (candidate.id_verification_pending, "待报名点现场核验身份"),
        (candidate.migrant_audit_pending, "待县区随迁子女资格审核"),
        (
            candidate.document_approval_pending,
            "待市州批准其他身份证件",
        ),
    ]
    .into_iter()
    .filter_map(|(pending, label)| pending.then_some(label))
    .collect();
    let name = candidate.capture.id_card.name.clone();
    let body = html! {
        p { a href="/console" { "← 返回工作台" } }
        h1 { (name) " · 报名号 " (candidate.capture.serial.to_string()) }
        dl class="record" {
            dt { "身份证号" } dd { (candidate.capture.id_card.id_number.masked()) }
            dt { "报名点" } dd { (candidate.capture.point.to_string()) }
            dt { "当前步骤" } dd id="candidate-status" { (super::workspace::step_label(status.name())) }
            dt { "待办" } dd { @if open.is_empty() { "无" } @else { (open.join("；")) } }
            dt { "报名费" } dd { (paid(&candidate.fee)) }
            dt { "考试费" } dd { (paid(&candidate.exam_fee)) }
            dt { "报名信息" } dd {
                @match (candidate.form_version, &candidate.form_saved_at) {
                    (0, _) | (_, None) => { "未填写" }
                    (version, Some(at)) => { "第 " (version) " 版，" (at.cst_text()) " 保存" }
                }
                @if let Some(signed) = candidate.signed_version { "；第 " (signed) " 版已签字确认" }
            }
            dt { "思想品德考核" } dd {
                @match &candidate.moral_evaluation {
                    Some(evaluation) => { @if evaluation.qualified { "合格" } @else { "不合格" } "（" (evaluation.opinion) "）" }
                    None => { "未录入" }
                }
            }
            @for declaration in &candidate.declarations {
                dt { "申报：" (declaration.kind.chinese()) } dd { (declaration.item) " · " (declaration.review.chinese()) }
            }
            @for (category, entry) in &candidate.art_pe {
                dt { (category.chinese()) } dd { (entry.main_item) " · " (paid(&entry.fee)) }
            }
        }
        @if status >= engine::candidate::Status::FormSaved {
            p { a href={"/console/candidates/" (candidate.key.to_string()) "/registration-form.pdf"} { "打印报名表（PDF）" } }
        }
        section aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { "办理记录（最新在前）" }
            table id="timeline" {
                caption { "共 " (timeline.len()) " 条" }
                thead { tr { th scope="col" { "时间" } th scope="col" { "事项" } } }
                tbody {
                    @for entry in &timeline {
                        tr data-event=(entry.event) { td { (entry.at) } td { (entry.summary) } }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, frame(&name, Some(&session), body))
}
