//! Opening the backend the options choose: the embedded store, or Kafka with this node's
//! redb file or ScyllaDB as the projection.

use crate::options::{LogKind, Options, StoreKind};
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use storage::keys::KeyRing;
use storage::{
    Backend, EmbeddedConfig, EmbeddedStore, KafkaConfig, KafkaLog, ScyllaConfig, ScyllaStore,
};

pub fn scylla_config(options: &Options) -> anyhow::Result<ScyllaConfig> {
    anyhow::ensure!(
        !options.scylla_nodes.is_empty(),
        "--scylla-nodes (REG_SCYLLA_NODES) is required for the ScyllaDB store"
    );
    Ok(ScyllaConfig {
        nodes: options.scylla_nodes.clone(),
        keyspace: options.scylla_keyspace.clone(),
        replication_factor: options.scylla_replication_factor,
        request_timeout_seconds: options.scylla_request_timeout_seconds,
        credentials: credentials(
            "ScyllaDB",
            &options.scylla_username,
            &options.scylla_password,
        )?,
        ca_file: options.scylla_ca_file.clone(),
    })
}

/// A user and password given together, or neither.
fn credentials(
    what: &str,
    username: &Option<String>,
    password: &Option<String>,
) -> anyhow::Result<Option<(String, String)>> {
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some((username.clone(), password.clone()))),
        (None, None) => Ok(None),
        _ => anyhow::bail!("{what}: a user name needs its password and a password its user name"),
    }
}

fn kafka_config(options: &Options) -> anyhow::Result<KafkaConfig> {
    if options.redirect_allow.is_empty() {
        tracing::warn!(
            "--redirect-allow is not set: writes may be redirected to any URL published in \
             the Kafka group (set it to your gateways' URLs)"
        );
    }
    let brokers = options
        .kafka_brokers
        .clone()
        .context("--kafka-brokers (REG_KAFKA_BROKERS) is required for --log kafka")?;
    let advertised = options
        .advertised_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", options.listen));
    let internal = options
        .advertised_admin_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", options.admin_listen));
    Ok(KafkaConfig {
        internal_url: Some(internal),
        topic_prefix: options.kafka_topic_prefix.clone(),
        group_id: options.kafka_group_id.clone(),
        replication_factor: options.kafka_replication_factor,
        delivery_timeout_seconds: options.kafka_delivery_timeout_seconds,
        linger_milliseconds: options.kafka_linger_milliseconds,
        fetch_wait_milliseconds: options.kafka_fetch_wait_milliseconds,
        apply_timeout_seconds: options.kafka_apply_timeout_seconds,
        session_timeout_seconds: options.kafka_session_timeout_seconds,
        security: storage::kafka::KafkaSecurity {
            tls: options.kafka_tls,
            ca_file: options.kafka_ca_file.clone(),
            scram: credentials("Kafka", &options.kafka_username, &options.kafka_password)?,
        },
        ..KafkaConfig::new(brokers, advertised)
    })
}

fn open_embedded(path: &std::path::Path, options: &Options) -> anyhow::Result<Arc<EmbeddedStore>> {
    let config = EmbeddedConfig {
        cache_bytes: options.store_cache_mebibytes.saturating_mul(1024 * 1024),
        ..EmbeddedConfig::new(path)
    };
    let (store, recovery) = EmbeddedStore::open(&config)
        .with_context(|| format!("opening the store at {}", path.display()))?;
    println!(
        "store {}: recovered {} log records in {} partitions, {} candidates",
        path.display(),
        recovery.log_records,
        recovery.partitions,
        recovery.candidates
    );
    Ok(Arc::new(store))
}

/// Opens the backend the options choose. In Kafka mode, waits (bounded) for the group's
/// first assignment so that the demo seeding knows whether this node owns the counties.
pub async fn open_backend(options: &Options, log_keys: &KeyRing) -> anyhow::Result<Backend> {
    let backend = match (options.log, options.store) {
        (LogKind::Embedded, StoreKind::Embedded) => Backend::Embedded(open_embedded(
            &options.data_dir.join("registration.redb"),
            options,
        )?),
        (LogKind::Embedded, StoreKind::Scylla) => anyhow::bail!(
            "--store scylla needs --log kafka: the shared store is fed from the shared log by \
             every node, and an embedded log would tie it to one machine"
        ),
        // A different file from the embedded log's: this one is only a projection of Kafka.
        (LogKind::Kafka, StoreKind::Embedded) => {
            let projection = open_embedded(&options.data_dir.join("projection.redb"), options)?;
            let log = KafkaLog::start(
                &kafka_config(options)?,
                options.shard_count,
                log_keys.clone(),
                projection,
            )
            .await
            .context("starting the Kafka log")?;
            Backend::Kafka(Arc::new(log))
        }
        (LogKind::Kafka, StoreKind::Scylla) => {
            let store = ScyllaStore::connect(&scylla_config(options)?)
                .await
                .context("connecting to ScyllaDB (run `registration migrate` first)")?;
            let log = KafkaLog::start(
                &kafka_config(options)?,
                options.shard_count,
                log_keys.clone(),
                Arc::new(store),
            )
            .await
            .context("starting the Kafka log")?;
            Backend::KafkaScylla(Arc::new(log))
        }
    };
    if options.log == LogKind::Kafka {
        let deadline = std::time::Instant::now()
            + Duration::from_secs(options.kafka_session_timeout_seconds.max(1) * 3);
        // Until the group's first assignment is taken over (rebuilt, claimed), or a bound.
        while !backend.settled() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    println!("backend: {}", backend.describe());
    Ok(backend)
}
