//! Fixtures shared by the storage tests: candidates at a chosen point and status.

#![allow(dead_code, missing_docs)]

use engine::candidate::form::{
    Elective, ExamType, FirstSubject, Graduation, RegistrationForm, ResumeEntry,
};
use engine::candidate::{
    Candidate, Capture, CaptureMode, Event, IdCard, Payment, Provider, Status, Track, evolve,
};
use engine::id_number::IdNumber;
use engine::key::CandidateKey;
use engine::org::{CountyCode, PointCode};
use engine::photo::PhotoMeta;
use engine::serial::{SerialNumber, SubjectCategory};
use engine::time::Timestamp;
use storage::{Commit, LogRecord, Partition, Payload, StateUpdate, StreamKey};

pub fn id_number(sequence: u32) -> IdNumber {
    let birth = engine::time::Date::new(2005, 3, 1 + sequence % 28).expect("valid date");
    IdNumber::from_parts(430102, birth, (sequence % 1000) as u16).expect("valid")
}

pub fn point(county: u32, number: u16) -> PointCode {
    PointCode::new(CountyCode::new(county).expect("valid county"), number).expect("valid point")
}

/// A candidate with key byte pattern `key`, at `point`, with serial `sequence`, advanced to `status`.
pub fn candidate(key: [u8; 16], point: PointCode, sequence: u16, status: Status) -> Candidate {
    let id = id_number(u32::from(sequence));
    let capture = Capture {
        point,
        serial: SerialNumber::new(point.county(), sequence).expect("valid serial"),
        category: SubjectCategory::Physics,
        track: Track::Gaokao,
        id_card: IdCard {
            name: "测试".into(),
            gender: id.gender(),
            ethnicity: 1,
            birth_date: id.birth_date(),
            address: "湖南省长沙市".into(),
            id_number: id,
            valid_until: None,
        },
        mode: CaptureMode::CardRead,
        migrant_child: false,
        photo: PhotoMeta {
            width_px: 480,
            height_px: 640,
            bytes: 30_000,
            sha256: "00".repeat(32),
        },
    };
    let at = Timestamp(1_667_260_800_000);
    let key = CandidateKey::from_bytes(key);
    let mut state = evolve(
        None,
        &Event::Captured {
            key,
            capture: Box::new(capture),
            at,
        },
    );
    let steps = [
        Event::FirstLoginVerified { at },
        Event::FeePaid {
            payment: Payment {
                provider: Provider::Alipay,
                order_id: "o".into(),
                transaction_id: "t".into(),
                amount_fen: 2000,
                paid_at: at,
            },
            at,
        },
        Event::RealPersonAuthRecorded {
            passed: true,
            reference: "r".into(),
            at,
        },
        Event::PasswordsChanged {
            login_hash: Some("$argon2id$l".into()),
            save_hash: Some("$argon2id$s".into()),
            at,
        },
        Event::FormSaved {
            form: Box::new(form()),
            version: 1,
            at,
        },
        Event::FormSigned {
            version: 1,
            point,
            at,
        },
    ];
    for event in steps.iter().take(status.as_u8().into()) {
        state = evolve(state, event);
    }
    let candidate = state.expect("captured");
    assert_eq!(candidate.status(), status.min(Status::Signed));
    candidate
}

pub fn form() -> RegistrationForm {
    RegistrationForm {
        exam_type: ExamType::General,
        first_subject: Some(FirstSubject::Physics),
        electives: vec![Elective::Chemistry, Elective::Biology],
        vocational_group: None,
        graduation: Graduation::Current,
        school: "一中".into(),
        urban_rural_code: 111,
        resume: vec![ResumeEntry {
            from: "2020-09".into(),
            to: None,
            organisation: "一中".into(),
            role: "学生".into(),
            witness: "王".into(),
        }],
        mailing: None,
    }
}

/// A commit that records one first-login event for `candidate` and upserts its snapshot,
/// remembering `idempotency_key`.
pub fn commit_for(candidate: &Candidate, shard: u32, idempotency_key: &str) -> Commit {
    Commit {
        partition: Partition::Candidates(shard),
        records: vec![LogRecord {
            stream: StreamKey::Candidate(candidate.key),
            idempotency_key: idempotency_key.into(),
            recorded_at: Timestamp(1),
            payload: Payload::Candidate(Event::FirstLoginVerified { at: Timestamp(1) }),
        }],
        updates: vec![
            StateUpdate::Candidate(Box::new(candidate.clone())),
            StateUpdate::Idempotency {
                key: idempotency_key.into(),
                outcome: idempotency_key.as_bytes().to_vec(),
            },
        ],
    }
}

/// Runs a future to completion on the current thread (the embedded store's reads are ready
/// immediately, so no runtime is needed).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    let waker = Waker::from(std::sync::Arc::new(Noop));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}
