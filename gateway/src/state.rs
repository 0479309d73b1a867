//! Everything a request handler may use, shared by all HTTP workers.

use crate::accounts::Accounts;
use crate::admission::Admission;
use crate::hashing::Hasher;
use crate::sessions::Sessions;
use actors::{Registry, SharedSettings};
use dashmap::DashMap;
use engine::key::KeySecret;
use engine::org::Province;
use engine::time::Timestamp;
use std::sync::Arc;
use std::time::Instant;
use storage::{Backend, Partition};

/// Shared application state.
pub struct AppState {
    /// The actors (single writers).
    pub registry: Registry<Backend>,
    /// Reads go straight to the store: a write is only acknowledged once it is there.
    pub store: Arc<Backend>,
    /// Scale-out mode: which node owns a partition, as last looked up, and when.
    pub owners: DashMap<Partition, (Option<storage::kafka::NodeUrls>, Instant)>,
    /// The province's static divisions (names for documents and scopes).
    pub province: Province,
    /// Schedule and policy in force.
    pub settings: SharedSettings,
    /// The version of each live setting in force on this node.
    pub settings_versions: crate::live_settings::Versions,
    /// Live sessions.
    pub sessions: Sessions,
    /// Operator accounts.
    pub accounts: Accounts,
    /// Serialises this node's read–change–commit of the organisation's stored settings
    /// (the account directory, cities' submissions); in Kafka mode only the organisation
    /// partition's owner commits them.
    pub organisation_changes: tokio::sync::Mutex<()>,
    /// The bounded password-hashing pool.
    pub hasher: Hasher,
    /// Derives candidate keys from ID numbers.
    pub key_secret: KeySecret,
    /// The payment providers this province takes (the sandbox in the demo).
    pub providers: crate::providers::Providers,
    /// Signs and verifies node-to-node requests (scale-out mode); its key is derived from
    /// the candidate-key secret, which every node of a deployment shares.
    pub internal: crate::node_auth::NodeAuth,
    /// Signs, encrypts and opens county export packages (the `packages` ring, shared by
    /// the province's instances).
    pub export_key: storage::keys::KeyRing,
    /// Package imports and exports running at once on this node (an import holds a
    /// county's records in memory; an export writes temporary files):
    /// [`crate::routes::packages::CONCURRENT_PACKAGES`] places.
    pub packages: tokio::sync::Semaphore,
    /// URL prefixes an owner's advertised URL must start with to be redirected to (empty:
    /// any).
    pub redirect_allow: Vec<String>,
    /// Operators' heavy reads in progress (one per operator, a few per node).
    pub heavy: crate::heavy::HeavyReads,
    /// Where candidates reach the service (printed on login cards).
    pub public_url: String,
    /// The identity provider's callback signing key.
    pub identity_key: Vec<u8>,
    /// Issues and checks real-person verification tickets.
    pub verifications: crate::verification::Verifications,
    /// Admission control: slots, limits, the overload guard, the waiting room, the pause
    /// switch, login-attempt limits.
    pub admission: Admission,
    /// Whether this is the demo province (said in `/healthz`).
    pub demo: bool,
    /// The demo's own candidate, when captured at start (shown on the portal's login page).
    pub demo_candidate: std::sync::OnceLock<crate::demo::DemoCandidate>,
    /// Whether clients reach the service over HTTPS (TLS ends at the load balancer): the
    /// pages' cookies are then `Secure`.
    pub tls_at_balancer: bool,
    /// The load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::client::TrustedProxies,
    /// Payments this node answered before its store had them (Kafka mode; `app::inbox`).
    pub inbox_unseen: crate::app::inbox::Unseen,
}

impl AppState {
    /// The request's session: its token verifies, has not expired and — an operator's —
    /// its account is enabled and nothing has ended its sessions since it was issued. An
    /// in-memory lookup: no store read on the hot path.
    pub fn session(
        &self,
        headers: &actix_web::http::header::HeaderMap,
    ) -> Option<crate::sessions::Session> {
        self.current(self.sessions.from_headers(headers, self.now())?)
    }

    /// The session of a token carried another way (a page's cookie), checked alike.
    pub fn session_of(&self, token: &str) -> Option<crate::sessions::Session> {
        self.current(self.sessions.resolve(token, self.now())?)
    }

    /// A session whose signature and expiry verified, if its operator account has not ended
    /// it since (disabled, reset, password changed, logged out).
    fn current(&self, session: crate::sessions::Session) -> Option<crate::sessions::Session> {
        match session.scope {
            engine::scope::Scope::Candidate(_) => Some(session),
            _ => self
                .accounts
                .session_valid(&session.subject, session.generation)
                .then_some(session),
        }
    }

    /// Now, as the engine wants it.
    pub fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis())
            .unwrap_or(0);
        Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
    }
}
