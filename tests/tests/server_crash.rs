//! kill -9 of the server during a burst of concurrent writes. After a restart on the same
//! data directory every acknowledged capture and payment is present, and no payment has been
//! applied twice, although every notification was delivered twice and some after the kill.

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
        assert_eq!(
            found.body["surplus_payments"].as_u64(),
            Some(0),
            "a payment was applied twice: {}",
            found.text
        );
    }
    for key in &acknowledged.paid {
        let found = restarted.request(
            "GET",
            &format!("/v1/candidates/{key}"),
            None,
            Some(&county),
            None,
        );
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

/// Sends SIGKILL to the server's process by its pid, leaving the handle for the later reap.
fn kill_server(server: &Server) {
    let status = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}
