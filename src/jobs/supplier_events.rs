//! The supplier-event inbox and its worker.
//!
//! The webhook (and the sandbox) append raw event bodies to [`INBOX`]. The worker parses
//! each, drops duplicates by event id, lets [`OrderService`] act on it and acknowledges it.
//! An entry is acknowledged only after it was handled, so a crash means a retry, never a
//! loss; an entry that keeps failing goes to [`DEAD_LETTERS`] with its error.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::orders::OrderService;
use crate::store::{Store, StoreError, StreamEntry};
use crate::supply::events::SupplierEvent;

pub const INBOX: &str = "inbox:supplier";
pub const DEAD_LETTERS: &str = "inbox:supplier:dead";
const GROUP: &str = "supplier-events";
/// Event ids are remembered this long; the supplier retries for far less.
const DEDUPE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// An entry not acknowledged for this long is presumed abandoned and taken over.
const RECLAIM_AFTER: Duration = Duration::from_secs(30);
/// Attempts before an entry is moved to the dead letters.
const MAX_ATTEMPTS: i64 = 5;

/// Appends one raw event body to the inbox. Once this returns Ok the event will be handled.
pub async fn enqueue(store: &dyn Store, body: &[u8]) -> Result<(), StoreError> {
    store.stream_append(INBOX, body).await.map(|_| ())
}

pub struct SupplierEventWorker {
    pub store: Arc<dyn Store>,
    pub orders: Arc<OrderService>,
    pub consumer: String,
    pub reclaim_after: Duration,
}

impl SupplierEventWorker {
    pub fn new(store: Arc<dyn Store>, orders: Arc<OrderService>, consumer: String) -> Self {
        SupplierEventWorker {
            store,
            orders,
            consumer,
            reclaim_after: RECLAIM_AFTER,
        }
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        while let Err(error) = self.store.stream_ensure_group(INBOX, GROUP).await {
            tracing::warn!(%error, "supplier inbox not ready, retrying");
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
                    tracing::warn!(%error, "supplier inbox unreadable, retrying");
                    super::pause_after_store_error().await;
                    super::recreate_group(self.store.as_ref(), INBOX, GROUP).await;
                }
            }
        }
    }

    /// Abandoned entries first, then new ones (waiting up to a second for them).
    async fn next_batch(&self) -> Result<Vec<StreamEntry>, StoreError> {
        let reclaimed = self
            .store
            .stream_claim_idle(INBOX, GROUP, &self.consumer, self.reclaim_after, 16)
            .await?;
        if !reclaimed.is_empty() {
            return Ok(reclaimed);
        }
        self.store
            .stream_read(INBOX, GROUP, &self.consumer, 16, Duration::from_secs(1))
            .await
    }

    /// Handles one entry; acknowledges it unless it should be tried again later.
    pub async fn handle(&self, entry: StreamEntry) {
        match self.process(&entry).await {
            Ok(()) => self.ack(&entry).await,
            Err(error) => {
                let attempts = self
                    .store
                    .increment(&format!("attempts:{INBOX}:{}", entry.id), Some(DEDUPE_TTL))
                    .await
                    .unwrap_or(1);
                if attempts >= MAX_ATTEMPTS {
                    tracing::error!(%error, attempts, "supplier event failed repeatedly, moved to dead letters");
                    metrics::counter!("bino_inbox_dead_letters_total", "inbox" => "supplier")
                        .increment(1);
                    let letter = serde_json::json!({
                        "entry": entry.id,
                        "error": error,
                        "body": String::from_utf8_lossy(&entry.payload),
                    });
                    let stored = self
                        .store
                        .stream_append(DEAD_LETTERS, letter.to_string().as_bytes())
                        .await;
                    if stored.is_ok() {
                        self.ack(&entry).await;
                    }
                } else {
                    tracing::warn!(%error, attempts, "supplier event failed, will retry");
                }
            }
        }
    }

    async fn process(&self, entry: &StreamEntry) -> Result<(), String> {
        let event = match SupplierEvent::parse(&entry.payload) {
            Ok(event) => event,
            Err(error) => {
                // The webhook refuses such bodies, so this is a bug upstream; keep it aside.
                return Err(format!("unreadable event: {error}"));
            }
        };

        // The first entry to claim an event id handles it. The claim holds the entry id,
        // so the same entry retried after a crash recognises its own claim and goes on.
        let dedupe_key = format!("seen:supplier:{}", event.event_id);
        let claimed = self
            .store
            .set_if_absent(&dedupe_key, entry.id.as_bytes(), Some(DEDUPE_TTL))
            .await
            .map_err(|error| error.to_string())?;
        if !claimed {
            let holder = self
                .store
                .get(&dedupe_key)
                .await
                .map_err(|error| error.to_string())?;
            if holder.as_deref() != Some(entry.id.as_bytes()) {
                tracing::debug!(event.id = %event.event_id, "duplicate supplier event skipped");
                metrics::counter!("bino_inbox_duplicates_total", "inbox" => "supplier")
                    .increment(1);
                return Ok(());
            }
        }

        let outcome = self.orders.apply_event(&event).await;
        metrics::counter!(
            "bino_inbox_events_total",
            "inbox" => "supplier",
            "type" => event.notify_type.as_str().to_owned(),
            "outcome" => if outcome.is_ok() { "ok" } else { "error" }
        )
        .increment(1);
        outcome.map_err(|error| error.to_string())
    }

    async fn ack(&self, entry: &StreamEntry) {
        if let Err(error) = self
            .store
            .stream_ack(INBOX, GROUP, std::slice::from_ref(&entry.id))
            .await
        {
            // Not fatal: the entry will be reclaimed and recognised as already handled.
            tracing::warn!(%error, "supplier event handled but not acknowledged");
        }
    }
}
