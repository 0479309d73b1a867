//! County export packages, the use cases: a county (or its city, or the province) exports
//! everything it registered into a sealed package file; the county's city or the province
//! imports one, which takes over the county's record and every candidate (with photo) this
//! instance does not already hold — idempotently. Format: `crate::packages`.

use crate::app::AppError;
use crate::app::{execute, page_at_point};
use crate::packages::{self, PackageError};
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::web;
use actors::{ActorError, CountyExecute};
use engine::candidate::Command;
use engine::county::CountyCommand;
use engine::org::CountyCode;
use engine::scope::Scope;
use serde::Serialize;
use std::io::Seek as _;
use storage::{StateStore, StateUpdate};

/// Package imports and exports at once on a node; more get 503 `packages_busy`.
pub const CONCURRENT_PACKAGES: usize = 2;

/// Candidates read per store call while exporting.
const EXPORT_PAGE: usize = 500;

/// Candidates (each with its photo, at most 1 MiB) read back from a verified package at a
/// time while importing: what an import holds in memory.
const IMPORT_PAGE: usize = 32;

fn packages_busy() -> AppError {
    AppError::busy(
        "packages_busy",
        "other package imports or exports are running on this node; retry shortly",
        30,
    )
}

/// A failure of this node (temporary files, the blocking pool), not of the package.
pub fn package_failed(error: impl std::fmt::Display) -> AppError {
    AppError::internal("package_failed", error.to_string())
}

impl From<PackageError> for AppError {
    fn from(error: PackageError) -> AppError {
        match error {
            PackageError::Signature => AppError::unauthenticated(error.code(), error.to_string()),
            _ => AppError::invalid(error.code(), error.to_string()),
        }
    }
}

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// The county.
    pub county: String,
    /// Whether the county's record was taken over (false: this instance was as far along).
    pub county_imported: bool,
    /// Candidates taken over.
    pub candidates_imported: usize,
    /// Candidates this instance held already, the same.
    pub candidates_already_present: usize,
    /// Candidates this instance holds differently (keys): left as they are here.
    pub conflicts: Vec<String>,
}

/// Exports `county` for the caller into a temporary file holding the sealed package, ready
/// to be streamed from its start. Candidates are read a page at a time and photos one at a
/// time into the builder's files: memory stays bounded whatever the county's size (small
/// synchronous file writes on the worker; the heavy part — tar, encryption — on the
/// blocking pool).
pub async fn export(
    state: &AppState,
    caller: &Caller,
    code: CountyCode,
) -> Result<std::fs::File, AppError> {
    if !caller.0.scope.covers_county(code) {
        return Err(AppError::out_of_scope());
    }
    let _place = state.packages.try_acquire().map_err(|_| packages_busy())?;
    let _heavy = state.heavy.enter(&caller.0.subject)?;
    let county = state
        .store
        .county(code)
        .await?
        .ok_or(engine::Rejection::InvalidCode {
            kind: "county",
            value: code.to_string(),
        })?;
    let mut builder = packages::Builder::new(&county)?;
    for point in county.points.values() {
        let mut after = None;
        loop {
            let (page, next) = page_at_point(state, point.code, None, after, EXPORT_PAGE).await?;
            for candidate in &page {
                builder.add_candidate(candidate)?;
                let sha256 = &candidate.capture.photo.sha256;
                if !builder.has_photo(sha256)
                    && let Some(photo) = state.store.photo(sha256).await?
                {
                    builder.add_photo(sha256, &photo)?;
                }
            }
            match next {
                Some(key) => after = Some(key),
                None => break,
            }
        }
    }
    let created_at = state.now().cst_text();
    let keys = state.export_key.clone();
    web::block(move || -> Result<std::fs::File, PackageError> {
        let malformed = |error: std::io::Error| PackageError::Malformed(error.to_string());
        let file = tempfile::tempfile().map_err(malformed)?;
        let mut file = builder
            .finish(&keys, created_at, std::io::BufWriter::new(file))?
            .into_inner()
            .map_err(|error| PackageError::Malformed(error.to_string()))?;
        file.seek(std::io::SeekFrom::Start(0)).map_err(malformed)?;
        Ok(file)
    })
    .await
    .map_err(package_failed)?
    .map_err(AppError::from)
}

/// Whether the caller may import packages at all (before an upload is read).
pub fn may_import(caller: &Caller) -> Result<(), AppError> {
    if matches!(caller.0.scope, Scope::City(_) | Scope::Province) {
        Ok(())
    } else {
        Err(AppError::out_of_scope())
    }
}

/// Imports the sealed package in `file` (an upload, positioned anywhere): decrypted and
/// verified whole before anything is taken over; then the county, then every candidate,
/// each under the request's idempotency key.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    mut file: std::fs::File,
    idempotency: &str,
) -> Result<ImportReport, AppError> {
    may_import(caller)?;
    let _place = state.packages.try_acquire().map_err(|_| packages_busy())?;
    let key = state.export_key.clone();
    let verified = web::block(move || {
        file.seek(std::io::SeekFrom::Start(0))
            .map_err(|error| PackageError::Malformed(error.to_string()))?;
        packages::verify_sealed(&key, std::io::BufReader::new(file))
    })
    .await
    .map_err(package_failed)??;
    let code = verified.scanned.county.code;
    if !caller.0.scope.covers_county(code) {
        return Err(AppError::out_of_scope());
    }
    // The county first: if this instance's county is further along, nothing is imported.
    let county = state
        .registry
        .county(
            code,
            CountyExecute {
                command: CountyCommand::Import(Box::new(verified.scanned.county.clone())),
                idempotency_key: format!("package-{idempotency}"),
                now: state.now(),
            },
        )
        .await?;
    let mut report = ImportReport {
        county: code.to_string(),
        county_imported: !county.events.is_empty(),
        candidates_imported: 0,
        candidates_already_present: 0,
        conflicts: Vec::new(),
    };
    // A page of candidates (with photos) at a time, read back from the verified file.
    let mut reading = verified.pages()?;
    loop {
        let page;
        (page, reading) =
            web::block(move || reading.next_page(IMPORT_PAGE).map(|page| (page, reading)))
                .await
                .map_err(package_failed)??;
        if page.is_empty() {
            break;
        }
        for (candidate, photo) in page {
            let key = candidate.key;
            let photo = photo.map(|bytes| StateUpdate::Photo {
                sha256: candidate.capture.photo.sha256.clone(),
                bytes,
            });
            let outcome = execute(
                state,
                key,
                Command::Import(Box::new(candidate)),
                format!("package-{idempotency}"),
                photo.into_iter().collect(),
            )
            .await;
            match outcome {
                Ok(outcome) if !outcome.events.is_empty() => report.candidates_imported += 1,
                Ok(_) => report.candidates_already_present += 1,
                Err(ActorError::Rejected(engine::Rejection::ImportConflict)) => {
                    report.conflicts.push(key.to_string());
                }
                Err(refusal) => return Err(refusal.into()),
            }
        }
    }
    Ok(report)
}
