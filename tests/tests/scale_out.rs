//! Two gateway nodes on one Kafka (librdkafka's MockCluster): the consumer group splits the
//! shards between them; a capture reaching the node that does not own the candidate's shard
//! is redirected (307) to the node that does, and a token from one node works on the other;
//! serial numbers come from whichever node owns the counties, never twice; every node reads
//! every candidate.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tests::Server;
use tests::kafka::MockKafka;

const SHARDS: u32 = 4;

fn metric(server: &Server, name: &str) -> f64 {
    server
        .metrics()
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn location(response: &tests::Response) -> Option<String> {
    response
        .head
        .lines()
        .find_map(|line| line.strip_prefix("location:"))
        .map(|value| value.trim().to_owned())
}

/// Two nodes of one deployment on one MockCluster, once the group has split the partitions
/// between them. Dropped in this order: the servers, then the cluster and the directories.
struct TwoNodes {
    first: Server,
    second: Server,
    _kafka: MockKafka,
    _directories: [tempfile::TempDir; 2],
}

fn two_nodes(name: &str) -> TwoNodes {
    let kafka = MockKafka::new(&format!("{name}-{}", std::process::id()), 3, SHARDS);
    let environment = kafka.environment();
    let first_directory = tempfile::tempdir().expect("temp dir");
    let first = Server::start_with_all(first_directory.path(), &environment);
    // Nodes of one deployment share its secrets (candidate keys, callback keys, tokens).
    let second_directory = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        first_directory.path().join("secrets.json"),
        second_directory.path().join("secrets.json"),
    )
    .expect("secrets shared");
    let second = Server::start_with_all(second_directory.path(), &environment);
    let started = Instant::now();
    loop {
        let (a, b) = (
            metric(&first, "registration_storage_kafka_owned_partitions"),
            metric(&second, "registration_storage_kafka_owned_partitions"),
        );
        if a > 0.0 && b > 0.0 && a + b == f64::from(SHARDS + 1) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the group never split the partitions: {a} + {b}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    TwoNodes {
        first,
        second,
        _kafka: kafka,
        _directories: [first_directory, second_directory],
    }
}

#[test]
fn two_nodes_split_the_shards_redirect_writes_and_share_reads() {
    let nodes = two_nodes("scale");
    let (first, second) = (&nodes.first, &nodes.second);

    // One operator session, issued by the first node, used on both.
    let point = first.operator("point-430102-001");
    let mut serials = BTreeSet::new();
    let mut keys = Vec::new();
    let (mut local, mut redirected) = (0, 0);
    for sequence in 1..=12 {
        let idempotency = format!("cap-{sequence}");
        let mut answer = first.capture(&point, "430102-001", sequence, &idempotency);
        if answer.status == 307 {
            assert_eq!(answer.code(), "shard_elsewhere");
            let target = location(&answer).expect("a Location");
            assert_eq!(
                target,
                format!("http://{}/v1/points/430102-001/captures", second.address)
            );
            redirected += 1;
            answer = second.capture(&point, "430102-001", sequence, &idempotency);
        } else {
            local += 1;
        }
        assert_eq!(answer.status, 201, "{}", answer.text);
        let serial = answer.body["serial_number"].as_str().expect("serial");
        assert!(
            serials.insert(serial.to_owned()),
            "serial {serial} given twice"
        );
        keys.push(answer.body["key"].as_str().expect("key").to_owned());
    }
    assert!(
        local > 0 && redirected > 0,
        "{local} local, {redirected} redirected"
    );
    // The serials of the node not owning the counties came over its admin listener: the
    // node-to-node route is there only, and takes only signed requests.
    for node in [first, second] {
        let json = [("Content-Type", "application/json")];
        let public = node.raw("POST", "/v1/internal/serials", b"{}", &json);
        assert_eq!(
            (public.status, public.code()),
            (404, "route_not_found"),
            "{}",
            public.text
        );
        let unsigned = node.admin_raw("POST", "/v1/internal/serials", b"{}", &json);
        assert_eq!(
            (unsigned.status, unsigned.code()),
            (401, "signature_invalid"),
            "{}",
            unsigned.text
        );
    }

    // Reads are served by any node: each follows every partition.
    let county = first.operator("county-430102");
    for key in &keys {
        for node in [first, second] {
            let started = Instant::now();
            loop {
                let read = node.request(
                    "GET",
                    &format!("/v1/candidates/{key}"),
                    None,
                    Some(&county),
                    None,
                );
                if read.status == 200 {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{key} not readable on {}: {}",
                    node.address,
                    read.text
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    // Security audit item 4: a setting changed on one node is in force on every node. The
    // province pauses registration on the first node; a candidate writing to the second is
    // refused there too, and both show the same settings version.
    let candidate = candidate_token([first, second], 1);
    let province = first.operator("province");
    let paused = first.request(
        "PUT",
        "/v1/admission/pause",
        Some(&serde_json::json!({"paused": true})),
        Some(&province),
        Some("pause"),
    );
    assert_eq!(paused.status, 200, "{}", paused.text);
    let started = Instant::now();
    loop {
        let write = second.request(
            "POST",
            "/v1/candidates/me/pledge",
            None,
            Some(&candidate),
            Some("pledge-while-paused"),
        );
        if write.code() == "registration_paused" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the second node never applied the pause: {}",
            write.text
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let versions = |node: &Server| {
        node.request("GET", "/v1/admission", None, Some(&province), None)
            .body["settings_versions"]["admission"]
            .clone()
    };
    assert_eq!(versions(first), versions(second));
    assert!(versions(first).is_string());
}

/// Issue 17: a payment notification is acknowledged by whichever node the provider reached
/// — once Kafka has it, no redirect — and applied by the node owning the candidate's shard;
/// every node then reads it paid, once.
#[test]
fn a_notification_to_either_node_is_acknowledged_there_and_applied_by_the_owner() {
    let pair = two_nodes("inbox");
    let (first, second) = (&pair.first, &pair.second);
    let nodes = [first, second];
    let point = first.operator("point-430102-001");
    let mut orders = Vec::new();
    for sequence in 1..=8 {
        let captured = write(
            nodes,
            "POST",
            "/v1/points/430102-001/captures",
            Some(&tests::capture_body(sequence)),
            &point,
            Some(&format!("cap-{sequence}")),
        );
        assert_eq!(captured.status, 201, "{}", captured.text);
        let key = captured.body["key"].as_str().expect("key").to_owned();
        let token = candidate_token(nodes, sequence);
        let order = write(
            nodes,
            "POST",
            "/v1/candidates/me/fee-orders",
            Some(&serde_json::json!({"provider": "wechat_pay"})),
            &token,
            Some("order"),
        );
        assert_eq!(order.status, 201, "{}", order.text);
        orders.push((
            key,
            order.body["order_id"].as_str().expect("order").to_owned(),
            order.body["amount_fen"].as_u64().expect("amount"),
        ));
    }
    // Each notification twice, once to each node: both answer success themselves.
    for (key, order_id, amount) in &orders {
        for node in nodes {
            let answer = node.notify("wechat_pay", order_id, &format!("tx-{key}"), *amount);
            assert_eq!(
                (answer.status, answer.body["code"].as_str()),
                (200, Some("SUCCESS")),
                "{}: {}",
                node.address,
                answer.text
            );
        }
    }
    let county = first.operator("county-430102");
    for (key, _, _) in &orders {
        for node in nodes {
            let read = read_until(node, &format!("/v1/candidates/{key}"), &county, |read| {
                read.body["fee_paid"].as_bool() == Some(true)
                    && read.body["payments_being_recorded"].as_u64() == Some(0)
            });
            assert_eq!(read.body["fee_paid"].as_bool(), Some(true), "{}", read.text);
            assert_eq!(
                read.body["surplus_payments"].as_u64(),
                Some(0),
                "applied twice: {}",
                read.text
            );
        }
    }
    let applied = |node: &Server| -> f64 {
        node.metrics()
            .lines()
            .filter(|line| {
                line.starts_with("registration_payments_inbox_applied_total{")
                    && line.contains("outcome=\"applied\"")
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert_eq!(
        applied(first) + applied(second),
        orders.len() as f64,
        "each payment applied once, by its owner, from the inbox"
    );
}

/// `kill -9` a Kafka-mode node and throw its local store away: everything it acknowledged is
/// in Kafka, so the restarted node rebuilds it all, and serial numbers continue without
/// reuse.
#[test]
fn a_killed_node_rebuilds_everything_it_acknowledged_from_kafka() {
    let kafka = MockKafka::new(&format!("crash-{}", std::process::id()), 3, SHARDS);
    let environment = kafka.environment();
    let directory = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start_with_all(directory.path(), &environment);
    let point = server.operator("point-430102-001");
    let mut acknowledged = Vec::new();
    for sequence in 1..=10 {
        let answer = server.capture(&point, "430102-001", sequence, &format!("cap-{sequence}"));
        assert_eq!(answer.status, 201, "{}", answer.text);
        acknowledged.push((
            answer.body["key"].as_str().expect("key").to_owned(),
            answer.body["serial_number"]
                .as_str()
                .expect("serial")
                .to_owned(),
        ));
    }
    server.kill();
    std::fs::remove_file(directory.path().join("projection.redb")).expect("projection removed");

    let server = Server::start_with_all(directory.path(), &environment);
    let county = server.operator("county-430102");
    for (key, serial) in &acknowledged {
        let read = read_until(&server, &format!("/v1/candidates/{key}"), &county, |read| {
            read.status == 200
        });
        assert_eq!(read.status, 200, "{key} lost: {}", read.text);
        assert_eq!(read.body["serial_number"].as_str(), Some(serial.as_str()));
    }
    // The operator's token from before the crash still works (signed, not remembered), and
    // the county's serial sequence continues where it was. Until the group notices the old
    // process is gone (its session timeout), its shards still point at it: writes for them
    // are redirected there (307) or refused (421) — never applied here.
    let started = Instant::now();
    let next = loop {
        let next = server.capture(&point, "430102-001", 11, "cap-11");
        if ![307, 421].contains(&next.status) || started.elapsed() > Duration::from_secs(30) {
            break next;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(next.status, 201, "{}", next.text);
    let serial = next.body["serial_number"].as_str().expect("serial");
    assert!(
        acknowledged.iter().all(|(_, used)| used != serial),
        "serial {serial} reused after the crash"
    );
    // A retried capture from before the crash is still the same capture.
    let retried = server.capture(&point, "430102-001", 1, "cap-1");
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(
        retried.body["serial_number"].as_str(),
        Some(acknowledged[0].1.as_str())
    );
}

/// Candidate `sequence`'s first login, on whichever node owns their shard: their token.
fn candidate_token(nodes: [&Server; 2], sequence: u32) -> String {
    let login = serde_json::json!({"id_number": tests::id_number(sequence), "name": tests::CANDIDATE_NAME, "valid_until": "长期"});
    nodes
        .iter()
        .map(|node| {
            node.request(
                "POST",
                "/v1/sessions/candidate/first-login",
                Some(&login),
                None,
                None,
            )
        })
        .find(|answer| answer.status == 200)
        .map(|answer| answer.body["token"].as_str().expect("token").to_owned())
        .expect("the shard's owner logs the candidate in")
}

/// Sends a write to `first`; if it is redirected, to the node named in the redirect.
fn write(
    nodes: [&Server; 2],
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    token: &str,
    idempotency: Option<&str>,
) -> tests::Response {
    let started = Instant::now();
    loop {
        let answer = nodes[0].request(method, path, body, Some(token), idempotency);
        let answer = match (answer.status, location(&answer)) {
            (307, Some(target)) => {
                let node = nodes
                    .iter()
                    .find(|node| target.contains(&node.address))
                    .expect("redirected to a node of this deployment");
                node.request(method, path, body, Some(token), idempotency)
            }
            _ => answer,
        };
        // 421: the owner is changing hands; retry shortly.
        if answer.status != 421 || started.elapsed() > Duration::from_secs(30) {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until `server` answers `GET path` with `token` with `status`.
fn eventually(server: &Server, path: &str, token: &str, status: u16) -> tests::Response {
    read_until(server, path, token, |answer| answer.status == status)
}

/// `GET path` with `token` until `done` says the answer is the awaited one (20 s at most;
/// then the last answer, for the caller's assertion to show).
fn read_until(
    server: &Server,
    path: &str,
    token: &str,
    done: impl Fn(&tests::Response) -> bool,
) -> tests::Response {
    let started = Instant::now();
    loop {
        let answer = server.request("GET", path, None, Some(token), None);
        if done(&answer) || started.elapsed() > Duration::from_secs(20) {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Issue 13: accounts are stored through the log, so a disabled account, and a session from
/// before a password change, stop working on every node, not only the one that changed
/// them.
#[test]
fn account_changes_on_one_node_end_sessions_on_the_other() {
    use tests::operators::{create, first_login, login, setup_token, token_of};
    let kafka = MockKafka::new(&format!("accounts-{}", std::process::id()), 3, SHARDS);
    let mut environment = kafka.environment();
    environment.push(("REG_DEMO".to_owned(), "false".to_owned()));
    let pairs: Vec<(&str, &str)> = environment
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let first_directory = tempfile::tempdir().expect("temp dir");
    let stdout_path = first_directory.path().join("first.out");
    let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
    let first = Server::start_logging(
        first_directory.path(),
        &pairs,
        stdout,
        std::process::Stdio::null(),
    );
    let token = setup_token(&stdout_path);
    let setup = first.request(
        "POST",
        "/v1/setup",
        Some(&serde_json::json!({"setup_token": token, "username": "chief", "password": "chief-pass-2026"})),
        None,
        None,
    );
    assert_eq!(setup.status, 201, "{}", setup.text);
    let chief = token_of(&login(&first, "chief", "chief-pass-2026"));
    let once = create(&first, &chief, "changsha", "city:4301");
    let disabled_soon = first_login(&first, "changsha", &once, "changsha-pass-1");
    let once = create(&first, &chief, "changsha-2", "city:4301");
    let changing_soon = first_login(&first, "changsha-2", &once, "changsha-pass-2");

    let second_directory = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        first_directory.path().join("secrets.json"),
        second_directory.path().join("secrets.json"),
    )
    .expect("secrets shared");
    let second = Server::start_with(second_directory.path(), &pairs);
    // The second node knows the accounts (from the log) and honours their sessions.
    for token in [&disabled_soon, &changing_soon] {
        let seen = eventually(&second, "/v1/accounts", token, 200);
        assert_eq!(seen.status, 200, "{}", seen.text);
    }

    // Disabled through the first node: refused on the second.
    let disabled = write(
        [&first, &second],
        "PUT",
        "/v1/accounts/changsha/enabled",
        Some(&serde_json::json!({"enabled": false})),
        &chief,
        None,
    );
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let refused = eventually(&second, "/v1/accounts", &disabled_soon, 401);
    assert_eq!(
        refused.status, 401,
        "a disabled account's session on the other node"
    );
    assert_eq!(
        eventually(&first, "/v1/accounts", &disabled_soon, 401).status,
        401
    );

    // A password changed (wherever it lands): the session from before is refused on both.
    let changed = write(
        [&first, &second],
        "PUT",
        "/v1/sessions/operator/password",
        Some(
            &serde_json::json!({"current_password": "changsha-pass-2", "new_password": "changsha-pass-3"}),
        ),
        &changing_soon,
        None,
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    let new_token = token_of(&changed);
    for node in [&first, &second] {
        let stale = eventually(node, "/v1/accounts", &changing_soon, 401);
        assert_eq!(stale.status, 401, "a session from before the change");
        let fresh = eventually(node, "/v1/accounts", &new_token, 200);
        assert_eq!(fresh.status, 200, "{}", fresh.text);
    }
}
