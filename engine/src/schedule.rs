//! The province's schedule: every action belongs to a window (§3 of the domain spec).
//!
//! A window opens and closes at announced instants; the province may extend its close (the
//! documents' remedy for outages and mass payment failures), and every extension is kept so
//! the audit trail shows what the candidates were told. Outside its window an action is
//! refused with a rejection that names the window and its dates.

use crate::rejection::Rejection;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The windows of one registration cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WindowKind {
    /// 普通高考报名: capture, fee, passwords, form fill and edits.
    Registration,
    /// 报名确认: points print forms for signature and enter moral evaluations.
    PointConfirmation,
    /// 县级上报: counties submit their data to the city.
    CountySubmission,
    /// 市级上报: cities submit their counties' data to the province.
    CitySubmission,
    /// 艺术类、体育类专业统考报名及缴费.
    ArtPe,
    /// 优惠加分及专项计划资格申报.
    BonusDeclaration,
    /// 少年班报名: a separate, later registration with the same flow.
    JuvenileClass,
    /// 高考、学考选择性考试考试费.
    ExamFee,
}

impl WindowKind {
    /// Every kind, in cycle order.
    pub const ALL: [WindowKind; 8] = [
        WindowKind::Registration,
        WindowKind::PointConfirmation,
        WindowKind::CountySubmission,
        WindowKind::CitySubmission,
        WindowKind::ArtPe,
        WindowKind::BonusDeclaration,
        WindowKind::JuvenileClass,
        WindowKind::ExamFee,
    ];

    /// The stable machine-readable name.
    pub fn name(self) -> &'static str {
        match self {
            WindowKind::Registration => "registration",
            WindowKind::PointConfirmation => "point_confirmation",
            WindowKind::CountySubmission => "county_submission",
            WindowKind::CitySubmission => "city_submission",
            WindowKind::ArtPe => "art_pe",
            WindowKind::BonusDeclaration => "bonus_declaration",
            WindowKind::JuvenileClass => "juvenile_class",
            WindowKind::ExamFee => "exam_fee",
        }
    }

    /// The name candidates see in notices.
    pub fn title(self) -> &'static str {
        match self {
            WindowKind::Registration => "普通高考报名",
            WindowKind::PointConfirmation => "报名点确认",
            WindowKind::CountySubmission => "县级数据上报",
            WindowKind::CitySubmission => "市级数据上报",
            WindowKind::ArtPe => "艺术类、体育类专业统考报名",
            WindowKind::BonusDeclaration => "优惠加分及专项计划资格申报",
            WindowKind::JuvenileClass => "少年班报名",
            WindowKind::ExamFee => "考试费缴纳",
        }
    }
}

impl fmt::Display for WindowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One window: announced opening and close, and any extensions granted since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// When the window opens (inclusive).
    pub opens_at: Timestamp,
    /// When it was announced to close (exclusive).
    pub closes_at: Timestamp,
    /// Extensions of the close, oldest first; the last one is in force.
    pub extensions: Vec<Timestamp>,
}

impl Window {
    /// A window from `opens_at` (inclusive) to `closes_at` (exclusive).
    pub fn new(opens_at: Timestamp, closes_at: Timestamp) -> Window {
        Window {
            opens_at,
            closes_at,
            extensions: Vec::new(),
        }
    }

    /// The close in force, after extensions.
    pub fn effective_close(&self) -> Timestamp {
        self.extensions.last().copied().unwrap_or(self.closes_at)
    }

    /// Whether `now` is inside the window.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.opens_at <= now && now < self.effective_close()
    }
}

/// The windows the province has set for a cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    windows: BTreeMap<WindowKind, Window>,
}

impl Schedule {
    /// Sets (or replaces) a window.
    pub fn set(&mut self, kind: WindowKind, window: Window) {
        self.windows.insert(kind, window);
    }

    /// The window of `kind`, if the province has set one.
    pub fn window(&self, kind: WindowKind) -> Option<&Window> {
        self.windows.get(&kind)
    }

    /// All windows that are set.
    pub fn windows(&self) -> impl Iterator<Item = (WindowKind, &Window)> {
        self.windows.iter().map(|(kind, window)| (*kind, window))
    }

    /// Extends a window's close. Only later closes are accepted: shortening a window that
    /// candidates have been told about would take away time they were promised.
    pub fn extend(&mut self, kind: WindowKind, until: Timestamp) -> Result<(), Rejection> {
        let window = self
            .windows
            .get_mut(&kind)
            .ok_or(Rejection::WindowNotConfigured { window: kind })?;
        if until <= window.effective_close() {
            return Err(Rejection::WindowExtensionNotLater {
                window: kind,
                current_close: window.effective_close(),
            });
        }
        window.extensions.push(until);
        Ok(())
    }

    /// `Ok` if `now` is inside the window of `kind`; otherwise a rejection naming it.
    pub fn require_open(&self, kind: WindowKind, now: Timestamp) -> Result<(), Rejection> {
        let window = self
            .window(kind)
            .ok_or(Rejection::WindowNotConfigured { window: kind })?;
        if now < window.opens_at {
            return Err(Rejection::WindowNotYetOpen {
                window: kind,
                opens_at: window.opens_at,
                closes_at: window.effective_close(),
            });
        }
        if now >= window.effective_close() {
            return Err(Rejection::WindowClosed {
                window: kind,
                opens_at: window.opens_at,
                closes_at: window.effective_close(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Date;

    fn at(day: u32, hour: u32) -> Timestamp {
        Timestamp::from_cst(Date::new(2022, 11, day).expect("valid"), hour, 0)
    }

    #[test]
    fn refusals_name_the_window_and_its_dates() {
        let mut schedule = Schedule::default();
        schedule.set(WindowKind::Registration, Window::new(at(1, 8), at(9, 18)));
        assert!(
            schedule
                .require_open(WindowKind::Registration, at(5, 12))
                .is_ok()
        );
        let early = schedule
            .require_open(WindowKind::Registration, at(1, 7))
            .expect_err("early");
        assert_eq!(early.code(), "window_not_yet_open");
        let late = schedule
            .require_open(WindowKind::Registration, at(9, 18))
            .expect_err("late");
        assert_eq!(late.code(), "window_closed");
        let message = late.to_string();
        assert!(
            message.contains("registration") && message.contains("2022-11-09 18:00 CST"),
            "{message}"
        );
        let unset = schedule
            .require_open(WindowKind::ArtPe, at(5, 12))
            .expect_err("unset");
        assert_eq!(unset.code(), "window_not_configured");
    }

    #[test]
    fn extensions_only_move_the_close_later() {
        let mut schedule = Schedule::default();
        schedule.set(WindowKind::Registration, Window::new(at(1, 8), at(9, 18)));
        schedule
            .extend(WindowKind::Registration, at(11, 18))
            .expect("later");
        assert!(
            schedule
                .require_open(WindowKind::Registration, at(10, 12))
                .is_ok()
        );
        let earlier = schedule
            .extend(WindowKind::Registration, at(10, 18))
            .expect_err("earlier");
        assert_eq!(earlier.code(), "window_extension_not_later");
        let window = schedule.window(WindowKind::Registration).expect("set");
        assert_eq!(
            window.closes_at,
            at(9, 18),
            "the announced close is kept for the record"
        );
    }
}
