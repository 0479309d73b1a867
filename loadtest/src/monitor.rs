//! Server CPU and resident memory over the run, sampled once a second from `/proc` (Linux).
//! The load generator's own CPU is sampled too: on a shared machine it is part of the story.

use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Clock ticks per second in `/proc/<pid>/stat` (USER_HZ; 100 on Linux's ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// One sample.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Sample {
    /// Seconds since monitoring started.
    pub second: u64,
    /// Server resident memory, KiB.
    pub server_rss_kib: u64,
    /// Server CPU over the last second, in cores (2.0 = both cores busy).
    pub server_cpu_cores: f64,
    /// The load generator's CPU over the last second, in cores.
    pub loadtest_cpu_cores: f64,
}

/// CPU ticks (user + system) of a process.
fn ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Resident memory of a process, KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples collected so far.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Monitor {
    /// Starts sampling `server_pid` every second until the runtime stops.
    pub fn start(server_pid: Option<u32>) -> Monitor {
        let monitor = Monitor::default();
        let samples = Arc::clone(&monitor.samples);
        tokio::spawn(async move {
            let server = server_pid.map(|pid| pid.to_string());
            let mut last_server = server.as_deref().and_then(ticks);
            let mut last_self = ticks("self");
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            interval.tick().await;
            for second in 1.. {
                interval.tick().await;
                let now_server = server.as_deref().and_then(ticks);
                let now_self = ticks("self");
                let cores = |now: Option<u64>, last: Option<u64>| match (now, last) {
                    (Some(now), Some(last)) => now.saturating_sub(last) as f64 / TICKS_PER_SECOND,
                    _ => 0.0,
                };
                let sample = Sample {
                    second,
                    server_rss_kib: server_pid.and_then(rss_kib).unwrap_or(0),
                    server_cpu_cores: cores(now_server, last_server),
                    loadtest_cpu_cores: cores(now_self, last_self),
                };
                last_server = now_server;
                last_self = now_self;
                samples
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(sample);
            }
        });
        monitor
    }

    /// The samples so far.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        assert!(ticks("self").is_some());
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }
}
