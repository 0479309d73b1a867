//! `Shard`: the single writer of every registration of one exam whose key hashes to its
//! shard — `CandidateShard` for the gaokao, `AdultShard` for the adult exam (the exam is a
//! type parameter, [`crate::exam::Exam`]).
//!
//! One message, one request: [`ExecuteFor`] carries a command for one registration. The
//! shard loads the record if it is not resident, looks the idempotency key up, runs the
//! exam's `decide`, evolves its in-memory record, and hands the commit to the
//! journal. It does **not** wait for durability before taking the next message — commits are
//! pipelined, which is what lets group commit gather many writers into one fsync. What it
//! returns is a [`Ticket`]: the caller awaits it, and it resolves only when the commit is
//! durable. Nothing is acknowledged earlier.
//!
//! Memory: records with commits in flight are *dirty* and pinned (the store does not have
//! them yet, so they must not be evicted and reloaded stale); everything else is in a
//! bounded LRU of *clean* records. Resident memory is bounded by the LRU capacity plus the
//! in-flight window, never by the population.
//!
//! Mailbox: capacity [`crate::ShardConfig::mailbox_capacity`] (default 1024), enforced by
//! the router before sending, so a saturated shard yields [`ActorError::Overloaded`] at once
//! instead of an unbounded queue.
//!
//! Failure isolation: `decide` runs under `catch_unwind`. A panic stops this actor only; its
//! supervisor restarts it, the clean cache is dropped and records reload from storage, and
//! other shards never notice. A storage failure does the same (the committer is fail-stop).

use crate::error::ActorError;
use crate::exam::{Adult, Exam, Gaokao};
use crate::metrics;
use crate::settings::SharedSettings;
use actix::prelude::*;
use dashmap::DashMap;
use engine::key::CandidateKey;
use engine::org::CountyCode;
use engine::time::Timestamp;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use storage::{
    Commit, Journal, LogRecord, Partition, StateStore, StateUpdate, StorageError, StreamKey,
};

/// What a command did, once durable.
pub struct ShardOutcome<E: Exam> {
    /// The events recorded (empty for a repeated request or a no-op such as a duplicate
    /// payment notification).
    pub events: Vec<E::Event>,
    /// The record after the command.
    pub candidate: Option<E::Record>,
    /// Whether this was a retry of an already-applied request (same idempotency key).
    pub replayed: bool,
}

// By hand: derived impls would ask the exam's marker type itself to be `Clone`.
impl<E: Exam> Clone for ShardOutcome<E> {
    fn clone(&self) -> Self {
        ShardOutcome {
            events: self.events.clone(),
            candidate: self.candidate.clone(),
            replayed: self.replayed,
        }
    }
}

impl<E: Exam> PartialEq for ShardOutcome<E> {
    fn eq(&self, other: &Self) -> bool {
        self.events == other.events
            && self.candidate == other.candidate
            && self.replayed == other.replayed
    }
}

impl<E: Exam> std::fmt::Debug for ShardOutcome<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardOutcome")
            .field("events", &self.events)
            .field("candidate", &self.candidate)
            .field("replayed", &self.replayed)
            .finish()
    }
}

/// A gaokao command's outcome.
pub type Outcome = ShardOutcome<Gaokao>;
/// An adult-exam command's outcome.
pub type AdultOutcome = ShardOutcome<Adult>;

/// Resolves when the command's outcome is durable (or has failed).
pub type TicketFor<E> = BoxFuture<'static, Result<ShardOutcome<E>, ActorError>>;
/// A gaokao command's ticket.
pub type Ticket = TicketFor<Gaokao>;

type SharedTicket<E> = Shared<TicketFor<E>>;

/// What the mailbox-blocking load found: the stored reply for the idempotency key, and
/// (only when the record was not resident) the record from storage.
type Loaded<R> = (Option<Vec<u8>>, Option<Option<R>>);

/// Run one command for one registration of exam `E`.
#[derive(Debug)]
pub struct ExecuteFor<E: Exam> {
    /// The registration.
    pub key: CandidateKey,
    /// The command.
    pub command: E::Command,
    /// The request's idempotency key (unique per candidate per intended change).
    pub idempotency_key: String,
    /// The instant of the decision.
    pub now: Timestamp,
    /// Further state to store atomically with the events (e.g. the captured photo).
    pub attachments: Vec<StateUpdate>,
}

/// A gaokao command.
pub type Execute = ExecuteFor<Gaokao>;
/// An adult-exam command.
pub type AdultExecute = ExecuteFor<Adult>;

impl<E: Exam> Message for ExecuteFor<E> {
    type Result = TicketFor<E>;
}

/// Sent by a ticket to its shard when its commit has resolved.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct CommitDone {
    key: CandidateKey,
    epoch: Option<u64>,
    scoped_idempotency_key: String,
    durable: bool,
}

/// Makes the next decision panic, to test failure isolation. Only in builds with the
/// `test-hooks` feature (the actors' own tests); never in the binary.
#[cfg(feature = "test-hooks")]
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct InjectPanic;

/// The actor: the single writer of exam `E`'s registrations in one shard.
pub struct Shard<S: Journal + StateStore, E: Exam> {
    shard: u32,
    store: Arc<S>,
    settings: SharedSettings,
    frozen: Arc<DashMap<CountyCode, ()>>,
    clean: LruCache<CandidateKey, E::Record>,
    dirty: HashMap<CandidateKey, (E::Record, usize)>,
    /// Requests being made durable, by scoped idempotency key, with their intent digest.
    in_flight: HashMap<String, (String, SharedTicket<E>)>,
    depth: Arc<AtomicUsize>,
    mailbox_capacity: usize,
    #[cfg(feature = "test-hooks")]
    panic_next: bool,
    /// The ownership epoch the clean cache belongs to (see `Journal::owner_epoch`).
    epoch: Option<u64>,
}

/// The gaokao's shard.
pub type CandidateShard<S> = Shard<S, Gaokao>;
/// The adult exam's shard.
pub type AdultShard<S> = Shard<S, Adult>;

impl<S: Journal + StateStore, E: Exam> Shard<S, E> {
    /// A shard with an empty cache of `cache_capacity` clean records.
    pub fn new(
        shard: u32,
        store: Arc<S>,
        settings: SharedSettings,
        frozen: Arc<DashMap<CountyCode, ()>>,
        cache_capacity: usize,
        mailbox_capacity: usize,
        depth: Arc<AtomicUsize>,
    ) -> Self {
        Shard {
            shard,
            store,
            settings,
            frozen,
            clean: LruCache::new(
                NonZeroUsize::new(cache_capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            ),
            dirty: HashMap::new(),
            in_flight: HashMap::new(),
            depth,
            mailbox_capacity,
            #[cfg(feature = "test-hooks")]
            panic_next: false,
            epoch: Some(0),
        }
    }

    fn resident(&mut self, key: &CandidateKey) -> Option<E::Record> {
        match self.dirty.get(key) {
            Some((candidate, _)) => Some(candidate.clone()),
            None => self.clean.get(key).cloned(),
        }
    }

    /// Everything after the (possibly asynchronous) load: decide, evolve, submit.
    fn decide_and_submit(
        &mut self,
        message: ExecuteFor<E>,
        scoped_idempotency_key: String,
        digest: String,
        loaded: Result<Loaded<E::Record>, StorageError>,
        ctx: &mut Context<Self>,
    ) -> TicketFor<E> {
        let (previous_reply, loaded) = match loaded {
            Ok(found) => found,
            Err(error) => return ready(Err(error.into())),
        };
        metrics::cache_lookup(loaded.is_none());
        if let Some(Some(candidate)) = loaded {
            self.clean.put(message.key, candidate);
        }
        let current = self.resident(&message.key);
        if let Some(previous) = previous_reply {
            if !previous.starts_with(digest.as_bytes()) {
                return ready(Err(ActorError::IdempotencyKeyReused));
            }
            return ready(Ok(ShardOutcome {
                events: Vec::new(),
                candidate: current,
                replayed: true,
            }));
        }
        let settings = self.settings.current();
        let started = Instant::now();
        #[cfg(feature = "test-hooks")]
        let panic_next = std::mem::take(&mut self.panic_next);
        let decided = catch_unwind(AssertUnwindSafe(|| {
            #[cfg(feature = "test-hooks")]
            assert!(!panic_next, "injected panic in candidate shard");
            E::decide(
                current.as_ref(),
                &message.command,
                message.key,
                message.now,
                &settings,
                &self.frozen,
            )
        }));
        metrics::processed(E::SHARD, started.elapsed().as_secs_f64());
        let events = match decided {
            Err(_) => {
                ctx.stop();
                return ready(Err(ActorError::Internal));
            }
            Ok(Err(refused)) => return ready(Err(refused)),
            Ok(Ok(events)) => events,
        };
        if events.is_empty() {
            return ready(Ok(ShardOutcome {
                events,
                candidate: current,
                replayed: false,
            }));
        }
        let Some(next) = events.iter().fold(current, E::evolve) else {
            return ready(Err(ActorError::Internal));
        };
        let commit = Commit {
            partition: Partition::Candidates(self.shard),
            records: events
                .iter()
                .map(|event| LogRecord {
                    stream: StreamKey::Candidate(message.key),
                    idempotency_key: message.idempotency_key.clone(),
                    recorded_at: message.now,
                    payload: E::payload(event),
                })
                .collect(),
            updates: message
                .attachments
                .into_iter()
                .chain([
                    E::snapshot(&next),
                    // Only what a replay reads: the request's digest (a replay answers with
                    // the record as it is now; another request under the key is refused).
                    StateUpdate::Idempotency {
                        key: scoped_idempotency_key.clone(),
                        outcome: digest.clone().into_bytes(),
                    },
                ])
                .collect(),
        };
        let pending = self.store.commit(commit);
        self.clean.pop(&message.key);
        let entry = self
            .dirty
            .entry(message.key)
            .or_insert_with(|| (next.clone(), 0));
        entry.0 = next.clone();
        entry.1 += 1;
        let shard = ctx.address();
        let key = message.key;
        let epoch = self.epoch;
        let done_key = scoped_idempotency_key.clone();
        let outcome = ShardOutcome {
            events,
            candidate: Some(next),
            replayed: false,
        };
        let ticket: TicketFor<E> = Box::pin(async move {
            let result = pending.await;
            shard.do_send(CommitDone {
                key,
                epoch,
                scoped_idempotency_key: done_key,
                durable: result.is_ok(),
            });
            result.map(|_| outcome).map_err(ActorError::from)
        });
        let shared = ticket.shared();
        // Driven on the arbiter, not by the caller: a caller that goes away must not leave
        // the record pinned as dirty forever.
        actix::spawn(shared.clone().map(|_| ()));
        self.in_flight
            .insert(scoped_idempotency_key, (digest, shared.clone()));
        Box::pin(shared)
    }
}

/// What a request asks for, as a SHA-256 (hex) of the command: stored with the idempotency
/// record, so a key can only ever replay the request it was first used for. Parts that a
/// faithful retry makes differently are left out: a payment's source and reported time (a
/// notification and an order query, or a late copy, report the same provider transaction),
/// and new password hashes (salted afresh on every attempt: what is asked is "set these").
pub fn intent_digest(command: &engine::candidate::Command) -> String {
    Gaokao::digest(command)
}

fn ready<E: Exam>(result: Result<ShardOutcome<E>, ActorError>) -> TicketFor<E> {
    Box::pin(futures::future::ready(result))
}

/// A gaokao idempotency key as stored: scoped by candidate so keys from different
/// candidates never collide.
pub fn scoped_idempotency_key(key: CandidateKey, idempotency_key: &str) -> String {
    scoped_idempotency_key_for::<Gaokao>(key, idempotency_key)
}

/// An idempotency key of exam `E` as stored: scoped by exam and registration.
pub fn scoped_idempotency_key_for<E: Exam>(key: CandidateKey, idempotency_key: &str) -> String {
    format!("{}/{key}/{idempotency_key}", E::NAME)
}

impl<S: Journal + StateStore, E: Exam> Actor for Shard<S, E> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The router enforces the real limit; actix's own must never make `send` wait.
        ctx.set_mailbox_capacity(self.mailbox_capacity + 1);
    }
}

impl<S: Journal + StateStore, E: Exam> Supervised for Shard<S, E> {
    /// Clean records are dropped and will reload from storage; dirty ones stay, because
    /// their commits are already queued and the store does not have them yet.
    fn restarting(&mut self, _: &mut Context<Self>) {
        metrics::restarted(E::SHARD);
        self.clean.clear();
    }
}

impl<S: Journal + StateStore, E: Exam> Handler<ExecuteFor<E>> for Shard<S, E> {
    type Result = AtomicResponse<Self, TicketFor<E>>;

    fn handle(&mut self, message: ExecuteFor<E>, _: &mut Context<Self>) -> Self::Result {
        self.depth.fetch_sub(1, Ordering::Relaxed);
        metrics::mailbox_changed(E::SHARD, -1.0);
        let epoch = self.store.owner_epoch(Partition::Candidates(self.shard));
        if epoch != self.epoch {
            // The shard changed hands since these records were cached: another node may
            // have written them. Reload from the projection (rebuilt before we got it back).
            self.clean.clear();
            self.epoch = epoch;
        }
        let scoped = scoped_idempotency_key_for::<E>(message.key, &message.idempotency_key);
        let digest = E::digest(&message.command);
        if let Some((in_flight_digest, in_flight)) = self.in_flight.get(&scoped) {
            if *in_flight_digest != digest {
                let refused: TicketFor<E> = ready(Err(ActorError::IdempotencyKeyReused));
                return AtomicResponse::new(Box::pin(actix::fut::ready(refused)));
            }
            // The same request is being made durable right now: answer when it is.
            let in_flight = in_flight.clone();
            let ticket: TicketFor<E> = Box::pin(async move {
                in_flight.await.map(|outcome| ShardOutcome {
                    events: Vec::new(),
                    replayed: true,
                    ..outcome
                })
            });
            return AtomicResponse::new(Box::pin(actix::fut::ready(ticket)));
        }
        let resident = self.dirty.contains_key(&message.key) || self.clean.contains(&message.key);
        let store = Arc::clone(&self.store);
        let key = message.key;
        let lookup = scoped.clone();
        // The only waits inside the mailbox: the idempotency lookup and, on a cache miss,
        // the record's load. Both are local reads on the embedded store.
        let partition = Partition::Candidates(self.shard);
        let load = async move {
            // Never decide on a projection behind this node's own acknowledged writes.
            store.caught_up(partition).await?;
            let previous = store.idempotent_outcome(&lookup).await?;
            let loaded = if resident {
                None
            } else {
                Some(E::load(&*store, key).await?)
            };
            Ok((previous, loaded))
        };
        AtomicResponse::new(Box::pin(load.into_actor(self).map(
            move |loaded, actor, ctx| actor.decide_and_submit(message, scoped, digest, loaded, ctx),
        )))
    }
}

impl<S: Journal + StateStore, E: Exam> Handler<CommitDone> for Shard<S, E> {
    type Result = ();

    fn handle(&mut self, done: CommitDone, ctx: &mut Context<Self>) {
        self.in_flight.remove(&done.scoped_idempotency_key);
        if let Some((_, pending)) = self.dirty.get_mut(&done.key) {
            *pending -= 1;
            if *pending == 0
                && let Some((candidate, _)) = self.dirty.remove(&done.key)
                && done.durable
                && done.epoch == self.epoch
            {
                self.clean.put(done.key, candidate);
            }
        }
        if !done.durable {
            // Memory is ahead of the store now; restart and reload from what is durable.
            self.dirty.clear();
            ctx.stop();
        }
    }
}

#[cfg(feature = "test-hooks")]
impl<S: Journal + StateStore, E: Exam> Handler<InjectPanic> for Shard<S, E> {
    type Result = ();

    fn handle(&mut self, _: InjectPanic, _: &mut Context<Self>) {
        self.panic_next = true;
    }
}
