//! Order numbers, in one place: a prefix naming the fee, the candidate's key — so a
//! provider's notification routes to the candidate's shard without any lookup table — and
//! a two-digit sequence. `GK` + key + nn (registration fee), `EX` + key + nn (exam fee),
//! `AP` + key + category digit + nn (one art/PE category's fee).

use engine::candidate::art_pe::ArtCategory;
use engine::key::CandidateKey;

/// Which fee an order pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFor {
    /// 报名费.
    Registration,
    /// 考试费.
    Exam,
    /// One art/PE category's fee.
    ArtPe(ArtCategory),
}

/// The number of the candidate's `sequence`-th order for `fee`.
pub fn order_id(fee: OrderFor, key: CandidateKey, sequence: usize) -> String {
    let sequence = sequence % 100;
    match fee {
        OrderFor::Registration => format!("GK{key}{sequence:02}"),
        OrderFor::Exam => format!("EX{key}{sequence:02}"),
        OrderFor::ArtPe(category) => format!("AP{key}{}{sequence:02}", category.digit()),
    }
}

/// The candidate an order number belongs to, if it is one of ours.
pub fn key_of(order_id: &str) -> Option<CandidateKey> {
    let (prefix, rest) = order_id.split_at_checked(2)?;
    let length = match prefix {
        "GK" | "EX" => 34,
        "AP" => 35,
        _ => return None,
    };
    if rest.len() != length {
        return None;
    }
    CandidateKey::parse_hex(rest.get(..32)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_order_number_leads_back_to_its_candidate() {
        let key = CandidateKey::from_bytes([0xAB; 16]);
        for fee in [
            OrderFor::Registration,
            OrderFor::Exam,
            OrderFor::ArtPe(ArtCategory::Music),
            OrderFor::ArtPe(ArtCategory::Sports),
        ] {
            for sequence in [1, 99, 100] {
                assert_eq!(key_of(&order_id(fee, key, sequence)), Some(key), "{fee:?}");
            }
        }
        let registration = order_id(OrderFor::Registration, key, 1);
        assert!(registration.starts_with("GK") && registration.ends_with("01"));
        assert_eq!(key_of("XX"), None);
        assert_eq!(key_of(&registration[..registration.len() - 1]), None);
        assert_eq!(
            key_of(&format!("AP{}", &registration[2..])),
            None,
            "AP has a digit more"
        );
        assert_eq!(key_of("GK"), None);
        assert_eq!(key_of("é"), None);
    }
}
