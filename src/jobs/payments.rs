//! The payment inbox: what `POST /payments/stripe/webhook` appends to, and what its worker
//! does with each event: a paid checkout places its order, an abandoned one cancels it.

use std::sync::Arc;

use async_trait::async_trait;

use super::inbox::{InboxHandler, InboxSpec, InboxWorker};
use crate::orders::OrderService;
use crate::payments::PaymentEvent;
use crate::payments::stripe::{self, StripeEvent};
use crate::store::{Store, StoreError};

pub const INBOX: &str = "inbox:payments";
pub const DEAD_LETTERS: &str = "inbox:payments:dead";

pub const SPEC: InboxSpec = InboxSpec {
    stream: INBOX,
    group: "payments",
    dead_letters: DEAD_LETTERS,
    name: "payments",
    // A paid order waits on this event to reach the supplier, so a supplier outage is
    // waited out for a long while (an attempt every 30 s) before an operator must step in.
    max_attempts: 120,
};

/// Appends one raw event body to the inbox. Once this returns Ok the event will be handled.
pub async fn enqueue(store: &dyn Store, body: &[u8]) -> Result<(), StoreError> {
    store.stream_append(INBOX, body).await.map(|_| ())
}

pub type PaymentEventWorker = InboxWorker<PaymentEvents>;

pub fn worker(
    store: Arc<dyn Store>,
    orders: Arc<OrderService>,
    consumer: String,
) -> PaymentEventWorker {
    InboxWorker::new(store, PaymentEvents { orders }, SPEC, consumer)
}

pub struct PaymentEvents {
    orders: Arc<OrderService>,
}

#[async_trait]
impl InboxHandler for PaymentEvents {
    type Event = StripeEvent;

    fn parse(&self, payload: &[u8]) -> Result<StripeEvent, String> {
        stripe::parse_event(payload).map_err(|error| error.to_string())
    }

    fn event_id<'e>(&self, event: &'e StripeEvent) -> Option<&'e str> {
        Some(&event.id)
    }

    fn kind(&self, event: &StripeEvent) -> String {
        // Stripe has hundreds of types; only the ones Bino acts on get their own label.
        match event.payment {
            Some(PaymentEvent::Paid { .. }) => "paid".to_owned(),
            Some(PaymentEvent::Abandoned { .. }) => "abandoned".to_owned(),
            None => "other".to_owned(),
        }
    }

    async fn handle(&self, event: &StripeEvent) -> Result<(), String> {
        match &event.payment {
            Some(PaymentEvent::Paid {
                reference,
                payment_ref,
                paid,
                ..
            }) => self
                .orders
                .confirm_payment("stripe", reference, payment_ref, paid)
                .await
                .map(drop)
                .map_err(|error| error.to_string()),
            Some(PaymentEvent::Abandoned { reference, why, .. }) => self
                .orders
                .abandon_checkout(reference, *why)
                .await
                .map_err(|error| error.to_string()),
            None => Ok(()),
        }
    }
}
