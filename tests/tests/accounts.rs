//! Issue 13 (items 1–2): a real deployment starts with no account; the province's first
//! administrator comes from the one-time setup token; each level creates and manages the
//! level below; one-time passwords must be replaced; disabling, resetting, changing a
//! password and logging out end earlier sessions; accounts survive a restart.

use serde_json::{Value, json};
use tests::operators::{create, first_login, login, setup_token, start, token_of, try_create};

#[test]
fn a_real_province_starts_empty_and_its_levels_manage_their_accounts() {
    let directory = tempfile::tempdir().expect("temp dir");
    let data = directory.path();
    let (mut server, stdout) = start(data, "first.out");
    let printed = std::fs::read_to_string(&stdout).unwrap_or_default();
    assert!(!printed.contains("DEMO MODE"), "{printed}");
    let health = server.request("GET", "/healthz", None, None, None);
    assert_eq!(health.body["demo"], false);
    let token = setup_token(&stdout);
    // No demo account exists.
    assert_eq!(login(&server, "province", tests::DEMO_PASSWORD).status, 401);

    // Set-up: refused precisely, then once.
    let setup = |token: &str, username: &str, password: &str| {
        server.request(
            "POST",
            "/v1/setup",
            Some(&json!({"setup_token": token, "username": username, "password": password})),
            None,
            None,
        )
    };
    let wrong = setup(
        "0123456789abcdef0123456789abcdef",
        "chief",
        "chief-pass-2026",
    );
    assert_eq!((wrong.status, wrong.code()), (401, "setup_token_invalid"));
    let weak = setup(&token, "chief", "short1");
    assert_eq!((weak.status, weak.code()), (422, "password_too_weak"));
    let bad_name = setup(&token, "Chief Admin", "chief-pass-2026");
    assert_eq!(
        (bad_name.status, bad_name.code()),
        (422, "username_invalid")
    );
    let done = setup(&token, "chief", "chief-pass-2026");
    assert_eq!(done.status, 201, "{}", done.text);
    assert_eq!(done.body["scope"], "province");
    let again = setup(&token, "chief2", "chief-pass-2026");
    assert_eq!((again.status, again.code()), (401, "setup_token_invalid"));

    let chief = token_of(&login(&server, "chief", "chief-pass-2026"));
    // The province creates a city account; not a county one (two levels down).
    let city_once = create(&server, &chief, "changsha", "city:4301");
    let skipped = try_create(&server, &chief, "furong", "county:430102");
    assert_eq!((skipped.status, skipped.code()), (403, "out_of_scope"));
    let taken = try_create(&server, &chief, "changsha", "city:4301");
    assert_eq!((taken.status, taken.code()), (409, "username_taken"));
    let nowhere = try_create(&server, &chief, "nowhere", "city:4399");
    assert_eq!(
        (nowhere.status, nowhere.code()),
        (404, "division_not_found")
    );

    // The city's holder replaces the one-time password, then creates a county account of
    // its own city only.
    let city = first_login(&server, "changsha", &city_once, "changsha-pass-1");
    let foreign = try_create(&server, &city, "hetang", "county:430202");
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let county_once = create(&server, &city, "furong", "county:430102");
    let county = first_login(&server, "furong", &county_once, "furong-pass-01");
    let point_once = create(&server, &county, "furong-001", "point:430102-001");
    let listed = server.request("GET", "/v1/accounts", None, Some(&county), None);
    let names: Vec<&str> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["username"].as_str())
        .collect();
    assert_eq!(
        names,
        ["furong", "furong-001"],
        "the county's own unit and its points"
    );
    let listed = server.request("GET", "/v1/accounts", None, Some(&city), None);
    let names: Vec<&str> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["username"].as_str())
        .collect();
    assert_eq!(names, ["changsha", "furong"]);

    // A reset by the level above ends the county's sessions; the one-time password works.
    let reset = server.request(
        "POST",
        "/v1/accounts/furong/password-reset",
        None,
        Some(&city),
        None,
    );
    assert_eq!(reset.status, 200, "{}", reset.text);
    let stale = server.request("GET", "/v1/accounts", None, Some(&county), None);
    assert_eq!(stale.status, 401, "a session from before the reset");
    let reset_once = reset.body["one_time_password"].as_str().expect("password");
    let county = first_login(&server, "furong", reset_once, "furong-pass-02");
    // Nobody resets their own account, or one outside their scope (said as "not found").
    let own = server.request(
        "POST",
        "/v1/accounts/furong/password-reset",
        None,
        Some(&county),
        None,
    );
    assert_eq!((own.status, own.code()), (409, "own_account"));
    let above = server.request(
        "POST",
        "/v1/accounts/changsha/password-reset",
        None,
        Some(&county),
        None,
    );
    assert_eq!((above.status, above.code()), (404, "account_not_found"));

    // Disabled: its sessions end at once and it cannot log in; enabled again, it can.
    let disable = |enabled: bool| {
        server.request(
            "PUT",
            "/v1/accounts/changsha/enabled",
            Some(&json!({"enabled": enabled})),
            Some(&chief),
            None,
        )
    };
    assert_eq!(disable(false).status, 200);
    let gone = server.request("GET", "/v1/accounts", None, Some(&city), None);
    assert_eq!(gone.status, 401, "{}", gone.text);
    let refused = login(&server, "changsha", "changsha-pass-1");
    assert_eq!((refused.status, refused.code()), (401, "account_disabled"));
    assert_eq!(disable(true).body["disabled"], false);
    let city = token_of(&login(&server, "changsha", "changsha-pass-1"));

    // Logout ends the account's sessions.
    let out = server.request("DELETE", "/v1/sessions/operator", None, Some(&city), None);
    assert_eq!(out.status, 204, "{}", out.text);
    let after = server.request("GET", "/v1/accounts", None, Some(&city), None);
    assert_eq!(after.status, 401);

    // Everything is durable: after a restart the accounts log in, no new setup token.
    server.kill();
    let (server, stdout) = start(data, "second.out");
    assert_eq!(login(&server, "chief", "chief-pass-2026").status, 200);
    assert_eq!(login(&server, "furong", "furong-pass-02").status, 200);
    let point = login(&server, "furong-001", &point_once);
    assert_eq!(point.body["password_change_required"], true);
    let printed = std::fs::read_to_string(&stdout).unwrap_or_default();
    assert!(!printed.contains("setup_token"), "{printed}");
    let trail: Value = server
        .request(
            "GET",
            "/v1/audit?limit=200",
            None,
            Some(&token_of(&login(&server, "chief", "chief-pass-2026"))),
            None,
        )
        .body;
    let actions: Vec<&str> = trail
        .as_array()
        .expect("trail")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert!(
        actions.iter().any(|a| a.contains("/v1/accounts")),
        "account changes are audited: {actions:?}"
    );
}

/// Another province is a data file, not code: its divisions are what accounts may name.
#[test]
fn another_province_starts_from_its_division_file() {
    let directory = tempfile::tempdir().expect("temp dir");
    let data = directory.path();
    let file = data.join("460000-hainan.txt");
    std::fs::write(
        &file,
        "460000 海南省\n460100 海口市\n460105 秀英区\n460106 龙华区\n460200 三亚市\n460202 海棠区\n",
    )
    .expect("province file");
    let stdout_path = data.join("out");
    let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
    let file_text = file.display().to_string();
    let server = tests::Server::start_logging(
        data,
        &[("REG_DEMO", "false"), ("REG_PROVINCE_FILE", &file_text)],
        stdout,
        std::process::Stdio::null(),
    );
    let token = setup_token(&stdout_path);
    let setup = server.request(
        "POST",
        "/v1/setup",
        Some(&json!({"setup_token": token, "username": "hainan", "password": "hainan-pass-1"})),
        None,
        None,
    );
    assert_eq!(setup.status, 201, "{}", setup.text);
    let chief = token_of(&login(&server, "hainan", "hainan-pass-1"));
    create(&server, &chief, "haikou", "city:4601");
    let hunan = try_create(&server, &chief, "changsha", "city:4301");
    assert_eq!((hunan.status, hunan.code()), (404, "division_not_found"));
}
