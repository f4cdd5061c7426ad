//! `POST /esim/searchai`: a traveller's words in, plans for the whole trip out.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::{assert_error, spawn_app, spawn_app_with};

fn countries(body: &Value) -> Vec<&str> {
    body["query"]["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_two_country_trip_gets_whole_trip_plans_first() {
    let app = spawn_app().await;

    let (status, body) = app
        .post_json(
            "/esim/searchai",
            &json!({"query": "eSIM for Japan and Korea, 10 days", "limit": 100}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(countries(&body), ["JP", "KR"]);
    assert_eq!(body["query"]["days"], 10);
    let plans = body["plans"].as_array().unwrap();
    assert!(
        plans[0]["covers_whole_trip"].as_bool().unwrap(),
        "{}",
        plans[0]
    );
    assert_eq!(plans[0]["covers"], json!(["JP", "KR"]));
    let first_partial = plans
        .iter()
        .position(|p| p["covers_whole_trip"] == false)
        .expect("single-country plans too");
    assert!(
        plans[first_partial..]
            .iter()
            .all(|p| p["covers_whole_trip"] == false),
        "whole-trip plans come first"
    );
    for plan in plans
        .iter()
        .filter(|p| p["fits"] == true && p["data_allowance"] == "total")
    {
        assert!(plan["validity_duration"].as_u64().unwrap() >= 10, "{plan}");
    }
}

#[tokio::test]
async fn a_city_in_another_language_finds_its_country() {
    let app = spawn_app().await;

    let (status, body) = app
        .post_json(
            "/esim/searchai",
            &json!({"query": "vamos a Cancún 2 semanas"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["plans"].as_array().unwrap().len(),
        20,
        "twenty plans unless asked otherwise"
    );
    assert_eq!(countries(&body), ["MX"]);
    assert_eq!(body["query"]["days"], 14);
    assert!(body["plans"][0]["covers"] == json!(["MX"]));
}

#[tokio::test]
async fn a_query_without_a_destination_gets_422() {
    let app = spawn_app().await;

    let greeting = app
        .post_json(
            "/esim/searchai",
            &json!({"query": "hi there, 10 days please"}),
        )
        .await;
    let empty = app
        .post_json("/esim/searchai", &json!({"query": "   "}))
        .await;
    let long = app
        .post_json("/esim/searchai", &json!({"query": "Japan ".repeat(300)}))
        .await;
    let wrong_type = app.post_json("/esim/searchai", &json!({"query": 12})).await;

    assert!(assert_error(&greeting, 422, "invalid_request").contains("no destination"));
    assert_error(&empty, 422, "invalid_request");
    assert!(assert_error(&long, 422, "invalid_request").contains("1000"));
    assert!(assert_error(&wrong_type, 422, "invalid_request").contains("query"));
    let no_plans = app
        .post_json("/esim/searchai", &json!({"query": "Japan", "limit": 0}))
        .await;
    assert!(assert_error(&no_plans, 422, "invalid_request").contains("limit"));
}

/// An OpenAI-compatible chat completion whose message is `content`.
fn completion(content: &Value) -> Value {
    json!({
        "id": "chatcmpl-test-1", "object": "chat.completion", "created": 1764756000, "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    })
}

async fn llm_settings(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("LLM_BASE_URL", format!("{}/v1", server.uri())),
        ("LLM_MODEL", "test-model".to_owned()),
        ("LLM_API_KEY", "test-llm-key".to_owned()),
        ("LLM_MODE", "always".to_owned()),
    ]
}

#[tokio::test]
async fn the_llm_reading_is_used_when_configured_and_invented_codes_are_dropped() {
    let server = MockServer::start().await;
    let answer = json!({"countries": ["PE", "XX"], "regions": [], "global": false, "days": 12, "data_gb": null, "unlimited": false});
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(&answer)))
        .expect(1)
        .mount(&server)
        .await;
    let settings = llm_settings(&server).await;
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&pairs).await;

    let (status, body) = app
        .post_json(
            "/esim/searchai",
            &json!({"query": "the old Inca trail and its mountain citadel"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(countries(&body), ["PE"]);
    assert_eq!(body["query"]["source"], "llm");
    assert_eq!(body["query"]["days"], 12);
}

#[tokio::test]
async fn a_failing_llm_falls_back_to_the_local_reading() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let settings = llm_settings(&server).await;
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&pairs).await;

    let (status, body) = app
        .post_json("/esim/searchai", &json!({"query": "Thailand for a week"}))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(countries(&body), ["TH"]);
    assert_eq!(body["query"]["source"], "local");
    assert_eq!(body["query"]["days"], 7);
}
