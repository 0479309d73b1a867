//! Before the clock starts: the server to test (started here, or given), its callback keys,
//! the province operator, the admission profile for the run, and the point operators whose
//! points the replay will use.

use crate::client::{Call, Http};
use crate::journey::CallbackKeys;
use crate::stats::Class;
use hyper::Method;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why setting up failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The server did not start or answer.
    #[error("server: {0}")]
    Server(String),
    /// A setup request was refused.
    #[error("{what}: {detail}")]
    Refused {
        /// Which step.
        what: String,
        /// Status and body.
        detail: String,
    },
    /// The secrets file could not be read.
    #[error("secrets file {path}: {detail}")]
    Secrets {
        /// Where.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

/// A server the loadtest started, killed when dropped.
pub struct Spawned {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its process id.
    pub pid: u32,
    address: String,
    options: SpawnOptions,
}

impl Spawned {
    /// `kill -9` (SIGKILL: no shutdown, no flush), then the same binary again on the same
    /// data directory and address; returns once `/healthz` answers again.
    pub async fn kill_and_restart(&mut self, http_probe: &Http) -> Result<(), SetupError> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let restarted = start(&self.options, &self.address, http_probe).await?;
        // The new process takes over; the old handle (already reaped) is dropped as one.
        *self = restarted;
        Ok(())
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The `registration` binary.
    pub binary: PathBuf,
    /// Its data directory (fresh for a clean verification).
    pub data_dir: PathBuf,
    /// The demo operators' password to give it.
    pub operator_password: String,
    /// Points per county to seed.
    pub points_per_county: u16,
    /// Extra environment (e.g. `REG_HTTP_WORKERS`).
    pub environment: Vec<(String, String)>,
}

fn free_port() -> Result<u16, SetupError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| SetupError::Server(format!("no free port: {error}")))
}

/// Starts the server and waits until `/healthz` answers.
pub async fn spawn(options: &SpawnOptions, http_probe: &Http) -> Result<Spawned, SetupError> {
    start(options, &format!("127.0.0.1:{}", free_port()?), http_probe).await
}

async fn start(
    options: &SpawnOptions,
    address: &str,
    http_probe: &Http,
) -> Result<Spawned, SetupError> {
    let child = Command::new(&options.binary)
        .env("REG_LISTEN", address)
        // Its metrics listener on any free port: the run does not scrape it.
        .env("REG_ADMIN_LISTEN", "127.0.0.1:0")
        .env("REG_DATA_DIR", &options.data_dir)
        .env("REG_DEMO_PASSWORD", &options.operator_password)
        .env(
            "REG_DEMO_POINTS_PER_COUNTY",
            options.points_per_county.to_string(),
        )
        .env("REG_DEMO_SEQUENCES_PER_COUNTY", "9999")
        // The generated population only: the demo's own candidate would count as one more.
        .env("REG_DEMO_CANDIDATE", "false")
        .envs(options.environment.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| {
            SetupError::Server(format!("starting {}: {error}", options.binary.display()))
        })?;
    let spawned = Spawned {
        pid: child.id(),
        child,
        base: format!("http://{address}"),
        address: address.to_owned(),
        options: options.clone(),
    };
    let probe = http_probe.with_base(&spawned.base);
    let started = Instant::now();
    loop {
        if let Ok(reply) = probe
            .send(&Call::new(Class::Read, Method::GET, "/healthz"))
            .await
            && reply.status == 200
        {
            return Ok(spawned);
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(SetupError::Server("not healthy after 120 s".into()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The part of the server's `secrets.json` the identity provider would hold; the rest of
/// the file is not read.
#[derive(serde::Deserialize)]
struct SecretsFile {
    identity: String,
}

/// Reads the identity provider's callback key from the server's `secrets.json`.
pub fn callback_keys(data_dir: &Path) -> Result<CallbackKeys, SetupError> {
    let path = data_dir.join("secrets.json");
    let failed = |detail: String| SetupError::Secrets {
        path: path.clone(),
        detail,
    };
    let text = std::fs::read_to_string(&path).map_err(|error| failed(error.to_string()))?;
    let secrets: SecretsFile =
        serde_json::from_str(&text).map_err(|error| failed(error.to_string()))?;
    Ok(CallbackKeys {
        identity: hex::decode(&secrets.identity).map_err(|error| failed(error.to_string()))?,
    })
}

fn refused(what: &str, detail: impl std::fmt::Display) -> SetupError {
    SetupError::Refused {
        what: what.to_owned(),
        detail: detail.to_string(),
    }
}

async fn expect_ok(http: &Http, what: &str, call: &Call<'_>) -> Result<Value, SetupError> {
    let reply = http
        .send(call)
        .await
        .map_err(|error| refused(what, error))?;
    if (200..300).contains(&reply.status) {
        Ok(reply.json())
    } else {
        Err(refused(
            what,
            format!("{} {}", reply.status, String::from_utf8_lossy(&reply.body)),
        ))
    }
}

/// Logs an operator in; returns the token.
pub async fn operator_login(
    http: &Http,
    username: &str,
    password: &str,
) -> Result<String, SetupError> {
    let body = serde_json::json!({"username": username, "password": password});
    let what = format!("login of {username}");
    let session = expect_ok(
        http,
        &what,
        &Call::new(Class::Write, Method::POST, "/v1/sessions/operator").json(&body),
    )
    .await?;
    session["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| refused(&what, "no token"))
}

/// Logs in the operators of `points`, four at a time (each login is a password hash).
pub async fn point_operators(
    http: &Http,
    points: &BTreeSet<String>,
    password: &str,
) -> Result<HashMap<String, String>, SetupError> {
    let mut tokens = HashMap::new();
    let points: Vec<String> = points.iter().cloned().collect();
    for batch in points.chunks(4) {
        let mut logins = tokio::task::JoinSet::new();
        for point in batch {
            let (http, point, password) = (http.clone(), point.clone(), password.to_owned());
            logins.spawn(async move {
                operator_login(&http, &format!("point-{point}"), &password)
                    .await
                    .map(|token| (point, token))
            });
        }
        while let Some(joined) = logins.join_next().await {
            let (point, token) =
                joined.map_err(|error| refused("operator logins", error.to_string()))??;
            tokens.insert(point, token);
        }
    }
    Ok(tokens)
}

/// The admission settings in force before the run (to restore afterwards).
pub async fn admission(http: &Http, province: &str) -> Result<Value, SetupError> {
    let shown = expect_ok(
        http,
        "reading admission settings",
        &Call::new(Class::Read, Method::GET, "/v1/admission").token(province),
    )
    .await?;
    Ok(shown["config"].clone())
}

/// Puts admission settings in force.
pub async fn set_admission(
    http: &Http,
    province: &str,
    settings: &Value,
    idempotency: &str,
) -> Result<(), SetupError> {
    expect_ok(
        http,
        "replacing admission settings",
        &Call::new(Class::Write, Method::PUT, "/v1/admission")
            .json(settings)
            .token(province)
            .idempotency(idempotency),
    )
    .await
    .map(|_| ())
}

/// The per-address login limit during a run: a province's worth of logins per minute.
const ONE_ADDRESS_PER_MINUTE: u32 = 10_000_000;

/// The run's admission profile: the province's settings, except that the per-address login
/// limit is lifted — every simulated candidate comes from this one loopback address, where a
/// real province's come from hundreds of thousands. Everything else (guard, rates, slots,
/// waiting room) stays as the province set it, so shedding is measured, not switched off.
pub fn loadtest_profile(current: &Value, callback_rate: Option<u32>) -> Value {
    let mut profile = current.clone();
    profile["limits"]["login_attempts_per_ip_per_minute"] = Value::from(ONE_ADDRESS_PER_MINUTE);
    if let Some(rate) = callback_rate {
        profile["limits"]["callback_requests_per_second"] = Value::from(rate);
    }
    profile
}

/// Candidates in storage now (province progress, all statuses).
pub async fn registered(http: &Http, province: &str) -> Result<u64, SetupError> {
    let progress = expect_ok(
        http,
        "reading progress",
        &Call::new(Class::Read, Method::GET, "/v1/progress?scope=province").token(province),
    )
    .await?;
    Ok(progress["counts"]
        .as_object()
        .map(|counts| counts.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_lifts_only_the_per_address_login_limit() {
        // As `GET /v1/admission` shows the defaults (the profile is applied to a real server
        // in tests/tests/loadtest_smoke.rs, which refuses an invalid one).
        let current = serde_json::json!({
            "limits": {
                "login_attempts_per_ip_per_minute": 30,
                "login_attempts_per_account_per_minute": 5,
                "callback_requests_per_second": 2000
            },
            "slots": []
        });
        let profile = loadtest_profile(&current, None);
        assert_eq!(
            profile["limits"]["login_attempts_per_ip_per_minute"],
            ONE_ADDRESS_PER_MINUTE
        );
        let mut back = profile.clone();
        back["limits"]["login_attempts_per_ip_per_minute"] =
            current["limits"]["login_attempts_per_ip_per_minute"].clone();
        assert_eq!(back, current, "nothing else changes");
        let faster = loadtest_profile(&current, Some(100_000));
        assert_eq!(faster["limits"]["callback_requests_per_second"], 100_000);
    }
}
