//! Every file in `deploy/` parses, and the files agree with each other and with the binary:
//! none of them can be started here (no Docker engine, no Kubernetes), so this is what
//! keeps them from rotting. YAML (compose, Kubernetes, Prometheus, Grafana) and TOML are
//! parsed for real; nginx.conf and the Dockerfile are checked for what the deployment
//! relies on.

use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

fn deploy(path: &str) -> PathBuf {
    root().join("deploy").join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of a (multi-document) YAML file.
fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = read(path);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| {
            let mut value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{}: invalid YAML: {e}", path.display()));
            // Resolve `<<: *anchor` merges, as Docker Compose does.
            value
                .apply_merge()
                .unwrap_or_else(|e| panic!("{}: bad merge: {e}", path.display()));
            value
        })
        .collect()
}

use serde::Deserialize as _;

fn files_under(directory: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).expect("readable directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The long flags the binary accepts, from its `--help`.
fn binary_flags() -> BTreeSet<String> {
    let binary = tests::build("gateway", "registration");
    let help = Command::new(binary)
        .arg("--help")
        .output()
        .expect("the binary runs");
    String::from_utf8_lossy(&help.stdout)
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("--"))
        .map(|flag| {
            flag.split(['=', ' ', ','])
                .next()
                .unwrap_or(flag)
                .to_owned()
        })
        .collect()
}

/// A gateway config file: valid TOML whose every key is an option of the binary.
fn check_gateway_config(origin: &str, text: &str, flags: &BTreeSet<String>) -> toml::Table {
    let table: toml::Table =
        toml::from_str(text).unwrap_or_else(|e| panic!("{origin}: invalid TOML: {e}"));
    for key in table.keys() {
        assert!(
            flags.contains(&key.replace('_', "-")),
            "{origin}: '{key}' is not an option of the registration binary"
        );
    }
    for required in [
        "log",
        "store",
        "kafka_brokers",
        "scylla_nodes",
        "shard_count",
        "secrets_file",
    ] {
        assert!(table.contains_key(required), "{origin}: sets {required}");
    }
    table
}

#[test]
fn every_deploy_file_parses() {
    let mut files = Vec::new();
    files_under(&root().join("deploy"), &mut files);
    let mut checked = 0;
    for path in &files {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yml") | Some("yaml") => {
                assert!(!yaml_documents(path).is_empty(), "{}", path.display());
            }
            Some("toml") => {
                toml::from_str::<toml::Table>(&read(path))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            Some("conf") => {
                let text = read(path);
                assert_eq!(
                    text.matches('{').count(),
                    text.matches('}').count(),
                    "{}: unbalanced braces",
                    path.display()
                );
            }
            Some("md") => continue,
            Some("txt") if path.parent().is_some_and(|dir| dir.ends_with("provinces")) => {
                engine::org::Province::from_gbt2260(&read(path))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            _ if path.file_name().is_some_and(|name| name == "Dockerfile") => {
                let text = read(path);
                assert!(text.contains("--bin registration"), "builds the binary");
                assert!(text.contains("ENTRYPOINT [\"registration\"]"));
            }
            _ => panic!(
                "{}: a file the deploy test does not know how to check",
                path.display()
            ),
        }
        checked += 1;
    }
    assert!(checked >= 10, "checked {checked} files");
}

#[test]
fn compose_has_the_whole_topology_and_its_mounts_exist() {
    let path = deploy("compose/docker-compose.yml");
    let compose = yaml_documents(&path).remove(0);
    let services = compose["services"].as_mapping().expect("services");
    let names: Vec<String> = services
        .keys()
        .filter_map(|key| key.as_str().map(str::to_owned))
        .collect();
    let count = |prefix: &str| names.iter().filter(|name| name.starts_with(prefix)).count();
    assert_eq!(count("scylla-"), 3, "three ScyllaDB nodes");
    assert_eq!(count("kafka-"), 3, "three Kafka brokers");
    assert!(count("gateway-") >= 2, "two or more gateways");
    for name in ["load-balancer", "prometheus", "grafana", "migrate"] {
        assert!(names.iter().any(|n| n == name), "a {name} service");
    }
    for index in 1..=3 {
        let environment = &services[format!("kafka-{index}").as_str()]["environment"];
        assert_eq!(
            environment["KAFKA_PROCESS_ROLES"].as_str(),
            Some("broker,controller"),
            "KRaft"
        );
        assert_eq!(
            environment["KAFKA_NODE_ID"].as_str(),
            Some(index.to_string().as_str())
        );
        assert!(
            environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]
                .as_str()
                .is_some_and(|voters| voters.matches('@').count() == 3)
        );
    }
    let gateways: Vec<&str> = names
        .iter()
        .filter(|n| n.starts_with("gateway-"))
        .map(String::as_str)
        .collect();
    for gateway in &gateways {
        let environment = &services[*gateway]["environment"];
        assert_eq!(
            environment["REG_ADVERTISED_URL"].as_str(),
            Some(format!("http://{gateway}:8080").as_str()),
            "{gateway} advertises itself"
        );
    }
    // The load balancer knows every gateway and follows redirects to shard owners.
    let nginx = read(&deploy("compose/nginx.conf"));
    for gateway in &gateways {
        assert!(
            nginx.contains(&format!("server {gateway}:8080")),
            "nginx balances {gateway}"
        );
    }
    assert!(nginx.contains("error_page 307 = @owner"));
    // Security audit item 23: a 2 MiB body cap in front of the gateway broke county package
    // imports; their route takes what the gateway takes.
    let k8s_gateway = read(&deploy("k8s/gateway.yaml"));
    for config in [&nginx, &k8s_gateway] {
        let route = config
            .split("location = /v1/imports/county-package {")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .expect("the package import route has its own location");
        // The gateway's `MAX_PACKAGE_BYTES` (512 MiB).
        assert!(route.contains("client_max_body_size 512m;"), "{route}");
    }
    // Prometheus scrapes every gateway and loads the alert rules; Grafana provisions ours.
    let prometheus = yaml_documents(&deploy("compose/prometheus.yml")).remove(0);
    let targets = format!("{:?}", prometheus["scrape_configs"]);
    for gateway in &gateways {
        assert!(
            targets.contains(&format!("{gateway}:9090")),
            "prometheus scrapes {gateway}"
        );
    }
    assert_eq!(
        prometheus["rule_files"][0].as_str(),
        Some("/etc/prometheus/alerts.yml")
    );
    let provider = yaml_documents(&deploy("compose/grafana/dashboards.yml")).remove(0);
    let dashboards_path = provider["providers"][0]["options"]["path"]
        .as_str()
        .expect("path");
    // Every bind mount's source exists, and the dashboards land where Grafana looks.
    let mut mounted_targets = Vec::new();
    for (name, service) in services {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let volume = volume.as_str().expect("short volume syntax");
            let mut parts = volume.split(':');
            let (source, target) = (parts.next().expect("source"), parts.next().expect("target"));
            if source.starts_with('.') {
                let resolved = path.parent().expect("compose dir").join(source);
                assert!(resolved.exists(), "{name:?}: {source} does not exist");
            }
            mounted_targets.push(target.to_owned());
        }
    }
    assert!(mounted_targets.iter().any(|t| t == dashboards_path));
    assert!(
        mounted_targets
            .iter()
            .any(|t| t == "/etc/prometheus/alerts.yml")
    );
}

#[test]
fn gateway_configs_use_only_real_options() {
    let flags = binary_flags();
    assert!(
        flags.contains("kafka-brokers") && flags.contains("scylla-nodes"),
        "{flags:?}"
    );
    check_gateway_config(
        "compose/registration.toml",
        &read(&deploy("compose/registration.toml")),
        &flags,
    );
    let documents = yaml_documents(&deploy("k8s/gateway.yaml"));
    let config_map = documents
        .iter()
        .find(|d| d["metadata"]["name"].as_str() == Some("registration-config"))
        .expect("the gateway ConfigMap");
    let table = check_gateway_config(
        "k8s/gateway.yaml ConfigMap",
        config_map["data"]["registration.toml"]
            .as_str()
            .expect("registration.toml"),
        &flags,
    );
    // A shard is a partition: the topic must have exactly shard_count partitions.
    let kafka = yaml_documents(&deploy("k8s/kafka.yaml"));
    let topic = kafka
        .iter()
        .find(|d| {
            d["kind"].as_str() == Some("KafkaTopic")
                && d["metadata"]["name"].as_str() == Some("registration.candidates")
        })
        .expect("the candidates topic");
    assert_eq!(
        topic["spec"]["partitions"].as_i64(),
        table["shard_count"].as_integer(),
        "KafkaTopic partitions = shard_count"
    );
    for variable in [
        "REG_CONFIG",
        "REG_LISTEN",
        "REG_DATA_DIR",
        "REG_ADVERTISED_URL",
    ] {
        let flag = variable
            .trim_start_matches("REG_")
            .to_lowercase()
            .replace('_', "-");
        assert!(flags.contains(&flag), "{variable} is an option ({flag})");
    }
}

#[test]
fn kubernetes_manifests_name_their_kinds_and_namespace() {
    let mut kinds = BTreeSet::new();
    for file in [
        "namespace.yaml",
        "scylla.yaml",
        "kafka.yaml",
        "gateway.yaml",
        "network-policies.yaml",
    ] {
        for document in yaml_documents(&deploy(&format!("k8s/{file}"))) {
            let kind = document["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("{file}: a kind"));
            assert!(
                document["apiVersion"].as_str().is_some(),
                "{file}: {kind} has an apiVersion"
            );
            assert!(
                document["metadata"]["name"].as_str().is_some(),
                "{file}: {kind} has a name"
            );
            if kind != "Namespace" {
                assert_eq!(
                    document["metadata"]["namespace"].as_str(),
                    Some("registration"),
                    "{file}: {kind}"
                );
            }
            kinds.insert(kind.to_owned());
        }
    }
    for wanted in [
        "ScyllaCluster",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "NetworkPolicy",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "Job",
        "ConfigMap",
        "Secret",
    ] {
        assert!(kinds.contains(wanted), "a {wanted}");
    }
    let kafka = yaml_documents(&deploy("k8s/kafka.yaml"));
    let pools: Vec<&Value> = kafka
        .iter()
        .filter(|d| d["kind"].as_str() == Some("KafkaNodePool"))
        .collect();
    let roles = format!(
        "{:?}",
        pools
            .iter()
            .map(|p| &p["spec"]["roles"])
            .collect::<Vec<_>>()
    );
    assert!(
        roles.contains("controller") && roles.contains("broker"),
        "KRaft node pools: {roles}"
    );
    let cluster = kafka
        .iter()
        .find(|d| d["kind"].as_str() == Some("Kafka"))
        .expect("Kafka");
    assert_eq!(
        cluster["metadata"]["annotations"]["strimzi.io/kraft"].as_str(),
        Some("enabled")
    );
    assert_eq!(
        cluster["spec"]["kafka"]["config"]["min.insync.replicas"].as_i64(),
        Some(2)
    );
}
