//! The organisation's own changes: accounts, points and serial ranges (a county),
//! submissions and returns up the chain (county → city → province).

use super::workspace::{Notice, workspace};
use super::{act, console_csrf_ok, county_change, forbidden, operator_session};
use crate::app::AppError;
use crate::error::ApiError;
use crate::pages::layout::Problem;
use crate::pages::{see_other, text};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::scope::Scope;
use std::collections::HashMap;

/// `POST /console/accounts`: an account for a unit the operator manages; its one-time
/// password is shown once.
pub(super) async fn create_account(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let Some((session, token)) = operator_session(&state, &request) else {
        return see_other("/console");
    };
    if !console_csrf_ok(&request, text(&fields, "csrf")) {
        return forbidden();
    }
    match crate::app::accounts::create(
        &state,
        &session,
        text(&fields, "username"),
        text(&fields, "scope"),
    )
    .await
    {
        Ok(created) => {
            let notice = Notice::Created {
                username: created.account.username,
                scope: created.account.scope,
                one_time_password: created.one_time_password,
            };
            workspace(&state, &request, session, &token, None, Some(notice)).await
        }
        Err(error) => {
            let problem = Problem::of(&ApiError::from(error));
            workspace(&state, &request, session, &token, Some(problem), None).await
        }
    }
}

/// `POST /console/points` (a county): a new registration point.
pub(super) async fn create_point(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    county_change(state, &request, fields, |session, county, key| async move {
        let point = crate::app::county::CreatePoint {
            number: text(fields, "number").parse().map_err(|_| {
                AppError::malformed("invalid_point_number", "a point number is 1–999")
            })?,
            name: text(fields, "point_name").to_owned(),
            expected_headcount: text(fields, "expected_headcount").parse().map_err(|_| {
                AppError::malformed("invalid_headcount", "the expected head-count is a number")
            })?,
            designated_for_migrant_children: text(fields, "migrant") == "yes",
        };
        crate::app::county::create_point(
            state,
            &session.scope,
            &session.subject,
            county,
            point,
            &key,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/ranges` (a county): serial numbers for a point, or divided among all.
pub(super) async fn allocate(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    county_change(state, &request, fields, |session, county, key| async move {
        let number = |name: &str| {
            text(fields, name).parse::<u16>().map_err(|_| {
                AppError::malformed("invalid_range", "a range is two sequence numbers, 1–9999")
            })
        };
        let allocation = crate::app::county::Allocation {
            point: Some(text(fields, "range_point").to_owned()).filter(|point| !point.is_empty()),
            category: None,
            first: number("first")?,
            last: number("last")?,
        };
        crate::app::county::allocate(
            state,
            &session.scope,
            &session.subject,
            county,
            allocation,
            &key,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/submission` (a county): submits its records to the city.
pub(super) async fn submission(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let idempotency = format!("console-submit-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::County(county) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        crate::app::county::submit(
            state,
            &session.scope,
            &session.subject,
            county,
            &idempotency,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/city-submission` (a city): submits its counties' records to the province,
/// once every county has submitted.
pub(super) async fn city_submission(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::City(city) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        crate::app::county::submit_city(state, &session.scope, city)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/returns` (a city or the province): returns a county's submission for
/// correction, with the reason the county sees.
pub(super) async fn return_county(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let idempotency = format!("console-return-{}", text(&fields, "key"));
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let county: engine::org::CountyCode = text(fields, "county").parse()?;
        crate::app::county::return_submission(
            state,
            &session.scope,
            &session.subject,
            county,
            text(fields, "reason"),
            &idempotency,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /console/city-returns` (province): returns a city's submission for correction.
pub(super) async fn return_city(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let city: engine::org::CityCode = text(fields, "city").parse()?;
        crate::app::county::return_city(state, &session.scope, city, text(fields, "reason"))
            .await
            .map(|_| ())
    })
    .await
}
