//! The WhatsApp Cloud API on Meta's Graph API: sending messages, uploading images, marking
//! messages read, and reading Meta's errors into what the caller should do next.
//!
//! Meta answers a failure with `{"error": {"message", "type", "code", "error_subcode",
//! "error_data": {"messaging_product", "details"}, "fbtrace_id"}}`. Its `code` says what went
//! wrong far better than the HTTP status, so [`classify`] sorts codes into an
//! [`ErrorClass`], and the client retries only the classes where a repeat can succeed:
//! [`ErrorClass::Retry`] with exponential backoff and jitter, and
//! [`ErrorClass::PairRateLimited`] after pausing messages to that one recipient.
//!
//! Meta has no idempotency key for messages: a send that reached Meta and is repeated
//! reaches the traveller twice. So a send is repeated only when Meta said it was not
//! accepted (an error answer) or the connection never opened. A send that timed out after it
//! went out, or whose answer could not be read, is [`ErrorClass::Unconfirmed`] and is not
//! repeated: a duplicate message about a purchase (two payment links, two QR codes) confuses
//! a traveller more than a rare lost reply, which the traveller notices and asks again, and
//! whose fate the status webhooks still report. Uploads and read receipts are repeated after a
//! timeout too: a second upload only leaves an unused media object, and marking read twice is
//! harmless.
//!
//! Nothing here logs the token, a phone number, a BSUID or message text: recipients appear
//! as [`hash_id`], and Meta's own explanations, kept short, lose the token, the recipient and
//! any long digit run before they reach an error.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::message::{
    Image, InteractiveList, Outbound, ReplyButtons, Template, TemplateButton, Text, truncate,
};
use super::model::Recipient;
use crate::telemetry::hash_id;

/// Meta's Graph API at the version this client was written against.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v25.0";

/// Meta's own figure for the pair rate limit: about one message every 6 seconds to the same
/// user once a burst has been spent.
pub const DEFAULT_PAIR_PACING: Duration = Duration::from_secs(6);

/// WhatsApp refuses images larger than 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Meta's explanations are copied into errors; a bound keeps a long one out of the logs.
const MAX_DETAIL_CHARS: usize = 200;

/// A run of this many digits in Meta's explanation could be a phone number and is masked.
const MASKED_DIGIT_RUN: usize = 7;

/// Recipients whose pacing is remembered at once. Entries expire after `pair_pacing`, so
/// only a burst of rate-limited recipients larger than this could evict one early.
const MAX_PACED_RECIPIENTS: usize = 10_000;

/// The first bytes of every PNG file.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// How to reach Meta and how hard to insist.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    /// `https://graph.facebook.com/v25.0`: scheme, host and API version, no trailing slash.
    /// Tests point it at a mock server.
    pub base_url: String,
    /// The system user's access token, sent as a bearer token on every call.
    pub token: SecretString,
    /// The business phone number messages are sent from; part of every path.
    pub phone_number_id: String,
    /// Longest wait for one HTTP exchange. A send that times out is not repeated, so this
    /// errs on the long side.
    pub timeout: Duration,
    /// Attempts per call, the first included, for the classes that are retried.
    pub max_attempts: u32,
    /// First pause between attempts; doubled each time.
    pub min_backoff: Duration,
    /// Where the doubling stops. Jitter adds a random part of up to as much again, so that
    /// clients refused together do not come back together.
    pub max_backoff: Duration,
    /// How long messages to one recipient wait after Meta's pair rate limit (131056).
    pub pair_pacing: Duration,
}

impl GraphConfig {
    /// A 20 s timeout (5 s to connect), four attempts with pauses from 0.5 s to 8 s, and
    /// Meta's 6 s pair pacing.
    pub fn new(
        base_url: impl Into<String>,
        token: SecretString,
        phone_number_id: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            token,
            phone_number_id: phone_number_id.into(),
            timeout: Duration::from_secs(20),
            max_attempts: 4,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            pair_pacing: DEFAULT_PAIR_PACING,
        }
    }
}

/// What the caller should do about a failed call. The client has already retried what it
/// retries; the class tells what is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Meta or the network failed for a moment and the message was not accepted (codes 1, 2,
    /// 4, 80007, 130429, 131000, 131016, 131057, 133004; HTTP 5xx, 408 and 429 without a
    /// code; a connection that never opened). Retried here up to `max_attempts`; when it
    /// still fails, the caller may try again later, e.g. on the next turn.
    Retry,
    /// Too many messages to this one recipient (131056). Retried here after `pair_pacing`,
    /// and later messages to that recipient wait too; when it still fails, the caller
    /// should send less to this traveller, e.g. merge its replies into one message.
    PairRateLimited,
    /// The token, the permissions or the business account itself is broken (0, 3, 10, 33,
    /// 190, 200–299, 368, 131005, 131031, 131037, 131042, 131045, 133010; HTTP 401 and 403
    /// without a code). Every further call will fail too: alert an operator and stop sending
    /// until the configuration or the account is fixed. Never retried.
    AlertAndStop,
    /// The traveller's last message is more than 24 hours old (131047): only a template
    /// message can reach them now. Never retried as is.
    UseTemplate,
    /// This message will never reach this recipient, whatever is repeated: not a WhatsApp
    /// user, blocked, limits Meta keeps per user or country, an experiment (130472, 130497,
    /// 131026, 131048, 131049, 131050, 131052). Drop it and note it; do not alert.
    NeverRetry,
    /// Bino built a request Meta refuses: a bad parameter, a missing field, an unsupported
    /// type, a media or template problem (100, 131008, 131009, 131021, 131051, 131053, every
    /// 132xxx; a message Meta would refuse, caught before sending). A bug or a template to
    /// fix: log it as an error. Never retried.
    FixRequest,
    /// A send that may or may not have reached Meta: it timed out after it went out, or
    /// Meta's answer could not be read. Not repeated, because a repeat could reach the
    /// traveller twice; there is no message id to follow.
    Unconfirmed,
    /// A code not known when this was written, or an answer this client cannot read. Not
    /// retried blindly: log it with its code and decide when it is seen.
    Unknown,
}

impl ErrorClass {
    /// The class as a metric label and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Retry => "retry",
            ErrorClass::PairRateLimited => "pair_rate_limited",
            ErrorClass::AlertAndStop => "alert_and_stop",
            ErrorClass::UseTemplate => "use_template",
            ErrorClass::NeverRetry => "never_retry",
            ErrorClass::FixRequest => "fix_request",
            ErrorClass::Unconfirmed => "unconfirmed",
            ErrorClass::Unknown => "unknown",
        }
    }

    /// Whether this client repeats a call that failed this way.
    fn is_retried(self) -> bool {
        matches!(self, ErrorClass::Retry | ErrorClass::PairRateLimited)
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The class of one of Meta's error codes; see each [`ErrorClass`] for the codes it holds.
/// The codes are those of Meta's "WhatsApp error codes" page (Cloud API, 2026).
pub fn classify(code: i64) -> ErrorClass {
    match code {
        // API Unknown, API Service, API Too Many Calls, WABA rate limit, throughput limit,
        // "something went wrong", service unavailable, maintenance (a throughput upgrade),
        // server temporarily unavailable.
        1 | 2 | 4 | 80007 | 130429 | 131000 | 131016 | 131057 | 133004 => ErrorClass::Retry,
        131056 => ErrorClass::PairRateLimited,
        // Authentication and permissions; a deleted business number; the account restricted
        // or locked for policy violations; access denied; display name not approved; payment
        // eligibility; certificate; number not registered.
        0
        | 3
        | 10
        | 33
        | 190
        | 200..=299
        | 368
        | 131005
        | 131031
        | 131037
        | 131042
        | 131045
        | 133010 => ErrorClass::AlertAndStop,
        131047 => ErrorClass::UseTemplate,
        // Experiment, country restriction, undeliverable, spam rate limit (a quality problem
        // that no quick retry fixes), per-user marketing limit, user stopped marketing, the
        // user's media could not be downloaded.
        130472 | 130497 | 131026 | 131048 | 131049 | 131050 | 131052 => ErrorClass::NeverRetry,
        // Invalid parameter, required parameter missing, parameter value invalid, recipient
        // is the sender, unsupported message type, media upload error, templates.
        100 | 131008 | 131009 | 131021 | 131051 | 131053 | 132000..=132999 => {
            ErrorClass::FixRequest
        }
        _ => ErrorClass::Unknown,
    }
}

/// A failed Graph API call. `detail` never holds the token, a recipient or message text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
// Meta's own words stay out of the message (and so out of logs): an error may quote what
// was sent. They are in `detail` for whoever needs them.
#[error("whatsapp graph call failed ({class}, code {})", code.map_or_else(|| "none".to_owned(), |code| code.to_string()))]
pub struct GraphError {
    /// What to do about it.
    pub class: ErrorClass,
    /// Meta's error code, when Meta answered with one.
    pub code: Option<i64>,
    /// Meta's `error_subcode` (deprecated by Meta, still sent on some errors).
    pub subcode: Option<i64>,
    /// The HTTP status, when an answer came back.
    pub http_status: Option<u16>,
    /// Meta's explanation, short and without the token, the recipient or long digit runs;
    /// or what failed below HTTP.
    pub detail: String,
}

impl GraphError {
    fn new(class: ErrorClass, detail: impl Into<String>) -> Self {
        Self {
            class,
            code: None,
            subcode: None,
            http_status: None,
            detail: detail.into(),
        }
    }

    fn invalid_config(what: &str) -> Self {
        Self::new(ErrorClass::AlertAndStop, format!("invalid config: {what}"))
    }
}

/// Meta's receipt for a message it accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    /// `wamid.…`: the id the status webhooks will name.
    pub id: String,
    /// `accepted`, `held_for_quality_assessment` or `paused`, when Meta says.
    pub message_status: Option<String>,
}

/// The three calls this client makes, each with its metric label and its retry rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Send,
    Upload,
    MarkRead,
}

impl Operation {
    /// The `endpoint` label of metrics and logs.
    fn label(self) -> &'static str {
        match self {
            Operation::Send => "messages",
            Operation::Upload => "media",
            Operation::MarkRead => "read",
        }
    }

    /// Whether a request that may have reached Meta can be repeated without harm.
    fn repeat_is_harmless(self) -> bool {
        !matches!(self, Operation::Send)
    }
}

/// A client of the WhatsApp Cloud API for one business phone number. Build one per process
/// and share it: it remembers which recipients must wait after a pair rate limit.
pub struct GraphClient {
    /// Keeps connections to Meta alive and applies the timeouts.
    http: reqwest::Client,
    /// `{base}/{phone_number_id}/messages`.
    messages_url: String,
    /// `{base}/{phone_number_id}/media`.
    media_url: String,
    /// `Bearer <token>`, marked sensitive so it is never printed.
    authorization: HeaderValue,
    /// The token itself, only to remove it from Meta's explanations should one quote it.
    token: SecretString,
    max_attempts: u32,
    min_backoff: Duration,
    max_backoff: Duration,
    pair_pacing: Duration,
    /// Hashed recipient → the instant before which no message is sent to them.
    not_before: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GraphClient")
            .field("messages_url", &self.messages_url)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Checks the configuration and builds the HTTP client. Errors are
    /// [`ErrorClass::AlertAndStop`]: the configuration must change.
    pub fn new(config: GraphConfig) -> Result<Self, GraphError> {
        let base_url = config.base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|_| GraphError::invalid_config("base url is not a url"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(GraphError::invalid_config("base url must be http or https"));
        }
        let phone_number_id = config.phone_number_id.trim();
        if phone_number_id.is_empty() || !phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::invalid_config(
                "phone number id must be Meta's numeric id",
            ));
        }
        let token = config.token.expose_secret().trim();
        if token.is_empty() {
            return Err(GraphError::invalid_config("token is empty"));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| GraphError::invalid_config("token is not a valid header value"))?;
        authorization.set_sensitive(true);
        if config.timeout.is_zero() {
            return Err(GraphError::invalid_config(
                "timeout must be longer than zero",
            ));
        }
        if config.max_attempts == 0 {
            return Err(GraphError::invalid_config(
                "max attempts must be at least 1",
            ));
        }
        if config.min_backoff > config.max_backoff {
            return Err(GraphError::invalid_config(
                "min backoff must not exceed max backoff",
            ));
        }

        // A connection that never opened is safe to retry even for a send, so it gets its own,
        // shorter limit; the overall timeout then covers the request itself.
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("bino/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| GraphError::invalid_config("http client cannot be built"))?;

        Ok(Self {
            http,
            messages_url: format!("{base_url}/{phone_number_id}/messages"),
            media_url: format!("{base_url}/{phone_number_id}/media"),
            authorization,
            token: config.token,
            max_attempts: config.max_attempts,
            min_backoff: config.min_backoff,
            max_backoff: config.max_backoff,
            pair_pacing: config.pair_pacing,
            not_before: Mutex::new(HashMap::new()),
        })
    }

    /// Sends `message` to `to` and returns Meta's message id. A phone number goes in `to`, a
    /// BSUID in `recipient`. May wait `pair_pacing` first if this recipient was rate limited.
    #[tracing::instrument(
        skip_all,
        fields(customer.hash = %hash_id(recipient_id(to)), wa.message_type = message.kind())
    )]
    pub async fn send(
        &self,
        to: &Recipient,
        message: &Outbound,
    ) -> Result<SentMessage, GraphError> {
        let body = serde_json::to_vec(&SendBody::new(to, message))
            .map_err(|_| GraphError::new(ErrorClass::FixRequest, "message cannot be serialized"))?;
        let answer: SendAnswer = self
            .call(Operation::Send, Some(recipient_id(to)), || {
                self.http
                    .post(&self.messages_url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;

        Ok(SentMessage {
            id: answer.message.id,
            message_status: answer.message.message_status,
        })
    }

    /// Uploads a PNG image and returns its media id, to send with [`Outbound::image`]. Meta
    /// keeps uploaded media for 30 days.
    #[tracing::instrument(skip_all, fields(media.bytes = png.len()))]
    pub async fn upload_png(&self, png: Vec<u8>, filename: &str) -> Result<String, GraphError> {
        if !png.starts_with(PNG_SIGNATURE) {
            return Err(GraphError::new(
                ErrorClass::FixRequest,
                "image is not a png",
            ));
        }
        if png.len() > MAX_IMAGE_BYTES {
            return Err(GraphError::new(
                ErrorClass::FixRequest,
                format!("image has {} bytes, more than {MAX_IMAGE_BYTES}", png.len()),
            ));
        }
        let filename = match filename.trim() {
            "" => "image.png".to_owned(),
            name => name.to_owned(),
        };

        let answer: UploadAnswer = self
            .call(Operation::Upload, None, || {
                // A multipart body is consumed by sending, so each attempt builds its own.
                let file = reqwest::multipart::Part::bytes(png.clone())
                    .file_name(filename.clone())
                    .mime_str("image/png")
                    .expect("image/png is a valid mime type");
                let form = reqwest::multipart::Form::new()
                    .text("messaging_product", "whatsapp")
                    .text("type", "image/png")
                    .part("file", file);
                self.http.post(&self.media_url).multipart(form)
            })
            .await?;
        Ok(answer.id)
    }

    /// Marks a received message (and those before it) as read, showing the blue ticks; with
    /// `typing_indicator`, the traveller also sees "typing…" until the reply arrives or 25
    /// seconds pass.
    #[tracing::instrument(skip_all)]
    pub async fn mark_read(
        &self,
        message_id: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError> {
        if message_id.trim().is_empty() {
            return Err(GraphError::new(
                ErrorClass::FixRequest,
                "message id is empty",
            ));
        }
        let body = serde_json::to_vec(&ReadBody {
            messaging_product: "whatsapp",
            status: "read",
            message_id,
            typing_indicator: typing_indicator.then_some(TypingIndicator { kind: "text" }),
        })
        .map_err(|_| GraphError::new(ErrorClass::FixRequest, "receipt cannot be serialized"))?;

        let answer: ReadAnswer = self
            .call(Operation::MarkRead, None, || {
                self.http
                    .post(&self.messages_url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        if !answer.success {
            return Err(GraphError::new(
                ErrorClass::Unknown,
                "meta answered the read receipt with success false",
            ));
        }
        Ok(())
    }

    /// One logical call: attempts, retried while the class allows, paced after a pair rate
    /// limit. `recipient` is the raw id a message goes to; `request` builds a fresh request
    /// for each attempt.
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        operation: Operation,
        recipient: Option<&str>,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<T, GraphError> {
        let pacing_key = recipient.map(hash_id);
        let pacing_key = pacing_key.as_deref();
        let retries = usize::try_from(self.max_attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(self.max_backoff)
            .with_max_times(retries)
            .with_jitter();

        (|| self.attempt(operation, recipient, pacing_key, &request))
            .retry(backoff)
            .when(|error| error.class.is_retried())
            // After a pair rate limit the pause is Meta's pacing, not the backoff; `None`
            // means the attempts are spent and stays `None`.
            .adjust(|error, delay| match (error.class, delay) {
                (ErrorClass::PairRateLimited, Some(_)) => Some(self.pair_pacing),
                (_, delay) => delay,
            })
            .notify(|error, delay| {
                tracing::warn!(
                    graph.endpoint = operation.label(),
                    error.class = %error.class,
                    error.code = error.code,
                    retry_in_ms = delay.as_millis(),
                    "whatsapp graph call failed, retrying"
                );
            })
            .await
    }

    /// One HTTP exchange: wait out the recipient's pacing, send, read the answer, count it.
    async fn attempt<T: for<'de> Deserialize<'de>>(
        &self,
        operation: Operation,
        recipient: Option<&str>,
        pacing_key: Option<&str>,
        request: &impl Fn() -> RequestBuilder,
    ) -> Result<T, GraphError> {
        if let Some(key) = pacing_key {
            self.wait_for_pacing(key).await;
        }
        let started = Instant::now();

        let result = self
            .exchange(operation, request)
            .await
            .map_err(|mut error| {
                // The token and the recipient go first, while they are still whole.
                error.detail = mask(&self.scrub(&error.detail, recipient));
                error
            });
        if let (Err(error), Some(key)) = (&result, pacing_key)
            && error.class == ErrorClass::PairRateLimited
        {
            self.pace(key);
        }

        record_attempt(operation, &result, started.elapsed());
        result
    }

    /// Sends the request and turns the answer into `T` or an error.
    async fn exchange<T: for<'de> Deserialize<'de>>(
        &self,
        operation: Operation,
        request: &impl Fn() -> RequestBuilder,
    ) -> Result<T, GraphError> {
        let response = request()
            .header(AUTHORIZATION, self.authorization.clone())
            .send()
            .await
            .map_err(|error| transport_error(operation, &error))?;

        let status = response.status();
        let answer = response.bytes().await.map_err(|error| {
            // An error status says the request was refused, whatever became of its body.
            let mut failure = if status.is_success() {
                transport_error(operation, &error)
            } else {
                GraphError::new(class_of_status(status), "the error answer was lost")
            };
            failure.http_status = Some(status.as_u16());
            failure
        })?;

        if let Some(error) = read_error(status, &answer) {
            return Err(error);
        }
        serde_json::from_slice(&answer).map_err(|_| {
            // serde's message could quote the answer; the operation says enough.
            let class = if operation.repeat_is_harmless() {
                ErrorClass::Unknown
            } else {
                ErrorClass::Unconfirmed
            };
            GraphError {
                http_status: Some(status.as_u16()),
                ..GraphError::new(
                    class,
                    format!("unexpected answer from the {} endpoint", operation.label()),
                )
            }
        })
    }

    /// Removes the token and the recipient from an explanation, should Meta ever quote them.
    fn scrub(&self, detail: &str, recipient: Option<&str>) -> String {
        let mut scrubbed = detail.replace(self.token.expose_secret().trim(), "<token>");
        if let Some(recipient) = recipient.filter(|id| !id.is_empty()) {
            scrubbed = scrubbed.replace(recipient, "<recipient>");
        }
        scrubbed
    }

    /// Waits until messages to this recipient may be sent again.
    async fn wait_for_pacing(&self, key: &str) {
        let until = {
            let mut paced = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
            match paced.get(key) {
                Some(until) if *until > Instant::now() => Some(*until),
                Some(_) => {
                    paced.remove(key);
                    None
                }
                None => None,
            }
        };
        if let Some(until) = until {
            tracing::debug!(
                wait_ms = until.saturating_duration_since(Instant::now()).as_millis(),
                "pacing messages to a rate-limited recipient"
            );
            tokio::time::sleep_until(until).await;
        }
    }

    /// Holds messages to this recipient for `pair_pacing`.
    fn pace(&self, key: &str) {
        let now = Instant::now();
        let mut paced = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if paced.len() >= MAX_PACED_RECIPIENTS && !paced.contains_key(key) {
            paced.retain(|_, until| *until > now);
            if paced.len() >= MAX_PACED_RECIPIENTS {
                let soonest = paced
                    .iter()
                    .min_by_key(|(_, until)| **until)
                    .map(|(key, _)| key.clone());
                if let Some(soonest) = soonest {
                    paced.remove(&soonest);
                }
            }
        }
        paced.insert(key.to_owned(), now + self.pair_pacing);
    }
}

/// The identifier inside a recipient, whichever field it goes in.
fn recipient_id(recipient: &Recipient) -> &str {
    match recipient {
        Recipient::Phone(id) | Recipient::UserId(id) => id,
    }
}

/// A failure below HTTP: nothing readable came back.
fn transport_error(operation: Operation, error: &reqwest::Error) -> GraphError {
    // reqwest's message names the URL and the cause chain; fixed words say enough.
    let (class, what) = if error.is_connect() {
        // The connection never opened, so Meta cannot have seen the request.
        (ErrorClass::Retry, "connection failed")
    } else if !operation.repeat_is_harmless() {
        (
            ErrorClass::Unconfirmed,
            if error.is_timeout() {
                "timed out after the message was sent"
            } else {
                "the answer to a sent message was lost"
            },
        )
    } else if error.is_timeout() {
        (ErrorClass::Retry, "request timed out")
    } else {
        (ErrorClass::Retry, "request failed")
    };
    GraphError::new(class, what)
}

/// Meta's error envelope, when the answer is one.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: MetaError,
}

#[derive(Deserialize)]
struct MetaError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    error_data: Option<MetaErrorData>,
}

#[derive(Deserialize)]
struct MetaErrorData {
    #[serde(default)]
    details: Option<String>,
}

/// The error an answer stands for: Meta's envelope on any status, else the HTTP status when
/// it is not a success. `None` for a success that is not an error envelope.
fn read_error(status: StatusCode, answer: &[u8]) -> Option<GraphError> {
    let http_status = Some(status.as_u16());
    if let Ok(ErrorEnvelope { error }) = serde_json::from_slice::<ErrorEnvelope>(answer) {
        let class = match error.code {
            Some(code) => classify(code),
            None => class_of_status(status),
        };
        let details = error.error_data.and_then(|data| data.details);
        let detail = match (error.message.as_deref(), details.as_deref()) {
            (Some(message), Some(details)) if message != details => {
                format!("{message}: {details}")
            }
            (Some(text), _) | (None, Some(text)) => text.to_owned(),
            (None, None) => format!("meta error without a message (http {})", status.as_u16()),
        };
        return Some(GraphError {
            class,
            code: error.code,
            subcode: error.error_subcode,
            http_status,
            detail,
        });
    }
    if status.is_success() {
        return None;
    }
    Some(GraphError {
        http_status,
        ..GraphError::new(
            class_of_status(status),
            format!("http status {}", status.as_u16()),
        )
    })
}

/// The class of an HTTP status that came without Meta's error code.
fn class_of_status(status: StatusCode) -> ErrorClass {
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => ErrorClass::Retry,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ErrorClass::AlertAndStop,
        status if status.is_server_error() => ErrorClass::Retry,
        _ => ErrorClass::Unknown,
    }
}

/// Meta's explanation, short and with digit runs that could be phone numbers or BSUIDs
/// replaced by `#`.
fn mask(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, masked: &mut String| {
        if digits.len() >= MASKED_DIGIT_RUN {
            masked.push('#');
        } else {
            masked.push_str(digits);
        }
        digits.clear();
    };
    for character in text.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
        } else {
            flush(&mut digits, &mut masked);
            masked.push(character);
        }
    }
    flush(&mut digits, &mut masked);
    truncate(masked.trim(), MAX_DETAIL_CHARS).into_owned()
}

/// Counts each HTTP exchange, retries included, and its latency. Both labels are bounded:
/// three endpoints, and `ok` or one of the eight class names.
fn record_attempt<T>(operation: Operation, result: &Result<T, GraphError>, elapsed: Duration) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(error) => error.class.as_str(),
    };
    metrics::counter!(
        "bino_graph_requests_total",
        "endpoint" => operation.label(),
        "outcome" => outcome
    )
    .increment(1);
    metrics::histogram!("bino_graph_request_seconds", "endpoint" => operation.label())
        .record(elapsed.as_secs_f64());
    match result {
        Ok(_) => tracing::debug!(
            graph.endpoint = operation.label(),
            elapsed_ms = elapsed.as_millis(),
            "meta answered"
        ),
        Err(error) => tracing::debug!(
            graph.endpoint = operation.label(),
            error.class = %error.class,
            error.code = error.code,
            elapsed_ms = elapsed.as_millis(),
            "meta refused or failed"
        ),
    }
}

// ---- wire format of requests ----

/// The body of `POST /{phone_number_id}/messages` for a message.
#[derive(Serialize)]
struct SendBody<'a> {
    messaging_product: &'static str,
    recipient_type: &'static str,
    /// A phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    /// A business-scoped user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<&'a str>,
    #[serde(flatten)]
    content: Content<'a>,
}

impl<'a> SendBody<'a> {
    fn new(to: &'a Recipient, message: &'a Outbound) -> Self {
        let (to, recipient) = match to {
            Recipient::Phone(phone) => (Some(phone.as_str()), None),
            Recipient::UserId(user) => (None, Some(user.as_str())),
        };
        Self {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to,
            recipient,
            content: Content::from(message),
        }
    }
}

/// `"type": …` with the object of the same name beside it.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Content<'a> {
    Text { text: TextBody<'a> },
    Interactive { interactive: Interactive<'a> },
    Image { image: ImageBody<'a> },
    Template { template: TemplateBody<'a> },
}

impl<'a> From<&'a Outbound> for Content<'a> {
    fn from(message: &'a Outbound) -> Self {
        match message {
            Outbound::Text(text) => Content::Text {
                text: TextBody::from(text),
            },
            Outbound::List(list) => Content::Interactive {
                interactive: Interactive::list(list),
            },
            Outbound::Buttons(buttons) => Content::Interactive {
                interactive: Interactive::buttons(buttons),
            },
            Outbound::Image(image) => Content::Image {
                image: ImageBody::from(image),
            },
            Outbound::Template(template) => Content::Template {
                template: TemplateBody::from(template),
            },
        }
    }
}

#[derive(Serialize)]
struct TextBody<'a> {
    preview_url: bool,
    body: &'a str,
}

impl<'a> From<&'a Text> for TextBody<'a> {
    fn from(text: &'a Text) -> Self {
        Self {
            preview_url: text.preview_url(),
            body: text.body(),
        }
    }
}

#[derive(Serialize)]
struct ImageBody<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
}

impl<'a> From<&'a Image> for ImageBody<'a> {
    fn from(image: &'a Image) -> Self {
        Self {
            id: image.media_id(),
            caption: image.caption(),
        }
    }
}

#[derive(Serialize)]
struct Interactive<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<Header<'a>>,
    body: TextOnly<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<TextOnly<'a>>,
    action: Action<'a>,
}

impl<'a> Interactive<'a> {
    fn list(list: &'a InteractiveList) -> Self {
        Self {
            kind: "list",
            header: list.header().map(Header::text),
            body: TextOnly { text: list.body() },
            footer: list.footer().map(|text| TextOnly { text }),
            action: Action::List {
                button: list.button(),
                sections: list
                    .sections()
                    .iter()
                    .map(|section| SectionBody {
                        title: section.title(),
                        rows: section
                            .rows()
                            .iter()
                            .map(|row| RowBody {
                                id: row.id(),
                                title: row.title(),
                                description: row.description_text(),
                            })
                            .collect(),
                    })
                    .collect(),
            },
        }
    }

    fn buttons(buttons: &'a ReplyButtons) -> Self {
        Self {
            kind: "button",
            header: buttons.header().map(Header::text),
            body: TextOnly {
                text: buttons.body(),
            },
            footer: buttons.footer().map(|text| TextOnly { text }),
            action: Action::Buttons {
                buttons: buttons
                    .buttons()
                    .iter()
                    .map(|button| ButtonBody {
                        kind: "reply",
                        reply: ReplyBody {
                            id: button.id(),
                            title: button.title(),
                        },
                    })
                    .collect(),
            },
        }
    }
}

#[derive(Serialize)]
struct Header<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

impl<'a> Header<'a> {
    fn text(text: &'a str) -> Self {
        Self { kind: "text", text }
    }
}

#[derive(Serialize)]
struct TextOnly<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Action<'a> {
    List {
        button: &'a str,
        sections: Vec<SectionBody<'a>>,
    },
    Buttons {
        buttons: Vec<ButtonBody<'a>>,
    },
}

#[derive(Serialize)]
struct SectionBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    rows: Vec<RowBody<'a>>,
}

#[derive(Serialize)]
struct RowBody<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct ButtonBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    reply: ReplyBody<'a>,
}

#[derive(Serialize)]
struct ReplyBody<'a> {
    id: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct TemplateBody<'a> {
    name: &'a str,
    language: Language<'a>,
    /// Left out when the template has no variable part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component<'a>>,
}

impl<'a> From<&'a Template> for TemplateBody<'a> {
    fn from(template: &'a Template) -> Self {
        let mut components = Vec::new();
        if !template.body_parameters().is_empty() {
            components.push(Component {
                kind: "body",
                sub_type: None,
                index: None,
                parameters: template
                    .body_parameters()
                    .iter()
                    .map(|text| Parameter::Text { text })
                    .collect(),
            });
        }
        for button in template.buttons() {
            let (sub_type, parameter) = match button {
                TemplateButton::QuickReply { payload, .. } => {
                    ("quick_reply", Parameter::Payload { payload })
                }
                TemplateButton::Url { suffix, .. } => ("url", Parameter::Text { text: suffix }),
            };
            components.push(Component {
                kind: "button",
                sub_type: Some(sub_type),
                // Meta documents the index as a string.
                index: Some(button.index().to_string()),
                parameters: vec![parameter],
            });
        }
        Self {
            name: template.name(),
            language: Language {
                code: template.language(),
            },
            components,
        }
    }
}

#[derive(Serialize)]
struct Language<'a> {
    code: &'a str,
}

#[derive(Serialize)]
struct Component<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<String>,
    parameters: Vec<Parameter<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Parameter<'a> {
    Text { text: &'a str },
    Payload { payload: &'a str },
}

/// The body of a read receipt.
#[derive(Serialize)]
struct ReadBody<'a> {
    messaging_product: &'static str,
    status: &'static str,
    message_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    typing_indicator: Option<TypingIndicator>,
}

#[derive(Serialize)]
struct TypingIndicator {
    #[serde(rename = "type")]
    kind: &'static str,
}

// ---- wire format of answers ----

/// `{"messaging_product", "contacts": [...], "messages": [{"id", "message_status"?}]}`; only
/// the message matters here, and an answer without one is unreadable.
#[derive(Deserialize)]
struct SendAnswer {
    #[serde(rename = "messages", deserialize_with = "first_message")]
    message: SentBody,
}

/// The first of Meta's `messages`, which names the one message sent.
fn first_message<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<SentBody, D::Error> {
    Vec::<SentBody>::deserialize(deserializer)?
        .into_iter()
        .next()
        .ok_or_else(|| serde::de::Error::invalid_length(0, &"one message"))
}

#[derive(Deserialize)]
struct SentBody {
    id: String,
    #[serde(default)]
    message_status: Option<String>,
}

#[derive(Deserialize)]
struct UploadAnswer {
    id: String,
}

#[derive(Deserialize)]
struct ReadAnswer {
    success: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::message::{ButtonsMessage, ListMessage, Row, TemplateMessage};
    use serde_json::{Value, json};

    fn wire(to: &Recipient, message: &Outbound) -> Value {
        serde_json::to_value(SendBody::new(to, message)).expect("serializable")
    }

    fn phone() -> Recipient {
        Recipient::Phone("15550001234".to_owned())
    }

    #[test]
    fn codes_fall_into_the_documented_classes() {
        let table: &[(&[i64], ErrorClass)] = &[
            (
                &[1, 2, 4, 80007, 130429, 131000, 131016, 131057, 133004],
                ErrorClass::Retry,
            ),
            (&[131056], ErrorClass::PairRateLimited),
            (
                &[
                    0, 3, 10, 33, 190, 200, 250, 299, 368, 131005, 131031, 131037, 131042, 131045,
                    133010,
                ],
                ErrorClass::AlertAndStop,
            ),
            (&[131047], ErrorClass::UseTemplate),
            (
                &[130472, 130497, 131026, 131048, 131049, 131050, 131052],
                ErrorClass::NeverRetry,
            ),
            (
                &[
                    100, 131008, 131009, 131021, 131051, 131053, 132000, 132001, 132012, 132015,
                    132999,
                ],
                ErrorClass::FixRequest,
            ),
            (&[5, 300, 131055, 133000, 135000, -1], ErrorClass::Unknown),
        ];
        for (codes, class) in table {
            for code in *codes {
                assert_eq!(classify(*code), *class, "code {code}");
            }
        }
    }

    #[test]
    fn only_transient_classes_are_retried() {
        let retried: Vec<_> = [
            ErrorClass::Retry,
            ErrorClass::PairRateLimited,
            ErrorClass::AlertAndStop,
            ErrorClass::UseTemplate,
            ErrorClass::NeverRetry,
            ErrorClass::FixRequest,
            ErrorClass::Unconfirmed,
            ErrorClass::Unknown,
        ]
        .into_iter()
        .filter(|class| class.is_retried())
        .collect();
        assert_eq!(retried, [ErrorClass::Retry, ErrorClass::PairRateLimited]);
    }

    #[test]
    fn meta_errors_are_read_with_code_subcode_and_detail() {
        let answer = json!({"error": {
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": 131047,
            "error_subcode": 2494010,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": "Message failed to send because more than 24 hours have passed since the customer last replied to 15550001234."
            },
            "fbtrace_id": "AbCdEfGh123"
        }});
        let error =
            read_error(StatusCode::BAD_REQUEST, answer.to_string().as_bytes()).expect("an error");
        assert_eq!(error.class, ErrorClass::UseTemplate);
        assert_eq!(error.code, Some(131047));
        assert_eq!(error.subcode, Some(2494010));
        assert_eq!(error.http_status, Some(400));
        assert!(
            error
                .detail
                .starts_with("(#131047) Re-engagement message: Message failed")
        );
    }

    #[test]
    fn statuses_without_a_meta_code_are_classified_by_status() {
        let cases = [
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorClass::Retry),
            (StatusCode::BAD_GATEWAY, ErrorClass::Retry),
            (StatusCode::TOO_MANY_REQUESTS, ErrorClass::Retry),
            (StatusCode::UNAUTHORIZED, ErrorClass::AlertAndStop),
            (StatusCode::NOT_FOUND, ErrorClass::Unknown),
        ];
        for (status, class) in cases {
            let error = read_error(status, b"<html>oops</html>").expect("an error");
            assert_eq!(error.class, class, "{status}");
            assert_eq!(error.code, None);
        }
        assert!(read_error(StatusCode::OK, b"{\"success\":true}").is_none());
    }

    #[test]
    fn masking_hides_long_digit_runs_and_keeps_codes() {
        assert_eq!(
            mask("(#131026) Message undeliverable to 15550001234 or US.13491208655302741918"),
            "(#131026) Message undeliverable to # or US.#"
        );
        assert_eq!(mask(&"x".repeat(500)).chars().count(), MAX_DETAIL_CHARS);
    }

    #[test]
    fn a_phone_goes_in_to_and_a_user_id_in_recipient() {
        let message = Outbound::text("Hi").unwrap();
        let by_phone = wire(&phone(), &message);
        assert_eq!(by_phone["to"], "15550001234");
        assert!(by_phone.get("recipient").is_none());

        let by_user = wire(
            &Recipient::UserId("US.13491208655302741918".to_owned()),
            &message,
        );
        assert_eq!(by_user["recipient"], "US.13491208655302741918");
        assert!(by_user.get("to").is_none());
    }

    #[test]
    fn every_kind_of_message_has_meta_s_shape() {
        let cases = [
            (
                Outbound::text_with_preview("See https://example.test").unwrap(),
                json!({"type": "text", "text": {"preview_url": true, "body": "See https://example.test"}}),
            ),
            (
                Outbound::image("1234567890", Some("Your QR code")).unwrap(),
                json!({"type": "image", "image": {"id": "1234567890", "caption": "Your QR code"}}),
            ),
            (
                ListMessage::new("Pick a plan", "Plans")
                    .section("", [Row::new("p1", "1 GB")])
                    .build()
                    .unwrap(),
                json!({"type": "interactive", "interactive": {
                    "type": "list",
                    "body": {"text": "Pick a plan"},
                    "action": {"button": "Plans", "sections": [{"rows": [{"id": "p1", "title": "1 GB"}]}]}
                }}),
            ),
            (
                ButtonsMessage::new("Pay?")
                    .header("Japan")
                    .button("yes", "Yes")
                    .build()
                    .unwrap(),
                json!({"type": "interactive", "interactive": {
                    "type": "button",
                    "header": {"type": "text", "text": "Japan"},
                    "body": {"text": "Pay?"},
                    "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]}
                }}),
            ),
            (
                TemplateMessage::new("hello_world", "en_US")
                    .build()
                    .unwrap(),
                json!({"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}),
            ),
        ];
        for (message, content) in cases {
            let mut expected = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550001234",
            });
            for (key, value) in content.as_object().unwrap() {
                expected[key] = value.clone();
            }
            assert_eq!(wire(&phone(), &message), expected, "{}", message.kind());
        }
    }

    #[test]
    fn an_unusable_config_is_refused() {
        let valid = GraphConfig::new(
            "https://graph.test/v25.0/",
            "token".into(),
            "106540352242922",
        );
        let cases = [
            GraphConfig {
                base_url: "not a url".to_owned(),
                ..valid.clone()
            },
            GraphConfig {
                base_url: "ftp://graph.test".to_owned(),
                ..valid.clone()
            },
            GraphConfig {
                token: " ".into(),
                ..valid.clone()
            },
            GraphConfig {
                token: "line\nbreak".into(),
                ..valid.clone()
            },
            GraphConfig {
                phone_number_id: "../me".to_owned(),
                ..valid.clone()
            },
            GraphConfig {
                phone_number_id: String::new(),
                ..valid.clone()
            },
            GraphConfig {
                timeout: Duration::ZERO,
                ..valid.clone()
            },
            GraphConfig {
                max_attempts: 0,
                ..valid.clone()
            },
            GraphConfig {
                min_backoff: Duration::from_secs(10),
                max_backoff: Duration::from_secs(1),
                ..valid.clone()
            },
        ];
        for config in cases {
            let error = GraphClient::new(config).expect_err("refused");
            assert_eq!(error.class, ErrorClass::AlertAndStop);
        }
        let client = GraphClient::new(valid).expect("accepted");
        assert_eq!(
            client.messages_url,
            "https://graph.test/v25.0/106540352242922/messages"
        );
        assert!(!format!("{client:?}").contains("token"));
    }

    #[test]
    fn the_default_config_points_at_meta() {
        let config = GraphConfig::new(DEFAULT_BASE_URL, "t".into(), "1");
        assert_eq!(config.base_url, "https://graph.facebook.com/v25.0");
        assert_eq!(config.pair_pacing, Duration::from_secs(6));
        assert!(config.max_attempts >= 1);
    }

    #[tokio::test]
    async fn pacing_is_remembered_per_recipient_and_bounded() {
        let mut config = GraphConfig::new("http://127.0.0.1:9", "t".into(), "1");
        config.pair_pacing = Duration::from_secs(60);
        let client = GraphClient::new(config).unwrap();
        for n in 0..MAX_PACED_RECIPIENTS + 5 {
            client.pace(&format!("recipient-{n}"));
        }
        let paced = client.not_before.lock().unwrap();
        assert_eq!(paced.len(), MAX_PACED_RECIPIENTS);
        assert!(paced.contains_key(&format!("recipient-{}", MAX_PACED_RECIPIENTS + 4)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_recipient_waits_and_others_do_not() {
        let mut config = GraphConfig::new("http://127.0.0.1:9", "t".into(), "1");
        config.pair_pacing = Duration::from_secs(6);
        let client = GraphClient::new(config).unwrap();
        client.pace("slow");

        let started = Instant::now();
        client.wait_for_pacing("other").await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        client.wait_for_pacing("slow").await;
        assert!(started.elapsed() >= Duration::from_secs(6));

        // Once the pause is over, the next message goes at once and the entry is forgotten.
        let again = Instant::now();
        client.wait_for_pacing("slow").await;
        assert_eq!(again.elapsed(), Duration::ZERO);
        assert!(!client.not_before.lock().unwrap().contains_key("slow"));
    }
}
