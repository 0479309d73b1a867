//! Special cases end to end (domain.md §2 "Special cases"): a capture with another identity
//! document waits for the city's approval before the candidate may log in; a typed-in ID
//! (candidate absent) leaves an open item the point closes in person; both are listed for
//! operators until closed; the refusals are specific.

use serde_json::{Value, json};
use tests::{CANDIDATE_NAME, Server, capture_body, id_number};

fn capture(server: &Server, point: &str, body: &Value, idempotency: &str) -> String {
    let captured = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(body),
        Some(point),
        Some(idempotency),
    );
    assert_eq!(captured.status, 201, "{}", captured.text);
    captured.body["key"].as_str().expect("key").to_owned()
}

fn open_items(server: &Server, token: &str) -> Vec<(String, Vec<String>)> {
    let listed = server.request(
        "GET",
        "/v1/points/430102-001/open-items",
        None,
        Some(token),
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["key"].as_str().expect("key").to_owned(),
                item["open"]
                    .as_array()
                    .expect("open")
                    .iter()
                    .filter_map(|open| open.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .collect()
}

fn first_login(server: &Server, sequence: u32) -> tests::Response {
    server.request(
        "POST",
        "/v1/sessions/candidate/first-login",
        Some(&json!({"id_number": id_number(sequence), "name": CANDIDATE_NAME, "valid_until": "长期"})),
        None,
        None,
    )
}

#[test]
fn other_documents_and_typed_ids_stay_open_until_the_city_and_the_point_close_them() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let city = server.operator("city-4301");

    let mut other = capture_body(1);
    other["mode"] = json!("other_document");
    other["document"] = json!("港澳居民来往内地通行证");
    other["explanation"] = json!("持通行证报名，已核验原件");
    let other_key = capture(&server, &point, &other, "cap-1");
    let mut absent = capture_body(2);
    absent["mode"] = json!("typed_absent");
    let absent_key = capture(&server, &point, &absent, "cap-2");
    capture(&server, &point, &capture_body(3), "cap-3");

    let items = open_items(&server, &point);
    assert_eq!(items.len(), 2, "{items:?}");
    let other_open = &items
        .iter()
        .find(|(key, _)| *key == other_key)
        .expect("listed")
        .1;
    assert!(
        other_open.contains(&"document_approval".to_owned()),
        "{other_open:?}"
    );
    let absent_open = &items
        .iter()
        .find(|(key, _)| *key == absent_key)
        .expect("listed")
        .1;
    assert_eq!(absent_open, &vec!["id_verification".to_owned()]);
    // The city sees the list too; a neighbouring point does not.
    assert_eq!(open_items(&server, &city).len(), 2);
    let neighbour = server.operator("point-430102-002");
    let foreign = server.request(
        "GET",
        "/v1/points/430102-001/open-items",
        None,
        Some(&neighbour),
        None,
    );
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));

    // Another document: no login until the city approves; only the candidate's city may.
    let refused = first_login(&server, 1);
    assert_eq!(
        (refused.status, refused.code()),
        (409, "document_approval_pending"),
        "{}",
        refused.text
    );
    let approve = |token: &str, idempotency: &str| {
        server.request(
            "POST",
            &format!("/v1/candidates/{other_key}/document-approval"),
            None,
            Some(token),
            Some(idempotency),
        )
    };
    let by_point = approve(&point, "a1");
    assert_eq!((by_point.status, by_point.code()), (403, "out_of_scope"));
    let other_city = server.operator("city-4302");
    let by_other_city = approve(&other_city, "a2");
    assert_eq!(
        (by_other_city.status, by_other_city.code()),
        (403, "out_of_scope")
    );
    let no_key = server.request(
        "POST",
        &format!("/v1/candidates/{other_key}/document-approval"),
        None,
        Some(&city),
        None,
    );
    assert_eq!(
        (no_key.status, no_key.code()),
        (400, "idempotency_key_required")
    );
    let approved = approve(&city, "a3");
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["document_approval_pending"], false);
    assert_eq!(first_login(&server, 1).status, 200);

    // A typed-in ID: the candidate may proceed, but the point must verify it in person.
    let verify = |token: &str, idempotency: &str| {
        server.request(
            "POST",
            &format!("/v1/candidates/{absent_key}/id-verification"),
            None,
            Some(token),
            Some(idempotency),
        )
    };
    let by_city = verify(&city, "v1");
    assert_eq!((by_city.status, by_city.code()), (403, "out_of_scope"));
    let by_neighbour = verify(&neighbour, "v2");
    assert_eq!(by_neighbour.status, 403, "{}", by_neighbour.text);
    let verified = verify(&point, "v3");
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["id_verification_pending"], false);
    let retried = verify(&point, "v3");
    assert_eq!(retried.status, 200, "a retry is the same verification");
    let again = verify(&point, "v4");
    assert_eq!(
        (again.status, again.code()),
        (409, "id_verification_not_pending")
    );

    let remaining = open_items(&server, &point);
    assert!(
        remaining.iter().all(|(key, _)| *key != absent_key),
        "the verified item is closed: {remaining:?}"
    );
    // An unknown key and a malformed point are refused specifically.
    let unknown = server.request(
        "POST",
        "/v1/candidates/00/id-verification",
        None,
        Some(&point),
        Some("v5"),
    );
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "candidate_not_found")
    );
    let malformed = server.request(
        "GET",
        "/v1/points/43-1/open-items",
        None,
        Some(&point),
        None,
    );
    assert_eq!(malformed.status, 422, "{}", malformed.text);
}

#[test]
fn a_migrant_workers_child_registers_at_a_designated_point_after_the_county_audit() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    // The demo designates each county's first point; the second is not designated.
    let second_point = server.operator("point-430102-002");
    let mut migrant = capture_body(4);
    migrant["migrant_child"] = json!(true);
    let refused = server.request(
        "POST",
        "/v1/points/430102-002/captures",
        Some(&migrant),
        Some(&second_point),
        Some("m0"),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (409, "point_not_designated"),
        "{}",
        refused.text
    );

    let point = server.operator("point-430102-001");
    let key = capture(&server, &point, &migrant, "m1");
    let items = open_items(&server, &point);
    assert_eq!(items, vec![(key.clone(), vec!["migrant_audit".to_owned()])]);
    // The point prints the audit form for the candidate to take to the county.
    let form = server.request(
        "GET",
        &format!("/v1/candidates/{key}/migrant-audit-form.pdf"),
        None,
        Some(&point),
        None,
    );
    assert_eq!(form.status, 200, "{}", form.text);
    let facts = tests::pdf::read(&form.bytes).expect("a complete PDF");
    assert_eq!(facts.jpeg_images, vec![(480, 640)]);
    for expected in ["随迁子女报名资格审核表", CANDIDATE_NAME, "待审核"] {
        assert!(
            expected.chars().all(|c| facts.mapped.contains(&c)),
            "{expected} not printed"
        );
    }
    let ordinary = capture(&server, &point, &capture_body(5), "m2");
    let not_migrant = server.request(
        "GET",
        &format!("/v1/candidates/{ordinary}/migrant-audit-form.pdf"),
        None,
        Some(&point),
        None,
    );
    assert_eq!(
        (not_migrant.status, not_migrant.code()),
        (409, "not_a_migrant_child")
    );

    // No login until the county approves; only the candidate's county may.
    let refused_login = first_login(&server, 4);
    assert_eq!(
        (refused_login.status, refused_login.code()),
        (409, "migrant_audit_pending")
    );
    let approve = |token: &str, idempotency: &str| {
        server.request(
            "POST",
            &format!("/v1/candidates/{key}/migrant-approval"),
            None,
            Some(token),
            Some(idempotency),
        )
    };
    let by_point = approve(&point, "a1");
    assert_eq!((by_point.status, by_point.code()), (403, "out_of_scope"));
    let city = server.operator("city-4301");
    assert_eq!(approve(&city, "a2").status, 403);
    let other_county = server.operator("county-430103");
    assert_eq!(approve(&other_county, "a3").status, 403);
    let county = server.operator("county-430102");
    let approved = approve(&county, "a4");
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["migrant_audit_pending"], false);
    let again = approve(&county, "a5");
    assert_eq!(
        (again.status, again.code()),
        (409, "migrant_audit_not_pending")
    );
    assert_eq!(first_login(&server, 4).status, 200);
    assert!(open_items(&server, &point).is_empty());
}
