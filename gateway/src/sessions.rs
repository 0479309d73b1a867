//! Sessions: opaque bearer tokens bound to one scope, with expiry; and the `Caller`
//! extractor every protected route takes, so no route can forget to authenticate.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use dashmap::DashMap;
use engine::org::CityCode;
use engine::scope::Scope;
use engine::time::Timestamp;
use std::future::{Ready, ready};

/// One logged-in caller.
#[derive(Debug, Clone)]
pub struct Session {
    /// What the caller may see and touch.
    pub scope: Scope,
    /// Who: the operator's username, or the candidate's key (never an ID number).
    pub subject: String,
    /// For candidates: the city of their registration point, from the stored record at
    /// login. Admission control partitions by it; nothing the client sends can change it.
    pub region: Option<CityCode>,
    /// When the token stops working.
    pub expires_at: Timestamp,
}

/// Live sessions by token.
pub struct Sessions {
    by_token: DashMap<String, Session>,
    ttl_seconds: i64,
}

impl Sessions {
    /// Sessions that last `ttl_seconds`.
    pub fn new(ttl_seconds: i64) -> Sessions {
        Sessions {
            by_token: DashMap::new(),
            ttl_seconds,
        }
    }

    /// Issues a token: 256 random bits, hex.
    pub fn issue(
        &self,
        scope: Scope,
        subject: String,
        region: Option<CityCode>,
        now: Timestamp,
    ) -> Result<(String, Timestamp), ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| {
            ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                "entropy_unavailable",
                "cannot issue a session now",
            )
        })?;
        let token = hex::encode(bytes);
        let expires_at = now.plus_seconds(self.ttl_seconds);
        self.by_token.insert(
            token.clone(),
            Session {
                scope,
                subject,
                region,
                expires_at,
            },
        );
        Ok((token, expires_at))
    }

    /// The live session named by a request's `Authorization: Bearer <token>` header.
    pub fn from_headers(
        &self,
        headers: &actix_web::http::header::HeaderMap,
        now: Timestamp,
    ) -> Option<Session> {
        let header = headers.get("Authorization")?.to_str().ok()?;
        self.resolve(header.strip_prefix("Bearer ")?.trim(), now)
    }

    /// The live session of `token`; expired ones are removed.
    pub fn resolve(&self, token: &str, now: Timestamp) -> Option<Session> {
        let session = self.by_token.get(token)?.clone();
        if session.expires_at <= now {
            self.by_token.remove(token);
            return None;
        }
        Some(session)
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Session);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(caller) = request.extensions().get::<Caller>() {
            return ready(Ok(caller.clone()));
        }
        let session = request
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.sessions.from_headers(request.headers(), state.now()));
        ready(session.map(Caller).ok_or_else(ApiError::unauthenticated))
    }
}
