//! Serial numbers (报名号): assigned by the point's county, which in scale-out mode lives on
//! the node owning the organisation partition — possibly not this one.

use super::AppError;
use crate::state::AppState;
use actors::CountyExecute;
use engine::county::{CountyCommand, CountyEvent};
use engine::org::PointCode;
use engine::serial::{SerialNumber, SubjectCategory};
use serde::{Deserialize, Serialize};
use storage::{Journal as _, Partition};

/// The body of `POST /v1/internal/serials`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialRequest {
    pub(crate) point: u64,
    pub(crate) category: SubjectCategory,
    #[serde(default)]
    pub(crate) migrant_child: bool,
    pub(crate) idempotency_key: String,
}

/// The answer of `POST /v1/internal/serials`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct SerialReply {
    /// The eight-digit printed form.
    pub(crate) serial: String,
}

/// Asks the county for the point's next serial number. The request's key names the
/// candidate and the capture request (`serial/{candidate}/{idempotency key}`), so a repeated
/// request — a retry after a crash between the two commits, a replayed node-to-node call —
/// gets the serial it was given the first time: the county replays its answer rather than
/// spending another number, and no number is ever given to two candidates.
///
/// Scale-out mode: counties belong to the node owning the organisation partition. If that
/// is another node, the request is forwarded there (`POST /v1/internal/serials` on its admin listener, [`crate::routes::internal`]), because the
/// capture itself must stay here, on the owner of the candidate's shard.
pub async fn assign_serial(
    state: &AppState,
    point: PointCode,
    category: SubjectCategory,
    migrant_child: bool,
    idempotency_key: &str,
) -> Result<engine::serial::SerialNumber, AppError> {
    if state.store.owner_epoch(Partition::Organisation).is_none() {
        return forward_serial(state, point, category, migrant_child, idempotency_key).await;
    }
    let request = CountyExecute {
        command: CountyCommand::AssignSerial {
            point,
            category,
            migrant_child,
        },
        idempotency_key: idempotency_key.to_owned(),
        now: state.now(),
    };
    let outcome = state.registry.county(point.county(), request).await?;
    if let Some(CountyEvent::SerialAssigned { serial, .. }) = outcome.events.first() {
        return Ok(*serial);
    }
    Err(AppError::busy(
        "serial_unavailable",
        "no serial number could be assigned; retry",
        1,
    ))
}

/// Asks the organisation partition's owner for a serial.
async fn forward_serial(
    state: &AppState,
    point: PointCode,
    category: SubjectCategory,
    migrant_child: bool,
    idempotency_key: &str,
) -> Result<SerialNumber, AppError> {
    let unavailable = |why: String| {
        AppError::busy(
            "serial_unavailable",
            format!("no serial number could be assigned ({why}); retry"),
            1,
        )
    };
    // Node-to-node requests go to the owner's admin listener, never the public one.
    let owner = crate::redirect::owner(state, Partition::Organisation)
        .await
        .ok_or_else(|| unavailable("the counties' node is not known yet".into()))?
        .internal
        .ok_or_else(|| unavailable("the counties' node publishes no admin URL".into()))?;
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
