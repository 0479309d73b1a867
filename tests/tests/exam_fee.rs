//! The exam-fee window and the admission ticket (domain.md §2 "Further windows"), and the
//! juvenile class's own registration window: the exam fee is ordered only in its window and
//! only after the form is signed, paid once whatever the notifications, and only then does
//! the admission ticket print; a juvenile-class candidate registers in the juvenile window.

use serde_json::json;
use tests::{CANDIDATE_NAME, Server, capture_body, form_body};

/// A candidate captured, paid, authenticated, with passwords, pledge, form and signature.
fn signed_candidate(server: &Server, point: &str, sequence: u32) -> (String, String) {
    let captured = server.capture(point, "430102-001", sequence, &format!("cap-{sequence}"));
    assert_eq!(captured.status, 201, "{}", captured.text);
    let key = captured.body["key"].as_str().expect("key").to_owned();
    let token = server.candidate(sequence);
    server.pay_authenticate_and_set_passwords(&token, &key, sequence);
    let pledge = server.request(
        "POST",
        "/v1/candidates/me/pledge",
        None,
        Some(&token),
        Some("pledge"),
    );
    assert_eq!(pledge.status, 200, "{}", pledge.text);
    let saved = server.request(
        "PUT",
        "/v1/candidates/me/form",
        Some(&form_body(Some(tests::SAVE_PASSWORD))),
        Some(&token),
        Some("form-1"),
    );
    assert_eq!(saved.status, 200, "{}", saved.text);
    (key, token)
}

fn set_window(server: &Server, province: &str, window: &str, opens: &str, closes: &str, key: &str) {
    let set = server.request(
        "PUT",
        &format!("/v1/schedule/{window}"),
        Some(&json!({"opens_at": opens, "closes_at": closes})),
        Some(province),
        Some(key),
    );
    assert_eq!(set.status, 200, "{}", set.text);
}

#[test]
fn the_admission_ticket_prints_once_the_exam_fee_is_paid_in_its_window() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let province = server.operator("province");
    let (key, token) = signed_candidate(&server, &point, 1);
    let order = |idempotency: &str| {
        server.request(
            "POST",
            "/v1/candidates/me/exam-fee-orders",
            Some(&json!({"provider": "wechat_pay"})),
            Some(&token),
            Some(idempotency),
        )
    };
    // Not signed at the point yet.
    let unsigned = order("e0");
    assert_eq!(
        (unsigned.status, unsigned.code()),
        (409, "form_not_signed"),
        "{}",
        unsigned.text
    );
    let signed = server.request(
        "POST",
        &format!("/v1/candidates/{key}/signature"),
        None,
        Some(&point),
        Some("sign-1"),
    );
    assert_eq!(signed.status, 200, "{}", signed.text);
    // The window: closed, then open.
    set_window(
        &server,
        &province,
        "exam_fee",
        "2020-01-01 08:00",
        "2020-01-31 18:00",
        "w1",
    );
    let closed = order("e1");
    assert_eq!(
        (closed.status, closed.code()),
        (403, "window_closed"),
        "{}",
        closed.text
    );
    set_window(
        &server,
        &province,
        "exam_fee",
        "2020-01-01 08:00",
        "2099-01-31 18:00",
        "w2",
    );
    let no_ticket = server.request(
        "GET",
        "/v1/candidates/me/admission-ticket.pdf",
        None,
        Some(&token),
        None,
    );
    assert_eq!(
        (no_ticket.status, no_ticket.code()),
        (409, "exam_fee_not_paid")
    );
    let bad_provider = server.request(
        "POST",
        "/v1/candidates/me/exam-fee-orders",
        Some(&json!({"provider": "paypal"})),
        Some(&token),
        Some("e2"),
    );
    assert_eq!(bad_provider.status, 400, "{}", bad_provider.text);

    let ordered = order("e3");
    assert_eq!(ordered.status, 201, "{}", ordered.text);
    assert_eq!(
        order("e3").body,
        ordered.body,
        "a retried order is the same order"
    );
    assert!(
        ordered.body["order_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("EX"))
    );
    let (order_id, amount) = (
        ordered.body["order_id"].as_str().expect("order"),
        ordered.body["amount_fen"].as_u64().expect("amount"),
    );
    for _ in 0..3 {
        let delivered = server.notify("wechat_pay", order_id, "4200009001", amount);
        assert_eq!(
            (delivered.status, delivered.body["code"].as_str()),
            (200, Some("SUCCESS"))
        );
    }
    let me = server.request("GET", "/v1/candidates/me", None, Some(&token), None);
    assert_eq!(me.body["exam_fee_paid"], true);
    assert_eq!(me.body["surplus_payments"], 0);
    let again = order("e4");
    assert_eq!((again.status, again.code()), (409, "exam_fee_already_paid"));

    let ticket = server.request(
        "GET",
        "/v1/candidates/me/admission-ticket.pdf",
        None,
        Some(&token),
        None,
    );
    assert_eq!(ticket.status, 200, "{}", ticket.text);
    let facts = tests::pdf::read(&ticket.bytes).expect("a complete PDF");
    assert_eq!(facts.jpeg_images, vec![(480, 640)], "the captured photo");
    for expected in [CANDIDATE_NAME, "准考证", "普通高考", "考场安排"] {
        assert!(
            expected.chars().all(|c| facts.mapped.contains(&c)),
            "{expected} not printed"
        );
    }
    // The point prints it on the candidate's behalf; another point may not.
    let by_point = server.request(
        "GET",
        &format!("/v1/candidates/{key}/admission-ticket.pdf"),
        None,
        Some(&point),
        None,
    );
    assert_eq!(by_point.status, 200, "{}", by_point.text);
    let neighbour = server.operator("point-430102-002");
    let foreign = server.request(
        "GET",
        &format!("/v1/candidates/{key}/admission-ticket.pdf"),
        None,
        Some(&neighbour),
        None,
    );
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let anonymous = server.request(
        "GET",
        "/v1/candidates/me/admission-ticket.pdf",
        None,
        None,
        None,
    );
    assert_eq!(anonymous.status, 401);
}

#[test]
fn the_juvenile_class_registers_in_its_own_window() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let province = server.operator("province");
    set_window(
        &server,
        &province,
        "juvenile_class",
        "2020-01-01 08:00",
        "2020-01-31 18:00",
        "j1",
    );
    let mut juvenile = capture_body(7);
    juvenile["track"] = json!("juvenile_class");
    let capture = |idempotency: &str| {
        server.request(
            "POST",
            "/v1/points/430102-001/captures",
            Some(&juvenile),
            Some(&point),
            Some(idempotency),
        )
    };
    let closed = capture("c1");
    assert_eq!(
        (closed.status, closed.code()),
        (403, "window_closed"),
        "{}",
        closed.text
    );
    assert!(
        closed.text.contains("juvenile"),
        "the refusal names the window: {}",
        closed.text
    );
    let mut unknown_track = capture_body(8);
    unknown_track["track"] = json!("adult");
    let refused = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(&unknown_track),
        Some(&point),
        Some("c2"),
    );
    assert_eq!(refused.status, 400, "{}", refused.text);
    set_window(
        &server,
        &province,
        "juvenile_class",
        "2020-01-01 08:00",
        "2099-01-31 18:00",
        "j2",
    );
    let captured = capture("c3");
    assert_eq!(captured.status, 201, "{}", captured.text);
    assert_eq!(captured.body["track"], "juvenile_class");
    // The gaokao window does not matter to it: closing it leaves the juvenile flow open.
    set_window(
        &server,
        &province,
        "registration",
        "2020-01-01 08:00",
        "2020-01-31 18:00",
        "r1",
    );
    let token = server.candidate(7);
    let order = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        Some(&token),
        Some("o1"),
    );
    assert_eq!(order.status, 201, "{}", order.text);
}
