//! Node-to-node requests (scale-out mode): signed over what they do, not only what they
//! carry. The signature covers the method, the path, a timestamp and a nonce along with the
//! body, so a captured request cannot be sent to another route, replayed later (outside the
//! clock skew allowed) or replayed at once (the nonce is remembered for as long as the
//! timestamp is acceptable). Memory: one small entry per request of the last two minutes,
//! capped.

use std::collections::HashMap;
use std::sync::Mutex;

/// How far a request's timestamp may be from this node's clock, in milliseconds.
pub const MAX_SKEW_MS: i64 = 60_000;
/// Most nonces remembered; past it, requests are refused until old ones expire (a flood of
/// validly signed requests can only come from a node holding the key).
pub const MAX_REMEMBERED_NONCES: usize = 100_000;

/// The headers a signed node-to-node request carries.
pub const TIMESTAMP_HEADER: &str = "X-Node-Timestamp";
/// See [`TIMESTAMP_HEADER`].
pub const NONCE_HEADER: &str = "X-Node-Nonce";
/// See [`TIMESTAMP_HEADER`].
pub const SIGNATURE_HEADER: &str = "X-Node-Signature";
/// See [`TIMESTAMP_HEADER`]: which key of the ring signed.
pub const KEY_ID_HEADER: &str = "X-Node-Key-Id";

/// Why a node-to-node request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NodeAuthError {
    /// A header is missing or malformed, or the signature does not verify.
    #[error("the node-to-node signature does not verify")]
    Signature,
    /// The timestamp is too far from this node's clock.
    #[error("the node-to-node request is too old or from the future")]
    Stale,
    /// This exact request was already received.
    #[error("the node-to-node request was already received")]
    Replayed,
}

/// Signs and verifies node-to-node requests under the deployment's node key.
#[derive(Debug)]
pub struct NodeAuth {
    keys: storage::keys::KeyRing,
    /// nonce → timestamp, for requests accepted within the skew window.
    seen: Mutex<HashMap<[u8; 16], i64>>,
}

impl NodeAuth {
    /// Signing with the ring's first key, verifying with any of its keys (rotation).
    pub fn new(keys: storage::keys::KeyRing) -> NodeAuth {
        NodeAuth {
            keys,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// What a request's signature covers: method, path, time, nonce, then the body.
    fn signed(method: &str, path: &str, timestamp_ms: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
        let mut message = format!("{method}\n{path}\n{timestamp_ms}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message
    }

    /// The headers for a request `method path` with `body`, sent at `now_ms`.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Option<[(&'static str, String); 4]> {
        let nonce = crate::random_hex(16)?;
        let (key_id, tag) = self
            .keys
            .sign(&NodeAuth::signed(method, path, now_ms, &nonce, body));
        let signature = hex::encode(tag);
        Some([
            (TIMESTAMP_HEADER, now_ms.to_string()),
            (NONCE_HEADER, nonce),
            (SIGNATURE_HEADER, signature),
            (KEY_ID_HEADER, key_id.to_owned()),
        ])
    }

    /// Checks a received request: signature (constant time), freshness, then that its nonce
    /// is new (remembered from here on).
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<String>,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(), NodeAuthError> {
        let timestamp: i64 = header(TIMESTAMP_HEADER)
            .and_then(|value| value.parse().ok())
            .ok_or(NodeAuthError::Signature)?;
        let nonce_text = header(NONCE_HEADER).ok_or(NodeAuthError::Signature)?;
        let mut nonce = [0u8; 16];
        hex::decode_to_slice(&nonce_text, &mut nonce).map_err(|_| NodeAuthError::Signature)?;
        let signature = header(SIGNATURE_HEADER)
            .and_then(|value| hex::decode(value).ok())
            .ok_or(NodeAuthError::Signature)?;
        let key_id = header(KEY_ID_HEADER).ok_or(NodeAuthError::Signature)?;
        let message = NodeAuth::signed(method, path, timestamp, &nonce_text, body);
        if signature.len() != 32 || !self.keys.verify(&key_id, &message, &signature) {
            return Err(NodeAuthError::Signature);
        }
        if (now_ms - timestamp).abs() > MAX_SKEW_MS {
            return Err(NodeAuthError::Stale);
        }
        let mut seen = self.seen.lock().map_err(|_| NodeAuthError::Replayed)?;
        if seen.len() >= MAX_REMEMBERED_NONCES {
            seen.retain(|_, at| (now_ms - *at).abs() <= MAX_SKEW_MS);
        }
        if seen.len() >= MAX_REMEMBERED_NONCES || seen.contains_key(&nonce) {
            return Err(NodeAuthError::Replayed);
        }
        seen.insert(nonce, timestamp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(key: &[u8]) -> storage::keys::KeyRing {
        let mut padded = key.to_vec();
        padded.resize(32, 0);
        storage::keys::KeyRing::single("1", padded).expect("valid")
    }

    fn headers<'a>(
        signed: &'a [(&'static str, String); 4],
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            signed
                .iter()
                .find(|(header, _)| *header == name)
                .map(|(_, value)| value.clone())
        }
    }

    /// Security audit item 12: node-to-node requests were signed over the body only, so a
    /// captured request could be replayed (each replay burnt a fresh serial number) or sent
    /// to another route.
    #[test]
    fn item_12_node_requests_cannot_be_replayed_or_moved() {
        let auth = NodeAuth::new(ring(b"node key"));
        let body = br#"{"point":1}"#;
        let signed = auth
            .sign("POST", "/v1/internal/serials", body, 1_000_000)
            .expect("signed");
        assert_eq!(
            auth.verify(
                "POST",
                "/v1/internal/serials",
                headers(&signed),
                body,
                1_000_500
            ),
            Ok(())
        );
        assert_eq!(
            auth.verify(
                "POST",
                "/v1/internal/serials",
                headers(&signed),
                body,
                1_000_600
            ),
            Err(NodeAuthError::Replayed),
            "the same request twice"
        );
        let fresh = auth
            .sign("POST", "/v1/internal/serials", body, 1_000_000)
            .expect("signed");
        assert_eq!(
            auth.verify(
                "POST",
                "/v1/internal/other",
                headers(&fresh),
                body,
                1_000_000
            ),
            Err(NodeAuthError::Signature),
            "moved to another route"
        );
        assert_eq!(
            auth.verify(
                "POST",
                "/v1/internal/serials",
                headers(&fresh),
                br#"{"point":2}"#,
                1_000_000
            ),
            Err(NodeAuthError::Signature),
            "another body"
        );
        assert_eq!(
            auth.verify(
                "POST",
                "/v1/internal/serials",
                headers(&fresh),
                body,
                1_000_000 + MAX_SKEW_MS + 1
            ),
            Err(NodeAuthError::Stale),
            "too late"
        );
        let other_key = NodeAuth::new(ring(b"another deployment"));
        assert_eq!(
            other_key.verify(
                "POST",
                "/v1/internal/serials",
                headers(&fresh),
                body,
                1_000_000
            ),
            Err(NodeAuthError::Signature)
        );
        assert_eq!(
            auth.verify("POST", "/v1/internal/serials", |_| None, body, 1_000_000),
            Err(NodeAuthError::Signature)
        );
    }

    /// Security audit item 21 (part): node-request keys rotate like session keys.
    #[test]
    fn item_21_node_request_keys_rotate() {
        let old = NodeAuth::new(ring(b"old"));
        let body = b"{}";
        let signed = old
            .sign("POST", "/v1/internal/serials", body, 0)
            .expect("signed");
        let mut old_key = b"old".to_vec();
        old_key.resize(32, 0);
        let both = NodeAuth::new(
            storage::keys::KeyRing::new(vec![("2".into(), vec![2; 32]), ("1".into(), old_key)])
                .expect("valid"),
        );
        assert_eq!(
            both.verify("POST", "/v1/internal/serials", headers(&signed), body, 0),
            Ok(())
        );
        let only_new =
            NodeAuth::new(storage::keys::KeyRing::single("2", vec![2; 32]).expect("valid"));
        assert_eq!(
            only_new.verify("POST", "/v1/internal/serials", headers(&signed), body, 0),
            Err(NodeAuthError::Signature)
        );
    }
}
