//! Who may call what, how often, and what never reaches the logs.

use std::io::Read;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::MockServer;

use crate::support::app::{
    API_KEY, APP_SECRET, OTHER_API_KEY, TestApp, assert_error, spawn_app_with,
};
use crate::support::chat::{
    PHONE_NUMBER_ID, TRAVELLER, button_tap, delivery, graph_mock, is_text_containing, row_tap,
    sent, text_message, wait_for_sent,
};
use crate::support::redis::free_port;
use crate::support::serve::{
    Running, bino, order_a_japanese_esim, post_signed, wait_until_healthy,
};

const ADMIN_KEY: &str = "test-admin-key";

/// A slow machine may earn a key a fresh request between two calls, so a test asks a few
/// more times before it expects the limit to show.
const UNTIL_LIMITED: usize = 5;

/// Every route of the supply API, with a body where the route takes one.
fn supply_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/esim/search",
            Some(json!({"locationCode": "JP"})),
        ),
        (
            Method::POST,
            "/esim/searchai",
            Some(json!({"query": "Japan, 10 days"})),
        ),
        (
            Method::POST,
            "/esim/order",
            Some(
                json!({"binoTransactionId": "sec-1", "items": [{"packageCode": "X", "quantity": 1}]}),
            ),
        ),
        (Method::GET, "/esim/orders/sec-1", None),
        (Method::GET, "/esim/events", None),
        (
            Method::PUT,
            "/esim/callback",
            Some(json!({"url": "https://example.com/hook"})),
        ),
        (Method::GET, "/esim/callback", None),
        (Method::DELETE, "/esim/callback", None),
    ]
}

/// Every admin route.
fn admin_routes() -> Vec<(Method, &'static str)> {
    vec![
        (Method::GET, "/admin/deliveries?status=failed"),
        (Method::POST, "/admin/deliveries/dlv_x/replay"),
        (Method::GET, "/admin/refunds"),
        (Method::POST, "/admin/conversations/15550001234/release"),
    ]
}

#[tokio::test]
async fn every_supply_route_refuses_a_missing_or_wrong_api_key() {
    let app = spawn_app_with(&[]).await;

    for (method, path, body) in supply_routes() {
        for key in [None, Some("not-a-key"), Some(ADMIN_KEY)] {
            let answer = app.send(method.clone(), path, key, body.as_ref()).await;

            assert_eq!(answer.0, 401, "{method} {path} with {key:?}: {}", answer.1);
            assert_error(&answer, 401, "unauthorized");
        }
    }
}

/// Asserts that every admin route answers `status` with `code` to each of `keys`.
async fn assert_admin_routes_refuse(
    app: &TestApp,
    keys: [Option<&str>; 3],
    status: u16,
    code: &str,
) {
    for (method, path) in admin_routes() {
        for key in keys {
            let answer = app.send(method.clone(), path, key, None).await;

            assert_eq!(
                answer.0, status,
                "{method} {path} with {key:?}: {}",
                answer.1
            );
            assert_error(&answer, status, code);
        }
    }
}

#[tokio::test]
async fn every_admin_route_refuses_a_missing_or_wrong_admin_key() {
    let app = spawn_app_with(&[("ADMIN_KEY", ADMIN_KEY)]).await;

    assert_admin_routes_refuse(
        &app,
        [None, Some("not-the-admin-key"), Some(API_KEY)],
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn every_admin_route_is_forbidden_while_no_admin_key_is_configured() {
    let app = spawn_app_with(&[]).await;

    assert_admin_routes_refuse(
        &app,
        [None, Some("anything"), Some(API_KEY)],
        403,
        "admin_disabled",
    )
    .await;
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after_and_other_keys_are_untouched() {
    let app = spawn_app_with(&[("API_RATE_PER_SECOND", "1"), ("API_RATE_BURST", "3")]).await;
    let search = |key: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/esim/search"))
                .bearer_auth(key)
                .json(&json!({"locationCode": "JP"}))
                .send()
                .await
                .expect("request sent")
        }
    };

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(search(API_KEY).await.status().as_u16());
    }
    let mut limited = search(API_KEY).await;
    for _ in 0..UNTIL_LIMITED {
        if limited.status() == 429 {
            break;
        }
        limited = search(API_KEY).await;
    }
    let other = search(OTHER_API_KEY).await;

    assert_eq!(statuses, [200, 200, 200]);
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn an_invalid_key_is_refused_with_401_even_while_a_valid_key_is_limited() {
    let app = spawn_app_with(&[("API_RATE_PER_SECOND", "1"), ("API_RATE_BURST", "1")]).await;

    let first = app.search(json!({"locationCode": "JP"})).await;
    let mut second = app.search(json!({"locationCode": "JP"})).await;
    for _ in 0..UNTIL_LIMITED {
        if second.0 == 429 {
            break;
        }
        second = app.search(json!({"locationCode": "JP"})).await;
    }
    let anonymous = app
        .send(
            Method::POST,
            "/esim/search",
            Some("not-a-key"),
            Some(&json!({"locationCode": "JP"})),
        )
        .await;

    assert_eq!(first.0, 200, "{}", first.1);
    assert_error(&second, 429, "rate_limited");
    assert_error(&anonymous, 401, "unauthorized");
}

/// The output of a child process, collected as it is written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn collect(&self, mut stream: impl Read + Send + 'static) {
        let buffer = Arc::clone(&self.0);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(read) = stream.read(&mut chunk) {
                if read == 0 {
                    break;
                }
                buffer.lock().unwrap().extend_from_slice(&chunk[..read]);
            }
        });
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

const LOG_GRAPH_TOKEN: &str = "log-test-graph-token-93ab";
const LOG_API_KEY: &str = "log-test-api-key-7d2f";
const LOG_ADMIN_KEY: &str = "log-test-admin-key-41e0";
const DESTINATION_TEXT: &str = "eSIM for Japan, 10 days";

/// `bino serve` as a subprocess, logging everything it can as JSON into `captured`.
fn serve_logging_everything(listen: &str, graph: &MockServer, captured: &Captured) -> Running {
    let graph_base_url = format!("{}/v25.0", graph.uri());
    let mut child = bino(
        &["serve"],
        &[
            ("RUST_LOG", "trace"),
            ("BINO_LOG_FORMAT", "json"),
            ("BINO_LISTEN", listen),
            ("BINO_SUPPLIER", "sandbox"),
            ("BINO_API_KEYS", LOG_API_KEY),
            ("BINO_ADMIN_KEY", LOG_ADMIN_KEY),
            ("BINO_WHATSAPP_APP_SECRET", APP_SECRET),
            ("BINO_WHATSAPP_TOKEN", LOG_GRAPH_TOKEN),
            ("BINO_WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
            ("BINO_GRAPH_BASE_URL", graph_base_url.as_str()),
            ("BINO_SANDBOX_ALLOCATION_DELAY_MS", "300"),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("bino starts");
    captured.collect(child.stdout.take().expect("stdout piped"));
    captured.collect(child.stderr.take().expect("stderr piped"));
    Running(child)
}

/// Posts a chat message as Meta would and expects it taken.
async fn post_message(client: &reqwest::Client, base: &str, id: &str, message: Value) {
    assert_eq!(
        post_signed(client, base, delivery(id, message)).await,
        Some(200)
    );
}

/// The ICCIDs (19 or 20 digits starting 89) in a text.
fn iccids_in(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|digits| digits.starts_with("89") && (19..=20).contains(&digits.len()))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_most_verbose_logs_of_a_chat_purchase_and_an_api_order_hold_no_secrets_or_personal_data()
 {
    let graph = graph_mock().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let captured = Captured::default();
    let running = serve_logging_everything(&listen, &graph, &captured);
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &base).await;

    // A whole chat purchase: hi, the destination, the first plan, Buy.
    post_message(&client, &base, "wamid.LOG-1", text_message("hi")).await;
    wait_for_sent(&graph, "the greeting", |m| is_text_containing(m, "Bino")).await;
    post_message(
        &client,
        &base,
        "wamid.LOG-2",
        text_message(DESTINATION_TEXT),
    )
    .await;
    let list = wait_for_sent(&graph, "the plan list", |m| {
        m["interactive"]["type"] == "list"
    })
    .await;
    let row = list["interactive"]["action"]["sections"][0]["rows"][0].clone();
    post_message(&client, &base, "wamid.LOG-3", row_tap(&row)).await;
    let summary = wait_for_sent(&graph, "the plan summary", |m| {
        m["interactive"]["type"] == "button"
    })
    .await;
    let buy = summary["interactive"]["action"]["buttons"][0].clone();
    post_message(&client, &base, "wamid.LOG-4", button_tap(&buy)).await;
    wait_for_sent(&graph, "the QR code", |m| m["type"] == "image").await;
    let activation = wait_for_sent(&graph, "the activation string", |m| {
        is_text_containing(m, "LPA:1$")
    })
    .await;

    // A supply API order, followed until its profile is there.
    let order = order_a_japanese_esim(&client, &base, LOG_API_KEY, "log-order-1").await;
    let admin = client
        .get(format!("{base}/admin/refunds"))
        .bearer_auth(LOG_ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);

    // Let the workers log what follows the deliveries, then stop the server.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(running);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = captured.text();

    let profile = &order["profiles"][0];
    let chat_activation = activation["text"]["body"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|word| word.starts_with("LPA:1$"))
        .expect("an activation string")
        .to_owned();
    let mut delivered: Vec<String> = vec![
        profile["iccid"].as_str().expect("an ICCID").to_owned(),
        profile["activationCode"]
            .as_str()
            .expect("an activation string")
            .to_owned(),
        chat_activation,
    ];
    for message in sent(&graph).await {
        delivered.extend(iccids_in(&message.to_string()));
    }
    let forbidden: Vec<&str> = [
        TRAVELLER,
        "Test Traveller",
        DESTINATION_TEXT,
        LOG_GRAPH_TOKEN,
        APP_SECRET,
        LOG_API_KEY,
        LOG_ADMIN_KEY,
    ]
    .into_iter()
    .chain(delivered.iter().map(String::as_str))
    .collect();

    // The scan means something only if the verbose levels were on and the run was logged.
    let lines = logs.lines().count();
    let verbose = logs
        .lines()
        .filter(|line| line.contains(r#""level":"TRACE""#) || line.contains(r#""level":"DEBUG""#))
        .count();
    assert!(
        lines > 20 && verbose > 0,
        "too few log lines to judge: {logs}"
    );
    let leaks: Vec<String> = logs
        .lines()
        .flat_map(|line| {
            forbidden
                .iter()
                .filter(move |secret| line.contains(**secret))
                .map(move |secret| format!("{secret:?} in: {line}"))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    eprintln!(
        "scanned {lines} log lines ({verbose} at DEBUG or TRACE) for {} values",
        forbidden.len()
    );
}
