//! Deliveries: one event to one subscriber, tried until it is delivered or the retry
//! window has passed, every attempt recorded.
//!
//! A delivery's id is derived from the event and the subscriber, and its record
//! (`delivery:{id}`) is created with set-if-absent, so an event announced twice is still
//! one delivery. Work is scheduled in the sorted set `deliveries:due`, scored by the Unix
//! millisecond it is due: a worker takes due ids atomically, re-scoring them a lease ahead,
//! so no two workers attempt one delivery at once and a worker that dies leaves its
//! deliveries to come due again when the lease runs out. A failed attempt re-scores the id
//! at its next retry; a delivered, failed or cancelled one leaves the schedule. Failed
//! deliveries are also listed in `deliveries:failed` (scored by when they failed) until
//! they are replayed.
//!
//! A subscriber may receive a delivery more than once only when Bino dies between the
//! receiver's 2xx and recording it; `Bino-Event-Id` lets receivers drop such a repeat.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::backoff::RetrySchedule;
use super::callback;
use super::sender::{SendOutcome, Target, WebhookSender};
use super::{Event, EventType};
use crate::store::{SharedStore, StoreError, get_json};

/// Deliveries waiting for their next attempt, scored by when it is due.
pub const DUE: &str = "deliveries:due";
/// Deliveries that failed for good, scored by when, until replayed.
pub const FAILED: &str = "deliveries:failed";
/// How long a delivery's record is kept.
const RECORD_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Attempts kept in a record; older ones are dropped (the count stays).
const MAX_ATTEMPTS_KEPT: usize = 50;

/// Who receives a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subscriber {
    /// The callback registered by the API key whose hash is `owner`.
    Business { owner: String },
    /// The support desk (`BINO_SUPPORT_WEBHOOK_URL`).
    Support,
}

impl Subscriber {
    /// The metric label and the listing's `subscriberKind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Subscriber::Business { .. } => "business",
            Subscriber::Support => "support",
        }
    }

    fn key(&self) -> String {
        match self {
            Subscriber::Business { owner } => format!("business:{owner}"),
            Subscriber::Support => "support".to_owned(),
        }
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// A 2xx was received.
    Delivered,
    /// Every attempt within the retry window failed; an admin may replay it.
    Failed,
    /// Nowhere to deliver: the callback was removed or the support desk unconfigured.
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }
}

/// One attempt and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// `http 500`, `timeout`, `connection failed`, `no callback registered`, ...
    pub outcome: String,
    pub http_status: Option<u16>,
}

/// The record of one delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event_type: EventType,
    pub subscriber: Subscriber,
    pub status: DeliveryStatus,
    /// The JSON sent, exactly; signatures are made per attempt.
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// The first attempt of the current series (a replay starts a new one): the retry
    /// window counts from here.
    pub window_started_at: Option<DateTime<Utc>>,
    /// Failed attempts in the current series: the backoff's position.
    pub window_failures: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt ever made.
    pub attempt_count: u32,
    /// The latest attempts, at most [`MAX_ATTEMPTS_KEPT`].
    pub attempts: Vec<Attempt>,
}

/// What the delivery worker may be told to tune.
#[derive(Clone, Copy, Debug)]
pub struct DeliveryTuning {
    pub retry: RetrySchedule,
    /// How often the worker looks for due deliveries.
    pub poll_interval: Duration,
    /// The longest a receiver may take to answer one attempt.
    pub timeout: Duration,
    /// Attempts in flight at once in one process.
    pub concurrency: usize,
}

impl Default for DeliveryTuning {
    fn default() -> Self {
        DeliveryTuning {
            retry: RetrySchedule::default(),
            poll_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(10),
            concurrency: 32,
        }
    }
}

impl DeliveryTuning {
    /// How far ahead a taken delivery is re-scored: past any attempt's end, so only a
    /// worker that died lets it come due again.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(30)
    }
}

/// Why a replay was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("no delivery with this id")]
    NotFound,
    #[error("only failed or cancelled deliveries can be replayed; this one is {}", .0.as_str())]
    NotReplayable(DeliveryStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The deliveries in the store, and how to make them.
pub struct Deliveries {
    store: SharedStore,
    sender: WebhookSender,
    /// The support desk's URL and secret, when configured.
    support: Option<Target>,
}

impl Deliveries {
    pub fn new(store: SharedStore, sender: WebhookSender, support: Option<Target>) -> Self {
        Deliveries {
            store,
            sender,
            support,
        }
    }

    pub fn support_configured(&self) -> bool {
        self.support.is_some()
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// Makes the delivery of `event` to `subscriber`, once, and schedules it now. Doing it
    /// again for the same pair changes nothing, unless a crash left the delivery
    /// unscheduled, which this repairs.
    pub async fn enqueue(&self, subscriber: Subscriber, event: &Event) -> Result<(), StoreError> {
        let id = delivery_id(&event.id, &subscriber);
        let now = Utc::now();
        let body = serde_json::to_string(event)
            .map_err(|error| StoreError::Protocol(format!("event not encodable: {error}")))?;
        let delivery = Delivery {
            id: id.clone(),
            event_id: event.id.clone(),
            event_type: event.event_type,
            subscriber,
            status: DeliveryStatus::Pending,
            body,
            created_at: now,
            window_started_at: None,
            window_failures: 0,
            next_attempt_at: None,
            delivered_at: None,
            attempt_count: 0,
            attempts: Vec::new(),
        };
        let created = self
            .store
            .set_if_absent(&record_key(&id), &encode(&delivery)?, Some(RECORD_TTL))
            .await?;
        let pending = created
            || self
                .load(&id)
                .await?
                .is_some_and(|existing| existing.status == DeliveryStatus::Pending);
        if pending {
            // Only if absent: a delivery already scheduled (or being attempted) keeps its time.
            self.store
                .sorted_add(DUE, &id, now.timestamp_millis(), true)
                .await?;
        }
        Ok(())
    }

    /// Takes up to `count` due deliveries for this worker, leased for one attempt.
    pub async fn take_due(
        &self,
        count: usize,
        tuning: &DeliveryTuning,
    ) -> Result<Vec<String>, StoreError> {
        let now = Utc::now().timestamp_millis();
        let lease_ms = i64::try_from(tuning.lease().as_millis()).unwrap_or(i64::MAX);
        self.store
            .sorted_take_due(DUE, now, now.saturating_add(lease_ms), count)
            .await
    }

    pub async fn get(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        self.load(id).await
    }

    /// Makes one attempt of delivery `id` (taken with [`Deliveries::take_due`]), records
    /// its outcome and schedules what follows.
    #[tracing::instrument(skip_all, fields(delivery.id = %id))]
    pub async fn attempt(&self, id: &str, tuning: &DeliveryTuning) -> Result<(), StoreError> {
        let Some(delivery) = self.load(id).await? else {
            // Expired with its record; nothing left to deliver.
            self.store.sorted_remove(DUE, id).await?;
            return Ok(());
        };
        if delivery.status != DeliveryStatus::Pending {
            self.store.sorted_remove(DUE, id).await?;
            return Ok(());
        }
        if let Some(next) = delivery.next_attempt_at
            && next > Utc::now()
        {
            // Taken early: a worker died after recording a retry but before scheduling it.
            self.store
                .sorted_add(DUE, id, next.timestamp_millis(), false)
                .await?;
            return Ok(());
        }

        let outcome = match self.target(&delivery.subscriber).await? {
            Some(target) => {
                self.sender
                    .send(&target, &delivery.event_id, &delivery.body, tuning.timeout)
                    .await
            }
            None => SendOutcome::Nowhere {
                reason: match delivery.subscriber {
                    Subscriber::Business { .. } => "no callback registered",
                    Subscriber::Support => "support desk not configured",
                },
            },
        };

        let recorded = self
            .update(id, |delivery| {
                record_attempt(delivery, &outcome, &tuning.retry, Utc::now());
            })
            .await?;
        let Some(delivery) = recorded else {
            return Ok(());
        };
        self.schedule_after_attempt(&delivery).await?;
        self.report(&delivery, &outcome);
        Ok(())
    }

    /// Failed deliveries, oldest failure first, at most `limit`.
    pub async fn failed(&self, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let listed = self.store.sorted_range(FAILED, limit).await?;
        let mut failed = Vec::with_capacity(listed.len());
        for (id, _) in listed {
            match self.load(&id).await? {
                Some(delivery) if delivery.status == DeliveryStatus::Failed => {
                    failed.push(delivery);
                }
                // Expired, or replayed by a request that died before unlisting it.
                _ => {
                    self.store.sorted_remove(FAILED, &id).await?;
                }
            }
        }
        Ok(failed)
    }

    /// Starts a failed (or cancelled) delivery over: pending, due now, with a new retry
    /// window.
    pub async fn replay(&self, id: &str) -> Result<Delivery, ReplayError> {
        let mut refused = None;
        let replayed = self
            .update(id, |delivery| {
                if !matches!(
                    delivery.status,
                    DeliveryStatus::Failed | DeliveryStatus::Cancelled
                ) {
                    refused = Some(delivery.status);
                    return;
                }
                refused = None;
                delivery.status = DeliveryStatus::Pending;
                delivery.window_started_at = None;
                delivery.window_failures = 0;
                delivery.next_attempt_at = None;
            })
            .await?
            .ok_or(ReplayError::NotFound)?;
        if let Some(status) = refused {
            return Err(ReplayError::NotReplayable(status));
        }
        self.store
            .sorted_add(DUE, id, Utc::now().timestamp_millis(), false)
            .await?;
        self.store.sorted_remove(FAILED, id).await?;
        tracing::info!(delivery.id = id, "delivery replayed");
        Ok(replayed)
    }

    async fn target(&self, subscriber: &Subscriber) -> Result<Option<Target>, StoreError> {
        match subscriber {
            Subscriber::Business { owner } => Ok(callback::registered(self.store.as_ref(), owner)
                .await?
                .map(|callback| Target {
                    url: callback.url,
                    secret: callback.secret,
                })),
            Subscriber::Support => Ok(self.support.as_ref().map(|support| Target {
                url: support.url.clone(),
                secret: support.secret.clone(),
            })),
        }
    }

    async fn schedule_after_attempt(&self, delivery: &Delivery) -> Result<(), StoreError> {
        match delivery.status {
            DeliveryStatus::Pending => {
                let due = delivery.next_attempt_at.unwrap_or_else(Utc::now);
                self.store
                    .sorted_add(DUE, &delivery.id, due.timestamp_millis(), false)
                    .await?;
            }
            DeliveryStatus::Failed => {
                self.store
                    .sorted_add(FAILED, &delivery.id, Utc::now().timestamp_millis(), false)
                    .await?;
                self.store.sorted_remove(DUE, &delivery.id).await?;
            }
            DeliveryStatus::Delivered | DeliveryStatus::Cancelled => {
                self.store.sorted_remove(DUE, &delivery.id).await?;
            }
        }
        Ok(())
    }

    fn report(&self, delivery: &Delivery, outcome: &SendOutcome) {
        let label = match delivery.status {
            DeliveryStatus::Pending => "retry",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        };
        metrics::counter!(
            "bino_event_deliveries_total",
            "subscriber_kind" => delivery.subscriber.kind(),
            "outcome" => label
        )
        .increment(1);
        let outcome = outcome.describe();
        let span = tracing::info_span!(
            "delivery",
            delivery.id = %delivery.id,
            event.id = %delivery.event_id,
            "event.type" = delivery.event_type.as_str(),
            subscriber.kind = delivery.subscriber.kind(),
            attempt = delivery.attempt_count,
        );
        let _entered = span.enter();
        match delivery.status {
            DeliveryStatus::Delivered => tracing::info!(%outcome, "event delivered"),
            DeliveryStatus::Pending => tracing::warn!(
                %outcome,
                next_attempt_at = %delivery.next_attempt_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
                "event delivery failed, will retry"
            ),
            DeliveryStatus::Failed => tracing::error!(
                %outcome,
                "event delivery failed for the whole retry window; replay it from the admin API"
            ),
            DeliveryStatus::Cancelled => tracing::warn!(%outcome, "event delivery cancelled"),
        }
    }

    async fn load(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        get_json(self.store.as_ref(), &record_key(id)).await
    }

    /// Read-modify-write of a record with compare-and-swap; `None` when there is none.
    async fn update(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Delivery),
    ) -> Result<Option<Delivery>, StoreError> {
        let key = record_key(id);
        for _ in 0..10 {
            let Some(old) = self.store.get(&key).await? else {
                return Ok(None);
            };
            let mut delivery: Delivery = serde_json::from_slice(&old).map_err(|error| {
                StoreError::Protocol(format!("delivery record unreadable: {error}"))
            })?;
            change(&mut delivery);
            if self
                .store
                .compare_and_swap(&key, Some(&old), &encode(&delivery)?, Some(RECORD_TTL))
                .await?
            {
                return Ok(Some(delivery));
            }
        }
        Err(StoreError::Protocol(
            "delivery record kept changing".to_owned(),
        ))
    }
}

/// Applies an attempt's outcome to a delivery: delivered, cancelled, retried later, or
/// failed once the retry window has passed. Pure, so the rules are unit tests.
fn record_attempt(
    delivery: &mut Delivery,
    outcome: &SendOutcome,
    retry: &RetrySchedule,
    now: DateTime<Utc>,
) {
    delivery.attempt_count = delivery.attempt_count.saturating_add(1);
    delivery.attempts.push(Attempt {
        at: now,
        outcome: outcome.describe(),
        http_status: outcome.http_status(),
    });
    if delivery.attempts.len() > MAX_ATTEMPTS_KEPT {
        let excess = delivery.attempts.len() - MAX_ATTEMPTS_KEPT;
        delivery.attempts.drain(..excess);
    }
    let window_started = *delivery.window_started_at.get_or_insert(now);
    delivery.next_attempt_at = None;

    match outcome {
        SendOutcome::Accepted { .. } => {
            delivery.status = DeliveryStatus::Delivered;
            delivery.delivered_at = Some(now);
            return;
        }
        SendOutcome::Nowhere { .. } => {
            delivery.status = DeliveryStatus::Cancelled;
            return;
        }
        SendOutcome::Refused { .. } | SendOutcome::Unreachable { .. } => {}
    }
    delivery.window_failures = delivery.window_failures.saturating_add(1);
    let elapsed = (now - window_started).to_std().unwrap_or_default();
    let failures = usize::try_from(delivery.window_failures).unwrap_or(usize::MAX);
    match retry.next_wait(failures, elapsed) {
        Some(wait) => {
            delivery.next_attempt_at = chrono::Duration::from_std(wait)
                .ok()
                .and_then(|wait| now.checked_add_signed(wait));
        }
        None => delivery.status = DeliveryStatus::Failed,
    }
}

/// `dlv_` and 32 hex digits of SHA-256 over the event id and the subscriber.
pub fn delivery_id(event_id: &str, subscriber: &Subscriber) -> String {
    let digest = Sha256::digest(format!("{event_id}\0{}", subscriber.key()).as_bytes());
    format!("dlv_{}", hex::encode(&digest[..16]))
}

fn record_key(id: &str) -> String {
    format!("delivery:{id}")
}

fn encode(delivery: &Delivery) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(delivery)
        .map_err(|error| StoreError::Protocol(format!("delivery not encodable: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            id: "dlv_1".to_owned(),
            event_id: "evt_1".to_owned(),
            event_type: EventType::EsimReady,
            subscriber: Subscriber::Support,
            status: DeliveryStatus::Pending,
            body: "{}".to_owned(),
            created_at: Utc::now(),
            window_started_at: None,
            window_failures: 0,
            next_attempt_at: None,
            delivered_at: None,
            attempt_count: 0,
            attempts: Vec::new(),
        }
    }

    fn schedule() -> RetrySchedule {
        RetrySchedule {
            base: Duration::from_secs(30),
            window: Duration::from_secs(3600),
        }
    }

    #[test]
    fn attempts_decide_what_comes_next() {
        let now = Utc::now();
        let refused = SendOutcome::Refused { status: 500 };
        let cases = [
            (
                "2xx",
                SendOutcome::Accepted { status: 204 },
                DeliveryStatus::Delivered,
            ),
            ("500", refused, DeliveryStatus::Pending),
            (
                "timeout",
                SendOutcome::Unreachable { reason: "timeout" },
                DeliveryStatus::Pending,
            ),
            (
                "nowhere to send",
                SendOutcome::Nowhere {
                    reason: "no callback registered",
                },
                DeliveryStatus::Cancelled,
            ),
        ];
        for (name, outcome, expected) in cases {
            let mut delivery = delivery();
            record_attempt(&mut delivery, &outcome, &schedule(), now);
            assert_eq!(delivery.status, expected, "{name}");
            assert_eq!(delivery.attempt_count, 1, "{name}");
            assert_eq!(
                delivery.next_attempt_at.is_some(),
                expected == DeliveryStatus::Pending,
                "{name}"
            );
        }
    }

    #[test]
    fn a_delivery_fails_only_once_its_window_has_passed() {
        let start = Utc::now();
        let refused = SendOutcome::Refused { status: 503 };
        let mut delivery = delivery();

        record_attempt(&mut delivery, &refused, &schedule(), start);
        let first_retry = delivery.next_attempt_at.unwrap();
        record_attempt(
            &mut delivery,
            &refused,
            &schedule(),
            start + chrono::Duration::minutes(59),
        );
        assert_eq!(delivery.status, DeliveryStatus::Pending);
        record_attempt(
            &mut delivery,
            &refused,
            &schedule(),
            start + chrono::Duration::minutes(60),
        );

        assert!(first_retry >= start + chrono::Duration::seconds(30));
        assert!(first_retry <= start + chrono::Duration::seconds(60));
        assert_eq!(delivery.status, DeliveryStatus::Failed);
        assert_eq!(delivery.window_failures, 3);
        assert_eq!(delivery.attempts[2].outcome, "http 503");
    }

    #[test]
    fn a_record_keeps_its_latest_attempts_and_counts_them_all() {
        let mut delivery = delivery();
        let long = RetrySchedule {
            base: Duration::from_secs(1),
            window: Duration::from_secs(10 * 24 * 3600),
        };
        for _ in 0..(MAX_ATTEMPTS_KEPT + 5) {
            let outcome = SendOutcome::Unreachable { reason: "timeout" };
            record_attempt(&mut delivery, &outcome, &long, Utc::now());
        }

        assert_eq!(delivery.attempts.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(delivery.attempt_count as usize, MAX_ATTEMPTS_KEPT + 5);
    }

    #[test]
    fn a_delivery_id_depends_on_the_event_and_the_subscriber() {
        let business = Subscriber::Business {
            owner: "a1".to_owned(),
        };
        let id = delivery_id("evt_1", &business);

        assert_eq!(id, delivery_id("evt_1", &business));
        assert_ne!(id, delivery_id("evt_2", &business));
        assert_ne!(id, delivery_id("evt_1", &Subscriber::Support));
        assert!(id.starts_with("dlv_") && id.len() == 36);
    }
}
