//! `GET|POST /whatsapp/webhook`: Meta's verification handshake and message deliveries.
//!
//! A delivery is checked against `X-Hub-Signature-256` on the bytes as received, appended
//! to the WhatsApp inbox as they are, and answered 200; the parse and all the work happen
//! in `jobs::whatsapp`. Meta retries anything not answered 200 for days, so the answer is
//! 200 only once the body is stored, 503 when it could not be, and a 4xx only for a body
//! that no retry could make acceptable.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{ApiBytes, ApiError, ApiQuery};
use crate::app::App;
use crate::jobs::whatsapp;
use crate::whatsapp::signature::SignatureError;

/// Meta sends at most 3 MB per delivery.
pub const MAX_WEBHOOK_BYTES: usize = 3 * 1024 * 1024;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/whatsapp/webhook",
            get(verify_subscription).post(receive_delivery),
        )
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
}

#[derive(Deserialize)]
pub(super) struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Answers Meta's subscription check by echoing the challenge.
#[utoipa::path(
    get, path = "/whatsapp/webhook", tag = "webhooks",
    params(
        ("hub.mode" = String, Query, description = "Always `subscribe`"),
        ("hub.verify_token" = String, Query, description = "The secret set in BINO_WHATSAPP_VERIFY_TOKEN"),
        ("hub.challenge" = String, Query, description = "Echoed back as plain text"),
    ),
    responses(
        (status = 200, description = "The challenge, as text/plain", body = String),
        (status = 400, description = "No hub.challenge to echo", body = super::error::ErrorBody),
        (status = 403, description = "Wrong mode or token", body = super::error::ErrorBody),
    )
)]
pub(super) async fn verify_subscription(
    State(app): State<Arc<App>>,
    ApiQuery(handshake): ApiQuery<Handshake>,
) -> Result<Response, ApiError> {
    let forbidden = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "hub.mode must be subscribe and hub.verify_token must match",
        )
    };
    let expected = app
        .settings
        .whatsapp_verify_token
        .as_ref()
        .map(|token| token.expose_secret().as_bytes())
        .filter(|token| !token.is_empty())
        .ok_or_else(forbidden)?;
    let presented = handshake.verify_token.as_deref().unwrap_or("").as_bytes();
    if handshake.mode.as_deref() != Some("subscribe") || !bool::from(expected.ct_eq(presented)) {
        return Err(forbidden());
    }
    let Some(challenge) = handshake
        .challenge
        .filter(|challenge| !challenge.is_empty())
    else {
        return Err(ApiError::bad_request(
            "missing_challenge",
            "hub.challenge is required: it is echoed back to Meta",
        ));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        challenge,
    )
        .into_response())
}

/// Stores one signed delivery for the worker.
#[utoipa::path(
    post, path = "/whatsapp/webhook", tag = "webhooks",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<HMAC-SHA256 of the raw body with the app secret, hex>")),
    request_body(content = serde_json::Value, description = "A WhatsApp Business Account webhook: {object, entry: [{changes: [{field, value}]}]}"),
    responses(
        (status = 200, description = "Stored; every update in it will be handled"),
        (status = 400, description = "Signed, but not a JSON object", body = super::error::ErrorBody),
        (status = 401, description = "Signature missing or wrong; nothing stored", body = super::error::ErrorBody),
        (status = 413, description = "Over 3 MB", body = super::error::ErrorBody),
        (status = 503, description = "Inbox unavailable; Meta retries", body = super::error::ErrorBody),
    )
)]
pub(super) async fn receive_delivery(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let signature = headers
        .get("x-hub-signature-256")
        .map(|value| value.as_bytes());
    if let Err(error) = app.whatsapp_signatures.verify(signature, &body) {
        metrics::counter!("bino_whatsapp_webhook_rejected_total", "reason" => match error {
            SignatureError::Missing => "missing_signature",
            SignatureError::Malformed => "malformed_signature",
            SignatureError::Mismatch => "wrong_signature",
        })
        .increment(1);
        let message = if app.whatsapp_signatures.is_configured() {
            error.to_string()
        } else {
            "this server has no WhatsApp app secret (BINO_WHATSAPP_APP_SECRET), so no delivery verifies".to_owned()
        };
        return Err(ApiError::unauthorized(message));
    }

    // Meta only sends JSON; a signed body that is not JSON can never be handled, so it is
    // refused now rather than dead-lettered later. Reading it as a value also applies the
    // parser's nesting limit, which the worker's parse would hit too.
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value) if value.is_object() => {}
        Ok(_) => {
            return Err(ApiError::bad_request(
                "invalid_event",
                "the body is JSON but not an object; Meta sends {\"object\": ..., \"entry\": [...]}",
            ));
        }
        Err(error) => {
            return Err(ApiError::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {error}"),
            ));
        }
    }

    whatsapp::enqueue(app.store.as_ref(), &body)
        .await
        .map_err(|error| {
            tracing::error!(%error, "WhatsApp delivery not stored; Meta will retry");
            ApiError::unavailable("the delivery could not be stored; retry later")
        })?;
    Ok((StatusCode::OK, Json(serde_json::json!({"received": true}))))
}
