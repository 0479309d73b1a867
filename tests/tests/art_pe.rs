//! An art/PE candidate end to end over HTTP: phone first, two categories with their items,
//! one order and one payment per category (notifications duplicated), the professional exam
//! ticket listing both — and every refusal on the way, including after the window closes.

use serde_json::{Value, json};
use tests::{CANDIDATE_NAME, SAVE_PASSWORD, Server};

fn put(
    server: &Server,
    token: &str,
    path: &str,
    body: &Value,
    idempotency: &str,
) -> tests::Response {
    server.request("PUT", path, Some(body), Some(token), Some(idempotency))
}

fn notify(server: &Server, order: &Value, transaction: &str) -> tests::Response {
    server.notify(
        "alipay",
        order["order_id"].as_str().expect("order"),
        transaction,
        order["amount_fen"].as_u64().expect("amount"),
    )
}

#[test]
fn an_art_pe_candidate_pays_two_categories_and_prints_the_exam_ticket() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let (key, token) = server.registered(&point, 1);

    let music = json!({"main_item": "声乐", "sub_item": "钢琴", "save_password": SAVE_PASSWORD});
    // Phone binding is mandatory for art/PE.
    let no_phone = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/music",
        &music,
        "m0",
    );
    assert_eq!(
        (no_phone.status, no_phone.code()),
        (409, "phone_binding_required"),
        "{}",
        no_phone.text
    );
    let phone = put(
        &server,
        &token,
        "/v1/candidates/me/phone",
        &json!({"phone": "13800138000", "save_password": SAVE_PASSWORD}),
        "phone",
    );
    assert_eq!(phone.status, 200, "{}", phone.text);

    // Refusals that change nothing.
    let unknown = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/painting",
        &music,
        "x1",
    );
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "art_pe_category_unknown")
    );
    let sub_not_allowed = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/fine_arts",
        &json!({"main_item": "素描", "sub_item": "色彩", "save_password": SAVE_PASSWORD}),
        "x2",
    );
    assert_eq!(
        (sub_not_allowed.status, sub_not_allowed.code()),
        (422, "art_pe_item_invalid")
    );
    let extra_field = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/fine_arts",
        &json!({"main_item": "素描", "colour": "red", "save_password": SAVE_PASSWORD}),
        "x3",
    );
    assert_eq!(
        (extra_field.status, extra_field.code()),
        (400, "unknown_field")
    );
    let not_chosen = server.request(
        "POST",
        "/v1/candidates/me/art-pe/dance/fee-orders",
        Some(&json!({"provider": "alipay"})),
        Some(&token),
        Some("x4"),
    );
    assert_eq!(
        (not_chosen.status, not_chosen.code()),
        (409, "art_pe_category_not_chosen")
    );
    let no_ticket = server.request(
        "GET",
        "/v1/candidates/me/art-pe/exam-ticket.pdf",
        None,
        Some(&token),
        None,
    );
    assert_eq!(
        (no_ticket.status, no_ticket.code()),
        (409, "art_pe_not_paid")
    );

    // Two categories, one order each.
    assert_eq!(
        put(
            &server,
            &token,
            "/v1/candidates/me/art-pe/music",
            &music,
            "m1"
        )
        .status,
        200
    );
    let fine_arts = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/fine_arts",
        &json!({"main_item": "素描", "save_password": SAVE_PASSWORD}),
        "f1",
    );
    assert_eq!(fine_arts.status, 200, "{}", fine_arts.text);
    assert_eq!(fine_arts.body["art_pe"].as_array().map(Vec::len), Some(2));
    let order = |category: &str, idempotency: &str| {
        let created = server.request(
            "POST",
            &format!("/v1/candidates/me/art-pe/{category}/fee-orders"),
            Some(&json!({"provider": "alipay"})),
            Some(&token),
            Some(idempotency),
        );
        assert_eq!(created.status, 201, "{}", created.text);
        created.body
    };
    let music_order = order("music", "mo1");
    assert_eq!(
        order("music", "mo1"),
        music_order,
        "a retried order is the same order"
    );
    let fine_arts_order = order("fine_arts", "fo1");
    assert!(
        music_order["order_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("AP"))
    );
    let ordered_drop = server.request(
        "DELETE",
        "/v1/candidates/me/art-pe/music",
        Some(&json!({"save_password": SAVE_PASSWORD})),
        Some(&token),
        Some("d1"),
    );
    assert_eq!(
        (ordered_drop.status, ordered_drop.code()),
        (409, "art_pe_category_ordered")
    );

    // The provider notifies (Alipay: the literal `success` body), twice for music.
    for _ in 0..2 {
        let delivered = notify(&server, &music_order, "2026112100001");
        assert_eq!(
            (delivered.status, delivered.text.as_str()),
            (200, "success")
        );
    }
    assert_eq!(
        notify(&server, &fine_arts_order, "2026112100002").status,
        200
    );
    let me = server.request("GET", "/v1/candidates/me", None, Some(&token), None);
    let categories = me.body["art_pe"].as_array().expect("art_pe");
    assert!(
        categories.iter().all(|entry| entry["paid"] == true),
        "{categories:?}"
    );
    assert_eq!(me.body["surplus_payments"], 0);
    assert_eq!(
        me.body["fee_paid"], true,
        "the registration fee is untouched"
    );

    // Paid categories cannot change.
    let change_paid = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/music",
        &json!({"main_item": "器乐", "sub_item": "声乐", "save_password": SAVE_PASSWORD}),
        "m2",
    );
    assert_eq!(
        (change_paid.status, change_paid.code()),
        (409, "art_pe_category_paid")
    );

    // The ticket lists both paid categories with the photo.
    let ticket = server.request(
        "GET",
        "/v1/candidates/me/art-pe/exam-ticket.pdf",
        None,
        Some(&token),
        None,
    );
    assert_eq!(ticket.status, 200, "{}", ticket.text);
    assert!(ticket.head.contains("content-type: application/pdf"));
    let facts = tests::pdf::read(&ticket.bytes).expect("a complete PDF");
    assert_eq!(facts.pages, 1);
    assert_eq!(facts.jpeg_images, vec![(480, 640)], "the captured photo");
    for expected in [
        CANDIDATE_NAME,
        "准考证",
        "音乐类",
        "美术与设计类",
        "声乐",
        "钢琴",
        "素描",
    ] {
        assert!(
            expected.chars().all(|c| facts.mapped.contains(&c)),
            "{expected} not printed"
        );
    }

    // The point prints it on the candidate's behalf; another point may not.
    let by_point = server.request(
        "GET",
        &format!("/v1/candidates/{key}/art-pe/exam-ticket.pdf"),
        None,
        Some(&point),
        None,
    );
    assert_eq!(by_point.status, 200, "{}", by_point.text);
    assert!(tests::pdf::read(&by_point.bytes).is_some());
    let neighbour = server.operator("point-430102-002");
    let foreign = server.request(
        "GET",
        &format!("/v1/candidates/{key}/art-pe/exam-ticket.pdf"),
        None,
        Some(&neighbour),
        None,
    );
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));

    // After the window: no new category.
    let province = server.operator("province");
    let closed = put(
        &server,
        &province,
        "/v1/schedule/art_pe",
        &json!({"opens_at": "2020-01-01 08:00", "closes_at": "2020-01-31 18:00"}),
        "close-art-pe",
    );
    assert_eq!(closed.status, 200, "{}", closed.text);
    let late = put(
        &server,
        &token,
        "/v1/candidates/me/art-pe/dance",
        &json!({"main_item": "民族舞", "save_password": SAVE_PASSWORD}),
        "late",
    );
    assert_eq!(
        (late.status, late.code()),
        (403, "window_closed"),
        "{}",
        late.text
    );
    assert!(
        late.text.contains("art_pe") || late.text.contains("艺"),
        "the refusal names the window: {}",
        late.text
    );
}
