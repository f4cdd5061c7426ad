//! Supplier calls counted and timed, whichever supplier answers them.

use std::future::Future;
use std::time::Instant;

use async_trait::async_trait;

use super::{
    Location, PackageQuery, Profile, ProfileQuery, Supplier, SupplierOrder, SupplyError,
    TopUpRequest, TopUpResult, Usage,
};
use crate::catalog::{Money, Package};

/// Wraps a supplier and records `bino_supplier_calls_total{supplier, endpoint, outcome}`
/// and `bino_supplier_call_seconds{supplier, endpoint}` for every call.
pub struct Metered<S> {
    inner: S,
}

impl<S: Supplier> Metered<S> {
    pub fn new(inner: S) -> Self {
        Metered { inner }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    async fn measure<T>(
        &self,
        endpoint: &'static str,
        call: impl Future<Output = Result<T, SupplyError>>,
    ) -> Result<T, SupplyError> {
        let started = Instant::now();
        let result = call.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(SupplyError::NotAllocatedYet) => "not_allocated",
            Err(SupplyError::Rejected { .. }) => "rejected",
            Err(SupplyError::Unavailable(_)) => "unavailable",
            Err(SupplyError::Malformed(_)) => "malformed",
        };
        let supplier = self.inner.name();
        metrics::counter!("bino_supplier_calls_total", "supplier" => supplier, "endpoint" => endpoint, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("bino_supplier_call_seconds", "supplier" => supplier, "endpoint" => endpoint)
            .record(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait]
impl<S: Supplier> Supplier for Metered<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn list_packages(&self, query: &PackageQuery) -> Result<Vec<Package>, SupplyError> {
        self.measure("package/list", self.inner.list_packages(query))
            .await
    }

    async fn order(&self, order: &SupplierOrder) -> Result<String, SupplyError> {
        self.measure("esim/order", self.inner.order(order)).await
    }

    async fn query_profiles(&self, query: &ProfileQuery) -> Result<Vec<Profile>, SupplyError> {
        self.measure("esim/query", self.inner.query_profiles(query))
            .await
    }

    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResult, SupplyError> {
        self.measure("esim/topup", self.inner.top_up(request)).await
    }

    async fn usage(&self, esim_tran_nos: &[String]) -> Result<Vec<Usage>, SupplyError> {
        self.measure("esim/usage/query", self.inner.usage(esim_tran_nos))
            .await
    }

    async fn balance(&self) -> Result<Money, SupplyError> {
        self.measure("balance/query", self.inner.balance()).await
    }

    async fn cancel(&self, esim_tran_no: &str) -> Result<(), SupplyError> {
        self.measure("esim/cancel", self.inner.cancel(esim_tran_no))
            .await
    }

    async fn locations(&self) -> Result<Vec<Location>, SupplyError> {
        self.measure("location/list", self.inner.locations()).await
    }
}
