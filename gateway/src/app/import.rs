//! Importing a point's offline captures (the documents' "paper drafts"): all rows or none.
//! Every row goes through every check a capture makes before the first serial number is
//! spent; a file with any bad row imports nothing. Each row's idempotency key derives from
//! the file's digest and the row number, so the same file sent again imports nothing twice
//! and finishes an import that was interrupted.

use super::AppError;
use super::capture::{self, CaptureRequest, Prepared};
use crate::state::AppState;
use engine::candidate::Candidate;
use engine::org::PointCode;
use std::collections::HashMap;

/// A row of the file, as parsed: its line number and the capture, or why it did not parse.
pub type Row = (usize, Result<CaptureRequest, String>);

/// Why a row is refused.
#[derive(Debug)]
pub enum RowProblem {
    /// Not a capture (a missing or malformed column).
    Malformed(String),
    /// The same ID number on an earlier row.
    DuplicateInFile {
        /// That row.
        first: usize,
    },
    /// A capture's check refused it.
    Refused(AppError),
}

/// What became of an import.
#[derive(Debug)]
pub enum ImportOutcome {
    /// Every row is imported (now, or by an earlier request with the same file).
    Imported {
        /// Rows imported before, by the same file.
        already: usize,
        /// Rows imported now: line number and record.
        rows: Vec<(usize, Option<Candidate>)>,
    },
    /// Rows refused: nothing was imported.
    Invalid(Vec<(usize, RowProblem)>),
    /// A row could not be imported after validation (a concurrent change): the rows before
    /// it are; sending the same file again finishes.
    Interrupted {
        /// The row.
        row: usize,
        /// Why.
        refusal: AppError,
        /// Rows imported before it.
        rows: Vec<(usize, Option<Candidate>)>,
    },
}

/// Imports `rows` of the file `file_id` at `point`.
pub async fn import(
    state: &AppState,
    point: PointCode,
    file_id: &str,
    rows: Vec<Row>,
) -> Result<ImportOutcome, AppError> {
    let mut problems = Vec::new();
    let mut ready = Vec::new();
    let mut already = 0;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, parsed) in rows {
        let request = match parsed {
            Ok(request) => request,
            Err(error) => {
                problems.push((row, RowProblem::Malformed(error)));
                continue;
            }
        };
        if let Some(first) = seen.insert(request.id_number().to_uppercase(), row) {
            problems.push((row, RowProblem::DuplicateInFile { first }));
            continue;
        }
        let idempotency = format!("import-{file_id}-{row}");
        match capture::prepare(state, point, &request, &idempotency).await {
            Ok(Prepared::Done(_)) => already += 1,
            Ok(Prepared::New(new)) => ready.push((row, new, idempotency)),
            Err(refusal) => problems.push((row, RowProblem::Refused(refusal))),
        }
    }
    if !problems.is_empty() {
        return Ok(ImportOutcome::Invalid(problems));
    }
    if ready.is_empty() && already == 0 {
        return Err(AppError::invalid(
            "import_empty",
            "the file has no rows under its header",
        ));
    }
    let mut imported = Vec::new();
    for (row, new, idempotency) in ready {
        match capture::commit(state, point, new, idempotency).await {
            Ok(candidate) => imported.push((row, candidate)),
            Err(refusal) => {
                return Ok(ImportOutcome::Interrupted {
                    row,
                    refusal,
                    rows: imported,
                });
            }
        }
    }
    Ok(ImportOutcome::Imported {
        already,
        rows: imported,
    })
}
