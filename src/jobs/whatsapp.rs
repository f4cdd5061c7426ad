//! The WhatsApp inbox: webhook bodies in, each customer's updates handled one at a time, in
//! the order they arrived, each exactly once.
//!
//! Two stages, both over the store so that any number of `bino serve` processes share them:
//!
//! 1. **Split.** The webhook appends raw bodies to [`INBOX`]. One process at a time (whoever
//!    holds a short lease) reads them in order, parses each into updates and queues every
//!    update on its customer's queue, atomically with a dedupe mark kept for seven days, so a
//!    redelivered message is never queued twice. It then announces the customer on
//!    [`READY`] and acknowledges the body. A single splitter is what keeps arrival order: two
//!    could queue one customer's consecutive messages the wrong way round.
//! 2. **Turns.** Every process reads [`READY`]. For an announced customer it takes the
//!    customer's lock (a lease it renews while working), handles the queue front to back
//!    through the [`TurnHandler`], and removes each item only once handled. Releasing the
//!    lock is followed by a fresh look at the queue, so an item queued while the lock was
//!    held is never stranded.
//!
//! A crash anywhere means a retry, never a loss: unacknowledged bodies and announcements are
//! reclaimed, and an item stays at the front of its queue until handled. An item that keeps
//! failing is moved to [`DEAD_LETTERS`] so the customer's later messages are not held up.
//!
//! Keys of one customer share a Redis Cluster hash tag (`{…}`), so the atomic steps across
//! them run on one node.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError, StreamEntry};
use crate::whatsapp::model::{DeliveryStatus, Update};
use crate::whatsapp::{outbox, payload};

/// Raw webhook bodies, as received and verified.
pub const INBOX: &str = "inbox:whatsapp";
/// Customers with updates waiting, one entry per batch that queued something for them.
pub const READY: &str = "inbox:whatsapp:ready";
/// Bodies that cannot be read and updates that failed repeatedly, with the error.
pub const DEAD_LETTERS: &str = "inbox:whatsapp:dead";

const SPLIT_GROUP: &str = "whatsapp-split";
const TURN_GROUP: &str = "whatsapp-turns";
/// Who splits; see the module documentation for why only one process does.
const SPLIT_LEASE_KEY: &str = "lease:whatsapp-split";

/// Message ids are remembered this long: Meta retries a delivery for up to seven days.
pub const DEDUPE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Meta lets a business answer freely for 24 hours after the customer's last message.
pub const SERVICE_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Failed attempts at one update before it goes to the dead letters.
const MAX_ATTEMPTS: i64 = 5;
/// Longest a dedupe id may be inside a key; longer ids (never seen from Meta) are hashed.
const MAX_ID_IN_KEY: usize = 128;

/// Timings, shortened by tests.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// How long a customer lock or the split lease lasts without renewal. A worker renews
    /// it every quarter of this while it works.
    pub lease: Duration,
    /// An announcement or body unacknowledged this long is taken over. Longer than
    /// `lease`, so whoever takes over finds the dead holder's lock expired.
    pub reclaim_after: Duration,
    /// Customers handled at once by this process.
    pub concurrency: usize,
    /// Pause before retrying a failed update; doubled at each attempt.
    pub retry_pause: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            lease: Duration::from_secs(20),
            reclaim_after: Duration::from_secs(30),
            concurrency: 64,
            retry_pause: Duration::from_millis(500),
        }
    }
}

/// One thing for a customer's conversation to handle: what WhatsApp delivered, or news
/// from the rest of Bino about the customer's orders. Both wait in the same queue, so the
/// conversation sees them one at a time, in the order they happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "turn", rename_all = "snake_case")]
pub enum Turn {
    Update(Update),
    /// An order of the customer changed (allocated, failed, ...); the handler reads it.
    OrderChanged {
        order_id: String,
    },
    /// The supplier reported on one of the customer's eSIMs (installed, data used,
    /// validity running out); the handler reads the profile.
    ProfileChanged {
        order_id: String,
        esim_tran_no: String,
        /// `status`, `smdp`, `data_usage` or `validity_usage`.
        update: String,
        source_event_id: String,
    },
    /// An operator handed the conversation back to the bot.
    Released {
        request_id: String,
    },
}

/// What the channel does with one customer's turn, once, in order. The conversation
/// implements it; tests record with it.
#[async_trait]
pub trait TurnHandler: Send + Sync + 'static {
    /// Handles `turn` for `customer` (the customer key of [`Update::customer`]). An error
    /// means "try again"; after repeated errors the turn goes to the dead letters.
    async fn handle(&self, customer: &str, turn: &Turn) -> Result<(), TurnError>;
}

/// A failed turn; the text is logged, so it must not hold personal data.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TurnError(pub String);

/// The store keys of one customer. The customer key is hashed: the keys then need no
/// escaping, stay short, and do not spell out a phone number in Redis tooling.
#[derive(Clone, Debug)]
pub struct CustomerKeys {
    tag: String,
}

impl CustomerKeys {
    pub fn new(customer: &str) -> Self {
        let digest = Sha256::digest(customer.as_bytes());
        CustomerKeys {
            tag: hex::encode(&digest[..16]),
        }
    }

    /// Updates waiting to be handled, oldest first.
    pub fn queue(&self) -> String {
        format!("wa:{{{}}}:queue", self.tag)
    }

    /// Held while a worker handles this customer's queue.
    pub fn lock(&self) -> String {
        format!("wa:{{{}}}:lock", self.tag)
    }

    /// Marks an update as queued already.
    pub fn seen(&self, update_id: &str) -> String {
        if update_id.len() > MAX_ID_IN_KEY {
            let digest = hex::encode(Sha256::digest(update_id.as_bytes()));
            format!("wa:{{{}}}:seen:#{digest}", self.tag)
        } else {
            format!("wa:{{{}}}:seen:{update_id}", self.tag)
        }
    }

    /// The Unix time of the customer's last message, for the 24-hour window.
    pub fn last_inbound(&self) -> String {
        format!("wa:{{{}}}:last-inbound", self.tag)
    }

    fn attempts(&self, item: &[u8]) -> String {
        let digest = hex::encode(&Sha256::digest(item)[..12]);
        format!("wa:{{{}}}:attempts:{digest}", self.tag)
    }

    /// The key's hashed form, for logs.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

/// Appends one verified webhook body to the inbox. Once this returns Ok, every update in it
/// will be handled.
pub async fn enqueue(store: &dyn Store, body: &[u8]) -> Result<String, StoreError> {
    store.stream_append(INBOX, body).await
}

/// When the customer last wrote to us (Unix seconds), if within the dedupe horizon.
pub async fn last_inbound(store: &dyn Store, customer: &str) -> Result<Option<i64>, StoreError> {
    let value = store
        .get(&CustomerKeys::new(customer).last_inbound())
        .await?;
    Ok(value
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse().ok()))
}

/// Whether free-form messages may be sent to the customer at `now` (Unix seconds): Meta
/// allows them for 24 hours after the customer's last message; outside it only templates.
pub async fn window_open(store: &dyn Store, customer: &str, now: i64) -> Result<bool, StoreError> {
    let window = i64::try_from(SERVICE_WINDOW.as_secs()).unwrap_or(i64::MAX);
    Ok(last_inbound(store, customer)
        .await?
        .is_some_and(|last| now.saturating_sub(last) < window))
}

/// One turn as it waits in a customer's queue.
#[derive(Serialize, Deserialize)]
struct Queued {
    customer: String,
    turn: Turn,
}

/// Queues `turn` for `customer` unless a turn with `dedupe_id` was queued within the dedupe
/// horizon, and announces the customer; true when queued. For news from elsewhere in Bino
/// (an order allocated) that the customer's conversation must hear about exactly once.
pub async fn submit(
    store: &dyn Store,
    customer: &str,
    dedupe_id: &str,
    turn: Turn,
) -> Result<bool, StoreError> {
    let keys = CustomerKeys::new(customer);
    let item = serde_json::to_vec(&Queued {
        customer: customer.to_owned(),
        turn,
    })
    .map_err(|error| StoreError::Protocol(error.to_string()))?;
    let queued = store
        .queue_push_once(&keys.seen(dedupe_id), DEDUPE_TTL, &keys.queue(), &item)
        .await?;
    store.stream_append(READY, customer.as_bytes()).await?;
    Ok(queued)
}

pub struct WhatsAppWorker {
    store: Arc<dyn Store>,
    handler: Arc<dyn TurnHandler>,
    consumer: String,
    tuning: Tuning,
}

impl WhatsAppWorker {
    pub fn new(
        store: Arc<dyn Store>,
        handler: Arc<dyn TurnHandler>,
        consumer: String,
        tuning: Tuning,
    ) -> Arc<Self> {
        Arc::new(WhatsAppWorker {
            store,
            handler,
            consumer,
            tuning,
        })
    }

    /// Starts the splitter and the turn reader; both stop when `shutdown` is cancelled.
    pub fn spawn(self: &Arc<Self>, workers: &mut JoinSet<()>, shutdown: &CancellationToken) {
        workers.spawn(Arc::clone(self).run_splitter(shutdown.clone()));
        workers.spawn(Arc::clone(self).run_turns(shutdown.clone()));
    }

    async fn ensure_group(&self, stream: &str, group: &str, shutdown: &CancellationToken) -> bool {
        while let Err(error) = self.store.stream_ensure_group(stream, group).await {
            tracing::warn!(%error, stream, "WhatsApp inbox not ready, retrying");
            tokio::select! {
                () = shutdown.cancelled() => return false,
                () = super::pause_after_store_error() => {}
            }
        }
        true
    }

    async fn run_splitter(self: Arc<Self>, shutdown: CancellationToken) {
        if !self.ensure_group(INBOX, SPLIT_GROUP, &shutdown).await {
            return;
        }
        let mut leading = false;
        // Whether the bodies a previous leader left unacknowledged have all been taken.
        let mut caught_up = false;
        while !shutdown.is_cancelled() {
            let was_leading = leading;
            leading = match self.hold_split_lease(was_leading).await {
                Ok(held) => held,
                Err(error) => {
                    tracing::warn!(%error, "WhatsApp split lease unreachable, retrying");
                    false
                }
            };
            if !leading {
                caught_up = false;
                // Another process splits; check again before its lease could run out.
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(self.tuning.lease / 4) => {}
                }
                continue;
            }
            let batch = tokio::select! {
                () = shutdown.cancelled() => return,
                batch = self.next_bodies(caught_up) => batch,
            };
            match batch {
                Ok((entries, taken_over)) => {
                    if !taken_over {
                        caught_up = true;
                    }
                    for entry in entries {
                        self.split_and_ack(&entry).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "WhatsApp inbox unreadable, retrying");
                    super::pause_after_store_error().await;
                    super::recreate_group(self.store.as_ref(), INBOX, SPLIT_GROUP).await;
                }
            }
        }
        if leading {
            // Let another process take over at once rather than after the lease.
            let _ = self
                .store
                .delete_if(SPLIT_LEASE_KEY, self.consumer.as_bytes())
                .await;
        }
    }

    /// Takes or renews the split lease; true while this process holds it.
    async fn hold_split_lease(&self, held: bool) -> Result<bool, StoreError> {
        let me = self.consumer.as_bytes();
        if held {
            return self
                .store
                .compare_and_swap(SPLIT_LEASE_KEY, Some(me), me, Some(self.tuning.lease))
                .await;
        }
        self.store
            .set_if_absent(SPLIT_LEASE_KEY, me, Some(self.tuning.lease))
            .await
    }

    /// The next bodies to split, and whether they were taken over from a predecessor. A new
    /// leader first takes every body left unacknowledged, however recently delivered, oldest
    /// first, so they are split before anything newer; then it reads new ones (and reclaims
    /// its own that failed, once idle).
    async fn next_bodies(&self, caught_up: bool) -> Result<(Vec<StreamEntry>, bool), StoreError> {
        let idle = if caught_up {
            self.tuning.reclaim_after
        } else {
            Duration::ZERO
        };
        let reclaimed = self
            .store
            .stream_claim_idle(INBOX, SPLIT_GROUP, &self.consumer, idle, 64)
            .await?;
        if !reclaimed.is_empty() {
            return Ok((reclaimed, !caught_up));
        }
        // Blocking for at most a quarter lease, so the lease is renewed in time.
        let read = self
            .store
            .stream_read(
                INBOX,
                SPLIT_GROUP,
                &self.consumer,
                64,
                self.tuning.lease / 4,
            )
            .await?;
        Ok((read, false))
    }

    async fn split_and_ack(&self, entry: &StreamEntry) {
        match self.split(entry).await {
            Ok(()) => {}
            Err(SplitError::Store(error)) => {
                // Left unacknowledged: a later pass (or another leader) splits it again,
                // and the dedupe marks make that harmless.
                tracing::warn!(%error, "WhatsApp body not split, will retry");
                return;
            }
            Err(SplitError::Unreadable(error)) => {
                tracing::error!(%error, "WhatsApp body unreadable, moved to dead letters");
                if self
                    .dead_letter(&entry.id, &error, &entry.payload)
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        if let Err(error) = self
            .store
            .stream_ack(INBOX, SPLIT_GROUP, std::slice::from_ref(&entry.id))
            .await
        {
            tracing::warn!(%error, "WhatsApp body split but not acknowledged");
        }
    }

    /// Queues every update of one body on its customer's queue and announces the customers.
    pub async fn split(&self, entry: &StreamEntry) -> Result<(), SplitError> {
        let parsed = payload::parse(&entry.payload)
            .map_err(|error| SplitError::Unreadable(error.to_string()))?;
        for skipped in &parsed.skipped {
            tracing::warn!(
                reason = skipped.reason.as_str(),
                "WhatsApp item skipped; the rest of the batch goes on"
            );
            metrics::counter!("bino_whatsapp_skipped_total", "reason" => skipped.reason.as_str())
                .increment(1);
        }

        // Announced in the order first seen, once per body.
        let mut customers: Vec<&str> = Vec::new();
        let mut announced: HashSet<&str> = HashSet::new();
        for update in &parsed.updates {
            metrics::counter!("bino_whatsapp_updates_total", "kind" => update_kind(update))
                .increment(1);
            let Some(customer) = update.customer() else {
                note_update_without_customer(update);
                continue;
            };
            let keys = CustomerKeys::new(customer);
            let item = serde_json::to_vec(&Queued {
                customer: customer.to_owned(),
                turn: Turn::Update(update.clone()),
            })
            .map_err(|error| SplitError::Unreadable(error.to_string()))?;
            let queued = self
                .store
                .queue_push_once(
                    &keys.seen(&dedupe_id(update)),
                    DEDUPE_TTL,
                    &keys.queue(),
                    &item,
                )
                .await?;
            if !queued {
                metrics::counter!("bino_inbox_duplicates_total", "inbox" => "whatsapp")
                    .increment(1);
            }
            // Announced even when already queued: an earlier pass may have queued it and
            // crashed before announcing.
            if announced.insert(customer) {
                customers.push(customer);
            }
        }
        for customer in customers {
            self.store.stream_append(READY, customer.as_bytes()).await?;
        }
        Ok(())
    }

    async fn run_turns(self: Arc<Self>, shutdown: CancellationToken) {
        if !self.ensure_group(READY, TURN_GROUP, &shutdown).await {
            return;
        }
        let permits = Arc::new(Semaphore::new(self.tuning.concurrency.max(1)));
        let mut turns = JoinSet::new();
        while !shutdown.is_cancelled() {
            // Read only as many announcements as can be worked on now; the rest stay in
            // the stream for this or another process.
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = turns.join_next() => {}
                }
                continue;
            }
            let batch = tokio::select! {
                () = shutdown.cancelled() => break,
                batch = self.next_announcements(free.min(64)) => batch,
            };
            let entries = match batch {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::warn!(%error, "WhatsApp announcements unreadable, retrying");
                    super::pause_after_store_error().await;
                    super::recreate_group(self.store.as_ref(), READY, TURN_GROUP).await;
                    continue;
                }
            };
            for entry in entries {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let worker = Arc::clone(&self);
                turns.spawn(async move {
                    worker.take_turn(entry).await;
                    drop(permit);
                });
            }
            while turns.try_join_next().is_some() {}
        }
        // The turns in hand finish: a customer's update is never cut off half-handled.
        while turns.join_next().await.is_some() {}
    }

    async fn next_announcements(&self, count: usize) -> Result<Vec<StreamEntry>, StoreError> {
        let reclaimed = self
            .store
            .stream_claim_idle(
                READY,
                TURN_GROUP,
                &self.consumer,
                self.tuning.reclaim_after,
                count,
            )
            .await?;
        if !reclaimed.is_empty() {
            return Ok(reclaimed);
        }
        self.store
            .stream_read(
                READY,
                TURN_GROUP,
                &self.consumer,
                count,
                Duration::from_secs(1),
            )
            .await
    }

    async fn take_turn(&self, entry: StreamEntry) {
        let customer = String::from_utf8_lossy(&entry.payload).into_owned();
        match self.drain(&customer).await {
            Ok(()) => {
                if let Err(error) = self
                    .store
                    .stream_ack(READY, TURN_GROUP, std::slice::from_ref(&entry.id))
                    .await
                {
                    tracing::warn!(%error, "WhatsApp turn done but not acknowledged");
                }
            }
            Err(error) => {
                // Unacknowledged, so the announcement is reclaimed and the queue drained then.
                tracing::warn!(%error, customer = %crate::telemetry::hash_id(&customer), "WhatsApp turn interrupted, will retry");
            }
        }
    }

    /// Handles everything queued for `customer`, unless another worker holds the customer's
    /// lock, in which case that worker will.
    pub async fn drain(&self, customer: &str) -> Result<(), StoreError> {
        let keys = CustomerKeys::new(customer);
        let holder = format!("{}:{}", self.consumer, uuid::Uuid::new_v4().simple());
        loop {
            let locked = self
                .store
                .set_if_absent(&keys.lock(), holder.as_bytes(), Some(self.tuning.lease))
                .await?;
            if !locked {
                return Ok(());
            }
            let drained = self.drain_locked(&keys, &holder).await;
            let released = self.store.delete_if(&keys.lock(), holder.as_bytes()).await;
            drained?;
            released?;
            // Whatever was queued while the lock was held is handled now; whoever announced
            // it found the lock taken and left it to us.
            if self.store.queue_len(&keys.queue()).await? == 0 {
                return Ok(());
            }
        }
    }

    async fn drain_locked(&self, keys: &CustomerKeys, holder: &str) -> Result<(), StoreError> {
        while let Some(item) = self.store.queue_front(&keys.queue()).await? {
            if !self.renew_lock(keys, holder).await? {
                // The lease ran out and someone else took over; they have the queue now.
                return Ok(());
            }
            let handled = self.with_lease(keys, holder, self.handle_item(&item)).await;
            match handled {
                Ok(()) => {}
                Err(error) => {
                    let attempts = self
                        .store
                        .increment(&keys.attempts(&item), Some(DEDUPE_TTL))
                        .await?;
                    if attempts < MAX_ATTEMPTS {
                        tracing::warn!(%error, attempts, customer = %&keys.tag[..12], "WhatsApp update failed, will retry");
                        let pause = self.tuning.retry_pause
                            * 2u32.saturating_pow(u32::try_from(attempts - 1).unwrap_or(0));
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    tracing::error!(%error, attempts, customer = %&keys.tag[..12], "WhatsApp update failed repeatedly, moved to dead letters");
                    self.dead_letter(&keys.tag, &error.0, &item).await?;
                }
            }
            self.store.queue_remove_front(&keys.queue(), &item).await?;
        }
        Ok(())
    }

    async fn renew_lock(&self, keys: &CustomerKeys, holder: &str) -> Result<bool, StoreError> {
        let holder = holder.as_bytes();
        self.store
            .compare_and_swap(&keys.lock(), Some(holder), holder, Some(self.tuning.lease))
            .await
    }

    /// Runs `work` while renewing the customer's lock, so a slow turn (an LLM, a supplier
    /// order) keeps it.
    async fn with_lease<T>(
        &self,
        keys: &CustomerKeys,
        holder: &str,
        work: impl Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        let mut ticker = tokio::time::interval(self.tuning.lease / 4);
        ticker.tick().await;
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = ticker.tick() => {
                    if let Err(error) = self.renew_lock(keys, holder).await {
                        tracing::warn!(%error, "WhatsApp customer lock not renewed");
                    }
                }
            }
        }
    }

    async fn handle_item(&self, item: &[u8]) -> Result<(), TurnError> {
        let queued: Queued = match serde_json::from_slice(item) {
            Ok(queued) => queued,
            // Written by this module; unreadable means a format change across versions.
            Err(error) => return Err(TurnError(format!("queued update unreadable: {error}"))),
        };
        match &queued.turn {
            Turn::Update(Update::Message(message)) => {
                self.note_inbound(&queued.customer, message.timestamp)
                    .await
                    .map_err(|error| TurnError(error.to_string()))?;
            }
            Turn::Update(Update::Status(status)) => {
                metrics::counter!("bino_whatsapp_statuses_total", "status" => status_label(&status.status))
                    .increment(1);
                let record = outbox::note_status(self.store.as_ref(), status)
                    .await
                    .map_err(|error| TurnError(error.to_string()))?;
                if status.status == DeliveryStatus::Failed {
                    let code = status.errors.first().map_or(0, |error| error.code);
                    let purpose =
                        record.map_or_else(|| "unknown".to_owned(), |record| record.purpose);
                    tracing::warn!(error.code = code, purpose = %purpose, "WhatsApp reports a message of ours failed");
                    metrics::counter!("bino_whatsapp_delivery_failures_total", "code" => code.to_string(), "purpose" => purpose)
                        .increment(1);
                }
            }
            Turn::Update(Update::Error(_) | Update::Ignored { .. })
            | Turn::OrderChanged { .. }
            | Turn::ProfileChanged { .. }
            | Turn::Released { .. } => {}
        }
        self.handler.handle(&queued.customer, &queued.turn).await
    }

    /// Remembers the customer's latest message time; the window counts from it.
    async fn note_inbound(&self, customer: &str, timestamp: i64) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp();
        // A clock ahead of ours must not stretch the window.
        let timestamp = timestamp.min(now);
        let previous = last_inbound(self.store.as_ref(), customer).await?;
        if previous.is_some_and(|previous| previous >= timestamp) {
            return Ok(());
        }
        self.store
            .set(
                &CustomerKeys::new(customer).last_inbound(),
                timestamp.to_string().as_bytes(),
                Some(DEDUPE_TTL),
            )
            .await
    }

    async fn dead_letter(
        &self,
        source: &str,
        error: &str,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        metrics::counter!("bino_inbox_dead_letters_total", "inbox" => "whatsapp").increment(1);
        let letter = serde_json::json!({
            "source": source,
            "error": error,
            "body": String::from_utf8_lossy(payload),
        });
        self.store
            .stream_append(DEAD_LETTERS, letter.to_string().as_bytes())
            .await
            .map(drop)
            .inspect_err(|error| tracing::error!(%error, "WhatsApp dead letter not stored"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unreadable webhook body: {0}")]
    Unreadable(String),
}

/// What makes an update the same as an earlier delivery: the message id, or for a status
/// the message id and the status (each status arrives once per message).
fn dedupe_id(update: &Update) -> String {
    match update {
        Update::Message(message) => message.id.clone(),
        Update::Status(status) => format!("{}:{}", status.message_id, status.status.as_str()),
        Update::Error(_) | Update::Ignored { .. } => String::new(),
    }
}

fn update_kind(update: &Update) -> &'static str {
    match update {
        Update::Message(_) => "message",
        Update::Status(_) => "status",
        Update::Error(_) => "error",
        Update::Ignored { .. } => "ignored",
    }
}

/// A bounded label for a status: Meta's known names, else "other".
fn status_label(status: &DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Played => "played",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Other(_) => "other",
    }
}

/// Errors Meta reports for a whole change, and changes Bino does not act on, concern no
/// customer: they are logged and counted, not queued.
fn note_update_without_customer(update: &Update) {
    match update {
        Update::Error(error) => {
            let codes: Vec<i64> = error.errors.iter().map(|detail| detail.code).collect();
            tracing::warn!(?codes, "WhatsApp reports an error for a whole change");
        }
        Update::Ignored { field } => {
            tracing::debug!(field = %field.chars().take(64).collect::<String>(), "WhatsApp change ignored");
        }
        Update::Message(_) | Update::Status(_) => {
            tracing::warn!("WhatsApp update names nobody; skipped");
        }
    }
}
