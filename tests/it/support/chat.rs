//! A traveller on WhatsApp, for tests of the chat: signed deliveries of their messages in,
//! and a Graph API mock recording what the bot sends back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bino::store::{RedisStore, SharedStore};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::app::{TestApp, spawn_app_customised};
use super::redis::{random_prefix, redis_url};

pub const PHONE_NUMBER_ID: &str = "110200330044005";
pub const TRAVELLER: &str = "15550001234";

/// A Graph API mock: every message gets its own id, uploads get a media id.
pub async fn graph_mock() -> MockServer {
    let graph = MockServer::start().await;
    let sent = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}/messages")))
        .respond_with(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            if body["status"] == "read" {
                return ResponseTemplate::new(200).set_body_json(json!({"success": true}));
            }
            let n = sent.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": TRAVELLER, "wa_id": TRAVELLER}],
                "messages": [{"id": format!("wamid.SENT-{n}")}]
            }))
        })
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}/media")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "4490709327384033"})))
        .mount(&graph)
        .await;
    graph
}

pub async fn spawn_with_graph(graph: &MockServer) -> TestApp {
    spawn_with_graph_and(graph, &[]).await
}

/// Like [`spawn_with_graph`], with extra settings.
pub async fn spawn_with_graph_and(graph: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let store: SharedStore = Arc::new(
        RedisStore::connect(&redis_url().await, &random_prefix())
            .await
            .expect("test Redis answers"),
    );
    let base_url = format!("{}/v25.0", graph.uri());
    let mut settings = vec![
        ("WHATSAPP_TOKEN", "test-graph-token"),
        ("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
        ("GRAPH_BASE_URL", base_url.as_str()),
    ];
    settings.extend_from_slice(extra);
    spawn_app_customised(store, &settings, |_| {}).await
}

/// One delivery with one message from the traveller; `message` is the message's own
/// object (type and content), to which id, sender and timestamp are added.
pub fn delivery(id: &str, message: Value) -> Vec<u8> {
    delivery_from(TRAVELLER, id, message)
}

/// Like [`delivery`], from the traveller with phone number `from`.
pub fn delivery_from(from: &str, id: &str, mut message: Value) -> Vec<u8> {
    message["id"] = json!(id);
    message["from"] = json!(from);
    message["timestamp"] = json!(chrono::Utc::now().timestamp().to_string());
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "120000000000001", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550009999", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Test Traveller"}, "wa_id": from}],
            "messages": [message]
        }}]}]
    })
    .to_string()
    .into_bytes()
}

/// Every call the bot made to the messages endpoint, read receipts included, in order.
pub async fn message_calls(graph: &MockServer) -> Vec<Value> {
    graph
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|request| request.url.path().ends_with("/messages"))
        .filter_map(|request| serde_json::from_slice::<Value>(&request.body).ok())
        .collect()
}

/// The messages the bot sent (read receipts left out), in order.
pub async fn sent(graph: &MockServer) -> Vec<Value> {
    let mut calls = message_calls(graph).await;
    calls.retain(|body| body["status"] != "read");
    calls
}

/// Waits until a sent message satisfies `wanted`; returns it.
pub async fn wait_for_sent(
    graph: &MockServer,
    what: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(message) = sent(graph)
            .await
            .into_iter()
            .find(|message| wanted(message))
        {
            return message;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sent: {what}; sent: {:#?}",
            sent(graph).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Posts a delivery twice, as Meta may: the second must change nothing.
pub async fn deliver_twice(app: &TestApp, body: &[u8]) {
    for _ in 0..2 {
        let (status, answer) = app.post_whatsapp(body).await;
        assert_eq!(status, 200, "{answer}");
    }
}

pub fn is_text_containing(message: &Value, needle: &str) -> bool {
    message["type"] == "text"
        && message["text"]["body"]
            .as_str()
            .is_some_and(|body| body.contains(needle))
}

/// The traveller's tap on `row`, a row of a list the bot sent.
pub fn row_tap(row: &Value) -> Value {
    json!({"type": "interactive", "interactive": {"type": "list_reply",
        "list_reply": {"id": row["id"], "title": row["title"]}}})
}

/// The traveller's tap on `button`, a reply button the bot sent (`{type, reply: {id, title}}`).
pub fn button_tap(button: &Value) -> Value {
    json!({"type": "interactive", "interactive": {"type": "button_reply",
        "button_reply": {"id": button["reply"]["id"], "title": button["reply"]["title"]}}})
}

/// Whether `message` is an interactive message of `kind` (`list`, `button`) whose body
/// holds `needle`.
pub fn is_interactive_with(message: &Value, kind: &str, needle: &str) -> bool {
    message["interactive"]["type"] == kind
        && message["interactive"]["body"]["text"]
            .as_str()
            .is_some_and(|text| text.contains(needle))
}

/// A text message of the traveller's.
pub fn text_message(body: &str) -> Value {
    json!({"type": "text", "text": {"body": body}})
}
