//! Scale-out mode: a write reaching a node that does not own its shard is **redirected**
//! (HTTP 307, same method and body) to the node that does, as published in the Kafka
//! consumer group's offsets. Redirect rather than forward: the client (or the load
//! balancer) resends once and later requests for that candidate can go straight there,
//! and no node ever holds a second copy of someone else's request in flight.
//!
//! Handlers refuse such a write with 421 `shard_elsewhere` and the partition in a header;
//! this middleware looks the owner up (cached for a second) and rewrites the refusal into
//! the redirect. If the owner is not known yet (a rebalance is under way) the 421 stands,
//! with Retry-After: 1. Reads are never redirected: every node's projection follows every
//! partition.

use crate::error::{ApiError, PARTITION_HEADER};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::time::{Duration, Instant};
use storage::Partition;
use storage::kafka::NodeUrls;

/// How long a looked-up owner is trusted.
const OWNER_CACHE_SECONDS: u64 = 1;

/// The middleware.
pub async fn redirect(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(request).await?.map_into_boxed_body();
    let partition = response
        .headers()
        .get(PARTITION_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u32>().ok())
        .map(Partition::from_u32);
    let (Some(partition), Some(state)) = (partition, state) else {
        return Ok(response);
    };
    let Some(owner) = owner(&state, partition).await else {
        return Ok(response);
    };
    let (request, _) = response.into_parts();
    let owner = owner.public;
    let location = format!("{}{path_and_query}", owner.trim_end_matches('/'));
    let refusal = ApiError::new(
        StatusCode::TEMPORARY_REDIRECT,
        "shard_elsewhere",
        format!("this write belongs to the node at {owner}; resend it there"),
    );
    let mut redirect: HttpResponse = actix_web::ResponseError::error_response(&refusal);
    redirect.headers_mut().insert(
        actix_web::http::header::LOCATION,
        actix_web::http::header::HeaderValue::from_str(&location)
            .map_err(actix_web::error::ErrorInternalServerError)?,
    );
    Ok(ServiceResponse::new(request, redirect))
}

/// The owner of `partition`, as it published its URLs, each kept only if it is on
/// `--redirect-allow`: someone who can write the group's offsets could plant a URL that
/// receives bearer tokens and bodies (public) or signed node requests (internal).
pub(crate) async fn owner(state: &AppState, partition: Partition) -> Option<NodeUrls> {
    if let Some((urls, at)) = state.owners.get(&partition).map(|entry| entry.clone())
        && at.elapsed() < Duration::from_secs(OWNER_CACHE_SECONDS)
    {
        return urls;
    }
    let store = std::sync::Arc::clone(&state.store);
    let urls = web::block(move || store.owner_url(partition))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    let permitted = |url: &String| {
        let allowed = allowed(url, &state.redirect_allow);
        if !allowed {
            tracing::error!(%url, "not using the owner's URL: it is not on --redirect-allow");
        }
        allowed
    };
    let urls = urls
        .filter(|urls| permitted(&urls.public))
        .map(|urls| NodeUrls {
            internal: urls.internal.filter(|url| permitted(url)),
            ..urls
        });
    state
        .owners
        .insert(partition, (urls.clone(), Instant::now()));
    urls
}

/// Whether `url` starts with one of `prefixes` (all URLs when there are none).
pub fn allowed(url: &str, prefixes: &[String]) -> bool {
    prefixes.is_empty()
        || prefixes
            .iter()
            .any(|prefix| url.starts_with(prefix.as_str()))
}

#[cfg(test)]
mod tests {
    use super::allowed;

    /// Security audit item 6 (part): a URL planted in the group's offsets received
    /// redirected writes with their bearer tokens.
    #[test]
    fn item_6_redirects_go_only_to_allowed_owner_urls() {
        let prefixes = vec![
            "http://gateway-1:8080".to_owned(),
            "http://gateway-2:8080".to_owned(),
        ];
        assert!(allowed("http://gateway-2:8080", &prefixes));
        assert!(!allowed("http://attacker.example:8080", &prefixes));
        assert!(!allowed("https://gateway-3:8080", &prefixes));
        assert!(
            allowed("http://anything", &[]),
            "unset: any (warned at start)"
        );
    }
}
