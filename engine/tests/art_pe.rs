//! Art/PE professional exams (domain.md §2 "Further windows"): phone binding first, one or
//! more categories with main/sub items, one order and payment per category applied exactly
//! once, only paid categories count, and nothing changes outside the window or after payment.

mod fixtures;

use engine::candidate::FeeKind;
use engine::candidate::art_pe::ArtCategory;
use engine::candidate::{
    CaptureMode, Command, Event, PaymentNotice, PaymentSource, Provider, SavePasswordCheck,
};
use fixtures::*;

fn code<T: std::fmt::Debug>(result: Result<T, engine::Rejection>) -> &'static str {
    result.expect_err("must be refused").code()
}

fn paid(order: &str, transaction: &str, amount_fen: u32) -> Command {
    Command::RecordPayment(PaymentNotice {
        provider: Provider::Alipay,
        order_id: order.into(),
        transaction_id: transaction.into(),
        amount_fen,
        paid_at: nov(12, 9),
        source: PaymentSource::Notification,
    })
}

fn choose(category: ArtCategory, main: &str, sub: Option<&str>) -> Command {
    Command::ChooseArtCategory {
        category,
        main_item: main.into(),
        sub_item: sub.map(str::to_owned),
        save_password: SavePasswordCheck::Verified { generation: 1 },
    }
}

fn order(category: ArtCategory, order_id: &str) -> Command {
    Command::CreateFeeOrder {
        fee: FeeKind::ArtPe(category),
        order_id: order_id.into(),
        provider: Provider::Alipay,
    }
}

/// Registered (fee paid, passwords set) on 1–2 November; the art/PE window is 11–19 Nov.
fn registered() -> Journey {
    let mut journey = Journey::new();
    let steps = [
        (
            Command::Capture(Box::new(capture(CaptureMode::CardRead, valid_until()))),
            nov(1, 9),
        ),
        (
            Command::FirstLogin {
                name: "张三".into(),
                valid_until: valid_until(),
            },
            nov(1, 9),
        ),
        (
            Command::CreateFeeOrder {
                fee: FeeKind::Registration,
                order_id: "GK-1".into(),
                provider: Provider::Alipay,
            },
            nov(1, 9),
        ),
        (paid("GK-1", "ali-0", 2000), nov(1, 10)),
        (
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-1".into(),
            },
            nov(2, 10),
        ),
        (
            Command::SetPasswords {
                login_hash: Some(LOGIN_HASH.into()),
                save_hash: Some(SAVE_HASH.into()),
            },
            nov(2, 10),
        ),
    ];
    for (command, at) in steps {
        journey.run(command, at).expect("registration step");
    }
    journey
}

#[test]
fn two_categories_are_chosen_ordered_and_paid_once_each() {
    let mut journey = registered();
    // Phone binding is mandatory for art/PE.
    assert_eq!(
        code(journey.run(choose(ArtCategory::Music, "声乐", Some("钢琴")), nov(11, 9))),
        "phone_binding_required"
    );
    journey
        .run(
            Command::BindPhone {
                phone: "13800138000".into(),
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(11, 9),
        )
        .expect("phone");
    journey
        .run(choose(ArtCategory::Music, "声乐", Some("钢琴")), nov(11, 9))
        .expect("music");
    journey
        .run(choose(ArtCategory::FineArts, "素描", None), nov(11, 9))
        .expect("fine arts");
    // Unpaid: items may change; choosing the same again changes nothing.
    journey
        .run(
            choose(ArtCategory::Music, "器乐", Some("声乐")),
            nov(11, 10),
        )
        .expect("changed");
    assert!(
        journey
            .run(
                choose(ArtCategory::Music, "器乐", Some("声乐")),
                nov(11, 10)
            )
            .expect("same")
            .is_empty()
    );
    journey
        .run(order(ArtCategory::Music, "AP-M1"), nov(11, 11))
        .expect("order");
    journey
        .run(order(ArtCategory::FineArts, "AP-F1"), nov(11, 11))
        .expect("order");
    let fee = journey.candidate().art_pe[&ArtCategory::Music].fee.orders[0].amount_fen;
    assert_eq!(fee, 10_000, "the policy's per-category fee");

    // Notifications: duplicated, out of order, one category at a time.
    let music = journey
        .run(paid("AP-M1", "ali-1", fee), nov(12, 9))
        .expect("paid");
    assert!(matches!(
        music.as_slice(),
        [Event::FeePaymentApplied {
            fee: FeeKind::ArtPe(ArtCategory::Music),
            ..
        }]
    ));
    assert!(
        journey
            .run(paid("AP-M1", "ali-1", fee), nov(12, 9))
            .expect("dup")
            .is_empty()
    );
    // A transaction applied to one fee is never applied to another.
    assert!(
        journey
            .run(paid("AP-F1", "ali-1", fee), nov(12, 9))
            .expect("reused")
            .is_empty()
    );
    assert!(!journey.candidate().art_pe[&ArtCategory::FineArts].is_paid());
    journey
        .run(paid("AP-F1", "ali-2", fee), nov(12, 10))
        .expect("paid");
    // A second payment of a paid category is recorded, not applied again.
    journey
        .run(order(ArtCategory::Dance, "AP-D1"), nov(12, 10))
        .map(|_| ())
        .expect_err("not chosen");
    let surplus = journey.run(
        Command::RecordPayment(PaymentNotice {
            provider: Provider::Alipay,
            order_id: "AP-M1".into(),
            transaction_id: "ali-3".into(),
            amount_fen: fee,
            paid_at: nov(12, 11),
            source: PaymentSource::OrderQuery,
        }),
        nov(12, 11),
    );
    assert!(matches!(
        surplus.expect("surplus").as_slice(),
        [Event::FeeSurplusRecorded { .. }]
    ));
    let candidate = journey.candidate();
    assert!(candidate.art_pe.values().all(|entry| entry.is_paid()));
    assert_eq!(candidate.art_pe[&ArtCategory::Music].fee.surplus.len(), 1);
    assert!(
        candidate.fee.surplus.is_empty(),
        "the registration fee is untouched"
    );
    assert_eq!(journey.replayed().as_ref(), Some(journey.candidate()));
}

#[test]
fn art_pe_refusals_are_specific_and_change_nothing() {
    let mut journey = registered();
    journey
        .run(
            Command::BindPhone {
                phone: "13800138000".into(),
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(2, 11),
        )
        .expect("phone during registration");
    let before = journey.candidate().clone();
    // Outside the window.
    assert_eq!(
        code(journey.run(choose(ArtCategory::Sports, "田径", None), nov(10, 9))),
        "window_not_yet_open"
    );
    assert_eq!(
        code(journey.run(choose(ArtCategory::Sports, "田径", None), nov(20, 9))),
        "window_closed"
    );
    // Items.
    assert_eq!(
        code(journey.run(
            choose(ArtCategory::Dance, "民族舞", Some("芭蕾")),
            nov(11, 9)
        )),
        "art_pe_item_invalid"
    );
    assert_eq!(
        code(journey.run(choose(ArtCategory::Dance, "", None), nov(11, 9))),
        "art_pe_item_invalid"
    );
    // Ordering or dropping what was not chosen.
    assert_eq!(
        code(journey.run(order(ArtCategory::Dance, "AP-X"), nov(11, 9))),
        "art_pe_category_not_chosen"
    );
    assert_eq!(
        code(journey.run(
            Command::DropArtCategory {
                category: ArtCategory::Dance,
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(11, 9)
        )),
        "art_pe_category_not_chosen"
    );
    assert_eq!(journey.candidate(), &before, "refusals change nothing");

    journey
        .run(
            choose(ArtCategory::Sports, "田径", Some("篮球")),
            nov(11, 9),
        )
        .expect("sports");
    journey
        .run(choose(ArtCategory::Dance, "民族舞", None), nov(11, 9))
        .expect("dance");
    // An unpaid category without orders may be dropped; one with an order may not.
    journey
        .run(
            Command::DropArtCategory {
                category: ArtCategory::Dance,
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(11, 10),
        )
        .expect("dropped");
    assert!(!journey.candidate().art_pe.contains_key(&ArtCategory::Dance));
    journey
        .run(order(ArtCategory::Sports, "AP-S1"), nov(11, 10))
        .expect("order");
    assert_eq!(
        code(journey.run(order(ArtCategory::Sports, "GK-1"), nov(11, 10))),
        "order_id_reused"
    );
    assert_eq!(
        code(journey.run(
            Command::DropArtCategory {
                category: ArtCategory::Sports,
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(11, 11)
        )),
        "art_pe_category_ordered"
    );
    assert_eq!(
        code(journey.run(paid("AP-S1", "ali-9", 1), nov(11, 12))),
        "payment_amount_mismatch"
    );
    // Paid after the window closed (the money moved in time): recorded.
    journey
        .run(paid("AP-S1", "ali-9", 10_000), nov(21, 9))
        .expect("late notification");
    // Paid: no changes, no drop, no second order.
    assert_eq!(
        code(journey.run(choose(ArtCategory::Sports, "游泳", None), nov(12, 9))),
        "art_pe_category_paid"
    );
    assert_eq!(
        code(journey.run(
            Command::DropArtCategory {
                category: ArtCategory::Sports,
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(12, 9)
        )),
        "art_pe_category_paid"
    );
    assert_eq!(
        code(journey.run(order(ArtCategory::Sports, "AP-S2"), nov(12, 9))),
        "art_pe_category_paid"
    );
    // No new categories or orders after the window.
    assert_eq!(
        code(journey.run(choose(ArtCategory::Music, "声乐", None), nov(20, 9))),
        "window_closed"
    );
    assert_eq!(journey.replayed().as_ref(), Some(journey.candidate()));
}
