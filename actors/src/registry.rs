//! The supervisor tree and the router: starts every actor under a `Supervisor` and sends
//! each request to the one actor that may write it.
//!
//! ```text
//! Registry ─┬─ Supervisor ─ CandidateShard 0 ┐
//!           ├─ ...                           ├─ spread over one arbiter (thread) per core
//!           ├─ Supervisor ─ CandidateShard n ┘   mailbox: ShardConfig::mailbox_capacity
//!           ├─ Supervisor ─ AdultShard 0…n       the adult exam's, likewise (same partitions)
//!           └─ Supervisor ─ CountyActor ×122    mailbox: actix default (16)
//! ```
//!
//! Province and city level work (schedule, city submission) is rare and reads across
//! counties, so it is done by the gateway directly against settings and storage rather than
//! by long-lived actors.

#[cfg(feature = "test-hooks")]
use crate::candidate_shard::InjectPanic;
use crate::candidate_shard::{ExecuteFor, Shard, ShardOutcome};
use crate::county_actor::{CountyActor, CountyExecute, CountyOutcome};
use crate::error::ActorError;
use crate::exam::{Adult, Exam, Gaokao};
use crate::metrics::{self, COUNTY};
use crate::settings::SharedSettings;
use actix::prelude::*;
use dashmap::DashMap;
use engine::org::{CountyCode, Province};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use storage::{Journal, Partition, StateStore, StorageError};

/// How often a scale-out node re-reads which counties have submitted.
const FROZEN_REFRESH_SECONDS: u64 = 2;

/// Makes `frozen` what the store shows: the counties that have submitted, without those
/// whose submission was returned for correction since.
async fn refresh_frozen<S: StateStore>(
    store: &S,
    province: &Province,
    frozen: &DashMap<CountyCode, ()>,
) -> Result<(), StorageError> {
    for county in &province.counties {
        let submitted = store
            .county(county.code)
            .await?
            .is_some_and(|c| c.is_frozen());
        if submitted {
            frozen.insert(county.code, ());
        } else {
            frozen.remove(&county.code);
        }
    }
    Ok(())
}

/// Sizing of the actor layer.
#[derive(Debug, Clone)]
pub struct ShardConfig {
    /// Candidate shards (single writers). Fixed for the life of a database: a candidate's
    /// shard is `key mod shard_count`, and log partitions are shards.
    pub shard_count: u32,
    /// Messages that may wait for one shard before callers are told it is overloaded.
    pub mailbox_capacity: usize,
    /// Clean candidate records each shard keeps resident.
    pub cache_capacity_per_shard: usize,
    /// Threads (arbiters) the shards are spread over.
    pub arbiters: usize,
}

impl Default for ShardConfig {
    fn default() -> Self {
        ShardConfig {
            shard_count: 16,
            mailbox_capacity: 1024,
            cache_capacity_per_shard: 8192,
            arbiters: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
        }
    }
}

struct ShardHandle<S: Journal + StateStore, E: Exam> {
    address: Addr<Shard<S, E>>,
    depth: Arc<AtomicUsize>,
}

/// Every actor, and the routing to them.
pub struct Registry<S: Journal + StateStore> {
    store: Arc<S>,
    shards: Vec<ShardHandle<S, Gaokao>>,
    /// The adult exam's shards: the same partitions, their own writers (a registration's
    /// key belongs to one exam).
    adult_shards: Vec<ShardHandle<S, Adult>>,
    counties: HashMap<CountyCode, Addr<CountyActor<S>>>,
    mailbox_capacity: usize,
    frozen: Arc<DashMap<CountyCode, ()>>,
    _arbiters: Vec<Arbiter>,
}

impl<S: Journal + StateStore> Registry<S> {
    /// Starts the tree. Must run inside an actix system. Loads which counties have already
    /// submitted (frozen) so shards refuse their changes from the first request on.
    pub async fn start(
        store: Arc<S>,
        province: &Province,
        settings: SharedSettings,
        config: &ShardConfig,
    ) -> Result<Registry<S>, StorageError> {
        metrics::register();
        let frozen = Arc::new(DashMap::new());
        refresh_frozen(&*store, province, &frozen).await?;
        if store.owner_epoch(Partition::Organisation) != Some(0) {
            // Scale-out: a county submits on the node owning the counties; the others learn
            // it from the store (their follower applies the county's snapshot), within
            // FROZEN_REFRESH_SECONDS.
            let (store, province, frozen) =
                (Arc::clone(&store), province.clone(), Arc::clone(&frozen));
            actix::spawn(async move {
                loop {
                    actix::clock::sleep(std::time::Duration::from_secs(FROZEN_REFRESH_SECONDS))
                        .await;
                    // A failed read is retried on the next turn; counties not read stay as
                    // they were.
                    let _ = refresh_frozen(&*store, &province, &frozen).await;
                }
            });
        }
        let arbiters: Vec<Arbiter> = (0..config.arbiters.max(1))
            .map(|_| Arbiter::new())
            .collect();
        let shards = start_shards::<S, Gaokao>(&arbiters, &store, &settings, &frozen, config);
        let adult_shards = start_shards::<S, Adult>(&arbiters, &store, &settings, &frozen, config);
        let counties = province
            .counties
            .iter()
            .map(|county| {
                let (code, store, settings, frozen) = (
                    county.code,
                    Arc::clone(&store),
                    settings.clone(),
                    Arc::clone(&frozen),
                );
                (
                    code,
                    Supervisor::start(move |_| CountyActor::new(code, store, settings, frozen)),
                )
            })
            .collect();
        Ok(Registry {
            store,
            shards,
            adult_shards,
            counties,
            mailbox_capacity: config.mailbox_capacity,
            frozen,
            _arbiters: arbiters,
        })
    }

    /// Runs a gaokao command on its shard; resolves once the outcome is durable.
    /// Refused with `NotOwner` when another node owns the shard (scale-out mode).
    pub async fn execute(
        &self,
        request: ExecuteFor<Gaokao>,
    ) -> Result<ShardOutcome<Gaokao>, ActorError> {
        self.route(&self.shards, request).await
    }

    /// Runs an adult-exam command on its shard, likewise.
    pub async fn execute_adult(
        &self,
        request: ExecuteFor<Adult>,
    ) -> Result<ShardOutcome<Adult>, ActorError> {
        self.route(&self.adult_shards, request).await
    }

    async fn route<E: Exam>(
        &self,
        shards: &[ShardHandle<S, E>],
        request: ExecuteFor<E>,
    ) -> Result<ShardOutcome<E>, ActorError> {
        let index = request.key.shard(shards.len() as u32);
        let partition = Partition::Candidates(index);
        if self.store.owner_epoch(partition).is_none() {
            return Err(StorageError::NotOwner(partition).into());
        }
        let shard = &shards[index as usize];
        if shard.depth.fetch_add(1, Ordering::Relaxed) >= self.mailbox_capacity {
            shard.depth.fetch_sub(1, Ordering::Relaxed);
            metrics::overloaded(E::SHARD);
            return Err(ActorError::Overloaded("candidate shard"));
        }
        metrics::mailbox_changed(E::SHARD, 1.0);
        let ticket = shard
            .address
            .send(request)
            .await
            .map_err(|_| ActorError::Unavailable)?;
        ticket.await
    }

    /// Runs a county command; resolves once the outcome is durable.
    pub async fn county(
        &self,
        code: CountyCode,
        request: CountyExecute,
    ) -> Result<CountyOutcome, ActorError> {
        if self.store.owner_epoch(Partition::Organisation).is_none() {
            return Err(StorageError::NotOwner(Partition::Organisation).into());
        }
        let address = self.counties.get(&code).ok_or(ActorError::Rejected(
            engine::Rejection::InvalidCode {
                kind: "county",
                value: code.to_string(),
            },
        ))?;
        metrics::mailbox_changed(COUNTY, 1.0);
        let result = address.send(request).await;
        metrics::mailbox_changed(COUNTY, -1.0);
        result.map_err(|_| ActorError::Unavailable)?
    }

    /// Whether a county has submitted (its records are frozen).
    pub fn is_frozen(&self, county: CountyCode) -> bool {
        self.frozen.contains_key(&county)
    }

    /// Makes the shard of `key` panic on its next decision (failure-isolation tests; only
    /// with the `test-hooks` feature).
    #[cfg(feature = "test-hooks")]
    pub fn inject_panic(&self, key: engine::key::CandidateKey) {
        self.shards[key.shard(self.shards.len() as u32) as usize]
            .address
            .do_send(InjectPanic);
    }

    /// Number of candidate shards.
    pub fn shard_count(&self) -> u32 {
        self.shards.len() as u32
    }
}

/// Starts exam `E`'s shards, spread over the arbiters.
fn start_shards<S: Journal + StateStore, E: Exam>(
    arbiters: &[Arbiter],
    store: &Arc<S>,
    settings: &SharedSettings,
    frozen: &Arc<DashMap<CountyCode, ()>>,
    config: &ShardConfig,
) -> Vec<ShardHandle<S, E>> {
    (0..config.shard_count.max(1))
        .map(|shard| {
            let depth = Arc::new(AtomicUsize::new(0));
            let arbiter = &arbiters[shard as usize % arbiters.len()];
            let (store, settings, frozen, depth_for_actor) = (
                Arc::clone(store),
                settings.clone(),
                Arc::clone(frozen),
                Arc::clone(&depth),
            );
            let (cache, mailbox) = (config.cache_capacity_per_shard, config.mailbox_capacity);
            let address = Supervisor::start_in_arbiter(&arbiter.handle(), move |_| {
                Shard::<S, E>::new(
                    shard,
                    store,
                    settings,
                    frozen,
                    cache,
                    mailbox,
                    depth_for_actor,
                )
            });
            ShardHandle { address, depth }
        })
        .collect()
}
