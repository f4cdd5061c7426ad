//! The HTTP face of Bino: routes, authentication, the error envelope and request telemetry.
//!
//! Every resource has its own `router()`; this module stacks them with the layers that
//! every request goes through: a request id (returned in `x-request-id`), a log span that
//! names the route but never the query string (tokens travel there), Prometheus counters,
//! a body size limit, and a panic guard that still answers with the error envelope.

mod admin;
mod error;
mod events_api;
mod health;
mod openapi;
mod payments_webhook;
mod supplier_webhook;
mod supply_api;
mod whatsapp_webhook;

pub use error::{ApiBytes, ApiError, ApiJson, ApiPath, ApiQuery};

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;

/// Largest request body accepted on any route; eSIM orders and supplier events are small.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Longest a request may take, body upload included, so a stalled client cannot hold a
/// connection and its memory forever. Orders wait for the supplier, hence the margin.
// TODO: bound the time to receive request headers too, because axum::serve does not expose
// hyper's header read timeout; until then run behind a proxy that does (nginx, a cloud LB).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as one axum router.
pub fn router(app: Arc<App>) -> Router {
    let request_id = REQUEST_ID.clone();
    let trace = TraceLayer::new_for_http()
        .make_span_with(move |request: &Request| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map(|path| path.as_str().to_owned())
                .unwrap_or_else(|| "unmatched".to_owned());
            let id = request
                .headers()
                .get(&request_id)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", http.method = %request.method(), http.route = %route, request.id = %id)
        })
        .on_request(())
        .on_response(
            |response: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                tracing::debug!(http.status = response.status().as_u16(), latency_ms = latency.as_millis() as u64, "answered");
            },
        );

    Router::new()
        .merge(supply_api::router())
        .merge(events_api::router())
        .merge(admin::router())
        .merge(supplier_webhook::router())
        .merge(whatsapp_webhook::router())
        .merge(payments_webhook::router())
        .merge(health::router())
        .merge(openapi::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(record_metrics))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::internal("the server failed to answer this request").into_response()
                }))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                )),
        )
        .with_state(app)
}

/// Counts requests by route, method and status, and times them.
async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    // Only standard methods become labels: any other word would add a series per request.
    let method = match *request.method() {
        Method::GET
        | Method::POST
        | Method::PUT
        | Method::DELETE
        | Method::PATCH
        | Method::HEAD
        | Method::OPTIONS => request.method().as_str().to_owned(),
        _ => "other".to_owned(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("bino_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("bino_http_request_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see GET /openapi.json",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method; see GET /openapi.json",
    )
}
