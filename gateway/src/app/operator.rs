//! Operators acting on candidates within their scope (steps 9–11 and the special cases):
//! seeing a record, the decisions that belong to a point, a county or a city, and the work
//! lists and progress counts they read. The scope check is part of each use case: what an
//! operator may do depends on what the record says (its point, county, city).

use crate::app::AppError;
use crate::app::{page_at_point, page_bounds, run};
use crate::sessions::Caller;
use crate::state::AppState;
use actors::Outcome;
use engine::candidate::declaration::{Declaration, Review, ReviewLevel};
use engine::candidate::{Candidate, Command, MoralEvaluation};
use engine::key::CandidateKey;
use engine::org::{CountyCode, PointCode};
use engine::scope::Scope;
use serde::Serialize;
use std::collections::BTreeMap;
use storage::{AuditRecord, ProgressScope, StateStore};

/// Most candidates one page of a work list looks at.
pub const MAX_PAGE_CANDIDATES: usize = 1000;

/// The caller, acting on candidates within their scope.
pub struct Operator<'a> {
    pub(super) state: &'a AppState,
    caller: &'a Caller,
}

/// One open item of a point's candidate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenItem {
    /// The candidate's key.
    pub key: String,
    /// Their serial number.
    pub serial_number: String,
    /// Their name (operators in scope see it).
    pub name: String,
    /// `id_verification` (typed-in ID, to verify in person), `document_approval` (another
    /// identity document, awaiting the city) and/or `migrant_audit` (a migrant worker's
    /// child, awaiting the county).
    pub open: Vec<&'static str>,
}

/// One page of a point's open items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenItems {
    /// The point.
    pub point: String,
    /// Candidates of this page with something open.
    pub items: Vec<OpenItem>,
    /// Where the next page starts (null: done).
    pub next: Option<String>,
}

/// One declaration on a reviewers' work list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeclarationItem {
    /// The candidate's key.
    pub key: String,
    /// Their serial number.
    pub serial_number: String,
    /// Their name.
    pub name: String,
    /// The declaration.
    #[schema(value_type = Object)]
    pub declaration: Declaration,
}

/// One page of a county's declarations at one stage.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeclarationList {
    /// The county.
    pub county: String,
    /// The stage listed.
    pub stage: String,
    /// The declarations of this page.
    pub items: Vec<DeclarationItem>,
    /// Where the next page starts (`<point>/<candidate key>`; null: done).
    pub next: Option<String>,
}

impl<'a> Operator<'a> {
    /// The caller (a candidate too: a candidate's scope covers only themselves).
    pub fn of(state: &'a AppState, caller: &'a Caller) -> Operator<'a> {
        Operator { state, caller }
    }

    fn scope(&self) -> Scope {
        self.caller.0.scope
    }

    /// A candidate the caller may see; 404 and 403 are distinct because operators need to
    /// know the difference, and the key is already pseudonymous.
    pub async fn candidate(&self, key: &str) -> Result<Candidate, AppError> {
        let key = CandidateKey::parse_hex(key)
            .ok_or_else(|| AppError::not_found("candidate_not_found", "no such candidate key"))?;
        let candidate = crate::app::load(self.state, key).await?;
        if !self.scope().covers_candidate(key, candidate.capture.point) {
            return Err(AppError::out_of_scope());
        }
        Ok(candidate)
    }

    /// Runs the command `build` makes from the caller's scope on a candidate the caller may
    /// see.
    async fn act(
        &self,
        key: &str,
        idempotency: String,
        build: impl FnOnce(Scope) -> Result<Command, AppError>,
    ) -> Result<Outcome, AppError> {
        let candidate = self.candidate(key).await?;
        let command = build(self.scope())?;
        run(self.state, candidate.key, command, idempotency, Vec::new()).await
    }

    /// Runs `make(point)` when the caller is a point (the engine checks the point against the
    /// record, as each command requires).
    async fn as_point(
        &self,
        key: &str,
        idempotency: String,
        make: impl FnOnce(PointCode) -> Command,
    ) -> Result<Outcome, AppError> {
        self.act(key, idempotency, |scope| match scope {
            Scope::Point(point) => Ok(make(point)),
            _ => Err(AppError::out_of_scope()),
        })
        .await
    }

    /// The candidate's point confirms the printed form was signed (step 9).
    pub async fn confirm_signature(
        &self,
        key: &str,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.as_point(key, idempotency, |point| Command::ConfirmSignature {
            point,
        })
        .await
    }

    /// The candidate's point resets both passwords for a candidate at the desk with the ID
    /// card: first login opens again and the save-password lock is lifted.
    pub async fn reset_passwords(
        &self,
        key: &str,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.as_point(key, idempotency, |point| Command::ResetPasswords { point })
            .await
    }

    /// The candidate's point or county records the moral-character evaluation (step 10).
    pub async fn moral_evaluation(
        &self,
        key: &str,
        evaluation: MoralEvaluation,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.act(key, idempotency, |scope| {
            let county = match scope {
                Scope::Point(point) => point.county(),
                Scope::County(county) => county,
                _ => return Err(AppError::out_of_scope()),
            };
            Ok(Command::RecordMoralEvaluation { evaluation, county })
        })
        .await
    }

    /// The candidate's city approves a capture made with another identity document.
    pub async fn approve_document(
        &self,
        key: &str,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.act(key, idempotency, |scope| match scope {
            Scope::City(city) => Ok(Command::ApproveOtherDocument { city }),
            _ => Err(AppError::out_of_scope()),
        })
        .await
    }

    /// The candidate's county approves a migrant worker's child's eligibility audit.
    pub async fn approve_migrant(
        &self,
        key: &str,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.act(key, idempotency, |scope| match scope {
            Scope::County(county) => Ok(Command::ApproveMigrantEligibility { county }),
            _ => Err(AppError::out_of_scope()),
        })
        .await
    }

    /// A point of the candidate's county verifies a typed-in ID in person.
    pub async fn verify_id(&self, key: &str, idempotency: String) -> Result<Outcome, AppError> {
        self.as_point(key, idempotency, |point| Command::VerifyIdAtPoint { point })
            .await
    }

    /// The candidate's county decides on a declaration first, then the candidate's city.
    pub async fn review_declaration(
        &self,
        key: &str,
        id: u32,
        approved: bool,
        reason: Option<String>,
        idempotency: String,
    ) -> Result<Outcome, AppError> {
        self.act(key, idempotency, |scope| {
            let (level, org) = match scope {
                Scope::County(county) => (ReviewLevel::County, county.code()),
                Scope::City(city) => (ReviewLevel::City, u32::from(city.code())),
                _ => return Err(AppError::out_of_scope()),
            };
            Ok(Command::ReviewDeclaration {
                id,
                level,
                org,
                approved,
                reason,
            })
        })
        .await
    }

    /// Counts by status within `scope_text` (`province | city:4301 | county:430102 |
    /// point:430102-001`), which the caller must cover and the province must have.
    pub async fn progress(
        &self,
        scope_text: &str,
    ) -> Result<BTreeMap<&'static str, u64>, AppError> {
        let scope = self.scope();
        let (requested, allowed) = match super::scope_named(scope_text)? {
            Scope::Province => (ProgressScope::Province, matches!(scope, Scope::Province)),
            Scope::City(city) => (
                ProgressScope::City(city),
                matches!(scope, Scope::Province) || scope == Scope::City(city),
            ),
            Scope::County(county) => (ProgressScope::County(county), scope.covers_county(county)),
            Scope::Point(point) => (ProgressScope::Point(point), scope.covers_point(point)),
            Scope::Candidate(_) => return Err(AppError::out_of_scope()),
        };
        if !allowed {
            return Err(AppError::out_of_scope());
        }
        self.division_exists(requested).await?;
        Ok(self
            .state
            .store
            .progress(requested)
            .await?
            .into_iter()
            .map(|(status, count)| (status.name(), count))
            .collect())
    }

    /// 404 for a division the province does not have (a well-formed code of nothing would
    /// otherwise read as "no candidates yet").
    async fn division_exists(&self, scope: ProgressScope) -> Result<(), AppError> {
        let exists = match scope {
            ProgressScope::Province => true,
            ProgressScope::City(city) => self.state.province.city(city).is_some(),
            ProgressScope::County(county) => self.state.province.county(county).is_some(),
            ProgressScope::Point(point) => self
                .state
                .store
                .county(point.county())
                .await?
                .is_some_and(|county| county.points.contains_key(&point.number())),
        };
        if !exists {
            return Err(AppError::not_found(
                "division_not_found",
                "no such city, county or registration point in this province",
            ));
        }
        Ok(())
    }

    /// The newest operator actions (province only; reading them is audited too).
    pub async fn audit_trail(
        &self,
        limit: Option<usize>,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>, AppError> {
        if !matches!(self.scope(), Scope::Province) {
            return Err(AppError::out_of_scope());
        }
        let limit = match limit.unwrap_or(100) {
            limit @ 1..=1000 => limit,
            _ => {
                return Err(AppError::malformed(
                    "limit_invalid",
                    "limit must be between 1 and 1000",
                ));
            }
        };
        Ok(self.state.store.audit_trail(limit, actor).await?)
    }

    /// One page of `point`'s candidates with a special case still open: it looks at
    /// `limit` candidates after `after`.
    pub async fn open_items(
        &self,
        point: PointCode,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<OpenItems, AppError> {
        if !self.scope().covers_point(point) {
            return Err(AppError::out_of_scope());
        }
        let (after, limit) = page_bounds(after, limit, MAX_PAGE_CANDIDATES)?;
        let _place = self.state.heavy.enter(&self.caller.0.subject)?;
        let (candidates, next) = page_at_point(self.state, point, None, after, limit).await?;
        let items = candidates
            .into_iter()
            .filter_map(|candidate| {
                let open: Vec<&'static str> = [
                    (candidate.id_verification_pending, "id_verification"),
                    (candidate.document_approval_pending, "document_approval"),
                    (candidate.migrant_audit_pending, "migrant_audit"),
                ]
                .into_iter()
                .filter_map(|(pending, name)| pending.then_some(name))
                .collect();
                (!open.is_empty()).then(|| OpenItem {
                    key: candidate.key.to_string(),
                    serial_number: candidate.capture.serial.to_string(),
                    name: candidate.capture.id_card.name.clone(),
                    open,
                })
            })
            .collect();
        Ok(OpenItems {
            point: point.to_string(),
            items,
            next: next.map(|key| key.to_string()),
        })
    }

    /// Finds a candidate the caller may see by serial number or by ID number (exact: the
    /// ID number becomes the candidate key, as at login — there is no clear-text index and
    /// no scan). Nothing found, or found outside the caller's scope, is the same empty
    /// answer: a lookup does not confirm who is registered elsewhere.
    pub async fn find(
        &self,
        serial_number: Option<&str>,
        id_number: Option<&str>,
    ) -> Result<Option<Candidate>, AppError> {
        if matches!(self.scope(), Scope::Candidate(_)) {
            return Err(AppError::out_of_scope());
        }
        let key = match (serial_number, id_number) {
            (Some(serial), None) => {
                let serial = engine::serial::SerialNumber::parse(serial)?;
                self.state.store.candidate_key_by_serial(serial).await?
            }
            (None, Some(id_number)) => Some(crate::app::session::key_of(self.state, id_number)?.1),
            _ => {
                return Err(AppError::invalid(
                    "lookup_invalid",
                    "send exactly one of serial_number and id_number",
                ));
            }
        };
        let Some(key) = key else {
            return Ok(None);
        };
        let Some(candidate) = self.state.store.candidate(key).await? else {
            return Ok(None);
        };
        Ok(self
            .scope()
            .covers_candidate(key, candidate.capture.point)
            .then_some(candidate))
    }

    /// One page of a point's candidates, of one status if given (`status` is the step
    /// reached: the step still missing is the next one).
    pub async fn candidates_at(
        &self,
        point: PointCode,
        filter: &ListFilter,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<(Vec<Candidate>, Option<String>), AppError> {
        if !self.scope().covers_point(point) {
            return Err(AppError::out_of_scope());
        }
        let (status, name) = filter.parsed()?;
        let (after, limit) = page_bounds(after, limit, MAX_PAGE_CANDIDATES)?;
        let _place = self.state.heavy.enter(&self.caller.0.subject)?;
        let (mut candidates, next) = page_at_point(self.state, point, status, after, limit).await?;
        candidates.retain(|candidate| name.keeps(candidate));
        Ok((candidates, next.map(|key| key.to_string())))
    }

    /// Every candidate of a point (of one status if given), for an export: at most a
    /// point's 9,999 serial numbers, read a page at a time.
    pub async fn export_point(
        &self,
        point: PointCode,
        filter: &ListFilter,
    ) -> Result<Vec<Candidate>, AppError> {
        if !self.scope().covers_point(point) {
            return Err(AppError::out_of_scope());
        }
        let (status, name) = filter.parsed()?;
        let _place = self.state.heavy.enter(&self.caller.0.subject)?;
        let mut candidates = crate::app::all_at_point(self.state, point, status).await?;
        candidates.retain(|candidate| name.keeps(candidate));
        Ok(candidates)
    }

    /// The reviewers' work list: one page of `county`'s declarations at `stage` (by
    /// default what the caller decides next: the county `pending`, the city
    /// `county_approved`), looking at `limit` candidates point by point after `after`
    /// (`<point>/<candidate key>`).
    pub async fn county_declarations(
        &self,
        county: CountyCode,
        stage: Option<&str>,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<DeclarationList, AppError> {
        let scope = self.scope();
        if !scope.covers_county(county) {
            return Err(AppError::out_of_scope());
        }
        let _place = self.state.heavy.enter(&self.caller.0.subject)?;
        let stage = match (stage, scope) {
            (Some(stage), _) => stage.to_owned(),
            (None, Scope::City(_)) => "county_approved".to_owned(),
            (None, _) => "pending".to_owned(),
        };
        let matches = |review: &Review| match stage.as_str() {
            "pending" => Ok(*review == Review::Pending),
            "county_approved" => Ok(*review == Review::CountyApproved),
            "approved" => Ok(*review == Review::Approved),
            "rejected" => Ok(matches!(review, Review::Rejected { .. })),
            "withdrawn" => Ok(*review == Review::Withdrawn),
            other => Err(AppError::malformed(
                "stage_unknown",
                format!("no declaration stage named '{other}'"),
            )),
        };
        // Refuse an unknown stage or a malformed page before reading anything.
        matches(&Review::Pending)?;
        let (_, limit) = page_bounds(None, limit, MAX_PAGE_CANDIDATES)?;
        let mut list = DeclarationList {
            county: county.to_string(),
            stage: stage.clone(),
            items: Vec::new(),
            next: None,
        };
        let (candidates, next) = county_page(self.state, county, None, after, limit).await?;
        for candidate in candidates {
            for declaration in &candidate.declarations {
                if matches(&declaration.review)? {
                    list.items.push(DeclarationItem {
                        key: candidate.key.to_string(),
                        serial_number: candidate.capture.serial.to_string(),
                        name: candidate.capture.id_card.name.clone(),
                        declaration: declaration.clone(),
                    });
                }
            }
        }
        list.next = next;
        Ok(list)
    }

    /// One page of a county's candidates (of one status if given), point by point in code
    /// order, after `after` (`<point>/<candidate key>`, the previous page's `next`).
    pub async fn county_candidates(
        &self,
        county: CountyCode,
        filter: &ListFilter,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<(Vec<Candidate>, Option<String>), AppError> {
        let scope = self.scope();
        if !scope.covers_county(county) {
            return Err(AppError::out_of_scope());
        }
        let (status, name) = filter.parsed()?;
        let (_, limit) = page_bounds(None, limit, MAX_PAGE_CANDIDATES)?;
        let _place = self.state.heavy.enter(&self.caller.0.subject)?;
        let (mut candidates, next) = county_page(self.state, county, status, after, limit).await?;
        candidates.retain(|candidate| name.keeps(candidate));
        Ok((candidates, next))
    }

    /// One page of a city's candidates, county by county and point by point, after
    /// `after` (`<point>/<candidate key>`, the previous page's `next`).
    pub async fn city_candidates(
        &self,
        city: engine::org::CityCode,
        filter: &ListFilter,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<(Vec<Candidate>, Option<String>), AppError> {
        let scope = self.scope();
        if scope != Scope::Province && scope != Scope::City(city) {
            return Err(AppError::out_of_scope());
        }
        if self.state.province.city(city).is_none() {
            return Err(AppError::not_found(
                "division_not_found",
                "no such city in this province",
            ));
        }
        let (status, name) = filter.parsed()?;
        let (_, limit) = page_bounds(None, limit, MAX_PAGE_CANDIDATES)?;
        let _place = self.state.heavy.enter(&self.caller.0.subject)?;
        let counties = self
            .state
            .province
            .counties_of(city)
            .map(|county| county.code);
        let (mut candidates, next) =
            counties_page(self.state, counties, status, after, limit).await?;
        candidates.retain(|candidate| name.keeps(candidate));
        Ok((candidates, next))
    }
}

/// One page of the candidates of `counties` (in code order; of `status`, if given), point
/// by point, after the cursor `after` (`<point>/<candidate key>`, which names its county):
/// at most `limit`, and the cursor to continue from when there may be more.
pub async fn counties_page(
    state: &AppState,
    counties: impl Iterator<Item = CountyCode>,
    status: Option<engine::candidate::Status>,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Candidate>, Option<String>), AppError> {
    let start = match after {
        None => None,
        Some(cursor) => {
            let point = cursor.split_once('/').map_or(cursor, |(point, _)| point);
            Some(point.parse::<PointCode>()?.county())
        }
    };
    let mut page = Vec::new();
    for county in counties.filter(|county| start.is_none_or(|start| *county >= start)) {
        let cursor = after.filter(|_| Some(county) == start);
        let (candidates, next) =
            county_page(state, county, status, cursor, limit - page.len()).await?;
        page.extend(candidates);
        if page.len() == limit {
            return Ok((page, next));
        }
    }
    Ok((page, None))
}

/// One page of `county`'s candidates (of `status`, if given), point by point in code order,
/// after the cursor `after` (`<point>/<candidate key>`): at most `limit`, and the cursor to
/// continue from when there may be more.
pub async fn county_page(
    state: &AppState,
    county: CountyCode,
    status: Option<engine::candidate::Status>,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Candidate>, Option<String>), AppError> {
    let (start, after) = match after {
        None => (None, None),
        Some(cursor) => {
            let (point, key) = cursor.split_once('/').ok_or_else(|| {
                AppError::malformed("after_invalid", "after must be <point>/<candidate key>")
            })?;
            let point: PointCode = point.parse()?;
            let (key, _) = page_bounds(Some(key), None, 1)?;
            (Some(point), key)
        }
    };
    let mut page = Vec::new();
    let Some(record) = state.store.county(county).await? else {
        return Ok((page, None));
    };
    let points = record
        .points
        .values()
        .filter(|point| start.is_none_or(|start| point.code >= start));
    for point in points {
        let after = if Some(point.code) == start {
            after
        } else {
            None
        };
        let (candidates, more) =
            page_at_point(state, point.code, status, after, limit - page.len()).await?;
        page.extend(candidates);
        if page.len() == limit {
            let next = more.map(|key| format!("{}/{key}", point.code));
            return Ok((page, next));
        }
    }
    Ok((page, None))
}

/// What an operator's list keeps: candidates at one step, whose name starts with a prefix.
/// A page looks at `limit` candidates and returns those kept; `next` continues.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// `captured`, `paid`, … (the step reached).
    pub status: Option<String>,
    /// The start of the name (姓名), 1–30 characters.
    pub name_prefix: Option<String>,
}

/// The name part of a [`ListFilter`], checked.
pub struct NamePrefix(Option<String>);

impl NamePrefix {
    fn keeps(&self, candidate: &Candidate) -> bool {
        self.0
            .as_deref()
            .is_none_or(|prefix| candidate.capture.id_card.name.starts_with(prefix))
    }
}

impl ListFilter {
    fn parsed(&self) -> Result<(Option<engine::candidate::Status>, NamePrefix), AppError> {
        let status = status_named(self.status.as_deref())?;
        let name = match self.name_prefix.as_deref().map(str::trim) {
            None => None,
            Some(prefix)
                if !prefix.is_empty()
                    && prefix.chars().count() <= 30
                    && !engine::text::has_forbidden(prefix) =>
            {
                Some(prefix.to_owned())
            }
            Some(_) => {
                return Err(AppError::invalid(
                    "name_prefix_invalid",
                    "name is the start of a name: 1–30 printable characters",
                ));
            }
        };
        Ok((status, NamePrefix(name)))
    }
}

/// The status named `name` (`captured`, `paid`, …), if one is given.
fn status_named(name: Option<&str>) -> Result<Option<engine::candidate::Status>, AppError> {
    let Some(name) = name else {
        return Ok(None);
    };
    engine::candidate::Status::ALL
        .into_iter()
        .find(|status| status.name() == name)
        .map(Some)
        .ok_or_else(|| {
            AppError::malformed(
                "status_unknown",
                format!(
                    "no status named '{name}'; statuses are {}",
                    engine::candidate::Status::ALL.map(|s| s.name()).join(", ")
                ),
            )
        })
}
