//! Resident identity card numbers (公民身份号码), GB 11643-1999.
//!
//! Eighteen characters: a six-digit address code, an eight-digit birth date, a three-digit
//! sequence whose parity gives the sex (odd: male), and an ISO 7064 MOD 11-2 check character
//! (`0`–`9` or `X`). The number is personal data of (mostly) minors, so its `Debug` and
//! `Display` forms are masked; code that really needs the digits calls [`IdNumber::expose`].

use crate::time::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Weights of positions 1–17 in the MOD 11-2 sum: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum mod 11.
const CHECK_CHARACTERS: [u8; 11] = *b"10X98765432";
/// Two-digit province codes that GB/T 2260 assigns (mainland, plus 71/81/82 as issued to
/// Taiwan, Hong Kong and Macau residents' mainland-format numbers).
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];
/// The earliest birth year accepted; anything before is a typing error, not a candidate.
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// A syntactically and arithmetically valid 18-character ID number (check character upper-case).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber {
    text: String,
    // Derived from `text`; kept so that reading it never has to re-parse or fail.
    birth: Date,
}

/// Sex as encoded in an ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Gender {
    /// 男: odd sequence digit.
    Male,
    /// 女: even sequence digit.
    Female,
}

/// Why a string is not an ID number. Each case has its own machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters long.
    #[error("an ID number has 18 characters; this one has {0}")]
    Length(usize),
    /// Something other than 17 digits followed by a digit or X.
    #[error("an ID number is 17 digits followed by a digit or X")]
    Characters,
    /// The first two digits are no province's.
    #[error("the ID number's first two digits are not a province code")]
    Region,
    /// Characters 7–14 are not a real date, or one before 1900.
    #[error("the ID number's characters 7–14 are not a valid birth date")]
    BirthDate,
    /// The last character does not match the MOD 11-2 check of the first 17.
    #[error("the ID number's check character does not match; please re-check every digit")]
    CheckDigit,
}

impl IdNumberError {
    /// The stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            IdNumberError::Length(_) => "id_number_length",
            IdNumberError::Characters => "id_number_characters",
            IdNumberError::Region => "id_number_region",
            IdNumberError::BirthDate => "id_number_birth_date",
            IdNumberError::CheckDigit => "id_number_check_digit",
        }
    }
}

/// The MOD 11-2 check character for 17 leading digits (given as values 0–9).
pub fn check_character(digits: &[u8; 17]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    char::from(CHECK_CHARACTERS[(sum % 11) as usize])
}

impl IdNumber {
    /// Validates `text`. A trailing lower-case `x` is accepted and stored as `X`, because
    /// card readers and people both produce it; nothing else is normalised.
    pub fn parse(text: &str) -> Result<IdNumber, IdNumberError> {
        let length = text.chars().count();
        if length != 18 {
            return Err(IdNumberError::Length(length));
        }
        let bytes = text.as_bytes();
        let mut digits = [0u8; 17];
        for (slot, &byte) in digits.iter_mut().zip(&bytes[..17]) {
            if !byte.is_ascii_digit() {
                return Err(IdNumberError::Characters);
            }
            *slot = byte - b'0';
        }
        let last = bytes[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(IdNumberError::Characters);
        }
        if !PROVINCES.contains(&(digits[0] * 10 + digits[1])) {
            return Err(IdNumberError::Region);
        }
        let birth = Date::parse(&text[6..14]).ok_or(IdNumberError::BirthDate)?;
        if birth.year() < EARLIEST_BIRTH_YEAR {
            return Err(IdNumberError::BirthDate);
        }
        if char::from(last) != check_character(&digits) {
            return Err(IdNumberError::CheckDigit);
        }
        let mut normalised = text[..17].to_owned();
        normalised.push(char::from(last));
        Ok(IdNumber {
            text: normalised,
            birth,
        })
    }

    /// Builds the valid number with this address code, birth date and sequence (the check
    /// character computed). Used to generate populations for demos and load tests.
    pub fn from_parts(address_code: u32, birth: Date, sequence: u16) -> Option<IdNumber> {
        if address_code > 999_999 || sequence > 999 {
            return None;
        }
        let body = format!(
            "{address_code:06}{:04}{:02}{:02}{sequence:03}",
            birth.year(),
            birth.month(),
            birth.day()
        );
        let mut digits = [0u8; 17];
        for (slot, byte) in digits.iter_mut().zip(body.bytes()) {
            *slot = byte.wrapping_sub(b'0');
        }
        IdNumber::parse(&format!("{body}{}", check_character(&digits))).ok()
    }

    /// The birth date encoded in characters 7–14.
    pub fn birth_date(&self) -> Date {
        self.birth
    }

    /// The sex encoded by the parity of character 17.
    pub fn gender(&self) -> Gender {
        if (self.text.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The six-digit address code of the place that issued the number.
    pub fn address_code(&self) -> u32 {
        self.text[..6].parse().unwrap_or(0)
    }

    /// The full number. Call sites are few and deliberate: hashing it into a key,
    /// printing it on the candidate's own documents, comparing at login.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// A masked form safe for logs and operator lists: `4301************3X`.
    pub fn masked(&self) -> String {
        format!("{}************{}", &self.text[..4], &self.text[16..])
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdNumberError;
    fn try_from(text: String) -> Result<Self, IdNumberError> {
        IdNumber::parse(&text)
    }
}

impl From<IdNumber> for String {
    fn from(id: IdNumber) -> String {
        id.text
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a valid number from its parts; used by other modules' tests as a fixture.
    pub(crate) fn make(address: u32, birth: &str, sequence: u16) -> IdNumber {
        let body = format!("{address:06}{birth}{sequence:03}");
        let mut digits = [0u8; 17];
        for (slot, byte) in digits.iter_mut().zip(body.bytes()) {
            *slot = byte - b'0';
        }
        IdNumber::parse(&format!("{body}{}", check_character(&digits))).expect("fixture is valid")
    }

    #[test]
    fn accepts_a_known_valid_number_and_reads_it() {
        // The standard's own worked example: 11010519491231002X.
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.birth_date(), Date::new(1949, 12, 31).expect("valid"));
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.address_code(), 110105);
        let lower = IdNumber::parse("11010519491231002x").expect("lower-case x is accepted");
        assert_eq!(lower, id);
    }

    #[test]
    fn each_kind_of_error_has_its_own_code() {
        let cases = [
            ("1101051949123100", "id_number_length"),
            ("11010519491231002Y", "id_number_characters"),
            ("1101051949I231002X", "id_number_characters"),
            ("99010519491231002X", "id_number_region"),
            ("110105194913310026", "id_number_birth_date"),
            ("110105189912310021", "id_number_birth_date"),
            ("110105194912310021", "id_number_check_digit"),
        ];
        for (text, code) in cases {
            assert_eq!(
                IdNumber::parse(text).expect_err(text).code(),
                code,
                "{text}"
            );
        }
    }

    #[test]
    fn builds_valid_numbers_from_parts() {
        let birth = Date::new(2006, 2, 28).expect("valid");
        let id = IdNumber::from_parts(433101, birth, 7).expect("valid parts");
        assert_eq!(
            (id.address_code(), id.birth_date(), id.gender()),
            (433101, birth, Gender::Male)
        );
        assert_eq!(IdNumber::parse(id.expose()), Ok(id));
        assert!(IdNumber::from_parts(1_000_000, birth, 7).is_none());
        assert!(
            IdNumber::from_parts(990101, birth, 7).is_none(),
            "no province 99"
        );
    }

    #[test]
    fn never_prints_the_number_in_clear() {
        let id = make(430102, "20060312", 123);
        assert!(!format!("{id:?}").contains(id.expose()));
        assert!(!id.to_string().contains(&id.expose()[6..14]));
    }

    /// An independent oracle: computes weights as 2^(17-i) mod 11 rather than from the
    /// table, and checks the date with a days-in-month rule written separately.
    fn oracle(text: &str) -> bool {
        let bytes = text.as_bytes();
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return false;
        }
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !PROVINCES.contains(&province) {
            return false;
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
        let (year, month, day) = (number(6..10), number(10..12), number(12..14));
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let month_days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if year < 1900
            || !(1..=12).contains(&month)
            || day == 0
            || day > month_days[month as usize - 1]
        {
            return false;
        }
        let sum: u32 = (0..17)
            .map(|i| u32::from(bytes[i] - b'0') * (2u32.pow(17 - i as u32) % 11))
            .sum();
        let expected = (12 - sum % 11) % 11;
        let last = bytes[17].to_ascii_uppercase();
        if expected == 10 {
            last == b'X'
        } else {
            last == b'0' + expected as u8
        }
    }

    proptest! {
        #[test]
        fn accepts_exactly_what_the_oracle_accepts(
            province in prop::sample::select(vec![11u32, 43, 65, 82, 99, 10]),
            rest in 0u32..10_000,
            year in 1890u32..2030, month in 0u32..14, day in 0u32..33,
            sequence in 0u32..1000,
            last in prop::sample::select(b"0123456789XxY".to_vec()),
        ) {
            let text = format!("{province:02}{rest:04}{year:04}{month:02}{day:02}{sequence:03}{}", char::from(last));
            prop_assert_eq!(IdNumber::parse(&text).is_ok(), oracle(&text), "{}", text);
        }

        #[test]
        fn any_single_digit_change_is_detected(position in 0usize..17, delta in 1u8..10, sequence in 0u16..1000) {
            let id = make(430102, "20060312", sequence);
            let mut bytes = id.expose().as_bytes().to_vec();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let mutated = String::from_utf8(bytes).expect("ascii");
            prop_assert!(IdNumber::parse(&mutated).is_err(), "{}", mutated);
        }

        #[test]
        fn arbitrary_strings_never_panic_and_agree_with_the_oracle(text in "[0-9Xx]{16,19}") {
            prop_assert_eq!(IdNumber::parse(&text).is_ok(), oracle(&text));
        }
    }
}
