//! Admission control: who is let in on registration morning, and who is told to come back
//! when. The source documents' remedies for overload — partition registration time by
//! region, monitor and pause — plus rate limits, an adaptive overload guard and a waiting
//! room.
//!
//! Order of checks for a candidate request (first refusal wins):
//! 1. pause switch (writes only) → 503 `registration_paused`;
//! 2. region time slot, when the plan applies → 429 `outside_region_slot`, `Retry-After`
//!    to the region's next slot;
//! 3. waiting room: a region with a queue admits in ticket order → 503 `queued`;
//! 4. per-region and global rates (governor) → queue ticket, or 429 `rate_limited`;
//! 5. the overload guard (in-flight limit, queue-time budget) → queue ticket, or 503
//!    `overloaded`.
//!
//! The region is the city of the candidate's own record, taken from the session (set at
//! login from the stored record) — never from anything the client sends. Callbacks have
//! their own rate and are never shed by slots; operators pass untouched.

pub mod backoff;
pub mod config;
pub mod gate;
pub mod guard;
pub mod waiting_room;

use crate::metrics as names;
use config::{AdmissionConfig, CompiledSlots, ConfigError, SlotMode, SlotState};
use engine::org::{CityCode, Province};
use engine::time::Timestamp;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use guard::{Bounds, Guard, Permit};
use serde::Serialize;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use waiting_room::{Place, Standing, WaitingRoom};

/// What kind of candidate request is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads: never paused.
    Read,
    /// Writes, first logins included.
    Write,
    /// A login: verifies a password; not paused (a candidate may look during a pause).
    Login,
    /// A write that hashes or verifies a password (passwords, form saves): paused.
    HashingWrite,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Login => "login",
            Kind::HashingWrite => "hashing_write",
        }
    }

    /// Requests that spend their time in the hashing pool, which has its own bounded queue
    /// (503 when full). They take no place under the in-flight guard: tens of milliseconds of
    /// Argon2id each would read as overload and shrink the limit for reads, payments and
    /// edits — a login surge must not slow those down (benchmark.md).
    fn hashes(self) -> bool {
        matches!(self, Kind::Login | Kind::HashingWrite)
    }
}

/// The settings in force, with everything derived from them.
struct Active {
    config: AdmissionConfig,
    slots: CompiledSlots,
    global: Option<DefaultDirectRateLimiter>,
    per_region: Option<DefaultKeyedRateLimiter<u16>>,
    callbacks: DefaultDirectRateLimiter,
    logins_per_account: DefaultKeyedRateLimiter<LimiterKey>,
    logins_per_ip: DefaultKeyedRateLimiter<LimiterKey>,
}

/// A login limiter's key: a digest of the account or address, so that a client choosing
/// the string (a 256 KiB "username") cannot choose how much memory its bucket takes.
type LimiterKey = [u8; 16];

/// An (account, address) pair as one string for [`limiter_key`].
fn pair(account: &str, address: &str) -> String {
    format!("{account}\n{address}")
}

fn limiter_key(text: &str) -> LimiterKey {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Most buckets each login limiter keeps. Buckets back at full quota are pruned every
/// minute; if attempts from very many accounts or addresses fill the limiter inside one
/// minute, further attempts are refused until pruning makes room — memory stays bounded by
/// this number (about 64 bytes a bucket), never by what clients send.
pub const MAX_LOGIN_LIMITER_KEYS: usize = 200_000;

fn per_second(rate: u32) -> Option<Quota> {
    NonZeroU32::new(rate).map(Quota::per_second)
}

fn per_minute(rate: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN))
}

fn bounds(config: &AdmissionConfig) -> Bounds {
    let limits = &config.limits;
    Bounds {
        min: limits.min_in_flight,
        max: limits.max_in_flight,
        target: (limits.target_latency_milliseconds > 0)
            .then(|| Duration::from_millis(u64::from(limits.target_latency_milliseconds))),
    }
}

impl Active {
    fn new(config: AdmissionConfig, slots: CompiledSlots) -> Active {
        let limits = &config.limits;
        Active {
            global: per_second(limits.global_requests_per_second).map(RateLimiter::direct),
            per_region: per_second(limits.region_requests_per_second).map(RateLimiter::keyed),
            callbacks: RateLimiter::direct(
                per_second(limits.callback_requests_per_second)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)),
            ),
            logins_per_account: RateLimiter::keyed(per_minute(
                limits.login_attempts_per_account_per_minute,
            )),
            logins_per_ip: RateLimiter::keyed(per_minute(limits.login_attempts_per_ip_per_minute)),
            slots,
            config,
        }
    }
}

/// A region's label for metrics and its queue: the city code, or 0 when unknown.
fn region_code(region: Option<CityCode>) -> u16 {
    region.map_or(0, CityCode::code)
}

/// Admission control, shared by all HTTP workers.
pub struct Admission {
    province: Province,
    /// Metrics labels per city, made once (a province has a few dozen cities) so that
    /// counting an admission allocates nothing.
    labels: HashMap<u16, &'static str>,
    active: RwLock<Arc<Active>>,
    guard: Guard,
    waiting_room: WaitingRoom,
    backoff: backoff::Backoff,
}

/// The live state, for operators and dashboards.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    /// Candidate requests in flight.
    pub in_flight: u32,
    /// The guard's current limit.
    pub in_flight_limit: u32,
    /// Whether the slot plan applies at this moment.
    pub slots_in_force: bool,
    /// Per city: whether its slot is open now and how many tickets wait.
    pub regions: Vec<RegionStatus>,
}

/// One region's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionStatus {
    /// City code.
    pub city: u16,
    /// City name.
    pub name: &'static str,
    /// `unrestricted`, `open` or `closed`.
    pub slot: &'static str,
    /// Seconds until its next slot opens, when closed.
    pub opens_in_seconds: Option<u64>,
    /// Queue tickets waiting.
    pub waiting: u64,
}

/// Why admission turned a request away (the `reason` label of
/// `registration_admission_shed_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShedReason {
    /// The province paused candidate writes.
    Paused,
    /// Outside the caller's region's time slot.
    OutsideSlot,
    /// A waiting-room ticket that is not genuine.
    BadTicket,
    /// Given a place in the waiting room instead.
    Queued,
    /// Over the region's request rate.
    Rate,
    /// The node's in-flight guard is full.
    Overload,
    /// Over the providers' callback rate.
    CallbackRate,
    /// The account backs off from this address after failed logins.
    LoginBackoff,
    /// Over the login-attempt rates.
    LoginAttempts,
}

/// A request admission turned away: why, what to tell the person, when to come back.
/// [`crate::error::ApiError`] gives each reason its status and stable code.
#[derive(Debug, Clone)]
pub struct Shed {
    /// Why.
    pub reason: ShedReason,
    /// For the person.
    pub message: String,
    /// Seconds to wait before retrying (none for a bad ticket: retry without it at once).
    pub retry_after_seconds: Option<u64>,
    /// The waiting-room place given instead, for [`ShedReason::Queued`].
    pub queue: Option<Place>,
}

impl ShedReason {
    /// The stable code of the refusal (two reasons share one: both are about logins).
    pub fn code(self) -> &'static str {
        match self {
            ShedReason::Paused => "registration_paused",
            ShedReason::OutsideSlot => "outside_region_slot",
            ShedReason::BadTicket => "queue_ticket_invalid",
            ShedReason::Queued => "queued",
            ShedReason::Rate => "rate_limited",
            ShedReason::Overload => "overloaded",
            ShedReason::CallbackRate => "callback_rate_limited",
            ShedReason::LoginBackoff | ShedReason::LoginAttempts => "too_many_login_attempts",
        }
    }

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            ShedReason::Paused => "paused",
            ShedReason::OutsideSlot => "outside_slot",
            ShedReason::BadTicket => "bad_ticket",
            ShedReason::Queued => "queued",
            ShedReason::Rate => "rate",
            ShedReason::Overload => "overload",
            ShedReason::CallbackRate => "callback_rate",
            ShedReason::LoginBackoff => "login_backoff",
            ShedReason::LoginAttempts => "login_attempts",
        }
    }
}

impl Admission {
    /// Admission with `config` (already validated), signing queue tickets with `ticket_keys`.
    pub fn new(
        province: Province,
        config: AdmissionConfig,
        ticket_keys: storage::keys::KeyRing,
    ) -> Result<Admission, ConfigError> {
        let slots = config.validate(&province)?;
        let guard = Guard::new(bounds(&config));
        let labels = province
            .cities
            .iter()
            .map(|city| {
                let code = city.code.code();
                let label: &'static str = Box::leak(code.to_string().into_boxed_str());
                (code, label)
            })
            .collect();
        let admission = Admission {
            labels,
            province,
            active: RwLock::new(Arc::new(Active::new(config, slots))),
            guard,
            waiting_room: WaitingRoom::new(ticket_keys),
            backoff: backoff::Backoff::default(),
        };
        admission.publish_settings();
        Ok(admission)
    }

    fn active(&self) -> Arc<Active> {
        // A poisoned lock only means a writer panicked mid-swap; the Arc inside is whole.
        Arc::clone(
            &self
                .active
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The settings in force.
    pub fn config(&self) -> AdmissionConfig {
        self.active().config.clone()
    }

    /// Checks `config` without applying it.
    pub fn check(&self, config: &AdmissionConfig) -> Result<(), ConfigError> {
        config.validate(&self.province).map(|_| ())
    }

    /// Applies `config` from now on (the caller has made it durable). Rate limiters start
    /// afresh; queues and tickets already issued carry on.
    pub fn apply(&self, config: AdmissionConfig) -> Result<(), ConfigError> {
        let slots = config.validate(&self.province)?;
        self.guard.set_bounds(bounds(&config));
        *self
            .active
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::new(Active::new(config, slots));
        self.publish_settings();
        Ok(())
    }

    fn publish_settings(&self) {
        let active = self.active();
        metrics::gauge!(names::ADMISSION_PAUSED).set(if active.config.paused { 1.0 } else { 0.0 });
        metrics::gauge!(names::ADMISSION_IN_FLIGHT_LIMIT).set(f64::from(self.guard.limit()));
    }

    fn region_label(&self, region: Option<CityCode>) -> &'static str {
        region
            .and_then(|city| self.labels.get(&city.code()).copied())
            .unwrap_or("unknown")
    }

    fn slots_in_force(&self, active: &Active) -> bool {
        match active.config.slots.mode {
            SlotMode::Off => false,
            SlotMode::Always => true,
            SlotMode::WhenLoaded => {
                self.guard.utilisation_percent()
                    >= u32::from(active.config.slots.load_threshold_percent)
            }
        }
    }

    /// Whether the gateway has room to let queued tickets in.
    fn room(&self) -> bool {
        self.guard.utilisation_percent() < 90
    }

    fn shed(
        &self,
        region: Option<CityCode>,
        reason: ShedReason,
        message: impl Into<String>,
        retry_after_seconds: Option<u64>,
    ) -> Shed {
        metrics::counter!(names::ADMISSION_SHED_TOTAL, "region" => self.region_label(region), "reason" => reason.label())
            .increment(1);
        Shed {
            reason,
            message: message.into(),
            retry_after_seconds,
            queue: None,
        }
    }

    fn queued(&self, active: &Active, region: Option<CityCode>, place: Place) -> Shed {
        metrics::gauge!(names::ADMISSION_WAITING_TICKETS, "region" => self.region_label(region))
            .set(self.waiting_room.waiting(region_code(region)) as f64);
        let wait = place.estimated_wait_seconds;
        let message = format!(
            "registration is at capacity; you are number {} in your region's queue (about {} s). \
             Retry with the X-Queue-Ticket header; your place is kept for {} s",
            place.position, wait, active.config.waiting_room.ticket_ttl_seconds
        );
        Shed {
            queue: Some(place),
            ..self.shed(region, ShedReason::Queued, message, Some(wait.clamp(1, 30)))
        }
    }

    /// Admits a candidate request of `region`, or says when to come back. The permit (none
    /// for hashing requests, see [`Kind`]) must be held while the request runs.
    pub async fn admit_candidate(
        &self,
        region: Option<CityCode>,
        subject: &str,
        kind: Kind,
        ticket: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<Permit<'_>>, Shed> {
        let active = self.active();
        let config = &active.config;
        if config.paused && matches!(kind, Kind::Write | Kind::HashingWrite) {
            return Err(self.shed(
                region,
                ShedReason::Paused,
                "registration is paused by the provincial examination authority; nothing \
                     was changed. Please try again later",
                Some(u64::from(config.pause_retry_after_seconds)),
            ));
        }
        if let Some(city) = region
            && self.slots_in_force(&active)
            && let SlotState::Closed { opens_in_seconds } = active.slots.state(city, now)
        {
            let name = self.province.city(city).map_or("your region", |c| c.name);
            let message = format!(
                "{name} registers during {} (China Standard Time); your region's next slot \
                 opens in {} min",
                active.slots.describe(city),
                opens_in_seconds.div_ceil(60)
            );
            return Err(self.shed(
                region,
                ShedReason::OutsideSlot,
                message,
                Some(opens_in_seconds),
            ));
        }
        let room_config = &config.waiting_room;
        let pace = room_config.admit_per_second_per_region;
        let code = region_code(region);
        let now_ms = now.0;
        let mut ticket_admitted = false;
        if room_config.enabled {
            let standing = ticket.map(|ticket| {
                self.waiting_room.check(
                    ticket,
                    code,
                    subject,
                    pace,
                    self.room(),
                    now_ms,
                    room_config.ticket_ttl_seconds,
                )
            });
            match standing {
                Some(Standing::Admitted) => ticket_admitted = true,
                Some(Standing::Waiting(place)) => return Err(self.queued(&active, region, place)),
                Some(Standing::Invalid) => {
                    return Err(self.shed(
                        region,
                        ShedReason::BadTicket,
                        "the queue ticket is not valid (expired, altered, another \
                             person's or for another region); retry without it to get a new one",
                        None,
                    ));
                }
                // No ticket, or one already used: admitted like anyone else.
                None | Some(Standing::Spent)
                    if self.waiting_room.has_queue(code, pace, self.room()) =>
                {
                    // Others of this region are waiting: join the end of the queue.
                    if let Some(place) = self.waiting_room.issue(
                        code,
                        subject,
                        pace,
                        now_ms,
                        room_config.ticket_ttl_seconds,
                    ) {
                        return Err(self.queued(&active, region, place));
                    }
                }
                None | Some(Standing::Spent) => {}
            }
        }
        let over_rate = !ticket_admitted
            && (active
                .per_region
                .as_ref()
                .is_some_and(|limiter| limiter.check_key(&code).is_err())
                || active
                    .global
                    .as_ref()
                    .is_some_and(|limiter| limiter.check().is_err()));
        if over_rate {
            return Err(self.turn_away(&active, region, subject, ShedReason::Rate, now_ms));
        }
        let permit = if kind.hashes() {
            None
        } else {
            let budget = Duration::from_millis(u64::from(config.limits.max_queue_milliseconds));
            // An admitted ticket has waited its turn: it may wait longer for a place.
            let budget = if ticket_admitted { budget * 4 } else { budget };
            let queued_at = std::time::Instant::now();
            let permit = self.guard.acquire(budget).await;
            metrics::histogram!(names::ADMISSION_QUEUE_WAIT_SECONDS)
                .record(queued_at.elapsed().as_secs_f64());
            metrics::gauge!(names::ADMISSION_IN_FLIGHT).set(f64::from(self.guard.in_flight()));
            metrics::gauge!(names::ADMISSION_IN_FLIGHT_LIMIT).set(f64::from(self.guard.limit()));
            let Some(permit) = permit else {
                return Err(self.turn_away(&active, region, subject, ShedReason::Overload, now_ms));
            };
            Some(permit)
        };
        metrics::counter!(names::ADMISSION_ADMITTED_TOTAL, "region" => self.region_label(region), "kind" => kind.label())
            .increment(1);
        Ok(permit)
    }

    /// Capacity refusal: a queue ticket if the waiting room is on, else a bare refusal.
    fn turn_away(
        &self,
        active: &Active,
        region: Option<CityCode>,
        subject: &str,
        reason: ShedReason,
        now_ms: i64,
    ) -> Shed {
        let room = &active.config.waiting_room;
        if room.enabled
            && let Some(place) = self.waiting_room.issue(
                region_code(region),
                subject,
                room.admit_per_second_per_region,
                now_ms,
                room.ticket_ttl_seconds,
            )
        {
            return self.queued(active, region, place);
        }
        self.shed(
            region,
            reason,
            "registration is at capacity; nothing was changed, retry shortly",
            Some(1),
        )
    }

    /// Admits a provider or identity callback: its own rate only.
    pub fn admit_callback(&self) -> Result<(), Shed> {
        if self.active().callbacks.check().is_err() {
            return Err(self.shed(
                None,
                ShedReason::CallbackRate,
                "too many callbacks; the provider will retry",
                Some(1),
            ));
        }
        metrics::counter!(names::ADMISSION_ADMITTED_TOTAL, "region" => "provider", "kind" => "callback")
            .increment(1);
        Ok(())
    }

    /// Counts a login attempt against the account and the client address: refused while
    /// this address backs off from this account after failures, or over either rate.
    pub fn admit_login_attempt(
        &self,
        account: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<(), Shed> {
        if let Some(wait) = self
            .backoff
            .wait_seconds(&limiter_key(&pair(account, address)), now.0)
        {
            return Err(self.shed(
                None,
                ShedReason::LoginBackoff,
                format!("too many failed logins from here; try again in {wait} s"),
                Some(wait),
            ));
        }
        let active = self.active();
        let full =
            |limiter: &DefaultKeyedRateLimiter<LimiterKey>| limiter.len() >= MAX_LOGIN_LIMITER_KEYS;
        // The address first: an address over its quota adds no account buckets.
        let refused = full(&active.logins_per_ip)
            || active
                .logins_per_ip
                .check_key(&limiter_key(address))
                .is_err()
            || full(&active.logins_per_account)
            || active
                .logins_per_account
                .check_key(&limiter_key(account))
                .is_err();
        if refused {
            return Err(self.shed(
                None,
                ShedReason::LoginAttempts,
                "too many login attempts; wait a minute",
                Some(60),
            ));
        }
        Ok(())
    }

    /// A login from `address` to `account` failed (wrong password or identity): that pair
    /// backs off.
    pub fn login_failed(&self, account: &str, address: &str, now: Timestamp) {
        self.backoff
            .failed(limiter_key(&pair(account, address)), now.0);
    }

    /// A login succeeded: the pair's back-off is cleared.
    pub fn login_succeeded(&self, account: &str, address: &str) {
        self.backoff
            .succeeded(&limiter_key(&pair(account, address)));
    }

    /// Drops login buckets that are back at full quota and back-offs long over (call every
    /// minute or so), so the limiters hold only accounts and addresses seen recently.
    pub fn prune(&self, now: Timestamp) {
        self.backoff.prune(now.0);
        let active = self.active();
        for limiter in [&active.logins_per_account, &active.logins_per_ip] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Buckets held by the login limiters (accounts, addresses).
    pub fn login_buckets(&self) -> (usize, usize) {
        let active = self.active();
        (active.logins_per_account.len(), active.logins_per_ip.len())
    }

    /// The live state.
    pub fn status(&self, now: Timestamp) -> Status {
        let active = self.active();
        let slots_in_force = self.slots_in_force(&active);
        let regions = self
            .province
            .cities
            .iter()
            .map(|city| {
                let state = active.slots.state(city.code, now);
                let open = match state {
                    SlotState::Unrestricted => 1.0,
                    SlotState::Open => 1.0,
                    SlotState::Closed { .. } => 0.0,
                };
                let waiting = self.waiting_room.waiting(city.code.code());
                metrics::gauge!(names::ADMISSION_SLOT_OPEN, "region" => self.region_label(Some(city.code)))
                    .set(open);
                metrics::gauge!(names::ADMISSION_WAITING_TICKETS, "region" => self.region_label(Some(city.code)))
                    .set(waiting as f64);
                RegionStatus {
                    city: city.code.code(),
                    name: city.name,
                    slot: match state {
                        SlotState::Unrestricted => "unrestricted",
                        SlotState::Open => "open",
                        SlotState::Closed { .. } => "closed",
                    },
                    opens_in_seconds: match state {
                        SlotState::Closed { opens_in_seconds } => Some(opens_in_seconds),
                        _ => None,
                    },
                    waiting,
                }
            })
            .collect();
        Status {
            in_flight: self.guard.in_flight(),
            in_flight_limit: self.guard.limit(),
            slots_in_force,
            regions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security audit item 3: the login limiters kept a bucket per raw username (up to the
    /// 256 KiB JSON limit) and were never pruned.
    #[test]
    fn item_3_login_limiters_are_bounded_whatever_clients_send() {
        let mut config = AdmissionConfig::default();
        config.limits.login_attempts_per_ip_per_minute = 1_000_000;
        let admission = Admission::new(
            Province::hunan(),
            config,
            storage::keys::KeyRing::single("1", vec![1; 32]).expect("valid"),
        )
        .expect("valid config");
        let huge = "x".repeat(256);
        let mut refused = 0;
        for attempt in 0..MAX_LOGIN_LIMITER_KEYS + 1_000 {
            let account = format!("{attempt}{huge}");
            if admission
                .admit_login_attempt(&account, "203.0.113.7", Timestamp(0))
                .is_err()
            {
                refused += 1;
            }
        }
        let (accounts, addresses) = admission.login_buckets();
        assert!(accounts <= MAX_LOGIN_LIMITER_KEYS, "{accounts} buckets");
        assert_eq!(addresses, 1);
        assert!(refused >= 1_000, "attempts beyond the bound are refused");
        // Pruning keeps only buckets still counting (all of them, one minute not having
        // passed); it never grows anything.
        admission.prune(Timestamp(0));
        assert!(admission.login_buckets().0 <= MAX_LOGIN_LIMITER_KEYS);
    }
}
