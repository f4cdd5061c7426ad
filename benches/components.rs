//! Time taken by the library's pure building blocks, each called directly, without the HTTP
//! stack, the store or the workers around them:
//!
//! - `whatsapp/parse/…`: reading a webhook body shaped like Meta's, with one text message
//!   and with a batch of 100;
//! - `whatsapp/verify_signature/…`: checking `X-Hub-Signature-256` over the same bodies;
//! - `bot_step/…`: one step of the conversation for the inputs of a purchase;
//! - `local_extractor/read/…`: the offline reader of destinations, over texts in several
//!   languages;
//! - `catalog/…`: the functions behind `/esim/search` and `/esim/searchai`, given every
//!   package of the sandbox catalog (new eSIMs and top-ups);
//! - `qr/render_png/…`: drawing an activation code as the PNG sent in the chat.
//!
//! The catalog, the gazetteer and the text catalogues are built before the clock starts,
//! so every figure is of warm code. Criterion reports each median in its `--verbose`
//! output and in `target/criterion/<id>/new/estimates.json`.
//!
//! Run with `cargo bench --bench components` (add `-- --verbose` for the medians, or
//! `-- local_extractor` for one group).

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

use bino::bot::step::{Context, MAX_OFFERS, Offer, SearchOutcome, Trip};
use bino::bot::texts::Texts;
use bino::bot::{Conversation, Input, step};
use bino::catalog::{
    self, CountryCode, CoverageScope, Package, PlanType, SearchFilters, SortOrder, TripNeeds,
};
use bino::config::Settings;
use bino::delivery::render_png;
use bino::discovery::local::LocalExtractor;
use bino::supply::sandbox::{SandboxConfig, SandboxSupplier};
use bino::supply::{PackageQuery, Supplier};
use bino::whatsapp::payload;
use bino::whatsapp::signature::SignatureVerifier;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use secrecy::SecretString;

mod common;

use common::text_delivery;

const APP_SECRET: &str = "bench-app-secret";
const PHONE_NUMBER_ID: &str = "106540352242922";
const BATCH_MESSAGES: usize = 100;
const ACTIVATION_CODE: &str = "LPA:1$rsp.test.example$0123456789ABCDEF0123456789ABCDEF";

/// Free texts a traveller might send, labelled for the benchmark id. Each names a place,
/// so every one goes through the whole reading rather than stopping early.
const TRIP_TEXTS: [(&str, &str); 7] = [
    ("en_two_countries", "eSIM for Japan and Korea, 10 days"),
    ("en_typo", "esim for thailnd 2 weeks"),
    ("es_city", "vamos a Cancún 2 semanas"),
    (
        "fr_two_countries",
        "voyage en Thaïlande et au Vietnam, 3 semaines",
    ),
    ("de_island", "Urlaub auf Mallorca, 10 Tage"),
    (
        "pt_two_countries_data",
        "viagem para Portugal e Espanha, 15 dias, 5GB",
    ),
    ("ja_unspaced", "日本旅行"),
];

criterion_group! {
    name = components;
    // Short runs keep the whole file near a minute; the spread of these functions is
    // small enough that 50 samples settle the median.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = bench_webhook, bench_step, bench_local_extractor, bench_catalog, bench_qr
}
criterion_main!(components);

fn bench_webhook(c: &mut Criterion) {
    let one = delivery(1);
    let batch = delivery(BATCH_MESSAGES);
    assert_eq!(parsed_messages(&one), 1);
    assert_eq!(parsed_messages(&batch), BATCH_MESSAGES);

    let mut group = c.benchmark_group("whatsapp");
    group.bench_function("parse/one_text_message", |b| {
        b.iter(|| payload::parse(black_box(&one)))
    });
    group.bench_function("parse/batch_of_100_messages", |b| {
        b.iter(|| payload::parse(black_box(&batch)))
    });

    let verifier = SignatureVerifier::new(&SecretString::from(APP_SECRET));
    for (label, body) in [
        ("one_text_message", &one),
        ("batch_of_100_messages", &batch),
    ] {
        let signature = SignatureVerifier::sign(APP_SECRET, body);
        assert!(verifier.verify(Some(signature.as_bytes()), body).is_ok());
        group.bench_function(format!("verify_signature/{label}"), |b| {
            b.iter(|| verifier.verify(black_box(Some(signature.as_bytes())), black_box(body)))
        });
    }
    group.finish();
}

/// The number of messages `payload::parse` read from `body`, all of it or the bench is off.
fn parsed_messages(body: &[u8]) -> usize {
    let parsed = payload::parse(body).expect("the delivery parses");
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    parsed.updates.len()
}

/// A delivery with `messages` text messages, each from a traveller of its own.
fn delivery(messages: usize) -> Vec<u8> {
    let items: Vec<(String, String)> = (0..messages)
        .map(|n| {
            (
                format!("1555000{n:04}"),
                format!("wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQzQTRBNjVFRkQ3{n:06}"),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(from, id)| {
            (
                from.as_str(),
                id.as_str(),
                "eSIM for Japan and Korea, 10 days",
            )
        })
        .collect();
    text_delivery(PHONE_NUMBER_ID, &borrowed)
}

fn bench_step(c: &mut Criterion) {
    let context = Context {
        now: 1_764_000_000,
        idle_restart_secs: 1800,
        customer_token: "abc123def0",
        texts: Texts::global(),
    };
    let text = |body: &str| Input::Text {
        body: body.to_owned(),
    };

    // Each case starts from the conversation the earlier inputs of a purchase left.
    let fresh = Conversation::default();
    let (asked, _) = step(fresh.clone(), &text("hi"), &context);
    let found = Input::SearchDone(SearchOutcome::Found {
        trip: Trip {
            label: "Japan and South Korea".to_owned(),
            query: "eSIM for Japan and Korea, 10 days".to_owned(),
            days: Some(10),
            places: 2,
        },
        offers: trip_offers(),
    });
    let (choosing, _) = step(asked.clone(), &found, &context);
    let picked = Input::Choice {
        id: format!("plan:{}:2", choosing.menu),
    };
    let cases = [
        ("greeting", fresh, text("hi")),
        (
            "destination_text",
            asked.clone(),
            text("eSIM for Japan and Korea, 10 days"),
        ),
        ("plan_list", asked, found),
        ("plan_picked", choosing, picked),
    ];

    let mut group = c.benchmark_group("bot_step");
    for (label, conversation, input) in &cases {
        // The step takes the conversation by value; cloning it is the caller's cost, not
        // the step's, so it happens outside the timing.
        group.bench_function(*label, |b| {
            b.iter_batched(
                || conversation.clone(),
                |conversation| step(conversation, black_box(input), &context),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// A full list of offers for a two-country trip, whole-trip plans first.
fn trip_offers() -> Vec<Offer> {
    (0..MAX_OFFERS)
        .map(|n| {
            let whole_trip = n < 4;
            Offer {
                package_code: format!("5ca37337{n:02x}"),
                name: if whole_trip {
                    format!("Japan & Korea {}GB 15Days", n + 1)
                } else {
                    format!("Japan {}GB 15Days", n + 1)
                },
                data: format!("{} GB", n + 1),
                days: 15,
                period_days: None,
                price: format!("{}.40", 6 + 2 * n),
                covers: if whole_trip {
                    vec!["Japan".to_owned(), "South Korea".to_owned()]
                } else {
                    vec!["Japan".to_owned()]
                },
                whole_trip,
                starts_on_first_use: true,
            }
        })
        .collect()
}

fn bench_local_extractor(c: &mut Criterion) {
    let extractor = LocalExtractor::global();
    for (label, text) in TRIP_TEXTS {
        let reading = extractor.read(text);
        assert!(
            reading.query.has_destination(),
            "{label}: no destination read"
        );
    }

    let mut group = c.benchmark_group("local_extractor");
    for (label, text) in TRIP_TEXTS {
        group.bench_with_input(BenchmarkId::new("read", label), text, |b, text| {
            b.iter(|| extractor.read(black_box(text)))
        });
    }
    group.finish();
}

fn bench_catalog(c: &mut Criterion) {
    let packages = sandbox_packages();
    let margin_percent = Settings::from_vars(Vec::<(String, String)>::new())
        .expect("default settings")
        .margin_percent;
    let all = format!("all_{}_packages", packages.len());

    let filtered = SearchFilters {
        min_data_bytes: Some(3 * catalog::GIB),
        min_validity_days: Some(15),
        max_price: Some("25.00".parse().expect("a price")),
        speed: Some("5G".to_owned()),
        sort: SortOrder::PricePerGb,
        ..SearchFilters::default()
    };
    let japan_and_korea = TripNeeds {
        countries: ["JP", "KR"]
            .into_iter()
            .map(|code| code.parse::<CountryCode>().expect("a country code"))
            .collect::<BTreeSet<_>>(),
        days: Some(10),
        ..TripNeeds::default()
    };
    assert!(!catalog::search(&packages, &filtered, margin_percent).is_empty());
    assert!(!catalog::recommend(&packages, &japan_and_korea, margin_percent).is_empty());

    let mut group = c.benchmark_group("catalog");
    group.bench_function(BenchmarkId::new("search_no_filters", &all), |b| {
        b.iter(|| {
            catalog::search(
                black_box(&packages),
                &SearchFilters::default(),
                margin_percent,
            )
        })
    });
    group.bench_function(BenchmarkId::new("search_filtered", &all), |b| {
        b.iter(|| catalog::search(black_box(&packages), &filtered, margin_percent))
    });
    // The longest list one `/esim/search` is given: every regional bundle (`!RG`).
    let regional: Vec<Package> = packages
        .iter()
        .filter(|pkg| pkg.scope == CoverageScope::Regional && pkg.package_type == PlanType::Base)
        .cloned()
        .collect();
    let regional_id = format!("{}_regional_packages", regional.len());
    group.bench_function(BenchmarkId::new("search_no_filters", &regional_id), |b| {
        b.iter(|| {
            catalog::search(
                black_box(&regional),
                &SearchFilters::default(),
                margin_percent,
            )
        })
    });
    group.bench_function(
        BenchmarkId::new("recommend_japan_korea_10_days", &all),
        |b| b.iter(|| catalog::recommend(black_box(&packages), &japan_and_korea, margin_percent)),
    );
    group.finish();
}

/// Every package the sandbox sells, as its supplier interface lists them: what a cache
/// holding the whole catalog would hand to a search.
fn sandbox_packages() -> Vec<Package> {
    let supplier = SandboxSupplier::new(SandboxConfig::default());
    let list = |plan_type| {
        let query = PackageQuery {
            plan_type: Some(plan_type),
            ..PackageQuery::default()
        };
        futures::executor::block_on(supplier.list_packages(&query)).expect("sandbox lists")
    };
    let mut packages = list(PlanType::Base);
    packages.extend(list(PlanType::TopUp));
    packages
}

fn bench_qr(c: &mut Criterion) {
    let png = render_png(ACTIVATION_CODE).expect("the activation code renders");
    assert!(png.starts_with(b"\x89PNG"));

    c.bench_function("qr/render_png/lpa_activation_code", |b| {
        b.iter(|| render_png(black_box(ACTIVATION_CODE)))
    });
}
