//! Property tests: arbitrary sequences of commands at arbitrary times keep the invariants.
//!
//! - no form is saved outside the registration window (after its effective close);
//! - a paid fee never reverts, and the payment that paid it never changes;
//! - a save never succeeds without a check of the *current* save password;
//! - every provider transaction is applied at most once;
//! - a refused command changes nothing;
//! - replaying the events (also after a storage round trip) rebuilds the same state.

mod fixtures;

use engine::candidate::FeeKind;
use engine::candidate::{
    CaptureMode, Command, Event, MoralEvaluation, PaymentNotice, PaymentSource, Provider,
    SavePasswordCheck,
};
use engine::schedule::WindowKind;
use engine::time::Timestamp;
use fixtures::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn arbitrary_command() -> impl Strategy<Value = Command> {
    let order = prop::sample::select(vec!["GK-1", "GK-2", "GK-3"]);
    let transaction = prop::sample::select(vec!["wx-1", "wx-2", "ali-1"]);
    let provider = prop::sample::select(vec![Provider::WeChatPay, Provider::Alipay]);
    let check = prop_oneof![
        Just(SavePasswordCheck::NotProvided),
        Just(SavePasswordCheck::Incorrect),
        (0u32..4).prop_map(|generation| SavePasswordCheck::Verified { generation }),
    ];
    prop_oneof![
        1 => prop::sample::select(vec![CaptureMode::CardRead, CaptureMode::TypedAbsent])
            .prop_map(|mode| Command::Capture(Box::new(capture(mode, valid_until())))),
        2 => any::<bool>().prop_map(|right| Command::FirstLogin {
            name: if right { "张三".into() } else { "李四".into() },
            valid_until: valid_until(),
        }),
        2 => (order.clone(), provider.clone()).prop_map(|(order, provider)| Command::CreateFeeOrder {
            fee: FeeKind::Registration,
            order_id: order.into(),
            provider,
        }),
        4 => (order, transaction, provider, prop::sample::select(vec![2000u32, 2000, 1999]), any::<bool>())
            .prop_map(|(order, transaction, provider, amount_fen, query)| Command::RecordPayment(PaymentNotice {
                provider,
                order_id: order.into(),
                transaction_id: transaction.into(),
                amount_fen,
                paid_at: Timestamp(0),
                source: if query { PaymentSource::OrderQuery } else { PaymentSource::Notification },
            })),
        2 => any::<bool>().prop_map(|passed| Command::RecordRealPersonAuth { passed, reference: "face".into() }),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(login, save)| Command::SetPasswords {
            login_hash: login.then(|| LOGIN_HASH.to_owned()),
            save_hash: save.then(|| SAVE_HASH.to_owned()),
        }),
        1 => Just(Command::AcceptPledge),
        1 => Just(Command::BindPhone { phone: "13800138000".into(), save_password: SavePasswordCheck::Verified { generation: 1 } }),
        4 => (check, 0u16..3).prop_map(|(save_password, variant)| {
            let mut form = form();
            form.urban_rural_code = [111, 210, 220][usize::from(variant)];
            Command::SaveForm { form: Box::new(form), save_password }
        }),
        1 => Just(Command::ConfirmSignature { point: point() }),
        1 => Just(Command::RecordMoralEvaluation {
            evaluation: MoralEvaluation { qualified: true, opinion: "合格".into() },
            county: point().county(),
        }),
        1 => Just(Command::VerifyIdAtPoint { point: point() }),
        1 => Just(Command::RecordSavePasswordFailure),
        1 => Just(Command::ResetPasswords { point: point() }),
    ]
}

/// The happy path, in order. Sequences interleave it with random commands so that they
/// reach the deep states (passwords set, form saved, signed) where the invariants bite.
fn happy_path() -> Vec<Command> {
    let mut steps = registration_steps(Timestamp(0));
    steps.extend([
        Command::AcceptPledge,
        Command::SaveForm {
            form: Box::new(form()),
            save_password: SavePasswordCheck::Verified { generation: 1 },
        },
        Command::ConfirmSignature { point: point() },
        Command::RecordMoralEvaluation {
            evaluation: MoralEvaluation {
                qualified: true,
                opinion: "合格".into(),
            },
            county: point().county(),
        },
    ]);
    steps
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_command_sequences_keep_the_invariants(
        steps in prop::collection::vec(
            (prop::option::weighted(0.5, arbitrary_command()), prop::sample::select(vec![0i64, 60, 600, 3600, 6 * 3600])),
            1..60,
        ),
        extend in any::<bool>(),
        freeze_at in prop::option::of(0usize..60),
    ) {
        let mut journey = Journey::new();
        if extend {
            journey.schedule.extend(WindowKind::Registration, nov(12, 18)).expect("later close");
        }
        let registration_close = journey.schedule.window(WindowKind::Registration).expect("set").effective_close();
        // Start just before the window opens and walk forward up to six hours a step,
        // so sequences straddle the opening, the close and any extension.
        let mut now = nov(1, 6);
        let happy = happy_path();
        let mut happy_cursor = 0;
        let mut applied_per_transaction: BTreeMap<String, usize> = BTreeMap::new();
        let mut passed_checks: Vec<PaymentNotice> = Vec::new();
        for (index, (random, advance_seconds)) in steps.into_iter().enumerate() {
            now = now.plus_seconds(advance_seconds);
            let guided = random.is_none();
            let command = random.unwrap_or_else(|| happy[happy_cursor.min(happy.len() - 1)].clone());
            journey.frozen = freeze_at.is_some_and(|at| index >= at);
            let before = journey.state.clone();
            let save_generation = before.as_ref().and_then(|c| c.passwords.as_ref()).map(|p| p.save_generation);
            let checked = match &command {
                Command::RecordPayment(notice) => Some((notice.clone(), engine::candidate::check_payment(before.as_ref(), notice))),
                _ => None,
            };
            let outcome = journey.run(command.clone(), now);
            // The notification receiver's check (before it acknowledges and leaves the
            // payment to the shard) decides as the shard does.
            if let Some((notice, checked)) = checked {
                match (&outcome, &checked) {
                    (Err(refused), Err(rejection)) => prop_assert_eq!(refused, rejection),
                    (Ok(events), Ok(changes)) => prop_assert_eq!(!events.is_empty(), *changes),
                    _ => return Err(TestCaseError::fail(format!("check {checked:?}, decision {outcome:?}"))),
                }
                if checked == Ok(true) {
                    passed_checks.push(notice);
                }
            }
            match outcome {
                Err(_) => prop_assert_eq!(&journey.state, &before, "a refusal changed the record"),
                Ok(events) => {
                    if guided {
                        happy_cursor += 1;
                    }
                    for event in &events {
                        match event {
                            Event::FormSaved { .. } => {
                                prop_assert!(now < registration_close, "form saved after the window closed");
                                prop_assert!(!journey.frozen, "form saved while frozen");
                                let Command::SaveForm { save_password, .. } = &command else {
                                    return Err(TestCaseError::fail("FormSaved from another command"));
                                };
                                prop_assert_eq!(
                                    *save_password,
                                    SavePasswordCheck::Verified { generation: save_generation.unwrap_or(u32::MAX) },
                                    "saved without the current save password"
                                );
                            }
                            Event::FeePaymentApplied { payment, .. } | Event::FeeSurplusRecorded { payment, .. } => {
                                let key = format!("{:?}/{}", payment.provider, payment.transaction_id);
                                *applied_per_transaction.entry(key).or_default() += 1;
                            }
                            _ => {}
                        }
                    }
                }
            }
            if let Some(paid) = before.as_ref().and_then(|c| c.fee.paid.clone()) {
                let now_paid = journey.state.as_ref().and_then(|c| c.fee.paid.clone());
                prop_assert_eq!(now_paid, Some(paid), "a paid fee reverted or changed");
            }
        }
        // A payment that passed the check is never refused later, whatever the candidate did
        // meanwhile (it may have been applied: then it is a duplicate, or surplus).
        for notice in &passed_checks {
            prop_assert!(
                engine::candidate::check_payment(journey.state.as_ref(), notice).is_ok(),
                "a checked payment became refusable: {:?}", notice
            );
        }
        for (transaction, count) in applied_per_transaction {
            prop_assert_eq!(count, 1, "transaction {} applied {} times", transaction, count);
        }
        prop_assert_eq!(journey.replayed(), journey.state.clone(), "replay differs");
        let stored: Vec<Event> = journey
            .events
            .iter()
            .map(|event| postcard::from_bytes(&postcard::to_stdvec(event).expect("encodes")).expect("decodes"))
            .collect();
        prop_assert_eq!(&stored, &journey.events, "events do not survive a storage round trip");
    }
}
