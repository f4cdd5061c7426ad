//! The stored form of an order and the public view of its profiles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::Money;
use crate::supply::{EsimStatus, Profile};

/// What an order buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderKind {
    NewEsims,
    TopUp,
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Claimed by a request that is submitting it to the supplier.
    Pending,
    /// Accepted by the supplier; profiles are being allocated.
    Submitted,
    /// Profiles allocated: ICCIDs and activation strings are known.
    Allocated,
    /// A top-up applied to an existing profile.
    ToppedUp,
    /// Refused by the supplier; nothing was charged.
    Failed,
}

/// One priced line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub package_code: String,
    pub name: String,
    pub quantity: u32,
    pub esim_tran_no: Option<String>,
    pub period_days: Option<u32>,
    /// The supplier's listed price of the package (per day for a day pass), which the
    /// supplier checks when the order is placed.
    pub listed_cost: Money,
    /// What the supplier charges for one unit (one eSIM, all its days).
    pub unit_cost: Money,
    /// What the buyer pays for one unit.
    pub unit_price: Money,
}

/// One allocated eSIM as the order shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    /// The supplier's stable key for the profile; ICCIDs may be empty or reused.
    pub esim_tran_no: String,
    pub iccid: Option<String>,
    /// The LPA activation string, `LPA:1$<SM-DP+ address>$<matching id>`.
    pub activation_code: Option<String>,
    pub qr_code_url: Option<String>,
    pub short_url: Option<String>,
    #[schema(value_type = String, example = "GOT_RESOURCE")]
    pub status: EsimStatus,
    pub smdp_status: Option<String>,
    pub total_volume_bytes: u64,
    pub used_bytes: u64,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<&Profile> for ProfileView {
    fn from(profile: &Profile) -> Self {
        ProfileView {
            esim_tran_no: profile.esim_tran_no.clone(),
            iccid: profile.iccid.clone(),
            activation_code: profile.activation_code.clone(),
            qr_code_url: profile.qr_code_url.clone(),
            short_url: profile.short_url.clone(),
            status: profile.esim_status.clone(),
            smdp_status: profile.smdp_status.clone(),
            total_volume_bytes: profile.total_volume_bytes,
            used_bytes: profile.used_bytes,
            expires_at: profile.expires_at,
        }
    }
}

/// The whole state of one order, stored under its `binoTransactionId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub bino_transaction_id: String,
    /// A hash of the API key that placed the order; only that key may read it.
    pub owner: String,
    /// A hash of owner and items, to tell a retry from a different order with the same id.
    pub fingerprint: String,
    pub kind: OrderKind,
    pub items: Vec<OrderItem>,
    pub total_price: Money,
    pub status: OrderStatus,
    /// The supplier's order number (or top-up transaction id).
    pub provider_order_reference: Option<String>,
    pub profiles: Vec<ProfileView>,
    /// Why the supplier refused the order.
    pub failure: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Until when the request that claimed a pending order may submit it undisturbed.
    pub lease_until_ms: i64,
}
