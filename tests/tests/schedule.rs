//! The province's windows over HTTP: a closed window refuses with its name and dates, an
//! extension reopens it (and is kept), only the province may change windows, bad input is
//! refused, and the schedule survives a restart.

use serde_json::json;
use tests::Server;

fn tomorrow_cst() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        + 8 * 3600
        + 86_400;
    let days = seconds.div_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} 18:00")
}

/// The registration window as `GET /v1/schedule` shows it to `token`.
fn registration_window(server: &Server, token: &str) -> serde_json::Value {
    let schedule = server.request("GET", "/v1/schedule", None, Some(token), None);
    assert_eq!(schedule.status, 200, "{}", schedule.text);
    schedule
        .body
        .as_array()
        .expect("windows")
        .iter()
        .find(|window| window["window"] == "registration")
        .cloned()
        .expect("registration window")
}

#[test]
fn windows_close_extend_and_survive_restart() {
    let directory = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(directory.path());
    let province = server.operator("province");
    let point = server.operator("point-430102-001");
    assert_eq!(server.capture(&point, "430102-001", 1, "c1").status, 201);
    let candidate = server.candidate(1);

    let registration = registration_window(&server, &candidate);
    assert_eq!(registration["open_now"], true);
    assert_eq!(
        server
            .request("GET", "/v1/schedule", None, None, None)
            .status,
        401
    );

    let closed = json!({"opens_at": "2020-01-01 08:00", "closes_at": "2020-01-31 18:00"});
    for token in [&point, &candidate] {
        let refused = server.request(
            "PUT",
            "/v1/schedule/registration",
            Some(&closed),
            Some(token),
            Some("w1"),
        );
        assert_eq!((refused.status, refused.code()), (403, "out_of_scope"));
    }
    let bad = [
        (
            "registration",
            json!({"opens_at": "2020-01-01", "closes_at": "2020-01-31 18:00"}),
            422,
            "schedule_time_invalid",
        ),
        (
            "registration",
            json!({"opens_at": "2020-01-01 25:00", "closes_at": "2020-01-31 18:00"}),
            422,
            "schedule_time_invalid",
        ),
        (
            "registration",
            json!({"opens_at": "2020-01-31 18:00", "closes_at": "2020-01-01 08:00"}),
            422,
            "window_empty",
        ),
        ("holidays", closed.clone(), 404, "window_not_found"),
    ];
    for (index, (window, body, status, code)) in bad.iter().enumerate() {
        let refused = server.request(
            "PUT",
            &format!("/v1/schedule/{window}"),
            Some(body),
            Some(&province),
            Some(&format!("bad-{index}")),
        );
        assert_eq!(
            (refused.status, refused.code()),
            (*status, *code),
            "{}",
            refused.text
        );
    }

    // Close registration: the candidate's write is refused, naming the window and its dates.
    let set = server.request(
        "PUT",
        "/v1/schedule/registration",
        Some(&closed),
        Some(&province),
        Some("close"),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    let order = json!({"provider": "wechat_pay"});
    let refused = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&order),
        Some(&candidate),
        Some("o1"),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (403, "window_closed"),
        "{}",
        refused.text
    );
    for expected in ["普通高考报名", "2020-01-01", "2020-01-31"] {
        assert!(
            refused.text.contains(expected),
            "{expected} missing: {}",
            refused.text
        );
    }

    // An extension must be later than the close in force; a later one reopens the window.
    let earlier = server.request(
        "POST",
        "/v1/schedule/registration/extensions",
        Some(&json!({"until": "2020-01-15 18:00"})),
        Some(&province),
        Some("e0"),
    );
    assert_eq!(
        (earlier.status, earlier.code()),
        (409, "window_extension_not_later"),
        "{}",
        earlier.text
    );
    let until = tomorrow_cst();
    let extended = server.request(
        "POST",
        "/v1/schedule/registration/extensions",
        Some(&json!({"until": until})),
        Some(&province),
        Some("e1"),
    );
    assert_eq!(extended.status, 200, "{}", extended.text);
    let created = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&order),
        Some(&candidate),
        Some("o2"),
    );
    assert_eq!(created.status, 201, "{}", created.text);

    // Durable: after a restart the extension history is still there.
    server.kill();
    let server = Server::start(directory.path());
    let province = server.operator("province");
    let registration = registration_window(&server, &province);
    assert_eq!(registration["closes_at"], "2020-01-31 18:00");
    assert_eq!(registration["extensions"], json!([until]));
    assert_eq!(registration["open_now"], true);
    let trail = server.request("GET", "/v1/audit?limit=100", None, Some(&province), None);
    assert!(
        trail.text.contains("POST /v1/schedule/{window}/extensions"),
        "extension not audited"
    );
}
