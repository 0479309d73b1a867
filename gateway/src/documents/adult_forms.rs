//! The adult exam's forms: the flow form (《报名流程表》: what the candidate entered and
//! the steps the point works through with them, printed at the point or by the candidate)
//! and the candidate registration form (《考生登记表》: the record with its on-site photo,
//! volunteers, bonus and exemption, kept by the admitting school). One layout: sections of
//! labelled rows (two pairs a row), an optional photo beside the first, notes at the foot.

use super::{A4, Align, DocumentError, one_page, rect};
use engine::time::Timestamp;

/// A form to print.
pub struct FormSheet {
    /// The headline.
    pub heading: String,
    /// The form's name.
    pub title: &'static str,
    /// Sections: a heading and its (label, value) pairs.
    pub sections: Vec<(&'static str, Vec<(&'static str, String)>)>,
    /// The on-site photo, if taken.
    pub photo: Option<Vec<u8>>,
    /// Lines at the foot (steps, signatures).
    pub notes: Vec<String>,
    /// When printed.
    pub printed_at: Timestamp,
}

const MARGIN: f32 = 40.0;
const ROW: f32 = 20.0;
const LABEL: f32 = 78.0;
const TEXT: f32 = 9.5;
const PHOTO_WIDTH: f32 = 90.0;

/// The form as a one-page PDF.
pub fn render(form: &FormSheet) -> Result<Vec<u8>, DocumentError> {
    one_page(form.title, |sheet| {
        sheet.centred(MARGIN + 16.0, 15.0, &form.heading);
        sheet.centred(MARGIN + 38.0, 14.0, form.title);
        let width = A4.0 - 2.0 * MARGIN;
        let mut y = MARGIN + 52.0;
        for (index, (heading, pairs)) in form.sections.iter().enumerate() {
            let heading_box = rect(MARGIN, y, width, ROW)?;
            sheet.cell(heading_box, true);
            sheet.in_cell(heading_box, TEXT + 0.5, Align::Left, heading);
            y += ROW;
            // The photo sits beside the first section's rows.
            let photo_here = index == 0 && form.photo.is_some();
            let rows_width = if photo_here {
                width - PHOTO_WIDTH
            } else {
                width
            };
            let top = y;
            for pair in pairs.chunks(2) {
                let half = rows_width / 2.0;
                for (column, (label, value)) in pair.iter().enumerate() {
                    let x = MARGIN + column as f32 * half;
                    let label_box = rect(x, y, LABEL, ROW)?;
                    sheet.cell(label_box, false);
                    sheet.in_cell(label_box, TEXT, Align::Centre, label);
                    let value_box = rect(x + LABEL, y, half - LABEL, ROW)?;
                    sheet.cell(value_box, false);
                    sheet.in_cell(value_box, TEXT, Align::Left, value);
                }
                y += ROW;
            }
            if photo_here && let Some(photo) = &form.photo {
                let height = (y - top).max(4.0 * ROW);
                let frame = rect(MARGIN + rows_width, top, PHOTO_WIDTH, height)?;
                sheet.cell(frame, false);
                let photo_height = (height - 8.0).min((PHOTO_WIDTH - 8.0) * 4.0 / 3.0);
                let photo_width = photo_height * 0.75;
                sheet.jpeg(
                    rect(
                        MARGIN + rows_width + (PHOTO_WIDTH - photo_width) / 2.0,
                        top + 4.0,
                        photo_width,
                        photo_height,
                    )?,
                    photo.clone(),
                )?;
                y = y.max(top + height);
            }
            y += 8.0;
        }
        y += 6.0;
        for note in &form.notes {
            sheet.text(MARGIN, y, TEXT, note);
            y += 17.0;
        }
        sheet.text(
            MARGIN,
            y + 6.0,
            TEXT,
            &format!("打印时间：{}", form.printed_at.cst_text()),
        );
        Ok(())
    })
}
