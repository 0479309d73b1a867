//! The pledge, the form, its signature at the point, the moral evaluation.

use super::*;
use crate::candidate::Candidate;
use crate::candidate::command::{MoralEvaluation, SavePasswordCheck};
use crate::candidate::event::Event;
use crate::candidate::form::RegistrationForm;
use crate::org::{CountyCode, PointCode};
use crate::rejection::Rejection;

/// `Command::AcceptPledge`.
pub(super) fn accept_pledge(
    candidate: &Candidate,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let registration = registration_window(candidate.capture.track);
    ctx.schedule.require_open(registration, at)?;
    require_passwords(candidate)?;
    if candidate.pledge_accepted_at.is_some() {
        return Ok(vec![]);
    }
    Ok(vec![Event::PledgeAccepted { at }])
}

/// `Command::SaveForm`.
pub(super) fn save_form(
    candidate: &Candidate,
    form: &RegistrationForm,
    save_password: &SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    let registration = registration_window(candidate.capture.track);
    ctx.schedule.require_open(registration, at)?;
    require_not_frozen(ctx)?;
    check_save_password(candidate, *save_password, ctx)?;
    if candidate.pledge_accepted_at.is_none() {
        return Err(Rejection::PledgeRequired);
    }
    form.validate_for_gaokao()?;
    if form.graduation == crate::candidate::form::Graduation::Previous && candidate.phone.is_none()
    {
        return Err(Rejection::PhoneBindingRequired);
    }
    if candidate.form.as_ref() == Some(form) {
        return Ok(vec![]);
    }
    Ok(vec![Event::FormSaved {
        form: Box::new(form.clone()),
        version: candidate.form_version + 1,
        at,
    }])
}

/// `Command::ConfirmSignature`.
pub(super) fn confirm_signature(
    candidate: &Candidate,
    point: &PointCode,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_point_stage(candidate, ctx)?;
    if candidate.capture.point != *point {
        return Err(Rejection::OutOfScope);
    }
    if candidate.form.is_none() {
        return Err(Rejection::FormNotSaved);
    }
    if candidate.signed_current_form() {
        return Ok(vec![]);
    }
    Ok(vec![Event::FormSigned {
        version: candidate.form_version,
        point: *point,
        at,
    }])
}

/// `Command::RecordMoralEvaluation`.
pub(super) fn record_moral_evaluation(
    candidate: &Candidate,
    evaluation: &MoralEvaluation,
    county: &CountyCode,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_point_stage(candidate, ctx)?;
    if candidate.capture.point.county() != *county {
        return Err(Rejection::OutOfScope);
    }
    if !candidate.signed_current_form() {
        return Err(Rejection::FormNotSigned);
    }
    if evaluation.opinion.chars().count() > 200
        || evaluation.opinion.chars().any(crate::text::is_forbidden)
    {
        return Err(Rejection::FormFieldInvalid {
            field: "opinion",
            reason: "must be at most 200 characters of text".into(),
        });
    }
    Ok(vec![Event::MoralEvaluationRecorded {
        evaluation: evaluation.clone(),
        county: *county,
        at,
    }])
}
