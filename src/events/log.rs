//! Each API key's event log: the events of its orders, oldest first, for polling.
//!
//! The log is a stream per key, `events:log:{owner}`, that no group reads. An event is
//! appended once, atomically with the mark `events:log:{owner}:at:{event id}` whose value
//! is the entry's id: the mark both deduplicates and turns an event id (the cursor clients
//! page with) into a position in the stream. Entries and marks are kept for
//! [`RETENTION`]; a cursor older than that is unknown and paging starts again.

use std::time::Duration;

use super::Event;
use crate::store::{Store, StoreError};

/// How long events stay in a log.
pub const RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most events one page holds.
pub const MAX_PAGE: usize = 100;
/// Events per page when the caller does not say.
pub const DEFAULT_PAGE: usize = 50;

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// `after` names no event of this key's log (never, or longer ago than the retention).
    #[error("no event with this id in your log; page from the start (omit after)")]
    UnknownCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of a log.
pub struct Page {
    pub events: Vec<Event>,
    /// Whether more events follow the last one of this page.
    pub has_more: bool,
}

// A log and its cursors share the owner as hash tag: each cursor is written in one step
// with its entry.
fn log_key(owner: &str) -> String {
    format!("events:log:{{{owner}}}")
}

fn cursor_key(owner: &str, event_id: &str) -> String {
    format!("events:log:{{{owner}}}:at:{event_id}")
}

/// Adds `event` to the log of `owner` unless it is there already, and drops entries past
/// the retention.
pub async fn append(store: &dyn Store, owner: &str, event: &Event) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(event)
        .map_err(|error| StoreError::Protocol(format!("event not encodable: {error}")))?;
    let log = log_key(owner);
    let appended = store
        .stream_append_once(&cursor_key(owner, &event.id), RETENTION, &log, &bytes)
        .await?;
    if appended.is_some() {
        store.stream_drop_older_than(&log, RETENTION).await?;
    }
    Ok(())
}

/// Up to `limit` events of `owner`'s log after the event `after` (from the start when
/// `None`), oldest first.
pub async fn page(
    store: &dyn Store,
    owner: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Page, LogError> {
    let position = match after {
        None => None,
        Some(event_id) => {
            let entry = store
                .get(&cursor_key(owner, event_id))
                .await?
                .ok_or(LogError::UnknownCursor)?;
            Some(String::from_utf8_lossy(&entry).into_owned())
        }
    };

    // One more than asked tells whether another page follows.
    let mut entries = store
        .stream_range(&log_key(owner), position.as_deref(), limit + 1)
        .await?;
    let has_more = entries.len() > limit;
    entries.truncate(limit);

    let mut events = Vec::with_capacity(entries.len());
    for entry in entries {
        match serde_json::from_slice::<Event>(&entry.payload) {
            Ok(event) => events.push(event),
            // Only Bino writes the log; an unreadable entry is a bug, not the caller's fault.
            Err(error) => {
                tracing::error!(%error, stream.entry_id = %entry.id, "unreadable event in a log skipped")
            }
        }
    }
    Ok(Page { events, has_more })
}
