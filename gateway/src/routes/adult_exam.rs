//! Building the adult exam over HTTP: exam sites (counties propose, cities review, the
//! province approves), exam areas (cities), the province's numbering run, admission tickets
//! (the candidate's own, or printed by the point) and a county's exam materials. The use
//! cases are `crate::app::adult::exam`; these parse, call and render.

use super::documents::pdf_response;
use super::idempotency_key;
use crate::app::AppError;
use crate::app::adult::Registrant;
use crate::app::adult::exam::{self, ExamSite, RunReport, SiteProposal};
use crate::app::adult::reporting;
use crate::documents::DocumentError;
use crate::documents::exam_materials::{RoomSheet, Seated};
use crate::documents::ticket::TicketSheet;
use crate::error::ApiError;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post, put};
use engine::adult::AdultCandidate;
use serde::Deserialize;
use storage::StateStore as _;

/// `POST /v1/adult/counties/{county}/exam-sites`.
#[utoipa::path(
    tag = "adult",
    summary = "Propose an exam site (its city reviews it, then the province)",
    description = "Who may call it: the county.",
    params(crate::routes::CountyPath, crate::routes::IdempotencyKey),
    request_body = crate::app::adult::exam::SiteProposal,
    responses((status = CREATED, description = "the proposed site", body = crate::app::adult::exam::ExamSite)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/counties/{county}/exam-sites")]
pub async fn propose_site(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    county: web::Path<String>,
    body: crate::body::Json<SiteProposal>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let county: engine::org::CountyCode = county.parse().map_err(AppError::from)?;
    let site = exam::propose_site(&state, &caller.0.scope, county, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(site))
}

/// `POST /v1/adult/exam-sites/{site}/review` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteReview {
    approved: bool,
    /// Why, when refused.
    #[serde(default)]
    reason: String,
}

/// `POST /v1/adult/exam-sites/{site}/review`.
#[utoipa::path(
    tag = "adult",
    summary = "Review an exam site: the city a proposal, the province one the city passed",
    description = "Who may call it: the site's city, the province.",
    params(
        ("site" = String, Path, description = "the site's code", pattern = "^[0-9]{6}-K[0-9]{2}$"),
        crate::routes::IdempotencyKey,
    ),
    request_body = crate::routes::adult_exam::SiteReview,
    responses((status = OK, description = "the site", body = crate::app::adult::exam::ExamSite)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/exam-sites/{site}/review")]
pub async fn review_site(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    site: web::Path<String>,
    body: crate::body::Json<SiteReview>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let site =
        exam::review_site(&state, &caller.0.scope, &site, body.approved, &body.reason).await?;
    Ok(HttpResponse::Ok().json(site))
}

/// `GET /v1/adult/exam-sites`.
#[utoipa::path(
    tag = "adult",
    summary = "The exam sites the caller's scope covers",
    description = "Who may call it: operators.",
    responses((status = OK, description = "the sites", body = Vec<crate::app::adult::exam::ExamSite>)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/exam-sites")]
pub async fn sites(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let sites: Vec<ExamSite> = exam::sites_in_scope(&state, &caller.0.scope).await?;
    Ok(HttpResponse::Ok().json(sites))
}

/// `PUT /v1/adult/cities/{city}/exam-areas` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaRequest {
    /// One of the city's counties.
    #[schema(pattern = "^[0-9]{6}$")]
    county: String,
    /// A subject category (科类).
    category: String,
    /// The exam area: a city code.
    area: u16,
}

/// `PUT /v1/adult/cities/{city}/exam-areas`: where a county's candidates of a category sit.
#[utoipa::path(
    tag = "adult",
    summary = "Assign a county's candidates of a category to an exam area (default: their own city)",
    description = "Who may call it: the county's city.",
    params(crate::routes::CityPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult_exam::AreaRequest,
    responses((status = OK, description = "the city's assignments", body = Vec<Object>)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[put("/v1/adult/cities/{city}/exam-areas")]
pub async fn assign_area(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    city: web::Path<String>,
    body: crate::body::Json<AreaRequest>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let city: engine::org::CityCode = city.parse().map_err(AppError::from)?;
    let county: engine::org::CountyCode = body.county.parse().map_err(AppError::from)?;
    let assignment = engine::adult::numbering::AreaAssignment {
        county,
        category: body.category.clone(),
        area: body.area,
    };
    let areas = exam::assign_area(&state, &caller.0.scope, city, assignment).await?;
    let view: Vec<serde_json::Value> = areas
        .iter()
        .filter(|a| a.county.city() == city)
        .map(|a| {
            serde_json::json!({"county": a.county.to_string(), "category": a.category, "area": a.area})
        })
        .collect();
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /v1/adult/numbering` query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumberingQuery {
    /// Renumber even printed tickets; in the query, so the audit trail records it.
    #[serde(default)]
    force: bool,
}

/// `POST /v1/adult/numbering`: the province numbers the admission tickets.
#[utoipa::path(
    tag = "adult",
    summary = "Number every valid registration into rooms and sites (deterministic; printed tickets kept unless ?force=true, which the audit trail records)",
    description = "Who may call it: province.",
    params(crate::routes::adult_exam::NumberingQuery, crate::routes::IdempotencyKey),
    responses((status = OK, description = "what the run did", body = crate::app::adult::exam::RunReport)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/numbering")]
pub async fn run_numbering(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: web::Query<NumberingQuery>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let report: RunReport = exam::number(&state, &caller, query.force).await?;
    Ok(HttpResponse::Ok().json(report))
}

fn heading(state: &AppState) -> String {
    format!(
        "{}{}年成人高等学校招生全国统一考试",
        state.province.name,
        state.now().to_cst().0.year()
    )
}

fn masked(record: &AdultCandidate) -> String {
    let document = record
        .info
        .as_ref()
        .map(|info| info.id_number.clone())
        .unwrap_or_default();
    match engine::id_number::IdNumber::parse(&document) {
        Ok(id) => id.masked(),
        Err(_) => {
            let visible: String = document.chars().take(2).collect();
            format!("{visible}******")
        }
    }
}

/// The admission ticket of `record` (numbered) as a PDF response.
pub async fn ticket_pdf(
    state: &AppState,
    record: AdultCandidate,
    photo: Vec<u8>,
) -> Result<HttpResponse, ApiError> {
    let seat = record
        .seat
        .clone()
        .ok_or(engine::adult::Rejection::StepMissing(
            "wait for the admission-ticket numbers",
        ))
        .map_err(AppError::from)?;
    let volunteers = record.volunteers.clone();
    let site = exam::sites_in_scope(state, &engine::scope::Scope::Province)
        .await?
        .into_iter()
        .find(|site| site.code == seat.site);
    let sheet = TicketSheet {
        heading: heading(state),
        title: "准考证",
        serial_label: "准考证号",
        serial: seat.ticket.clone(),
        name: record
            .info
            .as_ref()
            .map(|info| info.name.clone())
            .unwrap_or_default(),
        masked_id: masked(&record),
        extra: (
            "报考",
            volunteers
                .map(|v| format!("{} · {}", v.level().chinese(), v.category))
                .unwrap_or_default(),
        ),
        columns: ["考点", "考场", "座位号"],
        rows: vec![[
            site.as_ref()
                .map(|site| format!("{}（{}）", site.name, site.address))
                .unwrap_or(seat.site.clone()),
            format!("第 {:03} 考场", seat.room),
            format!("{:02}", seat.seat),
        ]],
        notes: vec![
            "凭准考证和有效身份证件参加考试，二者缺一不得入场。".to_owned(),
            "请提前熟悉考点位置，开考 15 分钟后不得入场。".to_owned(),
        ],
        photo,
        printed_at: state.now(),
    };
    let pdf = web::block(move || crate::documents::ticket::render(&sheet))
        .await
        .map_err(|error| DocumentError::Write(error.to_string()))??;
    Ok(pdf_response(
        pdf,
        &format!("admission-ticket-{}.pdf", seat.ticket),
    ))
}

/// `GET /v1/adult/me/admission-ticket.pdf`.
#[utoipa::path(
    tag = "adult",
    summary = "The candidate's admission ticket (PDF), once numbered; the first print is recorded",
    description = "Who may call it: the adult-exam candidate.",
    responses((status = OK, description = "the ticket", content_type = "application/pdf", body = crate::openapi::Binary)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/adult/me/admission-ticket.pdf")]
pub async fn own_ticket(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let key = Registrant::of(&state, &caller)?.record().await?.key;
    let (record, photo) = exam::print_ticket(&state, key).await?;
    ticket_pdf(&state, record, photo).await
}

/// `GET /v1/adult/registrations/{key}/admission-ticket.pdf`.
#[utoipa::path(
    tag = "adult",
    summary = "A candidate's admission ticket, printed by an operator in scope (the point)",
    description = "Who may call it: operators covering the candidate's confirmation point.",
    params(crate::routes::KeyPath),
    responses((status = OK, description = "the ticket", content_type = "application/pdf", body = crate::openapi::Binary)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/registrations/{key}/admission-ticket.pdf")]
pub async fn ticket_for(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (record, photo) = exam::print_ticket_for(&state, &caller, &key).await?;
    ticket_pdf(&state, record, photo).await
}

/// `GET /v1/adult/counties/{county}/exam-materials.pdf`.
#[utoipa::path(
    tag = "adult",
    summary = "The county's exam materials (PDF): door label, seating chart and sign-in sheet of each room at its sites",
    description = "Who may call it: the county, its city, the province.",
    params(crate::routes::CountyPath),
    responses((status = OK, description = "the materials", content_type = "application/pdf", body = crate::openapi::Binary)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/counties/{county}/exam-materials.pdf")]
pub async fn materials(
    state: web::Data<AppState>,
    caller: Caller,
    county: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let county: engine::org::CountyCode = county.parse().map_err(AppError::from)?;
    materials_pdf(&state, &caller, county).await
}

/// A county's exam materials as a PDF response.
pub async fn materials_pdf(
    state: &AppState,
    caller: &Caller,
    county: engine::org::CountyCode,
) -> Result<HttpResponse, ApiError> {
    let _place = state
        .heavy
        .enter(&caller.0.subject)
        .map_err(ApiError::from)?;
    let rooms = exam::county_rooms(state, &caller.0.scope, county).await?;
    let heading = heading(state);
    let sheets: Vec<RoomSheet> = rooms
        .into_iter()
        .map(|(site, room, records)| {
            let by_key: std::collections::BTreeMap<String, &AdultCandidate> =
                records.iter().map(|r| (r.key.to_string(), r)).collect();
            RoomSheet {
                heading: heading.clone(),
                site: format!("{}（{}）", site.name, site.code),
                category: room.category.clone(),
                room: room.room,
                seated: room
                    .seats
                    .iter()
                    .map(|(seat, ticket, key)| {
                        let record = by_key.get(key);
                        Seated {
                            seat: *seat,
                            ticket: ticket.clone(),
                            name: record
                                .and_then(|r| r.info.as_ref().map(|i| i.name.clone()))
                                .unwrap_or_default(),
                            masked_id: record.map(|r| masked(r)).unwrap_or_default(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let pdf = web::block(move || crate::documents::exam_materials::render(&sheets))
        .await
        .map_err(|error| DocumentError::Write(error.to_string()))??;
    Ok(pdf_response(pdf, &format!("exam-materials-{county}.pdf")))
}

/// The record's sections as the forms print them.
fn form_sections(record: &AdultCandidate) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let mut sections = Vec::new();
    if let Some(info) = &record.info {
        sections.push((
            "基本信息",
            vec![
                ("姓名", info.name.clone()),
                (
                    "性别",
                    match info.gender {
                        engine::id_number::Gender::Male => "男".to_owned(),
                        engine::id_number::Gender::Female => "女".to_owned(),
                    },
                ),
                ("证件类型", info.document.chinese().to_owned()),
                ("证件号码", masked(record)),
                (
                    "民族",
                    engine::ethnicity::name(info.ethnicity)
                        .unwrap_or("")
                        .to_owned(),
                ),
                ("出生日期", info.birth_date.to_string()),
                ("政治面貌", info.political_status.clone()),
                ("文化程度", info.education.clone()),
                ("外语语种", info.foreign_language.clone()),
                ("考生特征", info.candidate_feature.clone()),
                ("招生类别", info.enrolment_category.clone()),
                ("职业类别", info.occupation.clone()),
                ("毕业学校", info.graduation_school.clone()),
                ("毕业日期", info.graduation_date.to_string()),
                ("毕业证书号", info.certificate_number.clone()),
                (
                    "医学执业证",
                    info.medical_licence.clone().unwrap_or_default(),
                ),
                (
                    "工作日期",
                    info.work_start.map(|d| d.to_string()).unwrap_or_default(),
                ),
                ("联系电话", info.phone.clone()),
                ("通讯地址", info.address.clone()),
                ("邮政编码", info.postcode.clone()),
            ],
        ));
    }
    if let Some(volunteers) = &record.volunteers {
        let mut rows = vec![
            ("层次", volunteers.level().chinese().to_owned()),
            ("科类", volunteers.category.clone()),
            ("学习形式", volunteers.study_form.chinese().to_owned()),
        ];
        for (label, choice) in [
            ("第一志愿", Some(&volunteers.first)),
            ("第二志愿", volunteers.second.as_ref()),
        ] {
            if let Some(choice) = choice {
                rows.push((
                    label,
                    format!(
                        "{} {} {} {} {}年",
                        choice.level.chinese(),
                        choice.school_code,
                        choice.school,
                        choice.major,
                        choice.length_years
                    ),
                ));
            }
        }
        sections.push(("志愿信息", rows));
    }
    let mut status = vec![
        ("用户名", record.username.clone()),
        (
            "确认点",
            record.point.map(|p| p.to_string()).unwrap_or_default(),
        ),
    ];
    if let Some(seat) = &record.seat {
        status.push(("准考证号", seat.ticket.clone()));
    }
    if !record.bonus.is_empty() {
        status.push((
            "照顾加分",
            record
                .bonus
                .iter()
                .map(|bonus| format!("{}（{} 分）", bonus.reason, bonus.points))
                .collect::<Vec<_>>()
                .join("；"),
        ));
    }
    if let Some(exemption) = &record.exemption {
        status.push((
            "免试入学",
            match &exemption.stage {
                engine::adult::ExemptionStage::Applied => "已申请，待市州审核".to_owned(),
                engine::adult::ExemptionStage::CityPassed => "市州已通过，待省审核".to_owned(),
                engine::adult::ExemptionStage::Approved => "已批准".to_owned(),
                engine::adult::ExemptionStage::Refused { reason, .. } => {
                    format!("未通过：{reason}")
                }
            },
        ));
    }
    sections.push(("报名信息", status));
    sections
}

async fn form_pdf(
    state: &AppState,
    record: &AdultCandidate,
    title: &'static str,
    notes: Vec<String>,
    filename: &str,
) -> Result<HttpResponse, ApiError> {
    let photo = match &record.confirmation {
        Some(confirmation) => state.store.photo(&confirmation.photo.sha256).await?,
        None => None,
    };
    let form = crate::documents::adult_forms::FormSheet {
        heading: heading(state),
        title,
        sections: form_sections(record),
        photo,
        notes,
        printed_at: state.now(),
    };
    let pdf = web::block(move || crate::documents::adult_forms::render(&form))
        .await
        .map_err(|error| DocumentError::Write(error.to_string()))??;
    Ok(pdf_response(pdf, filename))
}

/// The flow form of `record`: what it holds and the steps at the point.
pub async fn flow_form_pdf(
    state: &AppState,
    record: &AdultCandidate,
) -> Result<HttpResponse, ApiError> {
    if record.point.is_none() {
        return Err(AppError::from(engine::adult::Rejection::StepMissing(
            "choose a confirmation point",
        ))
        .into());
    }
    let hours = state.settings.current().adult.calendar.hours_text();
    let notes = vec![
        format!("请本人携带身份证件到所选确认点办理（办理时间 {hours}）："),
        "□ 1. 报考资格审核    □ 2. 现场采集照片    □ 3. 照顾加分材料审核".to_owned(),
        "□ 4. 抄录《诚信考试承诺书》    □ 5. 确认信息无误并签字    □ 6. 确认后网上缴费".to_owned(),
        "考生签字：________________    确认点经办人：________________".to_owned(),
    ];
    form_pdf(state, record, "报名流程表", notes, "flow-form.pdf").await
}

/// `GET /v1/adult/me/flow-form.pdf`.
#[utoipa::path(
    tag = "adult",
    summary = "The candidate's flow form (报名流程表, PDF), once a point is chosen",
    description = "Who may call it: the adult-exam candidate.",
    responses((status = OK, description = "the form", content_type = "application/pdf", body = crate::openapi::Binary)),
    security(("candidate_session" = [])),
    extensions(("x-admission" = json!("read"))),
)]
#[get("/v1/adult/me/flow-form.pdf")]
pub async fn own_flow_form(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let record = Registrant::of(&state, &caller)?.record().await?;
    flow_form_pdf(&state, &record).await
}

/// `GET /v1/adult/registrations/{key}/flow-form.pdf`.
#[utoipa::path(
    tag = "adult",
    summary = "A candidate's flow form, printed at the point",
    description = "Who may call it: operators covering the candidate's confirmation point.",
    params(crate::routes::KeyPath),
    responses((status = OK, description = "the form", content_type = "application/pdf", body = crate::openapi::Binary)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/registrations/{key}/flow-form.pdf")]
pub async fn flow_form_for(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = crate::app::adult::operator::registration(&state, &caller, &key).await?;
    flow_form_pdf(&state, &record).await
}

/// `GET /v1/adult/registrations/{key}/registration-form.pdf`.
#[utoipa::path(
    tag = "adult",
    summary = "A valid registration's candidate registration form (考生登记表, PDF), with the on-site photo",
    description = "Who may call it: operators covering the candidate's confirmation point.",
    params(crate::routes::KeyPath),
    responses((status = OK, description = "the form", content_type = "application/pdf", body = crate::openapi::Binary)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/registrations/{key}/registration-form.pdf")]
pub async fn registration_form(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = crate::app::adult::operator::registration(&state, &caller, &key).await?;
    if !record.valid() {
        return Err(AppError::from(engine::adult::Rejection::NotConfirmed).into());
    }
    let notes = vec![
        "成绩信息：________________    录取信息：________________".to_owned(),
        "诚信参考信息：________________".to_owned(),
    ];
    form_pdf(
        &state,
        &record,
        "考生登记表",
        notes,
        "registration-form.pdf",
    )
    .await
}

/// `POST /v1/adult/counties/{county}/report`: the county reports its registrations.
#[utoipa::path(
    tag = "adult",
    summary = "Report the county's adult-exam registrations to the city (数据上报; freezes them)",
    description = "Who may call it: the county.",
    params(crate::routes::CountyPath, crate::routes::IdempotencyKey),
    responses((status = OK, description = "the city's reports", body = crate::app::adult::reporting::CityView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/counties/{county}/report")]
pub async fn report_county(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    county: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let county: engine::org::CountyCode = county.parse().map_err(AppError::from)?;
    let view = reporting::report_county(&state, &caller.0.scope, county).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A return's body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdultReturnRequest)]
pub struct ReturnRequest {
    /// Why (1–200 characters): the level below reads it.
    reason: String,
}

/// `DELETE /v1/adult/counties/{county}/report`: the city returns it.
#[utoipa::path(
    tag = "adult",
    summary = "Return a county's report for correction (its registrations thaw)",
    description = "Who may call it: the county's city.",
    params(crate::routes::CountyPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult_exam::ReturnRequest,
    responses((status = OK, description = "the city's reports", body = crate::app::adult::reporting::CityView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[delete("/v1/adult/counties/{county}/report")]
pub async fn return_county(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    county: web::Path<String>,
    body: crate::body::Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let county: engine::org::CountyCode = county.parse().map_err(AppError::from)?;
    let view = reporting::return_county(&state, &caller.0.scope, county, &body.reason).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /v1/adult/cities/{city}/report`.
#[utoipa::path(
    tag = "adult",
    summary = "A city's report and its counties'",
    description = "Who may call it: the city, the province.",
    params(crate::routes::CityPath),
    responses((status = OK, description = "the reports", body = crate::app::adult::reporting::CityView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/v1/adult/cities/{city}/report")]
pub async fn city_report(
    state: web::Data<AppState>,
    caller: Caller,
    city: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let city: engine::org::CityCode = city.parse().map_err(AppError::from)?;
    Ok(HttpResponse::Ok().json(reporting::city_view(&state, &caller.0.scope, city).await?))
}

/// `POST /v1/adult/cities/{city}/report`: the city reports to the province.
#[utoipa::path(
    tag = "adult",
    summary = "Report the city's adult-exam data to the province, once every county has",
    description = "Who may call it: the city.",
    params(crate::routes::CityPath, crate::routes::IdempotencyKey),
    responses((status = OK, description = "the reports", body = crate::app::adult::reporting::CityView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/adult/cities/{city}/report")]
pub async fn report_city(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    city: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let city: engine::org::CityCode = city.parse().map_err(AppError::from)?;
    Ok(HttpResponse::Ok().json(reporting::report_city(&state, &caller.0.scope, city).await?))
}

/// `DELETE /v1/adult/cities/{city}/report`: the province returns it.
#[utoipa::path(
    tag = "adult",
    summary = "Return a city's report for correction",
    description = "Who may call it: province.",
    params(crate::routes::CityPath, crate::routes::IdempotencyKey),
    request_body = crate::routes::adult_exam::ReturnRequest,
    responses((status = OK, description = "the reports", body = crate::app::adult::reporting::CityView)),
    security(("operator_session" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[delete("/v1/adult/cities/{city}/report")]
pub async fn return_city(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    city: web::Path<String>,
    body: crate::body::Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&request)?;
    let city: engine::org::CityCode = city.parse().map_err(AppError::from)?;
    let view = reporting::return_city(&state, &caller.0.scope, city, &body.reason).await?;
    Ok(HttpResponse::Ok().json(view))
}
