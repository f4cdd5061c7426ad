//! The supply API for businesses: search plans, order eSIMs, read orders back.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post};
use governor::clock::Clock;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ApiPath};
use crate::app::App;
use crate::catalog::{self, LocationCode, Money, Plan, PlanType, Recommendation, SearchFilters};
use crate::discovery::TripQuery;
use crate::orders::{OrderItem, OrderKind, OrderRecord, OrderRequest, OrderStatus, ProfileView};
use crate::telemetry::hash_id;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/esim/search", post(search_plans))
        .route("/esim/searchai", post(search_plans_for_text))
        .route("/esim/order", post(place_order))
        .route("/esim/orders/{bino_transaction_id}", get(get_order))
}

/// The caller, identified by a hash of its API key (keys themselves are never kept).
///
/// Extracting it also spends one request of the key's rate limit, so every route that
/// needs a key is paced per key.
pub struct ApiCaller {
    pub owner: String,
}

impl FromRequestParts<Arc<App>> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, key) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(key)
            })
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("send an API key as Authorization: Bearer <key>")
            })?;
        // Compare with every key, without stopping at the first match, so the time taken
        // says nothing about which keys exist.
        let mut matched = subtle::Choice::from(0);
        for key in &app.settings.api_keys {
            matched |= key.expose_secret().as_bytes().ct_eq(presented.as_bytes());
        }
        if !bool::from(matched) {
            return Err(ApiError::unauthorized("the API key is not valid"));
        }

        // Only valid keys are paced, so the limiter holds one entry per configured key and
        // cannot be grown by callers inventing keys.
        let owner = hash_id(presented);
        match app.api_limiter.check_key(&owner) {
            Ok(()) => Ok(ApiCaller { owner }),
            Err(not_until) => {
                let wait = not_until.wait_time_from(app.api_limiter.clock().now());
                Err(ApiError::rate_limited(
                    wait,
                    "too many requests with this API key; wait for Retry-After seconds",
                ))
            }
        }
    }
}

/// A catalog search.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// An ISO 3166-1 alpha-2 code in any case ("UK" means GB), `!RG` for regional bundles
    /// or `!GL` for global plans.
    #[schema(example = "JP")]
    location_code: String,
    /// BASE (new eSIMs, the default) or TOPUP.
    #[serde(default, rename = "type")]
    plan_type: Option<PlanType>,
    #[serde(default)]
    filters: SearchFilters,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    location_code: String,
    plans: Vec<Plan>,
}

/// Plans for one location, filtered and sorted, with Bino's prices.
#[utoipa::path(
    post, path = "/esim/search", tag = "supply",
    request_body = SearchRequest,
    responses(
        (status = 200, body = SearchResponse),
        (status = 400, description = "Unknown location code or malformed JSON", body = super::error::ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = super::error::ErrorBody),
        (status = 429, description = "Over this key's rate limit; see Retry-After", body = super::error::ErrorBody),
        (status = 422, description = "Fields of the wrong type", body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn search_plans(
    State(app): State<Arc<App>>,
    _caller: ApiCaller,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Result<ApiJson<SearchResponse>, ApiError> {
    let location: LocationCode =
        request
            .location_code
            .parse()
            .map_err(|error: catalog::InvalidLocation| {
                ApiError::bad_request("unknown_location", error.to_string())
            })?;
    let plan_type = request.plan_type.unwrap_or(PlanType::Base);
    if let Some(problem) = request.filters.problem() {
        return Err(ApiError::unprocessable(problem));
    }

    let packages = app
        .catalog
        .packages(location, plan_type)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "catalog unavailable for a search");
            ApiError::unavailable("the plan catalog is unavailable right now; try again shortly")
        })?;
    let plans = catalog::search(&packages, &request.filters, app.settings.margin_percent);

    Ok(ApiJson(SearchResponse {
        location_code: location.to_string(),
        plans,
    }))
}

/// One line of an order as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItemView {
    package_code: String,
    name: String,
    quantity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    esim_tran_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period_days: Option<u32>,
    /// What one unit costs the buyer, in US dollars.
    #[schema(value_type = String, example = "6.84")]
    unit_price: Money,
}

impl From<OrderItem> for OrderItemView {
    fn from(item: OrderItem) -> Self {
        OrderItemView {
            package_code: item.package_code,
            name: item.name,
            quantity: item.quantity,
            esim_tran_no: item.esim_tran_no,
            period_days: item.period_days,
            unit_price: item.unit_price,
        }
    }
}

/// A search in a traveller's own words.
#[derive(Deserialize, ToSchema)]
pub struct SearchAiRequest {
    /// Free text in any language, such as "eSIM for Japan and Korea, 10 days".
    #[schema(example = "eSIM for Japan and Korea, 10 days")]
    query: String,
    /// How many plans to return, best first: 1 to 100, 20 when absent.
    #[serde(default)]
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchAiResponse {
    /// How the text was understood.
    query: TripQuery,
    /// Plans covering the whole trip first, then plans for single countries.
    plans: Vec<Recommendation>,
}

/// The longest free-text query read; a destination never needs more.
const MAX_QUERY_CHARS: usize = 1_000;
const DEFAULT_RECOMMENDATIONS: usize = 20;
const MAX_RECOMMENDATIONS: usize = 100;

/// Understands a traveller's text and recommends the plans that fit the whole trip.
#[utoipa::path(
    post, path = "/esim/searchai", tag = "supply",
    request_body = SearchAiRequest,
    responses(
        (status = 200, body = SearchAiResponse),
        (status = 401, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody),
        (status = 422, description = "No destination in the text; the message says what was understood", body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn search_plans_for_text(
    State(app): State<Arc<App>>,
    _caller: ApiCaller,
    ApiJson(request): ApiJson<SearchAiRequest>,
) -> Result<ApiJson<SearchAiResponse>, ApiError> {
    if request.query.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "query is empty; say where you are going",
        ));
    }
    let limit = request.limit.unwrap_or(DEFAULT_RECOMMENDATIONS);
    if !(1..=MAX_RECOMMENDATIONS).contains(&limit) {
        return Err(ApiError::unprocessable(format!(
            "limit must be from 1 to {MAX_RECOMMENDATIONS}"
        )));
    }
    if request.query.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::unprocessable(format!(
            "query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }

    let query = app.discovery.understand(&request.query).await;
    if !query.has_destination() {
        return Err(ApiError::unprocessable(no_destination_message(&query)));
    }

    let packages = app
        .catalog
        .packages_for_trip(query.countries.iter().copied(), query.global)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "catalog unavailable for a text search");
            ApiError::unavailable("the plan catalog is unavailable right now; try again shortly")
        })?;
    let mut plans = catalog::recommend(&packages, &query.needs(), app.settings.margin_percent);
    plans.truncate(limit);
    Ok(ApiJson(SearchAiResponse { query, plans }))
}

fn no_destination_message(query: &TripQuery) -> String {
    let understood: Vec<String> = query
        .understood
        .iter()
        .map(|piece| format!("{:?} as {}", piece.text, piece.meaning))
        .collect();
    if understood.is_empty() {
        "no destination found in the query; name a country, city, island or region".to_owned()
    } else {
        format!(
            "no destination found in the query (understood {}); name a country, city, island or region",
            understood.join(", ")
        )
    }
}

/// An order as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    bino_transaction_id: String,
    /// The supplier's order number, to quote to support.
    provider_order_reference: Option<String>,
    status: OrderStatus,
    kind: OrderKind,
    items: Vec<OrderItemView>,
    #[schema(value_type = String, example = "13.68")]
    total_price: Money,
    currency: &'static str,
    /// One entry per eSIM once the supplier has allocated them.
    profiles: Vec<ProfileView>,
    /// Why the supplier refused the order, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
}

impl From<OrderRecord> for OrderView {
    fn from(record: OrderRecord) -> Self {
        OrderView {
            bino_transaction_id: record.bino_transaction_id,
            provider_order_reference: record.provider_order_reference,
            status: record.status,
            kind: record.kind,
            items: record.items.into_iter().map(OrderItemView::from).collect(),
            total_price: record.total_price,
            currency: "USD",
            profiles: record.profiles,
            failure: record.failure,
        }
    }
}

/// Orders eSIMs (or one top-up). Sending the same binoTransactionId again, even at the
/// same moment, returns the same order and never orders twice.
#[utoipa::path(
    post, path = "/esim/order", tag = "supply",
    request_body = OrderRequest,
    responses(
        (status = 200, description = "The order, submitted (or the earlier one with this id)", body = OrderView),
        (status = 401, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody),
        (status = 409, description = "The id was used for a different order", body = super::error::ErrorBody),
        (status = 422, description = "An item cannot be ordered; the message names it", body = super::error::ErrorBody),
        (status = 502, description = "The supplier refused the order", body = super::error::ErrorBody),
        (status = 503, description = "Supplier or store unavailable; retry with the same id", body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn place_order(
    State(app): State<Arc<App>>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<OrderRequest>,
) -> Result<ApiJson<OrderView>, ApiError> {
    let record = app.orders.place(&caller.owner, request).await?;
    Ok(ApiJson(OrderView::from(record)))
}

/// An order's status and, once allocated, its profiles with activation details.
#[utoipa::path(
    get, path = "/esim/orders/{bino_transaction_id}", tag = "supply",
    params(("bino_transaction_id" = String, Path, description = "The id the order was placed with")),
    responses(
        (status = 200, body = OrderView),
        (status = 401, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(super) async fn get_order(
    State(app): State<Arc<App>>,
    caller: ApiCaller,
    ApiPath(bino_transaction_id): ApiPath<String>,
) -> Result<ApiJson<OrderView>, ApiError> {
    let record = app.orders.get(&caller.owner, &bino_transaction_id).await?;
    Ok(ApiJson(OrderView::from(record)))
}
