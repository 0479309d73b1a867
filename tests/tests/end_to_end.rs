//! One candidate's whole gaokao registration over real HTTP against the started server
//! binary: capture, first login, fee, duplicate and out-of-order payment notifications,
//! real-person authentication, passwords, pledge, form (with its refusals), later login,
//! signature, moral evaluation, progress — and a refused cross-county read.

use serde_json::json;
use tests::{CANDIDATE_NAME, Server, form_body, id_number};

#[test]
fn one_candidate_registers_end_to_end() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    register_one_candidate(&server);
}

/// The same registration with `log = kafka`, `store = embedded`: on librdkafka's
/// in-process MockCluster (the Kafka protocol over loopback), or on the broker at
/// `REG_TEST_KAFKA_BROKERS` when set (`.ci/run` starts a tansu broker for it).
#[test]
fn one_candidate_registers_end_to_end_with_the_kafka_log() {
    let prefix = format!("e2e-{}", std::process::id());
    let external = std::env::var("REG_TEST_KAFKA_BROKERS").ok();
    let mock = external
        .is_none()
        .then(|| tests::kafka::MockKafka::new(&prefix, 3, 4));
    let environment = match (&external, &mock) {
        (Some(brokers), _) => tests::kafka::kafka_environment(brokers, &prefix, 1, 4),
        (None, Some(mock)) => mock.environment(),
        (None, None) => unreachable!("one of the two is set"),
    };
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with_all(directory.path(), &environment);
    register_one_candidate(&server);
    let metrics = server.metrics();
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(
        value("registration_storage_kafka_produce_duration_seconds_count") >= 10.0,
        "the writes were acknowledged by Kafka"
    );
    assert!(
        value("registration_storage_follower_applied_total") >= 10.0,
        "and applied by the follower"
    );
    drop(server);
    drop(mock);
}

fn register_one_candidate(server: &Server) {
    let point = server.operator("point-430102-001");

    // Step 2: capture at the point.
    let captured = server.capture(&point, "430102-001", 1, "cap-1");
    assert_eq!(captured.status, 201, "{}", captured.text);
    let key = captured.body["key"].as_str().expect("key").to_owned();
    let serial = captured.body["serial_number"]
        .as_str()
        .expect("serial")
        .to_owned();
    assert!(
        serial.starts_with("0102"),
        "serial {serial} starts with the city-county code"
    );
    assert!(
        !captured.text.contains(&id_number(1)),
        "the ID number is never echoed in clear"
    );
    let retried = server.capture(&point, "430102-001", 1, "cap-1");
    assert_eq!(
        (retried.status, retried.body["serial_number"].as_str()),
        (200, Some(serial.as_str())),
        "a retried capture is the same capture"
    );
    let duplicate = server.capture(&point, "430102-001", 1, "cap-1b");
    assert_eq!(
        (duplicate.status, duplicate.code()),
        (409, "candidate_already_registered")
    );

    // A foreign county cannot read it; the candidate's own county can.
    let other_county = server.operator("county-430103");
    let foreign = server.request(
        "GET",
        &format!("/v1/candidates/{key}"),
        None,
        Some(&other_county),
        None,
    );
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let own_county = server.operator("county-430102");
    assert_eq!(
        server
            .request(
                "GET",
                &format!("/v1/candidates/{key}"),
                None,
                Some(&own_county),
                None
            )
            .status,
        200
    );

    // Step 3: first login, checked against the capture.
    let wrong = server.request(
        "POST",
        "/v1/sessions/candidate/first-login",
        Some(&json!({"id_number": id_number(1), "name": "王五", "valid_until": "长期"})),
        None,
        None,
    );
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    let login = server.request(
        "POST",
        "/v1/sessions/candidate/first-login",
        Some(&json!({"id_number": id_number(1), "name": CANDIDATE_NAME, "valid_until": "长期"})),
        None,
        None,
    );
    assert_eq!(login.status, 200, "{}", login.text);
    let candidate = login.body["token"].as_str().expect("token").to_owned();

    // Fee order, then the provider's notifications: repeated, one forged, one early duplicate.
    let order = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "wechat_pay"})),
        Some(&candidate),
        Some("order-1"),
    );
    assert_eq!(order.status, 201, "{}", order.text);
    let order_id = order.body["order_id"].as_str().expect("order").to_owned();
    let amount = order.body["amount_fen"].as_u64().expect("amount");
    // The demo pays in the sandbox: the order says so and gives its pay link.
    assert_eq!(order.body["pay"]["sandbox"], true, "{}", order.text);
    assert!(
        order.body["pay"]["notice"]
            .as_str()
            .is_some_and(|notice| notice.contains("沙箱") && notice.contains("不要重复支付"))
    );
    // A notification signed by someone else's key is WeChat Pay's failure answer.
    let forger = tests::payments::Signer::forger("wechat_pay");
    let (headers, body) = forger.notification(
        "wechat_pay",
        &tests::payments::Payment::now(&order_id, "4200001", amount),
    );
    let forged = server
        .try_signed("wechat_pay", &headers, &body)
        .expect("answer");
    assert_eq!(
        (forged.status, forged.body["code"].as_str()),
        (401, Some("FAIL"))
    );
    for _ in 0..3 {
        let delivered = server.notify("wechat_pay", &order_id, "4200001", amount);
        assert_eq!(
            (delivered.status, delivered.body["code"].as_str()),
            (200, Some("SUCCESS")),
            "{}",
            delivered.text
        );
    }
    let wrong_amount = server.notify("wechat_pay", &order_id, "4200002", 1);
    assert_eq!(
        (wrong_amount.status, wrong_amount.body["code"].as_str()),
        (400, Some("FAIL"))
    );
    // Paid at once: the inbox entry is applied before the read (in Kafka mode the node that
    // answered the provider waits for its projection to have the entry first).
    let me = server.request("GET", "/v1/candidates/me", None, Some(&candidate), None);
    assert_eq!(
        (me.body["fee_paid"].as_bool(), me.body["status"].as_str()),
        (Some(true), Some("paid"))
    );
    let again = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        Some(&candidate),
        Some("order-2"),
    );
    assert_eq!((again.status, again.code()), (409, "fee_already_paid"));

    // Step 4: real-person authentication callback.
    let identity = server.authenticate(&candidate, 1, "face-77");
    assert_eq!(identity.status, 200, "{}", identity.text);

    // Step 5: passwords (weak ones refused).
    let weak = server.request(
        "PUT",
        "/v1/candidates/me/passwords",
        Some(&json!({"login_password": "short", "save_password": "alsoshort"})),
        Some(&candidate),
        Some("pw-0"),
    );
    assert_eq!((weak.status, weak.code()), (422, "password_too_weak"));
    let passwords = server.request(
        "PUT",
        "/v1/candidates/me/passwords",
        Some(&json!({"login_password": "Login2024x", "save_password": "Save2024y"})),
        Some(&candidate),
        Some("pw-1"),
    );
    assert_eq!(passwords.status, 200, "{}", passwords.text);

    // Step 7: pledge and form; saves need the save password; postal fields are refused.
    assert_eq!(
        server
            .request(
                "POST",
                "/v1/candidates/me/pledge",
                None,
                Some(&candidate),
                Some("pledge")
            )
            .status,
        200
    );
    let too_early = server.request(
        "GET",
        "/v1/candidates/me/registration-form.pdf",
        None,
        Some(&candidate),
        None,
    );
    assert_eq!(
        (too_early.status, too_early.code()),
        (409, "form_not_saved")
    );
    let no_password = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&form_body(None)),
        Some(&candidate),
        Some("form-0"),
    );
    assert_eq!(
        (no_password.status, no_password.code()),
        (401, "save_password_required")
    );
    let wrong_password = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&form_body(Some("Login2024x"))),
        Some(&candidate),
        Some("form-0"),
    );
    assert_eq!(
        (wrong_password.status, wrong_password.code()),
        (401, "save_password_incorrect")
    );
    let mut with_postcode = form_body(Some("Save2024y"));
    with_postcode["postcode"] = json!("410000");
    let sensitive = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&with_postcode),
        Some(&candidate),
        Some("form-0"),
    );
    assert_eq!(
        (sensitive.status, sensitive.code()),
        (422, "sensitive_field_not_collected")
    );
    let no_key = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&form_body(Some("Save2024y"))),
        Some(&candidate),
        None,
    );
    assert_eq!(
        (no_key.status, no_key.code()),
        (400, "idempotency_key_required")
    );
    let saved = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&form_body(Some("Save2024y"))),
        Some(&candidate),
        Some("form-1"),
    );
    assert_eq!(
        (saved.status, saved.body["status"].as_str()),
        (200, Some("form_saved")),
        "{}",
        saved.text
    );

    // Step 9 starts with the printed form: a PDF with the photo and real, embedded Chinese
    // text, for the candidate and for the point; not for another point or anonymously.
    let printed = server.request(
        "GET",
        "/v1/candidates/me/registration-form.pdf",
        None,
        Some(&candidate),
        None,
    );
    assert_eq!(printed.status, 200, "{}", printed.text);
    assert!(
        printed.head.contains("content-type: application/pdf"),
        "{}",
        printed.head
    );
    assert!(
        printed.head.contains("cache-control: no-store"),
        "{}",
        printed.head
    );
    let facts = tests::pdf::read(&printed.bytes).expect("a complete PDF");
    assert_eq!(facts.pages, 1);
    assert_eq!(facts.truetype_fonts, 1, "the CJK font is embedded");
    assert_eq!(facts.jpeg_images, vec![(480, 640)], "the captured photo");
    for expected in [
        CANDIDATE_NAME,
        "报名登记表",
        "湖南省",
        "芙蓉区",
        "长沙市第一中学",
        "物理类",
        // Paid in the demo's sandbox: the form says so.
        "沙箱",
    ] {
        assert!(
            expected.chars().all(|c| facts.mapped.contains(&c)),
            "{expected} is not all in the text: {:?}",
            facts.mapped
        );
    }
    let by_point = server.request(
        "GET",
        &format!("/v1/candidates/{key}/registration-form.pdf"),
        None,
        Some(&point),
        None,
    );
    assert_eq!(by_point.status, 200, "{}", by_point.text);
    assert!(tests::pdf::read(&by_point.bytes).is_some());
    let by_other_point = server.request(
        "GET",
        &format!("/v1/candidates/{key}/registration-form.pdf"),
        None,
        Some(&server.operator("point-430102-002")),
        None,
    );
    assert_eq!(
        (by_other_point.status, by_other_point.code()),
        (403, "out_of_scope")
    );
    let anonymous = server.request(
        "GET",
        "/v1/candidates/me/registration-form.pdf",
        None,
        None,
        None,
    );
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (401, "unauthenticated")
    );

    // Later login by serial number and login password.
    let by_serial = server.request(
        "POST",
        "/v1/sessions/candidate",
        Some(&json!({"login": serial, "password": "Login2024x"})),
        None,
        None,
    );
    assert_eq!(by_serial.status, 200, "{}", by_serial.text);
    let bad = server.request(
        "POST",
        "/v1/sessions/candidate",
        Some(&json!({"login": serial, "password": "Save2024y"})),
        None,
        None,
    );
    assert_eq!((bad.status, bad.code()), (401, "invalid_credentials"));

    // Steps 9–10: signature at the point, evaluation by the county; another point cannot sign.
    let other_point = server.operator("point-430102-002");
    let foreign_sign = server.request(
        "POST",
        &format!("/v1/candidates/{key}/signature"),
        None,
        Some(&other_point),
        Some("sign"),
    );
    assert_eq!(
        (foreign_sign.status, foreign_sign.code()),
        (403, "out_of_scope")
    );
    let signed = server.request(
        "POST",
        &format!("/v1/candidates/{key}/signature"),
        None,
        Some(&point),
        Some("sign"),
    );
    assert_eq!(
        (signed.status, signed.body["status"].as_str()),
        (200, Some("signed")),
        "{}",
        signed.text
    );
    let evaluation = json!({"qualified": true, "opinion": "思想品德合格"});
    let evaluated = server.request(
        "POST",
        &format!("/v1/candidates/{key}/moral-evaluation"),
        Some(&evaluation),
        Some(&own_county),
        Some("eval"),
    );
    assert_eq!(
        (evaluated.status, evaluated.body["status"].as_str()),
        (200, Some("evaluated")),
        "{}",
        evaluated.text
    );

    // The record's timeline, newest first, for operators in scope only.
    let timeline = server.request(
        "GET",
        &format!("/v1/candidates/{key}/timeline"),
        None,
        Some(&own_county),
        None,
    );
    assert_eq!(timeline.status, 200, "{}", timeline.text);
    let events: Vec<&str> = timeline
        .body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|entry| entry["event"].as_str())
        .collect();
    assert_eq!(
        events.first(),
        Some(&"moral_evaluation_recorded"),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&"captured"), "{events:?}");
    for step in [
        "first_login_verified",
        "form_saved",
        "form_signed",
        "pledge_accepted",
    ] {
        assert!(events.contains(&step), "{step} in {events:?}");
    }
    assert!(
        !timeline.text.contains("argon2"),
        "no password hash in a timeline"
    );
    let newest_two = server.request(
        "GET",
        &format!("/v1/candidates/{key}/timeline?limit=2"),
        None,
        Some(&own_county),
        None,
    );
    assert_eq!(newest_two.body.as_array().map(Vec::len), Some(2));
    for (token, limit, expected) in [
        (&other_county, "10", (403, "out_of_scope")),
        (&own_county, "0", (400, "limit_invalid")),
        (&own_county, "501", (400, "limit_invalid")),
    ] {
        let refused = server.request(
            "GET",
            &format!("/v1/candidates/{key}/timeline?limit={limit}"),
            None,
            Some(token),
            None,
        );
        assert_eq!(
            (refused.status, refused.code()),
            expected,
            "{}",
            refused.text
        );
    }

    // Step 11: progress, within scope only.
    let progress = server.request(
        "GET",
        "/v1/progress?scope=county:430102",
        None,
        Some(&own_county),
        None,
    );
    assert_eq!(
        progress.body["counts"]["evaluated"].as_u64(),
        Some(1),
        "{}",
        progress.text
    );
    let outside = server.request(
        "GET",
        "/v1/progress?scope=county:430102",
        None,
        Some(&other_county),
        None,
    );
    assert_eq!((outside.status, outside.code()), (403, "out_of_scope"));
    let unauthenticated = server.request("GET", "/v1/progress?scope=province", None, None, None);
    assert_eq!(
        (unauthenticated.status, unauthenticated.code()),
        (401, "unauthenticated")
    );
}

#[test]
fn metrics_cover_routes_actors_and_storage() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let captured = server.capture(&point, "430102-001", 7, "cap-7");
    assert_eq!(captured.status, 201, "{}", captured.text);
    let metrics = server.metrics();
    for expected in [
        r#"registration_http_requests_total{route="/v1/points/{point}/captures",method="POST",status="2xx"}"#,
        "registration_http_request_duration_seconds",
        "registration_actors_processing_seconds",
        "registration_actors_mailbox_depth",
        "registration_storage_commit_duration_seconds",
        "registration_storage_commit_batch_writes",
    ] {
        assert!(metrics.contains(expected), "/metrics lacks {expected}");
    }
    assert!(
        !metrics.contains(&id_number(7)),
        "metrics never carry personal data"
    );
}
