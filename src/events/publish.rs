//! The publisher: order changes (and chat hand-offs) in, events on the outbound stream out.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;

use super::{OUTBOUND, Outbound, events_for, handoff_event, published_mark};
use crate::orders::{OrderChange, OrderError, OrderObserver, OrderRecord};
use crate::store::{SharedStore, StoreError};
use crate::telemetry::hash_id;

/// How long an event id is remembered: longer than any re-announcement of a change (the
/// order service re-announces only within days of a change).
const EVENT_DEDUPE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Appends each event once to [`OUTBOUND`]; registered as an order observer.
pub struct EventPublisher {
    store: SharedStore,
}

impl EventPublisher {
    pub fn new(store: SharedStore) -> Self {
        EventPublisher { store }
    }

    /// Appends `outbound` unless its event was appended before; true when it was new.
    pub async fn publish(&self, outbound: &Outbound) -> Result<bool, StoreError> {
        let event = &outbound.event;
        let bytes = serde_json::to_vec(outbound)
            .map_err(|error| StoreError::Protocol(format!("event not encodable: {error}")))?;
        let appended = self
            .store
            .stream_append_once(
                &published_mark(&event.id),
                EVENT_DEDUPE_TTL,
                OUTBOUND,
                &bytes,
            )
            .await?
            .is_some();
        if appended {
            metrics::counter!("bino_events_total", "type" => event.event_type.as_str())
                .increment(1);
            tracing::info!(
                event.id = %event.id,
                "event.type" = event.event_type.as_str(),
                order.id = %event.bino_transaction_id.as_deref().map(hash_id).unwrap_or_default(),
                "event published"
            );
        }
        Ok(appended)
    }

    /// Publishes that chat customer `customer` asked for a person while handling input
    /// `input_id`; `latest_order` gives the support desk the plan in question.
    pub async fn handoff_requested(
        &self,
        customer: &str,
        latest_order: Option<&OrderRecord>,
        input_id: &str,
    ) -> Result<(), StoreError> {
        let outbound = handoff_event(customer, latest_order, input_id, Utc::now());
        self.publish(&outbound).await.map(drop)
    }
}

#[async_trait]
impl OrderObserver for EventPublisher {
    async fn order_changed(
        &self,
        record: &OrderRecord,
        change: &OrderChange,
    ) -> Result<(), OrderError> {
        for outbound in events_for(record, change, Utc::now()) {
            self.publish(&outbound).await?;
        }
        Ok(())
    }
}
