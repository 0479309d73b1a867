//! The authorization matrix: every role, in its own scope and in a foreign one, against every
//! route that names a scope. "Allowed" means the request got past authorization (whatever
//! the domain then said); "denied" means 403 `out_of_scope`. Refused operator attempts must
//! be in the audit trail.

use serde_json::json;
use tests::{CANDIDATE_NAME, Server, capture_body, id_number};

#[test]
fn each_role_reaches_its_own_scope_and_nothing_else() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let capture = |point: &str, sequence: u32| {
        let response = server.capture(
            &server.operator(&format!("point-{point}")),
            point,
            sequence,
            "c",
        );
        assert_eq!(response.status, 201, "{}", response.text);
        response.body["key"].as_str().expect("key").to_owned()
    };
    let a = capture("430102-001", 1);
    capture("430103-001", 2);
    let candidate_token = |sequence: u32| {
        let body = json!({"id_number": id_number(sequence), "name": CANDIDATE_NAME, "valid_until": "长期"});
        server
            .request(
                "POST",
                "/v1/sessions/candidate/first-login",
                Some(&body),
                None,
                None,
            )
            .body["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let roles: Vec<(&str, String)> = vec![
        ("province", server.operator("province")),
        ("city-own", server.operator("city-4301")),
        ("city-foreign", server.operator("city-4302")),
        ("county-own", server.operator("county-430102")),
        ("county-foreign", server.operator("county-430103")),
        ("point-own", server.operator("point-430102-001")),
        ("point-sibling", server.operator("point-430102-002")),
        ("candidate-own", candidate_token(1)),
        ("candidate-other", candidate_token(2)),
    ];
    let evaluation = json!({"qualified": true, "opinion": "合格"});
    // (method, path, body, roles allowed)
    let routes: Vec<(&str, String, Option<serde_json::Value>, &[&str])> = vec![
        (
            "GET",
            format!("/v1/candidates/{a}"),
            None,
            &[
                "province",
                "city-own",
                "county-own",
                "point-own",
                "candidate-own",
            ],
        ),
        (
            "GET",
            format!("/v1/candidates/{a}/registration-form.pdf"),
            None,
            &[
                "province",
                "city-own",
                "county-own",
                "point-own",
                "candidate-own",
            ],
        ),
        (
            "GET",
            "/v1/candidates/me/registration-form.pdf".into(),
            None,
            &["candidate-own", "candidate-other"],
        ),
        (
            "POST",
            "/v1/candidates/me/payment-status".into(),
            None,
            &["candidate-own", "candidate-other"],
        ),
        (
            "POST",
            format!("/v1/candidates/{a}/signature"),
            None,
            &["point-own"],
        ),
        (
            "POST",
            format!("/v1/candidates/{a}/moral-evaluation"),
            Some(evaluation),
            &["county-own", "point-own"],
        ),
        (
            "GET",
            "/v1/progress?scope=county:430102".into(),
            None,
            &["province", "city-own", "county-own"],
        ),
        (
            "GET",
            "/v1/progress?scope=point:430102-001".into(),
            None,
            &["province", "city-own", "county-own", "point-own"],
        ),
        (
            "GET",
            "/v1/progress?scope=province".into(),
            None,
            &["province"],
        ),
        (
            "POST",
            "/v1/points/430102-001/captures".into(),
            Some(capture_body(3)),
            &["county-own", "point-own"],
        ),
        (
            "GET",
            "/v1/candidates/me".into(),
            None,
            &["candidate-own", "candidate-other"],
        ),
        ("GET", "/v1/audit".into(), None, &["province"]),
        // Issue 13: lists, county administration, submissions, accounts.
        (
            "GET",
            "/v1/points/430102-001/candidates".into(),
            None,
            &["province", "city-own", "county-own", "point-own"],
        ),
        (
            "GET",
            "/v1/cities/4301/candidates?limit=10".into(),
            None,
            &["province", "city-own"],
        ),
        (
            "GET",
            "/v1/counties/430102/candidates".into(),
            None,
            &["province", "city-own", "county-own"],
        ),
        (
            "GET",
            "/v1/points/430102-001/candidates.csv".into(),
            None,
            &["province", "city-own", "county-own", "point-own"],
        ),
        (
            "POST",
            "/v1/candidate-lookups".into(),
            Some(json!({"serial_number": "01020001"})),
            &[
                "province",
                "city-own",
                "city-foreign",
                "county-own",
                "county-foreign",
                "point-own",
                "point-sibling",
            ],
        ),
        (
            "GET",
            "/v1/counties/430102".into(),
            None,
            &["province", "city-own", "county-own"],
        ),
        (
            "POST",
            "/v1/counties/430102/points".into(),
            Some(json!({"number": 50, "name": "矩阵测试点", "expected_headcount": 1})),
            &["county-own"],
        ),
        (
            "PUT",
            "/v1/counties/430102/points/50".into(),
            Some(json!({"contact": "矩阵"})),
            &["county-own"],
        ),
        (
            "POST",
            "/v1/counties/430102/ranges".into(),
            Some(json!({"point": "430102-001", "first": 9990, "last": 9999})),
            &["county-own"],
        ),
        (
            "GET",
            "/v1/cities/4301/submission".into(),
            None,
            &["province", "city-own"],
        ),
        (
            "POST",
            "/v1/cities/4301/submission".into(),
            None,
            &["city-own"],
        ),
        (
            "DELETE",
            "/v1/cities/4301/submission".into(),
            Some(json!({"reason": "矩阵"})),
            &["province"],
        ),
        (
            "GET",
            "/v1/accounts".into(),
            None,
            &[
                "province",
                "city-own",
                "city-foreign",
                "county-own",
                "county-foreign",
                "point-own",
                "point-sibling",
            ],
        ),
        (
            "POST",
            "/v1/accounts".into(),
            Some(json!({"username": "matrix-county", "scope": "county:430102"})),
            &["city-own", "county-own"],
        ),
        (
            "POST",
            "/v1/counties/430102/submission".into(),
            None,
            &["county-own"],
        ),
        (
            "DELETE",
            "/v1/counties/430102/submission".into(),
            Some(json!({"reason": "矩阵测试退回"})),
            &["province", "city-own"],
        ),
    ];
    let mut checked = 0;
    for (method, path, body, allowed) in &routes {
        for (role, token) in &roles {
            let idempotency = format!("matrix-{checked}");
            let response =
                server.request(method, path, body.as_ref(), Some(token), Some(&idempotency));
            if allowed.contains(role) {
                assert!(
                    ![401, 403].contains(&response.status),
                    "{role} should reach {method} {path}: {}",
                    response.text
                );
            } else {
                assert_eq!(
                    (response.status, response.code()),
                    (403, "out_of_scope"),
                    "{role} must not reach {method} {path}: {}",
                    response.text
                );
            }
            checked += 1;
        }
        let anonymous = server.request(method, path, body.as_ref(), None, Some("anonymous"));
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (401, "unauthenticated"),
            "{method} {path} without a session"
        );
    }
    assert_eq!(checked, routes.len() * roles.len());

    // Refused operator attempts are audited with their outcome; so are allowed reads.
    let province = &roles[0].1;
    // Each operator's own records (the matrix leaves more than one read returns).
    let trail_of = |actor: &str| {
        let trail = server.request(
            "GET",
            &format!("/v1/audit?limit=1000&actor={actor}"),
            None,
            Some(province),
            None,
        );
        assert_eq!(trail.status, 200, "{}", trail.text);
        assert!(
            !trail.text.contains(&id_number(1)),
            "the audit trail holds no ID numbers"
        );
        trail
    };
    let has = |actor: &str, action: &str, outcome: &str| {
        let trail = trail_of(actor);
        let records = trail.body.as_array().expect("records").clone();
        assert!(records.iter().all(|r| r["actor"] == actor));
        records
            .iter()
            .any(|r| r["action"] == action && r["outcome"] == outcome && r["target"] == a.as_str())
    };
    assert!(
        has("county-430103", "GET /v1/candidates/{key}", "out_of_scope"),
        "refused read not audited"
    );
    assert!(
        has("county-430102", "GET /v1/candidates/{key}", "ok"),
        "allowed read not audited"
    );
    assert!(
        has(
            "point-430102-002",
            "POST /v1/candidates/{key}/signature",
            "out_of_scope"
        ),
        "refused write not audited"
    );
    let trail = trail_of("province");
    assert!(
        !trail.text.contains(&id_number(1)),
        "the audit trail holds no ID numbers"
    );
}
