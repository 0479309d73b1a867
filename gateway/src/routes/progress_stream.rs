//! `GET /v1/progress/stream`: live registration progress as Server-Sent Events, so that a
//! dashboard sees every change without polling. The node reads the store's counters once
//! every [`CHECK_INTERVAL`] per open stream and sends an event only when they changed (and a
//! comment line as a heartbeat otherwise, which also tells the node the dashboard is gone).
//! Open streams are bounded per node; a stream ends when its session expires, and
//! `EventSource` reconnects on its own.

use super::operators::{Progress, ProgressQuery};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::get;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How often an open stream looks at the counters.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Streams open at once on a node; more get 503 `streams_busy`.
pub const MAX_STREAMS_PER_NODE: usize = 256;

static OPEN: AtomicUsize = AtomicUsize::new(0);

/// A place among the node's open streams, given back when the stream is dropped.
struct Place;

impl Place {
    fn take() -> Option<Place> {
        OPEN.fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
            (open < MAX_STREAMS_PER_NODE).then_some(open + 1)
        })
        .ok()
        .map(|_| Place)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One open stream.
struct Stream {
    state: web::Data<AppState>,
    caller: Caller,
    scope: String,
    last: Option<String>,
    _place: Place,
}

/// `GET /v1/progress/stream`.
#[utoipa::path(
    tag = "operators",
    summary = "Live progress: an event `progress` (counts by status) now and at every change",
    description = "Who may call it: operators covering the scope. Server-Sent Events; ends when the session expires.",
    responses((status = OK, description = "`event: progress` lines with `data:` a Progress object", content_type = "text/event-stream", body = Progress)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/progress/stream")]
pub async fn stream(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ProgressQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = query.into_inner().scope;
    // Refused here, before the stream starts, exactly as the one-off read would be.
    Operator::of(&state, &caller).progress(&scope).await?;
    let place = Place::take().ok_or_else(|| {
        ApiError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "streams_busy",
            "too many live progress streams on this node; retry shortly",
            5,
        )
    })?;
    let expires_at = caller.0.expires_at;
    let opened = Stream {
        state,
        caller,
        scope,
        last: None,
        _place: place,
    };
    let events = futures::stream::unfold(opened, move |mut stream| async move {
        if stream.state.now() >= expires_at {
            return None;
        }
        if stream.last.is_some() {
            actix_web::rt::time::sleep(CHECK_INTERVAL).await;
        }
        let counts = Operator::of(&stream.state, &stream.caller)
            .progress(&stream.scope)
            .await
            .ok()?;
        let data = serde_json::to_string(&Progress {
            scope: stream.scope.clone(),
            counts,
        })
        .ok()?;
        if stream.last.as_deref() == Some(data.as_str()) {
            let heartbeat = web::Bytes::from_static(b": unchanged\n\n");
            return Some((Ok::<_, actix_web::Error>(heartbeat), stream));
        }
        let event = web::Bytes::from(format!("event: progress\ndata: {data}\n\n"));
        stream.last = Some(data);
        Some((Ok(event), stream))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Proxies (nginx) must pass events on as they come.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}
