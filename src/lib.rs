//! Bino sells travel eSIMs through chat and through a supply API for businesses.
//!
//! The components, from the outside in:
//! - [`http`]: the axum routes (supply API, supplier and WhatsApp webhooks, health, metrics,
//!   OpenAPI).
//! - [`bot`]: the conversation that sells an eSIM in chat, and its executor.
//! - [`whatsapp`]: Meta's wire format: signatures, the webhook payload, the Graph API.
//! - [`delivery`]: the eSIM as a traveller receives it: QR code, install links, LPA fields.
//! - [`jobs`]: workers that drain the durable inboxes and poll the supplier.
//! - [`events`]: outbound events from order changes: per-key logs, signed deliveries to
//!   business callbacks and the support desk, retries.
//! - [`orders`]: idempotent orders and their lifecycle, from payment to delivered eSIM.
//! - [`payments`]: checkout before a chat order is placed (Stripe), and who may skip it.
//! - [`supply`]: the [`supply::Supplier`] trait, the eSIM Access client, the offline sandbox,
//!   and the catalog cache in front of both.
//! - [`catalog`]: the domain of packages, plans, money and coverage (no I/O).
//! - [`store`]: Redis or in-memory state: values, counters and streams.
//! - [`config`] and [`telemetry`]: settings from `BINO_*` variables, logs and metrics.
//! - [`app`]: wires all of the above from the settings; [`chat`] runs the bot in a terminal.

pub mod app;
pub mod bot;
pub mod catalog;
pub mod chat;
pub mod config;
#[cfg(test)]
mod damage;
pub mod delivery;
pub mod discovery;
pub mod events;
pub mod http;
pub mod jobs;
pub mod orders;
pub mod payments;
pub mod store;
pub mod supply;
pub mod telemetry;
pub mod whatsapp;
pub mod wire;
