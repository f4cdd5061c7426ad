//! The whole chat purchase through HTTP: signed WhatsApp webhooks in, the sandbox
//! supplier behind, and a Graph API mock receiving what the bot sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bino::store::{RedisStore, SharedStore};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::chat::{
    TRAVELLER, button_tap, deliver_twice, delivery, graph_mock, is_text_containing, message_calls,
    row_tap, sent, spawn_with_graph, spawn_with_graph_and, text_message, wait_for_sent,
};
use crate::support::redis::{random_prefix, redis_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hi_to_qr_code_in_four_messages_each_answered_once() {
    let graph = graph_mock().await;
    let app = spawn_with_graph(&graph).await;

    // 1. "hi": the greeting asks where to.
    deliver_twice(
        &app,
        &delivery(
            "wamid.IN-1",
            json!({"type": "text", "text": {"body": "hi"}}),
        ),
    )
    .await;
    let greeting = wait_for_sent(&graph, "the greeting", |m| is_text_containing(m, "Bino")).await;
    assert_eq!(greeting["to"], TRAVELLER);

    // 2. The destination: a list of plans.
    let body = json!({"type": "text", "text": {"body": "eSIM for Japan, 10 days"}});
    deliver_twice(&app, &delivery("wamid.IN-2", body)).await;
    let list = wait_for_sent(&graph, "the plan list", |m| {
        m["interactive"]["type"] == "list"
    })
    .await;
    let rows = list["interactive"]["action"]["sections"][0]["rows"]
        .as_array()
        .expect("rows")
        .clone();
    assert!(!rows.is_empty() && rows.len() <= 10, "{list:#}");
    assert!(
        rows[0]["title"].as_str().unwrap().contains("Japan"),
        "{list:#}"
    );

    // 3. A plan: its summary with Buy, Other plans, Change destination.
    deliver_twice(&app, &delivery("wamid.IN-3", row_tap(&rows[0]))).await;
    let summary = wait_for_sent(&graph, "the plan summary", |m| {
        m["interactive"]["type"] == "button"
    })
    .await;
    let buttons = summary["interactive"]["action"]["buttons"]
        .as_array()
        .expect("buttons")
        .clone();
    assert_eq!(buttons.len(), 3, "{summary:#}");
    assert_eq!(buttons[0]["reply"]["title"], "Buy");

    // 4. Buy: the order is placed, and once the sandbox reports GOT_RESOURCE the QR code,
    // the install details and the activation string arrive.
    deliver_twice(&app, &delivery("wamid.IN-4", button_tap(&buttons[0]))).await;
    wait_for_sent(&graph, "the order confirmation", |m| {
        is_text_containing(m, "preparing")
    })
    .await;
    let image = wait_for_sent(&graph, "the QR code", |m| m["type"] == "image").await;
    assert_eq!(image["image"]["id"], "4490709327384033");
    wait_for_sent(&graph, "the install links", |m| {
        is_text_containing(m, "esimsetup.apple.com")
            && is_text_containing(m, "esimsetup.android.com")
    })
    .await;
    let activation = wait_for_sent(&graph, "the activation string", |m| {
        is_text_containing(m, "LPA:1$")
    })
    .await;

    // The upload was one PNG.
    let uploads: Vec<_> = graph
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|request| request.url.path().ends_with("/media"))
        .collect();
    assert_eq!(uploads.len(), 1);
    assert!(
        uploads[0]
            .body
            .windows(4)
            .any(|window| window == b"\x89PNG"),
        "the upload holds a PNG"
    );

    // Nothing was sent twice, though every delivery came twice: let late duplicates land,
    // then count.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let all = sent(&graph).await;
    let count = |wanted: &dyn Fn(&Value) -> bool| all.iter().filter(|m| wanted(m)).count();
    assert_eq!(count(&|m| is_text_containing(m, "Bino")), 1, "{all:#?}");
    assert_eq!(
        count(&|m| m["interactive"]["type"] == "list"),
        1,
        "{all:#?}"
    );
    assert_eq!(
        count(&|m| m["interactive"]["type"] == "button"),
        1,
        "{all:#?}"
    );
    assert_eq!(count(&|m| m["type"] == "image"), 1, "{all:#?}");
    assert_eq!(count(&|m| is_text_containing(m, "LPA:1$")), 1, "{all:#?}");
    assert_eq!(
        all.len(),
        7,
        "greeting, list, summary, preparing, image, details, string: {all:#?}"
    );
    let string = activation["text"]["body"].as_str().unwrap();
    assert!(
        string.lines().any(|line| line.starts_with("LPA:1$")),
        "{string}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traveller_writing_in_spanish_gets_spanish_answers() {
    let graph = graph_mock().await;
    let app = spawn_with_graph(&graph).await;

    deliver_twice(
        &app,
        &delivery(
            "wamid.ES-1",
            json!({"type": "text", "text": {"body": "¡Hola!"}}),
        ),
    )
    .await;
    let greeting = wait_for_sent(&graph, "a greeting", |m| m["type"] == "text").await;
    let expected =
        bino::bot::texts::Texts::global().get(bino::bot::texts::Language::Es, "greeting", &[]);
    assert_eq!(greeting["text"]["body"], expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_gets_a_polite_hint_not_silence() {
    let graph = graph_mock().await;
    let app = spawn_with_graph(&graph).await;

    let image =
        json!({"type": "image", "image": {"id": "1479537139650973", "mime_type": "image/jpeg"}});
    deliver_twice(&app, &delivery("wamid.IMG-1", image)).await;
    wait_for_sent(&graph, "the hint", |m| {
        is_text_containing(m, "text and taps")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_a_person_reaches_the_support_desk_once_without_the_phone_number() {
    let graph = graph_mock().await;
    let desk = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&desk)
        .await;
    let app = spawn_with_graph_and(
        &graph,
        &[
            ("SUPPORT_WEBHOOK_URL", &desk.uri()),
            ("SUPPORT_WEBHOOK_SECRET", "test-desk-secret"),
        ],
    )
    .await;

    let agent = json!({"type": "text", "text": {"body": "agent"}});
    deliver_twice(&app, &delivery("wamid.AGENT-1", agent)).await;
    wait_for_sent(&graph, "the hand-off answer", |m| {
        is_text_containing(m, "a person from our team")
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while desk
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the desk heard nothing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let received = desk.received_requests().await.unwrap_or_default();
    assert_eq!(received.len(), 1, "one hand-off, one delivery");
    let text = String::from_utf8_lossy(&received[0].body);
    assert!(
        !text.contains(TRAVELLER) && !text.contains("Test Traveller"),
        "{text}"
    );
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["type"], "handoff.requested");
    assert_eq!(
        body["context"]["customer"],
        bino::telemetry::hash_id(TRAVELLER)
    );
    assert_eq!(body["binoTransactionId"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_arriving_together_never_lose_an_update_and_two_buys_make_one_order() {
    let graph = graph_mock().await;
    let app = spawn_with_graph(&graph).await;
    let bot = Arc::clone(&app.app.bot);
    let identity = bino::whatsapp::Identity {
        wa_id: Some(TRAVELLER.to_owned()),
        ..Default::default()
    };
    // The window opens as the traveller writes; here inputs skip the webhook, so open it.
    app.app
        .store
        .set(
            &bino::jobs::whatsapp::CustomerKeys::new(TRAVELLER).last_inbound(),
            chrono::Utc::now().timestamp().to_string().as_bytes(),
            None,
        )
        .await
        .unwrap();

    // Ten inputs at once, on one conversation: every one is recorded as handled.
    let mut runs = tokio::task::JoinSet::new();
    for n in 0..10 {
        let bot = Arc::clone(&bot);
        let identity = identity.clone();
        runs.spawn(async move {
            bot.run(
                TRAVELLER,
                Some(&identity),
                &format!("wamid.TOGETHER-{n}"),
                bino::bot::Input::Text {
                    body: "help".to_owned(),
                },
            )
            .await
        });
    }
    for outcome in runs.join_all().await {
        outcome.expect("each input is handled");
    }
    let conversation = bot.conversation(TRAVELLER).await.unwrap().unwrap();
    for n in 0..10 {
        let id = format!("wamid.TOGETHER-{n}");
        assert!(
            conversation.handled.contains(&id),
            "{id} lost: {:?}",
            conversation.handled
        );
    }

    // To a summary, then Buy tapped twice at once (two message ids, one button).
    bot.run(
        TRAVELLER,
        Some(&identity),
        "wamid.T-dest",
        bino::bot::Input::Text {
            body: "Japan, 10 days".to_owned(),
        },
    )
    .await
    .unwrap();
    let menu = bot.conversation(TRAVELLER).await.unwrap().unwrap().menu;
    bot.run(
        TRAVELLER,
        Some(&identity),
        "wamid.T-plan",
        bino::bot::Input::Choice {
            id: format!("plan:{menu}:0"),
        },
    )
    .await
    .unwrap();
    let menu = bot.conversation(TRAVELLER).await.unwrap().unwrap().menu;
    let (first, second) = tokio::join!(
        bot.run(
            TRAVELLER,
            Some(&identity),
            "wamid.T-buy-1",
            bino::bot::Input::Choice {
                id: format!("buy:{menu}"),
            }
        ),
        bot.run(
            TRAVELLER,
            Some(&identity),
            "wamid.T-buy-2",
            bino::bot::Input::Choice {
                id: format!("buy:{menu}"),
            }
        ),
    );
    first.unwrap();
    second.unwrap();
    let conversation = bot.conversation(TRAVELLER).await.unwrap().unwrap();
    assert_eq!(conversation.orders.len(), 1, "{:?}", conversation.orders);
    // One order at the supplier: the sandbox balance went down by one eSIM's cost.
    let record = app
        .app
        .orders
        .get(&bino::bot::order_owner(TRAVELLER), &conversation.orders[0])
        .await
        .expect("the order is the chat customer's");
    let balance = app.app.supplier.balance().await.unwrap();
    assert_eq!(
        balance.units(),
        1_000 * 10_000 - record.items[0].unit_cost.units(),
        "charged once"
    );
    // It is not visible to a business's API key.
    let (status, _) = app
        .get_json(
            &format!("/esim/orders/{}", conversation.orders[0]),
            crate::support::app::API_KEY,
        )
        .await;
    assert_eq!(status, 404);
}

/// A channel that fails its first sends as a network would, then records what it sends.
struct Flaky {
    failures_left: AtomicUsize,
    sent: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl bino::bot::channel::Channel for Flaky {
    async fn send(
        &self,
        _customer: &str,
        _to: &bino::whatsapp::Identity,
        message: &bino::whatsapp::message::Outbound,
        _purpose: &str,
    ) -> Result<(), bino::bot::channel::ChannelError> {
        if self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
        {
            return Err(bino::bot::channel::ChannelError::Retry(
                "connection reset".to_owned(),
            ));
        }
        let shown = match message {
            bino::whatsapp::message::Outbound::Text(text) => text.body().to_owned(),
            other => other.kind().to_owned(),
        };
        self.sent.lock().unwrap().push(shown);
        Ok(())
    }

    async fn send_qr(
        &self,
        _customer: &str,
        _to: &bino::whatsapp::Identity,
        _activation_code: &str,
        _caption: &str,
        _purpose: &str,
    ) -> Result<(), bino::bot::channel::ChannelError> {
        self.sent.lock().unwrap().push("qr".to_owned());
        Ok(())
    }

    async fn acknowledge(&self, _message_id: &str, _typing: bool) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_that_failed_halfway_is_completed_on_retry_not_decided_again() {
    let store: SharedStore = Arc::new(
        RedisStore::connect(&redis_url().await, &random_prefix())
            .await
            .unwrap(),
    );
    let flaky = Arc::new(Flaky {
        failures_left: AtomicUsize::new(1),
        sent: std::sync::Mutex::new(Vec::new()),
    });
    let settings = bino::config::Settings::from_vars(Vec::new()).unwrap();
    let app = bino::app::App::build_with(settings, store, Some(flaky.clone()))
        .await
        .unwrap();
    let identity = bino::whatsapp::Identity {
        wa_id: Some(TRAVELLER.to_owned()),
        ..Default::default()
    };
    let input = bino::bot::Input::Text {
        body: "hi".to_owned(),
    };

    // The greeting could not be sent: the turn fails, so the inbox will retry it.
    let first = app
        .bot
        .run(TRAVELLER, Some(&identity), "wamid.CRASH-1", input.clone())
        .await;
    assert!(first.is_err());
    assert!(flaky.sent.lock().unwrap().is_empty());

    // The retry carries out the decided greeting; a third delivery does nothing more.
    for _ in 0..2 {
        app.bot
            .run(TRAVELLER, Some(&identity), "wamid.CRASH-1", input.clone())
            .await
            .unwrap();
    }
    let sent = flaky.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("Where are you going"), "{sent:?}");
    let conversation = app.bot.conversation(TRAVELLER).await.unwrap().unwrap();
    assert_eq!(conversation.stage, bino::bot::Stage::AskedDestination);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_over_the_search_limit_gets_a_polite_answer_instead_of_results() {
    let store: SharedStore = Arc::new(
        RedisStore::connect(&redis_url().await, &random_prefix())
            .await
            .unwrap(),
    );
    let recorder = Arc::new(Flaky {
        failures_left: AtomicUsize::new(0),
        sent: std::sync::Mutex::new(Vec::new()),
    });
    let settings =
        bino::config::Settings::from_vars(vec![("SEARCHES_PER_MINUTE".to_owned(), "2".to_owned())])
            .unwrap();
    let app = bino::app::App::build_with(settings, store, Some(recorder.clone()))
        .await
        .unwrap();
    let identity = bino::whatsapp::Identity {
        wa_id: Some(TRAVELLER.to_owned()),
        ..Default::default()
    };
    // The limit counts per clock minute: start well inside one, so all three searches
    // fall in the same window.
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 50 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(61 - second).unwrap())).await;
    }
    for (n, place) in ["Japan", "Italy", "Peru"].iter().enumerate() {
        app.bot
            .run(
                TRAVELLER,
                Some(&identity),
                &format!("wamid.LIMIT-{n}"),
                bino::bot::Input::Text {
                    body: (*place).to_owned(),
                },
            )
            .await
            .unwrap();
    }
    let sent = recorder.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(&sent[..2], ["list", "list"], "{sent:?}");
    assert!(sent[2].contains("wait a minute"), "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_shows_only_while_a_slow_answer_is_prepared_and_never_after_it() {
    let graph = graph_mock().await;
    let app = spawn_with_graph(&graph).await;
    let receipt_of = |calls: &[Value], id: &str| {
        calls
            .iter()
            .position(|call| call["status"] == "read" && call["message_id"] == id)
    };

    deliver_twice(&app, &delivery("wamid.TY-1", text_message("hi"))).await;
    wait_for_sent(&graph, "the greeting", |m| is_text_containing(m, "Bino")).await;
    deliver_twice(
        &app,
        &delivery("wamid.TY-2", text_message("Japan, 10 days")),
    )
    .await;
    wait_for_sent(&graph, "the plan list", |m| {
        m["interactive"]["type"] == "list"
    })
    .await;
    deliver_twice(&app, &delivery("wamid.TY-3", text_message("agent"))).await;
    wait_for_sent(&graph, "the hand-off", |m| is_text_containing(m, "person")).await;
    deliver_twice(&app, &delivery("wamid.TY-4", text_message("still there?"))).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while receipt_of(&message_calls(&graph).await, "wamid.TY-4").is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no read receipt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let calls = message_calls(&graph).await;
    let typing = |id: &str| {
        let at = receipt_of(&calls, id).expect("a read receipt");
        calls[at].get("typing_indicator").is_some()
    };
    assert!(
        !typing("wamid.TY-1"),
        "a quick answer needs no typing indicator"
    );
    assert!(typing("wamid.TY-2"), "a search shows typing");
    assert!(
        !typing("wamid.TY-4"),
        "no typing while a person has the chat"
    );
    let list_at = calls
        .iter()
        .position(|call| call["interactive"]["type"] == "list")
        .unwrap();
    assert!(
        receipt_of(&calls, "wamid.TY-2").unwrap() < list_at,
        "the typing indicator came after the answer: {calls:#?}"
    );
}
