//! JSON request bodies, refused precisely: `malformed_json` (not JSON), `unknown_field` (a
//! field the request does not have — every body type denies unknown fields),
//! `invalid_field` (a field of the wrong type or value), `body_too_large`, `content_type`.
//!
//! The body is parsed to a generic value first (syntax), then deserialized into the request
//! type through a deserializer whose error type is ours, so serde tells us *which* kind of
//! mistake it was (its `unknown_field` constructor) instead of our searching its message.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::fmt;

/// Why a parsed JSON value did not fit the request type.
#[derive(Debug)]
enum FieldError {
    /// A field the type does not have.
    Unknown(String),
    /// Anything else: a missing field, a wrong type, a value out of range.
    Invalid(String),
}

impl fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::Unknown(message) | FieldError::Invalid(message) => {
                formatter.write_str(message)
            }
        }
    }
}

impl std::error::Error for FieldError {}

impl serde::de::Error for FieldError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        FieldError::Invalid(message.to_string())
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        FieldError::Unknown(if expected.is_empty() {
            format!("unknown field `{field}`: this request has no fields")
        } else {
            format!(
                "unknown field `{field}`, expected one of: {}",
                expected.join(", ")
            )
        })
    }
}

/// Parses `bytes` as a `T`, refusing with the specific code.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Straight into the generic value (one pass over the bytes, no JSON tree in between).
    let mut value: serde_value::Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::bad_request("malformed_json", error.to_string()))?;
    whole_numbers(&mut value);
    T::deserialize(serde_value::ValueDeserializer::<FieldError>::new(value)).map_err(|error| {
        match error {
            FieldError::Unknown(message) => ApiError::bad_request("unknown_field", message),
            FieldError::Invalid(message) => {
                ApiError::bad_request("invalid_field", crate::error::plain(&message))
            }
        }
    })
}

/// JSON has one kind of number: `21.0` *is* the integer 21 (JSON Schema says so, and the
/// document's `integer` fields are generated that way by clients such as schemathesis),
/// but serde's integer types refuse a float. Whole floats in the integer range become
/// integers; fractions stay floats (and are refused by integer fields, as they should be).
fn whole_numbers(value: &mut serde_value::Value) {
    use serde_value::Value;
    match value {
        Value::F64(number) if number.fract() == 0.0 => {
            // Exactly representable: |n| ≤ 2^53 (a float past it names many integers).
            const EXACT: f64 = 9_007_199_254_740_992.0;
            if (0.0..=EXACT).contains(number) {
                *value = Value::U64(*number as u64);
            } else if (-EXACT..0.0).contains(number) {
                *value = Value::I64(*number as i64);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(whole_numbers),
        Value::Map(map) => {
            // Keys are strings in JSON; only values can be numbers.
            map.values_mut().for_each(whole_numbers)
        }
        Value::Option(Some(inner)) | Value::Newtype(inner) => whole_numbers(inner),
        _ => {}
    }
}

/// An optional body (DELETE requests that may carry one): empty means the default.
/// `null` is no body too (the document states such a body as nullable).
pub fn parse_optional<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii().is_empty() || bytes.trim_ascii() == b"null" {
        return Ok(T::default());
    }
    parse(bytes)
}

/// A request body as its chunks arrive, at most [`crate::MAX_JSON_BYTES`].
pub struct Collector {
    bytes: web::BytesMut,
}

impl Collector {
    /// For a body announcing `expected_length` bytes (its `Content-Length`).
    pub fn new(expected_length: Option<usize>) -> Self {
        // Reserved once from the announced length (capped by the limit, so a lying header
        // costs nothing more): a 40 KiB capture is not copied again at every doubling.
        Collector {
            bytes: web::BytesMut::with_capacity(
                expected_length.unwrap_or(0).min(crate::MAX_JSON_BYTES),
            ),
        }
    }

    /// Adds the next chunk; refuses once the body is larger than the limit (before it is all
    /// read).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        if self.bytes.len() + chunk.len() > crate::MAX_JSON_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!(
                    "a request body may be at most {} bytes",
                    crate::MAX_JSON_BYTES
                ),
            ));
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub fn finish(self) -> web::BytesMut {
        self.bytes
    }
}

/// The JSON body extractor of every route (in place of actix's, whose errors are only
/// messages): `application/json`, at most [`crate::MAX_JSON_BYTES`], refused as above.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = request
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        let expected_length = request
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        let mut stream = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content_type",
                    "send the body as application/json",
                )
                .into());
            }
            use futures::StreamExt as _;
            let mut body = Collector::new(expected_length);
            while let Some(chunk) = stream.next().await {
                body.push(&chunk.map_err(|error| {
                    ApiError::bad_request("body_unreadable", error.to_string())
                })?)?;
            }
            let bytes = body.finish();
            Ok(Json(parse(&bytes)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Order {
        provider: String,
        amount_fen: u32,
        note: Option<String>,
    }

    #[test]
    fn each_kind_of_mistake_has_its_code() {
        let code = |body: &str| {
            parse::<Order>(body.as_bytes())
                .err()
                .map(|error| error.code)
        };
        assert_eq!(
            parse::<Order>(br#"{"provider":"alipay","amount_fen":2000}"#).ok(),
            Some(Order {
                provider: "alipay".into(),
                amount_fen: 2000,
                note: None
            })
        );
        assert_eq!(
            parse::<Order>(br#"{"provider":"alipay","amount_fen":2000,"note":null}"#)
                .ok()
                .and_then(|order| order.note),
            None
        );
        assert_eq!(code(r#"{"provider":"alipay""#), Some("malformed_json"));
        assert_eq!(code("not json"), Some("malformed_json"));
        assert_eq!(
            code(r#"{"provider":"alipay","amount_fen":2000,"tip":1}"#),
            Some("unknown_field")
        );
        assert_eq!(
            code(r#"{"provider":"alipay","amount_fen":-1}"#),
            Some("invalid_field")
        );
        assert_eq!(code(r#"{"provider":"alipay"}"#), Some("invalid_field"));
        assert_eq!(
            code(r#"{"provider":3,"amount_fen":1}"#),
            Some("invalid_field")
        );
        // 2000.0 is the integer 2000 in JSON; 2000.5 is not an integer; 1e300 is out of range.
        assert_eq!(
            parse::<Order>(br#"{"provider":"alipay","amount_fen":2000.0}"#)
                .ok()
                .map(|order| order.amount_fen),
            Some(2000)
        );
        assert_eq!(
            code(r#"{"provider":"alipay","amount_fen":2000.5}"#),
            Some("invalid_field")
        );
        assert_eq!(
            code(r#"{"provider":"alipay","amount_fen":1e300}"#),
            Some("invalid_field")
        );
        assert_eq!(
            parse::<Order>(br#"{"provider":"alipay","amount_fen":-0.0}"#)
                .ok()
                .map(|order| order.amount_fen),
            Some(0)
        );
    }
}
