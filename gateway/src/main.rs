//! `registration`: the main job. On the embedded default it opens (or creates) the store
//! under the data directory, recovers it, and seeds the demo province.
//!
//! The HTTP gateway (issue 3) will be started from here; until then the binary reports what
//! the store holds and exits.

use anyhow::Context as _;
use clap::Parser;
use engine::org::Province;
use engine::time::Timestamp;
use std::path::PathBuf;
use storage::{EmbeddedConfig, EmbeddedStore, ProgressScope, StateStore};

/// Provincial exam registration engine.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Options {
    /// Where the embedded store keeps its files.
    #[arg(long, env = "REG_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let path = options.data_dir.join("registration.redb");
    let (store, recovery) = EmbeddedStore::open(&EmbeddedConfig::new(&path))
        .with_context(|| format!("opening the store at {}", path.display()))?;
    println!(
        "store {}: recovered {} log records in {} partitions, {} candidates",
        path.display(),
        recovery.log_records,
        recovery.partitions,
        recovery.candidates
    );
    let hunan = Province::hunan();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let report = gateway::demo::seed(&store, &hunan, Timestamp(i64::try_from(now_ms)?)).await?;
    println!(
        "demo province {}: {} cities, {} counties ({} seeded now, {} already present), {} points created now",
        hunan.name,
        hunan.cities.len(),
        hunan.counties.len(),
        report.counties_created,
        report.counties_existing,
        report.points_created
    );
    for division in hunan.counties.iter().take(3) {
        if let Some(county) = store.county(division.code).await? {
            for point in county.points.values() {
                let ranges: Vec<String> = county
                    .ranges
                    .ranges()
                    .iter()
                    .filter(|range| range.point == point.code)
                    .map(|range| {
                        format!(
                            "{:04}{:04}–{:04}{:04}",
                            division.code.city_county_code(),
                            range.first,
                            division.code.city_county_code(),
                            range.last
                        )
                    })
                    .collect();
                println!(
                    "  point {} {}: serial numbers {}",
                    point.code,
                    point.name,
                    ranges.join(", ")
                );
            }
        }
    }
    let progress = store.progress(ProgressScope::Province).await?;
    println!("registration progress (province): {progress:?}");
    println!("the HTTP gateway is not built yet (issue 3); the store is ready for it");
    Ok(())
}
