//! Art/PE professional exams (艺术类、体育类专业统考), for the candidate: choose categories
//! with their items, pay each one, print the professional exam ticket for the paid ones.

use super::candidates::{FeeOrderRequest, SavePasswordOnly};
use super::{idempotency_key, views::CandidateView};
use crate::app::candidate::Myself;
use crate::documents::ticket::TicketSheet;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post, put};
use engine::candidate::FeeKind;
use engine::candidate::art_pe::ArtCategory;
use serde::Deserialize;

fn category_named(name: &str) -> Result<ArtCategory, ApiError> {
    ArtCategory::named(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "art_pe_category_unknown",
            format!(
                "no art/PE category '{name}'; one of {}",
                ArtCategory::ALL.map(ArtCategory::name).join(", ")
            ),
        )
    })
}

/// `PUT /v1/candidates/me/art-pe/{category}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseRequest {
    main_item: String,
    sub_item: Option<String>,
    save_password: Option<String>,
}

/// `PUT /v1/candidates/me/art-pe/{category}`: choose a category (or change its items while
/// unpaid).
#[utoipa::path(
    tag = "art_pe",
    summary = "Choose an art/PE category with its main/sub items (or change them while unpaid; needs the save password)",
    description = "Who may call it: candidate (art/PE window, phone bound).",
    params(
        ("category" = String, Path, description = "art/PE category: music, dance, fine_arts, broadcasting, calligraphy, pe, …"),
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::art_pe::ChooseRequest,
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[put("/v1/candidates/me/art-pe/{category}")]
pub async fn choose(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    category: web::Path<String>,
    body: crate::body::Json<ChooseRequest>,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let category = category_named(&category)?;
    let body = body.into_inner();
    let outcome = myself
        .choose_art_category(
            category,
            body.main_item,
            body.sub_item,
            body.save_password.as_deref(),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(outcome.candidate.as_ref().map(CandidateView::from)))
}

/// `DELETE /v1/candidates/me/art-pe/{category}`: drop an unpaid category without orders.
#[utoipa::path(
    tag = "art_pe",
    summary = "Drop an unpaid art/PE category that has no order (body: the save password)",
    description = "Who may call it: candidate (art/PE window).",
    params(
        ("category" = String, Path, description = "art/PE category: music, dance, fine_arts, broadcasting, calligraphy, pe, …"),
        crate::routes::IdempotencyKey,
    ),
    request_body(content = Option<crate::routes::candidates::SavePasswordOnly>, description = "the save password, when one is set"),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[delete("/v1/candidates/me/art-pe/{category}")]
pub async fn drop_category(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    category: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let category = category_named(&category)?;
    let body: SavePasswordOnly = crate::body::parse_optional(&body)?;
    let outcome = myself
        .drop_art_category(
            category,
            body.save_password.as_deref(),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(outcome.candidate.as_ref().map(CandidateView::from)))
}

/// `POST /v1/candidates/me/art-pe/{category}/fee-orders`: an order for one category's fee.
#[utoipa::path(
    tag = "art_pe",
    summary = "An order for one art/PE category's fee",
    description = "Who may call it: candidate (art/PE window).",
    params(
        ("category" = String, Path, description = "art/PE category: music, dance, fine_arts, broadcasting, calligraphy, pe, …"),
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::FeeOrderRequest,
    responses(
        (status = CREATED, description = "the order to pay", body = crate::app::candidate::FeeOrderView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/me/art-pe/{category}/fee-orders")]
pub async fn create_fee_order(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    category: web::Path<String>,
    body: crate::body::Json<FeeOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let category = category_named(&category)?;
    let order = Myself::of(&state, &caller)?
        .create_order(
            FeeKind::ArtPe(category),
            body.payer(&request),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(HttpResponse::Created().json(order))
}

/// `GET /v1/candidates/me/art-pe/exam-ticket.pdf`: the professional exam ticket, listing
/// the paid categories (only those may be sat).
#[utoipa::path(
    tag = "art_pe",
    summary = "The art/PE professional exam ticket (PDF with photo) listing the paid categories",
    description = "Who may call it: candidate (after paying a category).",
    responses(
        (status = OK, description = "the art/PE professional exam ticket", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/me/art-pe/exam-ticket.pdf")]
pub async fn exam_ticket(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let candidate = Myself::of(&state, &caller)?.record().await?;
    exam_ticket_pdf(state, candidate).await
}

/// `GET /v1/candidates/{key}/art-pe/exam-ticket.pdf`: the same, printed on the candidate's
/// behalf by an operator whose scope covers them.
#[utoipa::path(
    tag = "art_pe",
    summary = "A candidate's art/PE exam ticket (PDF), printed on the candidate's behalf",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::KeyPath,
    ),
    responses(
        (status = OK, description = "the candidate's art/PE exam ticket", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}/art-pe/exam-ticket.pdf")]
pub async fn exam_ticket_for(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = super::operators::visible(&state, &caller, &key).await?;
    exam_ticket_pdf(state, candidate).await
}

pub(crate) async fn exam_ticket_pdf(
    state: web::Data<AppState>,
    candidate: engine::candidate::Candidate,
) -> Result<HttpResponse, ApiError> {
    let rows = crate::app::documents::art_pe_exam_ticket(&candidate)?
        .into_iter()
        .map(|(category, main, sub)| {
            [
                category.chinese().to_owned(),
                main,
                sub.unwrap_or_else(|| "—".to_owned()),
            ]
        })
        .collect::<Vec<_>>();
    let sheet = TicketSheet {
        extra: ("报考类别", format!("{} 类", rows.len())),
        columns: ["专业类别", "主项", "辅项"],
        rows,
        notes: vec![
            "考生须知：凭本证和第二代居民身份证参加考试；仅已缴费的专业类别可参加考试。".into(),
        ],
        ..TicketSheet::for_candidate(
            &candidate,
            format!("{}普通高校招生艺术类、体育类专业统考", state.province.name),
            "准考证",
            state.now(),
        )
    };
    super::documents::ticket_pdf(
        state,
        &candidate,
        sheet,
        format!("art-pe-exam-ticket-{}.pdf", candidate.capture.serial),
    )
    .await
}
