//! What a shard needs to know of an exam: its record, commands and events, how to decide
//! and evolve, how a record loads and how it is stored. The gaokao ([`Gaokao`]) and the
//! adult exam ([`Adult`]) each implement it, so one shard actor is the single writer of
//! either: a registration's key belongs to one exam (the adult exam's keys are derived
//! apart), and both exams' shards write the same log partitions.

use crate::error::ActorError;
use crate::settings::Settings;
use dashmap::DashMap;
use engine::key::CandidateKey;
use engine::org::CountyCode;
use engine::time::Timestamp;
use std::future::Future;
use storage::{Payload, StateStore, StateUpdate, StorageError};

/// One exam, as its shards run it.
pub trait Exam: Sized + Unpin + 'static {
    /// Names the exam in idempotency scopes, metrics and logs (bounded).
    const NAME: &'static str;
    /// The shard's label in metrics.
    const SHARD: &'static str;
    /// One registration.
    type Record: Clone + std::fmt::Debug + PartialEq + Send + Sync + Unpin + 'static;
    /// A request to change one.
    type Command: std::fmt::Debug + Send + 'static;
    /// What happened to one.
    type Event: Clone + std::fmt::Debug + PartialEq + Send + Sync + Unpin + 'static;

    /// Decides `command` on `current`.
    fn decide(
        current: Option<&Self::Record>,
        command: &Self::Command,
        key: CandidateKey,
        now: Timestamp,
        settings: &Settings,
        frozen: &DashMap<CountyCode, ()>,
    ) -> Result<Vec<Self::Event>, ActorError>;

    /// Applies `event`.
    fn evolve(state: Option<Self::Record>, event: &Self::Event) -> Option<Self::Record>;

    /// Reads a record from the store.
    fn load<S: StateStore>(
        store: &S,
        key: CandidateKey,
    ) -> impl Future<Output = Result<Option<Self::Record>, StorageError>> + Send;

    /// An event as the log stores it.
    fn payload(event: &Self::Event) -> Payload;

    /// A record as the store keeps it.
    fn snapshot(record: &Self::Record) -> StateUpdate;

    /// What a request asks for, as a SHA-256 (hex): stored with its idempotency record, so
    /// a key only ever replays the request it was first used for.
    fn digest(command: &Self::Command) -> String;
}

/// A payment notice as its digest sees it: how we heard and when the provider says it was
/// paid are left out (a notification and an order query report the same transaction).
fn normalised(notice: &engine::candidate::PaymentNotice) -> engine::candidate::PaymentNotice {
    engine::candidate::PaymentNotice {
        source: engine::candidate::PaymentSource::Notification,
        paid_at: Timestamp(0),
        ..notice.clone()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The gaokao (普通高考).
#[derive(Debug)]
pub struct Gaokao;

impl Exam for Gaokao {
    const NAME: &'static str = "candidate";
    const SHARD: &'static str = crate::metrics::CANDIDATE_SHARD;
    type Record = engine::candidate::Candidate;
    type Command = engine::candidate::Command;
    type Event = engine::candidate::Event;

    fn decide(
        current: Option<&Self::Record>,
        command: &Self::Command,
        key: CandidateKey,
        now: Timestamp,
        settings: &Settings,
        frozen: &DashMap<CountyCode, ()>,
    ) -> Result<Vec<Self::Event>, ActorError> {
        use engine::candidate::Command;
        let county = match (current, command) {
            (Some(candidate), _) => Some(candidate.capture.point.county()),
            (None, Command::Capture(capture)) => Some(capture.point.county()),
            (None, _) => None,
        };
        let context = engine::candidate::Context {
            key,
            now,
            schedule: &settings.schedule,
            policy: &settings.policy,
            records_frozen: county.is_some_and(|county| frozen.contains_key(&county)),
        };
        Ok(engine::candidate::decide(current, command, &context)?)
    }

    fn evolve(state: Option<Self::Record>, event: &Self::Event) -> Option<Self::Record> {
        engine::candidate::evolve(state, event)
    }

    fn load<S: StateStore>(
        store: &S,
        key: CandidateKey,
    ) -> impl Future<Output = Result<Option<Self::Record>, StorageError>> + Send {
        store.candidate(key)
    }

    fn payload(event: &Self::Event) -> Payload {
        Payload::Candidate(event.clone())
    }

    fn snapshot(record: &Self::Record) -> StateUpdate {
        StateUpdate::Candidate(Box::new(record.clone()))
    }

    /// Parts that a faithful retry makes differently are left out: a payment's source and
    /// reported time (a notification and an order query, or a late copy, report the same
    /// provider transaction), and new password hashes (salted afresh on every attempt:
    /// what is asked is "set these").
    fn digest(command: &Self::Command) -> String {
        use engine::candidate::Command;
        let normalised;
        let command = match command {
            Command::RecordPayment(notice) => {
                normalised = Command::RecordPayment(self::normalised(notice));
                &normalised
            }
            Command::SetPasswords {
                login_hash,
                save_hash,
            } => {
                normalised = Command::SetPasswords {
                    login_hash: login_hash.as_ref().map(|_| String::new()),
                    save_hash: save_hash.as_ref().map(|_| String::new()),
                };
                &normalised
            }
            other => other,
        };
        // Encoding a command into memory cannot fail; an empty digest would only make every
        // retry of this request a mismatch, never a wrong replay.
        sha256_hex(&postcard::to_allocvec(command).unwrap_or_default())
    }
}

/// The adult college entrance exam (成人高考).
#[derive(Debug)]
pub struct Adult;

impl Exam for Adult {
    const NAME: &'static str = "adult";
    const SHARD: &'static str = crate::metrics::ADULT_SHARD;
    type Record = engine::adult::AdultCandidate;
    type Command = engine::adult::AdultCommand;
    type Event = engine::adult::AdultEvent;

    fn decide(
        current: Option<&Self::Record>,
        command: &Self::Command,
        key: CandidateKey,
        now: Timestamp,
        settings: &Settings,
        _frozen: &DashMap<CountyCode, ()>,
    ) -> Result<Vec<Self::Event>, ActorError> {
        let adult = &settings.adult;
        let county = current
            .and_then(|record| record.point)
            .map(|point| point.county());
        let context = engine::adult::Context {
            key,
            now,
            calendar: &adult.calendar,
            rules: &adult.rules,
            fee_fen: adult.fee_fen,
            records_frozen: county.is_some_and(|county| adult.frozen_counties.contains(&county)),
        };
        Ok(engine::adult::decide(current, command, &context)?)
    }

    fn evolve(state: Option<Self::Record>, event: &Self::Event) -> Option<Self::Record> {
        engine::adult::evolve(state, event)
    }

    fn load<S: StateStore>(
        store: &S,
        key: CandidateKey,
    ) -> impl Future<Output = Result<Option<Self::Record>, StorageError>> + Send {
        store.adult_candidate(key)
    }

    fn payload(event: &Self::Event) -> Payload {
        Payload::Adult(event.clone())
    }

    fn snapshot(record: &Self::Record) -> StateUpdate {
        StateUpdate::AdultCandidate(Box::new(record.clone()))
    }

    /// As the gaokao's: a payment's source and reported time and a new password hash are
    /// left out.
    fn digest(command: &Self::Command) -> String {
        use engine::adult::AdultCommand;
        let normalised;
        let command = match command {
            AdultCommand::ApplyPayment(notice) => {
                normalised = AdultCommand::ApplyPayment(self::normalised(notice));
                &normalised
            }
            AdultCommand::Register { username, .. } => {
                normalised = AdultCommand::Register {
                    username: username.clone(),
                    password_hash: String::new(),
                };
                &normalised
            }
            other => other,
        };
        sha256_hex(&postcard::to_allocvec(command).unwrap_or_default())
    }
}
