//! A point captures a candidate: the ID-card fields and a photo file (or the camera), the
//! photo checked — and its verdict shown — before a serial number is spent.

use super::workspace::{Notice, workspace};
use super::{console_csrf_ok, forbidden, operator_session};
use crate::app::AppError;
use crate::error::ApiError;
use crate::pages::layout::{Problem, respond};
use crate::pages::{see_other, text};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::scope::Scope;
use futures::StreamExt as _;
use maud::{Markup, html};
use std::collections::HashMap;

/// The largest upload a capture takes (a photo is ~30 KB; the API takes 256 KiB of JSON).
pub(super) const MAX_UPLOAD_BYTES: usize = 256 * 1024;

/// `POST /console/capture` (multipart: the ID-card fields and the photo file).
pub(super) async fn capture(
    state: web::Data<AppState>,
    request: HttpRequest,
    mut payload: actix_multipart::Multipart,
) -> HttpResponse {
    let Some((session, token)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let (fields, photo) = match read_multipart(&mut payload).await {
        Ok(parts) => parts,
        Err(problem) => {
            return workspace(&state, &request, session, &token, Some(problem), None).await;
        }
    };
    if !console_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    let Scope::Point(point) = session.scope else {
        let problem = Problem::of(&ApiError::out_of_scope());
        return workspace(&state, &request, session, &token, Some(problem), None).await;
    };
    let outcome = capture_with(&state, point, &fields, photo).await;
    match outcome {
        Ok(serial) => {
            workspace(
                &state,
                &request,
                session,
                &token,
                None,
                Some(Notice::Captured(serial)),
            )
            .await
        }
        Err(error) => {
            let problem = Problem::of(&ApiError::from(error));
            workspace(&state, &request, session, &token, Some(problem), None).await
        }
    }
}

/// `POST /console/photo-check` (multipart, htmx, as soon as a photo is chosen or taken): the
/// photo standard's verdict on it, before the capture is sent — a fragment for
/// `#photo-verdict`.
pub(super) async fn photo_check(
    state: web::Data<AppState>,
    request: HttpRequest,
    mut payload: actix_multipart::Multipart,
) -> HttpResponse {
    let Some((session, _)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    let verdict = match read_multipart(&mut payload).await {
        Err(problem) => Err(problem.message),
        Ok((fields, _)) if !console_csrf_ok(&request, text(&fields, "csrf")) => {
            return forbidden();
        }
        Ok(_) if !matches!(session.scope, Scope::Point(_)) => {
            Err(Problem::of(&ApiError::out_of_scope()).message)
        }
        Ok((_, photo)) => crate::app::capture::check_photo(&state, photo)
            .map(|(_, meta)| meta)
            .map_err(|error| Problem::of(&ApiError::from(error)).message),
    };
    respond(StatusCode::OK, photo_verdict(verdict))
}

/// The verdict on a photo, where the capture form shows it.
fn photo_verdict(verdict: Result<engine::photo::PhotoMeta, String>) -> Markup {
    html! {
        p id="photo-verdict" role="status" aria-live="polite" class=(if verdict.is_ok() { "verdict ok" } else { "verdict error" }) {
            @match verdict {
                Ok(meta) => {
                    "照片合格：" (meta.width_px) "×" (meta.height_px) " 像素，"
                    (meta.bytes.div_ceil(1024)) " KB。"
                }
                Err(message) => { (message) }
            }
        }
    }
}

pub(super) async fn capture_with(
    state: &AppState,
    point: engine::org::PointCode,
    fields: &HashMap<String, String>,
    photo: Vec<u8>,
) -> Result<String, AppError> {
    use base64::Engine as _;
    let body = serde_json::json!({
        "id_number": text(fields, "id_number"),
        "name": text(fields, "name"),
        "gender": text(fields, "gender"),
        "ethnicity": text(fields, "ethnicity").parse::<u8>().unwrap_or(0),
        "birth_date": text(fields, "birth_date"),
        "address": text(fields, "address"),
        "valid_until": text(fields, "valid_until"),
        "category": text(fields, "category"),
        "mode": "card_read",
        "photo_base64": base64::engine::general_purpose::STANDARD.encode(photo),
    });
    let request: crate::app::capture::CaptureRequest = serde_json::from_value(body)
        .map_err(|error| AppError::malformed("invalid_capture", error.to_string()))?;
    let idempotency = match fields
        .get("key")
        .filter(|key| !key.is_empty() && key.len() <= 64)
    {
        Some(key) => format!("console-{key}"),
        None => crate::app::fresh_idempotency_key("console")?,
    };
    let candidate = match crate::app::capture::prepare(state, point, &request, &idempotency).await?
    {
        crate::app::capture::Prepared::Done(candidate) => Some(*candidate),
        crate::app::capture::Prepared::New(capture) => {
            crate::app::capture::commit(state, point, capture, idempotency).await?
        }
    };
    Ok(candidate
        .map(|candidate| candidate.capture.serial.to_string())
        .unwrap_or_default())
}

/// The form's text fields and the photo file, bounded.
pub(super) async fn read_multipart(
    payload: &mut actix_multipart::Multipart,
) -> Result<(HashMap<String, String>, Vec<u8>), Problem> {
    let too_large = || Problem {
        field: Some("photo"),
        message: "上传内容过大：照片不超过 256 KB（body_too_large）".to_owned(),
        retry_after_seconds: None,
    };
    let malformed = || Problem {
        field: None,
        message: "表单无法读取（malformed_body）".to_owned(),
        retry_after_seconds: None,
    };
    let mut fields = HashMap::new();
    let mut photo = Vec::new();
    let mut total = 0usize;
    while let Some(part) = payload.next().await {
        let mut part = part.map_err(|_| malformed())?;
        let name = part.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| malformed())?;
            total += chunk.len();
            if total > MAX_UPLOAD_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "photo" {
            photo = bytes;
        } else {
            fields.insert(name, String::from_utf8(bytes).map_err(|_| malformed())?);
        }
    }
    Ok((fields, photo))
}
