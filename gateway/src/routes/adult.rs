//! The adult exam over HTTP (成人高考): a candidate's own account and registration
//! (`/v1/adult/accounts`, `/v1/adult/sessions`, `/v1/adult/me/…`), the approved
//! confirmation points to choose from, and what operators do — counties propose points,
//! cities and the province review them, points confirm candidates on site, cities approve
//! other identity documents. The use cases are `crate::app::adult`; these parse, call and
//! render.

use super::idempotency_key;
use super::sessions::SessionView;
use crate::admission::gate::ticket_of;
use crate::app::adult::{self, Registrant, operator, points};
use crate::app::session::{Client, Issued};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post, put};
use engine::adult::AdultCandidate;
use engine::adult::confirmation::ConfirmationPoint;
use engine::adult::info::BasicInfo;
use engine::adult::volunteer::Volunteers;
use serde::{Deserialize, Serialize};

/// An adult-exam registration as its candidate and operators see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdultView {
    /// The registration's key.
    key: String,
    /// Username.
    username: String,
    /// `registered`, `filled`, `point_chosen`, `awaiting_city_approval`, `confirmed`,
    /// `paid`, `seated`.
    status: &'static str,
    /// Confirmed and paid.
    valid: bool,
    /// The pledge was accepted.
    pledge_accepted: bool,
    /// The basic information.
    #[schema(value_type = Option<Object>)]
    info: Option<BasicInfo>,
    /// The volunteers.
    #[schema(value_type = Option<Object>)]
    volunteers: Option<Volunteers>,
    /// The chosen confirmation point.
    point: Option<String>,
    /// When confirmed, Unix milliseconds.
    confirmed_at_ms: Option<i64>,
    /// Fee orders (order number, amount in fen, provider).
    #[schema(value_type = Vec<Object>)]
    fee_orders: Vec<serde_json::Value>,
    /// The fee is paid.
    fee_paid: bool,
    /// Payments beyond the first (kept, never applied twice).
    surplus_payments: usize,
    /// Saves of the information and volunteers before confirmation.
    edits: u32,
    /// Why a confirmed candidate did not pay, when recorded.
    unpaid_reason: Option<String>,
    /// The admission-ticket number, once numbered.
    ticket: Option<String>,
}

impl From<&AdultCandidate> for AdultView {
    fn from(record: &AdultCandidate) -> Self {
        AdultView {
            key: record.key.to_string(),
            username: record.username.clone(),
            status: record.status().name(),
            valid: record.valid(),
            pledge_accepted: record.pledge_accepted_at.is_some(),
            info: record.info.clone(),
            volunteers: record.volunteers.clone(),
            point: record.point.map(|point| point.to_string()),
            confirmed_at_ms: record.confirmation.as_ref().map(|c| c.at.0),
            fee_orders: record
                .fee
                .orders
                .iter()
                .map(|order| {
                    serde_json::json!({
                        "order_id": order.order_id,
                        "amount_fen": order.amount_fen,
                        "provider": order.provider.name(),
                    })
                })
                .collect(),
            fee_paid: record.fee.paid.is_some(),
            surplus_payments: record.fee.surplus.len(),
            edits: record.edits,
            unpaid_reason: record.unpaid_reason.clone(),
            ticket: record.seat.as_ref().map(|seat| seat.ticket.clone()),
        }
    }
}

/// A confirmation point as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AdultPointView)]
pub struct PointView {
    /// Its code (`430102-002`).
    code: String,
    /// Its name.
    name: String,
    /// 联系人.
    contact: String,
    /// 联系电话.
    phone: String,
    /// The levels it confirms (`high_to_bachelor`, `high_to_junior`, `junior_to_bachelor`).
    levels: Vec<&'static str>,
    /// Designated for medical candidates.
    medical: bool,
    /// Designated for candidates under 17.
    under_17: bool,
    /// `proposed`, `city_reviewed`, `approved`, `refused`.
    approval: engine::adult::confirmation::PointApproval,
    /// Why it was refused.
    refused_because: Option<String>,
}

impl From<&ConfirmationPoint> for PointView {
    fn from(point: &ConfirmationPoint) -> Self {
        PointView {
            code: point.code.to_string(),
            name: point.name.clone(),
            contact: point.contact.clone(),
            phone: point.phone.clone(),
            levels: point.levels.iter().map(|level| level.name()).collect(),
            medical: point.medical,
            under_17: point.under_17,
            approval: point.approval,
            refused_because: point.refused_because.clone(),
        }
    }
}

fn reply(record: &AdultCandidate) -> HttpResponse {
    HttpResponse::Ok().json(AdultView::from(record))
}

/// `POST /v1/adult/accounts` and `POST /v1/adult/sessions` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 4–32 lower-case letters, digits or `_`, starting with a letter.
    #[schema(pattern = "^[a-z][a-z0-9_]{3,31}$")]
    username: String,
    /// 8–64 characters with letters and digits.
    password: String,
}

fn client(request: &HttpRequest) -> Client {
    Client {
        address: crate::audit::client_address(request),
        ticket: ticket_of(request.headers()),
    }
}

fn session(issued: Issued, created: bool) -> HttpResponse {
    let view = SessionView {
        token: issued.token,
        expires_at_ms: issued.expires_at.0,
        role: issued.scope.role(),
        password_change_required: false,
    };
    if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    }
}

/// `POST /v1/adult/accounts`: self-registration.
#[utoipa::path(
    tag = "adult",
    summary = "Make an adult-exam account (username, password); answers with a session",
    description = "Who may call it: anyone; rate-limited per username and address.",
    request_body = crate::routes::adult::Credentials,
    responses(
        (status = CREATED, description = "the account's session", body = crate::routes::sessions::SessionView),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/accounts")]
pub async fn create_account(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let issued = adult::register(&state, &client(&request), &body.username, &body.password).await?;
    Ok(session(issued, true))
}

/// `POST /v1/adult/sessions`: login.
#[utoipa::path(
    tag = "adult",
    summary = "Adult-exam login (username, password)",
    description = "Who may call it: anyone; rate-limited; one refusal for every failure.",
    request_body = crate::routes::adult::Credentials,
    responses(
        (status = OK, description = "a session", body = crate::routes::sessions::SessionView),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/sessions")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: crate::body::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let issued = adult::login(&state, &client(&request), &body.username, &body.password).await?;
    Ok(session(issued, false))
}

/// `GET /v1/adult/me`.
#[utoipa::path(
    tag = "adult",
    summary = "The caller's adult-exam registration",
    description = "Who may call it: the adult-exam candidate.",
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/adult/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(reply(&Registrant::of(&state, &caller)?.record().await?))
}

/// `POST /v1/adult/me/pledge`.
#[utoipa::path(
    tag = "adult",
    summary = "Accept the integrity pledge",
    description = "Who may call it: the adult-exam candidate.",
    params(crate::routes::IdempotencyKey),
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/adult/me/pledge")]
pub async fn pledge(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let record = Registrant::of(&state, &caller)?
        .accept_pledge(idempotency_key(&request)?)
        .await?;
    Ok(reply(&record))
}

/// `PUT /v1/adult/me/info`.
#[utoipa::path(
    tag = "adult",
    summary = "Save the basic information (until confirmed)",
    description = "Who may call it: the adult-exam candidate.",
    params(crate::routes::IdempotencyKey),
    request_body(content = engine::adult::info::BasicInfo, description = "the basic information"),
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/adult/me/info")]
pub async fn save_info(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<BasicInfo>,
) -> Result<HttpResponse, ApiError> {
    let record = Registrant::of(&state, &caller)?
        .save_info(body.into_inner(), idempotency_key(&request)?)
        .await?;
    Ok(reply(&record))
}

/// `PUT /v1/adult/me/volunteers`.
#[utoipa::path(
    tag = "adult",
    summary = "Save the volunteers (until confirmed)",
    description = "Who may call it: the adult-exam candidate.",
    params(crate::routes::IdempotencyKey),
    request_body(content = engine::adult::volunteer::Volunteers, description = "the volunteers"),
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/adult/me/volunteers")]
pub async fn save_volunteers(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<Volunteers>,
) -> Result<HttpResponse, ApiError> {
    let record = Registrant::of(&state, &caller)?
        .save_volunteers(body.into_inner(), idempotency_key(&request)?)
        .await?;
    Ok(reply(&record))
}

/// `PUT /v1/adult/me/point` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointChoice {
    /// An approved confirmation point's code.
    #[schema(pattern = "^[0-9]{6}-[0-9]{3}$", example = "430102-001")]
    point: String,
}

/// `PUT /v1/adult/me/point`.
#[utoipa::path(
    tag = "adult",
    summary = "Choose the confirmation point (until confirmed)",
    description = "Who may call it: the adult-exam candidate.",
    params(crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::PointChoice,
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[put("/v1/adult/me/point")]
pub async fn choose_point(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<PointChoice>,
) -> Result<HttpResponse, ApiError> {
    let record = Registrant::of(&state, &caller)?
        .choose_point(&body.point, idempotency_key(&request)?)
        .await?;
    Ok(reply(&record))
}

/// `POST /v1/adult/me/fee-orders`.
#[utoipa::path(
    tag = "adult",
    summary = "Order the fee (once confirmed)",
    description = "Who may call it: the adult-exam candidate.",
    params(crate::routes::IdempotencyKey),
    request_body = crate::routes::candidates::FeeOrderRequest,
    responses((status = CREATED, description = "the order to pay", body = crate::app::candidate::FeeOrderView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/adult/me/fee-orders")]
pub async fn order_fee(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<super::candidates::FeeOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let order = Registrant::of(&state, &caller)?
        .order_fee(body.payer(&request), idempotency_key(&request)?)
        .await?;
    Ok(HttpResponse::Created().json(order))
}

/// `GET /v1/adult/confirmation-points` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointsQuery {
    /// Only this city's (four digits).
    #[param(pattern = "^[0-9]{4}$")]
    city: Option<String>,
}

/// `GET /v1/adult/confirmation-points`: what candidates choose from.
#[utoipa::path(
    tag = "adult",
    summary = "The approved confirmation points (of a city)",
    description = "Who may call it: anyone.",
    params(crate::routes::adult::PointsQuery),
    responses((status = OK, description = "the points", body = Vec<crate::routes::adult::PointView>)),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/confirmation-points")]
pub async fn confirmation_points(
    state: web::Data<AppState>,
    query: web::Query<PointsQuery>,
) -> Result<HttpResponse, ApiError> {
    let city = match query.city.as_deref() {
        Some(code) => Some(
            code.parse::<engine::org::CityCode>()
                .map_err(crate::app::AppError::from)?,
        ),
        None => None,
    };
    let points: Vec<PointView> = points::approved(&state, city)
        .await?
        .iter()
        .map(PointView::from)
        .collect();
    Ok(HttpResponse::Ok().json(points))
}

/// `POST /v1/adult/counties/{county}/confirmation-points`: a county proposes one.
#[utoipa::path(
    tag = "adult",
    summary = "Propose a confirmation point (its city reviews it, then the province)",
    description = "Who may call it: the county.",
    params(crate::routes::CountyPath, crate::routes::IdempotencyKey),
    request_body = crate::app::adult::points::Proposal,
    responses((status = CREATED, description = "the proposed point", body = crate::routes::adult::PointView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/counties/{county}/confirmation-points")]
pub async fn propose_point(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    county: web::Path<String>,
    body: crate::body::Json<points::Proposal>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let county: engine::org::CountyCode = county.parse().map_err(crate::app::AppError::from)?;
    let point = points::propose(&state, &caller.0.scope, county, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(PointView::from(&point)))
}

/// `POST /v1/adult/confirmation-points/{point}/review` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointReview {
    approved: bool,
    /// Why, when refused.
    #[serde(default)]
    reason: String,
}

/// `POST /v1/adult/confirmation-points/{point}/review`.
#[utoipa::path(
    tag = "adult",
    summary = "Review a confirmation point: the city a proposal, the province one the city passed",
    description = "Who may call it: the point's city, the province.",
    params(crate::routes::PointPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::PointReview,
    responses((status = OK, description = "the point", body = crate::routes::adult::PointView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/confirmation-points/{point}/review")]
pub async fn review_point(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    point: web::Path<String>,
    body: crate::body::Json<PointReview>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let code: engine::org::PointCode = point.parse().map_err(crate::app::AppError::from)?;
    let point = points::review(&state, &caller.0.scope, code, body.approved, &body.reason).await?;
    Ok(HttpResponse::Ok().json(PointView::from(&point)))
}

/// `POST /v1/adult/registrations/{key}/confirmation` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The photo taken on site, JPEG, base64.
    photo_base64: String,
    /// The qualification was checked.
    qualification_checked: bool,
    /// The bonus documents were checked.
    #[serde(default)]
    bonus_checked: bool,
    /// The candidate copied out the integrity pledge.
    pledge_transcribed: bool,
}

/// `POST /v1/adult/registrations/{key}/confirmation`: the point confirms on site.
#[utoipa::path(
    tag = "adult",
    summary = "Confirm a registration on site (photo, checks, the pledge transcribed)",
    description = "Who may call it: the candidate's chosen confirmation point.",
    params(crate::routes::KeyPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::Confirmation,
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/registrations/{key}/confirmation")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
    body: crate::body::Json<Confirmation>,
) -> Result<HttpResponse, ApiError> {
    use base64::Engine as _;
    let photo = base64::engine::general_purpose::STANDARD
        .decode(body.photo_base64.as_bytes())
        .map_err(|_| {
            ApiError::from(crate::app::AppError::invalid(
                "photo_encoding",
                "photo_base64 is not valid base64",
            ))
        })?;
    let on_site = operator::OnSite {
        photo,
        qualification_checked: body.qualification_checked,
        bonus_checked: body.bonus_checked,
        pledge_transcribed: body.pledge_transcribed,
    };
    let record =
        operator::confirm(&state, &caller, &key, on_site, idempotency_key(&request)?).await?;
    Ok(reply(&record))
}

/// `POST /v1/adult/registrations/{key}/document-approval`: the city approves another
/// identity document.
#[utoipa::path(
    tag = "adult",
    summary = "Approve another identity document (HK/Macao/Taiwan, overseas Chinese, foreign)",
    description = "Who may call it: the city of the candidate's confirmation point.",
    params(crate::routes::KeyPath, crate::routes::IdempotencyKey),
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/registrations/{key}/document-approval")]
pub async fn approve_documents(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record =
        operator::approve_documents(&state, &caller, &key, idempotency_key(&request)?).await?;
    Ok(reply(&record))
}

/// `GET /v1/adult/registrations/{key}`.
#[utoipa::path(
    tag = "adult",
    summary = "A registration, for operators covering its confirmation point",
    description = "Who may call it: operators in scope.",
    params(crate::routes::KeyPath),
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/registrations/{key}")]
pub async fn registration(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(reply(&operator::registration(&state, &caller, &key).await?))
}

/// `GET /v1/adult/confirmation-points/{point}/registrations` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistrationsQuery {
    /// Only this status.
    /// Empty: every status (a form's "all").
    #[param(
        pattern = "^(|registered|filled|point_chosen|awaiting_city_approval|confirmed|paid|seated)$"
    )]
    status: Option<String>,
    /// After this key (paging).
    #[param(pattern = "^[0-9a-f]{32}$")]
    after: Option<String>,
    /// At most this many (1–500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// `GET /v1/adult/confirmation-points/{point}/registrations`.
#[utoipa::path(
    tag = "adult",
    summary = "A confirmation point's registrations (of a status), paged",
    description = "Who may call it: operators covering the point.",
    params(crate::routes::PointPath, crate::routes::adult::RegistrationsQuery),
    responses((status = OK, description = "the registrations", body = Vec<crate::routes::adult::AdultView>)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/confirmation-points/{point}/registrations")]
pub async fn at_point(
    state: web::Data<AppState>,
    caller: Caller,
    point: web::Path<String>,
    query: web::Query<RegistrationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let list = operator::at_point(
        &state,
        &caller,
        &point,
        query.status.as_deref(),
        query.after.as_deref(),
        query.limit,
    )
    .await?;
    let view: Vec<AdultView> = list.iter().map(AdultView::from).collect();
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/adult/registrations/{key}/unpaid-reason` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why (1–200 characters).
    reason: String,
}

/// `POST /v1/adult/registrations/{key}/unpaid-reason`: after the payment deadline.
#[utoipa::path(
    tag = "adult",
    summary = "Record why a confirmed candidate did not pay (after the payment deadline)",
    description = "Who may call it: the point that confirmed the candidate.",
    params(crate::routes::KeyPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::Reason,
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/registrations/{key}/unpaid-reason")]
pub async fn unpaid_reason(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
    body: crate::body::Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let record = operator::record_unpaid_reason(
        &state,
        &caller,
        &key,
        &body.reason,
        idempotency_key(&request)?,
    )
    .await?;
    Ok(reply(&record))
}

/// `POST /v1/adult/me/exemption`.
#[utoipa::path(
    tag = "adult",
    summary = "Apply for admission without the exam (免试入学), once the registration is valid",
    description = "Who may call it: the adult-exam candidate.",
    params(crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::Reason,
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/adult/me/exemption")]
pub async fn apply_exemption(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let record = Registrant::of(&state, &caller)?
        .apply_exemption(&body.reason, idempotency_key(&request)?)
        .await?;
    Ok(reply(&record))
}

/// `POST /v1/adult/registrations/{key}/exemption-review` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    approved: bool,
    /// Why, when refused.
    #[serde(default)]
    reason: String,
}

/// `POST /v1/adult/registrations/{key}/exemption-review`.
#[utoipa::path(
    tag = "adult",
    summary = "Review an exemption application: the candidate's city first, then the province",
    description = "Who may call it: the candidate's city, the province.",
    params(crate::routes::KeyPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::Review,
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/registrations/{key}/exemption-review")]
pub async fn review_exemption(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
    body: crate::body::Json<Review>,
) -> Result<HttpResponse, ApiError> {
    let record = operator::review_exemption(
        &state,
        &caller,
        &key,
        body.approved,
        &body.reason,
        idempotency_key(&request)?,
    )
    .await?;
    Ok(reply(&record))
}

/// `POST /v1/adult/registrations/{key}/bonus` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BonusRequest {
    /// Points, 1–50.
    #[schema(minimum = 1, maximum = 50)]
    points: u8,
    /// The policy it rests on.
    reason: String,
}

/// `POST /v1/adult/registrations/{key}/bonus`.
#[utoipa::path(
    tag = "adult",
    summary = "Enter bonus points (照顾加分) for a valid registration",
    description = "Who may call it: the candidate's city.",
    params(crate::routes::KeyPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult::BonusRequest,
    responses((status = OK, description = "the registration", body = crate::routes::adult::AdultView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/registrations/{key}/bonus")]
pub async fn enter_bonus(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    key: web::Path<String>,
    body: crate::body::Json<BonusRequest>,
) -> Result<HttpResponse, ApiError> {
    let record = operator::enter_bonus(
        &state,
        &caller,
        &key,
        body.points,
        &body.reason,
        idempotency_key(&request)?,
    )
    .await?;
    Ok(reply(&record))
}

/// `GET /v1/adult/calendar`.
#[utoipa::path(
    tag = "adult",
    summary = "The adult exam's calendar in force (times in Unix milliseconds, hours in minutes of the day)",
    description = "Who may call it: anyone.",
    responses((status = OK, description = "the calendar", body = Object)),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/calendar")]
pub async fn calendar(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.settings.current().adult.calendar)
}

/// `PUT /v1/adult/calendar`.
#[utoipa::path(
    tag = "adult",
    summary = "Replace the adult exam's calendar (durable, audited, on every node within a second)",
    description = "Who may call it: province.",
    params(crate::routes::IdempotencyKey),
    request_body(content = engine::adult::confirmation::AdultCalendar, description = "the calendar"),
    responses((status = OK, description = "the calendar in force", body = engine::adult::confirmation::AdultCalendar)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[put("/v1/adult/calendar")]
pub async fn set_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<engine::adult::confirmation::AdultCalendar>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    crate::app::settings::set_adult_calendar(&state, &caller, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(&state.settings.current().adult.calendar))
}
