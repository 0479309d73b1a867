//! Bonus points and special plans over HTTP: the candidate declares with supporting
//! documents, the county then the city decides, the candidate sees each decision; and the
//! refusals, specific and harmless.

use serde_json::{Value, json};
use tests::{SAVE_PASSWORD, Server};

/// The work list `token` sees for county 430102 (`query` appended to the path).
fn work_list(server: &Server, token: &str, query: &str) -> tests::Response {
    server.request(
        "GET",
        &format!("/v1/counties/430102/declarations{query}"),
        None,
        Some(token),
        None,
    )
}

fn items(response: &tests::Response) -> usize {
    assert_eq!(response.status, 200, "{}", response.text);
    response.body["items"].as_array().map_or(0, Vec::len)
}

fn declarations(server: &Server, token: &str) -> Vec<Value> {
    let me = server.request("GET", "/v1/candidates/me", None, Some(token), None);
    assert_eq!(me.status, 200, "{}", me.text);
    me.body["declarations"]
        .as_array()
        .expect("declarations")
        .clone()
}

#[test]
fn declarations_are_reviewed_by_the_county_then_the_city_and_shown_to_the_candidate() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let captured = server.capture(&point, "430102-001", 1, "cap-1");
    let key = captured.body["key"].as_str().expect("key").to_owned();
    let token = server.candidate(1);
    server.pay_authenticate_and_set_passwords(&token, &key, 1);
    let declare = |body: Value, idempotency: &str| {
        server.request(
            "POST",
            "/v1/candidates/me/declarations",
            Some(&body),
            Some(&token),
            Some(idempotency),
        )
    };
    let bonus = json!({"kind": "bonus_points", "item": "少数民族加分", "documents": ["民族证明-001"], "save_password": SAVE_PASSWORD});
    let plan = json!({"kind": "special_plan", "item": "国家专项计划", "documents": ["户籍证明-7", "学籍证明-8"], "save_password": SAVE_PASSWORD});
    let first = declare(bonus.clone(), "d1");
    assert_eq!(first.status, 201, "{}", first.text);
    let second = declare(plan, "d2");
    assert_eq!(second.status, 201, "{}", second.text);

    // Refusals of the declaration itself.
    let no_documents = declare(
        json!({"kind": "bonus_points", "item": "体育特长", "documents": [], "save_password": SAVE_PASSWORD}),
        "d3",
    );
    assert_eq!(
        (no_documents.status, no_documents.code()),
        (422, "declaration_invalid")
    );
    let unknown_kind = declare(
        json!({"kind": "lottery", "item": "x", "documents": ["y"], "save_password": SAVE_PASSWORD}),
        "d4",
    );
    assert_eq!(unknown_kind.status, 400, "{}", unknown_kind.text);
    let duplicate = declare(bonus, "d5");
    assert_eq!(
        (duplicate.status, duplicate.code()),
        (409, "declaration_duplicate")
    );

    let review = |token: &str, id: u32, body: Value, idempotency: &str| {
        server.request(
            "POST",
            &format!("/v1/candidates/{key}/declarations/{id}/review"),
            Some(&body),
            Some(token),
            Some(idempotency),
        )
    };
    let county = server.operator("county-430102");
    let city = server.operator("city-4301");
    // The reviewers' work lists: the county sees what awaits it; the city, nothing yet.
    assert_eq!(items(&work_list(&server, &county, "")), 2);
    assert_eq!(items(&work_list(&server, &city, "")), 0);
    let bad_stage = work_list(&server, &county, "?stage=later");
    assert_eq!((bad_stage.status, bad_stage.code()), (400, "stage_unknown"));
    let by_point = work_list(&server, &point, "");
    assert_eq!((by_point.status, by_point.code()), (403, "out_of_scope"));
    let other_county = server.operator("county-430103");
    assert_eq!(work_list(&server, &other_county, "").status, 403);
    let approve = json!({"approved": true});
    // Order: the city waits for the county; the point and other counties may not decide.
    let early = review(&city, 1, approve.clone(), "r1");
    assert_eq!(
        (early.status, early.code()),
        (409, "declaration_not_awaiting")
    );
    let by_point = review(&point, 1, approve.clone(), "r2");
    assert_eq!((by_point.status, by_point.code()), (403, "out_of_scope"));
    assert_eq!(review(&other_county, 1, approve.clone(), "r3").status, 403);
    assert_eq!(review(&county, 1, approve.clone(), "r4").status, 200);
    assert_eq!(
        items(&work_list(&server, &city, "")),
        1,
        "now it awaits the city"
    );
    assert_eq!(review(&city, 1, approve.clone(), "r5").status, 200);
    let no_reason = review(&county, 2, json!({"approved": false}), "r6");
    assert_eq!(
        (no_reason.status, no_reason.code()),
        (422, "declaration_invalid")
    );
    let rejected = review(
        &county,
        2,
        json!({"approved": false, "reason": "户籍年限不足三年"}),
        "r7",
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let unknown = review(&county, 9, approve, "r8");
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "declaration_unknown")
    );

    // Nothing awaits either level now; the decisions are listed by stage.
    assert_eq!(items(&work_list(&server, &county, "")), 0);
    assert_eq!(items(&work_list(&server, &city, "")), 0);
    assert_eq!(items(&work_list(&server, &city, "?stage=approved")), 1);
    let rejected = work_list(&server, &county, "?stage=rejected");
    assert_eq!(items(&rejected), 1);
    assert_eq!(
        rejected.body["items"][0]["declaration"]["item"],
        "国家专项计划"
    );
    // The candidate sees every decision.
    let seen = declarations(&server, &token);
    assert_eq!(seen[0]["review"], json!("approved"));
    assert_eq!(
        seen[1]["review"],
        json!({"rejected": {"by": "county", "reason": "户籍年限不足三年"}})
    );
    // Reviewed ones cannot be withdrawn; nonsense ids are refused specifically.
    let withdraw = |id: &str, idempotency: &str| {
        server.request(
            "DELETE",
            &format!("/v1/candidates/me/declarations/{id}"),
            Some(&json!({"save_password": SAVE_PASSWORD})),
            Some(&token),
            Some(idempotency),
        )
    };
    assert_eq!(withdraw("1", "w1").code(), "declaration_not_awaiting");
    assert_eq!(withdraw("7", "w2").code(), "declaration_unknown");
    let bad_id = withdraw("first", "w3");
    assert_eq!((bad_id.status, bad_id.code()), (400, "invalid_path"));
    // The message names the range, not the server's types.
    let too_big = withdraw("68719476736", "w3b");
    assert_eq!((too_big.status, too_big.code()), (400, "invalid_path"));
    let message = too_big.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("0 to 4294967295") && !message.contains("u32"),
        "{message}"
    );

    // After the window: no new declarations (reviews go on at the reviewers' pace).
    let province = server.operator("province");
    let closed = server.request(
        "PUT",
        "/v1/schedule/bonus_declaration",
        Some(&json!({"opens_at": "2020-01-01 08:00", "closes_at": "2020-01-31 18:00"})),
        Some(&province),
        Some("close"),
    );
    assert_eq!(closed.status, 200, "{}", closed.text);
    let late = declare(
        json!({"kind": "special_plan", "item": "高校专项计划", "documents": ["证明-9"], "save_password": SAVE_PASSWORD}),
        "d6",
    );
    assert_eq!((late.status, late.code()), (403, "window_closed"));
}
