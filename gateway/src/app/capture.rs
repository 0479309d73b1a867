//! Capture at the registration point (step 2), the use case: ID data, photo, and a serial
//! number from the point's range. Every check runs before a number is spent; then the county
//! actor assigns the serial (strictly sequential) and the candidate's shard records the
//! capture with the photo in one durable commit. Called by the JSON route and the offline
//! CSV import alike.

use crate::app::AppError;
use crate::app::run;
use crate::app::session::{key_of, parse_validity};
use crate::state::AppState;
use actors::scoped_idempotency_key;
use base64::Engine as _;
use engine::candidate::{Capture, CaptureMode, Command, IdCard, Track};
use engine::id_number::Gender;
use engine::key::CandidateKey;
use engine::org::PointCode;
use engine::serial::{SerialNumber, SubjectCategory};
use engine::time::Date;
use serde::Deserialize;
use storage::{Journal as _, Partition, StateStore, StateUpdate, StorageError};

/// How the ID data was obtained.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Read by the card reader.
    CardRead,
    /// Expired card, typed in.
    TypedExpiredCard,
    /// Candidate absent, typed in.
    TypedAbsent,
    /// Another identity document.
    OtherDocument,
}

/// Which registration the capture is for.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackName {
    /// 普通高考.
    #[default]
    Gaokao,
    /// 少年班.
    JuvenileClass,
}

/// `POST /v1/points/{point}/captures` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureRequest {
    id_number: String,
    name: String,
    gender: Gender,
    ethnicity: u8,
    /// `YYYY-MM-DD`.
    birth_date: String,
    address: String,
    /// `YYYY-MM-DD` or `长期`.
    valid_until: String,
    category: SubjectCategory,
    mode: Mode,
    /// `gaokao` (the default) or `juvenile_class` (少年班: its own, later window).
    track: Option<TrackName>,
    /// A migrant worker's child (随迁子女): only at a designated point; the county must
    /// approve the eligibility audit before the candidate can log in. Default `false`.
    migrant_child: Option<bool>,
    /// For `other_document`: which document.
    document: Option<String>,
    /// For `other_document`: the point's explanation.
    explanation: Option<String>,
    /// The JPEG, base64.
    photo_base64: String,
}

impl CaptureRequest {
    /// The ID number as sent.
    pub fn id_number(&self) -> &str {
        &self.id_number
    }

    /// The photo as sent (base64).
    pub fn photo_base64(&self) -> &str {
        &self.photo_base64
    }
}

/// A capture checked and ready to spend a serial number on.
pub struct NewCapture {
    key: CandidateKey,
    capture: Capture,
    photo_file: Vec<u8>,
}

/// What a capture request is, once checked.
pub enum Prepared {
    /// This very request (same idempotency key) was already applied: here is the record.
    Done(Box<engine::candidate::Candidate>),
    /// Valid and new.
    New(Box<NewCapture>),
}

/// The photo as it will be stored — without EXIF (camera, time, GPS position), since it is
/// exported and printed — and its measurements, or why the photo standard refuses it. The
/// console asks this as soon as a photo is chosen or taken, before the capture is sent.
pub fn check_photo(
    state: &AppState,
    uploaded: Vec<u8>,
) -> Result<(Vec<u8>, engine::photo::PhotoMeta), AppError> {
    let photo_file = engine::photo::strip_metadata(uploaded);
    let photo = state
        .settings
        .current()
        .policy
        .photo
        .inspect(&photo_file)
        .map_err(engine::Rejection::from)?;
    Ok((photo_file, photo))
}

/// Every check a capture can fail, before anything is spent: the ID number, an existing
/// registration, the photo, the card data, and the engine's own capture rules (pure).
pub async fn prepare(
    state: &AppState,
    point: PointCode,
    body: &CaptureRequest,
    idempotency: &str,
) -> Result<Prepared, AppError> {
    let (id_number, key) = key_of(state, &body.id_number)?;
    // A retry of a capture that already completed gets its original answer — only at the
    // point that made it: the same key from another point is another request (and the
    // record is not that point's to see).
    if state
        .store
        .idempotent_outcome(&scoped_idempotency_key(key, idempotency))
        .await?
        .is_some()
    {
        let candidate = crate::app::load(state, key).await?;
        if candidate.capture.point != point {
            return Err(actors::ActorError::IdempotencyKeyReused.into());
        }
        return Ok(Prepared::Done(Box::new(candidate)));
    }
    if state.store.candidate(key).await?.is_some() {
        return Err(engine::Rejection::AlreadyRegistered.into());
    }
    let uploaded = base64::engine::general_purpose::STANDARD
        .decode(body.photo_base64.as_bytes())
        .map_err(|_| AppError::invalid("photo_encoding", "photo_base64 is not valid base64"))?;
    let (photo_file, photo) = check_photo(state, uploaded)?;
    let birth_date = Date::parse(&body.birth_date)
        .ok_or_else(|| AppError::invalid("invalid_date", "birth_date must be YYYY-MM-DD"))?;
    let mode = match body.mode {
        Mode::CardRead => CaptureMode::CardRead,
        Mode::TypedExpiredCard => CaptureMode::TypedExpiredCard,
        Mode::TypedAbsent => CaptureMode::TypedAbsent,
        Mode::OtherDocument => CaptureMode::OtherDocument {
            document: body.document.clone().unwrap_or_default(),
            explanation: body.explanation.clone().unwrap_or_default(),
        },
    };
    let id_card = IdCard {
        name: body.name.clone(),
        gender: body.gender,
        ethnicity: body.ethnicity,
        birth_date,
        address: body.address.clone(),
        id_number,
        valid_until: parse_validity(&body.valid_until)?,
    };
    let capture = Capture {
        point,
        // Provisional: the county assigns the real number only once the capture is valid.
        serial: SerialNumber::new(point.county(), 1)
            .ok_or(engine::Rejection::PointUnknown { point })?,
        category: body.category,
        track: match body.track.unwrap_or_default() {
            TrackName::Gaokao => Track::Gaokao,
            TrackName::JuvenileClass => Track::JuvenileClass,
        },
        id_card,
        mode,
        migrant_child: body.migrant_child.unwrap_or(false),
        photo,
    };
    // The engine's capture checks are pure: run them before spending a serial number, so a
    // refused capture changes nothing. The shard runs them again with the real number.
    let settings = state.settings.current();
    let context = engine::candidate::Context {
        key,
        now: state.now(),
        schedule: &settings.schedule,
        policy: &settings.policy,
        records_frozen: state.registry.is_frozen(point.county()),
    };
    let command = Command::Capture(Box::new(capture.clone()));
    engine::candidate::decide(None, &command, &context)?;
    Ok(Prepared::New(Box::new(NewCapture {
        key,
        capture,
        photo_file,
    })))
}

/// Spends a serial number on a prepared capture and records it with its photo; resolves
/// once durable.
pub async fn commit(
    state: &AppState,
    point: PointCode,
    new: Box<NewCapture>,
    idempotency: String,
) -> Result<Option<engine::candidate::Candidate>, AppError> {
    let NewCapture {
        key,
        mut capture,
        photo_file,
    } = *new;
    // Scale-out mode: the capture is written by the owner of the candidate's shard; send it
    // there before a serial number is spent here.
    let shard = Partition::Candidates(key.shard(state.registry.shard_count()));
    if state.store.owner_epoch(shard).is_none() {
        return Err(StorageError::NotOwner(shard).into());
    }
    capture.serial = super::serials::assign_serial(
        state,
        point,
        capture.category,
        capture.migrant_child,
        &format!("serial/{key}/{idempotency}"),
    )
    .await?;
    let photo_update = StateUpdate::Photo {
        sha256: capture.photo.sha256.clone(),
        bytes: photo_file,
    };
    let outcome = run(
        state,
        key,
        Command::Capture(Box::new(capture)),
        idempotency,
        vec![photo_update],
    )
    .await?;
    Ok(outcome.candidate)
}
