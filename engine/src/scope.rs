//! Who may see and touch what (§6: "nobody reads or writes outside their scope").
//!
//! Every authenticated caller has exactly one scope. The rule is containment of codes:
//! the province covers everything; a city its counties; a county its points; a point its
//! own candidates; a candidate only their own record. The gateway asks this module on every
//! route, so the rule exists once.

use crate::key::CandidateKey;
use crate::org::{CityCode, CountyCode, PointCode};
use serde::{Deserialize, Serialize};

/// The scope of one authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// 省教育考试院.
    Province,
    /// 市州招考机构.
    City(CityCode),
    /// 县市区招生办.
    County(CountyCode),
    /// 报名点.
    Point(PointCode),
    /// 考生: own record only.
    Candidate(CandidateKey),
}

impl Scope {
    /// Whether this scope covers the point `point` (operators' views of points).
    pub fn covers_point(&self, point: PointCode) -> bool {
        match *self {
            Scope::Province => true,
            Scope::City(city) => point.county().city() == city,
            Scope::County(county) => point.county() == county,
            Scope::Point(own) => own == point,
            Scope::Candidate(_) => false,
        }
    }

    /// Whether this scope covers the county `county`.
    pub fn covers_county(&self, county: CountyCode) -> bool {
        match *self {
            Scope::Province => true,
            Scope::City(city) => county.city() == city,
            Scope::County(own) => own == county,
            Scope::Point(_) | Scope::Candidate(_) => false,
        }
    }

    /// Whether this scope covers the candidate `key` registered at `point`.
    pub fn covers_candidate(&self, key: CandidateKey, point: PointCode) -> bool {
        match *self {
            Scope::Candidate(own) => own == key,
            _ => self.covers_point(point),
        }
    }

    /// The bounded name of the role, for metrics and audit records.
    pub fn role(&self) -> &'static str {
        match self {
            Scope::Province => "province",
            Scope::City(_) => "city",
            Scope::County(_) => "county",
            Scope::Point(_) => "point",
            Scope::Candidate(_) => "candidate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_by_code_and_never_cross() {
        let point = PointCode::new(CountyCode::new(430102).expect("valid"), 1).expect("valid");
        let sibling = PointCode::new(CountyCode::new(430102).expect("valid"), 2).expect("valid");
        let other_county =
            PointCode::new(CountyCode::new(430103).expect("valid"), 1).expect("valid");
        let other_city = PointCode::new(CountyCode::new(430202).expect("valid"), 1).expect("valid");
        let me = CandidateKey::from_bytes([1; 16]);
        let you = CandidateKey::from_bytes([2; 16]);
        let cases = [
            (Scope::Province, [true, true, true, true]),
            (
                Scope::City(CityCode::new(4301).expect("valid")),
                [true, true, true, false],
            ),
            (Scope::County(point.county()), [true, true, false, false]),
            (Scope::Point(point), [true, false, false, false]),
            (Scope::Candidate(me), [false, false, false, false]),
        ];
        for (scope, expected) in cases {
            let actual = [point, sibling, other_county, other_city].map(|p| scope.covers_point(p));
            assert_eq!(actual, expected, "{scope:?}");
        }
        assert!(Scope::Candidate(me).covers_candidate(me, point));
        assert!(!Scope::Candidate(me).covers_candidate(you, point));
        assert!(!Scope::Point(sibling).covers_candidate(me, point));
    }
}
