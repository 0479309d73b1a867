//! County export packages over HTTP (see `crate::packages` for the format):
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
use std::collections::BTreeMap;
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
    let mut candidates = Vec::new();
    let mut photos = BTreeMap::new();
    for point in county.points.values() {
        for candidate in super::all_at_point(&state, point.code, None).await? {
            let sha256 = &candidate.capture.photo.sha256;
            if let Some(photo) = state.store.photo(sha256).await? {
                photos.insert(sha256.clone(), photo);
            }
            candidates.push(candidate);
        }
    }
    let created_at = state.now().cst_text();
    let key = state.export_key.clone();
    let package =
        web::block(move || packages::build(&key, &county, &candidates, &photos, created_at))
            .await
            .map_err(package_failed)??;
    Ok(HttpResponse::Ok()
        .content_type("application/x-tar")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"county-{code}.tar\""),
        ))
        .body(package))
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
        packages::open(&key, std::io::BufReader::new(file))
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
