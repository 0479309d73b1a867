//! Fixtures shared by the storage tests: candidates at a chosen point and status.

#![allow(dead_code, missing_docs)]

use engine::candidate::{Candidate, Event};
use engine::time::Timestamp;
use storage::{Commit, LogRecord, Partition, Payload, StateUpdate, StreamKey};
#[allow(unused_imports)]
pub use tests::fixtures::{candidate, form, id_number, point};

/// A commit that records one first-login event for `candidate` and upserts its snapshot,
/// remembering `idempotency_key`.
pub fn commit_for(candidate: &Candidate, shard: u32, idempotency_key: &str) -> Commit {
    Commit {
        partition: Partition::Candidates(shard),
        records: vec![LogRecord {
            stream: StreamKey::Candidate(candidate.key),
            idempotency_key: idempotency_key.into(),
            recorded_at: Timestamp(1),
            payload: Payload::Candidate(Event::FirstLoginVerified { at: Timestamp(1) }),
        }],
        updates: vec![
            StateUpdate::Candidate(Box::new(candidate.clone())),
            StateUpdate::Idempotency {
                key: idempotency_key.into(),
                outcome: idempotency_key.as_bytes().to_vec(),
            },
        ],
    }
}

/// Runs a future to completion on the current thread (the embedded store's reads are ready
/// immediately, so no runtime is needed).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    let waker = Waker::from(std::sync::Arc::new(Noop));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}
