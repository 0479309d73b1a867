//! The security audit's findings, through the API as an attacker would try them; each test is
//! named after its item. Refusals are checked to change nothing.

use serde_json::{Value, json};
use tests::{CANDIDATE_NAME, LOGIN_PASSWORD, SAVE_PASSWORD, Server, form_body, id_number};

/// A server with candidate 1 captured at point 430102-001, logged in for the first time.
fn captured() -> (tempfile::TempDir, Server, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let point = server.operator("point-430102-001");
    let captured = server.capture(&point, "430102-001", 1, "cap-1");
    assert_eq!(captured.status, 201, "{}", captured.text);
    let key = captured.body["key"].as_str().expect("key").to_owned();
    (dir, server, point, key)
}

fn first_login(server: &Server, sequence: u32, name: &str) -> tests::Response {
    server.request(
        "POST",
        "/v1/sessions/candidate/first-login",
        Some(&json!({"id_number": id_number(sequence), "name": name, "valid_until": "长期"})),
        None,
        None,
    )
}

/// A WeChat Pay order for the registration fee; its body.
fn fee_order(server: &Server, token: &str) -> Value {
    let order = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "wechat_pay"})),
        Some(token),
        Some("order"),
    );
    assert_eq!(order.status, 201, "{}", order.text);
    order.body
}

fn me(server: &Server, token: &str) -> Value {
    let response = server.request("GET", "/v1/candidates/me", None, Some(token), None);
    assert_eq!(response.status, 200, "{}", response.text);
    response.body
}

#[test]
fn item_1_first_login_works_once_and_again_only_after_the_points_reset() {
    let (_dir, server, point, key) = captured();
    let token = server.candidate(1);
    server.pay_authenticate_and_set_passwords(&token, &key, 1);

    // Anyone who knows the ID number, name and validity (a classmate, a broker) is refused
    // exactly as a wrong name is.
    let again = first_login(&server, 1, CANDIDATE_NAME);
    let wrong_name = first_login(&server, 1, "王五");
    assert_eq!(
        (again.status, again.code()),
        (401, "invalid_credentials"),
        "{}",
        again.text
    );
    assert_eq!(
        (again.status, again.text.clone()),
        (wrong_name.status, wrong_name.text)
    );

    // Only the candidate's own point may reset: not a sibling point, not the county.
    let sibling = server.operator("point-430102-002");
    let county = server.operator("county-430102");
    for (token, who) in [(&sibling, "sibling point"), (&county, "county")] {
        let refused = server.request(
            "POST",
            &format!("/v1/candidates/{key}/password-reset"),
            None,
            Some(token),
            Some("reset-x"),
        );
        assert_eq!(refused.status, 403, "{who}: {}", refused.text);
    }
    assert_eq!(
        me(&server, &token)["passwords_set"],
        true,
        "nothing changed"
    );

    let reset = server.request(
        "POST",
        &format!("/v1/candidates/{key}/password-reset"),
        None,
        Some(&point),
        Some("reset-1"),
    );
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.body["passwords_set"], false);
    // The old login password is gone; first login is open again.
    let old_password = server.request(
        "POST",
        "/v1/sessions/candidate",
        Some(&json!({"login": id_number(1), "password": LOGIN_PASSWORD})),
        None,
        None,
    );
    assert_eq!(old_password.status, 401, "{}", old_password.text);
    // Three failed logins from this address: it backs off for a second (item 10).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let reopened = first_login(&server, 1, CANDIDATE_NAME);
    assert_eq!(reopened.status, 200, "{}", reopened.text);
}

#[test]
fn item_8_wrong_save_passwords_lock_saving_and_identical_passwords_are_refused() {
    let (_dir, server, _point, key) = captured();
    let token = server.candidate(1);

    server.pay_authenticate_and_set_passwords(&token, &key, 1);
    // Identical login and save passwords: refused before anything is hashed or stored.
    let identical = server.request(
        "PUT",
        "/v1/candidates/me/passwords",
        Some(&json!({"login_password": "Same2024x", "save_password": "Same2024x"})),
        Some(&token),
        Some("same"),
    );
    assert_eq!(
        (identical.status, identical.code()),
        (422, "passwords_identical"),
        "{}",
        identical.text
    );
    // Changing only the save password to the current login password: also refused.
    let to_login = server.request(
        "PUT",
        "/v1/candidates/me/passwords",
        Some(&json!({"save_password": LOGIN_PASSWORD})),
        Some(&token),
        Some("same-2"),
    );
    assert_eq!(
        (to_login.status, to_login.code()),
        (422, "passwords_identical"),
        "{}",
        to_login.text
    );

    // The phone is registration data: it needs the save password.
    let phone = |password: Option<&str>, idempotency: &str| {
        server.request(
            "PUT",
            "/v1/candidates/me/phone",
            Some(&json!({"phone": "13800138000", "save_password": password})),
            Some(&token),
            Some(idempotency),
        )
    };
    let missing = phone(None, "p0");
    assert_eq!(
        (missing.status, missing.code()),
        (401, "save_password_required")
    );
    for attempt in 1..=5 {
        let wrong = phone(Some("Guess0000x"), &format!("p{attempt}"));
        assert_eq!(
            (wrong.status, wrong.code()),
            (401, "save_password_incorrect"),
            "attempt {attempt}: {}",
            wrong.text
        );
    }
    // Locked: even the right one is refused now, and so is the form.
    let locked = phone(Some(SAVE_PASSWORD), "p6");
    assert_eq!(
        (locked.status, locked.code()),
        (403, "save_password_locked"),
        "{}",
        locked.text
    );
    let pledge = server.request(
        "POST",
        "/v1/candidates/me/pledge",
        None,
        Some(&token),
        Some("pledge"),
    );
    assert_eq!(pledge.status, 200, "{}", pledge.text);
    let form = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&form_body(Some(SAVE_PASSWORD))),
        Some(&token),
        Some("form"),
    );
    assert_eq!(
        (form.status, form.code()),
        (403, "save_password_locked"),
        "{}",
        form.text
    );
    let record = me(&server, &token);
    assert_eq!(record["phone"], Value::Null, "nothing was saved");
    assert_eq!(record["form_version"], 0);
}

#[test]
fn item_9_every_login_failure_is_the_same_401() {
    let (_dir, server, _point, _key) = captured();
    // Not registered at all / registered with another name / registered, no passwords yet.
    let unknown = first_login(&server, 2, CANDIDATE_NAME);
    let mismatch = first_login(&server, 1, "王五");
    assert_eq!(
        (unknown.status, unknown.code()),
        (401, "invalid_credentials")
    );
    assert_eq!(
        unknown.text, mismatch.text,
        "unknown and mismatched look alike"
    );

    let password_login = |login: String| {
        server.request(
            "POST",
            "/v1/sessions/candidate",
            Some(&json!({"login": login, "password": "Whatever1x"})),
            None,
            None,
        )
    };
    let no_passwords_yet = password_login(id_number(1));
    let not_registered = password_login(id_number(3));
    let unknown_serial = password_login("01029999".into());
    for response in [&no_passwords_yet, &not_registered, &unknown_serial] {
        assert_eq!(
            (response.status, response.code()),
            (401, "invalid_credentials"),
            "{}",
            response.text
        );
        assert_eq!(response.text, no_passwords_yet.text);
    }
    let operator = server.request(
        "POST",
        "/v1/sessions/operator",
        Some(&json!({"username": "nobody-here", "password": "x"})),
        None,
        None,
    );
    assert_eq!(
        (operator.status, operator.code()),
        (401, "invalid_credentials")
    );
}

#[test]
fn item_17_order_numbers_fit_wechat_pays_out_trade_no() {
    let (_dir, server, _point, _key) = captured();
    let token = server.candidate(1);
    let order = fee_order(&server, &token);
    let id = order["order_id"].as_str().expect("order id");
    assert!(id.len() <= 32, "{id} has {} characters", id.len());
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
}

#[test]
fn item_22_black_box_walk_findings() {
    let (_dir, server, point, _key) = captured();
    // An ID number typed where a candidate key belongs is not kept in clear by the audit.
    let typed = id_number(1);
    let looked_up = server.request(
        "GET",
        &format!("/v1/candidates/{typed}"),
        None,
        Some(&point),
        None,
    );
    assert_eq!(looked_up.status, 404, "{}", looked_up.text);
    let province = server.operator("province");
    let trail = server.request("GET", "/v1/audit?limit=50", None, Some(&province), None);
    assert_eq!(trail.status, 200, "{}", trail.text);
    assert!(
        !trail.text.contains(&typed),
        "the audit trail holds an ID number in clear: {}",
        trail.text
    );
    assert!(
        trail
            .text
            .contains(&format!("{}************{}", &typed[..4], &typed[16..])),
        "the lookup is audited, masked: {}",
        trail.text
    );

    // Progress of a division that does not exist: 404, not an empty 200.
    for scope in ["city:4399", "county:430199", "point:430102-099"] {
        let progress = server.request(
            "GET",
            &format!("/v1/progress?scope={scope}"),
            None,
            Some(&province),
            None,
        );
        assert_eq!(
            (progress.status, progress.code()),
            (404, "division_not_found"),
            "{scope}: {}",
            progress.text
        );
    }
    let real = server.request(
        "GET",
        "/v1/progress?scope=point:430102-001",
        None,
        Some(&province),
        None,
    );
    assert_eq!(real.status, 200, "{}", real.text);

    // A callback body over the limit gets the JSON refusal like every other.
    let huge = vec![b'x'; 64 * 1024];
    let refused = server.raw(
        "POST",
        "/v1/payments/wechat_pay/notify",
        &huge,
        &[("Content-Type", "application/json")],
    );
    assert_eq!(
        (refused.status, refused.code()),
        (413, "body_too_large"),
        "{}",
        refused.text
    );
    assert!(refused.head.contains("content-type: application/json"));
}

#[test]
fn item_15_a_repeated_capture_key_from_another_point_learns_nothing() {
    let (_dir, server, _point, _key) = captured();
    // A sibling point replays the first point's request (same body, same key): before, it
    // got the other point's candidate back without a scope check.
    let sibling = server.operator("point-430102-002");
    let replayed = server.capture(&sibling, "430102-002", 1, "cap-1");
    assert_eq!(
        (replayed.status, replayed.code()),
        (409, "idempotency_key_reused"),
        "{}",
        replayed.text
    );
    assert!(!replayed.text.contains(CANDIDATE_NAME));
    // A new key is a new request: the person is already registered.
    let again = server.capture(&sibling, "430102-002", 1, "cap-2");
    assert_eq!(
        (again.status, again.code()),
        (409, "candidate_already_registered")
    );
    // The point that made it still gets its original answer on a retry.
    let point = server.operator("point-430102-001");
    let retry = server.capture(&point, "430102-001", 1, "cap-1");
    assert_eq!(retry.status, 200, "{}", retry.text);
}

#[test]
fn item_23_photos_are_stored_without_exif() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let point = server.operator("point-430102-001");
    let photo = engine::photo::synthetic_jpeg(480, 640, 30 * 1024, 5);
    let exif: &[u8] = b"Exif\0\0MM\0*GPS 28.1941N 112.9823E iPhone";
    let mut with_exif = photo[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&u16::try_from(exif.len() + 2).expect("short").to_be_bytes());
    with_exif.extend_from_slice(exif);
    with_exif.extend_from_slice(&photo[2..]);
    let mut body = tests::capture_body(5);
    body["photo_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&with_exif));
    let captured = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(&body),
        Some(&point),
        Some("cap-exif"),
    );
    assert_eq!(captured.status, 201, "{}", captured.text);
    // What the store holds (export packages are ciphertext now, so the store file itself is
    // read: redb keeps a photo's bytes as they are).
    let stored = std::fs::read(dir.path().join("registration.redb")).expect("the store file");
    let holds = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    assert!(
        holds(&photo[photo.len() - 64..]),
        "the photo is in the store"
    );
    assert!(!holds(b"GPS 28.1941N"), "the EXIF segment is not");
}

/// Unmounts the test's tmpfs when the test ends, however it ends.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.0)
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn item_19_a_node_whose_disk_fails_says_so_and_refuses_writes() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).expect("mount point");
    // A real full disk: a small tmpfs as the data directory (needs root, as CI runs).
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=32m", "tmpfs"])
        .arg(&disk)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    }
    let _unmount = Mounted(disk.clone());
    let server = Server::start(&disk);
    let point = server.operator("point-430102-001");
    assert_eq!(server.capture(&point, "430102-001", 1, "cap-1").status, 201);
    // Fill the disk.
    let mut filler = std::fs::File::create(disk.join("filler")).expect("filler");
    let chunk = vec![0u8; 256 * 1024];
    while filler.write_all(&chunk).is_ok() {}
    let _ = filler.sync_all();
    let mut refused = None;
    for sequence in 2..200 {
        let response = server.capture(&point, "430102-001", sequence, &format!("cap-{sequence}"));
        if response.status != 201 {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a full disk refuses a capture");
    assert_eq!(
        (refused.status, refused.code()),
        (503, "storage_unavailable"),
        "{}",
        refused.text
    );
    assert!(refused.retry_after().is_some());
    // Fail-stop, and visible: health says so even after space is freed again.
    drop(filler);
    std::fs::remove_file(disk.join("filler")).expect("free space");
    let health = server.request("GET", "/healthz", None, None, None);
    assert_eq!(
        (health.status, health.body["code"].as_str()),
        (503, Some("storage_unavailable")),
        "{}",
        health.text
    );
    let after = server.capture(&point, "430102-001", 300, "cap-300");
    assert_eq!((after.status, after.code()), (503, "storage_unavailable"));
}

#[test]
fn item_21_the_store_and_the_keys_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let _server = Server::start(&data);
    let mut checked = 0;
    for entry in std::fs::read_dir(&data).expect("data dir") {
        let path = entry.expect("entry").path();
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name == "secrets.json" || name.ends_with(".redb") {
            assert_eq!(mode, 0o600, "{name} is {mode:o}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "the keys and the store were both found");
    let mode = std::fs::metadata(&data).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the data directory is {mode:o}");
}

/// Security audit item 21: every fresh store was the demo province — demo operators with a
/// printed password, seeded points, every window open. A real deployment (`REG_DEMO=false`)
/// says it is not a demo and has none of that (the windows: `gateway::demo`'s unit test).
#[test]
fn item_21_a_non_demo_store_has_no_demo_accounts_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = Server::start_with(dir.path(), &[("REG_DEMO", "false")]);
    let health = real.request("GET", "/healthz", None, None, None);
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.body["demo"], json!(false));
    for username in ["province", "city-4301", "county-430102", "point-430102-001"] {
        let login = real.request(
            "POST",
            "/v1/sessions/operator",
            Some(&json!({"username": username, "password": tests::DEMO_PASSWORD})),
            None,
            None,
        );
        assert_eq!(login.status, 401, "{username}: {}", login.text);
        assert_eq!(login.body["code"], json!("invalid_credentials"));
    }
    let demo_dir = tempfile::tempdir().expect("tempdir");
    let demo = Server::start(demo_dir.path());
    let health = demo.request("GET", "/healthz", None, None, None);
    assert_eq!(health.body["demo"], json!(true));
    demo.operator("province");
}

/// Security audit item 18: operators' work lists read a whole point or county per request.
/// Now each page looks at `limit` candidates and `next` continues; malformed pages are
/// refused before anything is read.
#[test]
fn item_18_work_lists_are_paged() {
    let (_dir, server, point, _key) = captured();
    for sequence in 2..=3 {
        let captured = server.capture(&point, "430102-001", sequence, &format!("cap-{sequence}"));
        assert_eq!(captured.status, 201, "{}", captured.text);
    }
    let county = server.operator("county-430102");
    // Follows `next` from `first` until it is null; returns how many pages there were and
    // every `next` seen.
    let follow = |first: &str, caller: &str| {
        let mut nexts = Vec::new();
        let mut path = first.to_owned();
        loop {
            let page = server.request("GET", &path, None, Some(caller), None);
            assert_eq!(page.status, 200, "{}", page.text);
            let Some(next) = page.body["next"].as_str() else {
                return (nexts.len() + 1, nexts);
            };
            nexts.push(next.to_owned());
            path = format!("{first}&after={next}");
            assert!(nexts.len() < 10, "paging never ends");
        }
    };
    let (pages, _) = follow("/v1/points/430102-001/open-items?limit=1", &point);
    assert!(pages >= 3, "three candidates, one per page: {pages} pages");
    let (pages, nexts) = follow("/v1/counties/430102/declarations?limit=2", &county);
    assert!(
        nexts.iter().all(|next| next.starts_with("430102-001/")),
        "{nexts:?}"
    );
    assert!(pages >= 2, "three candidates, two per page: {pages} pages");
    for (path, code) in [
        ("/v1/points/430102-001/open-items?limit=0", "limit_invalid"),
        (
            "/v1/points/430102-001/open-items?after=nothex",
            "after_invalid",
        ),
        (
            "/v1/counties/430102/declarations?limit=5000",
            "limit_invalid",
        ),
        (
            "/v1/counties/430102/declarations?after=430102-001",
            "after_invalid",
        ),
    ] {
        let caller = if path.contains("counties") {
            &county
        } else {
            &point
        };
        let refused = server.request("GET", path, None, Some(caller), None);
        assert_eq!(refused.status, 400, "{path}: {}", refused.text);
        assert_eq!(refused.body["code"], code, "{path}");
    }
}

#[test]
fn item_11_unsigned_callback_floods_do_not_starve_real_notifications() {
    let (_dir, server, _point, _key) = captured();
    let token = server.candidate(1);
    let province = server.operator("province");
    let mut config = server
        .request("GET", "/v1/admission", None, Some(&province), None)
        .body["config"]
        .clone();
    config["limits"]["callback_requests_per_second"] = json!(2);
    let put = server.request(
        "PUT",
        "/v1/admission",
        Some(&config),
        Some(&province),
        Some("slow-callbacks"),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    let order = fee_order(&server, &token);
    let (order_id, amount) = (
        order["order_id"].as_str().expect("order"),
        order["amount_fen"].as_u64().expect("amount"),
    );
    // Forty forged notifications first (signed by a key that is not the provider's): each
    // refused for its signature, none counted.
    let forger = tests::payments::Signer::forger("wechat_pay");
    let (headers, body) = forger.notification(
        "wechat_pay",
        &tests::payments::Payment::now(order_id, "tx-flood", amount),
    );
    for _ in 0..40 {
        let forged = server
            .try_signed("wechat_pay", &headers, &body)
            .expect("answer");
        assert_eq!(
            (forged.status, forged.body["code"].as_str()),
            (401, Some("FAIL")),
            "{}",
            forged.text
        );
    }
    let real = server.notify("wechat_pay", order_id, "tx-flood", amount);
    assert_eq!(
        real.status, 200,
        "the real notification got through: {}",
        real.text
    );
    assert_eq!(me(&server, &token)["fee_paid"], true);
}

#[test]
fn item_14_logins_are_audited_and_every_request_records_intent_then_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let failed = server.request(
        "POST",
        "/v1/sessions/operator",
        Some(&json!({"username": "county-430102", "password": "wrong-guess-1"})),
        None,
        None,
    );
    assert_eq!(failed.status, 401);
    let county = server.operator("county-430102");
    let progress = server.request(
        "GET",
        "/v1/progress?scope=county:430102",
        None,
        Some(&county),
        None,
    );
    assert_eq!(progress.status, 200, "{}", progress.text);
    let province = server.operator("province");
    let trail = server.request("GET", "/v1/audit?limit=100", None, Some(&province), None);
    assert_eq!(trail.status, 200, "{}", trail.text);
    let records = trail.body.as_array().expect("records").clone();
    let logins: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "POST /v1/sessions/operator" && r["actor"] == "county-430102")
        .collect();
    let outcomes: Vec<&str> = logins
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    assert!(outcomes.contains(&"invalid_credentials"), "{outcomes:?}");
    assert!(outcomes.contains(&"ok"), "{outcomes:?}");
    assert!(
        logins.iter().all(|r| r["client"] == "127.0.0.1"),
        "{logins:?}"
    );
    let progress_records: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "GET /v1/progress" && r["actor"] == "county-430102")
        .collect();
    assert_eq!(progress_records.len(), 2, "{progress_records:?}");
    assert_eq!(
        progress_records[0]["request"],
        progress_records[1]["request"]
    );
    let mut pair: Vec<&str> = progress_records
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    pair.sort_unstable();
    assert_eq!(pair, ["ok", "started"]);
}

#[test]
fn item_7_export_packages_carry_no_password_hashes_and_imports_need_a_reset() {
    let (dir, server, _point, key) = captured();
    let token = server.candidate(1);
    server.pay_authenticate_and_set_passwords(&token, &key, 1);
    let county = server.operator("county-430102");
    let package = server.request(
        "GET",
        "/v1/counties/430102/export-package",
        None,
        Some(&county),
        None,
    );
    assert_eq!(package.status, 200, "{}", package.text);
    assert!(
        !package.bytes.windows(9).any(|w| w == b"$argon2id"),
        "a password hash left in the package"
    );
    // Another instance of the province imports it: the candidate is there, without
    // passwords, so first login is open (as after the point's reset).
    let other_dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        dir.path().join("secrets.json"),
        other_dir.path().join("secrets.json"),
    )
    .expect("secrets");
    let other = Server::start(other_dir.path());
    let province = other.operator("province");
    let imported = other.raw(
        "POST",
        "/v1/imports/county-package",
        &package.bytes,
        &[
            ("Content-Type", "application/octet-stream"),
            ("Authorization", &format!("Bearer {province}")),
            ("Idempotency-Key", "import-1"),
        ],
    );
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.body["candidates_imported"], 1);
    let again = other.candidate(1);
    assert_eq!(me(&other, &again)["passwords_set"], false);
}

#[test]
fn item_16_identity_results_count_only_for_the_person_verified() {
    let (_dir, server, point, key) = captured();
    assert_eq!(server.capture(&point, "430102-001", 2, "cap-2").status, 201);
    let token = server.candidate(1);
    let other = server.candidate(2);
    let order = fee_order(&server, &token);
    // Not before the fee is paid.
    let early = server.request(
        "POST",
        "/v1/candidates/me/identity-verification",
        None,
        Some(&token),
        None,
    );
    assert_eq!((early.status, early.code()), (409, "fee_not_paid"));
    let paid = server.notify(
        "wechat_pay",
        order["order_id"].as_str().expect("order"),
        "tx-16",
        2000,
    );
    assert_eq!(paid.status, 200, "{}", paid.text);
    let started = server.request(
        "POST",
        "/v1/candidates/me/identity-verification",
        None,
        Some(&token),
        None,
    );
    assert_eq!(started.status, 201, "{}", started.text);
    let ticket = started.body["verification"].clone();
    let callback =
        |body: Value| server.callback("/v1/identity/callback", &body, &server.secret("identity"));
    // The provider verified someone else (candidate 2's ID number): refused.
    let someone_else = callback(json!({
        "verification": ticket, "passed": true, "reference": "face-x",
        "id_number_sha256": tests::id_number_sha256(&id_number(2)),
    }));
    assert_eq!(
        (someone_else.status, someone_else.code()),
        (422, "identity_subject_mismatch"),
        "{}",
        someone_else.text
    );
    // The old shape (a candidate key chosen by the caller): refused.
    let by_key = callback(json!({"candidate_key": key, "passed": true, "reference": "face-y"}));
    assert_eq!(by_key.status, 400, "{}", by_key.text);
    // A forged ticket: refused.
    let forged = callback(json!({
        "verification": "AAAA.BBBB", "passed": true, "reference": "face-z",
        "id_number_sha256": tests::id_number_sha256(&id_number(1)),
    }));
    assert_eq!(
        (forged.status, forged.code()),
        (422, "verification_ticket_invalid")
    );
    assert_eq!(
        me(&server, &token)["authenticated"],
        false,
        "nothing recorded"
    );
    // The real result: recorded once; a second result under the same ticket is refused.
    let real = callback(json!({
        "verification": ticket, "passed": true, "reference": "face-1",
        "id_number_sha256": tests::id_number_sha256(&id_number(1)),
    }));
    assert_eq!(real.status, 200, "{}", real.text);
    assert_eq!(me(&server, &token)["authenticated"], true);
    let replayed_with_another_result = callback(json!({
        "verification": ticket, "passed": false, "reference": "face-2",
        "id_number_sha256": tests::id_number_sha256(&id_number(1)),
    }));
    assert_eq!(
        (
            replayed_with_another_result.status,
            replayed_with_another_result.code()
        ),
        (409, "idempotency_key_reused")
    );
    // The other candidate's session cannot use this ticket's result: still not authenticated.
    assert_eq!(me(&server, &other)["authenticated"], false);
}

#[test]
fn item_6_answers_carry_security_headers_and_hsts_when_behind_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = Server::start(dir.path());
    let health = plain.request("GET", "/healthz", None, None, None);
    assert!(
        health.head.contains("x-content-type-options: nosniff"),
        "{}",
        health.head
    );
    assert!(
        health.head.contains("x-frame-options: deny"),
        "{}",
        health.head
    );
    assert!(!health.head.contains("strict-transport-security"));
    assert!(
        !health.head.contains("\nserver:"),
        "no server banner: {}",
        health.head
    );
    drop(plain);
    let behind_tls_dir = tempfile::tempdir().expect("tempdir");
    let behind_tls = Server::start_with(
        behind_tls_dir.path(),
        &[("REG_HSTS_MAX_AGE_SECONDS", "31536000")],
    );
    let refused = behind_tls.request("GET", "/v1/candidates/me", None, None, None);
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .head
            .contains("strict-transport-security: max-age=31536000; includesubdomains"),
        "{}",
        refused.head
    );
}
