//! The supplier-event inbox: what `POST /esim/webhook` (and the sandbox) append to, and
//! what its worker does with each event: let [`OrderService`] act on it.

use std::sync::Arc;

use async_trait::async_trait;

use super::inbox::{InboxHandler, InboxSpec, InboxWorker};
use crate::orders::OrderService;
use crate::store::{Store, StoreError};
use crate::supply::events::SupplierEvent;

pub const INBOX: &str = "inbox:supplier";
pub const DEAD_LETTERS: &str = "inbox:supplier:dead";

pub const SPEC: InboxSpec = InboxSpec {
    stream: INBOX,
    group: "supplier-events",
    dead_letters: DEAD_LETTERS,
    name: "supplier",
    max_attempts: 5,
};

/// Appends one raw event body to the inbox. Once this returns Ok the event will be handled.
pub async fn enqueue(store: &dyn Store, body: &[u8]) -> Result<(), StoreError> {
    store.stream_append(INBOX, body).await.map(|_| ())
}

pub type SupplierEventWorker = InboxWorker<SupplierEvents>;

/// The worker of the supplier inbox.
pub fn worker(
    store: Arc<dyn Store>,
    orders: Arc<OrderService>,
    consumer: String,
) -> SupplierEventWorker {
    InboxWorker::new(store, SupplierEvents { orders }, SPEC, consumer)
}

pub struct SupplierEvents {
    orders: Arc<OrderService>,
}

#[async_trait]
impl InboxHandler for SupplierEvents {
    type Event = SupplierEvent;

    fn parse(&self, payload: &[u8]) -> Result<SupplierEvent, String> {
        SupplierEvent::parse(payload).map_err(|error| error.to_string())
    }

    fn event_id<'e>(&self, event: &'e SupplierEvent) -> Option<&'e str> {
        Some(&event.event_id)
    }

    fn kind(&self, event: &SupplierEvent) -> String {
        event.notify_type.as_str().to_owned()
    }

    async fn handle(&self, event: &SupplierEvent) -> Result<(), String> {
        self.orders
            .apply_event(event)
            .await
            .map_err(|error| error.to_string())
    }
}
