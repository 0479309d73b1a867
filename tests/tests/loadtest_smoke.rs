//! The loadtest's smoke run (issue 5): a few seconds, a tiny population, against a server the
//! loadtest starts itself — so the loadtest cannot rot while the API moves under it. It must
//! finish clean (no failures; every acknowledged write read back exactly once) and write its
//! reports, including the ceiling measured in the same run.

use serde_json::Value;
use std::process::Command;
use tests::build;

/// Runs the loadtest against a server it spawns (5,000 candidates, 3 points a county, 4
/// journeys a second at 600× speed, a 1 s ceiling) with `extra` arguments, requiring a clean
/// run; its standard output, its report and the report's directory.
fn replay(extra: &[&str]) -> (String, Value, tempfile::TempDir) {
    let server = build("gateway", "registration");
    let loadtest = build("loadtest", "loadtest");
    let out = tempfile::tempdir().expect("temp dir");
    let output = Command::new(&loadtest)
        .arg("run")
        .arg("--spawn")
        .arg(&server)
        .arg("--out")
        .arg(out.path())
        .args([
            "--candidates",
            "5000",
            "--points-per-county",
            "3",
            "--journeys-per-second",
            "4",
            "--speed",
            "600",
            "--ceiling-seconds",
            "1",
            "--drain-seconds",
            "120",
            "--require-clean",
        ])
        .args(extra)
        .output()
        .expect("loadtest runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "loadtest failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(
        &std::fs::read(out.path().join("report.json")).expect("report.json"),
    )
    .expect("json");
    (stdout, report, out)
}

#[test]
fn a_short_replay_runs_clean_and_reports() {
    let (stdout, report, out) = replay(&["--max-journeys", "16"]);
    assert_eq!(report["dispatch"]["started"], 16, "{stdout}");
    let verification = &report["verification"];
    assert_eq!(verification["discrepancy_count"], 0, "{stdout}");
    let checked = verification["registrations_checked"].as_u64().unwrap_or(0);
    assert!(
        checked >= 1,
        "something was registered and read back: {stdout}"
    );
    assert_eq!(verification["records_added"].as_u64(), Some(checked));
    assert!(report["summary"]["classes"]["callback"]["ok"].as_u64() > Some(0));
    assert!(report["ceiling"]["requests_per_second"].as_f64() > Some(0.0));
    assert!(report["resources"]["server_max_rss_kib"].as_u64() > Some(0));
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("report.html");
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    assert!(stdout.contains("verification: PASSED"), "{stdout}");
}

/// The adult exam's journey (`--journey adult`) runs clean too: accounts, information,
/// volunteers, the point's confirmation, the fee paid once from its notification copies.
#[test]
fn an_adult_exam_replay_runs_clean() {
    let (stdout, report, _out) = replay(&["--journey", "adult", "--max-journeys", "12"]);
    assert_eq!(
        report["verification"]["registrations_checked"], 12,
        "{stdout}"
    );
    assert_eq!(report["verification"]["discrepancy_count"], 0, "{stdout}");
}

/// The kill -9 soak (issue 18): the full journey while the server is killed with SIGKILL
/// three times at moments drawn from a fixed seed and restarted on the same data directory;
/// every write acknowledged before or after a kill is read back exactly once (a payment
/// applied once however many of its notification copies arrived around a kill).
#[test]
fn a_seeded_kill_nine_soak_loses_nothing_acknowledged() {
    let (stdout, report, _out) = replay(&[
        "--max-journeys",
        "48",
        "--kills",
        "3",
        "--kill-seed",
        "20261207",
        "--kill-interval-seconds",
        "3",
    ]);
    let soak = &report["soak"];
    assert_eq!(soak["planned"], 3, "{stdout}");
    assert_eq!(soak["kills"].as_array().map(Vec::len), Some(3), "{stdout}");
    let verification = &report["verification"];
    assert_eq!(verification["discrepancy_count"], 0, "{stdout}");
    assert!(
        verification["registrations_checked"].as_u64() > Some(0),
        "acknowledged registrations were read back after the kills: {stdout}"
    );
    assert!(
        stdout.contains("soak: 3 of 3 kill -9s (seed 20261207)"),
        "{stdout}"
    );
}
