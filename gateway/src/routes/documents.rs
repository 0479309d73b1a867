//! Printable documents: the registration form (step 9), printed by the candidate or, on the
//! candidate's behalf, by an operator whose scope covers them (the point, usually); and the
//! login cards a point hands its candidates (steps 4–5).

use super::operators::visible;
use crate::app::candidate::Myself;
use crate::app::documents as printable;
use crate::documents::DocumentError;
use crate::documents::login_card::{self, CardRun, LoginCard};
use crate::documents::registration_form::{self, FormSheet};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::get;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use engine::candidate::Candidate;
use engine::org::PointCode;
use storage::StateStore;

impl From<DocumentError> for ApiError {
    fn from(error: DocumentError) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "document_failed",
            error.to_string(),
        )
    }
}

/// `GET /v1/candidates/me/registration-form.pdf`.
#[utoipa::path(
    tag = "documents",
    summary = "The caller's registration form (PDF with photo) to print and sign",
    description = "Who may call it: candidate (after the first form save).",
    responses(
        (status = OK, description = "the registration form to check and sign", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/me/registration-form.pdf")]
pub async fn own_registration_form(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let candidate = Myself::of(&state, &caller)?.record().await?;
    registration_form_pdf(state, candidate).await
}

/// `GET /v1/candidates/{key}/registration-form.pdf`.
#[utoipa::path(
    tag = "documents",
    summary = "A candidate's registration form (PDF), printed on the candidate's behalf",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::KeyPath,
    ),
    responses(
        (status = OK, description = "the candidate's registration form", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}/registration-form.pdf")]
pub async fn candidate_registration_form(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = visible(&state, &caller, &key).await?;
    registration_form_pdf(state, candidate).await
}

pub(crate) async fn registration_form_pdf(
    state: web::Data<AppState>,
    candidate: Candidate,
) -> Result<HttpResponse, ApiError> {
    printable::registration_form(&candidate)?;
    let point = candidate.capture.point;
    let county = state.store.county(point.county()).await?;
    let point_name = county
        .as_ref()
        .and_then(|county| county.points.get(&point.number()))
        .map(|point| point.name.clone())
        .unwrap_or_default();
    let photo = state
        .store
        .photo(&candidate.capture.photo.sha256)
        .await?
        .ok_or(DocumentError::Photo("the captured photo is missing".into()))?;
    let printed_at = state.now();
    let serial = candidate.capture.serial;
    // Subsetting the font and compressing streams is CPU work: keep it off the I/O workers.
    let pdf = web::block(move || {
        let province = &state.province;
        let city_name = province
            .city(point.county().city())
            .map_or("", |city| city.name);
        let county_name = province.county_name(point.county());
        let form = candidate.form.as_ref().ok_or(DocumentError::Write(
            "the form disappeared while printing".into(),
        ))?;
        registration_form::render(FormSheet {
            candidate: &candidate,
            form,
            province_name: province.name,
            city_name,
            county_name,
            point_name: &point_name,
            photo,
            printed_at,
        })
    })
    .await
    .map_err(|error| DocumentError::Write(error.to_string()))??;
    Ok(pdf_response(
        pdf,
        &format!("registration-form-{serial}.pdf"),
    ))
}

/// `GET /v1/candidates/{key}/migrant-audit-form.pdf`: 随迁子女报名资格审核表, printed at the
/// point for the candidate to take to the county with the supporting documents.
#[utoipa::path(
    tag = "documents",
    summary = "The migrant worker's child's eligibility audit form (PDF with photo)",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::KeyPath,
    ),
    responses(
        (status = OK, description = "the migrant worker's child eligibility audit form", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}/migrant-audit-form.pdf")]
pub async fn migrant_audit_form(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = visible(&state, &caller, &key).await?;
    printable::migrant_audit_form(&candidate)?;
    let point = candidate.capture.point;
    let county_name = state.province.county_name(point.county());
    let decision = if candidate.migrant_audit_pending {
        "待审核"
    } else {
        "审核通过"
    };
    let sheet = crate::documents::ticket::TicketSheet {
        extra: ("户籍地址", candidate.capture.id_card.address.clone()),
        columns: ["报名点", "审核机构", "审核结论"],
        rows: vec![[
            point.to_string(),
            format!("{county_name}招生考试机构"),
            decision.to_owned(),
        ]],
        notes: vec![
            "考生持本表及父母就业、居住、学籍等证明材料到县市区招生考试机构审核；".into(),
            "审核通过后开通报名权限。".into(),
        ],
        ..crate::documents::ticket::TicketSheet::for_candidate(
            &candidate,
            format!("{}普通高等学校招生考生报名资格审核表", state.province.name),
            "随迁子女报名资格审核表",
            state.now(),
        )
    };
    let filename = format!("migrant-audit-form-{}.pdf", candidate.capture.serial);
    ticket_pdf(state, &candidate, sheet, filename).await
}

pub use printable::MAX_LOGIN_CARDS;

/// `?status=` of the point's list of login cards.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CardFilter {
    /// Only candidates in this status (e.g. `captured`: not logged in yet).
    #[param(
        pattern = "^(captured|activated|paid|authenticated|passwords_set|form_saved|signed|evaluated)$"
    )]
    status: Option<String>,
    /// Continue after this candidate key (the previous run's `X-Next-After`).
    #[param(pattern = "^[0-9a-f]{32}$")]
    after: Option<String>,
    /// Cards in this run (1–1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `GET /v1/candidates/{key}/login-card.pdf`: one candidate's card, for an operator whose
/// scope covers them.
#[utoipa::path(
    tag = "documents",
    summary = "A candidate's login card (PDF)",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::KeyPath,
    ),
    responses(
        (status = OK, description = "the candidate's login card (first-login instructions)", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/candidates/{key}/login-card.pdf")]
pub async fn candidate_login_card(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = visible(&state, &caller, &key).await?;
    let point = candidate.capture.point;
    let filename = format!("login-card-{}.pdf", candidate.capture.serial);
    login_cards_pdf(state, point, vec![candidate], filename).await
}

/// `GET /v1/points/{point}/login-cards.pdf[?status=captured&after=&limit=]`: the cards of a
/// point's candidates, four to a page, in serial order within a run of at most
/// [`MAX_LOGIN_CARDS`]; a point with more is printed in runs, each answer's `X-Next-After`
/// header naming where the next run starts.
#[utoipa::path(
    tag = "documents",
    summary = "A point's login cards, four to a page (PDF; ?status= to filter; runs of ?limit= cards, X-Next-After for ?after=)",
    description = "Who may call it: operators in scope.",
    params(
        crate::routes::documents::CardFilter,
        crate::routes::PointPath,
    ),
    responses(
        (status = OK, description = "login cards of the point's candidates, one page each", content_type = "application/pdf", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/points/{point}/login-cards.pdf")]
pub async fn point_login_cards(
    state: web::Data<AppState>,
    caller: Caller,
    point: web::Path<String>,
    filter: web::Query<CardFilter>,
) -> Result<HttpResponse, ApiError> {
    let point: PointCode = point.parse()?;
    let (candidates, next) = printable::point_login_cards(
        &state,
        &caller,
        point,
        filter.status.as_deref(),
        filter.after.as_deref(),
        filter.limit,
    )
    .await?;
    let mut pdf = login_cards_pdf(
        state.clone(),
        point,
        candidates,
        format!("login-cards-{point}.pdf"),
    )
    .await?;
    if let Some(next) = next
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&next.to_string())
    {
        pdf.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-next-after"),
            value,
        );
    }
    Ok(pdf)
}

pub(crate) async fn login_cards_pdf(
    state: web::Data<AppState>,
    point: PointCode,
    candidates: Vec<Candidate>,
    filename: String,
) -> Result<HttpResponse, ApiError> {
    let county = state.store.county(point.county()).await?;
    let point_name = county
        .as_ref()
        .and_then(|county| county.points.get(&point.number()))
        .map(|point| point.name.clone())
        .unwrap_or_default();
    let printed_at = state.now();
    let pdf = web::block(move || {
        let county_name = state.province.county_name(point.county());
        let cards: Vec<LoginCard> = candidates
            .iter()
            .map(|candidate| LoginCard {
                serial: candidate.capture.serial.to_string(),
                name: candidate.capture.id_card.name.clone(),
                masked_id: candidate.capture.id_card.id_number.masked(),
            })
            .collect();
        login_card::render(
            &CardRun {
                site_url: &state.public_url,
                issuer: &format!("{county_name} · {point_name}"),
                printed_at,
            },
            &cards,
        )
    })
    .await
    .map_err(|error| DocumentError::Write(error.to_string()))??;
    Ok(pdf_response(pdf, &filename))
}

/// Renders a ticket (`sheet`, without the photo) for `candidate`, with the captured photo,
/// as an inline PDF response named `filename`.
pub(super) async fn ticket_pdf(
    state: web::Data<AppState>,
    candidate: &Candidate,
    mut sheet: crate::documents::ticket::TicketSheet,
    filename: String,
) -> Result<HttpResponse, ApiError> {
    sheet.photo = state
        .store
        .photo(&candidate.capture.photo.sha256)
        .await?
        .ok_or(DocumentError::Photo("the captured photo is missing".into()))?;
    let pdf = web::block(move || crate::documents::ticket::render(&sheet))
        .await
        .map_err(|error| DocumentError::Write(error.to_string()))??;
    Ok(pdf_response(pdf, &filename))
}

/// A generated PDF as an inline, never-cached response.
pub(super) fn pdf_response(pdf: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"{filename}\""),
        ))
        .body(pdf)
}
