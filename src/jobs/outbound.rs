//! The outbound-event workers: fan-out and delivery.
//!
//! [`EventFanOut`] reads [`OUTBOUND`] through a consumer group, like the supplier-event
//! worker: each event goes into its business's log and becomes one delivery per
//! subscriber, then the entry is acknowledged. Everything it does is idempotent, so an
//! entry reclaimed from a worker that died is simply done again; an entry that keeps
//! failing goes to [`OUTBOUND_DEAD`].
//!
//! [`DeliveryWorker`] takes due deliveries from the schedule and attempts them
//! concurrently, a bounded number at a time, so a slow or failing receiver never holds up
//! the others; retries wait in the schedule, not in a task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::events::delivery::{Deliveries, DeliveryTuning, Subscriber};
use crate::events::{Audience, OUTBOUND, OUTBOUND_DEAD, Outbound, callback, log};
use crate::store::{StoreError, StreamEntry};

const GROUP: &str = "event-fanout";
/// An entry not acknowledged for this long is presumed abandoned and taken over.
const RECLAIM_AFTER: Duration = Duration::from_secs(30);
/// Attempts before an entry is moved to the dead letters.
const MAX_ATTEMPTS: i64 = 5;
/// Failure counters of entries are kept this long.
const ATTEMPTS_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct EventFanOut {
    pub deliveries: Arc<Deliveries>,
    pub consumer: String,
    pub reclaim_after: Duration,
}

impl EventFanOut {
    pub fn new(deliveries: Arc<Deliveries>, consumer: String) -> Self {
        EventFanOut {
            deliveries,
            consumer,
            reclaim_after: RECLAIM_AFTER,
        }
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        let store = Arc::clone(self.deliveries.store());
        while let Err(error) = store.stream_ensure_group(OUTBOUND, GROUP).await {
            tracing::warn!(%error, "outbound event stream not ready, retrying");
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = super::pause_after_store_error() => {}
            }
        }
        while !shutdown.is_cancelled() {
            let batch = tokio::select! {
                () = shutdown.cancelled() => return,
                batch = self.next_batch() => batch,
            };
            match batch {
                Ok(entries) => {
                    for entry in entries {
                        self.handle(entry).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "outbound event stream unreadable, retrying");
                    super::pause_after_store_error().await;
                    super::recreate_group(self.deliveries.store().as_ref(), OUTBOUND, GROUP).await;
                }
            }
        }
    }

    /// Abandoned entries first, then new ones (waiting up to a second for them).
    async fn next_batch(&self) -> Result<Vec<StreamEntry>, StoreError> {
        let store = self.deliveries.store();
        let reclaimed = store
            .stream_claim_idle(OUTBOUND, GROUP, &self.consumer, self.reclaim_after, 16)
            .await?;
        if !reclaimed.is_empty() {
            return Ok(reclaimed);
        }
        store
            .stream_read(OUTBOUND, GROUP, &self.consumer, 16, Duration::from_secs(1))
            .await
    }

    /// Handles one entry; acknowledges it unless it should be tried again later.
    pub async fn handle(&self, entry: StreamEntry) {
        let store = self.deliveries.store();
        let Err(error) = self.fan_out(&entry).await else {
            self.ack(&entry).await;
            return;
        };
        let attempts = store
            .increment(
                &format!("attempts:{OUTBOUND}:{}", entry.id),
                Some(ATTEMPTS_TTL),
            )
            .await
            .unwrap_or(1);
        if attempts < MAX_ATTEMPTS {
            tracing::warn!(%error, attempts, "outbound event not fanned out, will retry");
            return;
        }
        tracing::error!(%error, attempts, "outbound event failed repeatedly, moved to dead letters");
        metrics::counter!("bino_inbox_dead_letters_total", "inbox" => "outbound").increment(1);
        let letter = serde_json::json!({
            "entry": entry.id,
            "error": error.to_string(),
            "body": String::from_utf8_lossy(&entry.payload),
        });
        if store
            .stream_append(OUTBOUND_DEAD, letter.to_string().as_bytes())
            .await
            .is_ok()
        {
            self.ack(&entry).await;
        }
    }

    async fn fan_out(&self, entry: &StreamEntry) -> Result<(), StoreError> {
        let outbound: Outbound = serde_json::from_slice(&entry.payload)
            .map_err(|error| StoreError::Protocol(format!("unreadable outbound event: {error}")))?;
        let store = self.deliveries.store().as_ref();
        let event = &outbound.event;
        match outbound.audience {
            Audience::Business { owner } => {
                log::append(store, &owner, event).await?;
                if callback::registered(store, &owner).await?.is_some() {
                    self.deliveries
                        .enqueue(Subscriber::Business { owner }, event)
                        .await?;
                }
            }
            Audience::Chat => {
                if self.deliveries.support_configured() {
                    self.deliveries.enqueue(Subscriber::Support, event).await?;
                }
            }
        }
        Ok(())
    }

    async fn ack(&self, entry: &StreamEntry) {
        if let Err(error) = self
            .deliveries
            .store()
            .stream_ack(OUTBOUND, GROUP, std::slice::from_ref(&entry.id))
            .await
        {
            // Not fatal: the entry will be reclaimed and fanned out again, to no effect.
            tracing::warn!(%error, "outbound event fanned out but not acknowledged");
        }
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
