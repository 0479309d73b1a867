//! The adult exam (成人高考) over HTTP on the demo: a candidate makes an account, accepts
//! the pledge, fills in the basic information and volunteers, chooses a confirmation
//! point, is confirmed there on site, pays in the sandbox and holds a valid registration;
//! and every refusal on the way (a taken username, a weak password, a second choice the
//! rules forbid, an unapproved or wrong point, the fee before confirmation, edits after it,
//! a wrong password) answers with its code and changes nothing.

use serde_json::{Value, json};
use tests::Server;

fn info() -> Value {
    let birth = engine::time::Date::new(1995, 6, 1).expect("date");
    let id = engine::id_number::IdNumber::from_parts(430102, birth, 12).expect("id");
    let gender = match id.gender() {
        engine::id_number::Gender::Male => "male",
        engine::id_number::Gender::Female => "female",
    };
    json!({
        "document": "resident_card",
        "id_number": id.expose(),
        "name": "周成人",
        "gender": gender,
        "ethnicity": 1,
        "birth_date": "1995-06-01",
        "political_status": "群众",
        "education": "高中",
        "foreign_language": "英语",
        "candidate_feature": "在职",
        "enrolment_category": "普通",
        "graduation_date": "2013-06-30",
        "graduation_school": "长沙市第一中学",
        "certificate_number": "430100201300123",
        "medical_licence": null,
        "occupation": "企业职工",
        "work_start": "2014-03-01",
        "phone": "13800138000",
        "address": "湖南省长沙市芙蓉区五一大道1号",
        "postcode": "410011",
        "hukou_city": 4301,
        "remarks": ""
    })
}

fn choice(level: &str, major_category: &str) -> Value {
    json!({
        "level": level,
        "school_code": "10542",
        "school": "湖南师范大学",
        "major_code": "120201",
        "major": "工商管理",
        "major_category": major_category,
        "length_years": 3
    })
}

fn volunteers(first: Value, second: Option<Value>) -> Value {
    json!({
        "category": if first["level"] == "junior_to_bachelor" { "经管" } else { "文史" },
        "study_form": "part_time",
        "first": first,
        "second": second,
    })
}

#[test]
fn an_adult_candidate_registers_is_confirmed_and_pays() {
    let data = tempfile::tempdir().expect("data");
    let server = Server::start(data.path());
    let credentials = json!({"username": "zhou2026", "password": "Adult2026x"});
    let created = server.request("POST", "/v1/adult/accounts", Some(&credentials), None, None);
    assert_eq!(created.status, 201, "{}", created.text);
    let token = created.body["token"]
        .as_str()
        .expect("a session")
        .to_owned();
    let me = Some(token.as_str());

    // Refusals before anything: a taken username, a weak password, a malformed one.
    for (body, expected) in [
        (credentials.clone(), (409, "username_taken")),
        (
            json!({"username": "weakling", "password": "short"}),
            (422, "password_too_weak"),
        ),
        (
            json!({"username": "Zhou!", "password": "Adult2026x"}),
            (422, "username_invalid"),
        ),
    ] {
        let refused = server.request("POST", "/v1/adult/accounts", Some(&body), None, None);
        assert_eq!(
            (refused.status, refused.code()),
            expected,
            "{}",
            refused.text
        );
    }
    let wrong = server.request(
        "POST",
        "/v1/adult/sessions",
        Some(&json!({"username": "zhou2026", "password": "Wrong2026x"})),
        None,
        None,
    );
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    let unknown = server.request(
        "POST",
        "/v1/adult/sessions",
        Some(&json!({"username": "nobody26", "password": "Wrong2026x"})),
        None,
        None,
    );
    assert_eq!(
        (unknown.status, unknown.code()),
        (401, "invalid_credentials"),
        "no enumeration"
    );

    // The steps in order; each refused until the one before is done.
    let early = server.request(
        "PUT",
        "/v1/adult/me/info",
        Some(&info()),
        me,
        Some("info-0"),
    );
    assert_eq!(
        (early.status, early.code()),
        (409, "step_missing"),
        "{}",
        early.text
    );
    let pledged = server.request("POST", "/v1/adult/me/pledge", None, me, Some("pledge"));
    assert_eq!(pledged.status, 200, "{}", pledged.text);
    let mut bad_info = info();
    bad_info["phone"] = json!("2380013800");
    let refused = server.request(
        "PUT",
        "/v1/adult/me/info",
        Some(&bad_info),
        me,
        Some("info-bad"),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (422, "adult_field_invalid")
    );
    assert!(refused.text.contains("phone"), "{}", refused.text);
    let saved = server.request(
        "PUT",
        "/v1/adult/me/info",
        Some(&info()),
        me,
        Some("info-1"),
    );
    assert_eq!(saved.status, 200, "{}", saved.text);

    // Volunteer rules: 高起专's second choice only 高起专; 专升本's keeps the category.
    for (body, code) in [
        (
            volunteers(
                choice("high_to_junior", "管理学"),
                Some(choice("high_to_bachelor", "管理学")),
            ),
            "second_choice_level_not_allowed",
        ),
        (
            volunteers(
                choice("junior_to_bachelor", "管理学"),
                Some(choice("junior_to_bachelor", "医学")),
            ),
            "second_choice_crosses_major_category",
        ),
    ] {
        let refused = server.request(
            "PUT",
            "/v1/adult/me/volunteers",
            Some(&body),
            me,
            Some(code),
        );
        assert_eq!(
            (refused.status, refused.code()),
            (422, code),
            "{}",
            refused.text
        );
    }
    let chosen = volunteers(
        choice("high_to_bachelor", "管理学"),
        Some(choice("high_to_junior", "管理学")),
    );
    let saved = server.request(
        "PUT",
        "/v1/adult/me/volunteers",
        Some(&chosen),
        me,
        Some("vol-1"),
    );
    assert_eq!(
        (saved.status, saved.body["status"].as_str()),
        (200, Some("filled")),
        "{}",
        saved.text
    );

    // The points to choose from: the demo approved each county's first two.
    let points = server.request(
        "GET",
        "/v1/adult/confirmation-points?city=4301",
        None,
        None,
        None,
    );
    assert_eq!(points.status, 200);
    assert!(
        points
            .body
            .as_array()
            .is_some_and(|list| list.iter().any(|point| point["code"] == "430102-002")),
        "{}",
        points.text
    );
    let unapproved = server.request(
        "PUT",
        "/v1/adult/me/point",
        Some(&json!({"point": "430102-003"})),
        me,
        Some("point-3"),
    );
    assert_eq!(
        (unapproved.status, unapproved.code()),
        (404, "confirmation_point_not_found")
    );
    let fee_early = server.request(
        "POST",
        "/v1/adult/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        me,
        Some("fee-early"),
    );
    assert_eq!((fee_early.status, fee_early.code()), (409, "not_confirmed"));
    let point = server.request(
        "PUT",
        "/v1/adult/me/point",
        Some(&json!({"point": "430102-002"})),
        me,
        Some("point-2"),
    );
    assert_eq!(
        point.body["status"].as_str(),
        Some("point_chosen"),
        "{}",
        point.text
    );
    let key = point.body["key"].as_str().expect("key").to_owned();
    let flow = server.raw(
        "GET",
        "/v1/adult/me/flow-form.pdf",
        b"",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(flow.status, 200, "{}", flow.text);
    let facts = tests::pdf::read(&flow.bytes).expect("a whole PDF");
    assert!(facts.mapped.contains(&'流') && facts.mapped.contains(&'周'));

    // On site: another point cannot confirm; the chosen one does, with a photo.
    use base64::Engine as _;
    let photo = base64::engine::general_purpose::STANDARD.encode(engine::photo::synthetic_jpeg(
        480,
        640,
        30 * 1024,
        77,
    ));
    let confirmation = json!({
        "photo_base64": photo,
        "qualification_checked": true,
        "bonus_checked": true,
        "pledge_transcribed": true
    });
    let other = server.operator("point-430102-001");
    let refused = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/confirmation"),
        Some(&confirmation),
        Some(&other),
        Some("confirm-1"),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (409, "not_the_chosen_point")
    );
    let operator = server.operator("point-430102-002");
    let listed = server.request(
        "GET",
        "/v1/adult/confirmation-points/430102-002/registrations?status=point_chosen",
        None,
        Some(&operator),
        None,
    );
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.text
    );
    let confirmed = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/confirmation"),
        Some(&confirmation),
        Some(&operator),
        Some("confirm-2"),
    );
    assert_eq!(
        (confirmed.status, confirmed.body["status"].as_str()),
        (200, Some("confirmed")),
        "{}",
        confirmed.text
    );
    let locked = server.request(
        "PUT",
        "/v1/adult/me/info",
        Some(&info()),
        me,
        Some("info-2"),
    );
    assert_eq!(
        (locked.status, locked.code()),
        (409, "registration_confirmed")
    );

    // The fee, paid in the sandbox through the provider's own notification.
    let order = server.request(
        "POST",
        "/v1/adult/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        me,
        Some("fee-1"),
    );
    assert_eq!(order.status, 201, "{}", order.text);
    let order_id = order.body["order_id"].as_str().expect("order").to_owned();
    assert!(order_id.starts_with("CR"), "{order_id}");
    // Paid, but the provider's notification is lost: the province's reconciliation asks
    // the provider about the order and records the payment.
    let paid = server.request(
        "POST",
        &format!("/v1/sandbox/orders/{order_id}/pay"),
        Some(&json!({"notify": false})),
        None,
        None,
    );
    assert_eq!(paid.status, 200, "{}", paid.text);
    let unnotified = server.request("GET", "/v1/adult/me", None, me, None);
    assert_eq!(
        unnotified.body["fee_paid"],
        json!(false),
        "{}",
        unnotified.text
    );
    let province = server.operator("province");
    let reconciled = server.request(
        "POST",
        "/v1/reconciliation",
        Some(&json!({"min_order_age_seconds": 0})),
        Some(&province),
        Some("reconcile-adult"),
    );
    assert_eq!(reconciled.status, 200, "{}", reconciled.text);
    assert_eq!(reconciled.body["applied"], 1, "{}", reconciled.text);
    let after = server.request("GET", "/v1/adult/me", None, me, None);
    assert_eq!(
        (after.body["status"].as_str(), after.body["valid"].as_bool()),
        (Some("paid"), Some(true)),
        "{}",
        after.text
    );
    // Paying again (a second transaction at the provider) is kept as a surplus payment; the
    // fee is paid once.
    let again = server.request(
        "POST",
        &format!("/v1/sandbox/orders/{order_id}/pay"),
        None,
        None,
        None,
    );
    assert_eq!(again.status, 200);
    let twice = server.request("GET", "/v1/adult/me", None, me, None);
    assert_eq!(
        (
            twice.body["fee_paid"].clone(),
            twice.body["surplus_payments"].clone()
        ),
        (json!(true), json!(1))
    );
    let fee_again = server.request(
        "POST",
        "/v1/adult/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        me,
        Some("fee-2"),
    );
    assert_eq!(
        (fee_again.status, fee_again.code()),
        (409, "fee_already_paid")
    );

    let form = server.raw(
        "GET",
        &format!("/v1/adult/registrations/{key}/registration-form.pdf"),
        b"",
        &[("Authorization", &format!("Bearer {operator}"))],
    );
    assert_eq!(form.status, 200, "{}", form.text);
    let form_facts = tests::pdf::read(&form.bytes).expect("a whole PDF");
    assert_eq!(form_facts.jpeg_images.len(), 1, "the on-site photo");
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/adult-pdfs");
    std::fs::create_dir_all(&directory).expect("directory");
    std::fs::write(directory.join("flow-form.pdf"), &flow.bytes).expect("saved");
    std::fs::write(directory.join("registration-form.pdf"), &form.bytes).expect("saved");

    // Admission without the exam: the city first, then the province; bonus points by the city.
    let applied = server.request(
        "POST",
        "/v1/adult/me/exemption",
        Some(&json!({"reason": "全国劳动模范"})),
        me,
        Some("exempt-1"),
    );
    assert_eq!(applied.status, 200, "{}", applied.text);
    let province_first = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/exemption-review"),
        Some(&json!({"approved": true})),
        Some(&server.operator("province")),
        Some("review-p0"),
    );
    assert_eq!(
        (province_first.status, province_first.code()),
        (409, "exemption_review_refused")
    );
    let city = server.operator("city-4301");
    let reviewed = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/exemption-review"),
        Some(&json!({"approved": true})),
        Some(&city),
        Some("review-c"),
    );
    assert_eq!(reviewed.status, 200, "{}", reviewed.text);
    let approved = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/exemption-review"),
        Some(&json!({"approved": true})),
        Some(&server.operator("province")),
        Some("review-p"),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let bonus = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/bonus"),
        Some(&json!({"points": 60, "reason": "少数民族"})),
        Some(&city),
        Some("bonus-0"),
    );
    assert_eq!((bonus.status, bonus.code()), (422, "adult_field_invalid"));
    // Data reporting: the county reports (its registrations freeze), the city cannot report
    // before every county has, returns the county's report with a reason (they thaw).
    let county = server.operator("county-430102");
    let reported = server.request(
        "POST",
        "/v1/adult/counties/430102/report",
        None,
        Some(&county),
        Some("report-1"),
    );
    assert_eq!(reported.status, 200, "{}", reported.text);
    let frozen = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/bonus"),
        Some(&json!({"points": 20, "reason": "少数民族"})),
        Some(&city),
        Some("bonus-frozen"),
    );
    assert_eq!(
        (frozen.status, frozen.code()),
        (403, "records_frozen"),
        "{}",
        frozen.text
    );
    let early = server.request(
        "POST",
        "/v1/adult/cities/4301/report",
        None,
        Some(&city),
        Some("city-report"),
    );
    assert_eq!(
        (early.status, early.code()),
        (409, "counties_not_submitted")
    );
    let returned = server.request(
        "DELETE",
        "/v1/adult/counties/430102/report",
        Some(&json!({"reason": "照顾加分未录入"})),
        Some(&city),
        Some("return-1"),
    );
    assert_eq!(returned.status, 200, "{}", returned.text);
    assert_eq!(
        returned.body["counties"]["430102"]["returned_because"],
        "照顾加分未录入"
    );
    let bonus = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/bonus"),
        Some(&json!({"points": 20, "reason": "少数民族"})),
        Some(&city),
        Some("bonus-1"),
    );
    assert_eq!(bonus.status, 200, "{}", bonus.text);

    // Login again with the password.
    let login = server.request("POST", "/v1/adult/sessions", Some(&credentials), None, None);
    assert_eq!(login.status, 200, "{}", login.text);

    // The province numbers the tickets; the candidate prints theirs.
    let early = server.raw(
        "GET",
        "/v1/adult/me/admission-ticket.pdf",
        b"",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(early.status, 409, "{}", early.text);
    let province = server.operator("province");
    let refused = server.request(
        "POST",
        "/v1/adult/numbering",
        None,
        Some(&operator),
        Some("number-0"),
    );
    assert_eq!((refused.status, refused.code()), (403, "out_of_scope"));
    let run = server.request(
        "POST",
        "/v1/adult/numbering",
        None,
        Some(&province),
        Some("number-1"),
    );
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(
        (run.body["numbered"].as_u64(), run.body["changed"].as_u64()),
        (Some(1), Some(1))
    );
    let seated = server.request("GET", "/v1/adult/me", None, me, None);
    let ticket = seated.body["ticket"]
        .as_str()
        .expect("a ticket number")
        .to_owned();
    assert_eq!(ticket.len(), 13, "{ticket}");
    assert!(
        ticket.starts_with(&format!(
            "{:02}4301",
            engine::time::Timestamp(
                i64::try_from(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock")
                        .as_millis()
                )
                .expect("ms")
            )
            .to_cst()
            .0
            .year()
                % 100
        )),
        "{ticket}"
    );
    let pdf = server.raw(
        "GET",
        "/v1/adult/me/admission-ticket.pdf",
        b"",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    let facts = tests::pdf::read(&pdf.bytes).expect("a whole PDF");
    assert_eq!(facts.jpeg_images.len(), 1, "the on-site photo");
    assert!(facts.mapped.contains(&'准') && facts.mapped.contains(&'周'));
    // The point prints it on the candidate's behalf too; a re-run changes nothing.
    let by_point = server.raw(
        "GET",
        &format!("/v1/adult/registrations/{key}/admission-ticket.pdf"),
        b"",
        &[("Authorization", &format!("Bearer {operator}"))],
    );
    assert_eq!(by_point.status, 200);
    let rerun = server.request(
        "POST",
        "/v1/adult/numbering",
        None,
        Some(&province),
        Some("number-2"),
    );
    assert_eq!(rerun.body["changed"].as_u64(), Some(0), "{}", rerun.text);
    // The county's exam materials: door label, seating chart, sign-in sheet.
    let county = server.operator("county-430102");
    let materials = server.raw(
        "GET",
        "/v1/adult/counties/430102/exam-materials.pdf",
        b"",
        &[("Authorization", &format!("Bearer {county}"))],
    );
    assert_eq!(materials.status, 200, "{}", materials.text);
    let facts = tests::pdf::read(&materials.bytes).expect("a whole PDF");
    assert_eq!(facts.pages, 3, "three pages for the one room");
    assert!(facts.mapped.contains(&'签') && facts.mapped.contains(&'周'));
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/adult-pdfs");
    std::fs::create_dir_all(&directory).expect("directory");
    std::fs::write(directory.join("admission-ticket.pdf"), &pdf.bytes).expect("saved");
    std::fs::write(directory.join("exam-materials.pdf"), &materials.bytes).expect("saved");
    let foreign = server.operator("county-430103");
    let refused = server.raw(
        "GET",
        "/v1/adult/counties/430102/exam-materials.pdf",
        b"",
        &[("Authorization", &format!("Bearer {foreign}"))],
    );
    assert_eq!(refused.status, 403);
    // The city moves the county's 文史 candidates to another area: the printed ticket
    // would change, so only a forced run (recorded in the audit trail) renumbers it.
    let city = server.operator("city-4301");
    let moved = server.request(
        "PUT",
        "/v1/adult/cities/4301/exam-areas",
        Some(&json!({"county": "430102", "category": "文史", "area": 4302})),
        Some(&city),
        Some("area-1"),
    );
    assert_eq!(moved.status, 200, "{}", moved.text);
    let refused_run = server.request(
        "POST",
        "/v1/adult/numbering",
        None,
        Some(&province),
        Some("number-3"),
    );
    assert_eq!(
        (refused_run.status, refused_run.code()),
        (409, "printed_tickets_would_change")
    );
    let forced = server.request(
        "POST",
        "/v1/adult/numbering?force=true",
        None,
        Some(&province),
        Some("number-4"),
    );
    assert_eq!(forced.body["changed"].as_u64(), Some(1), "{}", forced.text);
    let trail = server.request("GET", "/v1/audit?limit=50", None, Some(&province), None);
    assert!(
        trail.text.contains("force=true"),
        "the forced run is in the audit trail"
    );
    let renumbered = server.request("GET", "/v1/adult/me", None, me, None);
    let ticket = renumbered.body["ticket"]
        .as_str()
        .expect("a ticket")
        .to_owned();
    assert_eq!(&ticket[2..6], "4302", "{ticket}");
}

/// Confirmation points: a county proposes, its city reviews, the province approves; each
/// level only in its turn and scope.
#[test]
fn confirmation_points_go_county_city_province() {
    let data = tempfile::tempdir().expect("data");
    let server = Server::start(data.path());
    let county = server.operator("county-430102");
    let proposal = json!({
        "number": 7,
        "name": "芙蓉区医卫类审核点",
        "contact": "王老师",
        "phone": "0731-1234567",
        "levels": ["junior_to_bachelor"],
        "medical": true
    });
    let foreign = server.operator("county-430103");
    let refused = server.request(
        "POST",
        "/v1/adult/counties/430102/confirmation-points",
        Some(&proposal),
        Some(&foreign),
        Some("p1"),
    );
    assert_eq!((refused.status, refused.code()), (403, "out_of_scope"));
    let proposed = server.request(
        "POST",
        "/v1/adult/counties/430102/confirmation-points",
        Some(&proposal),
        Some(&county),
        Some("p2"),
    );
    assert_eq!(proposed.status, 201, "{}", proposed.text);
    assert_eq!(proposed.body["approval"], "proposed");
    let province = server.operator("province");
    let review = |token: &str, approved: bool| {
        server.request(
            "POST",
            "/v1/adult/confirmation-points/430102-007/review",
            Some(&json!({"approved": approved, "reason": if approved { "" } else { "场地不足" }})),
            Some(token),
            Some("r"),
        )
    };
    let early = review(&province, true);
    assert_eq!((early.status, early.code()), (409, "not_awaiting_review"));
    let other_city = server.operator("city-4302");
    assert_eq!(review(&other_city, true).code(), "out_of_scope");
    let city = server.operator("city-4301");
    assert_eq!(review(&city, true).body["approval"], "city_reviewed");
    assert_eq!(review(&province, true).body["approval"], "approved");
    let points = server.request(
        "GET",
        "/v1/adult/confirmation-points?city=4301",
        None,
        None,
        None,
    );
    assert!(points.text.contains("430102-007"));
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("ms")
}

/// The calendar is the province's, in force at once: confirmations only in the points'
/// hours (the refusal names them), no fee after the deadline — when the point records why
/// — and no registration outside the windows.
#[test]
fn the_calendar_rules_windows_hours_and_the_payment_deadline() {
    let data = tempfile::tempdir().expect("data");
    let server = Server::start(data.path());
    let created = server.request(
        "POST",
        "/v1/adult/accounts",
        Some(&json!({"username": "late2026", "password": "Adult2026x"})),
        None,
        None,
    );
    let token = created.body["token"]
        .as_str()
        .expect("a session")
        .to_owned();
    let me = Some(token.as_str());
    server.request("POST", "/v1/adult/me/pledge", None, me, Some("pledge"));
    server.request("PUT", "/v1/adult/me/info", Some(&info()), me, Some("info"));
    let chosen = volunteers(choice("high_to_junior", "管理学"), None);
    server.request(
        "PUT",
        "/v1/adult/me/volunteers",
        Some(&chosen),
        me,
        Some("vol"),
    );
    let point = server.request(
        "PUT",
        "/v1/adult/me/point",
        Some(&json!({"point": "430102-002"})),
        me,
        Some("point"),
    );
    let key = point.body["key"].as_str().expect("key").to_owned();
    let province = server.operator("province");
    let day = 86_400_000;
    // Hours that exclude now: an hour starting two hours from now (China Standard Time).
    let minute = ((now_ms() / 60_000 + 8 * 60) % (24 * 60)) as u32;
    let from = (minute + 120) % (24 * 60);
    let from = from.min(24 * 60 - 60);
    let calendar = |hours: Value, payment_closes_at: i64, registration_closes_at: i64| {
        json!({
            "registration": [{"cities": "all", "local_hukou_only": false,
                "opens_at": now_ms() - day, "closes_at": registration_closes_at}],
            "working_hours": hours,
            "payment_closes_at": payment_closes_at,
            "age_reference": "2026-10-26"
        })
    };
    let set = |body: Value, key: &str| {
        server.request(
            "PUT",
            "/v1/adult/calendar",
            Some(&body),
            Some(&province),
            Some(key),
        )
    };
    let bad = set(
        calendar(json!([[600, 540]]), now_ms() + day, now_ms() + day),
        "c0",
    );
    assert_eq!(
        (bad.status, bad.code()),
        (422, "working_hours_invalid"),
        "{}",
        bad.text
    );
    let closed_hours = set(
        calendar(json!([[from, from + 60]]), now_ms() + day, now_ms() + day),
        "c1",
    );
    assert_eq!(closed_hours.status, 200, "{}", closed_hours.text);
    use base64::Engine as _;
    let confirmation = json!({
        "photo_base64": base64::engine::general_purpose::STANDARD
            .encode(engine::photo::synthetic_jpeg(480, 640, 30 * 1024, 78)),
        "qualification_checked": true,
        "pledge_transcribed": true
    });
    let operator = server.operator("point-430102-002");
    let refused = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/confirmation"),
        Some(&confirmation),
        Some(&operator),
        Some("confirm-1"),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (403, "outside_working_hours")
    );
    assert!(
        refused
            .text
            .contains(&format!("{:02}:{:02}", from / 60, from % 60)),
        "{}",
        refused.text
    );
    set(
        calendar(json!([[0, 1440]]), now_ms() + day, now_ms() + day),
        "c2",
    );
    let confirmed = server.request(
        "POST",
        &format!("/v1/adult/registrations/{key}/confirmation"),
        Some(&confirmation),
        Some(&operator),
        Some("confirm-2"),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    // The point cannot record a reason while paying is open; after the deadline it can.
    let reason = |idempotency: &str| {
        server.request(
            "POST",
            &format!("/v1/adult/registrations/{key}/unpaid-reason"),
            Some(&json!({"reason": "考生放弃报考"})),
            Some(&operator),
            Some(idempotency),
        )
    };
    assert_eq!(reason("r1").code(), "not_confirmed_unpaid");
    set(
        calendar(json!([[0, 1440]]), now_ms() - 1, now_ms() + day),
        "c3",
    );
    let late = server.request(
        "POST",
        "/v1/adult/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        me,
        Some("fee"),
    );
    assert_eq!((late.status, late.code()), (403, "payment_closed"));
    let recorded = reason("r2");
    assert_eq!(
        recorded.body["unpaid_reason"], "考生放弃报考",
        "{}",
        recorded.text
    );
    // Registration closed: another candidate cannot fill in anything.
    set(
        calendar(json!([[0, 1440]]), now_ms() - 1, now_ms() - 1),
        "c4",
    );
    let other = server.request(
        "POST",
        "/v1/adult/accounts",
        Some(&json!({"username": "closed26", "password": "Adult2026x"})),
        None,
        None,
    );
    assert_eq!(
        (other.status, other.code()),
        (403, "adult_registration_closed"),
        "{}",
        other.text
    );
    let outsider = server.request(
        "PUT",
        "/v1/adult/calendar",
        Some(&calendar(json!([[0, 1440]]), 0, 1)),
        Some(&operator),
        Some("c5"),
    );
    assert_eq!(outsider.code(), "out_of_scope");
}

/// Exam sites go county → city → province like confirmation points; cities set exam areas
/// for their own counties only, with categories of the year.
#[test]
fn exam_sites_and_areas_are_each_levels_own() {
    let data = tempfile::tempdir().expect("data");
    let server = Server::start(data.path());
    let county = server.operator("county-430102");
    let site = json!({"number": 2, "name": "长沙市第一中学考点", "rooms": 40,
        "address": "长沙市开福区", "contact": "李老师", "phone": "0731-7654321"});
    let proposed = server.request(
        "POST",
        "/v1/adult/counties/430102/exam-sites",
        Some(&site),
        Some(&county),
        Some("s1"),
    );
    assert_eq!(proposed.status, 201, "{}", proposed.text);
    assert_eq!(proposed.body["code"], "430102-K02");
    let mut bad = site.clone();
    bad["rooms"] = json!(0);
    let refused = server.request(
        "POST",
        "/v1/adult/counties/430102/exam-sites",
        Some(&bad),
        Some(&county),
        Some("s2"),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (422, "adult_field_invalid")
    );
    let review = |token: &str, approved: bool, key: &str| {
        server.request(
            "POST",
            "/v1/adult/exam-sites/430102-K02/review",
            Some(&json!({"approved": approved, "reason": "考室不足"})),
            Some(token),
            Some(key),
        )
    };
    let province = server.operator("province");
    assert_eq!(review(&province, true, "r0").code(), "not_awaiting_review");
    let city = server.operator("city-4301");
    assert_eq!(review(&city, false, "r1").body["approval"], "refused");
    // Proposed again after the refusal, then passed all the way.
    server.request(
        "POST",
        "/v1/adult/counties/430102/exam-sites",
        Some(&site),
        Some(&county),
        Some("s3"),
    );
    assert_eq!(review(&city, true, "r2").body["approval"], "city_reviewed");
    assert_eq!(review(&province, true, "r3").body["approval"], "approved");
    let listed = server.request("GET", "/v1/adult/exam-sites", None, Some(&county), None);
    assert!(listed.text.contains("430102-K02") && !listed.text.contains("430103-K01"));
    // Areas: the city's own counties, a category of the year, a city of the province.
    let area = |token: &str, city: &str, body: Value| {
        server.request(
            "PUT",
            &format!("/v1/adult/cities/{city}/exam-areas"),
            Some(&body),
            Some(token),
            Some("a"),
        )
    };
    let set = area(
        &city,
        "4301",
        json!({"county": "430102", "category": "文史", "area": 4302}),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(
        area(
            &city,
            "4301",
            json!({"county": "430202", "category": "文史", "area": 4301})
        )
        .code(),
        "out_of_scope"
    );
    assert_eq!(
        area(
            &city,
            "4301",
            json!({"county": "430102", "category": "天文", "area": 4301})
        )
        .code(),
        "adult_field_invalid"
    );
    assert_eq!(
        area(
            &city,
            "4301",
            json!({"county": "430102", "category": "文史", "area": 9901})
        )
        .code(),
        "adult_field_invalid"
    );
}
