//! `POST /payments/stripe/webhook`: Stripe's events about checkouts, and the two pages
//! Stripe sends a buyer back to.
//!
//! An event is checked against `Stripe-Signature` on the bytes as received (HMAC-SHA256 of
//! `"<t>.<body>"` with the endpoint's signing secret, `t` within five minutes), read far
//! enough to know it is an event, appended to the payment inbox and answered 200; the order
//! is placed by the worker. A forged or stale signature is 400, as Stripe expects; an inbox
//! that cannot be written is 503, so Stripe retries and no payment is lost.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{ApiBytes, ApiError};
use crate::app::App;
use crate::events::signature::SignatureError;
use crate::jobs::payments;
use crate::payments::stripe;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/payments/stripe/webhook", post(receive_stripe_event))
        .route("/payments/done", get(payment_done))
        .route("/payments/cancelled", get(payment_cancelled))
}

/// Stores one signed Stripe event for the payment worker.
#[utoipa::path(
    post, path = "/payments/stripe/webhook", tag = "webhooks",
    params(("Stripe-Signature" = String, Header, description = "t=<unix seconds>,v1=<HMAC-SHA256 of \"t.body\" with BINO_STRIPE_WEBHOOK_SECRET, hex>")),
    request_body(content = serde_json::Value, description = "A Stripe event: {id, type, data: {object}}"),
    responses(
        (status = 200, description = "Stored; a paid checkout places its order"),
        (status = 400, description = "Signature missing, wrong or older than five minutes; or not an event", body = super::error::ErrorBody),
        (status = 403, description = "Payments by Stripe are not configured", body = super::error::ErrorBody),
        (status = 503, description = "Inbox unavailable; Stripe retries", body = super::error::ErrorBody),
    )
)]
pub(super) async fn receive_stripe_event(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let Some(secret) = &app.settings.stripe_webhook_secret else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "payments_disabled",
            "this server takes no Stripe payments (BINO_PAYMENTS is not stripe)",
        ));
    };
    let signature = headers
        .get(stripe::SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    if let Err(error) =
        stripe::verify_signature(secret, signature, &body, chrono::Utc::now().timestamp())
    {
        let reason = match error {
            SignatureError::Malformed => "malformed_signature",
            SignatureError::Stale => "stale_signature",
            SignatureError::Mismatch => "wrong_signature",
        };
        metrics::counter!("bino_payment_webhook_rejected_total", "reason" => reason).increment(1);
        let message = match error {
            SignatureError::Malformed => {
                "Stripe-Signature is missing or not of the form t=<unix seconds>,v1=<hex>"
            }
            SignatureError::Stale => {
                "the signature's timestamp is more than five minutes from now; a replay is refused"
            }
            SignatureError::Mismatch => "the signature does not match the body",
        };
        return Err(ApiError::bad_request("invalid_signature", message));
    }

    // Stripe sends only events; a signed body that is not one can never be handled.
    stripe::parse_event(&body)
        .map_err(|error| ApiError::bad_request("invalid_event", error.to_string()))?;

    payments::enqueue(app.store.as_ref(), &body)
        .await
        .map_err(|error| {
            tracing::error!(%error, "Stripe event not stored; Stripe will retry");
            ApiError::unavailable("the event could not be stored; retry later")
        })?;
    Ok((StatusCode::OK, Json(serde_json::json!({"received": true}))))
}

/// Where Stripe sends the buyer after paying: back to the chat, where the eSIM arrives.
async fn payment_done() -> Response {
    page("Payment received. Go back to WhatsApp: your eSIM arrives there in a minute.")
}

async fn payment_cancelled() -> Response {
    page("Payment cancelled: nothing was charged. Go back to WhatsApp to choose again.")
}

fn page(text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        text,
    )
        .into_response()
}
