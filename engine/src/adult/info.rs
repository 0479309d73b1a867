//! The candidate's basic information (基本信息), as the 2019 plan lists it — collected from
//! the candidate here, unlike the gaokao, where the point reads the ID card. The ID number is
//! validated as in the gaokao and must agree with the birth date and gender given.

use super::rejection::Rejection;
use crate::id_number::Gender;
use crate::id_number::IdNumber;
use crate::time::Date;
use serde::{Deserialize, Serialize};

/// The identity document the candidate registers with. Holders of anything but a resident
/// identity card get a stricter review at the point and need the city's approval before
/// their confirmation completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IdentityDocument {
    /// 居民身份证.
    ResidentCard,
    /// 港澳台居民身份证件.
    HongKongMacaoTaiwan,
    /// 华侨身份证件.
    OverseasChinese,
    /// 外国侨民在华居留证件.
    ForeignResident,
}

impl IdentityDocument {
    /// Whether the city must approve the registration after the point's review.
    pub fn needs_city_approval(self) -> bool {
        self != IdentityDocument::ResidentCard
    }

    /// The printed name.
    pub fn chinese(self) -> &'static str {
        match self {
            IdentityDocument::ResidentCard => "居民身份证",
            IdentityDocument::HongKongMacaoTaiwan => "港澳台居民身份证件",
            IdentityDocument::OverseasChinese => "华侨身份证件",
            IdentityDocument::ForeignResident => "外国侨民在华居留证件",
        }
    }
}

/// 基本信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BasicInfo {
    /// Which document `id_number` is from.
    pub document: IdentityDocument,
    /// The document's number: an 18-character resident ID number (checked), or the other
    /// document's number as printed.
    pub id_number: String,
    /// 姓名.
    pub name: String,
    /// 性别.
    pub gender: Gender,
    /// 民族 (two-digit code).
    pub ethnicity: u8,
    /// 出生日期 (`YYYY-MM-DD`).
    #[serde(with = "crate::time::date_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub birth_date: Date,
    /// 政治面貌.
    pub political_status: String,
    /// 文化程度.
    pub education: String,
    /// 外语语种.
    pub foreign_language: String,
    /// 考生特征 (e.g. 在职, 退役士兵).
    pub candidate_feature: String,
    /// 招生类别.
    pub enrolment_category: String,
    /// 毕业日期 (`YYYY-MM-DD`).
    #[serde(with = "crate::time::date_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub graduation_date: Date,
    /// 毕业学校.
    pub graduation_school: String,
    /// 毕业证书编号.
    pub certificate_number: String,
    /// 医学类执业资格证书编号 (medical candidates).
    #[serde(default)]
    pub medical_licence: Option<String>,
    /// 职业类别.
    pub occupation: String,
    /// 工作日期 (when the candidate started work, `YYYY-MM-DD`), if working.
    #[serde(default, with = "crate::time::date_text::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub work_start: Option<Date>,
    /// 联系电话 (a mainland mobile number).
    pub phone: String,
    /// 通讯地址.
    pub address: String,
    /// 邮政编码.
    pub postcode: String,
    /// The city of the household registration (户籍所在地, four-digit code): some cities
    /// register local candidates first.
    pub hukou_city: u16,
    /// 备注.
    #[serde(default)]
    pub remarks: String,
}

fn invalid(field: &'static str, reason: &str) -> Rejection {
    Rejection::FieldInvalid {
        field,
        reason: reason.to_owned(),
    }
}

fn text(field: &'static str, value: &str, required: bool, max: usize) -> Result<(), Rejection> {
    let length = value.trim().chars().count();
    if (required && length == 0) || value.chars().count() > max || crate::text::has_forbidden(value)
    {
        return Err(invalid(
            field,
            &format!(
                "{} at most {max} characters of text",
                if required { "1 to" } else { "up to" }
            ),
        ));
    }
    Ok(())
}

impl BasicInfo {
    /// Checks every field; a resident ID number must be valid and agree with the birth date
    /// and gender.
    pub fn check(&self, today: Date) -> Result<(), Rejection> {
        match self.document {
            IdentityDocument::ResidentCard => {
                let id = IdNumber::parse(&self.id_number)?;
                if id.birth_date() != self.birth_date {
                    return Err(invalid("birth_date", "does not agree with the ID number"));
                }
                if id.gender() != self.gender {
                    return Err(invalid("gender", "does not agree with the ID number"));
                }
            }
            _ => {
                let well_formed = (5..=30).contains(&self.id_number.len())
                    && self
                        .id_number
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'(' || b == b')');
                if !well_formed {
                    return Err(invalid(
                        "id_number",
                        "the document number is 5–30 letters, digits or brackets",
                    ));
                }
            }
        }
        text("name", &self.name, true, 30)?;
        if crate::ethnicity::name(self.ethnicity).is_none() {
            return Err(invalid("ethnicity", "not a known ethnicity code"));
        }
        if self.birth_date >= today || self.birth_date.years_until(today) > 100 {
            return Err(invalid("birth_date", "not a plausible birth date"));
        }
        for (field, value) in [
            ("political_status", &self.political_status),
            ("education", &self.education),
            ("foreign_language", &self.foreign_language),
            ("candidate_feature", &self.candidate_feature),
            ("enrolment_category", &self.enrolment_category),
            ("graduation_school", &self.graduation_school),
            ("occupation", &self.occupation),
        ] {
            text(field, value, true, 50)?;
        }
        text("certificate_number", &self.certificate_number, true, 30)?;
        if let Some(licence) = &self.medical_licence {
            text("medical_licence", licence, true, 30)?;
        }
        if self.graduation_date <= self.birth_date || self.graduation_date > today {
            return Err(invalid(
                "graduation_date",
                "after the birth date and not in the future",
            ));
        }
        if let Some(start) = self.work_start
            && (start <= self.birth_date || start > today)
        {
            return Err(invalid(
                "work_start",
                "after the birth date and not in the future",
            ));
        }
        let phone = self.phone.as_bytes();
        if phone.len() != 11 || phone[0] != b'1' || !phone.iter().all(u8::is_ascii_digit) {
            return Err(invalid(
                "phone",
                "an 11-digit mobile number starting with 1",
            ));
        }
        text("address", &self.address, true, 100)?;
        if self.postcode.len() != 6 || !self.postcode.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("postcode", "six digits"));
        }
        if !(1100..=8299).contains(&self.hukou_city) {
            return Err(invalid("hukou_city", "a four-digit city code"));
        }
        text("remarks", &self.remarks, false, 200)?;
        Ok(())
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: Date) -> i32 {
        self.birth_date.years_until(on)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A complete, valid basic information of a 芙蓉区 candidate.
    pub(crate) fn info() -> BasicInfo {
        let birth = Date::new(1995, 6, 1).expect("date");
        let id = IdNumber::from_parts(430102, birth, 12).expect("valid");
        let gender = id.gender();
        BasicInfo {
            document: IdentityDocument::ResidentCard,
            id_number: id.expose().to_owned(),
            name: "周成人".into(),
            gender,
            ethnicity: 1,
            birth_date: birth,
            political_status: "群众".into(),
            education: "高中".into(),
            foreign_language: "英语".into(),
            candidate_feature: "在职".into(),
            enrolment_category: "普通".into(),
            graduation_date: Date::new(2013, 6, 30).expect("date"),
            graduation_school: "长沙市第一中学".into(),
            certificate_number: "430100201300123".into(),
            medical_licence: None,
            occupation: "企业职工".into(),
            work_start: Some(Date::new(2014, 3, 1).expect("date")),
            phone: "13800138000".into(),
            address: "湖南省长沙市芙蓉区五一大道1号".into(),
            postcode: "410011".into(),
            hukou_city: 4301,
            remarks: String::new(),
        }
    }

    /// Dates are `YYYY-MM-DD` in JSON; the store's postcard form round-trips too.
    #[test]
    fn dates_are_text_and_the_record_round_trips() {
        let json = serde_json::to_value(info()).expect("json");
        assert_eq!(json["birth_date"], "1995-06-01");
        assert_eq!(json["work_start"], "2014-03-01");
        let back: BasicInfo = serde_json::from_value(json.clone()).expect("reads back");
        assert_eq!(back, info());
        let mut wrong = json;
        wrong["graduation_date"] = serde_json::json!("2013-02-30");
        assert!(serde_json::from_value::<BasicInfo>(wrong).is_err());
        let bytes = postcard::to_allocvec(&info()).expect("encodes");
        assert_eq!(
            postcard::from_bytes::<BasicInfo>(&bytes).expect("decodes"),
            info()
        );
    }

    #[test]
    fn a_complete_form_passes_and_each_bad_field_is_named() {
        let today = Date::new(2026, 9, 2).expect("date");
        assert_eq!(info().check(today), Ok(()));
        type Change = Box<dyn Fn(&mut BasicInfo)>;
        let cases: Vec<(&str, Change)> = vec![
            ("invalid_id_number", Box::new(|i| i.id_number.push('1'))),
            (
                "birth_date",
                Box::new(|i| i.birth_date = Date::new(1996, 6, 1).expect("date")),
            ),
            ("phone", Box::new(|i| i.phone = "2380013800".into())),
            ("postcode", Box::new(|i| i.postcode = "41001".into())),
            ("name", Box::new(|i| i.name = " ".into())),
            (
                "graduation_date",
                Box::new(|i| i.graduation_date = Date::new(2030, 1, 1).expect("date")),
            ),
            ("hukou_city", Box::new(|i| i.hukou_city = 99)),
            ("ethnicity", Box::new(|i| i.ethnicity = 99)),
        ];
        for (field, change) in cases {
            let mut bad = info();
            change(&mut bad);
            let refused = bad.check(today).expect_err(field);
            if field == "invalid_id_number" {
                assert_eq!(refused.code(), field);
            } else {
                assert!(
                    matches!(&refused, Rejection::FieldInvalid { field: named, .. } if *named == field),
                    "{field}: {refused:?}"
                );
            }
        }
        let mut foreign = info();
        foreign.document = IdentityDocument::HongKongMacaoTaiwan;
        foreign.id_number = "H01234567".into();
        assert_eq!(foreign.check(today), Ok(()));
        assert!(foreign.document.needs_city_approval());
    }
}
