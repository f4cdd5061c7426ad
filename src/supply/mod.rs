//! The supply layer: one [`Supplier`] trait over the eSIM Access API and an offline sandbox.
//!
//! Everything above this module (the catalog cache, orders, the bot) speaks these types;
//! only the adapters know the supplier's wire format.

pub mod cache;
pub mod esimaccess;
pub mod events;
pub mod metered;
pub mod sandbox;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{LocationCode, Money, Package, PlanType};

/// What to list from the supplier's catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageQuery {
    pub location: Option<LocationCode>,
    pub plan_type: Option<PlanType>,
    /// One package by code (or, for TOPUP, the top-ups that fit this package).
    pub package_code: Option<String>,
    /// With TOPUP: the top-ups that fit this existing profile.
    pub iccid: Option<String>,
}

/// One line of an order sent to the supplier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub package_code: String,
    pub count: u32,
    /// The package's listed price (per day for a day pass); the supplier refuses the
    /// order if it changed.
    pub unit_cost: Money,
    /// Days of a day-pass plan, when the package is sold per day.
    pub period_days: Option<u32>,
}

/// A new-eSIM order. `transaction_id` makes it idempotent at the supplier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierOrder {
    pub transaction_id: String,
    pub lines: Vec<OrderLine>,
}

/// Extra data for an existing profile. `transaction_id` makes it idempotent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopUpRequest {
    pub transaction_id: String,
    pub esim_tran_no: String,
    pub package_code: String,
    pub expected_cost: Option<Money>,
}

/// The profile's state after a top-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpResult {
    pub transaction_id: String,
    pub total_volume_bytes: u64,
    pub total_duration: u32,
    pub used_bytes: u64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Which profiles to read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileQuery {
    Order(String),
    EsimTranNo(String),
    Iccid(String),
}

/// The supplier's `esimStatus`. Unknown words are kept, not rejected, because the supplier
/// adds states without notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum EsimStatus {
    GotResource,
    InUse,
    UsedUp,
    UsedExpired,
    UnusedExpired,
    Cancelled,
    Suspended,
    Revoked,
    Other(String),
}

impl From<String> for EsimStatus {
    fn from(word: String) -> Self {
        match word.to_ascii_uppercase().as_str() {
            "GOT_RESOURCE" => EsimStatus::GotResource,
            "IN_USE" => EsimStatus::InUse,
            "USED_UP" => EsimStatus::UsedUp,
            "USED_EXPIRED" => EsimStatus::UsedExpired,
            "UNUSED_EXPIRED" => EsimStatus::UnusedExpired,
            "CANCEL" | "CANCELLED" | "CANCELED" => EsimStatus::Cancelled,
            "SUSPENDED" | "SUSPEND" => EsimStatus::Suspended,
            "REVOKE" | "REVOKED" => EsimStatus::Revoked,
            _ => EsimStatus::Other(word),
        }
    }
}

impl From<EsimStatus> for String {
    fn from(status: EsimStatus) -> String {
        match status {
            EsimStatus::GotResource => "GOT_RESOURCE".to_owned(),
            EsimStatus::InUse => "IN_USE".to_owned(),
            EsimStatus::UsedUp => "USED_UP".to_owned(),
            EsimStatus::UsedExpired => "USED_EXPIRED".to_owned(),
            EsimStatus::UnusedExpired => "UNUSED_EXPIRED".to_owned(),
            EsimStatus::Cancelled => "CANCEL".to_owned(),
            EsimStatus::Suspended => "SUSPENDED".to_owned(),
            EsimStatus::Revoked => "REVOKED".to_owned(),
            EsimStatus::Other(word) => word,
        }
    }
}

/// An allocated eSIM profile, keyed by `esim_tran_no` because ICCIDs can be empty on a
/// fresh profile and are reused by the supplier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub esim_tran_no: String,
    pub order_no: String,
    pub transaction_id: Option<String>,
    /// Empty on some fresh profiles.
    pub iccid: Option<String>,
    /// The LPA activation string, `LPA:1$smdp.example$MATCHINGID`.
    pub activation_code: Option<String>,
    pub qr_code_url: Option<String>,
    pub short_url: Option<String>,
    pub esim_status: EsimStatus,
    /// The SM-DP+ state (`RELEASED`, `ENABLED`, `DELETED`, ...), kept verbatim.
    pub smdp_status: Option<String>,
    pub total_volume_bytes: u64,
    /// Can exceed the total: the supplier's counters overshoot.
    pub used_bytes: u64,
    pub total_duration: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
    pub activated_at: Option<DateTime<Utc>>,
    pub package_codes: Vec<String>,
    pub apn: Option<String>,
}

/// Data usage of one profile, as reported by `esim/usage/query`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub esim_tran_no: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A location the supplier serves: one country, or an area with its member countries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub code: String,
    pub name: String,
    pub members: Vec<String>,
}

/// Why a supplier call failed, in the terms callers branch on.
#[derive(Debug, thiserror::Error)]
pub enum SupplyError {
    /// Error 200010: the profiles of the order are still being allocated; ask again later.
    #[error("profiles are still being allocated")]
    NotAllocatedYet,
    /// The supplier understood the request and refused it; retrying will not help.
    #[error("supplier refused the request: {code} {message}")]
    Rejected { code: String, message: String },
    /// The call did not complete (connection, timeout, 5xx); retrying may help.
    #[error("supplier unavailable: {0}")]
    Unavailable(String),
    /// The supplier answered something we cannot read.
    #[error("unreadable supplier answer: {0}")]
    Malformed(String),
}

impl SupplyError {
    /// Whether trying the same request again might succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SupplyError::NotAllocatedYet | SupplyError::Unavailable(_)
        )
    }
}

/// Where a supplier's pushed events go. In production the supplier posts them to our
/// webhook; the sandbox hands them here instead, and the application wires this to the same
/// inbox the webhook appends to, so both take one path.
#[async_trait]
pub trait EventSink: Send + Sync + 'static {
    /// Accepts the raw JSON body of one event, exactly as the supplier would post it.
    async fn deliver(&self, body: Vec<u8>);
}

/// The operations Bino needs from an eSIM wholesaler.
#[async_trait]
pub trait Supplier: Send + Sync + 'static {
    /// A short name for logs and metrics ("esimaccess", "sandbox").
    fn name(&self) -> &'static str;

    async fn list_packages(&self, query: &PackageQuery) -> Result<Vec<Package>, SupplyError>;

    /// Places an order and returns the supplier's order number. Calling it again with the
    /// same transaction id returns the same order number and orders nothing new.
    async fn order(&self, order: &SupplierOrder) -> Result<String, SupplyError>;

    /// Reads profiles back; fails with [`SupplyError::NotAllocatedYet`] while an order's
    /// profiles are being prepared.
    async fn query_profiles(&self, query: &ProfileQuery) -> Result<Vec<Profile>, SupplyError>;

    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResult, SupplyError>;

    /// Usage of up to 10 profiles per call, as the supplier allows.
    async fn usage(&self, esim_tran_nos: &[String]) -> Result<Vec<Usage>, SupplyError>;

    async fn balance(&self) -> Result<Money, SupplyError>;

    /// Cancels an unused profile; the supplier refunds its cost.
    async fn cancel(&self, esim_tran_no: &str) -> Result<(), SupplyError>;

    async fn locations(&self) -> Result<Vec<Location>, SupplyError>;
}
