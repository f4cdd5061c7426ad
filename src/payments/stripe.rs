//! Stripe: Checkout Sessions through the REST API, and the events Stripe posts back.
//!
//! A session is created with a form-encoded `POST /v1/checkout/sessions` carrying the
//! order's price, a plan name, the pages to return to, and the order's reference in
//! `metadata` and `client_reference_id`; an `Idempotency-Key` derived from the order makes
//! a retried creation return the same session. Stripe then posts events to
//! `POST /payments/stripe/webhook`, signed in `Stripe-Signature` with the same scheme Bino
//! signs its own events with (`t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    CheckoutError, CheckoutRequest, CheckoutSession, PaidAmount, PaymentEvent, PaymentProblem,
};
use crate::events::signature::{self, SignatureError};
use crate::wire;

/// The header Stripe signs its events in.
pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// How far an event's timestamp may be from our clock: Stripe's own recommendation, and
/// what keeps a captured delivery from being replayed later.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
/// How long a payment link stays open. Stripe accepts 30 minutes to 24 hours; a traveller
/// paying from the chat does so at once or not at all.
const SESSION_LIFETIME: Duration = Duration::from_secs(60 * 60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

pub struct StripeConfig {
    /// `https://api.stripe.com`, or a mock in tests.
    pub base_url: String,
    pub secret_key: SecretString,
    /// Where Stripe sends the buyer after paying or giving up (`BINO_PUBLIC_URL`).
    pub public_url: String,
}

pub struct StripeClient {
    http: reqwest::Client,
    config: StripeConfig,
}

/// The part of a Checkout Session Bino reads.
#[derive(Deserialize)]
struct SessionBody {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_i64")]
    expires_at: Option<i64>,
}

/// Stripe's error envelope: `{"error": {"type", "code"?, "message"}}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

impl StripeClient {
    pub fn new(config: StripeConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Bino/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(StripeClient { http, config })
    }

    /// Creates (or, for a retry of the same order, finds again) the Checkout Session.
    pub async fn create_session(
        &self,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, CheckoutError> {
        let cents = request.amount.cents().ok_or_else(|| {
            CheckoutError::Refused("the amount is not a whole number of cents".to_owned())
        })?;
        if cents <= 0 {
            return Err(CheckoutError::Refused(
                "the amount must be above zero".to_owned(),
            ));
        }
        let expires_at =
            Utc::now().timestamp() + i64::try_from(SESSION_LIFETIME.as_secs()).unwrap_or(i64::MAX);
        let public = self.config.public_url.trim_end_matches('/');
        let form: Vec<(&str, String)> = vec![
            ("mode", "payment".to_owned()),
            ("line_items[0][quantity]", "1".to_owned()),
            ("line_items[0][price_data][currency]", "usd".to_owned()),
            ("line_items[0][price_data][unit_amount]", cents.to_string()),
            (
                "line_items[0][price_data][product_data][name]",
                request.description.clone(),
            ),
            ("client_reference_id", request.reference.clone()),
            ("metadata[binoTransactionId]", request.order_id.clone()),
            ("metadata[binoReference]", request.reference.clone()),
            ("expires_at", expires_at.to_string()),
            ("success_url", format!("{public}/payments/done")),
            ("cancel_url", format!("{public}/payments/cancelled")),
        ];
        let response = self
            .http
            .post(format!(
                "{}/v1/checkout/sessions",
                self.config.base_url.trim_end_matches('/')
            ))
            .bearer_auth(self.config.secret_key.expose_secret())
            // The same order always names the same session: a retry after a lost answer
            // gets the session created the first time, not a second one.
            .header(
                "Idempotency-Key",
                format!("bino-checkout-{}", request.reference),
            )
            .form(&form)
            .send()
            .await
            .map_err(|error| CheckoutError::Unavailable(reason_of(&error).to_owned()))?;

        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| CheckoutError::Unavailable(reason_of(&error).to_owned()))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(CheckoutError::Unavailable(format!(
                "stripe answered {status}"
            )));
        }
        if !status.is_success() {
            // Stripe's message can quote the request; only its type and code are kept.
            let (kind, code) = serde_json::from_slice::<ErrorEnvelope>(&bytes)
                .map(|envelope| (envelope.error.kind, envelope.error.code))
                .unwrap_or_default();
            return Err(CheckoutError::Refused(format!(
                "stripe answered {status} ({}{})",
                kind.as_deref().unwrap_or("unknown error"),
                code.map(|code| format!(", {code}")).unwrap_or_default()
            )));
        }
        let session: SessionBody = serde_json::from_slice(&bytes).map_err(|error| {
            CheckoutError::Unavailable(format!("unreadable checkout session: {error}"))
        })?;
        let url = session.url.filter(|url| !url.is_empty()).ok_or_else(|| {
            CheckoutError::Unavailable("the checkout session has no url".to_owned())
        })?;
        Ok(CheckoutSession {
            session_id: session.id,
            url,
            expires_at: session
                .expires_at
                .and_then(|at| DateTime::from_timestamp(at, 0)),
        })
    }
}

fn reason_of(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "stripe timed out"
    } else if error.is_connect() {
        "stripe unreachable"
    } else {
        "stripe request failed"
    }
}

/// Checks `Stripe-Signature` on the body exactly as received.
pub fn verify_signature(
    secret: &SecretString,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    signature::verify(
        secret.expose_secret().as_bytes(),
        header,
        body,
        now,
        SIGNATURE_TOLERANCE_SECS,
    )
}

/// The part of a Checkout Session inside a `checkout.session.*` event that Bino reads.
/// Every field is optional and tolerant of other types: other event types carry other
/// objects, which are ignored.
#[derive(Default, Deserialize)]
struct SessionObject {
    #[serde(default, deserialize_with = "wire::opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    payment_status: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: serde_json::Value,
    #[serde(default, deserialize_with = "wire::opt_i64")]
    amount_total: Option<i64>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    payment_intent: Option<String>,
}

/// Why a Stripe event body could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEvent {
    #[error("the body is not a Stripe event (a JSON object with a string id and type): {0}")]
    NotAnEvent(String),
}

/// A Stripe event: its id (for deduplication) and what it means for an order, if anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeEvent {
    pub id: String,
    pub kind: String,
    pub payment: Option<PaymentEvent>,
}

/// Reads a Stripe event. Only Checkout Session events matter to Bino; others parse to an
/// event with no payment meaning and are acknowledged.
pub fn parse_event(body: &[u8]) -> Result<StripeEvent, InvalidEvent> {
    let not_an_event = |why: &str| InvalidEvent::NotAnEvent(why.to_owned());
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| InvalidEvent::NotAnEvent(error.to_string()))?;
    let event = value
        .as_object()
        .ok_or_else(|| not_an_event("the body is not an object"))?;
    let text = |name: &str| {
        event
            .get(name)
            .and_then(serde_json::Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| not_an_event(&format!("{name} is missing or not a string")))
    };
    let (id, kind) = (text("id")?, text("type")?);
    if !kind.starts_with("checkout.session.") {
        return Ok(StripeEvent {
            id,
            kind,
            payment: None,
        });
    }
    // A session object that cannot be read means nothing for an order.
    let session: SessionObject = event
        .get("data")
        .and_then(|data| data.get("object"))
        .filter(|object| object.is_object())
        .and_then(|object| serde_json::from_value(object.clone()).ok())
        .unwrap_or_default();
    let reference = session.client_reference_id.clone().or_else(|| {
        session
            .metadata
            .get("binoReference")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    });
    let session_id = session.id.clone().unwrap_or_default();
    let payment = reference.and_then(|reference| match kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            // A completed session may still wait for a bank transfer ("unpaid"); only
            // money received counts. `no_payment_required` means a 100% discount.
            matches!(
                session.payment_status.as_deref(),
                Some("paid" | "no_payment_required")
            )
            .then(|| PaymentEvent::Paid {
                reference,
                payment_ref: session
                    .payment_intent
                    .clone()
                    .unwrap_or_else(|| session_id.clone()),
                session_id: session_id.clone(),
                paid: PaidAmount {
                    cents: session.amount_total,
                    currency: session.currency.clone(),
                },
            })
        }
        "checkout.session.expired" => Some(PaymentEvent::Abandoned {
            reference,
            session_id: session_id.clone(),
            why: PaymentProblem::LinkExpired,
        }),
        "checkout.session.async_payment_failed" => Some(PaymentEvent::Abandoned {
            reference,
            session_id: session_id.clone(),
            why: PaymentProblem::PaymentFailed,
        }),
        _ => None,
    });
    Ok(StripeEvent { id, kind, payment })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, payment_status: &str) -> Vec<u8> {
        serde_json::json!({
            "id": "evt_1TestEvent",
            "object": "event",
            "type": kind,
            "livemode": false,
            "data": {"object": {
                "id": "cs_test_a1",
                "object": "checkout.session",
                "payment_status": payment_status,
                "client_reference_id": "ref123",
                "metadata": {"binoTransactionId": "wa-1", "binoReference": "ref123"},
                "amount_total": 1250,
                "currency": "usd",
                "payment_intent": "pi_1",
                "unknown_field": {"nested": [1, 2, 3]}
            }}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_paid_completed_session_is_a_payment() {
        let parsed = parse_event(&event("checkout.session.completed", "paid")).unwrap();
        assert_eq!(parsed.id, "evt_1TestEvent");
        assert_eq!(
            parsed.payment,
            Some(PaymentEvent::Paid {
                reference: "ref123".to_owned(),
                session_id: "cs_test_a1".to_owned(),
                payment_ref: "pi_1".to_owned(),
                paid: PaidAmount {
                    cents: Some(1250),
                    currency: Some("usd".to_owned()),
                },
            })
        );
    }

    #[test]
    fn a_completed_session_still_waiting_for_money_is_not_a_payment() {
        let parsed = parse_event(&event("checkout.session.completed", "unpaid")).unwrap();
        assert_eq!(parsed.payment, None);
        let later =
            parse_event(&event("checkout.session.async_payment_succeeded", "paid")).unwrap();
        assert!(matches!(later.payment, Some(PaymentEvent::Paid { .. })));
    }

    #[test]
    fn an_expired_or_failed_session_abandons_the_checkout_and_says_why() {
        for (kind, why) in [
            ("checkout.session.expired", PaymentProblem::LinkExpired),
            (
                "checkout.session.async_payment_failed",
                PaymentProblem::PaymentFailed,
            ),
        ] {
            let parsed = parse_event(&event(kind, "unpaid")).unwrap();
            assert_eq!(
                parsed.payment,
                Some(PaymentEvent::Abandoned {
                    reference: "ref123".to_owned(),
                    session_id: "cs_test_a1".to_owned(),
                    why,
                }),
                "{kind}"
            );
        }
    }

    #[test]
    fn an_amount_that_cannot_be_read_is_kept_as_unknown_never_as_the_price() {
        for amount in [
            serde_json::json!(null),
            serde_json::json!(5.58),
            serde_json::json!("lots"),
        ] {
            let mut body: serde_json::Value =
                serde_json::from_slice(&event("checkout.session.completed", "paid")).unwrap();
            body["data"]["object"]["amount_total"] = amount.clone();
            let parsed = parse_event(body.to_string().as_bytes()).unwrap();
            let Some(PaymentEvent::Paid { paid, .. }) = parsed.payment else {
                panic!("{amount}: still a payment, to be refunded");
            };
            assert_eq!(paid.cents, None, "{amount}");
            assert!(!paid.is(crate::catalog::Money::from_cents(558)));
        }
    }

    #[test]
    fn other_events_and_odd_objects_parse_without_meaning() {
        let charge = br#"{"id":"evt_2","type":"charge.succeeded","data":{"object":{"id":"ch_1","amount":"not a number"}}}"#;
        let parsed = parse_event(charge).unwrap();
        assert_eq!(
            (parsed.kind.as_str(), parsed.payment),
            ("charge.succeeded", None)
        );
        let no_data = br#"{"id":"evt_3","type":"checkout.session.completed"}"#;
        assert_eq!(parse_event(no_data).unwrap().payment, None);
        for object in [
            serde_json::json!(5),
            serde_json::json!({"metadata": [1, 2], "client_reference_id": {"a": 1}}),
            serde_json::json!({"metadata": "x", "amount_total": []}),
        ] {
            let body = serde_json::json!({"id": "evt_9", "type": "checkout.session.completed",
                "data": {"object": object}});
            let parsed = parse_event(body.to_string().as_bytes()).unwrap();
            assert_eq!(parsed.payment, None, "{body}");
        }
        let other =
            br#"{"id": "evt_8", "type": "invoice.paid", "data": {"object": {"metadata": []}}}"#;
        assert_eq!(parse_event(other).unwrap().payment, None);
    }

    #[test]
    fn bodies_that_are_not_events_are_refused() {
        for body in [
            &b"not json"[..],
            b"[]",
            b"{}",
            br#"{"id": 5, "type": "x"}"#,
            br#"["evt_1", "checkout.session.completed", [["cs_1", "paid", "ref", null, 558]]]"#,
            br#"{"id": "", "type": "checkout.session.completed"}"#,
        ] {
            assert!(
                parse_event(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_signature_is_checked_on_the_raw_bytes_within_five_minutes() {
        let secret = SecretString::from("whsec_test_secret");
        let body = event("checkout.session.completed", "paid");
        let now = 1_700_000_000;
        let header = signature::sign(b"whsec_test_secret", now, &body);
        assert_eq!(
            verify_signature(&secret, Some(&header), &body, now + 10),
            Ok(())
        );
        assert_eq!(
            verify_signature(&secret, Some(&header), &body, now + 301),
            Err(SignatureError::Stale)
        );
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        assert_eq!(
            verify_signature(&secret, Some(&header), &tampered, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&secret, None, &body, now),
            Err(SignatureError::Malformed)
        );
        // Stripe also sends a v0 scheme during tests; it is ignored, not fatal.
        let with_v0 = format!("{header},v0=deadbeef");
        assert_eq!(
            verify_signature(&secret, Some(&with_v0), &body, now),
            Ok(())
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::damage::{config, hostile_bodies};

        const SECRET: &str = "whsec_test_properties";
        const NOW: i64 = 1_767_225_600;

        fn fixtures() -> [Vec<u8>; 3] {
            [
                event("checkout.session.completed", "paid"),
                event("checkout.session.expired", "unpaid"),
                event("charge.refunded", "paid"),
            ]
        }

        fn check(body: &[u8]) -> Result<(), TestCaseError> {
            if let Ok(parsed) = parse_event(body) {
                prop_assert!(!parsed.id.is_empty() && !parsed.kind.is_empty());
                // Only a Checkout Session event may move an order.
                if parsed.payment.is_some() {
                    prop_assert!(parsed.kind.starts_with("checkout.session."));
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_body_or_damaged_real_event_is_read_or_refused_consistently(
                body in hostile_bodies(fixtures().to_vec()),
            ) {
                check(&body)?;
            }

            #[test]
            fn an_arbitrary_signature_header_is_refused_without_panicking(
                header in any::<String>(),
                body in proptest::collection::vec(any::<u8>(), 0..64),
            ) {
                let secret = SecretString::from(SECRET);

                prop_assert!(verify_signature(&secret, Some(&header), &body, NOW).is_err());
            }

            #[test]
            fn a_signature_made_within_five_minutes_verifies_and_any_other_body_does_not(
                body in proptest::collection::vec(any::<u8>(), 1..128),
                age in -SIGNATURE_TOLERANCE_SECS..=SIGNATURE_TOLERANCE_SECS,
                at in any::<usize>(),
                flip in 1u8..,
            ) {
                let secret = SecretString::from(SECRET);
                let header = signature::sign(SECRET.as_bytes(), NOW - age, &body);
                let mut tampered = body.clone();
                let at = at % tampered.len();
                tampered[at] ^= flip;

                prop_assert_eq!(verify_signature(&secret, Some(&header), &body, NOW), Ok(()));
                prop_assert_eq!(
                    verify_signature(&secret, Some(&header), &tampered, NOW),
                    Err(SignatureError::Mismatch)
                );
            }

            #[test]
            fn a_signature_older_than_five_minutes_is_stale(
                body in proptest::collection::vec(any::<u8>(), 0..64),
                late in 1..1_000_000i64,
            ) {
                let secret = SecretString::from(SECRET);
                let header =
                    signature::sign(SECRET.as_bytes(), NOW - SIGNATURE_TOLERANCE_SECS - late, &body);

                prop_assert_eq!(
                    verify_signature(&secret, Some(&header), &body, NOW),
                    Err(SignatureError::Stale)
                );
            }
        }
    }
}
