//! The catalog cache: supplier package lists kept in the store per (location, type).
//!
//! The supplier is slow (hundreds of milliseconds) and rate-limited (8 calls a second), so
//! searches read a cached list. A list older than the TTL is still served while one
//! background task fetches a fresh one: a search with a warm cache never waits for the
//! supplier. The store keeps lists well past the TTL so that a supplier outage degrades to
//! slightly old prices rather than to no search at all; orders always re-read live prices.
//!
//! Each process also keeps the decoded lists it has read, while they are fresh, so a warm
//! search does no store round trip and no decoding. Once a local copy is older than the
//! TTL the store is read again, which picks up a refresh made by another process.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{PackageQuery, Supplier, SupplyError};
use crate::catalog::{CountryCode, CoverageScope, LocationCode, Package, PlanType};
use crate::store::SharedStore;

/// How many TTLs a list stays in the store, to bridge supplier outages.
const STALE_TTL_FACTOR: u32 = 8;

#[derive(Serialize, Deserialize)]
struct CachedList {
    /// When the list was fetched from the supplier, in milliseconds since the epoch.
    fetched_at_ms: i64,
    packages: Vec<Package>,
}

/// A list as this process last decoded it.
#[derive(Clone)]
struct Decoded {
    fetched_at_ms: i64,
    packages: Arc<Vec<Package>>,
}

pub struct CatalogCache {
    supplier: Arc<dyn Supplier>,
    store: SharedStore,
    ttl: Duration,
    /// Keys being refreshed by a background task, so a burst of searches starts one fetch.
    refreshing: Arc<Mutex<HashSet<String>>>,
    /// Lists decoded by this process, by cache key; one entry per location and type, so it
    /// stays small.
    decoded: Arc<Mutex<HashMap<String, Decoded>>>,
}

impl CatalogCache {
    pub fn new(supplier: Arc<dyn Supplier>, store: SharedStore, ttl: Duration) -> Self {
        CatalogCache {
            supplier,
            store,
            ttl,
            refreshing: Arc::default(),
            decoded: Arc::default(),
        }
    }

    pub fn supplier(&self) -> &Arc<dyn Supplier> {
        &self.supplier
    }

    /// The packages sold for `location` of `plan_type`, from the cache when possible.
    #[tracing::instrument(skip_all, fields(catalog.location = %location, catalog.type = plan_type.as_str()))]
    pub async fn packages(
        &self,
        location: LocationCode,
        plan_type: PlanType,
    ) -> Result<Arc<Vec<Package>>, SupplyError> {
        let key = cache_key(location, plan_type);
        let now_ms = Utc::now().timestamp_millis();
        if let Some(local) = self
            .decoded_copy(&key)
            .filter(|d| !self.is_stale(d.fetched_at_ms, now_ms))
        {
            metrics::counter!("bino_catalog_cache_total", "outcome" => "hit").increment(1);
            return Ok(local.packages);
        }

        match self.read(&key).await {
            Some(cached) => {
                metrics::counter!("bino_catalog_cache_total", "outcome" => "hit").increment(1);
                if self.is_stale(cached.fetched_at_ms, now_ms) {
                    self.refresh_in_background(key.clone(), location, plan_type);
                }
                let packages = Arc::new(cached.packages);
                remember(
                    &self.decoded,
                    key,
                    cached.fetched_at_ms,
                    Arc::clone(&packages),
                );
                Ok(packages)
            }
            None => {
                metrics::counter!("bino_catalog_cache_total", "outcome" => "miss").increment(1);
                let packages = Arc::new(fetch(self.supplier.as_ref(), location, plan_type).await?);
                write(&self.store, &key, &packages, self.ttl).await;
                remember(&self.decoded, key, now_ms, Arc::clone(&packages));
                Ok(packages)
            }
        }
    }

    fn decoded_copy(&self, key: &str) -> Option<Decoded> {
        self.decoded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn is_stale(&self, fetched_at_ms: i64, now_ms: i64) -> bool {
        now_ms - fetched_at_ms > i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// Every package that may serve a trip: each country's own plans, fetched
    /// concurrently, plus the regional bundles and global plans. A global trip only needs
    /// the global plans.
    pub async fn packages_for_trip(
        &self,
        countries: impl IntoIterator<Item = CountryCode>,
        global: bool,
    ) -> Result<Vec<Package>, SupplyError> {
        let mut locations: Vec<LocationCode> = Vec::new();
        if !global {
            locations.extend(countries.into_iter().map(LocationCode::Country));
            locations.push(LocationCode::Regional);
        }
        locations.push(LocationCode::Global);

        let lists = futures::future::join_all(
            locations
                .iter()
                .map(|location| self.packages(*location, PlanType::Base)),
        )
        .await;
        let mut packages = Vec::new();
        for list in lists {
            packages.extend(list?.iter().cloned());
        }
        Ok(packages)
    }

    /// Fetches the lists every search of regional and global plans needs, so the first
    /// traveller does not wait for them.
    pub async fn warm(&self) {
        for location in [LocationCode::Regional, LocationCode::Global] {
            if let Err(error) = self.packages(location, PlanType::Base).await {
                tracing::warn!(%error, catalog.location = %location, "catalog warm-up failed");
            }
        }
    }

    /// One package by code, read live from the supplier with its current price.
    pub async fn live_package(&self, package_code: &str) -> Result<Option<Package>, SupplyError> {
        let query = PackageQuery {
            package_code: Some(package_code.to_owned()),
            ..Default::default()
        };
        let found = self.supplier.list_packages(&query).await?;
        Ok(found
            .into_iter()
            .find(|pkg| pkg.package_code.eq_ignore_ascii_case(package_code)))
    }

    /// The top-up packages that fit a base package, read live from the supplier.
    pub async fn live_top_ups(&self, base_package_code: &str) -> Result<Vec<Package>, SupplyError> {
        let query = PackageQuery {
            plan_type: Some(PlanType::TopUp),
            package_code: Some(base_package_code.to_owned()),
            ..Default::default()
        };
        self.supplier.list_packages(&query).await
    }

    async fn read(&self, key: &str) -> Option<CachedList> {
        match self.store.get(key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "catalog cache unreadable, asking the supplier");
                None
            }
        }
    }

    fn refresh_in_background(&self, key: String, location: LocationCode, plan_type: PlanType) {
        if !self
            .refreshing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone())
        {
            return;
        }
        let supplier = Arc::clone(&self.supplier);
        let store = Arc::clone(&self.store);
        let refreshing = Arc::clone(&self.refreshing);
        let decoded = Arc::clone(&self.decoded);
        let ttl = self.ttl;
        tokio::spawn(async move {
            match fetch(supplier.as_ref(), location, plan_type).await {
                Ok(packages) => {
                    write(&store, &key, &packages, ttl).await;
                    let now_ms = Utc::now().timestamp_millis();
                    remember(&decoded, key.clone(), now_ms, Arc::new(packages));
                }
                Err(error) => {
                    tracing::warn!(%error, "catalog refresh failed, serving the older list")
                }
            }
            refreshing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
        });
    }
}

fn remember(
    decoded: &Mutex<HashMap<String, Decoded>>,
    key: String,
    fetched_at_ms: i64,
    packages: Arc<Vec<Package>>,
) {
    let entry = Decoded {
        fetched_at_ms,
        packages,
    };
    decoded
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, entry);
}

fn cache_key(location: LocationCode, plan_type: PlanType) -> String {
    format!(
        "catalog:{}:{}",
        plan_type.as_str(),
        location.as_supplier_code()
    )
}

async fn fetch(
    supplier: &dyn Supplier,
    location: LocationCode,
    plan_type: PlanType,
) -> Result<Vec<Package>, SupplyError> {
    let query = PackageQuery {
        location: Some(location),
        plan_type: Some(plan_type),
        ..Default::default()
    };
    let mut packages = supplier.list_packages(&query).await?;
    // The supplier's own location filter lets other countries' packages through, so the
    // list is narrowed again to what actually covers the location asked for.
    packages.retain(|pkg| covers(pkg, location));
    Ok(packages)
}

fn covers(pkg: &Package, location: LocationCode) -> bool {
    match location {
        LocationCode::Country(country) => {
            pkg.scope == CoverageScope::Country && pkg.countries.contains(&country)
        }
        LocationCode::Regional => pkg.scope == CoverageScope::Regional,
        LocationCode::Global => pkg.scope == CoverageScope::Global,
    }
}

async fn write(store: &SharedStore, key: &str, packages: &[Package], ttl: Duration) {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        fetched_at_ms: i64,
        packages: &'a [Package],
    }
    let entry = Borrowed {
        fetched_at_ms: Utc::now().timestamp_millis(),
        packages,
    };
    let bytes = match serde_json::to_vec(&entry) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "catalog list could not be encoded");
            return;
        }
    };
    if let Err(error) = store.set(key, &bytes, Some(ttl * STALE_TTL_FACTOR)).await {
        tracing::warn!(%error, "catalog cache not written");
    }
}
