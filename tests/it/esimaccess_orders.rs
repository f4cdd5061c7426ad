//! Orders and supplier events end to end against an eSIM Access mock speaking its wire format.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::{API_KEY, TestApp, WEBHOOK_TOKEN, assert_error, spawn_app_with};

/// The transactionId the supplier sees for the test key's order `id`.
fn transaction_id(id: &str) -> String {
    bino::orders::supplier_transaction_id(&bino::telemetry::hash_id(API_KEY), id)
}

const PACKAGE: &str = "JC016";
const ORDER_NO: &str = "B26120300000101";

/// A package list as eSIM Access answers it: one Japanese 1 GB plan.
fn package_list() -> Value {
    json!({
        "errorCode": null, "errorMsg": null, "success": true,
        "obj": {"packageList": [{
            "packageCode": PACKAGE, "slug": "JP_1_7", "name": "Japan 1GB 7Days", "price": 20000,
            "currencyCode": "USD", "volume": 1073741824u64, "smsStatus": 0, "dataType": 1,
            "unusedValidTime": 180, "duration": 7, "durationUnit": "DAY", "location": "JP",
            "description": "Japan 1GB 7Days", "activeType": 2, "favorite": false,
            "retailPrice": 40000, "speed": "4G/5G", "ipExport": "JP", "supportTopUpType": 2,
            "locationNetworkList": [{"locationName": "Japan", "locationLogo": "/img/flags/jp.png",
                "locationCode": "JP", "operatorList": [{"operatorName": "Test Mobile", "networkType": "5G"}]}]
        }]}
    })
}

/// A profile query answer for one allocated profile.
fn allocated_profiles() -> Value {
    json!({
        "success": true, "errorCode": "0", "errorMsg": null,
        "obj": {
            "esimList": [{
                "esimTranNo": "26120300000102", "orderNo": ORDER_NO, "transactionId": "order-ea-1",
                "imsi": "", "iccid": "8944000000000000017", "smsStatus": 0, "msisdn": "",
                "ac": "LPA:1$rsp.test.example$0123456789ABCDEF0123456789ABCDEF",
                "qrCodeUrl": "https://qr.test.example/0123456789.png", "shortUrl": "https://qr.test.example/0123456789",
                "smdpStatus": "RELEASED", "eid": "", "activeType": 2, "dataType": 1, "activateTime": null,
                "expiredTime": "2027-06-01T10:00:00+0000", "totalVolume": 1073741824u64, "totalDuration": 7,
                "durationUnit": "DAY", "orderUsage": 0, "esimStatus": "GOT_RESOURCE", "pin": "", "puk": "", "apn": "",
                "packageList": [{"packageName": "Japan 1GB 7Days", "packageCode": PACKAGE, "slug": "JP_1_7",
                    "duration": 7, "volume": 1073741824u64, "locationCode": "JP", "createTime": "2026-12-03T10:00:00+0000"}]
            }],
            "pager": {"pageSize": 50, "pageNum": 1, "total": 1}
        }
    })
}

fn not_allocated_yet() -> Value {
    json!({"success": false, "errorCode": "200010", "errorMsg": "Profile is being downloaded for the order.", "obj": null})
}

fn order_accepted() -> Value {
    json!({"errorCode": null, "errorMsg": null, "success": true,
        "obj": {"orderNo": ORDER_NO, "transactionId": "order-ea-1"}})
}

async fn supplier_mock() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/package/list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(package_list()))
        .mount(&server)
        .await;
    mount_balance(&server).await;
    server
}

/// The balance call that readiness makes.
async fn mount_balance(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/v1/open/balance/query"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"success": true, "errorCode": "0", "obj": {"balance": 940000}}),
            ),
        )
        .mount(server)
        .await;
}

/// The supplier accepts any order with [`ORDER_NO`].
async fn mount_order_accepted(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order_accepted()))
        .mount(server)
        .await;
}

/// The supplier refuses one order for want of balance, and must be asked only once.
async fn mount_order_refused_once(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false, "errorCode": "200007", "errorMsg": "Insufficient account balance", "obj": null
        })))
        .expect(1)
        .mount(server)
        .await;
}

async fn app_against(server: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let uri = server.uri();
    let mut settings = vec![
        ("SUPPLIER", "esimaccess"),
        ("ESIMACCESS_BASE_URL", uri.as_str()),
        ("ESIMACCESS_ACCESS_CODE", "test-access-code"),
        ("ESIMACCESS_SECRET_KEY", "test-secret-key"),
    ];
    settings.extend_from_slice(extra);
    spawn_app_with(&settings).await
}

fn order_body(id: &str) -> Value {
    json!({"binoTransactionId": id, "items": [{"packageCode": PACKAGE, "quantity": 1}]})
}

#[tokio::test]
async fn ten_identical_orders_sent_at_once_make_one_supplier_order() {
    let server = supplier_mock().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .and(body_partial_json(
            json!({"transactionId": transaction_id("order-ea-1"), "amount": 20000}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(order_accepted())
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let app = app_against(&server, &[]).await;

    let requests = (0..10).map(|_| app.order(order_body("order-ea-1")));
    let answers = futures::future::join_all(requests).await;

    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["providerOrderReference"], ORDER_NO);
        assert_eq!(body["status"], "SUBMITTED");
        assert_eq!(body["totalPrice"], "2.40");
    }
    server.verify().await;
}

#[tokio::test]
async fn a_supplier_error_then_success_is_retried_with_the_same_transaction_id() {
    let server = supplier_mock().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .and(body_partial_json(
            json!({"transactionId": transaction_id("order-ea-1")}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(order_accepted()))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_against(&server, &[]).await;

    let (status, body) = app.order(order_body("order-ea-1")).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["providerOrderReference"], ORDER_NO);
    server.verify().await;
}

/// The supplier takes the order but answers after Bino stopped waiting, twice. eSIM Access
/// treats a repeated `transactionId` as the same request, so every attempt must carry the
/// same one: then however many calls it took, there is one order.
#[tokio::test]
async fn an_order_the_supplier_answers_too_late_is_retried_with_the_same_transaction_id() {
    let server = supplier_mock().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(order_accepted())
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    mount_order_accepted(&server).await;
    let app = app_against(&server, &[("ESIMACCESS_TIMEOUT_MS", "300")]).await;

    let (status, body) = app.order(order_body("order-ea-1")).await;
    let (again, repeated) = app.order(order_body("order-ea-1")).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["providerOrderReference"], ORDER_NO);
    assert_eq!(again, 200, "{repeated}");
    assert_eq!(repeated["providerOrderReference"], ORDER_NO);
    let sent: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == "/api/v1/open/esim/order")
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect();
    assert_eq!(
        sent.len(),
        3,
        "two late answers, then one in time: {sent:?}"
    );
    assert!(
        sent.iter()
            .all(|order| order["transactionId"] == transaction_id("order-ea-1")),
        "{sent:?}"
    );
    server.verify().await;
}

#[tokio::test]
async fn a_refused_order_is_refused_again_on_retry_without_the_suppliers_words() {
    let server = supplier_mock().await;
    mount_order_refused_once(&server).await;
    let app = app_against(&server, &[]).await;

    let refused = app.order(order_body("order-ea-1")).await;
    let again = app.order(order_body("order-ea-1")).await;

    let message = assert_error(&refused, 502, "supplier_rejected");
    assert!(message.contains("200007"), "{message}");
    assert!(
        !message.contains("balance"),
        "the supplier's words stay private: {message}"
    );
    let repeated = assert_error(&again, 502, "supplier_rejected");
    assert_eq!(repeated, message, "a retry gets the same answer");
    server.verify().await;
}

#[tokio::test]
async fn got_resource_fetches_the_profile_once_even_when_the_event_is_repeated() {
    let server = supplier_mock().await;
    mount_order_accepted(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(not_allocated_yet()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/query"))
        .and(body_partial_json(
            json!({"orderNo": ORDER_NO, "pager": {"pageNum": 1}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(allocated_profiles()))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_against(&server, &[]).await;
    app.order(order_body("order-ea-1")).await;
    let event = format!(
        r#"{{"notifyType":"ORDER_STATUS","notifyId":"n-0001","eventGenerateTime":"2026-12-03T10:00:05+0000","content":{{"orderNo":"{ORDER_NO}","orderStatus":"GOT_RESOURCE"}}}}"#
    );

    let first = app.post_supplier_event(WEBHOOK_TOKEN, &event).await;
    let second = app.post_supplier_event(WEBHOOK_TOKEN, &event).await;

    assert_eq!(first.0, 200);
    assert_eq!(second.0, 200);
    let order = app
        .wait_for_order("order-ea-1", Duration::from_secs(10), |o| {
            o["status"] == "ALLOCATED"
        })
        .await;
    let profile = &order["profiles"][0];
    assert_eq!(profile["iccid"], "8944000000000000017");
    assert_eq!(
        profile["activationCode"],
        "LPA:1$rsp.test.example$0123456789ABCDEF0123456789ABCDEF"
    );
    assert_eq!(
        profile["qrCodeUrl"],
        "https://qr.test.example/0123456789.png"
    );
    // Give a wrongly repeated handling time to show up before counting calls.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.verify().await;
}

#[tokio::test]
async fn without_got_resource_the_worker_polls_the_supplier_for_profiles() {
    let server = supplier_mock().await;
    mount_order_accepted(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(allocated_profiles()))
        .mount(&server)
        .await;
    let app = app_against(&server, &[("ALLOCATION_POLL_AFTER_SECS", "1")]).await;

    app.order(order_body("order-ea-1")).await;

    let order = app
        .wait_for_order("order-ea-1", Duration::from_secs(15), |o| {
            o["status"] == "ALLOCATED"
        })
        .await;
    assert_eq!(order["profiles"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn supplier_webhooks_need_the_token_and_a_json_event() {
    let server = supplier_mock().await;
    let app = app_against(&server, &[]).await;
    let event = r#"{"notifyType":"ESIM_STATUS","notifyId":"n-2","content":{"esimTranNo":"1","esimStatus":"IN_USE"}}"#;

    let missing = app
        .client
        .post(app.url("/esim/webhook"))
        .body(event)
        .send()
        .await
        .unwrap();
    let wrong = app.post_supplier_event("wrong-token", event).await;
    let garbage = app.post_supplier_event(WEBHOOK_TOKEN, "{not json").await;
    let untyped = app
        .post_supplier_event(WEBHOOK_TOKEN, r#"{"content":{}}"#)
        .await;
    let health = app
        .post_supplier_event(WEBHOOK_TOKEN, r#"{"notifyType":"CHECK_HEALTH","content":{"orderNo":"1234567890","orderStatus":"Test"}}"#)
        .await;
    let unknown = app
        .post_supplier_event(
            WEBHOOK_TOKEN,
            r#"{"notifyType":"SOMETHING_NEW","content":{}}"#,
        )
        .await;

    assert_eq!(missing.status(), 401);
    assert_error(&wrong, 401, "unauthorized");
    assert_error(&garbage, 400, "invalid_event");
    assert_error(&untyped, 400, "invalid_event");
    assert_eq!(health.0, 200);
    assert_eq!(unknown.0, 200);
    // The health check is answered without being stored; the unknown type is stored.
    let stored = app
        .app
        .store
        .stream_len(bino::jobs::supplier_events::INBOX)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn a_stale_catalog_is_served_at_once_and_refreshed_once_in_the_background() {
    let server = MockServer::start().await;
    mount_balance(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/package/list"))
        .and(body_partial_json(json!({"locationCode": "JP"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(package_list()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    // The refresh: a slow supplier that no search may wait for, asked only once.
    Mock::given(method("POST"))
        .and(path("/api/v1/open/package/list"))
        .and(body_partial_json(json!({"locationCode": "JP"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(package_list())
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/package/list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true, "obj": {"packageList": []}})),
        )
        .mount(&server)
        .await;
    let app = app_against(&server, &[("CATALOG_TTL_SECS", "1")]).await;
    let (status, first) = app.search(json!({"locationCode": "JP"})).await;
    assert_eq!(status, 200, "{first}");
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    let started = tokio::time::Instant::now();
    let searches = (0..5).map(|_| app.search(json!({"locationCode": "JP"})));
    let answers = futures::future::join_all(searches).await;
    let waited = started.elapsed();

    assert!(
        waited < Duration::from_secs(2),
        "searches waited {waited:?} for the supplier"
    );
    for (status, body) in answers {
        assert_eq!(status, 200);
        assert_eq!(body["plans"], first["plans"]);
    }
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    server.verify().await;
}

/// A chat order awaiting payment, as the bot records it before opening the payment page.
async fn reserved_chat_order(app: &TestApp, id: &str) -> bino::orders::OrderRecord {
    app.app
        .orders
        .reserve(
            &bino::bot::order_owner("15550001234"),
            bino::orders::OrderRequest {
                bino_transaction_id: id.to_owned(),
                items: vec![bino::orders::OrderItemRequest {
                    package_code: PACKAGE.to_owned(),
                    quantity: 1,
                    esim_tran_no: None,
                    period_days: None,
                }],
            },
        )
        .await
        .expect("the order is recorded")
}

fn paid_in_full(record: &bino::orders::OrderRecord) -> bino::payments::PaidAmount {
    bino::payments::PaidAmount {
        cents: record.total_price.cents(),
        currency: Some("usd".to_owned()),
    }
}

#[tokio::test]
async fn a_paid_order_the_supplier_refuses_is_kept_for_a_refund_and_ordered_only_once() {
    let server = supplier_mock().await;
    mount_order_refused_once(&server).await;
    let app = app_against(&server, &[]).await;
    let record = reserved_chat_order(&app, "wa-paid-refused-1").await;
    assert_eq!(record.status, bino::orders::OrderStatus::AwaitingPayment);
    let reference = bino::orders::payment_reference(&record);

    let first = app
        .app
        .orders
        .confirm_payment(
            "stripe",
            &reference,
            "pi_3Refused01",
            &paid_in_full(&record),
        )
        .await
        .expect("the payment is handled");
    let again = app
        .app
        .orders
        .confirm_payment(
            "stripe",
            &reference,
            "pi_3Refused01",
            &paid_in_full(&record),
        )
        .await
        .expect("a repeated payment event is handled");

    let first = first.expect("the order is known");
    assert_eq!(first.status, bino::orders::OrderStatus::RefundNeeded);
    assert!(first.failure.unwrap().contains("refunded"));
    assert_eq!(
        again.unwrap().status,
        bino::orders::OrderStatus::RefundNeeded
    );
    let refunds = app
        .app
        .store
        .stream_len(bino::orders::REFUNDS_STREAM)
        .await
        .unwrap();
    assert_eq!(refunds, 1, "an operator finds it once");
    server.verify().await;
}

#[tokio::test]
async fn a_payment_for_the_wrong_amount_orders_nothing_and_is_kept_for_a_refund() {
    let server = supplier_mock().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order_accepted()))
        .expect(0)
        .mount(&server)
        .await;
    let app = app_against(&server, &[]).await;
    let price = reserved_chat_order(&app, "wa-paid-price-1").await;
    let short = bino::payments::PaidAmount {
        cents: price.total_price.cents().map(|cents| cents - 1),
        currency: Some("usd".to_owned()),
    };
    let euros = bino::payments::PaidAmount {
        currency: Some("eur".to_owned()),
        ..paid_in_full(&price)
    };
    let unknown = bino::payments::PaidAmount {
        cents: None,
        ..paid_in_full(&price)
    };

    for (id, paid) in [
        ("wa-paid-short-1", &short),
        ("wa-paid-euros-1", &euros),
        ("wa-paid-unknown-1", &unknown),
    ] {
        let record = reserved_chat_order(&app, id).await;
        let outcome = app
            .app
            .orders
            .confirm_payment(
                "stripe",
                &bino::orders::payment_reference(&record),
                "pi_3Wrong01",
                paid,
            )
            .await
            .unwrap()
            .unwrap();

        assert_eq!(
            outcome.status,
            bino::orders::OrderStatus::RefundNeeded,
            "{id}"
        );
        let payment = outcome.payment.unwrap();
        assert_eq!(
            payment.problem,
            Some(bino::payments::PaymentProblem::WrongAmount),
            "{id}"
        );
        assert_eq!(
            payment.paid_cents, paid.cents,
            "what was paid is kept for the refund"
        );
    }
    server.verify().await;
}

#[tokio::test]
async fn a_paid_order_is_submitted_with_the_same_transaction_id_after_a_supplier_outage() {
    let server = supplier_mock().await;
    // The client retries a few times by itself; the outage outlasts that.
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(4)
        .mount(&server)
        .await;
    let chat_transaction_id = bino::orders::supplier_transaction_id(
        &bino::bot::order_owner("15550001234"),
        "wa-paid-outage-1",
    );
    Mock::given(method("POST"))
        .and(path("/api/v1/open/esim/order"))
        .and(body_partial_json(
            json!({"transactionId": chat_transaction_id}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(order_accepted()))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_against(&server, &[]).await;
    let record = reserved_chat_order(&app, "wa-paid-outage-1").await;
    let reference = bino::orders::payment_reference(&record);

    let mut outcome = app
        .app
        .orders
        .confirm_payment("stripe", &reference, "pi_3Outage01", &paid_in_full(&record))
        .await;
    for _ in 0..5 {
        if outcome.is_ok() {
            break;
        }
        // The payment event is retried by its inbox; here, by hand.
        outcome = app
            .app
            .orders
            .confirm_payment("stripe", &reference, "pi_3Outage01", &paid_in_full(&record))
            .await;
    }

    let submitted = outcome
        .expect("submitted once the supplier is back")
        .unwrap();
    assert_eq!(submitted.status, bino::orders::OrderStatus::Submitted);
    assert_eq!(
        submitted.provider_order_reference.as_deref(),
        Some(ORDER_NO)
    );
    let again = app
        .app
        .orders
        .confirm_payment("stripe", &reference, "pi_3Outage01", &paid_in_full(&record))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.status, bino::orders::OrderStatus::Submitted);
    server.verify().await;
}
