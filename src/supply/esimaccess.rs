//! The eSIM Access open API (`/api/v1/open/`) behind the [`Supplier`] trait.
//!
//! The supplier answers HTTP 200 even when it fails, with an envelope
//! `{success, errorCode, errorMsg | errorMessage, obj}` whose fields change type from one
//! endpoint to the next; this module reads that envelope tolerantly and turns it into a
//! [`SupplyError`] callers can branch on. Every request is signed with HMAC-SHA256 over the
//! exact body bytes sent, spaced by the client's rate limiter (the supplier allows 8
//! requests per second, so the application builds one client), and retried with backoff
//! only where repeating it cannot buy twice: reads, and orders and top-ups, which the
//! supplier deduplicates by `transactionId`.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::catalog::{
    ActivationTrigger, CountryCode, CoverageScope, DataAllowance, LocationCode, Money, Package,
    PlanType, ValidityUnit, parse_country_list,
};
use crate::supply::{
    EsimStatus, Location, PackageQuery, Profile, ProfileQuery, Supplier, SupplierOrder,
    SupplyError, TopUpRequest, TopUpResult, Usage,
};
use crate::wire;

/// The production API; there is no sandbox environment at the supplier.
pub const DEFAULT_BASE_URL: &str = "https://api.esimaccess.com";

/// The rate the supplier documents as its limit.
pub const DEFAULT_MAX_REQUESTS_PER_SECOND: u32 = 8;

/// Name used in logs and metrics labels.
const SUPPLIER: &str = "esimaccess";

/// The supplier refuses longer transaction ids; checked here to fail before paying a call.
const MAX_TRANSACTION_ID_CHARS: usize = 50;

/// `esim/usage/query` accepts at most this many profiles per call.
const USAGE_BATCH: usize = 10;

/// Profiles asked per `esim/query` page. The supplier accepts 5 to 500; one order holds at
/// most 30 profiles, so one page answers the usual query.
const PAGE_SIZE: u32 = 50;

/// A bound on paging, so a supplier whose `total` never adds up cannot keep us looping.
const MAX_PAGES: u32 = 200;

/// First pause between retries; doubled each time, with jitter.
const DEFAULT_RETRY_MIN_DELAY: Duration = Duration::from_millis(250);

/// Longest pause between retries, so a retried call still ends within a request's patience.
const RETRY_MAX_DELAY: Duration = Duration::from_secs(4);

/// Supplier messages are echoed into errors; a bound keeps a chatty answer out of the logs.
const MAX_MESSAGE_CHARS: usize = 200;

/// Profiles are still being allocated for the order.
const CODE_NOT_ALLOCATED: &str = "200010";

/// "The system is busy" and "server error": the same request may succeed a moment later.
const BUSY_CODES: [&str; 2] = ["900001", "000001"];

/// How to reach and pace the supplier.
#[derive(Clone, Debug)]
pub struct EsimAccessConfig {
    /// Scheme and host only (`https://api.esimaccess.com`); the API paths are appended.
    pub base_url: String,
    /// Sent as `RT-AccessCode` and part of every signature; identifies our account.
    pub access_code: SecretString,
    /// Signs requests and is never sent; `SecretString` keeps it out of `Debug` output.
    pub secret_key: SecretString,
    /// Longest wait for one HTTP exchange, so a stuck supplier cannot hold a request.
    pub timeout: Duration,
    /// Requests per second this client allows itself, to stay under the supplier's limit.
    pub max_requests_per_second: u32,
    /// Extra attempts after a transient failure, for the calls that are safe to repeat.
    pub max_retries: usize,
}

impl EsimAccessConfig {
    /// The production endpoint with the supplier's documented rate, a 20 s timeout and
    /// three retries.
    pub fn new(access_code: SecretString, secret_key: SecretString) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            access_code,
            secret_key,
            timeout: Duration::from_secs(20),
            max_requests_per_second: DEFAULT_MAX_REQUESTS_PER_SECOND,
            max_retries: 3,
        }
    }
}

/// The supplier's endpoints, each with its path and whether repeating it is harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    PackageList,
    Order,
    Query,
    TopUp,
    Usage,
    Balance,
    Cancel,
    LocationList,
}

impl Endpoint {
    /// The path under `/api/v1/open/`, also used as the `endpoint` label of metrics.
    fn path(self) -> &'static str {
        match self {
            Endpoint::PackageList => "package/list",
            Endpoint::Order => "esim/order",
            Endpoint::Query => "esim/query",
            Endpoint::TopUp => "esim/topup",
            Endpoint::Usage => "esim/usage/query",
            Endpoint::Balance => "balance/query",
            Endpoint::Cancel => "esim/cancel",
            Endpoint::LocationList => "location/list",
        }
    }

    /// Orders and top-ups are safe to repeat because the supplier answers a repeated
    /// `transactionId` with the first result; a cancel is not, because a repeat after a
    /// lost answer would be refused and hide that the first one worked.
    fn is_retry_safe(self) -> bool {
        !matches!(self, Endpoint::Cancel)
    }
}

/// A client of the eSIM Access open API. Build one per process and share it: the rate
/// limit is held by the client.
pub struct EsimAccessClient {
    /// Keeps connections alive between calls and applies the timeout.
    http: reqwest::Client,
    /// `base_url` without a trailing slash.
    base_url: String,
    /// The access code as a header value marked sensitive, built once.
    access_code_header: HeaderValue,
    /// The same code as text, for the signature.
    access_code: SecretString,
    /// The HMAC key of every signature.
    secret_key: SecretString,
    /// Awaited before every attempt, retries included.
    limiter: DefaultDirectRateLimiter,
    /// Extra attempts for calls that are safe to repeat.
    max_retries: usize,
    /// First pause between retries; tests shorten it.
    retry_min_delay: Duration,
    /// Profiles per `esim/query` page; tests shrink it to exercise paging.
    page_size: u32,
}

impl EsimAccessClient {
    /// Checks the configuration and builds the HTTP client. Errors are
    /// [`SupplyError::Rejected`] with code `invalid_config`: retrying will not help.
    pub fn new(config: EsimAccessConfig) -> Result<Self, SupplyError> {
        let invalid = |message: &str| SupplyError::Rejected {
            code: "invalid_config".to_owned(),
            message: message.to_owned(),
        };

        let base_url = config.base_url.trim().trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base_url).map_err(|_| invalid("base url is not a url"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("base url must be http or https"));
        }
        if config.access_code.expose_secret().trim().is_empty() {
            return Err(invalid("access code is empty"));
        }
        if config.secret_key.expose_secret().is_empty() {
            return Err(invalid("secret key is empty"));
        }
        if config.timeout.is_zero() {
            return Err(invalid("timeout must be longer than zero"));
        }
        let rate = NonZeroU32::new(config.max_requests_per_second)
            .ok_or_else(|| invalid("max requests per second must be at least 1"))?;

        let mut access_code_header = HeaderValue::from_str(config.access_code.expose_secret())
            .map_err(|_| invalid("access code is not a valid header value"))?;
        access_code_header.set_sensitive(true);

        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("bino/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| invalid("http client cannot be built"))?;

        // A burst of one spaces calls evenly, so no one-second window ever holds more than
        // the limit; a full burst followed by refills could reach almost twice the limit.
        let quota = Quota::per_second(rate).allow_burst(NonZeroU32::MIN);

        Ok(Self {
            http,
            base_url,
            access_code_header,
            access_code: config.access_code,
            secret_key: config.secret_key,
            limiter: RateLimiter::direct(quota),
            max_retries: config.max_retries,
            retry_min_delay: DEFAULT_RETRY_MIN_DELAY,
            page_size: PAGE_SIZE,
        })
    }

    /// Sets the first pause between retries (250 ms by default); later pauses double.
    pub fn with_retry_min_delay(mut self, min_delay: Duration) -> Self {
        self.retry_min_delay = min_delay;
        self
    }

    /// Sends one logical call, retried when the endpoint allows it, and returns its `obj`.
    #[tracing::instrument(skip_all, fields(supplier.endpoint = endpoint.path()))]
    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        body: &impl Serialize,
    ) -> Result<T, SupplyError> {
        // The signature covers these exact bytes, so they are serialized once and every
        // attempt sends them unchanged.
        let body = serde_json::to_vec(body)
            .map(Bytes::from)
            .map_err(|_| SupplyError::Malformed("request body cannot be serialized".to_owned()))?;

        if !endpoint.is_retry_safe() {
            return self.attempt(endpoint, &body).await;
        }
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.retry_min_delay)
            .with_max_delay(RETRY_MAX_DELAY)
            .with_max_times(self.max_retries)
            .with_jitter();
        (|| self.attempt(endpoint, &body))
            .retry(backoff)
            .when(|error| matches!(error, SupplyError::Unavailable(_)))
            .notify(|error, delay| {
                tracing::warn!(
                    retry_in_ms = delay.as_millis(),
                    error = %error,
                    "supplier call failed, retrying"
                );
            })
            .await
    }

    /// One HTTP exchange: wait for the rate limiter, send, read the envelope, count it.
    async fn attempt<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        body: &Bytes,
    ) -> Result<T, SupplyError> {
        self.limiter.until_ready().await;
        let started = Instant::now();

        let result = self
            .exchange(endpoint, body)
            .await
            .and_then(|answer| read_envelope(&answer))
            .and_then(|obj| {
                T::deserialize(obj).map_err(|_| {
                    // serde's message can quote values (ICCIDs, activation codes): leave it out.
                    SupplyError::Malformed(format!("unexpected obj in {} answer", endpoint.path()))
                })
            });

        record_attempt(endpoint, &result, started.elapsed());
        result
    }

    /// Signs and posts the body; returns the answer's bytes when the HTTP layer succeeded.
    async fn exchange(&self, endpoint: Endpoint, body: &Bytes) -> Result<Bytes, SupplyError> {
        let timestamp = Utc::now().timestamp_millis().to_string();
        let request_id = uuid::Uuid::new_v4().simple().to_string();
        let signature = sign_request(
            self.secret_key.expose_secret(),
            &timestamp,
            &request_id,
            self.access_code.expose_secret(),
            body,
        );

        let response = self
            .http
            .post(format!("{}/api/v1/open/{}", self.base_url, endpoint.path()))
            .header(CONTENT_TYPE, "application/json")
            .header("RT-AccessCode", self.access_code_header.clone())
            .header("RT-RequestID", request_id)
            .header("RT-Timestamp", timestamp)
            .header("RT-Signature", signature)
            .body(body.clone())
            .send()
            .await
            .map_err(transport_error)?;

        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(SupplyError::Unavailable(format!(
                "http status {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(SupplyError::Malformed(format!(
                "unexpected http status {}",
                status.as_u16()
            )));
        }
        response.bytes().await.map_err(transport_error)
    }
}

/// The `RT-Signature` of a request: lowercase hex of HMAC-SHA256 keyed by the secret key
/// over timestamp, request id, access code and the body bytes, concatenated in that order.
/// Public so test doubles of the supplier can verify what they receive.
pub fn sign_request(
    secret_key: &str,
    timestamp: &str,
    request_id: &str,
    access_code: &str,
    body: &[u8],
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes())
        .expect("hmac accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(request_id.as_bytes());
    mac.update(access_code.as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A failure below the envelope: nothing came back that could be read.
fn transport_error(error: reqwest::Error) -> SupplyError {
    // reqwest's own message names the URL and the cause chain; a fixed word is enough to
    // act on and cannot carry anything private.
    let what = if error.is_timeout() {
        "request timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "answer body could not be read"
    } else {
        "request failed"
    };
    SupplyError::Unavailable(what.to_owned())
}

/// Counts each HTTP exchange, retries included, so the metrics show how often the
/// supplier itself fails; `bino_supplier_calls_total` (see `supply::metered`) counts what
/// callers finally saw.
fn record_attempt<T>(endpoint: Endpoint, result: &Result<T, SupplyError>, elapsed: Duration) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(SupplyError::Rejected { .. }) => "rejected",
        Err(SupplyError::Unavailable(_)) => "unavailable",
        Err(SupplyError::Malformed(_)) => "malformed",
        Err(SupplyError::NotAllocatedYet) => "not_allocated",
    };
    metrics::counter!(
        "bino_supplier_http_attempts_total",
        "supplier" => SUPPLIER,
        "endpoint" => endpoint.path(),
        "outcome" => outcome
    )
    .increment(1);
    metrics::histogram!(
        "bino_supplier_http_attempt_seconds",
        "supplier" => SUPPLIER,
        "endpoint" => endpoint.path()
    )
    .record(elapsed.as_secs_f64());
    tracing::debug!(
        outcome,
        elapsed_ms = elapsed.as_millis(),
        "supplier answered"
    );
}

/// The envelope around every answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    /// A bool, or the text `"true"`, depending on the endpoint.
    #[serde(default, deserialize_with = "wire::opt_bool")]
    success: Option<bool>,
    /// Null, `"0"`, a six-digit string, or the same digits as a number.
    #[serde(default, deserialize_with = "wire::opt_string")]
    error_code: Option<String>,
    /// Most endpoints spell the explanation `errorMsg`...
    #[serde(default, deserialize_with = "wire::opt_string")]
    error_msg: Option<String>,
    /// ...and failures of some spell it `errorMessage`.
    #[serde(default, deserialize_with = "wire::opt_string")]
    error_message: Option<String>,
    /// The payload; null on failure and sometimes `{}` on success.
    #[serde(default)]
    obj: Value,
}

/// Reads an answer's envelope and returns its `obj`, or the error it stands for.
fn read_envelope(answer: &[u8]) -> Result<Value, SupplyError> {
    let envelope: Envelope = serde_json::from_slice(answer).map_err(|error| {
        // Only the position: the message of a type error could quote the body.
        SupplyError::Malformed(format!(
            "answer is not a json envelope (line {} column {})",
            error.line(),
            error.column()
        ))
    })?;

    let code = normalize_error_code(envelope.error_code.as_deref());
    let success = match (envelope.success, &code) {
        (Some(flag), _) => flag,
        (None, Some(_)) => false,
        (None, None) => {
            return Err(SupplyError::Malformed(
                "answer has no success flag".to_owned(),
            ));
        }
    };
    if success {
        return Ok(envelope.obj);
    }

    let code = code.unwrap_or_else(|| "unknown".to_owned());
    if code == CODE_NOT_ALLOCATED {
        return Err(SupplyError::NotAllocatedYet);
    }
    if BUSY_CODES.contains(&code.as_str()) {
        return Err(SupplyError::Unavailable(format!("supplier busy ({code})")));
    }
    let message = envelope
        .error_msg
        .or(envelope.error_message)
        .unwrap_or_default();
    Err(SupplyError::Rejected {
        code,
        message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
    })
}

/// The supplier's code as six digits (a number loses its leading zeros: `1` is `000001`),
/// or nothing when it means "no error" (`0`, `000000`).
fn normalize_error_code(code: Option<&str>) -> Option<String> {
    let code = code?.trim();
    if code.is_empty() {
        return None;
    }
    if !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(code.to_owned());
    }
    let significant = code.trim_start_matches('0');
    if significant.is_empty() {
        return None;
    }
    Some(format!("{significant:0>6}"))
}

/// Refuses what the supplier would refuse, before spending a call (and a rate-limit slot).
fn check_transaction_id(transaction_id: &str) -> Result<(), SupplyError> {
    if transaction_id.trim().is_empty() {
        return Err(SupplyError::Rejected {
            code: "000106".to_owned(),
            message: "transactionId is empty".to_owned(),
        });
    }
    // The supplier counts characters (utf8mb4), not bytes.
    let length = transaction_id.chars().count();
    if length > MAX_TRANSACTION_ID_CHARS {
        return Err(SupplyError::Rejected {
            code: "000107".to_owned(),
            message: format!(
                "transactionId has {length} characters, more than {MAX_TRANSACTION_ID_CHARS}"
            ),
        });
    }
    Ok(())
}

// ---- package/list ----

/// The filters of `package/list`; absent fields are left out rather than sent empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PackageListBody<'a> {
    /// A country, `!RG` or `!GL`; absent lists everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    location_code: Option<&'a str>,
    /// `BASE` or `TOPUP`; absent means `BASE`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    plan_type: Option<&'static str>,
    /// With `TOPUP`: list the top-ups that fit this package.
    #[serde(skip_serializing_if = "Option::is_none")]
    package_code: Option<&'a str>,
    /// With `TOPUP`: list the top-ups that fit this profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    iccid: Option<&'a str>,
}

/// The `obj` of `package/list`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PackageListObj {
    /// Kept as raw values so one odd package is skipped with a warning, not lost silently.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    package_list: Vec<Value>,
}

/// One package as the supplier describes it; every field is optional here and the
/// mapping decides what is required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPackage {
    /// What we order with; a package without one cannot be sold.
    #[serde(default, deserialize_with = "wire::opt_string")]
    package_code: Option<String>,
    /// The readable alias; its prefix names a region (`NA-3_1_7`).
    #[serde(default, deserialize_with = "wire::opt_string")]
    slug: Option<String>,
    /// Shown to buyers; falls back to the code.
    #[serde(default, deserialize_with = "wire::opt_string")]
    name: Option<String>,
    /// 1/10,000 USD.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    price: Option<u64>,
    /// Bytes; often above 2^32.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    volume: Option<u64>,
    /// `1` total, `2` daily then slower, `3` daily then cut off, `4` daily unlimited.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    data_type: Option<u64>,
    /// Validity, in `duration_unit`s; for a day pass, one day.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    duration: Option<u64>,
    /// `DAY` or `MONTH`.
    #[serde(default, deserialize_with = "wire::opt_string")]
    duration_unit: Option<String>,
    /// A comma list of country codes (`"MX,US,CA"`).
    #[serde(default, deserialize_with = "wire::opt_string")]
    location: Option<String>,
    /// Network generations (`3G/4G/5G`), shown as is.
    #[serde(default, deserialize_with = "wire::opt_string")]
    speed: Option<String>,
    /// `2` means yes and `1` no; documented as a boolean, so `true` is read as yes too.
    #[serde(default)]
    support_top_up_type: Value,
    /// `1`: the clock starts at installation, `2`: at first network use.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    active_type: Option<u64>,
    /// Newer answers name each covered country here as well.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    location_network_list: Vec<RawNetwork>,
}

/// One covered country and its operators; only the country code is used.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNetwork {
    /// Absent in older answers, which name the country only in words.
    #[serde(default, deserialize_with = "wire::opt_string")]
    location_code: Option<String>,
}

/// Maps one package of a `package/list` answer, or says why it cannot be sold.
fn map_package(raw: &Value, query: &PackageQuery) -> Result<Package, &'static str> {
    let raw = RawPackage::deserialize(raw).map_err(|_| "not an object")?;
    let package_code = raw.package_code.ok_or("no package code")?;
    let price = raw.price.ok_or("no price")?;
    let cost = i64::try_from(price)
        .map(Money::from_units)
        .map_err(|_| "price out of range")?;
    let volume_bytes = raw.volume.ok_or("no volume")?;
    let validity = raw
        .duration
        .and_then(|duration| u32::try_from(duration).ok())
        .filter(|duration| *duration > 0)
        .ok_or("no duration")?;

    let countries = covered_countries(raw.location.as_deref(), &raw.location_network_list);
    if countries.is_empty() {
        return Err("no known country");
    }
    let (scope, region_code) = classify_coverage(&countries, raw.slug.as_deref(), query);

    let package_type =
        if query.plan_type == Some(PlanType::TopUp) || package_code.starts_with("TOPUP_") {
            PlanType::TopUp
        } else {
            PlanType::Base
        };
    let allowance = match raw.data_type {
        Some(2) => DataAllowance::DailyThenReducedSpeed,
        Some(3) => DataAllowance::DailyThenCutOff,
        Some(4) => DataAllowance::DailyUnlimited,
        _ => DataAllowance::Total,
    };
    let validity_unit = match raw.duration_unit.as_deref().map(str::to_ascii_uppercase) {
        Some(unit) if unit == "MONTH" => ValidityUnit::Month,
        _ => ValidityUnit::Day,
    };
    let activation = match raw.active_type {
        Some(2) => ActivationTrigger::FirstNetworkConnection,
        _ => ActivationTrigger::FirstInstallation,
    };
    let top_up_supported = match &raw.support_top_up_type {
        Value::Bool(flag) => *flag,
        other => wire::value_as_u64(other) == Some(2),
    };

    Ok(Package {
        name: raw.name.unwrap_or_else(|| package_code.clone()),
        package_code,
        slug: raw.slug,
        package_type,
        cost,
        volume_bytes,
        allowance,
        validity,
        validity_unit,
        countries,
        scope,
        region_code,
        speed: raw.speed,
        top_up_supported,
        activation,
    })
}

/// Every known country of the `location` list and of the network list, sorted, once each.
fn covered_countries(location: Option<&str>, networks: &[RawNetwork]) -> Vec<CountryCode> {
    let mut countries = location.map(parse_country_list).unwrap_or_default();
    let network_codes = networks.iter().filter_map(|n| n.location_code.as_deref());
    countries.extend(network_codes.filter_map(|code| code.parse::<CountryCode>().ok()));
    countries.sort();
    countries.dedup();
    countries
}

/// The scope of a package, and its area code when it is regional (`NA-3` from the slug
/// `NA-3_1_7`).
fn classify_coverage(
    countries: &[CountryCode],
    slug: Option<&str>,
    query: &PackageQuery,
) -> (CoverageScope, Option<String>) {
    let area = slug
        .and_then(|slug| slug.split_once('_'))
        .map(|(prefix, _)| prefix);
    // An unfiltered list mixes global plans in; their slugs read `GL-139_1_7`, unlike
    // Greenland's own `GL_1_7`.
    let global_slug = area.is_some_and(|prefix| prefix.starts_with("GL-"));
    if query.location == Some(LocationCode::Global) || global_slug {
        (CoverageScope::Global, None)
    } else if countries.len() > 1 || query.location == Some(LocationCode::Regional) {
        (CoverageScope::Regional, area.map(str::to_owned))
    } else {
        (CoverageScope::Country, None)
    }
}

// ---- esim/order ----

/// The body of `esim/order`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderBody<'a> {
    /// Our idempotency key: a repeat returns the first order instead of a new one.
    transaction_id: &'a str,
    /// The price check: the supplier refuses the order when its total differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    /// One item per package; the supplier allocates them as one order.
    package_info_list: Vec<OrderItem<'a>>,
}

/// One package of an order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderItem<'a> {
    /// A package code or a slug; the supplier takes either.
    package_code: &'a str,
    /// Profiles of this package to allocate.
    count: u32,
    /// Unit price check in 1/10,000 USD; the supplier refuses the order if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<i64>,
    /// Days of a day pass (1 to 365).
    #[serde(skip_serializing_if = "Option::is_none")]
    period_num: Option<u32>,
}

/// The `obj` of `esim/order`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderObj {
    /// The supplier's order number, used to read the profiles back.
    #[serde(default, deserialize_with = "wire::opt_string")]
    order_no: Option<String>,
}

fn order_body(order: &SupplierOrder) -> OrderBody<'_> {
    // TODO: send the price check for day passes too, because the supplier's only day-pass
    // example omits `price` and `amount` and does not say whether they count per day.
    let has_day_pass = order.lines.iter().any(|line| line.period_days.is_some());
    let amount: Money = order
        .lines
        .iter()
        .map(|line| line.unit_cost * line.count)
        .sum();
    OrderBody {
        transaction_id: &order.transaction_id,
        amount: (!has_day_pass).then_some(amount.units()),
        package_info_list: order
            .lines
            .iter()
            .map(|line| OrderItem {
                package_code: &line.package_code,
                count: line.count,
                price: line.period_days.is_none().then_some(line.unit_cost.units()),
                period_num: line.period_days,
            })
            .collect(),
    }
}

// ---- esim/query ----

/// The body of `esim/query`: one of the three keys, and the mandatory pager.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryBody<'a> {
    /// Every profile of one order.
    #[serde(skip_serializing_if = "Option::is_none")]
    order_no: Option<&'a str>,
    /// One profile, by the key that is never reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    esim_tran_no: Option<&'a str>,
    /// One profile, by ICCID; the supplier reuses ICCIDs, so prefer `esim_tran_no`.
    #[serde(skip_serializing_if = "Option::is_none")]
    iccid: Option<&'a str>,
    /// Mandatory: the supplier refuses a query without it.
    pager: Pager,
}

/// Which page of profiles to read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pager {
    /// Starts at 1.
    page_num: u32,
    /// 5 to 500.
    page_size: u32,
}

/// The `obj` of `esim/query`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryObj {
    /// The profiles of this page.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    esim_list: Vec<RawProfile>,
    /// Carries the total across pages, when the supplier sends it.
    #[serde(default)]
    pager: Option<RawPager>,
}

/// The pager echoed back by `esim/query`.
#[derive(Deserialize)]
struct RawPager {
    /// Profiles matching the query across all pages.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    total: Option<u64>,
}

/// One profile as `esim/query` describes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProfile {
    /// The profile's stable key; a profile without one is dropped.
    #[serde(default, deserialize_with = "wire::opt_string")]
    esim_tran_no: Option<String>,
    /// The order the profile belongs to.
    #[serde(default, deserialize_with = "wire::opt_string")]
    order_no: Option<String>,
    /// Our idempotency key of that order, echoed back.
    #[serde(default, deserialize_with = "wire::opt_string")]
    transaction_id: Option<String>,
    /// Empty on some fresh profiles.
    #[serde(default, deserialize_with = "wire::opt_string")]
    iccid: Option<String>,
    /// The LPA activation string.
    #[serde(default, deserialize_with = "wire::opt_string")]
    ac: Option<String>,
    /// An image of the activation code, for buyers on another device.
    #[serde(default, deserialize_with = "wire::opt_string")]
    qr_code_url: Option<String>,
    /// The supplier's install page for the profile.
    #[serde(default, deserialize_with = "wire::opt_string")]
    short_url: Option<String>,
    /// Life-cycle word (`GOT_RESOURCE`, `IN_USE`, `REVOKE`, ...), read by `EsimStatus::from`.
    #[serde(default, deserialize_with = "wire::string_or_empty")]
    esim_status: String,
    /// The SM-DP+ state (`RELEASED`, `ENABLED`, ...).
    #[serde(default, deserialize_with = "wire::opt_string")]
    smdp_status: Option<String>,
    /// Bytes granted, top-ups included.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    total_volume: u64,
    /// Can exceed `total_volume`.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    order_usage: u64,
    /// Validity, top-ups included.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    total_duration: Option<u64>,
    /// `2024-05-29T18:34:17+0000` or with `Z`.
    #[serde(default, deserialize_with = "wire::opt_time")]
    expired_time: Option<DateTime<Utc>>,
    /// Null until the profile is first used.
    #[serde(default, deserialize_with = "wire::opt_time")]
    activate_time: Option<DateTime<Utc>>,
    /// The base package and every top-up applied.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    package_list: Vec<RawProfilePackage>,
    /// Shown to buyers whose phone does not set it; often empty.
    #[serde(default, deserialize_with = "wire::opt_string")]
    apn: Option<String>,
}

/// One package applied to a profile.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProfilePackage {
    /// The code of a package applied to the profile.
    #[serde(default, deserialize_with = "wire::opt_string")]
    package_code: Option<String>,
}

/// A profile without `esimTranNo` cannot be keyed, so it is not returned.
fn map_profile(raw: RawProfile) -> Option<Profile> {
    Some(Profile {
        esim_tran_no: raw.esim_tran_no?,
        order_no: raw.order_no.unwrap_or_default(),
        transaction_id: raw.transaction_id,
        iccid: raw.iccid,
        activation_code: raw.ac,
        qr_code_url: raw.qr_code_url,
        short_url: raw.short_url,
        esim_status: EsimStatus::from(raw.esim_status),
        smdp_status: raw.smdp_status,
        total_volume_bytes: raw.total_volume,
        used_bytes: raw.order_usage,
        total_duration: raw.total_duration.and_then(|days| u32::try_from(days).ok()),
        expires_at: raw.expired_time,
        activated_at: raw.activate_time,
        package_codes: raw
            .package_list
            .into_iter()
            .filter_map(|p| p.package_code)
            .collect(),
        apn: raw.apn,
    })
}

// ---- esim/topup ----

/// The body of `esim/topup`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TopUpBody<'a> {
    /// The profile to top up; preferred over the deprecated ICCID.
    esim_tran_no: &'a str,
    /// A top-up package that fits the profile.
    package_code: &'a str,
    /// Our idempotency key, as for orders.
    transaction_id: &'a str,
    /// The price check, as for orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
}

/// The `obj` of `esim/topup`: the profile's totals after the top-up.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopUpObj {
    /// Meant to echo ours; compared to catch a mix-up.
    #[serde(default, deserialize_with = "wire::opt_string")]
    transaction_id: Option<String>,
    /// The profile's new expiry.
    #[serde(default, deserialize_with = "wire::opt_time")]
    expired_time: Option<DateTime<Utc>>,
    /// The profile's new total, in bytes.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    total_volume: u64,
    /// The profile's new validity, in days.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    total_duration: u64,
    /// Bytes used so far.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    order_usage: u64,
}

// ---- esim/usage/query, balance/query, esim/cancel, location/list ----

/// The body of `esim/usage/query`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageBody<'a> {
    /// At most ten profiles.
    esim_tran_no_list: &'a [String],
}

/// The `obj` of `esim/usage/query`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageObj {
    /// One entry per known profile, in no particular order.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    esim_usage_list: Vec<RawUsage>,
}

/// The usage of one profile.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUsage {
    /// Which profile; an entry without it is dropped.
    #[serde(default, deserialize_with = "wire::opt_string")]
    esim_tran_no: Option<String>,
    /// Bytes used; can exceed `total_data`.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    data_usage: u64,
    /// Bytes granted.
    #[serde(default, deserialize_with = "wire::u64_or_zero")]
    total_data: u64,
    /// Usage lags by hours; this says how old the figure is.
    #[serde(default, deserialize_with = "wire::opt_time")]
    last_update_time: Option<DateTime<Utc>>,
}

/// The body of calls that take no parameters; the signature then covers `{}`.
#[derive(Serialize)]
struct Empty {}

/// The `obj` of `balance/query`.
#[derive(Deserialize)]
struct BalanceObj {
    /// 1/10,000 USD.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    balance: Option<i64>,
}

/// The body of `esim/cancel`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CancelBody<'a> {
    /// The profile to cancel; preferred over the ICCID.
    esim_tran_no: &'a str,
}

/// The `obj` of `location/list`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocationListObj {
    /// Countries and multi-country areas.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    location_list: Vec<RawLocation>,
}

/// A country or an area the supplier serves.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation {
    /// A country code or an area code (`NA-3`); an entry without one is dropped.
    #[serde(default, deserialize_with = "wire::opt_string")]
    code: Option<String>,
    /// The supplier's English name.
    #[serde(default, deserialize_with = "wire::string_or_empty")]
    name: String,
    /// Present only for multi-country areas.
    #[serde(default, deserialize_with = "wire::vec_or_empty")]
    sub_location_list: Vec<RawSubLocation>,
}

/// A member of an area.
#[derive(Deserialize)]
struct RawSubLocation {
    /// A member country of the area.
    #[serde(default, deserialize_with = "wire::opt_string")]
    code: Option<String>,
}

#[async_trait]
impl Supplier for EsimAccessClient {
    fn name(&self) -> &'static str {
        SUPPLIER
    }

    async fn list_packages(&self, query: &PackageQuery) -> Result<Vec<Package>, SupplyError> {
        let body = PackageListBody {
            location_code: query.location.as_ref().map(LocationCode::as_supplier_code),
            plan_type: query.plan_type.as_ref().map(PlanType::as_str),
            package_code: query.package_code.as_deref(),
            iccid: query.iccid.as_deref(),
        };
        let obj: PackageListObj = self.call(Endpoint::PackageList, &body).await?;

        let packages = obj
            .package_list
            .iter()
            .filter_map(|raw| match map_package(raw, query) {
                Ok(package) => Some(package),
                Err(reason) => {
                    let code = raw.get("packageCode").and_then(Value::as_str).unwrap_or("");
                    tracing::warn!(
                        supplier.package_code = code,
                        reason,
                        "skipped a supplier package"
                    );
                    None
                }
            });
        Ok(packages.collect())
    }

    async fn order(&self, order: &SupplierOrder) -> Result<String, SupplyError> {
        check_transaction_id(&order.transaction_id)?;
        if order.lines.is_empty() {
            return Err(SupplyError::Rejected {
                code: "000105".to_owned(),
                message: "order has no package".to_owned(),
            });
        }

        let obj: OrderObj = self.call(Endpoint::Order, &order_body(order)).await?;
        let order_no = obj
            .order_no
            .ok_or_else(|| SupplyError::Malformed("order answer has no orderNo".to_owned()))?;
        tracing::info!(supplier.order_no = %order_no, "order placed at the supplier");
        Ok(order_no)
    }

    async fn query_profiles(&self, query: &ProfileQuery) -> Result<Vec<Profile>, SupplyError> {
        let (order_no, esim_tran_no, iccid) = match query {
            ProfileQuery::Order(order_no) => (Some(order_no.as_str()), None, None),
            ProfileQuery::EsimTranNo(esim_tran_no) => (None, Some(esim_tran_no.as_str()), None),
            ProfileQuery::Iccid(iccid) => (None, None, Some(iccid.as_str())),
        };

        let mut profiles = Vec::new();
        let mut seen = HashSet::new();
        let mut fetched: u64 = 0;
        for page_num in 1..=MAX_PAGES {
            let pager = Pager {
                page_num,
                page_size: self.page_size,
            };
            let body = QueryBody {
                order_no,
                esim_tran_no,
                iccid,
                pager,
            };
            let obj: QueryObj = self.call(Endpoint::Query, &body).await?;

            let received = obj.esim_list.len() as u64;
            fetched += received;
            for raw in obj.esim_list {
                let Some(profile) = map_profile(raw) else {
                    tracing::warn!("skipped a profile without esimTranNo");
                    continue;
                };
                // Profiles ordered while we page shift the pages: keep the first copy.
                if seen.insert(profile.esim_tran_no.clone()) {
                    profiles.push(profile);
                }
            }

            // Without a total, only a full page suggests there is another one.
            let more = match obj.pager.and_then(|pager| pager.total) {
                Some(total) => received > 0 && fetched < total,
                None => received >= u64::from(self.page_size),
            };
            if !more {
                return Ok(profiles);
            }
        }
        tracing::warn!(
            pages = MAX_PAGES,
            "stopped paging profiles before the announced total"
        );
        Ok(profiles)
    }

    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpResult, SupplyError> {
        check_transaction_id(&request.transaction_id)?;
        let body = TopUpBody {
            esim_tran_no: &request.esim_tran_no,
            package_code: &request.package_code,
            transaction_id: &request.transaction_id,
            amount: request.expected_cost.map(Money::units),
        };
        let obj: TopUpObj = self.call(Endpoint::TopUp, &body).await?;

        // The supplier has been seen echoing a transaction id of its own; ours is the one
        // callers key their records on.
        if obj
            .transaction_id
            .as_deref()
            .is_some_and(|echoed| echoed != request.transaction_id)
        {
            tracing::warn!("top-up answer names another transactionId than the one sent");
        }
        tracing::info!(
            supplier.esim_tran_no = %request.esim_tran_no,
            "top-up applied at the supplier"
        );
        Ok(TopUpResult {
            transaction_id: request.transaction_id.clone(),
            total_volume_bytes: obj.total_volume,
            total_duration: u32::try_from(obj.total_duration).unwrap_or(u32::MAX),
            used_bytes: obj.order_usage,
            expires_at: obj.expired_time,
        })
    }

    async fn usage(&self, esim_tran_nos: &[String]) -> Result<Vec<Usage>, SupplyError> {
        let mut usages = Vec::with_capacity(esim_tran_nos.len());
        for batch in esim_tran_nos.chunks(USAGE_BATCH) {
            let body = UsageBody {
                esim_tran_no_list: batch,
            };
            let obj: UsageObj = self.call(Endpoint::Usage, &body).await?;
            usages.extend(obj.esim_usage_list.into_iter().filter_map(|raw| {
                Some(Usage {
                    esim_tran_no: raw.esim_tran_no?,
                    used_bytes: raw.data_usage,
                    total_bytes: raw.total_data,
                    updated_at: raw.last_update_time,
                })
            }));
        }
        Ok(usages)
    }

    async fn balance(&self) -> Result<Money, SupplyError> {
        let obj: BalanceObj = self.call(Endpoint::Balance, &Empty {}).await?;
        obj.balance
            .map(Money::from_units)
            .ok_or_else(|| SupplyError::Malformed("balance answer has no balance".to_owned()))
    }

    async fn cancel(&self, esim_tran_no: &str) -> Result<(), SupplyError> {
        let _: IgnoredAny = self
            .call(Endpoint::Cancel, &CancelBody { esim_tran_no })
            .await?;
        tracing::info!(
            supplier.esim_tran_no = esim_tran_no,
            "profile cancelled at the supplier"
        );
        Ok(())
    }

    async fn locations(&self) -> Result<Vec<Location>, SupplyError> {
        let obj: LocationListObj = self.call(Endpoint::LocationList, &Empty {}).await?;
        let locations = obj.location_list.into_iter().filter_map(|raw| {
            Some(Location {
                code: raw.code?,
                name: raw.name,
                members: raw
                    .sub_location_list
                    .into_iter()
                    .filter_map(|sub| sub.code)
                    .collect(),
            })
        });
        Ok(locations.collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;
    use wiremock::matchers::{body_partial_json, method, path};
    use wiremock::{Match, Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

    use super::*;
    use crate::catalog::GIB;
    use crate::supply::OrderLine;

    const ACCESS_CODE: &str = "test-access-code";
    const SECRET_KEY: &str = "test-secret-key";

    /// Matches only requests whose signature headers verify against the received body.
    struct SignedRequest;

    impl Match for SignedRequest {
        fn matches(&self, request: &Request) -> bool {
            let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
            let (Some(access_code), Some(timestamp), Some(request_id), Some(signature)) = (
                header("RT-AccessCode"),
                header("RT-Timestamp"),
                header("RT-RequestID"),
                header("RT-Signature"),
            ) else {
                return false;
            };
            access_code == ACCESS_CODE
                && signature
                    == sign_request(
                        SECRET_KEY,
                        timestamp,
                        request_id,
                        access_code,
                        &request.body,
                    )
        }
    }

    /// A mock of one endpoint that only answers correctly signed requests.
    fn supplier(endpoint: &str) -> MockBuilder {
        Mock::given(method("POST"))
            .and(path(format!("/api/v1/open/{endpoint}")))
            .and(SignedRequest)
    }

    fn answer(body: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }

    fn config_for(server: &MockServer) -> EsimAccessConfig {
        EsimAccessConfig {
            base_url: format!("{}/", server.uri()),
            timeout: Duration::from_secs(2),
            max_requests_per_second: 1000,
            max_retries: 2,
            ..EsimAccessConfig::new(ACCESS_CODE.into(), SECRET_KEY.into())
        }
    }

    fn client_for(server: &MockServer) -> EsimAccessClient {
        EsimAccessClient::new(config_for(server))
            .unwrap()
            .with_retry_min_delay(Duration::from_millis(1))
    }

    async fn bodies_received(server: &MockServer) -> Vec<Value> {
        let requests = server.received_requests().await.unwrap();
        requests
            .iter()
            .map(|request| request.body_json().unwrap())
            .collect()
    }

    fn codes(packages: &[Package]) -> Vec<&str> {
        packages.iter().map(|p| p.package_code.as_str()).collect()
    }

    fn country_list(countries: &[CountryCode]) -> String {
        countries
            .iter()
            .map(CountryCode::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn one_line_order(transaction_id: &str) -> SupplierOrder {
        SupplierOrder {
            transaction_id: transaction_id.to_owned(),
            lines: vec![OrderLine {
                package_code: "BX2JP107".to_owned(),
                count: 2,
                unit_cost: Money::from_units(41_000),
                period_days: None,
            }],
        }
    }

    #[test]
    fn the_documented_signature_vector_is_reproduced() {
        let signature = sign_request(
            "1111",
            "1628670421",
            "4ce9d9cdac9e4e17b3a2c66c358c1ce2",
            "11111",
            br#"{"imsi":"326543826"}"#,
        );
        assert!(signature.eq_ignore_ascii_case(
            "7EB765E27DF5373DEA2DBC8C41A7D9557743E46C8054750F3D851B3FD01D0835"
        ));
        assert_eq!(
            signature,
            signature.to_ascii_lowercase(),
            "we send lowercase hex"
        );
    }

    #[tokio::test]
    async fn every_request_carries_verifiable_signature_headers() {
        let server = MockServer::start().await;
        Mock::given(path("/api/v1/open/balance/query"))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/balance.json"
            )))
            .mount(&server)
            .await;
        let before = Utc::now().timestamp_millis();

        client_for(&server).balance().await.unwrap();

        let requests = server.received_requests().await.unwrap();
        let request = &requests[0];
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        let timestamp = header("RT-Timestamp");
        let request_id = header("RT-RequestID");
        let millis: i64 = timestamp.parse().unwrap();
        assert!(
            millis >= before && millis <= Utc::now().timestamp_millis(),
            "milliseconds now"
        );
        assert_eq!(request_id.len(), 32);
        assert!(request_id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(header("RT-AccessCode"), ACCESS_CODE);
        let expected = sign_request(
            SECRET_KEY,
            &timestamp,
            &request_id,
            ACCESS_CODE,
            &request.body,
        );
        assert_eq!(header("RT-Signature"), expected);
        assert_eq!(header("content-type"), "application/json");
        assert_eq!(request.body, b"{}");
    }

    #[tokio::test]
    async fn a_country_package_list_maps_every_field() {
        let server = MockServer::start().await;
        supplier("package/list")
            .and(body_partial_json(json!({"locationCode": "JP"})))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/package_list_country.json"
            )))
            .expect(1)
            .mount(&server)
            .await;
        let query = PackageQuery {
            location: Some("JP".parse().unwrap()),
            ..Default::default()
        };

        let packages = client_for(&server).list_packages(&query).await.unwrap();

        assert_eq!(
            codes(&packages),
            ["BX2JP107", "BX2JP530", "BX2JP999", "BX4AS307"]
        );
        let week = &packages[0];
        assert_eq!(week.slug.as_deref(), Some("JP_1_7"));
        assert_eq!(week.name, "Japan 1GB 7Days");
        assert_eq!(week.package_type, PlanType::Base);
        assert_eq!(week.cost, Money::from_units(41_000));
        assert_eq!(week.volume_bytes, GIB);
        assert_eq!(week.allowance, DataAllowance::Total);
        assert_eq!((week.validity, week.validity_unit), (7, ValidityUnit::Day));
        assert_eq!(country_list(&week.countries), "JP");
        assert_eq!(week.scope, CoverageScope::Country);
        assert_eq!(week.region_code, None);
        assert_eq!(week.speed.as_deref(), Some("4G/5G"));
        assert!(week.top_up_supported);
        assert_eq!(week.activation, ActivationTrigger::FirstNetworkConnection);

        let month = &packages[1];
        assert_eq!(
            month.cost,
            Money::from_units(233_000),
            "a price sent as text"
        );
        assert_eq!(month.volume_bytes, 20 * GIB, "volumes exceed 32 bits");
        assert_eq!(
            (month.validity, month.validity_unit),
            (1, ValidityUnit::Month)
        );
        assert!(!month.top_up_supported);
        assert_eq!(month.activation, ActivationTrigger::FirstInstallation);

        let odd = &packages[2];
        assert_eq!(odd.allowance, DataAllowance::Total, "unknown dataType");
        assert_eq!(odd.validity_unit, ValidityUnit::Day, "unknown durationUnit");
        assert_eq!(
            odd.activation,
            ActivationTrigger::FirstInstallation,
            "unknown activeType"
        );
        assert!(!odd.top_up_supported, "absent supportTopUpType");

        let asia = &packages[3];
        assert_eq!(
            asia.scope,
            CoverageScope::Regional,
            "a country query can return an area"
        );
        assert_eq!(asia.region_code.as_deref(), Some("AS-5"));
        assert_eq!(country_list(&asia.countries), "HK,JP,KR,SG,TW");
    }

    #[tokio::test]
    async fn a_regional_package_list_is_regional_with_its_region_code() {
        let server = MockServer::start().await;
        supplier("package/list")
            .and(body_partial_json(json!({"locationCode": "!RG"})))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/package_list_regional.json"
            )))
            .mount(&server)
            .await;
        let query = PackageQuery {
            location: Some(LocationCode::Regional),
            ..Default::default()
        };

        let packages = client_for(&server).list_packages(&query).await.unwrap();

        let north_america = &packages[0];
        assert_eq!(north_america.scope, CoverageScope::Regional);
        assert_eq!(north_america.region_code.as_deref(), Some("NA-3"));
        assert_eq!(country_list(&north_america.countries), "CA,MX,US");
        let balkans = &packages[1];
        assert_eq!(balkans.region_code.as_deref(), Some("BK-4"));
        assert_eq!(
            country_list(&balkans.countries),
            "BA,ME,MK,RS",
            "network list countries are added to the location list"
        );
    }

    #[tokio::test]
    async fn a_global_package_list_is_global_even_though_it_covers_greenland() {
        let server = MockServer::start().await;
        supplier("package/list")
            .and(body_partial_json(json!({"locationCode": "!GL"})))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/package_list_global.json"
            )))
            .mount(&server)
            .await;
        let query = PackageQuery {
            location: Some(LocationCode::Global),
            ..Default::default()
        };

        let packages = client_for(&server).list_packages(&query).await.unwrap();

        let global = &packages[0];
        assert_eq!(global.scope, CoverageScope::Global);
        assert_eq!(global.region_code, None);
        assert!(
            global.countries.contains(&"GL".parse().unwrap()),
            "GL is Greenland here"
        );
        assert_eq!(
            global.countries.len(),
            46,
            "XK is not in the ISO table and is dropped"
        );
    }

    #[test]
    fn a_global_slug_in_an_unfiltered_list_is_global_but_greenland_is_a_country() {
        let global = json!({"packageCode": "G1", "slug": "GL-47_1_7", "price": 1, "volume": 1,
            "duration": 7, "location": "FR,GL,US"});
        let greenland = json!({"packageCode": "G2", "slug": "GL_1_7", "price": 1, "volume": 1,
            "duration": 7, "location": "GL"});
        let all = PackageQuery::default();

        assert_eq!(
            map_package(&global, &all).unwrap().scope,
            CoverageScope::Global
        );
        let greenland = map_package(&greenland, &all).unwrap();
        assert_eq!(greenland.scope, CoverageScope::Country);
        assert_eq!(country_list(&greenland.countries), "GL");
    }

    #[tokio::test]
    async fn day_pass_packages_keep_their_daily_allowance() {
        let server = MockServer::start().await;
        supplier("package/list")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/package_list_daypass.json"
            )))
            .mount(&server)
            .await;
        let query = PackageQuery {
            location: Some("TH".parse().unwrap()),
            ..Default::default()
        };

        let packages = client_for(&server).list_packages(&query).await.unwrap();

        let allowances: Vec<_> = packages.iter().map(|p| p.allowance).collect();
        assert_eq!(
            allowances,
            [
                DataAllowance::DailyThenReducedSpeed,
                DataAllowance::DailyThenCutOff,
                DataAllowance::DailyUnlimited
            ]
        );
        assert_eq!(packages[0].volume_bytes, 500 * crate::catalog::MIB);
        assert!(
            packages
                .iter()
                .all(|p| p.validity == 1 && p.scope == CoverageScope::Country)
        );
    }

    #[tokio::test]
    async fn a_top_up_list_is_asked_and_marked_as_top_up() {
        let server = MockServer::start().await;
        supplier("package/list")
            .and(body_partial_json(
                json!({"type": "TOPUP", "packageCode": "BX2JP107"}),
            ))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/package_list_topup.json"
            )))
            .expect(1)
            .mount(&server)
            .await;
        let query = PackageQuery {
            plan_type: Some(PlanType::TopUp),
            package_code: Some("BX2JP107".to_owned()),
            ..Default::default()
        };

        let packages = client_for(&server).list_packages(&query).await.unwrap();

        assert_eq!(codes(&packages), ["TOPUP_BX2JP107", "TOPUP_BX2JP315"]);
        assert!(packages.iter().all(|p| p.package_type == PlanType::TopUp));
        let sent = &bodies_received(&server).await[0];
        assert_eq!(sent, &json!({"type": "TOPUP", "packageCode": "BX2JP107"}));
    }

    #[test]
    fn a_topup_prefix_marks_a_top_up_without_a_typed_query() {
        let raw = json!({"packageCode": "TOPUP_X1", "price": 1, "volume": 1, "duration": 7,
            "location": "JP", "supportTopUpType": true});
        let package = map_package(&raw, &PackageQuery::default()).unwrap();
        assert_eq!(package.package_type, PlanType::TopUp);
        assert!(
            package.top_up_supported,
            "a boolean true also means supported"
        );
    }

    #[test]
    fn packages_that_cannot_be_sold_say_why() {
        let cases = [
            (
                json!({"price": 1, "volume": 1, "duration": 7, "location": "JP"}),
                "no package code",
            ),
            (
                json!({"packageCode": "A", "volume": 1, "duration": 7, "location": "JP"}),
                "no price",
            ),
            (
                json!({"packageCode": "A", "price": 1, "duration": 7, "location": "JP"}),
                "no volume",
            ),
            (
                json!({"packageCode": "A", "price": 1, "volume": 1, "location": "JP"}),
                "no duration",
            ),
            (
                json!({"packageCode": "A", "price": 1, "volume": 1, "duration": 7,
                    "location": "ZZ,??"}),
                "no known country",
            ),
            (json!("BX1"), "not an object"),
        ];
        for (raw, reason) in cases {
            assert_eq!(
                map_package(&raw, &PackageQuery::default()).unwrap_err(),
                reason,
                "{raw}"
            );
        }
    }

    #[tokio::test]
    async fn an_order_sends_its_total_and_returns_the_order_number() {
        let server = MockServer::start().await;
        supplier("esim/order")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/order_success.json"
            )))
            .expect(1)
            .mount(&server)
            .await;

        let order_no = client_for(&server)
            .order(&one_line_order("bino-ord-7f3a"))
            .await
            .unwrap();

        assert_eq!(order_no, "B26010312000017");
        let sent = &bodies_received(&server).await[0];
        let expected = json!({
            "transactionId": "bino-ord-7f3a",
            "amount": 82_000,
            "packageInfoList": [{"packageCode": "BX2JP107", "count": 2, "price": 41_000}],
        });
        assert_eq!(sent, &expected);
    }

    #[tokio::test]
    async fn a_day_pass_order_sends_its_period_without_a_price_check() {
        let server = MockServer::start().await;
        supplier("esim/order")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/order_success.json"
            )))
            .mount(&server)
            .await;
        let mut order = one_line_order("bino-ord-daily");
        order.lines[0].period_days = Some(5);

        client_for(&server).order(&order).await.unwrap();

        let sent = &bodies_received(&server).await[0];
        let expected = json!({
            "transactionId": "bino-ord-daily",
            "packageInfoList": [{"packageCode": "BX2JP107", "count": 2, "periodNum": 5}],
        });
        assert_eq!(sent, &expected);
    }

    #[tokio::test]
    async fn an_overlong_transaction_id_is_refused_without_calling() {
        let server = MockServer::start().await;
        supplier("esim/order")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/order_success.json"
            )))
            .mount(&server)
            .await;
        let client = client_for(&server);

        let error = client
            .order(&one_line_order(&"x".repeat(51)))
            .await
            .unwrap_err();

        assert!(
            matches!(&error, SupplyError::Rejected { code, .. } if code == "000107"),
            "{error}"
        );
        assert!(server.received_requests().await.unwrap().is_empty());
        let fifty_wide = "é".repeat(50);
        let placed = client.order(&one_line_order(&fifty_wide)).await;
        assert!(
            placed.is_ok(),
            "50 characters pass even when they take 100 bytes"
        );
    }

    #[tokio::test]
    async fn an_unreadable_order_answer_is_malformed_not_a_panic() {
        let server = MockServer::start().await;
        supplier("esim/order")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/order_unreadable.json"
            )))
            .expect(1)
            .mount(&server)
            .await;

        let error = client_for(&server)
            .order(&one_line_order("bino-ord-9d2e"))
            .await
            .unwrap_err();

        let SupplyError::Malformed(message) = error else {
            panic!("{error}")
        };
        assert!(
            !message.contains("B26010312000018"),
            "the body stays out of the message"
        );
    }

    #[tokio::test]
    async fn a_profile_query_always_sends_a_pager() {
        let server = MockServer::start().await;
        supplier("esim/query")
            .and(body_partial_json(
                json!({"pager": {"pageNum": 1, "pageSize": 50}}),
            ))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/query_profiles.json"
            )))
            .expect(3)
            .mount(&server)
            .await;
        let client = client_for(&server);

        for query in [
            ProfileQuery::Order("B26010312000017".to_owned()),
            ProfileQuery::EsimTranNo("26010312000022".to_owned()),
            ProfileQuery::Iccid("8999000000000000221".to_owned()),
        ] {
            client.query_profiles(&query).await.unwrap();
        }

        let sent = bodies_received(&server).await;
        let pager = json!({"pageNum": 1, "pageSize": 50});
        assert_eq!(
            sent[0],
            json!({"orderNo": "B26010312000017", "pager": pager})
        );
        assert_eq!(
            sent[1],
            json!({"esimTranNo": "26010312000022", "pager": pager})
        );
        assert_eq!(
            sent[2],
            json!({"iccid": "8999000000000000221", "pager": pager})
        );
    }

    #[tokio::test]
    async fn profiles_are_mapped_with_their_odd_values() {
        let server = MockServer::start().await;
        supplier("esim/query")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/query_profiles.json"
            )))
            .mount(&server)
            .await;

        let query = ProfileQuery::Order("B26010312000017".to_owned());
        let profiles = client_for(&server).query_profiles(&query).await.unwrap();

        let [fresh, used] = profiles.as_slice() else {
            panic!("two profiles")
        };
        assert_eq!(fresh.esim_tran_no, "26010312000021");
        assert_eq!(fresh.order_no, "B26010312000017");
        assert_eq!(fresh.transaction_id.as_deref(), Some("bino-ord-7f3a"));
        assert_eq!(fresh.iccid, None, "an empty ICCID is no ICCID");
        assert!(
            fresh
                .activation_code
                .as_deref()
                .unwrap()
                .starts_with("LPA:1$smdp.example.test$")
        );
        assert_eq!(
            fresh.qr_code_url.as_deref(),
            Some("https://qr.example.test/0000000000000001.png")
        );
        assert_eq!(
            fresh.short_url.as_deref(),
            Some("https://qr.example.test/0000000000000001")
        );
        assert_eq!(fresh.esim_status, EsimStatus::GotResource);
        assert_eq!(fresh.smdp_status.as_deref(), Some("RELEASED"));
        assert_eq!(fresh.activated_at, None);
        assert_eq!(
            fresh.expires_at.unwrap().to_rfc3339(),
            "2026-07-02T12:00:15+00:00"
        );
        assert_eq!(fresh.apn, None);
        assert_eq!(fresh.package_codes, ["BX2JP107"]);

        assert_eq!(used.iccid.as_deref(), Some("8999000000000000221"));
        assert_eq!(used.esim_status, EsimStatus::Revoked, "REVOKE");
        assert!(
            used.used_bytes > used.total_volume_bytes,
            "usage overshoots the total"
        );
        assert_eq!(used.total_volume_bytes, 3 * GIB);
        assert_eq!(used.total_duration, Some(22));
        assert_eq!(
            used.expires_at.unwrap().to_rfc3339(),
            "2026-01-30T09:41:07+00:00"
        );
        assert_eq!(
            used.activated_at.unwrap().to_rfc3339(),
            "2026-01-08T09:41:07+00:00"
        );
        assert_eq!(used.package_codes, ["TOPUP_BX2JP315", "BX2JP107"]);
        assert_eq!(used.apn.as_deref(), Some("internet.example"));
    }

    #[tokio::test]
    async fn profiles_are_read_from_every_page_when_the_total_exceeds_a_page() {
        let server = MockServer::start().await;
        supplier("esim/query")
            .and(body_partial_json(
                json!({"pager": {"pageNum": 1, "pageSize": 5}}),
            ))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/query_page_1.json"
            )))
            .expect(1)
            .mount(&server)
            .await;
        supplier("esim/query")
            .and(body_partial_json(
                json!({"pager": {"pageNum": 2, "pageSize": 5}}),
            ))
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/query_page_2.json"
            )))
            .expect(1)
            .mount(&server)
            .await;
        let mut client = client_for(&server);
        client.page_size = 5;

        let query = ProfileQuery::Order("B26010509000000".to_owned());
        let profiles = client.query_profiles(&query).await.unwrap();

        let numbers: Vec<_> = profiles.iter().map(|p| p.esim_tran_no.as_str()).collect();
        assert_eq!(numbers.len(), 6);
        assert_eq!(numbers[5], "26010509000006");
    }

    #[tokio::test]
    async fn profiles_being_allocated_are_not_allocated_yet_and_not_retried() {
        let server = MockServer::start().await;
        supplier("esim/query")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/query_allocating.json"
            )))
            .expect(1)
            .mount(&server)
            .await;

        let query = ProfileQuery::Order("B26010312000017".to_owned());
        let error = client_for(&server)
            .query_profiles(&query)
            .await
            .unwrap_err();

        assert!(matches!(error, SupplyError::NotAllocatedYet), "{error}");
        assert!(error.is_transient());
    }

    #[test]
    fn failure_envelopes_are_read_whatever_their_spelling() {
        let rejected = |code: &str, message: &str| (code.to_owned(), message.to_owned());
        let cases = [
            (
                include_str!("../../fixtures/esimaccess/failure_error_message.json"),
                rejected("310241", "The packageCode does not exist."),
            ),
            (
                include_str!("../../fixtures/esimaccess/failure_error_msg_numeric_code.json"),
                rejected("200007", "Insufficient account balance"),
            ),
            (
                include_str!("../../fixtures/esimaccess/failure_null_code.json"),
                rejected("unknown", "request failed"),
            ),
            (
                include_str!("../../fixtures/esimaccess/failure_zero_code.json"),
                rejected("unknown", ""),
            ),
            (
                r#"{"errorCode": "101003", "errorMsg": "signature mismatch"}"#,
                rejected("101003", "signature mismatch"),
            ),
        ];
        for (answer, (code, message)) in cases {
            match read_envelope(answer.as_bytes()) {
                Err(SupplyError::Rejected {
                    code: got_code,
                    message: got_message,
                }) => {
                    assert_eq!((got_code, got_message), (code, message), "{answer}");
                }
                other => panic!("{answer}: {other:?}"),
            }
        }
    }

    #[test]
    fn success_envelopes_accept_every_spelling_of_no_error() {
        for answer in [
            r#"{"success": true, "errorCode": null, "errorMsg": null, "obj": {"a": 1}}"#,
            r#"{"success": "true", "errorCode": "0", "obj": {"a": 1}}"#,
            r#"{"success": true, "errorCode": 0, "obj": {"a": 1}}"#,
        ] {
            assert_eq!(
                read_envelope(answer.as_bytes()).unwrap(),
                json!({"a": 1}),
                "{answer}"
            );
        }
        assert_eq!(read_envelope(br#"{"success": true}"#).unwrap(), Value::Null);
    }

    #[test]
    fn special_codes_become_their_own_errors() {
        let busy = include_str!("../../fixtures/esimaccess/failure_busy.json");
        assert!(matches!(
            read_envelope(busy.as_bytes()),
            Err(SupplyError::Unavailable(_))
        ));
        let server_error_as_number = br#"{"success": false, "errorCode": 1, "obj": null}"#;
        assert!(matches!(
            read_envelope(server_error_as_number),
            Err(SupplyError::Unavailable(_))
        ));
        let allocating_as_number = br#"{"success": false, "errorCode": 200010}"#;
        assert!(matches!(
            read_envelope(allocating_as_number),
            Err(SupplyError::NotAllocatedYet)
        ));
        for junk in [
            &b"<html>bad gateway</html>"[..],
            b"",
            b"[]",
            b"{}",
            br#"{"obj": {}}"#,
        ] {
            assert!(
                matches!(read_envelope(junk), Err(SupplyError::Malformed(_))),
                "{junk:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_rejection_is_returned_with_its_code_and_not_retried() {
        let server = MockServer::start().await;
        supplier("esim/order")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/failure_error_msg_numeric_code.json"
            )))
            .expect(1)
            .mount(&server)
            .await;

        let error = client_for(&server)
            .order(&one_line_order("bino-ord-poor"))
            .await
            .unwrap_err();

        assert!(
            matches!(&error, SupplyError::Rejected { code, .. } if code == "200007"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_read_is_retried_after_a_server_error() {
        let server = MockServer::start().await;
        supplier("balance/query")
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .expect(1)
            .mount(&server)
            .await;
        supplier("balance/query")
            .respond_with(ResponseTemplate::new(429))
            .up_to_n_times(1)
            .with_priority(2)
            .expect(1)
            .mount(&server)
            .await;
        supplier("balance/query")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/balance.json"
            )))
            .with_priority(3)
            .expect(1)
            .mount(&server)
            .await;

        let balance = client_for(&server).balance().await.unwrap();

        assert_eq!(balance, Money::from_units(1_234_500));
    }

    #[tokio::test]
    async fn an_order_is_retried_after_a_server_error_with_the_same_transaction_id() {
        let server = MockServer::start().await;
        supplier("esim/order")
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        supplier("esim/order")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/order_success.json"
            )))
            .with_priority(2)
            .mount(&server)
            .await;

        let order_no = client_for(&server)
            .order(&one_line_order("bino-ord-7f3a"))
            .await
            .unwrap();

        assert_eq!(order_no, "B26010312000017");
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(
            requests[0].body, requests[1].body,
            "the same bytes, same transactionId"
        );
        let first_id = requests[0].headers.get("RT-RequestID");
        assert_ne!(
            first_id,
            requests[1].headers.get("RT-RequestID"),
            "a fresh request id"
        );
    }

    #[tokio::test]
    async fn a_cancel_is_never_retried() {
        let server = MockServer::start().await;
        supplier("esim/cancel")
            .and(body_partial_json(json!({"esimTranNo": "26010312000021"})))
            .respond_with(ResponseTemplate::new(500))
            .expect(1)
            .mount(&server)
            .await;

        let error = client_for(&server)
            .cancel("26010312000021")
            .await
            .unwrap_err();

        assert!(matches!(error, SupplyError::Unavailable(_)), "{error}");
    }

    #[tokio::test]
    async fn a_cancel_succeeds_on_an_empty_obj() {
        let server = MockServer::start().await;
        supplier("esim/cancel")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/cancel_success.json"
            )))
            .expect(1)
            .mount(&server)
            .await;

        client_for(&server).cancel("26010312000021").await.unwrap();
    }

    #[tokio::test]
    async fn a_busy_supplier_is_retried_then_reported_unavailable() {
        let server = MockServer::start().await;
        supplier("location/list")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/failure_busy.json"
            )))
            .expect(3)
            .mount(&server)
            .await;

        let error = client_for(&server).locations().await.unwrap_err();

        assert!(matches!(error, SupplyError::Unavailable(_)), "{error}");
    }

    #[tokio::test]
    async fn a_slow_supplier_times_out_as_unavailable() {
        let server = MockServer::start().await;
        supplier("balance/query")
            .respond_with(
                answer(include_str!("../../fixtures/esimaccess/balance.json"))
                    .set_delay(Duration::from_secs(2)),
            )
            .mount(&server)
            .await;
        let config = EsimAccessConfig {
            timeout: Duration::from_millis(100),
            max_retries: 1,
            ..config_for(&server)
        };
        let client = EsimAccessClient::new(config)
            .unwrap()
            .with_retry_min_delay(Duration::ZERO);
        let started = Instant::now();

        let error = client.balance().await.unwrap_err();

        assert!(
            matches!(&error, SupplyError::Unavailable(m) if m.contains("timed out")),
            "{error}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "tried, then retried"
        );
    }

    #[tokio::test]
    async fn a_non_json_answer_is_malformed() {
        let server = MockServer::start().await;
        supplier("balance/query")
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
            .expect(1)
            .mount(&server)
            .await;

        let error = client_for(&server).balance().await.unwrap_err();

        let SupplyError::Malformed(message) = error else {
            panic!("{error}")
        };
        assert!(!message.contains("maintenance"), "{message}");
    }

    #[tokio::test]
    async fn a_success_without_the_expected_obj_is_malformed() {
        let server = MockServer::start().await;
        supplier("balance/query")
            .respond_with(answer(
                r#"{"success": true, "errorCode": "0", "obj": null}"#,
            ))
            .mount(&server)
            .await;

        let error = client_for(&server).balance().await.unwrap_err();

        assert!(matches!(error, SupplyError::Malformed(_)), "{error}");
    }

    /// Answers `esim/usage/query` with one entry per requested profile.
    struct EchoUsage;

    impl Respond for EchoUsage {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: Value = request.body_json().unwrap();
            let usages: Vec<Value> = body["esimTranNoList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|no| json!({"esimTranNo": no, "dataUsage": 1, "totalData": 2}))
                .collect();
            let envelope = json!({"success": true, "obj": {"esimUsageList": usages}});
            ResponseTemplate::new(200).set_body_json(envelope)
        }
    }

    #[tokio::test]
    async fn usage_is_asked_in_batches_of_ten() {
        let server = MockServer::start().await;
        supplier("esim/usage/query")
            .respond_with(EchoUsage)
            .expect(3)
            .mount(&server)
            .await;
        let numbers: Vec<String> = (1..=23).map(|n| format!("260101000000{n:02}")).collect();

        let usages = client_for(&server).usage(&numbers).await.unwrap();

        assert_eq!(usages.len(), 23);
        let sizes: Vec<usize> = bodies_received(&server)
            .await
            .iter()
            .map(|body| body["esimTranNoList"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [10, 10, 3]);
        assert!(
            client_for(&server).usage(&[]).await.unwrap().is_empty(),
            "no call for nothing"
        );
    }

    #[tokio::test]
    async fn usage_is_mapped_even_beyond_the_total() {
        let server = MockServer::start().await;
        supplier("esim/usage/query")
            .and(body_partial_json(
                json!({"esimTranNoList": ["26010312000022", "26010312000021"]}),
            ))
            .respond_with(answer(include_str!("../../fixtures/esimaccess/usage.json")))
            .mount(&server)
            .await;
        let numbers = ["26010312000022".to_owned(), "26010312000021".to_owned()];

        let usages = client_for(&server).usage(&numbers).await.unwrap();

        assert_eq!(usages[0].esim_tran_no, "26010312000022");
        assert_eq!(
            (usages[0].used_bytes, usages[0].total_bytes),
            (6 * GIB, 5 * GIB)
        );
        assert_eq!(
            usages[0].updated_at.unwrap().to_rfc3339(),
            "2026-01-20T14:00:00+00:00"
        );
        assert_eq!(usages[1].updated_at, None);
    }

    #[tokio::test]
    async fn a_top_up_returns_the_new_totals() {
        let server = MockServer::start().await;
        supplier("esim/topup")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/topup_success.json"
            )))
            .expect(1)
            .mount(&server)
            .await;
        let request = TopUpRequest {
            transaction_id: "bino-top-51c0".to_owned(),
            esim_tran_no: "26010312000022".to_owned(),
            package_code: "TOPUP_BX2JP107".to_owned(),
            expected_cost: Some(Money::from_units(39_000)),
        };

        let result = client_for(&server).top_up(&request).await.unwrap();

        assert_eq!(result.transaction_id, "bino-top-51c0");
        assert_eq!(result.total_volume_bytes, 4 * GIB);
        assert_eq!(result.total_duration, 37);
        assert_eq!(result.used_bytes, 1_288_490_188);
        assert_eq!(
            result.expires_at.unwrap().to_rfc3339(),
            "2026-02-14T09:41:07+00:00"
        );
        let sent = &bodies_received(&server).await[0];
        let expected = json!({
            "esimTranNo": "26010312000022",
            "packageCode": "TOPUP_BX2JP107",
            "transactionId": "bino-top-51c0",
            "amount": 39_000,
        });
        assert_eq!(sent, &expected);
    }

    #[tokio::test]
    async fn locations_list_their_member_countries() {
        let server = MockServer::start().await;
        supplier("location/list")
            .respond_with(answer(include_str!(
                "../../fixtures/esimaccess/locations.json"
            )))
            .mount(&server)
            .await;

        let locations = client_for(&server).locations().await.unwrap();

        assert_eq!(locations.len(), 2, "a location without a code is dropped");
        assert_eq!(locations[0].code, "JP");
        assert!(locations[0].members.is_empty());
        assert_eq!(locations[1].name, "North America");
        assert_eq!(locations[1].members, ["US", "CA", "MX"]);
    }

    #[tokio::test]
    async fn the_rate_limiter_spaces_calls_without_failing_them() {
        let server = MockServer::start().await;
        let answered = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&answered);
        supplier("balance/query")
            .respond_with(move |_: &Request| {
                counter.fetch_add(1, Ordering::SeqCst);
                answer(include_str!("../../fixtures/esimaccess/balance.json"))
            })
            .mount(&server)
            .await;
        let config = EsimAccessConfig {
            max_requests_per_second: 20,
            ..config_for(&server)
        };
        let client = Arc::new(EsimAccessClient::new(config).unwrap());
        let started = Instant::now();

        let calls = (0..6).map(|_| {
            let client = Arc::clone(&client);
            tokio::spawn(async move { client.balance().await })
        });
        for call in futures::future::join_all(calls).await {
            call.unwrap().unwrap();
        }

        assert_eq!(answered.load(Ordering::SeqCst), 6);
        // Six calls at 20 per second need at least five 50 ms gaps.
        assert!(
            started.elapsed() >= Duration::from_millis(240),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn the_config_never_prints_its_secrets() {
        let config = EsimAccessConfig::new("access-visible?".into(), "very-secret".into());
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("access-visible?"),
            "{shown}"
        );
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.max_requests_per_second, 8);
    }

    #[test]
    fn an_unusable_config_is_refused() {
        let valid = EsimAccessConfig::new("a".into(), "s".into());
        let cases = [
            EsimAccessConfig {
                base_url: "not a url".to_owned(),
                ..valid.clone()
            },
            EsimAccessConfig {
                base_url: "ftp://example.test".to_owned(),
                ..valid.clone()
            },
            EsimAccessConfig {
                access_code: "".into(),
                ..valid.clone()
            },
            EsimAccessConfig {
                secret_key: "".into(),
                ..valid.clone()
            },
            EsimAccessConfig {
                max_requests_per_second: 0,
                ..valid.clone()
            },
            EsimAccessConfig {
                timeout: Duration::ZERO,
                ..valid.clone()
            },
            EsimAccessConfig {
                access_code: "line\nbreak".into(),
                ..valid.clone()
            },
        ];
        for config in cases {
            let error = EsimAccessClient::new(config).err().expect("refused");
            assert!(
                matches!(&error, SupplyError::Rejected { code, .. } if code == "invalid_config")
            );
            assert!(!error.is_transient());
        }
        assert!(EsimAccessClient::new(valid).is_ok());
    }
}
