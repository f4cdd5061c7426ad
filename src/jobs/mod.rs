//! Background workers: they drain the durable inboxes, poll the supplier and deliver
//! outbound events.
//!
//! Workers read streams through consumer groups, so several `bino serve` processes share
//! the work and an entry held by a process that died is taken over by another after a
//! while. Each worker stops when the shutdown token is cancelled, after the entry in hand.

pub mod allocation;
pub mod inbox;
pub mod outbound;
pub mod payments;
pub mod supplier_events;
pub mod whatsapp;

use std::time::Duration;

/// A name for this process's consumers, unique per process so a restarted process does
/// not inherit the pending entries of its previous life by name (it reclaims them instead).
pub fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "bino".to_owned());
    let unique = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &unique[..8])
}

/// Creates a worker's consumer group again after a failed read. A Redis that restarted
/// without its data (no persistence, or a failover to an empty replica) has lost the
/// groups, and reads then fail for ever; creating an existing group changes nothing.
pub(crate) async fn recreate_group(store: &dyn crate::store::Store, stream: &str, group: &str) {
    if let Err(error) = store.stream_ensure_group(stream, group).await {
        tracing::debug!(%error, stream, "consumer group not recreated yet");
    }
}

/// Waits before the next attempt after a store failure, so a Redis outage is not a busy loop.
pub(crate) async fn pause_after_store_error() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}
