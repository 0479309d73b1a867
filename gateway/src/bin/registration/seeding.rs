//! What a fresh store starts with: in the demo, Hunan's points and serial ranges, demo
//! operator accounts and every window open; outside it, nothing (issue 13 brings the real
//! province's setup). Also the settings as the province last stored them.

use crate::options::Options;
use actors::{Settings, SharedSettings};
use anyhow::Context as _;
use engine::org::Province;
use engine::schedule::Schedule;
use engine::time::Timestamp;
use gateway::accounts::Accounts;
use gateway::admission::config::AdmissionConfig;
use gateway::hashing::hash_now;
use storage::{Backend, Journal, Partition, StateStore};

/// The province as this node starts with it.
pub struct Seeded {
    /// Operator accounts (stored, and the demo's).
    pub accounts: Accounts,
    /// A real deployment with no account yet: the one-time token that creates the
    /// province's first administrator (`POST /v1/setup`), to show once.
    pub setup_token: Option<String>,
    /// The demo operators' password, in the demo.
    pub demo_password: Option<String>,
    /// Schedule and policy in force.
    pub settings: SharedSettings,
    /// Admission control as last set (defaults on a fresh store).
    pub admission: AdmissionConfig,
}

/// Seeds the demo province where this node may (the organisation partition's owner), and
/// reads the stored settings.
pub async fn province(
    options: &Options,
    store: &Backend,
    province: &Province,
    now: Timestamp,
) -> anyhow::Result<Seeded> {
    let layout = gateway::demo::DemoLayout {
        points_per_county: options.demo_points_per_county,
        sequences_per_county: options.demo_sequences_per_county,
    };
    // Counties are the organisation partition's: only its owner may seed them.
    if options.demo && store.owner_epoch(Partition::Organisation).is_some() {
        let report = gateway::demo::seed(store, province, layout, now).await?;
        println!(
            "demo province {}: {} cities, {} counties ({} seeded now), {} points per county",
            province.name,
            province.cities.len(),
            province.counties.len(),
            report.counties_created,
            layout.points_per_county
        );
    }
    let (accounts, demo_password) = if options.demo {
        let password = match &options.demo_password {
            Some(password) => password.clone(),
            None => format!(
                "demo-{}",
                gateway::random_hex(6).ok_or_else(|| anyhow::anyhow!("no entropy"))?
            ),
        };
        let hash = hash_now(&password).context("hashing the demo password")?;
        (
            Accounts::default().with_demo(province, layout.points_per_county, &hash),
            Some(password),
        )
    } else {
        (Accounts::default(), None)
    };
    // The stored accounts, as the province's administration last left them.
    if let Some(bytes) = store.setting(gateway::accounts::SETTING).await? {
        accounts
            .replace(serde_json::from_slice(&bytes).context("the stored accounts are malformed")?);
    }
    let stored = match store.setting(gateway::routes::schedule::SETTING).await? {
        Some(bytes) => Some(
            serde_json::from_slice::<Schedule>(&bytes)
                .context("the stored schedule is malformed")?,
        ),
        None => None,
    };
    let mut adult = actors::settings::AdultSettings::default();
    match store
        .setting(gateway::app::settings::ADULT_CALENDAR)
        .await?
    {
        Some(bytes) => {
            adult.calendar = serde_json::from_slice(&bytes)
                .context("the stored adult-exam calendar is malformed")?
        }
        None if options.demo => adult.calendar = gateway::demo::adult_calendar(now),
        None => {}
    }
    if let Some(bytes) = store
        .setting(gateway::app::adult::reporting::SETTING)
        .await?
    {
        let reports: gateway::app::adult::reporting::Reports = serde_json::from_slice(&bytes)
            .context("the stored adult-exam reports are malformed")?;
        adult.frozen_counties = reports.frozen();
    }
    let settings = SharedSettings::new(Settings {
        schedule: gateway::demo::initial_schedule(stored, options.demo, now),
        adult,
        ..Settings::default()
    });
    // Admission settings as the province last set them; the defaults on a fresh store.
    let admission = match store.setting(gateway::routes::admission::SETTING).await? {
        Some(bytes) => serde_json::from_slice::<AdmissionConfig>(&bytes)
            .context("the stored admission settings are malformed")?,
        None => AdmissionConfig::default(),
    };
    let setup_token = if !options.demo
        && accounts.is_empty()
        && store.owner_epoch(Partition::Organisation).is_some()
    {
        Some(setup_token(store).await?)
    } else {
        None
    };
    Ok(Seeded {
        setup_token,
        accounts,
        demo_password,
        settings,
        admission,
    })
}

/// A fresh one-time setup token; only its digest is stored. Each start of a deployment that
/// still has no account makes a new one (the previous stops working).
async fn setup_token(store: &Backend) -> anyhow::Result<String> {
    use sha2::Digest as _;
    let token = gateway::random_hex(16).ok_or_else(|| anyhow::anyhow!("no entropy"))?;
    let stored = gateway::accounts::SetupToken {
        token_sha256: hex::encode(sha2::Sha256::digest(token.as_bytes())),
    };
    store
        .commit(storage::Commit {
            partition: Partition::Organisation,
            records: Vec::new(),
            updates: vec![storage::StateUpdate::Setting {
                name: gateway::accounts::SETUP_SETTING.to_owned(),
                value: serde_json::to_vec(&stored)?,
            }],
        })
        .await?;
    Ok(token)
}
