//! Login cards (网报登录卡): a point prints its candidates' cards, four to a page, all or only
//! those not logged in yet; one card per candidate for operators in scope; refusals are
//! specific.

use tests::{CANDIDATE_NAME, Server};

fn facts(response: &tests::Response) -> tests::pdf::PdfFacts {
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(
        response.head.contains("content-type: application/pdf"),
        "{}",
        response.head
    );
    assert!(
        response.head.contains("cache-control: no-store"),
        "{}",
        response.head
    );
    tests::pdf::read(&response.bytes).expect("a complete PDF")
}

#[test]
fn a_point_prints_its_login_cards_and_nobody_elses() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let mut keys = Vec::new();
    for sequence in 1..=5 {
        let captured = server.capture(&point, "430102-001", sequence, &format!("cap-{sequence}"));
        assert_eq!(captured.status, 201, "{}", captured.text);
        keys.push(captured.body["key"].as_str().expect("key").to_owned());
    }
    let all = facts(&server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf",
        None,
        Some(&point),
        None,
    ));
    assert_eq!(all.pages, 2, "five cards, four to a page");
    assert_eq!(all.truetype_fonts, 1);
    assert!(all.jpeg_images.is_empty(), "no photos on login cards");
    for expected in [
        CANDIDATE_NAME,
        "网报登录卡",
        "报名顺序号",
        "首次登录",
        "芙蓉区",
    ] {
        assert!(
            expected.chars().all(|c| all.mapped.contains(&c)),
            "{expected} not in the text"
        );
    }
    // Only the candidates who have not logged in yet.
    server.candidate(1);
    let waiting = facts(&server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf?status=captured",
        None,
        Some(&point),
        None,
    ));
    assert_eq!(waiting.pages, 1, "four cards left");
    // One card, for the county too.
    let county = server.operator("county-430102");
    let one = facts(&server.request(
        "GET",
        &format!("/v1/candidates/{}/login-card.pdf", keys[0]),
        None,
        Some(&county),
        None,
    ));
    assert_eq!(one.pages, 1);
    // Refusals.
    let neighbour = server.operator("point-430102-002");
    let foreign = server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf",
        None,
        Some(&neighbour),
        None,
    );
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let foreign_card = server.request(
        "GET",
        &format!("/v1/candidates/{}/login-card.pdf", keys[0]),
        None,
        Some(&neighbour),
        None,
    );
    assert_eq!(foreign_card.status, 403, "{}", foreign_card.text);
    let anonymous = server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf",
        None,
        None,
        None,
    );
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (401, "unauthenticated")
    );
    let candidate = server.candidate(2);
    let by_candidate = server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf",
        None,
        Some(&candidate),
        None,
    );
    assert_eq!(
        (by_candidate.status, by_candidate.code()),
        (403, "out_of_scope")
    );
    let bad_status = server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf?status=nearly",
        None,
        Some(&point),
        None,
    );
    assert_eq!(
        (bad_status.status, bad_status.code()),
        (400, "status_unknown")
    );
    let bad_query = server.request(
        "GET",
        "/v1/points/430102-001/login-cards.pdf?colour=red",
        None,
        Some(&point),
        None,
    );
    assert_eq!((bad_query.status, bad_query.code()), (400, "invalid_query"));
    let bad_point = server.request(
        "GET",
        "/v1/points/4301-1/login-cards.pdf",
        None,
        Some(&point),
        None,
    );
    assert_eq!(bad_point.status, 422, "{}", bad_point.text);
    let empty = server.operator("point-430102-003");
    let nothing = server.request(
        "GET",
        "/v1/points/430102-003/login-cards.pdf",
        None,
        Some(&empty),
        None,
    );
    assert_eq!((nothing.status, nothing.code()), (404, "no_candidates"));
    let unknown_key = server.request(
        "GET",
        "/v1/candidates/zz/login-card.pdf",
        None,
        Some(&county),
        None,
    );
    assert_eq!(
        (unknown_key.status, unknown_key.code()),
        (404, "candidate_not_found")
    );
}

/// Security audit item 18: a point's whole list was read and rendered in one request (10,000
/// cards). Now a run holds at most `limit` cards (1000 at most) and names where the next
/// starts; runs together print every card once.
#[test]
fn item_18_large_points_print_in_runs() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    for sequence in 1..=5 {
        let captured = server.capture(&point, "430102-001", sequence, &format!("cap-{sequence}"));
        assert_eq!(captured.status, 201, "{}", captured.text);
    }
    let mut pages = Vec::new();
    let mut path = "/v1/points/430102-001/login-cards.pdf?limit=2".to_owned();
    loop {
        let run = server.request("GET", &path, None, Some(&point), None);
        pages.push(facts(&run).pages);
        let next = run
            .head
            .lines()
            .find_map(|line| line.strip_prefix("x-next-after: "))
            .map(|key| key.trim().to_owned());
        match next {
            Some(key) => {
                assert_eq!(key.len(), 32, "{key}");
                path = format!("/v1/points/430102-001/login-cards.pdf?limit=2&after={key}");
            }
            None => break,
        }
    }
    assert_eq!(pages, vec![1, 1, 1], "2 + 2 + 1 cards");
    for (query, code) in [
        ("limit=0", "limit_invalid"),
        ("limit=1001", "limit_invalid"),
        ("after=zz", "after_invalid"),
    ] {
        let refused = server.request(
            "GET",
            &format!("/v1/points/430102-001/login-cards.pdf?{query}"),
            None,
            Some(&point),
            None,
        );
        assert_eq!(refused.status, 400, "{query}: {}", refused.text);
        assert_eq!(refused.body["code"], code, "{query}");
    }
}
