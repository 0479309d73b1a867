//! Operators' heavy reads — a point's login cards as one PDF, a county's declaration work
//! list or export package, a point's open items, a reconciliation pass — each read every
//! candidate of a point or county. Operators pass admission control untouched (it guards
//! candidates' traffic), so these are bounded here instead: one at a time per operator
//! (a second is refused, not queued: the first is still being made) and a few at a time
//! per node.

use crate::app::AppError;
use std::collections::HashSet;
use std::sync::Mutex;

/// Heavy reads at once on a node.
pub const MAX_HEAVY_READS_PER_NODE: usize = 4;

/// Who is running a heavy read now.
#[derive(Debug, Default)]
pub struct HeavyReads {
    running: Mutex<HashSet<String>>,
}

/// A heavy read's place; the place is freed when it is dropped.
#[derive(Debug)]
pub struct Place<'a> {
    reads: &'a HeavyReads,
    operator: String,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if let Ok(mut running) = self.reads.running.lock() {
            running.remove(&self.operator);
        }
    }
}

impl HeavyReads {
    /// A place for `operator`'s heavy read, or the refusal that says why not.
    pub fn enter(&self, operator: &str) -> Result<Place<'_>, AppError> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| busy("heavy reads are unavailable"))?;
        if running.contains(operator) {
            return Err(AppError::busy(
                "heavy_read_in_progress",
                "your previous list, document or export is still being made; wait for it",
                5,
            ));
        }
        if running.len() >= MAX_HEAVY_READS_PER_NODE {
            return Err(busy(
                "other lists, documents or exports are being made on this node; retry shortly",
            ));
        }
        running.insert(operator.to_owned());
        Ok(Place {
            reads: self,
            operator: operator.to_owned(),
        })
    }
}

fn busy(message: &str) -> AppError {
    AppError::busy("heavy_reads_busy", message, 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security audit item 18: operators' heavy reads bypassed admission, so one operator
    /// (or a stolen operator token) could keep a node busy making 10,000-candidate PDFs.
    #[test]
    fn item_18_heavy_reads_are_one_per_operator_and_few_per_node() {
        let reads = HeavyReads::default();
        let first = reads.enter("point-430102-001").expect("first");
        assert_eq!(
            reads
                .enter("point-430102-001")
                .map(|_| ())
                .map_err(|e| crate::error::ApiError::from(e).code),
            Err("heavy_read_in_progress")
        );
        drop(first);
        let places: Vec<_> = (0..MAX_HEAVY_READS_PER_NODE)
            .map(|i| reads.enter(&format!("operator-{i}")).expect("room"))
            .collect();
        assert_eq!(
            reads
                .enter("county-430102")
                .map(|_| ())
                .map_err(|e| crate::error::ApiError::from(e).code),
            Err("heavy_reads_busy")
        );
        drop(places);
        assert!(reads.enter("county-430102").is_ok(), "places are freed");
    }
}
