//! Conversation latency.
//!
//! 1. `bot::step`, the pure conversation function, over the inputs of a purchase (a
//!    greeting, a destination, search results shown as a list, a plan picked, Buy, a
//!    command): 20,000 calls of each, p50 and p99.
//! 2. A whole turn through the real stack: a signed WhatsApp webhook posted to `bino` on
//!    port 0 until the reply reaches a Graph API mock (wiremock), with the sandbox
//!    supplier and no LLM. 300 travellers say "hi" (the greeting) and then "Japan, 10
//!    days" (search and plan list), one at a time. Over memory and, when `redis-server` is
//!    on the PATH, over Redis.
//!
//! Run with `cargo bench --bench conversation`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bino::app::App;
use bino::bot::step::{Context, Offer, SearchOutcome, Trip};
use bino::bot::texts::Texts;
use bino::bot::{Conversation, Input, step};
use bino::config::Settings;
use bino::store::{MemoryStore, SharedStore};
use bino::whatsapp::signature::SignatureVerifier;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

mod common;

use common::{BenchRedis, print_percentiles, text_delivery};

const STEPS: usize = 20_000;
const TRAVELLERS: usize = 300;
const APP_SECRET: &str = "bench-app-secret";
const PHONE_NUMBER_ID: &str = "110200330044005";

#[tokio::main]
async fn main() {
    bench_step();

    let memory: SharedStore = Arc::new(MemoryStore::new());
    bench_turns("memory store", memory).await;
    if let Some(redis) = BenchRedis::start() {
        bench_turns("redis store", redis.store().await).await;
    }
}

fn offers() -> Vec<Offer> {
    (0..10)
        .map(|n| Offer {
            package_code: format!("JP-{n}"),
            name: format!("Japan {}GB 30Days", n + 1),
            data: format!("{} GB", n + 1),
            days: 30,
            period_days: None,
            price: format!("{}.50", 5 + n),
            covers: vec!["Japan".to_owned()],
            whole_trip: true,
            starts_on_first_use: true,
        })
        .collect()
}

fn bench_step() {
    let context = Context {
        now: 1_764_000_000,
        idle_restart_secs: 1800,
        customer_token: "abc123def0",
        texts: Texts::global(),
    };
    let found = Input::SearchDone(SearchOutcome::Found {
        trip: Trip {
            label: "Japan".to_owned(),
            query: "Japan, 10 days".to_owned(),
            days: Some(10),
            places: 1,
        },
        offers: offers(),
    });
    // Each case: the conversation before, and the input.
    let fresh = Conversation::default();
    let (asked, _) = step(
        fresh.clone(),
        &Input::Text {
            body: "hi".to_owned(),
        },
        &context,
    );
    let (choosing, _) = step(asked.clone(), &found, &context);
    let plan = Input::Choice {
        id: format!("plan:{}:3", choosing.menu),
    };
    let (confirming, _) = step(choosing.clone(), &plan, &context);
    let buy = Input::Choice {
        id: format!("buy:{}", confirming.menu),
    };
    let cases: Vec<(&str, Conversation, Input)> = vec![
        (
            "greeting",
            fresh,
            Input::Text {
                body: "hi".to_owned(),
            },
        ),
        (
            "destination",
            asked.clone(),
            Input::Text {
                body: "Japan, 10 days".to_owned(),
            },
        ),
        ("plan list", asked, found),
        ("plan picked", choosing.clone(), plan),
        ("buy", confirming, buy),
        (
            "help",
            choosing,
            Input::Text {
                body: "help".to_owned(),
            },
        ),
    ];

    let mut all = Vec::with_capacity(STEPS * cases.len());
    for (label, conversation, input) in &cases {
        let mut samples = Vec::with_capacity(STEPS);
        for _ in 0..STEPS {
            let conversation = conversation.clone();
            let started = Instant::now();
            let outcome = step(conversation, input, &context);
            samples.push(started.elapsed());
            std::hint::black_box(outcome);
        }
        all.extend_from_slice(&samples);
        print_step(&format!("bot::step, {label}"), samples);
    }
    print_step("bot::step, all inputs", all);
}

fn print_step(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let count = samples.len();
    println!(
        "{label}: p50 {:?}, p99 {:?}, max {:?} over {count} calls",
        samples[count / 2],
        samples[count * 99 / 100],
        samples[count - 1]
    );
}

async fn bench_turns(label: &str, store: SharedStore) {
    // The Graph mock tells when each reply arrives, and to whom.
    let graph = MockServer::start().await;
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(String, Instant)>();
    Mock::given(method("POST"))
        .respond_with(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            if body["status"] != "read"
                && let Some(to) = body["to"].as_str()
            {
                let _ = arrivals.send((to.to_owned(), Instant::now()));
            }
            ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "messages": [{"id": "wamid.BENCH"}],
                "success": true
            }))
        })
        .mount(&graph)
        .await;

    let base_url = format!("{}/v25.0", graph.uri());
    let settings = Settings::from_vars(
        [
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_TOKEN", "bench-token"),
            ("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
            ("GRAPH_BASE_URL", base_url.as_str()),
            ("SEARCHES_PER_MINUTE", "1000"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned())),
    )
    .expect("bench settings");
    let app = App::build_with_store(settings, store)
        .await
        .expect("app builds");
    let shutdown = CancellationToken::new();
    let mut workers = app.spawn_workers(&shutdown);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}/whatsapp/webhook", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, bino::http::router(app)).into_future());
    let client = reqwest::Client::new();

    for (turn, text) in [
        ("greeting", "hi"),
        ("search and plan list", "Japan, 10 days"),
    ] {
        let mut samples = Vec::with_capacity(TRAVELLERS);
        for traveller in 0..TRAVELLERS + 20 {
            let from = format!("1555{traveller:07}");
            let id = format!("wamid.{turn}-{traveller}");
            let body = text_delivery(PHONE_NUMBER_ID, &[(&from, &id, text)]);
            let signature = SignatureVerifier::sign(APP_SECRET, &body);
            let started = Instant::now();
            let response = client
                .post(&address)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", &signature)
                .body(body)
                .send()
                .await
                .expect("delivery answered");
            assert_eq!(response.status().as_u16(), 200);
            let reached = loop {
                let (to, at) = tokio::time::timeout(Duration::from_secs(10), arrived.recv())
                    .await
                    .expect("a reply within 10 s")
                    .expect("the mock is up");
                if to == from {
                    break at;
                }
            };
            // The first twenty warm the caches and connections.
            if traveller >= 20 {
                samples.push(reached.duration_since(started));
            }
        }
        print_percentiles(
            &format!("{label}: webhook in to reply out, {turn}, {TRAVELLERS} travellers"),
            samples,
        );
    }
    shutdown.cancel();
    workers.abort_all();
    server.abort();
}
