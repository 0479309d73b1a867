//! The dispatcher: starts journeys on their schedule (open loop), or keeps a fixed number in
//! flight with no think time (saturation, for throughput ceilings), and shows progress.

use crate::arrival::Arrivals;
use crate::journey::Driver;
use crate::population::Population;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How journeys are started.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Pacing {
    /// The arrival profile, compressed `speed` times (open loop).
    Replay {
        /// Time compression.
        speed: f64,
    },
    /// A flat rate of journeys per second (open loop); think times compressed by `speed`.
    Flat {
        /// Journeys started per second.
        journeys_per_second: f64,
        /// Time compression of think times.
        speed: f64,
    },
    /// `in_flight` journeys at once, no think time, for `seconds` (closed loop: a
    /// throughput probe, not a latency measurement).
    Saturate {
        /// Journeys in flight.
        in_flight: usize,
        /// How long.
        seconds: u64,
    },
}

/// What the dispatcher did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dispatch {
    /// Journeys planned (open loop) or started (saturation).
    pub planned: u64,
    /// Journeys started.
    pub started: u64,
    /// Journeys whose last request ended before the drain deadline.
    pub finished: u64,
    /// Seconds from the first due request to the last completion.
    pub wall_seconds: f64,
}

/// Which journeys, when.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The replayed stretch of the day.
    pub arrivals: Arrivals,
    /// Its start, seconds after the opening (the run's second 0).
    pub offset_seconds: f64,
    /// How journeys start.
    pub pacing: Pacing,
    /// At most this many.
    pub max_journeys: u64,
    /// How long to wait for the last ones.
    pub drain: Duration,
}

/// Runs journeys for candidates `arrivals.first..` of `population` as the schedule says,
/// then waits up to its drain time for the last ones.
pub async fn dispatch(
    driver: Arc<Driver>,
    population: &Population,
    schedule: &Schedule,
    label: &str,
) -> Dispatch {
    let Schedule {
        arrivals,
        offset_seconds,
        pacing,
        max_journeys,
        drain,
    } = schedule.clone();
    let planned = match pacing {
        Pacing::Saturate { .. } => max_journeys,
        _ => arrivals.len().min(max_journeys),
    };
    let started_count = Arc::new(AtomicU64::new(0));
    let progress = progress_bar(&driver, planned, label, Arc::clone(&started_count));
    let start = Instant::now();
    let mut journeys = tokio::task::JoinSet::new();
    match pacing {
        Pacing::Replay { .. } | Pacing::Flat { .. } => {
            for (n, index) in (arrivals.first..arrivals.end)
                .take(planned as usize)
                .enumerate()
            {
                let seconds = match pacing {
                    Pacing::Flat {
                        journeys_per_second,
                        ..
                    } => n as f64 / journeys_per_second.max(1e-9),
                    Pacing::Replay { speed } => (arrivals.at(index) - offset_seconds) / speed,
                    Pacing::Saturate { .. } => 0.0,
                };
                let due = start + Duration::from_secs_f64(seconds.max(0.0));
                tokio::time::sleep_until(due.into()).await;
                let candidate = population.candidate(index);
                journeys.spawn(Arc::clone(&driver).journey(candidate, due));
                started_count.fetch_add(1, Ordering::Relaxed);
                while journeys.try_join_next().is_some() {}
            }
        }
        Pacing::Saturate { in_flight, seconds } => {
            let deadline = start + Duration::from_secs(seconds);
            let slots = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
            let span = arrivals.len().max(1);
            let mut n = 0u64;
            while Instant::now() < deadline && n < max_journeys {
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                    break;
                };
                let index = arrivals.first + n % span;
                let candidate = population.candidate(index);
                let driver = Arc::clone(&driver);
                journeys.spawn(async move {
                    driver.journey(candidate, Instant::now()).await;
                    drop(slot);
                });
                n += 1;
                started_count.fetch_add(1, Ordering::Relaxed);
                while journeys.try_join_next().is_some() {}
            }
        }
    }
    let started = started_count.load(Ordering::Relaxed);
    let drained = tokio::time::timeout(drain, async {
        while journeys.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        journeys.abort_all();
    }
    let wall_seconds = start.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let finished = driver.ledger.len() as u64;
    Dispatch {
        planned: match pacing {
            Pacing::Saturate { .. } => started,
            _ => planned,
        },
        started,
        finished,
        wall_seconds,
    }
}

fn progress_bar(
    driver: &Arc<Driver>,
    planned: u64,
    label: &str,
    started: Arc<AtomicU64>,
) -> ProgressBar {
    let bar = ProgressBar::new(planned);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} journeys · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(label.to_owned());
    let ticker = bar.clone();
    let driver = Arc::clone(driver);
    tokio::spawn(async move {
        let mut last = (Instant::now(), 0u64);
        while !ticker.is_finished() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let done = driver.http.recorder().completed_count();
            let rate = (done - last.1) as f64 / last.0.elapsed().as_secs_f64().max(1e-3);
            last = (Instant::now(), done);
            ticker.set_position(started.load(Ordering::Relaxed));
            ticker.set_message(format!("{done} requests, {rate:.0}/s"));
        }
    });
    bar
}
