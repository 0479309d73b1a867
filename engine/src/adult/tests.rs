//! The adult exam's lifecycle through `decide` and `evolve`: the happy path from account to
//! seat, and each step's refusals (changing nothing).

use super::confirmation::{AdultCalendar, ConfirmationPoint, PointApproval};
use super::info::{BasicInfo, IdentityDocument};
use super::volunteer::{Choice, Level, StudyForm, VolunteerRules, Volunteers};
use super::*;
use crate::candidate::{PaymentNotice, PaymentSource, Provider};
use crate::org::CountyCode;
use crate::time::Date;

fn at(month: u32, day: u32, hour: u32) -> Timestamp {
    Timestamp::from_cst(Date::new(2026, month, day).expect("date"), hour, 0)
}

fn point(number: u16, levels: Vec<Level>) -> ConfirmationPoint {
    ConfirmationPoint {
        code: PointCode::new(CountyCode::new(430102).expect("county"), number).expect("point"),
        name: "芙蓉区成人高考报名确认点".into(),
        contact: "王老师".into(),
        phone: "0731-1234567".into(),
        levels,
        medical: false,
        under_17: false,
        approval: PointApproval::Approved,
        refused_because: None,
    }
}

fn volunteers(level: Level, major_category: &str) -> Volunteers {
    Volunteers {
        category: match level {
            Level::JuniorToBachelor => "经管".into(),
            _ => "文史".into(),
        },
        study_form: StudyForm::PartTime,
        first: Choice {
            level,
            school_code: "10542".into(),
            school: "湖南师范大学".into(),
            major_code: "120201".into(),
            major: "工商管理".into(),
            major_category: major_category.into(),
            length_years: 3,
        },
        second: None,
    }
}

struct Run {
    calendar: AdultCalendar,
    rules: VolunteerRules,
    state: Option<AdultCandidate>,
    now: Timestamp,
    frozen: bool,
}

impl Run {
    fn new() -> Run {
        Run {
            calendar: AdultCalendar::plan_2019(2026).expect("calendar"),
            rules: VolunteerRules::default(),
            state: None,
            now: at(9, 3, 9),
            frozen: false,
        }
    }

    fn try_do(&mut self, command: AdultCommand) -> Result<Vec<AdultEvent>, Rejection> {
        let ctx = Context {
            key: CandidateKey::from_bytes([5; 16]),
            now: self.now,
            calendar: &self.calendar,
            rules: &self.rules,
            fee_fen: 12_000,
            records_frozen: self.frozen,
        };
        let before = self.state.clone();
        let events = decide(self.state.as_ref(), &command, &ctx);
        match &events {
            Ok(events) => {
                for event in events {
                    self.state = evolve(self.state.take(), event);
                }
            }
            Err(_) => assert_eq!(self.state, before, "a refusal changes nothing"),
        }
        events
    }

    fn ok(&mut self, command: AdultCommand) -> Vec<AdultEvent> {
        self.try_do(command).expect("accepted")
    }

    fn refused(&mut self, command: AdultCommand) -> &'static str {
        self.try_do(command).expect_err("refused").code()
    }

    fn candidate(&self) -> &AdultCandidate {
        self.state.as_ref().expect("registered")
    }
}

fn confirm(point: PointCode) -> AdultCommand {
    AdultCommand::Confirm {
        point,
        operator: "point-430102-005".into(),
        photo: crate::photo::PhotoMeta {
            width_px: 480,
            height_px: 640,
            bytes: 30_000,
            sha256: "ab".repeat(32),
        },
        qualification_checked: true,
        bonus_checked: true,
        pledge_transcribed: true,
    }
}

fn pay(order: &str, transaction: &str, fen: u32) -> AdultCommand {
    AdultCommand::ApplyPayment(PaymentNotice {
        provider: Provider::Alipay,
        order_id: order.into(),
        transaction_id: transaction.into(),
        amount_fen: fen,
        paid_at: at(9, 4, 10),
        source: PaymentSource::Notification,
    })
}

/// Fills a registration to the point choice (a 长沙 hukou, 长沙 point, 9/3).
fn filled(run: &mut Run) -> ConfirmationPoint {
    run.ok(AdultCommand::Register {
        username: "zhou2026".into(),
        password_hash: "$argon2id$…".into(),
    });
    run.ok(AdultCommand::AcceptPledge);
    run.ok(AdultCommand::SaveInfo(Box::new(super::info::tests::info())));
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::HighToJunior,
        "管理学",
    ))));
    let chosen = point(5, vec![Level::HighToJunior]);
    run.ok(AdultCommand::ChoosePoint(Box::new(chosen.clone())));
    chosen
}

#[test]
fn from_account_to_seat() {
    let mut run = Run::new();
    let chosen = filled(&mut run);
    assert_eq!(run.candidate().status(), Status::PointChosen);
    // Editable until confirmed.
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::HighToJunior,
        "工学",
    ))));
    run.ok(confirm(chosen.code));
    assert_eq!(run.candidate().status(), Status::Confirmed);
    assert_eq!(
        run.ok(confirm(chosen.code)),
        vec![],
        "a repeated confirmation is a retry"
    );
    assert_eq!(
        run.refused(AdultCommand::SaveInfo(Box::new(super::info::tests::info()))),
        "registration_confirmed"
    );
    run.ok(AdultCommand::OrderFee {
        order_id: "A1".into(),
        provider: Provider::Alipay,
    });
    assert_eq!(run.refused(pay("A1", "T1", 100)), "payment_amount_mismatch");
    assert_eq!(
        run.refused(pay("B9", "T1", 12_000)),
        "payment_order_unknown"
    );
    run.ok(pay("A1", "T1", 12_000));
    assert!(run.candidate().valid());
    assert_eq!(run.ok(pay("A1", "T1", 12_000)), vec![], "exactly once");
    let surplus = run.ok(pay("A1", "T2", 12_000));
    assert_eq!(surplus[0].name(), "surplus_recorded");
    assert_eq!(run.candidate().fee.surplus.len(), 1);
    assert_eq!(
        run.refused(AdultCommand::OrderFee {
            order_id: "A2".into(),
            provider: Provider::Alipay
        }),
        "fee_already_paid"
    );
    assert_eq!(run.refused(AdultCommand::MarkTicketPrinted), "step_missing");
    run.ok(AdultCommand::AssignSeat(Seat {
        ticket: "2643010100101".into(),
        area: 4301,
        site: "4301-K01".into(),
        room: 1,
        seat: 1,
    }));
    run.ok(AdultCommand::MarkTicketPrinted);
    assert_eq!(run.candidate().status(), Status::Seated);
    assert!(run.candidate().ticket_printed_at.is_some());
}

#[test]
fn each_step_waits_for_the_one_before() {
    let mut run = Run::new();
    assert_eq!(
        run.refused(AdultCommand::AcceptPledge),
        "adult_registration_not_found"
    );
    run.ok(AdultCommand::Register {
        username: "zhou2026".into(),
        password_hash: "h".into(),
    });
    assert_eq!(
        run.refused(AdultCommand::Register {
            username: "zhou2026".into(),
            password_hash: "h".into()
        }),
        "username_taken"
    );
    assert_eq!(
        run.refused(AdultCommand::SaveInfo(Box::new(super::info::tests::info()))),
        "step_missing"
    );
    run.ok(AdultCommand::AcceptPledge);
    assert_eq!(
        run.refused(AdultCommand::SaveVolunteers(Box::new(volunteers(
            Level::HighToJunior,
            "管理学"
        )))),
        "step_missing"
    );
    run.ok(AdultCommand::SaveInfo(Box::new(super::info::tests::info())));
    assert_eq!(
        run.refused(AdultCommand::ChoosePoint(Box::new(point(
            5,
            vec![Level::HighToJunior]
        )))),
        "step_missing"
    );
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::HighToJunior,
        "管理学",
    ))));
    assert_eq!(run.refused(confirm(point(5, vec![]).code)), "step_missing");
    assert_eq!(
        run.refused(AdultCommand::OrderFee {
            order_id: "A1".into(),
            provider: Provider::Alipay
        }),
        "not_confirmed"
    );
}

#[test]
fn points_confirm_their_levels_their_own_candidates_and_in_hours() {
    let mut run = Run::new();
    let chosen = filled(&mut run);
    // Another point cannot confirm; nor the right one out of hours.
    assert_eq!(
        run.refused(confirm(point(6, vec![]).code)),
        "not_the_chosen_point"
    );
    run.now = at(9, 3, 13);
    assert_eq!(run.refused(confirm(chosen.code)), "outside_working_hours");
    run.now = at(9, 3, 15);
    // A point not confirming the level, or not designated for a medical candidate.
    assert_eq!(
        run.refused(AdultCommand::ChoosePoint(Box::new(point(
            7,
            vec![Level::JuniorToBachelor]
        )))),
        "point_not_for_candidate"
    );
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::JuniorToBachelor,
        "医学",
    ))));
    assert_eq!(
        run.refused(AdultCommand::ChoosePoint(Box::new(point(
            7,
            vec![Level::JuniorToBachelor]
        )))),
        "point_not_for_candidate"
    );
    let mut medical = point(8, vec![Level::JuniorToBachelor]);
    medical.medical = true;
    run.ok(AdultCommand::ChoosePoint(Box::new(medical.clone())));
    run.ok(confirm(medical.code));
}

#[test]
fn a_young_candidate_chooses_a_designated_point() {
    let mut run = Run::new();
    run.ok(AdultCommand::Register {
        username: "young".into(),
        password_hash: "h".into(),
    });
    run.ok(AdultCommand::AcceptPledge);
    let mut young = super::info::tests::info();
    let birth = Date::new(2010, 1, 15).expect("date");
    let id = crate::id_number::IdNumber::from_parts(430102, birth, 22).expect("id");
    young.id_number = id.expose().to_owned();
    young.birth_date = birth;
    young.gender = id.gender();
    young.graduation_date = Date::new(2025, 6, 30).expect("date");
    young.work_start = None;
    run.ok(AdultCommand::SaveInfo(Box::new(young)));
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::HighToJunior,
        "管理学",
    ))));
    assert_eq!(
        run.refused(AdultCommand::ChoosePoint(Box::new(point(
            5,
            vec![Level::HighToJunior]
        )))),
        "point_not_for_candidate"
    );
    let mut designated = point(9, vec![Level::HighToJunior]);
    designated.under_17 = true;
    run.ok(AdultCommand::ChoosePoint(Box::new(designated)));
}

#[test]
fn other_documents_wait_for_the_city_before_payment() {
    let mut run = Run::new();
    run.ok(AdultCommand::Register {
        username: "hk".into(),
        password_hash: "h".into(),
    });
    run.ok(AdultCommand::AcceptPledge);
    let mut info: BasicInfo = super::info::tests::info();
    info.document = IdentityDocument::HongKongMacaoTaiwan;
    info.id_number = "H01234567".into();
    run.ok(AdultCommand::SaveInfo(Box::new(info)));
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::HighToJunior,
        "管理学",
    ))));
    let chosen = point(5, vec![Level::HighToJunior]);
    run.ok(AdultCommand::ChoosePoint(Box::new(chosen.clone())));
    run.ok(confirm(chosen.code));
    assert_eq!(run.candidate().status(), Status::AwaitingCityApproval);
    assert_eq!(
        run.refused(AdultCommand::OrderFee {
            order_id: "A1".into(),
            provider: Provider::Alipay
        }),
        "awaiting_city_approval"
    );
    let other_city = CityCode::new(4302).expect("city");
    assert_eq!(
        run.refused(AdultCommand::ApproveDocuments { city: other_city }),
        "out_of_scope"
    );
    run.ok(AdultCommand::ApproveDocuments {
        city: CityCode::new(4301).expect("city"),
    });
    assert_eq!(run.candidate().status(), Status::Confirmed);
}

#[test]
fn windows_by_city_and_household_registration() {
    let mut run = Run::new();
    run.ok(AdultCommand::Register {
        username: "migrant".into(),
        password_hash: "h".into(),
    });
    run.ok(AdultCommand::AcceptPledge);
    run.ok(AdultCommand::SaveInfo(Box::new(super::info::tests::info())));
    run.ok(AdultCommand::SaveVolunteers(Box::new(volunteers(
        Level::HighToJunior,
        "管理学",
    ))));
    // A 邵阳 hukou choosing a 长沙 point on 9/3: 长沙 registers its own hukou until 9/5.
    let mut info = super::info::tests::info();
    info.hukou_city = 4305;
    run.ok(AdultCommand::SaveInfo(Box::new(info)));
    let chosen = point(5, vec![Level::HighToJunior]);
    assert_eq!(
        run.refused(AdultCommand::ChoosePoint(Box::new(chosen.clone()))),
        "adult_registration_closed"
    );
    run.now = at(9, 6, 9);
    run.ok(AdultCommand::ChoosePoint(Box::new(chosen)));
    // After 9/11 nothing entered changes.
    run.now = at(9, 12, 9);
    assert_eq!(
        run.refused(AdultCommand::SaveVolunteers(Box::new(volunteers(
            Level::HighToJunior,
            "工学"
        )))),
        "adult_registration_closed"
    );
}

#[test]
fn after_payment_closes_points_record_why_and_exemptions_go_city_then_province() {
    let mut run = Run::new();
    let chosen = filled(&mut run);
    run.ok(confirm(chosen.code));
    let reason = |text: &str| AdultCommand::RecordUnpaidReason {
        point: chosen.code,
        reason: text.into(),
    };
    assert_eq!(run.refused(reason("未缴费")), "not_confirmed_unpaid");
    run.now = at(9, 20, 9);
    assert_eq!(
        run.refused(AdultCommand::OrderFee {
            order_id: "A1".into(),
            provider: Provider::Alipay
        }),
        "payment_closed"
    );
    run.ok(reason("考生放弃报考"));
    assert_eq!(
        run.candidate().unpaid_reason.as_deref(),
        Some("考生放弃报考")
    );

    let mut paid = Run::new();
    let chosen = filled(&mut paid);
    paid.ok(confirm(chosen.code));
    paid.ok(AdultCommand::OrderFee {
        order_id: "A1".into(),
        provider: Provider::Alipay,
    });
    paid.ok(pay("A1", "T1", 12_000));
    paid.ok(AdultCommand::ApplyExemption {
        reason: "全国劳动模范".into(),
    });
    let province = AdultCommand::ReviewExemption {
        by: ReviewLevel::Province,
        city: None,
        approved: true,
        reason: String::new(),
    };
    assert_eq!(paid.refused(province.clone()), "exemption_review_refused");
    let city = CityCode::new(4301).expect("city");
    paid.ok(AdultCommand::ReviewExemption {
        by: ReviewLevel::City,
        city: Some(city),
        approved: true,
        reason: String::new(),
    });
    paid.ok(province);
    assert_eq!(
        paid.candidate().exemption.as_ref().map(|e| e.stage.clone()),
        Some(ExemptionStage::Approved)
    );
    assert_eq!(
        paid.refused(AdultCommand::EnterBonus {
            city,
            points: 0,
            reason: "少数民族".into()
        }),
        "adult_field_invalid"
    );
    paid.ok(AdultCommand::EnterBonus {
        city,
        points: 20,
        reason: "少数民族".into(),
    });
    assert_eq!(paid.candidate().bonus.len(), 1);
}

#[test]
fn a_reported_county_freezes_its_registrations_but_payments_still_land() {
    let mut run = Run::new();
    let chosen = filled(&mut run);
    run.ok(confirm(chosen.code));
    run.ok(AdultCommand::OrderFee {
        order_id: "A1".into(),
        provider: Provider::Alipay,
    });
    run.frozen = true;
    let city = CityCode::new(4301).expect("city");
    assert_eq!(
        run.refused(AdultCommand::EnterBonus {
            city,
            points: 10,
            reason: "少数民族".into()
        }),
        "records_frozen"
    );
    run.ok(pay("A1", "T1", 12_000));
    assert!(run.candidate().valid());
}
