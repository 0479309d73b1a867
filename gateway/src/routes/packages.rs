//! County export packages over HTTP (see `crate::packages` for the format; the body is the
//! encrypted envelope, `application/octet-stream`, streamed from a temporary file):
//! `GET /v1/counties/{county}/export-package` for the county, its city or the province;
//! `POST /v1/imports/county-package` for the county's city or the province, which verifies
//! the whole package first and then takes over the county's record and every candidate
//! (with photo) this instance does not already hold — idempotently, so importing the same
//! package again changes nothing.

use crate::error::ApiError;
use crate::packages::{self, PackageError};
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actors::{ActorError, CountyExecute};
use engine::candidate::Command;
use engine::county::CountyCommand;
use engine::org::CountyCode;
use engine::scope::Scope;
use futures::StreamExt;
use std::io::{Seek as _, Write as _};
use storage::{StateStore, StateUpdate};

/// Largest package accepted.
pub const MAX_PACKAGE_BYTES: usize = 512 * 1024 * 1024;

/// Package imports and exports at once on a node; more get 503 `packages_busy`.
pub const CONCURRENT_PACKAGES: usize = 2;

fn packages_busy() -> ApiError {
    ApiError::retry_later(
        StatusCode::SERVICE_UNAVAILABLE,
        "packages_busy",
        "other package imports or exports are running on this node; retry shortly",
        30,
    )
}

fn package_failed(error: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "package_failed",
        error.to_string(),
    )
}

impl From<PackageError> for ApiError {
    fn from(error: PackageError) -> ApiError {
        let status = match error {
            PackageError::Signature => StatusCode::UNAUTHORIZED,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, error.code(), error.to_string())
    }
}

/// `GET /v1/counties/{county}/export-package`.
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code: CountyCode = county.parse()?;
    if matches!(caller.0.scope, Scope::Point(_) | Scope::Candidate(_))
        || !caller.0.scope.covers_county(code)
    {
        return Err(ApiError::out_of_scope());
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
    // Candidates a page at a time, photos one at a time, into the builder's files: memory
    // stays bounded whatever the county's size. (Small synchronous file writes on the worker;
    // the heavy part — tar, encryption — runs on the blocking pool.)
    let mut builder = packages::Builder::new(&county)?;
    for point in county.points.values() {
        let mut after = None;
        loop {
            let (page, next) =
                super::page_at_point(&state, point.code, None, after, EXPORT_PAGE).await?;
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
    let sealed = web::block(move || -> Result<std::fs::File, PackageError> {
        let file =
            tempfile::tempfile().map_err(|error| PackageError::Malformed(error.to_string()))?;
        let mut file = builder
            .finish(&keys, created_at, std::io::BufWriter::new(file))?
            .into_inner()
            .map_err(|error| PackageError::Malformed(error.to_string()))?;
        file.seek(std::io::SeekFrom::Start(0))
            .map_err(|error| PackageError::Malformed(error.to_string()))?;
        Ok(file)
    })
    .await
    .map_err(package_failed)??;
    let length = sealed.metadata().map_err(package_failed)?.len();
    Ok(HttpResponse::Ok()
        .content_type(PACKAGE_CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"county-{code}.gkpkg\""),
        ))
        .body(actix_web::body::SizedStream::new(
            length,
            file_chunks(sealed),
        )))
}

/// Candidates read per store call while exporting.
const EXPORT_PAGE: usize = 500;

/// What an export answers with, and what an import expects (an encrypted envelope, see
/// `crate::packages::sealed`).
pub const PACKAGE_CONTENT_TYPE: &str = "application/octet-stream";

/// `file` as a stream of 64 KiB chunks, each read on the blocking pool.
fn file_chunks(
    file: std::fs::File,
) -> impl futures::Stream<Item = Result<actix_web::web::Bytes, actix_web::Error>> {
    futures::stream::try_unfold(file, |mut file| async move {
        let (file, chunk) = web::block(move || {
            use std::io::Read as _;
            let mut chunk = vec![0u8; 64 * 1024];
            let read = file.read(&mut chunk)?;
            chunk.truncate(read);
            Ok::<_, std::io::Error>((file, chunk))
        })
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?
        .map_err(actix_web::error::ErrorInternalServerError)?;
        Ok((!chunk.is_empty()).then(|| (actix_web::web::Bytes::from(chunk), file)))
    })
}

/// `POST /v1/imports/county-package`.
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let idempotency = super::idempotency_key(&request)?;
    if !matches!(caller.0.scope, Scope::City(_) | Scope::Province) {
        return Err(ApiError::out_of_scope());
    }
    let _place = state.packages.try_acquire().map_err(|_| packages_busy())?;
    // Streamed to a temporary file (deleted when dropped), never held whole in memory; the
    // reader then verifies the manifest before it reads anything else.
    let mut file = tempfile::tempfile().map_err(package_failed)?;
    let mut received = 0;
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|error| ApiError::bad_request("body_unreadable", error.to_string()))?;
        received += chunk.len();
        if received > MAX_PACKAGE_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("a package may be at most {MAX_PACKAGE_BYTES} bytes"),
            ));
        }
        file.write_all(&chunk).map_err(package_failed)?;
    }
    let key = state.export_key.clone();
    let package = web::block(move || {
        file.seek(std::io::SeekFrom::Start(0))
            .map_err(|error| PackageError::Malformed(error.to_string()))?;
        packages::open_sealed(&key, std::io::BufReader::new(file))
    })
    .await
    .map_err(package_failed)??;
    let code = package.county.code;
    if !caller.0.scope.covers_county(code) {
        return Err(ApiError::out_of_scope());
    }
    // The county first: if this instance's county is further along, nothing is imported.
    let county = state
        .registry
        .county(
            code,
            CountyExecute {
                command: CountyCommand::Import(Box::new(package.county)),
                idempotency_key: format!("package-{idempotency}"),
                now: state.now(),
            },
        )
        .await?;
    let mut imported = 0;
    let mut already = 0;
    let mut conflicts = Vec::new();
    for candidate in package.candidates {
        let key = candidate.key;
        let photo = package
            .photos
            .get(&candidate.capture.photo.sha256)
            .map(|bytes| StateUpdate::Photo {
                sha256: candidate.capture.photo.sha256.clone(),
                bytes: bytes.clone(),
            });
        let outcome = super::execute(
            &state,
            key,
            Command::Import(Box::new(candidate)),
            format!("package-{idempotency}"),
            photo.into_iter().collect(),
        )
        .await;
        match outcome {
            Ok(outcome) if !outcome.events.is_empty() => imported += 1,
            Ok(_) => already += 1,
            Err(ActorError::Rejected(engine::Rejection::ImportConflict)) => {
                conflicts.push(key.to_string());
            }
            Err(refusal) => return Err(refusal.into()),
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "county": code.to_string(),
        "county_imported": !county.events.is_empty(),
        "candidates_imported": imported,
        "candidates_already_present": already,
        "conflicts": conflicts,
    })))
}
