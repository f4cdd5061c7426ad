//! One JSON error envelope for every failure: `{"error": {"code": "...", "message": "..."}}`.
//!
//! Codes are stable snake_case words clients can branch on; messages are for people and
//! say what was wrong with the request. Internals (store errors, supplier answers, panics)
//! are logged, never sent.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use utoipa::ToSchema;

use crate::orders::OrderError;

/// An API failure that renders as the error envelope.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Whole seconds for `Retry-After`; a 503 without one says 1.
    pub retry_after: Option<u64>,
}

/// The error envelope's body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable word to branch on, such as `unknown_location` or `unauthorized`.
    pub code: String,
    /// What was wrong, for a person.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// 429, with the wait rounded up to whole seconds (at least one) in `Retry-After`.
    pub fn rate_limited(wait: Duration, message: impl Into<String>) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(
                http.status = self.status.as_u16(),
                error.code = self.code,
                "request failed"
            );
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        let retry_after = self
            .retry_after
            .or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(1));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// Malformed or mistyped JSON becomes the envelope with serde's precise description
/// (which field, which line), so the caller can fix the request.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(error) => ApiError::unprocessable(format!(
                "request body does not match the schema: {}",
                error.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            )),
            JsonRejection::JsonSyntaxError(error) => ApiError::bad_request(
                "malformed_json",
                format!(
                    "request body is not valid JSON: {}",
                    error
                        .body_text()
                        .trim_start_matches("Failed to parse the request body as JSON: ")
                ),
            ),
            JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
            // The same answer as a raw body gets: 413 only when the body is too large.
            JsonRejection::BytesRejection(rejection) => ApiError::from(rejection),
            other => ApiError::bad_request("invalid_body", other.body_text()),
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(error: OrderError) -> Self {
        let message = error.to_string();
        match error {
            OrderError::Invalid(_) => ApiError::unprocessable(message),
            OrderError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            OrderError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no order with this binoTransactionId",
            ),
            OrderError::SupplierRejected(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "supplier_rejected", message)
            }
            OrderError::Unavailable(_) => ApiError::unavailable(message),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::bad_request(
            "invalid_path",
            "the path holds characters that are not valid here",
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        ApiError::bad_request(
            "invalid_query",
            "the query string could not be read; give each parameter once",
        )
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "request body is over this route's size limit",
            )
        } else {
            ApiError::bad_request("body_unreadable", "request body could not be read")
        }
    }
}

/// The raw request body, whose rejections are [`ApiError`]s; for webhooks, whose
/// signatures cover the exact bytes.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(ApiBytes)
            .map_err(ApiError::from)
    }
}

/// `axum::extract::Path` whose rejections are [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` whose rejections are [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::Json` whose rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !has_json_content_type(request.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = Bytes::from_request(request, state).await?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            // serde_json files some type mismatches (a number where a name of a fixed set
            // belongs) under syntax; valid JSON of the wrong shape is the caller's schema
            // mistake, not malformed JSON.
            Err(JsonRejection::JsonSyntaxError(error)) if is_valid_json(&bytes) => {
                Err(ApiError::unprocessable(format!(
                    "request body does not match the schema: {}",
                    error
                        .body_text()
                        .trim_start_matches("Failed to parse the request body as JSON: ")
                )))
            }
            Err(rejection) => Err(rejection.into()),
        }
    }
}

/// Whether `bytes` are JSON text: UTF-8 (which skipping a value does not check) and
/// well formed.
fn is_valid_json(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| serde_json::from_str::<IgnoredAny>(text).is_ok())
}

/// `application/json` or any `application/*+json`, as `axum::Json` accepts.
fn has_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json"
                    || mime.suffix().is_some_and(|suffix| suffix == "json"))
        })
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON with Content-Type: application/json",
    )
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
