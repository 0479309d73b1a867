//! What can go wrong between a caller and an actor, beyond the engine's own refusals.

use engine::Rejection;
use storage::StorageError;

/// Why a command produced no acknowledged outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActorError {
    /// The engine refused the command; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The adult exam's engine refused the command; nothing changed.
    #[error(transparent)]
    AdultRejected(#[from] engine::adult::Rejection),
    /// Storage failed; the write is not durable and was not acknowledged.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The actor's mailbox is full: shed the request (HTTP 503 with Retry-After).
    #[error("the {0} is saturated; retry shortly")]
    Overloaded(&'static str),
    /// The actor failed while handling this message (it has been restarted).
    #[error("internal failure while handling the request; it was not applied")]
    Internal,
    /// The actor is not running (shutting down).
    #[error("the service is shutting down")]
    Unavailable,
    /// The idempotency key was already used for a different request: refused, so a key
    /// reused by mistake (or on purpose) never returns another request's answer.
    #[error("this Idempotency-Key was already used for a different request; use a new key")]
    IdempotencyKeyReused,
}

impl ActorError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ActorError::Rejected(rejection) => rejection.code(),
            ActorError::AdultRejected(rejection) => rejection.code(),
            ActorError::Storage(error) => error.code(),
            ActorError::Overloaded(_) => "overloaded",
            ActorError::Internal => "internal_error",
            ActorError::Unavailable => "unavailable",
            ActorError::IdempotencyKeyReused => "idempotency_key_reused",
        }
    }
}
