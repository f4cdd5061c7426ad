//! Orders: one idempotent record per `binoTransactionId`, from submission to profiles.
//!
//! A buyer may send the same order twice, or ten times at once, after a timeout or a
//! crash. The record in the store is claimed atomically by the first request; the others
//! wait for its outcome and answer the same order. The supplier order carries the same id
//! as `transactionId`, which the supplier deduplicates too, so even a process that dies
//! between submitting and recording can be retried without ordering twice.

mod record;

pub use record::{
    OrderItem, OrderKind, OrderRecord, OrderStatus, OrderStep, PaymentRecord, ProfileView,
};

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::catalog::{Money, Package, PlanType};
use crate::payments::{PaidAmount, PaymentProblem};
use crate::store::{SharedStore, StoreError, get_json};
use crate::supply::cache::CatalogCache;
use crate::supply::events::{NotifyType, SupplierEvent};
use crate::supply::{
    EsimStatus, OrderLine, ProfileQuery, SupplierOrder, SupplyError, TopUpRequest,
};
use crate::telemetry::hash_id;

/// Orders are kept this long; a retry of an older id starts a new order.
const ORDER_TTL: Duration = Duration::from_secs(400 * 24 * 3600);
/// How long the first request of an id may hold the right to submit it before another
/// request of the same id may take over (the first one presumably crashed).
const SUBMIT_LEASE: Duration = Duration::from_secs(30);
/// How long a concurrent duplicate waits for the first request's outcome.
const DUPLICATE_WAIT: Duration = Duration::from_secs(25);
/// The supplier's limit on `transactionId`.
const MAX_TRANSACTION_ID_CHARS: usize = 50;
/// The supplier's limit on profiles per package line.
const MAX_QUANTITY: u32 = 30;
const MAX_ITEMS: usize = 20;
/// How long after its last change an order's outcome may be announced again; observers
/// remember announcements for longer (the outbound events for 30 days).
const REANNOUNCE_WITHIN: Duration = Duration::from_secs(7 * 24 * 3600);
/// Stream of submitted orders that still wait for their profiles; see [`OrderService::poll_allocation`].
pub const ALLOCATION_STREAM: &str = "orders:awaiting-allocation";
/// Stream of paid orders that could not be fulfilled, for an operator to refund.
pub const REFUNDS_STREAM: &str = "orders:refund-needed";

/// One line of an order request as a business sends it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItemRequest {
    pub package_code: String,
    pub quantity: u32,
    /// The existing profile to top up; required for TOPUP packages, refused for others.
    #[serde(default)]
    pub esim_tran_no: Option<String>,
    /// Days to buy of a day-pass plan (1 to 365); refused for fixed-total plans.
    #[serde(default)]
    pub period_days: Option<u32>,
}

/// An order request as a business sends it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    /// The buyer's own id for this order, 1 to 50 characters; sending it again never
    /// orders twice.
    pub bino_transaction_id: String,
    pub items: Vec<OrderItemRequest>,
}

/// Why an order was not placed, in terms the HTTP layer maps to statuses.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The request is well-formed JSON but cannot be ordered (422).
    #[error("{0}")]
    Invalid(String),
    /// The id was used before for a different order (409).
    #[error("binoTransactionId {0:?} was already used for a different order")]
    Conflict(String),
    #[error("order not found")]
    NotFound,
    /// The supplier refused the order (502): nothing was charged.
    #[error("{0}")]
    SupplierRejected(String),
    /// The supplier or the store could not be reached; retrying with the same id is safe (503).
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for OrderError {
    fn from(error: StoreError) -> Self {
        OrderError::Unavailable(format!("order store unavailable: {error}"))
    }
}

fn supplier_unavailable(error: SupplyError) -> OrderError {
    match error {
        SupplyError::Rejected { code, message } => {
            tracing::warn!(supplier.code = %code, supplier.message = %message, "supplier refused a call");
            OrderError::SupplierRejected(refusal(&code))
        }
        other => OrderError::Unavailable(format!(
            "{other}; retrying with the same binoTransactionId is safe"
        )),
    }
}

/// What changed in an order, as its observers hear it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderChange {
    /// The supplier accepted the order (or applied the top-up).
    Submitted,
    /// The supplier refused the order; nothing was charged by the supplier (a chat order
    /// paid for is then `REFUND_NEEDED`).
    Failed,
    /// A chat order was paid for; it goes to the supplier now.
    Paid,
    /// A chat order's payment link expired or its payment failed; nothing is ordered.
    Cancelled,
    /// The eSIM was sent to the buyer in chat.
    Delivered,
    /// The order's eSIM profiles are allocated: ICCIDs and activation strings are known.
    Allocated,
    /// A supplier event changed one profile of the order.
    ProfileUpdated {
        esim_tran_no: String,
        update: ProfileUpdate,
        /// The supplier event's own id: one event is one change, however often it is
        /// handled.
        source_event_id: String,
    },
}

/// What [`OrderService::claim`] found.
enum Claim {
    /// This request recorded the order; `bytes` is the record as stored.
    New {
        key: String,
        record: OrderRecord,
        bytes: Vec<u8>,
    },
    /// The order was recorded before, as it now stands.
    Existing(OrderRecord),
}

/// Which supplier event updated a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileUpdate {
    /// ESIM_STATUS: the profile's status changed (in use, used up, expired, ...).
    Status,
    /// SMDP_EVENT: the phone downloaded, installed or enabled the profile.
    Smdp,
    /// DATA_USAGE: a data threshold was crossed.
    DataUsage,
    /// VALIDITY_USAGE: validity is running out.
    ValidityUsage,
}

impl ProfileUpdate {
    /// A stable name, for queued work that must survive a restart.
    pub fn name(self) -> &'static str {
        match self {
            ProfileUpdate::Status => "status",
            ProfileUpdate::Smdp => "smdp",
            ProfileUpdate::DataUsage => "data_usage",
            ProfileUpdate::ValidityUsage => "validity_usage",
        }
    }

    pub fn from_name(name: &str) -> Option<ProfileUpdate> {
        [
            ProfileUpdate::Status,
            ProfileUpdate::Smdp,
            ProfileUpdate::DataUsage,
            ProfileUpdate::ValidityUsage,
        ]
        .into_iter()
        .find(|update| update.name() == name)
    }

    fn of(kind: &NotifyType) -> Option<ProfileUpdate> {
        match kind {
            NotifyType::EsimStatus => Some(ProfileUpdate::Status),
            NotifyType::SmdpEvent => Some(ProfileUpdate::Smdp),
            NotifyType::DataUsage => Some(ProfileUpdate::DataUsage),
            NotifyType::ValidityUsage => Some(ProfileUpdate::ValidityUsage),
            _ => None,
        }
    }
}

/// Told when an order changes in a way someone should hear about: the buyer in chat, a
/// business's callback, the support desk. Called at least once per change, sometimes more
/// (a retried supplier event, a re-announcement): implementations must tolerate repeats.
#[async_trait::async_trait]
pub trait OrderObserver: Send + Sync + 'static {
    async fn order_changed(
        &self,
        record: &OrderRecord,
        change: &OrderChange,
    ) -> Result<(), OrderError>;
}

pub struct OrderService {
    /// Registered at start-up by whoever needs to hear of order changes (the chat, the
    /// outbound events); see [`OrderService::observe`].
    observers: std::sync::RwLock<Vec<Arc<dyn OrderObserver>>>,
    store: SharedStore,
    catalog: Arc<CatalogCache>,
    margin_percent: u32,
    /// How long to wait for GOT_RESOURCE before asking the supplier ourselves.
    allocation_poll_after: Duration,
}

impl OrderService {
    pub fn new(
        store: SharedStore,
        catalog: Arc<CatalogCache>,
        margin_percent: u32,
        allocation_poll_after: Duration,
    ) -> Self {
        OrderService {
            observers: std::sync::RwLock::new(Vec::new()),
            store,
            catalog,
            margin_percent,
            allocation_poll_after,
        }
    }

    /// Registers one more observer of order changes. Observers register after the service
    /// exists, since the chat also places orders through it; each change is told to every
    /// observer, in the order they registered.
    pub fn observe(&self, observer: Arc<dyn OrderObserver>) {
        self.observers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(observer);
    }

    /// Tells every observer of `change`. Each hears it even when an earlier one fails; the
    /// first failure is returned, so the caller can retry the change (observers tolerate
    /// repeats).
    async fn announce(&self, record: &OrderRecord, change: &OrderChange) -> Result<(), OrderError> {
        let observers = self
            .observers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut first_error = None;
        for observer in observers {
            if let Err(error) = observer.order_changed(record, change).await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Announces again the outcome of a submission that another request (or process) made,
    /// in case it died before announcing; only for recent orders, since observers remember
    /// what they were told for a limited time.
    async fn reannounce_outcome(&self, record: &OrderRecord) {
        let age_ms = Utc::now().timestamp_millis() - record.updated_at_ms;
        if age_ms <= i64::try_from(REANNOUNCE_WITHIN.as_millis()).unwrap_or(i64::MAX) {
            self.announce_outcome(record).await;
        }
    }

    /// Announces a submission's outcome where nothing can retry it; a failure is logged,
    /// and the allocation poller or a repeated request announces it again.
    async fn announce_outcome(&self, record: &OrderRecord) {
        let change = match record.status {
            OrderStatus::Submitted
            | OrderStatus::Allocated
            | OrderStatus::Delivered
            | OrderStatus::ToppedUp => OrderChange::Submitted,
            OrderStatus::Failed | OrderStatus::RefundNeeded => OrderChange::Failed,
            OrderStatus::Cancelled => OrderChange::Cancelled,
            OrderStatus::AwaitingPayment | OrderStatus::Paid | OrderStatus::Pending => return,
        };
        if let Err(error) = self.announce(record, &change).await {
            tracing::warn!(%error, order.id = %hash_id(&record.bino_transaction_id), "order change not announced yet, will be again");
        }
    }

    pub fn allocation_poll_after(&self) -> Duration {
        self.allocation_poll_after
    }

    /// Places an order once, however often and however concurrently it is requested.
    #[tracing::instrument(skip_all, fields(order.id = %hash_id(&request.bino_transaction_id)))]
    pub async fn place(
        &self,
        owner: &str,
        request: OrderRequest,
    ) -> Result<OrderRecord, OrderError> {
        match self.claim(owner, &request, OrderStatus::Pending).await? {
            Claim::New { key, record, bytes } => self.submit(&key, record, bytes).await,
            Claim::Existing(record) => Ok(record),
        }
    }

    /// Records an order to be paid for before it is placed: priced against the live
    /// catalog now, sent to the supplier only by [`OrderService::confirm_payment`]. A
    /// repeat of the same request returns the order recorded first.
    #[tracing::instrument(skip_all, fields(order.id = %hash_id(&request.bino_transaction_id)))]
    pub async fn reserve(
        &self,
        owner: &str,
        request: OrderRequest,
    ) -> Result<OrderRecord, OrderError> {
        match self
            .claim(owner, &request, OrderStatus::AwaitingPayment)
            .await?
        {
            Claim::New { record, .. } => {
                tracing::info!("order recorded, awaiting payment");
                Ok(record)
            }
            Claim::Existing(record) => Ok(record),
        }
    }

    /// Records a new order in `status`, atomically, or answers as the order already
    /// recorded under the same id would (waiting for it while it is being submitted).
    async fn claim(
        &self,
        owner: &str,
        request: &OrderRequest,
        status: OrderStatus,
    ) -> Result<Claim, OrderError> {
        check_shape(request)?;
        let fingerprint = fingerprint(owner, request);
        let key = order_key(owner, &request.bino_transaction_id);
        if let Some(existing) = self.load(&key).await? {
            return Ok(Claim::Existing(
                self.answer_existing(&key, existing, &fingerprint).await?,
            ));
        }

        let record = self
            .new_record(owner, request, &fingerprint, status)
            .await?;
        if status == OrderStatus::AwaitingPayment {
            // The payment's events name the order by its reference; the index exists
            // before any payment page does, so no event can arrive for an order it cannot
            // find.
            self.store
                .set(
                    &payment_key(&payment_reference(&record)),
                    key.as_bytes(),
                    Some(ORDER_TTL),
                )
                .await?;
        }
        let bytes = encode(&record)?;
        if !self
            .store
            .set_if_absent(&key, &bytes, Some(ORDER_TTL))
            .await?
        {
            let existing = self.load(&key).await?.ok_or(OrderError::NotFound)?;
            return Ok(Claim::Existing(
                self.answer_existing(&key, existing, &fingerprint).await?,
            ));
        }
        Ok(Claim::New { key, record, bytes })
    }

    /// Keeps the payment page of an order awaiting payment, so a repeated Buy shows it
    /// again.
    pub async fn record_checkout(
        &self,
        owner: &str,
        bino_transaction_id: &str,
        payment: PaymentRecord,
    ) -> Result<OrderRecord, OrderError> {
        self.update(&order_key(owner, bino_transaction_id), |record| {
            if record.payment.is_none() {
                record.payment = Some(payment.clone());
            }
        })
        .await
    }

    /// The money for an order arrived: the order goes to the supplier, once, however
    /// often the provider says so. A payment for an order given up meanwhile, or that is
    /// not known to be the order's price, is recorded as needing a refund instead.
    pub async fn confirm_payment(
        &self,
        provider: &str,
        reference: &str,
        payment_ref: &str,
        paid: &PaidAmount,
    ) -> Result<Option<OrderRecord>, OrderError> {
        let Some(key) = self.key_for_reference(reference).await? else {
            tracing::warn!("a payment for an order Bino does not know; ignored");
            return Ok(None);
        };
        for _ in 0..20 {
            let Some(old) = self.store.get(&key).await? else {
                return Ok(None);
            };
            let mut record: OrderRecord = decode(&old)?;
            let lease_over = record.lease_until_ms <= Utc::now().timestamp_millis();
            match record.status {
                OrderStatus::AwaitingPayment | OrderStatus::Cancelled => {
                    let payment = record
                        .payment
                        .get_or_insert_with(|| PaymentRecord::new(provider));
                    payment.payment_ref = Some(payment_ref.to_owned());
                    payment.paid_cents = paid.cents;
                    payment.paid_currency = paid.currency.clone();
                    let problem = if !paid.is(record.total_price) {
                        Some(PaymentProblem::WrongAmount)
                    } else if record.status == OrderStatus::Cancelled {
                        Some(PaymentProblem::PaidLate)
                    } else {
                        None
                    };
                    match problem {
                        Some(problem) => record.give_up(problem),
                        None => record.status = OrderStatus::Paid,
                    }
                }
                // A crash (or a supplier outage) interrupted the submission of a paid
                // order: take it over, with the same transactionId.
                OrderStatus::Paid if lease_over => {}
                OrderStatus::Paid => {
                    return Err(OrderError::Unavailable(
                        "the paid order is being submitted; try again shortly".to_owned(),
                    ));
                }
                // Paid already and handled: a repeated event.
                _ => return Ok(Some(record)),
            }
            record.updated_at_ms = Utc::now().timestamp_millis();
            record.lease_until_ms = record.updated_at_ms + lease_ms();
            let new = encode(&record)?;
            if !self
                .store
                .compare_and_swap(&key, Some(&old), &new, Some(ORDER_TTL))
                .await?
            {
                continue;
            }
            if record.status == OrderStatus::RefundNeeded {
                self.needs_refund(&key, &record).await?;
                return Ok(Some(record));
            }
            tracing::info!(order.id = %hash_id(&record.bino_transaction_id), "order paid");
            self.announce(&record, &OrderChange::Paid).await?;
            return match self.submit(&key, record, new).await {
                Ok(record) => Ok(Some(record)),
                // The refusal is recorded (refund needed) and announced; the payment event
                // is handled.
                Err(OrderError::SupplierRejected(_)) => Ok(self.load(&key).await?),
                Err(error) => Err(error),
            };
        }
        Err(OrderError::Unavailable(
            "order record kept changing; try again".to_owned(),
        ))
    }

    /// The payment page expired or the payment failed (`why`): the order is cancelled,
    /// unless it was paid meanwhile.
    pub async fn abandon_checkout(
        &self,
        reference: &str,
        why: PaymentProblem,
    ) -> Result<(), OrderError> {
        let Some(key) = self.key_for_reference(reference).await? else {
            return Ok(());
        };
        let record = self
            .update(&key, |record| {
                if let Some(next) = record.status.after(OrderStep::CheckoutAbandoned) {
                    record.status = next;
                    if let Some(payment) = record.payment.as_mut() {
                        payment.problem = Some(why);
                    }
                }
            })
            .await?;
        if record.status == OrderStatus::Cancelled {
            // Announced again on a repeated event too; observers tolerate repeats.
            self.announce(&record, &OrderChange::Cancelled).await?;
        }
        Ok(())
    }

    /// Records that the order's eSIM reached the buyer.
    pub async fn mark_delivered(
        &self,
        owner: &str,
        bino_transaction_id: &str,
    ) -> Result<(), OrderError> {
        let key = order_key(owner, bino_transaction_id);
        let mut changed = false;
        let record = self
            .update(&key, |record| {
                changed = false;
                if let Some(next) = record.status.after(OrderStep::DeliveredToBuyer) {
                    changed = next != record.status;
                    record.status = next;
                }
            })
            .await?;
        if changed {
            self.announce(&record, &OrderChange::Delivered).await?;
        }
        Ok(())
    }

    /// A paid order that cannot be fulfilled: kept where an operator finds it, and told.
    async fn needs_refund(&self, key: &str, record: &OrderRecord) -> Result<(), OrderError> {
        self.store
            .stream_append(REFUNDS_STREAM, key.as_bytes())
            .await?;
        tracing::error!(
            order.id = %hash_id(&record.bino_transaction_id),
            "a paid order could not be fulfilled; refund the payment"
        );
        self.announce(record, &OrderChange::Failed).await
    }

    /// Paid orders that could not be fulfilled, oldest first, for an operator to refund:
    /// each with the id of its place in the list, to page on with `after`.
    pub async fn refunds_needed(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, OrderRecord)>, OrderError> {
        let entries = self
            .store
            .stream_range(REFUNDS_STREAM, after, limit)
            .await?;
        let mut refunds = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = String::from_utf8_lossy(&entry.payload).into_owned();
            if let Some(record) = self.load(&key).await? {
                refunds.push((entry.id, record));
            }
        }
        Ok(refunds)
    }

    /// Records a top-up's new totals on the profile in the order that bought the eSIM.
    async fn refresh_topped_up(
        &self,
        esim_tran_no: &str,
        result: &crate::supply::TopUpResult,
    ) -> Result<(), OrderError> {
        let Some(key) = self.store.get(&profile_key(esim_tran_no)).await? else {
            return Ok(());
        };
        let key = String::from_utf8_lossy(&key).into_owned();
        self.update(&key, |record| {
            if let Some(profile) = record
                .profiles
                .iter_mut()
                .find(|profile| profile.esim_tran_no == esim_tran_no)
            {
                profile.total_volume_bytes = result.total_volume_bytes;
                profile.used_bytes = result.used_bytes;
                if result.expires_at.is_some() {
                    profile.expires_at = result.expires_at;
                }
            }
        })
        .await
        .map(drop)
    }

    async fn key_for_reference(&self, reference: &str) -> Result<Option<String>, OrderError> {
        Ok(self
            .store
            .get(&payment_key(reference))
            .await?
            .map(|key| String::from_utf8_lossy(&key).into_owned()))
    }

    /// A new record of `request`, priced against the live catalog.
    async fn new_record(
        &self,
        owner: &str,
        request: &OrderRequest,
        fingerprint: &str,
        status: OrderStatus,
    ) -> Result<OrderRecord, OrderError> {
        let (kind, items) = self.price_items(owner, request).await?;
        let now_ms = Utc::now().timestamp_millis();
        Ok(OrderRecord {
            bino_transaction_id: request.bino_transaction_id.clone(),
            owner: owner.to_owned(),
            fingerprint: fingerprint.to_owned(),
            kind,
            total_price: total_price(&items),
            items,
            status,
            provider_order_reference: None,
            profiles: Vec::new(),
            failure: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            lease_until_ms: if status == OrderStatus::Pending {
                now_ms + lease_ms()
            } else {
                0
            },
            payment: None,
        })
    }

    /// The order of `owner` with this id, as last recorded.
    pub async fn get(
        &self,
        owner: &str,
        bino_transaction_id: &str,
    ) -> Result<OrderRecord, OrderError> {
        match self.load(&order_key(owner, bino_transaction_id)).await? {
            Some(record) if record.owner == owner => Ok(record),
            _ => Err(OrderError::NotFound),
        }
    }

    /// Handles one supplier event: GOT_RESOURCE fetches the profiles, status and usage
    /// events update the profile they name. Errors are worth a retry of the event.
    #[tracing::instrument(skip_all, fields(supplier.event = event.notify_type.as_str()))]
    pub async fn apply_event(&self, event: &SupplierEvent) -> Result<(), OrderError> {
        match &event.notify_type {
            NotifyType::OrderStatus => {
                let ready = event
                    .content
                    .order_status
                    .as_deref()
                    .is_some_and(|status| status.eq_ignore_ascii_case("GOT_RESOURCE"));
                match (&event.content.order_no, ready) {
                    (Some(order_no), true) => self.fetch_profiles(order_no).await.map(|_| ()),
                    _ => Ok(()),
                }
            }
            NotifyType::EsimStatus
            | NotifyType::SmdpEvent
            | NotifyType::DataUsage
            | NotifyType::ValidityUsage => self.update_profile(event).await,
            NotifyType::CheckHealth | NotifyType::Other(_) => Ok(()),
        }
    }

    /// Reads the profiles of a supplier order and records them, waiting out the
    /// supplier's "still allocating" answer. Returns whether the order is now allocated.
    pub async fn fetch_profiles(&self, order_no: &str) -> Result<bool, OrderError> {
        let Some(key) = self.order_key_for_supplier_order(order_no).await? else {
            tracing::warn!(
                supplier.order_no = order_no,
                "profiles ready for an order Bino did not place"
            );
            return Ok(false);
        };
        let supplier = Arc::clone(self.catalog.supplier());
        let query = ProfileQuery::Order(order_no.to_owned());
        let profiles = (|| async { supplier.query_profiles(&query).await })
            .retry(
                // A short wait only: if the profiles take longer, the allocation poller
                // asks again later, and the worker is free for other events meanwhile.
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(500))
                    .with_max_delay(Duration::from_secs(4))
                    .with_max_times(5),
            )
            .when(|error| matches!(error, SupplyError::NotAllocatedYet))
            .await;
        let profiles = match profiles {
            Ok(profiles) => profiles,
            Err(SupplyError::NotAllocatedYet) => return Ok(false),
            Err(error) => return Err(supplier_unavailable(error)),
        };

        for profile in &profiles {
            let index = profile_key(&profile.esim_tran_no);
            self.store
                .set(&index, key.as_bytes(), Some(ORDER_TTL))
                .await?;
        }
        let count = profiles.len();
        let record = self
            .update(&key, |record| {
                record.profiles = profiles.iter().map(ProfileView::from).collect();
                if let Some(next) = record.status.after(OrderStep::ProfilesAllocated) {
                    record.status = next;
                }
            })
            .await?;
        // An error here fails the event, which is retried; observers tolerate repeats.
        self.announce(&record, &OrderChange::Allocated).await?;
        tracing::info!(order.id = %hash_id(&record.bino_transaction_id), profiles = count, "eSIM profiles allocated");
        Ok(true)
    }

    /// Checks an order whose GOT_RESOURCE never came. Returns true when the order needs no
    /// more polling (allocated, failed or gone).
    pub async fn poll_allocation(&self, order_key: &str) -> Result<bool, OrderError> {
        let Some(record) = self.load(order_key).await? else {
            return Ok(true);
        };
        // The request that submitted the order may have died before announcing it.
        self.reannounce_outcome(&record).await;
        match (&record.status, &record.provider_order_reference) {
            (OrderStatus::Submitted, Some(order_no)) => {
                tracing::info!(order.id = %hash_id(&record.bino_transaction_id), "no GOT_RESOURCE yet, polling the supplier");
                self.fetch_profiles(order_no).await
            }
            _ => Ok(true),
        }
    }

    async fn answer_existing(
        &self,
        key: &str,
        mut existing: OrderRecord,
        fingerprint: &str,
    ) -> Result<OrderRecord, OrderError> {
        if existing.fingerprint != fingerprint {
            return Err(OrderError::Conflict(existing.bino_transaction_id));
        }
        let deadline = tokio::time::Instant::now() + DUPLICATE_WAIT;
        loop {
            if !existing.status.is_submitting() {
                // The first request may have died before announcing the outcome.
                self.reannounce_outcome(&existing).await;
            }
            if existing.status == OrderStatus::Failed {
                // A retry gets the answer the first request got.
                return Err(OrderError::SupplierRejected(
                    existing.failure.unwrap_or_default(),
                ));
            }
            if !existing.status.is_submitting() {
                return Ok(existing);
            }
            if existing.lease_until_ms <= Utc::now().timestamp_millis() {
                // The first request died or gave up: take over, submitting with the same
                // transaction id, which the supplier deduplicates.
                let old = encode(&existing)?;
                existing.lease_until_ms = Utc::now().timestamp_millis() + lease_ms();
                let new = encode(&existing)?;
                if self
                    .store
                    .compare_and_swap(key, Some(&old), &new, Some(ORDER_TTL))
                    .await?
                {
                    return self.submit(key, existing, new).await;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(OrderError::Unavailable(
                    "the same order is still being submitted; ask again with the same binoTransactionId".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            existing = self.load(key).await?.ok_or(OrderError::NotFound)?;
        }
    }

    /// Sends a claimed order to the supplier and records the outcome.
    async fn submit(
        &self,
        key: &str,
        record: OrderRecord,
        claimed: Vec<u8>,
    ) -> Result<OrderRecord, OrderError> {
        let supplier = self.catalog.supplier();
        let mut top_up = None;
        let outcome = match record.kind {
            OrderKind::NewEsims => {
                let order = SupplierOrder {
                    transaction_id: supplier_transaction_id(
                        &record.owner,
                        &record.bino_transaction_id,
                    ),
                    lines: record
                        .items
                        .iter()
                        .map(|item| OrderLine {
                            package_code: item.package_code.clone(),
                            count: item.quantity,
                            unit_cost: item.listed_cost,
                            period_days: item.period_days,
                        })
                        .collect(),
                };
                supplier.order(&order).await
            }
            OrderKind::TopUp => {
                let item = &record.items[0];
                let request = TopUpRequest {
                    transaction_id: supplier_transaction_id(
                        &record.owner,
                        &record.bino_transaction_id,
                    ),
                    esim_tran_no: item.esim_tran_no.clone().unwrap_or_default(),
                    package_code: item.package_code.clone(),
                    expected_cost: Some(item.listed_cost),
                };
                match supplier.top_up(&request).await {
                    Ok(result) => {
                        top_up = Some(result.clone());
                        Ok(result.transaction_id)
                    }
                    Err(error) => Err(error),
                }
            }
        };

        let mut updated = record.clone();
        updated.updated_at_ms = Utc::now().timestamp_millis();
        let result = match outcome {
            Ok(reference) => {
                updated.provider_order_reference = Some(reference);
                let step = match record.kind {
                    OrderKind::NewEsims => OrderStep::SupplierAccepted,
                    OrderKind::TopUp => OrderStep::SupplierToppedUp,
                };
                updated.status = record.status.after(step).unwrap_or(record.status);
                Ok(())
            }
            Err(SupplyError::Rejected { code, message }) => {
                tracing::warn!(supplier.code = %code, supplier.message = %message, "supplier refused an order");
                updated.status = record
                    .status
                    .after(OrderStep::SupplierRefused)
                    .unwrap_or(OrderStatus::Failed);
                updated.failure = Some(if updated.status == OrderStatus::RefundNeeded {
                    if let Some(payment) = updated.payment.as_mut() {
                        payment.problem = Some(PaymentProblem::SupplierRefused);
                    }
                    format!("refused by the supplier (code {code}); the payment is to be refunded")
                } else {
                    refusal(&code)
                });
                Err(OrderError::SupplierRejected(
                    updated.failure.clone().unwrap_or_default(),
                ))
            }
            Err(error) => {
                // Leave the order pending with an expired lease: the next request with this
                // id resubmits it, and the supplier's transactionId keeps that single.
                updated.lease_until_ms = 0;
                Err(supplier_unavailable(error))
            }
        };

        let bytes = encode(&updated)?;
        if !self
            .store
            .compare_and_swap(key, Some(&claimed), &bytes, Some(ORDER_TTL))
            .await?
        {
            // Someone took over after our lease ran out; their record wins.
            return self.load(key).await?.ok_or(OrderError::NotFound);
        }
        match updated.status {
            OrderStatus::Failed => self.announce_outcome(&updated).await,
            OrderStatus::RefundNeeded => self.needs_refund(key, &updated).await?,
            _ => {}
        }
        result?;

        if updated.status == OrderStatus::Submitted {
            // TODO: these follow-up writes are not part of the record's swap; if the store
            // fails here the caller gets 503 for an order the supplier took, and until it
            // retries with the same id the order is not polled or announced as submitted.
            let reference = updated.provider_order_reference.clone().unwrap_or_default();
            self.store
                .set(
                    &supplier_order_key(&reference),
                    key.as_bytes(),
                    Some(ORDER_TTL),
                )
                .await?;
            self.store
                .stream_append(ALLOCATION_STREAM, key.as_bytes())
                .await?;
        }
        if let (Some(result), Some(esim_tran_no)) = (
            &top_up,
            updated
                .items
                .first()
                .and_then(|item| item.esim_tran_no.as_deref()),
        ) {
            // The topped-up eSIM belongs to an earlier order, whose view of it is now old;
            // the next usage event corrects it too, so a failure here is only logged.
            if let Err(error) = self.refresh_topped_up(esim_tran_no, result).await {
                tracing::warn!(%error, "topped-up profile not refreshed");
            }
        }
        tracing::info!(
            order.kind = ?updated.kind,
            order.status = ?updated.status,
            supplier.order_no = updated.provider_order_reference.as_deref().unwrap_or(""),
            "order placed with the supplier"
        );
        self.announce_outcome(&updated).await;
        Ok(updated)
    }

    /// Checks every item against the live catalog and prices it.
    async fn price_items(
        &self,
        owner: &str,
        request: &OrderRequest,
    ) -> Result<(OrderKind, Vec<OrderItem>), OrderError> {
        let mut items = Vec::with_capacity(request.items.len());
        let mut kinds = Vec::with_capacity(request.items.len());
        for (index, wanted) in request.items.iter().enumerate() {
            let name = format!(
                "items[{index}] ({})",
                crate::wire::excerpt(&wanted.package_code)
            );
            let package = self
                .catalog
                .live_package(&wanted.package_code)
                .await
                .map_err(supplier_unavailable)?
                .ok_or_else(|| OrderError::Invalid(format!("{name}: unknown packageCode")))?;
            let period_days = check_period(&name, &package, wanted.period_days)?;
            match package.package_type {
                PlanType::Base => {
                    if wanted.esim_tran_no.is_some() {
                        return Err(OrderError::Invalid(format!(
                            "{name}: esimTranNo is only for TOPUP packages; this is a BASE package"
                        )));
                    }
                }
                PlanType::TopUp => self.check_top_up(owner, &name, wanted, &package).await?,
            }
            let unit_cost = package
                .cost
                .checked_mul(period_days.unwrap_or(1))
                .ok_or_else(|| OrderError::Invalid(format!("{name}: price out of range")))?;
            kinds.push(package.package_type);
            items.push(OrderItem {
                package_code: package.package_code.clone(),
                name: package.name.clone(),
                quantity: wanted.quantity,
                esim_tran_no: wanted.esim_tran_no.clone(),
                period_days,
                listed_cost: package.cost,
                unit_cost,
                unit_price: unit_cost.with_margin(self.margin_percent),
            });
        }
        let kind = if kinds.contains(&PlanType::TopUp) {
            if items.len() > 1 || items[0].quantity != 1 {
                return Err(OrderError::Invalid(
                    "a top-up order has exactly one item with quantity 1".to_owned(),
                ));
            }
            OrderKind::TopUp
        } else {
            OrderKind::NewEsims
        };
        Ok((kind, items))
    }

    async fn check_top_up(
        &self,
        owner: &str,
        name: &str,
        wanted: &OrderItemRequest,
        package: &Package,
    ) -> Result<(), OrderError> {
        let Some(esim_tran_no) = wanted.esim_tran_no.as_deref() else {
            return Err(OrderError::Invalid(format!(
                "{name}: a TOPUP package needs esimTranNo, the profile to top up"
            )));
        };
        // Only eSIMs bought with the same API key may be topped up with it; the answer is
        // the same whether the profile is someone else's or does not exist.
        let holder = self.store.get(&profile_key(esim_tran_no)).await?;
        let own_prefix = order_key(owner, "");
        if !holder.is_some_and(|key| key.starts_with(own_prefix.as_bytes())) {
            return Err(OrderError::Invalid(format!(
                "{name}: no eSIM with this esimTranNo among your orders"
            )));
        }
        let supplier = self.catalog.supplier();
        let profiles = match supplier
            .query_profiles(&ProfileQuery::EsimTranNo(esim_tran_no.to_owned()))
            .await
        {
            Ok(profiles) => profiles,
            Err(SupplyError::Rejected { .. }) | Err(SupplyError::NotAllocatedYet) => Vec::new(),
            Err(error) => return Err(supplier_unavailable(error)),
        };
        let Some(profile) = profiles
            .into_iter()
            .find(|p| p.esim_tran_no == esim_tran_no)
        else {
            return Err(OrderError::Invalid(format!(
                "{name}: no eSIM profile with this esimTranNo"
            )));
        };
        if matches!(
            profile.esim_status,
            EsimStatus::Cancelled
                | EsimStatus::Revoked
                | EsimStatus::UsedExpired
                | EsimStatus::UnusedExpired
        ) {
            return Err(OrderError::Invalid(format!(
                "{name}: the profile can no longer be topped up"
            )));
        }
        for base_code in &profile.package_codes {
            let base = self
                .catalog
                .live_package(base_code)
                .await
                .map_err(supplier_unavailable)?;
            if !base.is_some_and(|base| base.top_up_supported) {
                continue;
            }
            let fitting = self
                .catalog
                .live_top_ups(base_code)
                .await
                .map_err(supplier_unavailable)?;
            if fitting
                .iter()
                .any(|top_up| top_up.package_code == package.package_code)
            {
                return Ok(());
            }
        }
        Err(OrderError::Invalid(format!(
            "{name}: the profile's plan does not support this top-up"
        )))
    }

    async fn update_profile(&self, event: &SupplierEvent) -> Result<(), OrderError> {
        let (kind, content) = (&event.notify_type, &event.content);
        let Some(esim_tran_no) = content.esim_tran_no.as_deref() else {
            return Ok(());
        };
        let key = match self.store.get(&profile_key(esim_tran_no)).await? {
            Some(id) => String::from_utf8_lossy(&id).into_owned(),
            None => match content.order_no.as_deref() {
                Some(order_no) => match self.order_key_for_supplier_order(order_no).await? {
                    Some(key) => key,
                    None => return Ok(()),
                },
                None => return Ok(()),
            },
        };
        let record = self.load(&key).await?;
        let known = record.as_ref().is_some_and(|record| {
            record
                .profiles
                .iter()
                .any(|p| p.esim_tran_no == esim_tran_no)
        });
        if !known {
            // The event overtook GOT_RESOURCE: read the profiles now, which records the
            // supplier's current state of this one too.
            if let Some(order_no) = record.and_then(|r| r.provider_order_reference) {
                self.fetch_profiles(&order_no).await?;
            }
            return Ok(());
        }
        let record = self
            .update(&key, |record| {
                let Some(profile) = record
                    .profiles
                    .iter_mut()
                    .find(|p| p.esim_tran_no == esim_tran_no)
                else {
                    return;
                };
                if let Some(status) = &content.esim_status {
                    profile.status = EsimStatus::from(status.clone());
                }
                if let Some(smdp) = &content.smdp_status {
                    profile.smdp_status = Some(smdp.clone());
                }
                if matches!(kind, NotifyType::DataUsage) {
                    if let Some(total) = content.total_volume {
                        profile.total_volume_bytes = total;
                    }
                    if let Some(used) = content.order_usage {
                        profile.used_bytes = used;
                    }
                }
                if let Some(expires) = content.expired_time {
                    profile.expires_at = Some(expires);
                }
            })
            .await?;

        let Some(update) = ProfileUpdate::of(kind) else {
            return Ok(());
        };
        let change = OrderChange::ProfileUpdated {
            esim_tran_no: esim_tran_no.to_owned(),
            update,
            source_event_id: event.event_id.clone(),
        };
        // An error here fails the event, which is retried; observers tolerate repeats.
        self.announce(&record, &change).await
    }

    async fn order_key_for_supplier_order(
        &self,
        order_no: &str,
    ) -> Result<Option<String>, OrderError> {
        Ok(self
            .store
            .get(&supplier_order_key(order_no))
            .await?
            .map(|id| String::from_utf8_lossy(&id).into_owned()))
    }

    async fn load(&self, key: &str) -> Result<Option<OrderRecord>, OrderError> {
        Ok(get_json(self.store.as_ref(), key).await?)
    }

    /// Read-modify-write with compare-and-swap, retried when another writer got there first.
    async fn update(
        &self,
        key: &str,
        mut change: impl FnMut(&mut OrderRecord),
    ) -> Result<OrderRecord, OrderError> {
        for _ in 0..20 {
            let Some(old) = self.store.get(key).await? else {
                return Err(OrderError::NotFound);
            };
            let mut record = decode(&old)?;
            change(&mut record);
            record.updated_at_ms = Utc::now().timestamp_millis();
            let new = encode(&record)?;
            if self
                .store
                .compare_and_swap(key, Some(&old), &new, Some(ORDER_TTL))
                .await?
            {
                return Ok(record);
            }
        }
        Err(OrderError::Unavailable(
            "order record kept changing; try again".to_owned(),
        ))
    }
}

/// What a buyer is told of a refusal: the supplier's code, to quote to support, without
/// the supplier's own words (they can reveal our account's state, such as its balance).
fn refusal(code: &str) -> String {
    format!("refused by the supplier (code {code}); nothing was charged")
}

fn check_shape(request: &OrderRequest) -> Result<(), OrderError> {
    let id = &request.bino_transaction_id;
    let id_chars = id.chars().count();
    if id_chars == 0 || id_chars > MAX_TRANSACTION_ID_CHARS || id.trim() != id {
        return Err(OrderError::Invalid(format!(
            "binoTransactionId must be 1 to {MAX_TRANSACTION_ID_CHARS} characters without surrounding spaces"
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(OrderError::Invalid(
            "binoTransactionId must not contain control characters".to_owned(),
        ));
    }
    if request.items.is_empty() || request.items.len() > MAX_ITEMS {
        return Err(OrderError::Invalid(format!(
            "items must hold 1 to {MAX_ITEMS} entries"
        )));
    }
    for (index, item) in request.items.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(OrderError::Invalid(format!(
                "items[{index}] ({}): quantity must be from 1 to {MAX_QUANTITY}",
                item.package_code
            )));
        }
        if item.package_code.trim().is_empty() {
            return Err(OrderError::Invalid(format!(
                "items[{index}]: packageCode is empty"
            )));
        }
    }
    Ok(())
}

fn check_period(
    name: &str,
    package: &Package,
    period_days: Option<u32>,
) -> Result<Option<u32>, OrderError> {
    match (package.allowance.is_daily(), period_days) {
        (false, None) => Ok(None),
        (true, None) => Err(OrderError::Invalid(format!(
            "{name}: a day-pass plan needs periodDays, the number of days to buy (1 to 365)"
        ))),
        (true, Some(days)) if (1..=365).contains(&days) => Ok(Some(days)),
        (true, Some(_)) => Err(OrderError::Invalid(format!(
            "{name}: periodDays must be from 1 to 365"
        ))),
        (false, Some(_)) => Err(OrderError::Invalid(format!(
            "{name}: periodDays is only for day-pass plans"
        ))),
    }
}

/// What makes two requests "the same order": the buyer and the items, in order.
fn fingerprint(owner: &str, request: &OrderRequest) -> String {
    let mut hasher = Sha256::new();
    hasher.update(owner.as_bytes());
    for item in &request.items {
        hasher.update(b"\0");
        hasher.update(item.package_code.as_bytes());
        hasher.update(b"\0");
        hasher.update(item.quantity.to_le_bytes());
        hasher.update(item.esim_tran_no.as_deref().unwrap_or("").as_bytes());
        hasher.update(b"\0");
        hasher.update(item.period_days.unwrap_or(0).to_le_bytes());
    }
    hex::encode(hasher.finalize())
}

fn decode(bytes: &[u8]) -> Result<OrderRecord, OrderError> {
    serde_json::from_slice(bytes)
        .map_err(|error| OrderError::Unavailable(format!("order record unreadable: {error}")))
}

fn encode(record: &OrderRecord) -> Result<Vec<u8>, OrderError> {
    serde_json::to_vec(record).map_err(|error| {
        OrderError::Unavailable(format!("order record could not be encoded: {error}"))
    })
}

fn lease_ms() -> i64 {
    i64::try_from(SUBMIT_LEASE.as_millis()).unwrap_or(i64::MAX)
}

/// Orders are kept per API key, so two businesses may use the same id without meeting.
fn order_key(owner: &str, bino_transaction_id: &str) -> String {
    format!("order:{owner}:{bino_transaction_id}")
}

/// The `transactionId` the supplier sees: derived from the owner and the buyer's id, so it
/// is the same on every retry (the supplier's idempotency) but never the same for two
/// businesses that happen to choose the same id. 32 hex characters fit the supplier's 50.
pub fn supplier_transaction_id(owner: &str, bino_transaction_id: &str) -> String {
    let digest = Sha256::digest(format!("{owner}\0{bino_transaction_id}").as_bytes());
    hex::encode(&digest[..16])
}

/// The reference a payment provider knows an order by: opaque, without the owner's key or
/// phone number, and the same for every retry.
pub fn payment_reference(record: &OrderRecord) -> String {
    supplier_transaction_id(&record.owner, &record.bino_transaction_id)
}

fn payment_key(reference: &str) -> String {
    format!("payment:{reference}")
}

fn supplier_order_key(order_no: &str) -> String {
    format!("supplier-order:{order_no}")
}

fn profile_key(esim_tran_no: &str) -> String {
    format!("profile:{esim_tran_no}")
}

/// The total a buyer pays for an order, margin included.
pub fn total_price(items: &[OrderItem]) -> Money {
    items
        .iter()
        .map(|item| item.unit_price * item.quantity)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, items: &[(&str, u32)]) -> OrderRequest {
        OrderRequest {
            bino_transaction_id: id.to_owned(),
            items: items
                .iter()
                .map(|(code, quantity)| OrderItemRequest {
                    package_code: (*code).to_owned(),
                    quantity: *quantity,
                    esim_tran_no: None,
                    period_days: None,
                })
                .collect(),
        }
    }

    #[test]
    fn request_shapes_are_checked_before_any_lookup() {
        let long_id = "x".repeat(51);
        let cases = [
            (request("", &[("P1", 1)]), "binoTransactionId"),
            (request(&long_id, &[("P1", 1)]), "binoTransactionId"),
            (request(" padded", &[("P1", 1)]), "binoTransactionId"),
            (request("ok", &[]), "items"),
            (request("ok", &[("P1", 0)]), "items[0] (P1): quantity"),
            (
                request("ok", &[("P1", 1), ("P2", 31)]),
                "items[1] (P2): quantity",
            ),
            (request("ok", &[(" ", 1)]), "packageCode"),
        ];
        for (request, expected) in cases {
            let error = check_shape(&request).unwrap_err().to_string();
            assert!(
                error.contains(expected),
                "{error:?} should mention {expected:?}"
            );
        }
        assert!(check_shape(&request("order-1", &[("P1", 30)])).is_ok());
    }

    #[test]
    fn fingerprints_differ_by_items_and_owner_only() {
        let one = fingerprint("key-a", &request("id-1", &[("P1", 1)]));
        assert_eq!(one, fingerprint("key-a", &request("id-2", &[("P1", 1)])));
        assert_ne!(one, fingerprint("key-a", &request("id-1", &[("P1", 2)])));
        assert_ne!(one, fingerprint("key-a", &request("id-1", &[("P2", 1)])));
        assert_ne!(one, fingerprint("key-b", &request("id-1", &[("P1", 1)])));
    }
}
