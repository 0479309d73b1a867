//! The deployment's secrets: the candidate-key secret, the identity provider's key and the
//! signing key rings. Generated once per data directory (so candidate keys stay stable
//! across restarts). Payment providers' keys and certificates are not here: they are the
//! providers' own, named by the payments file (`providers::config`). Files written before
//! that still carry per-provider notification keys, which are read and ignored.

use serde::{Deserialize, Serialize};
use std::path::Path;
use storage::keys::KeyRing;

/// The keys, hex-encoded.
#[derive(Clone, Serialize, Deserialize)]
pub struct Secrets {
    /// HMAC key deriving candidate keys from ID numbers.
    pub candidate_key_secret: String,
    /// Identity-provider callback key.
    pub identity: String,
    /// Keys that sign what this deployment issues, by purpose ([`PURPOSES`]), newest first:
    /// the first signs, each verifies; rotate by putting a new key first on every node.
    /// Files from before this field sign sessions with a key derived from the candidate-key
    /// secret (id `0`).
    #[serde(default)]
    pub signing_keys: std::collections::BTreeMap<String, Vec<storage::keys::SigningKey>>,
}

/// Nothing of a key: the secrets printed in a log or a panic would hand them out.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Secrets")
            .field(
                "signing_key_purposes",
                &self.signing_keys.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Why the secrets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// File I/O.
    #[error("secrets file: {0}")]
    Io(#[from] std::io::Error),
    /// Malformed file.
    #[error("secrets file is malformed: {0}")]
    Format(#[from] serde_json::Error),
    /// No entropy.
    #[error("no system entropy to generate secrets")]
    Entropy,
    /// A key that is not hex, or a malformed key ring.
    #[error("secrets file: {0}")]
    Key(String),
}

/// What the deployment signs, each with its own ring: operator and candidate sessions,
/// node-to-node requests, Kafka log records, county export packages, waiting-room tickets,
/// real-person verification tickets.
pub const PURPOSES: [&str; 6] = [
    "sessions",
    "node_requests",
    "log_commits",
    "packages",
    "tickets",
    "verifications",
];

/// The secrets as the process uses them: decoded, one ring per purpose.
#[derive(Clone)]
pub struct Keys {
    /// HMAC key deriving candidate keys from ID numbers.
    pub candidate_key_secret: Vec<u8>,
    /// Sessions.
    pub sessions: KeyRing,
    /// Node-to-node requests.
    pub node_requests: KeyRing,
    /// Kafka log records.
    pub log_commits: KeyRing,
    /// County export packages.
    pub packages: KeyRing,
    /// Waiting-room tickets.
    pub tickets: KeyRing,
    /// Real-person verification tickets.
    pub verifications: KeyRing,
}

/// Key ids only: keys printed in a log or a panic would hand them out.
impl std::fmt::Debug for Keys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Keys")
            .field("candidate_key_secret", &"<redacted>")
            .field("sessions", &self.sessions)
            .field("node_requests", &self.node_requests)
            .field("log_commits", &self.log_commits)
            .field("packages", &self.packages)
            .field("tickets", &self.tickets)
            .field("verifications", &self.verifications)
            .finish()
    }
}

fn decode_hex(name: &str, text: &str) -> Result<Vec<u8>, SecretsError> {
    hex::decode(text).map_err(|_| SecretsError::Key(format!("{name} is not hex")))
}

impl Keys {
    /// Decodes `secrets`. A purpose missing from an older file gets a key derived from the
    /// candidate-key secret (id `0`), as those builds did.
    pub fn from_secrets(secrets: &Secrets) -> Result<Keys, SecretsError> {
        let candidate_key_secret =
            decode_hex("candidate_key_secret", &secrets.candidate_key_secret)?;
        let ring = |purpose: &str, derivation: &[u8]| -> Result<KeyRing, SecretsError> {
            match secrets.signing_keys.get(purpose) {
                Some(keys) => KeyRing::from_config(keys),
                None => {
                    use hmac::Mac as _;
                    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&candidate_key_secret)
                        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                    mac.update(derivation);
                    KeyRing::single("0", mac.finalize().into_bytes().to_vec())
                }
            }
            .map_err(|error| SecretsError::Key(format!("the {purpose} keys: {error}")))
        };
        Ok(Keys {
            sessions: ring("sessions", b"session tokens")?,
            node_requests: ring("node_requests", b"node-to-node requests")?,
            log_commits: ring("log_commits", b"kafka log commits")?,
            packages: ring("packages", b"county export packages")?,
            tickets: ring("tickets", b"waiting-room tickets")?,
            verifications: ring("verifications", b"real-person verification tickets")?,
            candidate_key_secret,
        })
    }

    /// The identity provider's callback key, decoded.
    pub fn notification_key(name: &str, text: &str) -> Result<Vec<u8>, SecretsError> {
        decode_hex(name, text)
    }
}

fn random_hex() -> Result<String, SecretsError> {
    crate::random_hex(32).ok_or(SecretsError::Entropy)
}

impl Secrets {
    /// Loads `path`, creating it with fresh random keys the first time. Creation is atomic
    /// (written aside, then hard-linked into place, which fails if the file exists), so
    /// several nodes starting together on a shared volume all end up with the same keys.
    pub fn load_or_create(path: &Path) -> Result<Secrets, SecretsError> {
        if path.exists() {
            return Ok(serde_json::from_slice(&std::fs::read(path)?)?);
        }
        let secrets = Secrets {
            candidate_key_secret: random_hex()?,
            identity: random_hex()?,
            // Independent of the candidate-key secret: rotating it re-keys nobody.
            signing_keys: PURPOSES
                .into_iter()
                .map(|purpose| {
                    let key = storage::keys::SigningKey {
                        id: "1".to_owned(),
                        key: random_hex()?,
                    };
                    Ok((purpose.to_owned(), vec![key]))
                })
                .collect::<Result<_, SecretsError>>()?,
        };
        if let Some(parent) = path.parent() {
            storage::embedded::private_dir(parent)?;
        }
        let aside = path.with_extension(format!("{}.tmp", std::process::id()));
        {
            use std::io::Write as _;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            // The deployment's keys: readable by the service's user only, from the first byte.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&aside)?;
            file.write_all(&serde_json::to_vec_pretty(&secrets)?)?;
            file.sync_all()?;
        }
        let linked = std::fs::hard_link(&aside, path);
        std::fs::remove_file(&aside)?;
        match linked {
            Ok(()) => Ok(secrets),
            // Another node created it first: theirs is the deployment's.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok(serde_json::from_slice(&std::fs::read(path)?)?)
            }
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every purpose gets its own ring from a new file; an older file without rings still
    /// yields one per purpose (derived, id `0`); nothing of a key shows in `Debug`.
    #[test]
    fn every_purpose_has_a_ring_and_debug_shows_no_key() {
        let directory = tempfile::tempdir().expect("temp dir");
        let secrets =
            Secrets::load_or_create(&directory.path().join("secrets.json")).expect("created");
        for purpose in PURPOSES {
            assert!(secrets.signing_keys.contains_key(purpose), "{purpose}");
        }
        let keys = Keys::from_secrets(&secrets).expect("decodes");
        assert_eq!(keys.log_commits.signing().0, "1");
        let printed = format!("{keys:?} {secrets:?}");
        assert!(
            !printed.contains(&secrets.candidate_key_secret),
            "{printed}"
        );
        for ring in secrets.signing_keys.values() {
            assert!(!printed.contains(&ring[0].key), "a key in {printed}");
        }
        let older = Secrets {
            signing_keys: Default::default(),
            ..secrets
        };
        let derived = Keys::from_secrets(&older).expect("decodes");
        assert_eq!(derived.packages.signing().0, "0");
        assert_ne!(
            derived.packages.signing().1,
            derived.tickets.signing().1,
            "one key per purpose, even derived"
        );
    }
}
