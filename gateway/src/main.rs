//! `registration`: the main job. Opens the backend (by default the embedded store under the
//! data directory; `--log kafka`, `--store scylla` for scale-out), seeds the demo province,
//! starts the actors and serves the JSON API. Every option is a flag, a `REG_`-prefixed
//! environment variable, or a key of the `--config` TOML file, in that order of precedence.
//! `registration migrate` applies the ScyllaDB schema.

use actix_web::{App, HttpServer, web};
use actors::{Registry, Settings, ShardConfig, SharedSettings};
use anyhow::Context as _;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use engine::candidate::Provider;
use engine::key::KeySecret;
use engine::org::Province;
use engine::schedule::Schedule;
use gateway::accounts::Accounts;
use gateway::admission::Admission;
use gateway::admission::config::AdmissionConfig;
use gateway::hashing::{Hasher, hash_now};
use gateway::secrets::{Keys, Secrets};
use gateway::sessions::Sessions;
use gateway::state::AppState;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use storage::keys::KeyRing;
use storage::{
    Backend, EmbeddedConfig, EmbeddedStore, Journal, KafkaConfig, KafkaLog, Partition,
    ScyllaConfig, ScyllaStore, StateStore,
};

/// Where writes become durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogKind {
    /// This machine's redb file (group commit, fsync).
    Embedded,
    /// Kafka (`acks=all`), shards owned through the consumer group.
    Kafka,
}

/// Where the queryable state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    /// This machine's redb file.
    Embedded,
    /// ScyllaDB, shared by every node.
    Scylla,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the ScyllaDB schema (storage/schema/scylla.cql) to --scylla-nodes and exit.
    Migrate,
}

/// Provincial exam registration engine.
#[derive(Debug, Parser)]
#[command(version, about, args_override_self = true)]
struct Options {
    #[command(subcommand)]
    command: Option<Command>,
    /// A TOML file of options: keys are the long flags with `_` for `-` (`log = "kafka"`,
    /// `kafka_brokers = "k1:9092"`). Flags and `REG_` variables override it.
    #[arg(long, env = "REG_CONFIG")]
    config: Option<PathBuf>,
    /// Where writes become durable: `embedded` (the default, no services) or `kafka`.
    #[arg(long, env = "REG_LOG", value_enum, default_value = "embedded")]
    log: LogKind,
    /// Where state is stored and read: `embedded` (the default) or `scylla` (needs
    /// `--log kafka`).
    #[arg(long, env = "REG_STORE", value_enum, default_value = "embedded")]
    store: StoreKind,
    /// Kafka bootstrap servers (`host:port,...`), for `--log kafka`.
    #[arg(long, env = "REG_KAFKA_BROKERS")]
    kafka_brokers: Option<String>,
    /// Kafka topic names start with this.
    #[arg(long, env = "REG_KAFKA_TOPIC_PREFIX", default_value = "registration")]
    kafka_topic_prefix: String,
    /// The consumer group whose assignment decides which node owns which shard.
    #[arg(
        long,
        env = "REG_KAFKA_GROUP_ID",
        default_value = "registration-gateways"
    )]
    kafka_group_id: String,
    /// Replication factor when this node creates the topics.
    #[arg(long, env = "REG_KAFKA_REPLICATION_FACTOR", default_value_t = 3)]
    kafka_replication_factor: i32,
    /// How long the producer retries one write before its request fails.
    #[arg(long, env = "REG_KAFKA_DELIVERY_TIMEOUT_SECONDS", default_value_t = 30)]
    kafka_delivery_timeout_seconds: u64,
    /// How long the producer waits to fill a batch (group commit on Kafka).
    #[arg(long, env = "REG_KAFKA_LINGER_MILLISECONDS", default_value_t = 2)]
    kafka_linger_milliseconds: u64,
    /// How long an acknowledged write waits to be applied to this node's store.
    #[arg(long, env = "REG_KAFKA_APPLY_TIMEOUT_SECONDS", default_value_t = 30)]
    kafka_apply_timeout_seconds: u64,
    /// How soon a silent node's shards move to others.
    #[arg(long, env = "REG_KAFKA_SESSION_TIMEOUT_SECONDS", default_value_t = 10)]
    kafka_session_timeout_seconds: u64,
    /// TLS to the brokers (a real deployment: always).
    #[arg(long, env = "REG_KAFKA_TLS", default_value_t = false, action = clap::ArgAction::Set)]
    kafka_tls: bool,
    /// CA certificate (PEM) of the brokers' certificates (default: the system's CAs).
    #[arg(long, env = "REG_KAFKA_CA_FILE")]
    kafka_ca_file: Option<PathBuf>,
    /// SCRAM-SHA-512 user of the gateways (with REG_KAFKA_PASSWORD; needs TLS).
    #[arg(long, env = "REG_KAFKA_USERNAME")]
    kafka_username: Option<String>,
    /// Its password: from the environment (a Kubernetes secret), never a flag in `ps`.
    #[arg(skip = std::env::var("REG_KAFKA_PASSWORD").ok())]
    kafka_password: Option<String>,
    /// This node's URL as other nodes should redirect writes to it (default: http://LISTEN).
    #[arg(long, env = "REG_ADVERTISED_URL")]
    advertised_url: Option<String>,
    /// URL prefixes an owner's advertised URL must start with before writes (and their
    /// bearer tokens) are redirected to it or serials requested from it, comma-separated
    /// (e.g. `http://gateway-1:8080,http://gateway-2:8080`). Empty: any URL (a warning at
    /// start in Kafka mode).
    #[arg(long, env = "REG_REDIRECT_ALLOW", value_delimiter = ',')]
    redirect_allow: Vec<String>,
    /// `Strict-Transport-Security` max-age on every answer, in seconds, for a deployment
    /// whose load balancer terminates TLS (HTTPS only); 0 sends none.
    #[arg(long, env = "REG_HSTS_MAX_AGE_SECONDS", default_value_t = 0)]
    hsts_max_age_seconds: u64,
    /// ScyllaDB contact points (`host:port,...`), for `--store scylla` and `migrate`.
    #[arg(long, env = "REG_SCYLLA_NODES", value_delimiter = ',')]
    scylla_nodes: Vec<String>,
    /// The ScyllaDB keyspace.
    #[arg(long, env = "REG_SCYLLA_KEYSPACE", default_value = "registration")]
    scylla_keyspace: String,
    /// Replication factor when `migrate` creates the keyspace.
    #[arg(long, env = "REG_SCYLLA_REPLICATION_FACTOR", default_value_t = 3)]
    scylla_replication_factor: u32,
    /// Per-request ScyllaDB timeout.
    #[arg(long, env = "REG_SCYLLA_REQUEST_TIMEOUT_SECONDS", default_value_t = 5)]
    scylla_request_timeout_seconds: u64,
    /// CA certificate (PEM) of the ScyllaDB nodes: TLS to them when set.
    #[arg(long, env = "REG_SCYLLA_CA_FILE")]
    scylla_ca_file: Option<PathBuf>,
    /// ScyllaDB user (PasswordAuthenticator; with REG_SCYLLA_PASSWORD).
    #[arg(long, env = "REG_SCYLLA_USERNAME")]
    scylla_username: Option<String>,
    /// Its password: from the environment only.
    #[arg(skip = std::env::var("REG_SCYLLA_PASSWORD").ok())]
    scylla_password: Option<String>,
    /// Address to serve the API on.
    #[arg(long, env = "REG_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where the embedded store and the generated secrets live.
    #[arg(long, env = "REG_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The deployment's keys (generated on first start). Every node of a scale-out
    /// deployment must use the same file (default: DATA_DIR/secrets.json).
    #[arg(long, env = "REG_SECRETS_FILE")]
    secrets_file: Option<PathBuf>,
    /// Where candidates reach the service, printed on login cards (default: http://LISTEN).
    #[arg(long, env = "REG_PUBLIC_URL")]
    public_url: Option<String>,
    /// WeChat Pay's query-order adapter (`GET <url>/orders/<id>`, signed answers), for
    /// payment reconciliation.
    #[arg(long, env = "REG_WECHAT_PAY_QUERY_URL")]
    wechat_pay_query_url: Option<String>,
    /// Alipay's query-order adapter.
    #[arg(long, env = "REG_ALIPAY_QUERY_URL")]
    alipay_query_url: Option<String>,
    /// UnionPay's query-order adapter.
    #[arg(long, env = "REG_UNIONPAY_QUERY_URL")]
    unionpay_query_url: Option<String>,
    /// How long one order query may take.
    #[arg(long, env = "REG_PROVIDER_QUERY_TIMEOUT_SECONDS", default_value_t = 5)]
    provider_query_timeout_seconds: u64,
    /// Run a reconciliation pass this often (0: only when the province asks).
    #[arg(long, env = "REG_RECONCILE_INTERVAL_SECONDS", default_value_t = 0)]
    reconcile_interval_seconds: u64,
    /// Orders younger than this are left to their notifications by periodic passes.
    #[arg(
        long,
        env = "REG_RECONCILE_MIN_ORDER_AGE_SECONDS",
        default_value_t = 300
    )]
    reconcile_min_order_age_seconds: u32,
    /// Candidate shards (fixed for the life of a database).
    #[arg(long, env = "REG_SHARD_COUNT", default_value_t = 16)]
    shard_count: u32,
    /// Requests that may wait for one shard before it reports overload.
    #[arg(long, env = "REG_SHARD_MAILBOX_CAPACITY", default_value_t = 1024)]
    shard_mailbox_capacity: usize,
    /// Clean candidate records cached per shard.
    #[arg(long, env = "REG_CACHE_CAPACITY_PER_SHARD", default_value_t = 8192)]
    cache_capacity_per_shard: usize,
    /// Password-hashing threads (0: one per core).
    #[arg(long, env = "REG_HASH_THREADS", default_value_t = 0)]
    hash_threads: usize,
    /// Password checks that may queue before logins get 503.
    #[arg(long, env = "REG_HASH_QUEUE_CAPACITY", default_value_t = 256)]
    hash_queue_capacity: usize,
    /// Session lifetime.
    #[arg(long, env = "REG_SESSION_TTL_SECONDS", default_value_t = 7200)]
    session_ttl_seconds: i64,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "REG_HTTP_WORKERS", default_value_t = 0)]
    http_workers: usize,
    /// Registration points per county in the demo province (on a fresh store).
    #[arg(long, env = "REG_DEMO_POINTS_PER_COUNTY", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..=99))]
    demo_points_per_county: u16,
    /// Serial numbers divided among each county's demo points (on a fresh store).
    #[arg(long, env = "REG_DEMO_SEQUENCES_PER_COUNTY", default_value_t = 3000,
          value_parser = clap::value_parser!(u16).range(1..=9999))]
    demo_sequences_per_county: u16,
    /// Demo operators' password (generated and printed when not given).
    #[arg(long, env = "REG_DEMO_PASSWORD")]
    demo_password: Option<String>,
    /// Run the demo province: seed its points and serial ranges, create the demo operator
    /// accounts, open every window on a fresh store. `false` for a real deployment: nothing
    /// is seeded, no demo account exists, and every window stays closed until the province
    /// sets it.
    #[arg(long, env = "REG_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    demo: bool,
}

/// The command line with the `--config` file's options put in front, so that flags given
/// on the command line (later, `args_override_self`) and `REG_` variables (skipped here)
/// win over the file.
fn arguments() -> anyhow::Result<Vec<OsString>> {
    let mut arguments: Vec<OsString> = std::env::args_os().collect();
    let mut path = std::env::var_os("REG_CONFIG").map(PathBuf::from);
    for (index, argument) in arguments.iter().enumerate() {
        let text = argument.to_string_lossy();
        if let Some(value) = text.strip_prefix("--config=") {
            path = Some(PathBuf::from(value));
        } else if text == "--config" {
            path = arguments.get(index + 1).map(PathBuf::from);
        }
    }
    let Some(path) = path else {
        return Ok(arguments);
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .with_context(|| format!("parsing the config file {}", path.display()))?;
    let command = Options::command();
    let mut from_file = Vec::new();
    for (key, value) in table {
        let flag = key.replace('_', "-");
        let argument = command
            .get_arguments()
            .find(|argument| argument.get_long() == Some(flag.as_str()) && flag != "config")
            .with_context(|| format!("{}: unknown option '{key}'", path.display()))?;
        if argument
            .get_env()
            .is_some_and(|env| std::env::var_os(env).is_some())
        {
            continue;
        }
        let value = match value {
            toml::Value::String(text) => text,
            toml::Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).unwrap_or(item.to_string()))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        from_file.push(OsString::from(format!("--{flag}={value}")));
    }
    arguments.splice(1..1, from_file);
    Ok(arguments)
}

fn scylla_config(options: &Options) -> anyhow::Result<ScyllaConfig> {
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
        eprintln!(
            "warning: --redirect-allow is not set: writes may be redirected to any URL \
             published in the Kafka group (set it to your gateways' URLs)"
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
    Ok(KafkaConfig {
        topic_prefix: options.kafka_topic_prefix.clone(),
        group_id: options.kafka_group_id.clone(),
        replication_factor: options.kafka_replication_factor,
        delivery_timeout_seconds: options.kafka_delivery_timeout_seconds,
        linger_milliseconds: options.kafka_linger_milliseconds,
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

fn open_embedded(path: &std::path::Path) -> anyhow::Result<Arc<EmbeddedStore>> {
    let (store, recovery) = EmbeddedStore::open(&EmbeddedConfig::new(path))
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
async fn open_backend(options: &Options, log_keys: &KeyRing) -> anyhow::Result<Backend> {
    let backend = match (options.log, options.store) {
        (LogKind::Embedded, StoreKind::Embedded) => {
            Backend::Embedded(open_embedded(&options.data_dir.join("registration.redb"))?)
        }
        (LogKind::Embedded, StoreKind::Scylla) => anyhow::bail!(
            "--store scylla needs --log kafka: the shared store is fed from the shared log by \
             every node, and an embedded log would tie it to one machine"
        ),
        // A different file from the embedded log's: this one is only a projection of Kafka.
        (LogKind::Kafka, StoreKind::Embedded) => {
            let projection = open_embedded(&options.data_dir.join("projection.redb"))?;
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

fn key(hex_text: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(hex_text).context("secrets must be hex")
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse_from(arguments()?);
    if let Some(Command::Migrate) = options.command {
        let config = scylla_config(&options)?;
        let statements = storage::scylla::migrate(&config)
            .await
            .context("applying the ScyllaDB schema")?;
        println!(
            "schema applied to keyspace {} ({statements} statements)",
            config.keyspace
        );
        return Ok(());
    }
    let prometheus = gateway::metrics::exporter()
        .context("configuring the metrics exporter")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    storage::metrics::register(options.log == LogKind::Kafka);
    let secrets_path = options
        .secrets_file
        .clone()
        .unwrap_or_else(|| options.data_dir.join("secrets.json"));
    let secrets = Secrets::load_or_create(&secrets_path)?;
    let keys = Keys::from_secrets(&secrets)?;
    let store = Arc::new(open_backend(&options, &keys.log_commits).await?);
    let hunan = Province::hunan();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = engine::time::Timestamp(i64::try_from(now_ms)?);
    let layout = gateway::demo::DemoLayout {
        points_per_county: options.demo_points_per_county,
        sequences_per_county: options.demo_sequences_per_county,
    };
    // Counties are the organisation partition's: only its owner may seed them.
    if options.demo && store.owner_epoch(Partition::Organisation).is_some() {
        let report = gateway::demo::seed(&*store, &hunan, layout, now).await?;
        println!(
            "demo province {}: {} cities, {} counties ({} seeded now), {} points per county",
            hunan.name,
            hunan.cities.len(),
            hunan.counties.len(),
            report.counties_created,
            layout.points_per_county
        );
    }
    let demo_password = match options.demo_password {
        Some(password) => password,
        None => {
            let mut bytes = [0u8; 6];
            getrandom::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no entropy"))?;
            format!("demo-{}", hex::encode(bytes))
        }
    };
    let accounts = if options.demo {
        let demo_hash = hash_now(&demo_password).context("hashing the demo password")?;
        Accounts::demo(&hunan, layout.points_per_county, &demo_hash)
    } else {
        Accounts::default()
    };
    let stored = match store.setting(gateway::routes::schedule::SETTING).await? {
        Some(bytes) => Some(
            serde_json::from_slice::<Schedule>(&bytes)
                .context("the stored schedule is malformed")?,
        ),
        None => None,
    };
    let schedule = gateway::demo::initial_schedule(stored, options.demo, now);
    let settings = SharedSettings::new(Settings {
        schedule,
        ..Settings::default()
    });
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2);
    let shard_config = ShardConfig {
        shard_count: options.shard_count,
        mailbox_capacity: options.shard_mailbox_capacity,
        cache_capacity_per_shard: options.cache_capacity_per_shard,
        arbiters: cores,
    };
    let registry =
        Registry::start(Arc::clone(&store), &hunan, settings.clone(), &shard_config).await?;
    // Admission settings as the province last set them; the defaults on a fresh store.
    let admission_config = match store.setting(gateway::routes::admission::SETTING).await? {
        Some(bytes) => serde_json::from_slice::<AdmissionConfig>(&bytes)
            .context("the stored admission settings are malformed")?,
        None => AdmissionConfig::default(),
    };
    let admission = Admission::new(hunan.clone(), admission_config, keys.tickets.clone())
        .context("the stored admission settings are invalid")?;
    let merchant_keys = HashMap::from([
        (Provider::WeChatPay, key(&secrets.wechat_pay)?),
        (Provider::Alipay, key(&secrets.alipay)?),
        (Provider::UnionPay, key(&secrets.unionpay)?),
    ]);
    let order_query = gateway::reconciliation::SignedHttpQuery::new(
        [
            (Provider::WeChatPay, options.wechat_pay_query_url.clone()),
            (Provider::Alipay, options.alipay_query_url.clone()),
            (Provider::UnionPay, options.unionpay_query_url.clone()),
        ]
        .into_iter()
        .filter_map(|(provider, url)| url.map(|url| (provider, url)))
        .collect(),
        merchant_keys.clone(),
        Duration::from_secs(options.provider_query_timeout_seconds),
    );
    let state = web::Data::new(AppState {
        registry,
        store,
        owners: dashmap::DashMap::new(),
        province: hunan,
        settings,
        settings_versions: Default::default(),
        sessions: Sessions::new(options.session_ttl_seconds, keys.sessions.clone()),
        accounts,
        hasher: Hasher::start(
            if options.hash_threads == 0 {
                cores
            } else {
                options.hash_threads
            },
            options.hash_queue_capacity,
        ),
        key_secret: KeySecret::new(keys.candidate_key_secret.clone()),
        merchant_keys,
        identity_key: key(&secrets.identity)?,
        verifications: gateway::verification::Verifications::new(keys.verifications.clone()),
        internal: gateway::node_auth::NodeAuth::new(keys.node_requests.clone()),
        order_query,
        export_key: keys.packages.clone(),
        packages: tokio::sync::Semaphore::new(gateway::routes::packages::CONCURRENT_PACKAGES),
        heavy: Default::default(),
        redirect_allow: options.redirect_allow.clone(),
        public_url: options
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", options.listen)),
        admission,
        demo: options.demo,
    });
    if options.demo {
        println!(
            "DEMO MODE (REG_DEMO=false for a real deployment): {} demo operator accounts, \
             password {demo_password}",
            state.accounts.len()
        );
        println!(
            "  province | city-4301 | county-430102 | point-430102-001 (and every other code)"
        );
    } else {
        println!("not a demo: no demo data or accounts; every window closed until set");
    }
    println!(
        "provider and identity callback keys: {}",
        secrets_path.display()
    );
    println!("listening on http://{}", options.listen);
    if options.reconcile_interval_seconds > 0 && state.order_query.is_configured() {
        // Every node runs it for the shards it owns; a failed pass is retried next time.
        let (state, interval, min_age) = (
            state.clone(),
            Duration::from_secs(options.reconcile_interval_seconds),
            i64::from(options.reconcile_min_order_age_seconds),
        );
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(interval).await;
                if let Err(error) =
                    gateway::reconciliation::reconcile(&state, &state.order_query, min_age).await
                {
                    eprintln!("reconciliation pass failed: {error}");
                }
            }
        });
    }
    // Settings changed on another node are put in force here too.
    gateway::live_settings::spawn(state.clone());
    {
        // Login buckets back at full quota are dropped every minute (bounded memory).
        let state = state.clone();
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(Duration::from_secs(60)).await;
                state.admission.prune(state.now());
            }
        });
    }
    let prometheus = web::Data::new(prometheus);
    let workers = if options.http_workers == 0 {
        cores
    } else {
        options.http_workers
    };
    let hsts_max_age_seconds = options.hsts_max_age_seconds;
    HttpServer::new(move || {
        // actix runs the last `wrap` first. A request passes, in order: security headers
        // (so every answer carries them, even one an inner layer makes up: a shed request, a
        // redirect, a failed audit) → metrics (every answer counted) → redirect (writes for
        // shards owned elsewhere leave before anything here is spent on them) → admission
        // (shed before anything is written) → audit (the intent, durable before the
        // handler runs, then the outcome) → the handler.
        App::new()
            .wrap(actix_web::middleware::from_fn(gateway::audit::record))
            .wrap(actix_web::middleware::from_fn(
                gateway::admission::gate::gate,
            ))
            .wrap(actix_web::middleware::from_fn(gateway::redirect::redirect))
            .wrap(actix_web::middleware::from_fn(gateway::metrics::record))
            .wrap(gateway::security_headers(hsts_max_age_seconds))
            .app_data(state.clone())
            .app_data(prometheus.clone())
            .configure(gateway::configure)
    })
    .workers(workers)
    .bind(&options.listen)
    .with_context(|| format!("binding {}", options.listen))?
    .run()
    .await?;
    Ok(())
}
