//! The offline sandbox supplier: eSIM Access's behaviour with no network and no account.
//!
//! It sells a generated catalog of about two thousand packages, takes idempotent orders
//! against a fixed starting balance, allocates profiles after a delay, and then plays each
//! profile's life on a compressed clock (download, installation, first use, data
//! thresholds, last day of validity), handing the same webhook bodies the real supplier
//! posts to an [`EventSink`]. Profile state follows those events, so a reader that
//! re-reads state after an event sees what the event announced.
//!
//! State lives in memory and is lost on restart. Every timer is a `tokio::time` timer, so
//! tests can pause the clock and step through a profile's life instantly.

mod catalog;
mod ids;
mod notify;

pub use catalog::CatalogStats;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use tokio::time::Instant;
use tracing::{Span, debug, info};

use self::catalog::{CATALOG, SandboxCatalog};
use self::ids::SplitMix64;
use self::notify::{LIFECYCLE, Step};
use super::{
    EsimStatus, EventSink, Location, PackageQuery, Profile, ProfileQuery, Supplier, SupplierOrder,
    SupplyError, TopUpRequest, TopUpResult, Usage,
};
use crate::catalog::{Money, Package, PlanType};

/// What a fresh sandbox account holds: $1,000, enough for a long demo.
const STARTING_BALANCE: Money = Money::from_units(10_000_000);
/// How long a profile may wait to be installed, the supplier's usual `unusedValidTime`.
const UNUSED_VALIDITY_DAYS: i64 = 180;
const MAX_TRANSACTION_ID_CHARS: usize = 50;
/// Profiles per usage call, the supplier's limit.
const MAX_USAGE_PROFILES: usize = 10;
/// Days a day pass can be bought for, the supplier's `periodNum` range.
const MAX_PERIOD_DAYS: u32 = 365;
const SANDBOX_APN: &str = "sandbox.bino";

/// The supplier's error codes, so callers branch on the same codes as in production.
mod code {
    pub const PARAMETER_MISSING: &str = "000106";
    pub const PARAMETER_LENGTH: &str = "000107";
    pub const NOT_ALLOWED_IN_STATUS: &str = "200002";
    pub const PRICE_CHANGED: &str = "200005";
    pub const INSUFFICIENT_BALANCE: &str = "200007";
    pub const ORDER_PARAMETERS: &str = "200008";
    pub const UNKNOWN_PACKAGE: &str = "310241";
    pub const PACKAGE_NOT_AVAILABLE: &str = "310243";
    pub const UNKNOWN_ORDER: &str = "310272";
    pub const UNKNOWN_PROFILE: &str = "310404";
}

fn rejected(code: &str, message: impl Into<String>) -> SupplyError {
    SupplyError::Rejected {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Number of packages in the sandbox catalog.
pub fn catalog_size() -> usize {
    CATALOG.packages().len()
}

/// How the sandbox catalog is made up: packages, countries, regions, global plans.
pub fn catalog_stats() -> CatalogStats {
    CATALOG.stats()
}

/// How the sandbox paces itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Time from an order to readable profiles; the real supplier takes up to ~30 s, and
    /// callers must cope with [`SupplyError::NotAllocatedYet`] meanwhile.
    pub allocation_delay: Duration,
    /// Time between two lifecycle events of a profile. The clock is compressed: a
    /// profile's weeks of life play out in a minute.
    pub event_interval: Duration,
    /// Seeds every minted identifier, so a run with the same calls can be replayed.
    pub seed: u64,
    /// Whether allocated profiles go on to be installed, used and run down; without it
    /// they stay fresh, which suits tests of ordering and cancelling.
    pub simulate_usage: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            allocation_delay: Duration::from_secs(2),
            event_interval: Duration::from_secs(5),
            seed: 0x5EED_B1A0,
            simulate_usage: true,
        }
    }
}

/// An in-memory stand-in for eSIM Access. Cheap to share behind an `Arc`.
pub struct SandboxSupplier {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    /// Shared by every sandbox in the process: it is immutable and costly to build.
    catalog: &'static SandboxCatalog,
    /// Every timestamp and expiry date comes from here, so paused tests see fixed times.
    clock: SandboxClock,
    /// Everything that changes; never held across an `.await`.
    state: Mutex<State>,
    /// Where events go; `None` until the application wires it, and events are dropped.
    sink: RwLock<Option<Arc<dyn EventSink>>>,
}

/// Wall-clock times read through tokio's clock, so that pausing time in a test also
/// stops the sandbox's timestamps and expiry dates. Times are whole seconds, as the
/// supplier writes them, so a time read back from an event equals the stored one.
struct SandboxClock {
    started_at: DateTime<Utc>,
    started: Instant,
}

impl SandboxClock {
    fn new() -> Self {
        SandboxClock {
            started_at: Utc::now(),
            started: Instant::now(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.started.elapsed()).unwrap_or_default();
        (self.started_at + elapsed).trunc_subsecs(0)
    }
}

// TODO: keep the sandbox's orders in the store, because another process (or this one after a
// restart) cannot see them, and its allocation poll then asks about an order it never made.
struct State {
    /// Mints ICCIDs, activation codes and notify ids from the configured seed.
    rng: SplitMix64,
    /// The last 4 digits of order and eSIM numbers, as the supplier counts them.
    sequence: u64,
    /// Charged by orders and top-ups, refunded by cancellations.
    balance: Money,
    /// Keyed by `orderNo`.
    orders: HashMap<String, OrderRecord>,
    /// `transactionId` to `orderNo`: a repeated order returns the first one's number.
    order_by_transaction: HashMap<String, String>,
    /// Keyed by `esimTranNo`; sorted so that scans answer in a stable order.
    profiles: BTreeMap<String, ProfileRecord>,
    /// Top-up results by `transactionId`, so a repeated top-up charges nothing.
    top_ups: HashMap<String, TopUpResult>,
    /// ICCIDs handed out, so no two live profiles share one.
    iccids: HashSet<String>,
}

struct OrderRecord {
    /// When the profiles become readable: allocation is asynchronous at the supplier.
    ready_at: Instant,
    /// The order's profiles in the order they were allocated.
    esim_tran_nos: Vec<String>,
}

struct ProfileRecord {
    /// Exactly what a query returns, kept up to date by every lifecycle step.
    profile: Profile,
    /// The package the eSIM was bought with; it decides which top-ups fit.
    base_package_code: String,
    /// What cancelling refunds: the eSIM's price, top-ups excluded.
    cost: Money,
    /// The phone that downloaded the profile, reported in SM-DP+ events.
    eid: Option<String>,
    /// When the usage counter last moved, reported by the usage call.
    usage_updated_at: Option<DateTime<Utc>>,
}

impl ProfileRecord {
    fn is_live(&self) -> bool {
        !matches!(
            self.profile.esim_status,
            EsimStatus::Cancelled | EsimStatus::Revoked
        )
    }
}

impl State {
    /// A 14-digit number unused by any order or profile.
    fn next_number(&mut self, now: DateTime<Utc>) -> String {
        loop {
            self.sequence += 1;
            let number = ids::minute_number(now, self.sequence);
            if !self.profiles.contains_key(&number)
                && !self.orders.contains_key(&format!("B{number}"))
            {
                return number;
            }
        }
    }

    fn next_iccid(&mut self) -> String {
        loop {
            let iccid = ids::iccid(&mut self.rng);
            if self.iccids.insert(iccid.clone()) {
                return iccid;
            }
        }
    }

    /// Whether the profile's order has been allocated, i.e. the supplier would show it.
    fn is_visible(&self, record: &ProfileRecord, now: Instant) -> bool {
        self.orders
            .get(&record.profile.order_no)
            .is_some_and(|order| order.ready_at <= now)
    }

    fn visible_profile(&self, esim_tran_no: &str, now: Instant) -> Option<&ProfileRecord> {
        self.profiles
            .get(esim_tran_no)
            .filter(|record| self.is_visible(record, now))
    }
}

/// One order line checked against the catalog, with what one of its profiles costs.
struct PricedLine<'a> {
    package: &'a Package,
    /// Profiles to allocate for the line.
    count: u32,
    /// Days bought of a day pass; `None` for a fixed plan.
    period_days: Option<u32>,
    /// The price of one profile: the package's, times the days of a day pass.
    profile_cost: Money,
}

/// Checks an order as the supplier does and prices it, without touching any state.
fn price_order<'a>(
    catalog: &'a SandboxCatalog,
    order: &SupplierOrder,
) -> Result<(Vec<PricedLine<'a>>, Money), SupplyError> {
    checked_transaction_id(&order.transaction_id)?;
    if order.lines.is_empty() {
        return Err(rejected(
            code::PARAMETER_MISSING,
            "packageInfoList is empty",
        ));
    }

    let mut lines = Vec::with_capacity(order.lines.len());
    let mut total = Money::ZERO;
    for line in &order.lines {
        let package = catalog
            .base_package(line.package_code.trim())
            .ok_or_else(|| {
                rejected(
                    code::UNKNOWN_PACKAGE,
                    format!("packageCode {} does not exist", line.package_code),
                )
            })?;
        if line.count == 0 {
            return Err(rejected(code::ORDER_PARAMETERS, "count must be at least 1"));
        }
        if line.unit_cost != package.cost {
            return Err(rejected(
                code::PRICE_CHANGED,
                format!(
                    "package price error: {} costs {}",
                    package.package_code, package.cost
                ),
            ));
        }
        let period_days = match (package.allowance.is_daily(), line.period_days) {
            (false, _) => None,
            (true, Some(days)) if (1..=MAX_PERIOD_DAYS).contains(&days) => Some(days),
            (true, _) => {
                return Err(rejected(
                    code::ORDER_PARAMETERS,
                    "periodNum must be 1 to 365 for a daily plan",
                ));
            }
        };
        let profile_cost = package.cost * period_days.unwrap_or(1);
        total = total + profile_cost * line.count;
        lines.push(PricedLine {
            package,
            count: line.count,
            period_days,
            profile_cost,
        });
    }
    Ok((lines, total))
}

impl SandboxSupplier {
    pub fn new(config: SandboxConfig) -> Self {
        let state = State {
            rng: SplitMix64::new(config.seed),
            // Order numbers count on from a point the seed picks, so sandboxes seeded
            // differently do not hand out the same numbers in the same minute.
            sequence: config.seed % 10_000,
            balance: STARTING_BALANCE,
            orders: HashMap::new(),
            order_by_transaction: HashMap::new(),
            profiles: BTreeMap::new(),
            top_ups: HashMap::new(),
            iccids: HashSet::new(),
        };
        SandboxSupplier {
            inner: Arc::new(Inner {
                config,
                catalog: &CATALOG,
                clock: SandboxClock::new(),
                state: Mutex::new(state),
                sink: RwLock::new(None),
            }),
        }
    }

    /// Sends every later event to `sink`, in place of the supplier's webhook.
    pub fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        *self
            .inner
            .sink
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(sink);
    }

    fn top_ups_for_iccid(&self, iccid: &str) -> Vec<Package> {
        let now = Instant::now();
        let base_code = {
            let state = self.inner.state();
            let record = state.profiles.values().find(|record| {
                record.profile.iccid.as_deref() == Some(iccid) && state.is_visible(record, now)
            });
            match record {
                Some(record) => record.base_package_code.clone(),
                None => return Vec::new(),
            }
        };
        self.inner.catalog.top_ups_for_code(&base_code)
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere leaves the maps consistent enough for a sandbox to go on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn deliver(&self, bodies: Vec<Vec<u8>>) {
        if bodies.is_empty() {
            return;
        }
        let sink = self
            .sink
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match sink {
            Some(sink) => {
                for body in bodies {
                    sink.deliver(body).await;
                }
            }
            None => debug!(
                events = bodies.len(),
                "sandbox events dropped: no event sink is set"
            ),
        }
    }

    fn order_ready_event(&self, order_no: &str) -> Vec<u8> {
        let notify_id = self.state().rng.hex32();
        notify::order_ready(&notify_id, self.clock.now(), order_no)
    }

    /// Moves every live profile of the order one step on and returns the events to send.
    fn play_step(&self, order_no: &str, step: Step) -> Vec<Vec<u8>> {
        let now = self.clock.now();
        let mut state = self.state();
        let State {
            rng,
            orders,
            profiles,
            ..
        } = &mut *state;
        let Some(order) = orders.get(order_no) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        for esim_tran_no in &order.esim_tran_nos {
            match profiles.get_mut(esim_tran_no) {
                Some(record) if record.is_live() => events.push(advance(record, step, now, rng)),
                _ => {}
            }
        }
        events
    }
}

/// Applies one lifecycle step to a profile and builds the event announcing it.
fn advance(
    record: &mut ProfileRecord,
    step: Step,
    now: DateTime<Utc>,
    rng: &mut SplitMix64,
) -> Vec<u8> {
    let notify_id = rng.hex32();
    let profile = &mut record.profile;
    match step {
        Step::Download | Step::Installation | Step::Enabled => {
            let eid = record.eid.get_or_insert_with(|| ids::eid(rng)).clone();
            let smdp_status = match step {
                Step::Download => "DOWNLOAD",
                Step::Installation => "INSTALLATION",
                _ => "ENABLED",
            };
            profile.smdp_status = Some(smdp_status.to_owned());
            notify::smdp_event(&notify_id, now, profile, &eid)
        }
        Step::InUse => {
            profile.esim_status = EsimStatus::InUse;
            profile.activated_at = Some(now);
            let days = profile.total_duration.unwrap_or(0);
            profile.expires_at = Some(now + TimeDelta::days(i64::from(days)));
            notify::esim_status(&notify_id, now, profile)
        }
        Step::DataUsed(percent) => {
            let threshold_bytes =
                u128::from(profile.total_volume_bytes) * u128::from(percent) / 100;
            let threshold_bytes = u64::try_from(threshold_bytes).unwrap_or(u64::MAX);
            profile.used_bytes = profile.used_bytes.max(threshold_bytes);
            record.usage_updated_at = Some(now);
            notify::data_usage(&notify_id, now, profile, f64::from(percent) / 100.0)
        }
        Step::LastDay => {
            // The compressed clock has run the validity down: one day is left from now.
            profile.expires_at = Some(now + TimeDelta::days(1));
            notify::validity_usage(&notify_id, now, profile)
        }
    }
}

/// The events of one order: allocation, then each profile's life, one step per interval.
/// Holds only a weak reference between steps, so dropping the supplier ends the task.
async fn run_lifecycle(inner: Weak<Inner>, order_no: String, ready_at: Instant) {
    tokio::time::sleep_until(ready_at).await;
    let Some(sandbox) = inner.upgrade() else {
        return;
    };
    info!(supplier.order_no = %order_no, "sandbox order allocated");
    let event = sandbox.order_ready_event(&order_no);
    sandbox.deliver(vec![event]).await;
    if !sandbox.config.simulate_usage {
        return;
    }
    let interval = sandbox.config.event_interval;
    drop(sandbox);

    let mut due = ready_at;
    for step in LIFECYCLE {
        // Deadlines count from the allocation, so slow deliveries do not stretch the clock.
        due += interval;
        tokio::time::sleep_until(due).await;
        let Some(sandbox) = inner.upgrade() else {
            return;
        };
        let events = sandbox.play_step(&order_no, step);
        sandbox.deliver(events).await;
    }
}

#[async_trait]
impl Supplier for SandboxSupplier {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn list_packages(&self, query: &PackageQuery) -> Result<Vec<Package>, SupplyError> {
        let catalog = self.inner.catalog;
        let plan_type = query.plan_type.unwrap_or(PlanType::Base);
        let non_empty = |text: &Option<String>| {
            text.as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let packages = match (
            plan_type,
            non_empty(&query.iccid),
            non_empty(&query.package_code),
        ) {
            (PlanType::TopUp, Some(iccid), _) => self.top_ups_for_iccid(&iccid),
            (PlanType::TopUp, None, Some(code)) => catalog.top_ups_for_code(&code),
            (PlanType::Base, _, Some(code)) => catalog.find(&code).cloned().into_iter().collect(),
            (_, _, None) => match query.location {
                Some(location) => catalog.of_location(location, plan_type),
                None => catalog.of_type(plan_type),
            },
        };
        Ok(packages)
    }

    #[tracing::instrument(skip_all, fields(supplier.order_no = tracing::field::Empty))]
    async fn order(&self, order: &SupplierOrder) -> Result<String, SupplyError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let transaction_id = order.transaction_id.trim();

        let mut state = inner.state();
        if let Some(order_no) = state.order_by_transaction.get(transaction_id) {
            Span::current().record("supplier.order_no", order_no.as_str());
            debug!("sandbox order repeated with the same transaction id");
            return Ok(order_no.clone());
        }
        let (lines, total) = price_order(inner.catalog, order)?;
        if total > state.balance {
            return Err(rejected(
                code::INSUFFICIENT_BALANCE,
                "insufficient account balance",
            ));
        }

        let order_no = format!("B{}", state.next_number(now));
        let mut esim_tran_nos = Vec::new();
        for line in &lines {
            for _ in 0..line.count {
                let record = new_profile(&mut state, line, &order_no, transaction_id, now);
                esim_tran_nos.push(record.profile.esim_tran_no.clone());
                state
                    .profiles
                    .insert(record.profile.esim_tran_no.clone(), record);
            }
        }
        state.balance = Money::from_units(state.balance.units() - total.units());
        let ready_at = Instant::now() + inner.config.allocation_delay;
        let profiles = esim_tran_nos.len();
        state.orders.insert(
            order_no.clone(),
            OrderRecord {
                ready_at,
                esim_tran_nos,
            },
        );
        state
            .order_by_transaction
            .insert(transaction_id.to_owned(), order_no.clone());
        drop(state);

        tokio::spawn(run_lifecycle(
            Arc::downgrade(inner),
            order_no.clone(),
            ready_at,
        ));
        Span::current().record("supplier.order_no", order_no.as_str());
        info!(profiles, cost = %total, "sandbox order placed");
        Ok(order_no)
    }

    async fn query_profiles(&self, query: &ProfileQuery) -> Result<Vec<Profile>, SupplyError> {
        let now = Instant::now();
        let state = self.inner.state();
        let profiles = match query {
            ProfileQuery::Order(order_no) => {
                let order = state
                    .orders
                    .get(order_no.trim())
                    .ok_or_else(|| rejected(code::UNKNOWN_ORDER, "the orderNo does not exist"))?;
                if order.ready_at > now {
                    return Err(SupplyError::NotAllocatedYet);
                }
                order
                    .esim_tran_nos
                    .iter()
                    .filter_map(|esim_tran_no| state.profiles.get(esim_tran_no))
                    .map(|record| record.profile.clone())
                    .collect()
            }
            ProfileQuery::EsimTranNo(esim_tran_no) => state
                .visible_profile(esim_tran_no.trim(), now)
                .map(|record| record.profile.clone())
                .into_iter()
                .collect(),
            ProfileQuery::Iccid(iccid) => state
                .profiles
                .values()
                .filter(|record| record.profile.iccid.as_deref() == Some(iccid.trim()))
                .filter(|record| state.is_visible(record, now))
                .map(|record| record.profile.clone())
                .collect(),
        };
        Ok(profiles)
    }

    #[tracing::instrument(skip_all, fields(supplier.esim_tran_no = %request.esim_tran_no))]
    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResult, SupplyError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let transaction_id = checked_transaction_id(&request.transaction_id)?;

        let mut state = inner.state();
        if let Some(result) = state.top_ups.get(transaction_id) {
            debug!("sandbox top-up repeated with the same transaction id");
            return Ok(result.clone());
        }
        let record = state
            .visible_profile(request.esim_tran_no.trim(), Instant::now())
            .ok_or_else(|| {
                rejected(code::UNKNOWN_PROFILE, "the merchant has not the esimTranNo")
            })?;
        let package = fitting_top_up(inner.catalog, record, request, now)?;
        if package.cost > state.balance {
            return Err(rejected(
                code::INSUFFICIENT_BALANCE,
                "insufficient account balance",
            ));
        }

        let esim_tran_no = record.profile.esim_tran_no.clone();
        state.balance = Money::from_units(state.balance.units() - package.cost.units());
        let Some(record) = state.profiles.get_mut(&esim_tran_no) else {
            return Err(rejected(
                code::UNKNOWN_PROFILE,
                "the merchant has not the esimTranNo",
            ));
        };
        let result = apply_top_up(&mut record.profile, package, transaction_id);
        state
            .top_ups
            .insert(transaction_id.to_owned(), result.clone());
        info!(package = %package.package_code, cost = %package.cost, "sandbox profile topped up");
        Ok(result)
    }

    async fn usage(&self, esim_tran_nos: &[String]) -> Result<Vec<Usage>, SupplyError> {
        if esim_tran_nos.len() > MAX_USAGE_PROFILES {
            return Err(rejected(
                code::PARAMETER_LENGTH,
                "esimTranNoList holds more than 10 profiles",
            ));
        }
        let now = Instant::now();
        let state = self.inner.state();
        let usage = esim_tran_nos
            .iter()
            .filter_map(|esim_tran_no| state.visible_profile(esim_tran_no.trim(), now))
            .map(|record| Usage {
                esim_tran_no: record.profile.esim_tran_no.clone(),
                used_bytes: record.profile.used_bytes,
                total_bytes: record.profile.total_volume_bytes,
                updated_at: record.usage_updated_at,
            })
            .collect();
        Ok(usage)
    }

    async fn balance(&self) -> Result<Money, SupplyError> {
        Ok(self.inner.state().balance)
    }

    #[tracing::instrument(skip_all, fields(supplier.esim_tran_no = %esim_tran_no))]
    async fn cancel(&self, esim_tran_no: &str) -> Result<(), SupplyError> {
        let inner = &self.inner;
        let event = {
            let mut state = inner.state();
            let visible = state
                .visible_profile(esim_tran_no.trim(), Instant::now())
                .is_some();
            let State {
                rng,
                profiles,
                balance,
                ..
            } = &mut *state;
            let record = profiles.get_mut(esim_tran_no.trim()).ok_or_else(|| {
                rejected(code::UNKNOWN_PROFILE, "the merchant has not the esimTranNo")
            })?;
            let fresh = record.profile.esim_status == EsimStatus::GotResource
                && record.profile.smdp_status.as_deref() == Some("RELEASED");
            if !visible || !fresh {
                return Err(rejected(
                    code::NOT_ALLOWED_IN_STATUS,
                    "only an unused, uninstalled profile can be cancelled",
                ));
            }
            record.profile.esim_status = EsimStatus::Cancelled;
            *balance = *balance + record.cost;
            info!(refund = %record.cost, "sandbox profile cancelled");
            notify::esim_status(&rng.hex32(), inner.clock.now(), &record.profile)
        };
        inner.deliver(vec![event]).await;
        Ok(())
    }

    async fn locations(&self) -> Result<Vec<Location>, SupplyError> {
        Ok(self.inner.catalog.locations())
    }
}

/// The transaction id trimmed, or the supplier's refusal of a missing or long one.
fn checked_transaction_id(transaction_id: &str) -> Result<&str, SupplyError> {
    let transaction_id = transaction_id.trim();
    if transaction_id.is_empty() {
        return Err(rejected(
            code::PARAMETER_MISSING,
            "transactionId is missing",
        ));
    }
    if transaction_id.chars().count() > MAX_TRANSACTION_ID_CHARS {
        return Err(rejected(
            code::PARAMETER_LENGTH,
            "transactionId is longer than 50 characters",
        ));
    }
    Ok(transaction_id)
}

/// The top-up package a request names, if the profile may take it: the profile must be
/// new, in use or used up and not expired, and the package one of its area's top-ups.
fn fitting_top_up(
    catalog: &'static SandboxCatalog,
    record: &ProfileRecord,
    request: &TopUpRequest,
    now: DateTime<Utc>,
) -> Result<&'static Package, SupplyError> {
    let open = matches!(
        record.profile.esim_status,
        EsimStatus::GotResource | EsimStatus::InUse | EsimStatus::UsedUp
    );
    let expired = record
        .profile
        .expires_at
        .is_some_and(|expiry| expiry <= now);
    if !open || expired {
        return Err(rejected(
            code::NOT_ALLOWED_IN_STATUS,
            "the profile cannot be topped up in its status",
        ));
    }
    let fits = |package: &&Package| {
        catalog
            .top_ups_for_code(&record.base_package_code)
            .iter()
            .any(|fitting| fitting.package_code == package.package_code)
    };
    let package = catalog
        .top_up_package(request.package_code.trim())
        .filter(fits)
        .ok_or_else(|| {
            rejected(
                code::PACKAGE_NOT_AVAILABLE,
                "the package is not a top-up for this profile",
            )
        })?;
    if request
        .expected_cost
        .is_some_and(|expected| expected != package.cost)
    {
        return Err(rejected(
            code::PRICE_CHANGED,
            format!(
                "package price error: {} costs {}",
                package.package_code, package.cost
            ),
        ));
    }
    Ok(package)
}

/// Adds a top-up's data and days to a profile and reports the new totals.
fn apply_top_up(profile: &mut Profile, package: &Package, transaction_id: &str) -> TopUpResult {
    let days = package.validity_days();
    profile.total_volume_bytes += package.volume_bytes;
    profile.total_duration = Some(profile.total_duration.unwrap_or(0) + days);
    // Before first use the expiry is the installation deadline, which a top-up leaves.
    if profile.activated_at.is_some() {
        profile.expires_at = profile
            .expires_at
            .map(|expiry| expiry + TimeDelta::days(i64::from(days)));
    }
    if profile.esim_status == EsimStatus::UsedUp {
        profile.esim_status = EsimStatus::InUse;
    }
    // The supplier lists a profile's packages newest first.
    profile
        .package_codes
        .insert(0, package.package_code.clone());
    TopUpResult {
        transaction_id: transaction_id.to_owned(),
        total_volume_bytes: profile.total_volume_bytes,
        total_duration: profile.total_duration.unwrap_or(0),
        used_bytes: profile.used_bytes,
        expires_at: profile.expires_at,
    }
}

/// A freshly allocated profile for one unit of an order line.
fn new_profile(
    state: &mut State,
    line: &PricedLine<'_>,
    order_no: &str,
    transaction_id: &str,
    now: DateTime<Utc>,
) -> ProfileRecord {
    let package = line.package;
    // A day pass grants its daily volume for each day bought, as the supplier totals it.
    let (total_volume_bytes, total_duration) = match line.period_days {
        Some(days) => (package.volume_bytes * u64::from(days), days),
        None => (package.volume_bytes, package.validity_days()),
    };
    let esim_tran_no = state.next_number(now);
    let iccid = state.next_iccid();
    let activation_code = ids::activation_code(&mut state.rng);
    let (qr_code_url, short_url) = ids::qr_links(&mut state.rng);
    ProfileRecord {
        profile: Profile {
            esim_tran_no,
            order_no: order_no.to_owned(),
            transaction_id: Some(transaction_id.to_owned()),
            iccid: Some(iccid),
            activation_code: Some(activation_code),
            qr_code_url: Some(qr_code_url),
            short_url: Some(short_url),
            esim_status: EsimStatus::GotResource,
            smdp_status: Some("RELEASED".to_owned()),
            total_volume_bytes,
            used_bytes: 0,
            total_duration: Some(total_duration),
            expires_at: Some(now + TimeDelta::days(UNUSED_VALIDITY_DAYS)),
            activated_at: None,
            package_codes: vec![package.package_code.clone()],
            apn: Some(SANDBOX_APN.to_owned()),
        },
        base_package_code: package.package_code.clone(),
        cost: line.profile_cost,
        eid: None,
        usage_updated_at: None,
    }
}

#[cfg(test)]
mod tests;
