//! Bad input over HTTP: every refusal is a specific status and code, and changes nothing.

use serde_json::json;
use tests::{Server, capture_body};

#[test]
fn malformed_requests_get_specific_errors_and_change_nothing() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let county = server.operator("county-430102");
    let capture = |body: &serde_json::Value, key: &str| {
        server.request(
            "POST",
            "/v1/points/430102-001/captures",
            Some(body),
            Some(&point),
            Some(key),
        )
    };

    let mut bad_check_digit = capture_body(1);
    let id = bad_check_digit["id_number"]
        .as_str()
        .expect("id")
        .to_owned();
    let flipped = if id.ends_with('0') { "1" } else { "0" };
    bad_check_digit["id_number"] = json!(format!("{}{flipped}", &id[..17]));
    let mut short_id = capture_body(1);
    short_id["id_number"] = json!("43010220050101");
    let mut tiny_photo = capture_body(1);
    tiny_photo["photo_base64"] = json!("/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==");
    let mut not_base64 = capture_body(1);
    not_base64["photo_base64"] = json!("%%%");
    let mut unknown_field = capture_body(1);
    unknown_field["religion"] = json!("none");
    let mut wrong_gender = capture_body(1);
    wrong_gender["gender"] = json!(if capture_body(1)["gender"] == "male" {
        "female"
    } else {
        "male"
    });
    let mut bad_date = capture_body(1);
    bad_date["valid_until"] = json!("2030-02-30");
    let mut oversized = capture_body(1);
    oversized["address"] = json!("长".repeat(120_000));
    let cases = [
        (bad_check_digit, 422, "id_number_check_digit"),
        (short_id, 422, "id_number_length"),
        (tiny_photo, 422, "photo_size"),
        (not_base64, 422, "photo_encoding"),
        (unknown_field, 400, "unknown_field"),
        (wrong_gender, 422, "id_card_inconsistent"),
        (bad_date, 422, "invalid_date"),
        (oversized, 413, "body_too_large"),
    ];
    for (index, (body, status, code)) in cases.iter().enumerate() {
        let response = capture(body, &format!("bad-{index}"));
        assert_eq!(
            (response.status, response.code()),
            (*status, *code),
            "case {index}: {}",
            response.text
        );
        assert!(
            !response.body["message"].as_str().unwrap_or("").is_empty(),
            "case {index} has a human message"
        );
    }
    let malformed = server.request("POST", "/v1/sessions/operator", None, None, None);
    assert_eq!(
        (malformed.status, malformed.code()),
        (400, "malformed_json")
    );
    let missing_key = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(&capture_body(1)),
        Some(&point),
        None,
    );
    assert_eq!(
        (missing_key.status, missing_key.code()),
        (400, "idempotency_key_required")
    );
    let bad_key = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(&capture_body(1)),
        Some(&point),
        Some("no spaces allowed"),
    );
    assert_eq!(
        (bad_key.status, bad_key.code()),
        (400, "idempotency_key_invalid")
    );
    let bad_point = server.request(
        "POST",
        "/v1/points/430102-0001/captures",
        Some(&capture_body(1)),
        Some(&point),
        Some("x"),
    );
    assert_eq!((bad_point.status, bad_point.code()), (422, "invalid_code"));
    let unknown_provider = server.raw(
        "POST",
        "/v1/payments/paypal/notify",
        b"{}",
        &[("Content-Type", "application/json")],
    );
    assert_eq!(
        (unknown_provider.status, unknown_provider.code()),
        (404, "provider_unknown")
    );
    let bad_scope = server.request(
        "GET",
        "/v1/progress?scope=galaxy",
        None,
        Some(&county),
        None,
    );
    assert_eq!((bad_scope.status, bad_scope.code()), (400, "invalid_scope"));
    let expired = server.request(
        "GET",
        "/v1/candidates/me",
        None,
        Some(&"ab".repeat(32)),
        None,
    );
    assert_eq!((expired.status, expired.code()), (401, "unauthenticated"));

    // None of it changed anything: no candidate exists, no serial was spent.
    let progress = server.request(
        "GET",
        "/v1/progress?scope=county:430102",
        None,
        Some(&county),
        None,
    );
    assert_eq!(progress.body["counts"], json!({}), "{}", progress.text);
    let first = capture(&capture_body(1), "good");
    assert_eq!(
        (first.status, first.body["serial_number"].as_str()),
        (201, Some("01020001")),
        "the first real capture gets the first serial"
    );
}

#[test]
fn login_attempts_are_limited_per_account() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let attempt = || {
        server.request(
            "POST",
            "/v1/sessions/operator",
            Some(&json!({"username": "county-430102", "password": "guess-1234"})),
            None,
            None,
        )
    };
    // Three free failures from this address, then it backs off (1 s, 2 s, 4 s, …).
    let statuses: Vec<u16> = (0..3).map(|_| attempt().status).collect();
    assert!(statuses.iter().all(|&s| s == 401), "{statuses:?}");
    let limited = attempt();
    assert_eq!(
        (limited.status, limited.code()),
        (429, "too_many_login_attempts")
    );
    assert_eq!(limited.retry_after(), Some(1), "{}", limited.head);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(attempt().status, 401, "allowed again after the wait");
    let longer = attempt();
    assert_eq!(
        (longer.status, longer.retry_after()),
        (429, Some(2)),
        "the wait doubles"
    );
    // Another account is not affected by this one's lock-out.
    server.operator("county-430103");
}

/// A wrong method on an API path is 405 with the path's methods in `Allow`; a path no
/// route has is 404; both in the error shape.
#[test]
fn wrong_methods_get_405_with_allow_and_unknown_paths_404() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    for (method, path, allow) in [
        ("PATCH", "/v1/admission", "get, put"),
        ("DELETE", "/v1/candidates/me", "get"),
        ("GET", "/v1/sessions/operator", "delete, post"),
        ("PUT", "/v1/adult/cities/4301/report", "delete, get, post"),
    ] {
        let answer = server.raw(method, path, b"", &[]);
        assert_eq!(answer.status, 405, "{method} {path}: {}", answer.text);
        assert_eq!(answer.body["code"], "method_not_allowed", "{}", answer.text);
        assert!(
            answer.head.contains(&format!("allow: {allow}\r\n")),
            "{method} {path}: {}",
            answer.head
        );
    }
    let missing = server.raw("GET", "/v1/nothing-here", b"", &[]);
    assert_eq!((missing.status, missing.code()), (404, "route_not_found"));
    // Metrics are on the admin listener only, never on the public one.
    let public = server.raw("GET", "/metrics", b"", &[]);
    assert_eq!((public.status, public.code()), (404, "route_not_found"));
    assert!(
        server.metrics().contains("registration_"),
        "the admin listener serves them"
    );
}

/// Behind a trusted proxy the client is the address it forwards, so one client's failed
/// logins back off that client only; without it (the default) a forwarded header is
/// ignored — nobody escapes the back-off by naming another address.
#[test]
fn forwarded_clients_count_only_behind_trusted_proxies() {
    let attempt = |server: &Server, forwarded: &str| {
        let body = br#"{"username": "county-430102", "password": "guess-1234"}"#;
        server.raw(
            "POST",
            "/v1/sessions/operator",
            body,
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", forwarded),
            ],
        )
    };
    let directory = tempfile::tempdir().expect("temp dir");
    let behind = Server::start_with(directory.path(), &[("REG_TRUSTED_PROXIES", "127.0.0.1")]);
    for _ in 0..3 {
        assert_eq!(attempt(&behind, "203.0.113.5").status, 401);
    }
    assert_eq!(
        attempt(&behind, "203.0.113.5").status,
        429,
        "this client backs off"
    );
    assert_eq!(
        attempt(&behind, "198.51.100.7").status,
        401,
        "another client behind the same balancer does not"
    );
    let other = tempfile::tempdir().expect("temp dir");
    let direct = Server::start(other.path());
    for _ in 0..3 {
        assert_eq!(attempt(&direct, "203.0.113.5").status, 401);
    }
    assert_eq!(
        attempt(&direct, "198.51.100.7").status,
        429,
        "an untrusted peer's header is ignored"
    );
}
