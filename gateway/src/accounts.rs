//! Operator accounts: one per province, city, county and point operator role, each with
//! exactly one scope. Passwords are argon2id hashes.

use dashmap::DashMap;
use engine::org::Province;
use engine::scope::Scope;

/// One operator account.
#[derive(Debug, Clone)]
pub struct Account {
    /// argon2id PHC string.
    pub password_hash: String,
    /// What it may see and touch.
    pub scope: Scope,
}

/// Accounts by username.
#[derive(Default)]
pub struct Accounts {
    by_username: DashMap<String, Account>,
}

impl Accounts {
    /// Adds or replaces an account.
    pub fn insert(&self, username: String, account: Account) {
        self.by_username.insert(username, account);
    }

    /// The account of `username`.
    pub fn get(&self, username: &str) -> Option<Account> {
        self.by_username
            .get(username)
            .map(|account| account.clone())
    }

    /// How many accounts exist.
    pub fn len(&self) -> usize {
        self.by_username.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_username.is_empty()
    }

    /// The demo province's operators: `province`, `city-4301`, `county-430102`,
    /// `point-430102-001`, ... all with the same password (hashed once, so start-up does
    /// not spend minutes hashing 500 copies of a demo password).
    pub fn demo(province: &Province, points_per_county: u16, password_hash: &str) -> Accounts {
        let accounts = Accounts::default();
        let account = |scope| Account {
            password_hash: password_hash.to_owned(),
            scope,
        };
        accounts.insert("province".into(), account(Scope::Province));
        for city in &province.cities {
            accounts.insert(
                format!("city-{}", city.code),
                account(Scope::City(city.code)),
            );
        }
        for county in &province.counties {
            accounts.insert(
                format!("county-{}", county.code),
                account(Scope::County(county.code)),
            );
            for number in 1..=points_per_county {
                if let Some(point) = engine::org::PointCode::new(county.code, number) {
                    accounts.insert(format!("point-{point}"), account(Scope::Point(point)));
                }
            }
        }
        accounts
    }
}
