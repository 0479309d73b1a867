//! The candidate's credentials (security audit items 1, 8 and 9): first login is single-use,
//! the save password guards every save and locks after repeated failures, and first login
//! checks identity before it says anything about the record.

mod fixtures;

use engine::candidate::{CaptureMode, Command, SavePasswordCheck, Status};
use engine::org::PointCode;
use engine::schedule::{Window, WindowKind};
use fixtures::*;

fn code<T: std::fmt::Debug>(result: Result<T, engine::Rejection>) -> &'static str {
    result.expect_err("must be refused").code()
}

fn first_login() -> Command {
    Command::FirstLogin {
        name: "张三".into(),
        valid_until: valid_until(),
    }
}

fn verified(generation: u32) -> SavePasswordCheck {
    SavePasswordCheck::Verified { generation }
}

/// Captured, logged in, paid, authenticated and passwords set on 2 November.
fn with_passwords() -> Journey {
    fixtures::with_passwords(nov(2, 10))
}

#[test]
fn item_1_first_login_is_refused_once_passwords_are_set() {
    let mut journey = with_passwords();
    let before = journey.state.clone();
    // Exactly the refusal a wrong name gets: nothing tells the caller that the facts were
    // right but the door is closed.
    assert_eq!(
        code(journey.run(first_login(), nov(3, 9))),
        "identity_mismatch"
    );
    assert_eq!(journey.state, before, "the refusal changes nothing");
}

#[test]
fn item_1_the_points_reset_reopens_first_login_and_needs_a_new_authentication() {
    let mut journey = with_passwords();
    // Only the candidate's own point may reset.
    let other = PointCode::new(point().county(), 2).expect("point code");
    assert_eq!(
        code(journey.run(Command::ResetPasswords { point: other }, nov(3, 9))),
        "out_of_scope"
    );
    journey
        .run(Command::ResetPasswords { point: point() }, nov(3, 9))
        .expect("reset");
    assert!(journey.candidate().passwords.is_none());
    assert_eq!(journey.candidate().status(), Status::Paid);
    journey
        .run(first_login(), nov(3, 9))
        .expect("first login opens again after the reset");
    // The authentication that allowed the old passwords cannot set new ones.
    assert_eq!(
        code(journey.run(
            Command::SetPasswords {
                login_hash: Some(LOGIN_HASH.into()),
                save_hash: Some(SAVE_HASH.into()),
            },
            nov(3, 9)
        )),
        "real_person_auth_required"
    );
    journey
        .run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-2".into(),
            },
            nov(3, 10),
        )
        .expect("auth");
    journey
        .run(
            Command::SetPasswords {
                login_hash: Some(LOGIN_HASH.into()),
                save_hash: Some(SAVE_HASH.into()),
            },
            nov(3, 10),
        )
        .expect("new passwords");
    assert_eq!(
        code(journey.run(first_login(), nov(3, 11))),
        "identity_mismatch",
        "closed again once the new passwords are set"
    );
    assert_eq!(journey.replayed().as_ref(), journey.state.as_ref());
}

#[test]
fn item_8_wrong_save_passwords_lock_every_save_until_a_new_save_password() {
    let mut journey = with_passwords();
    let phone = |check| Command::BindPhone {
        phone: "13800138000".into(),
        save_password: check,
    };
    assert_eq!(
        code(journey.run(phone(SavePasswordCheck::NotProvided), nov(3, 9))),
        "save_password_required"
    );
    for _ in 0..5 {
        journey
            .run(Command::RecordSavePasswordFailure, nov(3, 9))
            .expect("a failure is counted");
    }
    assert_eq!(journey.candidate().save_password_failures, 5);
    let before = journey.state.clone();
    assert_eq!(
        code(journey.run(Command::RecordSavePasswordFailure, nov(3, 9))),
        "save_password_locked"
    );
    // Even the right password is refused while locked: guessing on has no point.
    assert_eq!(
        code(journey.run(phone(verified(1)), nov(3, 9))),
        "save_password_locked"
    );
    assert_eq!(
        code(journey.run(
            Command::SaveForm {
                form: Box::new(form()),
                save_password: verified(1),
            },
            nov(3, 9)
        )),
        "save_password_locked"
    );
    assert_eq!(journey.state, before, "refusals change nothing");
    // A new save password (after a fresh authentication) lifts the lock.
    journey
        .run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-2".into(),
            },
            nov(3, 10),
        )
        .expect("auth");
    journey
        .run(
            Command::SetPasswords {
                login_hash: None,
                save_hash: Some(SAVE_HASH.into()),
            },
            nov(3, 10),
        )
        .expect("new save password");
    assert_eq!(journey.candidate().save_password_failures, 0);
    assert_eq!(
        code(journey.run(phone(verified(1)), nov(3, 11))),
        "save_password_incorrect",
        "a check against the old generation does not count"
    );
    journey
        .run(phone(verified(2)), nov(3, 11))
        .expect("bound with the new save password");
    assert_eq!(journey.replayed().as_ref(), journey.state.as_ref());
}

#[test]
fn item_8_declarations_phone_and_art_pe_changes_need_the_save_password() {
    use engine::candidate::art_pe::ArtCategory;
    use engine::candidate::declaration::DeclarationKind;
    let mut journey = with_passwords();
    journey.schedule.set(
        WindowKind::BonusDeclaration,
        Window::new(nov(3, 8), nov(8, 18)),
    );
    let commands = [
        (
            Command::BindPhone {
                phone: "13800138000".into(),
                save_password: SavePasswordCheck::Incorrect,
            },
            nov(3, 9),
        ),
        (
            Command::Declare {
                kind: DeclarationKind::BonusPoints,
                item: "少数民族加分".into(),
                documents: vec!["DOC-1".into()],
                save_password: SavePasswordCheck::NotProvided,
            },
            nov(8, 9),
        ),
        (
            Command::WithdrawDeclaration {
                id: 1,
                save_password: SavePasswordCheck::Incorrect,
            },
            nov(8, 9),
        ),
        (
            Command::ChooseArtCategory {
                category: ArtCategory::FineArts,
                main_item: "素描".into(),
                sub_item: None,
                save_password: SavePasswordCheck::NotProvided,
            },
            nov(11, 9),
        ),
        (
            Command::DropArtCategory {
                category: ArtCategory::FineArts,
                save_password: SavePasswordCheck::Incorrect,
            },
            nov(11, 9),
        ),
    ];
    let before = journey.state.clone();
    for (command, at) in commands {
        let name = command.name();
        let refused = code(journey.run(command, at));
        assert!(
            refused == "save_password_required" || refused == "save_password_incorrect",
            "{name} without the save password: {refused}"
        );
    }
    assert_eq!(journey.state, before);
}

#[test]
fn item_9_first_login_checks_identity_before_saying_anything_about_the_record() {
    let mut journey = Journey::new();
    let mut migrant = capture(CaptureMode::CardRead, valid_until());
    migrant.migrant_child = true;
    journey
        .run(Command::Capture(Box::new(migrant)), nov(1, 9))
        .expect("capture at a designated point");
    // Wrong facts: the mismatch, not "awaiting the county's audit".
    assert_eq!(
        code(journey.run(
            Command::FirstLogin {
                name: "李四".into(),
                valid_until: valid_until(),
            },
            nov(1, 9)
        )),
        "identity_mismatch"
    );
    // Right facts: now the status may be told.
    assert_eq!(
        code(journey.run(first_login(), nov(1, 9))),
        "migrant_audit_pending"
    );
}

#[test]
fn item_23_names_with_bidi_controls_are_refused_at_capture() {
    let mut journey = Journey::new();
    let mut sneaky = capture(CaptureMode::CardRead, valid_until());
    sneaky.id_card.name = "张\u{202E}三".into();
    assert_eq!(
        code(journey.run(Command::Capture(Box::new(sneaky)), nov(1, 9))),
        "id_card_field_invalid"
    );
    let mut address = capture(CaptureMode::CardRead, valid_until());
    address.id_card.address = "湖南省\u{2066}长沙市".into();
    assert_eq!(
        code(journey.run(Command::Capture(Box::new(address)), nov(1, 9))),
        "id_card_field_invalid"
    );
    assert!(journey.state.is_none(), "nothing captured");
}

#[test]
fn item_20_declarations_come_from_the_catalogue_and_are_capped() {
    use engine::candidate::declaration::DeclarationKind;
    let mut journey = with_passwords();
    journey.schedule.set(
        WindowKind::BonusDeclaration,
        Window::new(nov(3, 8), nov(8, 18)),
    );
    let declare = |kind, item: &str| Command::Declare {
        kind,
        item: item.into(),
        documents: vec!["证明-1".into()],
        save_password: verified(1),
    };
    // Free text is not a benefit; nor is a plan named as bonus points.
    for (kind, item) in [
        (DeclarationKind::BonusPoints, "我觉得我应该加分"),
        (DeclarationKind::BonusPoints, "国家专项计划"),
    ] {
        assert_eq!(
            code(journey.run(declare(kind, item), nov(3, 9))),
            "declaration_invalid"
        );
    }
    // Declare and withdraw until the limit: withdrawn ones count, so a record cannot grow
    // without bound.
    let limit = journey.policy.declarations.max_per_candidate;
    for id in 1..=limit {
        journey
            .run(
                declare(DeclarationKind::SpecialPlan, "国家专项计划"),
                nov(3, 9),
            )
            .expect("declared");
        journey
            .run(
                Command::WithdrawDeclaration {
                    id,
                    save_password: verified(1),
                },
                nov(3, 9),
            )
            .expect("withdrawn");
    }
    let before = journey.state.clone();
    assert_eq!(
        code(journey.run(
            declare(DeclarationKind::SpecialPlan, "国家专项计划"),
            nov(3, 9)
        )),
        "declaration_limit"
    );
    assert_eq!(journey.state, before);
}
