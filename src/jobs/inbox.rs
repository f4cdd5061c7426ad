//! A durable inbox of events and the worker that drains it.
//!
//! A webhook handler (or Bino itself, for outbound events) appends each event to a stream;
//! this worker reads the stream through a consumer group, drops duplicates by the event's
//! own id, hands each event to an [`InboxHandler`] and acknowledges it. An entry is acknowledged
//! only after it was handled, so a crash means a retry, never a loss; an entry left by a
//! dead worker is reclaimed after a while, and one that keeps failing goes to the dead
//! letters with its error. The supplier's events, the payment provider's and the outbound events' fan-out
//! share this.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError, StreamEntry};

/// Event ids are remembered this long; senders retry for far less.
const DEDUPE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// An entry not acknowledged for this long is presumed abandoned and taken over.
const RECLAIM_AFTER: Duration = Duration::from_secs(30);

/// Where one inbox lives and how patient its worker is.
#[derive(Clone, Copy, Debug)]
pub struct InboxSpec {
    pub stream: &'static str,
    pub group: &'static str,
    pub dead_letters: &'static str,
    /// The inbox's name in logs, metrics and dedupe keys (`supplier`, `payments`).
    pub name: &'static str,
    /// Attempts before an entry is moved to the dead letters.
    pub max_attempts: i64,
}

/// What an inbox's events are and what handling one means.
#[async_trait]
pub trait InboxHandler: Send + Sync + 'static {
    type Event: Send + Sync;

    /// Reads a stored body. The webhook refused unreadable bodies, so a failure here is a
    /// bug upstream and the entry is kept aside in the dead letters.
    fn parse(&self, payload: &[u8]) -> Result<Self::Event, String>;

    /// The sender's own id of the event: two deliveries with one id are one event. `None`
    /// when handling is idempotent anyway and needs no dedupe claim.
    fn event_id<'e>(&self, event: &'e Self::Event) -> Option<&'e str>;

    /// The event's type, for metrics.
    fn kind(&self, event: &Self::Event) -> String;

    /// Acts on the event; an error means "try again later".
    async fn handle(&self, event: &Self::Event) -> Result<(), String>;
}

pub struct InboxWorker<H> {
    store: Arc<dyn Store>,
    handler: H,
    spec: InboxSpec,
    consumer: String,
    /// How long an unacknowledged entry waits before another consumer takes it over.
    pub reclaim_after: Duration,
}

impl<H: InboxHandler> InboxWorker<H> {
    pub fn new(store: Arc<dyn Store>, handler: H, spec: InboxSpec, consumer: String) -> Self {
        InboxWorker {
            store,
            handler,
            spec,
            consumer,
            reclaim_after: RECLAIM_AFTER,
        }
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        let InboxSpec {
            stream,
            group,
            name,
            ..
        } = self.spec;
        while let Err(error) = self.store.stream_ensure_group(stream, group).await {
            tracing::warn!(%error, inbox = name, "inbox not ready, retrying");
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
                    tracing::warn!(%error, inbox = name, "inbox unreadable, retrying");
                    super::pause_after_store_error().await;
                    super::recreate_group(self.store.as_ref(), stream, group).await;
                }
            }
        }
    }

    /// Abandoned entries first, then new ones (waiting up to a second for them).
    async fn next_batch(&self) -> Result<Vec<StreamEntry>, StoreError> {
        let InboxSpec { stream, group, .. } = self.spec;
        let reclaimed = self
            .store
            .stream_claim_idle(stream, group, &self.consumer, self.reclaim_after, 16)
            .await?;
        if !reclaimed.is_empty() {
            return Ok(reclaimed);
        }
        self.store
            .stream_read(stream, group, &self.consumer, 16, Duration::from_secs(1))
            .await
    }

    /// Handles one entry; acknowledges it unless it should be tried again later.
    pub async fn handle(&self, entry: StreamEntry) {
        let InboxSpec {
            stream,
            dead_letters,
            name,
            max_attempts,
            ..
        } = self.spec;
        let Err(error) = self.process(&entry).await else {
            return self.ack(&entry).await;
        };
        let attempts = self
            .store
            .increment(&format!("attempts:{stream}:{}", entry.id), Some(DEDUPE_TTL))
            .await
            .unwrap_or(1);
        if attempts < max_attempts {
            tracing::warn!(%error, attempts, inbox = name, "inbox event failed, will retry");
            return;
        }
        tracing::error!(%error, attempts, inbox = name, "inbox event failed repeatedly, moved to dead letters");
        metrics::counter!("bino_inbox_dead_letters_total", "inbox" => name).increment(1);
        let letter = serde_json::json!({
            "entry": entry.id,
            "error": error,
            "body": String::from_utf8_lossy(&entry.payload),
        });
        let stored = self
            .store
            .stream_append(dead_letters, letter.to_string().as_bytes())
            .await;
        if stored.is_ok() {
            self.ack(&entry).await;
        }
    }

    async fn process(&self, entry: &StreamEntry) -> Result<(), String> {
        let name = self.spec.name;
        let event = self
            .handler
            .parse(&entry.payload)
            .map_err(|error| format!("unreadable event: {error}"))?;
        if let Some(event_id) = self.handler.event_id(&event)
            && !self.claim(event_id, &entry.id).await?
        {
            tracing::debug!(event.id = %event_id, inbox = name, "duplicate event skipped");
            metrics::counter!("bino_inbox_duplicates_total", "inbox" => name).increment(1);
            return Ok(());
        }

        let outcome = self.handler.handle(&event).await;
        metrics::counter!(
            "bino_inbox_events_total",
            "inbox" => name,
            "type" => self.handler.kind(&event),
            "outcome" => if outcome.is_ok() { "ok" } else { "error" }
        )
        .increment(1);
        outcome
    }

    /// Whether this entry may handle the event: the first entry to claim an event id does.
    /// The claim holds the entry id, so the same entry retried after a crash recognises its
    /// own claim and goes on.
    async fn claim(&self, event_id: &str, entry_id: &str) -> Result<bool, String> {
        let dedupe_key = format!("seen:{}:{event_id}", self.spec.name);
        let claimed = self
            .store
            .set_if_absent(&dedupe_key, entry_id.as_bytes(), Some(DEDUPE_TTL))
            .await
            .map_err(|error| error.to_string())?;
        if claimed {
            return Ok(true);
        }
        let holder = self
            .store
            .get(&dedupe_key)
            .await
            .map_err(|error| error.to_string())?;
        Ok(holder.as_deref() == Some(entry_id.as_bytes()))
    }

    async fn ack(&self, entry: &StreamEntry) {
        let InboxSpec {
            stream,
            group,
            name,
            ..
        } = self.spec;
        if let Err(error) = self
            .store
            .stream_ack(stream, group, std::slice::from_ref(&entry.id))
            .await
        {
            // Not fatal: the entry will be reclaimed and recognised as already handled.
            tracing::warn!(%error, inbox = name, "inbox event handled but not acknowledged");
        }
    }
}
