//! A candidate's own routes (`/v1/candidates/me/...`): steps 3–8 of the gaokao flow.
//! The scope is the session's own key; there is no way to name another candidate here.

use super::{idempotency_key, views::CandidateView};
use crate::app::candidate::Myself;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post, put};
use engine::candidate::FeeKind;
use engine::candidate::Provider;
use engine::candidate::form::{
    Elective, ExamType, FirstSubject, Graduation, MailingAddress, RegistrationForm, ResumeEntry,
};
use serde::Deserialize;

/// The body of a candidate's change that carries nothing but the save password (withdrawing
/// a declaration, dropping an art/PE category).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavePasswordOnly {
    pub(super) save_password: Option<String>,
}

fn reply(outcome: &actors::Outcome) -> HttpResponse {
    HttpResponse::Ok().json(outcome.candidate.as_ref().map(CandidateView::from))
}

/// `GET /v1/candidates/me`.
#[utoipa::path(
    tag = "candidates",
    summary = "The caller's own registration",
    description = "Who may call it: candidate.",
    responses(
        (status = OK, description = "the caller's record", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let (candidate, being_recorded) = myself.record_and_pending().await?;
    Ok(HttpResponse::Ok().json(CandidateView::from(&candidate).being_recorded(being_recorded)))
}

/// `POST /v1/candidates/me/identity-verification`: starts a real-person authentication. The
/// answer's `verification` ticket goes to the identity provider (its SDK in the candidate's
/// app), which returns it in its callback; results for anyone else are refused.
#[utoipa::path(
    tag = "candidates",
    summary = "Start a real-person authentication: a ticket for the identity provider, bound to this candidate (30 min)",
    description = "Who may call it: candidate (fee paid).",
    responses(
        (status = CREATED, description = "a ticket for the identity provider", body = crate::app::candidate::Verification),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/me/identity-verification")]
pub async fn start_verification(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let started = Myself::of(&state, &caller)?.start_verification().await?;
    Ok(HttpResponse::Created().json(started))
}

/// `POST /v1/candidates/me/fee-orders` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeOrderRequest {
    pub(super) provider: Provider,
    /// `qr` (a QR code to scan, the default) or `mobile` (pay in this phone's browser).
    #[serde(default)]
    pub(super) channel: Option<crate::providers::Channel>,
}

impl FeeOrderRequest {
    /// Who pays, and how.
    pub(super) fn payer(&self, request: &HttpRequest) -> crate::app::candidate::Payer {
        crate::app::candidate::Payer {
            provider: self.provider,
            channel: self.channel.unwrap_or(crate::providers::Channel::Qr),
            client_ip: crate::audit::client_address(request),
        }
    }
}

/// `POST /v1/candidates/me/fee-orders`.
#[utoipa::path(
    tag = "candidates",
    summary = "Create a registration-fee order",
    description = "Who may call it: candidate.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::FeeOrderRequest,
    responses(
        (status = CREATED, description = "the order to pay", body = crate::app::candidate::FeeOrderView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/me/fee-orders")]
pub async fn create_fee_order(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<FeeOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let order = Myself::of(&state, &caller)?
        .create_order(
            FeeKind::Registration,
            body.payer(&request),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(HttpResponse::Created().json(order))
}

/// `POST /v1/candidates/me/payment-status`: "refresh payment status".
#[utoipa::path(
    tag = "candidates",
    summary = "Refresh payment status: ask the providers about my unpaid orders and record what was paid",
    description = "Who may call it: candidate.",
    responses(
        (status = OK, description = "what the providers said", body = crate::reconciliation::Report),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/me/payment-status")]
pub async fn refresh_payment_status(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let report = Myself::of(&state, &caller)?.refresh_payments().await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `POST /v1/candidates/me/exam-fee-orders`: start paying the exam fee (its own window,
/// after the registration form is signed).
#[utoipa::path(
    tag = "candidates",
    summary = "An order for the exam fee (its own window, after the form is signed)",
    description = "Who may call it: candidate.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::FeeOrderRequest,
    responses(
        (status = CREATED, description = "the order to pay", body = crate::app::candidate::FeeOrderView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/me/exam-fee-orders")]
pub async fn create_exam_fee_order(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<FeeOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let order = Myself::of(&state, &caller)?
        .create_order(
            FeeKind::Exam,
            body.payer(&request),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(HttpResponse::Created().json(order))
}

/// `GET /v1/candidates/me/admission-ticket.pdf`: the admission ticket, once the exam fee is
/// paid. Exam rooms are allocated later by the province; the ticket says so.
#[utoipa::path(
    tag = "candidates",
    summary = "The admission ticket (PDF with photo), once the exam fee is paid",
    description = "Who may call it: candidate.",
    responses(
        (status = OK, description = "the admission ticket", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/me/admission-ticket.pdf")]
pub async fn admission_ticket(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let candidate = Myself::of(&state, &caller)?.record().await?;
    admission_ticket_pdf(state, candidate).await
}

/// `GET /v1/candidates/{key}/admission-ticket.pdf`: the same, printed on the candidate's
/// behalf by an operator whose scope covers them.
#[utoipa::path(
    tag = "candidates",
    summary = "A candidate's admission ticket (PDF), printed on the candidate's behalf",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::KeyPath,
    ),
    responses(
        (status = OK, description = "the candidate's admission ticket", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}/admission-ticket.pdf")]
pub async fn admission_ticket_for(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = super::operators::visible(&state, &caller, &key).await?;
    admission_ticket_pdf(state, candidate).await
}

pub(crate) async fn admission_ticket_pdf(
    state: web::Data<AppState>,
    candidate: engine::candidate::Candidate,
) -> Result<HttpResponse, ApiError> {
    crate::app::documents::admission_ticket(&candidate)?;
    let point = candidate.capture.point;
    let county_name = state.province.county_name(point.county());
    let track = match candidate.capture.track {
        engine::candidate::Track::Gaokao => "普通高考",
        engine::candidate::Track::JuvenileClass => "少年班",
    };
    let sheet = crate::documents::ticket::TicketSheet {
        extra: ("报考类型", track.to_owned()),
        columns: ["报名点", "县市区", "考场安排"],
        rows: vec![[
            point.to_string(),
            county_name.to_owned(),
            "考前另行公布".to_owned(),
        ]],
        notes: vec![
            "考生须知：凭本证和第二代居民身份证参加考试；考点、考场以考前公布为准。".into(),
        ],
        ..crate::documents::ticket::TicketSheet::for_candidate(
            &candidate,
            format!("{}普通高等学校招生全国统一考试", state.province.name),
            "准考证",
            state.now(),
        )
    };
    let filename = format!("admission-ticket-{}.pdf", candidate.capture.serial);
    super::documents::ticket_pdf(state, &candidate, sheet, filename).await
}

/// `POST /v1/candidates/me/declarations` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    kind: engine::candidate::declaration::DeclarationKind,
    item: String,
    documents: Vec<String>,
    save_password: Option<String>,
}

/// `POST /v1/candidates/me/declarations`: declare a bonus-point or special-plan eligibility.
#[utoipa::path(
    tag = "candidates",
    summary = "Declare a bonus-point or special-plan eligibility with supporting documents (needs the save password)",
    description = "Who may call it: candidate (declaration window).",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::DeclarationRequest,
    responses(
        (status = CREATED, description = "declared", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[post("/v1/candidates/me/declarations")]
pub async fn declare(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<DeclarationRequest>,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let body = body.into_inner();
    let outcome = myself
        .declare(
            body.kind,
            body.item,
            body.documents,
            body.save_password.as_deref(),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(HttpResponse::Created().json(outcome.candidate.as_ref().map(CandidateView::from)))
}

/// `DELETE /v1/candidates/me/declarations/{id}`: withdraw a declaration not yet reviewed.
#[utoipa::path(
    tag = "candidates",
    summary = "Withdraw a declaration not yet reviewed (body: the save password)",
    description = "Who may call it: candidate (declaration window).",
    params(
        ("id" = u32, Path, description = "the declaration's number on the candidate's record"),
        crate::routes::IdempotencyKey,
    ),
    request_body(content = Option<crate::routes::candidates::SavePasswordOnly>, description = "the save password, when one is set"),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[delete("/v1/candidates/me/declarations/{id}")]
pub async fn withdraw_declaration(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<u32>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let body: SavePasswordOnly = crate::body::parse_optional(&body)?;
    let outcome = myself
        .withdraw_declaration(
            *id,
            body.save_password.as_deref(),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(reply(&outcome))
}

/// `PUT /v1/candidates/me/passwords` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordsRequest {
    login_password: Option<String>,
    save_password: Option<String>,
}

/// `PUT /v1/candidates/me/passwords`.
#[utoipa::path(
    tag = "candidates",
    summary = "Set or change login and save passwords",
    description = "Who may call it: candidate.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::PasswordsRequest,
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[put("/v1/candidates/me/passwords")]
pub async fn set_passwords(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<PasswordsRequest>,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let body = body.into_inner();
    let outcome = myself
        .set_passwords(
            body.login_password,
            body.save_password,
            idempotency_key(&request)?,
        )
        .await?;
    Ok(reply(&outcome))
}

/// `PUT /v1/candidates/me/phone` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    phone: String,
    save_password: Option<String>,
}

/// `PUT /v1/candidates/me/phone`.
#[utoipa::path(
    tag = "candidates",
    summary = "Bind a mobile phone (needs the save password)",
    description = "Who may call it: candidate.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::PhoneRequest,
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[put("/v1/candidates/me/phone")]
pub async fn bind_phone(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<PhoneRequest>,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let body = body.into_inner();
    let outcome = myself
        .bind_phone(
            body.phone,
            body.save_password.as_deref(),
            idempotency_key(&request)?,
        )
        .await?;
    Ok(reply(&outcome))
}

/// `POST /v1/candidates/me/pledge`.
#[utoipa::path(
    tag = "candidates",
    summary = "Accept the integrity pledge",
    description = "Who may call it: candidate.",
    params(
        crate::routes::IdempotencyKey,
    ),
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/candidates/me/pledge")]
pub async fn accept_pledge(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let outcome = Myself::of(&state, &caller)?
        .accept_pledge(idempotency_key(&request)?)
        .await?;
    Ok(reply(&outcome))
}

/// `PUT /v1/candidates/me/form` body: the form plus the save password. Postal fields are
/// accepted by the parser only so that the engine can refuse them by name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormRequest {
    save_password: Option<String>,
    exam_type: ExamType,
    first_subject: Option<FirstSubject>,
    #[serde(default)]
    electives: Vec<Elective>,
    vocational_group: Option<String>,
    graduation: Graduation,
    school: String,
    urban_rural_code: u16,
    resume: Vec<ResumeEntry>,
    postal_address: Option<String>,
    recipient: Option<String>,
    postcode: Option<String>,
}

/// `PUT /v1/candidates/me/form`.
#[utoipa::path(
    tag = "candidates",
    summary = "Save the registration form (needs the save password)",
    description = "Who may call it: candidate.",
    params(
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::candidates::FormRequest,
    responses(
        (status = OK, description = "the candidate's record after the change", body = crate::routes::views::CandidateView),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("hashing-write"))),
)]
#[put("/v1/candidates/me/form")]
pub async fn save_form(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<FormRequest>,
) -> Result<HttpResponse, ApiError> {
    let myself = Myself::of(&state, &caller)?;
    let idempotency = idempotency_key(&request)?;
    let body = body.into_inner();
    let mailing =
        (body.postal_address.is_some() || body.recipient.is_some() || body.postcode.is_some())
            .then(|| MailingAddress {
                postal_address: body.postal_address.unwrap_or_default(),
                recipient: body.recipient.unwrap_or_default(),
                postcode: body.postcode.unwrap_or_default(),
            });
    let form = RegistrationForm {
        exam_type: body.exam_type,
        first_subject: body.first_subject,
        electives: body.electives,
        vocational_group: body.vocational_group,
        graduation: body.graduation,
        school: body.school,
        urban_rural_code: body.urban_rural_code,
        resume: body.resume,
        mailing,
    };
    let outcome = myself
        .save_form(form, body.save_password.as_deref(), idempotency)
        .await?;
    Ok(reply(&outcome))
}
