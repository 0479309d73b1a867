//! `actors`: the supervised actors that are the single writers of the system.
//!
//! - [`candidate_shard`]: one actor per candidate shard; pipelines commits for group commit.
//! - [`county_actor`]: one actor per county; serial numbers and submissions, strictly in order.
//! - [`registry`]: the supervisor tree and the router (explicit overload, never unbounded).
//! - [`settings`]: the schedule and policy in force, shared by all actors.
//!
//! A request's path: `Registry::execute` → `CandidateShard` (load, idempotency, `decide`,
//! `evolve`) → `storage::Journal::commit` → the caller's `Ticket` resolves once durable.

pub mod candidate_shard;
pub mod county_actor;
mod error;
pub mod metrics;
pub mod registry;
pub mod settings;

pub use candidate_shard::{Execute, Outcome, Ticket, scoped_idempotency_key};
pub use county_actor::{CountyExecute, CountyOutcome};
pub use error::ActorError;
pub use registry::{Registry, ShardConfig};
pub use settings::{Settings, SharedSettings};
