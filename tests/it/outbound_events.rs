//! Outbound events: business callbacks, the per-key event log, the support desk webhook and
//! the admin routes for failed deliveries, against the sandbox supplier, real Redis and
//! wiremock receivers.

use std::sync::Arc;
use std::time::Duration;

use bino::bot;
use bino::events::delivery::{DeliveryStatus, Subscriber, delivery_id};
use bino::events::signature;
use bino::orders::{OrderChange, OrderItemRequest, OrderObserver, OrderRequest};
use bino::store::{RedisStore, SharedStore};
use bino::telemetry::hash_id;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::app::{
    API_KEY, OTHER_API_KEY, TestApp, assert_error, spawn_app_customised, spawn_app_with,
};
use crate::support::redis::{random_prefix, redis_url};

const ADMIN_KEY: &str = "test-admin-key";
const DESK_SECRET: &str = "test-desk-secret";

/// A receiver that answers `status` to every delivery.
async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// Every request `server` received, in order.
async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn body_of(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("a delivery is JSON")
}

fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("the delivery has no {name} header"))
}

/// Waits until `server` has received at least `count` deliveries; returns them all.
async fn wait_for_deliveries(server: &MockServer, count: usize) -> Vec<Request> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let requests = received(server).await;
        if requests.len() >= count {
            return requests;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} deliveries received, {count} expected",
            requests.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks a delivery's signature the way a receiver would, with `secret`.
fn assert_signed(request: &Request, secret: &str) {
    let now = chrono::Utc::now().timestamp();
    let verified = signature::verify(
        secret.as_bytes(),
        header(request, "bino-signature"),
        &request.body,
        now,
        300,
    );
    assert_eq!(verified, Ok(()), "signature of {}", body_of(request));
    assert_eq!(header(request, "bino-event-id"), body_of(request)["id"]);
}

fn types_of(requests: &[Request]) -> Vec<String> {
    let mut types: Vec<String> = requests
        .iter()
        .map(|request| body_of(request)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

/// The package code of the cheapest Japanese plan with one volume for its whole validity.
async fn japan_plan(app: &TestApp) -> String {
    let (_, body) = app.search(json!({"locationCode": "JP"})).await;
    body["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plan| plan["data_allowance"] == "total")
        .expect("a Japanese plan")["packageCode"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Places order `id` with `key` and waits for its eSIM.
async fn order_and_wait(app: &TestApp, key: &str, id: &str, package_code: &str) {
    let (status, order) = app
        .order_as(
            key,
            &json!({"binoTransactionId": id, "items": [{"packageCode": package_code, "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, 200, "{order}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, order) = app.get_json(&format!("/esim/orders/{id}"), key).await;
        if order["status"] == "ALLOCATED" {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{order}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the log of `key` holds `count` events; returns them.
async fn wait_for_log(app: &TestApp, key: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, page) = app.events(key, "?limit=100").await;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap().clone();
        if events.len() >= count {
            return events;
        }
        assert!(tokio::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn redis_store() -> SharedStore {
    Arc::new(
        RedisStore::connect(&redis_url().await, &random_prefix())
            .await
            .expect("test Redis answers"),
    )
}

#[tokio::test]
async fn a_registered_callback_receives_the_order_and_its_esim_once_each_signed() {
    let app = spawn_app_with(&[]).await;
    let callback = receiver(200).await;
    let url = format!("{}/hooks/bino?token=receiver-token", callback.uri());
    let package_code = japan_plan(&app).await;

    let (status, registered) = app.register_callback(API_KEY, &url).await;
    order_and_wait(&app, API_KEY, "cb-order-1", &package_code).await;
    wait_for_deliveries(&callback, 2).await;
    // Late duplicates would arrive within a few polls of the worker.
    tokio::time::sleep(Duration::from_millis(800)).await;

    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered["url"], url);
    let secret = registered["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let deliveries = received(&callback).await;
    assert_eq!(types_of(&deliveries), ["esim.ready", "order.submitted"]);
    for delivery in &deliveries {
        assert_signed(delivery, secret);
        assert_eq!(delivery.url.path(), "/hooks/bino");
        assert_eq!(body_of(delivery)["binoTransactionId"], "cb-order-1");
    }
    let ready = deliveries
        .iter()
        .map(body_of)
        .find(|body| body["type"] == "esim.ready")
        .unwrap();
    assert!(
        ready["payload"]["iccid"]
            .as_str()
            .unwrap()
            .starts_with("89")
    );
    assert!(
        ready["payload"]["activationCode"]
            .as_str()
            .unwrap()
            .starts_with("LPA:1$")
    );
    assert!(
        ready["payload"]["qrCodeUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(ready["id"].as_str().unwrap().starts_with("evt_"));
    assert!(chrono::DateTime::parse_from_rfc3339(ready["createdAt"].as_str().unwrap()).is_ok());
    assert!(ready.get("context").is_none(), "{ready}");
}

#[tokio::test]
async fn an_event_announced_again_is_not_delivered_again() {
    let app = spawn_app_with(&[]).await;
    let callback = receiver(200).await;
    app.register_callback(API_KEY, &callback.uri()).await;
    let package_code = japan_plan(&app).await;
    order_and_wait(&app, API_KEY, "twice-order-1", &package_code).await;
    let first = wait_for_deliveries(&callback, 2).await;
    let owner = hash_id(API_KEY);
    let record = app.app.orders.get(&owner, "twice-order-1").await.unwrap();

    // Once as the order service would repeat it, once more with the event's own
    // deduplication forgotten: only the delivery's record stands in the way.
    app.app
        .events
        .order_changed(&record, &OrderChange::Allocated)
        .await
        .unwrap();
    for request in &first {
        let seen = bino::events::published_mark(header(request, "bino-event-id"));
        app.app.store.delete(&seen).await.unwrap();
    }
    app.app
        .events
        .order_changed(&record, &OrderChange::Allocated)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    assert_eq!(
        types_of(&received(&callback).await),
        ["esim.ready", "order.submitted"]
    );
}

#[tokio::test]
async fn the_callback_secret_stays_with_the_key_and_the_callback_can_be_read_and_removed() {
    let app = spawn_app_with(&[]).await;

    let (_, first) = app
        .register_callback(API_KEY, "https://example.com/a")
        .await;
    let (_, second) = app
        .register_callback(API_KEY, "https://example.com/b?x=1")
        .await;
    let (_, other) = app
        .register_callback(OTHER_API_KEY, "https://example.com/a")
        .await;
    let shown = app.get_json("/esim/callback", API_KEY).await;
    let removed = app
        .send(
            reqwest::Method::DELETE,
            "/esim/callback",
            Some(API_KEY),
            None,
        )
        .await;
    let gone = app.get_json("/esim/callback", API_KEY).await;
    let removed_again = app
        .send(
            reqwest::Method::DELETE,
            "/esim/callback",
            Some(API_KEY),
            None,
        )
        .await;

    assert_eq!(first["secret"], second["secret"]);
    assert_ne!(first["secret"], other["secret"]);
    assert_eq!(shown.0, 200);
    assert_eq!(shown.1["url"], "https://example.com/b?x=1");
    assert_eq!(shown.1["secret"], first["secret"]);
    assert_eq!(removed.0, 204);
    assert_error(&gone, 404, "not_found");
    assert_error(&removed_again, 404, "not_found");
}

#[tokio::test]
async fn a_callback_url_that_is_not_absolute_http_gets_422_and_no_key_gets_401() {
    let app = spawn_app_with(&[]).await;

    for url in [
        "",
        "not a url",
        "/relative",
        "ftp://example.com/x",
        "https://user:pw@example.com/",
        &format!("https://example.com/{}", "a".repeat(2_100)),
    ] {
        let response = app.register_callback(API_KEY, url).await;
        assert_error(&response, 422, "invalid_request");
    }
    let anonymous = app
        .send(
            reqwest::Method::PUT,
            "/esim/callback",
            None,
            Some(&json!({"url": "https://example.com"})),
        )
        .await;
    assert_error(&anonymous, 401, "unauthorized");
}

#[tokio::test]
async fn a_callback_that_fails_at_first_still_gets_each_event_exactly_once() {
    let app = spawn_app_with(&[("EVENT_RETRY_BASE_MS", "50")]).await;
    let callback = MockServer::start().await;
    let failures = 3;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(&callback)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&callback)
        .await;
    let (_, registered) = app.register_callback(API_KEY, &callback.uri()).await;
    let package_code = japan_plan(&app).await;

    order_and_wait(&app, API_KEY, "retry-order-1", &package_code).await;
    wait_for_deliveries(&callback, failures as usize + 2).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let deliveries = received(&callback).await;
    assert_eq!(
        deliveries.len(),
        failures as usize + 2,
        "no attempt after success"
    );
    let accepted = &deliveries[failures as usize..];
    assert_eq!(types_of(accepted), ["esim.ready", "order.submitted"]);
    for delivery in &deliveries {
        assert_signed(delivery, registered["secret"].as_str().unwrap());
    }
    let owner = hash_id(API_KEY);
    for delivery in accepted {
        let event_id = header(delivery, "bino-event-id");
        let id = delivery_id(
            event_id,
            &Subscriber::Business {
                owner: owner.clone(),
            },
        );
        let record = app.app.deliveries.get(&id).await.unwrap().unwrap();
        assert_eq!(record.status, DeliveryStatus::Delivered);
        assert_eq!(record.attempts.last().unwrap().outcome, "http 204");
    }
}

#[tokio::test]
async fn the_event_log_pages_oldest_first_and_shows_only_the_callers_events() {
    let app = spawn_app_with(&[]).await;
    let package_code = japan_plan(&app).await;
    order_and_wait(&app, API_KEY, "log-order-1", &package_code).await;
    order_and_wait(&app, API_KEY, "log-order-2", &package_code).await;
    order_and_wait(&app, OTHER_API_KEY, "log-order-other", &package_code).await;
    let all = wait_for_log(&app, API_KEY, 4).await;
    let others = wait_for_log(&app, OTHER_API_KEY, 2).await;

    let (_, first) = app.events(API_KEY, "?limit=3").await;
    let after = first["nextAfter"].as_str().unwrap().to_owned();
    let (_, second) = app
        .events(API_KEY, &format!("?after={after}&limit=3"))
        .await;
    let (_, empty) = app
        .events(
            API_KEY,
            &format!("?after={}", second["nextAfter"].as_str().unwrap()),
        )
        .await;

    let ids = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(all.len(), 4);
    assert_eq!(all[0]["type"], "order.submitted");
    assert_eq!(all[0]["binoTransactionId"], "log-order-1");
    assert_eq!(all[3]["binoTransactionId"], "log-order-2");
    assert_eq!(first["events"].as_array().unwrap().len(), 3);
    assert_eq!(first["hasMore"], true);
    assert_eq!(second["hasMore"], false);
    let mut paged = ids(first["events"].as_array().unwrap());
    paged.extend(ids(second["events"].as_array().unwrap()));
    assert_eq!(paged, ids(&all));
    assert_eq!(empty["events"], json!([]));
    assert_eq!(empty["nextAfter"], second["nextAfter"]);
    assert_eq!(others.len(), 2);
    assert!(
        others
            .iter()
            .all(|e| e["binoTransactionId"] == "log-order-other")
    );
    assert!(ids(&others).iter().all(|id| !paged.contains(id)));
}

#[tokio::test]
async fn an_esims_lifecycle_reaches_the_log_as_status_usage_and_validity_events() {
    let app = spawn_app_with(&[("SANDBOX_EVENT_INTERVAL_MS", "150")]).await;
    let package_code = japan_plan(&app).await;
    order_and_wait(&app, API_KEY, "lifecycle-order-1", &package_code).await;

    // Submitted, ready, then the sandbox's eight lifecycle steps.
    let events = wait_for_log(&app, API_KEY, 10).await;

    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types[..2], ["order.submitted", "esim.ready"]);
    for wanted in ["esim.status", "esim.data_usage", "esim.validity_usage"] {
        assert!(types.contains(&wanted), "{wanted} missing from {types:?}");
    }
    let usage = events
        .iter()
        .rfind(|e| e["type"] == "esim.data_usage")
        .unwrap();
    let payload = &usage["payload"];
    assert!(payload["usedBytes"].as_u64().unwrap() > 0, "{usage}");
    assert_eq!(
        payload["remainingBytes"].as_u64().unwrap(),
        payload["totalVolumeBytes"].as_u64().unwrap() - payload["usedBytes"].as_u64().unwrap()
    );
    let validity = events
        .iter()
        .find(|e| e["type"] == "esim.validity_usage")
        .unwrap();
    assert!(validity["payload"]["expiresAt"].is_string(), "{validity}");
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), events.len(), "every change has its own id");
}

#[tokio::test]
async fn a_bad_cursor_or_limit_gets_400_and_another_keys_event_is_no_cursor() {
    let app = spawn_app_with(&[]).await;
    let package_code = japan_plan(&app).await;
    order_and_wait(&app, API_KEY, "cursor-order-1", &package_code).await;
    let mine = wait_for_log(&app, API_KEY, 1).await;
    let my_event = mine[0]["id"].as_str().unwrap();

    let fresh = app.events(OTHER_API_KEY, "").await;
    let foreign = app
        .events(OTHER_API_KEY, &format!("?after={my_event}"))
        .await;
    let unknown = app.events(API_KEY, "?after=evt_nothing").await;
    let empty_after = app.events(API_KEY, "?after=").await;

    assert_eq!(fresh.0, 200);
    assert_eq!(
        fresh.1,
        json!({"events": [], "nextAfter": null, "hasMore": false})
    );
    assert_error(&foreign, 400, "unknown_event");
    assert_error(&unknown, 400, "unknown_event");
    assert_error(&empty_after, 400, "unknown_event");
    for limit in ["0", "101", "-1", "ten"] {
        let response = app.events(API_KEY, &format!("?limit={limit}")).await;
        assert_error(&response, 400, "invalid_limit");
    }
    assert_error(&app.events("wrong-key", "").await, 401, "unauthorized");
}

#[tokio::test]
async fn the_support_desk_hears_of_chat_orders_with_plan_context_and_no_phone_number() {
    let desk = receiver(200).await;
    let app = spawn_app_with(&[
        ("SUPPORT_WEBHOOK_URL", &format!("{}/desk", desk.uri())),
        ("SUPPORT_WEBHOOK_SECRET", DESK_SECRET),
    ])
    .await;
    let package_code = japan_plan(&app).await;
    let phone = "15550001234";
    let owner = bot::order_owner(phone);

    let placed = app
        .app
        .orders
        .place(
            &owner,
            OrderRequest {
                bino_transaction_id: "wa-chat-order-1".to_owned(),
                items: vec![OrderItemRequest {
                    package_code,
                    quantity: 1,
                    esim_tran_no: None,
                    period_days: None,
                }],
            },
        )
        .await
        .expect("the chat order is placed");
    let record = app.app.orders.get(&owner, "wa-chat-order-1").await.unwrap();
    app.app
        .events
        .handoff_requested(phone, Some(&record), "wamid.handoff-1")
        .await
        .unwrap();
    wait_for_deliveries(&desk, 3).await;
    tokio::time::sleep(Duration::from_millis(800)).await;

    let deliveries = received(&desk).await;
    assert_eq!(deliveries.len(), 3, "{:?}", types_of(&deliveries));
    assert_eq!(
        types_of(&deliveries),
        ["esim.ready", "handoff.requested", "order.submitted"]
    );
    for delivery in &deliveries {
        assert_signed(delivery, DESK_SECRET);
        let text = String::from_utf8_lossy(&delivery.body);
        assert!(!text.contains(phone), "{text}");
        assert!(!text.contains("activationCode"), "{text}");
        let body = body_of(delivery);
        assert_eq!(body["context"]["customer"], hash_id(phone));
        assert_eq!(body["context"]["planName"], placed.items[0].name);
        assert_eq!(body["context"]["price"], placed.total_price.to_string());
        assert_eq!(body["context"]["currency"], "USD");
        assert_eq!(body["binoTransactionId"], "wa-chat-order-1");
    }
    let (_, log) = app.events(API_KEY, "").await;
    assert_eq!(
        log["events"],
        json!([]),
        "chat events stay out of business logs"
    );
}

#[tokio::test]
async fn admin_routes_need_the_admin_key_list_failed_deliveries_and_replay_them() {
    let callback = receiver(500).await;
    let app = spawn_app_customised(
        redis_store().await,
        &[("ADMIN_KEY", ADMIN_KEY), ("EVENT_RETRY_BASE_MS", "50")],
        |app| app.delivery_tuning.retry.window = Duration::from_millis(600),
    )
    .await;
    let (_, registered) = app.register_callback(API_KEY, &callback.uri()).await;
    let package_code = japan_plan(&app).await;
    order_and_wait(&app, API_KEY, "admin-order-1", &package_code).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let failed = loop {
        let (status, body) = app
            .admin_deliveries(Some(ADMIN_KEY), "?status=failed")
            .await;
        assert_eq!(status, 200, "{body}");
        let failed = body["deliveries"].as_array().unwrap().clone();
        if failed.len() == 2 {
            break failed;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let attempts_before = received(&callback).await.len();
    callback.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&callback)
        .await;
    let ready = failed
        .iter()
        .find(|d| d["eventType"] == "esim.ready")
        .unwrap();
    let id = ready["id"].as_str().unwrap();
    let (replay_status, replayed) = app.replay_delivery(Some(ADMIN_KEY), id).await;
    let redelivered = wait_for_deliveries(&callback, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, still_failed) = app.admin_deliveries(Some(ADMIN_KEY), "").await;
    let replayed_again = app.replay_delivery(Some(ADMIN_KEY), id).await;
    let unknown = app.replay_delivery(Some(ADMIN_KEY), "dlv_nothing").await;

    for delivery in &failed {
        assert_eq!(delivery["status"], "failed");
        assert_eq!(delivery["subscriberKind"], "business");
        assert!(
            delivery["attemptCount"].as_u64().unwrap() >= 2,
            "{delivery}"
        );
        assert_eq!(delivery["attempts"][0]["outcome"], "http 500");
        assert!(delivery.get("url").is_none() && delivery.get("body").is_none());
    }
    assert!(attempts_before >= 4);
    assert_eq!(replay_status, 202, "{replayed}");
    assert_eq!(replayed["status"], "pending");
    assert_eq!(received(&callback).await.len(), 1, "delivered once");
    assert_eq!(header(&redelivered[0], "bino-event-id"), ready["eventId"]);
    assert_signed(&redelivered[0], registered["secret"].as_str().unwrap());
    let still_failed = still_failed["deliveries"].as_array().unwrap();
    assert_eq!(still_failed.len(), 1);
    assert_eq!(still_failed[0]["eventType"], "order.submitted");
    assert_error(&replayed_again, 409, "not_replayable");
    assert_error(&unknown, 404, "not_found");

    assert_error(&app.admin_deliveries(None, "").await, 401, "unauthorized");
    assert_error(
        &app.admin_deliveries(Some(API_KEY), "").await,
        401,
        "unauthorized",
    );
    assert_error(&app.replay_delivery(None, id).await, 401, "unauthorized");
    let wrong_status = app
        .admin_deliveries(Some(ADMIN_KEY), "?status=delivered")
        .await;
    assert_error(&wrong_status, 400, "invalid_status");
}

#[tokio::test]
async fn without_an_admin_key_configured_admin_routes_answer_403() {
    let app = spawn_app_with(&[]).await;

    let listed = app
        .admin_deliveries(Some("anything"), "?status=failed")
        .await;
    let replayed = app.replay_delivery(None, "dlv_x").await;

    assert_error(&listed, 403, "admin_disabled");
    assert_error(&replayed, 403, "admin_disabled");
}

#[tokio::test]
async fn events_are_counted_in_metrics_and_documented_in_openapi() {
    let app = spawn_app_with(&[]).await;
    let callback = receiver(200).await;
    app.register_callback(API_KEY, &callback.uri()).await;
    let package_code = japan_plan(&app).await;
    order_and_wait(&app, API_KEY, "metrics-order-1", &package_code).await;
    wait_for_deliveries(&callback, 2).await;
    // The delivery is counted right after the receiver answers.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, openapi) = app.get_json("/openapi.json", API_KEY).await;

    assert!(
        metrics.contains("bino_events_total{type=\"esim.ready\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "bino_event_deliveries_total{subscriber_kind=\"business\",outcome=\"delivered\"}"
        ),
        "{metrics}"
    );
    for path in [
        "/esim/events",
        "/esim/callback",
        "/admin/deliveries",
        "/admin/deliveries/{id}/replay",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} missing");
    }
    assert!(openapi["components"]["schemas"]["Event"].is_object());
}
