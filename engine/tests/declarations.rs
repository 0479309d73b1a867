//! Bonus points and special plans: declared within the window with supporting documents,
//! reviewed by the county and then the city, decisions kept for the candidate to see.

mod fixtures;

use engine::candidate::declaration::{DeclarationKind, Review, ReviewLevel};
use engine::candidate::{Command, SavePasswordCheck};
use engine::schedule::{Window, WindowKind};
use fixtures::*;

fn code<T: std::fmt::Debug>(result: Result<T, engine::Rejection>) -> &'static str {
    result.expect_err("must be refused").code()
}

/// A candidate with passwords set; the declaration window is 3–8 November.
fn registered() -> Journey {
    let mut journey = with_passwords(nov(1, 9));
    journey.schedule.set(
        WindowKind::BonusDeclaration,
        Window::new(nov(3, 8), nov(8, 18)),
    );
    journey
}

fn declare(kind: DeclarationKind, item: &str, documents: &[&str]) -> Command {
    Command::Declare {
        kind,
        item: item.into(),
        documents: documents.iter().map(|d| (*d).to_owned()).collect(),
        save_password: SavePasswordCheck::Verified { generation: 1 },
    }
}

fn review(id: u32, level: ReviewLevel, org: u32, approved: bool, reason: Option<&str>) -> Command {
    Command::ReviewDeclaration {
        id,
        level,
        org,
        approved,
        reason: reason.map(str::to_owned),
    }
}

#[test]
fn declarations_go_through_the_county_then_the_city() {
    let mut journey = registered();
    let county = point().county().code();
    let city = u32::from(point().county().city().code());
    journey
        .run(
            declare(
                DeclarationKind::BonusPoints,
                "少数民族加分",
                &["民族证明-001"],
            ),
            nov(3, 9),
        )
        .expect("declared");
    journey
        .run(
            declare(
                DeclarationKind::SpecialPlan,
                "国家专项计划",
                &["户籍证明-7", "学籍证明-8"],
            ),
            nov(3, 9),
        )
        .expect("declared");
    // The city cannot decide before the county; another county cannot decide at all.
    assert_eq!(
        code(journey.run(review(1, ReviewLevel::City, city, true, None), nov(9, 9))),
        "declaration_not_awaiting"
    );
    assert_eq!(
        code(journey.run(
            review(1, ReviewLevel::County, 430103, true, None),
            nov(9, 9)
        )),
        "out_of_scope"
    );
    journey
        .run(
            review(1, ReviewLevel::County, county, true, None),
            nov(9, 9),
        )
        .expect("county");
    journey
        .run(review(1, ReviewLevel::City, city, true, None), nov(10, 9))
        .expect("city");
    assert_eq!(
        code(journey.run(review(1, ReviewLevel::City, city, true, None), nov(10, 9))),
        "declaration_not_awaiting"
    );
    // A rejection needs a reason the candidate can read.
    assert_eq!(
        code(journey.run(
            review(2, ReviewLevel::County, county, false, None),
            nov(9, 9)
        )),
        "declaration_invalid"
    );
    journey
        .run(
            review(
                2,
                ReviewLevel::County,
                county,
                false,
                Some("户籍年限不足三年"),
            ),
            nov(9, 10),
        )
        .expect("rejected");
    let declarations = &journey.candidate().declarations;
    assert_eq!(declarations[0].review, Review::Approved);
    assert_eq!(
        declarations[1].review,
        Review::Rejected {
            by: ReviewLevel::County,
            reason: "户籍年限不足三年".into()
        }
    );
    assert_eq!(journey.replayed().as_ref(), Some(journey.candidate()));
}

#[test]
fn declaration_refusals_are_specific_and_change_nothing() {
    let mut journey = registered();
    let before = journey.candidate().clone();
    let plan = || declare(DeclarationKind::SpecialPlan, "地方专项计划", &["证明-1"]);
    assert_eq!(code(journey.run(plan(), nov(2, 9))), "window_not_yet_open");
    assert_eq!(code(journey.run(plan(), nov(9, 9))), "window_closed");
    assert_eq!(
        code(journey.run(
            declare(DeclarationKind::SpecialPlan, "", &["证明-1"]),
            nov(3, 9)
        )),
        "declaration_invalid"
    );
    assert_eq!(
        code(journey.run(
            declare(DeclarationKind::SpecialPlan, "地方专项计划", &[]),
            nov(3, 9)
        )),
        "declaration_invalid"
    );
    assert_eq!(
        code(journey.run(
            Command::WithdrawDeclaration {
                id: 1,
                save_password: SavePasswordCheck::Verified { generation: 1 }
            },
            nov(3, 9)
        )),
        "declaration_unknown"
    );
    assert_eq!(journey.candidate(), &before);
    journey.run(plan(), nov(3, 9)).expect("declared");
    assert_eq!(
        code(journey.run(plan(), nov(3, 10))),
        "declaration_duplicate"
    );
    // Withdrawn while pending; a reviewed one cannot be withdrawn.
    journey
        .run(
            Command::WithdrawDeclaration {
                id: 1,
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(4, 9),
        )
        .expect("withdrawn");
    assert_eq!(
        journey.candidate().declarations[0].review,
        Review::Withdrawn
    );
    journey.run(plan(), nov(4, 10)).expect("declared again");
    let county = point().county().code();
    journey
        .run(
            review(2, ReviewLevel::County, county, true, None),
            nov(5, 9),
        )
        .expect("county");
    assert_eq!(
        code(journey.run(
            Command::WithdrawDeclaration {
                id: 2,
                save_password: SavePasswordCheck::Verified { generation: 1 }
            },
            nov(5, 10)
        )),
        "declaration_not_awaiting"
    );
    assert_eq!(journey.replayed().as_ref(), Some(journey.candidate()));
}
