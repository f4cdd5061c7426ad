//! Liveness, readiness and metrics for orchestrators and Prometheus.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::app::App;

/// A dependency that takes longer than this to answer counts as not ready.
const READINESS_TIMEOUT: Duration = Duration::from_secs(3);

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive")))]
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The store and the supplier both answer.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready to take traffic"),
    (status = 503, description = "The store or the supplier is unreachable"),
))]
pub(super) async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let store = tokio::time::timeout(READINESS_TIMEOUT, app.store.ping()).await;
    let store_ok = matches!(store, Ok(Ok(())));
    let supplier = tokio::time::timeout(READINESS_TIMEOUT, app.supplier_reachable()).await;
    let supplier_ok = matches!(supplier, Ok(true));

    let status = if store_ok && supplier_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = json!({
        "status": word(store_ok && supplier_ok),
        "store": {"backend": app.store.backend(), "status": word(store_ok)},
        "supplier": {"name": app.supplier.name(), "status": word(supplier_ok)},
    });
    (status, Json(body))
}

/// Prometheus text exposition of every metric Bino records.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format")))]
pub(super) async fn render_metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
}
