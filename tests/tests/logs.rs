//! The logs of a whole journey, read like an attacker who got hold of them would: structured
//! lines, and no personal data — no ID number, name, phone, token or password — even with
//! the access log on and refusals, failures and a mistyped ID number in a path along the way.

use serde_json::{Value, json};
use std::process::Stdio;
use tests::{CANDIDATE_NAME, LOGIN_PASSWORD, SAVE_PASSWORD, Server, id_number};

#[test]
fn a_journeys_logs_hold_no_personal_data() {
    let directory = tempfile::tempdir().expect("temp dir");
    let log_path = directory.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let data = directory.path().join("data");
    let server = Server::start_logging(&data, &[("REG_LOG_LEVEL", "debug")], Stdio::null(), log);
    let point = server.operator("point-430102-001");
    let (_, token) = server.registered(&point, 1);
    let phone = "13912345678";
    let bound = server.request(
        "PUT",
        "/v1/candidates/me/phone",
        Some(&json!({"phone": phone, "save_password": SAVE_PASSWORD})),
        Some(&token),
        Some("phone-1"),
    );
    assert_eq!(bound.status, 200, "{}", bound.text);
    // Refusals and mistakes: a wrong password, an ID number typed into a path, a bad body.
    let wrong = server.request(
        "POST",
        "/v1/sessions/candidate",
        Some(&json!({"login": id_number(1), "password": "Wrong-password-9"})),
        None,
        None,
    );
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    let typed = server.request(
        "GET",
        &format!("/v1/candidates/{}", id_number(1)),
        None,
        Some(&point),
        None,
    );
    assert!(typed.status >= 400, "{}", typed.text);
    let mut malformed = tests::capture_body(2);
    malformed["name"] = json!(12);
    let refused = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(&malformed),
        Some(&point),
        Some("cap-bad"),
    );
    assert!(refused.status >= 400, "{}", refused.text);
    drop(server);

    let logged = std::fs::read_to_string(&log_path).expect("the log");
    let lines: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    // Not vacuous: the startup line and the access log of every request above are there.
    assert!(
        lines.iter().any(|line| line["message"] == "serving"),
        "{logged}"
    );
    let requests = lines
        .iter()
        .filter(|line| line["message"] == "request")
        .count();
    assert!(requests >= 8, "{requests} access-log lines:\n{logged}");
    assert!(
        lines
            .iter()
            .any(|line| line["route"] == "/v1/candidates/{key}" && line["status"].is_u64()),
        "{logged}"
    );
    let secrets = [
        ("an ID number", id_number(1)),
        ("an ID number", id_number(2)),
        ("a name", CANDIDATE_NAME.to_owned()),
        ("a phone number", phone.to_owned()),
        ("a login password", LOGIN_PASSWORD.to_owned()),
        ("a save password", SAVE_PASSWORD.to_owned()),
        ("a wrong password", "Wrong-password-9".to_owned()),
        ("an operator token", point.clone()),
        ("a candidate token", token.clone()),
        ("the demo password", tests::DEMO_PASSWORD.to_owned()),
    ];
    for (what, secret) in secrets {
        assert!(!logged.contains(&secret), "{what} in the log:\n{logged}");
    }
    // Token-shaped fragments too: a signature or payload half would do an attacker good.
    for fragment in point.split('.').chain(token.split('.')) {
        if fragment.len() > 8 {
            assert!(!logged.contains(fragment), "part of a token in the log");
        }
    }
}
