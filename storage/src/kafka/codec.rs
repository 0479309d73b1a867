//! How a commit is laid out in a Kafka record, signed. Public for tools and tests that
//! read or write the log directly; the log itself is the only writer in production.
//!
//! ```text
//! version (1) | kind (1) | epoch (8, big-endian) | key id length (1) | key id | HMAC-SHA256 (32) | body
//! ```
//!
//! `kind` 0 is a commit (body: the commit in postcard), 1 an ownership claim (body: the
//! partition in postcard). The MAC covers every other byte, with a key of the deployment's
//! `log_commits` ring named by the key id: whoever can reach Kafka but holds no key can
//! neither write candidate state nor stop a follower with a crafted record — the follower
//! skips (and counts) what does not verify. One Kafka record per commit, so a commit is
//! atomic in the log as it is in the embedded store.
//!
//! Rule for later layouts: keep this header and its MAC (change only what follows), so that
//! an older build can still tell a newer build's record (verifies: stop) from a forgery (does
//! not: skip).
//!
//! `epoch` is the writer's ownership epoch: one past the offset of the claim record its node
//! wrote when the group gave it the partition (0 for state-only commits, which any node may
//! write). See the follower for how it fences a node that lost the partition.

use crate::error::StorageError;
use crate::keys::KeyRing;
use crate::record::{Commit, Partition};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The layout written by this build (2: candidate snapshots carry art/PE categories; 3: and
/// the save-password failure count; 4: signed envelope with epoch, claims, audit partition;
/// 5: the fee model's events appended; 6: a county's `SubmissionReturned` appended; 7: a
/// county's `PointUpdated` and `PointRemoved` appended; 8: the callback inbox's
/// `StateUpdate::InboxPut` and `InboxRemove` appended).
const VERSION: u8 = 8;
/// The oldest signed layout this build reads (5–8 only appended variants to 4).
const OLDEST_READABLE: u8 = 4;
const KIND_COMMIT: u8 = 0;
const KIND_CLAIM: u8 = 1;
const MAC_LENGTH: usize = 32;

/// What one record holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A commit written under ownership epoch `epoch` (0: state only, from any node).
    Commit {
        /// The writer's ownership epoch.
        epoch: u64,
        /// What it wrote.
        commit: Commit,
    },
    /// A node took `partition` over; its epoch is one past this record's offset.
    Claim {
        /// The partition claimed.
        partition: Partition,
    },
}

/// Why a record is not applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// Not signed by a key of the ring (forged, corrupted, or from another deployment):
    /// skipped and counted; applying or stopping on it would hand the log to whoever can
    /// reach the brokers.
    #[error("record does not verify: {0}")]
    Unverified(&'static str),
    /// Signed, but not readable by this build (another layout version): the follower stops
    /// rather than build a projection with holes.
    #[error(transparent)]
    Unreadable(#[from] StorageError),
}

fn mac(ring: &KeyRing, id: &str) -> Option<Hmac<Sha256>> {
    ring.key(id)
        .and_then(|key| Hmac::<Sha256>::new_from_slice(key).ok())
}

fn seal(ring: &KeyRing, kind: u8, epoch: u64, body: &[u8]) -> Result<Vec<u8>, StorageError> {
    let (id, _) = ring.signing();
    let id_length = u8::try_from(id.len())
        .map_err(|_| StorageError::Encode("signing key id longer than 255 bytes".into()))?;
    let mut header = vec![VERSION, kind];
    header.extend_from_slice(&epoch.to_be_bytes());
    header.push(id_length);
    header.extend_from_slice(id.as_bytes());
    let mut signer = mac(ring, id).ok_or_else(|| StorageError::Encode("no signing key".into()))?;
    signer.update(&header);
    signer.update(body);
    let tag = signer.finalize().into_bytes();
    let mut bytes = Vec::with_capacity(header.len() + MAC_LENGTH + body.len());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&tag);
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// The record value for `commit`, written under `epoch`.
pub fn encode(ring: &KeyRing, epoch: u64, commit: &Commit) -> Result<Vec<u8>, StorageError> {
    let body = postcard::to_stdvec(commit).map_err(|e| StorageError::Encode(e.to_string()))?;
    seal(ring, KIND_COMMIT, epoch, &body)
}

/// The record value claiming `partition` for the node that writes it.
pub fn encode_claim(ring: &KeyRing, partition: Partition) -> Result<Vec<u8>, StorageError> {
    let body = postcard::to_stdvec(&partition).map_err(|e| StorageError::Encode(e.to_string()))?;
    seal(ring, KIND_CLAIM, 0, &body)
}

/// The record in a record value, once its signature verifies.
pub fn decode(ring: &KeyRing, bytes: &[u8]) -> Result<Record, Refusal> {
    let Some((&version, rest)) = bytes.split_first() else {
        return Err(Refusal::Unverified("empty record"));
    };
    if version < OLDEST_READABLE {
        // Unsigned layouts (older builds) are refused like forgeries: nothing verifies them.
        return Err(Refusal::Unverified("unsigned layout from an older build"));
    }
    let truncated = Refusal::Unverified("truncated record");
    let (&kind, rest) = rest.split_first().ok_or(truncated.clone())?;
    let (epoch, rest) = rest.split_first_chunk::<8>().ok_or(truncated.clone())?;
    let (&id_length, rest) = rest.split_first().ok_or(truncated.clone())?;
    let (id, rest) = rest
        .split_at_checked(id_length.into())
        .ok_or(truncated.clone())?;
    let (tag, body) = rest.split_at_checked(MAC_LENGTH).ok_or(truncated)?;
    let id = std::str::from_utf8(id).map_err(|_| Refusal::Unverified("malformed key id"))?;
    let mut verifier = mac(ring, id).ok_or(Refusal::Unverified("unknown key id"))?;
    verifier.update(&bytes[..bytes.len() - body.len() - MAC_LENGTH]);
    verifier.update(body);
    verifier
        .verify_slice(tag)
        .map_err(|_| Refusal::Unverified("bad signature"))?;
    // Later layouts keep this header and its MAC, so a record that verifies but is newer
    // comes from a newer build of this deployment (a rolling upgrade): stop rather than skip
    // it, while forged records of any version are skipped.
    if version > VERSION {
        return Err(Refusal::Unreadable(StorageError::Decode(format!(
            "Kafka record layout {version}, this build reads {VERSION}"
        ))));
    }
    match kind {
        KIND_COMMIT => Ok(Record::Commit {
            epoch: u64::from_be_bytes(*epoch),
            commit: postcard::from_bytes(body).map_err(StorageError::from)?,
        }),
        KIND_CLAIM => Ok(Record::Claim {
            partition: postcard::from_bytes(body).map_err(StorageError::from)?,
        }),
        other => Err(Refusal::Unreadable(StorageError::Decode(format!(
            "record kind {other}"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::StateUpdate;

    fn ring(id: &str, byte: u8) -> KeyRing {
        KeyRing::single(id, vec![byte; 32]).expect("valid")
    }

    fn commit() -> Commit {
        Commit {
            partition: Partition::Organisation,
            records: Vec::new(),
            updates: vec![StateUpdate::Setting {
                name: "admission".into(),
                value: b"{}".to_vec(),
            }],
        }
    }

    #[test]
    fn commits_and_claims_round_trip_under_their_key() {
        let keys = ring("a", 1);
        let bytes = encode(&keys, 7, &commit()).expect("encodes");
        assert_eq!(bytes[0], VERSION);
        assert_eq!(
            decode(&keys, &bytes),
            Ok(Record::Commit {
                epoch: 7,
                commit: commit()
            })
        );
        let claim = encode_claim(&keys, Partition::Candidates(3)).expect("encodes");
        assert_eq!(
            decode(&keys, &claim),
            Ok(Record::Claim {
                partition: Partition::Candidates(3)
            })
        );
        // A rotated ring still verifies what the old key signed.
        let rotated = KeyRing::new(vec![("b".into(), vec![2; 32]), ("a".into(), vec![1; 32])])
            .expect("valid");
        assert!(decode(&rotated, &bytes).is_ok());
    }

    /// Security audit item 6: a record written by someone without the deployment's key —
    /// or changed in one byte — is refused, never applied and never fatal.
    #[test]
    fn item_6_records_that_do_not_verify_are_refused() {
        let keys = ring("a", 1);
        let bytes = encode(&keys, 7, &commit()).expect("encodes");
        let forged = encode(&ring("a", 9), 7, &commit()).expect("encodes");
        assert_eq!(
            decode(&keys, &forged),
            Err(Refusal::Unverified("bad signature"))
        );
        let other_id = encode(&ring("z", 1), 7, &commit()).expect("encodes");
        assert_eq!(
            decode(&keys, &other_id),
            Err(Refusal::Unverified("unknown key id"))
        );
        for index in 1..bytes.len() {
            let mut changed = bytes.clone();
            changed[index] ^= 0x01;
            assert!(
                matches!(decode(&keys, &changed), Err(Refusal::Unverified(_))),
                "byte {index} changed and still accepted"
            );
        }
        for length in 0..bytes.len() {
            assert!(
                matches!(decode(&keys, &bytes[..length]), Err(Refusal::Unverified(_))),
                "truncated to {length} and still accepted"
            );
        }
        let mut unsigned = vec![3u8];
        unsigned.extend(postcard::to_stdvec(&commit()).expect("encodes"));
        assert!(matches!(
            decode(&keys, &unsigned),
            Err(Refusal::Unverified(_))
        ));
        // A newer layout that verifies stops the follower; one that does not is skipped.
        let mut future = bytes.clone();
        future[0] = VERSION + 1;
        assert!(matches!(
            decode(&keys, &future),
            Err(Refusal::Unverified("bad signature"))
        ));
        let body = postcard::to_stdvec(&commit()).expect("encodes");
        let signed_as = |version: u8| {
            let mut resigned = seal(&keys, KIND_COMMIT, 7, &body).expect("seals");
            resigned[0] = version;
            let header_length = resigned.len() - body.len() - MAC_LENGTH;
            let mut signer = mac(&keys, "a").expect("key");
            signer.update(&resigned[..header_length]);
            signer.update(&body);
            resigned[header_length..header_length + MAC_LENGTH]
                .copy_from_slice(&signer.finalize().into_bytes());
            resigned
        };
        assert!(
            matches!(decode(&keys, &signed_as(VERSION + 1)), Err(Refusal::Unreadable(StorageError::Decode(m))) if m.contains(&format!("layout {}", VERSION + 1)))
        );
        // The previous signed layout is still read (only variants were appended since).
        assert_eq!(
            decode(&keys, &signed_as(OLDEST_READABLE)),
            Ok(Record::Commit {
                epoch: 7,
                commit: commit()
            })
        );
    }
}
