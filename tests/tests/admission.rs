//! Admission control over HTTP against the started binary: region time slots, the pause
//! switch, live and durable settings, refusals of bad settings, the waiting room, and an
//! overload run at many times capacity.

use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::Server;

/// `HH:MM` (China Standard Time) `hours_from_now` hours from now, on the hour's minute.
fn cst_in(hours_from_now: i64) -> String {
    let now_seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let local = now_seconds + 8 * 3600 + hours_from_now * 3600;
    let minute_of_day = local.rem_euclid(86_400) / 60;
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

fn settings(server: &Server, province: &str) -> Value {
    let response = server.request("GET", "/v1/admission", None, Some(province), None);
    assert_eq!(response.status, 200, "{}", response.text);
    response.body["config"].clone()
}

fn put_settings(server: &Server, province: &str, config: &Value, key: &str) -> tests::Response {
    server.request(
        "PUT",
        "/v1/admission",
        Some(config),
        Some(province),
        Some(key),
    )
}

fn metric(server: &Server, name_and_labels: &str) -> f64 {
    let text = server.metrics();
    text.lines()
        .filter(|line| line.starts_with(name_and_labels))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn slots_pause_and_live_settings() {
    let directory = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(directory.path());
    let province = server.operator("province");
    let county = server.operator("county-430102");
    // Candidate 1 registers in 长沙市 (4301), candidate 2 in 株洲市 (4302).
    let changsha_point = server.operator("point-430102-001");
    let zhuzhou_point = server.operator("point-430202-001");
    let changsha_capture = server.capture(&changsha_point, "430102-001", 1, "c1");
    assert_eq!(changsha_capture.status, 201, "{}", changsha_capture.text);
    let zhuzhou_capture = server.capture(&zhuzhou_point, "430202-001", 2, "c2");
    assert_eq!(zhuzhou_capture.status, 201, "{}", zhuzhou_capture.text);
    let changsha = server.candidate(1);
    let order = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "alipay"})),
        Some(&changsha),
        Some("order-1"),
    );
    assert_eq!(order.status, 201, "{}", order.text);

    // Only the province reads or changes admission.
    let mut config = settings(&server, &province);
    assert_eq!(config["slots"]["mode"], "off");
    for token in [&county, &changsha] {
        let refused = put_settings(&server, token, &config, "not-yours");
        assert_eq!((refused.status, refused.code()), (403, "out_of_scope"));
    }

    // Bad settings are refused whole, by field, and change nothing.
    let mut bad = config.clone();
    bad["slots"]["slots"] = json!([{"cities": [4301], "opens": "25:00", "closes": "10:00"}]);
    let refused = put_settings(&server, &province, &bad, "bad-1");
    assert_eq!(
        (refused.status, refused.code()),
        (422, "admission_config_invalid")
    );
    assert!(
        refused.text.contains("slots.slots[0].opens"),
        "{}",
        refused.text
    );
    bad["slots"]["slots"] = json!([{"cities": [9901], "opens": "08:00", "closes": "10:00"}]);
    let refused = put_settings(&server, &province, &bad, "bad-2");
    assert_eq!(
        (refused.status, refused.code()),
        (422, "admission_config_invalid")
    );
    let mut unknown = config.clone();
    unknown["limits"]["burst"] = json!(5);
    let refused = put_settings(&server, &province, &unknown, "bad-3");
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(settings(&server, &province), config);

    // 长沙市's slot starts in two hours; 株洲市's is now.
    config["slots"] = json!({
        "mode": "always",
        "load_threshold_percent": 80,
        "slots": [
            {"cities": [4301], "opens": cst_in(2), "closes": cst_in(3)},
            {"cities": [4302], "opens": cst_in(-1), "closes": cst_in(1)},
        ],
    });
    let applied = put_settings(&server, &province, &config, "slots-1");
    assert_eq!(applied.status, 200, "{}", applied.text);
    let outside = server.request("GET", "/v1/candidates/me", None, Some(&changsha), None);
    assert_eq!(
        (outside.status, outside.code()),
        (429, "outside_region_slot")
    );
    let retry = outside.retry_after().expect("Retry-After");
    assert!(
        (2 * 3600 - 120..=2 * 3600).contains(&retry),
        "Retry-After {retry}"
    );
    assert!(outside.text.contains("长沙市"), "{}", outside.text);
    // Inside its slot, 株洲市's candidate registers; operators and callbacks are never slotted.
    let zhuzhou = server.candidate(2);
    let inside = server.request("GET", "/v1/candidates/me", None, Some(&zhuzhou), None);
    assert_eq!(inside.status, 200, "{}", inside.text);
    let changsha_key = changsha_capture.body["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let by_county = server.request(
        "GET",
        &format!("/v1/candidates/{changsha_key}"),
        None,
        Some(&county),
        None,
    );
    assert_eq!(by_county.status, 200, "{}", by_county.text);
    // 长沙市's payment notification arrives outside its slot: callbacks are never slotted.
    let (order_id, amount) = (
        order.body["order_id"].as_str().expect("order").to_owned(),
        order.body["amount_fen"].as_u64().expect("amount"),
    );
    let paid = server.notify("alipay", &order_id, "ali-1", amount);
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert!(
        metric(
            &server,
            "registration_admission_shed_total{region=\"4301\",reason=\"outside_slot\"}"
        ) >= 1.0
    );

    // Slots only under load: idle now, so 长沙市 is served.
    config["slots"]["mode"] = json!("when_loaded");
    assert_eq!(
        put_settings(&server, &province, &config, "slots-2").status,
        200
    );
    let served = server.request("GET", "/v1/candidates/me", None, Some(&changsha), None);
    assert_eq!(served.status, 200, "{}", served.text);

    // Pause: candidate writes get 503 with Retry-After; reads, operators, callbacks go on.
    let paused = server.request(
        "PUT",
        "/v1/admission/pause",
        Some(&json!({"paused": true, "retry_after_seconds": 120})),
        Some(&province),
        Some("pause-1"),
    );
    assert_eq!(paused.status, 200, "{}", paused.text);
    let order_body = json!({"provider": "wechat_pay"});
    let write = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&order_body),
        Some(&zhuzhou),
        Some("order-z"),
    );
    assert_eq!((write.status, write.code()), (503, "registration_paused"));
    assert_eq!(write.retry_after(), Some(120));
    // An answer made up by admission, before any handler, still carries the headers.
    assert!(
        write.head.contains("x-content-type-options: nosniff"),
        "{}",
        write.head
    );
    let read = server.request("GET", "/v1/candidates/me", None, Some(&zhuzhou), None);
    assert_eq!(read.status, 200);
    assert_eq!(
        server
            .capture(&changsha_point, "430102-001", 3, "c3")
            .status,
        201
    );
    let repeated = server.notify("alipay", &order_id, "ali-1", amount);
    assert_eq!(repeated.status, 200, "{}", repeated.text);
    assert_eq!(metric(&server, "registration_admission_paused"), 1.0);

    // The pause is durable: it survives a restart, and is lifted through the API.
    server.kill();
    let server = Server::start(directory.path());
    let province = server.operator("province");
    assert_eq!(settings(&server, &province)["paused"], true);
    let resumed = server.request(
        "PUT",
        "/v1/admission/pause",
        Some(&json!({"paused": false})),
        Some(&province),
        Some("pause-2"),
    );
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    let zhuzhou = server.candidate(2);
    let write = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&order_body),
        Some(&zhuzhou),
        Some("order-z"),
    );
    assert_eq!(write.status, 201, "{}", write.text);

    // Every change is in the audit trail.
    let trail = server.request("GET", "/v1/audit?limit=100", None, Some(&province), None);
    for action in ["PUT /v1/admission", "PUT /v1/admission/pause"] {
        assert!(
            trail
                .body
                .as_array()
                .expect("records")
                .iter()
                .any(|r| r["action"] == action && r["outcome"] == "ok"),
            "{action} not audited"
        );
    }
}

/// Requests per thread in the overload run are bounded by time; this is the bound.
const RUN: Duration = Duration::from_secs(3);

struct Tally {
    admitted: Vec<Duration>,
    /// Admitted while presenting a waiting-room ticket.
    admitted_with_ticket: u64,
    /// Times a ticket's reported position went up (the queue must only move forward).
    position_increases: u64,
    tickets_seen: u64,
    shed: u64,
    shed_without_retry_after: u64,
    other: Vec<String>,
}

/// Closed-loop writers: each thread accepts its candidate's pledge as fast as answers come.
/// Like a real client, a writer given a queue ticket presents it until it is admitted.
fn drive(server: &Arc<Server>, tokens: &[String], run: Duration) -> (Tally, Duration) {
    let tally = Arc::new(Mutex::new(Tally {
        admitted: Vec::new(),
        admitted_with_ticket: 0,
        position_increases: 0,
        tickets_seen: 0,
        shed: 0,
        shed_without_retry_after: 0,
        other: Vec::new(),
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(thread, token)| {
            let (server, tally, stop, token) = (
                Arc::clone(server),
                Arc::clone(&tally),
                Arc::clone(&stop),
                token.clone(),
            );
            std::thread::spawn(move || {
                let mut sequence = 0u32;
                let mut ticket: Option<(String, u64)> = None;
                let authorization = format!("Bearer {token}");
                while !stop.load(Ordering::Relaxed) {
                    sequence += 1;
                    let key = format!("load-{thread}-{sequence}");
                    let mut headers = vec![
                        ("Authorization", authorization.as_str()),
                        ("Idempotency-Key", key.as_str()),
                    ];
                    if let Some((value, _)) = &ticket {
                        headers.push(("X-Queue-Ticket", value.as_str()));
                    }
                    let sent = Instant::now();
                    // The pledge: a write through the shard that hashes nothing (saves that
                    // check the save password are hashing writes and skip the guard).
                    let response =
                        server.request_with("POST", "/v1/candidates/me/pledge", None, &headers);
                    let elapsed = sent.elapsed();
                    let mut tally = tally.lock().expect("tally");
                    match response.status {
                        200 => {
                            tally.admitted.push(elapsed);
                            if ticket.take().is_some() {
                                tally.admitted_with_ticket += 1;
                            }
                        }
                        429 | 503 => {
                            tally.shed += 1;
                            if response.retry_after().is_none() {
                                tally.shed_without_retry_after += 1;
                            }
                            let queue = &response.body["queue"];
                            if let (Some(value), Some(position)) =
                                (queue["ticket"].as_str(), queue["position"].as_u64())
                            {
                                tally.tickets_seen += 1;
                                match &ticket {
                                    Some((held, last)) if held == value && position > *last => {
                                        tally.position_increases += 1;
                                    }
                                    _ => {}
                                }
                                ticket = Some((value.to_owned(), position));
                            }
                        }
                        _ => tally.other.push(response.text),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(run);
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.join().expect("driver thread");
    }
    let elapsed = started.elapsed();
    let tally = Arc::try_unwrap(tally)
        .ok()
        .expect("drivers done")
        .into_inner()
        .expect("tally");
    (tally, elapsed)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 * fraction) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

#[test]
fn overload_is_shed_with_retry_after_and_goodput_holds() {
    let directory = tempfile::tempdir().expect("temp dir");
    let server = Arc::new(Server::start(directory.path()));
    let province = server.operator("province");
    let point = server.operator("point-430102-001");
    // Closed-loop writers of the pledge (a write through the shard that hashes nothing);
    // enough of them that, on two cores, they offer well over what one can.
    const WRITERS: u32 = 24;
    let tokens: Vec<String> = (1..=WRITERS)
        .map(|sequence| {
            let captured = server.capture(&point, "430102-001", sequence, &format!("c{sequence}"));
            assert_eq!(captured.status, 201, "{}", captured.text);
            let token = server.candidate(sequence);
            let key = captured.body["key"].as_str().expect("key");
            server.pay_authenticate_and_set_passwords(&token, key, sequence);
            token
        })
        .collect();
    // A deliberately small gateway: one candidate request in flight, 5 ms of queueing.
    let mut config = settings(&server, &province);
    config["limits"]["max_in_flight"] = json!(1);
    config["limits"]["min_in_flight"] = json!(1);
    config["limits"]["max_queue_milliseconds"] = json!(5);
    config["limits"]["target_latency_milliseconds"] = json!(0);
    config["waiting_room"]["enabled"] = json!(false);
    assert_eq!(
        put_settings(&server, &province, &config, "small").status,
        200
    );

    // Capacity: one writer, never queued.
    let (alone, alone_elapsed) = drive(&server, &tokens[..1], Duration::from_millis(1500));
    assert!(
        alone.other.is_empty(),
        "{:?}",
        &alone.other[..alone.other.len().min(3)]
    );
    let capacity = alone.admitted.len() as f64 / alone_elapsed.as_secs_f64();

    // Sixteen writers against room for one.
    let rss_before = rss_kib(server.pid());
    let (tally, elapsed) = drive(&server, &tokens, RUN);
    let rss_after = rss_kib(server.pid());
    assert!(
        tally.other.is_empty(),
        "unexpected answers: {:?}",
        &tally.other[..tally.other.len().min(3)]
    );
    let offered = (tally.admitted.len() as u64 + tally.shed) as f64 / elapsed.as_secs_f64();
    let goodput = tally.admitted.len() as f64 / elapsed.as_secs_f64();
    let mut latencies = tally.admitted.clone();
    latencies.sort();
    let p50 = percentile(&latencies, 0.50);
    let p99 = percentile(&latencies, 0.99);
    println!(
        "overload: capacity {capacity:.0}/s (1 writer); offered {offered:.0}/s ({:.1}× capacity, {WRITERS} writers); \
         goodput {goodput:.0}/s ({:.0}% of capacity); shed {} ({:.0}/s); admitted p50 {:.2} ms, p99 {:.2} ms; \
         RSS {} → {} KiB",
        offered / capacity,
        100.0 * goodput / capacity,
        tally.shed,
        tally.shed as f64 / elapsed.as_secs_f64(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        rss_before,
        rss_after,
    );
    // Overloaded: offered well over what one writer gets through (the writers share two
    // cores with the server, and in CI with other work, so "how far over" varies: 1.99×
    // failed a 2× bound once; the shedding below is the mechanism under test).
    assert!(
        offered > 1.5 * capacity,
        "the run did not overload the gateway"
    );
    assert!(tally.shed > 0, "nothing was shed");
    assert_eq!(
        tally.shed_without_retry_after, 0,
        "every refusal says when to retry"
    );
    // Goodput holds instead of collapsing (loose: this checks the mechanism, not the machine).
    assert!(
        goodput > 0.3 * capacity,
        "goodput collapsed: {goodput:.0}/s of {capacity:.0}/s"
    );
    // Admitted latency is bounded by the queue budget plus service time, not by the offered load.
    assert!(
        p99 < Duration::from_secs(1),
        "admitted p99 {p99:?} is unbounded"
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "memory grew: {rss_before} → {rss_after} KiB"
    );
    assert_eq!(
        server.request("GET", "/healthz", None, None, None).status,
        200
    );
    assert!(
        metric(
            &server,
            "registration_admission_shed_total{region=\"4301\",reason=\"overload\"}"
        ) >= 1.0
    );

    // With the waiting room on, the shed get ordered tickets, and a ticket gets its turn.
    config["waiting_room"] =
        json!({"enabled": true, "admit_per_second_per_region": 50, "ticket_ttl_seconds": 600});
    assert_eq!(
        put_settings(&server, &province, &config, "room").status,
        200
    );
    let (with_room, _) = drive(&server, &tokens, Duration::from_millis(2000));
    println!(
        "waiting room: {} admitted, {} of them with a ticket; {} refusals carried a ticket",
        with_room.admitted.len(),
        with_room.admitted_with_ticket,
        with_room.tickets_seen
    );
    assert!(
        with_room.other.is_empty(),
        "{:?}",
        &with_room.other[..with_room.other.len().min(3)]
    );
    assert!(with_room.tickets_seen > 0, "no refusal carried a ticket");
    assert!(
        with_room.admitted_with_ticket > 0,
        "no ticket was ever admitted"
    );
    assert_eq!(with_room.position_increases, 0, "a ticket lost its place");
    let token = &tokens[0];
    let forged = server.request_with(
        "GET",
        "/v1/candidates/me",
        None,
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("X-Queue-Ticket", "4301.1.0.00"),
        ],
    );
    assert_eq!(
        (forged.status, forged.code()),
        (400, "queue_ticket_invalid")
    );
}
