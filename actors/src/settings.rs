//! The province's rules in force: schedule and policy, shared read-mostly by every actor.
//!
//! Readers take an `Arc` snapshot per command, so a change (a window extension) applies to
//! the next command everywhere without locking the hot path for longer than a clone.

use engine::candidate::Policy;
use engine::schedule::Schedule;
use std::sync::{Arc, RwLock};

/// Schedule and policy.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The windows.
    pub schedule: Schedule,
    /// Fees, freshness, photo standard.
    pub policy: Policy,
    /// The adult exam's calendar, volunteer rules and fee.
    pub adult: AdultSettings,
}

/// The adult exam's settings.
#[derive(Debug, Clone)]
pub struct AdultSettings {
    /// Windows, working hours, the payment deadline.
    pub calendar: engine::adult::confirmation::AdultCalendar,
    /// The volunteer rules.
    pub rules: engine::adult::volunteer::VolunteerRules,
    /// The registration and exam fee (报名考试考务费), in fen.
    pub fee_fen: u32,
    /// Counties that have reported their data (数据上报): their registrations are frozen.
    pub frozen_counties: std::collections::BTreeSet<engine::org::CountyCode>,
}

impl Default for AdultSettings {
    /// Nothing open: the province sets the calendar (the demo opens it from now).
    fn default() -> Self {
        AdultSettings {
            calendar: engine::adult::confirmation::AdultCalendar::closed(),
            rules: Default::default(),
            fee_fen: 12_000,
            frozen_counties: Default::default(),
        }
    }
}

/// Settings shared between actors and the gateway.
#[derive(Debug, Clone, Default)]
pub struct SharedSettings(Arc<RwLock<Arc<Settings>>>);

impl SharedSettings {
    /// Shares `settings`.
    pub fn new(settings: Settings) -> SharedSettings {
        SharedSettings(Arc::new(RwLock::new(Arc::new(settings))))
    }

    /// The settings in force now.
    pub fn current(&self) -> Arc<Settings> {
        // A poisoned lock only means a writer panicked mid-replace; the Arc inside is whole.
        Arc::clone(
            &self
                .0
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Changes one part of the settings in force (under the lock, so two changes of
    /// different parts never undo each other); commands decided afterwards see it.
    pub fn edit(&self, change: impl FnOnce(&mut Settings)) {
        let mut slot = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut next = (**slot).clone();
        change(&mut next);
        *slot = Arc::new(next);
    }

    /// Replaces the settings; commands decided afterwards see the new ones.
    pub fn replace(&self, settings: Settings) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(settings);
    }
}
