//! Real-person authentication bound to the person (security audit item 16). The candidate
//! starts a verification from their own session and gets a ticket: the candidate key, an
//! expiry and a random nonce, signed under a key of this deployment. The identity provider
//! hands the ticket back in its (separately signed) callback together with a SHA-256 of the
//! ID number it actually verified. A result is recorded only for the ticket's candidate,
//! only before the ticket expires, only if the verified ID number is the candidate's, and
//! only once per ticket (the nonce is the callback's idempotency key, and an idempotency key
//! replays only its own request).

use base64::Engine as _;
use engine::key::CandidateKey;
use engine::time::Timestamp;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use storage::keys::KeyRing;

/// How long a verification ticket is good for, in milliseconds.
pub const TICKET_TTL_MS: i64 = 30 * 60 * 1000;

/// A verification ticket, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Whose verification it is.
    pub candidate: CandidateKey,
    /// Its single-use nonce (hex).
    pub nonce: String,
}

/// Why a ticket or a result is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// Not a ticket of this deployment, or altered.
    #[error("the verification ticket is not valid")]
    Invalid,
    /// Past its expiry.
    #[error("the verification ticket has expired; start the verification again")]
    Expired,
    /// The provider verified someone else's ID number.
    #[error("the verified identity is not this candidate's")]
    SubjectMismatch,
}

impl VerificationError {
    /// The stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            VerificationError::Invalid => "verification_ticket_invalid",
            VerificationError::Expired => "verification_ticket_expired",
            VerificationError::SubjectMismatch => "identity_subject_mismatch",
        }
    }
}

/// Issues and checks verification tickets.
#[derive(Debug, Clone)]
pub struct Verifications {
    keys: KeyRing,
}

impl Verifications {
    /// Signed with `keys` (the `verifications` ring).
    pub fn new(keys: KeyRing) -> Verifications {
        Verifications { keys }
    }

    /// A new ticket for `candidate`, good until `now` + [`TICKET_TTL_MS`].
    pub fn issue(&self, candidate: CandidateKey, now: Timestamp) -> Option<String> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).ok()?;
        let mut payload = Vec::with_capacity(40);
        payload.extend_from_slice(candidate.as_bytes());
        payload.extend_from_slice(&(now.0 + TICKET_TTL_MS).to_be_bytes());
        payload.extend_from_slice(&nonce);
        let (id, tag) = self.keys.sign(&payload);
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        Some(format!(
            "{}.{id}.{}",
            engine.encode(&payload),
            engine.encode(tag)
        ))
    }

    /// The ticket's candidate and nonce, if it is genuine and not expired.
    pub fn check(&self, ticket: &str, now: Timestamp) -> Result<Ticket, VerificationError> {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts = ticket.splitn(3, '.');
        let (Some(payload), Some(id), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(VerificationError::Invalid);
        };
        let payload = engine
            .decode(payload)
            .map_err(|_| VerificationError::Invalid)?;
        let tag = engine.decode(tag).map_err(|_| VerificationError::Invalid)?;
        if tag.len() != 32 || !self.keys.verify(id, &payload, &tag) {
            return Err(VerificationError::Invalid);
        }
        let (key, rest) = payload
            .split_first_chunk::<16>()
            .ok_or(VerificationError::Invalid)?;
        let (expiry, nonce) = rest
            .split_first_chunk::<8>()
            .ok_or(VerificationError::Invalid)?;
        if now.0 > i64::from_be_bytes(*expiry) {
            return Err(VerificationError::Expired);
        }
        Ok(Ticket {
            candidate: CandidateKey::from_bytes(*key),
            nonce: hex::encode(nonce),
        })
    }
}

/// Whether `reported` (hex SHA-256 from the provider) is the digest of `id_number`,
/// compared in constant time.
pub fn same_person(id_number: &str, reported: &str) -> Result<(), VerificationError> {
    let expected = Sha256::digest(id_number.as_bytes());
    let reported = hex::decode(reported).map_err(|_| VerificationError::SubjectMismatch)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"compare")
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(&expected);
    let mut other = <Hmac<Sha256> as Mac>::new_from_slice(b"compare")
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    other.update(&reported);
    // Constant time: compare the two MACs through `verify_slice`.
    mac.verify_slice(&other.finalize().into_bytes())
        .map_err(|_| VerificationError::SubjectMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security audit item 16: nothing tied an identity result to the person verified.
    #[test]
    fn item_16_tickets_are_bound_to_their_candidate_and_expire() {
        let verifications = Verifications::new(KeyRing::single("1", vec![1; 32]).expect("valid"));
        let candidate = CandidateKey::from_bytes([7; 16]);
        let ticket = verifications
            .issue(candidate, Timestamp(1_000))
            .expect("issued");
        let checked = verifications
            .check(&ticket, Timestamp(2_000))
            .expect("valid");
        assert_eq!(checked.candidate, candidate);
        assert_eq!(checked.nonce.len(), 32);
        let second = verifications
            .issue(candidate, Timestamp(1_000))
            .expect("issued");
        assert_ne!(
            verifications
                .check(&second, Timestamp(2_000))
                .expect("valid")
                .nonce,
            checked.nonce,
            "every ticket has its own nonce"
        );
        assert_eq!(
            verifications.check(&ticket, Timestamp(1_000 + TICKET_TTL_MS + 1)),
            Err(VerificationError::Expired)
        );
        let mut forged = ticket.clone().into_bytes();
        forged[3] ^= 1;
        assert_eq!(
            verifications.check(&String::from_utf8_lossy(&forged), Timestamp(2_000)),
            Err(VerificationError::Invalid)
        );
        assert_eq!(
            Verifications::new(KeyRing::single("1", vec![2; 32]).expect("valid"))
                .check(&ticket, Timestamp(2_000)),
            Err(VerificationError::Invalid)
        );
        let id = "43010220050101123X";
        let digest = hex::encode(Sha256::digest(id.as_bytes()));
        assert_eq!(same_person(id, &digest), Ok(()));
        assert_eq!(
            same_person("430102200501011234", &digest),
            Err(VerificationError::SubjectMismatch)
        );
        assert_eq!(
            same_person(id, "not hex"),
            Err(VerificationError::SubjectMismatch)
        );
    }
}
