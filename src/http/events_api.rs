//! Outbound events for businesses: the event log to poll, and the callback to be called.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::supply_api::ApiCaller;
use super::{ApiError, ApiJson, ApiQuery};
use crate::app::App;
use crate::events::Event;
use crate::events::callback::{self, CallbackUrl};
use crate::events::log::{self, DEFAULT_PAGE, LogError, MAX_PAGE};

pub fn router() -> Router<Arc<App>> {
    Router::new().route("/esim/events", get(list_events)).route(
        "/esim/callback",
        get(get_callback)
            .put(register_callback)
            .delete(remove_callback),
    )
}

/// Where to start and how much to read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The id of the last event you have; the page starts after it. Omit it to start from
    /// the oldest event kept (30 days).
    after: Option<String>,
    /// Events per page, 1 to 100 (50 when absent).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// A page of your events, oldest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    events: Vec<Event>,
    /// Pass this as `after` to read on (the last event's id, or your `after` when the page
    /// is empty); `null` when you have no events yet.
    next_after: Option<String>,
    /// Whether more events follow this page now.
    has_more: bool,
}

/// The events of your orders, oldest first, paged by event id.
#[utoipa::path(
    get, path = "/esim/events", tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, body = EventsPage),
        (status = 400, description = "`after` is not an event of yours, or `limit` is not 1 to 100", body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn list_events(
    State(app): State<Arc<App>>,
    caller: ApiCaller,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<ApiJson<EventsPage>, ApiError> {
    let limit = match query.limit.as_deref() {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_PAGE).contains(limit))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be a whole number from 1 to {MAX_PAGE}"),
                )
            })?,
    };
    let after = query.after.as_deref().map(str::trim);
    if after.is_some_and(str::is_empty) {
        return Err(ApiError::bad_request(
            "unknown_event",
            "after is empty; omit it to start from the oldest event",
        ));
    }

    let page = log::page(app.store.as_ref(), &caller.owner, after, limit)
        .await
        .map_err(|error| match error {
            LogError::UnknownCursor => ApiError::bad_request("unknown_event", error.to_string()),
            LogError::Store(error) => {
                tracing::warn!(%error, "event log unavailable");
                ApiError::unavailable("the event log is unavailable right now; try again shortly")
            }
        })?;
    let next_after = page
        .events
        .last()
        .map(|event| event.id.clone())
        .or_else(|| after.map(str::to_owned));
    Ok(ApiJson(EventsPage {
        events: page.events,
        next_after,
        has_more: page.has_more,
    }))
}

/// A callback to register.
#[derive(Deserialize, ToSchema)]
pub struct CallbackRequest {
    /// Absolute `http://` or `https://` URL, up to 2,048 characters, without credentials.
    #[schema(example = "https://example.com/hooks/bino")]
    url: String,
}

/// Your callback and the secret its deliveries are signed with.
#[derive(Serialize, ToSchema)]
pub struct CallbackView {
    url: String,
    /// Verify `Bino-Signature` with this (see the README). It is made once per API key and
    /// stays the same when the URL changes.
    secret: String,
}

/// Registers (or replaces) the URL that receives every event of your orders.
#[utoipa::path(
    put, path = "/esim/callback", tag = "events",
    request_body = CallbackRequest,
    responses(
        (status = 200, body = CallbackView),
        (status = 401, body = super::error::ErrorBody),
        (status = 422, description = "Not an absolute http(s) URL, too long, or with credentials", body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn register_callback(
    State(app): State<Arc<App>>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<CallbackRequest>,
) -> Result<ApiJson<CallbackView>, ApiError> {
    let url = CallbackUrl::parse(&request.url)
        .map_err(|error| ApiError::unprocessable(error.to_string()))?;
    let registered = callback::register(app.store.as_ref(), &caller.owner, &url)
        .await
        .map_err(callback_store_error)?;
    Ok(ApiJson(CallbackView {
        url: registered.url,
        secret: registered.secret.expose_secret().to_owned(),
    }))
}

/// Your callback, if you registered one.
#[utoipa::path(
    get, path = "/esim/callback", tag = "events",
    responses(
        (status = 200, body = CallbackView),
        (status = 401, body = super::error::ErrorBody),
        (status = 404, description = "No callback registered", body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn get_callback(
    State(app): State<Arc<App>>,
    caller: ApiCaller,
) -> Result<ApiJson<CallbackView>, ApiError> {
    let registered = callback::registered(app.store.as_ref(), &caller.owner)
        .await
        .map_err(callback_store_error)?
        .ok_or_else(no_callback)?;
    Ok(ApiJson(CallbackView {
        url: registered.url,
        secret: registered.secret.expose_secret().to_owned(),
    }))
}

/// Stops calling your callback; events stay in your log. Deliveries not yet made are
/// cancelled.
#[utoipa::path(
    delete, path = "/esim/callback", tag = "events",
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = super::error::ErrorBody),
        (status = 404, description = "No callback registered", body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn remove_callback(
    State(app): State<Arc<App>>,
    caller: ApiCaller,
) -> Result<StatusCode, ApiError> {
    if callback::remove(app.store.as_ref(), &caller.owner)
        .await
        .map_err(callback_store_error)?
    {
        tracing::info!("callback removed");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_callback())
    }
}

fn no_callback() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no callback registered; PUT /esim/callback registers one",
    )
}

fn callback_store_error(error: crate::store::StoreError) -> ApiError {
    tracing::warn!(%error, "callback store unavailable");
    ApiError::unavailable("callbacks are unavailable right now; try again shortly")
}
