//! Outages: a point's offline captures imported from the CSV template — every row checked
//! first (a report of the bad ones, nothing imported), then all imported; sending the same
//! file again imports nothing twice.

use serde_json::Value;
use tests::{Server, capture_body, id_number};

const HEADER: &str = "id_number,name,gender,ethnicity,birth_date,address,valid_until,category,mode,track,migrant_child,document,explanation,photo_base64";

/// The template row for candidate `sequence` (same data as the capture API's test body).
fn row(sequence: u32) -> String {
    let body = capture_body(sequence);
    let text = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    [
        text("id_number"),
        text("name"),
        text("gender"),
        body["ethnicity"].to_string(),
        text("birth_date"),
        text("address"),
        text("valid_until"),
        text("category"),
        text("mode"),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        text("photo_base64"),
    ]
    .join(",")
}

fn file(rows: &[String]) -> String {
    let mut text = format!("{HEADER}\r\n");
    for row in rows {
        text.push_str(row);
        text.push_str("\r\n");
    }
    text
}

fn import(
    server: &Server,
    token: &str,
    point: &str,
    csv: &str,
    idempotency: &str,
) -> tests::Response {
    let authorization = format!("Bearer {token}");
    server.raw(
        "POST",
        &format!("/v1/points/{point}/imports"),
        csv.as_bytes(),
        &[
            ("Content-Type", "text/csv"),
            ("Authorization", &authorization),
            ("Idempotency-Key", idempotency),
        ],
    )
}

#[test]
fn offline_captures_import_all_or_nothing_and_re_import_safely() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Server::start(directory.path());
    let point = server.operator("point-430102-001");

    // The template is served.
    let template = server.request("GET", "/v1/imports/capture-template.csv", None, None, None);
    assert_eq!(template.status, 200);
    assert_eq!(template.text.trim(), HEADER);

    // A file with bad rows: nothing is imported, every bad row is reported.
    server.capture(&point, "430102-001", 9, "cap-9");
    // Row 5: candidate 3 with a wrong check digit.
    let valid = id_number(3);
    let wrong_check = if valid.ends_with('0') { '1' } else { '0' };
    let bad_id = row(3).replacen(&valid, &format!("{}{wrong_check}", &valid[..17]), 1);
    let bad = file(&[row(1), row(2), row(1), bad_id, row(9)]);
    let refused = import(&server, &point, "430102-001", &bad, "i1");
    assert_eq!(
        (refused.status, refused.code()),
        (422, "import_invalid"),
        "{}",
        refused.text
    );
    let errors: Vec<(u64, String)> = refused.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0], (4, "duplicate_in_file".to_owned()));
    assert!(
        errors[1].0 == 5 && errors[1].1.starts_with("id_number"),
        "{errors:?}"
    );
    assert_eq!(errors[2], (6, "candidate_already_registered".to_owned()));
    let county = server.operator("county-430102");
    let progress = server.request(
        "GET",
        "/v1/progress?scope=point:430102-001",
        None,
        Some(&county),
        None,
    );
    assert_eq!(
        progress.body["counts"]["captured"], 1,
        "nothing imported: {}",
        progress.text
    );

    // A good file: every row imported, each with its serial number.
    let good = file(&[row(1), row(2), row(3)]);
    let imported = import(&server, &point, "430102-001", &good, "i2");
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.body["imported"], 3);
    let serials: Vec<&str> = imported.body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["serial_number"].as_str())
        .collect();
    assert_eq!(serials.len(), 3);
    // The same file again: recognised, nothing imported twice.
    let again = import(&server, &point, "430102-001", &good, "i3");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        (
            again.body["imported"].clone(),
            again.body["already_imported"].clone()
        ),
        (Value::from(0), Value::from(3))
    );
    let progress = server.request(
        "GET",
        "/v1/progress?scope=point:430102-001",
        None,
        Some(&county),
        None,
    );
    assert_eq!(progress.body["counts"]["captured"], 4, "{}", progress.text);

    // Refusals of the file as a whole.
    let wrong_header = import(&server, &point, "430102-001", "id,name\r\n1,2\r\n", "i4");
    assert_eq!(
        (wrong_header.status, wrong_header.code()),
        (422, "import_template")
    );
    let empty = import(
        &server,
        &point,
        "430102-001",
        &format!("{HEADER}\r\n"),
        "i5",
    );
    assert_eq!((empty.status, empty.code()), (422, "import_empty"));
    let neighbour = server.operator("point-430102-002");
    let foreign = import(&server, &neighbour, "430102-001", &good, "i6");
    assert_eq!((foreign.status, foreign.code()), (403, "out_of_scope"));
    let malformed = file(&[row(4).replacen(",1,", ",one,", 1)]);
    let malformed = import(&server, &point, "430102-001", &malformed, "i7");
    assert_eq!(malformed.status, 422, "{}", malformed.text);
    assert_eq!(malformed.body["errors"][0]["code"], "row_malformed");
}
