//! Paying, receiving the eSIM and being looked after, through HTTP: signed WhatsApp
//! webhooks and Stripe events in; a Graph API mock and a Stripe mock out; the sandbox
//! supplier behind.

use std::collections::HashMap;
use std::time::Duration;

use bino::bot::Stage;
use bino::events::signature;
use bino::jobs::whatsapp::CustomerKeys;
use bino::orders::{OrderKind, OrderRecord, OrderStatus};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::app::{TestApp, WEBHOOK_TOKEN};
use crate::support::chat::{
    TRAVELLER, button_tap, deliver_twice, delivery, graph_mock, is_interactive_with,
    is_text_containing, row_tap, sent, spawn_with_graph_and, text_message, wait_for_sent,
};

const STRIPE_KEY: &str = "sk_test_51TestKey";
const STRIPE_WEBHOOK_SECRET: &str = "whsec_test_checkout";
const SESSION_ID: &str = "cs_test_a1B2c3D4e5";
const SESSION_URL: &str = "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4e5";
const ADMIN_KEY: &str = "test-admin-key";

/// A Stripe mock that opens one Checkout Session, shaped like Stripe's API reference.
async fn stripe_mock() -> MockServer {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(header("authorization", format!("Bearer {STRIPE_KEY}").as_str()))
        .respond_with(|request: &Request| {
            let form = form_of(request);
            ResponseTemplate::new(200).set_body_json(json!({
                "id": SESSION_ID,
                "object": "checkout.session",
                "amount_total": form["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap_or(0),
                "currency": "usd",
                "client_reference_id": form["client_reference_id"],
                "metadata": {
                    "binoTransactionId": form["metadata[binoTransactionId]"],
                    "binoReference": form["metadata[binoReference]"],
                },
                "expires_at": form["expires_at"].parse::<i64>().unwrap_or(0),
                "mode": "payment",
                "payment_status": "unpaid",
                "status": "open",
                "url": SESSION_URL,
            }))
        })
        .mount(&stripe)
        .await;
    stripe
}

fn form_of(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

async fn spawn_paying(graph: &MockServer, stripe: &MockServer) -> TestApp {
    let stripe_url = stripe.uri();
    spawn_with_graph_and(
        graph,
        &[
            ("PAYMENTS", "stripe"),
            ("STRIPE_SECRET_KEY", STRIPE_KEY),
            ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
            ("STRIPE_BASE_URL", stripe_url.as_str()),
            ("PUBLIC_URL", "https://bino.example"),
            ("ADMIN_KEY", ADMIN_KEY),
        ],
    )
    .await
}

/// Says hi, names Japan, picks the first plan and taps Buy; returns the summary's Buy id.
async fn choose_and_buy(app: &TestApp, graph: &MockServer, prefix: &str) {
    let say = |n: u32, message: Value| delivery(&format!("wamid.{prefix}-{n}"), message);
    deliver_twice(app, &say(1, text_message("hi"))).await;
    let body = text_message("Japan, 10 days");
    deliver_twice(app, &say(2, body)).await;
    let list = wait_for_sent(graph, "the plan list", |m| {
        m["interactive"]["type"] == "list"
    })
    .await;
    let row = &list["interactive"]["action"]["sections"][0]["rows"][0];
    deliver_twice(app, &say(3, row_tap(row))).await;
    let summary = wait_for_sent(graph, "the summary", |m| {
        m["interactive"]["type"] == "button"
    })
    .await;
    let buy = &summary["interactive"]["action"]["buttons"][0];
    deliver_twice(app, &say(4, button_tap(buy))).await;
}

/// The order the conversation is at (placing, paying for or preparing it).
async fn current_order(app: &TestApp) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(conversation) = app.app.bot.conversation(TRAVELLER).await.unwrap()
            && let Some(order_id) = conversation.orders.last()
        {
            return order_id.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no order");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn chat_order(app: &TestApp, order_id: &str) -> OrderRecord {
    app.app
        .orders
        .get(&bino::bot::order_owner(TRAVELLER), order_id)
        .await
        .expect("the order exists")
}

async fn order_status(app: &TestApp, order_id: &str) -> OrderStatus {
    chat_order(app, order_id).await.status
}

async fn wait_for_status(app: &TestApp, order_id: &str, wanted: OrderStatus) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while order_status(app, order_id).await != wanted {
        assert!(
            tokio::time::Instant::now() < deadline,
            "order never reached {wanted:?}: {:?}",
            order_status(app, order_id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Stripe event about the session, as Stripe posts it.
fn stripe_event(event_id: &str, kind: &str, session_form: &HashMap<String, String>) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": chrono::Utc::now().timestamp(),
        "type": kind,
        "livemode": false,
        "pending_webhooks": 1,
        "data": {"object": {
            "id": SESSION_ID,
            "object": "checkout.session",
            "amount_total": session_form["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap(),
            "currency": "usd",
            "client_reference_id": session_form["client_reference_id"],
            "customer_details": {"email": "traveller@example.com", "name": "Test Traveller"},
            "metadata": {"binoTransactionId": session_form["metadata[binoTransactionId]"]},
            "mode": "payment",
            "payment_intent": "pi_3TestIntent0001",
            "payment_status": if kind == "checkout.session.completed" { "paid" } else { "unpaid" },
            "status": if kind == "checkout.session.completed" { "complete" } else { "expired" },
        }}
    })
    .to_string()
}

async fn post_stripe(app: &TestApp, body: &str, signature: Option<String>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/payments/stripe/webhook"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn signed_now(body: &str) -> String {
    signature::sign(
        STRIPE_WEBHOOK_SECRET.as_bytes(),
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    )
}

/// The one session Bino opened at the Stripe mock, as a form.
async fn session_form(stripe: &MockServer) -> HashMap<String, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let requests = stripe.received_requests().await.unwrap_or_default();
        if let Some(request) = requests.first() {
            assert_eq!(requests.len(), 1, "one session per order");
            return form_of(request);
        }
        assert!(tokio::time::Instant::now() < deadline, "no session opened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The PNG inside the multipart upload of the QR code.
fn uploaded_png(graph_requests: &[Request]) -> Vec<u8> {
    let upload = graph_requests
        .iter()
        .find(|request| request.url.path().ends_with("/media"))
        .expect("a media upload");
    let body = &upload.body;
    let start = body
        .windows(4)
        .position(|window| window == b"\x89PNG")
        .expect("a PNG in the upload");
    let end = body
        .windows(8)
        .rposition(|window| &window[4..] == b"IEND")
        .expect("the PNG's end")
        + 12;
    body[start..end].to_vec()
}

fn decode_qr(png: &[u8]) -> String {
    let image = image::load_from_memory(png)
        .expect("the upload is an image")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_stripe_the_supplier_is_ordered_once_and_only_after_a_signed_payment() {
    let graph = graph_mock().await;
    let stripe = stripe_mock().await;
    let app = spawn_paying(&graph, &stripe).await;
    let balance_before = app.app.supplier.balance().await.unwrap();

    choose_and_buy(&app, &graph, "PAY").await;

    let link = wait_for_sent(&graph, "the payment link", |m| {
        is_text_containing(m, SESSION_URL)
    })
    .await;
    assert_eq!(link["to"], TRAVELLER);
    let form = session_form(&stripe).await;
    let order_id = current_order(&app).await;
    assert_eq!(form["mode"], "payment");
    assert_eq!(form["line_items[0][price_data][currency]"], "usd");
    assert_eq!(form["metadata[binoTransactionId]"], order_id);
    assert_eq!(form["success_url"], "https://bino.example/payments/done");
    assert!(
        !form.values().any(|value| value.contains(TRAVELLER)),
        "no phone number at Stripe: {form:?}"
    );
    let record = chat_order(&app, &order_id).await;
    assert_eq!(
        form["line_items[0][price_data][unit_amount]"],
        record.total_price.cents().unwrap().to_string()
    );

    // Nothing is ordered while the payment is outstanding (the sandbox would allocate in
    // 300 ms).
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        order_status(&app, &order_id).await,
        OrderStatus::AwaitingPayment
    );
    assert_eq!(app.app.supplier.balance().await.unwrap(), balance_before);

    // Forged, stale and unsigned events are refused and change nothing.
    let paid = stripe_event("evt_1PaidTest0001", "checkout.session.completed", &form);
    let forged = signature::sign(
        b"whsec_someone_else",
        chrono::Utc::now().timestamp(),
        paid.as_bytes(),
    );
    let stale = signature::sign(
        STRIPE_WEBHOOK_SECRET.as_bytes(),
        chrono::Utc::now().timestamp() - 600,
        paid.as_bytes(),
    );
    for signature in [
        Some(forged),
        Some(stale),
        None,
        Some("t=1,v1=zz".to_owned()),
    ] {
        let (status, body) = post_stripe(&app, &paid, signature).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "invalid_signature");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        order_status(&app, &order_id).await,
        OrderStatus::AwaitingPayment
    );

    // The real event, delivered twice, and a second event for the same payment.
    for _ in 0..2 {
        let (status, body) = post_stripe(&app, &paid, Some(signed_now(&paid))).await;
        assert_eq!(status, 200, "{body}");
    }
    let again = stripe_event("evt_1PaidTest0002", "checkout.session.completed", &form);
    let (status, _) = post_stripe(&app, &again, Some(signed_now(&again))).await;
    assert_eq!(status, 200);

    wait_for_sent(&graph, "the payment confirmation", |m| {
        is_text_containing(m, "Payment received")
    })
    .await;
    wait_for_sent(&graph, "the QR code", |m| m["type"] == "image").await;
    let string = wait_for_sent(&graph, "the activation string", |m| {
        is_text_containing(m, "LPA:1$")
    })
    .await;
    wait_for_status(&app, &order_id, OrderStatus::Delivered).await;

    // The image went before the text, and the QR code holds the activation string.
    let all = sent(&graph).await;
    let image_at = all.iter().position(|m| m["type"] == "image").unwrap();
    let string_at = all
        .iter()
        .position(|m| is_text_containing(m, "LPA:1$"))
        .unwrap();
    assert!(image_at < string_at, "{all:#?}");
    let activation_code = string["text"]["body"]
        .as_str()
        .unwrap()
        .lines()
        .find(|line| line.starts_with("LPA:1$"))
        .unwrap()
        .to_owned();
    let png = uploaded_png(&graph.received_requests().await.unwrap());
    assert!(png.len() <= 50 * 1024, "{} bytes", png.len());
    assert_eq!(decode_qr(&png), activation_code);

    // One payment, one order: the supplier charged once, one QR code sent.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let record = chat_order(&app, &order_id).await;
    let cost = record.items[0].unit_cost;
    assert_eq!(
        app.app.supplier.balance().await.unwrap().units(),
        balance_before.units() - cost.units()
    );
    let all = sent(&graph).await;
    assert_eq!(all.iter().filter(|m| m["type"] == "image").count(), 1);
    assert_eq!(
        record.payment.unwrap().payment_ref.as_deref(),
        Some("pi_3TestIntent0001")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_payment_link_cancels_the_order_and_offers_the_plan_again() {
    let graph = graph_mock().await;
    let stripe = stripe_mock().await;
    let app = spawn_paying(&graph, &stripe).await;
    choose_and_buy(&app, &graph, "EXP").await;
    wait_for_sent(&graph, "the payment link", |m| {
        is_text_containing(m, SESSION_URL)
    })
    .await;
    let form = session_form(&stripe).await;
    let order_id = current_order(&app).await;

    let expired = stripe_event("evt_1ExpiredTest01", "checkout.session.expired", &form);
    let (status, _) = post_stripe(&app, &expired, Some(signed_now(&expired))).await;
    assert_eq!(status, 200);

    wait_for_sent(&graph, "the expiry notice", |m| {
        is_text_containing(m, "expired")
    })
    .await;
    wait_for_status(&app, &order_id, OrderStatus::Cancelled).await;
    let summaries = || async {
        sent(&graph)
            .await
            .into_iter()
            .filter(|m| m["interactive"]["type"] == "button")
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while summaries().await < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the plan was not offered again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A payment that arrives after all is owed back, never ordered.
    let late = stripe_event("evt_1LatePaid0001", "checkout.session.completed", &form);
    let (status, _) = post_stripe(&app, &late, Some(signed_now(&late))).await;
    assert_eq!(status, 200);
    wait_for_status(&app, &order_id, OrderStatus::RefundNeeded).await;
    let refunds = app
        .app
        .store
        .stream_len(bino::orders::REFUNDS_STREAM)
        .await
        .unwrap();
    assert_eq!(refunds, 1);

    // The operator finds it, with what to refund.
    let (_, listed) = app
        .send(Method::GET, "/admin/refunds", Some(ADMIN_KEY), None)
        .await;
    let refund = &listed["refunds"][0];
    assert_eq!(refund["binoTransactionId"], order_id.as_str());
    assert_eq!(refund["status"], "REFUND_NEEDED");
    assert_eq!(refund["provider"], "stripe");
    assert_eq!(refund["paymentRef"], "pi_3TestIntent0001");
    assert_eq!(refund["problem"], "paid_late");
    assert_eq!(refund["paidCurrency"], "usd");
    assert_eq!(refund["amountPaid"], refund["totalPrice"]);
    assert!(!listed.to_string().contains(TRAVELLER), "{listed}");
    let after = refund["entryId"].as_str().unwrap();
    let next = format!("/admin/refunds?after={after}");
    let (_, next) = app.send(Method::GET, &next, Some(ADMIN_KEY), None).await;
    assert_eq!(next["refunds"], json!([]));
    let bad = "/admin/refunds?after=yesterday";
    assert_eq!(
        app.send(Method::GET, bad, Some(ADMIN_KEY), None).await.0,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_webhook_without_payments_configured_is_refused_and_bad_bodies_get_400() {
    let graph = graph_mock().await;
    let plain = spawn_with_graph_and(&graph, &[]).await;
    let (status, body) = post_stripe(&plain, "{}", Some(signed_now("{}"))).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("payments_disabled"))
    );

    let stripe = stripe_mock().await;
    let app = spawn_paying(&graph, &stripe).await;
    for body in [
        "not json",
        "[]",
        r#"{"type": "checkout.session.completed"}"#,
    ] {
        let (status, answer) = post_stripe(&app, body, Some(signed_now(body))).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_event");
    }
    let done = app
        .client
        .get(app.url("/payments/done"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("WhatsApp"));
}

/// Buys at once (no payments configured) and waits for the eSIM; returns the order id.
async fn bought_esim(app: &TestApp, graph: &MockServer, prefix: &str) -> String {
    choose_and_buy(app, graph, prefix).await;
    wait_for_sent(graph, "the activation string", |m| {
        is_text_containing(m, "LPA:1$")
    })
    .await;
    let order_id = current_order(app).await;
    wait_for_status(app, &order_id, OrderStatus::Delivered).await;
    order_id
}

async fn supplier_event(app: &TestApp, body: Value) {
    let (status, answer) = app
        .post_supplier_event(WEBHOOK_TOKEN, &body.to_string())
        .await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_got_resource_sends_the_qr_code_once() {
    let graph = graph_mock().await;
    let app = spawn_with_graph_and(&graph, &[]).await;
    let order_id = bought_esim(&app, &graph, "DUP").await;
    let record = chat_order(&app, &order_id).await;
    let order_no = record.provider_order_reference.unwrap();

    for notify_id in ["notify-dup-1", "notify-dup-2"] {
        supplier_event(
            &app,
            json!({"notifyType": "ORDER_STATUS", "notifyId": notify_id,
                "content": {"orderNo": order_no, "orderStatus": "GOT_RESOURCE"}}),
        )
        .await;
    }

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = sent(&graph).await;
    assert_eq!(
        all.iter().filter(|m| m["type"] == "image").count(),
        1,
        "{all:#?}"
    );
    assert_eq!(
        all.iter()
            .filter(|m| is_text_containing(m, "LPA:1$"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_data_offers_a_top_up_and_the_tap_tops_up_the_same_esim() {
    let graph = graph_mock().await;
    let app = spawn_with_graph_and(&graph, &[]).await;
    let order_id = bought_esim(&app, &graph, "TOP").await;
    let record = chat_order(&app, &order_id).await;
    let profile = record.profiles[0].clone();
    let total = profile.total_volume_bytes.max(1 << 30);

    supplier_event(
        &app,
        json!({"notifyType": "DATA_USAGE", "notifyId": "notify-usage-90",
            "content": {"orderNo": record.provider_order_reference, "esimTranNo": profile.esim_tran_no,
                "iccid": profile.iccid, "totalVolume": total, "orderUsage": total / 10 * 9,
                "remain": total / 10, "remainThreshold": 0.1}}),
    )
    .await;

    let offer = wait_for_sent(&graph, "the top-up offer", |m| {
        is_interactive_with(m, "button", "left")
    })
    .await;
    let top_up = &offer["interactive"]["action"]["buttons"][0];
    assert_eq!(top_up["reply"]["title"], "Top up");
    deliver_twice(&app, &delivery("wamid.TOP-5", button_tap(top_up))).await;

    let list = wait_for_sent(&graph, "the top-up plans", |m| {
        is_interactive_with(m, "list", "Top-ups")
    })
    .await;
    let row = &list["interactive"]["action"]["sections"][0]["rows"][0];
    deliver_twice(&app, &delivery("wamid.TOP-6", row_tap(row))).await;
    let summary = wait_for_sent(&graph, "the top-up summary", |m| {
        is_interactive_with(m, "button", "current eSIM")
    })
    .await;
    let buy = &summary["interactive"]["action"]["buttons"][0];
    deliver_twice(&app, &delivery("wamid.TOP-7", button_tap(buy))).await;

    wait_for_sent(&graph, "the top-up confirmation", |m| {
        is_text_containing(m, "was added to your eSIM")
    })
    .await;
    let top_up_id = current_order(&app).await;
    assert_ne!(top_up_id, order_id);
    let top_up = chat_order(&app, &top_up_id).await;
    assert_eq!(top_up.kind, OrderKind::TopUp);
    assert_eq!(top_up.status, OrderStatus::ToppedUp);
    assert_eq!(
        top_up.items[0].esim_tran_no.as_deref(),
        Some(profile.esim_tran_no.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_esim_ready_after_the_window_closed_is_announced_by_template_and_sent_on_reply() {
    let graph = graph_mock().await;
    let app = spawn_with_graph_and(
        &graph,
        &[
            ("SANDBOX_ALLOCATION_DELAY_MS", "2500"),
            ("TEMPLATE_ESIM_READY", "bino_esim_ready"),
        ],
    )
    .await;
    choose_and_buy(&app, &graph, "WIN").await;
    wait_for_sent(&graph, "the order confirmation", |m| {
        is_text_containing(m, "preparing")
    })
    .await;

    // The traveller's last message is now more than a day old.
    let keys = CustomerKeys::new(TRAVELLER);
    let day_ago = chrono::Utc::now().timestamp() - 25 * 3600;
    app.app
        .store
        .set(&keys.last_inbound(), day_ago.to_string().as_bytes(), None)
        .await
        .unwrap();

    let template = wait_for_sent(&graph, "the template", |m| m["type"] == "template").await;
    assert_eq!(template["template"]["name"], "bino_esim_ready");
    assert_eq!(template["template"]["language"]["code"], "en");
    assert!(sent(&graph).await.iter().all(|m| m["type"] != "image"));

    let reply = text_message("ok, send it");
    deliver_twice(&app, &delivery("wamid.WIN-5", reply)).await;
    wait_for_sent(&graph, "the QR code", |m| m["type"] == "image").await;
    wait_for_sent(&graph, "the activation string", |m| {
        is_text_containing(m, "LPA:1$")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_releases_a_conversation_handed_to_a_person() {
    let graph = graph_mock().await;
    let app = spawn_with_graph_and(&graph, &[("ADMIN_KEY", ADMIN_KEY)]).await;
    let release = |key: Option<&'static str>, customer: &'static str| {
        let path = format!("/admin/conversations/{customer}/release");
        let app = &app;
        async move { app.send(Method::POST, &path, key, None).await }
    };

    deliver_twice(&app, &delivery("wamid.AG-1", text_message("hi"))).await;
    wait_for_sent(&graph, "the greeting", |m| is_text_containing(m, "Bino")).await;
    let (status, body) = release(Some(ADMIN_KEY), TRAVELLER).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (409, json!("not_with_agent"))
    );

    deliver_twice(&app, &delivery("wamid.AG-2", text_message("agent"))).await;
    wait_for_sent(&graph, "the hand-off", |m| is_text_containing(m, "person")).await;
    deliver_twice(
        &app,
        &delivery("wamid.AG-3", text_message("is anyone there")),
    )
    .await;

    assert_eq!(release(None, TRAVELLER).await.0, 401);
    assert_eq!(release(Some("wrong"), TRAVELLER).await.0, 401);
    assert_eq!(release(Some(ADMIN_KEY), "15550009876").await.0, 404);
    let (status, body) = release(Some(ADMIN_KEY), "+1 555-000-1234").await;
    assert_eq!(status, 202, "{body}");

    wait_for_sent(&graph, "the bot back", |m| {
        is_text_containing(m, "I'm back")
    })
    .await;
    let conversation = app.app.bot.conversation(TRAVELLER).await.unwrap().unwrap();
    assert_eq!(conversation.stage, Stage::AskedDestination);
    // The message written while a person had the chat got no answer from the bot.
    let all = sent(&graph).await;
    assert_eq!(all.len(), 3, "greeting, hand-off, back: {all:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_esims_and_usage_show_the_bought_esim_with_the_suppliers_figures() {
    let graph = graph_mock().await;
    let app = spawn_with_graph_and(&graph, &[]).await;
    bought_esim(&app, &graph, "USE").await;

    let mine = text_message("my esims");
    deliver_twice(&app, &delivery("wamid.USE-5", mine)).await;
    let listed = wait_for_sent(&graph, "my eSIMs", |m| is_text_containing(m, "Your eSIMs")).await;
    assert!(
        listed["text"]["body"]
            .as_str()
            .unwrap()
            .contains("ready to install"),
        "{listed:#}"
    );

    let usage = text_message("usage");
    deliver_twice(&app, &delivery("wamid.USE-6", usage)).await;
    let shown = wait_for_sent(&graph, "the usage", |m| {
        is_text_containing(m, "Your eSIMs") && !is_text_containing(m, "ready to install")
    })
    .await;
    let body = shown["text"]["body"].as_str().unwrap();
    assert!(body.contains(" of ") && body.contains(" left"), "{body}");
}
