//! `loadtest`: `run` replays a registration day against the gateway (started here, or at
//! `--target`), `ceiling` measures or serves the bare actix-web handler, `population` walks
//! the generator to show its mix and that its memory does not grow with the population.

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use loadtest::arrival::{ArrivalProfile, Arrivals};
use loadtest::client::Http;
use loadtest::drive::{Pacing, Schedule, dispatch};
use loadtest::journey::{CallbackKeys, Driver, JourneyKind};
use loadtest::population::{Population, PopulationConfig};
use loadtest::report::{Ceiling, Hashing, Report, Resources};
use loadtest::stats::Recorder;
use loadtest::{ceiling, monitor, setup, storm, verify};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Replays peak registration days against the registration gateway.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay a stretch of registration day against the gateway and report it.
    Run(Box<RunArgs>),
    /// Measure the bare actix-web handler with the same generator (or serve it for wrk).
    Ceiling(CeilingArgs),
    /// Walk the population generator: mix, time and memory.
    Population(PopulationArgs),
}

#[derive(Debug, Args)]
struct PopulationFlags {
    /// Candidates in the province (13350000: the national figure).
    #[arg(long, default_value_t = 700_000)]
    candidates: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Registration points per county (the server is seeded with this many when spawned).
    #[arg(long, default_value_t = 10)]
    points_per_county: u16,
    /// 对口 candidates, percent.
    #[arg(long, default_value_t = 25)]
    vocational_percent: u8,
    /// Art/PE candidates, percent.
    #[arg(long, default_value_t = 15)]
    art_pe_percent: u8,
    /// Bonus/special-plan declarations, percent.
    #[arg(long, default_value_t = 10)]
    bonus_percent: u8,
    /// Special cases (typed-in ID), percent.
    #[arg(long, default_value_t = 2)]
    special_percent: u8,
}

impl PopulationFlags {
    fn config(&self) -> PopulationConfig {
        PopulationConfig {
            candidates: self.candidates,
            seed: self.seed,
            points_per_county: self.points_per_county,
            vocational_percent: self.vocational_percent,
            art_pe_percent: self.art_pe_percent,
            bonus_percent: self.bonus_percent,
            special_percent: self.special_percent,
        }
    }
}

#[derive(Debug, Args)]
struct LoadFlags {
    /// Which steps each journey takes.
    #[arg(long, value_enum, default_value_t = JourneyKind::Full)]
    journey: JourneyKind,
    /// Minutes after the opening (day 1, 08:00) where the replay starts.
    #[arg(long, default_value_t = 0.0)]
    from_minutes: f64,
    /// Minutes of the day to replay (60: the peak hour).
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Share of the population arriving in the first two hours, percent.
    #[arg(long, default_value_t = 30.0)]
    surge_percent: f64,
    /// Days in the registration window.
    #[arg(long, default_value_t = 5)]
    window_days: u32,
    /// Time compression: 60 replays one minute of the day per second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Start journeys at this flat rate instead of the day's profile (think times still
    /// compressed by --speed).
    #[arg(long)]
    journeys_per_second: Option<f64>,
    /// Saturate instead: keep --in-flight journeys going with no think time for this many
    /// seconds (a throughput probe; latency then is not open-loop).
    #[arg(long)]
    saturate_seconds: Option<u64>,
    /// Journeys in flight when saturating.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Stop after this many journeys.
    #[arg(long)]
    max_journeys: Option<u64>,
    /// HTTP connections at most.
    #[arg(long, default_value_t = 256)]
    connections: usize,
    /// Give up on a request after this long.
    #[arg(long, default_value_t = 30)]
    request_timeout_seconds: u64,
    /// After the last journey starts, wait this long for the stragglers.
    #[arg(long, default_value_t = 120)]
    drain_seconds: u64,
}

impl LoadFlags {
    fn pacing(&self) -> Pacing {
        match (self.saturate_seconds, self.journeys_per_second) {
            (Some(seconds), _) => Pacing::Saturate {
                in_flight: self.in_flight,
                seconds,
            },
            (None, Some(rate)) => Pacing::Flat {
                journeys_per_second: rate,
                speed: self.speed,
            },
            (None, None) => Pacing::Replay { speed: self.speed },
        }
    }

    fn speed(&self) -> f64 {
        match self.pacing() {
            Pacing::Saturate { .. } => f64::INFINITY,
            _ => self.speed,
        }
    }

    fn arrivals(&self, candidates: u64) -> Arrivals {
        let profile = ArrivalProfile::registration_window(self.surge_percent, self.window_days);
        Arrivals::between(
            profile,
            candidates,
            self.from_minutes * 60.0,
            (self.from_minutes + self.minutes) * 60.0,
        )
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    /// A running gateway (`http://host:port`); give --server-data-dir (for the callback
    /// keys) and --operator-password. Without it, the loadtest starts one (see --spawn).
    #[arg(long)]
    target: Option<String>,
    /// The `registration` binary to start (default: next to this one).
    #[arg(long)]
    spawn: Option<PathBuf>,
    /// The server's data directory (a fresh one under --out when the loadtest starts it).
    #[arg(long)]
    server_data_dir: Option<PathBuf>,
    /// The server's process id, for CPU and memory (known when the loadtest starts it).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The demo operators' password.
    #[arg(long, env = "REG_DEMO_PASSWORD")]
    operator_password: Option<String>,
    /// Extra environment for a started server, `NAME=VALUE` (repeatable).
    #[arg(long = "server-env")]
    server_env: Vec<String>,
    /// Measure the bare handler's ceiling for this many seconds first (0: skip).
    #[arg(long, default_value_t = 0)]
    ceiling_seconds: u64,
    /// Raise the callback rate limit for the run (payment storms); unchanged if absent.
    #[arg(long)]
    callback_rate: Option<u32>,
    /// Leave the admission settings exactly as they are (the per-address login limit then
    /// applies to the whole simulated province, which shares one address).
    #[arg(long)]
    keep_admission: bool,
    /// Skip the verification pass.
    #[arg(long)]
    no_verify: bool,
    /// kill -9 the started server this many times during the run, restarting it on the
    /// same data directory each time (a soak: the verification pass then checks that
    /// nothing acknowledged was lost or applied twice).
    #[arg(long, default_value_t = 0)]
    kills: u32,
    /// The seed of the kills' moments (the same seed, the same moments).
    #[arg(long, default_value_t = 1)]
    kill_seed: u64,
    /// Mean seconds from a restart to the next kill.
    #[arg(long, default_value_t = 5.0)]
    kill_interval_seconds: f64,
    /// Exit non-zero unless every request succeeded or was shed and verification passed.
    #[arg(long)]
    require_clean: bool,
    /// Where the reports go.
    #[arg(long, default_value = "loadtest-report")]
    out: PathBuf,
    #[command(flatten)]
    population: PopulationFlags,
    #[command(flatten)]
    load: LoadFlags,
}

#[derive(Debug, Args)]
struct CeilingArgs {
    /// Serve the bare handler on this address until killed (for wrk), instead of measuring.
    #[arg(long)]
    serve: Option<String>,
    /// How long to saturate it.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Actix workers (0: one per core, as the gateway).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    #[command(flatten)]
    population: PopulationFlags,
    #[command(flatten)]
    load: LoadFlags,
}

#[derive(Debug, Args)]
struct PopulationArgs {
    /// Walk only the first this many candidates (default: all).
    #[arg(long)]
    sample: Option<u64>,
    #[command(flatten)]
    population: PopulationFlags,
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()
        .context("starting the runtime")?;
    match cli.command {
        Command::Run(args) => runtime.block_on(run(*args)),
        Command::Ceiling(args) => {
            let workers = if args.workers == 0 {
                cores()
            } else {
                args.workers
            };
            if let Some(listen) = &args.serve {
                let bare = ceiling::start(listen, workers).context("starting the bare server")?;
                println!("bare handler on {} ({workers} workers)", bare.base);
                bare.serve_forever();
                return Ok(());
            }
            let population =
                Population::new(&engine::org::Province::hunan(), args.population.config())?;
            let measured = runtime.block_on(measure_ceiling(
                &population,
                &args.load,
                workers,
                args.seconds,
            ))?;
            println!(
                "ceiling: {:.0} req/s ({:.0} without hashing requests) over {:.1} s, bare actix-web handler, {workers} workers, {} journeys in flight",
                measured.requests_per_second,
                measured.without_hashing_per_second,
                measured.seconds,
                args.load.in_flight
            );
            Ok(())
        }
        Command::Population(args) => walk_population(&args),
    }
}

fn walk_population(args: &PopulationArgs) -> anyhow::Result<()> {
    let population = Population::new(&engine::org::Province::hunan(), args.population.config())?;
    let count = args
        .sample
        .unwrap_or(population.len())
        .min(population.len());
    let before = monitor::rss_kib(std::process::id()).unwrap_or(0);
    let started = Instant::now();
    let (mut vocational, mut art_pe, mut special, mut bonus, mut copies) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut rss_max = before;
    for index in 0..count {
        let candidate = population.candidate(index);
        vocational += u64::from(candidate.vocational);
        art_pe += u64::from(candidate.art_pe_categories > 0);
        special += u64::from(candidate.special.is_some());
        bonus += u64::from(candidate.bonus);
        copies += u64::from(candidate.notification_copies);
        if index % 1_000_000 == 0 {
            rss_max = rss_max.max(monitor::rss_kib(std::process::id()).unwrap_or(0));
        }
    }
    let after = monitor::rss_kib(std::process::id()).unwrap_or(0);
    let percent = |n: u64| n as f64 * 100.0 / count.max(1) as f64;
    println!(
        "{count} of {} candidates generated in {:.1} s: vocational {:.1}%, art/PE {:.1}%, bonus {:.1}%, special {:.1}%, {:.2} notification copies each",
        population.len(),
        started.elapsed().as_secs_f64(),
        percent(vocational),
        percent(art_pe),
        percent(bonus),
        percent(special),
        copies as f64 / count.max(1) as f64
    );
    println!("generator RSS: {before} KiB before, {rss_max} KiB peak, {after} KiB after");
    Ok(())
}

/// Points the journeys of `arrivals` will use (walks at most 300,000 candidates; stops once
/// every point is seen).
fn points_used(
    population: &Population,
    arrivals: &Arrivals,
    journeys: u64,
    kind: JourneyKind,
) -> BTreeSet<String> {
    let all = engine::org::Province::hunan().counties.len()
        * usize::from(population.config().points_per_county);
    let mut points = BTreeSet::new();
    for index in (arrivals.first..arrivals.end).take(journeys.min(300_000) as usize) {
        let candidate = population.candidate(index);
        let point = if kind == JourneyKind::Adult {
            loadtest::journey::adult_point(&candidate)
        } else {
            candidate.point
        };
        points.insert(point.to_string());
        if points.len() == all {
            break;
        }
    }
    points
}

fn max_journeys(load: &LoadFlags) -> u64 {
    load.max_journeys.unwrap_or(u64::MAX)
}

async fn measure_ceiling(
    population: &Population,
    load: &LoadFlags,
    workers: usize,
    seconds: u64,
) -> anyhow::Result<Ceiling> {
    let bare = ceiling::start("127.0.0.1:0", workers).context("starting the bare server")?;
    let arrivals = load.arrivals(population.len());
    let operators: HashMap<String, String> =
        points_used(population, &arrivals, u64::MAX, load.journey)
            .into_iter()
            .map(|point| (point, "bare".to_owned()))
            .collect();
    let recorder = Arc::new(Recorder::new());
    let http = Http::new(
        &bare.base,
        load.connections,
        Duration::from_secs(load.request_timeout_seconds),
        Arc::clone(&recorder),
    );
    let keys = CallbackKeys {
        identity: Vec::new(),
    };
    let driver = Arc::new(Driver::new(
        http,
        keys,
        operators,
        f64::INFINITY,
        true,
        load.journey,
        "ceiling".into(),
    ));
    let schedule = Schedule {
        arrivals,
        offset_seconds: load.from_minutes * 60.0,
        pacing: Pacing::Saturate {
            in_flight: load.in_flight,
            seconds,
        },
        max_journeys: u64::MAX,
        drain: Duration::from_secs(load.drain_seconds),
    };
    let dispatched = dispatch(driver, population, &schedule, "ceiling").await;
    let summary = recorder.summary(dispatched.wall_seconds);
    drop(bare);
    Ok(Ceiling {
        requests_per_second: summary.all.ok_per_second,
        without_hashing_per_second: summary.without_hashing.ok_per_second,
        summary,
        seconds: dispatched.wall_seconds,
    })
}

/// One Argon2id hash at the server's parameters (median of seven after two to warm up the
/// allocator), in seconds. The server hashes with `Argon2::default()` — argon2id v19,
/// m=19456 KiB, t=2, p=1, OWASP's recommendation (gateway/src/hashing.rs) — and so does this.
fn seconds_per_hash() -> f64 {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let mut times: Vec<f64> = (0..9)
        .map(|_| {
            let mut salt = [0u8; 16];
            let _ = getrandom::fill(&mut salt);
            let started = Instant::now();
            if let Ok(salt) = SaltString::encode_b64(&salt) {
                let _ = argon2::Argon2::default().hash_password(b"Login2026x", &salt);
            }
            started.elapsed().as_secs_f64()
        })
        .collect();
    let mut times = times.split_off(2);
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let population = Population::new(&engine::org::Province::hunan(), args.population.config())?;
    let load = &args.load;
    let arrivals = load.arrivals(population.len());
    if arrivals.is_empty() && load.saturate_seconds.is_none() {
        bail!(
            "nobody arrives in minutes {}–{} of the day",
            load.from_minutes,
            load.from_minutes + load.minutes
        );
    }
    let timeout = Duration::from_secs(load.request_timeout_seconds);
    let ceiling = if args.ceiling_seconds > 0 {
        eprintln!("measuring the ceiling for {} s ...", args.ceiling_seconds);
        Some(measure_ceiling(&population, load, cores(), args.ceiling_seconds).await?)
    } else {
        None
    };
    // The server: given, or started here on a fresh data directory.
    let setup_http = Http::new("http://127.0.0.1", 8, timeout, Arc::new(Recorder::new()));
    let (spawned, base, data_dir, password) = match &args.target {
        Some(target) => {
            let data_dir = args
                .server_data_dir
                .clone()
                .context("--target needs --server-data-dir (for the callback keys)")?;
            let password = args
                .operator_password
                .clone()
                .context("--target needs --operator-password (or REG_DEMO_PASSWORD)")?;
            (None, target.clone(), data_dir, password)
        }
        None => {
            let binary = match &args.spawn {
                Some(binary) => binary.clone(),
                None => std::env::current_exe()?
                    .parent()
                    .context("own directory")?
                    .join("registration"),
            };
            if !binary.exists() {
                bail!(
                    "{} not found: build it (cargo build --release -p gateway --bin registration) or pass --spawn/--target",
                    binary.display()
                );
            }
            let data_dir = args
                .server_data_dir
                .clone()
                .unwrap_or_else(|| args.out.join("server-data"));
            if args.server_data_dir.is_none() && data_dir.exists() {
                std::fs::remove_dir_all(&data_dir)
                    .with_context(|| format!("clearing {}", data_dir.display()))?;
            }
            std::fs::create_dir_all(&data_dir)?;
            let password = args
                .operator_password
                .clone()
                .unwrap_or_else(|| format!("lt-{}", std::process::id()));
            let environment = args
                .server_env
                .iter()
                .map(|pair| {
                    pair.split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .with_context(|| format!("--server-env {pair}: expected NAME=VALUE"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let spawned = setup::spawn(
                &setup::SpawnOptions {
                    binary,
                    data_dir: data_dir.clone(),
                    operator_password: password.clone(),
                    points_per_county: population.config().points_per_county,
                    environment,
                },
                &setup_http,
            )
            .await?;
            let base = spawned.base.clone();
            (Some(spawned), base, data_dir, password)
        }
    };
    if args.kills > 0 && spawned.is_none() {
        bail!("--kills needs a server the loadtest starts (not --target)");
    }
    let server_pid = args.server_pid.or(spawned.as_ref().map(|s| s.pid));
    let spawned = spawned.map(|server| Arc::new(tokio::sync::Mutex::new(server)));
    let setup_http = setup_http.with_base(&base);
    let keys = setup::callback_keys(&data_dir)?;
    let province = setup::operator_login(&setup_http, "province", &password).await?;
    let original_admission = setup::admission(&setup_http, &province).await?;
    let admission_note = if args.keep_admission {
        "unchanged (--keep-admission)".to_owned()
    } else {
        let profile = setup::loadtest_profile(&original_admission, args.callback_rate);
        setup::set_admission(&setup_http, &province, &profile, "loadtest-profile").await?;
        format!(
            "province settings with the per-address login limit lifted{}; restored afterwards",
            args.callback_rate
                .map(|rate| format!(" and callbacks limited to {rate}/s"))
                .unwrap_or_default()
        )
    };
    let journeys = max_journeys(load);
    let points = points_used(&population, &arrivals, journeys, load.journey);
    eprintln!("logging in {} point operators ...", points.len());
    let operators = setup::point_operators(&setup_http, &points, &password).await?;
    let records_before = setup::registered(&setup_http, &province).await?;
    let hash_seconds = seconds_per_hash();
    // The run.
    let recorder = Arc::new(Recorder::new());
    let http = Http::new(&base, load.connections, timeout, Arc::clone(&recorder));
    let run_id = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
            % 0xffff_ffff
    );
    let driver = Arc::new(Driver::new(
        http,
        keys,
        operators,
        load.speed(),
        false,
        load.journey,
        run_id,
    ));
    let resources = monitor::Monitor::start(server_pid);
    let soak = spawned.as_ref().filter(|_| args.kills > 0).map(|server| {
        let plan = loadtest::soak::Plan {
            kills: args.kills,
            seed: args.kill_seed,
            mean_interval_seconds: args.kill_interval_seconds,
        };
        eprintln!(
            "soak: {} kills, seed {}: after {:.1?} s",
            plan.kills,
            plan.seed,
            plan.waits()
        );
        tokio::spawn(loadtest::soak::run(
            plan,
            Arc::clone(server),
            setup_http.clone(),
            Instant::now(),
        ))
    });
    let schedule = Schedule {
        arrivals,
        offset_seconds: load.from_minutes * 60.0,
        pacing: load.pacing(),
        max_journeys: journeys,
        drain: Duration::from_secs(load.drain_seconds),
    };
    let dispatched = dispatch(Arc::clone(&driver), &population, &schedule, "run").await;
    // Every planned kill is done (and the server back) before anything is read back.
    let soak = match soak {
        Some(task) => Some(task.await.context("the soak task")?),
        None => None,
    };
    let mut summary = recorder.summary(dispatched.wall_seconds);
    let mut resources = Resources::of(resources.samples());
    let storm = if load.journey == JourneyKind::Payments {
        // The preparation (captures, logins, orders) is done; the storm is timed alone.
        eprintln!(
            "prepared {} payments ({:.0} requests/s); signing their notifications on {} threads, then the storm ...",
            driver.pending.lock().map_or(0, |pending| pending.len()),
            summary.all.ok_per_second,
            cores()
        );
        let storm_recorder = Arc::new(Recorder::new());
        let storm_http = Http::new(
            &base,
            load.connections,
            timeout,
            Arc::clone(&storm_recorder),
        );
        let prepared = storm::prepare(&driver, cores()).await;
        let storm_monitor = monitor::Monitor::start(server_pid);
        let storm = storm::send(&driver, &storm_http, prepared, load.in_flight).await;
        summary = storm_recorder.summary(storm.wall_seconds);
        resources = Resources::of(storm_monitor.samples());
        Some(storm)
    } else {
        None
    };
    if !args.keep_admission {
        setup::set_admission(
            &setup_http,
            &province,
            &original_admission,
            "loadtest-restore",
        )
        .await?;
    }
    let verification = if args.no_verify {
        None
    } else {
        eprintln!("verifying {} journeys ...", driver.ledger.len());
        let records_after = setup::registered(&setup_http, &province).await?;
        Some(
            verify::verify(
                &setup_http,
                &province,
                &driver.ledger.entries(),
                (load.journey != JourneyKind::Adult).then_some((records_before, records_after)),
                8,
            )
            .await,
        )
    };
    let hashes = driver.hashes.load(std::sync::atomic::Ordering::Relaxed);
    let acknowledged_copies = driver
        .notifications_acknowledged
        .load(std::sync::atomic::Ordering::Relaxed);
    let wall_seconds = storm
        .map_or(dispatched.wall_seconds, |storm| storm.wall_seconds)
        .max(1e-3);
    let report = Report {
        command,
        cores: cores(),
        target: base,
        population: *population.config(),
        from_minutes: load.from_minutes,
        minutes: load.minutes,
        pacing: load.pacing(),
        journey: load.journey,
        admission_note,
        notifications_per_second: acknowledged_copies as f64 / wall_seconds,
        dispatch: dispatched,
        summary,
        hashing: (load.journey == JourneyKind::Full).then(|| Hashing {
            seconds_per_hash: hash_seconds,
            ceiling_per_second: cores() as f64 / hash_seconds,
            hashes,
            per_second: hashes as f64 / wall_seconds,
        }),
        ceiling,
        resources,
        verification,
        storm,
        soak,
    };
    drop(spawned);
    report.write(&args.out)?;
    println!("{}", report.text());
    println!("reports: {}", args.out.display());
    if args.require_clean && !report.clean() {
        bail!("the run was not clean (failures or verification discrepancies; see above)");
    }
    Ok(())
}
