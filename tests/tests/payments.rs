//! Paying a fee with each real provider protocol, against the provider doubles
//! (`tests::provider`, their own keys and certificates): the order is created at the
//! provider (QR code, link or form), the payer pays, the provider's notification is
//! verified and applied once, duplicates change nothing; every kind of bad notification
//! gets the provider's failure answer, is counted by reason and changes nothing; and the
//! demo's sandbox pays through the same path.

use serde_json::json;
use tests::payments::{Payment, Signer, unix_now};
use tests::provider::{Doubles, accepted, notify_until_acknowledged};
use tests::{Response, Server};

/// Captures candidate `sequence` and logs them in: (key, session token).
fn candidate(server: &Server, point: &str, sequence: u32) -> (String, String) {
    let captured = server.capture(point, "430102-001", sequence, &format!("cap-{sequence}"));
    assert_eq!(captured.status, 201, "{}", captured.text);
    let key = captured.body["key"].as_str().expect("key").to_owned();
    (key, server.candidate(sequence))
}

fn order(server: &Server, token: &str, provider: &str, channel: &str, key: &str) -> Response {
    server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": provider, "channel": channel})),
        Some(token),
        Some(key),
    )
}

fn fee_paid(server: &Server, token: &str) -> bool {
    let me = server.request("GET", "/v1/candidates/me", None, Some(token), None);
    assert_eq!(me.status, 200, "{}", me.text);
    me.body["fee_paid"].as_bool().expect("fee_paid")
}

fn metric(server: &Server, line_start: &str) -> f64 {
    let metrics = server.metrics();
    metrics
        .lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn one_candidate_pays_with_each_provider_through_its_double() {
    let doubles = Doubles::start();
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with_all(directory.path(), &doubles.environment());
    let point = server.operator("point-430102-001");
    for (sequence, provider, channel, method, content) in [
        (1, "wechat_pay", "qr", "qr", "weixin://wxpay/bizpayurl?pr="),
        (2, "wechat_pay", "mobile", "link", "https://wx.tenpay.com/"),
        (3, "alipay", "qr", "qr", "https://qr.alipay.com/"),
        (4, "unionpay", "mobile", "form", "http://127.0.0.1:"),
    ] {
        let (_key, token) = candidate(&server, &point, sequence);
        let created = order(&server, &token, provider, channel, "order-1");
        assert_eq!(created.status, 201, "{provider}: {}", created.text);
        let pay = &created.body["pay"];
        assert_eq!(
            (pay["method"].as_str(), pay["sandbox"].as_bool()),
            (Some(method), Some(false)),
            "{provider}: {}",
            created.text
        );
        assert!(
            pay["content"]
                .as_str()
                .is_some_and(|c| c.starts_with(content)),
            "{provider}: {}",
            created.text
        );
        assert!(
            pay["notice"]
                .as_str()
                .is_some_and(|n| n.contains("不要重复支付") && !n.contains("沙箱"))
        );
        let order_id = created.body["order_id"].as_str().expect("order").to_owned();
        if provider == "unionpay" {
            assert_eq!(pay["fields"]["orderId"], order_id.as_str());
            assert_eq!(
                pay["fields"]["txnAmt"],
                created.body["amount_fen"].to_string().as_str()
            );
            doubles.submit_form(pay);
        }
        // A retry with the same key asks the provider again for the same order.
        let retried = order(&server, &token, provider, channel, "order-1");
        assert_eq!(
            (retried.status, &retried.body["order_id"]),
            (201, &created.body["order_id"])
        );
        assert_eq!(retried.body["pay"]["content"], pay["content"]);

        let double = doubles.get(provider);
        let payment = double.pay(&order_id, &format!("{provider}-tx-{sequence}"));
        let (headers, body) = double.notification(&payment);
        let (attempts, acknowledged) = notify_until_acknowledged(
            provider,
            || server.try_signed(provider, &headers, &body),
            0.0,
        );
        assert_eq!((attempts, acknowledged), (1, true), "{provider}");
        assert!(fee_paid(&server, &token), "{provider}");
        let me = server.request("GET", "/v1/candidates/me", None, Some(&token), None);
        assert_eq!(me.body["fee_paid_in_sandbox"], false);
        // Duplicates, and a copy signed later (another timestamp and nonce), are
        // acknowledged and change nothing.
        for _ in 0..2 {
            let again = server
                .try_signed(provider, &headers, &body)
                .expect("answer");
            assert!(accepted(provider, &again), "{provider}: {}", again.text);
        }
        let later = server.notify(
            provider,
            &order_id,
            &payment.transaction_id,
            payment.amount_fen,
        );
        assert!(accepted(provider, &later), "{provider}: {}", later.text);
        assert!(fee_paid(&server, &token));
        // Paying again is refused before anyone reaches a provider.
        let twice = order(&server, &token, provider, channel, "order-2");
        assert_eq!((twice.status, twice.code()), (409, "fee_already_paid"));
    }
    for provider in ["wechat_pay", "alipay", "unionpay"] {
        assert_eq!(doubles.get(provider).unverified_requests(), 0, "{provider}");
        assert!(doubles.get(provider).created() >= 1, "{provider}");
        assert!(
            metric(
                &server,
                &format!(
                    "registration_payments_notifications_total{{provider=\"{provider}\",outcome=\"duplicate\"}}"
                )
            ) >= 3.0,
            "{provider}"
        );
    }
}

/// One bad notification: a name, the provider, what is sent, the HTTP status and the
/// reason it is counted under.
struct Bad {
    name: &'static str,
    provider: &'static str,
    sent: (Vec<(String, String)>, Vec<u8>),
    status: u16,
    reason: &'static str,
}

#[test]
fn every_bad_notification_gets_the_providers_failure_answer_and_changes_nothing() {
    let doubles = Doubles::start();
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with_all(directory.path(), &doubles.environment());
    let point = server.operator("point-430102-001");
    let mut bad = Vec::new();
    let mut candidates = Vec::new();
    for (sequence, provider) in [(1, "wechat_pay"), (2, "alipay"), (3, "unionpay")] {
        let (_key, token) = candidate(&server, &point, sequence);
        let created = order(&server, &token, provider, "qr", "order");
        assert_eq!(created.status, 201, "{}", created.text);
        if provider == "unionpay" {
            doubles.submit_form(&created.body["pay"]);
        }
        let order_id = created.body["order_id"].as_str().expect("order").to_owned();
        let amount = created.body["amount_fen"].as_u64().expect("amount");
        let genuine = Payment::now(&order_id, &format!("{provider}-tx"), amount);
        let signer = doubles.get(provider).signer().clone();
        let other_key = Signer::new(
            include_str!("../keys/wechat-merchant-test.pem"),
            &signer.key_name,
            &signer.merchant,
            &signer.app,
        );
        let mut other_merchant = signer.clone();
        other_merchant.merchant = "2088000000000000".into();
        let with = |change: &dyn Fn(&mut Payment)| {
            let mut payment = genuine.clone();
            change(&mut payment);
            payment
        };
        let wrong_amount = with(&|payment| payment.amount_fen -= 1);
        let unknown_order =
            with(&|payment| payment.order_id = "GK0000000000000000000000000099".into());
        let foreign_order = with(&|payment| {
            payment.order_id = format!("{}07", &payment.order_id[..payment.order_id.len() - 2])
        });
        // Changed after signing: a byte of WeChat Pay's JSON, the transaction id of a form.
        let mut tampered = signer.notification(provider, &genuine);
        if provider == "wechat_pay" {
            let at = tampered.1.len() / 2;
            tampered.1[at] ^= 0x01;
        } else {
            let text = String::from_utf8(tampered.1).expect("form");
            tampered.1 = text.replace("-tx", "-tx9").into_bytes();
        }
        let mut sent = vec![
            ("tampered body", tampered, 401, "signature"),
            (
                "another key",
                other_key.notification(provider, &genuine),
                401,
                "signature",
            ),
            (
                "another merchant",
                other_merchant.notification(provider, &genuine),
                400,
                "wrong_merchant",
            ),
            (
                "wrong amount",
                signer.notification(provider, &wrong_amount),
                400,
                "wrong_amount",
            ),
            (
                "unknown order",
                signer.notification(provider, &unknown_order),
                400,
                "order_unknown",
            ),
            (
                "an order the candidate never made",
                signer.notification(provider, &foreign_order),
                400,
                "order_unknown",
            ),
        ];
        match provider {
            "wechat_pay" => {
                let mut unknown_serial = signer.clone();
                unknown_serial.key_name = "PUB_KEY_ID_0114232026112900000000000000".into();
                let mut no_nonce = signer.wechat(&genuine, "SUCCESS", unix_now());
                no_nonce.0.retain(|(name, _)| name != "Wechatpay-Nonce");
                let dollars = signer
                    .wechat_transaction(&genuine, "SUCCESS")
                    .replace("\"CNY\"", "\"USD\"");
                sent.extend([
                    (
                        "unknown platform serial",
                        unknown_serial.notification(provider, &genuine),
                        401,
                        "unknown_key",
                    ),
                    (
                        "stale timestamp",
                        signer.wechat(&genuine, "SUCCESS", unix_now() - 301),
                        401,
                        "stale",
                    ),
                    ("missing header", no_nonce, 401, "unsigned"),
                    (
                        "not paid",
                        signer.wechat(&genuine, "NOTPAY", unix_now()),
                        400,
                        "not_paid",
                    ),
                    (
                        "not CNY",
                        signer.wechat_raw(&dollars, unix_now()),
                        400,
                        "not_paid",
                    ),
                ]);
            }
            "alipay" => {
                let (headers, body) = signer.alipay(&genuine, "TRADE_SUCCESS");
                let sha1 = String::from_utf8(body)
                    .expect("utf-8")
                    .replace("sign_type=RSA2", "sign_type=RSA");
                sent.extend([
                    (
                        "waiting for the buyer",
                        signer.alipay(&genuine, "WAIT_BUYER_PAY"),
                        400,
                        "not_paid",
                    ),
                    (
                        "closed",
                        signer.alipay(&genuine, "TRADE_CLOSED"),
                        400,
                        "not_paid",
                    ),
                    (
                        "RSA (SHA-1)",
                        (headers, sha1.into_bytes()),
                        401,
                        "signature",
                    ),
                ]);
            }
            _ => {
                let mut own_certificate = other_key.clone();
                own_certificate.key_name =
                    include_str!("../keys/unionpay-merchant-test.crt").to_owned();
                let mut dollars = signer.unionpay_parameters(&genuine, "00");
                dollars.insert("currencyCode".into(), "840".into());
                sent.extend([
                    (
                        "a certificate not configured",
                        own_certificate.notification(provider, &genuine),
                        401,
                        "unknown_key",
                    ),
                    ("not paid", signer.unionpay(&genuine, "03"), 400, "not_paid"),
                    (
                        "not CNY",
                        (
                            vec![(
                                "Content-Type".into(),
                                "application/x-www-form-urlencoded".into(),
                            )],
                            tests::payments::form(&signer.unionpay_signed(dollars)).into_bytes(),
                        ),
                        400,
                        "not_paid",
                    ),
                ]);
            }
        }
        bad.extend(sent.into_iter().map(|(name, sent, status, reason)| Bad {
            name,
            provider,
            sent,
            status,
            reason,
        }));
        candidates.push((provider, token, genuine));
    }
    let refused = |case: &Bad| {
        metric(
            &server,
            &format!(
                "registration_payments_notifications_refused_total{{provider=\"{}\",reason=\"{}\"}}",
                case.provider, case.reason
            ),
        )
    };
    for case in &bad {
        let before = refused(case);
        let answer = server
            .try_signed(case.provider, &case.sent.0, &case.sent.1)
            .expect("an answer");
        assert_eq!(
            answer.status, case.status,
            "{} {}: {}",
            case.provider, case.name, answer.text
        );
        match case.provider {
            "wechat_pay" => assert_eq!(answer.body["code"], "FAIL", "{}", case.name),
            _ => assert_eq!(answer.text, "failure", "{} {}", case.provider, case.name),
        }
        assert!(!accepted(case.provider, &answer));
        assert_eq!(
            refused(case),
            before + 1.0,
            "{} {} is counted as {}",
            case.provider,
            case.name,
            case.reason
        );
    }
    for (provider, token, _) in &candidates {
        assert!(!fee_paid(&server, token), "{provider}: nothing was applied");
    }
    // The genuine notifications still pay, once.
    for (provider, token, genuine) in &candidates {
        let (headers, body) = doubles.get(provider).notification(genuine);
        let answer = server
            .try_signed(provider, &headers, &body)
            .expect("answer");
        assert!(accepted(provider, &answer), "{provider}: {}", answer.text);
        assert!(fee_paid(&server, token));
    }
    // No provider here: 404 in the API's own format.
    let unknown = server.raw("POST", "/v1/payments/paypal/notify", b"{}", &[]);
    assert_eq!((unknown.status, unknown.code()), (404, "provider_unknown"));
}

#[test]
fn the_demo_pays_in_its_sandbox_through_the_same_verification() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let province = server.operator("province");
    let pay_path = |created: &Response| {
        let link = created.body["pay"]["content"].as_str().expect("link");
        link.split_once("/v1/sandbox/")
            .map(|(_, rest)| format!("/v1/sandbox/{rest}"))
            .expect("a sandbox link")
    };
    for (sequence, provider) in [(1, "wechat_pay"), (2, "alipay"), (3, "unionpay")] {
        let (_key, token) = candidate(&server, &point, sequence);
        let created = order(&server, &token, provider, "qr", "order");
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.body["pay"]["sandbox"], true);
        assert!(
            created.body["pay"]["notice"]
                .as_str()
                .is_some_and(|notice| notice.contains("沙箱"))
        );
        let paid = server.request("POST", &pay_path(&created), None, None, None);
        assert_eq!(paid.status, 200, "{provider}: {}", paid.text);
        assert_eq!(
            (
                &paid.body["sandbox"],
                &paid.body["notified"],
                &paid.body["notification_status"]
            ),
            (&json!(true), &json!(true), &json!(200)),
            "{provider}: {}",
            paid.text
        );
        assert!(fee_paid(&server, &token), "{provider}");
        let me = server.request("GET", "/v1/candidates/me", None, Some(&token), None);
        assert_eq!(me.body["fee_paid_in_sandbox"], true, "{}", me.text);
        // Acknowledged once durable in the inbox, then applied by the candidate's shard.
        for (counter, outcome) in [
            ("registration_payments_notifications_total", "received"),
            ("registration_payments_inbox_applied_total", "applied"),
        ] {
            assert!(
                metric(
                    &server,
                    &format!("{counter}{{provider=\"{provider}\",outcome=\"{outcome}\"}}")
                ) >= 1.0,
                "{counter} {outcome}"
            );
        }
    }
    // A lost notification in the sandbox: reconciliation asks the sandbox and finds it.
    let (_key, token) = candidate(&server, &point, 4);
    let created = order(&server, &token, "alipay", "qr", "order");
    let lost = server.request(
        "POST",
        &pay_path(&created),
        Some(&json!({"notify": false})),
        None,
        None,
    );
    assert_eq!((lost.status, &lost.body["notified"]), (200, &json!(false)));
    assert!(!fee_paid(&server, &token));
    let report = server.request(
        "POST",
        "/v1/reconciliation",
        Some(&json!({"min_order_age_seconds": 0})),
        Some(&province),
        Some("reconcile-sandbox"),
    );
    assert_eq!(report.body["applied"], 1, "{}", report.text);
    assert!(fee_paid(&server, &token));
    // The candidate's own "refresh payment status" finds a lost one too.
    let (_key, token) = candidate(&server, &point, 5);
    let created = order(&server, &token, "unionpay", "mobile", "order");
    let lost = server.request(
        "POST",
        &pay_path(&created),
        Some(&json!({"notify": false})),
        None,
        None,
    );
    assert_eq!(lost.status, 200, "{}", lost.text);
    let refreshed = server.request(
        "POST",
        "/v1/candidates/me/payment-status",
        None,
        Some(&token),
        None,
    );
    assert_eq!(
        (refreshed.status, &refreshed.body["applied"]),
        (200, &json!(1)),
        "{}",
        refreshed.text
    );
    assert!(fee_paid(&server, &token));
    let again = server.request(
        "POST",
        "/v1/candidates/me/payment-status",
        None,
        Some(&token),
        None,
    );
    assert_eq!(again.body["orders_checked"], 0, "nothing unpaid is left");
    // Refusals: an order that does not exist, a malformed body.
    let unknown = server.request(
        "POST",
        "/v1/sandbox/orders/GK0000000000000000000000000000/pay",
        None,
        None,
        None,
    );
    assert_eq!((unknown.status, unknown.code()), (404, "order_unknown"));
    let malformed = server.request(
        "POST",
        &pay_path(&created),
        Some(&json!({"notify": "yes"})),
        None,
        None,
    );
    assert_eq!(malformed.status, 400, "{}", malformed.text);
}

#[test]
fn a_real_deployment_has_no_sandbox_and_takes_no_fee_without_a_payments_file() {
    let directory = tempfile::tempdir().expect("temp dir");
    let (server, _stdout) = tests::operators::start(directory.path(), "stdout");
    let sandbox = server.request(
        "POST",
        "/v1/sandbox/orders/GK0000000000000000000000000000/pay",
        None,
        None,
        None,
    );
    assert_eq!(
        (sandbox.status, sandbox.code()),
        (404, "sandbox_unavailable")
    );
    let notification = server.notify("wechat_pay", "GK0000000000000000000000000000", "t", 1);
    assert_eq!(
        (notification.status, notification.code()),
        (404, "provider_unknown")
    );
}
