//! The command line: every option a flag, a `REG_`-prefixed environment variable, or a key
//! of the `--config` TOML file, in that order of precedence (units in the names).

use anyhow::Context as _;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// Where writes become durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogKind {
    /// This machine's redb file (group commit, fsync).
    Embedded,
    /// Kafka (`acks=all`), shards owned through the consumer group.
    Kafka,
}

/// Where the queryable state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// This machine's redb file.
    Embedded,
    /// ScyllaDB, shared by every node.
    Scylla,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (for collectors).
    Json,
    /// Plain text (for a terminal).
    Text,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the ScyllaDB schema (storage/schema/scylla.cql) to --scylla-nodes and exit.
    Migrate,
}

/// Provincial exam registration engine.
#[derive(Debug, Parser)]
#[command(version, about, args_override_self = true)]
pub struct Options {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A TOML file of options: keys are the long flags with `_` for `-` (`log = "kafka"`,
    /// `kafka_brokers = "k1:9092"`). Flags and `REG_` variables override it.
    #[arg(long, env = "REG_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where writes become durable: `embedded` (the default, no services) or `kafka`.
    #[arg(long, env = "REG_LOG", value_enum, default_value = "embedded")]
    pub log: LogKind,
    /// Where state is stored and read: `embedded` (the default) or `scylla` (needs
    /// `--log kafka`).
    #[arg(long, env = "REG_STORE", value_enum, default_value = "embedded")]
    pub store: StoreKind,
    /// Kafka bootstrap servers (`host:port,...`), for `--log kafka`.
    #[arg(long, env = "REG_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Kafka topic names start with this.
    #[arg(long, env = "REG_KAFKA_TOPIC_PREFIX", default_value = "registration")]
    pub kafka_topic_prefix: String,
    /// The consumer group whose assignment decides which node owns which shard.
    #[arg(
        long,
        env = "REG_KAFKA_GROUP_ID",
        default_value = "registration-gateways"
    )]
    pub kafka_group_id: String,
    /// Replication factor when this node creates the topics.
    #[arg(long, env = "REG_KAFKA_REPLICATION_FACTOR", default_value_t = 3)]
    pub kafka_replication_factor: i32,
    /// How long the producer retries one write before its request fails.
    #[arg(long, env = "REG_KAFKA_DELIVERY_TIMEOUT_SECONDS", default_value_t = 30)]
    pub kafka_delivery_timeout_seconds: u64,
    /// How long the producer waits to fill a batch (group commit on Kafka).
    #[arg(long, env = "REG_KAFKA_LINGER_MILLISECONDS", default_value_t = 2)]
    pub kafka_linger_milliseconds: u64,
    /// How long the follower's fetch may wait at the broker for new records (Kafka answers
    /// as soon as one arrives; a broker that waits the whole time, like tansu, wants 1).
    #[arg(long, env = "REG_KAFKA_FETCH_WAIT_MILLISECONDS", default_value_t = 10)]
    pub kafka_fetch_wait_milliseconds: u64,
    /// How long an acknowledged write waits to be applied to this node's store.
    #[arg(long, env = "REG_KAFKA_APPLY_TIMEOUT_SECONDS", default_value_t = 30)]
    pub kafka_apply_timeout_seconds: u64,
    /// How soon a silent node's shards move to others.
    #[arg(long, env = "REG_KAFKA_SESSION_TIMEOUT_SECONDS", default_value_t = 10)]
    pub kafka_session_timeout_seconds: u64,
    /// TLS to the brokers (a real deployment: always).
    #[arg(long, env = "REG_KAFKA_TLS", default_value_t = false, action = clap::ArgAction::Set)]
    pub kafka_tls: bool,
    /// CA certificate (PEM) of the brokers' certificates (default: the system's CAs).
    #[arg(long, env = "REG_KAFKA_CA_FILE")]
    pub kafka_ca_file: Option<PathBuf>,
    /// SCRAM-SHA-512 user of the gateways (with REG_KAFKA_PASSWORD; needs TLS).
    #[arg(long, env = "REG_KAFKA_USERNAME")]
    pub kafka_username: Option<String>,
    /// Its password: from the environment (a Kubernetes secret), never a flag in `ps`.
    #[arg(skip = std::env::var("REG_KAFKA_PASSWORD").ok())]
    pub kafka_password: Option<String>,
    /// This node's URL as other nodes should redirect writes to it (default: http://LISTEN).
    #[arg(long, env = "REG_ADVERTISED_URL")]
    pub advertised_url: Option<String>,
    /// This node's admin listener as other nodes reach it, for node-to-node requests
    /// (default: http://ADMIN_LISTEN, which on loopback no other node can reach).
    #[arg(long, env = "REG_ADVERTISED_ADMIN_URL")]
    pub advertised_admin_url: Option<String>,
    /// URL prefixes an owner's advertised URL must start with before writes (and their
    /// bearer tokens) are redirected to it or serials requested from it, comma-separated
    /// (e.g. `http://gateway-1:8080,http://gateway-2:8080`). Empty: any URL (a warning at
    /// start in Kafka mode).
    #[arg(long, env = "REG_REDIRECT_ALLOW", value_delimiter = ',')]
    pub redirect_allow: Vec<String>,
    /// `Strict-Transport-Security` max-age on every answer, in seconds, for a deployment
    /// whose load balancer terminates TLS (HTTPS only); 0 sends none.
    #[arg(long, env = "REG_HSTS_MAX_AGE_SECONDS", default_value_t = 0)]
    pub hsts_max_age_seconds: u64,
    /// ScyllaDB contact points (`host:port,...`), for `--store scylla` and `migrate`.
    #[arg(long, env = "REG_SCYLLA_NODES", value_delimiter = ',')]
    pub scylla_nodes: Vec<String>,
    /// The ScyllaDB keyspace.
    #[arg(long, env = "REG_SCYLLA_KEYSPACE", default_value = "registration")]
    pub scylla_keyspace: String,
    /// Replication factor when `migrate` creates the keyspace.
    #[arg(long, env = "REG_SCYLLA_REPLICATION_FACTOR", default_value_t = 3)]
    pub scylla_replication_factor: u32,
    /// Per-request ScyllaDB timeout.
    #[arg(long, env = "REG_SCYLLA_REQUEST_TIMEOUT_SECONDS", default_value_t = 5)]
    pub scylla_request_timeout_seconds: u64,
    /// CA certificate (PEM) of the ScyllaDB nodes: TLS to them when set.
    #[arg(long, env = "REG_SCYLLA_CA_FILE")]
    pub scylla_ca_file: Option<PathBuf>,
    /// ScyllaDB user (PasswordAuthenticator; with REG_SCYLLA_PASSWORD).
    #[arg(long, env = "REG_SCYLLA_USERNAME")]
    pub scylla_username: Option<String>,
    /// Its password: from the environment only.
    #[arg(skip = std::env::var("REG_SCYLLA_PASSWORD").ok())]
    pub scylla_password: Option<String>,
    /// Address to serve the API on.
    #[arg(long, env = "REG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Where `/metrics` is served (never on the public listener): loopback by default; a
    /// deployment opens it to its Prometheus only (deploy/ network policies).
    #[arg(long, env = "REG_ADMIN_LISTEN", default_value = "127.0.0.1:9090")]
    pub admin_listen: String,
    /// The load balancers in front (addresses or CIDR prefixes, comma-separated): only from
    /// them is `X-Forwarded-For` believed (per-address login limits, the audit trail).
    #[arg(long, env = "REG_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Where the embedded store and the generated secrets live.
    #[arg(long, env = "REG_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The deployment's keys (generated on first start). Every node of a scale-out
    /// deployment must use the same file (default: DATA_DIR/secrets.json).
    #[arg(long, env = "REG_SECRETS_FILE")]
    pub secrets_file: Option<PathBuf>,
    /// Where candidates reach the service, printed on login cards (default: http://LISTEN).
    #[arg(long, env = "REG_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The payment providers this province takes: merchant accounts, key and certificate
    /// files (`gateway/src/providers/config.rs` documents the format). Without it the demo
    /// pays in the sandbox and a real deployment takes no payment.
    #[arg(long, env = "REG_PAYMENTS_FILE")]
    pub payments_file: Option<PathBuf>,
    /// How long one call to a payment provider (create, query) may take.
    #[arg(long, env = "REG_PROVIDER_TIMEOUT_SECONDS", default_value_t = 5)]
    pub provider_timeout_seconds: u64,
    /// Run a reconciliation pass this often (0: only when the province asks).
    #[arg(long, env = "REG_RECONCILE_INTERVAL_SECONDS", default_value_t = 0)]
    pub reconcile_interval_seconds: u64,
    /// Orders younger than this are left to their notifications by periodic passes.
    #[arg(
        long,
        env = "REG_RECONCILE_MIN_ORDER_AGE_SECONDS",
        default_value_t = 300
    )]
    pub reconcile_min_order_age_seconds: u32,
    /// Candidate shards (fixed for the life of a database).
    #[arg(long, env = "REG_SHARD_COUNT", default_value_t = 16)]
    pub shard_count: u32,
    /// Requests that may wait for one shard before it reports overload.
    #[arg(long, env = "REG_SHARD_MAILBOX_CAPACITY", default_value_t = 1024)]
    pub shard_mailbox_capacity: usize,
    /// Clean candidate records cached per shard.
    #[arg(long, env = "REG_CACHE_CAPACITY_PER_SHARD", default_value_t = 8192)]
    pub cache_capacity_per_shard: usize,
    /// The embedded store's page cache (redb), MiB: with the shards' caches, what bounds
    /// the server's memory however many candidates the store holds.
    #[arg(long, env = "REG_STORE_CACHE_MEBIBYTES", default_value_t = 1024)]
    pub store_cache_mebibytes: usize,
    /// Password-hashing threads (0: one per core).
    #[arg(long, env = "REG_HASH_THREADS", default_value_t = 0)]
    pub hash_threads: usize,
    /// Password checks that may queue before logins get 503.
    #[arg(long, env = "REG_HASH_QUEUE_CAPACITY", default_value_t = 256)]
    pub hash_queue_capacity: usize,
    /// Session lifetime.
    #[arg(long, env = "REG_SESSION_TTL_SECONDS", default_value_t = 7200)]
    pub session_ttl_seconds: i64,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "REG_HTTP_WORKERS", default_value_t = 0)]
    pub http_workers: usize,
    /// The province's GB/T 2260 division list (`deploy/provinces/430000-hunan.txt` is the
    /// form); Hunan, built in, when not given.
    #[arg(long, env = "REG_PROVINCE_FILE")]
    pub province_file: Option<std::path::PathBuf>,
    /// Registration points per county in the demo province (on a fresh store).
    #[arg(long, env = "REG_DEMO_POINTS_PER_COUNTY", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..=99))]
    pub demo_points_per_county: u16,
    /// Serial numbers divided among each county's demo points (on a fresh store).
    #[arg(long, env = "REG_DEMO_SEQUENCES_PER_COUNTY", default_value_t = 3000,
          value_parser = clap::value_parser!(u16).range(1..=9999))]
    pub demo_sequences_per_county: u16,
    /// Demo operators' password (generated and printed when not given).
    #[arg(long, env = "REG_DEMO_PASSWORD")]
    pub demo_password: Option<String>,
    /// Run the demo province: seed its points and serial ranges, create the demo operator
    /// accounts, open every window on a fresh store. `false` for a real deployment: nothing
    /// is seeded, no demo account exists, and every window stays closed until the province
    /// sets it.
    #[arg(long, env = "REG_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,
    /// In the demo, capture the demo's own candidate at 430102-001 on start (printed, and
    /// shown on the portal's login page), so that a newcomer can register at once.
    #[arg(long, env = "REG_DEMO_CANDIDATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_candidate: bool,
    /// Log line format on stderr.
    #[arg(long, env = "REG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
    /// Least severe level logged (`error`, `warn`, `info`, `debug`, `trace`).
    #[arg(long, env = "REG_LOG_LEVEL", default_value_t = tracing::Level::INFO)]
    pub log_level: tracing::Level,
}

/// The command line with the `--config` file's options put in front, so that flags given
/// on the command line (later, `args_override_self`) and `REG_` variables (skipped here)
/// win over the file.
pub fn arguments() -> anyhow::Result<Vec<OsString>> {
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
