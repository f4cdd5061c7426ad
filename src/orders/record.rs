//! The stored form of an order and the public view of its profiles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::Money;
use crate::payments::PaymentProblem;
use crate::supply::{EsimStatus, Profile};

/// What an order buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderKind {
    NewEsims,
    TopUp,
}

/// Where an order stands. The supply API's orders go Pending → Submitted → Allocated (or
/// ToppedUp, or Failed); a chat order paid in chat starts at AwaitingPayment, and one
/// whose eSIM reached the traveller ends at Delivered. [`OrderStatus::after`] is the whole
/// state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Priced and recorded; the buyer has a payment link and nothing is ordered yet.
    AwaitingPayment,
    /// Paid; a request is submitting it to the supplier.
    Paid,
    /// Claimed by a request that is submitting it to the supplier (no payment needed).
    Pending,
    /// Accepted by the supplier; profiles are being allocated.
    Submitted,
    /// Profiles allocated: ICCIDs and activation strings are known.
    Allocated,
    /// The eSIM reached the buyer in chat.
    Delivered,
    /// A top-up applied to an existing profile.
    ToppedUp,
    /// Refused by the supplier; nothing was charged.
    Failed,
    /// The payment link expired or the payment failed; nothing was charged or ordered.
    Cancelled,
    /// The buyer paid but no eSIM could be ordered: an operator must refund the payment.
    RefundNeeded,
}

/// Something that happens to an order; [`OrderStatus::after`] says what it leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStep {
    /// The payment provider says the money arrived.
    PaymentConfirmed,
    /// The payment page expired, or the payment failed.
    CheckoutAbandoned,
    /// The supplier accepted a new-eSIM order.
    SupplierAccepted,
    /// The supplier applied a top-up.
    SupplierToppedUp,
    /// The supplier refused the order.
    SupplierRefused,
    /// The supplier's profiles were read.
    ProfilesAllocated,
    /// The eSIM was sent to the buyer.
    DeliveredToBuyer,
}

impl OrderStatus {
    /// The status after `step`, or `None` when the step does not apply in this status (a
    /// repeat of a step already taken, or one that arrives too late). Pure: every
    /// transition of an order goes through here, and callers save its result with
    /// compare-and-set.
    pub fn after(self, step: OrderStep) -> Option<OrderStatus> {
        use OrderStatus as S;
        use OrderStep as E;
        match (self, step) {
            (S::AwaitingPayment, E::PaymentConfirmed) => Some(S::Paid),
            (S::AwaitingPayment, E::CheckoutAbandoned) => Some(S::Cancelled),
            // Money that arrives after the order was given up is owed back.
            (S::Cancelled, E::PaymentConfirmed) => Some(S::RefundNeeded),
            (S::Pending | S::Paid, E::SupplierAccepted) => Some(S::Submitted),
            (S::Pending | S::Paid, E::SupplierToppedUp) => Some(S::ToppedUp),
            (S::Pending, E::SupplierRefused) => Some(S::Failed),
            (S::Paid, E::SupplierRefused) => Some(S::RefundNeeded),
            (S::Submitted, E::ProfilesAllocated) => Some(S::Allocated),
            // Profiles read again (a repeated GOT_RESOURCE) change nothing of the status.
            (S::Allocated | S::Delivered, E::ProfilesAllocated) => Some(self),
            (S::Allocated, E::DeliveredToBuyer) => Some(S::Delivered),
            _ => None,
        }
    }

    /// Whether a request holds the order to submit it to the supplier right now.
    pub fn is_submitting(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Paid)
    }

    /// Whether the order's eSIMs exist (allocated, whether or not sent to the buyer yet).
    pub fn has_esims(self) -> bool {
        matches!(self, OrderStatus::Allocated | OrderStatus::Delivered)
    }
}

/// How a chat order was paid for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// `stripe`.
    pub provider: String,
    /// The provider's checkout session.
    pub session_id: Option<String>,
    /// Where the buyer pays, kept so a repeated Buy shows the same link.
    pub url: Option<String>,
    /// The provider's id of the money received, for a refund.
    pub payment_ref: Option<String>,
    /// What the provider says was paid, as it said it.
    #[serde(default)]
    pub paid_cents: Option<i64>,
    #[serde(default)]
    pub paid_currency: Option<String>,
    /// Why the order came to nothing, when it did.
    #[serde(default)]
    pub problem: Option<PaymentProblem>,
}

impl PaymentRecord {
    pub fn new(provider: &str) -> Self {
        PaymentRecord {
            provider: provider.to_owned(),
            session_id: None,
            url: None,
            payment_ref: None,
            paid_cents: None,
            paid_currency: None,
            problem: None,
        }
    }
}

impl OrderRecord {
    /// Records that a paid order will not be fulfilled, and why: the money is owed back.
    pub fn give_up(&mut self, problem: PaymentProblem) {
        self.status = OrderStatus::RefundNeeded;
        self.failure = Some(
            match problem {
                PaymentProblem::WrongAmount => {
                    "the amount paid is not the order's price; to be refunded"
                }
                PaymentProblem::PaidLate => {
                    "paid after the payment link had expired; to be refunded"
                }
                PaymentProblem::SupplierRefused => "refused by the supplier; to be refunded",
                PaymentProblem::LinkExpired | PaymentProblem::PaymentFailed => "nothing was paid",
            }
            .to_owned(),
        );
        if let Some(payment) = self.payment.as_mut() {
            payment.problem = Some(problem);
        }
    }
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
    /// The payment, for an order paid in chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentRecord>,
}

#[cfg(test)]
mod tests {
    use super::{OrderStatus as S, OrderStep as E};

    #[test]
    fn every_status_and_step_leads_where_the_lifecycle_says() {
        let all_statuses = [
            S::AwaitingPayment,
            S::Paid,
            S::Pending,
            S::Submitted,
            S::Allocated,
            S::Delivered,
            S::ToppedUp,
            S::Failed,
            S::Cancelled,
            S::RefundNeeded,
        ];
        let all_steps = [
            E::PaymentConfirmed,
            E::CheckoutAbandoned,
            E::SupplierAccepted,
            E::SupplierToppedUp,
            E::SupplierRefused,
            E::ProfilesAllocated,
            E::DeliveredToBuyer,
        ];
        let allowed = [
            (S::AwaitingPayment, E::PaymentConfirmed, S::Paid),
            (S::AwaitingPayment, E::CheckoutAbandoned, S::Cancelled),
            (S::Cancelled, E::PaymentConfirmed, S::RefundNeeded),
            (S::Pending, E::SupplierAccepted, S::Submitted),
            (S::Paid, E::SupplierAccepted, S::Submitted),
            (S::Pending, E::SupplierToppedUp, S::ToppedUp),
            (S::Paid, E::SupplierToppedUp, S::ToppedUp),
            (S::Pending, E::SupplierRefused, S::Failed),
            (S::Paid, E::SupplierRefused, S::RefundNeeded),
            (S::Submitted, E::ProfilesAllocated, S::Allocated),
            (S::Allocated, E::ProfilesAllocated, S::Allocated),
            (S::Delivered, E::ProfilesAllocated, S::Delivered),
            (S::Allocated, E::DeliveredToBuyer, S::Delivered),
        ];
        for status in all_statuses {
            for step in all_steps {
                let expected = allowed
                    .iter()
                    .find(|(from, by, _)| *from == status && *by == step)
                    .map(|(_, _, to)| *to);
                assert_eq!(status.after(step), expected, "{status:?} + {step:?}");
            }
        }
    }

    #[test]
    fn no_step_leaves_a_final_status_except_late_money() {
        for status in [S::Failed, S::ToppedUp, S::RefundNeeded] {
            for step in [
                E::PaymentConfirmed,
                E::CheckoutAbandoned,
                E::SupplierAccepted,
                E::SupplierRefused,
                E::DeliveredToBuyer,
            ] {
                assert_eq!(status.after(step), None, "{status:?} + {step:?}");
            }
        }
        // Paying twice never orders twice: a paid order ignores a second payment.
        assert_eq!(S::Paid.after(E::PaymentConfirmed), None);
        assert_eq!(S::Submitted.after(E::PaymentConfirmed), None);
    }
}
