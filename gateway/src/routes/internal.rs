//! Node-to-node requests (scale-out mode only). One: a serial number, assigned by the node
//! that owns the counties (the organisation partition) for a capture taking place on the
//! node that owns the candidate's shard. Signed over method, path, time, nonce and body
//! under the deployment's node-request key ring ([`crate::node_auth`]); replays are refused.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::org::PointCode;
use engine::serial::{SerialNumber, SubjectCategory};
use serde::{Deserialize, Serialize};
use storage::{Journal as _, Partition};

/// `POST /v1/internal/serials`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialRequest {
    point: u64,
    category: SubjectCategory,
    #[serde(default)]
    migrant_child: bool,
    idempotency_key: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SerialReply {
    /// The eight-digit printed form.
    serial: String,
}

/// Assigns a serial on this node (which must own the counties).
pub async fn serial(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = super::payments::callback_body(body)?;
    state
        .internal
        .verify(
            request.method().as_str(),
            request.path(),
            |name| {
                request
                    .headers()
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned)
            },
            &body,
            state.now().0,
        )
        .map_err(|error| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "signature_invalid",
                error.to_string(),
            )
        })?;
    let asked: SerialRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request("invalid_body", error.to_string()))?;
    let point = PointCode::from_u64(asked.point)
        .ok_or_else(|| ApiError::bad_request("invalid_point", "not a point code"))?;
    if state.store.owner_epoch(Partition::Organisation).is_none() {
        // Ownership moved while the request travelled: the caller retries.
        return Err(storage::StorageError::NotOwner(Partition::Organisation).into());
    }
    let serial = crate::app::capture::assign_serial(
        &state,
        point,
        asked.category,
        asked.migrant_child,
        &asked.idempotency_key,
    )
    .await?;
    Ok(HttpResponse::Ok().json(SerialReply {
        serial: serial.to_string(),
    }))
}

/// Asks the organisation partition's owner for a serial.
pub(crate) async fn forward_serial(
    state: &AppState,
    point: PointCode,
    category: SubjectCategory,
    migrant_child: bool,
    idempotency_key: &str,
) -> Result<SerialNumber, ApiError> {
    let unavailable = |why: String| {
        ApiError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "serial_unavailable",
            format!("no serial number could be assigned ({why}); retry"),
            1,
        )
    };
    let owner = crate::redirect::owner(state, Partition::Organisation)
        .await
        .ok_or_else(|| unavailable("the counties' node is not known yet".into()))?;
    let body = serde_json::to_vec(&SerialRequest {
        point: point.as_u64(),
        category,
        migrant_child,
        idempotency_key: idempotency_key.to_owned(),
    })
    .map_err(|error| unavailable(error.to_string()))?;
    const PATH: &str = "/v1/internal/serials";
    let signed = state
        .internal
        .sign("POST", PATH, &body, state.now().0)
        .ok_or_else(|| unavailable("no entropy for a nonce".into()))?;
    let mut outgoing = awc::Client::default()
        .post(format!("{}{PATH}", owner.trim_end_matches('/')))
        .insert_header(("Content-Type", "application/json"));
    for header in signed {
        outgoing = outgoing.insert_header(header);
    }
    let mut response = outgoing
        .send_body(body)
        .await
        .map_err(|error| unavailable(format!("{owner}: {error}")))?;
    let bytes = response
        .body()
        .await
        .map_err(|error| unavailable(error.to_string()))?;
    if !response.status().is_success() {
        return Err(unavailable(format!(
            "{owner} answered {}: {}",
            response.status(),
            String::from_utf8_lossy(&bytes)
        )));
    }
    let reply: SerialReply =
        serde_json::from_slice(&bytes).map_err(|error| unavailable(error.to_string()))?;
    SerialNumber::parse(&reply.serial)
        .ok()
        .filter(|serial| serial.city_county_code() == point.county().city_county_code())
        .ok_or_else(|| unavailable(format!("{owner} sent an invalid serial")))
}
