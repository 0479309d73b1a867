//! Sessions: bearer tokens bound to one scope, with expiry; and the `Caller` extractor every
//! protected route takes, so no route can forget to authenticate.
//!
//! A token is self-contained and signed: `base64url(session JSON) . hex(HMAC-SHA256)` under
//! a key every node of a deployment derives from the shared candidate-key secret. So any
//! node accepts a session issued by another — which a redirect to a shard's owner needs —
//! and a restart logs nobody out. Nothing in it is secret (scope, pseudonymous subject,
//! city, expiry); forging or altering one fails the signature.

use crate::app::AppError;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use base64::Engine as _;
use engine::org::CityCode;
use engine::scope::Scope;
use engine::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

/// One logged-in caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Operators: the account's generation when this was issued; a later change (disabled,
    /// password changed or reset, logout) ends it ([`crate::accounts`]).
    #[serde(default)]
    pub generation: u32,
    /// Operators: issued on a one-time password; good only for choosing a password.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub password_change_required: bool,
}

/// Issues and checks tokens.
pub struct Sessions {
    keys: storage::keys::KeyRing,
    ttl_seconds: i64,
}

impl Sessions {
    /// Sessions that last `ttl_seconds`, signed with the ring's first key; tokens of any key
    /// on the ring verify (rotation).
    pub fn new(ttl_seconds: i64, keys: storage::keys::KeyRing) -> Sessions {
        Sessions { keys, ttl_seconds }
    }

    /// Issues a token for `scope`.
    pub fn issue(
        &self,
        scope: Scope,
        subject: String,
        region: Option<CityCode>,
        now: Timestamp,
    ) -> Result<(String, Timestamp), AppError> {
        self.issue_session(Session {
            scope,
            subject,
            region,
            expires_at: now.plus_seconds(self.ttl_seconds),
            generation: 0,
            password_change_required: false,
        })
    }

    /// Issues a token for an operator account at `generation`.
    pub fn issue_operator(
        &self,
        scope: Scope,
        username: String,
        generation: u32,
        password_change_required: bool,
        now: Timestamp,
    ) -> Result<(String, Timestamp), AppError> {
        self.issue_session(Session {
            scope,
            subject: username,
            region: None,
            expires_at: now.plus_seconds(self.ttl_seconds),
            generation,
            password_change_required,
        })
    }

    fn issue_session(&self, session: Session) -> Result<(String, Timestamp), AppError> {
        let failed = || AppError::internal("session_unavailable", "cannot issue a session now");
        let expires_at = session.expires_at;
        let json = serde_json::to_vec(&session).map_err(|_| failed())?;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let (key_id, tag) = self.keys.sign(payload.as_bytes());
        Ok((
            format!("{key_id}.{payload}.{}", hex::encode(tag)),
            expires_at,
        ))
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

    /// The session of `token`, if its signature verifies and it has not expired.
    pub fn resolve(&self, token: &str, now: Timestamp) -> Option<Session> {
        let (key_id, rest) = token.split_once('.')?;
        let (payload, signature) = rest.split_once('.')?;
        // Constant-time comparison of the whole tag, under the key the token names.
        let signature = hex::decode(signature).ok()?;
        (signature.len() == 32 && self.keys.verify(key_id, payload.as_bytes(), &signature))
            .then_some(())?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        let session: Session = serde_json::from_slice(&json).ok()?;
        (session.expires_at > now).then_some(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(id: &str, key: &[u8]) -> storage::keys::KeyRing {
        let mut padded = key.to_vec();
        padded.resize(32, 0);
        storage::keys::KeyRing::single(id, padded).expect("valid")
    }

    /// Security audit item 21 (part): one root secret signed everything, with no way to
    /// rotate. Session keys now have ids; a new key signs while the old still verifies.
    #[test]
    fn item_21_session_keys_rotate() {
        let now = Timestamp(1_000_000);
        let old = Sessions::new(60, ring("1", b"old"));
        let (before, _) = old
            .issue(Scope::Province, "province".into(), None, now)
            .expect("issues");
        let mut both = vec![("2".to_owned(), vec![2u8; 32])];
        let mut old_key = b"old".to_vec();
        old_key.resize(32, 0);
        both.push(("1".to_owned(), old_key));
        let rotating = Sessions::new(60, storage::keys::KeyRing::new(both).expect("valid"));
        assert!(
            rotating.resolve(&before, now).is_some(),
            "old tokens still verify"
        );
        let (after, _) = rotating
            .issue(Scope::Province, "province".into(), None, now)
            .expect("issues");
        assert!(after.starts_with("2."), "the new key signs: {after}");
        let rotated = Sessions::new(
            60,
            storage::keys::KeyRing::single("2", vec![2u8; 32]).expect("valid"),
        );
        assert!(rotated.resolve(&after, now).is_some());
        assert!(
            rotated.resolve(&before, now).is_none(),
            "the old key is gone"
        );
        // A token naming a key the ring lacks, or renamed to another key's id: refused.
        let renamed = before.replacen("1.", "2.", 1);
        assert!(rotating.resolve(&renamed, now).is_none());
    }

    #[test]
    fn tokens_verify_on_any_node_with_the_key_and_nowhere_else() {
        let issuer = Sessions::new(60, ring("1", b"shared"));
        let now = Timestamp(1_000_000);
        let (token, expires_at) = issuer
            .issue(Scope::Province, "province".into(), None, now)
            .expect("issues");
        assert_eq!(expires_at, now.plus_seconds(60));
        let other_node = Sessions::new(60, ring("1", b"shared"));
        let session = other_node.resolve(&token, now).expect("valid elsewhere");
        assert_eq!(
            (session.scope, session.subject.as_str()),
            (Scope::Province, "province")
        );
        assert!(other_node.resolve(&token, expires_at).is_none(), "expired");
        assert!(
            Sessions::new(60, ring("1", b"other"))
                .resolve(&token, now)
                .is_none()
        );
        // A payload altered to claim another subject keeps the old signature: refused.
        let (key_id, rest) = token.split_once('.').expect("three parts");
        let (payload, signature) = rest.split_once('.').expect("three parts");
        let forged_json = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .expect("base64"),
        )
        .expect("utf-8")
        .replace("province", "city-4301");
        let forged = format!(
            "{key_id}.{}.{signature}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged_json)
        );
        assert!(other_node.resolve(&forged, now).is_none());
        assert!(other_node.resolve("garbage", now).is_none());
        assert!(other_node.resolve("a.zz", now).is_none());
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Session);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match resolved(request) {
            Some(session) if session.password_change_required => Err(password_change_required()),
            Some(session) => Ok(Caller(session)),
            None => Err(ApiError::unauthenticated()),
        })
    }
}

/// The request's session: as the admission middleware resolved it already, or resolved here.
fn resolved(request: &HttpRequest) -> Option<Session> {
    match request.extensions().get::<Caller>() {
        Some(caller) => Some(caller.0.clone()),
        None => request
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.session(request.headers())),
    }
}

fn password_change_required() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "password_change_required",
        "请先修改初始密码 / choose your own password first (PUT /v1/sessions/operator/password)",
    )
}

/// The caller of the routes a session on a one-time password may use (choosing a password,
/// logging out): any valid session.
#[derive(Debug, Clone)]
pub struct AnySession(pub Session);

impl FromRequest for AnySession {
    type Error = ApiError;
    type Future = Ready<Result<AnySession, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            resolved(request)
                .map(AnySession)
                .ok_or_else(ApiError::unauthenticated),
        )
    }
}
