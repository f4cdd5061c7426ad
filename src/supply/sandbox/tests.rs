//! Behaviour of the sandbox supplier as callers see it through the [`Supplier`] trait.
//! Tests that depend on timing run on a paused tokio clock, so they take no real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::ids::is_luhn_valid;
use super::*;
use crate::catalog::{CountryCode, CoverageScope, LocationCode};
use crate::supply::OrderLine;
use crate::supply::events::{NotifyType, SupplierEvent};

/// An event sink that keeps every body it is handed, in order.
#[derive(Default)]
struct RecordingSink {
    bodies: Mutex<Vec<Vec<u8>>>,
}

#[async_trait]
impl EventSink for RecordingSink {
    async fn deliver(&self, body: Vec<u8>) {
        self.bodies.lock().unwrap().push(body);
    }
}

impl RecordingSink {
    fn bodies(&self) -> Vec<Vec<u8>> {
        self.bodies.lock().unwrap().clone()
    }

    fn events(&self) -> Vec<SupplierEvent> {
        self.bodies()
            .iter()
            .map(|body| SupplierEvent::parse(body).unwrap())
            .collect()
    }
}

/// What tells lifecycle events apart: kind, SM-DP+ status, eSIM status, usage threshold.
type EventSummary = (NotifyType, Option<String>, Option<String>, Option<f64>);

fn config(simulate_usage: bool) -> SandboxConfig {
    SandboxConfig {
        simulate_usage,
        ..SandboxConfig::default()
    }
}

fn sandbox_with_sink(simulate_usage: bool) -> (SandboxSupplier, Arc<RecordingSink>) {
    let sandbox = SandboxSupplier::new(config(simulate_usage));
    let sink = Arc::new(RecordingSink::default());
    sandbox.set_event_sink(sink.clone());
    (sandbox, sink)
}

async fn package(sandbox: &SandboxSupplier, slug: &str) -> Package {
    let query = PackageQuery {
        package_code: Some(slug.to_owned()),
        ..PackageQuery::default()
    };
    sandbox.list_packages(&query).await.unwrap().remove(0)
}

fn order_of(transaction_id: &str, package: &Package, count: u32) -> SupplierOrder {
    SupplierOrder {
        transaction_id: transaction_id.to_owned(),
        lines: vec![OrderLine {
            package_code: package.package_code.clone(),
            count,
            unit_cost: package.cost,
            period_days: None,
        }],
    }
}

/// Places an order and waits, on the paused clock, until its profiles are allocated.
async fn allocated_order(
    sandbox: &SandboxSupplier,
    transaction_id: &str,
    slug: &str,
    count: u32,
) -> Vec<Profile> {
    let package = package(sandbox, slug).await;
    let order_no = sandbox
        .order(&order_of(transaction_id, &package, count))
        .await
        .unwrap();
    tokio::time::sleep(sandbox.inner.config.allocation_delay).await;
    sandbox
        .query_profiles(&ProfileQuery::Order(order_no))
        .await
        .unwrap()
}

fn rejection_code(error: SupplyError) -> String {
    match error {
        SupplyError::Rejected { code, .. } => code,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn japan() -> LocationCode {
    LocationCode::Country("JP".parse().unwrap())
}

#[tokio::test]
async fn a_country_search_returns_only_that_countrys_new_esim_plans() {
    let sandbox = SandboxSupplier::new(SandboxConfig::default());
    let query = PackageQuery {
        location: Some(japan()),
        ..PackageQuery::default()
    };

    let packages = sandbox.list_packages(&query).await.unwrap();

    let jp: CountryCode = "JP".parse().unwrap();
    assert!(packages.len() >= 8, "{}", packages.len());
    assert!(packages.iter().all(|p| p.package_type == PlanType::Base));
    assert!(
        packages
            .iter()
            .all(|p| p.countries == [jp] && p.scope == CoverageScope::Country)
    );
    assert!(packages.iter().any(|p| p.allowance.is_daily()));
    assert_eq!(sandbox.name(), "sandbox");
}

#[tokio::test]
async fn regional_and_global_searches_return_areas_and_unknown_places_nothing() {
    let sandbox = SandboxSupplier::new(SandboxConfig::default());
    let search = |location| PackageQuery {
        location: Some(location),
        ..PackageQuery::default()
    };

    let regional = sandbox
        .list_packages(&search(LocationCode::Regional))
        .await
        .unwrap();
    let global = sandbox
        .list_packages(&search(LocationCode::Global))
        .await
        .unwrap();
    let antarctica = LocationCode::Country("AQ".parse().unwrap());
    let antarctica = sandbox.list_packages(&search(antarctica)).await.unwrap();

    assert!(
        regional
            .iter()
            .all(|p| p.scope == CoverageScope::Regional && p.region_code.is_some())
    );
    assert!(
        regional
            .iter()
            .any(|p| p.region_code.as_deref() == Some("EU-42"))
    );
    assert!(global.len() >= 3);
    assert!(global.iter().all(|p| p.scope == CoverageScope::Global));
    assert!(antarctica.is_empty());
}

#[tokio::test]
async fn a_package_is_found_by_code_or_slug_and_its_top_ups_with_topup() {
    let sandbox = SandboxSupplier::new(SandboxConfig::default());
    let by_slug = package(&sandbox, "JP_1_7").await;

    let by_code = package(&sandbox, &by_slug.package_code).await;
    let top_ups = sandbox
        .list_packages(&PackageQuery {
            plan_type: Some(PlanType::TopUp),
            package_code: Some(by_slug.package_code.clone()),
            ..PackageQuery::default()
        })
        .await
        .unwrap();

    assert_eq!(by_code, by_slug);
    assert!(!top_ups.is_empty());
    assert!(
        top_ups
            .iter()
            .all(|p| p.package_type == PlanType::TopUp && p.countries == by_slug.countries)
    );
    assert!(
        top_ups
            .iter()
            .any(|p| p.package_code == format!("TOPUP_{}", by_slug.package_code))
    );
}

#[tokio::test(start_paused = true)]
async fn top_ups_can_be_listed_for_an_allocated_profile_by_iccid() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let profile = allocated_order(&sandbox, "tx-iccid", "NA-3_3_15", 1)
        .await
        .remove(0);

    let top_ups = sandbox
        .list_packages(&PackageQuery {
            plan_type: Some(PlanType::TopUp),
            iccid: profile.iccid.clone(),
            ..PackageQuery::default()
        })
        .await
        .unwrap();

    assert!(!top_ups.is_empty());
    assert!(
        top_ups
            .iter()
            .all(|p| p.region_code.as_deref() == Some("NA-3"))
    );
}

#[tokio::test(start_paused = true)]
async fn ordering_twice_with_one_transaction_id_places_one_order() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let package = package(&sandbox, "JP_1_7").await;
    let order = order_of("tx-twice", &package, 2);

    let first = sandbox.order(&order).await.unwrap();
    let second = sandbox.order(&order).await.unwrap();

    assert_eq!(first, second);
    assert!(
        first.starts_with('B')
            && first.len() == 15
            && first[1..].bytes().all(|b| b.is_ascii_digit())
    );
    let expected_balance = STARTING_BALANCE.units() - 2 * package.cost.units();
    assert_eq!(
        sandbox.balance().await.unwrap(),
        Money::from_units(expected_balance)
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        sandbox
            .query_profiles(&ProfileQuery::Order(first))
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn unknown_packages_changed_prices_and_empty_balances_are_rejected() {
    let sandbox = SandboxSupplier::new(config(false));
    let package = package(&sandbox, "JP_50_180").await;
    let mut unknown = order_of("tx-unknown", &package, 1);
    unknown.lines[0].package_code = "NOPE".to_owned();
    let mut repriced = order_of("tx-repriced", &package, 1);
    repriced.lines[0].unit_cost = Money::from_units(package.cost.units() - 100);
    let too_many = order_of("tx-too-many", &package, 1_000);

    let cases = [
        (unknown, "310241"),
        (repriced, "200005"),
        (too_many, "200007"),
    ];
    for (order, expected) in cases {
        let error = sandbox.order(&order).await.unwrap_err();
        assert_eq!(rejection_code(error), expected, "{}", order.transaction_id);
    }
    assert_eq!(sandbox.balance().await.unwrap(), STARTING_BALANCE);
}

#[tokio::test(start_paused = true)]
async fn a_day_pass_needs_a_period_and_is_charged_and_sized_per_day() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let pass = package(&sandbox, "TH_1_Daily").await;
    let mut without_period = order_of("tx-no-period", &pass, 1);
    let mut five_days = order_of("tx-five-days", &pass, 1);
    five_days.lines[0].period_days = Some(5);

    let error = sandbox.order(&without_period).await.unwrap_err();
    without_period.lines[0].period_days = Some(0);
    let zero_error = sandbox.order(&without_period).await.unwrap_err();
    let order_no = sandbox.order(&five_days).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let profile = sandbox
        .query_profiles(&ProfileQuery::Order(order_no))
        .await
        .unwrap()
        .remove(0);

    assert_eq!(rejection_code(error), "200008");
    assert_eq!(rejection_code(zero_error), "200008");
    assert_eq!(profile.total_volume_bytes, 5 * pass.volume_bytes);
    assert_eq!(profile.total_duration, Some(5));
    let expected_balance = STARTING_BALANCE.units() - 5 * pass.cost.units();
    assert_eq!(
        sandbox.balance().await.unwrap(),
        Money::from_units(expected_balance)
    );
}

#[tokio::test(start_paused = true)]
async fn profiles_are_not_readable_until_allocated_and_then_are_well_formed() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let package = package(&sandbox, "FR_5_30").await;
    let order_no = sandbox
        .order(&order_of("tx-alloc", &package, 3))
        .await
        .unwrap();

    let early = sandbox
        .query_profiles(&ProfileQuery::Order(order_no.clone()))
        .await;
    tokio::time::sleep(Duration::from_millis(1_999)).await;
    let still_early = sandbox
        .query_profiles(&ProfileQuery::Order(order_no.clone()))
        .await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    let profiles = sandbox
        .query_profiles(&ProfileQuery::Order(order_no.clone()))
        .await
        .unwrap();

    assert!(matches!(early, Err(SupplyError::NotAllocatedYet)));
    assert!(matches!(still_early, Err(SupplyError::NotAllocatedYet)));
    assert_eq!(profiles.len(), 3);
    for profile in &profiles {
        let iccid = profile.iccid.as_deref().unwrap();
        assert_eq!(iccid.len(), 19);
        assert!(iccid.starts_with("89") && is_luhn_valid(iccid), "{iccid}");
        let matching_id = profile
            .activation_code
            .as_deref()
            .and_then(|code| code.strip_prefix("LPA:1$rsp.sandbox.bino.example$"))
            .unwrap();
        assert_eq!(matching_id.len(), 32);
        assert!(
            matching_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
        let qr = profile.qr_code_url.as_deref().unwrap();
        assert!(
            qr.starts_with("https://sandbox.bino.example/qr/") && qr.ends_with(".png"),
            "{qr}"
        );
        assert_eq!(profile.esim_tran_no.len(), 14);
        assert_eq!(profile.order_no, order_no);
        assert_eq!(profile.esim_status, EsimStatus::GotResource);
        assert_eq!(profile.smdp_status.as_deref(), Some("RELEASED"));
        assert_eq!(profile.total_volume_bytes, package.volume_bytes);
        assert_eq!(
            profile.package_codes,
            std::slice::from_ref(&package.package_code)
        );
    }
    let mut esim_tran_nos: Vec<_> = profiles.iter().map(|p| p.esim_tran_no.clone()).collect();
    esim_tran_nos.dedup();
    assert_eq!(esim_tran_nos.len(), 3);
    let by_number = ProfileQuery::EsimTranNo(profiles[1].esim_tran_no.clone());
    assert_eq!(
        sandbox.query_profiles(&by_number).await.unwrap(),
        [profiles[1].clone()]
    );
    let by_iccid = ProfileQuery::Iccid(profiles[2].iccid.clone().unwrap());
    assert_eq!(
        sandbox.query_profiles(&by_iccid).await.unwrap(),
        [profiles[2].clone()]
    );
    let unknown = sandbox
        .query_profiles(&ProfileQuery::Order("B00000000000000".into()))
        .await;
    assert_eq!(rejection_code(unknown.unwrap_err()), "310272");
}

#[tokio::test(start_paused = true)]
async fn an_order_plays_its_lifecycle_as_parsable_events_in_order() {
    let (sandbox, sink) = sandbox_with_sink(true);
    let package = package(&sandbox, "JP_10_30").await;
    let order_no = sandbox
        .order(&order_of("tx-life", &package, 1))
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(1_900)).await;
    let before_allocation = sink.bodies().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_allocation = sink.bodies().len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_one_interval = sink.bodies().len();
    tokio::time::sleep(Duration::from_secs(60)).await;

    assert_eq!(
        (before_allocation, at_allocation, after_one_interval),
        (0, 1, 2)
    );
    let events = sink.events();
    let steps: Vec<EventSummary> = events
        .iter()
        .map(|e| {
            let c = &e.content;
            (
                e.notify_type.clone(),
                c.smdp_status.clone(),
                c.esim_status.clone(),
                c.remain_threshold,
            )
        })
        .collect();
    let step = |kind, smdp: Option<&str>, esim: Option<&str>, threshold| {
        (
            kind,
            smdp.map(str::to_owned),
            esim.map(str::to_owned),
            threshold,
        )
    };
    assert_eq!(
        steps,
        [
            step(NotifyType::OrderStatus, None, None, None),
            step(
                NotifyType::SmdpEvent,
                Some("DOWNLOAD"),
                Some("GOT_RESOURCE"),
                None
            ),
            step(
                NotifyType::SmdpEvent,
                Some("INSTALLATION"),
                Some("GOT_RESOURCE"),
                None
            ),
            step(
                NotifyType::SmdpEvent,
                Some("ENABLED"),
                Some("GOT_RESOURCE"),
                None
            ),
            step(
                NotifyType::EsimStatus,
                Some("ENABLED"),
                Some("IN_USE"),
                None
            ),
            step(NotifyType::DataUsage, None, None, Some(0.5)),
            step(NotifyType::DataUsage, None, None, Some(0.8)),
            step(NotifyType::DataUsage, None, None, Some(0.9)),
            step(NotifyType::ValidityUsage, None, None, None),
        ]
    );

    let mut notify_ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    notify_ids.sort_unstable();
    notify_ids.dedup();
    assert_eq!(notify_ids.len(), events.len(), "notify ids are unique");
    assert!(
        events
            .windows(2)
            .all(|pair| pair[0].generated_at <= pair[1].generated_at)
    );
    for body in sink.bodies() {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let time = json["eventGenerateTime"].as_str().unwrap();
        assert!(time.len() == 24 && time.ends_with("+0000"), "{time}");
    }
    assert_eq!(
        events[0].content.order_no.as_deref(),
        Some(order_no.as_str())
    );
    assert_eq!(
        events[0].content.order_status.as_deref(),
        Some("GOT_RESOURCE")
    );

    let profile = sandbox
        .query_profiles(&ProfileQuery::Order(order_no))
        .await
        .unwrap()
        .remove(0);
    assert!(
        events[1..]
            .iter()
            .all(|e| e.content.esim_tran_no.as_ref() == Some(&profile.esim_tran_no))
    );
    assert!(events[1..].iter().all(|e| e.content.iccid == profile.iccid));
    let last_usage = &events[7].content;
    assert_eq!(last_usage.total_volume, Some(10 * crate::catalog::GIB));
    assert_eq!(last_usage.order_usage, Some(profile.used_bytes));
    assert_eq!(
        last_usage.remain,
        Some(profile.total_volume_bytes - profile.used_bytes)
    );
    assert_eq!(profile.used_bytes, 10 * crate::catalog::GIB * 9 / 10);
    let validity = &events[8].content;
    assert_eq!(
        (validity.remain, validity.duration_unit.as_deref()),
        (Some(1), Some("DAY"))
    );
    assert_eq!(validity.total_duration, Some(30));
    assert_eq!(validity.expired_time, profile.expires_at);
    assert_eq!(profile.esim_status, EsimStatus::InUse);
    assert_eq!(profile.smdp_status.as_deref(), Some("ENABLED"));
    assert!(profile.activated_at.is_some());
    let last_day = events[8].generated_at.unwrap() + TimeDelta::days(1);
    assert_eq!(
        profile.expires_at.map(|t| t.timestamp()),
        Some(last_day.timestamp())
    );

    let usage = sandbox
        .usage(std::slice::from_ref(&profile.esim_tran_no))
        .await
        .unwrap();
    assert_eq!(
        (usage[0].used_bytes, usage[0].total_bytes),
        (profile.used_bytes, profile.total_volume_bytes)
    );
    assert!(usage[0].updated_at.is_some());
}

#[tokio::test(start_paused = true)]
async fn without_usage_simulation_only_the_allocation_is_announced() {
    let (sandbox, sink) = sandbox_with_sink(false);

    let profiles = allocated_order(&sandbox, "tx-quiet", "DE_1_7", 2).await;
    tokio::time::sleep(Duration::from_secs(120)).await;

    let events = sink.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].notify_type, NotifyType::OrderStatus);
    let now = sandbox
        .query_profiles(&ProfileQuery::Order(profiles[0].order_no.clone()))
        .await
        .unwrap();
    assert_eq!(now, profiles);
}

#[tokio::test(start_paused = true)]
async fn events_without_a_sink_are_dropped_quietly() {
    let sandbox = SandboxSupplier::new(SandboxConfig::default());
    let package = package(&sandbox, "VN_3_15").await;

    sandbox
        .order(&order_of("tx-no-sink", &package, 1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    let sink = Arc::new(RecordingSink::default());
    sandbox.set_event_sink(sink.clone());
    let profiles = allocated_order(&sandbox, "tx-with-sink", "VN_3_15", 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(sink.events().len(), 1);
    assert_eq!(
        sink.events()[0].content.order_no.as_deref(),
        Some(profiles[0].order_no.as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn a_top_up_adds_data_and_days_once_per_transaction() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let profile = allocated_order(&sandbox, "tx-base", "JP_1_7", 1)
        .await
        .remove(0);
    let top_up = package(&sandbox, "JP_3_15").await;
    let top_up_code = format!("TOPUP_{}", top_up.package_code);
    let balance_before = sandbox.balance().await.unwrap();
    let request = TopUpRequest {
        transaction_id: "tx-top-up".to_owned(),
        esim_tran_no: profile.esim_tran_no.clone(),
        package_code: top_up_code.clone(),
        expected_cost: Some(top_up.cost),
    };

    let first = sandbox.top_up(&request).await.unwrap();
    let again = sandbox.top_up(&request).await.unwrap();

    assert_eq!(first, again);
    assert_eq!(first.transaction_id, "tx-top-up");
    assert_eq!(
        first.total_volume_bytes,
        profile.total_volume_bytes + top_up.volume_bytes
    );
    assert_eq!(first.total_duration, 7 + 15);
    assert_eq!(first.used_bytes, 0);
    let expected_balance = balance_before.units() - top_up.cost.units();
    assert_eq!(
        sandbox.balance().await.unwrap(),
        Money::from_units(expected_balance)
    );
    let read_back = sandbox
        .query_profiles(&ProfileQuery::EsimTranNo(profile.esim_tran_no.clone()))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(read_back.total_volume_bytes, first.total_volume_bytes);
    assert_eq!(
        read_back.package_codes,
        [top_up_code, profile.package_codes[0].clone()]
    );
}

#[tokio::test(start_paused = true)]
async fn top_ups_for_unknown_profiles_other_areas_or_changed_prices_are_rejected() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let profile = allocated_order(&sandbox, "tx-base", "JP_1_7", 1)
        .await
        .remove(0);
    let japan_top_up = format!("TOPUP_{}", package(&sandbox, "JP_1_7").await.package_code);
    let france_top_up = format!("TOPUP_{}", package(&sandbox, "FR_1_7").await.package_code);
    let request =
        |transaction_id: &str, esim_tran_no: &str, code: &str, cost: Option<Money>| TopUpRequest {
            transaction_id: transaction_id.to_owned(),
            esim_tran_no: esim_tran_no.to_owned(),
            package_code: code.to_owned(),
            expected_cost: cost,
        };

    let cases = [
        (
            request("t1", "00000000000000", &japan_top_up, None),
            "310404",
        ),
        (
            request("t2", &profile.esim_tran_no, &france_top_up, None),
            "310243",
        ),
        (request("t3", &profile.esim_tran_no, "NOPE", None), "310243"),
        (
            request(
                "t4",
                &profile.esim_tran_no,
                &japan_top_up,
                Some(Money::from_units(1)),
            ),
            "200005",
        ),
    ];
    for (request, expected) in cases {
        let error = sandbox.top_up(&request).await.unwrap_err();
        assert_eq!(
            rejection_code(error),
            expected,
            "{}",
            request.transaction_id
        );
    }
    let by_slug = sandbox
        .top_up(&request("t5", &profile.esim_tran_no, "JP_1_7", None))
        .await;
    assert_eq!(
        by_slug.unwrap().total_duration,
        14,
        "the base slug names its top-up"
    );
}

#[tokio::test(start_paused = true)]
async fn only_fresh_profiles_can_be_cancelled_and_cancelling_refunds() {
    let (sandbox, sink) = sandbox_with_sink(true);
    let package = package(&sandbox, "GB_3_15").await;
    let order_no = sandbox
        .order(&order_of("tx-cancel", &package, 2))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let profiles = sandbox
        .query_profiles(&ProfileQuery::Order(order_no.clone()))
        .await
        .unwrap();
    let (fresh, other) = (&profiles[0].esim_tran_no, &profiles[1].esim_tran_no);
    let balance_before = sandbox.balance().await.unwrap();

    sandbox.cancel(fresh).await.unwrap();
    let again = sandbox.cancel(fresh).await.unwrap_err();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let installed = sandbox.cancel(other).await.unwrap_err();
    let unknown = sandbox.cancel("00000000000000").await.unwrap_err();

    assert_eq!(rejection_code(again), "200002");
    assert_eq!(rejection_code(installed), "200002");
    assert_eq!(rejection_code(unknown), "310404");
    assert_eq!(
        sandbox.balance().await.unwrap(),
        balance_before + package.cost
    );
    let cancelled = sandbox
        .query_profiles(&ProfileQuery::EsimTranNo(fresh.clone()))
        .await
        .unwrap();
    assert_eq!(cancelled[0].esim_status, EsimStatus::Cancelled);
    let events = sink.events();
    let cancel_event = &events[1];
    assert_eq!(cancel_event.notify_type, NotifyType::EsimStatus);
    assert_eq!(cancel_event.content.esim_status.as_deref(), Some("CANCEL"));
    assert_eq!(
        cancel_event.content.smdp_status.as_deref(),
        Some("RELEASED")
    );
    assert!(
        events
            .iter()
            .skip(2)
            .all(|e| e.content.esim_tran_no.as_ref() == Some(other)),
        "a cancelled profile has no further life"
    );
}

#[tokio::test(start_paused = true)]
async fn usage_answers_for_at_most_ten_profiles() {
    let (sandbox, _sink) = sandbox_with_sink(false);
    let profiles = allocated_order(&sandbox, "tx-usage", "IT_1_7", 2).await;
    let numbers: Vec<String> = profiles.iter().map(|p| p.esim_tran_no.clone()).collect();

    let usage = sandbox.usage(&numbers).await.unwrap();
    let eleven = sandbox
        .usage(&vec![numbers[0].clone(); 11])
        .await
        .unwrap_err();

    assert_eq!(usage.len(), 2);
    assert!(
        usage
            .iter()
            .all(|u| u.used_bytes == 0 && u.total_bytes == crate::catalog::GIB)
    );
    assert_eq!(rejection_code(eleven), "000107");
}

#[tokio::test]
async fn locations_list_every_country_and_every_area_with_members() {
    let sandbox = SandboxSupplier::new(SandboxConfig::default());

    let locations = sandbox.locations().await.unwrap();

    let countries = locations.iter().filter(|l| l.members.is_empty()).count();
    let areas: Vec<&Location> = locations.iter().filter(|l| !l.members.is_empty()).collect();
    assert_eq!(countries, catalog_stats().countries);
    assert_eq!(
        areas.len(),
        catalog_stats().regions + catalog_stats().global_areas
    );
    let japan = locations.iter().find(|l| l.code == "JP").unwrap();
    assert_eq!(japan.name, "Japan");
    let north_america = locations.iter().find(|l| l.code == "NA-3").unwrap();
    assert_eq!(north_america.members, ["US", "CA", "MX"]);
    assert_eq!(catalog_size(), catalog_stats().packages);
}
