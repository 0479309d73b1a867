//! One candidate's registration day, as benchmark.md describes it: point capture → first
//! login → fee order → the provider's notifications (1–4 copies, crossing each other and the
//! candidate's polling, sometimes one long after) → status refresh until paid → real-person
//! authentication callback → passwords → login → pledge → (phone, for art/PE) → form →
//! 0–3 edits → view.
//!
//! Pacing: a journey's first request is due at the candidate's arrival time; each next one
//! is due a think time after the previous one was *due*, or — when the server answered later
//! than that — as soon as it answered (a person cannot click before the page loads). Latency
//! is measured from the due time, so time spent waiting for the server is never hidden.
//! Journeys themselves start on the arrival schedule whatever the server does (open loop).

use crate::client::{Attempt, Call, Http};
use crate::population::{Candidate, Special};
use crate::stats::Class;
use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use hyper::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::payments::{Payment, Signer, unix_now};

/// The login and save passwords every generated candidate sets.
const LOGIN_PASSWORD: &str = "Login2026x";
const SAVE_PASSWORD: &str = "Save2026y";
/// Distinct photos the driver rotates through (encoding one per candidate would make the
/// load generator, not the server, the bottleneck).
const PHOTOS: u64 = 16;
/// Status polls before a candidate gives up waiting for the payment to show.
const MAX_POLLS: u32 = 6;
/// The art/PE categories a candidate's 1–3 choices rotate through (the API's names).
const ART_PE_CATEGORIES: [&str; 8] = [
    "fine_arts",
    "music",
    "dance",
    "broadcasting",
    "performance",
    "directing",
    "calligraphy",
    "sports",
];

/// Which steps to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum JourneyKind {
    /// Every step.
    Full,
    /// Every step that does not hash a password (no passwords, login, form): for the
    /// throughput of the rest of the mix, which benchmark.md asks for with and without
    /// hashing.
    NoHashing,
    /// Capture, first login, order and the provider's notification copies only: a payment
    /// storm.
    Payments,
    /// The adult exam (成人高考): self-registration (an account: one hash), the pledge,
    /// the basic information and 0–3 edits of it, volunteers, a confirmation point, the
    /// point's on-site confirmation with a photo, the fee order and the provider's
    /// notification copies, the candidate's polls until paid.
    Adult,
}

/// The adult-exam confirmation point a generated candidate chooses: one of the two the demo
/// approves in the candidate's county.
pub fn adult_point(candidate: &Candidate) -> engine::org::PointCode {
    engine::org::PointCode::new(candidate.point.county(), 1 + (candidate.index % 2) as u16)
        .unwrap_or(candidate.point)
}

fn adult_info(candidate: &Candidate) -> Value {
    json!({
        "document": "resident_card",
        "id_number": candidate.id_number,
        "name": candidate.name,
        "gender": match candidate.gender {
            engine::id_number::Gender::Male => "male",
            engine::id_number::Gender::Female => "female",
        },
        "ethnicity": 1,
        "birth_date": candidate.birth_date.to_string(),
        "political_status": "群众",
        "education": "高中",
        "foreign_language": "英语",
        "candidate_feature": "在职",
        "enrolment_category": "普通",
        "graduation_date": format!("{}-06-30", candidate.birth_date.year() + 18),
        "graduation_school": "长沙市第一中学",
        "certificate_number": format!("4301{:011}", candidate.index),
        "occupation": "企业职工",
        "phone": format!("139{:08}", candidate.index % 100_000_000),
        "address": "湖南省长沙市芙蓉区五一大道1号",
        "postcode": "410011",
        "hukou_city": candidate.point.county().city().code(),
        "remarks": "",
    })
}

fn adult_volunteers(candidate: &Candidate) -> Value {
    let level = ["high_to_bachelor", "high_to_junior"][(candidate.index % 2) as usize];
    json!({
        "category": if candidate.history { "文史" } else { "理工" },
        "study_form": "part_time",
        "first": {"level": level, "school_code": "10542", "school": "湖南师范大学",
            "major_code": "120201", "major": "工商管理", "major_category": "管理学", "length_years": 3},
        "second": null,
    })
}

/// The identity provider's callback key (from the server's secrets file). The payment
/// providers sign as the demo's sandbox does, with its published key
/// (`tests::payments::Signer::sandbox`): the server must be a demo.
#[derive(Debug, Clone)]
pub struct CallbackKeys {
    /// The identity provider's.
    pub identity: Vec<u8>,
}

/// A notification as its provider sends it, signed once: its copies are identical.
#[derive(Clone)]
pub struct Signed {
    /// `/v1/payments/{provider}/notify`.
    pub path: String,
    /// The provider's headers (its signature, its content type).
    pub headers: Arc<[(String, String)]>,
    /// The provider's body.
    pub body: Bytes,
}

/// A payment the storm will report (the payments journey stops at the order; its
/// notifications are signed ahead of the storm and sent in it).
#[derive(Debug, Clone)]
pub struct Pending {
    /// The journey's arrival index (its ledger entry).
    pub index: u64,
    /// Which provider.
    pub provider: &'static str,
    /// What it reports.
    pub payment: Payment,
    /// How many copies it sends.
    pub copies: u32,
}

fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// How many copies of its payment notification the provider sends for `candidate` (the
/// late one included).
fn notification_copies(candidate: &Candidate) -> u32 {
    u32::from(candidate.notification_copies) + u32::from(candidate.late_notification)
}

/// Whether a write was acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ack {
    /// Not tried, or refused.
    #[default]
    No,
    /// 2xx.
    Yes,
    /// No answer: it may have happened.
    Unknown,
}

impl Ack {
    /// What an attempt's outcome says.
    pub fn of(attempt: &Attempt) -> Ack {
        match attempt {
            Attempt::Ok(_) => Ack::Yes,
            Attempt::Refused(_) => Ack::No,
            Attempt::Unknown => Ack::Unknown,
        }
    }

    /// The better of two outcomes (one acknowledged copy acknowledges the payment).
    pub fn merge(self, other: Ack) -> Ack {
        match (self, other) {
            (Ack::Yes, _) | (_, Ack::Yes) => Ack::Yes,
            (Ack::Unknown, _) | (_, Ack::Unknown) => Ack::Unknown,
            _ => Ack::No,
        }
    }
}

/// What one journey had acknowledged, for the verification pass.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Entry {
    /// Arrival index.
    pub index: u64,
    /// The capture.
    pub capture: Ack,
    /// The candidate key the capture returned.
    pub key: Option<String>,
    /// The serial number it returned.
    pub serial: Option<String>,
    /// The fee order.
    pub order: Ack,
    /// Any copy of the payment notification.
    pub payment: Ack,
    /// Notification copies sent.
    pub notifications_sent: u32,
    /// Form saves acknowledged.
    pub form_saves: u32,
    /// Form saves without an answer.
    pub form_saves_unknown: u32,
    /// Whether the journey reached its last step.
    pub finished: bool,
}

/// Journeys' results, appended as they finish.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Mutex<Vec<Entry>>,
}

impl Ledger {
    fn push(&self, entry: Entry) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    /// Records the storm's outcomes, by journey index.
    pub fn set_payments(&self, acks: &HashMap<u64, Ack>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for entry in entries.iter_mut() {
            if let Some(ack) = acks.get(&entry.index) {
                entry.payment = entry.payment.merge(*ack);
            }
        }
    }

    /// How many journeys have finished.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Whether none has.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Everything journeys share.
pub struct Driver {
    /// The client (and its recorder).
    pub http: Http,
    /// Callback keys.
    pub keys: CallbackKeys,
    /// Point operators' tokens, by point code text.
    pub operators: HashMap<String, String>,
    /// Time compression: 60 replays a minute of the day in a second. Infinite: no think
    /// time at all (saturation).
    pub speed: f64,
    /// Against the bare ceiling handler: replies are not parsed; placeholders stand in.
    pub bare: bool,
    /// Which steps.
    pub kind: JourneyKind,
    /// Distinguishes this run's idempotency keys and transaction ids from earlier runs'.
    pub run_id: String,
    /// Results.
    pub ledger: Ledger,
    /// Password hashes and verifications the server performed for acknowledged requests.
    pub hashes: AtomicU64,
    /// Payment notification copies acknowledged (duplicates included).
    pub notifications_acknowledged: AtomicU64,
    /// The payment providers' signing side (the demo sandbox's key).
    signers: HashMap<&'static str, Signer>,
    /// Payments waiting for the storm (payments journey only).
    pub pending: Mutex<Vec<Pending>>,
    photos: Vec<String>,
}

impl Driver {
    /// A driver.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        http: Http,
        keys: CallbackKeys,
        operators: HashMap<String, String>,
        speed: f64,
        bare: bool,
        kind: JourneyKind,
        run_id: String,
    ) -> Driver {
        let photos = (0..PHOTOS)
            .map(|salt| {
                let jpeg = engine::photo::synthetic_jpeg(480, 640, 30 * 1024, salt);
                base64::engine::general_purpose::STANDARD.encode(jpeg)
            })
            .collect();
        Driver {
            http,
            keys,
            operators,
            speed,
            bare,
            kind,
            run_id,
            ledger: Ledger::default(),
            hashes: AtomicU64::new(0),
            notifications_acknowledged: AtomicU64::new(0),
            signers: ["wechat_pay", "alipay", "unionpay"]
                .into_iter()
                .map(|provider| (provider, Signer::sandbox(provider)))
                .collect(),
            pending: Mutex::default(),
            photos,
        }
    }

    /// `provider`'s notification of `payment`, signed (RSA; WeChat Pay's also encrypted):
    /// CPU work, done off the request path.
    pub fn sign(&self, provider: &'static str, payment: &Payment) -> Signed {
        let (headers, body) = match self.signers.get(provider) {
            Some(signer) => signer.notification(provider, payment),
            None => (Vec::new(), Vec::new()),
        };
        Signed {
            path: format!("/v1/payments/{provider}/notify"),
            headers: headers.into(),
            body: Bytes::from(body),
        }
    }
}

/// A journey's clock (see the module comment).
struct Pace {
    due: Instant,
    speed: f64,
}

impl Pace {
    /// The next request: `think_seconds` of the day after the last one was due, or now if
    /// the server made us later than that.
    fn next(&mut self, think_seconds: f64) -> Instant {
        let think = if self.speed.is_finite() {
            Duration::from_secs_f64((think_seconds / self.speed).max(0.0))
        } else {
            Duration::ZERO
        };
        self.due = (self.due + think).max(Instant::now());
        self.due
    }
}

fn capture_body(candidate: &Candidate, photo: &str) -> Value {
    let mode = match candidate.special {
        None => "card_read",
        Some(Special::ExpiredCard) => "typed_expired_card",
        Some(Special::Absent) => "typed_absent",
    };
    json!({
        "id_number": candidate.id_number,
        "name": candidate.name,
        "gender": match candidate.gender {
            engine::id_number::Gender::Male => "male",
            engine::id_number::Gender::Female => "female",
        },
        "ethnicity": 1,
        "birth_date": candidate.birth_date.to_string(),
        "address": "湖南省长沙市芙蓉区五一大道1号",
        "valid_until": valid_until(candidate),
        "category": category(candidate),
        "mode": mode,
        "photo_base64": photo,
    })
}

fn category(candidate: &Candidate) -> &'static str {
    if candidate.vocational {
        "vocational"
    } else if candidate.history {
        "history"
    } else {
        "physics"
    }
}

fn valid_until(candidate: &Candidate) -> &'static str {
    match candidate.special {
        Some(Special::ExpiredCard) => "2021-06-30",
        _ => "长期",
    }
}

/// The form; `revision` varies the school and electives between edits.
fn form_body(candidate: &Candidate, revision: u8) -> Value {
    let schools = ["第一中学", "第二中学", "实验中学", "育才中学"];
    let school = format!("长沙市{}", schools[usize::from(revision) % schools.len()]);
    let mut form = json!({
        "save_password": SAVE_PASSWORD,
        "graduation": "current",
        "school": school,
        "urban_rural_code": 111,
        "resume": [{"from": "2020-09", "to": null, "organisation": school, "role": "学生", "witness": "王老师"}],
    });
    if candidate.vocational {
        form["exam_type"] = json!("vocational");
        form["vocational_group"] = json!("计算机类");
    } else {
        form["exam_type"] = json!("general");
        form["first_subject"] = json!(if candidate.history {
            "history"
        } else {
            "physics"
        });
        form["electives"] = if revision.is_multiple_of(2) {
            json!(["chemistry", "biology"])
        } else {
            json!(["geography", "politics"])
        };
    }
    form
}

impl Driver {
    fn idempotency(&self, candidate: &Candidate, step: &str) -> String {
        format!("lt{}-{}-{step}", self.run_id, candidate.index)
    }

    /// Runs one journey starting at `arrival`; returns once its last request (including a
    /// late notification copy) has ended.
    pub async fn journey(self: Arc<Self>, candidate: Candidate, arrival: Instant) {
        let mut entry = Entry {
            index: candidate.index,
            ..Entry::default()
        };
        let late_copies = self.steps(&candidate, arrival, &mut entry).await;
        for copy in late_copies {
            if let Ok(ack) = copy.await {
                entry.payment = entry.payment.merge(ack);
            }
        }
        self.ledger.push(entry);
    }

    async fn steps(
        self: &Arc<Self>,
        candidate: &Candidate,
        arrival: Instant,
        entry: &mut Entry,
    ) -> Vec<tokio::task::JoinHandle<Ack>> {
        let mut pace = Pace {
            due: arrival,
            speed: self.speed,
        };
        if self.kind == JourneyKind::Adult {
            return self.adult_steps(candidate, &mut pace, entry).await;
        }
        let http = &self.http;
        let point = candidate.point.to_string();
        let Some(operator) = self.operators.get(&point) else {
            return Vec::new();
        };
        let photo = &self.photos[(candidate.index % PHOTOS) as usize];
        // 1. The point captures ID data, photo and serial number.
        let capture = http
            .at(
                pace.next(0.0),
                Call::new(
                    Class::Write,
                    Method::POST,
                    format!("/v1/points/{point}/captures"),
                )
                .json(&capture_body(candidate, photo))
                .token(operator)
                .idempotency(self.idempotency(candidate, "capture")),
            )
            .await;
        entry.capture = Ack::of(&capture);
        let Some(captured) = capture.ok() else {
            return Vec::new();
        };
        let key = if self.bare {
            format!("{:032x}", candidate.index)
        } else {
            match captured.field("key") {
                Some(key) => key,
                None => return Vec::new(),
            }
        };
        entry.serial = captured.field("serial_number");
        entry.key = Some(key.clone());
        // 2. First login at home (ID number + name + card validity).
        let Some(session) = http
            .at(
                pace.next(120.0),
                Call::new(
                    Class::Write,
                    Method::POST,
                    "/v1/sessions/candidate/first-login",
                )
                .json(&json!({"id_number": candidate.id_number, "name": candidate.name, "valid_until": valid_until(candidate)})),
            )
            .await
            .ok()
        else {
            return Vec::new();
        };
        let mut token = self.token_of(&session);
        // 3. The fee order.
        let order = http
            .at(
                pace.next(30.0),
                Call::new(Class::Write, Method::POST, "/v1/candidates/me/fee-orders")
                    .json(&json!({"provider": candidate.payer.name()}))
                    .token(&token)
                    .idempotency(self.idempotency(candidate, "order")),
            )
            .await;
        entry.order = Ack::of(&order);
        let Some(order) = order.ok() else {
            return Vec::new();
        };
        let (order_id, amount) = if self.bare {
            // The bare ceiling handler answers every request alike; any number will do.
            ("GKCEILING01".to_owned(), 2000)
        } else {
            let body = order.json();
            match (body["order_id"].as_str(), body["amount_fen"].as_u64()) {
                (Some(id), Some(amount)) => (id.to_owned(), amount),
                _ => return Vec::new(),
            }
        };
        // 4. The provider notifies, 1–4 copies, independently of the candidate.
        let mut copies = self.notifications(candidate, &order_id, amount, pace.due, "");
        entry.notifications_sent = notification_copies(candidate);
        if self.kind == JourneyKind::Payments {
            entry.finished = true;
            return copies;
        }
        // 5. The candidate refreshes until the payment shows.
        let mut paid = false;
        for _ in 0..MAX_POLLS {
            let status = http
                .at(
                    pace.next(15.0),
                    Call::new(Class::Read, Method::GET, "/v1/candidates/me").token(&token),
                )
                .await;
            paid = match status.ok() {
                Some(reply) => self.bare || reply.json()["fee_paid"].as_bool() == Some(true),
                None => false,
            };
            if paid {
                break;
            }
        }
        if !paid {
            return copies;
        }
        // 6. Real-person authentication: the candidate starts it, the identity provider
        //    calls back with the ticket and the SHA-256 of the ID number it verified.
        let started = http
            .at(
                pace.next(20.0),
                Call::new(
                    Class::Write,
                    Method::POST,
                    "/v1/candidates/me/identity-verification",
                )
                .token(&token),
            )
            .await;
        let verification = if self.bare {
            "ceiling".to_owned()
        } else {
            match started
                .ok()
                .and_then(|reply| reply.json()["verification"].as_str().map(str::to_owned))
            {
                Some(ticket) => ticket,
                None => return copies,
            }
        };
        let verified = {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(candidate.id_number.as_bytes()))
        };
        let identity = json!({
            "verification": verification,
            "passed": true,
            "reference": self.idempotency(candidate, "face"),
            "id_number_sha256": verified,
        });
        let body = identity.to_string();
        let signature = sign(&self.keys.identity, body.as_bytes());
        if http
            .at(
                pace.next(40.0),
                Call::new(Class::Callback, Method::POST, "/v1/identity/callback")
                    .json(&identity)
                    .signature(signature),
            )
            .await
            .ok()
            .is_none()
        {
            return copies;
        }
        if self.kind == JourneyKind::Full {
            // 7. Passwords (two hashes), 8. login with them (one verification).
            if http
                .at(
                    pace.next(60.0),
                    Call::new(Class::Hashing, Method::PUT, "/v1/candidates/me/passwords")
                        .json(&json!({"login_password": LOGIN_PASSWORD, "save_password": SAVE_PASSWORD}))
                        .token(&token)
                        .idempotency(self.idempotency(candidate, "passwords")),
                )
                .await
                .ok()
                .is_none()
            {
                return copies;
            }
            self.hashes.fetch_add(2, Ordering::Relaxed);
            let Some(login) = http
                .at(
                    pace.next(30.0),
                    Call::new(Class::Hashing, Method::POST, "/v1/sessions/candidate")
                        .json(&json!({"login": candidate.id_number, "password": LOGIN_PASSWORD})),
                )
                .await
                .ok()
            else {
                return copies;
            };
            self.hashes.fetch_add(1, Ordering::Relaxed);
            token = self.token_of(&login);
            // Art/PE candidates must bind a phone; a third of the others do too.
            if candidate.art_pe_categories > 0 || candidate.index.is_multiple_of(3) {
                let phone = format!("138{:08}", candidate.index % 100_000_000);
                http.at(
                    pace.next(30.0),
                    Call::new(Class::Hashing, Method::PUT, "/v1/candidates/me/phone")
                        .json(&json!({"phone": phone, "save_password": SAVE_PASSWORD}))
                        .token(&token)
                        .idempotency(self.idempotency(candidate, "phone")),
                )
                .await;
                self.hashes.fetch_add(1, Ordering::Relaxed);
            }
            // Art/PE: choose each category, order it, and the provider notifies per order.
            for category in ART_PE_CATEGORIES
                .iter()
                .cycle()
                .skip(candidate.index as usize % ART_PE_CATEGORIES.len())
                .take(usize::from(candidate.art_pe_categories))
            {
                let items = if matches!(*category, "music" | "sports") {
                    json!({"main_item": "主项", "sub_item": "辅项", "save_password": SAVE_PASSWORD})
                } else {
                    json!({"main_item": "主项", "save_password": SAVE_PASSWORD})
                };
                let path = format!("/v1/candidates/me/art-pe/{category}");
                http.at(
                    pace.next(30.0),
                    Call::new(Class::Hashing, Method::PUT, path.clone())
                        .json(&items)
                        .token(&token)
                        .idempotency(self.idempotency(candidate, &format!("art-{category}"))),
                )
                .await;
                self.hashes.fetch_add(1, Ordering::Relaxed);
                let order = http
                    .at(
                        pace.next(20.0),
                        Call::new(Class::Write, Method::POST, format!("{path}/fee-orders"))
                            .json(&json!({"provider": candidate.payer.name()}))
                            .token(&token)
                            .idempotency(
                                self.idempotency(candidate, &format!("art-order-{category}")),
                            ),
                    )
                    .await;
                let ordered = order.ok().and_then(|reply| {
                    let body = reply.json();
                    Some((
                        body["order_id"].as_str()?.to_owned(),
                        body["amount_fen"].as_u64()?,
                    ))
                });
                if let Some((order_id, amount)) = ordered.filter(|_| !self.bare) {
                    copies.extend(
                        self.notifications(candidate, &order_id, amount, pace.due, category),
                    );
                }
            }
            // 9. The pledge.
            if http
                .at(
                    pace.next(20.0),
                    Call::new(Class::Write, Method::POST, "/v1/candidates/me/pledge")
                        .token(&token)
                        .idempotency(self.idempotency(candidate, "pledge")),
                )
                .await
                .ok()
                .is_none()
            {
                return copies;
            }
            // 10. The form, then 0–3 edits (each verifies the save password).
            for revision in 0..=candidate.edits {
                let saved = http
                    .at(
                        pace.next(if revision == 0 { 240.0 } else { 90.0 }),
                        Call::new(Class::Hashing, Method::PUT, "/v1/candidates/me/form")
                            .json(&form_body(candidate, revision))
                            .token(&token)
                            .idempotency(self.idempotency(candidate, &format!("form{revision}"))),
                    )
                    .await;
                match Ack::of(&saved) {
                    Ack::Yes => {
                        entry.form_saves += 1;
                        self.hashes.fetch_add(1, Ordering::Relaxed);
                    }
                    Ack::Unknown => entry.form_saves_unknown += 1,
                    Ack::No => {}
                }
            }
        }
        // 11. A last look.
        http.at(
            pace.next(30.0),
            Call::new(Class::Read, Method::GET, "/v1/candidates/me").token(&token),
        )
        .await;
        entry.finished = true;
        copies
    }

    /// The adult exam's journey (see [`JourneyKind::Adult`]).
    async fn adult_steps(
        self: &Arc<Self>,
        candidate: &Candidate,
        pace: &mut Pace,
        entry: &mut Entry,
    ) -> Vec<tokio::task::JoinHandle<Ack>> {
        let http = &self.http;
        let point = adult_point(candidate).to_string();
        let Some(operator) = self.operators.get(&point) else {
            return Vec::new();
        };
        // 1. An account (one hash), answered with a session.
        let username = format!("lt{}_{}", self.run_id, candidate.index);
        let created = http
            .at(
                pace.next(0.0),
                Call::new(Class::Hashing, Method::POST, "/v1/adult/accounts")
                    .json(&json!({"username": username, "password": LOGIN_PASSWORD})),
            )
            .await;
        entry.capture = Ack::of(&created);
        let Some(created) = created.ok() else {
            return Vec::new();
        };
        self.hashes.fetch_add(1, Ordering::Relaxed);
        let token = self.token_of(&created);
        // 2. The pledge, 3. the information and its edits, 4. volunteers, 5. the point.
        let write = |path: &str, method: Method, body: Option<Value>, step: String| {
            let call = Call::new(Class::Write, method, path.to_owned())
                .token(&token)
                .idempotency(self.idempotency(candidate, &step));
            match body {
                Some(body) => call.json(&body),
                None => call,
            }
        };
        if http
            .at(
                pace.next(60.0),
                write("/v1/adult/me/pledge", Method::POST, None, "pledge".into()),
            )
            .await
            .ok()
            .is_none()
        {
            return Vec::new();
        }
        for revision in 0..=candidate.edits {
            let saved = http
                .at(
                    pace.next(if revision == 0 { 240.0 } else { 90.0 }),
                    write(
                        "/v1/adult/me/info",
                        Method::PUT,
                        Some(adult_info(candidate)),
                        format!("info{revision}"),
                    ),
                )
                .await;
            match Ack::of(&saved) {
                Ack::Yes => entry.form_saves += 1,
                Ack::Unknown => entry.form_saves_unknown += 1,
                Ack::No => {}
            }
        }
        let volunteers = http
            .at(
                pace.next(120.0),
                write(
                    "/v1/adult/me/volunteers",
                    Method::PUT,
                    Some(adult_volunteers(candidate)),
                    "volunteers".into(),
                ),
            )
            .await;
        match Ack::of(&volunteers) {
            Ack::Yes => entry.form_saves += 1,
            Ack::Unknown => entry.form_saves_unknown += 1,
            Ack::No => return Vec::new(),
        }
        let chosen = http
            .at(
                pace.next(30.0),
                write(
                    "/v1/adult/me/point",
                    Method::PUT,
                    Some(json!({"point": point})),
                    "point".into(),
                ),
            )
            .await;
        let Some(chosen) = chosen.ok() else {
            return Vec::new();
        };
        let key = if self.bare {
            format!("{:032x}", candidate.index)
        } else {
            match chosen.field("key") {
                Some(key) => key,
                None => return Vec::new(),
            }
        };
        entry.key = Some(key.clone());
        // 6. On site, days later: the point confirms with the photo it takes.
        let photo = &self.photos[(candidate.index % PHOTOS) as usize];
        if http
            .at(
                pace.next(600.0),
                Call::new(
                    Class::Write,
                    Method::POST,
                    format!("/v1/adult/registrations/{key}/confirmation"),
                )
                .json(
                    &json!({"photo_base64": photo, "qualification_checked": true,
                    "bonus_checked": candidate.bonus, "pledge_transcribed": true}),
                )
                .token(operator)
                .idempotency(self.idempotency(candidate, "confirm")),
            )
            .await
            .ok()
            .is_none()
        {
            return Vec::new();
        }
        // 7. The fee order, 8. the provider's notification copies.
        let order = http
            .at(
                pace.next(60.0),
                write(
                    "/v1/adult/me/fee-orders",
                    Method::POST,
                    Some(json!({"provider": candidate.payer.name()})),
                    "order".into(),
                ),
            )
            .await;
        entry.order = Ack::of(&order);
        let Some(order) = order.ok() else {
            return Vec::new();
        };
        let (order_id, amount) = if self.bare {
            ("CRCEILING01".to_owned(), 12_000)
        } else {
            let body = order.json();
            match (body["order_id"].as_str(), body["amount_fen"].as_u64()) {
                (Some(id), Some(amount)) => (id.to_owned(), amount),
                _ => return Vec::new(),
            }
        };
        let copies = self.notifications(candidate, &order_id, amount, pace.due, "adult");
        entry.notifications_sent = notification_copies(candidate);
        // 9. The candidate looks until the payment shows.
        for _ in 0..MAX_POLLS {
            let status = http
                .at(
                    pace.next(15.0),
                    Call::new(Class::Read, Method::GET, "/v1/adult/me").token(&token),
                )
                .await;
            if status
                .ok()
                .is_some_and(|reply| self.bare || reply.json()["fee_paid"].as_bool() == Some(true))
            {
                entry.finished = true;
                break;
            }
        }
        copies
    }

    fn token_of(&self, session: &crate::client::Reply) -> String {
        if self.bare {
            "bare".to_owned()
        } else {
            session.field("token").unwrap_or_default()
        }
    }

    /// Spawns the provider's notification copies for one order (`purpose` tells the fees'
    /// transactions apart: empty for the registration fee, the category for art/PE ones):
    /// identical signed bodies, due at random
    /// moments in the minute after the order (crossing each other and the candidate's polls);
    /// a late copy comes 5–15 minutes later, after the journey has moved on.
    fn notifications(
        self: &Arc<Self>,
        candidate: &Candidate,
        order_id: &str,
        amount: u64,
        ordered: Instant,
        purpose: &str,
    ) -> Vec<tokio::task::JoinHandle<Ack>> {
        let provider = candidate.payer.name();
        let payment = Payment {
            order_id: order_id.to_owned(),
            transaction_id: self.idempotency(candidate, &format!("tx{purpose}")),
            amount_fen: amount,
            paid_at: unix_now(),
        };
        let copies = notification_copies(candidate);
        if self.kind == JourneyKind::Payments && !self.bare {
            // The storm sends them, signed ahead of time.
            self.pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(Pending {
                    index: candidate.index,
                    provider,
                    payment,
                    copies,
                });
            return Vec::new();
        }
        // Signed once, now, on the blocking pool (never on the request path): the first
        // copy is due seconds later.
        let (signed_tx, signed_rx) = tokio::sync::watch::channel(None::<Signed>);
        if self.bare {
            // The bare handler reads nothing: no signing in the ceiling's generator.
            let _ = signed_tx.send(Some(Signed {
                path: format!("/v1/payments/{provider}/notify"),
                headers: Arc::new([]),
                body: Bytes::from_static(b"{}"),
            }));
        } else {
            let driver = Arc::clone(self);
            tokio::task::spawn_blocking(move || {
                let _ = signed_tx.send(Some(driver.sign(provider, &payment)));
            });
        }
        let mut dice = crate::population::Dice::new(candidate.index, candidate.index, 7);
        let mut delays: Vec<f64> = (0..candidate.notification_copies)
            .map(|copy| {
                if copy == 0 {
                    dice.between(3.0, 30.0)
                } else {
                    dice.between(3.0, 60.0)
                }
            })
            .collect();
        if candidate.late_notification {
            delays.push(dice.between(300.0, 900.0));
        }
        delays
            .into_iter()
            .map(|delay| {
                let driver = Arc::clone(self);
                let mut signed = signed_rx.clone();
                let due = if driver.speed.is_finite() {
                    ordered + Duration::from_secs_f64(delay / driver.speed)
                } else {
                    ordered
                };
                tokio::spawn(async move {
                    let Ok(signed) = signed.wait_for(Option::is_some).await.map(|s| s.clone())
                    else {
                        return Ack::No;
                    };
                    let Some(signed) = signed else {
                        return Ack::No;
                    };
                    let attempt = driver
                        .http
                        .at(
                            due,
                            Call::new(Class::Callback, Method::POST, signed.path)
                                .provider(signed.headers, signed.body),
                        )
                        .await;
                    let ack = Ack::of(&attempt);
                    if ack == Ack::Yes {
                        driver
                            .notifications_acknowledged
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    ack
                })
            })
            .collect()
    }
}
