//! Signing keys with ids, so they can be rotated: the first key of a ring signs, every key
//! of it verifies, and what is signed names the key it was signed with. Rotation: put a new
//! key first on every node, wait until what the old one signed has expired (a session's
//! lifetime), then remove the old one.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// One key of a ring, as the secrets file holds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    /// Its id: 1–16 letters, digits, `-` or `_`.
    pub id: String,
    /// The key, hex.
    pub key: String,
}

/// The id only.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A ring of keys for one purpose, newest first.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(String, Vec<u8>)>,
}

/// Ids only: a ring printed in a log or a panic must not hand out its keys.
impl std::fmt::Debug for KeyRing {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("KeyRing")
            .field(
                "ids",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a ring is refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    /// No key at all.
    #[error("a key ring needs at least one key")]
    Empty,
    /// A malformed or repeated id, or a key that is not hex of at least 16 bytes.
    #[error(
        "key '{0}' is malformed (ids: 1-16 letters, digits, '-' or '_', unique; keys: hex, 16 bytes or more)"
    )]
    Malformed(String),
}

fn id_ok(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KeyRing {
    /// A ring of `(id, key)` pairs, newest (signing) first.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Result<KeyRing, KeyRingError> {
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        for (index, (id, key)) in keys.iter().enumerate() {
            let repeated = keys[..index].iter().any(|(other, _)| other == id);
            if !id_ok(id) || repeated || key.len() < 16 {
                return Err(KeyRingError::Malformed(id.clone()));
            }
        }
        Ok(KeyRing { keys })
    }

    /// A ring from the secrets file's entries.
    pub fn from_config(keys: &[SigningKey]) -> Result<KeyRing, KeyRingError> {
        let decoded = keys
            .iter()
            .map(|key| {
                hex::decode(&key.key)
                    .map(|bytes| (key.id.clone(), bytes))
                    .map_err(|_| KeyRingError::Malformed(key.id.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        KeyRing::new(decoded)
    }

    /// A ring of one key.
    pub fn single(id: &str, key: Vec<u8>) -> Result<KeyRing, KeyRingError> {
        KeyRing::new(vec![(id.to_owned(), key)])
    }

    /// The key that signs, with its id.
    pub fn signing(&self) -> (&str, &[u8]) {
        let (id, key) = &self.keys[0];
        (id, key)
    }

    /// `message`'s HMAC-SHA256 under the signing key, with that key's id.
    pub fn sign(&self, message: &[u8]) -> (&str, [u8; 32]) {
        let (id, key) = self.signing();
        (id, hmac(key, message).finalize().into_bytes().into())
    }

    /// Whether `tag` is `message`'s HMAC-SHA256 under the ring's key `id` — the whole tag,
    /// or its first 16 bytes or more (short tags in URLs) — compared in constant time.
    pub fn verify(&self, id: &str, message: &[u8], tag: &[u8]) -> bool {
        match self.key(id) {
            Some(key) if tag.len() >= 16 => hmac(key, message).verify_truncated_left(tag).is_ok(),
            _ => false,
        }
    }

    /// A 32-byte key for `label` derived (HMAC-SHA256) from the ring's key `id`: one
    /// ring's keys serve several uses without one key doing two jobs.
    pub fn derive(&self, id: &str, label: &[u8]) -> Option<[u8; 32]> {
        self.key(id)
            .map(|key| hmac(key, label).finalize().into_bytes().into())
    }

    /// The key named `id`, if it is on the ring.
    pub fn key(&self, id: &str) -> Option<&[u8]> {
        self.keys
            .iter()
            .find(|(candidate, _)| candidate == id)
            .map(|(_, key)| key.as_slice())
    }
}

fn hmac(key: &[u8], message: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_sign_with_the_first_key_and_know_every_key() {
        let ring = KeyRing::new(vec![("2".into(), vec![2; 32]), ("1".into(), vec![1; 32])])
            .expect("valid");
        assert_eq!(ring.signing().0, "2");
        assert_eq!(ring.key("1"), Some([1u8; 32].as_slice()));
        assert_eq!(ring.key("3"), None);
        assert_eq!(format!("{ring:?}"), r#"KeyRing { ids: ["2", "1"] }"#);
        let (id, tag) = ring.sign(b"message");
        assert_eq!(id, "2");
        assert!(ring.verify("2", b"message", &tag));
        assert!(ring.verify("2", b"message", &tag[..16]), "a short tag");
        assert!(!ring.verify("2", b"message", &tag[..15]), "too short a tag");
        assert!(!ring.verify("1", b"message", &tag), "another key");
        assert!(!ring.verify("3", b"message", &tag), "an unknown key");
        assert!(!ring.verify("2", b"massage", &tag));
        assert_eq!(KeyRing::new(Vec::new()).err(), Some(KeyRingError::Empty));
        assert!(KeyRing::new(vec![("a".into(), vec![1; 32]), ("a".into(), vec![2; 32])]).is_err());
        assert!(KeyRing::single("bad id", vec![1; 32]).is_err());
        assert!(KeyRing::single("short", vec![1; 8]).is_err());
        assert!(
            KeyRing::from_config(&[SigningKey {
                id: "x".into(),
                key: "zz".into()
            }])
            .is_err()
        );
    }
}
