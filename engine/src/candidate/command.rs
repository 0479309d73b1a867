//! What can be asked of one candidate's record, by whom is the gateway's business; whether
//! it may happen now is [`super::decide`]'s.

use super::form::RegistrationForm;
use crate::id_number::{Gender, IdNumber};
use crate::org::{CityCode, CountyCode, PointCode};
use crate::photo::PhotoMeta;
use crate::serial::{SerialNumber, SubjectCategory};
use crate::time::Date;
use serde::{Deserialize, Serialize};

/// Which registration the candidate is in; each has its own window with the same flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// 普通高考.
    Gaokao,
    /// 少年班: later window, same flow.
    JuvenileClass,
}

/// The data of a second-generation ID card, as read or typed at the point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdCard {
    /// 姓名.
    pub name: String,
    /// 性别: must agree with the number.
    pub gender: Gender,
    /// 民族: GB 3304 code, 1–56, 97 (其他) or 98 (外国血统).
    pub ethnicity: u8,
    /// 出生: must agree with the number.
    pub birth_date: Date,
    /// 住址.
    pub address: String,
    /// 公民身份号码.
    pub id_number: IdNumber,
    /// 有效期限 end; `None` for 长期 (no expiry).
    pub valid_until: Option<Date>,
}

/// How the ID data reached the system (§2 special cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaptureMode {
    /// Read from the card by the point's reader: the normal case.
    CardRead,
    /// The card has expired: data typed by the point; the new card must be verified later.
    TypedExpiredCard,
    /// The candidate could not come to the point: data typed; verified at the point later.
    TypedAbsent,
    /// Not a second-generation ID card: the city must approve before the normal flow.
    OtherDocument {
        /// The document's kind (户口簿, 港澳居民来往内地通行证, ...).
        document: String,
        /// The point's explanation of why.
        explanation: String,
    },
}

impl CaptureMode {
    /// Whether the ID must still be verified in person at the point.
    pub fn leaves_id_unverified(&self) -> bool {
        matches!(
            self,
            CaptureMode::TypedExpiredCard | CaptureMode::TypedAbsent
        )
    }
}

/// Everything a point records at capture (step 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// The capturing point.
    pub point: PointCode,
    /// The serial number the county assigned from the point's range.
    pub serial: SerialNumber,
    /// 科类, for per-category ranges and statistics.
    pub category: SubjectCategory,
    /// Which registration.
    pub track: Track,
    /// The ID data.
    pub id_card: IdCard,
    /// How it was obtained.
    pub mode: CaptureMode,
    /// A migrant worker's child (随迁子女): captured at a designated point, and registration
    /// opens only once the county approves the eligibility audit.
    pub migrant_child: bool,
    /// The accepted photo.
    pub photo: PhotoMeta,
}

/// Payment providers the province accepts. In JSON each is spelt as [`Provider::name`]
/// everywhere (orders, notification paths, metrics): one spelling per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Provider {
    /// 微信支付.
    #[serde(rename = "wechat_pay")]
    WeChatPay,
    /// 支付宝.
    #[serde(rename = "alipay")]
    Alipay,
    /// 银联.
    #[serde(rename = "unionpay")]
    UnionPay,
}

impl Provider {
    /// The stable machine-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Provider::WeChatPay => "wechat_pay",
            Provider::Alipay => "alipay",
            Provider::UnionPay => "unionpay",
        }
    }

    /// The name candidates and staff read.
    pub fn chinese(self) -> &'static str {
        match self {
            Provider::WeChatPay => "微信支付",
            Provider::Alipay => "支付宝",
            Provider::UnionPay => "银联",
        }
    }
}

/// How the system learned of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSource {
    /// The provider's asynchronous notification (repeated, possibly late or out of order).
    Notification,
    /// Our query of the provider's order ("refresh payment status", reconciliation).
    OrderQuery,
}

/// A provider's word that an order has been paid (signature already verified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentNotice {
    /// Which provider.
    pub provider: Provider,
    /// Our order number.
    pub order_id: String,
    /// The provider's transaction id: the unit of exactly-once.
    pub transaction_id: String,
    /// Amount paid, in fen (分).
    pub amount_fen: u32,
    /// When the provider says it was paid.
    pub paid_at: crate::time::Timestamp,
    /// How we heard.
    pub source: PaymentSource,
}

impl PaymentNotice {
    /// The idempotency key every report of this payment is applied under — a
    /// notification, its retries and the reconciliation's query alike — so the provider's
    /// transaction is applied once however many times and ways it is reported.
    pub fn idempotency_key(&self) -> String {
        format!("payment-{}-{}", self.provider.name(), self.transaction_id)
    }
}

/// The result of checking the save password, done outside the engine.
///
/// Password hashing costs tens of milliseconds by design, so it runs on the gateway's
/// bounded hashing pool, never inside the single writer of a shard. What reaches the engine
/// is the outcome, tied to the password *generation* it was checked against, so a check made
/// just before a password change cannot authorise a save after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SavePasswordCheck {
    /// The request carried no save password.
    NotProvided,
    /// The save password did not match.
    Incorrect,
    /// The save password matched generation `generation` of the candidate's save password.
    Verified {
        /// The generation checked against.
        generation: u32,
    },
}

/// 思想品德考核意见, entered by the point or county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoralEvaluation {
    /// 合格 or not.
    pub qualified: bool,
    /// Free-text opinion.
    pub opinion: String,
}

/// A request to change one candidate's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Step 2: the point captures ID data and photo with an assigned serial number.
    Capture(Box<Capture>),
    /// The city approves a capture made with another identity document.
    ApproveOtherDocument {
        /// The approving city.
        city: CityCode,
    },
    /// The county approves a migrant worker's child's eligibility audit.
    ApproveMigrantEligibility {
        /// The approving county.
        county: CountyCode,
    },
    /// The point verifies, in person, an ID that was typed in (closes the open item).
    VerifyIdAtPoint {
        /// The verifying point.
        point: PointCode,
    },
    /// Take over a registration exported by another instance (a county's export package,
    /// verified by the gateway): only where this instance has no record of the candidate,
    /// or exactly the same one.
    Import(Box<super::Candidate>),
    /// Step 3: first login, checked against what the point captured.
    FirstLogin {
        /// 姓名 as typed.
        name: String,
        /// ID validity end as typed; `None` for 长期.
        valid_until: Option<Date>,
    },
    /// Start paying one of the candidate's fees: the registration fee (step 3), the exam
    /// fee (its own window, after the form is signed) or an art/PE category's fee.
    CreateFeeOrder {
        /// Which fee.
        fee: super::FeeKind,
        /// Our order number (unique per provider).
        order_id: String,
        /// The chosen provider.
        provider: Provider,
    },
    /// Step 3: a provider reports a payment.
    RecordPayment(PaymentNotice),
    /// Step 4: the identity provider reports a real-person authentication.
    RecordRealPersonAuth {
        /// Whether the person matched.
        passed: bool,
        /// The provider's reference for the check.
        reference: String,
    },
    /// Step 5: set or change passwords (argon2id PHC strings, hashed outside).
    SetPasswords {
        /// New login password hash, if changing it.
        login_hash: Option<String>,
        /// New save password hash, if changing it.
        save_hash: Option<String>,
    },
    /// Step 6: bind a phone number (SMS code already verified by the gateway).
    BindPhone {
        /// Eleven-digit mainland mobile number.
        phone: String,
        /// The save-password check (every save of registration data needs it, §2.5).
        save_password: SavePasswordCheck,
    },
    /// Step 7: accept the integrity pledge.
    AcceptPledge,
    /// Steps 7–8: save the form (first time or an edit).
    SaveForm {
        /// The form.
        form: Box<RegistrationForm>,
        /// The save-password check.
        save_password: SavePasswordCheck,
    },
    /// Step 9: the point records the candidate's signature on the printed form.
    ConfirmSignature {
        /// The point recording it.
        point: PointCode,
    },
    /// Declare a bonus-point or special-plan eligibility (its window).
    Declare {
        /// What kind.
        kind: super::declaration::DeclarationKind,
        /// Which benefit or plan.
        item: String,
        /// Supporting-document references.
        documents: Vec<String>,
        /// The save-password check.
        save_password: SavePasswordCheck,
    },
    /// Withdraw a declaration nobody has reviewed yet (its window).
    WithdrawDeclaration {
        /// Its number.
        id: u32,
        /// The save-password check.
        save_password: SavePasswordCheck,
    },
    /// The county (first) or the city (after the county approved) decides.
    ReviewDeclaration {
        /// Its number.
        id: u32,
        /// Who decides, from the operator's scope.
        level: super::declaration::ReviewLevel,
        /// The reviewer's organisation: the candidate's county or city.
        org: u32,
        /// Approve, or reject with a reason.
        approved: bool,
        /// Why (required to reject; shown to the candidate).
        reason: Option<String>,
    },
    /// Art/PE: choose (or, while unpaid, change) a category and its items.
    ChooseArtCategory {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// 主项.
        main_item: String,
        /// 辅项, for categories that have one.
        sub_item: Option<String>,
        /// The save-password check.
        save_password: SavePasswordCheck,
    },
    /// Art/PE: drop an unpaid category.
    DropArtCategory {
        /// The category.
        category: super::art_pe::ArtCategory,
        /// The save-password check.
        save_password: SavePasswordCheck,
    },
    /// Step 10: the point or county records the moral-character evaluation.
    RecordMoralEvaluation {
        /// The evaluation.
        evaluation: MoralEvaluation,
        /// The county of the operator entering it.
        county: CountyCode,
    },
    /// The gateway found the save password wrong: count it towards the lock.
    RecordSavePasswordFailure,
    /// The candidate's point resets both passwords (the candidate came in person with the
    /// ID card): first login opens again and new passwords need a new authentication.
    ResetPasswords {
        /// The point doing it.
        point: PointCode,
    },
}

impl Command {
    /// A short, bounded name for metrics and audit records.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Capture(_) => "capture",
            Command::Import(_) => "import",
            Command::ApproveOtherDocument { .. } => "approve_other_document",
            Command::VerifyIdAtPoint { .. } => "verify_id_at_point",
            Command::ApproveMigrantEligibility { .. } => "approve_migrant_eligibility",
            Command::FirstLogin { .. } => "first_login",
            Command::CreateFeeOrder { .. } => "create_fee_order",
            Command::RecordPayment(_) => "record_payment",
            Command::RecordRealPersonAuth { .. } => "record_real_person_auth",
            Command::SetPasswords { .. } => "set_passwords",
            Command::BindPhone { .. } => "bind_phone",
            Command::AcceptPledge => "accept_pledge",
            Command::SaveForm { .. } => "save_form",
            Command::ConfirmSignature { .. } => "confirm_signature",
            Command::RecordMoralEvaluation { .. } => "record_moral_evaluation",
            Command::Declare { .. } => "declare",
            Command::WithdrawDeclaration { .. } => "withdraw_declaration",
            Command::ReviewDeclaration { .. } => "review_declaration",
            Command::ChooseArtCategory { .. } => "choose_art_category",
            Command::DropArtCategory { .. } => "drop_art_category",
            Command::RecordSavePasswordFailure => "record_save_password_failure",
            Command::ResetPasswords { .. } => "reset_passwords",
        }
    }
}
