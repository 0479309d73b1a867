//! `/openapi.json`: the API described in OpenAPI 3.0. Maintained by hand next to the routes;
//! a test checks that every registered route is documented and nothing else is.

use actix_web::HttpResponse;
use serde_json::{Value, json};

/// (method, path, summary, who may call it, success status)
const OPERATIONS: &[(&str, &str, &str, &str, u16)] = &[
    (
        "get",
        "/healthz",
        "Liveness: the process serves and its store answers",
        "anyone",
        200,
    ),
    ("get", "/metrics", "Prometheus metrics", "anyone", 200),
    ("get", "/openapi.json", "This document", "anyone", 200),
    (
        "post",
        "/v1/sessions/operator",
        "Operator login (username, password)",
        "anyone; rate-limited",
        200,
    ),
    (
        "post",
        "/v1/sessions/candidate/first-login",
        "Candidate first login (ID number, name, ID validity)",
        "anyone; rate-limited",
        200,
    ),
    (
        "post",
        "/v1/sessions/candidate",
        "Candidate login (ID or serial number, login password)",
        "anyone; rate-limited",
        200,
    ),
    (
        "post",
        "/v1/points/{point}/imports",
        "Import a point's offline captures from the CSV template (all rows or none; re-sending is safe)",
        "point, county",
        200,
    ),
    (
        "get",
        "/v1/counties/{county}/declarations",
        "The reviewers' work list: a county's declarations at one stage (?stage=; paged: ?limit=&after=<next>)",
        "county, city, province",
        200,
    ),
    (
        "get",
        "/v1/counties/{county}/export-package",
        "A county's signed export package (tar: records, photos, manifest with checksums)",
        "county, city, province",
        200,
    ),
    (
        "post",
        "/v1/imports/county-package",
        "Verify and import a county's export package",
        "city, province",
        200,
    ),
    (
        "get",
        "/v1/imports/capture-template.csv",
        "The CSV template for offline captures",
        "anyone",
        200,
    ),
    (
        "post",
        "/v1/points/{point}/captures",
        "Capture ID data, photo and serial number",
        "point, county",
        201,
    ),
    (
        "get",
        "/v1/candidates/me",
        "The caller's own registration",
        "candidate",
        200,
    ),
    (
        "post",
        "/v1/candidates/me/fee-orders",
        "Create a registration-fee order",
        "candidate",
        201,
    ),
    (
        "put",
        "/v1/candidates/me/passwords",
        "Set or change login and save passwords",
        "candidate",
        200,
    ),
    (
        "post",
        "/v1/candidates/me/identity-verification",
        "Start a real-person authentication: a ticket for the identity provider, bound to this candidate (30 min)",
        "candidate (fee paid)",
        201,
    ),
    (
        "put",
        "/v1/candidates/me/phone",
        "Bind a mobile phone (needs the save password)",
        "candidate",
        200,
    ),
    (
        "post",
        "/v1/candidates/me/pledge",
        "Accept the integrity pledge",
        "candidate",
        200,
    ),
    (
        "put",
        "/v1/candidates/me/form",
        "Save the registration form (needs the save password)",
        "candidate",
        200,
    ),
    (
        "post",
        "/v1/candidates/me/declarations",
        "Declare a bonus-point or special-plan eligibility with supporting documents (needs the save password)",
        "candidate (declaration window)",
        201,
    ),
    (
        "delete",
        "/v1/candidates/me/declarations/{id}",
        "Withdraw a declaration not yet reviewed (body: the save password)",
        "candidate (declaration window)",
        200,
    ),
    (
        "post",
        "/v1/candidates/me/exam-fee-orders",
        "An order for the exam fee (its own window, after the form is signed)",
        "candidate",
        201,
    ),
    (
        "get",
        "/v1/candidates/me/admission-ticket.pdf",
        "The admission ticket (PDF with photo), once the exam fee is paid",
        "candidate",
        200,
    ),
    (
        "get",
        "/v1/candidates/me/art-pe/exam-ticket.pdf",
        "The art/PE professional exam ticket (PDF with photo) listing the paid categories",
        "candidate (after paying a category)",
        200,
    ),
    (
        "put",
        "/v1/candidates/me/art-pe/{category}",
        "Choose an art/PE category with its main/sub items (or change them while unpaid; needs the save password)",
        "candidate (art/PE window, phone bound)",
        200,
    ),
    (
        "delete",
        "/v1/candidates/me/art-pe/{category}",
        "Drop an unpaid art/PE category that has no order (body: the save password)",
        "candidate (art/PE window)",
        200,
    ),
    (
        "post",
        "/v1/candidates/me/art-pe/{category}/fee-orders",
        "An order for one art/PE category's fee",
        "candidate (art/PE window)",
        201,
    ),
    (
        "post",
        "/v1/payments/{provider}/notify",
        "Payment provider notification (HMAC-signed)",
        "payment provider",
        200,
    ),
    (
        "post",
        "/v1/identity/callback",
        "Real-person authentication result (HMAC-signed)",
        "identity provider",
        200,
    ),
    (
        "post",
        "/v1/reconciliation",
        "Payment reconciliation: query the providers about unpaid orders, apply what was paid (province)",
        "province",
        200,
    ),
    (
        "post",
        "/v1/internal/serials",
        "Node to node: assign a serial number on the node owning the counties (HMAC-signed)",
        "gateway node",
        200,
    ),
    (
        "get",
        "/v1/schedule",
        "The province's windows (times in China Standard Time), open or not now",
        "any logged-in caller",
        200,
    ),
    (
        "put",
        "/v1/schedule/{window}",
        "Set a window (opens_at, closes_at: 'YYYY-MM-DD HH:MM' CST)",
        "province",
        200,
    ),
    (
        "post",
        "/v1/schedule/{window}/extensions",
        "Extend a window (until), keeping the extension history",
        "province",
        200,
    ),
    (
        "get",
        "/v1/admission",
        "Admission settings (region slots, limits, waiting room, pause) and live state",
        "province",
        200,
    ),
    (
        "put",
        "/v1/admission",
        "Replace the admission settings (durable, audited, no restart)",
        "province",
        200,
    ),
    (
        "put",
        "/v1/admission/pause",
        "Pause or resume all candidate writes (operators and callbacks keep working)",
        "province",
        200,
    ),
    (
        "get",
        "/v1/candidates/me/registration-form.pdf",
        "The caller's registration form (PDF with photo) to print and sign",
        "candidate (after the first form save)",
        200,
    ),
    (
        "get",
        "/v1/candidates/{key}/registration-form.pdf",
        "A candidate's registration form (PDF), printed on the candidate's behalf",
        "operators in scope",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/declarations/{id}/review",
        "Decide on a declaration: the candidate's county first, then the city",
        "county, city",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/migrant-approval",
        "Approve a migrant worker's child's eligibility audit (the candidate's county)",
        "county",
        200,
    ),
    (
        "get",
        "/v1/candidates/{key}/migrant-audit-form.pdf",
        "The migrant worker's child's eligibility audit form (PDF with photo)",
        "operators in scope",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/document-approval",
        "Approve a capture made with another identity document (the candidate's city)",
        "city",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/id-verification",
        "Verify a typed-in ID in person and close its open item (a point of the candidate's county)",
        "point",
        200,
    ),
    (
        "get",
        "/v1/points/{point}/open-items",
        "The point's candidates with an open special case (ID to verify, document to approve; paged: ?limit=&after=<next>)",
        "operators in scope",
        200,
    ),
    (
        "get",
        "/v1/candidates/{key}/admission-ticket.pdf",
        "A candidate's admission ticket (PDF), printed on the candidate's behalf",
        "operators in scope",
        200,
    ),
    (
        "get",
        "/v1/candidates/{key}/art-pe/exam-ticket.pdf",
        "A candidate's art/PE exam ticket (PDF), printed on the candidate's behalf",
        "operators in scope",
        200,
    ),
    (
        "get",
        "/v1/candidates/{key}/login-card.pdf",
        "A candidate's login card (PDF)",
        "operators in scope",
        200,
    ),
    (
        "get",
        "/v1/points/{point}/login-cards.pdf",
        "A point's login cards, four to a page (PDF; ?status= to filter; runs of ?limit= cards, X-Next-After for ?after=)",
        "operators in scope",
        200,
    ),
    (
        "get",
        "/v1/candidates/{key}",
        "A candidate within the caller's scope",
        "operators in scope, the candidate",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/signature",
        "Record the signature on the printed form",
        "the candidate's point",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/password-reset",
        "Reset both passwords for a candidate at the desk (first login opens again, the save-password lock is lifted)",
        "the candidate's point",
        200,
    ),
    (
        "post",
        "/v1/candidates/{key}/moral-evaluation",
        "Record the moral-character evaluation",
        "the candidate's point or county",
        200,
    ),
    (
        "get",
        "/v1/progress",
        "Counts by status (scope=province|city:C|county:C|point:P)",
        "operators covering the scope",
        200,
    ),
    (
        "get",
        "/v1/audit",
        "The newest operator actions",
        "province",
        200,
    ),
];

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for &(method, path, summary, callers, status) in OPERATIONS {
        let parameters: Vec<Value> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let operation = json!({
            "summary": summary,
            "description": format!("Who may call it: {callers}. Writes need an Idempotency-Key header."),
            "parameters": parameters,
            "responses": {
                status.to_string(): {"description": "success"},
                "default": {"description": "refusal", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Provincial exam registration", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "stable machine-readable code"},
                    "message": {"type": "string", "description": "for people"},
                },
            }},
        },
        "security": [{"bearer": []}],
    })
}

/// `GET /openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_exactly_the_registered_routes() {
        let source = include_str!("routes/mod.rs");
        let mut registered: Vec<(String, String)> = Vec::new();
        for piece in source.split(".route(").skip(1) {
            let path = piece
                .split('"')
                .nth(1)
                .expect("route path literal")
                .to_owned();
            let method = piece
                .split("web::")
                .nth(1)
                .expect("method")
                .split('(')
                .next()
                .expect("name")
                .to_owned();
            registered.push((method, path));
        }
        assert!(registered.len() >= 15, "parsed {registered:?}");
        let mut documented: Vec<(String, String)> = OPERATIONS
            .iter()
            .map(|(method, path, ..)| ((*method).to_owned(), (*path).to_owned()))
            .collect();
        registered.sort();
        documented.sort();
        assert_eq!(registered, documented);
        let document = document();
        assert_eq!(
            document["paths"]["/v1/candidates/{key}"]["get"]["parameters"][0]["name"],
            "key"
        );
    }
}
