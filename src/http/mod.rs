//! The HTTP face of Bino: routes, authentication, the error envelope and request telemetry.
//!
//! Every resource has its own `router()`; this module stacks them with the layers that
//! every request goes through: a request id (returned in `x-request-id`), a log span that
//! names the route but never the query string (tokens travel there), Prometheus counters,
//! a body size limit, a time limit, and guards (against panics and against bare error
//! statuses from layers below) that still answer with the error envelope.

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
use axum::http::{HeaderName, Method, StatusCode, header};
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
// TODO: give 414 and 431 the error envelope too, because hyper writes them itself while
// reading the request head, before any of these layers sees a request.
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
                .layer(middleware::map_response(envelope_bare_errors))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
                // Its bare 408 gets the envelope from the layer above, like any bare error.
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                )),
        )
        .with_state(app)
}

/// Gives an error status that a layer or extractor answered without a body the error
/// envelope, so clients can always read `error.code`.
async fn envelope_bare_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (code, message) = match status {
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("body_too_large", "the request body is too large"),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the request URI is too long"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("headers_too_large", "the request headers are too large")
        }
        status if status.is_server_error() => ("internal", "the server failed to answer"),
        _ => ("bad_request", "the request could not be read"),
    };
    let (mut answered, _) = response.into_parts();
    let (mut enveloped, body) = ApiError::new(status, code, message)
        .into_response()
        .into_parts();
    // Headers such as Allow or Retry-After were set for this answer, so they win over the
    // envelope's defaults; the empty body's length goes with the body.
    answered.headers.remove(header::CONTENT_LENGTH);
    enveloped.headers.extend(answered.headers);
    Response::from_parts(enveloped, body)
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router, path: &str) -> (StatusCode, Value) {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    // Time is paused, so waiting out the real limit takes no time.
    #[tokio::test(start_paused = true)]
    async fn a_request_that_outlasts_the_time_limit_gets_408_with_the_error_envelope() {
        let slow = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(REQUEST_TIMEOUT * 2).await;
                    "too late"
                }),
            )
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .layer(middleware::map_response(envelope_bare_errors));

        let (status, body) = answer(slow, "/slow").await;

        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(body["error"]["code"], "request_timeout", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_within_the_time_limit_is_answered_as_usual() {
        let quick = Router::new()
            .route(
                "/quick",
                get(|| async { axum::Json(serde_json::json!({"ok": true})) }),
            )
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .layer(middleware::map_response(envelope_bare_errors));

        let (status, body) = answer(quick, "/quick").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["ok"], true);
    }

    #[tokio::test]
    async fn a_bare_error_status_gets_the_error_envelope_and_keeps_its_headers() {
        let bare = Router::new()
            .route("/timeout", get(|| async { StatusCode::REQUEST_TIMEOUT }))
            .route(
                "/busy",
                get(|| async {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::RETRY_AFTER, "30")],
                    )
                }),
            )
            .route("/teapot", get(|| async { StatusCode::IM_A_TEAPOT }))
            .layer(middleware::map_response(envelope_bare_errors));

        let (status, body) = answer(bare.clone(), "/timeout").await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(body["error"]["code"], "request_timeout", "{body}");

        let request = Request::get("/busy").body(Body::empty()).unwrap();
        let response = bare.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()[header::RETRY_AFTER], "30");

        let (status, body) = answer(bare, "/teapot").await;
        assert_eq!(status, StatusCode::IM_A_TEAPOT);
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
    }

    #[tokio::test]
    async fn an_error_that_already_has_a_body_is_left_alone() {
        let enveloped = Router::new()
            .route(
                "/gone",
                get(|| async { ApiError::new(StatusCode::GONE, "gone", "it went") }),
            )
            .layer(middleware::map_response(envelope_bare_errors));

        let (status, body) = answer(enveloped, "/gone").await;

        assert_eq!(status, StatusCode::GONE);
        assert_eq!(body["error"]["code"], "gone", "{body}");
        assert_eq!(body["error"]["message"], "it went");
    }
}
