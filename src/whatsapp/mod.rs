//! The WhatsApp Cloud API channel: Meta's webhooks in, Graph API calls out.
//!
//! - [`signature`] checks `X-Hub-Signature-256` on the raw body, before anything is stored.
//! - [`payload`] turns a webhook body into [`model::Update`]s, tolerating whatever Meta adds.
//! - [`message`] builds outgoing messages within Meta's limits; [`graph`] sends them and
//!   classifies Meta's errors into what to do next; [`outbox`] checks the 24-hour window
//!   before sending and remembers what was sent, so a failure reported later finds its way
//!   back to the customer.
//!
//! The webhook route is in `http::whatsapp_webhook`; the worker that drains the inbox, keeps
//! each customer's messages in order and remembers the 24-hour window is `jobs::whatsapp`.

pub mod graph;
pub mod message;
pub mod model;
pub mod outbox;
pub mod payload;
pub mod signature;

pub use model::{Content, Identity, InboundMessage, Recipient, StatusUpdate, Update};

/// A customer key as a person may write it (in the allowlist, in an admin URL): a phone
/// number with or without `+`, spaces, dashes or brackets becomes the digits Meta sends as
/// `wa_id`; anything else (a business-scoped user id) is kept as written, trimmed.
pub fn customer_key(written: &str) -> String {
    let trimmed = written.trim();
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')'))
        .collect();
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        digits
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn phone_numbers_are_read_as_meta_writes_them_and_other_ids_are_kept() {
        for (written, key) in [
            ("+1 555-000-1234", "15550001234"),
            ("(1) 5550001234", "15550001234"),
            ("15550001234", "15550001234"),
            (" US.13491208655302741918 ", "US.13491208655302741918"),
            ("+", "+"),
        ] {
            assert_eq!(super::customer_key(written), key, "{written}");
        }
    }
}
