//! Art/PE professional categories: chosen and dropped.

use super::*;
use crate::candidate::Candidate;
use crate::candidate::art_pe::ArtCategory;
use crate::candidate::command::SavePasswordCheck;
use crate::candidate::event::Event;
use crate::rejection::Rejection;
use crate::schedule::WindowKind;

/// `Command::ChooseArtCategory`.
pub(super) fn choose_art_category(
    candidate: &Candidate,
    category: &ArtCategory,
    main_item: &str,
    sub_item: &Option<String>,
    save_password: &SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_saving_in(WindowKind::ArtPe, candidate, *save_password, ctx)?;
    if candidate.phone.is_none() {
        return Err(Rejection::PhoneBindingRequired);
    }
    crate::candidate::art_pe::check_items(*category, main_item, sub_item.as_deref())?;
    match candidate.art_pe.get(category) {
        Some(entry) if entry.is_paid() => return Err(Rejection::ArtPeCategoryPaid),
        Some(entry) if entry.main_item == *main_item && entry.sub_item == *sub_item => {
            return Ok(vec![]);
        }
        _ => {}
    }
    Ok(vec![Event::ArtCategoryChosen {
        category: *category,
        main_item: main_item.to_owned(),
        sub_item: sub_item.clone(),
        at,
    }])
}

/// `Command::DropArtCategory`.
pub(super) fn drop_art_category(
    candidate: &Candidate,
    category: &ArtCategory,
    save_password: &SavePasswordCheck,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    let at = ctx.now;
    require_saving_in(WindowKind::ArtPe, candidate, *save_password, ctx)?;
    match candidate.art_pe.get(category) {
        None => Err(Rejection::ArtPeCategoryNotChosen),
        Some(entry) if entry.is_paid() => Err(Rejection::ArtPeCategoryPaid),
        Some(entry) if !entry.fee.orders.is_empty() => Err(Rejection::ArtPeCategoryOrdered),
        Some(_) => Ok(vec![Event::ArtCategoryDropped {
            category: *category,
            at,
        }]),
    }
}
