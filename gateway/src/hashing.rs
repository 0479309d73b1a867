//! Password hashing on its own bounded pool.
//!
//! Argon2id at OWASP's parameters (m=19 MiB, t=2, p=1) costs tens of milliseconds of CPU per
//! hash, on purpose. If hashing ran on the HTTP workers, a login surge would stall payment
//! notifications and form saves. So it runs on `threads` dedicated threads behind a queue of
//! `queue_capacity`; when the queue is full, callers get an immediate "busy" (503) instead of
//! waiting behind thousands of hashes. Parameters are never lowered to go faster.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

enum Job {
    Hash {
        password: String,
        reply: oneshot::Sender<Option<String>>,
    },
    Verify {
        password: String,
        hash: String,
        reply: oneshot::Sender<bool>,
    },
}

/// Why a hashing request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashingError {
    /// The pool's queue is full.
    #[error("password checks are saturated; retry shortly")]
    Busy,
    /// The pool has stopped.
    #[error("password hashing is unavailable")]
    Stopped,
}

/// The pool.
#[derive(Clone)]
pub struct Hasher {
    queue: SyncSender<Job>,
}

fn argon2() -> Argon2<'static> {
    // Argon2::default() is argon2id v19 with m=19456 KiB, t=2, p=1: OWASP's recommendation.
    Argon2::default()
}

/// Hashes on the current thread (for seeding, before the pool matters).
pub fn hash_now(password: &str) -> Option<String> {
    let mut salt_bytes = [0u8; 16];
    getrandom::fill(&mut salt_bytes).ok()?;
    let salt = SaltString::encode_b64(&salt_bytes).ok()?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .ok()
        .map(|hash| hash.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

impl Hasher {
    /// Starts `threads` hashing threads with a queue of `queue_capacity`.
    pub fn start(threads: usize, queue_capacity: usize) -> Hasher {
        let (queue, jobs) = sync_channel::<Job>(queue_capacity);
        let jobs = Arc::new(Mutex::new(jobs));
        for index in 0..threads.max(1) {
            let jobs = Arc::clone(&jobs);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    loop {
                        let job = match jobs.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(Job::Hash { password, reply }) => {
                                let _ = reply.send(hash_now(&password));
                            }
                            Ok(Job::Verify {
                                password,
                                hash,
                                reply,
                            }) => {
                                let _ = reply.send(verify_now(&password, &hash));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if spawned.is_err() {
                break;
            }
        }
        Hasher { queue }
    }

    fn submit(&self, job: Job) -> Result<(), HashingError> {
        self.queue.try_send(job).map_err(|error| match error {
            TrySendError::Full(_) => HashingError::Busy,
            TrySendError::Disconnected(_) => HashingError::Stopped,
        })
    }

    /// Hashes a new password (PHC string).
    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash { password, reply })?;
        answer.await.ok().flatten().ok_or(HashingError::Stopped)
    }

    /// Spends what a real check costs and answers `false`: for a login naming no account (or
    /// a candidate without passwords), so that timing does not tell who exists.
    pub async fn verify_nobody(&self, password: String) -> Result<bool, HashingError> {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = DUMMY
            .get_or_init(|| hash_now("no account has this password").unwrap_or_default())
            .clone();
        self.verify(password, hash).await.map(|_| false)
    }

    /// Checks a password against a PHC hash.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashingError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password,
            hash,
            reply,
        })?;
        answer.await.map_err(|_| HashingError::Stopped)
    }
}
