//! Behaviour when a dependency fails: answer honestly, lose nothing.

use std::sync::Arc;

use bino::store::{RedisStore, SharedStore};
use serde_json::json;

use crate::support::app::{WEBHOOK_TOKEN, assert_error, spawn_app_on};
use crate::support::redis::{RedisServer, random_prefix};

#[tokio::test]
async fn a_supplier_event_gets_503_when_the_inbox_cannot_be_written() {
    let server = RedisServer::start();
    let store: SharedStore = Arc::new(
        RedisStore::connect(server.url(), &random_prefix())
            .await
            .expect("Redis answers"),
    );
    let app = spawn_app_on(store, &[]).await;
    let event = r#"{"notifyType":"ESIM_STATUS","notifyId":"n-503","content":{"esimTranNo":"1","esimStatus":"IN_USE"}}"#;
    let accepted = app.post_supplier_event(WEBHOOK_TOKEN, event).await;

    server.stop();
    let refused = app.post_supplier_event(WEBHOOK_TOKEN, event).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();

    assert_eq!(accepted.0, 200);
    assert_error(&refused, 503, "unavailable");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        body["store"],
        json!({"backend": "redis", "status": "unavailable"})
    );
}
