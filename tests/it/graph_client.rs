//! The WhatsApp Graph API client against a mock of Meta: the JSON each kind of message
//! becomes, the media upload, read receipts, and what the client does with each class of
//! Meta's errors. No Redis and no server: only the client and the mock.

use std::time::{Duration, Instant};

use bino::whatsapp::Recipient;
use bino::whatsapp::graph::{ErrorClass, GraphClient, GraphConfig, GraphError};
use bino::whatsapp::message::{ButtonsMessage, ListMessage, Outbound, Row, TemplateMessage};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "test-graph-token-EAAG";
const PHONE_NUMBER_ID: &str = "106540352242922";
const MESSAGES_PATH: &str = "/v25.0/106540352242922/messages";
const MEDIA_PATH: &str = "/v25.0/106540352242922/media";
const TRAVELLER: &str = "15550001234";
const TRAVELLER_BSUID: &str = "US.13491208655302741918";
const WAMID: &str = "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA";

/// Pause after a pair rate limit in these tests: long enough to measure, short enough to wait.
const PAIR_PACING: Duration = Duration::from_millis(300);

/// A client of `server` with tiny backoffs and three attempts.
fn client_of(server: &MockServer) -> GraphClient {
    GraphClient::new(config_of(&server.uri())).expect("a valid config")
}

fn config_of(uri: &str) -> GraphConfig {
    let mut config = GraphConfig::new(format!("{uri}/v25.0"), TOKEN.into(), PHONE_NUMBER_ID);
    config.max_attempts = 3;
    config.min_backoff = Duration::from_millis(1);
    config.max_backoff = Duration::from_millis(5);
    config.pair_pacing = PAIR_PACING;
    config.timeout = Duration::from_secs(5);
    config
}

fn traveller() -> Recipient {
    Recipient::Phone(TRAVELLER.to_owned())
}

fn hello() -> Outbound {
    Outbound::text("Hello! Where are you travelling?").expect("a valid text")
}

/// Meta's answer to an accepted message, as its documentation shows it.
fn accepted() -> Value {
    json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": TRAVELLER, "wa_id": TRAVELLER}],
        "messages": [{"id": WAMID, "message_status": "accepted"}]
    })
}

/// Meta's error envelope for `code`.
fn meta_error(code: i64, title: &str, details: &str) -> Value {
    json!({"error": {
        "message": format!("(#{code}) {title}"),
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "error_subcode": 2494055,
        "fbtrace_id": "AazQ7h3nXK2bYw1Vt_dummy"
    }})
}

/// Meta accepts every message.
async fn mount_accepting(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(accepted()))
        .mount(server)
        .await;
}

/// Meta answers the next `times` messages with `status` and `body`.
async fn mount_failing(server: &MockServer, times: u64, status: u16, body: Value) {
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

/// The JSON bodies Meta received, in order.
async fn received_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
        .iter()
        .map(|request| request.body_json().expect("a json body"))
        .collect()
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// Sends `message` to `to` and returns the one body Meta received.
async fn sent_body(to: &Recipient, message: &Outbound) -> Value {
    let server = MockServer::start().await;
    mount_accepting(&server).await;
    let sent = client_of(&server)
        .send(to, message)
        .await
        .expect("meta accepts it");
    assert_eq!(sent.id, WAMID);
    let mut bodies = received_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    bodies.remove(0)
}

/// Sends a text to the traveller through `server` and returns the error.
async fn send_failure(server: &MockServer) -> GraphError {
    client_of(server)
        .send(&traveller(), &hello())
        .await
        .expect_err("meta refuses it")
}

// ---- messages ----

#[tokio::test]
async fn a_text_is_sent_to_a_phone_number_with_the_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(accepted()))
        .expect(1)
        .mount(&server)
        .await;

    let sent = client_of(&server)
        .send(&traveller(), &hello())
        .await
        .expect("accepted");

    assert_eq!(sent.id, WAMID);
    assert_eq!(sent.message_status.as_deref(), Some("accepted"));
    assert_eq!(
        received_bodies(&server).await,
        [json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TRAVELLER,
            "type": "text",
            "text": {"preview_url": false, "body": "Hello! Where are you travelling?"}
        })]
    );
}

#[tokio::test]
async fn a_traveller_known_only_by_user_id_is_addressed_in_the_recipient_field() {
    let body = sent_body(&Recipient::UserId(TRAVELLER_BSUID.to_owned()), &hello()).await;

    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": TRAVELLER_BSUID,
            "type": "text",
            "text": {"preview_url": false, "body": "Hello! Where are you travelling?"}
        })
    );
}

#[tokio::test]
async fn a_list_becomes_an_interactive_list() {
    let list = ListMessage::new("Which plan suits your trip?", "See plans")
        .header("Japan and Korea")
        .footer("Prices include taxes")
        .section(
            "Japan",
            [
                Row::new("plan:JC016", "1 GB, 7 days").description("USD 4.00"),
                Row::new("plan:JC017", "3 GB, 15 days"),
            ],
        )
        .section(
            "South Korea",
            [Row::new("plan:KR010", "5 GB, 30 days").description("USD 12.00")],
        )
        .build()
        .expect("a valid list");

    let body = sent_body(&traveller(), &list).await;

    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TRAVELLER,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "header": {"type": "text", "text": "Japan and Korea"},
                "body": {"text": "Which plan suits your trip?"},
                "footer": {"text": "Prices include taxes"},
                "action": {
                    "button": "See plans",
                    "sections": [
                        {"title": "Japan", "rows": [
                            {"id": "plan:JC016", "title": "1 GB, 7 days", "description": "USD 4.00"},
                            {"id": "plan:JC017", "title": "3 GB, 15 days"}
                        ]},
                        {"title": "South Korea", "rows": [
                            {"id": "plan:KR010", "title": "5 GB, 30 days", "description": "USD 12.00"}
                        ]}
                    ]
                }
            }
        })
    );
}

#[tokio::test]
async fn reply_buttons_become_interactive_buttons() {
    let buttons = ButtonsMessage::new("Pay USD 4.00 for Japan 1 GB, 7 days?")
        .header("Your plan")
        .footer("Secure payment by card")
        .button("pay:JC016", "Pay now")
        .button("plans", "Other plans")
        .build()
        .expect("valid buttons");

    let body = sent_body(&traveller(), &buttons).await;

    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TRAVELLER,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "header": {"type": "text", "text": "Your plan"},
                "body": {"text": "Pay USD 4.00 for Japan 1 GB, 7 days?"},
                "footer": {"text": "Secure payment by card"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "pay:JC016", "title": "Pay now"}},
                    {"type": "reply", "reply": {"id": "plans", "title": "Other plans"}}
                ]}
            }
        })
    );
}

#[tokio::test]
async fn an_image_is_sent_by_media_id_with_its_caption() {
    let image = Outbound::image("1037543291543636", Some("Scan this QR code to install"))
        .expect("a valid image");

    let body = sent_body(&traveller(), &image).await;

    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TRAVELLER,
            "type": "image",
            "image": {"id": "1037543291543636", "caption": "Scan this QR code to install"}
        })
    );
}

#[tokio::test]
async fn a_template_carries_its_body_and_button_parameters() {
    let template = TemplateMessage::new("esim_ready", "en_US")
        .body_text("Japan 1 GB")
        .body_text("7 days")
        .quick_reply(0, "install-help")
        .url_suffix(1, "orders/ord_123")
        .build()
        .expect("a valid template");

    let body = sent_body(&traveller(), &template).await;

    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": TRAVELLER,
            "type": "template",
            "template": {
                "name": "esim_ready",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Japan 1 GB"},
                        {"type": "text", "text": "7 days"}
                    ]},
                    {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [
                        {"type": "payload", "payload": "install-help"}
                    ]},
                    {"type": "button", "sub_type": "url", "index": "1", "parameters": [
                        {"type": "text", "text": "orders/ord_123"}
                    ]}
                ]
            }
        })
    );
}

// ---- media and read receipts ----

/// A PNG signature followed by a few bytes that are not valid UTF-8.
fn png_bytes() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0, 0, 0, 13, 0xff, 0xfe, 0x80, 0x81, 0x00, 0x42]);
    png
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn a_png_is_uploaded_as_multipart_and_its_media_id_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MEDIA_PATH))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1037543291543636"})))
        .expect(1)
        .mount(&server)
        .await;

    let media_id = client_of(&server)
        .upload_png(png_bytes(), "esim-qr.png")
        .await
        .expect("uploaded");

    assert_eq!(media_id, "1037543291543636");
    let requests = server.received_requests().await.expect("recorded");
    let upload = &requests[0];
    let content_type = upload.headers["content-type"].to_str().expect("ascii");
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = &upload.body;
    assert!(contains(
        body,
        b"Content-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"
    ));
    assert!(contains(
        body,
        b"Content-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n"
    ));
    assert!(contains(
        body,
        b"Content-Disposition: form-data; name=\"file\"; filename=\"esim-qr.png\"\r\nContent-Type: image/png\r\n\r\n"
    ));
    assert!(contains(body, &png_bytes()));
}

#[tokio::test]
async fn what_is_not_a_small_png_is_refused_before_uploading() {
    let server = MockServer::start().await;
    let client = client_of(&server);

    let not_png = client
        .upload_png(b"GIF89a".to_vec(), "a.gif")
        .await
        .expect_err("refused");
    let mut huge = png_bytes();
    huge.resize(5 * 1024 * 1024 + 1, 0);
    let too_big = client
        .upload_png(huge, "big.png")
        .await
        .expect_err("refused");

    assert_eq!(not_png.class, ErrorClass::FixRequest);
    assert_eq!(too_big.class, ErrorClass::FixRequest);
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn marking_read_can_also_show_the_typing_indicator() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(2)
        .mount(&server)
        .await;
    let client = client_of(&server);

    client.mark_read(WAMID, true).await.expect("marked");
    client.mark_read(WAMID, false).await.expect("marked");

    assert_eq!(
        received_bodies(&server).await,
        [
            json!({
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": WAMID,
                "typing_indicator": {"type": "text"}
            }),
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": WAMID}),
        ]
    );
}

// ---- errors and retries ----

#[tokio::test]
async fn a_throughput_limit_is_retried_until_meta_accepts() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        1,
        400,
        meta_error(
            130429,
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
        ),
    )
    .await;
    mount_accepting(&server).await;

    let sent = client_of(&server).send(&traveller(), &hello()).await;

    assert_eq!(sent.expect("accepted on the second attempt").id, WAMID);
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_server_error_is_retried_until_meta_accepts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream failure"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_accepting(&server).await;

    let sent = client_of(&server).send(&traveller(), &hello()).await;

    assert_eq!(sent.expect("accepted on the third attempt").id, WAMID);
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn a_pair_rate_limit_waits_the_pair_pacing_before_retrying() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        1,
        400,
        meta_error(
            131056,
            "(Business Account, Consumer Account) pair rate limit hit",
            "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
        ),
    )
    .await;
    mount_accepting(&server).await;
    let started = Instant::now();

    let sent = client_of(&server).send(&traveller(), &hello()).await;

    assert_eq!(sent.expect("accepted after the pause").id, WAMID);
    assert_eq!(request_count(&server).await, 2);
    assert!(
        started.elapsed() >= PAIR_PACING,
        "retried after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn after_a_pair_rate_limit_the_next_message_to_that_traveller_waits_too() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        1,
        400,
        meta_error(131056, "pair rate limit hit", "Too many messages."),
    )
    .await;
    mount_accepting(&server).await;
    let mut config = config_of(&server.uri());
    // One attempt only: the pause must come from the pacing, not from a retry.
    config.max_attempts = 1;
    let client = GraphClient::new(config).expect("a valid config");

    let limited = client.send(&traveller(), &hello()).await;
    let started = Instant::now();
    let other = Recipient::Phone("15550009876".to_owned());
    client.send(&other, &hello()).await.expect("not paced");
    let other_took = started.elapsed();
    client.send(&traveller(), &hello()).await.expect("paced");
    let traveller_took = started.elapsed();

    assert_eq!(
        limited.expect_err("limited").class,
        ErrorClass::PairRateLimited
    );
    assert!(other_took < PAIR_PACING, "{other_took:?}");
    assert!(
        traveller_took >= PAIR_PACING - Duration::from_millis(50),
        "{traveller_took:?}"
    );
}

#[tokio::test]
async fn an_expired_token_is_not_retried_and_needs_an_operator() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        10,
        401,
        json!({"error": {
            "message": "Error validating access token: Session has expired on Tuesday, 01-Dec-26 10:00:00 PST.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
            "fbtrace_id": "AazQ7h3nXK2bYw1Vt_dummy"
        }}),
    )
    .await;

    let error = send_failure(&server).await;

    assert_eq!(error.class, ErrorClass::AlertAndStop);
    assert_eq!(error.code, Some(190));
    assert_eq!(error.subcode, Some(463));
    assert_eq!(error.http_status, Some(401));
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn outside_the_24_hour_window_meta_asks_for_a_template() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        10,
        400,
        meta_error(
            131047,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
    )
    .await;

    let error = send_failure(&server).await;

    assert_eq!(error.class, ErrorClass::UseTemplate);
    assert_eq!(error.code, Some(131047));
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn an_undeliverable_message_is_never_retried() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        10,
        400,
        meta_error(
            131026,
            "Message undeliverable",
            "Unable to deliver message.",
        ),
    )
    .await;

    let error = send_failure(&server).await;

    assert_eq!(error.class, ErrorClass::NeverRetry);
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn an_invalid_parameter_asks_for_a_fixed_request() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        10,
        400,
        meta_error(
            100,
            "Invalid parameter",
            "Unexpected key \"colour\" on param.",
        ),
    )
    .await;

    let error = send_failure(&server).await;

    assert_eq!(error.class, ErrorClass::FixRequest);
    assert_eq!(error.code, Some(100));
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_missing_template_asks_for_a_fixed_request() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        10,
        404,
        meta_error(
            132001,
            "Template name does not exist in the translation",
            "template name (esim_ready) does not exist in en_US",
        ),
    )
    .await;
    let template = TemplateMessage::new("esim_ready", "en_US")
        .build()
        .expect("a valid template");

    let error = client_of(&server)
        .send(&traveller(), &template)
        .await
        .expect_err("refused");

    assert_eq!(error.class, ErrorClass::FixRequest);
    assert_eq!(error.code, Some(132001));
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn retries_stop_after_max_attempts_with_the_last_error() {
    let server = MockServer::start().await;
    mount_failing(
        &server,
        100,
        400,
        meta_error(
            130429,
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
        ),
    )
    .await;

    let error = send_failure(&server).await;

    assert_eq!(error.class, ErrorClass::Retry);
    assert_eq!(error.code, Some(130429));
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn a_malformed_success_answer_is_a_clear_error_and_not_resent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"messaging_product": "whatsapp", "contacts": []})),
        )
        .mount(&server)
        .await;

    let error = send_failure(&server).await;

    // Meta said 200: the message may well be on its way, so it is not sent again.
    assert_eq!(error.class, ErrorClass::Unconfirmed);
    assert_eq!(error.http_status, Some(200));
    assert_eq!(error.detail, "unexpected answer from the messages endpoint");
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_success_naming_no_message_is_unconfirmed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": TRAVELLER, "wa_id": TRAVELLER}],
            "messages": []
        })))
        .mount(&server)
        .await;

    let error = send_failure(&server).await;

    assert_eq!(error.class, ErrorClass::Unconfirmed);
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_send_that_times_out_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(accepted())
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let mut config = config_of(&server.uri());
    config.timeout = Duration::from_millis(200);
    let client = GraphClient::new(config).expect("a valid config");

    let error = client
        .send(&traveller(), &hello())
        .await
        .expect_err("timed out");

    assert_eq!(error.class, ErrorClass::Unconfirmed);
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_read_receipt_that_times_out_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true}))
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    let mut config = config_of(&server.uri());
    config.timeout = Duration::from_millis(200);
    let client = GraphClient::new(config).expect("a valid config");

    client.mark_read(WAMID, false).await.expect("marked");

    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_as_transient() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let client =
        GraphClient::new(config_of(&format!("http://127.0.0.1:{port}"))).expect("a valid config");

    let error = client
        .send(&traveller(), &hello())
        .await
        .expect_err("no server");

    assert_eq!(error.class, ErrorClass::Retry);
    assert_eq!(error.http_status, None);
}

#[tokio::test]
async fn errors_carry_neither_the_token_nor_the_traveller() {
    let server = MockServer::start().await;
    // A username-era BSUID may hold letters, so masking digits alone would not hide it.
    let user = "US.a1b2c3ALPHA1234567numeric";
    mount_failing(
        &server,
        10,
        400,
        meta_error(
            131009,
            "Parameter value is not valid",
            &format!("Recipient {user} or {TRAVELLER} is not valid for token {TOKEN}"),
        ),
    )
    .await;

    let error = client_of(&server)
        .send(&Recipient::UserId(user.to_owned()), &hello())
        .await
        .expect_err("refused");

    let shown = format!("{error} {error:?}");
    assert_eq!(error.class, ErrorClass::FixRequest);
    assert!(!shown.contains(user), "{shown}");
    assert!(!shown.contains("ALPHA"), "no part of it either: {shown}");
    assert!(!shown.contains(TRAVELLER), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("Parameter value is not valid"), "{shown}");
}
