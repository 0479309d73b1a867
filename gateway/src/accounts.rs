//! Operator accounts: each with exactly one scope and its own argon2id password.
//!
//! Durable like every other write: the whole directory is one stored setting
//! ([`SETTING`]), committed through the organisation partition (in Kafka mode, through the
//! log, so every node's projection has it) and put in force on every node by
//! [`crate::live_settings`] within about a second. A few thousand accounts make a few
//! hundred kilobytes; the province's administration changes it rarely.
//!
//! Every operator session carries its account's `generation`; each request compares it
//! with the directory held in memory here (no store read on the hot path). Disabling an
//! account, resetting or changing its password, or logging out bumps the generation, so
//! every session issued before stops working on every node as soon as the directory
//! arrives there.
//!
//! The demo's accounts (shared password, printed at start) live only in memory, beside the
//! stored ones, and are never written: a store never holds a demo account.

use dashmap::DashMap;
use engine::org::Province;
use engine::scope::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The stored setting holding the directory.
pub const SETTING: &str = "accounts";
/// The stored setting holding the one-time setup token's digest (until it is used).
pub const SETUP_SETTING: &str = "setup";

/// One operator account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// argon2id PHC string.
    pub password_hash: String,
    /// What it may see and touch.
    pub scope: Scope,
    /// Bumped whenever earlier sessions must stop working.
    #[serde(default)]
    pub generation: u32,
    /// Disabled by the level above: no login, no session.
    #[serde(default)]
    pub disabled: bool,
    /// A one-time password was set for it: the next session may only change it.
    #[serde(default)]
    pub must_change_password: bool,
    /// Who created it (username; `setup` for the province's first administrator).
    #[serde(default)]
    pub created_by: String,
}

/// The stored directory: accounts by username.
pub type Directory = BTreeMap<String, Account>;

/// The setup token as stored: only its digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupToken {
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
}

/// The accounts in force on this node.
#[derive(Default)]
pub struct Accounts {
    stored: DashMap<String, Account>,
    demo: DashMap<String, Account>,
}

impl Accounts {
    /// The account of `username` (stored first, then the demo's).
    pub fn get(&self, username: &str) -> Option<Account> {
        self.stored
            .get(username)
            .or_else(|| self.demo.get(username))
            .map(|account| account.clone())
    }

    /// Whether `username` is one of the demo's in-memory accounts.
    pub fn is_demo(&self, username: &str) -> bool {
        !self.stored.contains_key(username) && self.demo.contains_key(username)
    }

    /// How many accounts exist (stored and demo).
    pub fn len(&self) -> usize {
        self.stored.len() + self.demo.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty() && self.demo.is_empty()
    }

    /// Puts the stored `directory` in force here.
    pub fn replace(&self, directory: Directory) {
        self.stored
            .retain(|username, _| directory.contains_key(username));
        for (username, account) in directory {
            self.stored.insert(username, account);
        }
    }

    /// The stored accounts whose scope `within` covers, by username.
    pub fn stored_within(&self, within: impl Fn(&Scope) -> bool) -> Vec<(String, Account)> {
        let mut accounts: Vec<(String, Account)> = self
            .stored
            .iter()
            .filter(|entry| within(&entry.value().scope))
            .map(|entry| (entry.key().clone(), entry.value().clone()))
            .collect();
        accounts.sort_by(|a, b| a.0.cmp(&b.0));
        accounts
    }

    /// Whether a session of `username` at `generation` is still good: the account exists,
    /// is enabled, and nothing has ended its sessions since.
    pub fn session_valid(&self, username: &str, generation: u32) -> bool {
        self.get(username)
            .is_some_and(|account| !account.disabled && account.generation == generation)
    }

    /// The demo province's operators: `province`, `city-4301`, `county-430102`,
    /// `point-430102-001`, ... all with the same password (hashed once, so start-up does
    /// not spend minutes hashing 500 copies of a demo password). In memory only.
    pub fn with_demo(self, province: &Province, points_per_county: u16, hash: &str) -> Accounts {
        let account = |scope| Account {
            password_hash: hash.to_owned(),
            scope,
            generation: 0,
            disabled: false,
            must_change_password: false,
            created_by: "demo".to_owned(),
        };
        self.demo
            .insert("province".into(), account(Scope::Province));
        for city in &province.cities {
            self.demo.insert(
                format!("city-{}", city.code),
                account(Scope::City(city.code)),
            );
        }
        for county in &province.counties {
            self.demo.insert(
                format!("county-{}", county.code),
                account(Scope::County(county.code)),
            );
            for number in 1..=points_per_county {
                if let Some(point) = engine::org::PointCode::new(county.code, number) {
                    self.demo
                        .insert(format!("point-{point}"), account(Scope::Point(point)));
                }
            }
        }
        self
    }
}

/// Whether an operator of scope `manager` may create and manage accounts of scope
/// `managed`: the level directly above within its own area (province → city, city → its
/// counties, county → its points), or further accounts of exactly its own unit.
pub fn manages(manager: &Scope, managed: &Scope) -> bool {
    match (manager, managed) {
        (Scope::Province, Scope::Province | Scope::City(_)) => true,
        (Scope::City(city), Scope::City(other)) => city == other,
        (Scope::City(city), Scope::County(county)) => county.city() == *city,
        (Scope::County(county), Scope::County(other)) => county == other,
        (Scope::County(county), Scope::Point(point)) => point.county() == *county,
        (Scope::Point(point), Scope::Point(other)) => point == other,
        _ => false,
    }
}

/// What a username may be: 3–32 of lower-case letters, digits, `-`, `_`, `.`.
pub fn username_valid(username: &str) -> bool {
    (3..=32).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::org::{CityCode, CountyCode, PointCode};

    #[test]
    fn each_level_manages_the_level_below_within_its_area_and_its_own_unit() {
        let city: CityCode = "4301".parse().expect("city");
        let other_city: CityCode = "4302".parse().expect("city");
        let county: CountyCode = "430102".parse().expect("county");
        let foreign_county: CountyCode = "430202".parse().expect("county");
        let point = PointCode::new(county, 1).expect("point");
        let foreign_point = PointCode::new(foreign_county, 1).expect("point");
        assert!(manages(&Scope::Province, &Scope::City(city)));
        assert!(manages(&Scope::Province, &Scope::Province));
        assert!(
            !manages(&Scope::Province, &Scope::County(county)),
            "not two levels down"
        );
        assert!(manages(&Scope::City(city), &Scope::County(county)));
        assert!(!manages(&Scope::City(city), &Scope::County(foreign_county)));
        assert!(!manages(&Scope::City(city), &Scope::City(other_city)));
        assert!(
            !manages(&Scope::City(city), &Scope::Province),
            "never upwards"
        );
        assert!(manages(&Scope::County(county), &Scope::Point(point)));
        assert!(!manages(
            &Scope::County(county),
            &Scope::Point(foreign_point)
        ));
        assert!(manages(&Scope::Point(point), &Scope::Point(point)));
        assert!(!manages(&Scope::Point(point), &Scope::County(county)));
    }

    #[test]
    fn sessions_end_with_the_generation_or_the_account() {
        let accounts = Accounts::default();
        let account = Account {
            password_hash: String::new(),
            scope: Scope::Province,
            generation: 3,
            disabled: false,
            must_change_password: false,
            created_by: "setup".into(),
        };
        accounts.replace(Directory::from([("chief".to_owned(), account.clone())]));
        assert!(accounts.session_valid("chief", 3));
        assert!(
            !accounts.session_valid("chief", 2),
            "issued before a change"
        );
        accounts.replace(Directory::from([(
            "chief".to_owned(),
            Account {
                disabled: true,
                ..account
            },
        )]));
        assert!(!accounts.session_valid("chief", 3), "disabled");
        accounts.replace(Directory::new());
        assert!(!accounts.session_valid("chief", 3), "gone");
        assert!(username_valid("county-430102.a"));
        assert!(!username_valid("ab"));
        assert!(!username_valid("Chief"));
    }
}
