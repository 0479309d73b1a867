//! The payment storm (`--journey payments`): the journeys capture, log in and order — the
//! preparation — and stop; then every payment's notification is signed as its provider
//! signs it (WeChat Pay: RSA-SHA256 plus AES-256-GCM; Alipay: RSA2; UnionPay: RSA over a
//! SHA-256 digest, with its certificate), on every core, before the clock starts, so the
//! generator is not what limits the storm; then all copies (duplicates included, shuffled so
//! they cross) are sent with `in_flight` requests outstanding, timed on their own.

use crate::client::{Call, Http};
use crate::journey::{Ack, Driver, Pending, Signed};
use crate::stats::Class;
use hyper::Method;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the storm did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Storm {
    /// Payments reported.
    pub payments: u64,
    /// Copies sent (every payment's duplicates included).
    pub copies: u64,
    /// Copies acknowledged.
    pub acknowledged: u64,
    /// Seconds the generator spent signing, before the clock started.
    pub signing_seconds: f64,
    /// Seconds from the first copy sent to the last answer.
    pub wall_seconds: f64,
}

/// The storm's notifications, signed, and the order their copies go in.
pub struct Prepared {
    indices: Vec<u64>,
    signed: Vec<Item>,
    copies: Vec<usize>,
    signing_seconds: f64,
}

/// Signs the pending payments' notifications on `threads` threads (before the clock
/// starts), and shuffles their copies deterministically so that duplicates cross.
pub async fn prepare(driver: &Arc<Driver>, threads: usize) -> Prepared {
    let pending: Vec<Pending> = std::mem::take(
        &mut *driver
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let indices: Vec<u64> = pending.iter().map(|payment| payment.index).collect();
    let started = Instant::now();
    let signer = Arc::clone(driver);
    let signed: Vec<Item> =
        tokio::task::spawn_blocking(move || sign_all(&signer, &pending, threads))
            .await
            .unwrap_or_default();
    let signing_seconds = started.elapsed().as_secs_f64();
    let mut copies: Vec<usize> = Vec::new();
    for (position, item) in signed.iter().enumerate() {
        copies.extend(std::iter::repeat_n(position, item.copies as usize));
    }
    let mut dice = crate::population::Dice::new(2026, copies.len() as u64, 11);
    for at in (1..copies.len()).rev() {
        copies.swap(at, dice.below(at as u64 + 1) as usize);
    }
    Prepared {
        indices,
        signed,
        copies,
        signing_seconds,
    }
}

/// Sends every copy through `http` with `in_flight` requests outstanding; the clock runs
/// from the first send to the last answer.
pub async fn send(
    driver: &Arc<Driver>,
    http: &Http,
    prepared: Prepared,
    in_flight: usize,
) -> Storm {
    let Prepared {
        indices,
        signed,
        copies,
        signing_seconds,
    } = prepared;
    let acks = Arc::new(Mutex::new(vec![Ack::No; signed.len()]));
    let next = Arc::new(AtomicUsize::new(0));
    let (signed, copies) = (Arc::new(signed), Arc::new(copies));
    let clock = Instant::now();
    let workers: Vec<_> = (0..in_flight.max(1))
        .map(|_| {
            let (http, signed, copies, next, acks, driver) = (
                http.clone(),
                Arc::clone(&signed),
                Arc::clone(&copies),
                Arc::clone(&next),
                Arc::clone(&acks),
                Arc::clone(driver),
            );
            tokio::spawn(async move {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&position) = copies.get(at) else {
                        break;
                    };
                    let item: &Item = &signed[position];
                    let attempt = http
                        .at(
                            Instant::now(),
                            Call::new(Class::Callback, Method::POST, item.signed.path.clone())
                                .provider(item.signed.headers.clone(), item.signed.body.clone()),
                        )
                        .await;
                    let ack = Ack::of(&attempt);
                    if ack == Ack::Yes {
                        driver
                            .notifications_acknowledged
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    let mut acks = acks
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    acks[position] = acks[position].merge(ack);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let wall_seconds = clock.elapsed().as_secs_f64();
    let acks = acks
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    driver
        .ledger
        .set_payments(&indices.iter().copied().zip(acks.iter().copied()).collect());
    Storm {
        payments: signed.len() as u64,
        copies: copies.len() as u64,
        acknowledged: driver.notifications_acknowledged.load(Ordering::Relaxed),
        signing_seconds,
        wall_seconds,
    }
}

/// A pending payment, signed.
struct Item {
    signed: Signed,
    copies: u32,
}

fn sign_all(driver: &Driver, pending: &[Pending], threads: usize) -> Vec<Item> {
    let chunk = pending.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = pending
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|payment| Item {
                            signed: driver.sign(payment.provider, &payment.payment),
                            copies: payment.copies,
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    })
}
