//! Operators' lists: candidates found by serial or ID number, a point's candidates by the
//! step reached, and the same as a CSV file. The use cases are `crate::app::operator`.

use super::views::{CandidateRow, CandidateView};
use crate::app::operator::{ListFilter, Operator};
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use engine::org::{CityCode, CountyCode, PointCode};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

/// `POST /v1/candidate-lookups` body: exactly one of the two. A POST so that an ID number
/// never travels in a URL (proxies and access logs keep URLs).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// The eight-digit serial number.
    serial_number: Option<String>,
    /// The full ID number (looked up through the candidate key, never a clear-text index).
    id_number: Option<String>,
}

/// What a lookup found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Found {
    /// The candidate, if one in the caller's scope has it; empty otherwise.
    candidates: Vec<CandidateView>,
}

/// `POST /v1/candidate-lookups`.
#[utoipa::path(
    tag = "lists",
    summary = "Find a candidate in the caller's scope by serial number or ID number",
    description = "Who may call it: operators (their scope only; anything else is an empty answer).",
    request_body = Lookup,
    responses((status = OK, description = "zero or one candidate", body = Found)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[post("/v1/candidate-lookups")]
pub async fn lookup(
    state: web::Data<AppState>,
    caller: Caller,
    body: crate::body::Json<Lookup>,
) -> Result<HttpResponse, ApiError> {
    let found = Operator::of(&state, &caller)
        .find(body.serial_number.as_deref(), body.id_number.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(Found {
        candidates: found.iter().map(CandidateView::from).collect(),
    }))
}

/// `GET /v1/points/{point}/candidates` and `.csv` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only candidates at this step (`captured`, `activated`, `paid`, `authenticated`,
    /// `passwords_set`, `form_saved`, `signed`, `evaluated`): the step still missing is the
    /// next one.
    #[param(
        pattern = "^(captured|activated|paid|authenticated|passwords_set|form_saved|signed|evaluated)$"
    )]
    status: Option<String>,
    /// Only candidates whose name (姓名) starts with this.
    #[param(min_length = 1, max_length = 30)]
    name: Option<String>,
    /// Continue after the previous page's `next`.
    #[param(pattern = "^[0-9a-f]{32}$")]
    after: Option<String>,
    /// Candidates looked at per page (1–1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            status: self.status.clone(),
            name_prefix: self.name.clone(),
        }
    }
}

/// `GET /v1/counties/{county}/candidates` and `/v1/cities/{city}/candidates` query: a
/// point's, but a page continues after a point and candidate.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AreaListQuery {
    /// Only candidates at this step, as in a point's list.
    #[param(
        pattern = "^(captured|activated|paid|authenticated|passwords_set|form_saved|signed|evaluated)$"
    )]
    status: Option<String>,
    /// Only candidates whose name (姓名) starts with this.
    #[param(min_length = 1, max_length = 30)]
    name: Option<String>,
    /// Continue after the previous page's `next` (`<point>/<candidate key>`).
    #[param(pattern = "^[0-9]{6}-[0-9]{3}/[0-9a-f]{32}$")]
    after: Option<String>,
    /// Candidates looked at per page (1–1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

impl AreaListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            status: self.status.clone(),
            name_prefix: self.name.clone(),
        }
    }
}

/// One page of a point's candidates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidatePage {
    /// The point.
    point: String,
    /// This page, in key order.
    candidates: Vec<CandidateRow>,
    /// Where the next page starts (null: done).
    next: Option<String>,
}

/// `GET /v1/points/{point}/candidates`.
#[utoipa::path(
    tag = "lists",
    summary = "A point's candidates, by the step reached (paged)",
    description = "Who may call it: operators whose scope covers the point.",
    params(
        crate::routes::lists::ListQuery,crate::routes::PointPath),
    responses((status = OK, description = "one page", body = CandidatePage)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/points/{point}/candidates")]
pub async fn at_point(
    state: web::Data<AppState>,
    caller: Caller,
    point: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let point = point.parse::<PointCode>()?;
    let (candidates, next) = Operator::of(&state, &caller)
        .candidates_at(point, &query.filter(), query.after.as_deref(), query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(CandidatePage {
        point: point.to_string(),
        candidates: candidates.iter().map(CandidateRow::from).collect(),
        next,
    }))
}

/// A BOM first, so that spreadsheet programs read the Chinese names as UTF-8.
pub(crate) const CSV_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `candidates` as CSV lines (ID numbers masked), after the header row if `header`.
pub(crate) fn csv_lines(
    candidates: &[engine::candidate::Candidate],
    header: bool,
) -> Result<Vec<u8>, ApiError> {
    let failed = |error: csv::Error| {
        ApiError::from(crate::app::AppError::internal(
            "export_failed",
            error.to_string(),
        ))
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    if header {
        writer
            .write_record([
                "报名号",
                "报名点",
                "姓名",
                "身份证号",
                "状态",
                "类型",
                "已缴费",
                "已签字",
                "待办",
            ])
            .map_err(failed)?;
    }
    for candidate in candidates {
        let row = CandidateRow::from(candidate);
        let yes = |value: bool| if value { "是" } else { "否" };
        writer
            .write_record([
                row.serial_number.as_str(),
                &candidate.capture.point.to_string(),
                row.name.as_str(),
                row.id_number.as_str(),
                row.status,
                row.track,
                yes(row.fee_paid),
                yes(row.signed),
                yes(row.open_item),
            ])
            .map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|error| failed(error.into_error().into()))
}

/// `GET /v1/points/{point}/candidates.csv` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only candidates at this step, as in the JSON list.
    #[param(
        pattern = "^(captured|activated|paid|authenticated|passwords_set|form_saved|signed|evaluated)$"
    )]
    status: Option<String>,
    /// Only candidates whose name starts with this.
    #[param(min_length = 1, max_length = 30)]
    name: Option<String>,
}

impl ExportQuery {
    fn filter(self) -> ListFilter {
        ListFilter {
            status: self.status,
            name_prefix: self.name,
        }
    }
}

/// `GET /v1/points/{point}/candidates.csv`.
#[utoipa::path(
    tag = "lists",
    summary = "A point's candidates as a CSV file (UTF-8 with BOM, ID numbers masked; audited)",
    description = "Who may call it: operators whose scope covers the point.",
    params(
        crate::routes::lists::ExportQuery,crate::routes::PointPath),
    responses((status = OK, description = "the list", content_type = "text/csv", body = String)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/points/{point}/candidates.csv")]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    point: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let point = point.parse::<PointCode>()?;
    let candidates = Operator::of(&state, &caller)
        .export_point(point, &query.into_inner().filter())
        .await?;
    let mut bytes = CSV_BOM.to_vec();
    bytes.extend(csv_lines(&candidates, true)?);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"candidates-{point}.csv\""),
        ))
        .body(bytes))
}

/// One page of a county's candidates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountyCandidatePage {
    /// The county.
    county: String,
    /// This page: point by point, in key order within each.
    candidates: Vec<CandidateRow>,
    /// Where the next page starts (`<point>/<candidate key>`; null: done).
    next: Option<String>,
}

/// `GET /v1/counties/{county}/candidates`.
#[utoipa::path(
    tag = "lists",
    summary = "A county's candidates, point by point, by the step reached (paged)",
    description = "Who may call it: the county, its city, the province.",
    params(
        crate::routes::lists::AreaListQuery,crate::routes::CountyPath),
    responses((status = OK, description = "one page", body = CountyCandidatePage)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/counties/{county}/candidates")]
pub async fn in_county(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
    query: web::Query<AreaListQuery>,
) -> Result<HttpResponse, ApiError> {
    let county = county.parse::<CountyCode>()?;
    let (candidates, next) = Operator::of(&state, &caller)
        .county_candidates(county, &query.filter(), query.after.as_deref(), query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(CountyCandidatePage {
        county: county.to_string(),
        candidates: candidates.iter().map(CandidateRow::from).collect(),
        next,
    }))
}

/// Candidates per page of a streamed county export.
const EXPORT_PAGE: usize = 500;

/// `GET /v1/counties/{county}/candidates.csv`.
#[utoipa::path(
    tag = "lists",
    summary = "A county's candidates as a CSV file, streamed page by page (ID numbers masked; audited)",
    description = "Who may call it: the county, its city, the province.",
    params(
        crate::routes::lists::ExportQuery,crate::routes::CountyPath),
    responses((status = OK, description = "the list", content_type = "text/csv", body = String)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/counties/{county}/candidates.csv")]
pub async fn export_county(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let county = county.parse::<CountyCode>()?;
    let filter = query.into_inner().filter();
    // Refused (scope, status, a node too busy) before the first byte is sent.
    let (first, mut next) = Operator::of(&state, &caller)
        .county_candidates(county, &filter, None, Some(EXPORT_PAGE))
        .await?;
    let mut head = CSV_BOM.to_vec();
    head.extend(csv_lines(&first, true)?);
    // Then one page at a time: memory holds a page, whatever the county's size.
    let rest = futures::stream::unfold(
        Some((state, caller, filter, next.take())),
        move |running| async move {
            let (state, caller, filter, after) = running?;
            let after = after?;
            let page = Operator::of(&state, &caller)
                .county_candidates(county, &filter, Some(&after), Some(EXPORT_PAGE))
                .await
                .map_err(ApiError::from)
                .and_then(|(candidates, next)| Ok((csv_lines(&candidates, false)?, next)));
            match page {
                Ok((bytes, next)) => Some((
                    Ok(web::Bytes::from(bytes)),
                    Some((state, caller, filter, next)),
                )),
                // The header is sent: the transfer is broken off (no final chunk), so the
                // client sees an incomplete file, never a short one that looks whole.
                Err(error) => {
                    tracing::warn!(%error, "county export stopped");
                    Some((
                        Err(actix_web::error::ErrorServiceUnavailable(error.message)),
                        None,
                    ))
                }
            }
        },
    );
    let body =
        futures::stream::once(async move { Ok::<_, actix_web::Error>(web::Bytes::from(head)) })
            .chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"candidates-{county}.csv\""),
        ))
        .streaming(body))
}

/// One page of a city's candidates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CityCandidatePage {
    /// The city.
    city: String,
    /// This page: county by county, point by point, in key order within each.
    candidates: Vec<CandidateRow>,
    /// Where the next page starts (`<point>/<candidate key>`; null: done).
    next: Option<String>,
}

/// `GET /v1/cities/{city}/candidates`.
#[utoipa::path(
    tag = "lists",
    summary = "A city's candidates, county by county, by the step reached and the start of the name (paged)",
    description = "Who may call it: the city, the province.",
    params(
        crate::routes::lists::AreaListQuery,crate::routes::CityPath),
    responses((status = OK, description = "one page", body = CityCandidatePage)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/cities/{city}/candidates")]
pub async fn in_city(
    state: web::Data<AppState>,
    caller: Caller,
    city: web::Path<String>,
    query: web::Query<AreaListQuery>,
) -> Result<HttpResponse, ApiError> {
    let city: CityCode = city.parse()?;
    let (candidates, next) = Operator::of(&state, &caller)
        .city_candidates(city, &query.filter(), query.after.as_deref(), query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(CityCandidatePage {
        city: city.to_string(),
        candidates: candidates.iter().map(CandidateRow::from).collect(),
        next,
    }))
}
