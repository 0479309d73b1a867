//! `registration`: the main job. Opens (or creates) the embedded store under the data
//! directory, recovers it, seeds the demo province, starts the actors and serves the JSON
//! API. Every option is a flag or a `REG_`-prefixed environment variable.

use actix_web::{App, HttpServer, web};
use actors::{Registry, Settings, ShardConfig, SharedSettings};
use anyhow::Context as _;
use clap::Parser;
use engine::candidate::Provider;
use engine::key::KeySecret;
use engine::org::Province;
use engine::schedule::{Schedule, Window, WindowKind};
use gateway::accounts::Accounts;
use gateway::admission::Admission;
use gateway::admission::config::AdmissionConfig;
use gateway::hashing::{Hasher, hash_now};
use gateway::secrets::Secrets;
use gateway::sessions::Sessions;
use gateway::state::AppState;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use storage::{EmbeddedConfig, EmbeddedStore, StateStore};

/// Provincial exam registration engine.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Options {
    /// Address to serve the API on.
    #[arg(long, env = "REG_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where the embedded store and the generated secrets live.
    #[arg(long, env = "REG_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
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
}

fn key(hex_text: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(hex_text).context("secrets must be hex")
}

/// The demo cycle: every window open from yesterday for 30 days, so a newcomer can walk the
/// whole flow today, until the province sets its windows through `/v1/schedule`.
fn demo_schedule(now: engine::time::Timestamp) -> Schedule {
    let mut schedule = Schedule::default();
    for kind in WindowKind::ALL {
        schedule.set(
            kind,
            Window::new(now.plus_seconds(-86_400), now.plus_seconds(30 * 86_400)),
        );
    }
    schedule
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;
    let path = options.data_dir.join("registration.redb");
    let (store, recovery) = EmbeddedStore::open(&EmbeddedConfig::new(&path))
        .with_context(|| format!("opening the store at {}", path.display()))?;
    let store = Arc::new(store);
    println!(
        "store {}: recovered {} log records in {} partitions, {} candidates",
        path.display(),
        recovery.log_records,
        recovery.partitions,
        recovery.candidates
    );
    let secrets_path = options.data_dir.join("secrets.json");
    let secrets = Secrets::load_or_create(&secrets_path)?;
    let hunan = Province::hunan();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = engine::time::Timestamp(i64::try_from(now_ms)?);
    let layout = gateway::demo::DemoLayout {
        points_per_county: options.demo_points_per_county,
        sequences_per_county: options.demo_sequences_per_county,
    };
    let report = gateway::demo::seed(&store, &hunan, layout, now).await?;
    println!(
        "demo province {}: {} cities, {} counties ({} seeded now), {} points per county",
        hunan.name,
        hunan.cities.len(),
        hunan.counties.len(),
        report.counties_created,
        layout.points_per_county
    );
    let demo_password = match options.demo_password {
        Some(password) => password,
        None => {
            let mut bytes = [0u8; 6];
            getrandom::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no entropy"))?;
            format!("demo-{}", hex::encode(bytes))
        }
    };
    let demo_hash = hash_now(&demo_password).context("hashing the demo password")?;
    let accounts = Accounts::demo(&hunan, layout.points_per_county, &demo_hash);
    // The windows as the province last set them; on a fresh store, the demo cycle.
    let schedule = match store.setting(gateway::routes::schedule::SETTING).await? {
        Some(bytes) => serde_json::from_slice::<Schedule>(&bytes)
            .context("the stored schedule is malformed")?,
        None => demo_schedule(now),
    };
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
    let candidate_key_secret = key(&secrets.candidate_key_secret)?;
    let ticket_key = {
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&candidate_key_secret)
            .context("HMAC key")?;
        mac.update(b"waiting-room tickets");
        mac.finalize().into_bytes().to_vec()
    };
    let admission = Admission::new(hunan.clone(), admission_config, ticket_key)
        .context("the stored admission settings are invalid")?;
    let merchant_keys = HashMap::from([
        (Provider::WeChatPay, key(&secrets.wechat_pay)?),
        (Provider::Alipay, key(&secrets.alipay)?),
        (Provider::UnionPay, key(&secrets.unionpay)?),
    ]);
    let state = web::Data::new(AppState {
        registry,
        store,
        province: hunan,
        settings,
        sessions: Sessions::new(options.session_ttl_seconds),
        accounts,
        hasher: Hasher::start(
            if options.hash_threads == 0 {
                cores
            } else {
                options.hash_threads
            },
            options.hash_queue_capacity,
        ),
        key_secret: KeySecret::new(candidate_key_secret),
        merchant_keys,
        identity_key: key(&secrets.identity)?,
        admission,
    });
    println!(
        "operators: {} accounts, password {demo_password}",
        state.accounts.len()
    );
    println!("  province | city-4301 | county-430102 | point-430102-001 (and every other code)");
    println!(
        "provider and identity callback keys: {}",
        secrets_path.display()
    );
    println!("listening on http://{}", options.listen);
    let prometheus = web::Data::new(prometheus);
    let workers = if options.http_workers == 0 {
        cores
    } else {
        options.http_workers
    };
    HttpServer::new(move || {
        App::new()
            // Outermost first: metrics see the audited response, audit sees the handler's.
            .wrap(actix_web::middleware::from_fn(
                gateway::admission::gate::gate,
            ))
            .wrap(actix_web::middleware::from_fn(gateway::audit::record))
            .wrap(actix_web::middleware::from_fn(gateway::metrics::record))
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
