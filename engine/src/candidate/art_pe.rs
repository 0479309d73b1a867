//! Art/PE professional exams (艺术类、体育类专业统考): the categories a candidate applies
//! for, each with its main (and, where the category has one, sub) item, and each paid on its
//! own. A category counts only once paid; a paid category cannot be changed or dropped (fees
//! are not refunded); nothing is added, changed or ordered outside the window.

use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};

/// A professional exam category (专业类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtCategory {
    /// 美术与设计类.
    FineArts,
    /// 音乐类 (main and sub item: e.g. 声乐 / 器乐).
    Music,
    /// 舞蹈类.
    Dance,
    /// 播音与主持类.
    Broadcasting,
    /// 表演类.
    Performance,
    /// 戏剧影视导演类.
    Directing,
    /// 书法类.
    Calligraphy,
    /// 体育类 (main and sub item: e.g. 田径 / 篮球).
    Sports,
}

impl ArtCategory {
    /// Every category, in a fixed order.
    pub const ALL: [ArtCategory; 8] = [
        ArtCategory::FineArts,
        ArtCategory::Music,
        ArtCategory::Dance,
        ArtCategory::Broadcasting,
        ArtCategory::Performance,
        ArtCategory::Directing,
        ArtCategory::Calligraphy,
        ArtCategory::Sports,
    ];

    /// The stable machine-readable name (as in the API's paths).
    pub fn name(self) -> &'static str {
        match self {
            ArtCategory::FineArts => "fine_arts",
            ArtCategory::Music => "music",
            ArtCategory::Dance => "dance",
            ArtCategory::Broadcasting => "broadcasting",
            ArtCategory::Performance => "performance",
            ArtCategory::Directing => "directing",
            ArtCategory::Calligraphy => "calligraphy",
            ArtCategory::Sports => "sports",
        }
    }

    /// The category by its machine-readable name.
    pub fn named(name: &str) -> Option<ArtCategory> {
        ArtCategory::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The printed name.
    pub fn chinese(self) -> &'static str {
        match self {
            ArtCategory::FineArts => "美术与设计类",
            ArtCategory::Music => "音乐类",
            ArtCategory::Dance => "舞蹈类",
            ArtCategory::Broadcasting => "播音与主持类",
            ArtCategory::Performance => "表演类",
            ArtCategory::Directing => "戏剧影视导演类",
            ArtCategory::Calligraphy => "书法类",
            ArtCategory::Sports => "体育类",
        }
    }

    /// Whether the category has a sub item (主辅项) besides the main one.
    pub fn has_sub_item(self) -> bool {
        matches!(self, ArtCategory::Music | ArtCategory::Sports)
    }

    /// A single digit for order numbers.
    pub fn digit(self) -> u8 {
        ArtCategory::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |index| index as u8 + 1)
    }
}

/// One chosen category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtEntry {
    /// 主项.
    pub main_item: String,
    /// 辅项, for categories that have one.
    pub sub_item: Option<String>,
    /// Its own fee: orders, the payment, surplus payments.
    pub fee: super::FeeAccount,
}

impl ArtEntry {
    /// Whether it counts (paid).
    pub fn is_paid(&self) -> bool {
        self.fee.paid.is_some()
    }
}

/// Most characters of an item's name.
const MAX_ITEM_CHARS: usize = 20;

/// Checks the items chosen for `category`.
pub fn check_items(
    category: ArtCategory,
    main_item: &str,
    sub_item: Option<&str>,
) -> Result<(), Rejection> {
    let well_formed = |item: &str| {
        let trimmed = item.trim();
        !trimmed.is_empty()
            && trimmed == item
            && item.chars().count() <= MAX_ITEM_CHARS
            && !item.chars().any(crate::text::is_forbidden)
    };
    if !well_formed(main_item) {
        return Err(Rejection::ArtPeItemInvalid { field: "main_item" });
    }
    match (category.has_sub_item(), sub_item) {
        (false, Some(_)) => Err(Rejection::ArtPeItemInvalid { field: "sub_item" }),
        (true, Some(sub)) if !well_formed(sub) || sub == main_item => {
            Err(Rejection::ArtPeItemInvalid { field: "sub_item" })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_digits_are_distinct() {
        let digits: std::collections::BTreeSet<u8> =
            ArtCategory::ALL.iter().map(|c| c.digit()).collect();
        assert_eq!(digits.len(), ArtCategory::ALL.len());
        assert!(!digits.contains(&0));
        for category in ArtCategory::ALL {
            assert_eq!(ArtCategory::named(category.name()), Some(category));
        }
        assert_eq!(ArtCategory::named("painting"), None);
    }

    #[test]
    fn items_are_checked_per_category() {
        assert_eq!(check_items(ArtCategory::FineArts, "素描", None), Ok(()));
        assert_eq!(
            check_items(ArtCategory::Music, "声乐", Some("钢琴")),
            Ok(())
        );
        assert_eq!(check_items(ArtCategory::Sports, "田径", None), Ok(()));
        let invalid = |field| Err(Rejection::ArtPeItemInvalid { field });
        assert_eq!(
            check_items(ArtCategory::FineArts, "", None),
            invalid("main_item")
        );
        assert_eq!(
            check_items(ArtCategory::FineArts, " 素描", None),
            invalid("main_item")
        );
        assert_eq!(
            check_items(ArtCategory::FineArts, &"长".repeat(21), None),
            invalid("main_item")
        );
        assert_eq!(
            check_items(ArtCategory::Dance, "民族舞", Some("芭蕾")),
            invalid("sub_item")
        );
        assert_eq!(
            check_items(ArtCategory::Music, "声乐", Some("声乐")),
            invalid("sub_item")
        );
        assert_eq!(
            check_items(ArtCategory::Music, "声乐", Some("")),
            invalid("sub_item")
        );
    }
}
