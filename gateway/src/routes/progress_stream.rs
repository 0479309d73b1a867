//! `GET /v1/progress/stream`: live registration progress as Server-Sent Events, so that a
//! dashboard sees every change without polling. The node reads the store's counters once
//! every [`CHECK_INTERVAL`] per open stream and sends an event only when they changed (and a
//! comment line as a heartbeat otherwise, which also tells the node the dashboard is gone).
//! Open streams are bounded per node; a stream ends when its session expires, and
//! `EventSource` reconnects on its own. The console's dashboard follows the same stream
//! ([`open`]), rendered as HTML.

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
struct Stream<R> {
    state: web::Data<AppState>,
    caller: Caller,
    scope: String,
    last: Option<String>,
    render: R,
    _place: Place,
}

/// The counts of a scope, as a stream renders them into one event's data.
pub type Counts = std::collections::BTreeMap<&'static str, u64>;

/// `GET /v1/progress/stream`.
#[utoipa::path(
    tag = "operators",
    summary = "Live progress: an event `progress` (counts by status) now and at every change",
    description = "Who may call it: operators covering the scope. Server-Sent Events; ends when the session expires.",
    params(crate::routes::operators::ProgressQuery),
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
    open(state, caller, scope, |scope: &str, counts: Counts| {
        serde_json::to_string(&Progress {
            scope: scope.to_owned(),
            counts,
        })
        .ok()
    })
    .await
}

/// Opens a progress stream of `scope` for `caller`: an event `progress` whose data is what
/// `render` makes of the counts, now and at every change (the API sends JSON, the console
/// an HTML fragment). Refused before it starts exactly as the one-off read would be.
pub async fn open<R>(
    state: web::Data<AppState>,
    caller: Caller,
    scope: String,
    render: R,
) -> Result<HttpResponse, ApiError>
where
    R: Fn(&str, Counts) -> Option<String> + 'static,
{
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
        render,
        _place: place,
    };
    let events = futures::stream::unfold(opened, move |mut open| async move {
        if open.state.now() >= expires_at {
            return None;
        }
        if open.last.is_some() {
            actix_web::rt::time::sleep(CHECK_INTERVAL).await;
        }
        let counts = Operator::of(&open.state, &open.caller)
            .progress(&open.scope)
            .await
            .ok()?;
        let data = (open.render)(&open.scope, counts)?;
        if open.last.as_deref() == Some(data.as_str()) {
            let heartbeat = web::Bytes::from_static(b": unchanged\n\n");
            return Some((Ok::<_, actix_web::Error>(heartbeat), open));
        }
        // One `data:` line per line of the rendering, as the format requires.
        let mut event = String::from("event: progress\n");
        for line in data.lines() {
            event.push_str("data: ");
            event.push_str(line);
            event.push('\n');
        }
        event.push('\n');
        open.last = Some(data);
        Some((Ok(web::Bytes::from(event)), open))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Proxies (nginx) must pass events on as they come.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}
