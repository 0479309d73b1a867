//! Valid domain values for every crate's tests — one capture, one form, one candidate at a
//! chosen status — so a change to what "valid" means is made once (engine, storage and
//! actors take them as a dev-dependency; the HTTP tests use their JSON twins in `lib.rs`).

use engine::candidate::form::{
    Elective, ExamType, FirstSubject, Graduation, RegistrationForm, ResumeEntry,
};
use engine::candidate::{
    Candidate, Capture, CaptureMode, Event, IdCard, Payment, Provider, Status, Track, evolve,
};
use engine::id_number::IdNumber;
use engine::key::CandidateKey;
use engine::org::{CountyCode, PointCode};
use engine::photo::{PhotoMeta, PhotoRules, synthetic_jpeg};
use engine::serial::{SerialNumber, SubjectCategory};
use engine::time::{Date, Timestamp};

/// The candidate's name on every fixture ID card.
pub const NAME: &str = "张三";
/// Argon2id-shaped stand-ins for stored password hashes (never verified in these tests).
pub const LOGIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$bG9naW4$aGFzaA";
/// See [`LOGIN_HASH`].
pub const SAVE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2F2ZQ$aGFzaA";

/// A valid ID number built from parts (`birth` as `YYYYMMDD`).
pub fn id_number_from(address: u32, birth: &str, sequence: u16) -> IdNumber {
    IdNumber::from_parts(address, Date::parse(birth).expect("valid date"), sequence)
        .expect("fixture is valid")
}

/// The `sequence`-th distinct valid ID number of a Furong District candidate born in 2005.
pub fn id_number(sequence: u32) -> IdNumber {
    let birth = Date::new(2005, 1 + sequence % 9, 1 + sequence % 28).expect("valid date");
    IdNumber::from_parts(430102, birth, (sequence % 1000) as u16).expect("valid")
}

/// Point `number` of `county`.
pub fn point(county: u32, number: u16) -> PointCode {
    PointCode::new(CountyCode::new(county).expect("valid county"), number).expect("valid point")
}

/// A photo that passes the photo rules (distinct per `seed`).
pub fn photo(seed: u64) -> PhotoMeta {
    PhotoRules::default()
        .inspect(&synthetic_jpeg(480, 640, 30 * 1024, seed))
        .expect("valid photo")
}

/// The metadata of a photo the store need not hold (snapshots only).
pub fn photo_meta() -> PhotoMeta {
    PhotoMeta {
        width_px: 480,
        height_px: 640,
        bytes: 30_000,
        sha256: "00".repeat(32),
    }
}

/// A card-read capture of `id` at `point` with serial `sequence`.
pub fn capture(point: PointCode, sequence: u16, id: IdNumber, photo: PhotoMeta) -> Capture {
    Capture {
        point,
        serial: SerialNumber::new(point.county(), sequence).expect("valid serial"),
        category: SubjectCategory::Physics,
        track: Track::Gaokao,
        id_card: IdCard {
            name: NAME.into(),
            gender: id.gender(),
            ethnicity: 1,
            birth_date: id.birth_date(),
            address: "湖南省长沙市芙蓉区五一大道1号".into(),
            id_number: id,
            valid_until: None,
        },
        mode: CaptureMode::CardRead,
        migrant_child: false,
        photo,
    }
}

/// A complete, valid registration form.
pub fn form() -> RegistrationForm {
    RegistrationForm {
        exam_type: ExamType::General,
        first_subject: Some(FirstSubject::History),
        electives: vec![Elective::Politics, Elective::Geography],
        vocational_group: None,
        graduation: Graduation::Current,
        school: "长沙市第一中学".into(),
        urban_rural_code: 210,
        resume: vec![ResumeEntry {
            from: "2020-09".into(),
            to: None,
            organisation: "长沙市第一中学".into(),
            role: "学生".into(),
            witness: "王老师".into(),
        }],
        mailing: None,
    }
}

/// A candidate with key bytes `key` at `point` with serial `sequence`, advanced by events
/// to `status` (up to `Signed`).
pub fn candidate(key: [u8; 16], point: PointCode, sequence: u16, status: Status) -> Candidate {
    let capture = capture(
        point,
        sequence,
        id_number(u32::from(sequence)),
        photo_meta(),
    );
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
            login_hash: Some(LOGIN_HASH.into()),
            save_hash: Some(SAVE_HASH.into()),
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
