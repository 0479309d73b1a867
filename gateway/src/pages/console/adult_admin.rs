//! The adult exam's administration in the console, level by level: a county proposes
//! confirmation points and exam sites and reports its data; a city reviews its counties'
//! points and sites, sets exam areas, approves other identity documents, reviews exemptions
//! first, enters bonus points, returns a county's report or reports to the province; the
//! province approves points and sites, reviews exemptions last, returns a city's report.
//! Each form posts to a handler here that parses, calls `crate::app::adult` and goes back to
//! the workspace (with the refusal shown, when refused).

use super::act;
use crate::app::AppError;
use crate::app::adult::{exam, operator, points, reporting};
use crate::pages::layout::csrf;
use crate::pages::text;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::adult::confirmation::PointApproval;
use engine::adult::volunteer::Level;
use engine::adult::{AdultCandidate, ExemptionStage, Status};
use engine::scope::Scope;
use maud::{Markup, html};
use std::collections::HashMap;

type Fields = web::Form<HashMap<String, String>>;

fn idempotency(fields: &HashMap<String, String>, what: &str) -> String {
    format!("console-adult-{what}-{}", text(fields, "key"))
}

fn number<T: std::str::FromStr>(
    fields: &HashMap<String, String>,
    name: &str,
) -> Result<T, AppError> {
    text(fields, name)
        .parse()
        .map_err(|_| AppError::invalid("adult_field_invalid", format!("{name}: a number")))
}

/// `POST /console/adult/points` (a county): proposes a confirmation point.
pub(super) async fn propose_point(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::County(county) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        let proposal = points::Proposal {
            number: number(fields, "adult_point_number")?,
            name: text(fields, "adult_point_name").to_owned(),
            contact: text(fields, "adult_point_contact").to_owned(),
            phone: text(fields, "adult_point_phone").to_owned(),
            levels: Level::ALL
                .into_iter()
                .filter(|level| text(fields, &format!("level_{}", level.name())) == "yes")
                .collect(),
            medical: text(fields, "medical") == "yes",
            under_17: text(fields, "under_17") == "yes",
        };
        points::propose(state, &session.scope, county, proposal)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/adult/sites` (a county): proposes an exam site.
pub(super) async fn propose_site(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::County(county) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        let proposal = exam::SiteProposal {
            number: number(fields, "site_number")?,
            name: text(fields, "site_name").to_owned(),
            rooms: number(fields, "site_rooms")?,
            address: text(fields, "site_address").to_owned(),
            contact: text(fields, "site_contact").to_owned(),
            phone: text(fields, "site_phone").to_owned(),
        };
        exam::propose_site(state, &session.scope, county, proposal)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/adult/reviews` (a city, the province): a point's or a site's review.
pub(super) async fn review(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let approved = text(fields, "approved") == "yes";
        let reason = text(fields, "reason");
        let code = text(fields, "code");
        if text(fields, "kind") == "site" {
            exam::review_site(state, &session.scope, code, approved, reason)
                .await
                .map(|_| ())
        } else {
            let code: engine::org::PointCode = code.parse()?;
            points::review(state, &session.scope, code, approved, reason)
                .await
                .map(|_| ())
        }
    })
    .await
}

/// `POST /console/adult/areas` (a city): a county's category's exam area.
pub(super) async fn area(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let Scope::City(city) = session.scope else {
            return Err(AppError::out_of_scope());
        };
        let assignment = engine::adult::numbering::AreaAssignment {
            county: text(fields, "area_county").parse()?,
            category: text(fields, "area_category").to_owned(),
            area: number(fields, "area_city")?,
        };
        exam::assign_area(state, &session.scope, city, assignment)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /console/adult/reports` (a county reports; a city reports, or returns a county's;
/// the province returns a city's).
pub(super) async fn report(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: Fields,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let scope = session.scope;
        let reason = text(fields, "reason");
        match (scope, text(fields, "action")) {
            (Scope::County(county), _) => reporting::report_county(state, &scope, county).await,
            (Scope::City(city), "report") => reporting::report_city(state, &scope, city).await,
            (Scope::City(_), _) => {
                reporting::return_county(state, &scope, text(fields, "target").parse()?, reason)
                    .await
            }
            (Scope::Province, _) => {
                reporting::return_city(state, &scope, text(fields, "target").parse()?, reason).await
            }
            _ => Err(AppError::out_of_scope()),
        }
        .map(|_| ())
    })
    .await
}

/// `POST /console/adult/{key}/decision`: what a city or the province decides on one
/// registration (documents, exemption, bonus) and a point's unpaid reason.
pub(super) async fn decision(
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
    fields: Fields,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        let reason = text(fields, "reason");
        match text(fields, "what") {
            "documents" => {
                operator::approve_documents(state, &caller, &key, idempotency(fields, "documents"))
                    .await
            }
            "exemption" => {
                operator::review_exemption(
                    state,
                    &caller,
                    &key,
                    text(fields, "approved") == "yes",
                    reason,
                    idempotency(fields, "exemption"),
                )
                .await
            }
            "bonus" => {
                operator::enter_bonus(
                    state,
                    &caller,
                    &key,
                    number(fields, "points")?,
                    reason,
                    idempotency(fields, "bonus"),
                )
                .await
            }
            _ => {
                operator::record_unpaid_reason(
                    state,
                    &caller,
                    &key,
                    reason,
                    idempotency(fields, "unpaid"),
                )
                .await
            }
        }
        .map(|_| ())
    })
    .await
}

/// The registrations at `scope`'s approved points of one status (at most 50 a point).
async fn registrations(state: &AppState, caller: &Caller, status: Status) -> Vec<AdultCandidate> {
    let mut found = Vec::new();
    for point in points::approved(state, None).await.unwrap_or_default() {
        if !caller.0.scope.covers_point(point.code) || found.len() >= 100 {
            continue;
        }
        found.extend(
            operator::at_point(
                state,
                caller,
                &point.code.to_string(),
                Some(status.name()),
                None,
                Some(50),
            )
            .await
            .unwrap_or_default(),
        );
    }
    found
}

fn name_of(record: &AdultCandidate) -> String {
    record
        .info
        .as_ref()
        .map(|info| info.name.clone())
        .unwrap_or_else(|| record.username.clone())
}

fn decision_form(key: &str, what: &str, csrf_token: &str, form_key: &str, inner: Markup) -> Markup {
    html! {
        form method="post" action={"/console/adult/" (key) "/decision"} class="inline" {
            (csrf(csrf_token)) input type="hidden" name="key" value={(what) "-" (key) "-" (form_key)};
            input type="hidden" name="what" value=(what);
            (inner)
        }
    }
}

fn review_forms(kind: &str, code: &str, csrf_token: &str) -> Markup {
    let id = format!("reason-{kind}-{code}");
    html! {
        form method="post" action="/console/adult/reviews" class="inline" {
            (csrf(csrf_token)) input type="hidden" name="kind" value=(kind); input type="hidden" name="code" value=(code);
            input type="hidden" name="approved" value="yes";
            button type="submit" class="secondary" { "通过" }
        }
        form method="post" action="/console/adult/reviews" class="inline" {
            (csrf(csrf_token)) input type="hidden" name="kind" value=(kind); input type="hidden" name="code" value=(code);
            input type="hidden" name="approved" value="no";
            label for=(id) class="visually-hidden" { "不通过的理由" }
            input type="text" id=(id) name="reason" placeholder="不通过的理由";
            button type="submit" class="secondary" { "不通过" }
        }
    }
}

fn approval_text(approval: PointApproval) -> &'static str {
    match approval {
        PointApproval::Proposed => "待市州审核",
        PointApproval::CityReviewed => "市州已审核，待省审定",
        PointApproval::Approved => "已审定",
        PointApproval::Refused => "未通过",
    }
}

/// Whether a report row is this level's to see: a city sees its counties', a county its own.
fn shows(scope: Scope, county: u32) -> bool {
    match scope {
        Scope::City(_) => true,
        Scope::County(own) => own.code() == county,
        _ => false,
    }
}

/// The administration a county, a city or the province has in the workspace.
pub(super) async fn section(
    state: &AppState,
    caller: &Caller,
    csrf_token: &str,
    form_key: &str,
) -> Markup {
    let scope = caller.0.scope;
    let points_here = points::in_scope(state, &scope).await.unwrap_or_default();
    let sites_here = exam::sites_in_scope(state, &scope)
        .await
        .unwrap_or_default();
    // What waits for this level's review.
    let awaiting = |approval: PointApproval| match scope {
        Scope::City(_) => approval == PointApproval::Proposed,
        Scope::Province => approval == PointApproval::CityReviewed,
        _ => false,
    };
    let reports = match scope {
        Scope::County(county) => {
            reporting::city_view(state, &Scope::City(county.city()), county.city())
                .await
                .ok()
        }
        Scope::City(city) => reporting::city_view(state, &scope, city).await.ok(),
        _ => None,
    };
    let documents = if matches!(scope, Scope::City(_)) {
        registrations(state, caller, Status::AwaitingCityApproval).await
    } else {
        Vec::new()
    };
    // Valid registrations: paid, whether or not numbered yet.
    let valid = if matches!(scope, Scope::City(_) | Scope::Province) {
        let mut valid = registrations(state, caller, Status::Paid).await;
        valid.extend(registrations(state, caller, Status::Seated).await);
        valid
    } else {
        Vec::new()
    };
    let exemptions: Vec<&AdultCandidate> = valid
        .iter()
        .filter(|record| {
            record
                .exemption
                .as_ref()
                .is_some_and(|exemption| match scope {
                    Scope::City(_) => exemption.stage == ExemptionStage::Applied,
                    _ => exemption.stage == ExemptionStage::CityPassed,
                })
        })
        .collect();
    html! {
        section aria-labelledby="adult-admin-heading" {
            h2 id="adult-admin-heading" { "成人高考：确认点与考点" }
            table id="adult-points" {
                caption { "报名确认点（" (points_here.len()) "）" }
                thead { tr { th scope="col" { "代码" } th scope="col" { "名称" } th scope="col" { "层次" } th scope="col" { "状态" } th scope="col" { "审核" } } }
                tbody {
                    @for point in &points_here {
                        @let code = point.code.to_string();
                        tr {
                            td { (code) } td { (point.name) @if point.medical { "（医卫类）" } @if point.under_17 { "（低龄）" } }
                            td { @for level in &point.levels { (level.chinese()) " " } }
                            td { (approval_text(point.approval)) @if let Some(reason) = &point.refused_because { "：" (reason) } }
                            td { @if awaiting(point.approval) { (review_forms("point", &code, csrf_token)) } }
                        }
                    }
                }
            }
            table id="adult-sites" {
                caption { "考点（" (sites_here.len()) "）" }
                thead { tr { th scope="col" { "代码" } th scope="col" { "名称" } th scope="col" { "考室" } th scope="col" { "状态" } th scope="col" { "审核" } } }
                tbody {
                    @for site in &sites_here {
                        tr {
                            td { (site.code) } td { (site.name) } td { (site.rooms) }
                            td { (approval_text(site.approval)) @if let Some(reason) = &site.refused_because { "：" (reason) } }
                            td { @if awaiting(site.approval) { (review_forms("site", &site.code, csrf_token)) } }
                        }
                    }
                }
            }
            @if let Scope::County(_) = scope {
                form method="post" action="/console/adult/points" {
                    (csrf(csrf_token))
                    fieldset {
                        legend { "申报报名确认点" }
                        @for (name, label) in [("adult_point_number", "编号（1–999，与报名点编号一致）"), ("adult_point_name", "名称"), ("adult_point_contact", "联系人"), ("adult_point_phone", "联系电话")] {
                            div class="field" { label for=(name) { (label) } input id=(name) name=(name) type="text" autocomplete="off"; }
                        }
                        @for level in Level::ALL {
                            div class="check" { input type="checkbox" id={"level_" (level.name())} name={"level_" (level.name())} value="yes"; label for={"level_" (level.name())} { "确认" (level.chinese()) } }
                        }
                        div class="check" { input type="checkbox" id="medical" name="medical" value="yes"; label for="medical" { "医卫类审核点" } }
                        div class="check" { input type="checkbox" id="under_17" name="under_17" value="yes"; label for="under_17" { "低龄（17 周岁以下）审核点" } }
                        button type="submit" class="secondary" { "申报确认点" }
                    }
                }
                form method="post" action="/console/adult/sites" {
                    (csrf(csrf_token))
                    fieldset {
                        legend { "申报考点" }
                        @for (name, label) in [("site_number", "编号（1–99）"), ("site_name", "名称"), ("site_rooms", "提供考室数"), ("site_address", "地址"), ("site_contact", "联系人"), ("site_phone", "联系电话")] {
                            div class="field" { label for=(name) { (label) } input id=(name) name=(name) type="text" autocomplete="off"; }
                        }
                        button type="submit" class="secondary" { "申报考点" }
                    }
                }
            }
            @if let Some(view) = &reports {
                h3 { "数据上报" }
                p { "市州上报省：" @if view.report.reported_at.is_some() { "已上报" } @else { "未上报" }
                    @if let Some(reason) = &view.report.returned_because { "（省退回：" (reason) "）" } }
                table id="adult-reports" {
                    thead { tr { th scope="col" { "县区" } th scope="col" { "上报" } th scope="col" { "退回" } } }
                    tbody {
                        @for (county, report) in &view.counties {
                            @if shows(scope, *county) {
                                tr {
                                    td { (county) }
                                    td { @if report.reported_at.is_some() { "已上报" } @else { "未上报" } @if let Some(reason) = &report.returned_because { "（退回：" (reason) "）" } }
                                    td {
                                        @if matches!(scope, Scope::City(_)) && report.reported_at.is_some() {
                                            form method="post" action="/console/adult/reports" class="inline" {
                                                (csrf(csrf_token)) input type="hidden" name="action" value="return"; input type="hidden" name="target" value=(county);
                                                label for={"adult-return-" (county)} class="visually-hidden" { "退回理由" }
                                                input type="text" id={"adult-return-" (county)} name="reason" placeholder="退回理由";
                                                button type="submit" class="secondary" { "退回" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form method="post" action="/console/adult/reports" {
                    (csrf(csrf_token)) input type="hidden" name="action" value="report";
                    button type="submit" class="secondary" { @if matches!(scope, Scope::County(_)) { "上报市州（上报后冻结）" } @else { "上报省（所有县区上报后）" } }
                }
            }
            @if let Scope::Province = scope {
                form method="post" action="/console/adult/reports" {
                    (csrf(csrf_token)) input type="hidden" name="action" value="return";
                    fieldset {
                        legend { "退回市州上报的数据" }
                        div class="field" {
                            label for="adult-return-city" { "市州" }
                            select id="adult-return-city" name="target" { @for city in &state.province.cities { option value=(city.code.to_string()) { (city.name) } } }
                        }
                        div class="field" { label for="adult-return-reason" { "退回理由" } input id="adult-return-reason" name="reason" type="text"; }
                        button type="submit" class="secondary" { "退回" }
                    }
                }
            }
            @if let Scope::City(city) = scope {
                form method="post" action="/console/adult/areas" {
                    (csrf(csrf_token))
                    fieldset {
                        legend { "划定参考范围（县区某科类考生的考区）" }
                        div class="field" {
                            label for="area_county" { "县区" }
                            select id="area_county" name="area_county" { @for county in state.province.counties_of(city) { option value=(county.code.to_string()) { (county.name) } } }
                        }
                        div class="field" { label for="area_category" { "科类" } input id="area_category" name="area_category" type="text"; }
                        div class="field" { label for="area_city" { "考区（市州代码）" } input id="area_city" name="area_city" type="text" value=(city.code()); }
                        button type="submit" class="secondary" { "保存参考范围" }
                    }
                }
                @if !documents.is_empty() {
                    table id="adult-documents" {
                        caption { "待审核证件（港澳台、华侨、外籍）" }
                        tbody {
                            @for record in &documents {
                                tr { td { (name_of(record)) } td { (decision_form(&record.key.to_string(), "documents", csrf_token, form_key, html! { button type="submit" class="secondary" { "审核通过" } })) } }
                            }
                        }
                    }
                }
                @if !valid.is_empty() {
                    table id="adult-bonus" {
                        caption { "录入照顾加分（已确认并缴费的考生）" }
                        tbody {
                            @for record in &valid {
                                @let key = record.key.to_string();
                                tr {
                                    td { (name_of(record)) @for bonus in &record.bonus { " · " (bonus.reason) " " (bonus.points) " 分" } }
                                    td { (decision_form(&key, "bonus", csrf_token, form_key, html! {
                                        label for={"points-" (key)} class="visually-hidden" { "加分" }
                                        input type="text" id={"points-" (key)} name="points" placeholder="分值" size="4";
                                        label for={"bonus-reason-" (key)} class="visually-hidden" { "加分项目" }
                                        input type="text" id={"bonus-reason-" (key)} name="reason" placeholder="加分项目";
                                        button type="submit" class="secondary" { "录入" }
                                    })) }
                                }
                            }
                        }
                    }
                }
            }
            @if !exemptions.is_empty() {
                table id="adult-exemptions" {
                    caption { "免试入学申请：待" @if matches!(scope, Scope::City(_)) { "市州初审" } @else { "省审核" } }
                    tbody {
                        @for record in &exemptions {
                            @let key = record.key.to_string();
                            tr {
                                td { (name_of(record)) " · " (record.exemption.as_ref().map(|e| e.reason.clone()).unwrap_or_default()) }
                                td {
                                    (decision_form(&key, "exemption", csrf_token, form_key, html! { input type="hidden" name="approved" value="yes"; button type="submit" class="secondary" { "通过" } }))
                                    (decision_form(&key, "exemption", csrf_token, form_key, html! {
                                        input type="hidden" name="approved" value="no";
                                        label for={"exemption-reason-" (key)} class="visually-hidden" { "不通过的理由" }
                                        input type="text" id={"exemption-reason-" (key)} name="reason" placeholder="不通过的理由";
                                        button type="submit" class="secondary" { "不通过" }
                                    }))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A point's work list after the payment deadline: its confirmed, unpaid candidates, each
/// with the reason to record.
pub(super) fn unpaid_section(
    unpaid: &[AdultCandidate],
    csrf_token: &str,
    form_key: &str,
) -> Markup {
    html! {
        @if !unpaid.is_empty() {
            table id="adult-unpaid" {
                caption { "已确认未缴费（缴费截止后登记原因）" }
                tbody {
                    @for record in unpaid {
                        @let key = record.key.to_string();
                        tr {
                            td { (name_of(record)) @if let Some(reason) = &record.unpaid_reason { " · 已登记：" (reason) } }
                            td { (decision_form(&key, "unpaid", csrf_token, form_key, html! {
                                label for={"unpaid-" (key)} class="visually-hidden" { "未缴费原因" }
                                input type="text" id={"unpaid-" (key)} name="reason" placeholder="未缴费原因";
                                button type="submit" class="secondary" { "登记" }
                            })) }
                        }
                    }
                }
            }
        }
    }
}
