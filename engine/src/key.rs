//! Candidate keys: the pseudonymous identity every other part of the system uses.
//!
//! The ID number is what identifies a candidate in the domain, but it is personal data and
//! must not travel through logs, Kafka keys or metrics. A `CandidateKey` is a keyed hash
//! (HMAC-SHA-256, truncated to 128 bits) of the ID number under a secret held by the
//! deployment: stable, so the same person always lands on the same shard and is found at
//! login; opaque, so a key alone reveals nothing. Because the key is derived from the ID
//! number, "one registration per person" is enforced by the single writer of that key.

use crate::id_number::IdNumber;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// The pseudonymous key of one candidate.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CandidateKey([u8; 16]);

/// The deployment's secret for deriving candidate keys. Rotating it re-keys everyone, so it
/// is set once per province database and kept with the backups.
#[derive(Clone)]
pub struct KeySecret(Vec<u8>);

impl KeySecret {
    /// A secret from raw bytes (at least 16 are expected; callers enforce policy).
    pub fn new(bytes: impl Into<Vec<u8>>) -> KeySecret {
        KeySecret(bytes.into())
    }

    /// The key of the candidate holding `id_number`.
    pub fn candidate_key(&self, id_number: &IdNumber) -> CandidateKey {
        // HMAC accepts keys of any length, so construction cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(id_number.expose().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        CandidateKey(key)
    }

    /// The key of the adult-exam registration of account `username`: the same secret, a
    /// separate domain (an ID number is 18 characters without a NUL, so no gaokao key can
    /// equal an adult one).
    pub fn adult_key(&self, username: &str) -> CandidateKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"adult-exam\0");
        mac.update(username.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        CandidateKey(key)
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySecret(..)")
    }
}

impl CandidateKey {
    /// The raw bytes (for storage keys).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
    /// From raw bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> CandidateKey {
        CandidateKey(bytes)
    }
    /// Parses the 32-character hex form.
    pub fn parse_hex(text: &str) -> Option<CandidateKey> {
        let mut key = [0u8; 16];
        hex::decode_to_slice(text, &mut key).ok()?;
        Some(CandidateKey(key))
    }
    /// The candidate shard (single writer) this key belongs to, out of `shard_count`.
    /// Uses the key's own leading bytes: they are already uniformly distributed.
    pub fn shard(&self, shard_count: u32) -> u32 {
        let leading = u64::from_be_bytes([
            self.0[0], self.0[1], self.0[2], self.0[3], self.0[4], self.0[5], self.0[6], self.0[7],
        ]);
        (leading % u64::from(shard_count.max(1))) as u32
    }
}

impl fmt::Display for CandidateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CandidateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CandidateKey({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_number::tests::make;

    #[test]
    fn keys_are_stable_per_person_and_differ_across_people_and_secrets() {
        let secret = KeySecret::new(b"province-43-secret".to_vec());
        let alice = make(430102, "20060312", 123);
        let bob = make(430102, "20060312", 124);
        assert_eq!(secret.candidate_key(&alice), secret.candidate_key(&alice));
        assert_ne!(secret.candidate_key(&alice), secret.candidate_key(&bob));
        let other = KeySecret::new(b"another-province".to_vec());
        assert_ne!(secret.candidate_key(&alice), other.candidate_key(&alice));
        let key = secret.candidate_key(&alice);
        assert_eq!(CandidateKey::parse_hex(&key.to_string()), Some(key));
        assert!(!key.to_string().contains(&alice.expose()[6..14]));
    }

    #[test]
    fn shards_spread_evenly() {
        let secret = KeySecret::new(b"spread".to_vec());
        let mut counts = [0u32; 8];
        for sequence in 0..4000u16 {
            let id = make(430102, "20060312", sequence % 1000);
            let id = if sequence < 1000 {
                id
            } else {
                make(
                    430103 + u32::from(sequence / 1000),
                    "20050101",
                    sequence % 1000,
                )
            };
            counts[secret.candidate_key(&id).shard(8) as usize] += 1;
        }
        for count in counts {
            assert!((350..650).contains(&count), "uneven shards: {counts:?}");
        }
    }
}
