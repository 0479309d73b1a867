//! Issue 13 (items 3–4): a real province run through the API from an empty store. The
//! province's administrator sets the windows and creates a city account; the city creates
//! its counties' accounts; a county sets up two points, divides its serial numbers and
//! creates a point account; the point captures a candidate; the county submits, which
//! freezes it; the city returns the submission, which opens it again; every county submits,
//! then the city; the province returns the city's submission.

use serde_json::{Value, json};
use tests::Server;
use tests::operators::{create, first_login, login, setup_token, start, token_of};

/// An open `GET /v1/progress/stream`, read as it comes.
struct ProgressStream {
    socket: std::net::TcpStream,
    received: String,
    seen: usize,
}

impl ProgressStream {
    fn open(server: &Server, scope: &str, token: &str) -> ProgressStream {
        use std::io::Write as _;
        let mut socket = std::net::TcpStream::connect(&server.address).expect("connects");
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        write!(
            socket,
            "GET /v1/progress/stream?scope={scope} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n",
            server.address
        )
        .expect("request sent");
        ProgressStream {
            socket,
            received: String::new(),
            seen: 0,
        }
    }

    /// The next `progress` event's data.
    fn next_event(&mut self) -> Value {
        use std::io::Read as _;
        let mut buffer = [0u8; 4096];
        loop {
            let events: Vec<&str> = self
                .received
                .lines()
                .filter_map(|line| line.strip_prefix("data: "))
                .collect();
            if let Some(data) = events.get(self.seen) {
                let event = serde_json::from_str(data).expect("event data is JSON");
                self.seen += 1;
                return event;
            }
            let read = self
                .socket
                .read(&mut buffer)
                .expect("the stream stays open");
            assert!(read > 0, "the stream ended: {}", self.received);
            self.received
                .push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
    }
}

/// `text` percent-encoded for a query string.
fn percent(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Sets `window` open from 2020 to 2099.
fn open_window(server: &Server, chief: &str, window: &str) {
    let set = server.request(
        "PUT",
        &format!("/v1/schedule/{window}"),
        Some(&json!({"opens_at": "2020-01-01 00:00", "closes_at": "2099-01-01 00:00"})),
        Some(chief),
        Some(&format!("open-{window}")),
    );
    assert_eq!(set.status, 200, "{window}: {}", set.text);
}

fn post(
    server: &Server,
    path: &str,
    body: Option<&Value>,
    token: &str,
    key: &str,
) -> tests::Response {
    server.request("POST", path, body, Some(token), Some(key))
}

#[test]
fn a_real_province_sets_up_points_ranges_and_submits_upwards() {
    let directory = tempfile::tempdir().expect("temp dir");
    let (server, stdout) = start(directory.path(), "server.out");
    let token = setup_token(&stdout);
    let setup = server.request(
        "POST",
        "/v1/setup",
        Some(&json!({"setup_token": token, "username": "chief", "password": "chief-pass-2026"})),
        None,
        None,
    );
    assert_eq!(setup.status, 201, "{}", setup.text);
    let chief = token_of(&login(&server, "chief", "chief-pass-2026"));
    for window in ["registration", "county_submission", "city_submission"] {
        open_window(&server, &chief, window);
    }

    // Zhangjiajie (4308) has four counties: its city account creates theirs.
    let city_once = create(&server, &chief, "zjj", "city:4308");
    let city = first_login(&server, "zjj", &city_once, "zjj-password-1");
    let mut counties = Vec::new();
    for code in ["430802", "430811", "430821", "430822"] {
        let username = format!("county-{code}");
        let once = create(&server, &city, &username, &format!("county:{code}"));
        counties.push((
            code,
            first_login(&server, &username, &once, "county-pass-01"),
        ));
    }
    let (yongding, county) = (counties[0].0, counties[0].1.clone());
    let base = format!("/v1/counties/{yongding}");

    // Points: refused precisely, then set up.
    let point = |number: u32, name: &str, key: &str| {
        post(
            &server,
            &format!("{base}/points"),
            Some(&json!({"number": number, "name": name, "expected_headcount": 300})),
            &county,
            key,
        )
    };
    let first = point(1, "张家界市第一中学报名点", "p1");
    assert_eq!(first.status, 201, "{}", first.text);
    let again = point(1, "张家界市第一中学报名点", "p1");
    assert_eq!(again.status, 201, "the same request again: the same answer");
    let duplicate = point(1, "另一个", "p1-dup");
    assert_eq!(duplicate.code(), "point_exists", "{}", duplicate.text);
    let zero = point(0, "零号", "p0");
    assert_eq!((zero.status, zero.code()), (422, "invalid_code"));
    let unnamed = point(3, "", "p3");
    assert_eq!(unnamed.status, 422, "{}", unnamed.text);
    let second = post(
        &server,
        &format!("{base}/points"),
        Some(
            &json!({"number": 2, "name": "民族中学", "expected_headcount": 100, "designated_for_migrant_children": true}),
        ),
        &county,
        "p2",
    );
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(
        second.body["points"][1]["designated_for_migrant_children"],
        true
    );
    // Another county cannot touch this one; nor can a city or the province write here.
    let foreign = post(
        &server,
        &format!("{base}/points"),
        Some(&json!({"number": 5, "name": "外县", "expected_headcount": 1})),
        &counties[1].1,
        "f",
    );
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let upward = post(
        &server,
        &format!("{base}/points"),
        Some(&json!({"number": 5, "name": "市里", "expected_headcount": 1})),
        &city,
        "u",
    );
    assert_eq!((upward.status, upward.code()), (403, "out_of_scope"));

    // Ranges: one to point 1, then the next run divided by head-count (3:1).
    let allocate = |body: Value, key: &str| {
        post(
            &server,
            &format!("{base}/ranges"),
            Some(&body),
            &county,
            key,
        )
    };
    let given = allocate(
        json!({"point": "430802-001", "first": 1, "last": 400}),
        "r1",
    );
    assert_eq!(given.status, 201, "{}", given.text);
    let overlap = allocate(
        json!({"point": "430802-002", "first": 300, "last": 500}),
        "r2",
    );
    assert_eq!(
        (overlap.status, overlap.code()),
        (409, "serial_range_overlap"),
        "{}",
        overlap.text
    );
    let out_of_block = allocate(
        json!({"point": "430802-002", "first": 9000, "last": 10500}),
        "r3",
    );
    assert_eq!(out_of_block.status, 422, "{}", out_of_block.text);
    let not_first = allocate(json!({"first": 600, "last": 999}), "r4");
    assert_eq!(not_first.code(), "division_not_at_first_free");
    let divided = allocate(json!({"first": 401, "last": 800}), "r5");
    assert_eq!(divided.status, 201, "{}", divided.text);
    let ranges = |view: &Value, point: usize| -> Vec<(u64, u64)> {
        view["points"][point]["ranges"]
            .as_array()
            .expect("ranges")
            .iter()
            .map(|range| {
                (
                    range["first"].as_u64().unwrap_or(0),
                    range["last"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(ranges(&divided.body, 0), [(1, 400), (401, 700)]);
    assert_eq!(ranges(&divided.body, 1), [(701, 800)]);
    assert_eq!(divided.body["unallocated"][0], json!([801, 9999]));
    assert_eq!(divided.body["points"][0]["categories"], json!(["any"]));
    let reserved = allocate(
        json!({"point": "430802-002", "category": "history", "first": 801, "last": 850}),
        "r6",
    );
    assert_eq!(reserved.status, 201, "{}", reserved.text);
    assert_eq!(reserved.body["points"][1]["categories"], json!(["any"]));
    // A point whose only range is reserved takes only that category.
    let fourth = point(4, "历史类报名点", "p4");
    assert_eq!(fourth.status, 201, "{}", fourth.text);
    let history = allocate(
        json!({"point": "430802-004", "category": "history", "first": 9000, "last": 9010}),
        "r7",
    );
    assert_eq!(history.body["points"][2]["categories"], json!(["history"]));

    // A point is edited (name, head-count, address, contact, phone) and, while it has
    // handed out nothing, closed: its numbers are free again.
    let edit = |number: u32, body: Value, key: &str| {
        server.request(
            "PUT",
            &format!("{base}/points/{number}"),
            Some(&body),
            Some(&county),
            Some(key),
        )
    };
    let edited = edit(
        2,
        json!({"name": "张家界市民族中学", "expected_headcount": 120, "address": "永定区大庸路1号", "contact": "王老师", "phone": "0744-8221234"}),
        "e1",
    );
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["points"][1]["name"], "张家界市民族中学");
    assert_eq!(edited.body["points"][1]["details"]["phone"], "0744-8221234");
    let bad_phone = edit(2, json!({"phone": "12345"}), "e2");
    assert_eq!((bad_phone.status, bad_phone.code()), (422, "phone_invalid"));
    let long_name = edit(2, json!({"name": "长".repeat(61)}), "e3");
    assert_eq!(long_name.status, 422, "{}", long_name.text);
    let no_such = edit(7, json!({"name": "七中"}), "e4");
    assert_eq!(no_such.code(), "point_unknown");
    let unknown_field = edit(2, json!({"principal": "x"}), "e5");
    assert_eq!(unknown_field.code(), "unknown_field");
    let closed = server.request(
        "DELETE",
        &format!("{base}/points/2"),
        None,
        Some(&county),
        Some("close-2"),
    );
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["points"].as_array().map(Vec::len), Some(2));
    assert_eq!(closed.body["unallocated"][0], json!([701, 8999]));
    assert_eq!(closed.body["points"][0]["categories"], json!(["any"]));

    // The point captures a candidate; the county sees the number used.
    let point_once = create(&server, &county, "zjj-yizhong", "point:430802-001");
    let point_token = first_login(&server, "zjj-yizhong", &point_once, "yizhong-pass-1");
    let captured = server.capture(&point_token, "430802-001", 1, "cap-1");
    assert_eq!(captured.status, 201, "{}", captured.text);
    assert!(
        captured.body["serial_number"]
            .as_str()
            .expect("serial")
            .starts_with("0802")
    );
    let seen = server.request("GET", &base, None, Some(&county), None);
    assert_eq!(seen.body["points"][0]["ranges"][0]["used"], 1);
    assert_eq!(seen.body["points"][0]["ranges"][0]["remaining"], 399);
    let in_use = server.request(
        "DELETE",
        &format!("{base}/points/1"),
        None,
        Some(&county),
        Some("close-1"),
    );
    assert_eq!((in_use.status, in_use.code()), (409, "point_in_use"));
    let by_city = server.request("GET", &base, None, Some(&city), None);
    assert_eq!(by_city.status, 200);
    let by_point = server.request("GET", &base, None, Some(&point_token), None);
    assert_eq!(by_point.code(), "out_of_scope");

    // The county finds them: by serial, by ID number, by the step reached; and exports.
    let serial = captured.body["serial_number"]
        .as_str()
        .expect("serial")
        .to_owned();
    let lookup = |body: Value, token: &str| {
        post(
            &server,
            "/v1/candidate-lookups",
            Some(&body),
            token,
            "lookup",
        )
    };
    let by_serial = lookup(json!({"serial_number": serial}), &county);
    assert_eq!(by_serial.body["candidates"][0]["key"], captured.body["key"]);
    let by_id = lookup(json!({"id_number": tests::id_number(1)}), &county);
    assert_eq!(by_id.body["candidates"][0]["key"], captured.body["key"]);
    assert!(
        !by_id.text.contains(&tests::id_number(1)),
        "the ID number comes back masked"
    );
    let elsewhere = lookup(json!({"serial_number": serial}), &counties[1].1);
    assert_eq!(elsewhere.status, 200);
    assert_eq!(
        elsewhere.body["candidates"],
        json!([]),
        "not confirmed outside the scope"
    );
    let both = lookup(
        json!({"serial_number": serial, "id_number": tests::id_number(1)}),
        &county,
    );
    assert_eq!((both.status, both.code()), (422, "lookup_invalid"));
    let list = |query: &str, token: &str| {
        server.request(
            "GET",
            &format!("/v1/points/430802-001/candidates{query}"),
            None,
            Some(token),
            None,
        )
    };
    let captured_only = list("?status=captured", &county);
    assert_eq!(
        captured_only.body["candidates"][0]["serial_number"],
        serial.as_str()
    );
    assert_eq!(list("?status=paid", &county).body["candidates"], json!([]));
    let unknown = list("?status=done", &county);
    assert_eq!((unknown.status, unknown.code()), (400, "status_unknown"));
    assert_eq!(list("", &counties[1].1).code(), "out_of_scope");
    let csv = list(".csv?status=captured", &county);
    assert_eq!(csv.status, 200);
    assert!(
        csv.text.contains("报名号") && csv.text.contains(&serial),
        "{}",
        csv.text
    );
    assert!(
        !csv.text.contains(&tests::id_number(1)),
        "masked in the file too"
    );

    // Live progress: an event now, and one when the next candidate is captured.
    let mut events = ProgressStream::open(&server, "county:430802", &county);
    let first_event = events.next_event();
    assert_eq!(first_event["counts"]["captured"], 1, "{first_event}");
    let third = server.capture(&point_token, "430802-001", 3, "cap-3");
    assert_eq!(third.status, 201, "{}", third.text);
    let second_event = events.next_event();
    assert_eq!(second_event["counts"]["captured"], 2, "{second_event}");
    println!("live progress stream, as received:\n{}", events.received);
    let refused = server.request(
        "GET",
        "/v1/progress/stream?scope=county:430811",
        None,
        Some(&county),
        None,
    );
    assert_eq!((refused.status, refused.code()), (403, "out_of_scope"));

    // The county's whole list, point by point, one candidate per page; and as a file.
    let mut seen = Vec::new();
    let mut path = format!("{base}/candidates?limit=1");
    loop {
        let page = server.request("GET", &path, None, Some(&county), None);
        assert_eq!(page.status, 200, "{}", page.text);
        for row in page.body["candidates"].as_array().expect("rows") {
            seen.push(row["serial_number"].as_str().expect("serial").to_owned());
        }
        match page.body["next"].as_str() {
            Some(next) => path = format!("{base}/candidates?limit=1&after={next}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let in_county = seen.clone();
    // A candidate in a second county, so that the city's list crosses counties.
    let (wulingyuan, second_county) = (counties[1].0, counties[1].1.clone());
    let second = format!("/v1/counties/{wulingyuan}");
    let made = post(
        &server,
        &format!("{second}/points"),
        Some(&json!({"number": 1, "name": "武陵源一中", "expected_headcount": 50})),
        &second_county,
        "w-p1",
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let given = post(
        &server,
        &format!("{second}/ranges"),
        Some(&json!({"point": "430811-001", "first": 1, "last": 50})),
        &second_county,
        "w-r1",
    );
    assert_eq!(given.status, 201, "{}", given.text);
    let once = create(&server, &second_county, "wly-yizhong", "point:430811-001");
    let wly_point = first_login(&server, "wly-yizhong", &once, "wlypoint-pass-1");
    let there = server.capture(&wly_point, "430811-001", 4, "cap-4");
    assert_eq!(there.status, 201, "{}", there.text);
    seen.push(
        there.body["serial_number"]
            .as_str()
            .expect("serial")
            .to_owned(),
    );
    seen.sort();
    // The city's list pages across its counties the same way.
    let mut in_city = Vec::new();
    let mut path = "/v1/cities/4308/candidates?limit=1".to_owned();
    loop {
        let page = server.request("GET", &path, None, Some(&city), None);
        assert_eq!(page.status, 200, "{}", page.text);
        for row in page.body["candidates"].as_array().expect("rows") {
            in_city.push(row["serial_number"].as_str().expect("serial").to_owned());
        }
        match page.body["next"].as_str() {
            Some(next) => path = format!("/v1/cities/4308/candidates?limit=1&after={next}"),
            None => break,
        }
    }
    in_city.sort();
    assert_eq!(in_city, seen);
    let not_yours = server.request(
        "GET",
        "/v1/cities/4308/candidates",
        None,
        Some(&county),
        None,
    );
    assert_eq!(not_yours.code(), "out_of_scope");
    let file = server.request(
        "GET",
        &format!("{base}/candidates.csv"),
        None,
        Some(&city),
        None,
    );
    assert_eq!(file.status, 200);
    assert!(
        in_county
            .iter()
            .all(|serial| file.text.contains(serial.as_str())),
        "{}",
        file.text
    );
    let by_name = |prefix: &str| {
        server
            .request(
                "GET",
                &format!("{base}/candidates?name={}", percent(prefix)),
                None,
                Some(&county),
                None,
            )
            .body["candidates"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let surname: String = tests::CANDIDATE_NAME.chars().take(1).collect();
    assert_eq!(by_name(&surname), 2, "by name prefix");
    assert_eq!(by_name("欧阳"), 0);
    let paid = server.request(
        "GET",
        &format!("{base}/candidates?status=paid"),
        None,
        Some(&county),
        None,
    );
    assert_eq!(paid.body["candidates"], json!([]));
    let bad_cursor = server.request(
        "GET",
        &format!("{base}/candidates?after=nonsense"),
        None,
        Some(&county),
        None,
    );
    assert_eq!(
        (bad_cursor.status, bad_cursor.code()),
        (400, "after_invalid")
    );
    let foreign = server.request(
        "GET",
        &format!("{base}/candidates.csv"),
        None,
        Some(&counties[1].1),
        None,
    );
    assert_eq!(foreign.code(), "out_of_scope");

    // The county submits: its records are frozen.
    let submitted = post(&server, &format!("{base}/submission"), None, &county, "s1");
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    assert!(submitted.body["submitted_at"].is_string());
    let frozen = server.capture(&point_token, "430802-001", 2, "cap-2");
    assert_eq!(
        (frozen.status, frozen.code()),
        (403, "records_frozen"),
        "{}",
        frozen.text
    );
    let frozen_point = point(3, "三中", "p3-frozen");
    assert_eq!(frozen_point.code(), "records_frozen");

    // The city cannot submit before all its counties; it returns this one for correction.
    let early = post(&server, "/v1/cities/4308/submission", None, &city, "c1");
    assert_eq!(
        (early.status, early.code()),
        (409, "lower_level_not_submitted")
    );
    let returning = |reason: &str, key: &str| {
        server.request(
            "DELETE",
            &format!("{base}/submission"),
            Some(&json!({"reason": reason})),
            Some(&city),
            Some(key),
        )
    };
    let no_reason = returning(" ", "ret-0");
    assert_eq!(
        (no_reason.status, no_reason.code()),
        (422, "return_reason_required")
    );
    let by_county = server.request(
        "DELETE",
        &format!("{base}/submission"),
        Some(&json!({"reason": "自己退回"})),
        Some(&county),
        Some("ret-self"),
    );
    assert_eq!(by_county.code(), "out_of_scope");
    let returned = returning("报名人数与报名点核对不符", "ret-1");
    assert_eq!(returned.status, 200, "{}", returned.text);
    assert!(returned.body["submitted_at"].is_null());
    let open_again = server.capture(&point_token, "430802-001", 2, "cap-2b");
    assert_eq!(open_again.status, 201, "{}", open_again.text);

    // Every county submits; then the city; then nothing of it can be returned but by the
    // province.
    for (code, token) in &counties {
        let done = post(
            &server,
            &format!("/v1/counties/{code}/submission"),
            None,
            token,
            "s2",
        );
        assert_eq!(done.status, 200, "{code}: {}", done.text);
    }
    let state = server.request("GET", "/v1/cities/4308/submission", None, Some(&city), None);
    assert!(
        state.body["counties"]
            .as_array()
            .expect("counties")
            .iter()
            .all(|c| c["submitted_at"].is_string()),
        "{}",
        state.text
    );
    let city_done = post(&server, "/v1/cities/4308/submission", None, &city, "c2");
    assert_eq!(city_done.status, 200, "{}", city_done.text);
    assert!(city_done.body["submitted_at"].is_string());
    let under_city = returning("再改", "ret-2");
    assert_eq!(
        under_city.code(),
        "records_frozen",
        "the city's submission is in"
    );
    let foreign_city = server.request("GET", "/v1/cities/4301/submission", None, Some(&city), None);
    assert_eq!(foreign_city.code(), "out_of_scope");
    let province_returns = server.request(
        "DELETE",
        "/v1/cities/4308/submission",
        Some(&json!({"reason": "材料不全"})),
        Some(&chief),
        Some("pr-1"),
    );
    assert_eq!(province_returns.status, 200, "{}", province_returns.text);
    assert_eq!(province_returns.body["returned_because"], "材料不全");
    assert!(province_returns.body["submitted_at"].is_null());
    let by_city_itself = server.request(
        "DELETE",
        "/v1/cities/4308/submission",
        Some(&json!({"reason": "x"})),
        Some(&city),
        Some("pr-2"),
    );
    assert_eq!(by_city_itself.code(), "out_of_scope");
    // The county can be corrected again now that the city's submission is back.
    assert_eq!(returning("补充材料", "ret-3").status, 200);
}
