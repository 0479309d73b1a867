//! A candidate's timeline: every event of their record, newest first, in words staff read —
//! who captured, when they first logged in, each save of the form (with its version), each
//! payment and by which provider, each review. Read from the store's history index (one
//! range read per candidate), for operators whose scope covers the candidate. Never shows a
//! password hash or a payment's secrets; the phone number is masked.

use crate::app::AppError;
use crate::app::operator::Operator;
use engine::candidate::{Candidate, Event, FeeKind};
use serde::Serialize;
use storage::{LogRecord, Payload, StateStore};

/// Most entries one timeline read returns.
pub const MAX_ENTRIES: usize = 500;

/// One event of a candidate's record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// When it was recorded, China Standard Time (`YYYY-MM-DD HH:MM`).
    pub at: String,
    /// The same instant in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The event's stable name (`captured`, `form_saved`, `fee_payment_applied`, …).
    pub event: &'static str,
    /// What happened, in Chinese.
    pub summary: String,
}

impl Operator<'_> {
    /// The newest `limit` (1 to [`MAX_ENTRIES`], all of those when absent) events of a candidate the caller may
    /// see, with the record itself.
    pub async fn timeline(
        &self,
        key: &str,
        limit: Option<usize>,
    ) -> Result<(Candidate, Vec<TimelineEntry>), AppError> {
        let (_, limit) = crate::app::page_bounds(None, limit, MAX_ENTRIES)?;
        let candidate = self.candidate(key).await?;
        let records = self
            .state
            .store
            .candidate_history(candidate.key, limit)
            .await?;
        let entries = records.iter().filter_map(entry).collect();
        Ok((candidate, entries))
    }
}

fn entry(record: &LogRecord) -> Option<TimelineEntry> {
    let Payload::Candidate(event) = &record.payload else {
        return None;
    };
    Some(TimelineEntry {
        at: record.recorded_at.cst_text(),
        at_ms: record.recorded_at.0,
        event: event.name(),
        summary: describe(event),
    })
}

fn yuan(fen: u32) -> String {
    format!("{}.{:02} 元", fen / 100, fen % 100)
}

fn fee_name(fee: FeeKind) -> String {
    match fee {
        FeeKind::Registration => "报名费".to_owned(),
        FeeKind::Exam => "考试费".to_owned(),
        FeeKind::ArtPe(category) => format!("{}专业考试费", category.chinese()),
    }
}

fn masked_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 7 {
        return "***".to_owned();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// What `event` means, in one Chinese sentence.
pub fn describe(event: &Event) -> String {
    match event {
        Event::Captured { capture, .. } => format!(
            "报名点 {} 现场采集，报名号 {}",
            capture.point, capture.serial
        ),
        Event::Imported { .. } => "由县区数据包导入".to_owned(),
        Event::OtherDocumentApproved { city, .. } => {
            format!("市州 {} 批准以其他身份证件报名", city.code())
        }
        Event::IdVerifiedAtPoint { point, .. } => format!("报名点 {point} 现场核验身份证件"),
        Event::MigrantEligibilityApproved { county, .. } => {
            format!("县区 {} 通过随迁子女报名资格审核", county.code())
        }
        Event::FirstLoginVerified { .. } => "首次登录，身份信息核对一致".to_owned(),
        Event::RealPersonAuthRecorded { passed, .. } => {
            if *passed {
                "实人认证通过".to_owned()
            } else {
                "实人认证未通过".to_owned()
            }
        }
        Event::PasswordsChanged {
            login_hash,
            save_hash,
            ..
        } => match (login_hash.is_some(), save_hash.is_some()) {
            (true, true) => "设置登录密码和保存密码".to_owned(),
            (true, false) => "修改登录密码".to_owned(),
            _ => "修改保存密码".to_owned(),
        },
        Event::PasswordsReset { point, .. } => format!("报名点 {point} 重置密码"),
        Event::SavePasswordFailed { .. } => "保存密码输入错误".to_owned(),
        Event::PhoneBound { phone, .. } => format!("绑定手机号 {}", masked_phone(phone)),
        Event::PledgeAccepted { .. } => "签署诚信承诺书".to_owned(),
        Event::FormSaved { version, .. } => format!("保存报名信息（第 {version} 版）"),
        Event::FormSigned { version, point, .. } => {
            format!("报名点 {point} 确认考生已签字（第 {version} 版）")
        }
        Event::MoralEvaluationRecorded {
            evaluation, county, ..
        } => format!(
            "县区 {} 录入思想品德考核意见：{}",
            county.code(),
            if evaluation.qualified {
                "合格"
            } else {
                "不合格"
            }
        ),
        Event::Declared { id, kind, item, .. } => {
            format!("申报{}：{item}（第 {id} 项）", kind.chinese())
        }
        Event::DeclarationWithdrawn { id, .. } => format!("撤回第 {id} 项申报"),
        Event::DeclarationReviewed { id, review, .. } => {
            format!("第 {id} 项申报审核：{}", review.chinese())
        }
        Event::ArtCategoryChosen {
            category,
            main_item,
            ..
        } => format!("报考{}（{main_item}）", category.chinese()),
        Event::ArtCategoryDropped { category, .. } => format!("取消报考{}", category.chinese()),
        Event::FeeOrderCreated {
            order_id,
            provider,
            amount_fen,
            ..
        } => ordered(
            FeeKind::Registration,
            order_id,
            provider.chinese(),
            *amount_fen,
        ),
        Event::ExamFeeOrderCreated {
            order_id,
            provider,
            amount_fen,
            ..
        } => ordered(FeeKind::Exam, order_id, provider.chinese(), *amount_fen),
        Event::ArtFeeOrderCreated {
            category,
            order_id,
            provider,
            amount_fen,
            ..
        } => ordered(
            FeeKind::ArtPe(*category),
            order_id,
            provider.chinese(),
            *amount_fen,
        ),
        Event::FeeOrdered {
            fee,
            order_id,
            provider,
            amount_fen,
            ..
        } => ordered(*fee, order_id, provider.chinese(), *amount_fen),
        Event::FeePaid { payment, .. } => paid(FeeKind::Registration, payment, false),
        Event::ExamFeePaid { payment, .. } => paid(FeeKind::Exam, payment, false),
        Event::ArtFeePaid {
            category, payment, ..
        } => paid(FeeKind::ArtPe(*category), payment, false),
        Event::FeePaymentApplied { fee, payment, .. } => paid(*fee, payment, false),
        Event::SurplusPaymentRecorded { payment, .. } => paid(FeeKind::Registration, payment, true),
        Event::ExamSurplusPaymentRecorded { payment, .. } => paid(FeeKind::Exam, payment, true),
        Event::ArtSurplusPaymentRecorded {
            category, payment, ..
        } => paid(FeeKind::ArtPe(*category), payment, true),
        Event::FeeSurplusRecorded { fee, payment, .. } => paid(*fee, payment, true),
    }
}

fn ordered(fee: FeeKind, order_id: &str, provider: &str, amount_fen: u32) -> String {
    format!(
        "创建{}订单 {order_id}（{provider}，{}）",
        fee_name(fee),
        yuan(amount_fen)
    )
}

fn paid(fee: FeeKind, payment: &engine::candidate::Payment, surplus: bool) -> String {
    format!(
        "{}{}：{} 订单 {}，{}",
        fee_name(fee),
        if surplus {
            "重复缴费（已记录，不重复入账）"
        } else {
            "缴费成功"
        },
        payment.provider.chinese(),
        payment.order_id,
        yuan(payment.amount_fen)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_and_amounts_read_in_yuan() {
        assert_eq!(masked_phone("13800138000"), "138****8000");
        assert_eq!(masked_phone("12"), "***");
        assert_eq!(yuan(12_050), "120.50 元");
        let event = Event::PhoneBound {
            phone: "13800138000".into(),
            at: engine::time::Timestamp(0),
        };
        assert!(!describe(&event).contains("13800138000"));
    }
}
