//! Callbacks from outside: payment providers' notifications and the identity provider's
//! real-person authentication results.
//!
//! Both are authenticated by an HMAC-SHA256 signature of the raw body under the provider's
//! configured key (`X-Signature`, hex), never by a session. A payment is applied exactly once
//! per provider transaction: the idempotency key is the transaction id, and the engine's own
//! ledger refuses a second application whatever order notifications arrive in. Each provider
//! gets the success body it expects, so it stops retrying.

use crate::app::payments;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use engine::candidate::{PaymentNotice, PaymentSource, Provider};
use engine::time::Timestamp;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A payment notification's body (after the provider-specific envelope is decoded).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentNotification {
    order_id: String,
    transaction_id: String,
    amount_fen: u32,
    paid_at_ms: i64,
}

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
    [Provider::WeChatPay, Provider::Alipay, Provider::UnionPay]
        .into_iter()
        .find(|provider| provider.name() == name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "provider_unknown",
                format!("no payment provider '{name}'"),
            )
        })
}

fn success_body(provider: Provider) -> HttpResponse {
    match provider {
        // WeChat Pay v3: 200 with a JSON code.
        Provider::WeChatPay => {
            HttpResponse::Ok().json(serde_json::json!({"code": "SUCCESS", "message": "成功"}))
        }
        // Alipay and UnionPay: the literal text.
        Provider::Alipay => HttpResponse::Ok()
            .content_type("text/plain")
            .body("success"),
        Provider::UnionPay => HttpResponse::Ok().content_type("text/plain").body("ok"),
    }
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
    summary = "Payment provider notification (HMAC-signed)",
    description = "Who may call it: payment provider.",
    params(
        ("provider" = String, Path, description = "wechat_pay, alipay or unionpay", pattern = "^(wechat_pay|alipay|unionpay)$"),
    ),
    request_body = crate::routes::payments::PaymentNotification,
    responses(
        (status = OK, description = "recorded (or recorded before): the provider's own acknowledgement, JSON for WeChat Pay, text for the others", body = String),
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
    let key = state.merchant_keys.get(&provider).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "provider_unknown",
            format!("{} is not configured", provider.name()),
        )
    })?;
    verify_signature(key, &request, &body)?;
    state.admission.admit_callback()?;
    let notification: PaymentNotification = crate::body::parse(&body)?;
    let notice = PaymentNotice {
        provider,
        order_id: notification.order_id,
        transaction_id: notification.transaction_id,
        amount_fen: notification.amount_fen,
        paid_at: Timestamp(notification.paid_at_ms),
        source: PaymentSource::Notification,
    };
    let outcome = payments::record_payment(&state, notice).await?;
    crate::metrics::payment_notification(provider.name(), outcome.label());
    Ok(success_body(provider))
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
