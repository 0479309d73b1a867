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

/// The document as served: [`DOCUMENT`] with what utoipa leaves loose stated exactly.
static SERVED: LazyLock<serde_json::Value> = LazyLock::new(|| {
    let mut json = serde_json::to_value(document()).unwrap_or_default();
    each_object(&mut json, &mut |object| {
        integer_ranges(object);
        map_keys_are_text(object);
        tagged_variants(object);
    });
    server_sent_events(&mut json);
    json
});

/// The document (built once, from the route table).
pub fn document() -> &'static OpenApi {
    &DOCUMENT
}

/// The document as `/openapi.json` serves it.
pub fn served() -> &'static serde_json::Value {
    &SERVED
}

/// Calls `visit` on every object of `json`, outermost first.
fn each_object(
    json: &mut serde_json::Value,
    visit: &mut impl FnMut(&mut serde_json::Map<String, serde_json::Value>),
) {
    match json {
        serde_json::Value::Object(object) => {
            visit(object);
            object
                .values_mut()
                .for_each(|value| each_object(value, visit));
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|value| each_object(value, visit))
        }
        _ => {}
    }
}

/// A map keyed by numbers (`BTreeMap<u32, _>`) has JSON keys that are strings of digits;
/// utoipa says `propertyNames: integer`, which no JSON object satisfies.
fn map_keys_are_text(object: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::Value;
    if let Some(names) = object.get_mut("propertyNames")
        && names.get("type").and_then(Value::as_str) == Some("integer")
    {
        *names = serde_json::json!({"type": "string", "pattern": "^[0-9]+$"});
    }
}

/// serde's externally tagged enum variant (`{"only": [...]}`) is an object with exactly
/// its one key; utoipa leaves other keys allowed, which serde refuses.
fn tagged_variants(object: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::Value;
    if let Some(Value::Array(variants)) = object.get_mut("oneOf") {
        for variant in variants.iter_mut().filter_map(Value::as_object_mut) {
            let one_key = variant
                .get("required")
                .and_then(Value::as_array)
                .map(Vec::len)
                == Some(1)
                && variant
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.len())
                    == Some(1);
            if one_key {
                variant
                    .entry("additionalProperties")
                    .or_insert(Value::Bool(false));
            }
        }
    }
}

/// A `text/event-stream` response's declared body is what each event's `data` holds (JSON);
/// the document states the event itself: `event` and `data`, with the body as the data's
/// content schema (JSON Schema's `contentMediaType`/`contentSchema`).
fn server_sent_events(json: &mut serde_json::Value) {
    let Some(paths) = json
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(serde_json::Value::as_object_mut)
            else {
                continue;
            };
            for response in responses.values_mut() {
                if let Some(stream) = response.pointer_mut("/content/text~1event-stream")
                    && let Some(data) = stream.get("schema").cloned()
                {
                    stream["schema"] = serde_json::json!({
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "event": {"type": "string"},
                            "id": {"type": "string"},
                            "data": {
                                "type": "string",
                                "contentMediaType": "application/json",
                                "contentSchema": data,
                            },
                        },
                    });
                }
            }
        }
    }
}

/// States each integer's range from its Rust type (utoipa's `non_strict_integers` names it
/// in `format`: `u-int16`, `int64`, …): without `maximum`, a client may send 70,000 to a
/// `u16` field that the server then refuses. A range the code already states (`minimum =
/// 1`) is kept.
fn integer_ranges(object: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::Value;
    // utoipa spells the unsigned ones `u-int8`…: written back as the usual `uint8`.
    if let Some(Value::String(format)) = object.get_mut("format")
        && format.starts_with("u-int")
    {
        *format = format.replacen("u-int", "uint", 1);
    }
    // `usize` and `isize` come without a format: 64 bits here.
    let is_integer = object.get("type").and_then(Value::as_str) == Some("integer");
    if is_integer && !object.contains_key("format") {
        let unsigned = object.get("minimum").and_then(Value::as_i64) == Some(0);
        object.insert(
            "format".to_owned(),
            Value::from(if unsigned { "uint64" } else { "int64" }),
        );
    }
    let range: Option<(i128, i128)> = match object.get("format").and_then(Value::as_str) {
        Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
        Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
        Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
        Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
        Some("uint8") => Some((0, u8::MAX.into())),
        Some("uint16") => Some((0, u16::MAX.into())),
        Some("uint32") => Some((0, u32::MAX.into())),
        Some("uint64") => Some((0, u64::MAX.into())),
        _ => None,
    };
    if let Some((low, high)) = range {
        let number =
            |value: i128| serde_json::from_str::<Value>(&value.to_string()).unwrap_or(Value::Null);
        object.entry("minimum").or_insert_with(|| number(low));
        object.entry("maximum").or_insert_with(|| number(high));
    }
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
    for (path_name, item) in api.paths.paths.iter_mut() {
        let path_name = path_name.clone();
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
            if let Some(limit) = body_limit(&path_name, operation) {
                operation
                    .extensions
                    .get_or_insert_with(Default::default)
                    .insert("x-body-limit-bytes".to_owned(), serde_json::json!(limit));
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

/// The most a request body may hold, by how the handler reads it: a CSV import, a county
/// package (streamed to disk), a callback or optional body read as raw bytes (the
/// `PayloadConfig` limit), or a JSON body ([`crate::body::Json`]). Beyond it: 413
/// `body_too_large`, nothing read further.
fn body_limit(path: &str, operation: &Operation) -> Option<usize> {
    let RefOr::T(body) = operation.request_body.as_ref()? else {
        return None;
    };
    let signed = operation.security.as_ref().is_some_and(|requirements| {
        serde_json::to_string(requirements).is_ok_and(|text| {
            text.contains("provider_signature") || text.contains("identity_signature")
        })
    });
    Some(if body.content.contains_key("text/csv") {
        crate::routes::imports::MAX_IMPORT_BYTES
    } else if body.content.contains_key("application/octet-stream") {
        crate::routes::packages::MAX_PACKAGE_BYTES
    } else if signed
        || path.starts_with("/v1/sandbox/")
        || body.required != Some(utoipa::openapi::Required::True)
    {
        crate::MAX_CALLBACK_BYTES
    } else {
        crate::MAX_JSON_BYTES
    })
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
    HttpResponse::Ok().json(served())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::Kind;
    use crate::admission::gate::{Class, class_of};
    use actix_web::http::Method;
    use serde_json::Value;

    fn json() -> Value {
        served().clone()
    }

    /// Two types may not share a schema name (the second would silently replace the first
    /// in `components`): types of the same name are renamed with `#[schema(as = …)]`.
    #[test]
    fn schema_names_are_unique() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("src"), root.join("../engine/src")];
        let mut names = std::collections::BTreeMap::<String, String>::new();
        while let Some(directory) = stack.pop() {
            for entry in std::fs::read_dir(&directory).expect("readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).expect("source");
                for derived in source.split("ToSchema").skip(1) {
                    let declaration = derived
                        .lines()
                        .find(|line| line.contains("pub struct ") || line.contains("pub enum "));
                    let Some(declaration) = declaration else {
                        continue;
                    };
                    let before = &derived[..derived.find(declaration).unwrap_or(0)];
                    let name = match before.split("schema(as = ").nth(1) {
                        Some(renamed) => renamed.split(')').next().unwrap_or_default(),
                        None => declaration
                            .split_whitespace()
                            .skip_while(|word| *word != "struct" && *word != "enum")
                            .nth(1)
                            .unwrap_or_default()
                            .trim_end_matches(|c: char| !c.is_alphanumeric()),
                    };
                    let place = path.display().to_string();
                    if let Some(first) = names.insert(name.to_owned(), place.clone()) {
                        panic!("schema {name} in {first} and {place}");
                    }
                }
            }
        }
        assert!(names.len() > 80, "parser sanity: {}", names.len());
    }

    /// Each route file's handlers as source text, each from its `#[utoipa::path(` on.
    fn handler_sources() -> Vec<(std::path::PathBuf, Vec<String>)> {
        let routes = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        std::fs::read_dir(routes)
            .expect("routes")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let source = std::fs::read_to_string(&path).expect("source");
                let handlers = source
                    .split("#[utoipa::path(")
                    .skip(1)
                    .map(str::to_owned)
                    .collect();
                (path, handlers)
            })
            .collect()
    }

    /// Every body's limit is stated, and it is the one its handler's extractor applies: raw
    /// bytes (`web::Bytes`, the payload limit) or the JSON extractor.
    #[test]
    fn every_body_states_the_limit_its_handler_applies() {
        let document = json();
        let mut checked = 0;
        for (_, handlers) in handler_sources() {
            for handler in handlers {
                let Some(route) = ["get", "put", "post", "delete"].iter().find_map(|method| {
                    let marker = format!("#[{method}(\"");
                    let start = handler.find(&marker)? + marker.len();
                    let path = &handler[start..start + handler[start..].find('"')?];
                    Some((*method, path.to_owned()))
                }) else {
                    continue;
                };
                let signature = handler
                    .split("pub async fn")
                    .nth(1)
                    .and_then(|rest| rest.split(") ->").next())
                    .unwrap_or_default();
                let operation = &document["paths"][&route.1][route.0];
                if operation.is_null() {
                    continue; // not in the public table (the admin listener's)
                }
                let limit = &operation["x-body-limit-bytes"];
                if signature.contains("web::Bytes") {
                    assert_eq!(limit, crate::MAX_CALLBACK_BYTES, "{route:?}");
                    checked += 1;
                } else if signature.contains("crate::body::Json<") {
                    assert_eq!(limit, crate::MAX_JSON_BYTES, "{route:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "parser sanity: {checked}");
        let package = &document["paths"]["/v1/imports/county-package"]["post"];
        assert_eq!(
            package["x-body-limit-bytes"],
            crate::routes::packages::MAX_PACKAGE_BYTES
        );
    }

    /// A handler that needs an `Idempotency-Key` says so in its `#[utoipa::path]`.
    #[test]
    fn handlers_taking_an_idempotency_key_document_it() {
        let mut checked = 0;
        for (path, handlers) in handler_sources() {
            for handler in handlers {
                if handler.contains("idempotency_key(&request)") {
                    checked += 1;
                    assert!(
                        handler.contains("IdempotencyKey"),
                        "{}: {}",
                        path.display(),
                        handler.lines().take(3).collect::<Vec<_>>().join(" ")
                    );
                }
            }
        }
        assert!(checked > 40, "parser sanity: {checked}");
    }

    /// Every integer in the document states both ends of its range.
    #[test]
    fn every_integer_states_its_range() {
        fn walk(value: &Value, at: &str, integers: &mut usize) {
            match value {
                Value::Object(object) => {
                    let is_integer = match &object.get("type") {
                        Some(Value::String(kind)) => kind == "integer",
                        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "integer"),
                        _ => false,
                    };
                    if is_integer {
                        *integers += 1;
                        assert!(
                            object.contains_key("minimum") && object.contains_key("maximum"),
                            "{at}: {value}"
                        );
                    }
                    for (key, inner) in object {
                        walk(inner, &format!("{at}/{key}"), integers);
                    }
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, at, integers)),
                _ => {}
            }
        }
        let mut integers = 0;
        walk(&json(), "", &mut integers);
        assert!(integers > 50, "parser sanity: {integers} integers");
        let pause =
            &json()["components"]["schemas"]["PauseRequest"]["properties"]["retry_after_seconds"];
        assert_eq!(pause["maximum"], u32::MAX, "{pause}");
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
                assert_eq!(
                    success.1["content"].is_object(),
                    success.0 != "204",
                    "{name}: the success response states its body (204: none)"
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
        assert_eq!(operations, 117, "every route of the table is documented");
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
        assert_eq!(ids.len(), 117, "operation ids are unique");
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
        // A route's path with a method it does not take: straight to the 405.
        assert_eq!(
            class_of(&Method::TRACE, Some("/v1/sessions/candidate")),
            Class::Exempt
        );
        // No route matched: by method.
        assert_eq!(class_of(&Method::GET, None), read);
        assert_eq!(class_of(&Method::POST, Some("/nowhere")), write);
    }
}
