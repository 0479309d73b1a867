//! Failed logins back off exponentially per account *and* client address, instead of an
//! account being locked for everyone: a few free failures, then each further failure from
//! that address doubles the wait before the next attempt (up to a cap); a success clears
//! it. Someone guessing from one address slows down quickly, while the account's owner,
//! logging in from their own phone, is not locked out by them. The per-account and
//! per-address rate limits stay as the backstop against guessing from many addresses.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed before any wait.
pub const FREE_FAILURES: u32 = 3;
/// The longest wait, in seconds.
pub const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// Most (account, address) pairs remembered; past it, the oldest half is forgotten (a
/// forgotten pair only loses its back-off, never anybody's access).
pub const MAX_PAIRS: usize = 200_000;

/// The (account, address) key: a digest, fixed in size whatever the client sends.
pub type PairKey = [u8; 16];

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    /// No attempt before this instant (Unix ms).
    until_ms: i64,
}

/// The back-off table.
#[derive(Debug, Default)]
pub struct Backoff {
    entries: Mutex<HashMap<PairKey, Entry>>,
}

impl Backoff {
    /// Seconds to wait before `pair` may try again, if it must wait.
    pub fn wait_seconds(&self, pair: &PairKey, now_ms: i64) -> Option<u64> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(pair)?;
        (entry.until_ms > now_ms).then(|| ((entry.until_ms - now_ms) as u64).div_ceil(1000))
    }

    /// A failed attempt: from the `FREE_FAILURES`-th on, the wait doubles.
    pub fn failed(&self, pair: PairKey, now_ms: i64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_PAIRS && !entries.contains_key(&pair) {
            let mut by_age: Vec<i64> = entries.values().map(|entry| entry.until_ms).collect();
            by_age.sort_unstable();
            let median = by_age[by_age.len() / 2];
            entries.retain(|_, entry| entry.until_ms > median);
        }
        let entry = entries.entry(pair).or_insert(Entry {
            failures: 0,
            until_ms: now_ms,
        });
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures >= FREE_FAILURES {
            let doublings = (entry.failures - FREE_FAILURES).min(20);
            let wait = (1i64 << doublings).min(MAX_WAIT_SECONDS);
            entry.until_ms = now_ms + wait * 1000;
        }
    }

    /// A successful login: the pair starts afresh.
    pub fn succeeded(&self, pair: &PairKey) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(pair);
        }
    }

    /// Forgets pairs whose last wait ended over `MAX_WAIT_SECONDS` ago.
    pub fn prune(&self, now_ms: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| now_ms - entry.until_ms <= MAX_WAIT_SECONDS * 1000);
            entries.shrink_to_fit();
        }
    }

    /// Pairs remembered.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.len())
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security audit item 10: a hard per-account lock-out let anyone lock any account.
    #[test]
    fn item_10_failures_back_off_per_address_and_never_lock_the_owner_out() {
        let backoff = Backoff::default();
        let (attacker, owner) = ([1u8; 16], [2u8; 16]);
        let mut now = 0;
        for _ in 0..FREE_FAILURES - 1 {
            backoff.failed(attacker, now);
            assert_eq!(backoff.wait_seconds(&attacker, now), None, "free failures");
        }
        let mut waits = Vec::new();
        for _ in 0..6 {
            backoff.failed(attacker, now);
            let wait = backoff.wait_seconds(&attacker, now).expect("must wait");
            waits.push(wait);
            now += i64::try_from(wait).expect("small") * 1000;
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32], "doubling");
        // The owner, elsewhere, is not affected.
        assert_eq!(backoff.wait_seconds(&owner, now), None);
        for _ in 0..40 {
            backoff.failed(attacker, now);
        }
        assert_eq!(
            backoff.wait_seconds(&attacker, now),
            Some(MAX_WAIT_SECONDS as u64),
            "capped"
        );
        backoff.succeeded(&attacker);
        assert_eq!(backoff.wait_seconds(&attacker, now), None);
        backoff.failed(owner, 0);
        backoff.prune(MAX_WAIT_SECONDS * 1000 + 1);
        assert!(backoff.is_empty(), "old entries are forgotten");
    }

    #[test]
    fn the_table_is_bounded() {
        let backoff = Backoff::default();
        for i in 0..MAX_PAIRS as u64 + 10 {
            let mut pair = [0u8; 16];
            pair[..8].copy_from_slice(&i.to_be_bytes());
            backoff.failed(pair, i64::try_from(i).expect("small"));
        }
        assert!(backoff.len() <= MAX_PAIRS);
    }
}
