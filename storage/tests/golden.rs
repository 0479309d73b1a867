//! Golden bytes: every type the stores keep — log records of every candidate and county
//! event, candidate and county snapshots, audit records, commits, the Kafka record layout —
//! encoded from fixed values and compared with the bytes checked in under `tests/golden/`.
//!
//! A failure here means a data directory or a Kafka log written by the previous build would
//! be read differently by this one. The rule (ARCHITECTURE.md): append variants at the end of
//! enums and fields at the end of structs, bump `SCHEMA_VERSION` / the Kafka layout, and only
//! then re-bless with `REG_BLESS_GOLDEN=1 cargo test -p storage --test golden`, saying in the
//! commit which version the new bytes belong to. Changing a golden file without a version
//! bump is the mistake this test exists to catch.

mod support;

use engine::candidate::art_pe::ArtCategory;
use engine::candidate::declaration::{DeclarationKind, Review, ReviewLevel};
use engine::candidate::{Event, FeeKind, MoralEvaluation, Payment, Provider, Status};
use engine::county::{County, CountyEvent, Point};
use engine::key::CandidateKey;
use engine::org::{CityCode, CountyCode};
use engine::serial::{SerialNumber, SubjectCategory};
use engine::time::Timestamp;
use std::path::PathBuf;
use storage::kafka::codec;
use storage::keys::KeyRing;
use storage::{AuditRecord, Commit, LogRecord, Partition, Payload, StateUpdate, StreamKey};
use support::{candidate, form, point};

const AT: Timestamp = Timestamp(1_780_000_000_000);

fn payment() -> Payment {
    Payment {
        provider: Provider::WeChatPay,
        order_id: "GKABCDEFGHIJKLMNOPQRSTUVWXYZ23456".into(),
        transaction_id: "4200001234202611280000000001".into(),
        amount_fen: 2000,
        paid_at: AT,
    }
}

/// One of every candidate event, in declaration order (the nine fee events of builds
/// before the fee model included: they are still read).
fn candidate_events() -> Vec<Event> {
    let snapshot = candidate([3; 16], point(430102, 1), 7, Status::Signed);
    let art = ArtCategory::Music;
    vec![
        Event::Captured {
            key: CandidateKey::from_bytes([1; 16]),
            capture: Box::new(snapshot.capture.clone()),
            at: AT,
        },
        Event::OtherDocumentApproved {
            city: CityCode::new(4301).expect("valid"),
            at: AT,
        },
        Event::IdVerifiedAtPoint {
            point: point(430102, 2),
            at: AT,
        },
        Event::FirstLoginVerified { at: AT },
        Event::FeeOrderCreated {
            order_id: "GK1".into(),
            provider: Provider::Alipay,
            amount_fen: 2000,
            at: AT,
        },
        Event::FeePaid {
            payment: payment(),
            at: AT,
        },
        Event::SurplusPaymentRecorded {
            payment: payment(),
            at: AT,
        },
        Event::Declared {
            id: 1,
            kind: DeclarationKind::SpecialPlan,
            item: "国家专项计划".into(),
            documents: vec!["户籍证明-7".into()],
            at: AT,
        },
        Event::DeclarationWithdrawn { id: 1, at: AT },
        Event::DeclarationReviewed {
            id: 2,
            review: Review::Rejected {
                by: ReviewLevel::City,
                reason: "材料不全".into(),
            },
            at: AT,
        },
        Event::Imported {
            snapshot: Box::new(snapshot.clone()),
            at: AT,
        },
        Event::MigrantEligibilityApproved {
            county: CountyCode::new(430102).expect("valid"),
            at: AT,
        },
        Event::ExamFeeOrderCreated {
            order_id: "EX1".into(),
            provider: Provider::UnionPay,
            amount_fen: 14_000,
            at: AT,
        },
        Event::ExamFeePaid {
            payment: payment(),
            at: AT,
        },
        Event::ExamSurplusPaymentRecorded {
            payment: payment(),
            at: AT,
        },
        Event::ArtCategoryChosen {
            category: art,
            main_item: "声乐".into(),
            sub_item: Some("钢琴".into()),
            at: AT,
        },
        Event::ArtCategoryDropped {
            category: art,
            at: AT,
        },
        Event::ArtFeeOrderCreated {
            category: art,
            order_id: "AP1".into(),
            provider: Provider::WeChatPay,
            amount_fen: 10_000,
            at: AT,
        },
        Event::ArtFeePaid {
            category: art,
            payment: payment(),
            at: AT,
        },
        Event::ArtSurplusPaymentRecorded {
            category: art,
            payment: payment(),
            at: AT,
        },
        Event::RealPersonAuthRecorded {
            passed: true,
            reference: "face-1".into(),
            at: AT,
        },
        Event::PasswordsChanged {
            login_hash: Some("$argon2id$l".into()),
            save_hash: None,
            at: AT,
        },
        Event::PhoneBound {
            phone: "13800000000".into(),
            at: AT,
        },
        Event::PledgeAccepted { at: AT },
        Event::FormSaved {
            form: Box::new(form()),
            version: 2,
            at: AT,
        },
        Event::FormSigned {
            version: 2,
            point: point(430102, 1),
            at: AT,
        },
        Event::MoralEvaluationRecorded {
            evaluation: MoralEvaluation {
                qualified: true,
                opinion: "合格".into(),
            },
            county: CountyCode::new(430102).expect("valid"),
            at: AT,
        },
        Event::SavePasswordFailed { at: AT },
        Event::PasswordsReset {
            point: point(430102, 1),
            at: AT,
        },
        Event::FeeOrdered {
            fee: FeeKind::ArtPe(art),
            order_id: "AP1".into(),
            provider: Provider::Alipay,
            amount_fen: 10_000,
            at: AT,
        },
        Event::FeePaymentApplied {
            fee: FeeKind::Exam,
            payment: payment(),
            at: AT,
        },
        Event::FeeSurplusRecorded {
            fee: FeeKind::Registration,
            payment: payment(),
            at: AT,
        },
    ]
}

fn school(number: u16) -> Point {
    Point {
        code: point(430102, number),
        name: "长沙市第一中学报名点".into(),
        expected_headcount: 1200,
        designated_for_migrant_children: false,
    }
}

/// One of every county event, in declaration order.
fn county_events() -> Vec<CountyEvent> {
    vec![
        CountyEvent::PointCreated {
            point: school(1),
            at: AT,
        },
        CountyEvent::Imported {
            snapshot: Box::new(county()),
            at: AT,
        },
        CountyEvent::PointDesignatedForMigrantChildren {
            point: point(430102, 1),
            at: AT,
        },
        CountyEvent::RangeAllocated {
            point: point(430102, 1),
            category: Some(SubjectCategory::History),
            first: 1,
            last: 3000,
            at: AT,
        },
        CountyEvent::SerialAssigned {
            point: point(430102, 1),
            serial: SerialNumber::new(CountyCode::new(430102).expect("valid"), 17).expect("ok"),
            at: AT,
        },
        CountyEvent::SubmittedToCity { at: AT },
        CountyEvent::SubmissionReturned {
            reason: "考生人数与报名点核对不符".into(),
            at: AT,
        },
        CountyEvent::PointUpdated {
            point: school(1),
            at: AT,
        },
        CountyEvent::PointRemoved {
            point: point(430102, 2),
            at: AT,
        },
    ]
}

/// A county with a point, a range and a serial assigned.
fn county() -> County {
    let mut county = County::new(CountyCode::new(430102).expect("valid"));
    for event in [
        CountyEvent::PointCreated {
            point: school(1),
            at: AT,
        },
        CountyEvent::RangeAllocated {
            point: point(430102, 1),
            category: None,
            first: 1,
            last: 3000,
            at: AT,
        },
        CountyEvent::SerialAssigned {
            point: point(430102, 1),
            serial: SerialNumber::new(CountyCode::new(430102).expect("valid"), 1).expect("ok"),
            at: AT,
        },
    ] {
        county.apply(&event);
    }
    county
}

fn audit_record() -> AuditRecord {
    AuditRecord {
        at: AT,
        actor: "point-430102-001".into(),
        role: "point".into(),
        action: "POST /v1/points/{point}/captures".into(),
        target: "430102-001".into(),
        outcome: "ok".into(),
        client: "10.0.0.7".into(),
        request: "0123456789abcdef".into(),
    }
}

/// A candidate snapshot with every optional part: declarations at every stage, art/PE
/// categories, a phone, passwords, a signed form, a save-password failure.
fn full_snapshot() -> engine::candidate::Candidate {
    let mut state = Some(candidate([9; 16], point(430102, 1), 5, Status::Signed));
    for event in candidate_events().into_iter().filter(|event| {
        !matches!(
            event,
            Event::Captured { .. }
                | Event::Imported { .. }
                | Event::PasswordsReset { .. }
                // Appended after this golden was made; the same effects as the old fee
                // events, which are applied already.
                | Event::FeeOrdered { .. }
                | Event::FeePaymentApplied { .. }
                | Event::FeeSurplusRecorded { .. }
        )
    }) {
        state = engine::candidate::evolve(state, &event);
    }
    state.expect("a candidate")
}

fn log_record(payload: Payload, stream: StreamKey) -> LogRecord {
    LogRecord {
        stream,
        idempotency_key: "capture-1".into(),
        recorded_at: AT,
        payload,
    }
}

fn commit() -> Commit {
    let snapshot = candidate([3; 16], point(430102, 1), 7, Status::PasswordsSet);
    Commit {
        partition: Partition::Candidates(5),
        records: vec![log_record(
            Payload::Candidate(Event::FirstLoginVerified { at: AT }),
            StreamKey::Candidate(snapshot.key),
        )],
        updates: vec![
            StateUpdate::Candidate(Box::new(snapshot)),
            StateUpdate::County(Box::new(county())),
            StateUpdate::Idempotency {
                key: "0303-capture-1".into(),
                outcome: b"digest".to_vec(),
            },
            StateUpdate::Audit(audit_record()),
            StateUpdate::Setting {
                name: "admission".into(),
                value: b"{}".to_vec(),
            },
            StateUpdate::Photo {
                sha256: "ab".repeat(32),
                bytes: vec![0xFF, 0xD8, 0xFF, 0xD9],
            },
        ],
    }
}

fn inbox_entry() -> storage::embedded::InboxEntry {
    storage::embedded::InboxEntry {
        key: engine::key::CandidateKey::from_bytes([9; 16]),
        received_at_ms: 1_780_000_000_123,
        callback: storage::embedded::Callback::Payment(engine::candidate::PaymentNotice {
            provider: Provider::Alipay,
            order_id: payment().order_id,
            transaction_id: payment().transaction_id,
            amount_fen: 2000,
            paid_at: AT,
            source: engine::candidate::PaymentSource::Notification,
        }),
    }
}

/// The callback inbox's state-only commits (Kafka layout 8).
fn inbox_commit() -> Commit {
    Commit {
        partition: Partition::Candidates(5),
        records: Vec::new(),
        updates: vec![
            StateUpdate::InboxPut(Box::new(inbox_entry())),
            StateUpdate::InboxRemove {
                sequences: vec![(5 << 44) | 17, (5 << 44) | 18],
            },
        ],
    }
}

/// Every golden value: a name and its stored bytes.
fn goldens() -> Vec<(String, Vec<u8>)> {
    let encode = |value: &dyn erased::Encode| value.encode();
    let mut goldens = Vec::new();
    for (index, event) in candidate_events().into_iter().enumerate() {
        let record = log_record(
            Payload::Candidate(event.clone()),
            StreamKey::Candidate(CandidateKey::from_bytes([1; 16])),
        );
        goldens.push((
            format!("log-candidate-{index:02}-{}", event.name()),
            encode(&record),
        ));
    }
    for (index, event) in county_events().into_iter().enumerate() {
        let record = log_record(
            Payload::County(event),
            StreamKey::County(CountyCode::new(430102).expect("valid")),
        );
        goldens.push((format!("log-county-{index:02}"), encode(&record)));
    }
    goldens.push(("snapshot-candidate".into(), encode(&full_snapshot())));
    goldens.push(("snapshot-county".into(), encode(&county())));
    goldens.push(("audit-record".into(), encode(&audit_record())));
    goldens.push(("commit".into(), encode(&commit())));
    goldens.push(("inbox-entry".into(), encode(&inbox_entry())));
    goldens.push(("commit-inbox".into(), encode(&inbox_commit())));
    for partition in [
        Partition::Candidates(0),
        Partition::Organisation,
        Partition::Audit,
    ] {
        goldens.push((
            format!("partition-{}", partition.as_u32()),
            encode(&partition),
        ));
    }
    // The Kafka record layout: HMAC-SHA256 is deterministic, so the signed bytes are too.
    let keys = KeyRing::single("k1", vec![7; 32]).expect("valid ring");
    goldens.push((
        "kafka-commit".into(),
        codec::encode(&keys, 42, &commit()).expect("encodes"),
    ));
    goldens.push((
        "kafka-claim".into(),
        codec::encode_claim(&keys, Partition::Candidates(5)).expect("encodes"),
    ));
    goldens
}

/// postcard, as both stores write it.
mod erased {
    pub trait Encode {
        fn encode(&self) -> Vec<u8>;
    }

    impl<T: serde::Serialize> Encode for T {
        fn encode(&self) -> Vec<u8> {
            postcard::to_stdvec(self).expect("encodes")
        }
    }
}

fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn stored_encodings_are_exactly_the_checked_in_bytes() {
    let bless = std::env::var("REG_BLESS_GOLDEN").is_ok_and(|value| value == "1");
    let goldens = goldens();
    assert_eq!(
        goldens
            .iter()
            .filter(|(name, _)| name.starts_with("log-candidate-"))
            .count(),
        32,
        "one golden per candidate event: add the new event to candidate_events()"
    );
    let mut changed = Vec::new();
    for (name, bytes) in &goldens {
        let path = directory().join(format!("{name}.hex"));
        let encoded = hex::encode(bytes);
        if bless {
            std::fs::create_dir_all(directory()).expect("golden directory");
            std::fs::write(&path, format!("{encoded}\n")).expect("writes the golden");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(golden) if golden.trim() == encoded => {}
            Ok(_) => changed.push(format!("{name}: encoding changed")),
            Err(_) => changed.push(format!("{name}: no golden file ({})", path.display())),
        }
    }
    assert!(
        changed.is_empty(),
        "stored encodings differ from tests/golden (see this file's header for the rule):\n{}",
        changed.join("\n")
    );
}

/// The other direction: the checked-in bytes still decode to the values (so an older
/// store's records read back as they were written).
#[test]
fn checked_in_bytes_decode_back_to_their_values() {
    let read = |name: &str| {
        let text = std::fs::read_to_string(directory().join(format!("{name}.hex")))
            .unwrap_or_else(|_| panic!("golden {name}"));
        hex::decode(text.trim()).expect("hex")
    };
    let snapshot: engine::candidate::Candidate =
        postcard::from_bytes(&read("snapshot-candidate")).expect("decodes");
    assert_eq!(snapshot, full_snapshot());
    let county_back: County = postcard::from_bytes(&read("snapshot-county")).expect("decodes");
    assert_eq!(county_back, county());
    let commit_back: Commit = postcard::from_bytes(&read("commit")).expect("decodes");
    assert_eq!(commit_back, commit());
    let keys = KeyRing::single("k1", vec![7; 32]).expect("valid ring");
    assert_eq!(
        codec::decode(&keys, &read("kafka-commit")),
        Ok(codec::Record::Commit {
            epoch: 42,
            commit: commit()
        })
    );
    // Records of previous layouts still read: 6–8 only appended variants.
    for layout in ["kafka-commit-layout5", "kafka-commit-layout7"] {
        assert_eq!(
            codec::decode(&keys, &read(layout)),
            Ok(codec::Record::Commit {
                epoch: 42,
                commit: commit()
            }),
            "{layout}"
        );
    }
    let inbox_back: Commit = postcard::from_bytes(&read("commit-inbox")).expect("decodes");
    assert_eq!(inbox_back, inbox_commit());
    for (index, event) in candidate_events().into_iter().enumerate() {
        let record: LogRecord =
            postcard::from_bytes(&read(&format!("log-candidate-{index:02}-{}", event.name())))
                .expect("decodes");
        assert_eq!(record.payload, Payload::Candidate(event));
    }
}
