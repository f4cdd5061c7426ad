//! Warm-cache search latency through the real HTTP stack.
//!
//! Starts Bino on port 0 with the sandbox supplier, warms the catalog cache for a set of
//! countries, then times 1,000 `POST /esim/search` calls and 1,000 `POST /esim/searchai`
//! calls (free text, local reader, no LLM) from one client and prints p50 and p99. It runs once over the in-memory store and, when `redis-server` is on the PATH (or
//! `BINO_BENCH_REDIS_URL` is set), once over Redis.
//!
//! Run with `cargo bench --bench search`.

use std::sync::Arc;
use std::time::Instant;

use bino::app::App;
use bino::config::Settings;
use bino::store::{MemoryStore, SharedStore};

mod common;

use common::{BenchRedis, print_percentiles};

const SEARCHES: usize = 1_000;
const COUNTRIES: [&str; 10] = ["JP", "US", "GB", "FR", "TH", "DE", "IT", "ES", "KR", "MX"];
const TEXTS: [&str; 8] = [
    "eSIM for Japan and Korea, 10 days",
    "vamos a Cancún 2 semanas",
    "Bali + Lombok, 5GB",
    "日本旅行",
    "road trip across Europe for a month",
    "voyage en Thaïlande et au Vietnam, 3 semaines",
    "New York and Toronto next week",
    "Urlaub auf Mallorca, 10 Tage",
];

#[tokio::main]
async fn main() {
    let stats = bino::supply::sandbox::catalog_stats();
    println!("sandbox catalog: {stats}");

    let memory: SharedStore = Arc::new(MemoryStore::new());
    report("memory store", memory).await;

    if let Some(redis) = BenchRedis::start() {
        report("redis store", redis.store().await).await;
    }
}

async fn report(label: &str, store: SharedStore) {
    // A benchmark is one client asking as fast as it can: lift the per-key rate limit.
    let settings = Settings::from_vars(
        [
            ("API_RATE_PER_SECOND", "1000000"),
            ("API_RATE_BURST", "1000000"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned())),
    )
    .expect("bench settings");
    let app = App::build_with_store(settings, store)
        .await
        .expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}/esim/search", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, bino::http::router(app)).into_future());
    let client = reqwest::Client::new();

    // Warm the cache: one search per country fills it from the supplier.
    for country in COUNTRIES {
        search(&client, &address, country).await;
    }

    let mut samples = Vec::with_capacity(SEARCHES);
    for i in 0..SEARCHES {
        let started = Instant::now();
        search(&client, &address, COUNTRIES[i % COUNTRIES.len()]).await;
        samples.push(started.elapsed());
    }
    print_percentiles(&format!("{label}: {SEARCHES} warm searches"), samples);

    let text_address = address.replace("/esim/search", "/esim/searchai");
    for text in TEXTS {
        search_text(&client, &text_address, text).await;
    }
    let mut samples = Vec::with_capacity(SEARCHES);
    for i in 0..SEARCHES {
        let started = Instant::now();
        search_text(&client, &text_address, TEXTS[i % TEXTS.len()]).await;
        samples.push(started.elapsed());
    }
    print_percentiles(
        &format!("{label}: {SEARCHES} warm free-text searches"),
        samples,
    );
    server.abort();
}

async fn search_text(client: &reqwest::Client, address: &str, text: &str) {
    let response = client
        .post(address)
        .bearer_auth("sandbox")
        .json(&serde_json::json!({"query": text}))
        .send()
        .await
        .expect("free-text search answered");
    assert!(
        response.status().is_success(),
        "{text:?} failed: {}",
        response.status()
    );
}

async fn search(client: &reqwest::Client, address: &str, country: &str) {
    let response = client
        .post(address)
        .bearer_auth("sandbox")
        .json(&serde_json::json!({"locationCode": country}))
        .send()
        .await
        .expect("search answered");
    assert!(
        response.status().is_success(),
        "search failed: {}",
        response.status()
    );
    let body = response.bytes().await.expect("body read");
    assert!(body.len() > 100, "search answered no plans for {country}");
}
