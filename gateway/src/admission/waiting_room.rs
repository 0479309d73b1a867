//! The waiting room: a candidate turned away for capacity gets a signed ticket with a place
//! in their region's queue and an estimated wait, instead of a bare refusal. Tickets are
//! admitted in order (FIFO within a region) at the configured pace while the gateway has
//! room; a newcomer does not overtake a region's queue. Tickets are HMAC-signed and bound to
//! the region and to the session's subject, so they cannot be forged, moved to another
//! region, handed to someone else or reused after expiry. A ticket admits once: its holder
//! skips the rate limits for that one request, then queues like everyone else. A ticket
//! this node does not know (issued by another node, or before a restart) is not waved
//! through: its holder gets a place here.
//!
//! One ticket per candidate: asking again without the ticket gives back the same place, so a
//! client that hammers cannot fill the queue with ghosts ahead of real people. Memory: a few
//! counters per region plus one small entry per candidate currently waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;
use storage::keys::KeyRing;

/// One region's queue: tickets `admitted_through + 1 ..= issued` are waiting.
#[derive(Debug)]
struct Queue {
    issued: u64,
    admitted_through: u64,
    credit: f64,
    advanced_at: Instant,
    /// Who holds which ticket: subject → (sequence, issued at, already admitted once).
    holders: HashMap<String, (u64, i64, bool)>,
}

/// A ticket's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Its turn has come: admit it (once).
    Admitted,
    /// Admitted already: it grants nothing more (the request is admitted like any other).
    Spent,
    /// Still waiting.
    Waiting(Place),
    /// Forged, for another region, malformed or expired.
    Invalid,
}

/// A place in a queue, as refusals carry it (`{"queue": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
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
    keys: KeyRing,
    queues: Mutex<HashMap<u16, Queue>>,
}

impl WaitingRoom {
    /// A room signing tickets with `keys` (the `tickets` ring).
    pub fn new(keys: KeyRing) -> WaitingRoom {
        WaitingRoom {
            keys,
            queues: Mutex::new(HashMap::new()),
        }
    }

    /// What a ticket's signature covers: the region, the place and the holder together.
    fn signed(region: u16, sequence: u64, issued_at_ms: i64, subject: &str) -> Vec<u8> {
        format!("{region}.{sequence}.{issued_at_ms}.{subject}").into_bytes()
    }

    /// `key-id.signature`: a 16-byte HMAC prefix, hex.
    fn signature(&self, region: u16, sequence: u64, issued_at_ms: i64, subject: &str) -> String {
        let (id, tag) = self.keys.sign(&WaitingRoom::signed(
            region,
            sequence,
            issued_at_ms,
            subject,
        ));
        format!("{id}.{}", hex::encode(&tag[..16]))
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
            .filter(|&(sequence, issued_at, _)| {
                sequence > queue.admitted_through
                    && now_ms.saturating_sub(issued_at) <= i64::from(ttl_seconds) * 1000
            })
            .map(|(sequence, issued_at, _)| (sequence, issued_at));
        let (sequence, issued_at) = match held {
            Some(held) => held,
            None => {
                let waiting = queue.issued - queue.admitted_through;
                if queue.holders.len() as u64 > 2 * waiting + 1024 {
                    let through = queue.admitted_through;
                    queue
                        .holders
                        .retain(|_, (sequence, _, _)| *sequence > through);
                }
                queue.issued += 1;
                queue
                    .holders
                    .insert(subject.to_owned(), (queue.issued, now_ms, false));
                (queue.issued, now_ms)
            }
        };
        let position = sequence - queue.admitted_through;
        Some(Place {
            ticket: format!(
                "{region}.{sequence}.{issued_at}.{}",
                self.signature(region, sequence, issued_at, subject)
            ),
            position,
            estimated_wait_seconds: position.div_ceil(u64::from(per_second.max(1))),
        })
    }

    /// The standing of `ticket` presented by `subject`, a caller of `region`.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        ticket: &str,
        region: u16,
        subject: &str,
        per_second: u32,
        room: bool,
        now_ms: i64,
        ttl_seconds: u32,
    ) -> Standing {
        let parts: Vec<&str> = ticket.split('.').collect();
        let [ticket_region, sequence, issued_at, key_id, signature] = parts.as_slice() else {
            return Standing::Invalid;
        };
        let (Ok(ticket_region), Ok(sequence), Ok(issued_at), Ok(signature)) = (
            ticket_region.parse::<u16>(),
            sequence.parse::<u64>(),
            issued_at.parse::<i64>(),
            hex::decode(signature),
        ) else {
            return Standing::Invalid;
        };
        // Constant time, over the region, the place and the holder together.
        let genuine = signature.len() == 16
            && self.keys.verify(
                key_id,
                &WaitingRoom::signed(ticket_region, sequence, issued_at, subject),
                &signature,
            );
        let expired = now_ms.saturating_sub(issued_at) > i64::from(ttl_seconds) * 1000;
        if !genuine || ticket_region != region || expired {
            return Standing::Invalid;
        }
        if let Some(standing) =
            self.standing_here(ticket, region, subject, sequence, per_second, room)
        {
            return standing;
        }
        // Not issued here (another node, or before a restart): a place in this node's queue.
        self.issue(region, subject, per_second, now_ms, ttl_seconds)
            .map_or(Standing::Invalid, Standing::Waiting)
    }

    /// The standing of a genuine ticket this node issued; `None` if it issued no such one.
    fn standing_here(
        &self,
        ticket: &str,
        region: u16,
        subject: &str,
        sequence: u64,
        per_second: u32,
        room: bool,
    ) -> Option<Standing> {
        let mut queues = self.queues.lock().ok()?;
        let queue = queues
            .get_mut(&region)
            .filter(|queue| sequence <= queue.issued)?;
        WaitingRoom::advance(queue, per_second, room);
        if sequence > queue.admitted_through {
            let position = sequence - queue.admitted_through;
            return Some(Standing::Waiting(Place {
                ticket: ticket.to_owned(),
                position,
                estimated_wait_seconds: position.div_ceil(u64::from(per_second.max(1))),
            }));
        }
        // Its turn has come: it admits once, and only the place it names.
        Some(match queue.holders.get_mut(subject) {
            Some((held, _, used)) if *held == sequence && !*used => {
                *used = true;
                Standing::Admitted
            }
            _ => Standing::Spent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_admitted_in_order_at_the_pace() {
        let room = WaitingRoom::new(KeyRing::single("1", vec![1; 32]).expect("valid"));
        let first = room.issue(4301, "a", 1000, 0, 60).expect("issued");
        let second = room.issue(4301, "b", 1000, 0, 60).expect("issued");
        assert_eq!((first.position, second.position), (1, 2));
        // Asking again gives the same place, not a new one behind.
        assert_eq!(room.issue(4301, "b", 1000, 0, 60), Some(second.clone()));
        assert!(room.has_queue(4301, 1000, false));
        // No room: nobody moves however long they wait.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(matches!(
            room.check(&second.ticket, 4301, "b", 1000, false, 0, 60),
            Standing::Waiting(Place { position: 2, .. })
        ));
        // Room: at 1000/s both are through after a few milliseconds.
        std::thread::sleep(std::time::Duration::from_millis(5));
        room.check(&first.ticket, 4301, "a", 1000, true, 0, 60);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(
            room.check(&second.ticket, 4301, "b", 1000, true, 0, 60),
            Standing::Admitted
        );
        assert!(!room.has_queue(4301, 1000, true));
    }

    #[test]
    fn forged_moved_and_expired_tickets_are_invalid() {
        let room = WaitingRoom::new(KeyRing::single("1", vec![1; 32]).expect("valid"));
        let place = room.issue(4301, "a", 1, 1_000, 60).expect("issued");
        let forged = place.ticket.replace("4301.1.", "4301.0.");
        assert_eq!(
            room.check(&forged, 4301, "a", 1, false, 1_000, 60),
            Standing::Invalid
        );
        assert_eq!(
            room.check(&place.ticket, 4302, "a", 1, false, 1_000, 60),
            Standing::Invalid
        );
        assert_eq!(
            room.check(&place.ticket, 4301, "a", 1, false, 62_000, 60),
            Standing::Invalid
        );
        assert_eq!(
            room.check("nonsense", 4301, "a", 1, false, 1_000, 60),
            Standing::Invalid
        );
        assert!(matches!(
            room.check(&place.ticket, 4301, "a", 1, false, 1_000, 60),
            Standing::Waiting(_)
        ));
    }

    /// Security audit item 13: tickets were bound to a region only, admitted their holder
    /// for their whole life skipping rate limits, were admitted by any node that did not
    /// know them, and were compared with `==`.
    #[test]
    fn item_13_tickets_are_personal_single_use_and_unknown_ones_wait() {
        let room = WaitingRoom::new(KeyRing::single("1", vec![1; 32]).expect("valid"));
        let mine = room.issue(4301, "alice", 1000, 0, 60).expect("issued");
        // Someone else presenting it: invalid.
        assert_eq!(
            room.check(&mine.ticket, 4301, "mallory", 1000, false, 0, 60),
            Standing::Invalid
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(
            room.check(&mine.ticket, 4301, "alice", 1000, true, 0, 60),
            Standing::Admitted
        );
        // Once: the same ticket again grants nothing.
        assert_eq!(
            room.check(&mine.ticket, 4301, "alice", 1000, true, 0, 60),
            Standing::Spent
        );
        // A genuine ticket this node never issued (another node, before a restart) is not
        // waved through: its holder gets a place here.
        let elsewhere = WaitingRoom::new(KeyRing::single("1", vec![1; 32]).expect("valid"));
        for _ in 0..3 {
            elsewhere.issue(4301, "filler", 1, 0, 60);
        }
        let foreign = elsewhere.issue(4301, "bob", 1, 0, 60).expect("issued");
        let fresh = WaitingRoom::new(KeyRing::single("1", vec![1; 32]).expect("valid"));
        assert!(matches!(
            fresh.check(&foreign.ticket, 4301, "bob", 1, false, 0, 60),
            Standing::Waiting(Place { position: 1, .. })
        ));
    }
}
