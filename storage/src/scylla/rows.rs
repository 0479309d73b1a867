//! Row mapping: what a commit becomes in ScyllaDB, and how rows decode back. Pure, so the
//! tests need no server.

use crate::error::StorageError;
use crate::record::{AuditRecord, Commit, LogRecord, StateUpdate, StreamKey};
use engine::candidate::Candidate;
use engine::time::Timestamp;

/// One write, with the values in the order of its statement's placeholders.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// `insert_candidate` (+ serial, point and county/status index rows).
    Candidate {
        /// Key bytes.
        key: Vec<u8>,
        /// Serial number.
        serial: i32,
        /// Point code.
        point: i64,
        /// County code (for the county/status index).
        county: i32,
        /// Status as its small integer.
        status: i8,
        /// Postcard-encoded snapshot.
        snapshot: Vec<u8>,
    },
    /// `insert_county`.
    County {
        /// County code.
        code: i32,
        /// Postcard-encoded snapshot.
        snapshot: Vec<u8>,
    },
    /// `insert_idempotency`.
    Idempotency {
        /// Scoped idempotency key.
        key: String,
        /// Stored reply.
        outcome: Vec<u8>,
    },
    /// `insert_photo`.
    Photo {
        /// Hex SHA-256.
        sha256: String,
        /// The file.
        bytes: Vec<u8>,
    },
    /// `insert_audit`.
    Audit {
        /// CST day number (partition).
        day: i32,
        /// Milliseconds since the epoch.
        at_ms: i64,
        /// Disambiguates records of one millisecond: the log position.
        sequence: i64,
        /// Postcard-encoded record.
        record: Vec<u8>,
    },
    /// `insert_adult` (+ the point's index row when a point is chosen).
    AdultCandidate {
        /// Key bytes.
        key: Vec<u8>,
        /// The chosen confirmation point's code, if any.
        point: Option<i64>,
        /// Status as its small integer.
        status: i8,
        /// Postcard-encoded snapshot.
        snapshot: Vec<u8>,
    },
    /// `insert_history`: one of a candidate's log records.
    History {
        /// Key bytes.
        key: Vec<u8>,
        /// The commit's log offset.
        log_offset: i64,
        /// The record's position within the commit.
        position: i32,
        /// Postcard-encoded log record.
        record: Vec<u8>,
    },
    /// `insert_setting`.
    Setting {
        /// Name.
        name: String,
        /// Value.
        value: Vec<u8>,
    },
}

/// The write timestamp of a commit at `offset`: later log positions win, so applying late,
/// twice or from several nodes converges. Offset 0 maps to 1 (0 is not a valid timestamp).
pub fn write_timestamp(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX - 1) + 1
}

/// The audit partition (CST day number) of an instant.
pub fn audit_day(at: Timestamp) -> i32 {
    const CST_OFFSET_MS: i64 = 8 * 3_600_000;
    i32::try_from((at.0 + CST_OFFSET_MS).div_euclid(86_400_000)).unwrap_or(i32::MAX)
}

/// What `commit` (at `offset` of its partition) writes, in order.
pub fn plan(commit: &Commit, offset: u64) -> Result<Vec<Write>, StorageError> {
    let encode = |error: postcard::Error| StorageError::Encode(error.to_string());
    let history = commit
        .records
        .iter()
        .enumerate()
        .filter_map(|(position, record)| match record.stream {
            StreamKey::Candidate(key) => Some((position, key, record)),
            StreamKey::County(_) => None,
        })
        .map(|(position, key, record)| {
            Ok(Write::History {
                key: key.as_bytes().to_vec(),
                log_offset: i64::try_from(offset).unwrap_or(i64::MAX),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                record: postcard::to_stdvec(record).map_err(encode)?,
            })
        });
    commit
        .updates
        .iter()
        .enumerate()
        .map(|(index, update)| {
            Ok(Some(match update {
                StateUpdate::Candidate(candidate) => Write::Candidate {
                    key: candidate.key.as_bytes().to_vec(),
                    serial: candidate.capture.serial.as_u32() as i32,
                    point: candidate.capture.point.as_u64() as i64,
                    county: candidate.capture.point.county().code() as i32,
                    status: candidate.status().as_u8() as i8,
                    snapshot: postcard::to_stdvec(&**candidate).map_err(encode)?,
                },
                StateUpdate::County(county) => Write::County {
                    code: county.code.code() as i32,
                    snapshot: postcard::to_stdvec(&**county).map_err(encode)?,
                },
                StateUpdate::Idempotency { key, outcome } => Write::Idempotency {
                    key: key.clone(),
                    outcome: outcome.clone(),
                },
                StateUpdate::Photo { sha256, bytes } => Write::Photo {
                    sha256: sha256.clone(),
                    bytes: bytes.clone(),
                },
                StateUpdate::Setting { name, value } => Write::Setting {
                    name: name.clone(),
                    value: value.clone(),
                },
                StateUpdate::AdultCandidate(candidate) => Write::AdultCandidate {
                    key: candidate.key.as_bytes().to_vec(),
                    point: candidate.point.map(|point| point.as_u64() as i64),
                    status: candidate.status() as i8,
                    snapshot: postcard::to_stdvec(&**candidate).map_err(encode)?,
                },
                StateUpdate::Audit(record) => Write::Audit {
                    day: audit_day(record.at),
                    at_ms: record.at.0,
                    // Unique across the log: offset and position within the commit.
                    sequence: write_timestamp(offset) * 64 + index as i64,
                    record: postcard::to_stdvec(record).map_err(encode)?,
                },
                // The callback inbox is the embedded store's (`Backend::inbox`): a deployment
                // on ScyllaDB applies callbacks synchronously and writes no inbox entries.
                StateUpdate::InboxPut(_) | StateUpdate::InboxRemove { .. } => return Ok(None),
            }))
        })
        .filter_map(Result::transpose)
        .chain(history)
        .collect()
}

/// A candidate snapshot from its row.
pub fn candidate(snapshot: &[u8]) -> Result<Candidate, StorageError> {
    Ok(postcard::from_bytes(snapshot)?)
}

/// An adult-exam registration from its row.
pub fn adult(snapshot: &[u8]) -> Result<engine::adult::AdultCandidate, StorageError> {
    Ok(postcard::from_bytes(snapshot)?)
}

/// A log record from its history row.
pub fn log_record(record: &[u8]) -> Result<LogRecord, StorageError> {
    Ok(postcard::from_bytes(record)?)
}

/// An audit record from its row.
pub fn audit(record: &[u8]) -> Result<AuditRecord, StorageError> {
    Ok(postcard::from_bytes(record)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Partition;
    use engine::candidate::Status;

    /// A captured candidate whose name needs four UTF-8 bytes per character (𠀋 is outside
    /// the basic plane): the rows must carry it whole.
    fn captured() -> Candidate {
        let mut candidate = ::tests::fixtures::candidate(
            [7; 16],
            ::tests::fixtures::point(430102, 3),
            42,
            Status::Captured,
        );
        candidate.capture.id_card.name = "张𠀋".into();
        candidate
    }

    #[test]
    fn a_commit_maps_to_rows_that_decode_back() {
        let candidate = captured();
        let audit_record = AuditRecord {
            at: Timestamp(1_780_000_000_000),
            actor: "op".into(),
            role: "point".into(),
            action: "capture".into(),
            target: "x".into(),
            outcome: "ok".into(),
            client: "127.0.0.1".into(),
            request: "r1".into(),
        };
        let commit = Commit {
            partition: Partition::Candidates(3),
            records: Vec::new(),
            updates: vec![
                StateUpdate::Candidate(Box::new(candidate.clone())),
                StateUpdate::Idempotency {
                    key: "candidate/k/i".into(),
                    outcome: b"Captured".to_vec(),
                },
                StateUpdate::Audit(audit_record.clone()),
            ],
        };
        let writes = plan(&commit, 41).expect("plans");
        assert_eq!(writes.len(), 3);
        let Write::Candidate {
            key,
            serial,
            point,
            county,
            status,
            snapshot,
        } = &writes[0]
        else {
            panic!("a candidate write first");
        };
        assert_eq!(key.as_slice(), &[7; 16]);
        assert_eq!(*serial, candidate.capture.serial.as_u32() as i32);
        assert_eq!(*point, 430_102_003);
        assert_eq!(*county, 430_102);
        assert_eq!(*status, 0);
        assert_eq!(super::candidate(snapshot).expect("decodes"), candidate);
        assert_eq!(
            writes[1],
            Write::Idempotency {
                key: "candidate/k/i".into(),
                outcome: b"Captured".to_vec()
            }
        );
        let Write::Audit {
            day,
            sequence,
            record,
            ..
        } = &writes[2]
        else {
            panic!("an audit write third");
        };
        assert_eq!(super::audit(record).expect("decodes"), audit_record);
        assert_eq!(*day, audit_day(audit_record.at));
        assert_eq!(*sequence, 42 * 64 + 2);
    }

    /// A commit's candidate records become history rows keyed by the candidate, in
    /// position order; a county's records do not.
    #[test]
    fn candidate_records_become_history_rows() {
        use crate::record::{LogRecord, Payload};
        use engine::candidate::Event;
        let candidate = captured();
        let record = LogRecord {
            stream: StreamKey::Candidate(candidate.key),
            idempotency_key: "k".into(),
            recorded_at: Timestamp(5),
            payload: Payload::Candidate(Event::FirstLoginVerified { at: Timestamp(5) }),
        };
        let commit = Commit {
            partition: Partition::Candidates(3),
            records: vec![record.clone(), record.clone()],
            updates: vec![StateUpdate::Candidate(Box::new(candidate.clone()))],
        };
        let writes = plan(&commit, 9).expect("plans");
        assert_eq!(writes.len(), 3);
        for (position, write) in writes[1..].iter().enumerate() {
            let Write::History {
                key,
                log_offset,
                position: at,
                record: bytes,
            } = write
            else {
                panic!("history rows after the updates");
            };
            assert_eq!(key.as_slice(), candidate.key.as_bytes());
            assert_eq!((*log_offset, *at), (9, position as i32));
            assert_eq!(log_record(bytes).expect("decodes"), record);
        }
    }

    #[test]
    fn timestamps_follow_the_log_and_days_are_china_standard_time() {
        assert_eq!(write_timestamp(0), 1);
        assert!(write_timestamp(10) < write_timestamp(11));
        // 2026-06-01 15:59:59.999 UTC is 23:59:59.999 CST; one ms later is the next CST day.
        let before_midnight_cst = Timestamp(1_780_329_599_999);
        assert_eq!(
            audit_day(before_midnight_cst) + 1,
            audit_day(Timestamp(before_midnight_cst.0 + 1))
        );
        assert!(super::candidate(&[0xFF, 0xFF]).is_err());
    }
}
