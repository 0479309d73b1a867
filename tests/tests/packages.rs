//! County export packages: a county exports everything it registered as a signed tar in an
//! encrypted envelope; the province (another instance sharing the province's secrets) decrypts,
//! verifies and imports it —
//! once; a changed byte, a foreign signature or a city out of scope is refused; serial
//! numbers carry over so nothing is handed out twice.

use serde_json::Value;
use tests::{CANDIDATE_NAME, Server};

fn import(server: &Server, token: &str, package: &[u8], idempotency: &str) -> tests::Response {
    let authorization = format!("Bearer {token}");
    server.raw(
        "POST",
        "/v1/imports/county-package",
        package,
        &[
            ("Content-Type", "application/octet-stream"),
            ("Authorization", &authorization),
            ("Idempotency-Key", idempotency),
        ],
    )
}

#[test]
fn a_county_package_is_verified_and_imported_once() {
    let county_directory = tempfile::tempdir().expect("temp dir");
    let county_server = Server::start(county_directory.path());
    let point = county_server.operator("point-430102-001");
    let mut keys = Vec::new();
    let mut serials = Vec::new();
    for sequence in 1..=3 {
        let captured =
            county_server.capture(&point, "430102-001", sequence, &format!("cap-{sequence}"));
        assert_eq!(captured.status, 201, "{}", captured.text);
        keys.push(captured.body["key"].as_str().expect("key").to_owned());
        serials.push(
            captured.body["serial_number"]
                .as_str()
                .expect("serial")
                .to_owned(),
        );
    }
    county_server.candidate(1);

    // Export: the county (or above); not a point, not another county.
    let county = county_server.operator("county-430102");
    let exported = county_server.request(
        "GET",
        "/v1/counties/430102/export-package",
        None,
        Some(&county),
        None,
    );
    assert_eq!(exported.status, 200, "{}", exported.text);
    assert!(
        exported
            .head
            .contains("content-type: application/octet-stream"),
        "{}",
        exported.head
    );
    let package = exported.bytes.clone();
    let by_point = county_server.request(
        "GET",
        "/v1/counties/430102/export-package",
        None,
        Some(&point),
        None,
    );
    assert_eq!((by_point.status, by_point.code()), (403, "out_of_scope"));
    let other = county_server.operator("county-430103");
    assert_eq!(
        county_server
            .request(
                "GET",
                "/v1/counties/430102/export-package",
                None,
                Some(&other),
                None
            )
            .status,
        403
    );

    // The province's instance shares the province's secrets.
    let province_directory = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        county_directory.path().join("secrets.json"),
        province_directory.path().join("secrets.json"),
    )
    .expect("secrets");
    let province_server = Server::start(province_directory.path());
    let province = province_server.operator("province");

    // Refusals first: nothing is imported by them.
    // Ciphertext on the way (the audit's item 7): no name, no ID number in the clear.
    let name = CANDIDATE_NAME.as_bytes();
    assert!(
        !package.windows(name.len()).any(|window| window == name),
        "a candidate's name in the clear"
    );
    let mut changed = package.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 1;
    let tampered = import(&province_server, &province, &changed, "p0");
    assert_eq!(
        (tampered.status, tampered.code()),
        (401, "package_signature_invalid"),
        "{}",
        tampered.text
    );
    let foreign_directory = tempfile::tempdir().expect("temp dir");
    let foreign_server = Server::start(foreign_directory.path());
    let foreign_county = foreign_server.operator("county-430102");
    let foreign = foreign_server.request(
        "GET",
        "/v1/counties/430102/export-package",
        None,
        Some(&foreign_county),
        None,
    );
    let signed_elsewhere = import(&province_server, &province, &foreign.bytes, "p1");
    assert_eq!(
        (signed_elsewhere.status, signed_elsewhere.code()),
        (401, "package_signature_invalid")
    );
    let garbage = import(&province_server, &province, b"not a tar file", "p2");
    assert_eq!(garbage.status, 422, "{}", garbage.text);
    let wrong_city = province_server.operator("city-4302");
    let out_of_scope = import(&province_server, &wrong_city, &package, "p3");
    assert_eq!(
        (out_of_scope.status, out_of_scope.code()),
        (403, "out_of_scope")
    );
    let province_county = province_server.operator("county-430102");
    let lookup = |key: &str| {
        province_server.request(
            "GET",
            &format!("/v1/candidates/{key}"),
            None,
            Some(&province_county),
            None,
        )
    };
    assert_eq!(
        lookup(&keys[0]).status,
        404,
        "nothing imported by the refusals"
    );

    // The import.
    let city = province_server.operator("city-4301");
    let imported = import(&province_server, &city, &package, "p4");
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.body["candidates_imported"], 3);
    assert_eq!(imported.body["county_imported"], true);
    for (key, serial) in keys.iter().zip(&serials) {
        let read = lookup(key);
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(read.body["serial_number"].as_str(), Some(serial.as_str()));
    }
    assert_eq!(
        lookup(&keys[0]).body["status"],
        "activated",
        "the record as exported"
    );
    // The county's serials carried over: the next capture here does not reuse one.
    let province_point = province_server.operator("point-430102-001");
    let next = province_server.capture(&province_point, "430102-001", 4, "cap-4");
    assert_eq!(next.status, 201, "{}", next.text);
    assert!(
        !serials.contains(
            &next.body["serial_number"]
                .as_str()
                .expect("serial")
                .to_owned()
        )
    );

    // Again (the county here is now ahead): nothing changes. After a change here, that
    // candidate is reported, not overwritten.
    let again = import(&province_server, &province, &package, "p5");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        (
            again.body["candidates_imported"].clone(),
            again.body["candidates_already_present"].clone()
        ),
        (Value::from(0), Value::from(3))
    );
    province_server.candidate(2);
    let diverged = import(&province_server, &province, &package, "p6");
    assert_eq!(diverged.status, 200, "{}", diverged.text);
    assert_eq!(diverged.body["county_imported"], false);
    assert_eq!(
        diverged.body["conflicts"],
        Value::from(vec![keys[1].clone()])
    );
    assert_eq!(
        lookup(&keys[1]).body["status"],
        "activated",
        "this instance's record stands"
    );
}
