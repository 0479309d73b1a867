//! Outages (the documents' "paper drafts"): when a point could not reach the system, it
//! captures offline into a CSV file and imports it later.
//!
//! The use case is `crate::app::import`; here the file is read and parsed, and the outcome
//! rendered.
//!
//! `POST /v1/points/{point}/imports` takes the file (`text/csv`, UTF-8) in the template of
//! `GET /v1/imports/capture-template.csv`: a header row with exactly the columns
//! `id_number,name,gender,ethnicity,birth_date,address,valid_until,category,mode,track,
//! migrant_child,document,explanation,photo_base64` (the capture API's fields; `track`,
//! `migrant_child`, `document`, `explanation` may be left empty), one candidate per row.
//!
//! - **Row-level validation report**: every row goes through every check a capture makes
//!   (ID number, card data, photo, window, an existing registration, a duplicate within the
//!   file); a file with any bad row is refused with 422 and the list of rows, codes and
//!   messages — and **nothing is imported**.
//! - **Idempotent re-import**: each row's idempotency key is derived from the file's SHA-256
//!   and the row number, so sending the same file again imports nothing twice (rows already
//!   imported are reported as such) and completes an import that was interrupted.
//! - Applying is one capture per row (a serial number each, durable before the next). The
//!   validation is complete before the first serial is spent, so only a concurrent change
//!   between validation and apply (another capture of the same person elsewhere) can stop an
//!   import midway; the answer then says how far it got, and re-sending the file finishes it.

use super::captures;
use super::idempotency_key;
use crate::app::capture::CaptureRequest;
use crate::app::import::{self as import_case, ImportOutcome, RowProblem};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use engine::candidate::Candidate;
use engine::org::PointCode;
use futures::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The template's columns, in order.
pub const TEMPLATE_COLUMNS: [&str; 14] = [
    "id_number",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "address",
    "valid_until",
    "category",
    "mode",
    "track",
    "migrant_child",
    "document",
    "explanation",
    "photo_base64",
];

/// Largest file accepted (about 600 rows with 40 KB photos).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// One refused row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    row: usize,
    /// The refusal's stable code.
    code: &'static str,
    /// Why.
    message: String,
}

/// One imported row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportedRow {
    /// Line in the file.
    row: usize,
    /// The candidate's key.
    key: Option<String>,
    /// Their serial number.
    serial_number: Option<String>,
}

/// A file imported (or imported before).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// The file's identity (a hash of its bytes): the same file sent again is the same import.
    file: String,
    /// Rows imported by this request.
    imported: usize,
    /// Rows imported by an earlier request with the same file.
    already_imported: usize,
    /// The rows imported by this request.
    rows: Vec<ImportedRow>,
}

/// A file refused (`import_invalid`: nothing imported) or interrupted
/// (`import_interrupted`: the rows listed were imported; send the same file again).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRefused {
    /// `import_invalid` or `import_interrupted`.
    code: &'static str,
    /// For people.
    message: String,
    /// The refused rows (`import_invalid`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<RowError>,
    /// The rows imported before the interruption (`import_interrupted`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    imported: Vec<ImportedRow>,
}

/// Rows of a file: each row's number and its capture, or why it cannot be read.
pub type Rows = Vec<(usize, Result<CaptureRequest, String>)>;

/// The file's rows (numbered as a spreadsheet shows them: the header is row 1), each a
/// capture or why it cannot be read; refused whole when the header is not the template's.
/// Parsing only: outside bytes in, nothing touched (the fuzz target `csv_import` drives it).
pub fn read_rows(body: &[u8]) -> Result<Rows, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|error| not_the_template(error.to_string()))?
        .clone();
    if headers.iter().ne(TEMPLATE_COLUMNS) {
        return Err(not_the_template(format!(
            "the header row must be exactly: {} (see GET /v1/imports/capture-template.csv)",
            TEMPLATE_COLUMNS.join(",")
        )));
    }
    Ok(reader
        .deserialize::<CaptureRequest>()
        .enumerate()
        .map(|(index, record)| (index + 2, record.map_err(|error| error.to_string())))
        .collect())
}

/// 422: the file is text, but not the template filled in.
fn not_the_template(message: String) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "import_template",
        message,
    )
}

/// `GET /v1/imports/capture-template.csv`: the header row to fill in.
#[utoipa::path(
    tag = "imports",
    summary = "The CSV template for offline captures",
    description = "Who may call it: anyone.",
    responses(
        (status = OK, description = "the header row to fill in", content_type = "text/csv", body = String),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/imports/capture-template.csv")]
pub async fn template() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"capture-template.csv\"",
        ))
        .body(format!("{}\r\n", TEMPLATE_COLUMNS.join(",")))
}

async fn read_limited(mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|error| ApiError::bad_request("body_unreadable", error.to_string()))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("an import file may be at most {MAX_IMPORT_BYTES} bytes; split it"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `POST /v1/points/{point}/imports`.
#[utoipa::path(
    tag = "imports",
    summary = "Import a point's offline captures from the CSV template (all rows or none; re-sending is safe)",
    description = "Who may call it: point, county.",
    params(
        crate::routes::PointPath,
        crate::routes::IdempotencyKey,
    ),
    request_body(content = String, content_type = "text/csv", description = "the capture template, filled in (UTF-8, header row first)"),
    responses(
        (status = OK, description = "every row imported (or imported before)", body = crate::routes::imports::ImportSummary),
        (status = UNPROCESSABLE_ENTITY, description = "rows refused, each with its code; nothing was imported", body = crate::routes::imports::ImportRefused),
    ),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("write"))),
)]
#[post("/v1/points/{point}/imports")]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    point: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let point: PointCode = point.parse()?;
    captures::require_capturing_scope(&caller, point)?;
    idempotency_key(&request)?;
    let body = read_limited(payload).await?;
    let file_id = hex::encode(&Sha256::digest(&body)[..8]);
    let rows = read_rows(&body)?;
    let imported_row = |(row, candidate): (usize, Option<Candidate>)| ImportedRow {
        row,
        key: candidate.as_ref().map(|c| c.key.to_string()),
        serial_number: candidate.as_ref().map(|c| c.capture.serial.to_string()),
    };
    match import_case::import(&state, point, &file_id, rows).await? {
        ImportOutcome::Imported { already, rows } => Ok(HttpResponse::Ok().json(ImportSummary {
            file: file_id,
            imported: rows.len(),
            already_imported: already,
            rows: rows.into_iter().map(imported_row).collect(),
        })),
        ImportOutcome::Invalid(problems) => {
            let errors: Vec<RowError> = problems
                .into_iter()
                .map(|(row, problem)| match problem {
                    RowProblem::Malformed(message) => RowError {
                        row,
                        code: "row_malformed",
                        message,
                    },
                    RowProblem::DuplicateInFile { first } => RowError {
                        row,
                        code: "duplicate_in_file",
                        message: format!("the same ID number is on row {first}"),
                    },
                    RowProblem::Refused(refusal) => {
                        let refusal = ApiError::from(refusal);
                        RowError {
                            row,
                            code: refusal.code,
                            message: refusal.message,
                        }
                    }
                })
                .collect();
            Ok(HttpResponse::UnprocessableEntity().json(ImportRefused {
                code: "import_invalid",
                message: format!(
                    "{} of the file's rows are refused; nothing was imported",
                    errors.len()
                ),
                errors,
                imported: Vec::new(),
            }))
        }
        ImportOutcome::Interrupted { row, refusal, rows } => {
            let refusal = ApiError::from(refusal);
            Ok(HttpResponse::build(refusal.status).json(ImportRefused {
                code: "import_interrupted",
                message: format!(
                    "row {row} could not be imported ({}: {}); {} rows were imported — send the same file again to finish",
                    refusal.code,
                    refusal.message,
                    rows.len()
                ),
                errors: Vec::new(),
                imported: rows.into_iter().map(imported_row).collect(),
            }))
        }
    }
}
