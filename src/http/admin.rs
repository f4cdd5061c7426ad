//! Admin routes, for operators: failed event deliveries and their replay, paid chat orders
//! that need a refund, and handing a chat conversation back to the bot after a person
//! answered it.
//!
//! Every route needs `Authorization: Bearer <BINO_ADMIN_KEY>`, compared in constant time.
//! Without `BINO_ADMIN_KEY` the routes are closed: they answer 403 whatever is sent.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::app::App;
use crate::bot::Stage;
use crate::events::EventType;
use crate::events::delivery::{Delivery, DeliveryStatus, ReplayError};
use crate::jobs::whatsapp::Turn;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/admin/deliveries", get(list_deliveries))
        .route("/admin/deliveries/{id}/replay", post(replay_delivery))
        .route("/admin/refunds", get(list_refunds))
        .route(
            "/admin/conversations/{customer}/release",
            post(release_conversation),
        )
}

/// An operator, authenticated by the admin key.
pub struct AdminCaller;

impl FromRequestParts<Arc<App>> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let Some(admin_key) = &app.settings.admin_key else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                "admin routes are closed: BINO_ADMIN_KEY is not set",
            ));
        };
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, key) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(key.trim())
            })
            .ok_or_else(|| {
                ApiError::unauthorized("send the admin key as Authorization: Bearer <key>")
            })?;
        if bool::from(
            admin_key
                .expose_secret()
                .as_bytes()
                .ct_eq(presented.as_bytes()),
        ) {
            Ok(AdminCaller)
        } else {
            Err(ApiError::unauthorized("the admin key is not valid"))
        }
    }
}

/// Which deliveries to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only `failed` is listed (the default).
    status: Option<String>,
    /// At most this many, 1 to 1,000 (100 when absent); oldest failure first.
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// One attempt of a delivery.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    at: DateTime<Utc>,
    /// `http 500`, `timeout`, `connection failed`, `no callback registered`, ...
    outcome: String,
    http_status: Option<u16>,
}

/// A delivery of one event to one subscriber.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    id: String,
    event_id: String,
    event_type: EventType,
    /// `business` or `support`.
    subscriber_kind: &'static str,
    status: DeliveryStatus,
    created_at: DateTime<Utc>,
    next_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    attempt_count: u32,
    /// The latest attempts, oldest first.
    attempts: Vec<AttemptView>,
}

impl From<Delivery> for DeliveryView {
    fn from(delivery: Delivery) -> Self {
        DeliveryView {
            subscriber_kind: delivery.subscriber.kind(),
            id: delivery.id,
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            status: delivery.status,
            created_at: delivery.created_at,
            next_attempt_at: delivery.next_attempt_at,
            delivered_at: delivery.delivered_at,
            attempt_count: delivery.attempt_count,
            attempts: delivery
                .attempts
                .into_iter()
                .map(|attempt| AttemptView {
                    at: attempt.at,
                    outcome: attempt.outcome,
                    http_status: attempt.http_status,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveriesList {
    deliveries: Vec<DeliveryView>,
}

const DEFAULT_LISTED: usize = 100;
const MAX_LISTED: usize = 1_000;

fn parse_limit(limit: Option<&str>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LISTED),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LISTED).contains(limit))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be a whole number from 1 to {MAX_LISTED}"),
                )
            }),
    }
}

/// Deliveries that failed for their whole retry window, oldest failure first.
#[utoipa::path(
    get, path = "/admin/deliveries", tag = "admin",
    params(DeliveriesQuery),
    responses(
        (status = 200, body = DeliveriesList),
        (status = 400, description = "A status other than failed, or a limit out of range", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong admin key", body = super::error::ErrorBody),
        (status = 403, description = "BINO_ADMIN_KEY is not set", body = super::error::ErrorBody),
    ),
    security(("admin_key" = []))
)]
pub(super) async fn list_deliveries(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<ApiJson<DeliveriesList>, ApiError> {
    if query
        .status
        .as_deref()
        .is_some_and(|status| status != "failed")
    {
        return Err(ApiError::bad_request(
            "invalid_status",
            "only status=failed can be listed",
        ));
    }
    let limit = parse_limit(query.limit.as_deref())?;
    let failed = app.deliveries.failed(limit).await.map_err(|error| {
        tracing::warn!(%error, "deliveries unavailable");
        ApiError::unavailable("deliveries are unavailable right now; try again shortly")
    })?;
    Ok(ApiJson(DeliveriesList {
        deliveries: failed.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// Starts a failed (or cancelled) delivery over: attempted at once, then retried for a new
/// retry window.
#[utoipa::path(
    post, path = "/admin/deliveries/{id}/replay", tag = "admin",
    params(("id" = String, Path, description = "The delivery's id, `dlv_...`")),
    responses(
        (status = 202, description = "Scheduled now", body = DeliveryView),
        (status = 401, description = "Missing or wrong admin key", body = super::error::ErrorBody),
        (status = 403, description = "BINO_ADMIN_KEY is not set", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 409, description = "The delivery is pending or delivered", body = super::error::ErrorBody),
    ),
    security(("admin_key" = []))
)]
pub(super) async fn replay_delivery(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, ApiJson<DeliveryView>), ApiError> {
    match app.deliveries.replay(&id).await {
        Ok(delivery) => Ok((StatusCode::ACCEPTED, ApiJson(DeliveryView::from(delivery)))),
        Err(ReplayError::NotFound) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no delivery with this id",
        )),
        Err(error @ ReplayError::NotReplayable(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_replayable",
            error.to_string(),
        )),
        Err(ReplayError::Store(error)) => {
            tracing::warn!(%error, "deliveries unavailable");
            Err(ApiError::unavailable(
                "deliveries are unavailable right now; try again shortly",
            ))
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Released {
    released: bool,
}

/// Hands a conversation a person took over back to the bot. The customer hears it in turn
/// with their own messages, so the release never overtakes what they wrote before it.
#[utoipa::path(
    post, path = "/admin/conversations/{customer}/release", tag = "admin",
    params(("customer" = String, Path, description = "The customer's WhatsApp id: phone number (with or without +, spaces, dashes) or business-scoped user id")),
    responses(
        (status = 202, description = "The bot takes over again", body = Released),
        (status = 401, description = "Missing or wrong admin key", body = super::error::ErrorBody),
        (status = 403, description = "BINO_ADMIN_KEY is not set", body = super::error::ErrorBody),
        (status = 404, description = "No conversation with this customer", body = super::error::ErrorBody),
        (status = 409, description = "The conversation is not with a person", body = super::error::ErrorBody),
    ),
    security(("admin_key" = []))
)]
pub(super) async fn release_conversation(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    ApiPath(customer): ApiPath<String>,
) -> Result<(StatusCode, ApiJson<Released>), ApiError> {
    let customer = crate::whatsapp::customer_key(&customer);
    let unavailable = |error: crate::store::StoreError| {
        tracing::warn!(%error, "conversation store unavailable");
        ApiError::unavailable("conversations are unavailable right now; try again shortly")
    };
    let conversation = app
        .bot
        .conversation(&customer)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no conversation with this customer",
            )
        })?;
    if conversation.stage != Stage::WithAgent {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_with_agent",
            "the conversation is with the bot already",
        ));
    }
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    crate::jobs::whatsapp::submit(
        app.store.as_ref(),
        &customer,
        &format!("release:{request_id}"),
        Turn::Released { request_id },
    )
    .await
    .map_err(unavailable)?;
    tracing::info!(customer = %crate::telemetry::hash_id(&customer), "conversation handed back to the bot");
    Ok((StatusCode::ACCEPTED, ApiJson(Released { released: true })))
}

/// Which refunds to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefundsQuery {
    /// The `entryId` of the last refund already seen; absent to start from the oldest.
    after: Option<String>,
    /// At most this many, 1 to 1,000 (100 when absent).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// A paid chat order no eSIM came of.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    /// Where it is in the list: pass it as `after` to read on.
    entry_id: String,
    bino_transaction_id: String,
    status: crate::orders::OrderStatus,
    plan_name: String,
    /// The order's price, in US dollars.
    #[schema(value_type = String, example = "6.84")]
    total_price: crate::catalog::Money,
    /// What the provider says was paid, which is what to refund, in the units of
    /// `paidCurrency`; absent when the provider did not say (or said something unreadable).
    #[schema(value_type = Option<String>, example = "6.84")]
    amount_paid: Option<crate::catalog::Money>,
    paid_currency: Option<String>,
    /// The payment provider and its id of the payment, to refund it there.
    provider: Option<String>,
    payment_ref: Option<String>,
    /// Why no eSIM was issued: `supplier_refused`, `wrong_amount` or `paid_late`.
    problem: Option<crate::payments::PaymentProblem>,
    reason: Option<String>,
    /// A stable hash of the customer, as the support desk knows them.
    customer: String,
}

#[derive(Serialize, ToSchema)]
pub struct RefundsList {
    refunds: Vec<RefundView>,
}

/// Paid chat orders that could not be fulfilled, oldest first: refund each with the
/// payment provider.
#[utoipa::path(
    get, path = "/admin/refunds", tag = "admin",
    params(RefundsQuery),
    responses(
        (status = 200, body = RefundsList),
        (status = 400, description = "A limit out of range", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong admin key", body = super::error::ErrorBody),
        (status = 403, description = "BINO_ADMIN_KEY is not set", body = super::error::ErrorBody),
    ),
    security(("admin_key" = []))
)]
pub(super) async fn list_refunds(
    State(app): State<Arc<App>>,
    _admin: AdminCaller,
    ApiQuery(query): ApiQuery<RefundsQuery>,
) -> Result<ApiJson<RefundsList>, ApiError> {
    let limit = parse_limit(query.limit.as_deref())?;
    if let Some(after) = &query.after {
        // Entry ids are `<milliseconds>-<sequence>`; anything else names no refund.
        let valid = after
            .split_once('-')
            .is_some_and(|(ms, seq)| ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok());
        if !valid {
            return Err(ApiError::bad_request(
                "invalid_after",
                "after must be the entryId of a listed refund",
            ));
        }
    }
    let refunds = app
        .orders
        .refunds_needed(query.after.as_deref(), limit)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "refunds unavailable");
            ApiError::unavailable("refunds are unavailable right now; try again shortly")
        })?;
    let refunds = refunds
        .into_iter()
        .map(|(entry_id, record)| refund_view(entry_id, record))
        .collect();
    Ok(ApiJson(RefundsList { refunds }))
}

fn refund_view(entry_id: String, record: crate::orders::OrderRecord) -> RefundView {
    let payment = record.payment.as_ref();
    RefundView {
        entry_id,
        plan_name: record
            .items
            .iter()
            .map(|item| item.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        status: record.status,
        total_price: record.total_price,
        amount_paid: payment
            .and_then(|payment| payment.paid_cents)
            .map(crate::catalog::Money::from_cents),
        paid_currency: payment.and_then(|payment| payment.paid_currency.clone()),
        provider: payment.map(|payment| payment.provider.clone()),
        payment_ref: payment.and_then(|payment| payment.payment_ref.clone()),
        problem: payment.and_then(|payment| payment.problem),
        reason: record.failure.clone(),
        customer: crate::bot::customer_of(&record.owner)
            .map(crate::telemetry::hash_id)
            .unwrap_or_default(),
        bino_transaction_id: record.bino_transaction_id.clone(),
    }
}
