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
