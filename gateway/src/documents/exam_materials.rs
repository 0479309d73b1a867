//! The exam materials a county prints for each of its sites' rooms (考务资料): the door
//! label (门贴: site, room, category, the tickets it seats), the seating chart (座位表:
//! the seats as they stand in the room, each with its ticket number and name) and the
//! sign-in sheet (签到表: a line per candidate to sign). Three pages per room.

use super::{A4, Align, DocumentError, Sheet, pages, rect};

/// One candidate in a room.
pub struct Seated {
    /// Seat number.
    pub seat: u32,
    /// Admission-ticket number.
    pub ticket: String,
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub masked_id: String,
}

/// One room.
pub struct RoomSheet {
    /// The exam's heading.
    pub heading: String,
    /// The site's name and code.
    pub site: String,
    /// Subject category.
    pub category: String,
    /// Room number (within area and category).
    pub room: u32,
    /// Who sits there, by seat.
    pub seated: Vec<Seated>,
}

const MARGIN: f32 = 50.0;
const ROW: f32 = 22.0;
/// Seats per row of the seating chart.
const CHART_COLUMNS: usize = 5;

fn door_label(sheet: &mut Sheet<'_>, room: &RoomSheet) -> Result<(), DocumentError> {
    sheet.centred(MARGIN + 40.0, 18.0, &room.heading);
    sheet.centred(MARGIN + 120.0, 22.0, &room.site);
    sheet.centred(MARGIN + 260.0, 64.0, &format!("第 {:03} 考场", room.room));
    sheet.centred(MARGIN + 340.0, 26.0, &format!("科类：{}", room.category));
    if let (Some(first), Some(last)) = (room.seated.first(), room.seated.last()) {
        sheet.centred(
            MARGIN + 420.0,
            16.0,
            &format!("准考证号 {} — {}", first.ticket, last.ticket),
        );
    }
    sheet.centred(
        MARGIN + 460.0,
        16.0,
        &format!("本考场 {} 人", room.seated.len()),
    );
    Ok(())
}

fn seating_chart(sheet: &mut Sheet<'_>, room: &RoomSheet) -> Result<(), DocumentError> {
    sheet.centred(MARGIN + 20.0, 15.0, &format!("{} · 座位表", room.heading));
    sheet.centred(
        MARGIN + 42.0,
        12.0,
        &format!("{} 第 {:03} 考场 {}", room.site, room.room, room.category),
    );
    sheet.centred(MARGIN + 62.0, 10.0, "讲台");
    let width = (A4.0 - 2.0 * MARGIN) / CHART_COLUMNS as f32;
    let height = 64.0;
    for (index, seated) in room.seated.iter().enumerate() {
        let column = index % CHART_COLUMNS;
        let row = index / CHART_COLUMNS;
        let cell = rect(
            MARGIN + column as f32 * width,
            MARGIN + 76.0 + row as f32 * height,
            width,
            height,
        )?;
        sheet.cell(cell, false);
        let x = MARGIN + column as f32 * width + 6.0;
        let y = MARGIN + 76.0 + row as f32 * height;
        sheet.text(x, y + 16.0, 10.0, &format!("{:02} 号", seated.seat));
        sheet.text(x, y + 34.0, 9.0, &seated.ticket);
        sheet.text(x, y + 52.0, 11.0, &seated.name);
    }
    Ok(())
}

fn sign_in_sheet(sheet: &mut Sheet<'_>, room: &RoomSheet) -> Result<(), DocumentError> {
    sheet.centred(
        MARGIN + 20.0,
        15.0,
        &format!("{} · 考生签到表", room.heading),
    );
    sheet.centred(
        MARGIN + 42.0,
        12.0,
        &format!("{} 第 {:03} 考场 {}", room.site, room.room, room.category),
    );
    let width = A4.0 - 2.0 * MARGIN;
    let columns = [
        ("座位号", 0.12),
        ("准考证号", 0.28),
        ("姓名", 0.18),
        ("身份证号", 0.24),
        ("签名", 0.18),
    ];
    let top = MARGIN + 60.0;
    let mut x = MARGIN;
    for (heading, share) in columns {
        let cell = rect(x, top, width * share, ROW)?;
        sheet.cell(cell, true);
        sheet.in_cell(cell, 10.0, Align::Centre, heading);
        x += width * share;
    }
    for (index, seated) in room.seated.iter().enumerate() {
        let y = top + (index as f32 + 1.0) * ROW;
        let values = [
            format!("{:02}", seated.seat),
            seated.ticket.clone(),
            seated.name.clone(),
            seated.masked_id.clone(),
            String::new(),
        ];
        let mut x = MARGIN;
        for ((_, share), value) in columns.iter().zip(values) {
            let cell = rect(x, y, width * share, ROW)?;
            sheet.cell(cell, false);
            sheet.in_cell(cell, 10.0, Align::Left, &value);
            x += width * share;
        }
    }
    Ok(())
}

/// The materials of `rooms` as one PDF: door label, seating chart and sign-in sheet for
/// each room in turn.
pub fn render(rooms: &[RoomSheet]) -> Result<Vec<u8>, DocumentError> {
    pages(
        "成人高考考务资料",
        rooms.len() * 3,
        |sheet, index| {
            let Some(room) = rooms.get(index / 3) else {
                return Ok(());
            };
            match index % 3 {
                0 => door_label(sheet, room),
                1 => seating_chart(sheet, room),
                _ => sign_in_sheet(sheet, room),
            }
        },
    )
}
