//! Volunteer choices (志愿): the level (层次), the subject category (科类), the study form
//! (学习形式) and up to two choices of school and major. Which second choice a level allows
//! is data ([`VolunteerRules`]), as the 2019 plan states it: 高起本 may add a 高起专 second
//! choice; 高起专's second choice may only be 高起专; 专升本's second choice may not cross
//! the major category (专业类) of the first.

use super::rejection::Rejection;
use serde::{Deserialize, Serialize};

/// The level of study applied for (报考层次).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    /// 高中起点升本科 (高起本).
    HighToBachelor,
    /// 高中起点升专科 (高起专).
    HighToJunior,
    /// 专科起点升本科 (专升本).
    JuniorToBachelor,
}

impl Level {
    /// Every level.
    pub const ALL: [Level; 3] = [
        Level::HighToBachelor,
        Level::HighToJunior,
        Level::JuniorToBachelor,
    ];

    /// The stable machine-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Level::HighToBachelor => "high_to_bachelor",
            Level::HighToJunior => "high_to_junior",
            Level::JuniorToBachelor => "junior_to_bachelor",
        }
    }

    /// The level named `name`.
    pub fn named(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.name() == name)
    }

    /// The printed name.
    pub fn chinese(self) -> &'static str {
        match self {
            Level::HighToBachelor => "高起本",
            Level::HighToJunior => "高起专",
            Level::JuniorToBachelor => "专升本",
        }
    }

    /// Its digit in admission-ticket numbers and exports (1 高起本, 2 高起专, 3 专升本).
    pub fn digit(self) -> u8 {
        match self {
            Level::HighToBachelor => 1,
            Level::HighToJunior => 2,
            Level::JuniorToBachelor => 3,
        }
    }
}

/// How the candidate would study (学习形式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StudyForm {
    /// 函授.
    Correspondence,
    /// 业余.
    PartTime,
    /// 脱产.
    FullTime,
}

impl StudyForm {
    /// The printed name.
    pub fn chinese(self) -> &'static str {
        match self {
            StudyForm::Correspondence => "函授",
            StudyForm::PartTime => "业余",
            StudyForm::FullTime => "脱产",
        }
    }
}

/// One choice of school and major.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    /// The level of this choice.
    pub level: Level,
    /// The school's five-digit code (院校代码).
    pub school_code: String,
    /// The school's name.
    pub school: String,
    /// The major's code (专业代码).
    pub major_code: String,
    /// The major's name.
    pub major: String,
    /// The major category (专业类, e.g. 医学, 工学, 管理学): 专升本's second choice keeps
    /// the first's.
    pub major_category: String,
    /// Length of study in years (学制), 2–5.
    pub length_years: u8,
}

/// The candidate's volunteers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Volunteers {
    /// The subject category (科类) the candidate sits, one the first choice's level offers.
    pub category: String,
    /// How the candidate would study.
    pub study_form: StudyForm,
    /// The first choice; its level is the candidate's level.
    pub first: Choice,
    /// An optional second choice.
    pub second: Option<Choice>,
}

impl Volunteers {
    /// The candidate's level: the first choice's.
    pub fn level(&self) -> Level {
        self.first.level
    }

    /// Whether any choice is in `category` (e.g. 医学: a medical candidate).
    pub fn has_major_category(&self, category: &str) -> bool {
        self.first.major_category == category
            || self
                .second
                .as_ref()
                .is_some_and(|second| second.major_category == category)
    }
}

/// What a level allows, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    /// The level.
    pub level: Level,
    /// The subject categories (科类) it is sat in.
    pub categories: Vec<String>,
    /// The levels its second choice may be.
    pub second_levels: Vec<Level>,
    /// Whether the second choice must keep the first's major category.
    pub second_same_major_category: bool,
}

/// The volunteer rules of the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolunteerRules {
    /// One rule per level.
    pub levels: Vec<LevelRule>,
    /// The major category whose candidates are medical (医卫类): only points designated
    /// for them may confirm them.
    pub medical_major_category: String,
}

impl Default for VolunteerRules {
    /// The 2019 plan's rules; the categories are the national 成人高考 ones.
    fn default() -> Self {
        let names = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
        let high: Vec<String> = names(&["文史", "理工"]);
        VolunteerRules {
            levels: vec![
                LevelRule {
                    level: Level::HighToBachelor,
                    categories: high.clone(),
                    second_levels: vec![Level::HighToBachelor, Level::HighToJunior],
                    second_same_major_category: false,
                },
                LevelRule {
                    level: Level::HighToJunior,
                    categories: high,
                    second_levels: vec![Level::HighToJunior],
                    second_same_major_category: false,
                },
                LevelRule {
                    level: Level::JuniorToBachelor,
                    categories: names(&[
                        "政治",
                        "经管",
                        "法学",
                        "教育",
                        "艺术",
                        "文史中医",
                        "理工",
                        "医学",
                        "农学",
                    ]),
                    second_levels: vec![Level::JuniorToBachelor],
                    second_same_major_category: true,
                },
            ],
            medical_major_category: "医学".to_owned(),
        }
    }
}

impl VolunteerRules {
    fn rule(&self, level: Level) -> Result<&LevelRule, Rejection> {
        self.levels
            .iter()
            .find(|rule| rule.level == level)
            .ok_or(Rejection::LevelNotOffered { level })
    }

    /// Checks `volunteers` against the rules: every refusal names what is wrong.
    pub fn check(&self, volunteers: &Volunteers) -> Result<(), Rejection> {
        let rule = self.rule(volunteers.level())?;
        if !rule.categories.contains(&volunteers.category) {
            return Err(Rejection::CategoryNotOffered {
                level: volunteers.level(),
                category: volunteers.category.clone(),
            });
        }
        check_choice("first", &volunteers.first)?;
        if let Some(second) = &volunteers.second {
            check_choice("second", second)?;
            if !rule.second_levels.contains(&second.level) {
                return Err(Rejection::SecondChoiceLevel {
                    first: volunteers.level(),
                    second: second.level,
                    allowed: rule.second_levels.clone(),
                });
            }
            if rule.second_same_major_category
                && second.major_category != volunteers.first.major_category
            {
                return Err(Rejection::SecondChoiceCrossesCategory {
                    first: volunteers.first.major_category.clone(),
                    second: second.major_category.clone(),
                });
            }
            if second.school_code == volunteers.first.school_code
                && second.major_code == volunteers.first.major_code
                && second.level == volunteers.first.level
            {
                return Err(Rejection::FieldInvalid {
                    field: "second",
                    reason: "the second choice repeats the first".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Whether `volunteers` make a medical candidate.
    pub fn is_medical(&self, volunteers: &Volunteers) -> bool {
        volunteers.has_major_category(&self.medical_major_category)
    }
}

fn check_choice(which: &'static str, choice: &Choice) -> Result<(), Rejection> {
    let invalid = |reason: &str| Rejection::FieldInvalid {
        field: which,
        reason: reason.to_owned(),
    };
    if choice.school_code.len() != 5 || !choice.school_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("the school code is five digits"));
    }
    if choice.major_code.is_empty()
        || choice.major_code.len() > 10
        || !choice.major_code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(invalid("the major code is 1–10 letters or digits"));
    }
    for (text, name) in [
        (&choice.school, "the school's name"),
        (&choice.major, "the major's name"),
        (&choice.major_category, "the major category"),
    ] {
        if text.trim().is_empty() || text.chars().count() > 50 || crate::text::has_forbidden(text) {
            return Err(invalid(&format!("{name} is 1–50 characters of text")));
        }
    }
    if !(2..=5).contains(&choice.length_years) {
        return Err(invalid("the length of study is 2–5 years"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(level: Level, school: &str, major_category: &str) -> Choice {
        Choice {
            level,
            school_code: school.to_owned(),
            school: "湖南师范大学".to_owned(),
            major_code: "050101".to_owned(),
            major: "汉语言文学".to_owned(),
            major_category: major_category.to_owned(),
            length_years: 3,
        }
    }

    fn volunteers(first: Choice, second: Option<Choice>) -> Volunteers {
        let category = match first.level {
            Level::JuniorToBachelor => "文史中医",
            _ => "文史",
        };
        Volunteers {
            category: category.to_owned(),
            study_form: StudyForm::Correspondence,
            first,
            second,
        }
    }

    #[test]
    fn second_choices_follow_the_plan() {
        let rules = VolunteerRules::default();
        let allowed = [
            (Level::HighToBachelor, Level::HighToJunior),
            (Level::HighToBachelor, Level::HighToBachelor),
            (Level::HighToJunior, Level::HighToJunior),
            (Level::JuniorToBachelor, Level::JuniorToBachelor),
        ];
        for first in Level::ALL {
            for second in Level::ALL {
                let chosen = volunteers(
                    choice(first, "10542", "文学"),
                    Some(choice(second, "10538", "文学")),
                );
                let verdict = rules.check(&chosen);
                if allowed.contains(&(first, second)) {
                    assert_eq!(verdict, Ok(()), "{first:?} → {second:?}");
                } else {
                    let refused = verdict.expect_err("not allowed");
                    assert!(
                        matches!(refused, Rejection::SecondChoiceLevel { .. }),
                        "{first:?} → {second:?}: {refused:?}"
                    );
                    assert_eq!(refused.code(), "second_choice_level_not_allowed");
                }
            }
        }
    }

    #[test]
    fn a_junior_to_bachelor_second_choice_keeps_the_major_category() {
        let rules = VolunteerRules::default();
        let crossing = volunteers(
            choice(Level::JuniorToBachelor, "10542", "文学"),
            Some(choice(Level::JuniorToBachelor, "10538", "医学")),
        );
        let refused = rules.check(&crossing).expect_err("crosses");
        assert_eq!(refused.code(), "second_choice_crosses_major_category");
        assert!(refused.to_string().contains("医学"), "{refused}");
        // 高起本 has no such rule.
        let free = volunteers(
            choice(Level::HighToBachelor, "10542", "文学"),
            Some(choice(Level::HighToJunior, "10538", "医学")),
        );
        assert_eq!(rules.check(&free), Ok(()));
    }

    #[test]
    fn categories_codes_and_repeats_are_checked() {
        let rules = VolunteerRules::default();
        let mut chosen = volunteers(choice(Level::HighToJunior, "10542", "文学"), None);
        chosen.category = "医学".into();
        assert_eq!(
            rules
                .check(&chosen)
                .expect_err("not a 高起专 category")
                .code(),
            "category_not_offered"
        );
        let bad_school = volunteers(choice(Level::HighToJunior, "105", "文学"), None);
        assert_eq!(
            rules.check(&bad_school).expect_err("short code").code(),
            "adult_field_invalid"
        );
        let repeated = volunteers(
            choice(Level::HighToJunior, "10542", "文学"),
            Some(choice(Level::HighToJunior, "10542", "文学")),
        );
        assert!(rules.check(&repeated).is_err());
        let medical = volunteers(choice(Level::JuniorToBachelor, "10542", "医学"), None);
        assert!(rules.is_medical(&medical));
    }
}
