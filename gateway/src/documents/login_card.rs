//! 网报登录卡: the card a registration point prints for each candidate it captured and hands
//! over at the eligibility check (the seeds' step 4–5): where to register online, the
//! candidate's serial number, name and (masked) ID number, and how the first login works.
//! Four cards to an A4 page, with cutting lines, so a point prints its whole list at once.

use super::{A4, Align, DocumentError, Sheet, pages, rect};
use engine::time::Timestamp;

/// One card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCard {
    /// 报名顺序号 (eight digits).
    pub serial: String,
    /// The candidate's name.
    pub name: String,
    /// The ID number, masked as on every printed document but the signed form.
    pub masked_id: String,
}

/// What every card of one print run shares.
pub struct CardRun<'a> {
    /// Where candidates register online.
    pub site_url: &'a str,
    /// 县市区 and point names, e.g. 芙蓉区 · 长沙市第一中学.
    pub issuer: &'a str,
    /// When printed.
    pub printed_at: Timestamp,
}

/// Cards per A4 page.
pub const CARDS_PER_PAGE: usize = 4;
const MARGIN: f32 = 40.0;
const CARD_HEIGHT: f32 = (A4.1 - 2.0 * MARGIN) / CARDS_PER_PAGE as f32;
const ROW: f32 = 24.0;
const LABEL_WIDTH: f32 = 90.0;
const TEXT_SIZE: f32 = 11.0;

/// The cards as a PDF, four to a page.
pub fn render(run: &CardRun<'_>, cards: &[LoginCard]) -> Result<Vec<u8>, DocumentError> {
    let page_count = cards.len().div_ceil(CARDS_PER_PAGE);
    pages("网报登录卡", page_count, |sheet, page| {
        let on_page = cards
            .iter()
            .skip(page * CARDS_PER_PAGE)
            .take(CARDS_PER_PAGE);
        for (slot, card) in on_page.enumerate() {
            draw_card(sheet, MARGIN + slot as f32 * CARD_HEIGHT, run, card)?;
        }
        Ok(())
    })
}

fn draw_card(
    sheet: &mut Sheet<'_>,
    top: f32,
    run: &CardRun<'_>,
    card: &LoginCard,
) -> Result<(), DocumentError> {
    let width = A4.0 - 2.0 * MARGIN;
    sheet.text(MARGIN, top + 22.0, 15.0, "普通高考网上报名 · 网报登录卡");
    let rows = [
        ("报名网址", run.site_url.to_owned()),
        ("报名顺序号", card.serial.clone()),
        ("姓名", card.name.clone()),
        ("身份证号", card.masked_id.clone()),
        (
            "首次登录",
            "身份证号 + 姓名 + 身份证有效期，登录后缴费并设置密码".to_owned(),
        ),
    ];
    for (index, (name, value)) in rows.iter().enumerate() {
        let y = top + 34.0 + index as f32 * ROW;
        let label = rect(MARGIN, y, LABEL_WIDTH, ROW)?;
        sheet.cell(label, true);
        sheet.in_cell(label, TEXT_SIZE, Align::Centre, name);
        let cell = rect(MARGIN + LABEL_WIDTH, y, width - LABEL_WIDTH, ROW)?;
        sheet.cell(cell, false);
        sheet.in_cell(cell, TEXT_SIZE, Align::Left, value);
    }
    let footer = top + 34.0 + rows.len() as f32 * ROW + 14.0;
    sheet.text(
        MARGIN,
        footer,
        9.0,
        &format!(
            "{} 发放 · 打印于 {} · 请妥善保管，勿将密码告诉他人",
            run.issuer,
            run.printed_at.cst_text()
        ),
    );
    // Cutting line under the card.
    sheet.rule(MARGIN, A4.0 - MARGIN, top + CARD_HEIGHT - 4.0);
    Ok(())
}
