//! Printable documents: the registration form (step 9), printed by the candidate or, on the
//! candidate's behalf, by an operator whose scope covers them (the point, usually).

use super::{candidates::own_key, load, operators::visible};
use crate::documents::DocumentError;
use crate::documents::registration_form::{self, FormSheet};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use engine::candidate::Candidate;
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
pub async fn own_registration_form(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let candidate = load(&state, own_key(&caller)?).await?;
    registration_form_pdf(state, candidate).await
}

/// `GET /v1/candidates/{key}/registration-form.pdf`.
pub async fn registration_form(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let candidate = visible(&state, &caller, &key).await?;
    registration_form_pdf(state, candidate).await
}

async fn registration_form_pdf(
    state: web::Data<AppState>,
    candidate: Candidate,
) -> Result<HttpResponse, ApiError> {
    if candidate.form.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "form_not_saved",
            "the registration form has not been saved yet; save it before printing",
        ));
    }
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
        let county_name = province
            .county(point.county())
            .map_or("", |county| county.name);
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
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"registration-form-{serial}.pdf\""),
        ))
        .body(pdf))
}
