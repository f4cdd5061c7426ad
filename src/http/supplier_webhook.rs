//! `POST /esim/webhook`: events pushed by the supplier.
//!
//! The supplier does not sign its webhooks, so the URL carries a secret token. The handler
//! only checks the token and the body's shape, appends the raw body to the durable inbox
//! and answers 200; the work happens in a worker. When the inbox cannot be written the
//! answer is 503, so the supplier retries and nothing accepted is ever lost.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{ApiBytes, ApiError, ApiQuery};
use crate::app::App;
use crate::jobs::supplier_events;
use crate::supply::events::{NotifyType, SupplierEvent};

pub fn router() -> Router<Arc<App>> {
    Router::new().route("/esim/webhook", post(receive_supplier_event))
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    token: Option<String>,
}

/// Accepts one supplier event into the inbox.
#[utoipa::path(
    post, path = "/esim/webhook", tag = "webhooks",
    params(("token" = String, Query, description = "The secret set in BINO_SUPPLIER_WEBHOOK_TOKEN")),
    request_body(content = serde_json::Value, description = "An eSIM Access event: {notifyType, notifyId?, content}"),
    responses(
        (status = 200, description = "Accepted (or a health check answered)"),
        (status = 400, description = "Not a JSON event", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong token", body = super::error::ErrorBody),
        (status = 503, description = "Inbox unavailable; the supplier should retry", body = super::error::ErrorBody),
    )
)]
pub(super) async fn receive_supplier_event(
    State(app): State<Arc<App>>,
    ApiQuery(query): ApiQuery<TokenQuery>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let expected = app.supplier_webhook_token.expose_secret().as_bytes();
    let presented = query.token.as_deref().unwrap_or("").as_bytes();
    if !bool::from(expected.ct_eq(presented)) {
        return Err(ApiError::unauthorized("missing or wrong token"));
    }

    let event = SupplierEvent::parse(&body)
        .map_err(|error| ApiError::bad_request("invalid_event", error.to_string()))?;
    if event.notify_type == NotifyType::CheckHealth {
        return Ok((StatusCode::OK, Json(serde_json::json!({"received": true}))));
    }

    supplier_events::enqueue(app.store.as_ref(), &body)
        .await
        .map_err(|error| {
            tracing::error!(%error, "supplier event not stored; the supplier will retry");
            ApiError::unavailable("the event could not be stored; retry later")
        })?;
    tracing::info!(supplier.event = event.notify_type.as_str(), event.id = %event.event_id, "supplier event accepted");
    Ok((StatusCode::OK, Json(serde_json::json!({"received": true}))))
}
