//! Payment reconciliation through each provider's own query API, against the provider
//! doubles (`tests::provider`: WeChat Pay's order query, `alipay.trade.query`, UnionPay's
//! `queryTrans.do`, each signed as documented): a lost notification's payment is found by
//! querying and applied once; a late notification afterwards applies nothing; unpaid,
//! closed, unknown, forged and wrong-amount answers change nothing; the route's refusals
//! are specific.

use serde_json::{Value, json};
use tests::provider::{Doubles, WECHAT_RETRY_SCHEDULE_SECONDS, notify_until_acknowledged};
use tests::{SAVE_PASSWORD, Server};

/// Captures candidate `sequence`, logs them in and creates an order with `provider` on
/// `channel` (a UnionPay order is created at the provider when the payer's browser posts
/// the signed form: the test posts it): (candidate key, order id, amount).
fn candidate_with_order(
    server: &Server,
    doubles: &Doubles,
    point: &str,
    sequence: u32,
    provider: &str,
    channel: &str,
) -> (String, String, u64) {
    let captured = server.capture(point, "430102-001", sequence, &format!("cap-{sequence}"));
    assert_eq!(captured.status, 201, "{}", captured.text);
    let key = captured.body["key"].as_str().expect("key").to_owned();
    let token = server.candidate(sequence);
    let order = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": provider, "channel": channel})),
        Some(&token),
        Some("order"),
    );
    assert_eq!(order.status, 201, "{}", order.text);
    if order.body["pay"]["method"] == "form" {
        doubles.submit_form(&order.body["pay"]);
    }
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
fn lost_payments_are_found_through_each_providers_query_api_and_applied_exactly_once() {
    let doubles = Doubles::start();
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with_all(directory.path(), &doubles.environment());
    let point = server.operator("point-430102-001");
    let county = server.operator("county-430102");
    let province = server.operator("province");
    let order = |sequence, provider, channel| {
        candidate_with_order(&server, &doubles, &point, sequence, provider, channel)
    };

    let (wechat_lost, wechat_lost_order, _) = order(1, "wechat_pay", "qr");
    let (unpaid, unpaid_order, _) = order(2, "wechat_pay", "mobile");
    let (closed, closed_order, _) = order(3, "wechat_pay", "qr");
    let (forged, forged_order, _) = order(4, "wechat_pay", "qr");
    let (short, short_order, amount) = order(5, "wechat_pay", "qr");
    let (alipay_lost, alipay_lost_order, _) = order(6, "alipay", "qr");
    let (unknown, _, _) = order(7, "alipay", "mobile");
    let (unionpay_lost, unionpay_lost_order, _) = order(8, "unionpay", "qr");
    let (unionpay_closed, unionpay_closed_order, _) = order(9, "unionpay", "mobile");
    let wechat = &doubles.wechat_pay;
    let lost_payment = wechat.pay(&wechat_lost_order, "4200000001");
    wechat.close(&closed_order);
    wechat.pay(&forged_order, "4200000004");
    wechat.forge_answers_about(&forged_order);
    wechat.pay_amount(&short_order, "4200000005", amount - 1);
    doubles
        .alipay
        .pay(&alipay_lost_order, "2026112922001400000006");
    doubles
        .unionpay
        .pay(&unionpay_lost_order, "762611290930000000008");
    doubles.unionpay.close(&unionpay_closed_order);

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
    let unknown_field = reconcile(&server, &province, &json!({"min_age": 0}), "r0");
    assert_eq!(
        (unknown_field.status, unknown_field.code()),
        (400, "unknown_field")
    );
    // Orders younger than the minimum age are left to their notifications.
    let young = reconcile(&server, &province, &json!({}), "r1");
    assert_eq!(young.status, 200, "{}", young.text);
    assert_eq!(young.body["orders_checked"], 0);
    assert_eq!(status(&server, &county, &wechat_lost), "activated");

    let report = reconcile(&server, &province, &everything_now, "r2");
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(
        report.body,
        json!({
            "orders_checked": 9,
            "applied": 3,
            "already_applied": 0,
            "not_paid": 1,
            "closed": 2,
            "not_found": 1,
            "refused": {"payment_amount_mismatch": 1},
            "failed": {"bad_signature": 1},
        })
    );
    for key in [&wechat_lost, &alipay_lost, &unionpay_lost] {
        assert_eq!(status(&server, &county, key), "paid", "{key}");
    }
    for key in [
        &unpaid,
        &closed,
        &forged,
        &short,
        &unknown,
        &unionpay_closed,
    ] {
        assert_eq!(
            status(&server, &county, key),
            "activated",
            "{key} must not be paid"
        );
    }

    // The provider's notification for the found payment arrives late: acknowledged (so the
    // provider stops), and nothing is applied a second time.
    let (headers, body) = wechat.notification(&lost_payment);
    let (attempts, acknowledged) = notify_until_acknowledged(
        "wechat_pay",
        || server.try_signed("wechat_pay", &headers, &body),
        0.0,
    );
    assert_eq!((attempts, acknowledged), (1, true));
    assert_eq!(status(&server, &county, &wechat_lost), "paid");
    let again = reconcile(&server, &province, &everything_now, "r3");
    assert_eq!(
        again.body["orders_checked"], 6,
        "the paid candidates are no longer checked: {}",
        again.text
    );
    assert_eq!(again.body["applied"], 0);

    // Paid later at the provider: the next pass finds it.
    wechat.pay(&unpaid_order, "4200000002");
    let later = reconcile(&server, &province, &everything_now, "r4");
    assert_eq!(later.body["applied"], 1, "{}", later.text);
    assert_eq!(status(&server, &county, &unpaid), "paid");
    let metrics = server.metrics();
    assert!(metrics.contains("registration_payments_reconciliation_total{outcome=\"applied\"} 4"));
    // Every request the gateway made was signed as the providers require.
    for provider in ["wechat_pay", "alipay", "unionpay"] {
        assert_eq!(doubles.get(provider).unverified_requests(), 0, "{provider}");
    }
}

/// The doubles deliver an unacknowledged notification on WeChat Pay's schedule and stop
/// at the first acceptance.
#[test]
fn notifications_are_retried_on_the_providers_schedule_until_acknowledged() {
    let mut calls = Vec::new();
    let started = std::time::Instant::now();
    let (attempts, acknowledged) = notify_until_acknowledged(
        "wechat_pay",
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
    let (attempts, acknowledged) = notify_until_acknowledged("wechat_pay", || None, 0.0);
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
    let doubles = Doubles::start();
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with_all(directory.path(), &doubles.environment());
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
    doubles
        .wechat_pay
        .pay(music["order_id"].as_str().expect("order"), "4200000077");
    assert!(fine_arts["order_id"].is_string());

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
