//! Paying for a chat order before it is placed.
//!
//! A [`Checkout`] starts a payment for an order that is priced and recorded but not yet
//! sent to the supplier (`AWAITING_PAYMENT`); the order goes to the supplier only when
//! the payment provider's signed event says the money arrived. [`PaymentPolicy`] decides,
//! per customer, whether an order is paid first, placed at once (the sandbox, and the
//! customers of `BINO_ALLOWED_CUSTOMERS`, such as a corporate fleet), or not sold in chat.

pub mod stripe;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::Money;
use crate::whatsapp::customer_key;

/// What a checkout is started for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The order's `binoTransactionId`, shown in the provider's dashboard.
    pub order_id: String,
    /// The order's opaque reference (no personal data): how the provider's events find
    /// the order again.
    pub reference: String,
    /// What the buyer sees on the payment page: the plan's name.
    pub description: String,
    pub amount: Money,
}

/// A payment page opened for an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutSession {
    pub session_id: String,
    /// Where the buyer pays.
    pub url: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a provider says was paid; a part it left out or sent unreadable is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaidAmount {
    pub cents: Option<i64>,
    /// ISO 4217, any case (`usd`).
    pub currency: Option<String>,
}

impl PaidAmount {
    /// Whether this is known to be exactly `price`: orders are priced, and charged, in US
    /// dollars, and an amount that cannot be read is not the price.
    pub fn is(&self, price: Money) -> bool {
        self.currency
            .as_deref()
            .is_some_and(|currency| currency.eq_ignore_ascii_case("usd"))
            && self.cents.map(Money::from_cents) == Some(price)
    }
}

/// Why a paid-for (or payable) order came to nothing, as the buyer and an operator are
/// told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProblem {
    /// The payment page expired unpaid.
    LinkExpired,
    /// The payment itself failed (a declined bank transfer).
    PaymentFailed,
    /// Paid, but not the order's price (or in another currency): nothing was ordered.
    WrongAmount,
    /// Paid after the page had expired and the order was cancelled: nothing was ordered.
    PaidLate,
    /// Paid, and the supplier refused the order.
    SupplierRefused,
}

impl PaymentProblem {
    /// Whether the buyer's money must be given back.
    pub fn needs_refund(self) -> bool {
        matches!(
            self,
            PaymentProblem::WrongAmount
                | PaymentProblem::PaidLate
                | PaymentProblem::SupplierRefused
        )
    }
}

/// What a provider's event means for an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The money arrived.
    Paid {
        reference: String,
        session_id: String,
        /// The provider's id of the payment, for refunds.
        payment_ref: String,
        paid: PaidAmount,
    },
    /// The page expired or the payment failed: nothing was charged.
    Abandoned {
        reference: String,
        session_id: String,
        /// `LinkExpired` or `PaymentFailed`.
        why: PaymentProblem,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// The provider could not be reached or was busy; trying again may work.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request; trying again will not help.
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// A payment provider.
#[async_trait]
pub trait Checkout: Send + Sync + 'static {
    /// A short name for logs and metrics.
    fn name(&self) -> &'static str;

    /// Opens a payment page for the order; a repeat for the same order gives the same page.
    async fn start(&self, request: &CheckoutRequest) -> Result<CheckoutSession, CheckoutError>;
}

#[async_trait]
impl Checkout for stripe::StripeClient {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn start(&self, request: &CheckoutRequest) -> Result<CheckoutSession, CheckoutError> {
        self.create_session(request).await
    }
}

/// How one customer's order is to be paid.
pub enum PaymentRoute<'a> {
    /// Place the order at once.
    PlaceNow,
    /// Open a checkout and place the order when it is paid.
    Pay(&'a dyn Checkout),
    /// Chat orders are not sold to this customer: nothing would pay for them.
    Closed,
}

/// Who pays how, from the settings.
pub struct PaymentPolicy {
    checkout: Option<Arc<dyn Checkout>>,
    /// Customers who order without paying in chat (billed some other way).
    allowed: HashSet<String>,
    /// Orders cost nothing real (the sandbox supplier), so anyone may place them.
    free: bool,
}

impl PaymentPolicy {
    /// `checkout` is `None` for `BINO_PAYMENTS=none`; `free` when the supplier is the
    /// sandbox.
    pub fn new(
        checkout: Option<Arc<dyn Checkout>>,
        allowed: impl IntoIterator<Item = String>,
        free: bool,
    ) -> Self {
        PaymentPolicy {
            checkout,
            allowed: allowed
                .into_iter()
                .map(|customer| customer_key(&customer))
                .collect(),
            free,
        }
    }

    pub fn route(&self, customer: &str) -> PaymentRoute<'_> {
        if self.allowed.contains(&customer_key(customer)) {
            return PaymentRoute::PlaceNow;
        }
        match &self.checkout {
            Some(checkout) => PaymentRoute::Pay(checkout.as_ref()),
            None if self.free => PaymentRoute::PlaceNow,
            None => PaymentRoute::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;

    #[async_trait]
    impl Checkout for Fake {
        fn name(&self) -> &'static str {
            "fake"
        }
        async fn start(&self, _: &CheckoutRequest) -> Result<CheckoutSession, CheckoutError> {
            Err(CheckoutError::Unavailable("unused".to_owned()))
        }
    }

    fn route_name(policy: &PaymentPolicy, customer: &str) -> &'static str {
        match policy.route(customer) {
            PaymentRoute::PlaceNow => "now",
            PaymentRoute::Pay(_) => "pay",
            PaymentRoute::Closed => "closed",
        }
    }

    #[test]
    fn the_allowlist_skips_payment_and_everyone_else_follows_the_setting() {
        let allowed = [
            "+1 555-000-1234".to_owned(),
            "US.13491208655302741918".to_owned(),
        ];
        let stripe = PaymentPolicy::new(Some(Arc::new(Fake)), allowed.clone(), false);
        assert_eq!(route_name(&stripe, "15550001234"), "now");
        assert_eq!(route_name(&stripe, "US.13491208655302741918"), "now");
        assert_eq!(route_name(&stripe, "15550009999"), "pay");

        let live_without_payments = PaymentPolicy::new(None, allowed.clone(), false);
        assert_eq!(route_name(&live_without_payments, "15550001234"), "now");
        assert_eq!(route_name(&live_without_payments, "15550009999"), "closed");

        let sandbox = PaymentPolicy::new(None, Vec::new(), true);
        assert_eq!(route_name(&sandbox, "15550009999"), "now");
    }
}
