//! `CountyActor`: the single writer of one county's points, serial ranges and submission.
//!
//! County writes are few (point set-up, one serial per capture, one submission), and serial
//! assignment must be strictly sequential, so unlike candidate shards this actor waits for
//! each commit to be durable before taking the next message (`AtomicResponse`). Mailbox
//! capacity: actix's default (16) per county; captures at one county's points queue here.
//!
//! On submission to the city the county's code joins the shared `frozen` set, which every
//! candidate shard consults when deciding.

use crate::error::ActorError;
use crate::metrics::{self, COUNTY};
use crate::settings::SharedSettings;
use actix::prelude::*;
use dashmap::DashMap;
use engine::county::{County, CountyCommand, CountyEvent};
use engine::org::CountyCode;
use engine::time::Timestamp;
use futures::future::BoxFuture;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;
use storage::{
    Commit, CommitReceipt, Journal, LogRecord, Partition, Payload, StateStore, StateUpdate,
    StorageError, StreamKey,
};

/// Run one command against the county.
#[derive(Debug, Message)]
#[rtype(result = "Result<CountyOutcome, ActorError>")]
pub struct CountyExecute {
    /// The command.
    pub command: CountyCommand,
    /// The request's idempotency key.
    pub idempotency_key: String,
    /// The instant of the decision.
    pub now: Timestamp,
}

/// What a county command did, once durable.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyOutcome {
    /// Events recorded (empty for a replayed request).
    pub events: Vec<CountyEvent>,
    /// The county afterwards.
    pub county: County,
    /// Whether this repeated an already-applied request.
    pub replayed: bool,
}

/// The actor.
pub struct CountyActor<S: Journal + StateStore> {
    code: CountyCode,
    store: Arc<S>,
    settings: SharedSettings,
    frozen: Arc<DashMap<CountyCode, ()>>,
    state: Option<County>,
    /// The ownership epoch `state` belongs to (see `Journal::owner_epoch`).
    epoch: Option<u64>,
}

impl<S: Journal + StateStore> CountyActor<S> {
    /// An actor for `code`; its record loads on the first message.
    pub fn new(
        code: CountyCode,
        store: Arc<S>,
        settings: SharedSettings,
        frozen: Arc<DashMap<CountyCode, ()>>,
    ) -> Self {
        CountyActor {
            code,
            store,
            settings,
            frozen,
            state: None,
            epoch: Some(0),
        }
    }

    fn decide(
        &mut self,
        message: &CountyExecute,
    ) -> Result<(Vec<CountyEvent>, County), ActorError> {
        let settings = self.settings.current();
        let county = self.state.clone().unwrap_or_else(|| County::new(self.code));
        let started = Instant::now();
        let decided = catch_unwind(AssertUnwindSafe(|| {
            county.decide(&message.command, &settings.schedule, message.now)
        }));
        metrics::processed(COUNTY, started.elapsed().as_secs_f64());
        let events = decided.map_err(|_| ActorError::Internal)??;
        let mut next = county;
        for event in &events {
            next.apply(event);
        }
        Ok((events, next))
    }
}

/// What a county message became before waiting for durability.
enum Prepared {
    Replayed(CountyOutcome),
    Commit {
        pending: BoxFuture<'static, Result<CommitReceipt, StorageError>>,
        events: Vec<CountyEvent>,
        next: County,
    },
}

impl<S: Journal + StateStore> CountyActor<S> {
    /// Takes the loaded state in, answers replays, decides, and submits the commit.
    fn prepare(
        &mut self,
        message: CountyExecute,
        loaded: Result<(Option<Vec<u8>>, Option<County>), StorageError>,
    ) -> Result<Prepared, ActorError> {
        let (previous, loaded) = loaded?;
        if loaded.is_some() {
            self.state = loaded;
        }
        if let Some(previous) = previous {
            let county = self.state.clone().unwrap_or_else(|| County::new(self.code));
            // A replay answers with what the request did the first time: a repeated
            // serial-number request gets its serial back instead of spending another. Only
            // the same request: another command under the key is refused, not answered.
            let events = StoredReply::decode(&previous, &county_digest(&message.command))?;
            return Ok(Prepared::Replayed(CountyOutcome {
                events,
                county,
                replayed: true,
            }));
        }
        let (events, next) = self.decide(&message)?;
        let commit = Commit {
            partition: Partition::Organisation,
            records: events
                .iter()
                .map(|event| LogRecord {
                    stream: StreamKey::County(self.code),
                    idempotency_key: message.idempotency_key.clone(),
                    recorded_at: message.now,
                    payload: Payload::County(event.clone()),
                })
                .collect(),
            updates: vec![
                StateUpdate::County(Box::new(next.clone())),
                StateUpdate::Idempotency {
                    key: scoped(self.code, &message.idempotency_key),
                    outcome: StoredReply::encode(&county_digest(&message.command), &events)?,
                },
            ],
        };
        Ok(Prepared::Commit {
            pending: Box::pin(self.store.commit(commit)),
            events,
            next,
        })
    }
}

/// The SHA-256 of a county command: what its idempotency record is bound to.
fn county_digest(command: &CountyCommand) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    // Encoding a command into memory cannot fail; an empty encoding would only make every
    // retry a mismatch, never a wrong replay.
    Sha256::digest(postcard::to_allocvec(command).unwrap_or_default()).into()
}

/// A county request's idempotency record: `v2:` + the command's digest + the events it
/// answered with (postcard). Records of builds before the digest hold the events alone
/// (they never begin `v2:`: a postcard event list starting so would name an event variant
/// that does not exist) and replay without the check.
struct StoredReply;

impl StoredReply {
    const MARK: &'static [u8] = b"v2:";

    fn encode(digest: &[u8; 32], events: &[CountyEvent]) -> Result<Vec<u8>, StorageError> {
        let mut bytes = Self::MARK.to_vec();
        bytes.extend_from_slice(digest);
        postcard::to_io(events, &mut bytes)
            .map_err(|error| StorageError::Encode(error.to_string()))?;
        Ok(bytes)
    }

    fn decode(bytes: &[u8], digest: &[u8; 32]) -> Result<Vec<CountyEvent>, ActorError> {
        let events = match bytes.strip_prefix(Self::MARK) {
            Some(rest) => {
                let (stored, events) = rest.split_at_checked(32).ok_or_else(|| {
                    StorageError::Decode("a truncated county idempotency record".into())
                })?;
                if stored != digest {
                    return Err(ActorError::IdempotencyKeyReused);
                }
                events
            }
            None => bytes,
        };
        Ok(
            postcard::from_bytes(events)
                .map_err(|error| StorageError::Decode(error.to_string()))?,
        )
    }
}

fn scoped(code: CountyCode, idempotency_key: &str) -> String {
    format!("county/{code}/{idempotency_key}")
}

impl<S: Journal + StateStore> Actor for CountyActor<S> {
    type Context = Context<Self>;
}

impl<S: Journal + StateStore> Supervised for CountyActor<S> {
    fn restarting(&mut self, _: &mut Context<Self>) {
        metrics::restarted(COUNTY);
        self.state = None;
    }
}

impl<S: Journal + StateStore> Handler<CountyExecute> for CountyActor<S> {
    type Result = AtomicResponse<Self, Result<CountyOutcome, ActorError>>;

    fn handle(&mut self, message: CountyExecute, _: &mut Context<Self>) -> Self::Result {
        let epoch = self.store.owner_epoch(Partition::Organisation);
        if epoch != self.epoch {
            // Another node may have written this county while it was not ours.
            self.state = None;
            self.epoch = epoch;
        }
        let store = Arc::clone(&self.store);
        let code = self.code;
        let needs_load = self.state.is_none();
        let key = scoped(code, &message.idempotency_key);
        let load = async move {
            // Never decide on a projection behind this node's own acknowledged writes.
            store.caught_up(Partition::Organisation).await?;
            let previous = store.idempotent_outcome(&key).await?;
            let loaded = if needs_load {
                store.county(code).await?
            } else {
                None
            };
            Ok::<_, StorageError>((previous, loaded))
        };
        AtomicResponse::new(Box::pin(
            load.into_actor(self)
                .then(move |loaded, actor, ctx| {
                    let prepared = actor.prepare(message, loaded);
                    if matches!(prepared, Err(ActorError::Internal)) {
                        ctx.stop();
                    }
                    async move {
                        match prepared? {
                            Prepared::Replayed(outcome) => Ok((outcome, None)),
                            Prepared::Commit {
                                pending,
                                events,
                                next,
                            } => {
                                pending.await?;
                                Ok((
                                    CountyOutcome {
                                        events,
                                        county: next.clone(),
                                        replayed: false,
                                    },
                                    Some(next),
                                ))
                            }
                        }
                    }
                    .into_actor(actor)
                })
                .map(|result, actor, ctx| {
                    let (outcome, durable_state) = result.inspect_err(|error| {
                        if matches!(error, ActorError::Storage(_)) {
                            ctx.stop();
                        }
                    })?;
                    if let Some(state) = durable_state {
                        if state.is_frozen() {
                            actor.frozen.insert(actor.code, ());
                        } else {
                            // A submission returned for correction opens the records again.
                            actor.frozen.remove(&actor.code);
                        }
                        actor.state = Some(state);
                    }
                    Ok(outcome)
                }),
        ))
    }
}
