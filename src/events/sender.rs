//! The HTTP side of a delivery: one signed POST to a subscriber's URL.
//!
//! The body is the event's JSON; `Bino-Event-Id` names the event and `Bino-Signature`
//! signs the body (see [`super::signature`]). Redirects are not followed: a receiver that
//! moved registers its new URL. Errors are reduced to a short reason, because reqwest's own
//! messages quote the URL and a URL's query string may hold a receiver's token.

use std::time::Duration;

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, sign};

/// Where a delivery goes and what signs it.
pub struct Target {
    pub url: String,
    pub secret: SecretString,
}

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver answered 2xx: delivered.
    Accepted { status: u16 },
    /// The receiver answered something else.
    Refused { status: u16 },
    /// No answer: `reason` says what failed, without the URL.
    Unreachable { reason: &'static str },
    /// Not sent, because the subscriber has nowhere to receive it (any more).
    Nowhere { reason: &'static str },
}

impl SendOutcome {
    /// A short description for the delivery's record and the admin listing.
    pub fn describe(&self) -> String {
        match self {
            SendOutcome::Accepted { status } | SendOutcome::Refused { status } => {
                format!("http {status}")
            }
            SendOutcome::Unreachable { reason } | SendOutcome::Nowhere { reason } => {
                (*reason).to_owned()
            }
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            SendOutcome::Accepted { status } | SendOutcome::Refused { status } => Some(*status),
            SendOutcome::Unreachable { .. } | SendOutcome::Nowhere { .. } => None,
        }
    }
}

/// Sends deliveries; one per process, sharing its connections.
pub struct WebhookSender {
    client: reqwest::Client,
}

impl WebhookSender {
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Bino-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(WebhookSender { client })
    }

    /// POSTs `body` to `target`, signed now, waiting at most `timeout` for the answer.
    pub async fn send(
        &self,
        target: &Target,
        event_id: &str,
        body: &str,
        timeout: Duration,
    ) -> SendOutcome {
        let signature = sign(
            target.secret.expose_secret().as_bytes(),
            Utc::now().timestamp(),
            body.as_bytes(),
        );
        let sent = self
            .client
            .post(&target.url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_ID_HEADER, event_id)
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    SendOutcome::Accepted { status }
                } else {
                    SendOutcome::Refused { status }
                }
            }
            Err(error) => SendOutcome::Unreachable {
                reason: reason_of(&error),
            },
        }
    }
}

fn reason_of(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_builder() {
        "invalid url"
    } else {
        "request failed"
    }
}
