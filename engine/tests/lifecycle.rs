//! The gaokao registration of domain.md §2, steps 1–10, one command at a time: the happy
//! path, and each refusal a candidate or operator can meet on the way.

mod fixtures;

use engine::candidate::FeeKind;
use engine::candidate::form::{Graduation, MailingAddress};
use engine::candidate::{
    CaptureMode, Command, MoralEvaluation, PaymentNotice, PaymentSource, Provider,
    SavePasswordCheck, Status,
};
use fixtures::*;

fn code<T: std::fmt::Debug>(result: Result<T, engine::Rejection>) -> &'static str {
    result.expect_err("must be refused").code()
}

fn payment(order: &str, transaction: &str, amount_fen: u32, source: PaymentSource) -> Command {
    Command::RecordPayment(PaymentNotice {
        provider: Provider::WeChatPay,
        order_id: order.into(),
        transaction_id: transaction.into(),
        amount_fen,
        paid_at: nov(2, 9),
        source,
    })
}

fn verified(generation: u32) -> SavePasswordCheck {
    SavePasswordCheck::Verified { generation }
}

/// A candidate captured at the point on 1 November.
fn captured_journey() -> Journey {
    let mut journey = Journey::new();
    journey
        .run(
            Command::Capture(Box::new(capture(CaptureMode::CardRead, valid_until()))),
            nov(1, 9),
        )
        .expect("capture");
    journey
}

/// A candidate who has logged in and ordered the fee (order GK-1) on 1 November.
fn ordered_journey() -> Journey {
    let mut journey = captured_journey();
    log_in_and_order(&mut journey);
    journey
}

fn log_in_and_order(journey: &mut Journey) {
    journey
        .run(
            Command::FirstLogin {
                name: "张三".into(),
                valid_until: valid_until(),
            },
            nov(1, 9),
        )
        .expect("login");
    journey
        .run(
            Command::CreateFeeOrder {
                fee: FeeKind::Registration,
                order_id: "GK-1".into(),
                provider: Provider::WeChatPay,
            },
            nov(1, 9),
        )
        .expect("order");
}

/// Drives a candidate from capture to a saved form on 2 November.
fn registered_journey() -> Journey {
    let mut journey = ordered_journey();
    journey
        .run(
            payment("GK-1", "wx-1", 2000, PaymentSource::Notification),
            nov(2, 9),
        )
        .expect("paid");
    journey
        .run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-1".into(),
            },
            nov(2, 10),
        )
        .expect("auth");
    journey
        .run(
            Command::SetPasswords {
                login_hash: Some(LOGIN_HASH.into()),
                save_hash: Some(SAVE_HASH.into()),
            },
            nov(2, 10),
        )
        .expect("passwords");
    journey
        .run(Command::AcceptPledge, nov(2, 10))
        .expect("pledge");
    journey
        .run(
            Command::SaveForm {
                form: Box::new(form()),
                save_password: verified(1),
            },
            nov(2, 11),
        )
        .expect("form");
    journey
}

#[test]
fn a_candidate_goes_from_capture_to_evaluation() {
    let mut journey = registered_journey();
    assert_eq!(journey.candidate().status(), Status::FormSaved);
    journey
        .run(Command::ConfirmSignature { point: point() }, nov(10, 9))
        .expect("signed");
    assert_eq!(journey.candidate().status(), Status::Signed);
    let evaluation = MoralEvaluation {
        qualified: true,
        opinion: "合格".into(),
    };
    journey
        .run(
            Command::RecordMoralEvaluation {
                evaluation,
                county: point().county(),
            },
            nov(12, 9),
        )
        .expect("evaluated");
    assert_eq!(journey.candidate().status(), Status::Evaluated);
    assert_eq!(
        journey.replayed().as_ref(),
        journey.state.as_ref(),
        "replay rebuilds the same record"
    );
}

#[test]
fn payment_notifications_apply_exactly_once_whatever_their_order() {
    let mut journey = ordered_journey();
    // The status refresh (an order query) sees the payment before the notification arrives.
    let first = journey
        .run(
            payment("GK-1", "wx-1", 2000, PaymentSource::OrderQuery),
            nov(1, 10),
        )
        .expect("applied");
    assert_eq!(first.len(), 1);
    for _ in 0..4 {
        let repeat = journey
            .run(
                payment("GK-1", "wx-1", 2000, PaymentSource::Notification),
                nov(1, 11),
            )
            .expect("harmless");
        assert!(repeat.is_empty(), "a repeated notification changes nothing");
    }
    // Even after the window closes, a notification of a known payment is harmless.
    assert!(
        journey
            .run(
                payment("GK-1", "wx-1", 2000, PaymentSource::Notification),
                nov(15, 9)
            )
            .expect("late")
            .is_empty()
    );
    assert_eq!(journey.candidate().status(), Status::Paid);
    assert_eq!(
        code(journey.run(
            Command::CreateFeeOrder {
                fee: FeeKind::Registration,
                order_id: "GK-2".into(),
                provider: Provider::Alipay
            },
            nov(1, 12)
        )),
        "fee_already_paid"
    );
}

#[test]
fn a_second_payment_is_recorded_as_surplus_not_applied_twice() {
    let mut journey = ordered_journey();
    journey
        .run(
            Command::CreateFeeOrder {
                fee: FeeKind::Registration,
                order_id: "GK-2".into(),
                provider: Provider::WeChatPay,
            },
            nov(1, 9),
        )
        .expect("second order while unpaid");
    journey
        .run(
            payment("GK-2", "wx-2", 2000, PaymentSource::Notification),
            nov(1, 10),
        )
        .expect("paid by a relative");
    let surplus = journey
        .run(
            payment("GK-1", "wx-1", 2000, PaymentSource::Notification),
            nov(1, 11),
        )
        .expect("recorded");
    assert_eq!(surplus[0].name(), "fee_surplus_recorded");
    let fee = &journey.candidate().fee;
    assert_eq!(
        fee.paid.as_ref().map(|p| p.transaction_id.as_str()),
        Some("wx-2"),
        "the first payment stays the payment"
    );
    assert_eq!(fee.surplus.len(), 1);
}

#[test]
fn payment_refusals_are_specific_and_change_nothing() {
    let mut journey = captured_journey();
    assert_eq!(
        code(journey.run(
            Command::CreateFeeOrder {
                fee: FeeKind::Registration,
                order_id: "GK-1".into(),
                provider: Provider::WeChatPay
            },
            nov(1, 9)
        )),
        "first_login_required"
    );
    log_in_and_order(&mut journey);
    let before = journey.state.clone();
    assert_eq!(
        code(journey.run(
            payment("GK-9", "wx-1", 2000, PaymentSource::Notification),
            nov(1, 10)
        )),
        "payment_order_unknown"
    );
    assert_eq!(
        code(journey.run(
            payment("GK-1", "wx-1", 1, PaymentSource::Notification),
            nov(1, 10)
        )),
        "payment_amount_mismatch"
    );
    assert_eq!(
        code(journey.run(
            payment("GK-1", "wx 1;drop", 2000, PaymentSource::Notification),
            nov(1, 10)
        )),
        "reference_invalid"
    );
    assert_eq!(
        code(journey.run(
            Command::CreateFeeOrder {
                fee: FeeKind::Registration,
                order_id: "GK-1".into(),
                provider: Provider::WeChatPay
            },
            nov(1, 9)
        )),
        "order_id_reused"
    );
    assert_eq!(journey.state, before, "refusals change nothing");
}

#[test]
fn first_login_must_match_the_capture() {
    let mut journey = Journey::new();
    assert_eq!(
        code(journey.run(
            Command::FirstLogin {
                name: "张三".into(),
                valid_until: valid_until()
            },
            nov(1, 9)
        )),
        "candidate_not_found"
    );
    journey
        .run(
            Command::Capture(Box::new(capture(CaptureMode::CardRead, valid_until()))),
            nov(1, 9),
        )
        .expect("capture");
    assert_eq!(
        code(journey.run(
            Command::FirstLogin {
                name: "李四".into(),
                valid_until: valid_until()
            },
            nov(1, 9)
        )),
        "identity_mismatch"
    );
    assert_eq!(
        code(journey.run(
            Command::FirstLogin {
                name: "张三".into(),
                valid_until: None
            },
            nov(1, 9)
        )),
        "identity_mismatch"
    );
    assert_eq!(
        code(journey.run(
            Command::Capture(Box::new(capture(CaptureMode::CardRead, valid_until()))),
            nov(1, 9)
        )),
        "candidate_already_registered"
    );
}

#[test]
fn saves_need_the_current_save_password_the_pledge_and_an_open_window() {
    let mut journey = registered_journey();
    let save = |check| Command::SaveForm {
        form: Box::new(fixtures::form()),
        save_password: check,
    };
    assert_eq!(
        code(journey.run(save(SavePasswordCheck::NotProvided), nov(3, 9))),
        "save_password_required"
    );
    assert_eq!(
        code(journey.run(save(SavePasswordCheck::Incorrect), nov(3, 9))),
        "save_password_incorrect"
    );
    assert_eq!(
        code(journey.run(save(verified(7)), nov(3, 9))),
        "save_password_incorrect"
    );
    // Edits any number of times inside the window; each makes a new version.
    let mut edited = fixtures::form();
    edited.school = "长沙市雅礼中学".into();
    journey
        .run(
            Command::SaveForm {
                form: Box::new(edited.clone()),
                save_password: verified(1),
            },
            nov(3, 9),
        )
        .expect("edit");
    assert_eq!(journey.candidate().form_version, 2);
    // After the window closes, no edits — and the refusal names the window and its dates.
    let closed = journey.run(
        Command::SaveForm {
            form: Box::new(fixtures::form()),
            save_password: verified(1),
        },
        nov(9, 18),
    );
    let rejection = closed.expect_err("closed");
    assert_eq!(rejection.code(), "window_closed");
    assert!(
        rejection.to_string().contains("2022-11-09 18:00 CST"),
        "{rejection}"
    );
    // The province extends the window after an outage; edits work again until the new close.
    journey
        .schedule
        .extend(engine::schedule::WindowKind::Registration, nov(11, 18))
        .expect("extended");
    journey
        .run(
            Command::SaveForm {
                form: Box::new(fixtures::form()),
                save_password: verified(1),
            },
            nov(10, 9),
        )
        .expect("edit in extension");
    // Once the county submits, the records are frozen.
    journey.frozen = true;
    assert_eq!(
        code(journey.run(
            Command::SaveForm {
                form: Box::new(edited),
                save_password: verified(1)
            },
            nov(10, 10)
        )),
        "records_frozen"
    );
}

#[test]
fn sensitive_fields_and_repeat_candidates_without_phone_are_refused() {
    let mut journey = registered_journey();
    let mut with_address = fixtures::form();
    with_address.mailing = Some(MailingAddress {
        postal_address: "长沙市".into(),
        recipient: "张三".into(),
        postcode: "410000".into(),
    });
    assert_eq!(
        code(journey.run(
            Command::SaveForm {
                form: Box::new(with_address),
                save_password: verified(1)
            },
            nov(3, 9)
        )),
        "sensitive_field_not_collected"
    );
    let mut repeat = fixtures::form();
    repeat.graduation = Graduation::Previous;
    let save = |form| Command::SaveForm {
        form: Box::new(form),
        save_password: verified(1),
    };
    assert_eq!(
        code(journey.run(save(repeat.clone()), nov(3, 9))),
        "phone_binding_required"
    );
    assert_eq!(
        code(journey.run(
            Command::BindPhone {
                phone: "12345678901".into(),
                save_password: verified(1),
            },
            nov(3, 9)
        )),
        "phone_invalid"
    );
    journey
        .run(
            Command::BindPhone {
                phone: "13800138000".into(),
                save_password: SavePasswordCheck::Verified { generation: 1 },
            },
            nov(3, 9),
        )
        .expect("bound");
    journey
        .run(save(repeat), nov(3, 10))
        .expect("saved once the phone is bound");
}

#[test]
fn password_changes_need_a_fresh_authentication() {
    let mut journey = registered_journey();
    let change = || Command::SetPasswords {
        login_hash: None,
        save_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$bmV3$aGFzaA".into()),
    };
    assert_eq!(
        code(journey.run(change(), nov(3, 9))),
        "real_person_auth_not_fresh"
    );
    journey
        .run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-2".into(),
            },
            nov(3, 9),
        )
        .expect("auth");
    assert_eq!(
        code(journey.run(change(), nov(3, 11))),
        "real_person_auth_not_fresh",
        "older than the freshness period"
    );
    journey
        .run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-3".into(),
            },
            nov(3, 12),
        )
        .expect("auth");
    journey.run(change(), nov(3, 12)).expect("changed");
    assert_eq!(
        journey
            .candidate()
            .passwords
            .as_ref()
            .map(|p| p.save_generation),
        Some(2)
    );
    // The old save-password generation no longer authorises a save.
    assert_eq!(
        code(journey.run(
            Command::SaveForm {
                form: Box::new(fixtures::form()),
                save_password: verified(1)
            },
            nov(3, 13)
        )),
        "save_password_incorrect"
    );
    assert_eq!(
        code(journey.run(change(), nov(3, 12))),
        "real_person_auth_not_fresh",
        "an authentication is used once"
    );
    let plaintext = Command::SetPasswords {
        login_hash: Some("hunter2".into()),
        save_hash: None,
    };
    journey
        .run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "face-4".into(),
            },
            nov(3, 14),
        )
        .expect("auth");
    assert_eq!(
        code(journey.run(plaintext, nov(3, 14))),
        "password_hash_format"
    );
}

#[test]
fn steps_cannot_be_skipped() {
    let mut journey = captured_journey();
    journey
        .run(
            Command::FirstLogin {
                name: "张三".into(),
                valid_until: valid_until(),
            },
            nov(1, 9),
        )
        .expect("login");
    assert_eq!(
        code(journey.run(
            Command::RecordRealPersonAuth {
                passed: true,
                reference: "f".into()
            },
            nov(1, 9)
        )),
        "fee_not_paid"
    );
    assert_eq!(
        code(journey.run(Command::AcceptPledge, nov(1, 9))),
        "passwords_not_set"
    );
    assert_eq!(
        code(journey.run(Command::ConfirmSignature { point: point() }, nov(1, 9))),
        "form_not_saved"
    );
    let evaluation = MoralEvaluation {
        qualified: true,
        opinion: "合格".into(),
    };
    assert_eq!(
        code(journey.run(
            Command::RecordMoralEvaluation {
                evaluation,
                county: point().county()
            },
            nov(1, 9)
        )),
        "form_not_signed"
    );
}

#[test]
fn an_edit_after_signing_needs_a_new_signature() {
    let mut journey = registered_journey();
    journey
        .run(Command::ConfirmSignature { point: point() }, nov(3, 9))
        .expect("signed");
    let mut edited = fixtures::form();
    edited.school = "长沙市长郡中学".into();
    journey
        .run(
            Command::SaveForm {
                form: Box::new(edited),
                save_password: verified(1),
            },
            nov(3, 10),
        )
        .expect("edited");
    assert_eq!(
        journey.candidate().status(),
        Status::FormSaved,
        "the signed version is no longer current"
    );
    let foreign = engine::org::PointCode::new(point().county(), 2).expect("valid");
    assert_eq!(
        code(journey.run(Command::ConfirmSignature { point: foreign }, nov(3, 11))),
        "out_of_scope"
    );
}

#[test]
fn expired_and_absent_ids_leave_an_open_verification_item() {
    let expired = engine::time::Date::new(2021, 1, 1);
    let mut journey = Journey::new();
    assert_eq!(
        code(journey.run(
            Command::Capture(Box::new(capture(CaptureMode::CardRead, expired))),
            nov(1, 9)
        )),
        "id_card_expired"
    );
    assert_eq!(
        code(journey.run(
            Command::Capture(Box::new(capture(
                CaptureMode::TypedExpiredCard,
                valid_until()
            ))),
            nov(1, 9)
        )),
        "id_card_not_expired"
    );
    journey
        .run(
            Command::Capture(Box::new(capture(CaptureMode::TypedExpiredCard, expired))),
            nov(1, 9),
        )
        .expect("typed in");
    assert!(journey.candidate().id_verification_pending);
    journey
        .run(Command::VerifyIdAtPoint { point: point() }, nov(5, 9))
        .expect("verified");
    assert!(!journey.candidate().id_verification_pending);
    assert_eq!(
        code(journey.run(Command::VerifyIdAtPoint { point: point() }, nov(5, 9))),
        "id_verification_not_pending"
    );
}

#[test]
fn other_documents_need_the_citys_approval_before_login() {
    let mut journey = Journey::new();
    let mode = CaptureMode::OtherDocument {
        document: "户口簿".into(),
        explanation: "身份证在办理中".into(),
    };
    journey
        .run(
            Command::Capture(Box::new(capture(mode, valid_until()))),
            nov(1, 9),
        )
        .expect("captured");
    let login = || Command::FirstLogin {
        name: "张三".into(),
        valid_until: valid_until(),
    };
    assert_eq!(
        code(journey.run(login(), nov(1, 10))),
        "document_approval_pending"
    );
    let other_city = engine::org::CityCode::new(4302).expect("valid");
    assert_eq!(
        code(journey.run(
            Command::ApproveOtherDocument { city: other_city },
            nov(1, 11)
        )),
        "out_of_scope"
    );
    journey
        .run(
            Command::ApproveOtherDocument {
                city: point().county().city(),
            },
            nov(1, 11),
        )
        .expect("approved");
    journey.run(login(), nov(1, 12)).expect("now allowed");
}

#[test]
fn captures_check_the_card_against_the_number_and_the_window() {
    let mut journey = Journey::new();
    let mut wrong_gender = capture(CaptureMode::CardRead, valid_until());
    wrong_gender.id_card.gender = match wrong_gender.id_card.gender {
        engine::id_number::Gender::Male => engine::id_number::Gender::Female,
        engine::id_number::Gender::Female => engine::id_number::Gender::Male,
    };
    assert_eq!(
        code(journey.run(Command::Capture(Box::new(wrong_gender)), nov(1, 9))),
        "id_card_inconsistent"
    );
    let mut bad_ethnicity = capture(CaptureMode::CardRead, valid_until());
    bad_ethnicity.id_card.ethnicity = 60;
    assert_eq!(
        code(journey.run(Command::Capture(Box::new(bad_ethnicity)), nov(1, 9))),
        "id_card_field_invalid"
    );
    let early = journey.run(
        Command::Capture(Box::new(capture(CaptureMode::CardRead, valid_until()))),
        nov(1, 7),
    );
    assert_eq!(code(early), "window_not_yet_open");
    assert!(journey.state.is_none());
}

#[test]
fn the_exam_fee_is_paid_in_its_own_window_after_signing_and_applied_once() {
    use engine::candidate::Event;
    use engine::schedule::{Window, WindowKind};
    let mut journey = registered_journey();
    journey
        .schedule
        .set(WindowKind::ExamFee, Window::new(nov(22, 8), nov(28, 18)));
    let order = |order_id: &str| Command::CreateFeeOrder {
        fee: FeeKind::Exam,
        order_id: order_id.into(),
        provider: Provider::WeChatPay,
    };
    assert_eq!(
        code(journey.run(order("EX-1"), nov(22, 9))),
        "form_not_signed"
    );
    journey
        .run(Command::ConfirmSignature { point: point() }, nov(10, 9))
        .expect("signed");
    assert_eq!(
        code(journey.run(order("EX-1"), nov(21, 9))),
        "window_not_yet_open"
    );
    assert_eq!(
        code(journey.run(order("EX-1"), nov(29, 9))),
        "window_closed"
    );
    assert_eq!(
        code(journey.run(order("GK-1"), nov(22, 9))),
        "order_id_reused"
    );
    journey.run(order("EX-1"), nov(22, 9)).expect("ordered");
    let fee = journey.candidate().exam_fee.orders[0].amount_fen;
    assert_eq!(fee, 15_000, "the policy's exam fee");
    // The registration fee's transaction is never applied to another fee.
    assert!(
        journey
            .run(
                payment("EX-1", "wx-1", fee, PaymentSource::Notification),
                nov(22, 10)
            )
            .expect("already applied")
            .is_empty()
    );
    assert_eq!(
        code(journey.run(
            payment("EX-1", "wx-ex", 1, PaymentSource::Notification),
            nov(22, 10)
        )),
        "payment_amount_mismatch"
    );
    let paid = journey
        .run(
            payment("EX-1", "wx-ex", fee, PaymentSource::Notification),
            nov(22, 10),
        )
        .expect("paid");
    assert!(matches!(
        paid.as_slice(),
        [Event::FeePaymentApplied {
            fee: FeeKind::Exam,
            ..
        }]
    ));
    assert!(
        journey
            .run(
                payment("EX-1", "wx-ex", fee, PaymentSource::OrderQuery),
                nov(23, 10)
            )
            .expect("duplicate")
            .is_empty()
    );
    assert_eq!(
        code(journey.run(order("EX-2"), nov(23, 9))),
        "exam_fee_already_paid"
    );
    let surplus = journey
        .run(
            payment("EX-1", "wx-ex2", fee, PaymentSource::Notification),
            nov(23, 11),
        )
        .expect("surplus");
    assert!(matches!(
        surplus.as_slice(),
        [Event::FeeSurplusRecorded {
            fee: FeeKind::Exam,
            ..
        }]
    ));
    let candidate = journey.candidate();
    assert!(candidate.exam_fee.paid.is_some());
    assert_eq!(candidate.exam_fee.surplus.len(), 1);
    assert!(candidate.fee.surplus.is_empty());
    assert_eq!(journey.replayed().as_ref(), Some(journey.candidate()));
}

#[test]
fn a_migrant_workers_child_registers_once_the_county_approves_the_audit() {
    let mut journey = Journey::new();
    let mut migrant = capture(CaptureMode::CardRead, valid_until());
    migrant.migrant_child = true;
    journey
        .run(Command::Capture(Box::new(migrant)), nov(1, 9))
        .expect("captured");
    assert!(journey.candidate().migrant_audit_pending);
    let login = || Command::FirstLogin {
        name: "张三".into(),
        valid_until: valid_until(),
    };
    assert_eq!(
        code(journey.run(login(), nov(1, 10))),
        "migrant_audit_pending"
    );
    let other_county = engine::org::CountyCode::new(430103).expect("county");
    assert_eq!(
        code(journey.run(
            Command::ApproveMigrantEligibility {
                county: other_county
            },
            nov(1, 10)
        )),
        "out_of_scope"
    );
    let county = point().county();
    journey
        .run(Command::ApproveMigrantEligibility { county }, nov(1, 11))
        .expect("approved");
    assert_eq!(
        code(journey.run(Command::ApproveMigrantEligibility { county }, nov(1, 11))),
        "migrant_audit_not_pending"
    );
    journey.run(login(), nov(1, 12)).expect("logged in");
    assert_eq!(journey.replayed().as_ref(), Some(journey.candidate()));
}

#[test]
fn an_exported_record_is_imported_once_and_never_over_a_different_one() {
    let exported = registered_journey().candidate().clone();
    let mut receiving = Journey::new();
    let imported = receiving
        .run(Command::Import(Box::new(exported.clone())), nov(20, 9))
        .expect("imported");
    assert_eq!(imported.len(), 1);
    assert_eq!(receiving.candidate(), &exported);
    assert!(
        receiving
            .run(Command::Import(Box::new(exported.clone())), nov(20, 10))
            .expect("same again")
            .is_empty()
    );
    let mut changed = exported.clone();
    changed.phone = Some("13900139000".into());
    assert_eq!(
        code(receiving.run(Command::Import(Box::new(changed)), nov(20, 11))),
        "import_conflict"
    );
    let mut someone_else = exported;
    someone_else.key = engine::key::CandidateKey::from_bytes([1; 16]);
    assert_eq!(
        code(Journey::new().run(Command::Import(Box::new(someone_else)), nov(20, 11))),
        "out_of_scope"
    );
    assert_eq!(receiving.replayed().as_ref(), Some(receiving.candidate()));
}
