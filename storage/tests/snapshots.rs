//! Every shape a candidate snapshot can take survives the store's encoding (postcard, which
//! cannot read some serde representations — an internally tagged enum once slipped through
//! the engine's tests and failed only at the first read).

mod support;

use engine::candidate::art_pe::ArtCategory;
use engine::candidate::declaration::{DeclarationKind, Review, ReviewLevel};
use engine::candidate::{Event, Provider, Status, evolve};
use engine::time::Timestamp;
use storage::{EmbeddedConfig, EmbeddedStore, StateStore};
use support::{candidate, commit_for, point};

#[tokio::test]
async fn snapshots_with_every_optional_part_read_back_equal() {
    let at = Timestamp(1_700_000_000_000);
    let base = candidate([9; 16], point(430102, 1), 5, Status::PasswordsSet);
    let events = [
        Event::Declared {
            id: 1,
            kind: DeclarationKind::SpecialPlan,
            item: "国家专项计划".into(),
            documents: vec!["户籍证明-7".into()],
            at,
        },
        Event::DeclarationReviewed {
            id: 1,
            review: Review::Rejected {
                by: ReviewLevel::County,
                reason: "户籍年限不足".into(),
            },
            at,
        },
        Event::Declared {
            id: 2,
            kind: DeclarationKind::BonusPoints,
            item: "少数民族加分".into(),
            documents: vec!["民族证明".into()],
            at,
        },
        Event::DeclarationWithdrawn { id: 2, at },
        Event::ArtCategoryChosen {
            category: ArtCategory::Music,
            main_item: "声乐".into(),
            sub_item: Some("钢琴".into()),
            at,
        },
        Event::ArtFeeOrderCreated {
            category: ArtCategory::Music,
            order_id: "AP-1".into(),
            provider: Provider::Alipay,
            amount_fen: 10_000,
            at,
        },
        Event::ExamFeeOrderCreated {
            order_id: "EX-1".into(),
            provider: Provider::WeChatPay,
            amount_fen: 15_000,
            at,
        },
    ];
    let full = events
        .iter()
        .fold(Some(base), evolve)
        .expect("still a candidate");
    let directory = tempfile::tempdir().expect("temp dir");
    let (store, _) =
        EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("s.redb"))).expect("opens");
    store
        .submit(commit_for(&full, 0, "all-parts"))
        .await
        .expect("committed");
    assert_eq!(store.candidate(full.key).await.expect("reads"), Some(full));
}
