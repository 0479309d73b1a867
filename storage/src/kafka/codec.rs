//! How a commit is laid out in a Kafka record: one version byte, then the commit in
//! postcard. One Kafka record per commit, so a commit is atomic in the log as it is in the
//! embedded store.

use crate::error::StorageError;
use crate::record::Commit;

/// The layout written by this build (2: candidate snapshots carry art/PE categories; 3: and
/// the save-password failure count).
const VERSION: u8 = 3;

/// The record value for `commit`.
pub(crate) fn encode(commit: &Commit) -> Result<Vec<u8>, StorageError> {
    let mut bytes = vec![VERSION];
    postcard::to_io(commit, &mut bytes).map_err(|e| StorageError::Encode(e.to_string()))?;
    Ok(bytes)
}

/// The commit in a record value.
pub(crate) fn decode(bytes: &[u8]) -> Result<Commit, StorageError> {
    match bytes.split_first() {
        Some((&VERSION, body)) => Ok(postcard::from_bytes(body)?),
        Some((version, _)) => Err(StorageError::Decode(format!(
            "Kafka record layout {version}, this build reads {VERSION}"
        ))),
        None => Err(StorageError::Decode("empty Kafka record".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Partition, StateUpdate};

    #[test]
    fn commits_round_trip_and_foreign_layouts_are_refused() {
        let commit = Commit {
            partition: Partition::Organisation,
            records: Vec::new(),
            updates: vec![StateUpdate::Setting {
                name: "admission".into(),
                value: b"{}".to_vec(),
            }],
        };
        let bytes = encode(&commit).expect("encodes");
        assert_eq!(bytes[0], VERSION);
        assert_eq!(decode(&bytes), Ok(commit));
        let mut future = bytes.clone();
        future[0] = VERSION + 1;
        assert!(
            matches!(decode(&future), Err(StorageError::Decode(m)) if m.contains(&format!("layout {}", VERSION + 1)))
        );
        assert!(decode(&[]).is_err());
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
