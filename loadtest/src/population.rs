//! The province's candidates, generated lazily from a seed: candidate `i` is a pure function
//! of `(seed, i)`, so a 13.35-million population costs no more memory than a 700-thousand one
//! and a run can be replayed exactly.
//!
//! Candidates are numbered in arrival order (see `arrival`). Counties take turns
//! (`i mod counties`), which keeps ID numbers unique without any table: within a county the
//! `j`-th candidate gets a distinct (birth date, sequence) pair.

use engine::id_number::{Gender, IdNumber};
use engine::org::{CountyCode, PointCode, Province};
use engine::time::Date;

/// Birth dates per county before the three-digit sequence moves on: 4 years × 12 × 28.
const BIRTH_DATES: u64 = 4 * 12 * 28;
/// The largest population whose ID numbers stay distinct with Hunan's 122 counties
/// (1,000 sequences × `BIRTH_DATES` per county).
pub const MAX_CANDIDATES_PER_COUNTY: u64 = 1000 * BIRTH_DATES;

/// What the population looks like. Percentages are of all candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PopulationConfig {
    /// Candidates in the province.
    pub candidates: u64,
    /// Seed: the same seed gives the same candidates.
    pub seed: u64,
    /// Registration points per county (the server's layout must have at least these).
    pub points_per_county: u16,
    /// 对口 (vocational) candidates.
    pub vocational_percent: u8,
    /// Art/PE candidates (1–3 professional categories each).
    pub art_pe_percent: u8,
    /// Bonus-point or special-plan declarations.
    pub bonus_percent: u8,
    /// Special cases: ID typed in (expired card, cannot come to the point).
    pub special_percent: u8,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            candidates: 700_000,
            seed: 2026,
            points_per_county: 10,
            vocational_percent: 25,
            art_pe_percent: 15,
            bonus_percent: 10,
            special_percent: 2,
        }
    }
}

/// How a special-case candidate's ID data reached the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// The card has expired: typed in, validity in the past.
    ExpiredCard,
    /// The candidate cannot come to the point: typed in.
    Absent,
}

/// The payment provider a candidate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// 微信支付 (60%).
    WeChatPay,
    /// 支付宝 (30%).
    Alipay,
    /// 银联 (10%).
    UnionPay,
}

impl Payer {
    /// The provider's one name: in the fee-order request, the notification path and the
    /// secrets file alike.
    pub fn name(self) -> &'static str {
        match self {
            Payer::WeChatPay => "wechat_pay",
            Payer::Alipay => "alipay",
            Payer::UnionPay => "unionpay",
        }
    }
}

/// One generated candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Arrival order.
    pub index: u64,
    /// Where they register.
    pub point: PointCode,
    /// 18-character ID number.
    pub id_number: String,
    /// 姓名.
    pub name: String,
    /// From the ID number.
    pub gender: Gender,
    /// From the ID number.
    pub birth_date: Date,
    /// 对口 rather than 普通类.
    pub vocational: bool,
    /// For 普通类: history rather than physics as first subject.
    pub history: bool,
    /// Art/PE professional categories (0 for most).
    pub art_pe_categories: u8,
    /// Declares bonus points or a special plan.
    pub bonus: bool,
    /// A special case, if any.
    pub special: Option<Special>,
    /// Form edits after the first save (0–3).
    pub edits: u8,
    /// How often the provider repeats the payment notification (1–4).
    pub notification_copies: u8,
    /// Whether one copy arrives long after the journey (a late retry).
    pub late_notification: bool,
    /// Which provider.
    pub payer: Payer,
}

/// SplitMix64: a tiny, well-mixed generator; enough to draw a candidate's attributes.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// The stream for `(seed, index, purpose)`.
    pub fn new(seed: u64, index: u64, purpose: u64) -> Dice {
        let mut dice = Dice(
            seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ purpose.wrapping_mul(0xD1B5_4A32),
        );
        dice.roll();
        dice
    }

    /// The next 64 random bits.
    pub fn roll(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.roll() % bound.max(1)
    }

    /// True with `percent`% probability.
    pub fn percent(&mut self, percent: u8) -> bool {
        self.below(100) < u64::from(percent)
    }

    /// Uniform in `[low, high)`.
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        // 53 random bits → [0, 1).
        let unit = (self.roll() >> 11) as f64 / (1u64 << 53) as f64;
        low + unit * (high - low)
    }
}

/// Why a population cannot be generated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PopulationError {
    /// More candidates than distinct ID numbers the generator can make.
    #[error(
        "{candidates} candidates over {counties} counties exceeds {MAX_CANDIDATES_PER_COUNTY} per county"
    )]
    TooMany {
        /// Requested.
        candidates: u64,
        /// Counties.
        counties: usize,
    },
    /// No points.
    #[error("points_per_county must be 1–99")]
    Points,
    /// Percentages that overlap beyond 100.
    #[error("vocational + art/PE percentages exceed 100")]
    Mix,
}

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢",
];
// Given-name characters, including ones outside GB2312 (喆, 昇, 珺) as real names have.
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀", "霞", "平",
    "刚", "桂", "喆", "昇", "珺", "婷", "宇", "浩", "欣", "怡", "晨", "轩", "雨", "梓", "涵", "睿",
];

/// The population.
#[derive(Debug, Clone)]
pub struct Population {
    config: PopulationConfig,
    counties: Vec<CountyCode>,
}

impl Population {
    /// The population of `province` as `config` describes it.
    pub fn new(
        province: &Province,
        config: PopulationConfig,
    ) -> Result<Population, PopulationError> {
        let counties: Vec<CountyCode> = province.counties.iter().map(|c| c.code).collect();
        if config.candidates.div_ceil(counties.len().max(1) as u64) > MAX_CANDIDATES_PER_COUNTY {
            return Err(PopulationError::TooMany {
                candidates: config.candidates,
                counties: counties.len(),
            });
        }
        if !(1..=99).contains(&config.points_per_county) {
            return Err(PopulationError::Points);
        }
        if u16::from(config.vocational_percent) + u16::from(config.art_pe_percent) > 100 {
            return Err(PopulationError::Mix);
        }
        Ok(Population { config, counties })
    }

    /// Its configuration.
    pub fn config(&self) -> &PopulationConfig {
        &self.config
    }

    /// How many candidates.
    pub fn len(&self) -> u64 {
        self.config.candidates
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.config.candidates == 0
    }

    /// Candidate `index` (`index < len()`).
    pub fn candidate(&self, index: u64) -> Candidate {
        let county_count = self.counties.len() as u64;
        let county = self.counties[(index % county_count) as usize];
        let within = index / county_count;
        let mut dice = Dice::new(self.config.seed, index, 1);
        let number = 1 + dice.below(u64::from(self.config.points_per_county)) as u16;
        // Both constructors succeed for codes taken from the province and numbers 1–99.
        let point = PointCode::new(county, number).unwrap_or_else(|| unreachable_point(county));
        let date_slot = within % BIRTH_DATES;
        let birth_date = Date::new(
            2004 + (date_slot % 4) as i32,
            1 + ((date_slot / 4) % 12) as u32,
            1 + (date_slot / 48) as u32,
        )
        .unwrap_or_else(|| unreachable!("day ≤ 28 in every month"));
        let sequence = (within / BIRTH_DATES) as u16;
        let id = IdNumber::from_parts(county.code(), birth_date, sequence)
            .unwrap_or_else(|| unreachable!("sequence < 1000 by MAX_CANDIDATES_PER_COUNTY"));
        let gender = id.gender();
        let name = format!(
            "{}{}{}",
            SURNAMES[dice.below(SURNAMES.len() as u64) as usize],
            GIVEN[dice.below(GIVEN.len() as u64) as usize],
            if dice.percent(60) {
                GIVEN[dice.below(GIVEN.len() as u64) as usize]
            } else {
                ""
            }
        );
        let roll = dice.below(100) as u8;
        let vocational = roll < self.config.vocational_percent;
        let art_pe = !vocational
            && roll
                < self
                    .config
                    .vocational_percent
                    .saturating_add(self.config.art_pe_percent);
        let special = dice.percent(self.config.special_percent).then(|| {
            if dice.percent(50) {
                Special::ExpiredCard
            } else {
                Special::Absent
            }
        });
        let payer = match dice.below(10) {
            0..=5 => Payer::WeChatPay,
            6..=8 => Payer::Alipay,
            _ => Payer::UnionPay,
        };
        Candidate {
            index,
            point,
            id_number: id.expose().to_owned(),
            name,
            gender,
            birth_date,
            vocational,
            history: dice.percent(40),
            art_pe_categories: if art_pe { 1 + dice.below(3) as u8 } else { 0 },
            bonus: dice.percent(self.config.bonus_percent),
            special,
            edits: dice.below(4) as u8,
            notification_copies: 1 + dice.below(4) as u8,
            late_notification: dice.percent(30),
            payer,
        }
    }
}

fn unreachable_point(county: CountyCode) -> PointCode {
    unreachable!("county {county} with a point number of 1–99 is a valid point")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn hunan(candidates: u64) -> Population {
        Population::new(
            &Province::hunan(),
            PopulationConfig {
                candidates,
                ..PopulationConfig::default()
            },
        )
        .expect("valid")
    }

    #[test]
    fn candidates_are_a_pure_function_of_seed_and_index() {
        let population = hunan(700_000);
        assert_eq!(population.candidate(12_345), population.candidate(12_345));
        assert_ne!(population.candidate(1), population.candidate(2));
        let reseeded = Population::new(
            &Province::hunan(),
            PopulationConfig {
                seed: 7,
                ..PopulationConfig::default()
            },
        )
        .expect("valid");
        assert_eq!(
            population.candidate(5).id_number,
            reseeded.candidate(5).id_number,
            "ID numbers depend on the index only"
        );
        assert_ne!(population.candidate(5).name, reseeded.candidate(5).name);
    }

    #[test]
    fn id_numbers_are_valid_and_distinct() {
        let population = hunan(700_000);
        let mut seen = HashSet::new();
        // Every county's first ~2,000 candidates, and a stretch deep into the population.
        for index in (0..250_000).chain(690_000..700_000) {
            let candidate = population.candidate(index);
            let parsed = IdNumber::parse(&candidate.id_number).expect("valid checksum");
            assert_eq!(parsed.birth_date(), candidate.birth_date);
            assert!(seen.insert(candidate.id_number), "duplicate at {index}");
        }
    }

    #[test]
    fn the_national_figure_is_generated_without_a_table() {
        let population = hunan(13_350_000);
        let last = population.candidate(13_349_999);
        assert!(IdNumber::parse(&last.id_number).is_ok());
        assert_ne!(
            population.candidate(13_349_999 - 122).id_number,
            last.id_number
        );
    }

    #[test]
    fn the_mix_follows_the_configured_percentages() {
        let population = hunan(700_000);
        let sample = 20_000;
        let mut vocational = 0;
        let mut art_pe = 0;
        let mut special = 0;
        let mut copies = [0u32; 5];
        for index in 0..sample {
            let candidate = population.candidate(index);
            vocational += u32::from(candidate.vocational);
            art_pe += u32::from(candidate.art_pe_categories > 0);
            special += u32::from(candidate.special.is_some());
            copies[usize::from(candidate.notification_copies)] += 1;
            assert!(!(candidate.vocational && candidate.art_pe_categories > 0));
            assert!((1..=10).contains(&candidate.point.number()));
        }
        let percent = |count: u32| f64::from(count) * 100.0 / sample as f64;
        assert!((23.0..27.0).contains(&percent(vocational)), "{vocational}");
        assert!((13.0..17.0).contains(&percent(art_pe)), "{art_pe}");
        assert!((1.0..3.0).contains(&percent(special)), "{special}");
        assert_eq!(copies[0], 0);
        assert!(copies[1..].iter().all(|&count| count > 4_000));
    }

    #[test]
    fn refuses_impossible_populations() {
        let error = Population::new(
            &Province::hunan(),
            PopulationConfig {
                candidates: 200_000_000,
                ..PopulationConfig::default()
            },
        )
        .expect_err("too many");
        assert!(matches!(error, PopulationError::TooMany { .. }));
        let mix = Population::new(
            &Province::hunan(),
            PopulationConfig {
                vocational_percent: 90,
                art_pe_percent: 20,
                ..PopulationConfig::default()
            },
        )
        .expect_err("overlapping mix");
        assert_eq!(mix, PopulationError::Mix);
    }
}
