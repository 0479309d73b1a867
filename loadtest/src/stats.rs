//! What the run observed: per request class, offered / ok / shed / failed counts and an
//! HdrHistogram of latency measured from each request's *scheduled* send time; per second of
//! the run, the same counts and a coarser histogram for the charts; failures by kind.
//!
//! One mutex guards it all: a record is a few increments, far cheaper than the request it
//! describes, and a single lock keeps the per-second rows consistent with the totals.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Request classes, reported separately (benchmark.md: reads, writes, payment callbacks;
/// password hashing is its own class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Status, view, progress.
    Read,
    /// Captures, first logins, orders, pledges.
    Write,
    /// Payment notifications and real-person authentication callbacks.
    Callback,
    /// Requests that hash or verify a password: set passwords, login, and every save that
    /// checks the save password (form, phone, art/PE categories).
    Hashing,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 4] = [Class::Read, Class::Write, Class::Callback, Class::Hashing];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Callback => "callback",
            Class::Hashing => "hashing",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Ok,
    /// Turned away by admission control or a full queue (429 / 503): the server protecting
    /// itself, counted apart from failures; the kind is `"<route> <status> <code>"`.
    Shed(String),
    /// Anything else; the kind is `"<status> <code>"` or `"transport: ..."`.
    Failed(String),
}

/// Latencies are recorded in microseconds up to ten minutes.
const MAX_MICROS: u64 = 600_000_000;

fn histogram(significant_figures: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, significant_figures)
        .unwrap_or_else(|_| unreachable!("constant, valid bounds"))
}

#[derive(Debug, Clone)]
struct Tally {
    offered: u64,
    ok: u64,
    shed: u64,
    failed: u64,
    latency: Histogram<u64>,
}

impl Tally {
    fn new(significant_figures: u8) -> Tally {
        Tally {
            offered: 0,
            ok: 0,
            shed: 0,
            failed: 0,
            latency: histogram(significant_figures),
        }
    }

    fn complete(&mut self, outcome: &Outcome, micros: u64) {
        match outcome {
            Outcome::Ok => {
                self.ok += 1;
                // Saturating: anything beyond the bound is recorded at the bound.
                let _ = self.latency.record(micros.clamp(1, MAX_MICROS));
            }
            Outcome::Shed(_) => self.shed += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }
}

#[derive(Debug)]
struct Inner {
    classes: [Tally; 4],
    seconds: Vec<Tally>,
    failures: BTreeMap<String, u64>,
    shed: BTreeMap<String, u64>,
    queue_returns: u64,
}

/// The recorder shared by every request of a run.
#[derive(Debug)]
pub struct Recorder {
    started: Instant,
    inner: Mutex<Inner>,
}

impl Recorder {
    /// A recorder whose second 0 starts now.
    pub fn new() -> Recorder {
        Recorder::starting_at(Instant::now())
    }

    /// A recorder whose second 0 starts at `started`.
    pub fn starting_at(started: Instant) -> Recorder {
        Recorder {
            started,
            inner: Mutex::new(Inner {
                classes: Class::ALL.map(|_| Tally::new(3)),
                seconds: Vec::new(),
                failures: BTreeMap::new(),
                shed: BTreeMap::new(),
                queue_returns: 0,
            }),
        }
    }

    fn second_of(&self, at: Instant) -> usize {
        at.saturating_duration_since(self.started).as_secs() as usize
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves only counters behind; keep counting.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A request of `class` was due at `scheduled`.
    pub fn offered(&self, class: Class, scheduled: Instant) {
        let second = self.second_of(scheduled);
        let mut inner = self.lock();
        inner.classes[class.index()].offered += 1;
        row(&mut inner.seconds, second).offered += 1;
    }

    /// A request of `class`, due at `scheduled`, ended at `finished` with `outcome`.
    pub fn completed(&self, class: Class, scheduled: Instant, finished: Instant, outcome: Outcome) {
        let micros = finished.saturating_duration_since(scheduled).as_micros() as u64;
        let second = self.second_of(finished);
        let mut inner = self.lock();
        inner.classes[class.index()].complete(&outcome, micros);
        row(&mut inner.seconds, second).complete(&outcome, micros);
        match outcome {
            Outcome::Failed(kind) => *inner.failures.entry(kind).or_insert(0) += 1,
            Outcome::Shed(kind) => *inner.shed.entry(kind).or_insert(0) += 1,
            Outcome::Ok => {}
        }
    }

    /// A candidate came back with a waiting-room ticket.
    pub fn queued(&self) {
        self.lock().queue_returns += 1;
    }

    /// Everything so far; rates are per second of `elapsed_seconds`.
    pub fn summary(&self, elapsed_seconds: f64) -> Summary {
        let inner = self.lock();
        let elapsed = elapsed_seconds.max(0.001);
        let classes = Class::ALL
            .iter()
            .map(|&class| {
                (
                    class,
                    ClassSummary::of(&inner.classes[class.index()], elapsed),
                )
            })
            .collect();
        let mut all = Tally::new(3);
        let mut without_hashing = Tally::new(3);
        for class in Class::ALL {
            let tally = &inner.classes[class.index()];
            merge(&mut all, tally);
            if class != Class::Hashing {
                merge(&mut without_hashing, tally);
            }
        }
        Summary {
            classes,
            all: ClassSummary::of(&all, elapsed),
            without_hashing: ClassSummary::of(&without_hashing, elapsed),
            seconds: inner
                .seconds
                .iter()
                .enumerate()
                .map(|(second, tally)| SecondSummary {
                    second,
                    offered: tally.offered,
                    ok: tally.ok,
                    shed: tally.shed,
                    failed: tally.failed,
                    p50_ms: millis(tally.latency.value_at_quantile(0.50)),
                    p99_ms: millis(tally.latency.value_at_quantile(0.99)),
                    max_ms: millis(tally.latency.max()),
                })
                .collect(),
            failures: inner.failures.clone(),
            shed: inner.shed.clone(),
            queue_returns: inner.queue_returns,
        }
    }

    /// Completed requests so far (for the progress bar).
    pub fn completed_count(&self) -> u64 {
        let inner = self.lock();
        inner.classes.iter().map(|t| t.ok + t.shed + t.failed).sum()
    }

    /// Seconds since second 0.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

fn row(seconds: &mut Vec<Tally>, second: usize) -> &mut Tally {
    // One significant figure (±10 %) is enough for a chart and keeps a row at ~3 KB, so an
    // hour replayed in real time costs ~12 MB; the run's totals keep three figures.
    if seconds.len() <= second {
        seconds.resize_with(second + 1, || Tally::new(1));
    }
    &mut seconds[second]
}

fn merge(into: &mut Tally, from: &Tally) {
    into.offered += from.offered;
    into.ok += from.ok;
    into.shed += from.shed;
    into.failed += from.failed;
    // Same bounds on both sides: adding cannot fail.
    let _ = into.latency.add(&from.latency);
}

fn millis(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// One class (or all together) over the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassSummary {
    /// Requests due.
    pub offered: u64,
    /// 2xx.
    pub ok: u64,
    /// 429/503.
    pub shed: u64,
    /// Other outcomes.
    pub failed: u64,
    /// Offered per second of the run.
    pub offered_per_second: f64,
    /// 2xx per second of the run.
    pub ok_per_second: f64,
    /// Latency of 2xx answers from the scheduled send time.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl ClassSummary {
    fn of(tally: &Tally, elapsed_seconds: f64) -> ClassSummary {
        let quantile = |q| millis(tally.latency.value_at_quantile(q));
        ClassSummary {
            offered: tally.offered,
            ok: tally.ok,
            shed: tally.shed,
            failed: tally.failed,
            offered_per_second: tally.offered as f64 / elapsed_seconds,
            ok_per_second: tally.ok as f64 / elapsed_seconds,
            p50_ms: quantile(0.50),
            p90_ms: quantile(0.90),
            p99_ms: quantile(0.99),
            p999_ms: quantile(0.999),
            max_ms: millis(tally.latency.max()),
        }
    }
}

/// One second of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecondSummary {
    /// Seconds since the start.
    pub second: usize,
    /// Requests due in this second.
    pub offered: u64,
    /// 2xx completed in this second.
    pub ok: u64,
    /// Shed in this second.
    pub shed: u64,
    /// Failed in this second.
    pub failed: u64,
    /// Median latency of this second's 2xx.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// The run's statistics.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Per class.
    pub classes: BTreeMap<Class, ClassSummary>,
    /// Every class together.
    pub all: ClassSummary,
    /// Every class but hashing.
    pub without_hashing: ClassSummary,
    /// Per second.
    pub seconds: Vec<SecondSummary>,
    /// Failures by kind.
    pub failures: BTreeMap<String, u64>,
    /// Shed requests by kind (after any waiting-room returns).
    pub shed: BTreeMap<String, u64>,
    /// Times a request was sent again with a waiting-room ticket.
    pub queue_returns: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_counts_from_the_scheduled_time_and_outcomes_are_kept_apart() {
        let start = Instant::now();
        let recorder = Recorder::starting_at(start);
        let due = start + Duration::from_millis(100);
        recorder.offered(Class::Write, due);
        recorder.completed(
            Class::Write,
            due,
            due + Duration::from_millis(40),
            Outcome::Ok,
        );
        recorder.offered(Class::Write, due);
        recorder.completed(
            Class::Write,
            due,
            due,
            Outcome::Shed("503 overloaded".into()),
        );
        recorder.offered(Class::Hashing, due);
        recorder.completed(
            Class::Hashing,
            due,
            start + Duration::from_millis(1500),
            Outcome::Failed("409 conflict".into()),
        );
        let summary = recorder.summary(2.0);
        let write = &summary.classes[&Class::Write];
        assert_eq!(
            (write.offered, write.ok, write.shed, write.failed),
            (2, 1, 1, 0)
        );
        assert!((write.p50_ms - 40.0).abs() < 0.1, "{}", write.p50_ms);
        assert_eq!(summary.failures["409 conflict"], 1);
        assert_eq!(summary.shed["503 overloaded"], 1);
        assert_eq!(summary.all.offered, 3);
        assert!((summary.all.offered_per_second - 1.5).abs() < 1e-9);
        assert_eq!(summary.without_hashing.offered, 2);
        assert_eq!(
            summary.seconds.len(),
            2,
            "the failure completed in second 1"
        );
        assert_eq!(summary.seconds[0].offered, 3);
        assert_eq!(summary.seconds[1].failed, 1);
        assert_eq!(recorder.completed_count(), 3);
    }
}
