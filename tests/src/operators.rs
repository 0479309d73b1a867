//! Operators of a real (non-demo) deployment: starting one, its setup token, accounts.

use crate::Server;
use serde_json::json;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A real deployment (no demo).
pub const REAL: &[(&str, &str)] = &[("REG_DEMO", "false")];

/// Starts a non-demo server on `data`, returning it and what it printed.
pub fn start(data: &std::path::Path, name: &str) -> (Server, std::path::PathBuf) {
    let stdout_path = data.join(name);
    let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
    let server = Server::start_logging(data, REAL, stdout, Stdio::null());
    (server, stdout_path)
}

/// The setup token the server printed.
pub fn setup_token(stdout: &std::path::Path) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(stdout).unwrap_or_default();
        if let Some(rest) = text.split("\"setup_token\": \"").nth(1) {
            return rest.split('"').next().expect("token").to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no setup token in {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An operator login attempt.
pub fn login(server: &Server, username: &str, password: &str) -> crate::Response {
    server.request(
        "POST",
        "/v1/sessions/operator",
        Some(&json!({"username": username, "password": password})),
        None,
        None,
    )
}

/// The token of a session answer.
pub fn token_of(response: &crate::Response) -> String {
    response.body["token"].as_str().expect("token").to_owned()
}

/// An attempt to create an account.
pub fn try_create(server: &Server, manager: &str, username: &str, scope: &str) -> crate::Response {
    server.request(
        "POST",
        "/v1/accounts",
        Some(&json!({"username": username, "scope": scope})),
        Some(manager),
        None,
    )
}

/// Creates `username` of `scope` as `manager`; returns the one-time password.
pub fn create(server: &Server, manager: &str, username: &str, scope: &str) -> String {
    let created = try_create(server, manager, username, scope);
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["account"]["must_change_password"], true);
    created.body["one_time_password"]
        .as_str()
        .expect("one-time password")
        .to_owned()
}

/// Logs in with a one-time password and replaces it; returns the new session.
pub fn first_login(server: &Server, username: &str, one_time: &str, password: &str) -> String {
    let session = login(server, username, one_time);
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(session.body["password_change_required"], true);
    let limited = token_of(&session);
    let refused = server.request("GET", "/v1/accounts", None, Some(&limited), None);
    assert_eq!(
        (refused.status, refused.code()),
        (403, "password_change_required")
    );
    let changed = server.request(
        "PUT",
        "/v1/sessions/operator/password",
        Some(&json!({"current_password": one_time, "new_password": password})),
        Some(&limited),
        None,
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["password_change_required"], false);
    let ended = server.request(
        "PUT",
        "/v1/sessions/operator/password",
        None,
        Some(&limited),
        None,
    );
    assert_eq!(
        ended.status, 401,
        "the one-time session ended: {}",
        ended.text
    );
    token_of(&changed)
}
