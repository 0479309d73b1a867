//! Node-to-node requests (scale-out mode only). One: a serial number, assigned by the node
//! that owns the counties (the organisation partition) for a capture taking place on the
//! node that owns the candidate's shard. Signed over method, path, time, nonce and body
//! under the deployment's node-request key ring ([`crate::node_auth`]); replays are refused.

use crate::app::serials::{SerialReply, SerialRequest};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::org::PointCode;
use storage::{Journal as _, Partition};

/// Assigns a serial on this node (which must own the counties).
#[utoipa::path(
    tag = "internal",
    summary = "Node to node: assign a serial number on the node owning the counties (HMAC-signed)",
    description = "Who may call it: gateway node.",
    request_body = crate::app::serials::SerialRequest,
    responses(
        (status = OK, description = "the serial number given", body = crate::app::serials::SerialReply),
    ),
    security(("node_signature" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/internal/serials")]
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
    let serial = crate::app::serials::assign_serial(
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
