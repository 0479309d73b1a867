//! `registration`: the main job — the composition root. Reads the options (`options`),
//! loads the deployment's keys, opens the backend (`backend`: by default the embedded store
//! under the data directory; `--log kafka`, `--store scylla` for scale-out), seeds what a
//! fresh store starts with (`seeding`), starts the actors, builds the application state and
//! serves the JSON API (`server`). `registration migrate` applies the ScyllaDB schema.

mod backend;
mod logging;
mod options;
mod seeding;
mod server;

use actix_web::web;
use actors::{Registry, ShardConfig};
use anyhow::Context as _;
use backend::{open_backend, scylla_config};
use clap::Parser;
use engine::key::KeySecret;
use engine::org::Province;
use gateway::admission::Admission;
use gateway::hashing::Hasher;
use gateway::providers::Providers;
use gateway::secrets::{Keys, Secrets};
use gateway::sessions::Sessions;
use gateway::state::AppState;
use options::{Command, LogKind, Options, arguments};
use std::sync::Arc;
use std::time::Duration;

/// mimalloc rather than glibc's malloc: in the payment storm glibc's allocator (malloc, free,
/// consolidation under many threads) took 18 % of the server's CPU (`perf`, BENCHMARKS.md,
/// session 11).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse_from(arguments()?);
    logging::init(&options);
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
    let province = match &options.province_file {
        Some(path) => Province::from_gbt2260(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading the province file {}", path.display()))?,
        )?,
        None => Province::hunan(),
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = engine::time::Timestamp(i64::try_from(now_ms)?);
    let seeded = seeding::province(&options, &store, &province, now).await?;
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2);
    let shard_config = ShardConfig {
        shard_count: options.shard_count,
        mailbox_capacity: options.shard_mailbox_capacity,
        cache_capacity_per_shard: options.cache_capacity_per_shard,
        arbiters: cores,
    };
    let registry = Registry::start(
        Arc::clone(&store),
        &province,
        seeded.settings.clone(),
        &shard_config,
    )
    .await?;
    let admission = Admission::new(province.clone(), seeded.admission, keys.tickets.clone())
        .context("the stored admission settings are invalid")?;
    let public_url = options
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", options.listen));
    let providers = payment_providers(&options, &public_url)?;
    let per_core = |configured: usize| if configured == 0 { cores } else { configured };
    let state = web::Data::new(AppState {
        registry,
        store,
        owners: dashmap::DashMap::new(),
        province,
        settings: seeded.settings,
        settings_versions: Default::default(),
        sessions: Sessions::new(options.session_ttl_seconds, keys.sessions.clone()),
        accounts: seeded.accounts,
        organisation_changes: Default::default(),
        hasher: Hasher::start(per_core(options.hash_threads), options.hash_queue_capacity),
        key_secret: KeySecret::new(keys.candidate_key_secret.clone()),
        providers,
        identity_key: Keys::notification_key("identity", &secrets.identity)?,
        verifications: gateway::verification::Verifications::new(keys.verifications.clone()),
        internal: gateway::node_auth::NodeAuth::new(keys.node_requests.clone()),
        export_key: keys.packages.clone(),
        packages: tokio::sync::Semaphore::new(gateway::routes::packages::CONCURRENT_PACKAGES),
        heavy: Default::default(),
        redirect_allow: options.redirect_allow.clone(),
        public_url,
        admission,
        demo: options.demo,
        demo_candidate: Default::default(),
        tls_at_balancer: options.hsts_max_age_seconds > 0,
        trusted_proxies: gateway::client::TrustedProxies::parse(&options.trusted_proxies)
            .map_err(|error| anyhow::anyhow!("REG_TRUSTED_PROXIES: {error}"))?,
        inbox_unseen: Default::default(),
    });
    match &seeded.demo_password {
        Some(password) => {
            println!(
                "DEMO MODE (REG_DEMO=false for a real deployment): {} demo operator accounts, \
                 password {password}",
                state.accounts.len()
            );
            println!(
                "  province | city-4301 | county-430102 | point-430102-001 (and every other code)"
            );
        }
        None => println!(
            "not a demo: no demo data; {} operator accounts; every window closed until set",
            state.accounts.len()
        ),
    }
    demo_candidate(&options, &state).await;
    if options.demo
        && let Err(error) = async {
            gateway::app::adult::points::seed_demo(&state).await?;
            gateway::app::adult::exam::seed_demo(&state).await
        }
        .await
    {
        println!(
            "adult-exam confirmation points and exam sites not seeded: {}",
            gateway::error::ApiError::from(error).message
        );
    }
    if let Some(token) = &seeded.setup_token {
        // Shown once, here only: its digest is all the store keeps. Each start before
        // set-up makes a new one.
        println!(
            "SETUP: no operator account exists yet. Create the province administrator with\n  \
             POST /v1/setup {{\"setup_token\": \"{token}\", \"username\": …, \"password\": …}}"
        );
    }
    match state.providers.sandbox() {
        Some(_) => println!(
            "payments: SANDBOX (沙箱) for {} — no money moves; pay an order with POST /v1/sandbox/orders/{{order_id}}/pay",
            state.providers.configured().join(", ")
        ),
        None if state.providers.configured().is_empty() => {
            println!("payments: none configured (REG_PAYMENTS_FILE): fee orders are refused")
        }
        None => println!("payments: {}", state.providers.configured().join(", ")),
    }
    println!("identity callback key: {}", secrets_path.display());
    println!(
        "listening on http://{} (metrics on http://{}/metrics)",
        options.listen, options.admin_listen
    );
    tracing::info!(
        listen = %options.listen,
        backend = state.store.describe(),
        demo = options.demo,
        shards = options.shard_count,
        "serving"
    );
    server::spawn_background(&options, &state);
    server::serve(&options, state, prometheus, per_core(options.http_workers)).await
}

/// In the demo, captures the demo's own candidate (idempotent) and says how to log in as
/// them; a failure (a node that owns no shard yet) is said and does not stop the start.
async fn demo_candidate(options: &Options, state: &AppState) {
    if !options.demo || !options.demo_candidate {
        return;
    }
    let candidate = gateway::demo::DemoCandidate::new();
    match candidate.capture(state).await {
        Ok(()) => {
            println!(
                "demo candidate (portal first login at /): ID number {}, name {}, valid until 长期",
                candidate.id_number, candidate.name
            );
            let _ = state.demo_candidate.set(candidate);
        }
        Err(error) => println!(
            "demo candidate not captured: {}",
            gateway::error::ApiError::from(error).message
        ),
    }
}

/// The payment providers: the deployment's payments file; else, in the demo, the sandbox;
/// else none (fee orders are refused until a payments file is given).
fn payment_providers(options: &Options, public_url: &str) -> anyhow::Result<Providers> {
    let http =
        gateway::providers::HttpClient::new(Duration::from_secs(options.provider_timeout_seconds));
    Ok(match &options.payments_file {
        Some(path) => Providers::new(
            gateway::providers::config::load(path, public_url, http)?,
            None,
        ),
        None if options.demo => {
            let (gateways, sandbox) = gateway::providers::config::sandbox(public_url);
            Providers::new(gateways, Some(sandbox))
        }
        None => Providers::default(),
    })
}
