//! kill -9 of the server during a burst of concurrent writes, and during a storm of payment
//! notifications. After a restart on the same data directory every acknowledged capture and
//! payment is present — a payment acknowledged from the callback inbox is applied by the
//! restarted server — and no payment has been applied twice, although every notification
//! was delivered several times and some after the kill.

use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tests::{CANDIDATE_NAME, Server, capture_body, id_number};

const WRITERS: u32 = 8;
const CANDIDATES_PER_WRITER: u32 = 40;

#[derive(Default)]
struct Acknowledged {
    captured: Vec<(u32, String)>,
    paid: Vec<String>,
}

/// Registers and pays for candidates until the server stops answering.
fn writer(server: &Server, writer: u32, point: &str, acknowledged: &Mutex<Acknowledged>) {
    for index in 0..CANDIDATES_PER_WRITER {
        let sequence = writer * 1000 + index;
        let idempotency = format!("cap-{sequence}");
        let Some(captured) = server.try_json(
            "POST",
            "/v1/points/430102-001/captures",
            Some(&capture_body(sequence)),
            Some(point),
            Some(&idempotency),
        ) else {
            return;
        };
        if captured.status != 201 {
            continue;
        }
        let key = captured.body["key"].as_str().unwrap_or_default().to_owned();
        acknowledged
            .lock()
            .expect("lock")
            .captured
            .push((sequence, key.clone()));
        let first_login = json!({"id_number": id_number(sequence), "name": CANDIDATE_NAME, "valid_until": "长期"});
        let Some(login) = server.try_json(
            "POST",
            "/v1/sessions/candidate/first-login",
            Some(&first_login),
            None,
            None,
        ) else {
            return;
        };
        let token = login.body["token"].as_str().unwrap_or_default().to_owned();
        let Some(order) = server.try_json(
            "POST",
            "/v1/candidates/me/fee-orders",
            Some(&json!({"provider": "wechat_pay"})),
            Some(&token),
            Some("order"),
        ) else {
            return;
        };
        let (Some(order_id), Some(amount)) = (
            order.body["order_id"].as_str(),
            order.body["amount_fen"].as_u64(),
        ) else {
            return;
        };
        for _ in 0..2 {
            match server.try_notify("wechat_pay", order_id, &format!("tx-{sequence}"), amount) {
                Some(response) if response.status == 200 => {
                    acknowledged.lock().expect("lock").paid.push(key.clone())
                }
                Some(_) => {}
                None => return,
            }
        }
    }
}

#[test]
fn acknowledged_writes_survive_kill_dash_nine() {
    let directory = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(directory.path());
    let point = server.operator("point-430102-001");
    let acknowledged = Mutex::new(Acknowledged::default());
    std::thread::scope(|scope| {
        for index in 0..WRITERS {
            let (server, point, acknowledged) = (&server, &point, &acknowledged);
            scope.spawn(move || writer(server, index, point, acknowledged));
        }
        // Let the burst run, then pull the plug in the middle of it.
        let started = Instant::now();
        while acknowledged.lock().expect("lock").captured.len() < 60
            && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The writers borrow `server`, so the kill goes by pid; the handle is reaped below.
        kill_server(&server);
    });
    let acknowledged = acknowledged.into_inner().expect("lock");
    assert!(
        acknowledged.captured.len() >= 60,
        "the burst acknowledged {} captures",
        acknowledged.captured.len()
    );
    server.kill();

    let restarted = Server::start(directory.path());
    let county = restarted.operator("county-430102");
    for (sequence, key) in &acknowledged.captured {
        let found = restarted.request(
            "GET",
            &format!("/v1/candidates/{key}"),
            None,
            Some(&county),
            None,
        );
        assert_eq!(
            found.status, 200,
            "acknowledged capture {sequence} lost: {}",
            found.text
        );
        never_applied_twice(&found);
    }
    for key in &acknowledged.paid {
        let found = recorded(&restarted, &county, key, true);
        assert_eq!(
            found.body["fee_paid"].as_bool(),
            Some(true),
            "acknowledged payment lost for {key}"
        );
    }
    let progress = restarted.request(
        "GET",
        "/v1/progress?scope=point:430102-001",
        None,
        Some(&county),
        None,
    );
    let total: u64 = progress.body["counts"]
        .as_object()
        .expect("counts")
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert!(
        total >= acknowledged.captured.len() as u64,
        "progress counts {total} < acknowledged {}",
        acknowledged.captured.len()
    );
    println!(
        "kill -9: {} captures and {} payment acks survived",
        acknowledged.captured.len(),
        acknowledged.paid.len()
    );
}

/// No surplus: every notification of the candidate's one transaction was applied at most
/// once (a second application would be recorded as surplus).
fn never_applied_twice(found: &tests::Response) {
    assert_eq!(
        found.body["surplus_payments"].as_u64(),
        Some(0),
        "a payment was applied twice: {}",
        found.text
    );
}

/// A candidate's record once no payment of theirs is still being recorded — and, if
/// `paid`, once the fee shows paid (a Kafka-mode node rebuilding its projection from the log
/// has not read everything yet); 60 s at most, then as it is, for the caller to judge.
fn recorded(server: &Server, operator: &str, key: &str, paid: bool) -> tests::Response {
    let started = Instant::now();
    loop {
        let found = server.request(
            "GET",
            &format!("/v1/candidates/{key}"),
            None,
            Some(operator),
            None,
        );
        assert_eq!(found.status, 200, "{key}: {}", found.text);
        let settled = found.body["payments_being_recorded"].as_u64() == Some(0)
            && (!paid || found.body["fee_paid"].as_bool() == Some(true));
        if settled || started.elapsed() > Duration::from_secs(60) {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Candidates with a fee order each, for the storm: `(key, order id, amount)`.
fn ordered(server: &Server, point: &str, first: u32, count: u32) -> Vec<(String, String, u64)> {
    (first..first + count)
        .map(|sequence| {
            let (key, token) = {
                let captured =
                    server.capture(point, "430102-001", sequence, &format!("cap-{sequence}"));
                assert_eq!(captured.status, 201, "{}", captured.text);
                let key = captured.body["key"].as_str().expect("key").to_owned();
                (key, server.candidate(sequence))
            };
            let order = server.request(
                "POST",
                "/v1/candidates/me/fee-orders",
                Some(&json!({"provider": "wechat_pay"})),
                Some(&token),
                Some("order"),
            );
            assert_eq!(order.status, 201, "{}", order.text);
            (
                key,
                order.body["order_id"]
                    .as_str()
                    .expect("order id")
                    .to_owned(),
                order.body["amount_fen"].as_u64().expect("amount"),
            )
        })
        .collect()
}

const STORM_CANDIDATES: u32 = 240;
const STORM_SENDERS: usize = 8;
/// Copies of each notification (a provider retries until it hears success).
const STORM_COPIES: usize = 3;

#[test]
fn a_payment_storm_killed_mid_way_loses_no_acknowledged_payment_and_applies_none_twice() {
    let directory = tempfile::tempdir().expect("temp dir");
    payment_storm(directory.path(), &Server::start, &|_| {});
}

/// Kafka mode (librdkafka's MockCluster): a notification is acknowledged once the log has
/// it (`acks=all`) and applied by the shard's owner. The node is killed mid-storm and its
/// local store thrown away: the restarted node rebuilds the inbox from the log and applies
/// every acknowledged payment, once.
#[test]
fn a_kafka_mode_payment_storm_killed_mid_way_loses_no_acknowledged_payment() {
    let kafka = tests::kafka::MockKafka::new(&format!("storm-{}", std::process::id()), 3, 4);
    let environment = kafka.environment();
    let directory = tempfile::tempdir().expect("temp dir");
    payment_storm(
        directory.path(),
        &|path| Server::start_with_all(path, &environment),
        &|path| std::fs::remove_file(path.join("projection.redb")).expect("projection removed"),
    );
}

/// Every candidate's notification, [`STORM_COPIES`] times, from [`STORM_SENDERS`]
/// providers' senders at once; the plug is pulled once a third of the candidates are
/// acknowledged, `after_kill` runs, and a restarted server must have applied every
/// acknowledged payment exactly once.
fn payment_storm(
    directory: &std::path::Path,
    start: &dyn Fn(&std::path::Path) -> Server,
    after_kill: &dyn Fn(&std::path::Path),
) {
    let mut server = start(directory);
    let point = server.operator("point-430102-001");
    let orders = ordered(&server, &point, 1, STORM_CANDIDATES);
    let acknowledged: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for sender in 0..STORM_SENDERS {
            let (server, orders, acknowledged) = (&server, &orders, &acknowledged);
            scope.spawn(move || {
                for (index, (key, order_id, amount)) in orders.iter().enumerate() {
                    if index % STORM_SENDERS != sender {
                        continue;
                    }
                    for _ in 0..STORM_COPIES {
                        match server.try_notify(
                            "wechat_pay",
                            order_id,
                            &format!("tx-{key}"),
                            *amount,
                        ) {
                            Some(response) if response.status == 200 => {
                                acknowledged.lock().expect("lock").push(key.clone());
                            }
                            Some(_) => {}
                            None => return,
                        }
                    }
                }
            });
        }
        let started = Instant::now();
        while acknowledged.lock().expect("lock").len() < STORM_CANDIDATES as usize
            && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        kill_server(&server);
    });
    server.kill();
    after_kill(directory);
    let mut acknowledged = acknowledged.into_inner().expect("lock");
    acknowledged.sort();
    acknowledged.dedup();
    assert!(
        acknowledged.len() >= STORM_CANDIDATES as usize / 3,
        "the storm acknowledged {} payments before the kill",
        acknowledged.len()
    );

    let restarted = start(directory);
    let county = restarted.operator("county-430102");
    for (key, _, _) in &orders {
        let paid = acknowledged.binary_search(key).is_ok();
        let found = recorded(&restarted, &county, key, paid);
        if paid {
            assert_eq!(
                found.body["fee_paid"].as_bool(),
                Some(true),
                "acknowledged payment lost for {key}: {}",
                found.text
            );
        }
        never_applied_twice(&found);
    }
    // How many acknowledged payments the restarted server found in its inbox and applied
    // (zero when the applier had kept up with the storm before the kill).
    let applied_after_restart: f64 = restarted
        .metrics()
        .lines()
        .filter(|line| {
            line.starts_with("registration_payments_inbox_applied_total{")
                && line.contains("outcome=\"applied\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    // Every copy after the restart is a duplicate: acknowledged, changes nothing.
    let (key, order_id, amount) = &orders[0];
    let again = restarted.notify("wechat_pay", order_id, &format!("tx-{key}"), *amount);
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        recorded(&restarted, &county, key, true).body["surplus_payments"].as_u64(),
        Some(0)
    );
    println!(
        "payment storm: {} of {STORM_CANDIDATES} payments acknowledged before kill -9, all \
         applied once after the restart ({applied_after_restart} of them from the inbox by \
         the restarted server)",
        acknowledged.len(),
    );
}

/// Sends SIGKILL to the server's process by its pid, leaving the handle for the later reap.
fn kill_server(server: &Server) {
    let status = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}
