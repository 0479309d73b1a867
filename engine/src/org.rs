//! The organisation: province → city (市州) → county (县市区) → registration point (报名点).
//!
//! Divisions carry GB/T 2260 codes: a city is `43xx`, a county `43xxyy`. A registration point
//! is a county code plus a three-digit number the county gives it. Scope checks everywhere
//! in the system reduce to "is this code inside that one", so the codes are typed and the
//! containment rules live here, once.

use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A city-level division (市州), e.g. `4301` Changsha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CityCode(u16);

/// A county-level division (县市区), e.g. `430102` Furong District.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CountyCode(u32);

/// A registration point: its county and a number 1–999 within the county.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PointCode {
    county: CountyCode,
    number: u16,
}

impl CityCode {
    /// The city with this four-digit code, if it is well-formed (`PPCC`, city part ≥ 01).
    pub fn new(code: u16) -> Option<CityCode> {
        ((1100..=8299).contains(&code) && !code.is_multiple_of(100)).then_some(CityCode(code))
    }
    /// The four-digit code.
    pub fn code(self) -> u16 {
        self.0
    }
    /// The two-digit province code (`43` for Hunan).
    pub fn province(self) -> u8 {
        (self.0 / 100) as u8
    }
}

impl CountyCode {
    /// The county with this six-digit code, if it is well-formed (`PPCCDD`, parts ≥ 01).
    pub fn new(code: u32) -> Option<CountyCode> {
        let well_formed = (110_101..=829_999).contains(&code)
            && !code.is_multiple_of(100)
            && !(code / 100).is_multiple_of(100);
        well_formed.then_some(CountyCode(code))
    }
    /// The six-digit code.
    pub fn code(self) -> u32 {
        self.0
    }
    /// The city this county belongs to.
    pub fn city(self) -> CityCode {
        CityCode((self.0 / 100) as u16)
    }
    /// The four-digit city-county code (市县码) that opens every serial number:
    /// the city and county parts of the division code, e.g. `0102` for `430102`.
    pub fn city_county_code(self) -> u16 {
        (self.0 % 10_000) as u16
    }
}

impl PointCode {
    /// Point `number` (1–999) of `county`.
    pub fn new(county: CountyCode, number: u16) -> Option<PointCode> {
        (1..=999)
            .contains(&number)
            .then_some(PointCode { county, number })
    }
    /// The county that set this point up.
    pub fn county(self) -> CountyCode {
        self.county
    }
    /// The point's number within its county.
    pub fn number(self) -> u16 {
        self.number
    }
    /// A dense integer form (`county * 1000 + number`) for index keys.
    pub fn as_u64(self) -> u64 {
        u64::from(self.county.0) * 1000 + u64::from(self.number)
    }
    /// Inverse of [`PointCode::as_u64`].
    pub fn from_u64(value: u64) -> Option<PointCode> {
        let county = CountyCode::new(u32::try_from(value / 1000).ok()?)?;
        PointCode::new(county, (value % 1000) as u16)
    }
}

impl fmt::Display for CityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}
impl fmt::Display for CountyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}
impl fmt::Display for PointCode {
    /// `430102-007`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:03}", self.county, self.number)
    }
}

impl std::str::FromStr for CityCode {
    type Err = Rejection;
    fn from_str(text: &str) -> Result<Self, Rejection> {
        text.parse::<u16>()
            .ok()
            .filter(|_| text.len() == 4)
            .and_then(CityCode::new)
            .ok_or_else(|| Rejection::InvalidCode {
                kind: "city",
                value: text.to_owned(),
            })
    }
}
impl std::str::FromStr for CountyCode {
    type Err = Rejection;
    fn from_str(text: &str) -> Result<Self, Rejection> {
        text.parse::<u32>()
            .ok()
            .filter(|_| text.len() == 6)
            .and_then(CountyCode::new)
            .ok_or_else(|| Rejection::InvalidCode {
                kind: "county",
                value: text.to_owned(),
            })
    }
}
impl std::str::FromStr for PointCode {
    type Err = Rejection;
    fn from_str(text: &str) -> Result<Self, Rejection> {
        let invalid = || Rejection::InvalidCode {
            kind: "point",
            value: text.to_owned(),
        };
        let (county, number) = text.split_once('-').ok_or_else(invalid)?;
        let county: CountyCode = county.parse().map_err(|_| invalid())?;
        let number = number
            .parse::<u16>()
            .ok()
            .filter(|_| number.len() == 3)
            .ok_or_else(invalid)?;
        PointCode::new(county, number).ok_or_else(invalid)
    }
}

/// One named division from the shipped data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Division<C> {
    /// Its GB/T 2260 code.
    pub code: C,
    /// Its official Chinese name.
    pub name: &'static str,
}

/// Why a GB/T 2260 division list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("division data, line {line}: {reason}")]
pub struct DivisionDataError {
    /// The line (1-based; 0 for the list as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// A province's static divisions: the cities and counties that exist whatever the year.
/// Registration points are not here: counties create them each cycle (see [`crate::county`]).
#[derive(Debug, Clone)]
pub struct Province {
    /// Two-digit province code.
    pub code: u8,
    /// Official name.
    pub name: &'static str,
    /// Cities, ordered by code.
    pub cities: Vec<Division<CityCode>>,
    /// Counties, ordered by code.
    pub counties: Vec<Division<CountyCode>>,
}

impl Province {
    /// Hunan (湖南省, 43): its 14 cities and 122 county-level divisions.
    pub fn hunan() -> Province {
        let cities = crate::hunan::CITIES
            .iter()
            .filter_map(|&(code, name)| {
                Some(Division {
                    code: CityCode::new(code)?,
                    name,
                })
            })
            .collect();
        let counties = crate::hunan::COUNTIES
            .iter()
            .filter_map(|&(code, name)| {
                Some(Division {
                    code: CountyCode::new(code)?,
                    name,
                })
            })
            .collect();
        Province {
            code: 43,
            name: "湖南省",
            cities,
            counties,
        }
    }

    /// A province from its GB/T 2260 division list: one division per line, `code name`
    /// (six digits, whitespace, the official name); the province's own line (`PP0000`),
    /// its cities (`PPCC00`) and its counties; blank lines and `#` comments ignored. Every
    /// city and county must belong to the province, and every county to a listed city.
    ///
    /// The names live as long as the process (they are read once, at start).
    pub fn from_gbt2260(text: &str) -> Result<Province, DivisionDataError> {
        let mut province: Option<(u8, &'static str)> = None;
        let mut cities = Vec::new();
        let mut counties = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let invalid = |reason: &str| DivisionDataError {
                line: index + 1,
                reason: reason.to_owned(),
            };
            let (code, name) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| invalid("expected `code name`"))?;
            let name = name.trim();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("a code is six digits"));
            }
            if name.is_empty() || name.chars().count() > 30 || crate::text::has_forbidden(name) {
                return Err(invalid("a name is 1–30 printable characters"));
            }
            let number: u32 = code.parse().map_err(|_| invalid("a code is six digits"))?;
            let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
            let province_code =
                u8::try_from(number / 10_000).map_err(|_| invalid("province code"))?;
            match &province {
                None if number.is_multiple_of(10_000) => province = Some((province_code, name)),
                None => return Err(invalid("the province's own line comes first")),
                Some((own, _)) if *own != province_code => {
                    return Err(invalid("a division of another province"));
                }
                Some(_) if number.is_multiple_of(10_000) => {
                    return Err(invalid("a second province line"));
                }
                Some(_) if number.is_multiple_of(100) => {
                    let code = u16::try_from(number / 100)
                        .ok()
                        .and_then(CityCode::new)
                        .ok_or_else(|| invalid("not a city code"))?;
                    cities.push(Division { code, name });
                }
                Some(_) => {
                    let code =
                        CountyCode::new(number).ok_or_else(|| invalid("not a county code"))?;
                    if !cities
                        .iter()
                        .any(|city: &Division<CityCode>| city.code == code.city())
                    {
                        return Err(invalid("a county of a city not listed (list cities first)"));
                    }
                    counties.push(Division { code, name });
                }
            }
        }
        let (code, name) = province.ok_or(DivisionDataError {
            line: 0,
            reason: "no province line".to_owned(),
        })?;
        cities.sort_by_key(|city| city.code);
        counties.sort_by_key(|county| county.code);
        let unique = cities.windows(2).all(|pair| pair[0].code != pair[1].code)
            && counties.windows(2).all(|pair| pair[0].code != pair[1].code);
        if !unique || counties.is_empty() {
            return Err(DivisionDataError {
                line: 0,
                reason: "codes must be unique, with at least one county".to_owned(),
            });
        }
        Ok(Province {
            code,
            name,
            cities,
            counties,
        })
    }

    /// The city with this code, if it is in the province.
    pub fn city(&self, code: CityCode) -> Option<&Division<CityCode>> {
        self.cities.iter().find(|city| city.code == code)
    }

    /// The county with this code, if it is in the province.
    pub fn county(&self, code: CountyCode) -> Option<&Division<CountyCode>> {
        self.counties.iter().find(|county| county.code == code)
    }

    /// The county's name, or empty for a code outside the province (printed documents).
    pub fn county_name(&self, code: CountyCode) -> &str {
        self.county(code).map_or("", |county| county.name)
    }

    /// The counties of one city.
    pub fn counties_of(&self, city: CityCode) -> impl Iterator<Item = &Division<CountyCode>> {
        self.counties
            .iter()
            .filter(move |county| county.code.city() == city)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_hunan_file_is_the_built_in_province() {
        let text = include_str!("../../deploy/provinces/430000-hunan.txt");
        let parsed = Province::from_gbt2260(text).expect("parses");
        let built_in = Province::hunan();
        assert_eq!((parsed.code, parsed.name), (built_in.code, built_in.name));
        assert_eq!(parsed.cities, built_in.cities);
        assert_eq!(parsed.counties, built_in.counties);
    }

    #[test]
    fn division_lists_are_refused_precisely() {
        let refused = |text: &str| Province::from_gbt2260(text).expect_err("refused");
        assert_eq!(refused("").reason, "no province line");
        assert_eq!(refused("430100 长沙市").line, 1, "the province first");
        let other = refused("430000 湖南省\n440100 广州市");
        assert_eq!(
            (other.line, other.reason.as_str()),
            (2, "a division of another province")
        );
        let orphan = refused("430000 湖南省\n430100 长沙市\n430202 荷塘区");
        assert_eq!(orphan.line, 3);
        assert_eq!(
            refused("430000 湖南省\n4301 长沙市").reason,
            "a code is six digits"
        );
        assert_eq!(
            refused("430000 湖南省\n430100 \u{202e}市").reason,
            "a name is 1–30 printable characters"
        );
        let twice = refused("430000 湖南省\n430100 长沙市\n430102 芙蓉区\n430102 芙蓉区");
        assert_eq!(twice.line, 0);
        let small =
            Province::from_gbt2260("# test\n\n460000 海南省\n460100 海口市\n460105 秀英区\n")
                .expect("a small province");
        assert_eq!(
            (small.code, small.name, small.counties.len()),
            (46, "海南省", 1)
        );
    }

    #[test]
    fn hunan_has_fourteen_cities_and_122_counties() {
        let hunan = Province::hunan();
        assert_eq!(hunan.cities.len(), 14);
        assert_eq!(hunan.counties.len(), 122);
        for county in &hunan.counties {
            assert!(
                hunan.city(county.code.city()).is_some(),
                "{} has no city",
                county.code
            );
            assert_eq!(county.code.city().province(), 43);
        }
        for city in &hunan.cities {
            assert!(
                hunan.counties_of(city.code).count() >= 4,
                "{} has too few counties",
                city.name
            );
        }
        let mut codes: Vec<_> = hunan
            .counties
            .iter()
            .map(|c| c.code.city_county_code())
            .collect();
        codes.dedup();
        assert_eq!(
            codes.len(),
            122,
            "city-county codes must be unique in the province"
        );
    }

    #[test]
    fn codes_parse_and_print_round_trip() {
        let point: PointCode = "430102-007".parse().expect("valid point");
        assert_eq!(point.to_string(), "430102-007");
        assert_eq!(point.county().city().to_string(), "4301");
        assert_eq!(point.county().city_county_code(), 102);
        assert_eq!(PointCode::from_u64(point.as_u64()), Some(point));
    }

    #[test]
    fn malformed_codes_are_refused_with_their_kind() {
        for bad in ["4301", "430100", "43010", "4301022", "abcdef"] {
            let error = bad.parse::<CountyCode>().expect_err(bad);
            assert_eq!(error.code(), "invalid_code");
        }
        for bad in ["430102-000", "430102-7", "430102", "430102-1000"] {
            assert!(bad.parse::<PointCode>().is_err(), "{bad}");
        }
    }
}
