//! Callbacks from outside: payment providers' notifications, the identity provider's
//! real-person authentication results, and (demo only) the payment sandbox.
//!
//! Notifications arrive in each provider's own format and are verified by its module
//! (`providers::{wechat_pay, alipay, unionpay}`: RSA signatures by keys and certificates from
//! the payments file), never by a session; each is answered the way its provider expects,
//! accepted or refused. A payment is applied exactly once per provider transaction: the
//! idempotency key is the transaction id, and the engine's own ledger refuses a second
//! application whatever order notifications arrive in. The identity provider signs its
//! callbacks with an HMAC-SHA256 of the body (`X-Signature`, hex).

use crate::app::payments;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::candidate::Provider;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// An identity provider's callback body: the verification ticket it was given, the result,
/// its own reference, and the SHA-256 (hex) of the ID number it verified.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityCallback {
    verification: String,
    passed: bool,
    reference: String,
    id_number_sha256: String,
}

/// The acknowledgement of a callback.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Acknowledged {
    /// `SUCCESS`.
    code: &'static str,
}

/// Checks the `X-Signature` header: hex HMAC-SHA256 of the raw body under `key`.
pub(crate) fn verify_signature(
    key: &[u8],
    request: &HttpRequest,
    body: &[u8],
) -> Result<(), ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signature_invalid",
            "the notification's signature does not verify",
        )
    };
    let signature = request
        .headers()
        .get("X-Signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid)?;
    let bytes = hex::decode(signature).map_err(|_| invalid())?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| invalid())?;
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&bytes).map_err(|_| invalid())
}

fn provider_named(name: &str) -> Result<Provider, ApiError> {
    crate::providers::named(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "provider_unknown",
            format!("no payment provider '{name}'"),
        )
    })
}

/// A callback's raw body. A body over [`crate::MAX_CALLBACK_BYTES`] gets the API's JSON 413
/// (actix-web's own refusal is `text/plain`, which providers and clients cannot parse).
pub fn callback_body(body: Result<web::Bytes, actix_web::Error>) -> Result<web::Bytes, ApiError> {
    body.map_err(|error| {
        let status = error.as_response_error().status_code();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "body_too_large",
                format!(
                    "callback bodies are at most {} bytes",
                    crate::MAX_CALLBACK_BYTES
                ),
            )
        } else {
            ApiError::bad_request("malformed_body", "the body could not be read")
        }
    })
}

/// `POST /v1/payments/{provider}/notify`.
#[utoipa::path(
    tag = "payments",
    summary = "Payment provider notification, in the provider's own format",
    description = "Who may call it: payment provider. WeChat Pay API v3 (JSON, `Wechatpay-Signature`/`-Serial`/`-Timestamp`/`-Nonce` headers, encrypted resource), Alipay (form, RSA2 `sign`), UnionPay 5.1.0 (form, `signature` and `signPubKeyCert`). Answered in the provider's format: accepted (200) or refused (4xx, 5xx when retrying may help), so the provider retries or stops as it documents.",
    params(
        ("provider" = String, Path, description = "wechat_pay, alipay or unionpay", pattern = "^(wechat_pay|alipay|unionpay)$"),
    ),
    request_body(content = String, description = "the provider's notification, as it sends it", content_type = "application/json"),
    responses(
        (status = OK, description = "recorded (or recorded before): the provider's own acknowledgement, JSON for WeChat Pay, text for the others", content((Object = "application/json"), (String = "text/plain"))),
        (status = BAD_REQUEST, description = "refused (malformed, another merchant, not paid, unknown order, wrong amount): the provider's failure answer", content((Object = "application/json"), (String = "text/plain"))),
        (status = UNAUTHORIZED, description = "refused (no signature, a signature that does not verify, an unknown key or certificate, stale): the provider's failure answer", content((Object = "application/json"), (String = "text/plain"))),
        (status = SERVICE_UNAVAILABLE, description = "not recorded now: the provider's failure answer; it retries", content((Object = "application/json"), (String = "text/plain"))),
    ),
    security(("provider_signature" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/payments/{provider}/notify")]
pub async fn notify(
    state: web::Data<AppState>,
    request: HttpRequest,
    provider: web::Path<String>,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = callback_body(body)?;
    let provider = provider_named(&provider)?;
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let answer = payments::notified(&state, provider, &header, &body).await?;
    Ok(answered(answer))
}

/// The provider's answer as an HTTP response.
fn answered(answer: crate::providers::Answer) -> HttpResponse {
    HttpResponse::build(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    )
    .content_type(answer.content_type)
    .body(answer.body)
}

/// A sandbox payment's options.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxPay {
    /// Send the notification (default true; false leaves it for reconciliation to find).
    #[serde(default = "yes")]
    notify: bool,
}

fn yes() -> bool {
    true
}

/// `POST /v1/sandbox/orders/{order_id}/pay` (demo only).
#[utoipa::path(
    tag = "payments",
    summary = "Pay an order in the demo's payment sandbox (沙箱: no money moves)",
    description = "Who may call it: anyone holding the order number, as with a provider's QR code; only in the demo. The sandbox sends the provider's own notification, signed with the sandbox's published key, through the same verification and recording as a real one.",
    params(
        ("order_id" = String, Path, description = "our order number", pattern = "^[A-Z0-9]{1,32}$"),
    ),
    request_body(content = crate::routes::payments::SandboxPay, description = "optional"),
    responses(
        (status = OK, description = "paid in the sandbox", body = crate::app::payments::SandboxPayment),
    ),
    security(()),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/sandbox/orders/{order_id}/pay")]
pub async fn sandbox_pay(
    state: web::Data<AppState>,
    order_id: web::Path<String>,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = callback_body(body)?;
    let options: SandboxPay = if body.is_empty() {
        SandboxPay { notify: true }
    } else {
        crate::body::parse(&body)?
    };
    let paid = payments::sandbox_pay(&state, &order_id, options.notify).await?;
    Ok(HttpResponse::Ok().json(paid))
}

/// `POST /v1/identity/callback`.
#[utoipa::path(
    tag = "payments",
    summary = "Real-person authentication result (HMAC-signed)",
    description = "Who may call it: identity provider.",
    request_body = crate::routes::payments::IdentityCallback,
    responses(
        (status = OK, description = "recorded", body = crate::routes::payments::Acknowledged),
    ),
    security(("identity_signature" = [])),
    extensions(("x-admission" = json!("exempt"))),
)]
#[post("/v1/identity/callback")]
pub async fn identity_callback(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = callback_body(body)?;
    verify_signature(&state.identity_key, &request, &body)?;
    state.admission.admit_callback()?;
    let callback: IdentityCallback = crate::body::parse(&body)?;
    payments::record_identity_result(
        &state,
        &callback.verification,
        callback.passed,
        callback.reference,
        &callback.id_number_sha256,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Acknowledged { code: "SUCCESS" }))
}
