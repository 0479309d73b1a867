//! `/openapi.json`, generated from the route table ([`crate::routes::table`]): each
//! handler's `#[utoipa::path]` states its parameters (with their patterns), request and
//! response bodies, security and admission class. Here only what all routes share: the
//! document's info, the security schemes, the `Idempotency-Key` convention, and the error
//! body every operation may answer with.

use actix_web::HttpResponse;
use actix_web::get;
use std::sync::LazyLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::AppExt as _;

/// A binary body (PDF, package): `type: string, format: binary`.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(#[allow(dead_code)] Vec<u8>);

/// The one refusal body of the API ([`crate::error::ApiError`]).
#[derive(ToSchema)]
#[allow(dead_code)] // described, built by `ApiError`
pub struct Error {
    /// Stable machine-readable code (`unknown_field`, `out_of_scope`, …).
    code: String,
    /// For people (Chinese or English).
    message: String,
    /// A waiting-room place, when the refusal comes with one (503 `queued`).
    #[schema(value_type = Option<Object>)]
    queue: Option<()>,
}

static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(build);

/// The document (built once, from the route table).
pub fn document() -> &'static OpenApi {
    &DOCUMENT
}

fn build() -> OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .configure(crate::routes::table)
        .split_for_parts();
    api.info.title = "Provincial exam registration".to_owned();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    api.info.description = Some(
        "Every write by a client takes an Idempotency-Key header: a retry with the same key \
         is answered as the first and changes nothing. Every refusal is an Error body with a \
         stable code."
            .to_owned(),
    );
    let components = api.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert("Error".to_owned(), Error::schema());
    let bearer = |description: &str| {
        let mut scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        scheme.description = Some(description.to_owned());
        RefOr::T(SecurityScheme::Http(scheme))
    };
    let signature = |header: &str, description: &str| {
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Header(
            ApiKeyValue::with_description(header, description),
        )))
    };
    components.security_schemes.insert(
        "candidate_session".to_owned(),
        bearer("a candidate's session (POST /v1/sessions/candidate…)"),
    );
    components.security_schemes.insert(
        "operator_session".to_owned(),
        bearer(
            "an operator's session (POST /v1/sessions/operator); its scope decides what it reaches",
        ),
    );
    components.security_schemes.insert(
        "provider_signature".to_owned(),
        signature(
            "Wechatpay-Signature",
            "the payment provider's RSA signature: WeChat Pay's headers, Alipay's `sign` or UnionPay's `signature` field",
        ),
    );
    components.security_schemes.insert(
        "identity_signature".to_owned(),
        signature(
            "X-Signature",
            "the identity provider's signature over the body",
        ),
    );
    components.security_schemes.insert(
        "node_signature".to_owned(),
        signature(
            crate::node_auth::SIGNATURE_HEADER,
            "another node of this deployment: signed over method, path, time, nonce and body",
        ),
    );
    for item in api.paths.paths.values_mut() {
        for operation in operations(item) {
            // A path parameter declared with its pattern (`KeyPath`, …) and the same one
            // inferred from the handler's `web::Path<String>`: the declared one stays.
            if let Some(parameters) = operation.parameters.as_mut() {
                let mut seen = std::collections::HashSet::new();
                parameters.retain(|parameter| match parameter {
                    RefOr::T(parameter) => seen.insert((
                        parameter.name.clone(),
                        serde_json::to_string(&parameter.parameter_in).unwrap_or_default(),
                    )),
                    RefOr::Ref(_) => true,
                });
            }
            // Handlers of two groups may share a name (`create_fee_order`): the id is
            // qualified by the group.
            if let (Some(tag), id) = (
                operation.tags.as_ref().and_then(|tags| tags.first()),
                &mut operation.operation_id,
            ) {
                *id = id.as_ref().map(|id| format!("{tag}_{id}"));
            }
            operation.responses.responses.insert(
                "default".to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description("refused: nothing was changed")
                        .content(
                            "application/json",
                            utoipa::openapi::ContentBuilder::new()
                                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                    "Error",
                                ))))
                                .build(),
                        )
                        .build(),
                ),
            );
        }
    }
    api
}

/// Every operation of a path item.
fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Every operation of a path item, with its method (lower case).
pub fn operations_of(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("get", item.get.as_ref()),
        ("put", item.put.as_ref()),
        ("post", item.post.as_ref()),
        ("delete", item.delete.as_ref()),
        ("patch", item.patch.as_ref()),
        ("head", item.head.as_ref()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
}

/// `GET /openapi.json`.
#[utoipa::path(
    tag = "health",
    summary = "This document",
    description = "Who may call it: anyone.",
    responses(
        (status = OK, description = "OpenAPI 3.1", body = Object),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[get("/openapi.json")]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::Kind;
    use crate::admission::gate::{Class, class_of};
    use actix_web::http::Method;
    use serde_json::Value;

    fn json() -> Value {
        serde_json::to_value(document()).expect("serialises")
    }

    #[test]
    fn every_route_states_its_responses_security_and_admission_class() {
        let document = json();
        let paths = document["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("item") {
                operations += 1;
                let name = format!("{method} {path}");
                assert!(operation["summary"].is_string(), "{name}: summary");
                let responses = operation["responses"].as_object().expect("responses");
                let success = responses
                    .iter()
                    .find(|(status, _)| status.starts_with('2'))
                    .unwrap_or_else(|| panic!("{name}: no success response"));
                assert!(
                    success.1["content"].is_object(),
                    "{name}: the success response states its body"
                );
                assert_eq!(
                    responses["default"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{name}: refusals"
                );
                assert!(operation["security"].is_array(), "{name}: security");
                let parameters: Vec<(String, String)> = operation["parameters"]
                    .as_array()
                    .map(|all| {
                        all.iter()
                            .map(|p| (p["name"].to_string(), p["in"].to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let unique: std::collections::BTreeSet<_> = parameters.iter().collect();
                assert_eq!(unique.len(), parameters.len(), "{name}: {parameters:?}");
                for segment in path.split('/').filter(|s| s.starts_with('{')) {
                    let wanted = segment.trim_matches(|c| c == '{' || c == '}');
                    let declared = operation["parameters"]
                        .as_array()
                        .and_then(|all| all.iter().find(|p| p["name"] == wanted))
                        .unwrap_or_else(|| panic!("{name}: {wanted} undeclared"));
                    assert_eq!(declared["in"], "path", "{name}");
                }
                let class = operation["x-admission"].as_str().unwrap_or_default();
                assert!(
                    Class::named(class).is_some(),
                    "{name}: x-admission {class:?}"
                );
            }
        }
        assert_eq!(operations, 118, "every route of the table is documented");
    }

    #[test]
    fn bodies_and_parameters_have_schemas_with_their_patterns() {
        let document = json();
        let capture = &document["paths"]["/v1/points/{point}/captures"]["post"];
        assert_eq!(
            capture["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CaptureRequest"
        );
        let point = capture["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|parameter| parameter["name"] == "point")
            .expect("point parameter");
        assert_eq!(point["in"], "path");
        let idempotency = capture["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|parameter| parameter["name"] == "Idempotency-Key")
            .expect("the idempotency header");
        assert_eq!(idempotency["in"], "header");
        assert_eq!(idempotency["required"], true);
        assert_eq!(idempotency["schema"]["pattern"], "^[A-Za-z0-9_-]{1,64}$");
        assert_eq!(point["schema"]["pattern"], "^[0-9]{6}-[0-9]{3}$");
        let candidate = &document["paths"]["/v1/candidates/{key}"]["get"];
        let keys: Vec<&Value> = candidate["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|parameter| parameter["name"] == "key")
            .collect();
        assert_eq!(keys.len(), 1, "one `key` parameter: {keys:?}");
        assert_eq!(keys[0]["schema"]["pattern"], "^[0-9a-f]{32}$");
        let schemas = &document["components"]["schemas"];
        for name in [
            "CandidateView",
            "CaptureRequest",
            "SessionView",
            "Error",
            "FormRequest",
        ] {
            assert!(schemas[name]["properties"].is_object(), "{name}");
        }
        assert_eq!(
            candidate["security"][0]["operator_session"],
            serde_json::json!([])
        );
        // Public routes say so: an empty requirement.
        assert_eq!(
            document["paths"]["/v1/sessions/operator"]["post"]["security"],
            serde_json::json!([{}])
        );
        let pdf = &document["paths"]["/v1/candidates/me/admission-ticket.pdf"]["get"];
        assert_eq!(
            pdf["responses"]["200"]["content"]["application/pdf"]["schema"]["$ref"],
            "#/components/schemas/Binary"
        );
        assert_eq!(schemas["Binary"]["format"], "binary");
        let ids: std::collections::BTreeSet<&str> = document["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().expect("item").values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        assert_eq!(ids.len(), 118, "operation ids are unique");
    }

    /// The classes the gate applied before the table stated them (matched on paths then).
    #[test]
    fn admission_classes_come_from_the_table() {
        let hashing = Class::Candidate(Kind::HashingWrite);
        let write = Class::Candidate(Kind::Write);
        let read = Class::Candidate(Kind::Read);
        for (method, pattern, class) in [
            (Method::PUT, "/v1/candidates/me/passwords", hashing),
            (Method::PUT, "/v1/candidates/me/form", hashing),
            (Method::PUT, "/v1/candidates/me/phone", hashing),
            (Method::POST, "/v1/candidates/me/declarations", hashing),
            (
                Method::DELETE,
                "/v1/candidates/me/declarations/{id}",
                hashing,
            ),
            (Method::PUT, "/v1/candidates/me/art-pe/{category}", hashing),
            (
                Method::DELETE,
                "/v1/candidates/me/art-pe/{category}",
                hashing,
            ),
            (
                Method::POST,
                "/v1/candidates/me/art-pe/{category}/fee-orders",
                write,
            ),
            (Method::POST, "/v1/candidates/me/fee-orders", write),
            (Method::POST, "/v1/candidates/me/pledge", write),
            (Method::GET, "/v1/candidates/me", read),
            (Method::GET, "/v1/candidates/me/admission-ticket.pdf", read),
            (
                Method::POST,
                "/v1/payments/{provider}/notify",
                Class::Exempt,
            ),
            (Method::POST, "/v1/identity/callback", Class::Exempt),
            (Method::POST, "/v1/sessions/candidate", Class::Exempt),
        ] {
            assert_eq!(
                class_of(&method, Some(pattern)),
                class,
                "{method} {pattern}"
            );
        }
        // No route matched: by method.
        assert_eq!(class_of(&Method::GET, None), read);
        assert_eq!(class_of(&Method::POST, Some("/nowhere")), write);
    }
}
