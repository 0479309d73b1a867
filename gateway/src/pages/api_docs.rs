//! `/api`: the API's reference for people, rendered from the same generated document that
//! `/openapi.json` serves (so it cannot say anything the route table does not): every
//! operation by group — who may call it, its parameters with their patterns and ranges, its
//! body and that body's limit, its answers — then every body's fields.

use super::layout::{page_of, respond};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{Markup, html};
use serde_json::Value;
use std::collections::BTreeMap;

/// The page, rendered once (the document does not change while the process runs).
static PAGE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| render(crate::openapi::served()).into_string());

/// `GET /api`.
pub async fn reference() -> HttpResponse {
    respond(StatusCode::OK, maud::PreEscaped(PAGE.clone()))
}

/// The reference page of `document`.
fn render(document: &Value) -> Markup {
    let mut groups: BTreeMap<String, Vec<(String, String, &Value)>> = BTreeMap::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let tag = operation["tags"][0].as_str().unwrap_or("other").to_owned();
            groups
                .entry(tag)
                .or_default()
                .push((method.to_uppercase(), path.clone(), operation));
        }
    }
    let schemas = document["components"]["schemas"].as_object();
    let body = html! {
        h1 { "接口文档 · API reference" }
        p {
            (document["info"]["description"].as_str().unwrap_or_default())
            " The machine-readable document: " a href="/openapi.json" { "/openapi.json" } " (OpenAPI 3.1)."
        }
        nav aria-label="接口分组" {
            ul class="api-index" {
                @for (tag, operations) in &groups {
                    li { a href={ "#" (tag) } { (tag) } " (" (operations.len()) ")" }
                }
                li { a href="#schemas" { "bodies" } }
            }
        }
        @for (tag, operations) in &groups {
            section aria-labelledby=(tag) {
                h2 id=(tag) { (tag) }
                @for (method, path, operation) in operations {
                    (operation_of(method, path, operation))
                }
            }
        }
        section aria-labelledby="schemas" {
            h2 id="schemas" { "Bodies" }
            @for (name, schema) in schemas.into_iter().flatten() {
                (schema_of(name, schema))
            }
        }
    };
    page_of("省级考试报名系统", "接口文档", body)
}

fn operation_of(method: &str, path: &str, operation: &Value) -> Markup {
    let parameters = operation["parameters"].as_array();
    let body = operation["requestBody"]["content"].as_object();
    html! {
        article class="api-operation" {
            h3 { code { (method) " " (path) } }
            p { (operation["summary"].as_str().unwrap_or_default()) }
            @if let Some(description) = operation["description"].as_str() {
                p { (description) }
            }
            p {
                "Credentials: "
                @let schemes = security_of(operation);
                @if schemes.is_empty() { "none" } @else { (schemes.join(" or ")) }
                " · admission class: " (operation["x-admission"].as_str().unwrap_or("—"))
            }
            @if let Some(parameters) = parameters.filter(|all| !all.is_empty()) {
                div class="api-scroll" tabindex="0" role="region" aria-label={ (method) " " (path) " parameters" } { table {
                    caption { "Parameters" }
                    thead { tr { th scope="col" { "name" } th scope="col" { "in" } th scope="col" { "required" } th scope="col" { "value" } th scope="col" { "meaning" } } }
                    tbody {
                        @for parameter in parameters {
                            tr {
                                td { code { (parameter["name"].as_str().unwrap_or_default()) } }
                                td { (parameter["in"].as_str().unwrap_or_default()) }
                                td { @if parameter["required"] == true { "yes" } @else { "no" } }
                                td { (type_of(&parameter["schema"])) }
                                td { (parameter["description"].as_str().unwrap_or_default()) }
                            }
                        }
                    }
                } }
            }
            @if let Some(body) = body {
                p {
                    "Body: "
                    @for (media, content) in body {
                        code { (media) } " " (type_of(&content["schema"])) " "
                    }
                    @if let Some(limit) = operation["x-body-limit-bytes"].as_u64() {
                        "(at most " (limit) " bytes)"
                    }
                }
            }
            div class="api-scroll" tabindex="0" role="region" aria-label={ (method) " " (path) " answers" } { table {
                caption { "Answers" }
                thead { tr { th scope="col" { "status" } th scope="col" { "meaning" } th scope="col" { "body" } } }
                tbody {
                    @for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                        tr {
                            td { (status) }
                            td { (response["description"].as_str().unwrap_or_default()) }
                            td {
                                @for (media, content) in response["content"].as_object().into_iter().flatten() {
                                    code { (media) } " " (type_of(&content["schema"])) " "
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

fn security_of(operation: &Value) -> Vec<String> {
    operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().cloned())
        .collect()
}

fn schema_of(name: &str, schema: &Value) -> Markup {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    html! {
        article class="api-schema" {
            h3 id={ "schema-" (name) } { code { (name) } }
            @if let Some(description) = schema["description"].as_str() { p { (description) } }
            @if let Some(properties) = schema["properties"].as_object() {
                div class="api-scroll" tabindex="0" role="region" aria-label={ (name) " fields" } { table {
                    caption { (name) " fields" }
                    thead { tr { th scope="col" { "field" } th scope="col" { "required" } th scope="col" { "value" } th scope="col" { "meaning" } } }
                    tbody {
                        @for (field, property) in properties {
                            tr {
                                td { code { (field) } }
                                td { @if required.contains(&field.as_str()) { "yes" } @else { "no" } }
                                td { (type_of(property)) }
                                td { (property["description"].as_str().unwrap_or_default()) }
                            }
                        }
                    }
                } }
            } @else {
                p { (type_of(schema)) }
            }
        }
    }
}

/// A schema in a few words: a link to a named body, or its type with its constraints.
fn type_of(schema: &Value) -> Markup {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(choices) = schema[combinator].as_array() {
            return html! {
                @for (index, choice) in choices.iter().enumerate() {
                    @if index > 0 { " | " }
                    (type_of(choice))
                }
            };
        }
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    };
    let mut notes = Vec::new();
    if let Some(values) = schema["enum"].as_array() {
        notes.push(format!(
            "one of {}",
            values
                .iter()
                .map(|value| value.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        notes.push(format!("matching {pattern}"));
    }
    if let (Some(low), Some(high)) = (schema.get("minimum"), schema.get("maximum")) {
        notes.push(format!("{low}–{high}"));
    }
    if let Some(format) = schema["format"].as_str() {
        notes.push(format.to_owned());
    }
    for (key, label) in [("minLength", "≥ chars"), ("maxLength", "≤ chars")] {
        if let Some(value) = schema[key].as_u64() {
            notes.push(format!("{label} {value}"));
        }
    }
    html! {
        (kind)
        @if kind.contains("array") { " of " (type_of(&schema["items"])) }
        @if !notes.is_empty() { " (" (notes.join("; ")) ")" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation and every body of the document is on the page.
    #[test]
    fn the_reference_shows_every_operation_and_body() {
        let document = crate::openapi::served();
        let page = render(document).into_string();
        let mut operations = 0;
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("item").keys() {
                operations += 1;
                let heading = format!("{} {}", method.to_uppercase(), path);
                assert!(
                    page.contains(&maud::html! { (heading) }.into_string()),
                    "{heading}"
                );
            }
        }
        assert!(operations > 100);
        for name in document["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
        {
            assert!(page.contains(&format!("id=\"schema-{name}\"")), "{name}");
        }
        assert!(page.contains("at most 262144 bytes"), "body limits shown");
    }
}
