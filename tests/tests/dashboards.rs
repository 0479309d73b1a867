//! Every metric a dashboard panel or an alert rule uses must be one the program exports: the
//! server is started with the Kafka log (on librdkafka's MockCluster, so the Kafka metrics
//! exist too), taken through a capture, a payment notification and a pause (so counters,
//! histograms and gauges have been touched), `/metrics` is scraped, and every
//! `registration_*` name in `dashboards/` is looked up in it. The ScyllaDB panels' metrics
//! exist only with `store = scylla`, which cannot run here: those names are checked against
//! the constants the ScyllaDB store records under instead.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use tests::Server;
use tests::kafka::MockKafka;

fn dashboards_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("dashboards")
}

/// `registration_*` names in `text`, histogram suffixes removed.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (start, _) in text.match_indices("registration_") {
        let name: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(&name)
            .to_owned();
        names.insert(base);
    }
    names
}

fn expressions(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "expr" {
                    out.extend(inner.as_str().map(str::to_owned));
                } else {
                    expressions(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| expressions(item, out)),
        _ => {}
    }
}

#[test]
fn every_dashboard_and_alert_metric_is_exported() {
    let data = tempfile::tempdir().expect("temp dir");
    let kafka = MockKafka::new("dash", 1, 2);
    let server = Server::start_with_all(data.path(), &kafka.environment());
    // A registration with its payment (routes, actors, storage, Kafka, admission), then a
    // pause and a refused write.
    let point = server.operator("point-430102-001");
    let (_, token) = server.registered(&point, 1);
    // A notification that is not WeChat Pay's (no signature): refused, counted by reason.
    let refused_notification = server.raw(
        "POST",
        "/v1/payments/wechat_pay/notify",
        b"{}",
        &[("Content-Type", "application/json")],
    );
    assert_eq!(
        refused_notification.status, 401,
        "{}",
        refused_notification.text
    );
    let province = server.operator("province");
    let paused = server.request(
        "PUT",
        "/v1/admission/pause",
        Some(&json!({"paused": true, "retry_after_seconds": 60})),
        Some(&province),
        Some("pause"),
    );
    assert_eq!(paused.status, 200, "{}", paused.text);
    let refused = server.request(
        "POST",
        "/v1/candidates/me/fee-orders",
        Some(&json!({"provider": "wechat_pay"})),
        Some(&token),
        Some("order"),
    );
    assert_eq!(refused.status, 503, "{}", refused.text);
    // The callback inbox is the embedded store's (Kafka mode applies callbacks at once): a
    // payment on an embedded node exports its metrics.
    let embedded_data = tempfile::tempdir().expect("temp dir");
    let embedded = Server::start(embedded_data.path());
    let embedded_point = embedded.operator("point-430102-001");
    embedded.registered(&embedded_point, 1);
    let scrape = format!("{}\n{}", server.metrics(), embedded.metrics());
    let mut exported = metric_names(&scrape);
    exported.extend(
        [
            storage::metrics::SCYLLA_DURATION_SECONDS,
            storage::metrics::SCYLLA_ERRORS_TOTAL,
        ]
        .map(str::to_owned),
    );

    let mut used = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dashboards_dir()).expect("dashboards/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let names = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let dashboard: Value = serde_json::from_str(&text).expect("valid JSON");
                let mut exprs = Vec::new();
                expressions(&dashboard, &mut exprs);
                assert!(!exprs.is_empty(), "{} has no queries", path.display());
                metric_names(&exprs.join("\n"))
            }
            Some("yml") | Some("yaml") => {
                let rules: Vec<&str> = text
                    .lines()
                    .filter_map(|line| line.trim().strip_prefix("expr:"))
                    .collect();
                assert!(!rules.is_empty(), "{} has no rules", path.display());
                metric_names(&rules.join("\n"))
            }
            _ => continue,
        };
        files += 1;
        used.extend(names);
    }
    assert!(files >= 2, "a dashboard and the alert rules");
    // A `histogram_quantile` over `_bucket` needs a histogram, not a summary.
    for file in std::fs::read_dir(dashboards_dir()).expect("dashboards/") {
        let text = std::fs::read_to_string(file.expect("entry").path()).expect("readable");
        for (start, _) in text.match_indices("_bucket") {
            let name_start = text[..start].rfind("registration_").expect("a metric name");
            let name = &text[name_start..start];
            let scylla = name.starts_with("registration_storage_scylla_");
            assert!(
                scylla || scrape.contains(&format!("{name}_bucket{{")),
                "{name} is used as a histogram but not exported with buckets"
            );
        }
    }
    let missing: Vec<&String> = used.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "dashboards/alerts use metrics the program never exports: {missing:?}\nexported: {exported:?}"
    );
    assert!(
        used.len() >= 10,
        "the dashboards cover the subsystems: {used:?}"
    );
}
