//! The outbound-event workers: fan-out and delivery.
//!
//! [`EventFanOut`] reads [`OUTBOUND`] through a consumer group with the same worker as the
//! webhook inboxes: each event goes into its business's log and becomes one delivery per
//! subscriber, then the entry is acknowledged. Everything it does is idempotent, so an
//! entry reclaimed from a worker that died is simply done again; an entry that keeps
//! failing goes to [`OUTBOUND_DEAD`].
//!
//! [`DeliveryWorker`] takes due deliveries from the schedule and attempts them
//! concurrently, a bounded number at a time, so a slow or failing receiver never holds up
//! the others; retries wait in the schedule, not in a task.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::inbox::{InboxHandler, InboxSpec, InboxWorker};
use crate::events::delivery::{Deliveries, DeliveryTuning, Subscriber};
use crate::events::{Audience, Event, OUTBOUND, OUTBOUND_DEAD, Outbound, callback, log};
use crate::store::StoreError;

pub const SPEC: InboxSpec = InboxSpec {
    stream: OUTBOUND,
    group: "event-fanout",
    dead_letters: OUTBOUND_DEAD,
    name: "outbound",
    max_attempts: 5,
};

pub type EventFanOut = InboxWorker<FanOut>;

pub fn fan_out_worker(deliveries: Arc<Deliveries>, consumer: String) -> EventFanOut {
    let store = Arc::clone(deliveries.store());
    InboxWorker::new(store, FanOut { deliveries }, SPEC, consumer)
}

/// Puts each event in its business's log and makes it one delivery per subscriber.
/// Everything it does is idempotent, so an event handled twice changes nothing.
pub struct FanOut {
    deliveries: Arc<Deliveries>,
}

#[async_trait]
impl InboxHandler for FanOut {
    type Event = Outbound;

    fn parse(&self, payload: &[u8]) -> Result<Outbound, String> {
        serde_json::from_slice(payload).map_err(|error| error.to_string())
    }

    fn event_id<'e>(&self, _event: &'e Outbound) -> Option<&'e str> {
        None
    }

    fn kind(&self, event: &Outbound) -> String {
        event.event.event_type.as_str().to_owned()
    }

    async fn handle(&self, outbound: &Outbound) -> Result<(), String> {
        let event = &outbound.event;
        let outcome = match &outbound.audience {
            Audience::Business { owner } => self.to_business(owner, event).await,
            Audience::Chat if self.deliveries.support_configured() => {
                self.deliveries.enqueue(Subscriber::Support, event).await
            }
            Audience::Chat => Ok(()),
        };
        outcome.map_err(|error| error.to_string())
    }
}

impl FanOut {
    /// Into the business's log, and to its callback when it has one.
    async fn to_business(&self, owner: &str, event: &Event) -> Result<(), StoreError> {
        let store = self.deliveries.store().as_ref();
        log::append(store, owner, event).await?;
        if callback::registered(store, owner).await?.is_some() {
            let subscriber = Subscriber::Business {
                owner: owner.to_owned(),
            };
            self.deliveries.enqueue(subscriber, event).await?;
        }
        Ok(())
    }
}

pub struct DeliveryWorker {
    pub deliveries: Arc<Deliveries>,
    pub tuning: DeliveryTuning,
}

impl DeliveryWorker {
    /// Runs until `shutdown` is cancelled, then lets the attempts in flight finish.
    pub async fn run(self, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.tuning.concurrency.max(1)));
        let mut in_flight = JoinSet::new();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.tuning.poll_interval) => {}
            }
            while in_flight.try_join_next().is_some() {}

            let free = permits.available_permits();
            if free == 0 {
                continue;
            }
            let due = match self.deliveries.take_due(free, &self.tuning).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(%error, "delivery schedule unreadable, retrying");
                    super::pause_after_store_error().await;
                    continue;
                }
            };
            for id in due {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let deliveries = Arc::clone(&self.deliveries);
                let tuning = self.tuning;
                in_flight.spawn(async move {
                    let _permit = permit;
                    if let Err(error) = deliveries.attempt(&id, &tuning).await {
                        // The lease runs out and the delivery comes due again.
                        tracing::warn!(%error, delivery.id = %id, "delivery attempt not recorded, will retry");
                    }
                });
            }
        }
        while in_flight.join_next().await.is_some() {}
    }
}
