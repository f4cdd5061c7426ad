//! Hostile input: random and damaged bodies on every route that takes one, with correct
//! credentials so the parsers behind the checks are reached. Whatever arrives, the answer is
//! a clear 4xx with the error envelope (or a success), never a panic or a 5xx other than 503.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use bino::events::signature;
use bino::whatsapp::signature::SignatureVerifier;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{
    API_KEY, APP_SECRET, OTHER_API_KEY, TestApp, VERIFY_TOKEN, WEBHOOK_TOKEN, assert_error,
    spawn_app, spawn_app_with,
};
use crate::support::redis::{free_port, random_prefix, redis_url};
use crate::support::serve::{Running, bino, wait_until_healthy};

const STRIPE_WEBHOOK_SECRET: &str = "whsec_test_hostile";
const ADMIN_KEY: &str = "test-admin-key";
const BODIES: usize = 10_000;
const CONCURRENCY: usize = 32;

#[derive(Clone, Copy, Debug)]
enum Route {
    Search,
    SearchAi,
    Order,
    Callback,
    SupplierEvent,
    WhatsAppSigned,
    WhatsAppUnsigned,
    StripeSigned,
    AdminReplay,
    AdminRelease,
}

const ROUTES: [Route; 10] = [
    Route::Search,
    Route::SearchAi,
    Route::Order,
    Route::Callback,
    Route::SupplierEvent,
    Route::WhatsAppSigned,
    Route::WhatsAppUnsigned,
    Route::StripeSigned,
    Route::AdminReplay,
    Route::AdminRelease,
];

/// The real bodies each route is fed, damaged.
fn originals(route: Route) -> Vec<Vec<u8>> {
    let values = match route {
        Route::Search => vec![
            json!({"locationCode": "JP"}),
            json!({"locationCode": "JP", "type": "BASE",
                   "filters": {"minDataBytes": 3_221_225_472_u64, "minValidityDays": 15,
                               "maxPrice": "25.00", "speed": "5G", "sort": "price_per_gb"}}),
        ],
        Route::SearchAi => vec![json!({"query": "eSIM for Japan and Korea, 10 days"})],
        // A plan that does not exist, so no damaged copy ever spends the sandbox balance.
        Route::Order => vec![json!({"binoTransactionId": "hostile-1",
            "items": [{"packageCode": "HOSTILE-NO-SUCH-PLAN", "quantity": 1, "periodDays": 3}]})],
        Route::Callback => vec![json!({"url": "http://127.0.0.1:9/hooks/bino"})],
        Route::SupplierEvent => vec![
            json!({"notifyType": "CHECK_HEALTH", "content": {}}),
            json!({"notifyType": "ORDER_STATUS", "notifyId": "hostile-1",
                   "content": {"orderNo": "B23072016497499", "orderStatus": "GOT_RESOURCE"}}),
            json!({"notifyType": "DATA_USAGE", "eventGenerateTime": "2025-07-21T10:57:28Z",
                   "content": {"esimTranNo": "25052822150009", "totalVolume": 53_687_091_200_u64,
                               "orderUsage": "48335585458", "remain": 5_351_505_742_u64,
                               "remainThreshold": 0.1}}),
        ],
        Route::WhatsAppSigned | Route::WhatsAppUnsigned => {
            return [
                include_str!("../fixtures/whatsapp/text.json"),
                include_str!("../fixtures/whatsapp/interactive_list_reply.json"),
                include_str!("../fixtures/whatsapp/status_failed_with_errors.json"),
                include_str!("../fixtures/whatsapp/wrong_field_types_next_to_good.json"),
            ]
            .iter()
            .map(|body| body.as_bytes().to_vec())
            .collect();
        }
        Route::StripeSigned => vec![json!({
            "id": "evt_1Hostile", "object": "event", "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_hostile", "payment_status": "paid",
                                "client_reference_id": "no-such-reference",
                                "metadata": {"binoReference": "no-such-reference"},
                                "amount_total": 1250, "currency": "usd"}}})],
        Route::AdminReplay | Route::AdminRelease => vec![json!({})],
    };
    values
        .iter()
        .map(|value| serde_json::to_vec(value).unwrap())
        .collect()
}

/// Replaces one random node of `value` with `with`.
fn replace_node(value: &mut Value, rng: &mut StdRng, with: Value) {
    let mut node = value;
    loop {
        let children = match node {
            Value::Object(map) if !map.is_empty() => map.len(),
            Value::Array(items) if !items.is_empty() => items.len(),
            _ => break,
        };
        if rng.random_range(0..3) == 0 {
            break;
        }
        let at = rng.random_range(0..children);
        node = match node {
            Value::Object(map) => map.values_mut().nth(at).unwrap(),
            Value::Array(items) => &mut items[at],
            _ => unreachable!(),
        };
    }
    *node = with;
}

/// Puts raw JSON text in place of a random node, for what `Value` cannot hold (numbers past
/// any range, nesting past the parser's limit, escaped lone surrogates).
fn splice_text(original: &[u8], rng: &mut StdRng, text: &str) -> Vec<u8> {
    const MARK: &str = "\u{1}hostile-splice\u{1}";
    let Ok(mut value) = serde_json::from_slice::<Value>(original) else {
        return original.to_vec();
    };
    replace_node(&mut value, rng, Value::String(MARK.to_owned()));
    serde_json::to_string(&value)
        .unwrap()
        .replacen(&serde_json::to_string(MARK).unwrap(), text, 1)
        .into_bytes()
}

fn random_unicode(rng: &mut StdRng) -> String {
    let pieces = [
        "\u{0}",
        "\u{202e}",
        "\u{feff}",
        "🇯🇵",
        "é",
        "e\u{301}",
        "\u{10ffff}",
        "\\",
        "\"",
        "$",
        "日本",
        "\u{1f600}",
        "\n",
        "LPA:1$",
        "%00",
        "../",
        "\u{7f}",
    ];
    (0..rng.random_range(0..40))
        .map(|_| pieces[rng.random_range(0..pieces.len())])
        .collect()
}

/// One damaged copy of `original`.
fn mutate(original: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let huge = [
        "1e999",
        "-1e999",
        "123456789012345678901234567890",
        "-9223372036854775809",
        "18446744073709551616",
        "0.00000000000000000000000000001e-400",
        "-0",
    ];
    match rng.random_range(0..10) {
        0 => original[..rng.random_range(0..original.len() + 1)].to_vec(),
        1 => {
            let mut body = original.to_vec();
            for _ in 0..=rng.random_range(0..8) {
                let at = rng.random_range(0..body.len().max(1));
                if let Some(byte) = body.get_mut(at) {
                    *byte ^= 1 << rng.random_range(0..8);
                }
            }
            body
        }
        2 => {
            let swaps = [
                json!(null),
                json!(true),
                json!(-1),
                json!(""),
                json!([]),
                json!({}),
                json!([1, "two", null]),
                json!({"nested": {"deeper": [{}]}}),
            ];
            let Ok(mut value) = serde_json::from_slice::<Value>(original) else {
                return original.to_vec();
            };
            let swap = swaps[rng.random_range(0..swaps.len())].clone();
            replace_node(&mut value, rng, swap);
            serde_json::to_vec(&value).unwrap()
        }
        3 => {
            let number = huge[rng.random_range(0..huge.len())];
            splice_text(original, rng, number)
        }
        4 => {
            let depth = [64, 127, 129, 500, 10_000][rng.random_range(0..5)];
            let nested = if rng.random_range(0..2) == 0 {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            } else {
                format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
            };
            splice_text(original, rng, &nested)
        }
        5 => {
            let text = random_unicode(rng);
            let Ok(mut value) = serde_json::from_slice::<Value>(original) else {
                return original.to_vec();
            };
            replace_node(&mut value, rng, Value::String(text));
            serde_json::to_vec(&value).unwrap()
        }
        6 => splice_text(original, rng, r#""\ud800 lone surrogate""#),
        7 => {
            let invalid: [&[u8]; 4] = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"];
            let mut body = original.to_vec();
            let at = rng.random_range(0..body.len() + 1);
            body.splice(
                at..at,
                invalid[rng.random_range(0..invalid.len())].iter().copied(),
            );
            body
        }
        8 => (0..rng.random_range(0..512))
            .map(|_| rng.random::<u8>())
            .collect(),
        _ => original.to_vec(),
    }
}

fn request(
    app_url: &str,
    client: &reqwest::Client,
    route: Route,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let post = |path: &str| {
        client
            .post(format!("{app_url}{path}"))
            .header("content-type", "application/json")
    };
    match route {
        Route::Search => post("/esim/search").bearer_auth(API_KEY).body(body),
        Route::SearchAi => post("/esim/searchai").bearer_auth(API_KEY).body(body),
        Route::Order => post("/esim/order").bearer_auth(API_KEY).body(body),
        Route::Callback => client
            .put(format!("{app_url}/esim/callback"))
            .header("content-type", "application/json")
            .bearer_auth(API_KEY)
            .body(body),
        Route::SupplierEvent => post(&format!("/esim/webhook?token={WEBHOOK_TOKEN}")).body(body),
        Route::WhatsAppSigned => {
            let signature = SignatureVerifier::sign(APP_SECRET, &body);
            post("/whatsapp/webhook")
                .header("x-hub-signature-256", signature)
                .body(body)
        }
        Route::WhatsAppUnsigned => post("/whatsapp/webhook").body(body),
        Route::StripeSigned => {
            let signature = signature::sign(
                STRIPE_WEBHOOK_SECRET.as_bytes(),
                chrono::Utc::now().timestamp(),
                &body,
            );
            post("/payments/stripe/webhook")
                .header("stripe-signature", signature)
                .body(body)
        }
        Route::AdminReplay => post("/admin/deliveries/dlv_no_such_delivery/replay")
            .bearer_auth(ADMIN_KEY)
            .body(body),
        Route::AdminRelease => post("/admin/conversations/15550001234/release")
            .bearer_auth(ADMIN_KEY)
            .body(body),
    }
}

/// What went wrong with one answer, if anything.
fn fault(status: u16, body: &[u8]) -> Option<String> {
    if status >= 500 && status != 503 {
        return Some(format!("answered {status}"));
    }
    if (400..600).contains(&status) {
        let envelope: Option<Value> = serde_json::from_slice(body).ok();
        let readable = envelope.as_ref().is_some_and(|value| {
            value["error"]["code"]
                .as_str()
                .is_some_and(|code| !code.is_empty())
                && value["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
        });
        if !readable {
            return Some(format!("answered {status} without the error envelope"));
        }
    }
    None
}

/// Settings (without the `BINO_` prefix) that open every route the bodies go to, on top
/// of the test app's own.
const HOSTILE_SETTINGS: [(&str, &str); 8] = [
    ("PAYMENTS", "stripe"),
    ("STRIPE_SECRET_KEY", "sk_test_hostile"),
    ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
    // Nothing here opens a checkout; a closed local port keeps it off the network.
    ("STRIPE_BASE_URL", "http://127.0.0.1:9"),
    ("PUBLIC_URL", "https://bino.example"),
    ("ADMIN_KEY", ADMIN_KEY),
    // The point is to reach the parsers, not the rate limit.
    ("API_RATE_PER_SECOND", "100000"),
    ("API_RATE_BURST", "1000000"),
];

async fn spawn_hostile_app() -> TestApp {
    spawn_app_with(&HOSTILE_SETTINGS).await
}

/// The test's bodies, dealt into one list per sender. Seeded, so every run posts the same.
fn hostile_work() -> Vec<Vec<(Route, Vec<u8>)>> {
    let mut rng = StdRng::seed_from_u64(0x5EED_B1A0_2026_0001);
    let originals: Vec<Vec<Vec<u8>>> = ROUTES.iter().map(|route| originals(*route)).collect();
    let mut work: Vec<Vec<(Route, Vec<u8>)>> = vec![Vec::new(); CONCURRENCY];
    for n in 0..BODIES {
        let which = rng.random_range(0..ROUTES.len());
        let bases = &originals[which];
        let body = mutate(&bases[rng.random_range(0..bases.len())], &mut rng);
        work[n % CONCURRENCY].push((ROUTES[which], body));
    }
    work
}

/// What the server answered to a round of bodies.
#[derive(Default)]
struct Round {
    statuses: BTreeMap<u16, usize>,
    faults: Vec<(Route, String)>,
    /// Bodies sent a second time because a pooled connection had been closed.
    resent: usize,
}

impl Round {
    fn assert_clear(&self) {
        assert!(
            self.faults.is_empty(),
            "{} faults, first: {:?}",
            self.faults.len(),
            &self.faults[..self.faults.len().min(10)]
        );
        assert_eq!(self.statuses.values().sum::<usize>(), BODIES);
    }
}

/// Posts every body of [`hostile_work`] to the server at `address`, one sender per list.
async fn post_all(address: &str, client: &reqwest::Client) -> Round {
    let address = Arc::new(address.to_owned());
    let mut tasks = tokio::task::JoinSet::new();
    for share in hostile_work() {
        let (client, address) = (client.clone(), Arc::clone(&address));
        tasks.spawn(async move {
            let mut seen: Vec<(u16, Option<(Route, String)>)> = Vec::new();
            let mut resent = 0_usize;
            for (route, body) in share {
                // A pooled connection the server has just closed (after an answer that left a
                // body unread) fails on write; any client sends again on a fresh one.
                let response = match request(&address, &client, route, body.clone()).send().await {
                    Ok(response) => response,
                    Err(_) => {
                        resent += 1;
                        request(&address, &client, route, body)
                            .send()
                            .await
                            .expect("the server answers")
                    }
                };
                let status = response.status().as_u16();
                let text = response.bytes().await.expect("the body is read");
                seen.push((status, fault(status, &text).map(|why| (route, why))));
            }
            (seen, resent)
        });
    }
    let mut round = Round::default();
    while let Some(share) = tasks.join_next().await {
        let (seen, resent) = share.expect("no sender panicked");
        round.resent += resent;
        for (status, fault) in seen {
            *round.statuses.entry(status).or_default() += 1;
            round.faults.extend(fault);
        }
    }
    round
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_random_and_damaged_bodies_get_clear_answers_and_the_server_keeps_serving() {
    let app = spawn_hostile_app().await;

    let started = Instant::now();
    let round = post_all(&app.address, &app.client).await;
    println!(
        "posted {BODIES} bodies in {:?} ({} sent again); statuses: {:?}",
        started.elapsed(),
        round.resent,
        round.statuses
    );

    round.assert_clear();
    let (status, body) = app.search(json!({"locationCode": "JP"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["plans"]
            .as_array()
            .is_some_and(|plans| !plans.is_empty()),
        "{body}"
    );
}

/// The same bodies three times over to a real `bino serve`: its resident memory levels off
/// after the first round instead of growing with every body, so hostile traffic cannot
/// exhaust it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_server_keeps_its_memory_bounded_under_hostile_bodies() {
    let port = free_port();
    let redis = redis_url().await;
    let prefix = random_prefix();
    let listen = format!("127.0.0.1:{port}");
    let api_keys = format!("{API_KEY},{OTHER_API_KEY}");
    let mut settings: Vec<(String, String)> = [
        ("LISTEN", listen.as_str()),
        ("REDIS_URL", &redis),
        ("REDIS_PREFIX", &prefix),
        ("API_KEYS", &api_keys),
        ("SUPPLIER_WEBHOOK_TOKEN", WEBHOOK_TOKEN),
        ("WHATSAPP_APP_SECRET", APP_SECRET),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
    ]
    .iter()
    .chain(&HOSTILE_SETTINGS)
    .map(|(name, value)| (format!("BINO_{name}"), (*value).to_owned()))
    .collect();
    settings.push(("RUST_LOG".to_owned(), "error".to_owned()));
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut child = Running(
        bino(&["serve"], &settings)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bino starts"),
    );
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &base).await;
    let pid = child.0.id();

    let idle = resident_kib(pid);
    let mut after_rounds = Vec::new();
    for _ in 0..3 {
        let round = post_all(&base, &client).await;
        round.assert_clear();
        after_rounds.push(resident_kib(pid));
    }
    println!(
        "resident memory of bino serve: {idle} KiB idle, {after_rounds:?} KiB after each \
         round of {BODIES} hostile bodies"
    );

    let growth_after_first = after_rounds[2].saturating_sub(after_rounds[0]);
    assert!(
        growth_after_first < 8 * 1024,
        "rounds two and three added {growth_after_first} KiB: {after_rounds:?}"
    );
    child.kill();
}

/// The resident set of process `pid`, from `/proc`.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_the_error_envelope() {
    let app = spawn_app().await;
    let padding = " ".repeat(1024 * 1024 + 1);
    let json_body = format!(r#"{{"locationCode": "JP"}}{padding}"#);
    let webhook_body = format!("{{}}{}", " ".repeat(3 * 1024 * 1024 + 1));

    let search = app.post_raw("/esim/search", json_body.clone()).await;
    let supplier = app.post_supplier_event(WEBHOOK_TOKEN, &json_body).await;
    let signature = SignatureVerifier::sign(APP_SECRET, webhook_body.as_bytes());
    let whatsapp = app
        .post_whatsapp_signed(webhook_body.as_bytes(), Some(&signature))
        .await;

    assert_error(&search, 413, "body_too_large");
    assert_error(&supplier, 413, "body_too_large");
    assert_error(&whatsapp, 413, "body_too_large");
}

#[tokio::test]
async fn a_deeply_nested_body_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));

    let search = app.post_raw("/esim/search", nested.clone()).await;
    let order = app.post_raw("/esim/order", nested.clone()).await;
    let whatsapp = app.post_whatsapp(nested.as_bytes()).await;
    let supplier = app.post_supplier_event(WEBHOOK_TOKEN, &nested).await;

    // A typed body stops at the first bracket that is not what the schema wants; a webhook
    // body is read as JSON whatever its shape, so it meets the parser's nesting limit.
    assert_error(&search, 422, "invalid_request");
    assert_error(&order, 422, "invalid_request");
    assert_error(&whatsapp, 400, "malformed_json");
    assert_error(&supplier, 400, "invalid_event");
}

#[tokio::test]
async fn a_body_that_is_not_utf_8_is_refused_with_400() {
    let app = spawn_app().await;
    let body = b"{\"locationCode\": \"J\xffP\"}".to_vec();

    let search = app.post_raw("/esim/search", body.clone()).await;
    let whatsapp = app.post_whatsapp(&body).await;

    assert_error(&search, 400, "malformed_json");
    assert_error(&whatsapp, 400, "malformed_json");
}

#[tokio::test]
async fn a_supply_api_body_without_a_json_content_type_is_refused_with_415() {
    let app = spawn_app().await;

    for (method, path) in [
        (Method::POST, "/esim/search"),
        (Method::POST, "/esim/searchai"),
        (Method::POST, "/esim/order"),
        (Method::PUT, "/esim/callback"),
    ] {
        let response = app
            .send_raw(method, path, "text/plain", r#"{"locationCode": "JP"}"#)
            .await;

        assert_error(&response, 415, "unsupported_media_type");
    }
}
