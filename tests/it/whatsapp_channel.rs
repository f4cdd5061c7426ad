//! The WhatsApp channel end to end: signed deliveries over HTTP into the inbox, the worker
//! splitting them per customer, and each update reaching the turn handler once, in order.
//!
//! The turn handler here records what it is given: the conversation is not under test, the
//! channel's promise to it is (every update once, per customer in order, never two at a
//! time).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bino::jobs::whatsapp::{
    self, CustomerKeys, DEAD_LETTERS, INBOX, READY, Tuning, Turn, TurnError, TurnHandler,
    WhatsAppWorker,
};
use bino::store::{RedisStore, SharedStore};
use bino::whatsapp::message::Outbound;
use bino::whatsapp::model::{Content, DeliveryStatus, Recipient, Update};
use bino::whatsapp::outbox::{self, OutboxError};
use bino::whatsapp::signature::SignatureVerifier;
use serde_json::json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::{APP_SECRET, TestApp, VERIFY_TOKEN, assert_error, spawn_app_customised};
use crate::support::redis::{RedisServer, random_prefix, redis_url};

/// Records every turn; can be slowed down or made to fail its first calls.
#[derive(Default)]
struct Recorder {
    turns: Mutex<Vec<(String, Update)>>,
    /// Customers with a turn in progress, to catch two turns of one customer at once.
    busy: Mutex<HashSet<String>>,
    overlaps: AtomicUsize,
    delay: Duration,
    failures_left: AtomicUsize,
}

impl Recorder {
    fn slow(delay: Duration) -> Arc<Self> {
        Arc::new(Recorder {
            delay,
            ..Recorder::default()
        })
    }

    fn failing(times: usize) -> Arc<Self> {
        let recorder = Recorder::default();
        recorder.failures_left.store(times, Ordering::SeqCst);
        Arc::new(recorder)
    }

    fn turns(&self) -> Vec<(String, Update)> {
        self.turns.lock().unwrap().clone()
    }

    /// The message ids handled, per customer, in handling order.
    fn messages_by_customer(&self) -> HashMap<String, Vec<String>> {
        let mut by_customer: HashMap<String, Vec<String>> = HashMap::new();
        for (customer, update) in self.turns() {
            if let Update::Message(message) = update {
                by_customer.entry(customer).or_default().push(message.id);
            }
        }
        by_customer
    }

    async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<(String, Update)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let turns = self.turns();
            if turns.len() >= count {
                return turns;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {count} turns arrived",
                turns.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[async_trait]
impl TurnHandler for Recorder {
    async fn handle(&self, customer: &str, turn: &Turn) -> Result<(), TurnError> {
        let Turn::Update(update) = turn else {
            return Err(TurnError(
                "only WhatsApp updates are expected here".to_owned(),
            ));
        };
        if !self.busy.lock().unwrap().insert(customer.to_owned()) {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.busy.lock().unwrap().remove(customer);
        let fail = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if fail {
            return Err(TurnError("the handler failed on purpose".to_owned()));
        }
        self.turns
            .lock()
            .unwrap()
            .push((customer.to_owned(), update.clone()));
        Ok(())
    }
}

async fn redis_store() -> SharedStore {
    Arc::new(
        RedisStore::connect(&redis_url().await, &random_prefix())
            .await
            .expect("test Redis answers"),
    )
}

async fn spawn_with(recorder: &Arc<Recorder>) -> TestApp {
    let handler: Arc<dyn TurnHandler> = recorder.clone();
    spawn_app_customised(redis_store().await, &[], move |app| {
        app.whatsapp_handler = handler;
    })
    .await
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A delivery of text messages, each `(from, message id, text)`, in one change.
fn texts(messages: &[(&str, &str, &str)]) -> Vec<u8> {
    let contacts: Vec<_> = messages
        .iter()
        .map(|(from, _, _)| json!({"profile": {"name": "Test Traveller"}, "wa_id": from}))
        .collect();
    let items: Vec<_> = messages
        .iter()
        .map(|(from, id, text)| {
            json!({"from": from, "id": id, "timestamp": "1764000000", "type": "text", "text": {"body": text}})
        })
        .collect();
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
                    "contacts": contacts,
                    "messages": items,
                }
            }]
        }]
    })
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_handshake_echoes_the_challenge_only_for_the_right_token() {
    let app = spawn_with(&Arc::new(Recorder::default())).await;
    let get = |query: String| {
        let request = app
            .client
            .get(app.url(&format!("/whatsapp/webhook?{query}")));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|value| value.to_str().unwrap().to_owned());
            (status, content_type, response.text().await.unwrap())
        }
    };

    let (status, content_type, body) = get(format!(
        "hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
    ))
    .await;
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    assert!(content_type.unwrap().starts_with("text/plain"));

    let (status, _, body) = get(format!(
        "hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}"
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("missing_challenge"), "{body}");

    for query in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".to_owned(),
        format!("hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
        "hub.mode=subscribe&hub.challenge=1".to_owned(),
        String::new(),
    ] {
        let (status, _, body) = get(query.clone()).await;
        assert_eq!(status, 403, "{query}: {body}");
        assert!(body.contains("forbidden"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_delivery_reaches_the_handler_as_parsed_updates() {
    let recorder = Arc::new(Recorder::default());
    let app = spawn_with(&recorder).await;

    let response = app
        .post_whatsapp(&texts(&[(
            "15550001234",
            "wamid.TEST-A1",
            "eSIM for Japan",
        )]))
        .await;
    assert_eq!(response.0, 200, "{}", response.1);

    let turns = recorder.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(turns.len(), 1);
    let (customer, Update::Message(message)) = &turns[0] else {
        panic!("a message: {turns:?}");
    };
    assert_eq!(customer, "15550001234");
    assert_eq!(message.id, "wamid.TEST-A1");
    assert_eq!(message.from.wa_id.as_deref(), Some("15550001234"));
    assert_eq!(message.profile_name.as_deref(), Some("Test Traveller"));
    assert_eq!(
        message.content,
        Content::Text {
            body: "eSIM for Japan".to_owned()
        }
    );

    // The 24-hour window opened with the message.
    let store = app.app.store.as_ref();
    assert_eq!(
        whatsapp::last_inbound(store, "15550001234").await.unwrap(),
        Some(1_764_000_000)
    );
    assert!(
        whatsapp::window_open(store, "15550001234", 1_764_000_000 + 3600)
            .await
            .unwrap()
    );
    assert!(
        !whatsapp::window_open(store, "15550001234", 1_764_000_000 + 24 * 3600)
            .await
            .unwrap()
    );
    assert!(
        !whatsapp::window_open(store, "15550009876", 1_764_000_000)
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_malformed_or_wrong_signatures_get_401_and_store_nothing() {
    let app = spawn_with(&Arc::new(Recorder::default())).await;
    let body = texts(&[("15550001234", "wamid.TEST-B1", "hello")]);
    let good = SignatureVerifier::sign(APP_SECRET, &body);

    let mut tampered = body.clone();
    let position = tampered.len() - 10;
    tampered[position] = b' ';
    let other_secret = SignatureVerifier::sign("not-the-app-secret", &body);
    let cases: [(&[u8], Option<&str>); 5] = [
        (&body, None),
        (&body, Some("sha1=0123")),
        (&body, Some("sha256=nothex")),
        (&body, Some(&other_secret)),
        (&tampered, Some(&good)),
    ];
    for (payload, signature) in cases {
        let response = app.post_whatsapp_signed(payload, signature).await;
        assert_error(&response, 401, "unauthorized");
    }
    assert_eq!(app.app.store.stream_len(INBOX).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signature_covers_the_raw_bytes_with_meta_escapes() {
    let recorder = Arc::new(Recorder::default());
    let app = spawn_with(&recorder).await;
    let raw = fixture("text_accents_and_slash.json");
    let raw_text = String::from_utf8(raw.clone()).unwrap();
    assert!(
        raw_text.contains("\\/") && raw_text.contains("\\u00"),
        "the fixture keeps Meta's escapes"
    );

    // The same JSON written back without the escapes is a different byte string, so the
    // signature made over the raw bytes does not fit it.
    let signature = SignatureVerifier::sign(APP_SECRET, &raw);
    let reserialised =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&raw).unwrap()).unwrap();
    let response = app
        .post_whatsapp_signed(&reserialised, Some(&signature))
        .await;
    assert_error(&response, 401, "unauthorized");

    let response = app.post_whatsapp_signed(&raw, Some(&signature)).await;
    assert_eq!(response.0, 200, "{}", response.1);
    let turns = recorder.wait_for(1, Duration::from_secs(10)).await;
    let Update::Message(message) = &turns[0].1 else {
        panic!("a message: {turns:?}");
    };
    let Content::Text { body } = &message.content else {
        panic!("a text: {message:?}");
    };
    assert!(body.contains('/') && !body.is_ascii(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_and_the_previous_one_both_verify() {
    let recorder = Arc::new(Recorder::default());
    let handler: Arc<dyn TurnHandler> = recorder.clone();
    let app = spawn_app_customised(
        redis_store().await,
        &[("WHATSAPP_APP_SECRET", "previous-secret,current-secret")],
        move |app| app.whatsapp_handler = handler,
    )
    .await;

    for (secret, id) in [
        ("previous-secret", "wamid.ROT-1"),
        ("current-secret", "wamid.ROT-2"),
    ] {
        let body = texts(&[("15550001234", id, "hi")]);
        let signature = SignatureVerifier::sign(secret, &body);
        let response = app.post_whatsapp_signed(&body, Some(&signature)).await;
        assert_eq!(response.0, 200, "{}", response.1);
    }
    let body = texts(&[("15550001234", "wamid.ROT-3", "hi")]);
    let response = app.post_whatsapp(&body).await;
    assert_error(&response, 401, "unauthorized");
    assert_eq!(recorder.wait_for(2, Duration::from_secs(10)).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_delivered_twice_is_handled_once() {
    let recorder = Arc::new(Recorder::default());
    let app = spawn_with(&recorder).await;
    let body = texts(&[("15550001234", "wamid.DUP-1", "Japan, 10 days")]);

    for _ in 0..3 {
        assert_eq!(app.post_whatsapp(&body).await.0, 200);
    }
    // The same message inside a different batch is a duplicate too.
    let batch = texts(&[
        ("15550001234", "wamid.DUP-1", "Japan, 10 days"),
        ("15550001234", "wamid.DUP-2", "and Korea"),
    ]);
    assert_eq!(app.post_whatsapp(&batch).await.0, 200);

    recorder.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids = recorder.messages_by_customer();
    assert_eq!(ids["15550001234"], ["wamid.DUP-1", "wamid.DUP-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_three_messages_and_two_statuses_gives_five_turns() {
    let recorder = Arc::new(Recorder::default());
    let app = spawn_with(&recorder).await;

    let response = app
        .post_whatsapp(&fixture("batch_3_messages_2_statuses.json"))
        .await;
    assert_eq!(response.0, 200, "{}", response.1);

    let turns = recorder.wait_for(5, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let turns_now = recorder.turns();
    assert_eq!(turns_now.len(), 5, "{turns:?}");
    let messages = turns_now
        .iter()
        .filter(|(_, update)| matches!(update, Update::Message(_)))
        .count();
    let statuses = turns_now
        .iter()
        .filter(|(_, update)| matches!(update, Update::Status(_)))
        .count();
    assert_eq!((messages, statuses), (3, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_three_megabytes_get_413_and_large_ones_below_are_accepted() {
    let recorder = Arc::new(Recorder::default());
    let app = spawn_with(&recorder).await;

    // Two megabytes: over the 1 MB limit of other routes, within Meta's 3 MB.
    let long_text = "x".repeat(2 * 1024 * 1024);
    let body = texts(&[("15550001234", "wamid.BIG-1", &long_text)]);
    assert_eq!(app.post_whatsapp(&body).await.0, 200);

    let huge_text = "x".repeat(3 * 1024 * 1024);
    let body = texts(&[("15550001234", "wamid.BIG-2", &huge_text)]);
    let response = app.post_whatsapp(&body).await;
    assert_error(&response, 413, "body_too_large");

    let turns = recorder.wait_for(1, Duration::from_secs(10)).await;
    let Update::Message(message) = &turns[0].1 else {
        panic!("a message");
    };
    assert_eq!(message.id, "wamid.BIG-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_that_is_not_json_gets_400() {
    let app = spawn_with(&Arc::new(Recorder::default())).await;
    for body in [
        &b"{\"object\": \"whatsapp_business_account\", "[..],
        b"not json",
        b"",
    ] {
        let signature = SignatureVerifier::sign(APP_SECRET, body);
        let response = app.post_whatsapp_signed(body, Some(&signature)).await;
        assert_error(&response, 400, "malformed_json");
    }
    let mut deep = "[".repeat(10_000);
    deep.push_str(&"]".repeat(10_000));
    let signature = SignatureVerifier::sign(APP_SECRET, deep.as_bytes());
    let response = app
        .post_whatsapp_signed(deep.as_bytes(), Some(&signature))
        .await;
    assert_error(&response, 400, "malformed_json");
    assert_eq!(app.app.store.stream_len(INBOX).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_store_down_a_delivery_gets_503_never_200() {
    let server = RedisServer::start();
    let store: SharedStore = Arc::new(
        RedisStore::connect(server.url(), &random_prefix())
            .await
            .unwrap(),
    );
    let app = spawn_app_customised(store, &[], |_| {}).await;
    let body = texts(&[("15550001234", "wamid.DOWN-1", "hi")]);
    assert_eq!(app.post_whatsapp(&body).await.0, 200);

    server.stop();
    let response = app.post_whatsapp(&body).await;
    assert_error(&response, 503, "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_customers_messages_are_handled_in_order_and_never_two_at_once() {
    let recorder = Recorder::slow(Duration::from_millis(15));
    let app = spawn_with(&recorder).await;
    let customers = ["15550001001", "15550001002", "15550001003"];

    // Deliveries interleave the customers; each customer's messages are sent in order.
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for round in 0..8 {
        for customer in customers {
            let id = format!("wamid.ORDER-{customer}-{round:02}");
            expected
                .entry(customer.to_owned())
                .or_default()
                .push(id.clone());
            assert_eq!(
                app.post_whatsapp(&texts(&[(customer, &id, "next")]))
                    .await
                    .0,
                200
            );
        }
    }

    recorder.wait_for(24, Duration::from_secs(20)).await;
    assert_eq!(recorder.messages_by_customer(), expected);
    assert_eq!(recorder.overlaps.load(Ordering::SeqCst), 0);
}

/// Starts a worker over `store` that records into `recorder`, as a separate process would.
fn start_worker(
    store: &SharedStore,
    recorder: &Arc<Recorder>,
    name: &str,
    shutdown: &CancellationToken,
) -> JoinSet<()> {
    let mut workers = JoinSet::new();
    WhatsAppWorker::new(
        Arc::clone(store),
        recorder.clone(),
        name.to_owned(),
        Tuning {
            lease: Duration::from_millis(400),
            reclaim_after: Duration::from_millis(800),
            concurrency: 8,
            retry_pause: Duration::from_millis(20),
        },
    )
    .spawn(&mut workers, shutdown);
    workers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_the_inbox_and_keep_each_customers_order() {
    let store = redis_store().await;
    let recorder = Recorder::slow(Duration::from_millis(2));
    let shutdown = CancellationToken::new();
    let _first = start_worker(&store, &recorder, "worker-a", &shutdown);
    let _second = start_worker(&store, &recorder, "worker-b", &shutdown);

    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for round in 0..10 {
        for customer in 0..10 {
            let customer = format!("1555000{customer:04}");
            let id = format!("wamid.SHARE-{customer}-{round:02}");
            expected
                .entry(customer.clone())
                .or_default()
                .push(id.clone());
            whatsapp::enqueue(store.as_ref(), &texts(&[(&customer, &id, "hi")]))
                .await
                .unwrap();
        }
    }

    recorder.wait_for(100, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recorder.turns().len(), 100);
    assert_eq!(recorder.messages_by_customer(), expected);
    assert_eq!(recorder.overlaps.load(Ordering::SeqCst), 0);
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_taken_by_a_worker_that_died_before_acknowledging_is_handled_once() {
    let store = redis_store().await;
    whatsapp::enqueue(
        store.as_ref(),
        &texts(&[("15550001234", "wamid.CRASH-1", "hi")]),
    )
    .await
    .unwrap();
    // A worker reads the body and dies before splitting or acknowledging it; its lease
    // is left behind too.
    store
        .stream_ensure_group(INBOX, "whatsapp-split")
        .await
        .unwrap();
    let taken = store
        .stream_read(INBOX, "whatsapp-split", "dead-worker", 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    store
        .set(
            "lease:whatsapp-split",
            b"dead-worker",
            Some(Duration::from_millis(400)),
        )
        .await
        .unwrap();

    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let _worker = start_worker(&store, &recorder, "live-worker", &shutdown);

    let turns = recorder.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(recorder.turns().len(), 1, "{turns:?}");
    assert_eq!(
        store.stream_pending(INBOX, "whatsapp-split").await.unwrap(),
        0
    );
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_left_locked_by_a_worker_that_died_mid_turn_is_drained_once() {
    let store = redis_store().await;
    let recorder = Arc::new(Recorder::default());

    // A first worker splits a body with two messages, takes the announcement and the
    // customer's lock, and dies before handling anything.
    let dead = WhatsAppWorker::new(
        Arc::clone(&store),
        recorder.clone(),
        "dead-worker".to_owned(),
        Tuning::default(),
    );
    whatsapp::enqueue(
        store.as_ref(),
        &texts(&[
            ("15550001234", "wamid.MID-1", "first"),
            ("15550001234", "wamid.MID-2", "second"),
        ]),
    )
    .await
    .unwrap();
    store
        .stream_ensure_group(INBOX, "whatsapp-split")
        .await
        .unwrap();
    let bodies = store
        .stream_read(INBOX, "whatsapp-split", "dead-worker", 10, Duration::ZERO)
        .await
        .unwrap();
    dead.split(&bodies[0]).await.unwrap();
    store
        .stream_ack(INBOX, "whatsapp-split", &[bodies[0].id.clone()])
        .await
        .unwrap();
    store
        .stream_ensure_group(READY, "whatsapp-turns")
        .await
        .unwrap();
    let announcements = store
        .stream_read(READY, "whatsapp-turns", "dead-worker", 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(announcements.len(), 1);
    let keys = CustomerKeys::new("15550001234");
    store
        .set(
            &keys.lock(),
            b"dead-worker:turn",
            Some(Duration::from_millis(400)),
        )
        .await
        .unwrap();

    let shutdown = CancellationToken::new();
    let _worker = start_worker(&store, &recorder, "live-worker", &shutdown);

    // Once the dead holder's lease has run out, the live worker reclaims its announcement
    // and drains the queue.
    let turns = recorder.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(recorder.turns().len(), 2, "{turns:?}");
    assert_eq!(
        recorder.messages_by_customer()["15550001234"],
        ["wamid.MID-1", "wamid.MID-2"]
    );
    assert_eq!(store.queue_len(&keys.queue()).await.unwrap(), 0);
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_turn_is_retried_and_a_hopeless_one_goes_to_the_dead_letters() {
    let store = redis_store().await;
    let shutdown = CancellationToken::new();

    // Two failures, then success: handled once, nothing dead.
    let recorder = Recorder::failing(2);
    let _worker = start_worker(&store, &recorder, "worker", &shutdown);
    whatsapp::enqueue(
        store.as_ref(),
        &texts(&[("15550001234", "wamid.RETRY-1", "hi")]),
    )
    .await
    .unwrap();
    recorder.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(store.stream_len(DEAD_LETTERS).await.unwrap(), 0);
    shutdown.cancel();

    // Always failing: after five attempts the update is set aside and the customer's next
    // message is still handled.
    let store = redis_store().await;
    let shutdown = CancellationToken::new();
    let recorder = Recorder::failing(5);
    let _worker = start_worker(&store, &recorder, "worker", &shutdown);
    whatsapp::enqueue(
        store.as_ref(),
        &texts(&[
            ("15550001234", "wamid.HOPELESS-1", "hi"),
            ("15550001234", "wamid.HOPELESS-2", "hello?"),
        ]),
    )
    .await
    .unwrap();
    recorder.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        recorder.messages_by_customer()["15550001234"],
        ["wamid.HOPELESS-2"]
    );
    assert_eq!(store.stream_len(DEAD_LETTERS).await.unwrap(), 1);
    // An operator's group, created now, reads the stream from its start.
    store
        .stream_ensure_group(DEAD_LETTERS, "ops")
        .await
        .unwrap();
    let letters = store
        .stream_read(DEAD_LETTERS, "ops", "ops", 1, Duration::ZERO)
        .await
        .unwrap();
    let letter: serde_json::Value = serde_json::from_slice(&letters[0].payload).unwrap();
    assert!(
        letter["body"]
            .as_str()
            .unwrap()
            .contains("wamid.HOPELESS-1"),
        "{letter}"
    );
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_status_reaches_the_handler_with_its_error() {
    let recorder = Arc::new(Recorder::default());
    let app = spawn_with(&recorder).await;
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
            "statuses": [{
                "id": "wamid.SENT-BY-BINO-1",
                "status": "failed",
                "timestamp": "1764000100",
                "recipient_id": "15550001234",
                "errors": [{"code": 131047, "title": "Re-engagement message",
                            "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}]
            }]
        }}]}]
    });
    assert_eq!(app.post_whatsapp(body.to_string().as_bytes()).await.0, 200);

    let turns = recorder.wait_for(1, Duration::from_secs(10)).await;
    let (customer, Update::Status(status)) = &turns[0] else {
        panic!("a status: {turns:?}");
    };
    assert_eq!(customer, "15550001234");
    assert_eq!(status.status, DeliveryStatus::Failed);
    assert_eq!(status.message_id, "wamid.SENT-BY-BINO-1");
    assert_eq!(status.errors[0].code, 131047);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_sends_only_inside_the_window_and_ties_a_later_failure_to_its_message() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v25.0/106540352242922/messages"))
        .and(header("authorization", "Bearer test-graph-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "15550001234", "wa_id": "15550001234"}],
            "messages": [{"id": "wamid.OUT-1"}]
        })))
        .expect(1)
        .mount(&graph)
        .await;
    let recorder = Arc::new(Recorder::default());
    let handler: Arc<dyn TurnHandler> = recorder.clone();
    let base_url = format!("{}/v25.0", graph.uri());
    let app = spawn_app_customised(
        redis_store().await,
        &[
            ("WHATSAPP_TOKEN", "test-graph-token"),
            ("WHATSAPP_PHONE_NUMBER_ID", "106540352242922"),
            ("GRAPH_BASE_URL", &base_url),
        ],
        move |app| app.whatsapp_handler = handler,
    )
    .await;
    let outbox = app.app.outbox.clone().expect("the Graph API is configured");
    let to = Recipient::Phone("15550001234".to_owned());
    let hello = Outbound::text("Where are you travelling?").unwrap();

    // The customer never wrote: only a template may go out, and Meta is not called.
    let refused = outbox.send("15550001234", &to, &hello, "greeting").await;
    assert!(
        matches!(refused, Err(OutboxError::WindowClosed)),
        "{refused:?}"
    );

    // A message from the customer opens the window. Its timestamp is now, as Meta's is.
    let now = chrono::Utc::now().timestamp().to_string();
    let body = String::from_utf8(texts(&[("15550001234", "wamid.IN-1", "hi")]))
        .unwrap()
        .replace("1764000000", &now);
    assert_eq!(app.post_whatsapp(body.as_bytes()).await.0, 200);
    recorder.wait_for(1, Duration::from_secs(10)).await;
    let sent = outbox
        .send("15550001234", &to, &hello, "greeting")
        .await
        .unwrap();
    assert_eq!(sent, "wamid.OUT-1");

    // Meta later reports the message failed: the record learns why, and for what it was.
    let status = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
            "statuses": [{"id": "wamid.OUT-1", "status": "failed", "timestamp": now,
                          "recipient_id": "15550001234",
                          "errors": [{"code": 131026, "title": "Message undeliverable"}]}]
        }}]}]
    });
    assert_eq!(
        app.post_whatsapp(status.to_string().as_bytes()).await.0,
        200
    );
    recorder.wait_for(2, Duration::from_secs(10)).await;
    let record = outbox::sent_record(app.app.store.as_ref(), "wamid.OUT-1")
        .await
        .unwrap()
        .expect("the sent message is remembered");
    assert_eq!(record.customer, "15550001234");
    assert_eq!(record.purpose, "greeting");
    assert_eq!(record.kind, "text");
    assert_eq!(record.status.as_deref(), Some("failed"));
    assert_eq!(record.error_code, Some(131026));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_recover_when_redis_comes_back_without_its_data() {
    let server = RedisServer::start();
    let store: SharedStore = Arc::new(
        RedisStore::connect(server.url(), &random_prefix())
            .await
            .unwrap(),
    );
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let _worker = start_worker(&store, &recorder, "worker", &shutdown);
    whatsapp::enqueue(
        store.as_ref(),
        &texts(&[("15550001234", "wamid.LOST-1", "hi")]),
    )
    .await
    .unwrap();
    recorder.wait_for(1, Duration::from_secs(10)).await;

    // Redis restarted without persistence: every stream and consumer group is gone.
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("FLUSHALL")
        .query_async(&mut connection)
        .await
        .unwrap();

    whatsapp::enqueue(
        store.as_ref(),
        &texts(&[("15550001234", "wamid.LOST-2", "again")]),
    )
    .await
    .unwrap();
    let turns = recorder.wait_for(2, Duration::from_secs(15)).await;
    let Update::Message(message) = &turns[1].1 else {
        panic!("a message: {turns:?}");
    };
    assert_eq!(message.id, "wamid.LOST-2");
    shutdown.cancel();
    server.stop();
}
