//! 专业统考准考证: the art/PE professional exam ticket, printed by the candidate once at
//! least one category is paid. It lists only the paid categories (unpaid ones cannot be
//! sat), with the captured photo, the serial number and the masked ID number.

use super::{A4, Align, DocumentError, Sheet, one_page, rect};
use engine::candidate::art_pe::ArtCategory;
use engine::time::Timestamp;

/// What the ticket shows.
pub struct TicketSheet {
    /// The province's name.
    pub province_name: &'static str,
    /// 报名号.
    pub serial: String,
    /// 姓名.
    pub name: String,
    /// ID number, masked.
    pub masked_id: String,
    /// Paid categories with their main and sub items.
    pub categories: Vec<(ArtCategory, String, Option<String>)>,
    /// The captured photo (JPEG).
    pub photo: Vec<u8>,
    /// When printed.
    pub printed_at: Timestamp,
}

const MARGIN: f32 = 50.0;
const ROW: f32 = 26.0;
const LABEL_WIDTH: f32 = 80.0;
const PHOTO_WIDTH: f32 = 96.0;
const TEXT_SIZE: f32 = 11.0;

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

/// The ticket as a one-page PDF.
pub fn render(ticket: &TicketSheet) -> Result<Vec<u8>, DocumentError> {
    one_page("专业统考准考证", |sheet| {
        let width = A4.0 - 2.0 * MARGIN;
        sheet.centred(
            MARGIN + 20.0,
            17.0,
            &format!("{}普通高校招生艺术类、体育类专业统考", ticket.province_name),
        );
        sheet.centred(MARGIN + 44.0, 15.0, "准 考 证");
        let top = MARGIN + 64.0;
        let fields_width = width - PHOTO_WIDTH;
        labelled(sheet, top, fields_width, "报名号", &ticket.serial)?;
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
            "报考类别",
            &format!("{} 类", ticket.categories.len()),
        )?;
        let photo_box = rect(MARGIN + fields_width, top, PHOTO_WIDTH, 4.0 * ROW)?;
        sheet.cell(photo_box, false);
        sheet.jpeg(
            rect(
                MARGIN + fields_width + 6.0,
                top + 4.0,
                PHOTO_WIDTH - 12.0,
                4.0 * ROW - 8.0,
            )?,
            ticket.photo.clone(),
        )?;
        // The paid categories, one row each.
        let table = top + 4.0 * ROW + 24.0;
        let columns = [("专业类别", 0.4), ("主项", 0.3), ("辅项", 0.3)];
        let mut x = MARGIN;
        for (name, share) in columns {
            let header = rect(x, table, width * share, ROW)?;
            sheet.cell(header, true);
            sheet.in_cell(header, TEXT_SIZE, Align::Centre, name);
            x += width * share;
        }
        for (index, (category, main, sub)) in ticket.categories.iter().enumerate() {
            let y = table + (index as f32 + 1.0) * ROW;
            let values = [
                category.chinese(),
                main.as_str(),
                sub.as_deref().unwrap_or("—"),
            ];
            let mut x = MARGIN;
            for ((_, share), value) in columns.iter().zip(values) {
                let cell = rect(x, y, width * share, ROW)?;
                sheet.cell(cell, false);
                sheet.in_cell(cell, TEXT_SIZE, Align::Left, value);
                x += width * share;
            }
        }
        let notes = table + (ticket.categories.len() as f32 + 1.0) * ROW + 24.0;
        sheet.text(
            MARGIN,
            notes,
            10.0,
            "考生须知：凭本证和第二代居民身份证参加考试；仅已缴费的专业类别可参加考试。",
        );
        sheet.text(
            MARGIN,
            notes + 18.0,
            10.0,
            &format!("打印时间：{}", ticket.printed_at.cst_text()),
        );
        Ok(())
    })
}
