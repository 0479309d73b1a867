//! Exam tickets (准考证): the art/PE professional exam ticket (专业统考准考证, the paid
//! categories) and the admission ticket (高考准考证, once the exam fee is paid). One layout:
//! the candidate's identity and photo, then a table the ticket chooses, then its notes.

use super::{A4, Align, DocumentError, Sheet, one_page, rect};
use engine::time::Timestamp;

/// What a ticket shows.
pub struct TicketSheet {
    /// The headline, e.g. 湖南省普通高校招生艺术类、体育类专业统考.
    pub heading: String,
    /// The document's title, e.g. 准考证.
    pub title: &'static str,
    /// The first line's label (报名号; the adult exam's 准考证号).
    pub serial_label: &'static str,
    /// Its value.
    pub serial: String,
    /// 姓名.
    pub name: String,
    /// ID number, masked.
    pub masked_id: String,
    /// One more labelled line under the identity (label, value).
    pub extra: (&'static str, String),
    /// The table's three column headings.
    pub columns: [&'static str; 3],
    /// Its rows.
    pub rows: Vec<[String; 3]>,
    /// Lines of notes under the table.
    pub notes: Vec<String>,
    /// The captured photo (JPEG).
    pub photo: Vec<u8>,
    /// When printed.
    pub printed_at: Timestamp,
}

impl TicketSheet {
    /// A ticket for `candidate` headed `heading` and titled `title`: identity filled in,
    /// the table and notes left for the caller, the photo for `ticket_pdf` to add.
    pub fn for_candidate(
        candidate: &engine::candidate::Candidate,
        heading: String,
        title: &'static str,
        printed_at: Timestamp,
    ) -> TicketSheet {
        TicketSheet {
            heading,
            title,
            serial_label: "报名号",
            serial: candidate.capture.serial.to_string(),
            name: candidate.capture.id_card.name.clone(),
            masked_id: candidate.capture.id_card.id_number.masked(),
            extra: ("", String::new()),
            columns: ["", "", ""],
            rows: Vec::new(),
            notes: Vec::new(),
            photo: Vec::new(),
            printed_at,
        }
    }
}

const MARGIN: f32 = 50.0;
const ROW: f32 = 26.0;
const LABEL_WIDTH: f32 = 80.0;
const PHOTO_WIDTH: f32 = 96.0;
const TEXT_SIZE: f32 = 11.0;
/// The table's column widths, as shares of the page's width.
const COLUMN_SHARES: [f32; 3] = [0.4, 0.3, 0.3];

fn labelled(
    sheet: &mut Sheet<'_>,
    y: f32,
    width: f32,
    name: &str,
    value: &str,
) -> Result<(), DocumentError> {
    let label = rect(MARGIN, y, LABEL_WIDTH, ROW)?;
    sheet.cell(label, true);
    sheet.in_cell(label, TEXT_SIZE, Align::Centre, name);
    let cell = rect(MARGIN + LABEL_WIDTH, y, width - LABEL_WIDTH, ROW)?;
    sheet.cell(cell, false);
    sheet.in_cell(cell, TEXT_SIZE, Align::Left, value);
    Ok(())
}

fn table_row(
    sheet: &mut Sheet<'_>,
    y: f32,
    width: f32,
    cells: [&str; 3],
    header: bool,
) -> Result<(), DocumentError> {
    let mut x = MARGIN;
    for (share, text) in COLUMN_SHARES.iter().zip(cells) {
        let cell = rect(x, y, width * share, ROW)?;
        sheet.cell(cell, header);
        let align = if header { Align::Centre } else { Align::Left };
        sheet.in_cell(cell, TEXT_SIZE, align, text);
        x += width * share;
    }
    Ok(())
}

/// The ticket as a one-page PDF.
pub fn render(ticket: &TicketSheet) -> Result<Vec<u8>, DocumentError> {
    one_page(ticket.title, |sheet| {
        let width = A4.0 - 2.0 * MARGIN;
        sheet.centred(MARGIN + 20.0, 17.0, &ticket.heading);
        sheet.centred(MARGIN + 44.0, 15.0, ticket.title);
        let top = MARGIN + 64.0;
        let fields_width = width - PHOTO_WIDTH;
        labelled(
            sheet,
            top,
            fields_width,
            ticket.serial_label,
            &ticket.serial,
        )?;
        labelled(sheet, top + ROW, fields_width, "姓名", &ticket.name)?;
        labelled(
            sheet,
            top + 2.0 * ROW,
            fields_width,
            "身份证号",
            &ticket.masked_id,
        )?;
        labelled(
            sheet,
            top + 3.0 * ROW,
            fields_width,
            ticket.extra.0,
            &ticket.extra.1,
        )?;
        let photo_box = rect(MARGIN + fields_width, top, PHOTO_WIDTH, 4.0 * ROW)?;
        sheet.cell(photo_box, false);
        // 3:4, like the captured photo, centred in its box.
        let photo_height = 4.0 * ROW - 8.0;
        let photo_width = photo_height * 0.75;
        sheet.jpeg(
            rect(
                MARGIN + fields_width + (PHOTO_WIDTH - photo_width) / 2.0,
                top + 4.0,
                photo_width,
                photo_height,
            )?,
            ticket.photo.clone(),
        )?;
        let table = top + 4.0 * ROW + 24.0;
        table_row(sheet, table, width, ticket.columns, true)?;
        for (index, row) in ticket.rows.iter().enumerate() {
            let cells = [row[0].as_str(), row[1].as_str(), row[2].as_str()];
            table_row(
                sheet,
                table + (index as f32 + 1.0) * ROW,
                width,
                cells,
                false,
            )?;
        }
        let mut y = table + (ticket.rows.len() as f32 + 1.0) * ROW + 24.0;
        for note in &ticket.notes {
            sheet.text(MARGIN, y, 10.0, note);
            y += 18.0;
        }
        sheet.text(
            MARGIN,
            y,
            10.0,
            &format!("打印时间：{}", ticket.printed_at.cst_text()),
        );
        Ok(())
    })
}
