//! County export packages over HTTP: `GET /v1/counties/{county}/export-package` (the
//! county, its city or the province) streams the sealed package (`application/octet-stream`)
//! from a temporary file; `POST /v1/imports/county-package` (the county's city or the
//! province) streams the upload to a temporary file first. The use cases are
//! `crate::app::package`; the format `crate::packages`.

use crate::app::package::{self, package_failed};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use engine::org::CountyCode;
use futures::StreamExt;
use std::io::Write as _;

pub use crate::app::package::CONCURRENT_PACKAGES;

/// Largest package accepted.
pub const MAX_PACKAGE_BYTES: usize = 512 * 1024 * 1024;

/// What an export answers with, and what an import expects (an encrypted envelope, see
/// `crate::packages::sealed`).
pub const PACKAGE_CONTENT_TYPE: &str = "application/octet-stream";

/// `GET /v1/counties/{county}/export-package`.
#[utoipa::path(
    tag = "packages",
    summary = "A county's signed export package (tar: records, photos, manifest with checksums)",
    description = "Who may call it: county, city, province.",
    params(
        crate::routes::CountyPath,
    ),
    responses(
        (status = OK, description = "the sealed package (encrypted tar of records, photos and a signed manifest)", content_type = "application/octet-stream", body = crate::openapi::Binary),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/counties/{county}/export-package")]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code: CountyCode = county.parse()?;
    let sealed = package::export(&state, &caller, code).await?;
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
#[utoipa::path(
    tag = "packages",
    summary = "Verify and import a county's export package",
    description = "Who may call it: city, province.",
    params(crate::routes::IdempotencyKey),
    request_body(content = crate::openapi::Binary, content_type = "application/octet-stream", description = "a package as exported"),
    responses(
        (status = OK, description = "what was taken over", body = crate::app::package::ImportReport),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/imports/county-package")]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let idempotency = super::idempotency_key(&request)?;
    package::may_import(&caller)?;
    // Streamed to a temporary file (deleted when dropped), never held whole in memory.
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
    let report = package::import(&state, &caller, file, &idempotency).await?;
    Ok(HttpResponse::Ok().json(report))
}
