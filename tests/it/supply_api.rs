//! The supply API against the sandbox supplier and real Redis.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::app::{API_KEY, OTHER_API_KEY, assert_error, spawn_app};

fn codes_of(plans: &Value) -> Vec<String> {
    plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["packageCode"].as_str().unwrap().to_owned())
        .collect()
}

fn price_cents(plan: &Value) -> u64 {
    let text = plan["price"].as_str().expect("price is a decimal string");
    let (dollars, cents) = text.split_once('.').expect("two decimals");
    dollars.parse::<u64>().unwrap() * 100 + cents.parse::<u64>().unwrap()
}

#[tokio::test]
async fn a_search_for_japan_returns_priced_japanese_plans_cheapest_first() {
    let app = spawn_app().await;

    let (status, body) = app.search(json!({"locationCode": "JP"})).await;

    assert_eq!(status, 200, "{body}");
    let plans = body["plans"].as_array().unwrap();
    assert!(plans.len() >= 3, "{body}");
    for plan in plans {
        assert_eq!(plan["type"], "BASE");
        assert_eq!(plan["covered_countries"], json!(["JP"]));
        assert!(plan["name_title"].as_str().unwrap().contains("DAY(s)"));
        assert!(plan["data_volume_bytes"].as_u64().unwrap() > 0);
    }
    let prices: Vec<u64> = plans.iter().map(price_cents).collect();
    assert!(
        prices.windows(2).all(|pair| pair[0] <= pair[1]),
        "{prices:?}"
    );
}

#[tokio::test]
async fn location_codes_are_read_in_any_case_and_uk_means_gb() {
    let app = spawn_app().await;

    let (status, lower) = app.search(json!({"locationCode": "gb"})).await;
    let (_, uk) = app.search(json!({"locationCode": "UK"})).await;

    assert_eq!(status, 200);
    assert_eq!(lower["locationCode"], "GB");
    assert_eq!(codes_of(&lower["plans"]), codes_of(&uk["plans"]));
    assert!(!codes_of(&uk["plans"]).is_empty());
}

#[tokio::test]
async fn regional_and_global_searches_return_multi_country_plans() {
    let app = spawn_app().await;

    let (_, regional) = app.search(json!({"locationCode": "!RG"})).await;
    let (_, global) = app.search(json!({"locationCode": "!gl"})).await;

    let regional = regional["plans"].as_array().unwrap();
    assert!(
        regional
            .iter()
            .all(|p| p["covered_countries"].as_array().unwrap().len() > 1)
    );
    let global = global["plans"].as_array().unwrap();
    assert!(!global.is_empty());
    assert!(global.iter().all(|p| p["locations_covered"] == "Global"));
}

#[tokio::test]
async fn filters_and_sorting_narrow_the_results() {
    let app = spawn_app().await;

    let (_, all) = app.search(json!({"locationCode": "JP"})).await;
    let (status, narrowed) = app
        .search(json!({"locationCode": "JP", "filters": {
            "minDataBytes": 3u64 << 30, "minValidityDays": 15, "maxPrice": "40", "sort": "validity"
        }}))
        .await;

    assert_eq!(status, 200, "{narrowed}");
    let plans = narrowed["plans"].as_array().unwrap();
    assert!(!plans.is_empty() && plans.len() < all["plans"].as_array().unwrap().len());
    for plan in plans {
        assert!(plan["data_volume_bytes"].as_u64().unwrap() >= 3 << 30);
        assert!(price_cents(plan) <= 4000);
    }
}

#[tokio::test]
async fn an_unknown_location_gets_400_and_a_valid_one_without_plans_gets_an_empty_list() {
    let app = spawn_app().await;

    let unknown = app.search(json!({"locationCode": "XX"})).await;
    let (status, empty) = app.search(json!({"locationCode": "AQ"})).await;

    let message = assert_error(&unknown, 400, "unknown_location");
    assert!(message.contains("\"XX\""), "{message}");
    assert_eq!(status, 200);
    assert_eq!(empty["plans"], json!([]));
}

#[tokio::test]
async fn bad_input_gets_the_error_envelope_never_a_500() {
    let app = spawn_app().await;

    let malformed = app.post_raw("/esim/search", "{\"locationCode\": ").await;
    let wrong_type = app.post_raw("/esim/search", "{\"locationCode\": 42}").await;
    let missing = app.post_raw("/esim/search", "{}").await;
    let not_object = app.post_raw("/esim/order", "[1, 2, 3]").await;
    let bad_quantity = app
        .post_raw("/esim/order", "{\"binoTransactionId\": \"t-1\", \"items\": [{\"packageCode\": \"X\", \"quantity\": \"two\"}]}")
        .await;
    // A number, or null, where one of a set of names belongs is valid JSON of the wrong
    // shape, whatever the parser calls it.
    let long_location = app
        .search(json!({"locationCode": "X".repeat(100_000)}))
        .await;
    let long_package = app
        .order(json!({"binoTransactionId": "t-long", "items": [{"packageCode": "P".repeat(100_000), "quantity": 1}]}))
        .await;
    let impossible = [
        json!({"maxPrice": "-1.00"}),
        json!({"minDataBytes": 2_000_000_000u64, "maxDataBytes": 1_000_000_000u64}),
        json!({"minValidityDays": 30, "maxValidityDays": 7}),
    ];
    let mut impossible_answers = Vec::new();
    for filters in &impossible {
        impossible_answers.push(
            app.search(json!({"locationCode": "JP", "filters": filters}))
                .await,
        );
    }
    let mut wrong_names = Vec::new();
    for body in [
        r#"{"locationCode": "JP", "type": 123}"#,
        r#"{"locationCode": "JP", "type": []}"#,
        r#"{"locationCode": "JP", "filters": {"sort": null}}"#,
    ] {
        wrong_names.push((body, app.post_raw("/esim/search", body).await));
    }
    let no_content_type = app
        .client
        .post(app.url("/esim/search"))
        .bearer_auth(API_KEY)
        .body("{\"locationCode\": \"JP\"}")
        .send()
        .await
        .unwrap();

    assert_error(&malformed, 400, "malformed_json");
    assert!(assert_error(&wrong_type, 422, "invalid_request").contains("locationCode"));
    assert!(assert_error(&missing, 422, "invalid_request").contains("locationCode"));
    assert_error(&not_object, 422, "invalid_request");
    assert!(assert_error(&bad_quantity, 422, "invalid_request").contains("quantity"));
    // A value is quoted back in part, never whole.
    for (answer, status, code) in [
        (&long_location, 400, "unknown_location"),
        (&long_package, 422, "invalid_request"),
    ] {
        let message = assert_error(answer, status, code);
        assert!(
            message.len() < 200 && message.contains("more characters"),
            "{message}"
        );
    }
    // Filters nothing can pass are the caller's mistake, not an empty catalog.
    for (filters, answer) in impossible.iter().zip(&impossible_answers) {
        let message = assert_error(answer, 422, "invalid_request");
        assert!(message.starts_with("filters."), "{filters}: {message}");
    }
    for (body, answer) in &wrong_names {
        let message = assert_error(answer, 422, "invalid_request");
        assert!(
            message.contains("does not match the schema"),
            "{body}: {message}"
        );
    }
    assert_eq!(no_content_type.status(), 415);
}

#[tokio::test]
async fn requests_without_a_valid_api_key_get_401() {
    let app = spawn_app().await;

    let missing = app
        .client
        .post(app.url("/esim/search"))
        .json(&json!({"locationCode": "JP"}))
        .send()
        .await
        .unwrap();
    let wrong = app
        .client
        .post(app.url("/esim/search"))
        .bearer_auth("not-a-key")
        .json(&json!({"locationCode": "JP"}))
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

/// The esimTranNo of order `id`'s profile, once the sandbox has allocated it.
async fn allocated_esim_tran_no(app: &crate::support::app::TestApp, id: &str) -> String {
    let allocated = app
        .wait_for_order(id, Duration::from_secs(10), |o| o["status"] == "ALLOCATED")
        .await;
    allocated["profiles"][0]["esimTranNo"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The search answer for Japanese top-up packages.
async fn japanese_top_ups(app: &crate::support::app::TestApp) -> Value {
    let (_, top_ups) = app
        .search(json!({"locationCode": "JP", "type": "TOPUP"}))
        .await;
    top_ups
}

/// The cheapest Japanese plan with one volume for its whole validity.
async fn cheapest_japan_plan(app: &crate::support::app::TestApp) -> String {
    japan_plan(app, "total").await
}

async fn japan_plan(app: &crate::support::app::TestApp, allowance: &str) -> String {
    let (_, body) = app.search(json!({"locationCode": "JP"})).await;
    let plan = body["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["data_allowance"] == allowance);
    plan.expect("a Japanese plan of that allowance")["packageCode"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_day_pass_is_ordered_for_a_number_of_days() {
    let app = spawn_app().await;
    let package_code = japan_plan(&app, "daily_then_reduced_speed").await;

    let without_days = app
        .order(json!({"binoTransactionId": "day-1", "items": [{"packageCode": package_code, "quantity": 1}]}))
        .await;
    let (status, order) = app
        .order(json!({"binoTransactionId": "day-2", "items": [{"packageCode": package_code, "quantity": 1, "periodDays": 5}]}))
        .await;

    assert!(assert_error(&without_days, 422, "invalid_request").contains("periodDays"));
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["items"][0]["periodDays"], 5);
    assert!(
        order["items"][0].get("unitCost").is_none(),
        "supplier costs stay private: {order}"
    );
}

#[tokio::test]
async fn an_order_is_submitted_and_its_profile_appears_within_seconds() {
    let app = spawn_app().await;
    let package_code = cheapest_japan_plan(&app).await;

    let (status, order) = app
        .order(json!({"binoTransactionId": "order-jp-1", "items": [{"packageCode": package_code, "quantity": 1}]}))
        .await;

    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "SUBMITTED");
    assert!(
        order["providerOrderReference"]
            .as_str()
            .unwrap()
            .starts_with('B')
    );
    let allocated = app
        .wait_for_order("order-jp-1", Duration::from_secs(10), |o| {
            o["status"] == "ALLOCATED"
        })
        .await;
    let profile = &allocated["profiles"][0];
    assert!(profile["iccid"].as_str().unwrap().starts_with("89"));
    assert!(
        profile["activationCode"]
            .as_str()
            .unwrap()
            .starts_with("LPA:1$")
    );
    assert!(
        profile["qrCodeUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(!profile["esimTranNo"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn the_same_id_with_other_items_is_a_conflict_and_the_same_items_get_the_same_order() {
    let app = spawn_app().await;
    let package_code = cheapest_japan_plan(&app).await;
    let order = json!({"binoTransactionId": "order-dup", "items": [{"packageCode": package_code, "quantity": 1}]});

    let (_, first) = app.order(order.clone()).await;
    let (status, again) = app.order(order).await;
    let conflict = app
        .order(json!({"binoTransactionId": "order-dup", "items": [{"packageCode": package_code, "quantity": 2}]}))
        .await;

    assert_eq!(status, 200);
    assert_eq!(
        first["providerOrderReference"],
        again["providerOrderReference"]
    );
    assert!(assert_error(&conflict, 409, "conflict").contains("order-dup"));
}

#[tokio::test]
async fn items_that_cannot_be_ordered_get_422_naming_the_item() {
    let app = spawn_app().await;
    let package_code = cheapest_japan_plan(&app).await;

    let unknown = app
        .order(json!({"binoTransactionId": "bad-1", "items": [
            {"packageCode": package_code, "quantity": 1},
            {"packageCode": "NO-SUCH-PACKAGE", "quantity": 1}
        ]}))
        .await;
    let too_many = app
        .order(json!({"binoTransactionId": "bad-2", "items": [{"packageCode": package_code, "quantity": 31}]}))
        .await;
    let base_with_target = app
        .order(json!({"binoTransactionId": "bad-3", "items": [
            {"packageCode": package_code, "quantity": 1, "esimTranNo": "25010100000001"}
        ]}))
        .await;
    let top_up_code = format!("TOPUP_{package_code}");
    let top_up_without_target = app
        .order(json!({"binoTransactionId": "bad-4", "items": [{"packageCode": top_up_code, "quantity": 1}]}))
        .await;

    assert!(assert_error(&unknown, 422, "invalid_request").contains("items[1] (NO-SUCH-PACKAGE)"));
    assert!(assert_error(&too_many, 422, "invalid_request").contains("items[0]"));
    assert!(assert_error(&base_with_target, 422, "invalid_request").contains("esimTranNo"));
    let message = assert_error(&top_up_without_target, 422, "invalid_request");
    assert!(
        message.contains("esimTranNo") || message.contains("unknown packageCode"),
        "{message}"
    );
    // A refused order does not use up its id.
    let (status, _) = app
        .order(json!({"binoTransactionId": "bad-2", "items": [{"packageCode": package_code, "quantity": 1}]}))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_top_up_is_applied_to_an_allocated_profile() {
    let app = spawn_app().await;
    let package_code = cheapest_japan_plan(&app).await;
    app.order(json!({"binoTransactionId": "base-1", "items": [{"packageCode": package_code, "quantity": 1}]}))
        .await;
    let esim_tran_no = allocated_esim_tran_no(&app, "base-1").await;
    let top_ups = japanese_top_ups(&app).await;
    let top_up_code = top_ups["plans"][0]["packageCode"]
        .as_str()
        .expect("JP top-ups exist")
        .to_owned();

    let (status, top_up) = app
        .order(json!({"binoTransactionId": "topup-1", "items": [
            {"packageCode": top_up_code, "quantity": 1, "esimTranNo": esim_tran_no}
        ]}))
        .await;

    assert_eq!(status, 200, "{top_up}");
    assert_eq!(top_up["status"], "TOPPED_UP");
    assert_eq!(top_up["kind"], "TOP_UP");
}

#[tokio::test]
async fn one_key_cannot_read_another_keys_order() {
    let app = spawn_app().await;
    let package_code = cheapest_japan_plan(&app).await;
    app.order(json!({"binoTransactionId": "private-1", "items": [{"packageCode": package_code, "quantity": 1}]}))
        .await;

    let mine = app.get_json("/esim/orders/private-1", API_KEY).await;
    let theirs = app.get_json("/esim/orders/private-1", OTHER_API_KEY).await;

    assert_eq!(mine.0, 200);
    assert_error(&theirs, 404, "not_found");
}

#[tokio::test]
async fn health_readiness_metrics_and_openapi_answer() {
    let app = spawn_app().await;
    app.search(json!({"locationCode": "JP"})).await;

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let openapi: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let unknown = app
        .client
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();

    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(ready.status(), 200);
    assert!(metrics.contains("bino_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/esim/search\""), "{metrics}");
    assert!(metrics.contains("bino_supplier_calls_total"), "{metrics}");
    for path in [
        "/esim/search",
        "/esim/order",
        "/esim/orders/{bino_transaction_id}",
        "/esim/webhook",
        "/readyz",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn two_keys_may_use_the_same_id_and_neither_can_top_up_the_others_esim() {
    let app = spawn_app().await;
    let package_code = cheapest_japan_plan(&app).await;
    let order = json!({"binoTransactionId": "shared-id", "items": [{"packageCode": package_code, "quantity": 1}]});
    let (_, mine) = app.order(order.clone()).await;
    let theirs = app
        .client
        .post(app.url("/esim/order"))
        .bearer_auth(OTHER_API_KEY)
        .json(&order)
        .send()
        .await
        .unwrap();
    let theirs: Value = theirs.json().await.unwrap();
    let esim_tran_no = allocated_esim_tran_no(&app, "shared-id").await;
    let top_ups = japanese_top_ups(&app).await;
    let top_up = json!({"binoTransactionId": "steal-1", "items": [{
        "packageCode": top_ups["plans"][0]["packageCode"], "quantity": 1, "esimTranNo": esim_tran_no
    }]});

    let stolen = app
        .client
        .post(app.url("/esim/order"))
        .bearer_auth(OTHER_API_KEY)
        .json(&top_up)
        .send()
        .await
        .unwrap();

    assert_eq!(theirs["status"], "SUBMITTED", "{theirs}");
    assert_ne!(
        mine["providerOrderReference"], theirs["providerOrderReference"],
        "two separate supplier orders"
    );
    assert_eq!(stolen.status(), 422);
    let body: Value = stolen.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("among your orders"),
        "{body}"
    );
}

#[tokio::test]
async fn odd_paths_queries_and_schemes_still_get_the_envelope() {
    let app = spawn_app().await;

    let bad_path = app
        .client
        .get(app.url("/esim/orders/%FF%FE"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    let double_token = app
        .client
        .post(app.url("/esim/webhook?token=a&token=b"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let lower_case_scheme = app
        .client
        .post(app.url("/esim/search"))
        .header("authorization", format!("bearer {API_KEY}"))
        .json(&json!({"locationCode": "JP"}))
        .send()
        .await
        .unwrap();

    assert_eq!(bad_path.status(), 400);
    let body: Value = bad_path.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_path");
    assert_eq!(double_token.status(), 400);
    let body: Value = double_token.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_query");
    assert_eq!(
        lower_case_scheme.status(),
        200,
        "the auth scheme is case-insensitive"
    );
}
