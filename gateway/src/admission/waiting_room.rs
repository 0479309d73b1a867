//! The waiting room: a candidate turned away for capacity gets a signed ticket with a place
//! in their region's queue and an estimated wait, instead of a bare refusal. Tickets are
//! admitted in order (FIFO within a region) at the configured pace while the gateway has
//! room; a newcomer does not overtake a region's queue. Tickets are HMAC-signed and bound to
//! the region, so they cannot be forged, moved to another region or reused after expiry.
//!
//! One ticket per candidate: asking again without the ticket gives back the same place, so a
//! client that hammers cannot fill the queue with ghosts ahead of real people. Memory: a few
//! counters per region plus one small entry per candidate currently waiting.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// One region's queue: tickets `admitted_through + 1 ..= issued` are waiting.
#[derive(Debug)]
struct Queue {
    issued: u64,
    admitted_through: u64,
    credit: f64,
    advanced_at: Instant,
    /// Who holds which ticket: subject → (sequence, issued at).
    holders: HashMap<String, (u64, i64)>,
}

/// A ticket's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Its turn has come: admit it.
    Admitted,
    /// Still waiting.
    Waiting(Place),
    /// Forged, for another region, malformed or expired.
    Invalid,
}

/// A place in a queue, as refusals carry it (`{"queue": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    /// The ticket.
    pub ticket: String,
    /// Tickets ahead of it, plus one.
    pub position: u64,
    /// At the current pace.
    pub estimated_wait_seconds: u64,
}

/// The waiting room.
#[derive(Debug)]
pub struct WaitingRoom {
    key: Vec<u8>,
    queues: Mutex<HashMap<u16, Queue>>,
}

impl WaitingRoom {
    /// A room signing tickets with `key`.
    pub fn new(key: Vec<u8>) -> WaitingRoom {
        WaitingRoom {
            key,
            queues: Mutex::new(HashMap::new()),
        }
    }

    fn signature(&self, region: u16, sequence: u64, issued_at_ms: i64) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{region}.{sequence}.{issued_at_ms}").as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Moves `queue` forward by the pace since it was last looked at, if there is room.
    fn advance(queue: &mut Queue, per_second: u32, room: bool) {
        let elapsed = queue.advanced_at.elapsed().as_secs_f64();
        queue.advanced_at = Instant::now();
        if !room || queue.admitted_through >= queue.issued {
            // No banking: an idle or full period does not let a crowd in at once later.
            queue.credit = 0.0;
            return;
        }
        queue.credit += elapsed * f64::from(per_second);
        let whole = queue.credit.floor();
        queue.credit -= whole;
        queue.admitted_through = (queue.admitted_through + whole as u64).min(queue.issued);
    }

    /// Whether `region` has anyone waiting (then newcomers queue behind them).
    pub fn has_queue(&self, region: u16, per_second: u32, room: bool) -> bool {
        let Ok(mut queues) = self.queues.lock() else {
            return false;
        };
        queues.get_mut(&region).is_some_and(|queue| {
            WaitingRoom::advance(queue, per_second, room);
            queue.issued > queue.admitted_through
        })
    }

    /// Tickets waiting in `region`.
    pub fn waiting(&self, region: u16) -> u64 {
        self.queues
            .lock()
            .ok()
            .and_then(|queues| {
                queues
                    .get(&region)
                    .map(|queue| queue.issued - queue.admitted_through)
            })
            .unwrap_or(0)
    }

    /// The place of `subject` in `region`'s queue: the ticket it already holds, or the next.
    pub fn issue(
        &self,
        region: u16,
        subject: &str,
        per_second: u32,
        now_ms: i64,
        ttl_seconds: u32,
    ) -> Option<Place> {
        let mut queues = self.queues.lock().ok()?;
        let queue = queues.entry(region).or_insert_with(|| Queue {
            issued: 0,
            admitted_through: 0,
            credit: 0.0,
            advanced_at: Instant::now(),
            holders: HashMap::new(),
        });
        let held = queue
            .holders
            .get(subject)
            .copied()
            .filter(|&(sequence, issued_at)| {
                sequence > queue.admitted_through
                    && now_ms.saturating_sub(issued_at) <= i64::from(ttl_seconds) * 1000
            });
        let (sequence, issued_at) = match held {
            Some(held) => held,
            None => {
                let waiting = queue.issued - queue.admitted_through;
                if queue.holders.len() as u64 > 2 * waiting + 1024 {
                    let through = queue.admitted_through;
                    queue.holders.retain(|_, (sequence, _)| *sequence > through);
                }
                queue.issued += 1;
                queue
                    .holders
                    .insert(subject.to_owned(), (queue.issued, now_ms));
                (queue.issued, now_ms)
            }
        };
        let position = sequence - queue.admitted_through;
        Some(Place {
            ticket: format!(
                "{region}.{sequence}.{issued_at}.{}",
                self.signature(region, sequence, issued_at)
            ),
            position,
            estimated_wait_seconds: position.div_ceil(u64::from(per_second.max(1))),
        })
    }

    /// The standing of `ticket` for a caller of `region`.
    pub fn check(
        &self,
        ticket: &str,
        region: u16,
        per_second: u32,
        room: bool,
        now_ms: i64,
        ttl_seconds: u32,
    ) -> Standing {
        let parts: Vec<&str> = ticket.split('.').collect();
        let [ticket_region, sequence, issued_at, signature] = parts.as_slice() else {
            return Standing::Invalid;
        };
        let (Ok(ticket_region), Ok(sequence), Ok(issued_at)) = (
            ticket_region.parse::<u16>(),
            sequence.parse::<u64>(),
            issued_at.parse::<i64>(),
        ) else {
            return Standing::Invalid;
        };
        let expired = now_ms.saturating_sub(issued_at) > i64::from(ttl_seconds) * 1000;
        let genuine = *signature == self.signature(ticket_region, sequence, issued_at);
        if !genuine || ticket_region != region || expired {
            return Standing::Invalid;
        }
        let Ok(mut queues) = self.queues.lock() else {
            return Standing::Invalid;
        };
        let Some(queue) = queues.get_mut(&region) else {
            // Issued before a restart: the queue is gone, so let the holder through.
            return Standing::Admitted;
        };
        WaitingRoom::advance(queue, per_second, room);
        if sequence <= queue.admitted_through || sequence > queue.issued {
            // Beyond `issued`: from before a restart; the holder has waited already.
            return Standing::Admitted;
        }
        let position = sequence - queue.admitted_through;
        Standing::Waiting(Place {
            ticket: ticket.to_owned(),
            position,
            estimated_wait_seconds: position.div_ceil(u64::from(per_second.max(1))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_admitted_in_order_at_the_pace() {
        let room = WaitingRoom::new(b"key".to_vec());
        let first = room.issue(4301, "a", 1000, 0, 60).expect("issued");
        let second = room.issue(4301, "b", 1000, 0, 60).expect("issued");
        assert_eq!((first.position, second.position), (1, 2));
        // Asking again gives the same place, not a new one behind.
        assert_eq!(room.issue(4301, "b", 1000, 0, 60), Some(second.clone()));
        assert!(room.has_queue(4301, 1000, false));
        // No room: nobody moves however long they wait.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(matches!(
            room.check(&second.ticket, 4301, 1000, false, 0, 60),
            Standing::Waiting(Place { position: 2, .. })
        ));
        // Room: at 1000/s both are through after a few milliseconds.
        std::thread::sleep(std::time::Duration::from_millis(5));
        room.check(&first.ticket, 4301, 1000, true, 0, 60);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(
            room.check(&second.ticket, 4301, 1000, true, 0, 60),
            Standing::Admitted
        );
        assert!(!room.has_queue(4301, 1000, true));
    }

    #[test]
    fn forged_moved_and_expired_tickets_are_invalid() {
        let room = WaitingRoom::new(b"key".to_vec());
        let place = room.issue(4301, "a", 1, 1_000, 60).expect("issued");
        let forged = place.ticket.replace("4301.1.", "4301.0.");
        assert_eq!(
            room.check(&forged, 4301, 1, false, 1_000, 60),
            Standing::Invalid
        );
        assert_eq!(
            room.check(&place.ticket, 4302, 1, false, 1_000, 60),
            Standing::Invalid
        );
        assert_eq!(
            room.check(&place.ticket, 4301, 1, false, 62_000, 60),
            Standing::Invalid
        );
        assert_eq!(
            room.check("nonsense", 4301, 1, false, 1_000, 60),
            Standing::Invalid
        );
        assert!(matches!(
            room.check(&place.ticket, 4301, 1, false, 1_000, 60),
            Standing::Waiting(_)
        ));
    }
}
