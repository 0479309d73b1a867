//! The overload guard: at most `limit` candidate requests in flight; the rest wait (FIFO) up
//! to a queue-time budget and are then shed. Shedding by queue time keeps the admitted
//! requests' latency bounded (budget + service time) however much is offered, and a bounded
//! number in flight keeps goodput near capacity instead of collapsing under contention.
//!
//! The limit adapts (AIMD): every window, if the mean service time of admitted requests
//! exceeded the target, the limit drops by a tenth; if requests had to wait and service
//! stayed fast, it grows by one. Between `min` and `max` in the settings.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How often the limit is reconsidered.
const WINDOW: Duration = Duration::from_millis(500);

/// The guard's bounds, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Never below.
    pub min: u32,
    /// Never above.
    pub max: u32,
    /// Mean service time above which the limit drops; `None`: fixed at `max`.
    pub target: Option<Duration>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    served: u32,
    total: Duration,
    waited: bool,
}

/// The guard.
#[derive(Debug)]
pub struct Guard {
    in_flight: AtomicU32,
    limit: AtomicU32,
    bounds: Mutex<Bounds>,
    released: Notify,
    window: Mutex<Window>,
}

/// A place in flight; released (and the next waiter woken) when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    guard: &'a Guard,
    admitted_at: Instant,
}

impl Guard {
    /// A guard starting at `bounds.max`.
    pub fn new(bounds: Bounds) -> Guard {
        Guard {
            in_flight: AtomicU32::new(0),
            limit: AtomicU32::new(bounds.max),
            bounds: Mutex::new(bounds),
            released: Notify::new(),
            window: Mutex::new(Window {
                started: Instant::now(),
                served: 0,
                total: Duration::ZERO,
                waited: false,
            }),
        }
    }

    /// New bounds from changed settings; the limit is clamped into them at once.
    pub fn set_bounds(&self, bounds: Bounds) {
        if let Ok(mut current) = self.bounds.lock() {
            *current = bounds;
        }
        let limit = match bounds.target {
            None => bounds.max,
            Some(_) => self
                .limit
                .load(Ordering::Relaxed)
                .clamp(bounds.min, bounds.max),
        };
        self.limit.store(limit, Ordering::Relaxed);
        self.released.notify_waiters();
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The current limit.
    pub fn limit(&self) -> u32 {
        self.limit.load(Ordering::Relaxed)
    }

    /// In flight as a percentage of the limit.
    pub fn utilisation_percent(&self) -> u32 {
        self.in_flight() * 100 / self.limit().max(1)
    }

    fn try_acquire(&self) -> bool {
        let limit = self.limit();
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                (current < limit).then_some(current + 1)
            })
            .is_ok()
    }

    /// A place in flight, waiting at most `budget`; `None` when the budget ran out.
    pub async fn acquire(&self, budget: Duration) -> Option<Permit<'_>> {
        let deadline = tokio::time::Instant::now() + budget;
        let mut waited = false;
        loop {
            // Register for a wake-up before looking, so a release in between is not missed.
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            if self.try_acquire() {
                if waited {
                    self.note_wait();
                }
                return Some(Permit {
                    guard: self,
                    admitted_at: Instant::now(),
                });
            }
            waited = true;
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                self.note_wait();
                return None;
            }
        }
    }

    fn note_wait(&self) {
        if let Ok(mut window) = self.window.lock() {
            window.waited = true;
        }
    }

    fn release(&self, service: Duration) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.released.notify_one();
        let Ok(mut window) = self.window.lock() else {
            return;
        };
        window.served += 1;
        window.total += service;
        if window.started.elapsed() < WINDOW {
            return;
        }
        let bounds = self.bounds.lock().map(|bounds| *bounds).ok();
        if let Some(Bounds {
            min,
            max,
            target: Some(target),
        }) = bounds
        {
            let mean = window.total / window.served.max(1);
            let limit = self.limit();
            let next = if mean > target {
                (limit - limit / 10).max(min)
            } else if window.waited {
                (limit + 1).min(max)
            } else {
                limit
            };
            self.limit.store(next, Ordering::Relaxed);
            if next > limit {
                self.released.notify_one();
            }
        }
        *window = Window {
            started: Instant::now(),
            served: 0,
            total: Duration::ZERO,
            waited: false,
        };
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.guard.release(self.admitted_at.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(max: u32) -> Bounds {
        Bounds {
            min: 1,
            max,
            target: None,
        }
    }

    #[actix_web::test]
    async fn admits_up_to_the_limit_then_sheds_after_the_budget() {
        let guard = Guard::new(fixed(2));
        let first = guard.acquire(Duration::ZERO).await.expect("first");
        let _second = guard.acquire(Duration::ZERO).await.expect("second");
        assert_eq!(guard.in_flight(), 2);
        assert!(guard.acquire(Duration::from_millis(20)).await.is_none());
        drop(first);
        assert!(guard.acquire(Duration::ZERO).await.is_some());
    }

    #[actix_web::test]
    async fn a_waiter_is_admitted_when_a_place_frees() {
        let guard = std::sync::Arc::new(Guard::new(fixed(1)));
        let held = guard.acquire(Duration::ZERO).await.expect("held");
        let waiter = {
            let guard = std::sync::Arc::clone(&guard);
            actix_web::rt::spawn(
                async move { guard.acquire(Duration::from_secs(5)).await.is_some() },
            )
        };
        tokio::task::yield_now().await;
        drop(held);
        assert!(waiter.await.expect("joins"));
    }

    #[test]
    fn slow_service_lowers_the_limit_and_fast_waiting_raises_it() {
        let guard = Guard::new(Bounds {
            min: 2,
            max: 20,
            target: Some(Duration::from_millis(10)),
        });
        // A window of slow service.
        if let Ok(mut window) = guard.window.lock() {
            window.started -= WINDOW;
        }
        guard.in_flight.store(1, Ordering::Relaxed);
        guard.release(Duration::from_millis(50));
        assert_eq!(guard.limit(), 18);
        // A window of fast service in which requests waited.
        if let Ok(mut window) = guard.window.lock() {
            window.started -= WINDOW;
            window.waited = true;
        }
        guard.in_flight.store(1, Ordering::Relaxed);
        guard.release(Duration::from_millis(1));
        assert_eq!(guard.limit(), 19);
        guard.set_bounds(Bounds {
            min: 2,
            max: 5,
            target: Some(Duration::from_millis(10)),
        });
        assert_eq!(guard.limit(), 5);
    }
}
