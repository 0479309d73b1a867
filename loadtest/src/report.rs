//! The report: `report.json` (everything, machine-readable), `report.html` (tables and SVG
//! charts: throughput, latency percentiles and admitted vs shed over time, server CPU and
//! memory) and a text summary printed at the end and saved as `report.txt`.

use crate::drive::{Dispatch, Pacing};
use crate::journey::JourneyKind;
use crate::monitor::Sample;
use crate::population::PopulationConfig;
use crate::stats::{ClassSummary, Summary};
use crate::verify::Verification;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// The machine's ceiling, measured in the same run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ceiling {
    /// Requests/s the bare handler answered under the same generator (saturation).
    pub requests_per_second: f64,
    /// Same, for the requests other than hashing ones.
    pub without_hashing_per_second: f64,
    /// The bare run's statistics.
    pub summary: Summary,
    /// How long it ran.
    pub seconds: f64,
}

/// Password hashing as its own class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hashing {
    /// One Argon2id hash at the server's parameters, measured here.
    pub seconds_per_hash: f64,
    /// Cores ÷ seconds per hash.
    pub ceiling_per_second: f64,
    /// Hashes and verifications behind acknowledged requests.
    pub hashes: u64,
    /// Per second of the run.
    pub per_second: f64,
}

/// Server resources over the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Resources {
    /// Largest resident set, KiB.
    pub server_max_rss_kib: u64,
    /// Mean server CPU, cores.
    pub server_mean_cpu_cores: f64,
    /// Mean load-generator CPU, cores.
    pub loadtest_mean_cpu_cores: f64,
    /// Once a second.
    pub samples: Vec<Sample>,
}

impl Resources {
    /// Summarises samples.
    pub fn of(samples: Vec<Sample>) -> Resources {
        let count = samples.len().max(1) as f64;
        Resources {
            server_max_rss_kib: samples.iter().map(|s| s.server_rss_kib).max().unwrap_or(0),
            server_mean_cpu_cores: samples.iter().map(|s| s.server_cpu_cores).sum::<f64>() / count,
            loadtest_mean_cpu_cores: samples.iter().map(|s| s.loadtest_cpu_cores).sum::<f64>()
                / count,
            samples,
        }
    }
}

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The command line.
    pub command: String,
    /// Cores the machine has.
    pub cores: usize,
    /// The target.
    pub target: String,
    /// The population.
    pub population: PopulationConfig,
    /// The replayed stretch of the day, minutes after 08:00 on day 1.
    pub from_minutes: f64,
    /// Its length.
    pub minutes: f64,
    /// How journeys were started.
    pub pacing: Pacing,
    /// Which steps.
    pub journey: JourneyKind,
    /// What the admission profile changed for the run.
    pub admission_note: String,
    /// Journeys.
    pub dispatch: Dispatch,
    /// Requests.
    pub summary: Summary,
    /// Payment notification copies acknowledged per second.
    pub notifications_per_second: f64,
    /// Hashing.
    pub hashing: Option<Hashing>,
    /// The bare handler, same run.
    pub ceiling: Option<Ceiling>,
    /// Server CPU and memory.
    pub resources: Resources,
    /// The verification pass.
    pub verification: Option<Verification>,
    /// The payment storm (`--journey payments`): then `summary` and `resources` are the
    /// storm's, and the preparation's requests are not in them.
    pub storm: Option<crate::storm::Storm>,
    /// The kill -9 soak (`--kills`), when there was one.
    pub soak: Option<crate::soak::Soak>,
}

impl Report {
    /// Goodput as a share of the ceiling: all requests, and without hashing ones.
    pub fn ratios(&self) -> Option<(f64, f64)> {
        let ceiling = self.ceiling.as_ref()?;
        Some((
            self.summary.all.ok_per_second / ceiling.requests_per_second.max(1e-9),
            self.summary.without_hashing.ok_per_second
                / ceiling.without_hashing_per_second.max(1e-9),
        ))
    }

    /// Whether the run is clean: verification passed and nothing failed.
    pub fn clean(&self) -> bool {
        match &self.soak {
            // Requests in flight at a kill fail by design; what matters is that the server
            // came back each time and nothing acknowledged is missing or doubled.
            Some(soak) => {
                soak.completed() && self.verification.as_ref().is_some_and(Verification::passed)
            }
            None => {
                self.summary.all.failed == 0
                    && self.verification.as_ref().is_none_or(Verification::passed)
            }
        }
    }

    /// The text summary.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "loadtest: {}", self.command);
        let _ = writeln!(
            out,
            "target {} · {} cores · {} candidates (seed {}), {} points/county · journey {:?} · {:?}",
            self.target,
            self.cores,
            self.population.candidates,
            self.population.seed,
            self.population.points_per_county,
            self.journey,
            self.pacing
        );
        let _ = writeln!(
            out,
            "replayed minutes {:.0}–{:.0} after opening · journeys planned {} started {} finished {} · {:.1} s",
            self.from_minutes,
            self.from_minutes + self.minutes,
            self.dispatch.planned,
            self.dispatch.started,
            self.dispatch.finished,
            self.dispatch.wall_seconds
        );
        let _ = writeln!(out, "admission: {}", self.admission_note);
        let _ = writeln!(
            out,
            "\n{:<16} {:>9} {:>9} {:>7} {:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "class",
            "offered",
            "ok",
            "shed",
            "failed",
            "offered/s",
            "ok/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms"
        );
        let mut row = |name: &str, c: &ClassSummary| {
            let _ = writeln!(
                out,
                "{:<16} {:>9} {:>9} {:>7} {:>7} {:>9.1} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.1}",
                name,
                c.offered,
                c.ok,
                c.shed,
                c.failed,
                c.offered_per_second,
                c.ok_per_second,
                c.p50_ms,
                c.p90_ms,
                c.p99_ms,
                c.p999_ms,
                c.max_ms
            );
        };
        for (class, summary) in &self.summary.classes {
            row(class.name(), summary);
        }
        row("all", &self.summary.all);
        row("all but hashing", &self.summary.without_hashing);
        let _ = writeln!(
            out,
            "\npayment notification copies acknowledged: {:.1}/s",
            self.notifications_per_second
        );
        if let Some(storm) = &self.storm {
            let cpu = self.resources.server_mean_cpu_cores * storm.wall_seconds;
            let _ = writeln!(
                out,
                "payment storm: {} payments, {} copies (real provider formats, signed ahead in {:.1} s), {} acknowledged in {:.1} s; server {:.2} cores mean = {:.2} ms CPU per notification",
                storm.payments,
                storm.copies,
                storm.signing_seconds,
                storm.acknowledged,
                storm.wall_seconds,
                self.resources.server_mean_cpu_cores,
                cpu * 1000.0 / (storm.acknowledged.max(1) as f64)
            );
        }
        if let Some(hashing) = &self.hashing {
            let _ = writeln!(
                out,
                "hashing: {} hashes ({:.1}/s) against a ceiling of {:.1}/s ({} cores ÷ {:.1} ms per Argon2id hash)",
                hashing.hashes,
                hashing.per_second,
                hashing.ceiling_per_second,
                self.cores,
                hashing.seconds_per_hash * 1000.0
            );
        }
        if let (Some(ceiling), Some((all, rest))) = (&self.ceiling, self.ratios()) {
            let _ = writeln!(
                out,
                "ceiling (bare actix-web handler, same generator, saturated {:.0} s): {:.0} req/s ({:.0} without hashing requests)\n  ratio: {:.3} of the ceiling with hashing, {:.3} without",
                ceiling.seconds,
                ceiling.requests_per_second,
                ceiling.without_hashing_per_second,
                all,
                rest
            );
        }
        let _ = writeln!(
            out,
            "server: max RSS {:.1} MiB, mean CPU {:.2} cores; load generator mean CPU {:.2} cores",
            self.resources.server_max_rss_kib as f64 / 1024.0,
            self.resources.server_mean_cpu_cores,
            self.resources.loadtest_mean_cpu_cores
        );
        let _ = writeln!(
            out,
            "waiting room: {} returns with a queue ticket",
            self.summary.queue_returns
        );
        if !self.summary.shed.is_empty() {
            let _ = writeln!(out, "shed by kind:");
            for (kind, count) in &self.summary.shed {
                let _ = writeln!(out, "  {count:>8}  {kind}");
            }
        }
        if !self.summary.failures.is_empty() {
            let _ = writeln!(out, "failures by kind:");
            for (kind, count) in &self.summary.failures {
                let _ = writeln!(out, "  {count:>8}  {kind}");
            }
        }
        if let Some(soak) = &self.soak {
            let _ = writeln!(
                out,
                "soak: {} of {} kill -9s (seed {}){}",
                soak.kills.len(),
                soak.planned,
                soak.seed,
                soak.error
                    .as_ref()
                    .map(|error| format!(" — stopped: {error}"))
                    .unwrap_or_default()
            );
            for kill in &soak.kills {
                let _ = writeln!(
                    out,
                    "  killed at {:.1} s, answering again {:.2} s later",
                    kill.at_seconds, kill.restart_seconds
                );
            }
        }
        match &self.verification {
            Some(v) => {
                let _ = writeln!(
                    out,
                    "verification: {} — {} registrations, {} payments ({} notification copies), {} form saves read back; storage gained {} records",
                    if v.passed() { "PASSED" } else { "FAILED" },
                    v.registrations_checked,
                    v.payments_checked,
                    v.notification_copies,
                    v.form_saves_checked,
                    v.records_added
                );
                for line in &v.discrepancies {
                    let _ = writeln!(out, "  {line}");
                }
            }
            None => {
                let _ = writeln!(out, "verification: not run");
            }
        }
        out
    }

    /// Writes `report.json`, `report.html` and `report.txt` into `directory`.
    pub fn write(&self, directory: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(directory)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(directory.join("report.json"), json)?;
        std::fs::write(directory.join("report.txt"), self.text())?;
        std::fs::write(directory.join("report.html"), self.html())
    }

    fn html(&self) -> String {
        let seconds = &self.summary.seconds;
        let series = |f: &dyn Fn(&crate::stats::SecondSummary) -> f64| -> Vec<f64> {
            seconds.iter().map(f).collect()
        };
        let throughput = chart(
            "Throughput (requests per second)",
            "req/s",
            &[
                ("offered", "#888888", series(&|s| s.offered as f64)),
                ("ok", "#1f77b4", series(&|s| s.ok as f64)),
                ("failed", "#d62728", series(&|s| s.failed as f64)),
            ],
        );
        let latency = chart(
            "Latency from scheduled send (ms)",
            "ms",
            &[
                ("p50", "#1f77b4", series(&|s| s.p50_ms)),
                ("p99", "#ff7f0e", series(&|s| s.p99_ms)),
                ("max", "#bbbbbb", series(&|s| s.max_ms)),
            ],
        );
        let admitted = chart(
            "Admitted vs shed (per second)",
            "req/s",
            &[
                ("admitted (2xx)", "#2ca02c", series(&|s| s.ok as f64)),
                ("shed (429/503)", "#d62728", series(&|s| s.shed as f64)),
            ],
        );
        let samples = &self.resources.samples;
        let resources = chart(
            "Server resources",
            "",
            &[
                (
                    "CPU (cores × 100)",
                    "#9467bd",
                    samples.iter().map(|s| s.server_cpu_cores * 100.0).collect(),
                ),
                (
                    "RSS (MiB)",
                    "#8c564b",
                    samples
                        .iter()
                        .map(|s| s.server_rss_kib as f64 / 1024.0)
                        .collect(),
                ),
            ],
        );
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Registration loadtest</title>\
             <style>body{{font-family:sans-serif;margin:2em;max-width:1000px}}pre{{background:#f6f6f6;padding:1em;overflow-x:auto}}svg{{margin:1em 0}}</style></head>\
             <body><h1>Registration loadtest</h1><pre>{}</pre>{throughput}{latency}{admitted}{resources}</body></html>",
            escape(&self.text())
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A line chart as inline SVG: one polyline per series over the run's seconds.
pub fn chart(title: &str, unit: &str, series: &[(&str, &str, Vec<f64>)]) -> String {
    let (width, height, left, bottom, top) = (900.0, 260.0, 60.0, 30.0, 30.0);
    let points = series
        .iter()
        .map(|(_, _, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let max = series
        .iter()
        .flat_map(|(_, _, values)| values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let x = |i: usize| left + (width - left - 10.0) * i as f64 / (points - 1) as f64;
    let y = |v: f64| top + (height - top - bottom) * (1.0 - v / max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\">\
         <text x=\"{left}\" y=\"18\" font-size=\"14\">{}</text>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#333\"/>\
         <text x=\"4\" y=\"{}\" font-size=\"11\">{max:.0} {unit}</text>\
         <text x=\"4\" y=\"{}\" font-size=\"11\">0</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\">{} s</text>",
        escape(title),
        height - bottom,
        width - 10.0,
        height - bottom,
        height - bottom,
        top + 4.0,
        height - bottom,
        width - 60.0,
        height - 8.0,
        points - 1
    );
    for (n, (name, colour, values)) in series.iter().enumerate() {
        let line: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(if v.is_finite() { *v } else { 0.0 })))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\
             <text x=\"{}\" y=\"18\" font-size=\"12\" fill=\"{colour}\">{}</text>",
            line.join(" "),
            left + 320.0 + 140.0 * n as f64,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_one_line_per_series_scaled_to_the_largest_value() {
        let svg = chart(
            "t <x>",
            "req/s",
            &[
                ("a", "#000", vec![0.0, 5.0, 10.0]),
                ("b", "#111", vec![1.0]),
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("t &lt;x&gt;"));
        assert!(svg.contains("10 req/s"));
        // The peak of series a sits on the top margin.
        assert!(svg.contains("890.0,30.0"), "{svg}");
    }
}
