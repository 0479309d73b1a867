//! A candidate's own routes (`/v1/candidates/me/...`): steps 3–8 of the gaokao flow.
//! The scope is the session's own key; there is no way to name another candidate here.

use super::{idempotency_key, load, run, sessions::busy, views::CandidateView};
use crate::error::ApiError;
use crate::orders::{OrderFor, order_id};
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::candidate::form::{
    Elective, ExamType, FirstSubject, Graduation, MailingAddress, RegistrationForm, ResumeEntry,
};
use engine::candidate::{Command, Provider, SavePasswordCheck};
use engine::key::CandidateKey;
use engine::scope::Scope;
use serde::{Deserialize, Serialize};
use storage::StateStore as _;

pub(super) fn own_key(caller: &Caller) -> Result<CandidateKey, ApiError> {
    match caller.0.scope {
        Scope::Candidate(key) => Ok(key),
        _ => Err(ApiError::out_of_scope()),
    }
}

/// Checks a save password on the hashing pool (domain §2.5: every save of registration data
/// needs it). A wrong one is counted durably before the answer, and the count locks saving
/// at the policy's limit; a locked record is refused before any hashing, so a stolen
/// session cannot keep guessing.
pub(super) async fn save_password_check(
    state: &AppState,
    key: CandidateKey,
    provided: Option<&str>,
) -> Result<SavePasswordCheck, ApiError> {
    let Some(password) = provided else {
        return Ok(SavePasswordCheck::NotProvided);
    };
    let candidate = load(state, key).await?;
    let Some(passwords) = &candidate.passwords else {
        return Err(engine::Rejection::PasswordsNotSet.into());
    };
    if candidate.save_password_locked(&state.settings.current().policy) {
        return Err(engine::Rejection::SavePasswordLocked.into());
    }
    let matches = state
        .hasher
        .verify(password.to_owned(), passwords.save_hash.clone())
        .await
        .map_err(busy)?;
    if matches {
        return Ok(SavePasswordCheck::Verified {
            generation: passwords.save_generation,
        });
    }
    let attempt = super::fresh_idempotency_key("save-password-failure")?;
    run(
        state,
        key,
        Command::RecordSavePasswordFailure,
        attempt,
        Vec::new(),
    )
    .await?;
    Err(engine::Rejection::SavePasswordIncorrect.into())
}

/// The body of a candidate's change that carries nothing but the save password (withdrawing
/// a declaration, dropping an art/PE category).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavePasswordOnly {
    pub(super) save_password: Option<String>,
}

fn reply(outcome: &actors::Outcome) -> HttpResponse {
    HttpResponse::Ok().json(outcome.candidate.as_ref().map(CandidateView::from))
}

/// `GET /v1/candidates/me`.
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let candidate = load(&state, own_key(&caller)?).await?;
    Ok(HttpResponse::Ok().json(CandidateView::from(&candidate)))
}

/// `POST /v1/candidates/me/identity-verification`: starts a real-person authentication. The
/// answer's `verification` ticket goes to the identity provider (its SDK in the candidate's
/// app), which returns it in its callback; results for anyone else are refused.
pub async fn start_verification(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let candidate = load(&state, key).await?;
    if candidate.fee.paid.is_none() {
        return Err(engine::Rejection::FeeNotPaid.into());
    }
    let ticket = state.verifications.issue(key, state.now()).ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "entropy_unavailable",
            "cannot start a verification now",
        )
    })?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "verification": ticket,
        "expires_in_seconds": crate::verification::TICKET_TTL_MS / 1000,
    })))
}

/// `POST /v1/candidates/me/fee-orders` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeOrderRequest {
    pub(super) provider: Provider,
}

/// The order to pay.
#[derive(Debug, Serialize)]
pub struct FeeOrderView {
    /// Our order number: give it to the provider.
    pub order_id: String,
    /// Amount due, fen.
    pub amount_fen: u32,
    /// Provider.
    pub provider: Provider,
}

/// `POST /v1/candidates/me/fee-orders`.
pub async fn create_fee_order(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<FeeOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    create_order(
        &state,
        key,
        idempotency_key(&request)?,
        |existing| Command::CreateFeeOrder {
            order_id: order_id(OrderFor::Registration, key, existing.fee.orders.len() + 1),
            provider: body.provider,
        },
        |candidate| Some(&candidate.fee.orders),
    )
    .await
}

/// Creates an order for one of the candidate's fees: `command` builds it from the current
/// record (the order number's sequence), `orders` finds that fee's orders afterwards. On a
/// replayed request the order created the first time is the newest one.
pub(super) async fn create_order(
    state: &AppState,
    key: CandidateKey,
    idempotency: String,
    command: impl FnOnce(&engine::candidate::Candidate) -> Command,
    orders: impl Fn(&engine::candidate::Candidate) -> Option<&Vec<engine::candidate::FeeOrder>>,
) -> Result<HttpResponse, ApiError> {
    let existing = load(state, key).await?;
    // The order number depends on the orders made so far, so a retry would build another
    // command: a request already applied is answered from the record instead.
    let applied = state
        .store
        .idempotent_outcome(&actors::scoped_idempotency_key(key, &idempotency))
        .await?
        .is_some();
    let record = if applied {
        existing
    } else {
        let outcome = run(state, key, command(&existing), idempotency, Vec::new()).await?;
        outcome
            .candidate
            .ok_or(engine::Rejection::CandidateNotFound)?
    };
    let created = orders(&record)
        .and_then(|orders| orders.last())
        .ok_or(engine::Rejection::CandidateNotFound)?;
    Ok(HttpResponse::Created().json(FeeOrderView {
        order_id: created.order_id.clone(),
        amount_fen: created.amount_fen,
        provider: created.provider,
    }))
}

/// `POST /v1/candidates/me/exam-fee-orders`: start paying the exam fee (its own window,
/// after the registration form is signed).
pub async fn create_exam_fee_order(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<FeeOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    create_order(
        &state,
        key,
        idempotency_key(&request)?,
        |existing| Command::CreateExamFeeOrder {
            order_id: order_id(OrderFor::Exam, key, existing.exam_fee.orders.len() + 1),
            provider: body.provider,
        },
        |candidate| Some(&candidate.exam_fee.orders),
    )
    .await
}

/// `GET /v1/candidates/me/admission-ticket.pdf`: the admission ticket, once the exam fee is
/// paid. Exam rooms are allocated later by the province; the ticket says so.
pub async fn admission_ticket(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let candidate = load(&state, own_key(&caller)?).await?;
    admission_ticket_pdf(state, candidate).await
}

/// `GET /v1/candidates/{key}/admission-ticket.pdf`: the same, printed on the candidate's
/// behalf by an operator whose scope covers them.
pub async fn admission_ticket_for(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = super::operators::visible(&state, &caller, &key).await?;
    admission_ticket_pdf(state, candidate).await
}

async fn admission_ticket_pdf(
    state: web::Data<AppState>,
    candidate: engine::candidate::Candidate,
) -> Result<HttpResponse, ApiError> {
    if candidate.exam_fee.paid.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "exam_fee_not_paid",
            "the admission ticket can be printed once the exam fee is paid",
        ));
    }
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    kind: engine::candidate::declaration::DeclarationKind,
    item: String,
    documents: Vec<String>,
    save_password: Option<String>,
}

/// `POST /v1/candidates/me/declarations`: declare a bonus-point or special-plan eligibility.
pub async fn declare(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<DeclarationRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let body = body.into_inner();
    let idempotency = idempotency_key(&request)?;
    let save_password = save_password_check(&state, key, body.save_password.as_deref()).await?;
    let command = Command::Declare {
        kind: body.kind,
        item: body.item,
        documents: body.documents,
        save_password,
    };
    let outcome = run(&state, key, command, idempotency, Vec::new()).await?;
    Ok(HttpResponse::Created().json(outcome.candidate.as_ref().map(CandidateView::from)))
}

/// `DELETE /v1/candidates/me/declarations/{id}`: withdraw a declaration not yet reviewed.
pub async fn withdraw_declaration(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<u32>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let idempotency = idempotency_key(&request)?;
    let body: SavePasswordOnly = crate::body::parse_optional(&body)?;
    let save_password = save_password_check(&state, key, body.save_password.as_deref()).await?;
    let command = Command::WithdrawDeclaration {
        id: *id,
        save_password,
    };
    let outcome = run(&state, key, command, idempotency, Vec::new()).await?;
    Ok(reply(&outcome))
}

/// `PUT /v1/candidates/me/passwords` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordsRequest {
    login_password: Option<String>,
    save_password: Option<String>,
}

/// At least 8 characters with letters and digits; at most 64.
fn check_strength(field: &'static str, password: &str) -> Result<(), ApiError> {
    let long_enough = (8..=64).contains(&password.chars().count());
    let mixed = password.chars().any(|c| c.is_ascii_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit());
    if !long_enough || !mixed {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_weak",
            format!("{field} must be 8–64 characters with both letters and digits"),
        ));
    }
    Ok(())
}

/// The save password must differ from the login password. Only the plaintexts can show it
/// (salted hashes of one password differ), so it is checked here: both new ones against each
/// other, or a single new one against the stored hash of the other.
async fn refuse_identical(
    state: &AppState,
    key: CandidateKey,
    body: &PasswordsRequest,
) -> Result<(), ApiError> {
    // With one new password: it, and whether the other (to compare with) is the save one.
    let (new, other_is_save) = match (&body.login_password, &body.save_password) {
        (Some(login), Some(save)) if login == save => {
            return Err(engine::Rejection::PasswordsIdentical.into());
        }
        (Some(_), Some(_)) | (None, None) => return Ok(()),
        (Some(login), None) => (login, true),
        (None, Some(save)) => (save, false),
    };
    let Some(passwords) = load(state, key).await?.passwords else {
        return Ok(()); // the engine refuses an incomplete first setting
    };
    let other_hash = if other_is_save {
        passwords.save_hash
    } else {
        passwords.login_hash
    };
    let identical = state
        .hasher
        .verify(new.clone(), other_hash)
        .await
        .map_err(busy)?;
    if identical {
        return Err(engine::Rejection::PasswordsIdentical.into());
    }
    Ok(())
}

/// `PUT /v1/candidates/me/passwords`.
pub async fn set_passwords(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<PasswordsRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let idempotency = idempotency_key(&request)?;
    refuse_identical(&state, key, &body).await?;
    let mut hashes = [None, None];
    for (slot, (field, password)) in hashes.iter_mut().zip([
        ("login_password", &body.login_password),
        ("save_password", &body.save_password),
    ]) {
        if let Some(password) = password {
            check_strength(field, password)?;
            *slot = Some(state.hasher.hash(password.clone()).await.map_err(busy)?);
        }
    }
    let [login_hash, save_hash] = hashes;
    let outcome = run(
        &state,
        key,
        Command::SetPasswords {
            login_hash,
            save_hash,
        },
        idempotency,
        Vec::new(),
    )
    .await?;
    Ok(reply(&outcome))
}

/// `PUT /v1/candidates/me/phone` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    phone: String,
    save_password: Option<String>,
}

/// `PUT /v1/candidates/me/phone`. (The SMS verification step belongs to the SMS gateway
/// integration, which these machines cannot reach; the number is checked and bound.)
pub async fn bind_phone(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<PhoneRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let idempotency = idempotency_key(&request)?;
    let save_password = save_password_check(&state, key, body.save_password.as_deref()).await?;
    let outcome = run(
        &state,
        key,
        Command::BindPhone {
            phone: body.phone.clone(),
            save_password,
        },
        idempotency,
        Vec::new(),
    )
    .await?;
    Ok(reply(&outcome))
}

/// `POST /v1/candidates/me/pledge`.
pub async fn accept_pledge(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let outcome = run(
        &state,
        key,
        Command::AcceptPledge,
        idempotency_key(&request)?,
        Vec::new(),
    )
    .await?;
    Ok(reply(&outcome))
}

/// `PUT /v1/candidates/me/form` body: the form plus the save password. Postal fields are
/// accepted by the parser only so that the engine can refuse them by name.
#[derive(Debug, Deserialize)]
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
pub async fn save_form(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: crate::body::Json<FormRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = own_key(&caller)?;
    let idempotency = idempotency_key(&request)?;
    let body = body.into_inner();
    let save_password = save_password_check(&state, key, body.save_password.as_deref()).await?;
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
    let command = Command::SaveForm {
        form: Box::new(form),
        save_password,
    };
    let outcome = run(&state, key, command, idempotency, Vec::new()).await?;
    Ok(reply(&outcome))
}
