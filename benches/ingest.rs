//! WhatsApp webhook ingest latency through the real HTTP stack: signature check, append to
//! the inbox, answer 200.
//!
//! Starts Bino on port 0 and posts 2,000 signed one-message deliveries (each with its own
//! message id, signed before the clock starts) from one client, then prints p50 and p99.
//! It runs over the in-memory store and, when `redis-server` is on the PATH (or
//! `BINO_BENCH_REDIS_URL` is set), over Redis; each once with the workers idle and once
//! with the WhatsApp worker draining the inbox on the same two cores.
//!
//! Run with `cargo bench --bench ingest`.

use std::sync::Arc;
use std::time::Instant;

use bino::app::App;
use bino::config::Settings;
use bino::store::{MemoryStore, SharedStore};
use bino::whatsapp::signature::SignatureVerifier;
use tokio_util::sync::CancellationToken;

mod common;

use common::{BenchRedis, print_percentiles, text_delivery};

const DELIVERIES: usize = 2_000;
const APP_SECRET: &str = "bench-app-secret";

#[tokio::main]
async fn main() {
    for workers in [false, true] {
        let memory: SharedStore = Arc::new(MemoryStore::new());
        report("memory store", memory, workers).await;
    }

    if let Some(redis) = BenchRedis::start() {
        for workers in [false, true] {
            report("redis store", redis.store().await, workers).await;
        }
    }
}

async fn report(label: &str, store: SharedStore, workers: bool) {
    let settings = Settings::from_vars(vec![(
        "WHATSAPP_APP_SECRET".to_owned(),
        APP_SECRET.to_owned(),
    )])
    .expect("bench settings");
    let app = App::build_with_store(settings, store)
        .await
        .expect("app builds");
    let shutdown = CancellationToken::new();
    let running = workers.then(|| app.spawn_workers(&shutdown));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}/whatsapp/webhook", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, bino::http::router(app)).into_future());
    let client = reqwest::Client::new();

    let deliveries: Vec<(Vec<u8>, String)> = (0..DELIVERIES + 100)
        .map(|n| {
            let body = delivery(n);
            let signature = SignatureVerifier::sign(APP_SECRET, &body);
            (body, signature)
        })
        .collect();
    let (warm_up, measured) = deliveries.split_at(100);
    for (body, signature) in warm_up {
        post(&client, &address, body, signature).await;
    }
    let mut samples = Vec::with_capacity(DELIVERIES);
    for (body, signature) in measured {
        let started = Instant::now();
        post(&client, &address, body, signature).await;
        samples.push(started.elapsed());
    }
    let workers = if workers {
        "worker draining"
    } else {
        "workers idle"
    };
    print_percentiles(
        &format!("{label}, {workers}: {DELIVERIES} signed deliveries ingested"),
        samples,
    );
    shutdown.cancel();
    if let Some(mut running) = running {
        running.abort_all();
    }
    server.abort();
}

async fn post(client: &reqwest::Client, address: &str, body: &[u8], signature: &str) {
    let response = client
        .post(address)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("delivery answered");
    assert_eq!(response.status().as_u16(), 200, "delivery refused");
}

/// A one-message delivery shaped like Meta's, with message id `n`.
fn delivery(n: usize) -> Vec<u8> {
    let from = format!("1555{:07}", n % 500);
    let id = format!("wamid.BENCH{n:012}");
    text_delivery(
        "106540352242922",
        &[(&from, &id, "eSIM for Japan and Korea, 10 days")],
    )
}
