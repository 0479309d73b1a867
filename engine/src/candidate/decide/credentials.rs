//! Passwords, the save-password lock, the point's reset, real-person authentication, the phone.

use super::*;
use crate::candidate::Candidate;
use crate::candidate::command::SavePasswordCheck;
use crate::candidate::event::Event;
use crate::org::PointCode;
use crate::rejection::Rejection;
use crate::schedule::WindowKind;

/// `Command::RecordSavePasswordFailure`.
pub(super) fn record_save_password_failure(
    candidate: &Candidate,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_passwords(candidate)?;
    if candidate.save_password_locked(ctx.policy) {
        return Err(Rejection::SavePasswordLocked);
    }
    Ok(vec![Event::SavePasswordFailed { at }])
}

/// `Command::ResetPasswords`.
pub(super) fn reset_passwords(
    candidate: &Candidate,
    point: &PointCode,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    if candidate.capture.point != *point {
        return Err(Rejection::OutOfScope);
    }
    if candidate.passwords.is_none() && candidate.save_password_failures == 0 {
        return Ok(vec![]);
    }
    Ok(vec![Event::PasswordsReset { point: *point, at }])
}

/// `Command::RecordRealPersonAuth`.
pub(super) fn record_real_person_auth(
    candidate: &Candidate,
    passed: &bool,
    reference: &str,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    if candidate.fee.paid.is_none() {
        return Err(Rejection::FeeNotPaid);
    }
    check_reference("reference", reference)?;
    Ok(vec![Event::RealPersonAuthRecorded {
        passed: *passed,
        reference: reference.to_owned(),
        at,
    }])
}

/// `Command::BindPhone`.
pub(super) fn bind_phone(
    candidate: &Candidate,
    phone: &str,
    save_password: &SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let registration = registration_window(candidate.capture.track);
    require_any_open(ctx, &[registration, WindowKind::ArtPe])?;
    check_save_password(candidate, *save_password, ctx)?;
    if !is_mainland_mobile(phone) {
        return Err(Rejection::PhoneInvalid);
    }
    if candidate.phone.as_deref() == Some(phone) {
        return Ok(vec![]);
    }
    Ok(vec![Event::PhoneBound {
        phone: phone.to_owned(),
        at,
    }])
}

pub(super) fn decide_passwords(
    candidate: &Candidate,
    login_hash: Option<&str>,
    save_hash: Option<&str>,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    if candidate.fee.paid.is_none() {
        return Err(Rejection::FeeNotPaid);
    }
    let auth_at = candidate
        .last_auth_passed_at
        .ok_or(Rejection::RealPersonAuthRequired)?;
    // A password change consumes the authentication it relied on: the next change needs a
    // newer one, and an old authentication cannot be used after the freshness period.
    let stale_after_change = candidate
        .passwords
        .as_ref()
        .is_some_and(|p| auth_at <= p.changed_at);
    if stale_after_change || ctx.now.seconds_since(auth_at) > ctx.policy.auth_freshness_seconds {
        return Err(Rejection::RealPersonAuthNotFresh);
    }
    if candidate.passwords.is_none() && (login_hash.is_none() || save_hash.is_none()) {
        return Err(Rejection::PasswordsIncomplete);
    }
    if login_hash.is_none() && save_hash.is_none() {
        return Err(Rejection::PasswordsIncomplete);
    }
    for hash in [login_hash, save_hash].into_iter().flatten() {
        if !hash.starts_with("$argon2id$") {
            return Err(Rejection::PasswordHashFormat);
        }
    }
    // Identical passwords are refused by the gateway, which sees the plaintexts: salted
    // hashes of the same password never compare equal here.
    Ok(vec![Event::PasswordsChanged {
        login_hash: login_hash.map(str::to_owned),
        save_hash: save_hash.map(str::to_owned),
        at: ctx.now,
    }])
}
