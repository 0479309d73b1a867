//! The registration form (报名信息) a candidate fills and edits within the window.
//!
//! Everything except the ID-card fields (read-only, captured at the point) is here. The
//! household category (户口类别) is not entered: it is derived from the urban–rural
//! classification code. The resume is entered newest first. The same form type serves the
//! adult exam (§4), which *does* collect a mailing address; the gaokao flow refuses one,
//! because the seeds forbid collecting postal details centrally.

use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};

/// 考试类型: which gaokao the candidate sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExamType {
    /// 普通类: the general exam with first-choice and elective subjects.
    General,
    /// 对口类: the vocational (对口招生) exam by major group.
    Vocational,
}

/// 首选科目.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FirstSubject {
    /// 物理.
    Physics,
    /// 历史.
    History,
}

/// 再选科目: two are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Elective {
    /// 化学.
    Chemistry,
    /// 生物.
    Biology,
    /// 思想政治.
    Politics,
    /// 地理.
    Geography,
}

/// 应届 or 往届. Repeat candidates must bind a phone before saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Graduation {
    /// 应届生: graduating this year.
    Current,
    /// 往届生: graduated in an earlier year.
    Previous,
}

/// 户口类别, derived from the urban–rural code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdCategory {
    /// 城镇: codes 1xx.
    Urban,
    /// 农村: codes 2xx.
    Rural,
}

/// One line of the resume (简历).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResumeEntry {
    /// Start month, `YYYY-MM`.
    pub from: String,
    /// End month, `YYYY-MM`; `None` for the current line.
    pub to: Option<String>,
    /// School or employer.
    pub organisation: String,
    /// Role (学生, ...).
    pub role: String,
    /// Witness (证明人).
    pub witness: String,
}

/// Postal details. Collected in the adult exam; refused in the gaokao flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailingAddress {
    /// 通讯地址.
    pub postal_address: String,
    /// 收件人.
    pub recipient: String,
    /// 邮政编码.
    pub postcode: String,
}

/// The candidate-entered part of a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationForm {
    /// 考试类型.
    pub exam_type: ExamType,
    /// 首选科目 (general exam only).
    pub first_subject: Option<FirstSubject>,
    /// 再选科目 (general exam only): exactly two, distinct.
    pub electives: Vec<Elective>,
    /// 对口专业类 (vocational exam only).
    pub vocational_group: Option<String>,
    /// 应届/往届.
    pub graduation: Graduation,
    /// 毕业学校.
    pub school: String,
    /// 城乡分类代码: three digits, 111–122 urban, 210–220 rural (国家统计局).
    pub urban_rural_code: u16,
    /// 简历, newest first.
    pub resume: Vec<ResumeEntry>,
    /// Postal details: must be absent in the gaokao flow.
    pub mailing: Option<MailingAddress>,
}

const URBAN_RURAL_CODES: [u16; 7] = [111, 112, 121, 122, 123, 210, 220];
const MAX_TEXT_CHARS: usize = 60;
const MAX_RESUME_LINES: usize = 12;

fn invalid(field: &'static str, reason: impl Into<String>) -> Rejection {
    Rejection::FormFieldInvalid {
        field,
        reason: reason.into(),
    }
}

fn check_text(field: &'static str, text: &str, required: bool) -> Result<(), Rejection> {
    let chars = text.chars().count();
    if required && text.trim().is_empty() {
        return Err(invalid(field, "is required"));
    }
    if chars > MAX_TEXT_CHARS {
        return Err(invalid(
            field,
            format!("is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    if text.chars().any(crate::text::is_forbidden) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

/// `YYYY-MM` as a comparable number, if well-formed.
fn year_month(text: &str) -> Option<u32> {
    let (year, month) = text.split_once('-')?;
    let (year, month): (u32, u32) = (year.parse().ok()?, month.parse().ok()?);
    (year >= 1900 && (1..=12).contains(&month) && text.len() == 7).then_some(year * 12 + month)
}

impl RegistrationForm {
    /// The household category derived from the urban–rural code.
    pub fn household_category(&self) -> HouseholdCategory {
        if self.urban_rural_code < 200 {
            HouseholdCategory::Urban
        } else {
            HouseholdCategory::Rural
        }
    }

    /// Checks the form for the gaokao flow. Every refusal names the field.
    pub fn validate_for_gaokao(&self) -> Result<(), Rejection> {
        if let Some(mailing) = &self.mailing {
            let field = if !mailing.postal_address.is_empty() {
                "postal_address"
            } else if !mailing.recipient.is_empty() {
                "recipient"
            } else {
                "postcode"
            };
            return Err(Rejection::SensitiveFieldNotCollected { field });
        }
        match self.exam_type {
            ExamType::General => {
                if self.first_subject.is_none() {
                    return Err(invalid("first_subject", "is required for the general exam"));
                }
                let mut electives = self.electives.clone();
                electives.sort_unstable();
                electives.dedup();
                if self.electives.len() != 2 || electives.len() != 2 {
                    return Err(invalid(
                        "electives",
                        "choose exactly two different subjects",
                    ));
                }
                if self.vocational_group.is_some() {
                    return Err(invalid(
                        "vocational_group",
                        "applies to the vocational exam only",
                    ));
                }
            }
            ExamType::Vocational => {
                match &self.vocational_group {
                    Some(group) => check_text("vocational_group", group, true)?,
                    None => {
                        return Err(invalid(
                            "vocational_group",
                            "is required for the vocational exam",
                        ));
                    }
                }
                if self.first_subject.is_some() || !self.electives.is_empty() {
                    return Err(invalid("electives", "apply to the general exam only"));
                }
            }
        }
        check_text("school", &self.school, true)?;
        if !URBAN_RURAL_CODES.contains(&self.urban_rural_code) {
            return Err(invalid(
                "urban_rural_code",
                "is not a valid urban–rural classification code",
            ));
        }
        self.validate_resume()
    }

    fn validate_resume(&self) -> Result<(), Rejection> {
        if self.resume.is_empty() {
            return Err(invalid("resume", "at least one line is required"));
        }
        if self.resume.len() > MAX_RESUME_LINES {
            return Err(invalid(
                "resume",
                format!("at most {MAX_RESUME_LINES} lines"),
            ));
        }
        let mut previous_start: Option<u32> = None;
        for (index, entry) in self.resume.iter().enumerate() {
            check_text("resume.organisation", &entry.organisation, true)?;
            check_text("resume.role", &entry.role, true)?;
            check_text("resume.witness", &entry.witness, true)?;
            let from = year_month(&entry.from).ok_or_else(|| {
                invalid("resume.from", format!("line {} is not YYYY-MM", index + 1))
            })?;
            if let Some(to) = &entry.to {
                let to = year_month(to).ok_or_else(|| {
                    invalid("resume.to", format!("line {} is not YYYY-MM", index + 1))
                })?;
                if to < from {
                    return Err(invalid(
                        "resume.to",
                        format!("line {} ends before it starts", index + 1),
                    ));
                }
            } else if index > 0 {
                return Err(invalid(
                    "resume.to",
                    "only the newest line may be open-ended",
                ));
            }
            if previous_start.is_some_and(|newer| from > newer) {
                return Err(invalid("resume", "enter lines newest first"));
            }
            previous_start = Some(from);
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid general-exam form; other tests change one field at a time.
    pub(crate) fn valid_form() -> RegistrationForm {
        RegistrationForm {
            exam_type: ExamType::General,
            first_subject: Some(FirstSubject::Physics),
            electives: vec![Elective::Chemistry, Elective::Biology],
            vocational_group: None,
            graduation: Graduation::Current,
            school: "长沙市第一中学".into(),
            urban_rural_code: 111,
            resume: vec![
                ResumeEntry {
                    from: "2021-09".into(),
                    to: None,
                    organisation: "长沙市第一中学".into(),
                    role: "学生".into(),
                    witness: "王老师".into(),
                },
                ResumeEntry {
                    from: "2018-09".into(),
                    to: Some("2021-06".into()),
                    organisation: "长沙市第一中学初中部".into(),
                    role: "学生".into(),
                    witness: "李老师".into(),
                },
            ],
            mailing: None,
        }
    }

    fn refusal(form: RegistrationForm) -> (String, String) {
        let rejection = form.validate_for_gaokao().expect_err("must be refused");
        (rejection.code().to_owned(), rejection.to_string())
    }

    #[test]
    fn a_complete_form_is_accepted_and_household_is_derived() {
        let form = valid_form();
        assert!(form.validate_for_gaokao().is_ok());
        assert_eq!(form.household_category(), HouseholdCategory::Urban);
        assert_eq!(
            RegistrationForm {
                urban_rural_code: 220,
                ..form
            }
            .household_category(),
            HouseholdCategory::Rural
        );
    }

    #[test]
    fn postal_details_are_refused_in_the_gaokao_flow() {
        let form = RegistrationForm {
            mailing: Some(MailingAddress {
                postal_address: "".into(),
                recipient: "张三".into(),
                postcode: "410000".into(),
            }),
            ..valid_form()
        };
        let (code, message) = refusal(form);
        assert_eq!(code, "sensitive_field_not_collected");
        assert!(message.contains("recipient"), "{message}");
    }

    #[test]
    fn each_invalid_field_is_named() {
        let cases: Vec<(RegistrationForm, &str)> = vec![
            (
                RegistrationForm {
                    first_subject: None,
                    ..valid_form()
                },
                "first_subject",
            ),
            (
                RegistrationForm {
                    electives: vec![Elective::Biology, Elective::Biology],
                    ..valid_form()
                },
                "electives",
            ),
            (
                RegistrationForm {
                    school: " ".into(),
                    ..valid_form()
                },
                "school",
            ),
            (
                RegistrationForm {
                    school: "校".repeat(61),
                    ..valid_form()
                },
                "school",
            ),
            (
                RegistrationForm {
                    urban_rural_code: 300,
                    ..valid_form()
                },
                "urban_rural_code",
            ),
            (
                RegistrationForm {
                    resume: vec![],
                    ..valid_form()
                },
                "resume",
            ),
            (
                RegistrationForm {
                    exam_type: ExamType::Vocational,
                    ..valid_form()
                },
                "vocational_group",
            ),
            (
                RegistrationForm {
                    resume: valid_form().resume.into_iter().rev().collect(),
                    ..valid_form()
                },
                "resume.to",
            ),
        ];
        for (form, field) in cases {
            let (code, message) = refusal(form);
            assert_eq!(code, "form_field_invalid");
            assert!(message.contains(field), "{message} should name {field}");
        }
    }

    #[test]
    fn resume_must_be_newest_first() {
        let mut form = valid_form();
        form.resume[0].to = Some("2024-06".into());
        form.resume.swap(0, 1);
        let (_, message) = refusal(form);
        assert!(message.contains("newest first"), "{message}");
    }
}
