//! The application layer's one error type. Use cases say *what* went wrong in these terms;
//! [`crate::error::ApiError`] turns each into an HTTP status and body in one place, and the
//! pages will turn the same values into a page. Codes are stable: clients and tests match on
//! them, people read the messages.

use crate::admission::Shed;
use actors::ActorError;
use engine::Rejection;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The engine refused the command (a domain rule, the caller's scope, a closed window).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The candidate's or county's writer could not apply it: storage, ownership of the
    /// shard, overload, an idempotency key reused for another request.
    #[error(transparent)]
    Actor(#[from] ActorError),
    /// Admission turned the request away before anything ran.
    #[error("{}", .0.message)]
    Shed(Shed),
    /// A parameter of the request is malformed (a cursor, a limit, a scope's spelling).
    #[error("{message}")]
    Malformed {
        /// Stable code.
        code: &'static str,
        /// What to send instead.
        message: String,
    },
    /// A value the request carries breaks a rule (a weak password, an empty window).
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// Which rule.
        message: String,
    },
    /// Nothing of that name exists (or is visible to the caller).
    #[error("{message}")]
    NotFound {
        /// Stable code.
        code: &'static str,
        /// What was looked for.
        message: String,
    },
    /// The record is not in a state that allows it yet (printing before paying).
    #[error("{message}")]
    NotNow {
        /// Stable code.
        code: &'static str,
        /// What has to happen first.
        message: String,
    },
    /// Credentials are wrong or missing.
    #[error("{message}")]
    Unauthenticated {
        /// Stable code.
        code: &'static str,
        /// What to do.
        message: String,
    },
    /// A bounded resource of this node is taken (hashing pool, package slots, serials):
    /// nothing was done, retry after the given time.
    #[error("{message}")]
    Busy {
        /// Stable code.
        code: &'static str,
        /// What is busy.
        message: String,
        /// When to retry.
        retry_after_seconds: u64,
    },
    /// A service outside (a payment provider) could not do its part; what is ours is done
    /// and durable, and a retry with the same idempotency key asks it again.
    #[error("{message}")]
    Upstream {
        /// Stable code.
        code: &'static str,
        /// What failed.
        message: String,
    },
    /// The node failed (no entropy, an encoding that cannot fail did): nothing was done.
    #[error("{message}")]
    Internal {
        /// Stable code.
        code: &'static str,
        /// What failed (never what the caller typed).
        message: String,
    },
}

impl From<engine::adult::Rejection> for AppError {
    fn from(rejection: engine::adult::Rejection) -> AppError {
        AppError::Actor(ActorError::AdultRejected(rejection))
    }
}

impl AppError {
    /// [`AppError::Malformed`].
    pub fn malformed(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Malformed {
            code,
            message: message.into(),
        }
    }

    /// [`AppError::Invalid`].
    pub fn invalid(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// [`AppError::NotFound`].
    pub fn not_found(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::NotFound {
            code,
            message: message.into(),
        }
    }

    /// [`AppError::NotNow`].
    pub fn not_now(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::NotNow {
            code,
            message: message.into(),
        }
    }

    /// [`AppError::Unauthenticated`].
    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Unauthenticated {
            code,
            message: message.into(),
        }
    }

    /// [`AppError::Busy`].
    pub fn busy(
        code: &'static str,
        message: impl Into<String>,
        retry_after_seconds: u64,
    ) -> AppError {
        AppError::Busy {
            code,
            message: message.into(),
            retry_after_seconds,
        }
    }

    /// [`AppError::Internal`].
    pub fn internal(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Internal {
            code,
            message: message.into(),
        }
    }

    /// The caller's scope does not cover what it named.
    pub fn out_of_scope() -> AppError {
        AppError::Rejected(Rejection::OutOfScope)
    }

    /// The node has no entropy to give (nonces, tickets).
    pub fn no_entropy() -> AppError {
        AppError::internal("entropy_unavailable", "cannot take this request now")
    }
}

impl From<storage::StorageError> for AppError {
    fn from(error: storage::StorageError) -> AppError {
        AppError::Actor(ActorError::Storage(error))
    }
}

impl From<Shed> for AppError {
    fn from(shed: Shed) -> AppError {
        AppError::Shed(shed)
    }
}
