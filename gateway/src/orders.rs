//! Order numbers, in one place: a prefix naming the fee, the candidate's key — so a
//! provider's notification routes to the candidate's shard without any lookup table — and
//! a two-digit sequence. `GK` + key + nn (registration fee), `EX` + key + nn (exam fee),
//! `AP` + key + category digit + nn (one art/PE category's fee), `CR` + key + nn (the
//! adult exam's fee: 成人高考).
//!
//! The key is written in base32 (RFC 4648, upper case, no padding: 26 characters), so an
//! order number is at most 31 letters and digits: WeChat Pay's `out_trade_no` allows 6–32
//! characters, UnionPay's `orderId` 8–40 letters and digits, Alipay's 64.

use data_encoding::BASE32_NOPAD;
use engine::candidate::FeeKind;
use engine::key::CandidateKey;

/// The number of the candidate's `sequence`-th order for `fee`.
pub fn order_id(fee: FeeKind, key: CandidateKey, sequence: usize) -> String {
    let sequence = sequence % 100;
    let key = BASE32_NOPAD.encode(key.as_bytes());
    match fee {
        FeeKind::Registration => format!("GK{key}{sequence:02}"),
        FeeKind::Exam => format!("EX{key}{sequence:02}"),
        FeeKind::ArtPe(category) => format!("AP{key}{}{sequence:02}", category.digit()),
    }
}

/// The number of an adult-exam registration's `sequence`-th fee order.
pub fn adult_order_id(key: CandidateKey, sequence: usize) -> String {
    format!(
        "CR{}{:02}",
        BASE32_NOPAD.encode(key.as_bytes()),
        sequence % 100
    )
}

/// Whose an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A gaokao candidate's.
    Gaokao(CandidateKey),
    /// An adult-exam registration's.
    Adult(CandidateKey),
}

/// Whose an order number is, if it is one of ours.
pub fn owner_of(order_id: &str) -> Option<Owner> {
    let key = key_of(order_id)?;
    Some(if order_id.starts_with("CR") {
        Owner::Adult(key)
    } else {
        Owner::Gaokao(key)
    })
}

/// The registration an order number belongs to, if it is one of ours (either exam's).
pub fn key_of(order_id: &str) -> Option<CandidateKey> {
    let (prefix, rest) = order_id.split_at_checked(2)?;
    let length = match prefix {
        "GK" | "EX" | "CR" => KEY_CHARS + 2,
        "AP" => KEY_CHARS + 3,
        _ => return None,
    };
    if rest.len() != length {
        return None;
    }
    let bytes = BASE32_NOPAD
        .decode(rest.get(..KEY_CHARS)?.as_bytes())
        .ok()?;
    Some(CandidateKey::from_bytes(bytes.try_into().ok()?))
}

/// A 16-byte key in unpadded base32.
const KEY_CHARS: usize = 26;

/// The longest order number we make; WeChat Pay's `out_trade_no` allows 32.
pub const MAX_ORDER_CHARS: usize = 2 + KEY_CHARS + 3;

#[cfg(test)]
mod tests {
    use super::*;
    use engine::candidate::art_pe::ArtCategory;

    #[test]
    fn every_kind_of_order_number_leads_back_to_its_candidate() {
        let key = CandidateKey::from_bytes([0xAB; 16]);
        for fee in [
            FeeKind::Registration,
            FeeKind::Exam,
            FeeKind::ArtPe(ArtCategory::Music),
            FeeKind::ArtPe(ArtCategory::Sports),
        ] {
            for sequence in [1, 99, 100] {
                assert_eq!(key_of(&order_id(fee, key, sequence)), Some(key), "{fee:?}");
            }
        }
        let registration = order_id(FeeKind::Registration, key, 1);
        assert!(registration.starts_with("GK") && registration.ends_with("01"));
        assert_eq!(key_of("XX"), None);
        assert_eq!(key_of(&registration[..registration.len() - 1]), None);
        assert_eq!(
            key_of(&format!("AP{}", &registration[2..])),
            None,
            "AP has a digit more"
        );
        assert_eq!(key_of("GK"), None);
        let adult = adult_order_id(key, 3);
        assert_eq!(owner_of(&adult), Some(Owner::Adult(key)));
        assert_eq!(owner_of(&registration), Some(Owner::Gaokao(key)));
        assert!(adult.len() <= MAX_ORDER_CHARS);
        assert_eq!(key_of("é"), None);
    }

    /// Security audit item 17: WeChat Pay refuses an `out_trade_no` over 32 characters, and
    /// UnionPay's `orderId` takes letters and digits only.
    #[test]
    fn item_17_order_numbers_fit_every_providers_limits() {
        let key = CandidateKey::from_bytes([0xFF; 16]);
        for fee in [
            FeeKind::Registration,
            FeeKind::Exam,
            FeeKind::ArtPe(ArtCategory::Sports),
        ] {
            let id = order_id(fee, key, 99);
            assert!(
                (6..=32).contains(&id.len()),
                "{id}: {} characters",
                id.len()
            );
            assert!(id.len() <= MAX_ORDER_CHARS);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
    }
}
