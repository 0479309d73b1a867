//! Payment reconciliation against a provider double that follows WeChat Pay's documented
//! query-order and notification semantics: a lost notification's payment is found by
//! querying and applied once; a late notification afterwards applies nothing; unpaid,
//! closed, forged and wrong-amount answers change nothing; the route's refusals are
//! specific.

use serde_json::{Value, json};
use tests::provider::{ProviderDouble, WECHAT_RETRY_SCHEDULE_SECONDS, notify_until_acknowledged};
use tests::{SAVE_PASSWORD, Server};

const WECHAT_KEY: &str = "7765636861742d6d65726368616e742d6b65792d666f722d7465737473212121";

/// A data directory whose secrets are known before the server starts, so the provider
/// double can sign with the merchant key the server will check.
fn data_dir_with_secrets() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temp dir");
    let secrets = json!({
        "candidate_key_secret": "11".repeat(32),
        "wechat_pay": WECHAT_KEY,
        "alipay": "22".repeat(32),
        "unionpay": "33".repeat(32),
        "identity": "44".repeat(32),
    });
    std::fs::write(directory.path().join("secrets.json"), secrets.to_string()).expect("secrets");
    directory
}

/// Captures candidate `sequence`, logs them in and creates a WeChat Pay order:
/// (candidate key, order id, amount).
fn candidate_with_order(server: &Server, point: &str, sequence: u32) -> (String, String, u64) {
    let captured = server.capture(point, "430102-001", sequence, &format!("cap-{sequence}"));
    assert_eq!(captured.status, 201, "{}", captured.text);
    let key = captured.body["key"].as_str().expect("key").to_owned();
    let token = server.candidate(sequence);
    let order = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "wechat_pay"})),
        Some(&token),
        Some("order"),
    );
    assert_eq!(order.status, 201, "{}", order.text);
    (
        key,
        order.body["order_id"].as_str().expect("order").to_owned(),
        order.body["amount_fen"].as_u64().expect("amount"),
    )
}

fn status(server: &Server, county: &str, key: &str) -> String {
    let read = server.request(
        "GET",
        &format!("/v1/candidates/{key}"),
        None,
        Some(county),
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
    read.body["status"].as_str().expect("status").to_owned()
}

fn reconcile(server: &Server, token: &str, body: &Value, idempotency: &str) -> tests::Response {
    server.request(
        "POST",
        "/v1/reconciliation",
        Some(body),
        Some(token),
        Some(idempotency),
    )
}

#[test]
fn lost_payments_are_found_by_querying_and_applied_exactly_once() {
    let provider = ProviderDouble::start(WECHAT_KEY);
    let directory = data_dir_with_secrets();
    let server = Server::start_with(
        directory.path(),
        &[("REG_WECHAT_PAY_QUERY_URL", provider.url.as_str())],
    );
    let point = server.operator("point-430102-001");
    let county = server.operator("county-430102");
    let province = server.operator("province");

    let (lost, lost_order, amount) = candidate_with_order(&server, &point, 1);
    let (unpaid, unpaid_order, _) = candidate_with_order(&server, &point, 2);
    let (closed, closed_order, _) = candidate_with_order(&server, &point, 3);
    let (forged, forged_order, _) = candidate_with_order(&server, &point, 4);
    let (short, short_order, _) = candidate_with_order(&server, &point, 5);
    provider.paid(&lost_order, "4200000001", amount);
    provider.state(&unpaid_order, "NOTPAY");
    provider.state(&closed_order, "CLOSED");
    provider.paid(&forged_order, "4200000004", amount);
    provider.forge_answers_about(&forged_order);
    provider.paid(&short_order, "4200000005", amount - 1);

    // Refusals first: they change nothing.
    let everything_now = json!({"min_order_age_seconds": 0});
    let foreign = reconcile(&server, &county, &everything_now, "r0");
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let unauthenticated = server.request(
        "POST",
        "/v1/reconciliation",
        Some(&everything_now),
        None,
        Some("r0"),
    );
    assert_eq!(
        (unauthenticated.status, unauthenticated.code()),
        (401, "unauthenticated")
    );
    let no_key = server.request(
        "POST",
        "/v1/reconciliation",
        Some(&everything_now),
        Some(&province),
        None,
    );
    assert_eq!(
        (no_key.status, no_key.code()),
        (400, "idempotency_key_required")
    );
    let unknown = reconcile(&server, &province, &json!({"min_age": 0}), "r0");
    assert_eq!((unknown.status, unknown.code()), (400, "unknown_field"));
    // Orders younger than the minimum age are left to their notifications.
    let young = reconcile(&server, &province, &json!({}), "r1");
    assert_eq!(young.status, 200, "{}", young.text);
    assert_eq!(young.body["orders_checked"], 0);
    assert_eq!(status(&server, &county, &lost), "activated");

    let report = reconcile(&server, &province, &everything_now, "r2");
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(
        report.body,
        json!({
            "orders_checked": 5,
            "applied": 1,
            "already_applied": 0,
            "not_paid": 1,
            "closed": 1,
            "not_found": 0,
            "refused": {"payment_amount_mismatch": 1},
            "failed": {"bad_signature": 1},
        })
    );
    assert_eq!(status(&server, &county, &lost), "paid");
    for key in [&unpaid, &closed, &forged, &short] {
        assert_eq!(
            status(&server, &county, key),
            "activated",
            "{key} must not be paid"
        );
    }

    // The provider's notification for the found payment arrives late: acknowledged with
    // the success body (so the provider stops), and nothing is applied a second time.
    let notification = json!({"order_id": lost_order, "transaction_id": "4200000001",
                              "amount_fen": amount, "paid_at_ms": 1_700_000_000_000i64});
    let (attempts, acknowledged) = notify_until_acknowledged(
        || server.try_callback("/v1/payments/wechat_pay/notify", &notification, WECHAT_KEY),
        0.0,
    );
    assert_eq!((attempts, acknowledged), (1, true));
    let lost_record = server.request(
        "GET",
        &format!("/v1/candidates/{lost}"),
        None,
        Some(&county),
        None,
    );
    assert_eq!(lost_record.body["status"], "paid");
    let again = reconcile(&server, &province, &everything_now, "r3");
    assert_eq!(
        again.body["orders_checked"], 4,
        "the paid candidate is no longer checked"
    );
    assert_eq!(again.body["applied"], 0);

    // Paid later at the provider: the next pass finds it.
    provider.paid(&unpaid_order, "4200000002", amount);
    let later = reconcile(&server, &province, &everything_now, "r4");
    assert_eq!(later.body["applied"], 1, "{}", later.text);
    assert_eq!(status(&server, &county, &unpaid), "paid");
    let metrics = server.request("GET", "/metrics", None, None, None).text;
    assert!(metrics.contains("registration_payments_reconciliation_total{outcome=\"applied\"} 2"));
}

#[test]
fn reconciliation_without_a_provider_endpoint_says_so() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let province = server.operator("province");
    let refused = reconcile(&server, &province, &json!({}), "r1");
    assert_eq!(
        (refused.status, refused.code()),
        (503, "reconciliation_unconfigured")
    );
}

/// The double retries an unacknowledged notification on WeChat Pay's schedule and stops at
/// the first success body.
#[test]
fn notifications_are_retried_on_the_providers_schedule_until_acknowledged() {
    let mut calls = Vec::new();
    let started = std::time::Instant::now();
    let (attempts, acknowledged) = notify_until_acknowledged(
        || {
            calls.push(started.elapsed());
            (calls.len() == 3).then(|| tests::Response {
                status: 200,
                body: json!({"code": "SUCCESS"}),
                text: String::new(),
                bytes: Vec::new(),
                head: String::new(),
            })
        },
        0.001,
    );
    assert_eq!((attempts, acknowledged), (3, true));
    // 15 s then 15 s, scaled by 1/1000.
    assert!(calls[1] >= std::time::Duration::from_millis(WECHAT_RETRY_SCHEDULE_SECONDS[0]));
    assert!(
        calls[2] - calls[1] >= std::time::Duration::from_millis(WECHAT_RETRY_SCHEDULE_SECONDS[1])
    );
    let (attempts, acknowledged) = notify_until_acknowledged(|| None, 0.0);
    assert_eq!(
        (attempts, acknowledged),
        (16, false),
        "gives up after the schedule"
    );
}

/// Art/PE category fees are reconciled like the registration fee: a lost notification for
/// a category's order is found by querying, and only that category becomes paid.
#[test]
fn art_pe_orders_are_reconciled_too() {
    let provider = ProviderDouble::start(WECHAT_KEY);
    let directory = data_dir_with_secrets();
    let server = Server::start_with(
        directory.path(),
        &[("REG_WECHAT_PAY_QUERY_URL", provider.url.as_str())],
    );
    let point = server.operator("point-430102-001");
    let captured = server.capture(&point, "430102-001", 1, "cap-1");
    let key = captured.body["key"].as_str().expect("key").to_owned();
    let token = server.candidate(1);
    server.pay_authenticate_and_set_passwords(&token, &key, 1);
    let phone = server.request(
        "PUT",
        "/v1/candidates/me/phone",
        Some(&json!({"phone": "13800138000", "save_password": SAVE_PASSWORD})),
        Some(&token),
        Some("phone"),
    );
    assert_eq!(phone.status, 200, "{}", phone.text);
    for (category, body) in [
        (
            "music",
            json!({"main_item": "声乐", "sub_item": "钢琴", "save_password": SAVE_PASSWORD}),
        ),
        (
            "fine_arts",
            json!({"main_item": "素描", "save_password": SAVE_PASSWORD}),
        ),
    ] {
        let chosen = server.request(
            "PUT",
            &format!("/v1/candidates/me/art-pe/{category}"),
            Some(&body),
            Some(&token),
            Some(category),
        );
        assert_eq!(chosen.status, 200, "{}", chosen.text);
    }
    let order = |category: &str| {
        let created = server.request(
            "POST",
            &format!("/v1/candidates/me/art-pe/{category}/fee-orders"),
            Some(&json!({"provider": "wechat_pay"})),
            Some(&token),
            Some(&format!("order-{category}")),
        );
        assert_eq!(created.status, 201, "{}", created.text);
        created.body
    };
    let music = order("music");
    let fine_arts = order("fine_arts");
    provider.paid(
        music["order_id"].as_str().expect("order"),
        "4200000077",
        music["amount_fen"].as_u64().expect("amount"),
    );
    provider.state(fine_arts["order_id"].as_str().expect("order"), "NOTPAY");

    let province = server.operator("province");
    let report = reconcile(
        &server,
        &province,
        &json!({"min_order_age_seconds": 0}),
        "r1",
    );
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(report.body["orders_checked"], 2, "{}", report.text);
    assert_eq!(report.body["applied"], 1);
    assert_eq!(report.body["not_paid"], 1);
    let me = server.request("GET", "/v1/candidates/me", None, Some(&token), None);
    let paid: Vec<(String, bool)> = me.body["art_pe"]
        .as_array()
        .expect("art_pe")
        .iter()
        .map(|entry| {
            (
                entry["category"].as_str().expect("category").to_owned(),
                entry["paid"].as_bool().expect("paid"),
            )
        })
        .collect();
    assert_eq!(
        paid,
        vec![("fine_arts".to_owned(), false), ("music".to_owned(), true)]
    );
}
