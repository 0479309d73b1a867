//! 报名登记表: the registration form the candidate prints, checks and signs at the point
//! (step 9). It shows what the candidate may see of their own record — the full ID number is
//! on it because the candidate signs that it is right — and the photo the point captured.

use super::{A4, Align, DocumentError, Sheet, one_page, rect};
use engine::candidate::Candidate;
use engine::candidate::form::{
    Elective, ExamType, FirstSubject, Graduation, HouseholdCategory, RegistrationForm,
};
use engine::id_number::Gender;
use engine::serial::SubjectCategory;
use engine::time::Timestamp;

/// Everything the form shows that is not in the candidate's own record.
pub struct FormSheet<'a> {
    /// The record.
    pub candidate: &'a Candidate,
    /// The saved form (the route refuses to print before the first save).
    pub form: &'a RegistrationForm,
    /// The province's name, e.g. 湖南省.
    pub province_name: &'a str,
    /// 市州 name.
    pub city_name: &'a str,
    /// 县市区 name.
    pub county_name: &'a str,
    /// The point's name as its county set it up.
    pub point_name: &'a str,
    /// The captured photo (JPEG).
    pub photo: Vec<u8>,
    /// When printed.
    pub printed_at: Timestamp,
}

const MARGIN: f32 = 40.0;
const ROW: f32 = 26.0;
const LABEL_WIDTH: f32 = 70.0;
const PHOTO_WIDTH: f32 = 100.0;
const TEXT_SIZE: f32 = 10.5;

/// A cell: its text, its width, and whether it is a (shaded) label.
type Cell = (String, f32, bool);

fn label(text: &str, width: f32) -> Cell {
    (text.to_owned(), width, true)
}

fn value(text: impl Into<String>, width: f32) -> Cell {
    (text.into(), width, false)
}

/// A row of label/value pairs filling `total` points: labels are fixed, values share the rest.
fn pairs(total: f32, fields: &[(&str, String)]) -> Vec<Cell> {
    let count = fields.len() as f32;
    let value_width = (total - count * LABEL_WIDTH) / count;
    fields
        .iter()
        .flat_map(|(name, text)| [label(name, LABEL_WIDTH), value(text.clone(), value_width)])
        .collect()
}

fn draw_row(sheet: &mut Sheet<'_>, y: f32, cells: &[Cell]) -> Result<(), DocumentError> {
    let mut x = MARGIN;
    for (text, width, shaded) in cells {
        let cell = rect(x, y, *width, ROW)?;
        sheet.cell(cell, *shaded);
        let align = if *shaded { Align::Centre } else { Align::Left };
        sheet.in_cell(cell, TEXT_SIZE, align, text);
        x += width;
    }
    Ok(())
}

fn category_name(category: SubjectCategory) -> &'static str {
    match category {
        SubjectCategory::Physics => "物理类",
        SubjectCategory::History => "历史类",
        SubjectCategory::Vocational => "对口类",
    }
}

fn elective_name(elective: Elective) -> &'static str {
    match elective {
        Elective::Chemistry => "化学",
        Elective::Biology => "生物",
        Elective::Politics => "思想政治",
        Elective::Geography => "地理",
    }
}

fn subjects(form: &RegistrationForm) -> [(&'static str, String); 3] {
    match form.exam_type {
        ExamType::General => [
            ("考试类型", "普通类".to_owned()),
            (
                "首选科目",
                match form.first_subject {
                    Some(FirstSubject::Physics) => "物理",
                    Some(FirstSubject::History) => "历史",
                    None => "",
                }
                .to_owned(),
            ),
            (
                "再选科目",
                form.electives
                    .iter()
                    .map(|elective| elective_name(*elective))
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
        ],
        ExamType::Vocational => [
            ("考试类型", "对口类".to_owned()),
            (
                "专业类别",
                form.vocational_group.clone().unwrap_or_default(),
            ),
            ("", String::new()),
        ],
    }
}

/// Renders the form.
pub fn render(input: FormSheet<'_>) -> Result<Vec<u8>, DocumentError> {
    let candidate = input.candidate;
    let form = input.form;
    let card = &candidate.capture.id_card;
    let title = format!("{}普通高等学校招生考试报名登记表", input.province_name);
    one_page(&title, |sheet| {
        sheet.centred(MARGIN + 28.0, 18.0, &title);
        sheet.text(
            MARGIN,
            MARGIN + 54.0,
            9.0,
            &format!(
                "报名号：{}    信息版本：第{}版    打印时间：{}",
                candidate.capture.serial,
                candidate.form_version,
                input.printed_at.cst_text()
            ),
        );
        let full = A4.0 - 2.0 * MARGIN;
        let beside_photo = full - PHOTO_WIDTH;
        let mut y = MARGIN + 64.0;

        // Five rows beside the photo.
        let top = y;
        let gender = match card.gender {
            Gender::Male => "男",
            Gender::Female => "女",
        };
        let ethnicity = engine::ethnicity::name(card.ethnicity).unwrap_or("");
        let beside: [Vec<Cell>; 5] = [
            pairs(
                beside_photo,
                &[("姓名", card.name.clone()), ("性别", gender.to_owned())],
            ),
            pairs(
                beside_photo,
                &[
                    ("民族", ethnicity.to_owned()),
                    ("出生日期", card.birth_date.to_string()),
                ],
            ),
            pairs(
                beside_photo,
                &[("身份证号", card.id_number.expose().to_owned())],
            ),
            pairs(
                beside_photo,
                &[
                    ("报名号", candidate.capture.serial.to_string()),
                    ("科类", category_name(candidate.capture.category).to_owned()),
                ],
            ),
            pairs(
                beside_photo,
                &[(
                    "报名点",
                    format!("{} {}", candidate.capture.point, input.point_name),
                )],
            ),
        ];
        for row in &beside {
            draw_row(sheet, y, row)?;
            y += ROW;
        }
        let photo_box = rect(MARGIN + beside_photo, top, PHOTO_WIDTH, y - top)?;
        sheet.cell(photo_box, false);
        // The photo's own aspect ratio (the rules fix it; 480×640 by default).
        let meta = &candidate.capture.photo;
        let photo_height =
            (PHOTO_WIDTH - 12.0) * meta.height_px.max(1) as f32 / meta.width_px.max(1) as f32;
        let inner = rect(
            photo_box.left() + 6.0,
            top + (photo_box.height() - photo_height) / 2.0,
            PHOTO_WIDTH - 12.0,
            photo_height.min(photo_box.height() - 4.0),
        )?;
        sheet.jpeg(inner, input.photo)?;

        // Full-width rows.
        let fee = match &candidate.fee.paid {
            Some(payment) => format!(
                "已缴费  {} 元  {}  {}{}",
                payment.amount_fen / 100,
                payment.provider.chinese(),
                payment.paid_at.cst_text(),
                if crate::providers::sandbox::is_sandbox_transaction(&payment.transaction_id) {
                    "  （沙箱 sandbox：演示，未真实扣款）"
                } else {
                    ""
                }
            ),
            None => "未缴费".to_owned(),
        };
        let rows: Vec<Vec<Cell>> = vec![
            pairs(
                full,
                &[
                    (
                        "所在县区",
                        format!("{} {}", input.city_name, input.county_name),
                    ),
                    (
                        "毕业类别",
                        match form.graduation {
                            Graduation::Current => "应届",
                            Graduation::Previous => "往届",
                        }
                        .to_owned(),
                    ),
                ],
            ),
            pairs(
                full,
                &subjects(form)
                    .into_iter()
                    .filter(|(name, _)| !name.is_empty())
                    .collect::<Vec<_>>(),
            ),
            pairs(full, &[("毕业学校", form.school.clone())]),
            pairs(
                full,
                &[
                    (
                        "户口类别",
                        format!(
                            "{}（{}）",
                            match form.household_category() {
                                HouseholdCategory::Urban => "城镇",
                                HouseholdCategory::Rural => "农村",
                            },
                            form.urban_rural_code
                        ),
                    ),
                    ("联系电话", candidate.phone.clone().unwrap_or_default()),
                ],
            ),
            pairs(full, &[("报名费", fee)]),
        ];
        for row in &rows {
            draw_row(sheet, y, row)?;
            y += ROW;
        }

        // Resume, newest first as entered.
        y += 10.0;
        sheet.text(MARGIN, y + 12.0, 11.0, "个人简历（从高中起填写）");
        y += 18.0;
        let widths = [110.0, 235.0, 80.0, full - 425.0];
        let header = ["起止年月", "学习或工作单位", "职务", "证明人"];
        draw_row(
            sheet,
            y,
            &header
                .iter()
                .zip(widths)
                .map(|(text, width)| label(text, width))
                .collect::<Vec<_>>(),
        )?;
        y += ROW;
        for entry in &form.resume {
            let period = format!("{} 至 {}", entry.from, entry.to.as_deref().unwrap_or("今"));
            let cells = [
                period,
                entry.organisation.clone(),
                entry.role.clone(),
                entry.witness.clone(),
            ];
            draw_row(
                sheet,
                y,
                &cells
                    .into_iter()
                    .zip(widths)
                    .map(|(text, width)| value(text, width))
                    .collect::<Vec<_>>(),
            )?;
            y += ROW;
        }

        // Confirmation.
        y += 10.0;
        let confirmation = if candidate.signed_current_form() {
            format!("已在报名点签字确认（第{}版）", candidate.form_version)
        } else {
            "尚未在报名点签字确认".to_owned()
        };
        let saved = candidate
            .form_saved_at
            .map(Timestamp::cst_text)
            .unwrap_or_default();
        draw_row(
            sheet,
            y,
            &pairs(full, &[("最后保存", saved), ("现场确认", confirmation)]),
        )?;
        y += ROW + 24.0;
        sheet.text(
            MARGIN,
            y,
            10.5,
            "本人承诺：以上信息真实、准确、完整，均由本人填写并核对无误；如有虚假，愿承担相应责任。",
        );
        y += 36.0;
        sheet.text(MARGIN, y, 11.0, "考生签名：");
        sheet.rule(MARGIN + 58.0, MARGIN + 200.0, y + 3.0);
        sheet.text(MARGIN + 260.0, y, 11.0, "确认日期：");
        sheet.rule(MARGIN + 318.0, MARGIN + 460.0, y + 3.0);
        y += 36.0;
        sheet.text(MARGIN, y, 11.0, "报名点经办人：");
        sheet.rule(MARGIN + 80.0, MARGIN + 200.0, y + 3.0);
        sheet.text(MARGIN + 260.0, y, 11.0, "报名点（盖章）");
        sheet.text(
            MARGIN,
            A4.1 - MARGIN,
            8.0,
            "本表由考生本人核对签字后交报名点留存；签字后修改信息须重新打印并签字确认。",
        );
        Ok(())
    })
}
