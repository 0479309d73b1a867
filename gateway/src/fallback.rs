//! What a request that no route matched is told: `405 Method Not Allowed` with `Allow` when
//! its path is an API route's with other methods, else `404` — both in the API's one error
//! shape (`method_not_allowed`, `route_not_found`). The API's paths and methods come from
//! the generated document, so this cannot drift from the route table.

use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::sync::LazyLock;

/// Every API path pattern, split into segments (`{…}` matches any one segment), with its
/// methods.
static ROUTES: LazyLock<Vec<(Vec<String>, Vec<&'static str>)>> = LazyLock::new(|| {
    crate::openapi::document()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, present)| present.then_some(name))
            .collect();
            (segments(path), methods)
        })
        .collect()
});

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

fn matches(pattern: &[String], path: &[&str]) -> bool {
    pattern.len() == path.len()
        && pattern.iter().zip(path).all(|(expected, actual)| {
            (expected.starts_with('{') && !actual.is_empty()) || expected == actual
        })
}

/// The methods the API takes at `path`, if any route has that path. Where patterns overlap
/// (`…/art-pe/exam-ticket.pdf` and `…/art-pe/{category}`), the one naming more of the path
/// literally is the path's: the route table puts it first, so it is the one that answers.
pub fn allowed(path: &str) -> Vec<&'static str> {
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    let matching: Vec<&(Vec<String>, Vec<&'static str>)> = ROUTES
        .iter()
        .filter(|(pattern, _)| matches(pattern, &path))
        .collect();
    let parameters = |pattern: &[String]| {
        pattern
            .iter()
            .filter(|segment| segment.starts_with('{'))
            .count()
    };
    let fewest = matching
        .iter()
        .map(|(pattern, _)| parameters(pattern))
        .min();
    let mut methods: Vec<&'static str> = matching
        .iter()
        .filter(|(pattern, _)| Some(parameters(pattern)) == fewest)
        .flat_map(|(_, methods)| methods.iter().copied())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// The default service.
pub async fn answer(request: HttpRequest) -> HttpResponse {
    let methods = allowed(request.path());
    if methods.is_empty() {
        return not_found(request).await;
    }
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not taken here; this path takes {}",
            request.method(),
            methods.join(", ")
        ),
    )
    .error_response();
    if let Ok(value) = HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// 404 `route_not_found` (the admin listener's default service: it has no public routes).
pub async fn not_found(request: HttpRequest) -> HttpResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("no route {}", request.path()),
    )
    .error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_methods_and_parameters_match_one_segment() {
        assert_eq!(allowed("/v1/admission"), ["GET", "PUT"]);
        assert_eq!(
            allowed("/v1/candidates/00112233445566778899aabbccddeeff"),
            ["GET"]
        );
        assert_eq!(
            allowed("/v1/adult/cities/4301/report"),
            ["DELETE", "GET", "POST"]
        );
        assert!(allowed("/v1/candidates/a/b/c/d").is_empty());
        // The literal route is the path's, not the parameterised one beside it.
        assert_eq!(allowed("/v1/candidates/me/art-pe/exam-ticket.pdf"), ["GET"]);
        assert_eq!(allowed("/v1/candidates/me/art-pe/music"), ["DELETE", "PUT"]);
        assert!(allowed("/nothing").is_empty());
    }
}
