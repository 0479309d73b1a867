//! `actors`: the supervised actors that are the single writers of the system.
//!
//! - [`candidate_shard`]: one actor per candidate shard and exam; pipelines commits for
//!   group commit. [`exam`] says what a shard needs of an exam (the gaokao, the adult exam).
//! - [`county_actor`]: one actor per county; serial numbers and submissions, strictly in order.
//! - [`registry`]: the supervisor tree and the router (explicit overload, never unbounded).
//! - [`settings`]: the schedule and policy in force, shared by all actors.
//!
//! A request's path: `Registry::execute` → `CandidateShard` (load, idempotency, `decide`,
//! `evolve`) → `storage::Journal::commit` → the caller's `Ticket` resolves once durable.

pub mod candidate_shard;
pub mod county_actor;
mod error;
pub mod exam;
pub mod metrics;
pub mod registry;
pub mod settings;

pub use candidate_shard::{
    AdultExecute, AdultOutcome, Execute, Outcome, Ticket, scoped_idempotency_key,
    scoped_idempotency_key_for,
};
pub use county_actor::{CountyExecute, CountyOutcome};
pub use error::ActorError;
pub use exam::{Adult, Exam, Gaokao};
pub use registry::{Registry, ShardConfig};
pub use settings::{Settings, SharedSettings};
