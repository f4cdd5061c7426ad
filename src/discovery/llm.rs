//! The LLM destination extractor: an OpenAI-compatible chat model reads a traveller's message
//! into a [`TripQuery`] when the local gazetteer cannot place it.
//!
//! The model is asked for structured output (a strict JSON schema), yet its answer is still
//! treated as untrusted input: country codes are checked against the ISO table, regions
//! against `fixtures/discovery/regions.tsv`, and numbers are clamped to sane ranges. There is
//! one attempt per message, bounded by a timeout and never retried, because the caller always
//! has the local reading to fall back on.

use std::collections::BTreeSet;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, CreateChatCompletionResponse, ResponseFormat,
    ResponseFormatJsonSchema,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use tracing::instrument;

use super::local::LocalExtractor;
use super::{Source, TripQuery, Understood};
use crate::catalog::{CountryCode, GIB, format_volume};

/// The system prompt: the task, the rules and a few examples.
const PROMPT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/prompts/destination.txt"
));

/// The named regions file, read here only by a test that checks every region resolves.
#[cfg(test)]
const REGIONS_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/discovery/regions.tsv"
));

/// Longest text sent to the model, in characters: any chat message about a trip fits, while
/// a pasted itinerary cannot run up the bill or the latency.
const MAX_TEXT_CHARS: usize = 1_000;

/// How much of the traveller's text `understood` echoes back in a reply.
const MAX_ECHO_CHARS: usize = 80;

/// Longest trip we believe: no eSIM plan runs longer than a year.
const MAX_DAYS: u32 = 365;

/// Most data we believe a traveller needs (1 TiB); beyond that the number is noise.
const MAX_DATA_BYTES: u64 = 1024 * GIB;

/// Where and how to reach the model.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// The API root, such as `https://api.openai.com/v1`, so that any OpenAI-compatible
    /// server can stand in.
    pub base_url: String,
    /// Sent as a bearer token; kept secret so that `Debug` output never shows it.
    pub api_key: SecretString,
    /// The model asked; it must support structured outputs (`json_schema`).
    pub model: String,
    /// How long a traveller waits before the local reading is used instead.
    pub timeout: Duration,
}

impl LlmConfig {
    /// Long enough for a small model's short JSON answer, short enough for a chat reply.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            base_url: "https://api.openai.com/v1".to_owned(),
            api_key: SecretString::default(),
            model: "gpt-4o-mini".to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// Why the model gave no usable reading. Every cause means the same to the caller (use the
/// local reading); they are told apart for logs and metrics.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the llm did not answer in time")]
    Timeout,
    /// The request failed or the server answered with an error status.
    #[error("llm request failed: {0}")]
    Http(String),
    /// The server or the model answered something we cannot read.
    #[error("llm answer is malformed: {0}")]
    Malformed(String),
    /// The model answered nothing: no choice, no content, or a refusal.
    #[error("llm gave no answer")]
    Empty,
}

/// Reads traveller messages with a chat model.
pub struct LlmExtractor {
    /// Built from [`LlmConfig`] alone, never from `OPENAI_*` variables, and without retries.
    client: Client<OpenAIConfig>,
    /// Sent with every request, and recorded on the span to tell models apart in traces.
    model: String,
    /// Built once: the schema lists the region names, which never change at run time.
    response_format: ResponseFormat,
    /// Bounds the whole call, connection included.
    timeout: Duration,
}

impl std::fmt::Debug for LlmExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmExtractor")
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl LlmExtractor {
    pub fn new(config: LlmConfig) -> Self {
        // `OpenAIConfig::new` fills every field from `OPENAI_*` variables; each of them is
        // overwritten here, the organisation and project with blanks so that no header
        // carries them.
        let openai = OpenAIConfig::new()
            .with_api_base(config.base_url.trim_end_matches('/'))
            .with_api_key(config.api_key.expose_secret())
            .with_org_id("")
            .with_project_id("");

        // Every client constructor installs a layer that retries 429s, 5xxs and refused
        // connections up to three times, sleeping as long as Retry-After says; a bare
        // transport replaces it, so a failure reaches the caller at once.
        let client = Client::with_config(openai).with_http_service(ReqwestService::default());

        LlmExtractor {
            client,
            model: config.model,
            response_format: response_format(),
            timeout: config.timeout,
        }
    }

    /// The model's reading of `text`, checked against our tables. One attempt, bounded by
    /// the configured timeout.
    #[instrument(name = "llm.read", skip_all, fields(llm.model = %self.model))]
    pub async fn read(&self, text: &str) -> Result<TripQuery, LlmError> {
        let text = truncate_chars(text, MAX_TEXT_CHARS);
        let request = self.request(text);
        tracing::debug!(text.chars = text.chars().count(), "asking the llm");

        let response = tokio::time::timeout(self.timeout, self.client.chat().create(request))
            .await
            .map_err(|_| LlmError::Timeout)?
            .map_err(request_error)?;

        let content = answer_content(response)?;
        tracing::debug!(answer.bytes = content.len(), "the llm answered");

        let answer = parse_answer(&content)?;
        Ok(answer.into_query(text))
    }

    fn request(&self, text: &str) -> CreateChatCompletionRequest {
        // Sampling options (temperature, token limits) are left to the server's defaults:
        // reasoning models reject some of them, and the schema already bounds the answer.
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: vec![
                ChatCompletionRequestSystemMessage::from(PROMPT).into(),
                ChatCompletionRequestUserMessage::from(text).into(),
            ],
            response_format: Some(self.response_format.clone()),
            ..Default::default()
        }
    }
}

/// Structured output: the model must answer with exactly these fields.
fn response_format() -> ResponseFormat {
    let region_names: Vec<&str> = LocalExtractor::global().region_names().collect();

    // Strict mode wants every property required and no others; "may be absent" is spelled
    // as a union with null.
    let schema = json!({
        "type": "object",
        "properties": {
            "countries": {
                "type": "array",
                "description": "ISO 3166-1 alpha-2 codes of the destination countries",
                "items": { "type": "string" }
            },
            "regions": {
                "type": "array",
                "description": "Named regions the traveller asks for as a whole",
                "items": { "type": "string", "enum": region_names }
            },
            "global": { "type": "boolean" },
            "days": { "type": ["integer", "null"] },
            "data_gb": { "type": ["number", "null"] },
            "unlimited": { "type": "boolean" }
        },
        "required": ["countries", "regions", "global", "days", "data_gb", "unlimited"],
        "additionalProperties": false
    });

    ResponseFormat::JsonSchema {
        json_schema: ResponseFormatJsonSchema {
            description: Some("Where a traveller goes, for how long, with how much data".into()),
            name: "trip_query".to_owned(),
            schema,
            strict: Some(true),
        },
    }
}

/// Our error for a failed call. Nothing from a response body is kept: a provider's message
/// can quote the request or a masked key, and a malformed body holds the model's answer.
fn request_error(error: OpenAIError) -> LlmError {
    match error {
        OpenAIError::ApiError(response) => {
            let mut message = response.status_code.to_string();
            if let Some(kind) = response.api_error.r#type {
                message.push(' ');
                message.push_str(&kind);
            }
            if let Some(code) = response.api_error.code {
                message.push_str(&format!(" ({code})"));
            }
            LlmError::Http(message)
        }
        OpenAIError::JSONDeserialize(error, _body) => LlmError::Malformed(format!(
            "the response is not a chat completion ({:?} error at line {} column {})",
            error.classify(),
            error.line(),
            error.column()
        )),
        other => LlmError::Http(other.to_string()),
    }
}

/// The text of the first choice, or [`LlmError::Empty`] when there is none to read.
fn answer_content(response: CreateChatCompletionResponse) -> Result<String, LlmError> {
    let Some(choice) = response.choices.into_iter().next() else {
        return Err(LlmError::Empty);
    };
    if choice.message.refusal.is_some() {
        tracing::debug!("the llm refused to answer");
        return Err(LlmError::Empty);
    }
    match choice.message.content {
        Some(content) if !content.trim().is_empty() => Ok(content),
        _ => Err(LlmError::Empty),
    }
}

/// The model's answer as it gave it, before any checking.
#[derive(Debug, Default, PartialEq)]
struct Answer {
    countries: Vec<String>,
    regions: Vec<String>,
    global: bool,
    /// A float, so that "10.0" from a sloppy model is still ten days.
    days: Option<f64>,
    data_gb: Option<f64>,
    unlimited: bool,
}

/// Reads the assistant's content leniently in form (code fences, a sentence around the
/// object, extra or missing fields) and strictly in types.
fn parse_answer(content: &str) -> Result<Answer, LlmError> {
    let value = serde_json::from_str::<Value>(strip_code_fence(content))
        .ok()
        // Some models wrap the object in a sentence despite the prompt.
        .or_else(|| outermost_braces(content).and_then(|inner| serde_json::from_str(inner).ok()))
        .ok_or_else(|| LlmError::Malformed("the answer is not json".to_owned()))?;
    let Value::Object(object) = value else {
        return Err(LlmError::Malformed(format!(
            "the answer is a json {}, not an object",
            json_kind(&value)
        )));
    };

    Ok(Answer {
        countries: field(&object, "countries")?.unwrap_or_default(),
        regions: field(&object, "regions")?.unwrap_or_default(),
        global: field(&object, "global")?.unwrap_or_default(),
        days: field(&object, "days")?,
        data_gb: field(&object, "data_gb")?,
        unlimited: field(&object, "unlimited")?.unwrap_or_default(),
    })
}

/// One field of the answer: absent and null both mean "not given". The error names the
/// field but never quotes its value, which came from the model.
fn field<T: DeserializeOwned>(
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<T>, LlmError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|_| LlmError::Malformed(format!("{key} has the wrong type"))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The body of a Markdown code fence (```json … ```), or the trimmed text when there is none.
fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    let Some(opened) = trimmed.strip_prefix("```") else {
        return trimmed;
    };

    // The opening line may name a language.
    let body = opened.split_once('\n').map_or("", |(_, body)| body);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

/// From the first `{` to the last `}`, when both exist in that order.
fn outermost_braces(content: &str) -> Option<&str> {
    let start = content.find('{')?;
    let end = content.rfind('}')?;
    (start < end).then(|| &content[start..=end])
}

impl Answer {
    /// Keeps what our tables confirm and turns it into a query.
    fn into_query(self, text: &str) -> TripQuery {
        let named: BTreeSet<CountryCode> = self
            .countries
            .iter()
            .filter_map(|code| code.parse().ok())
            .collect();
        let invalid_countries = self
            .countries
            .iter()
            .filter(|code| code.parse::<CountryCode>().is_err())
            .count();

        let mut regions: Vec<Region> = Vec::new();
        for region in self.regions.iter().filter_map(|name| find_region(name)) {
            if !regions.iter().any(|known| known.name == region.name) {
                regions.push(region);
            }
        }
        let unknown_regions = self
            .regions
            .iter()
            .filter(|name| find_region(name).is_none())
            .count();

        if invalid_countries + unknown_regions > 0 {
            tracing::debug!(
                countries.dropped = invalid_countries,
                regions.dropped = unknown_regions,
                "dropped places the llm invented"
            );
        }

        let mut countries = named.clone();
        for region in &regions {
            countries.extend(region.members.iter().copied());
        }
        let mut query = TripQuery {
            countries,
            regions: regions
                .iter()
                .map(|region| region.name.to_owned())
                .collect(),
            global: self.global,
            days: trip_days(self.days),
            data_bytes: data_bytes(self.data_gb),
            unlimited: self.unlimited,
            understood: Vec::new(),
            source: Source::Llm,
        };
        if let Some(meaning) = meaning(&query, &named) {
            query.understood.push(Understood {
                text: echo(text),
                meaning,
            });
        }
        query
    }
}

/// The reading in one line ("LLM: Europe, JP, 10 days, 5 GB"), so that a reply can show it
/// and the traveller correct it. Regions are named rather than spelled out as members.
fn meaning(query: &TripQuery, named: &BTreeSet<CountryCode>) -> Option<String> {
    let mut parts: Vec<String> = query.regions.clone();
    parts.extend(named.iter().map(|code| code.as_str().to_owned()));
    if query.global {
        parts.push("global".to_owned());
    }
    if let Some(days) = query.days {
        parts.push(format!("{days} days"));
    }
    if let Some(bytes) = query.data_bytes {
        parts.push(format_volume(bytes));
    }
    if query.unlimited {
        parts.push("unlimited".to_owned());
    }
    (!parts.is_empty()).then(|| format!("LLM: {}", parts.join(", ")))
}

/// A trip length we can use: under a day is no answer, over a year is a year.
fn trip_days(days: Option<f64>) -> Option<u32> {
    let days = days?.round();
    if days.is_nan() || days < 1.0 {
        return None;
    }
    // The cast saturates, and the clamp bounds it anyway.
    Some((days as u32).min(MAX_DAYS))
}

/// Gigabytes (binary, as the supplier counts them) to bytes: nothing or less is no answer,
/// more than a terabyte is a terabyte.
fn data_bytes(data_gb: Option<f64>) -> Option<u64> {
    let data_gb = data_gb?;
    if data_gb.is_nan() || data_gb <= 0.0 {
        return None;
    }
    let bytes = (data_gb * GIB as f64).round();
    Some((bytes as u64).clamp(1, MAX_DATA_BYTES))
}

/// At most `max_chars` characters of `text`, cut on a character boundary.
fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The start of the traveller's text, short enough to quote back.
fn echo(text: &str) -> String {
    let text = text.trim();
    let short = truncate_chars(text, MAX_ECHO_CHARS);
    if short.len() < text.len() {
        format!("{}…", short.trim_end())
    } else {
        short.to_owned()
    }
}

/// A named region, as the local reader's gazetteer defines it, so both readers agree on
/// what "Europe" means.
struct Region {
    /// The canonical English name, which the schema offers and the query reports.
    name: &'static str,
    members: &'static [CountryCode],
}

/// The region a model's name stands for, by canonical name or alias, in any case.
fn find_region(name: &str) -> Option<Region> {
    LocalExtractor::global()
        .region(name)
        .map(|(name, members)| Region { name, members })
}

#[cfg(test)]
mod tests {
    use super::*;

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const API_KEY: &str = "sk-test-0123456789";
    const MODEL: &str = "gpt-test-mini";

    /// A chat completion shaped like the one in OpenAI's API reference.
    fn completion(content: &str) -> Value {
        completion_with_message(json!({
            "role": "assistant",
            "content": content,
            "refusal": null,
            "annotations": []
        }))
    }

    fn completion_with_message(message: Value) -> Value {
        completion_with_choices(json!([{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": "stop"
        }]))
    }

    fn completion_with_choices(choices: Value) -> Value {
        json!({
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion",
            "created": 1741569952,
            "model": "gpt-test-mini-2025-01-01",
            "choices": choices,
            "usage": {
                "prompt_tokens": 812,
                "completion_tokens": 31,
                "total_tokens": 843,
                "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0
                }
            },
            "service_tier": "default",
            "system_fingerprint": "fp_06737a9306"
        })
    }

    /// A model server that answers every request with `response`.
    async fn llm_answering(response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    fn extractor_for(server: &MockServer, timeout: Duration) -> LlmExtractor {
        LlmExtractor::new(LlmConfig {
            base_url: format!("{}/v1", server.uri()),
            api_key: SecretString::from(API_KEY),
            model: MODEL.to_owned(),
            timeout,
        })
    }

    /// Asks a model that answers with `content` as the assistant message.
    async fn read_answer(content: &str) -> Result<TripQuery, LlmError> {
        read_body(ResponseTemplate::new(200).set_body_json(completion(content))).await
    }

    async fn read_body(response: ResponseTemplate) -> Result<TripQuery, LlmError> {
        let server = llm_answering(response).await;
        extractor_for(&server, LlmConfig::DEFAULT_TIMEOUT)
            .read("a trip")
            .await
    }

    fn codes(query: &TripQuery) -> Vec<&str> {
        query.countries.iter().map(CountryCode::as_str).collect()
    }

    #[tokio::test]
    async fn a_structured_answer_becomes_an_llm_trip_query() {
        let content = r#"{"countries":["JP","KR"],"regions":[],"global":false,"days":10,"data_gb":5,"unlimited":false}"#;
        let server =
            llm_answering(ResponseTemplate::new(200).set_body_json(completion(content))).await;

        let query = extractor_for(&server, LlmConfig::DEFAULT_TIMEOUT)
            .read("Tokyo and Seoul for ten days, 5 gigs")
            .await
            .unwrap();

        assert_eq!(codes(&query), ["JP", "KR"]);
        assert_eq!(query.days, Some(10));
        assert_eq!(query.data_bytes, Some(5 * GIB));
        assert!(!query.unlimited && !query.global);
        assert_eq!(query.source, Source::Llm);
        assert_eq!(
            query.understood,
            [Understood {
                text: "Tokyo and Seoul for ten days, 5 gigs".to_owned(),
                meaning: "LLM: JP, KR, 10 days, 5 GB".to_owned(),
            }]
        );
    }

    #[tokio::test]
    async fn unlimited_and_global_readings_are_kept() {
        let content = r#"{"countries":[],"regions":[],"global":true,"days":180,"data_gb":null,"unlimited":true}"#;

        let query = read_answer(content).await.unwrap();

        assert!(query.global && query.unlimited && query.has_destination());
        assert_eq!(query.days, Some(180));
        assert_eq!(query.data_bytes, None);
        assert_eq!(
            query.understood[0].meaning,
            "LLM: global, 180 days, unlimited"
        );
    }

    #[tokio::test]
    async fn named_regions_are_kept_by_their_name_and_add_their_members() {
        let content = r#"{"countries":["jp"],"regions":["scandinavia","Baltics","BALTICS","Atlantis"],"global":false,"days":null,"data_gb":1.5,"unlimited":false}"#;

        let query = read_answer(content).await.unwrap();

        assert_eq!(
            query.regions,
            ["Scandinavia", "Baltics"],
            "known, canonical, once"
        );
        assert_eq!(codes(&query), ["DK", "EE", "JP", "LT", "LV", "NO", "SE"]);
        assert_eq!(query.data_bytes, Some(3 * GIB / 2));
        assert_eq!(
            query.understood[0].meaning,
            "LLM: Scandinavia, Baltics, JP, 1.5 GB"
        );
    }

    #[tokio::test]
    async fn a_region_named_by_an_alias_is_read_as_the_region() {
        let content = r#"{"countries":[],"regions":["Sudeste Asiático"],"global":false,"days":null,"data_gb":null,"unlimited":false}"#;

        let query = read_answer(content).await.unwrap();

        assert_eq!(query.regions, ["Southeast Asia"]);
        assert!(codes(&query).contains(&"TH"));
    }

    // "UK" is kept, as GB: ISO reserves it for the United Kingdom, our CountryCode parser
    // reads it so everywhere, and no traveller means anything else by it.
    #[tokio::test]
    async fn invented_country_codes_are_dropped_and_uk_is_read_as_gb() {
        let content = r#"{"countries":["XX","ZZ","UK","JPN","","fr","Germany"],"regions":[],"global":false,"days":null,"data_gb":null,"unlimited":false}"#;

        let query = read_answer(content).await.unwrap();

        assert_eq!(codes(&query), ["FR", "GB"]);
    }

    #[tokio::test]
    async fn an_answer_inside_a_json_code_fence_is_read() {
        let content = "```json\n{\"countries\":[\"PT\"],\"regions\":[],\"global\":false,\"days\":7,\"data_gb\":null,\"unlimited\":false}\n```";

        let query = read_answer(content).await.unwrap();

        assert_eq!(codes(&query), ["PT"]);
        assert_eq!(query.days, Some(7));
    }

    #[tokio::test]
    async fn extra_fields_are_ignored_and_missing_ones_take_defaults() {
        let content = r#"{"countries":["MX"],"confidence":0.9,"notes":{"city":"Cancún"}}"#;

        let query = read_answer(content).await.unwrap();

        assert_eq!(codes(&query), ["MX"]);
        assert_eq!(query.days, None);
        assert_eq!(query.data_bytes, None);
        assert!(query.regions.is_empty() && !query.global && !query.unlimited);
    }

    #[tokio::test]
    async fn an_answer_naming_nothing_understands_nothing() {
        let content = r#"{"countries":[],"regions":[],"global":false,"days":null,"data_gb":null,"unlimited":false}"#;

        let query = read_answer(content).await.unwrap();

        assert!(!query.has_destination());
        assert!(query.understood.is_empty());
    }

    #[tokio::test]
    async fn a_server_error_is_an_http_error_that_is_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(500).set_body_string("upstream exploded"))
            .expect(1)
            .mount(&server)
            .await;

        let error = extractor_for(&server, LlmConfig::DEFAULT_TIMEOUT)
            .read("a trip")
            .await
            .unwrap_err();

        let LlmError::Http(message) = error else {
            panic!("expected an http error, got {error:?}");
        };
        assert_eq!(message, "500 Internal Server Error");
    }

    #[tokio::test]
    async fn a_rate_limit_is_an_http_error_that_is_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_json(json!({
                        "error": {
                            "message": "Rate limit reached for gpt-test-mini on requests per min",
                            "type": "requests",
                            "param": null,
                            "code": "rate_limit_exceeded"
                        }
                    })),
            )
            .expect(1)
            .mount(&server)
            .await;

        let error = extractor_for(&server, LlmConfig::DEFAULT_TIMEOUT)
            .read("a trip")
            .await
            .unwrap_err();

        let LlmError::Http(message) = error else {
            panic!("expected an http error, got {error:?}");
        };
        assert_eq!(
            message,
            "429 Too Many Requests requests (rate_limit_exceeded)"
        );
    }

    #[tokio::test]
    async fn a_slow_model_times_out() {
        let response = ResponseTemplate::new(200)
            .set_body_json(completion(r#"{"countries":["JP"]}"#))
            .set_delay(Duration::from_secs(5));
        let server = llm_answering(response).await;
        let extractor = extractor_for(&server, Duration::from_millis(100));

        let started = std::time::Instant::now();
        let error = extractor.read("a trip").await.unwrap_err();

        assert!(matches!(error, LlmError::Timeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_http_error() {
        // A port that was just free and is now closed refuses connections.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        drop(listener);
        let extractor = LlmExtractor::new(LlmConfig {
            base_url,
            ..LlmConfig::default()
        });

        let error = extractor.read("a trip").await.unwrap_err();

        assert!(matches!(error, LlmError::Http(_)), "{error:?}");
    }

    #[tokio::test]
    async fn content_that_is_not_a_json_object_is_malformed() {
        let error = read_answer("You are going to Japan!").await.unwrap_err();

        assert!(matches!(error, LlmError::Malformed(_)), "{error:?}");
    }

    #[test]
    fn answers_that_are_not_objects_or_have_wrong_types_are_malformed_without_quoting_them() {
        let cases = [
            ("You are going to Japan!", "the answer is not json"),
            (
                r#"[{"countries":["JP"]}]"#,
                "the answer is a json array, not an object",
            ),
            (r#""JP""#, "the answer is a json string, not an object"),
            (r#"{"countries":"Japan"}"#, "countries has the wrong type"),
            (
                r#"{"countries":["JP", 81]}"#,
                "countries has the wrong type",
            ),
            (r#"{"days":"ten"}"#, "days has the wrong type"),
            (r#"{"data_gb":"5GB"}"#, "data_gb has the wrong type"),
            (r#"{"global":"yes"}"#, "global has the wrong type"),
            (
                "```json\n{\"countries\":[\"JP\"\n```",
                "the answer is not json",
            ),
        ];
        for (content, expected) in cases {
            let error = parse_answer(content).unwrap_err();

            let LlmError::Malformed(message) = &error else {
                panic!("{content:?}: expected malformed, got {error:?}");
            };
            assert_eq!(message, expected, "{content:?}");
        }
    }

    #[test]
    fn the_object_is_found_inside_fences_and_sentences() {
        let expected = Answer {
            countries: vec!["JP".to_owned()],
            ..Answer::default()
        };
        let cases = [
            r#"{"countries":["JP"]}"#,
            "  ```json\n{\"countries\":[\"JP\"]}\n```  ",
            "```\n{\"countries\":[\"JP\"]}\n```",
            "```json {\"countries\":[\"JP\"]} ```",
            "Sure! Here it is: {\"countries\":[\"JP\"]} Have a nice trip.",
            r#"{"countries":["JP"],"regions":null,"days":null}"#,
        ];
        for content in cases {
            assert_eq!(parse_answer(content).unwrap(), expected, "{content:?}");
        }
    }

    #[tokio::test]
    async fn a_response_that_is_not_a_chat_completion_is_malformed() {
        let bodies = [
            ResponseTemplate::new(200).set_body_json(json!({ "result": "JP" })),
            ResponseTemplate::new(200).set_body_string("<html>gateway</html>"),
        ];
        for body in bodies {
            let error = read_body(body).await.unwrap_err();

            let LlmError::Malformed(message) = &error else {
                panic!("expected malformed, got {error:?}");
            };
            assert!(!message.contains("gateway"), "{message}");
        }
    }

    #[tokio::test]
    async fn no_choice_no_content_or_a_refusal_is_empty() {
        let bodies = [
            completion_with_choices(json!([])),
            completion_with_message(json!({ "role": "assistant", "content": null })),
            completion_with_message(json!({ "role": "assistant", "content": " \n" })),
            completion_with_message(json!({
                "role": "assistant",
                "content": null,
                "refusal": "I can't help with that."
            })),
        ];
        for body in bodies {
            let error = read_body(ResponseTemplate::new(200).set_body_json(body))
                .await
                .unwrap_err();

            assert!(matches!(error, LlmError::Empty), "{error:?}");
        }
    }

    #[tokio::test]
    async fn the_request_carries_the_model_the_prompt_the_schema_and_the_key() {
        let content = r#"{"countries":["IS"],"regions":[],"global":false,"days":null,"data_gb":null,"unlimited":false}"#;
        let server =
            llm_answering(ResponseTemplate::new(200).set_body_json(completion(content))).await;

        extractor_for(&server, LlmConfig::DEFAULT_TIMEOUT)
            .read("Reykjavík in March")
            .await
            .unwrap();

        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        let authorization = request.headers.get("authorization").unwrap();
        assert_eq!(authorization.to_str().unwrap(), format!("Bearer {API_KEY}"));
        assert!(request.headers.get("openai-organization").is_none());
        assert!(request.headers.get("openai-project").is_none());

        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["model"], MODEL);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][0]["content"], PROMPT);
        assert_eq!(body["messages"][1]["role"], "user");
        assert_eq!(body["messages"][1]["content"], "Reykjavík in March");
        let format = &body["response_format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["json_schema"]["strict"], true);
        let schema = &format["json_schema"]["schema"];
        assert_eq!(
            schema["required"],
            json!([
                "countries",
                "regions",
                "global",
                "days",
                "data_gb",
                "unlimited"
            ])
        );
        assert_eq!(schema["additionalProperties"], false);
        let region_names = schema["properties"]["regions"]["items"]["enum"]
            .as_array()
            .unwrap();
        assert!(region_names.contains(&json!("Southeast Asia")));
        assert!(body.get("stream").is_none_or(|stream| stream == false));
    }

    #[tokio::test]
    async fn a_long_message_is_cut_to_a_thousand_characters_on_a_char_boundary() {
        let content = r#"{"countries":["JP"]}"#;
        let server =
            llm_answering(ResponseTemplate::new(200).set_body_json(completion(content))).await;
        let text = "東京".repeat(800);

        let query = extractor_for(&server, LlmConfig::DEFAULT_TIMEOUT)
            .read(&text)
            .await
            .unwrap();

        let requests = server.received_requests().await.unwrap();
        let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
        let sent = body["messages"][1]["content"].as_str().unwrap();
        assert_eq!(sent.chars().count(), MAX_TEXT_CHARS);
        assert!(text.starts_with(sent));
        assert_eq!(query.understood[0].text.chars().count(), MAX_ECHO_CHARS + 1);
        assert!(query.understood[0].text.ends_with('…'));
    }

    #[test]
    fn absurd_trip_lengths_are_dropped_or_clamped() {
        let cases = [
            (None, None),
            (Some(-3.0), None),
            (Some(0.0), None),
            (Some(0.4), None),
            (Some(1.0), Some(1)),
            (Some(10.4), Some(10)),
            (Some(365.0), Some(365)),
            (Some(1000.0), Some(365)),
            (Some(1e300), Some(365)),
        ];
        for (days, expected) in cases {
            assert_eq!(trip_days(days), expected, "{days:?}");
        }
    }

    #[test]
    fn absurd_data_needs_are_dropped_or_clamped() {
        let cases = [
            (None, None),
            (Some(-1.0), None),
            (Some(0.0), None),
            (Some(0.5), Some(GIB / 2)),
            (Some(5.0), Some(5 * GIB)),
            (Some(1024.0), Some(MAX_DATA_BYTES)),
            (Some(5000.0), Some(MAX_DATA_BYTES)),
            (Some(1e300), Some(MAX_DATA_BYTES)),
        ];
        for (data_gb, expected) in cases {
            assert_eq!(data_bytes(data_gb), expected, "{data_gb:?}");
        }
    }

    #[test]
    fn every_region_of_the_table_is_read_with_valid_members() {
        let lines = REGIONS_TSV
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'));

        for line in lines {
            let name = line.split('\t').next().unwrap();
            let listed = line
                .split('\t')
                .nth(2)
                .unwrap_or_default()
                .split(',')
                .count();
            let region = find_region(name).unwrap_or_else(|| panic!("{name} is not read"));
            assert_eq!(region.members.len(), listed, "{name} has an invalid member");
        }
    }

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        assert_eq!(truncate_chars("", 3), "");
        assert_eq!(echo("  Bali  "), "Bali");
    }

    #[test]
    fn the_config_debug_output_hides_the_key() {
        let config = LlmConfig {
            api_key: SecretString::from(API_KEY),
            ..LlmConfig::default()
        };

        let printed = format!("{config:?} {:?}", LlmExtractor::new(config.clone()));

        assert!(!printed.contains(API_KEY), "{printed}");
        assert_eq!(config.timeout, Duration::from_secs(4));
    }
}
