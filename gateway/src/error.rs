//! The one error shape of the API: HTTP status + `{"code": ..., "message": ...}`.
//!
//! Every refusal reaches the client through here, so codes stay stable and messages stay
//! human. Engine refusals map by their `RejectionKind`; transport-level problems (bad JSON,
//! unknown fields, oversized bodies, missing tokens) have their own codes.

use crate::admission::waiting_room::Place;
use crate::admission::{Shed, ShedReason};
use crate::app::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use actors::ActorError;
use engine::{Rejection, RejectionKind};
use serde::Serialize;
use std::fmt;

/// An API refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human message.
    pub message: String,
    /// Seconds to wait before retrying, for 429/503.
    pub retry_after_seconds: Option<u64>,
    /// A waiting-room place, when the refusal comes with one.
    pub queue: Option<Place>,
    /// The log partition, when the write belongs to the node owning it (scale-out mode);
    /// [`crate::redirect`] turns such a refusal into a redirect to that node.
    pub partition: Option<storage::Partition>,
}

/// The header carrying [`ApiError::partition`] from a handler to the redirect middleware.
pub const PARTITION_HEADER: &str = "registration-partition";

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue: Option<&'a Place>,
}

impl ApiError {
    /// A refusal with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_seconds: None,
            queue: None,
            partition: None,
        }
    }

    /// 400 for a malformed request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no valid session.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "log in first: send 'Authorization: Bearer <token>'",
        )
    }

    /// 403: outside the caller's scope.
    pub fn out_of_scope() -> ApiError {
        Rejection::OutOfScope.into()
    }

    /// 429/503 with a Retry-After.
    pub fn retry_later(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        seconds: u64,
    ) -> ApiError {
        ApiError {
            retry_after_seconds: Some(seconds),
            ..ApiError::new(status, code, message)
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            // Server-side failures only: their messages come from storage, actors and the
            // runtime, not from what a caller typed.
            tracing::warn!(status = self.status.as_u16(), code = self.code, message = %self.message, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        if let Some(partition) = self.partition {
            response.insert_header((PARTITION_HEADER, partition.as_u32().to_string()));
        }
        response.json(Body {
            code: self.code,
            message: &self.message,
            queue: self.queue.as_ref(),
        })
    }
}

/// The status of an engine refusal of either exam, by its kind.
fn status_of(kind: RejectionKind) -> StatusCode {
    match kind {
        RejectionKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RejectionKind::NotFound => StatusCode::NOT_FOUND,
        RejectionKind::Conflict => StatusCode::CONFLICT,
        RejectionKind::Forbidden | RejectionKind::Closed => StatusCode::FORBIDDEN,
        RejectionKind::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        ApiError::new(
            status_of(rejection.kind()),
            rejection.code(),
            rejection.to_string(),
        )
    }
}

impl From<engine::adult::Rejection> for ApiError {
    fn from(rejection: engine::adult::Rejection) -> ApiError {
        ApiError::new(
            status_of(rejection.kind()),
            rejection.code(),
            rejection.to_string(),
        )
    }
}

impl From<ActorError> for ApiError {
    fn from(error: ActorError) -> ApiError {
        match error {
            ActorError::Rejected(rejection) => rejection.into(),
            ActorError::AdultRejected(rejection) => rejection.into(),
            ActorError::IdempotencyKeyReused => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                ActorError::IdempotencyKeyReused.to_string(),
            ),
            ActorError::Storage(storage::StorageError::NotOwner(partition)) => ApiError {
                partition: Some(partition),
                ..ApiError::retry_later(
                    StatusCode::MISDIRECTED_REQUEST,
                    "shard_elsewhere",
                    "this write belongs to another node, which is not known yet; retry shortly",
                    1,
                )
            },
            ActorError::Overloaded(_) | ActorError::Storage(storage::StorageError::Overloaded) => {
                ApiError::retry_later(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "the service is saturated; your request was not applied, retry shortly",
                    1,
                )
            }
            other => ApiError::retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                other.code(),
                other.to_string(),
                5,
            ),
        }
    }
}

impl From<storage::StorageError> for ApiError {
    fn from(error: storage::StorageError) -> ApiError {
        ActorError::Storage(error).into()
    }
}

impl From<Shed> for ApiError {
    fn from(shed: Shed) -> ApiError {
        let status = match shed.reason {
            ShedReason::BadTicket => StatusCode::BAD_REQUEST,
            ShedReason::Paused | ShedReason::Queued | ShedReason::Overload => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ShedReason::OutsideSlot
            | ShedReason::Rate
            | ShedReason::CallbackRate
            | ShedReason::LoginBackoff
            | ShedReason::LoginAttempts => StatusCode::TOO_MANY_REQUESTS,
        };
        ApiError {
            retry_after_seconds: shed.retry_after_seconds,
            queue: shed.queue,
            ..ApiError::new(status, shed.reason.code(), shed.message)
        }
    }
}

/// The application layer's errors, as HTTP: the one place a use case's refusal gets its
/// status.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        match error {
            AppError::Rejected(rejection) => rejection.into(),
            AppError::Actor(error) => error.into(),
            AppError::Shed(shed) => shed.into(),
            AppError::Malformed { code, message } => ApiError::bad_request(code, message),
            AppError::Invalid { code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            AppError::NotFound { code, message } => {
                ApiError::new(StatusCode::NOT_FOUND, code, message)
            }
            AppError::NotNow { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            AppError::Unauthenticated { code, message } => {
                ApiError::new(StatusCode::UNAUTHORIZED, code, message)
            }
            AppError::Busy {
                code,
                message,
                retry_after_seconds,
            } => ApiError::retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                code,
                message,
                retry_after_seconds,
            ),
            AppError::Internal { code, message } => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, message)
            }
            AppError::Upstream { code, message } => {
                ApiError::new(StatusCode::BAD_GATEWAY, code, message)
            }
        }
    }
}

/// A parser's message for people: serde and actix name Rust types (`expected u16`, `can
/// not parse "x" to a u32`, `Query deserialize error:`); a client is told the range instead,
/// and nothing of how the server is built.
pub fn plain(message: &str) -> String {
    let mut text = message
        .replace("Path deserialize error: ", "")
        .replace("Query deserialize error: ", "");
    for (rust, range) in [
        ("usize", "a whole number from 0"),
        ("isize", "a whole number"),
        ("u8", "a whole number from 0 to 255"),
        ("u16", "a whole number from 0 to 65535"),
        ("u32", "a whole number from 0 to 4294967295"),
        ("u64", "a whole number from 0"),
        ("i8", "a whole number from -128 to 127"),
        ("i16", "a whole number from -32768 to 32767"),
        ("i32", "a whole number from -2147483648 to 2147483647"),
        ("i64", "a whole number"),
        ("f32", "a number"),
        ("f64", "a number"),
    ] {
        for before in ["expected ", "to a ", "to an "] {
            text = text.replace(&format!("{before}{rust}"), &format!("{before}{range}"));
        }
    }
    text.replace("to a a whole", "to a whole")
        .replace("can not parse", "cannot read")
}

#[cfg(test)]
mod plain_tests {
    use super::plain;

    #[test]
    fn parser_messages_name_ranges_not_rust_types() {
        assert_eq!(
            plain("Path deserialize error: can not parse \"68719476736\" to a u32"),
            "cannot read \"68719476736\" to a whole number from 0 to 4294967295"
        );
        assert_eq!(
            plain("invalid value: integer `2147483646`, expected u16"),
            "invalid value: integer `2147483646`, expected a whole number from 0 to 65535"
        );
        assert_eq!(
            plain("Query deserialize error: missing field `scope`"),
            "missing field `scope`"
        );
        for message in [
            plain("invalid type: floating point `1.5`, expected u8"),
            plain("invalid type: string \"x\", expected i64"),
            plain("can not parse \"-1\" to a usize"),
        ] {
            for rust in ["u8", "u16", "u32", "u64", "i64", "usize"] {
                assert!(
                    !message
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|word| word == rust),
                    "{message}"
                );
            }
        }
    }
}
