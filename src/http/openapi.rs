//! `GET /openapi.json`: the machine-readable contract of every route.

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::App;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bino",
        description = "Travel eSIMs through one contract: search plans, order eSIMs, follow their delivery."
    ),
    paths(
        super::supply_api::search_plans,
        super::supply_api::search_plans_for_text,
        super::supply_api::place_order,
        super::supply_api::get_order,
        super::events_api::list_events,
        super::events_api::register_callback,
        super::events_api::get_callback,
        super::events_api::remove_callback,
        super::admin::list_deliveries,
        super::admin::replay_delivery,
        super::supplier_webhook::receive_supplier_event,
        super::whatsapp_webhook::verify_subscription,
        super::whatsapp_webhook::receive_delivery,
        super::payments_webhook::receive_stripe_event,
        super::admin::release_conversation,
        super::admin::list_refunds,
        super::health::healthz,
        super::health::readyz,
        super::health::render_metrics,
    ),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "supply", description = "The supply API for businesses"),
        (name = "events", description = "Events of a business's orders: a log to poll, a callback to be called"),
        (name = "admin", description = "For operators, with BINO_ADMIN_KEY"),
        (name = "webhooks", description = "Events pushed to Bino"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<Arc<App>> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
