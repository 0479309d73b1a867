//! Shared fixtures for the engine's integration tests: a schedule, a capture, a journey.

#![allow(dead_code, missing_docs)]

use engine::Rejection;
use engine::candidate::form::{
    Elective, ExamType, FirstSubject, Graduation, RegistrationForm, ResumeEntry,
};
use engine::candidate::{
    Candidate, Capture, CaptureMode, Command, Context, Event, IdCard, Policy, Track, decide, evolve,
};
use engine::id_number::{IdNumber, check_character};
use engine::key::KeySecret;
use engine::org::{CountyCode, PointCode};
use engine::photo::{PhotoRules, synthetic_jpeg};
use engine::schedule::{Schedule, Window, WindowKind};
use engine::serial::{SerialNumber, SubjectCategory};
use engine::time::{Date, Timestamp};

/// 2022-11-`day` at `hour`:00 CST.
pub fn nov(day: u32, hour: u32) -> Timestamp {
    Timestamp::from_cst(Date::new(2022, 11, day).expect("valid"), hour, 0)
}

/// The 2022 plan's windows: registration 1–9 Nov, point confirmation until 20 Nov,
/// county submission 21–25 Nov.
pub fn schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set(WindowKind::Registration, Window::new(nov(1, 8), nov(9, 18)));
    schedule.set(
        WindowKind::PointConfirmation,
        Window::new(nov(1, 8), nov(20, 18)),
    );
    schedule.set(
        WindowKind::CountySubmission,
        Window::new(nov(21, 8), nov(25, 18)),
    );
    schedule.set(WindowKind::ArtPe, Window::new(nov(11, 8), nov(19, 18)));
    schedule
}

/// A valid ID number built from parts.
pub fn id_number(address: u32, birth: &str, sequence: u16) -> IdNumber {
    let body = format!("{address:06}{birth}{sequence:03}");
    let mut digits = [0u8; 17];
    for (slot, byte) in digits.iter_mut().zip(body.bytes()) {
        *slot = byte - b'0';
    }
    IdNumber::parse(&format!("{body}{}", check_character(&digits))).expect("fixture is valid")
}

pub fn point() -> PointCode {
    PointCode::new(CountyCode::new(430102).expect("valid"), 1).expect("valid")
}

pub fn capture(mode: CaptureMode, valid_until: Option<Date>) -> Capture {
    let id = id_number(430102, "20050312", 123);
    let photo = PhotoRules::default()
        .inspect(&synthetic_jpeg(480, 640, 30 * 1024, 1))
        .expect("valid photo");
    Capture {
        point: point(),
        serial: SerialNumber::new(point().county(), 1).expect("valid"),
        category: SubjectCategory::Physics,
        track: Track::Gaokao,
        id_card: IdCard {
            name: "张三".into(),
            gender: id.gender(),
            ethnicity: 1,
            birth_date: id.birth_date(),
            address: "湖南省长沙市芙蓉区五一大道1号".into(),
            id_number: id,
            valid_until,
        },
        mode,
        photo,
    }
}

pub fn valid_until() -> Option<Date> {
    Date::new(2030, 5, 1)
}

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

pub const LOGIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$bG9naW4$aGFzaA";
pub const SAVE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2F2ZQ$aGFzaA";

/// One candidate's record driven command by command, as a shard would.
pub struct Journey {
    pub state: Option<Candidate>,
    pub events: Vec<Event>,
    pub schedule: Schedule,
    pub policy: Policy,
    pub frozen: bool,
}

impl Default for Journey {
    fn default() -> Self {
        Self::new()
    }
}

impl Journey {
    pub fn new() -> Journey {
        Journey {
            state: None,
            events: Vec::new(),
            schedule: schedule(),
            policy: Policy::default(),
            frozen: false,
        }
    }

    pub fn run(&mut self, command: Command, now: Timestamp) -> Result<Vec<Event>, Rejection> {
        let key = KeySecret::new(b"test".to_vec())
            .candidate_key(&capture(CaptureMode::CardRead, None).id_card.id_number);
        let ctx = Context {
            key,
            now,
            schedule: &self.schedule,
            policy: &self.policy,
            records_frozen: self.frozen,
        };
        let events = decide(self.state.as_ref(), &command, &ctx)?;
        for event in &events {
            self.state = evolve(self.state.take(), event);
        }
        self.events.extend(events.iter().cloned());
        Ok(events)
    }

    pub fn candidate(&self) -> &Candidate {
        self.state.as_ref().expect("captured")
    }

    /// Replays every event recorded so far from nothing.
    pub fn replayed(&self) -> Option<Candidate> {
        self.events.iter().fold(None, evolve)
    }
}
