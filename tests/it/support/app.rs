//! `spawn_app`: the real server on port 0, over real Redis with a fresh key prefix.

use std::sync::Arc;
use std::time::Duration;

use bino::app::App;
use bino::config::Settings;
use bino::store::{RedisStore, SharedStore};
use bino::whatsapp::signature::SignatureVerifier;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::redis::{random_prefix, redis_url};

pub const API_KEY: &str = "test-key-1";
pub const OTHER_API_KEY: &str = "test-key-2";
pub const WEBHOOK_TOKEN: &str = "test-webhook-token";
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

pub struct TestApp {
    pub address: String,
    pub app: Arc<App>,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The sandbox supplier with fast allocation, Redis with a fresh prefix.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with extra `BINO_*` settings (names without the prefix).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let store: SharedStore = Arc::new(
        RedisStore::connect(&redis_url().await, &random_prefix())
            .await
            .expect("test Redis answers"),
    );
    spawn_app_on(store, extra).await
}

/// Like [`spawn_app_with`], over a given store.
pub async fn spawn_app_on(store: SharedStore, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_customised(store, extra, |_| {}).await
}

/// Like [`spawn_app_on`], letting the test replace parts of the app (such as what the
/// WhatsApp worker does with each update) before it starts.
pub async fn spawn_app_customised(
    store: SharedStore,
    extra: &[(&str, &str)],
    customise: impl FnOnce(&mut App),
) -> TestApp {
    let mut vars: Vec<(String, String)> = [
        ("API_KEYS", format!("{API_KEY},{OTHER_API_KEY}")),
        ("SUPPLIER_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned()),
        ("WHATSAPP_APP_SECRET", APP_SECRET.to_owned()),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN.to_owned()),
        ("SANDBOX_ALLOCATION_DELAY_MS", "300".to_owned()),
        ("SANDBOX_EVENT_INTERVAL_MS", "60000".to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    vars.extend(
        extra
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
    );
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    let mut app = App::build_with_store(settings, store)
        .await
        .expect("app builds");
    customise(Arc::get_mut(&mut app).expect("nothing else holds the app before it starts"));

    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let router = bino::http::router(Arc::clone(&app));
    let stop = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .expect("test server runs");
    });
    let mut workers = app.spawn_workers(&shutdown);
    tokio::spawn(async move { while workers.join_next().await.is_some() {} });

    TestApp {
        address,
        app,
        client: reqwest::Client::new(),
        shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs JSON with the test API key; returns status and parsed body.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(API_KEY)
            .json(body)
            .send()
            .await
            .expect("request sent");
        read(response).await
    }

    /// POSTs raw bytes with a JSON content type and the test API key.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        self.send_raw(reqwest::Method::POST, path, "application/json", body)
            .await
    }

    /// Sends raw bytes with the given content type and the test API key.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(API_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        read(response).await
    }

    pub async fn get_json(&self, path: &str, key: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent");
        read(response).await
    }

    /// Sends `method` to `path` with an optional bearer key and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await.expect("request sent")).await
    }

    /// Places an order with the given API key.
    pub async fn order_as(&self, key: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, "/esim/order", Some(key), Some(body))
            .await
    }

    /// `PUT /esim/callback` with the given API key.
    pub async fn register_callback(&self, key: &str, url: &str) -> (u16, Value) {
        let body = serde_json::json!({ "url": url });
        self.send(
            reqwest::Method::PUT,
            "/esim/callback",
            Some(key),
            Some(&body),
        )
        .await
    }

    /// `GET /esim/events` with a query string (such as `?after=...&limit=2`).
    pub async fn events(&self, key: &str, query: &str) -> (u16, Value) {
        self.get_json(&format!("/esim/events{query}"), key).await
    }

    /// `GET /admin/deliveries` with a query string and an optional admin key.
    pub async fn admin_deliveries(&self, key: Option<&str>, query: &str) -> (u16, Value) {
        let path = format!("/admin/deliveries{query}");
        self.send(reqwest::Method::GET, &path, key, None).await
    }

    /// `POST /admin/deliveries/{id}/replay` with an optional admin key.
    pub async fn replay_delivery(&self, key: Option<&str>, id: &str) -> (u16, Value) {
        let path = format!("/admin/deliveries/{id}/replay");
        self.send(reqwest::Method::POST, &path, key, None).await
    }

    pub async fn search(&self, body: Value) -> (u16, Value) {
        self.post_json("/esim/search", &body).await
    }

    pub async fn order(&self, body: Value) -> (u16, Value) {
        self.post_json("/esim/order", &body).await
    }

    /// Polls an order until `done` holds for it, or fails the test after `timeout`.
    pub async fn wait_for_order(
        &self,
        id: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (status, order) = self.get_json(&format!("/esim/orders/{id}"), API_KEY).await;
            assert_eq!(status, 200, "{order}");
            if done(&order) {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order never reached the state: {order}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// POSTs a WhatsApp delivery signed as Meta signs it, with the test app secret.
    pub async fn post_whatsapp(&self, body: &[u8]) -> (u16, Value) {
        let signature = SignatureVerifier::sign(APP_SECRET, body);
        self.post_whatsapp_signed(body, Some(&signature)).await
    }

    /// POSTs a WhatsApp delivery with the given `X-Hub-Signature-256`, or none.
    pub async fn post_whatsapp_signed(&self, body: &[u8], signature: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.url("/whatsapp/webhook"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        read(request.send().await.expect("request sent")).await
    }

    pub async fn post_supplier_event(&self, token: &str, body: &str) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(&format!("/esim/webhook?token={token}")))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent");
        read(response).await
    }
}

async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts the error envelope with the given status and code; returns the message.
pub fn assert_error(response: &(u16, Value), status: u16, code: &str) -> String {
    let (actual, body) = response;
    assert_eq!(*actual, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned();
    assert!(!message.is_empty());
    message
}
