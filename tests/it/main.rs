//! Integration tests: the real server on port 0, real Redis with a key prefix per test,
//! and wiremock standing in for eSIM Access and Meta's Graph API.

mod binary;
mod checkout_and_care;
mod conversation;
mod esimaccess_orders;
mod graph_client;
mod hostile_input;
mod outbound_events;
mod processes;
mod resilience;
mod searchai;
mod security;
mod store_contract;
mod supply_api;
mod support;
mod whatsapp_channel;
mod whatsapp_payloads;
