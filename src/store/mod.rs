//! Shared state behind one trait: Redis in production, memory for `bino chat` and tests.
//!
//! Values are opaque bytes; callers choose their encoding. Queues are lists handled
//! front to back by whoever holds the lock that goes with them. Every key is namespaced by the
//! backend's prefix, so several test runs or tenants can share one Redis. Streams are the
//! durable inboxes: entries are appended by webhook handlers and read by workers through a
//! consumer group, acknowledged when handled, and reclaimed when a worker died holding them.
//! An entry stays in its stream until every group has handled it; only then may a trim
//! remove it, so a growing backlog costs memory, never events. Streams no group reads are
//! logs: clients page through them by entry id, and they lose entries only by age. Sorted
//! sets hold work scheduled for later, scored by the Unix millisecond it is due.

pub mod memory;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;

/// A store failure. The store is the source of truth, so callers usually answer 503 and
/// let the sender retry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store answered unexpectedly: {0}")]
    Protocol(String),
}

/// One entry of a stream, as read by a consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    /// The store's id of the entry (`1700000000000-0` in Redis), used to acknowledge it.
    pub id: String,
    pub payload: Vec<u8>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "redis", "redis-cluster" or "memory", for logs and readiness.
    fn backend(&self) -> &'static str;

    /// Checks that the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes a value, replacing any; `ttl` of `None` keeps it until deleted.
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), StoreError>;

    /// Writes a value only if the key is absent; true when this call wrote it. This is the
    /// atomic step behind deduplication and idempotency.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError>;

    /// Replaces the value only if it is still `expected` (`None`: the key is absent); true
    /// when replaced. Two writers racing on one key cannot both win.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError>;

    /// Deletes a key; true when it existed.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;

    /// Deletes a key only if it still holds `expected`; true when deleted. Releases a lock
    /// without releasing someone else's after the lease ran out.
    async fn delete_if(&self, key: &str, expected: &[u8]) -> Result<bool, StoreError>;

    /// In one atomic step: if `dedupe_key` is absent, sets it (expiring after `ttl`) and
    /// appends `item` to the back of `queue`; true when it did. Nothing can happen between
    /// the two, so a crash never marks an item seen without queueing it. Both keys must carry
    /// one hash tag ([`share_a_slot`]), as Redis Cluster needs; every backend refuses others.
    async fn queue_push_once(
        &self,
        dedupe_key: &str,
        ttl: Duration,
        queue: &str,
        item: &[u8],
    ) -> Result<bool, StoreError>;

    /// The item at the front of `queue`, left in place.
    async fn queue_front(&self, queue: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Removes the front item of `queue` if it is still `item`; true when removed. The check
    /// keeps a worker whose lease lapsed from removing an item it did not handle.
    async fn queue_remove_front(&self, queue: &str, item: &[u8]) -> Result<bool, StoreError>;

    /// Items waiting in `queue`.
    async fn queue_len(&self, queue: &str) -> Result<u64, StoreError>;

    /// Adds one to a counter and returns the new value; `ttl` is set when the counter is
    /// created, so fixed windows expire by themselves.
    async fn increment(&self, key: &str, ttl: Option<Duration>) -> Result<i64, StoreError>;

    /// Appends an entry and returns its id. Once this returns, the entry survives a restart
    /// of Bino (and of Redis, with persistence on).
    async fn stream_append(&self, stream: &str, payload: &[u8]) -> Result<String, StoreError>;

    /// Creates the consumer group if missing, reading from the start of the stream.
    async fn stream_ensure_group(&self, stream: &str, group: &str) -> Result<(), StoreError>;

    /// Entries never delivered to the group, at most `count`, waiting up to `block` for one.
    async fn stream_read(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<StreamEntry>, StoreError>;

    /// Marks entries as handled so they are never delivered again.
    async fn stream_ack(&self, stream: &str, group: &str, ids: &[String])
    -> Result<(), StoreError>;

    /// Takes over entries delivered to some consumer but not acknowledged for `min_idle`:
    /// the way a dead worker's entries get handled by a live one.
    async fn stream_claim_idle(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<StreamEntry>, StoreError>;

    /// Entries delivered but not yet acknowledged, for metrics and tests.
    async fn stream_pending(&self, stream: &str, group: &str) -> Result<u64, StoreError>;

    /// Removes, oldest first, the entries every group of the stream has handled: delivered
    /// to the group and older than all of its pending entries. Returns how many went.
    /// Backends also trim by themselves from time to time, by the same rule; a stream with
    /// no group yet keeps every entry for its first consumer.
    async fn stream_trim(&self, stream: &str) -> Result<u64, StoreError>;

    /// Number of entries the stream retains: every entry some group has not handled yet,
    /// and handled ones until a trim removes them.
    async fn stream_len(&self, stream: &str) -> Result<u64, StoreError>;

    /// In one atomic step: if `dedupe_key` is absent, appends `payload` to `stream` and sets
    /// `dedupe_key` to the new entry's id (expiring after `ttl`); returns that id, or `None`
    /// when the key was there already. A crash can never append without marking or mark
    /// without appending, and the mark tells where the entry went. Both keys must carry one
    /// hash tag ([`share_a_slot`]), as Redis Cluster needs; every backend refuses others.
    async fn stream_append_once(
        &self,
        dedupe_key: &str,
        ttl: Duration,
        stream: &str,
        payload: &[u8],
    ) -> Result<Option<String>, StoreError>;

    /// Up to `count` entries in id order, those after entry id `after` (exclusive) or from
    /// the start, read without a group: for logs that clients page through.
    async fn stream_range(
        &self,
        stream: &str,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<StreamEntry>, StoreError>;

    /// Removes the entries appended more than `age` ago, whatever groups still hold: for
    /// logs kept for a while, never for inboxes. Returns how many went.
    async fn stream_drop_older_than(&self, stream: &str, age: Duration) -> Result<u64, StoreError>;

    /// Puts `member` in the sorted set `key` with `score`, or moves it there; with
    /// `only_if_absent` a member already in the set keeps its score. True when the member
    /// was not in the set before.
    async fn sorted_add(
        &self,
        key: &str,
        member: &str,
        score: i64,
        only_if_absent: bool,
    ) -> Result<bool, StoreError>;

    /// Removes `member` from the sorted set `key`; true when it was there.
    async fn sorted_remove(&self, key: &str, member: &str) -> Result<bool, StoreError>;

    /// The score of `member` in the sorted set `key`.
    async fn sorted_score(&self, key: &str, member: &str) -> Result<Option<i64>, StoreError>;

    /// Up to `count` members of the sorted set `key` with their scores, lowest score first
    /// (ties by member).
    async fn sorted_range(&self, key: &str, count: usize)
    -> Result<Vec<(String, i64)>, StoreError>;

    /// In one atomic step: up to `count` members scoring at most `max_score`, lowest first,
    /// get the score `new_score` and are returned. A worker takes due work this way: two
    /// workers never take the same member, and a worker that dies holding one leaves it to
    /// come due again at `new_score`.
    async fn sorted_take_due(
        &self,
        key: &str,
        max_score: i64,
        new_score: i64,
        count: usize,
    ) -> Result<Vec<String>, StoreError>;
}

pub type SharedStore = Arc<dyn Store>;

/// The part of `key` that Redis Cluster hashes to choose the key's slot, when the key has
/// one: the text between its first `{` and the first `}` after that, if not empty.
pub fn hash_tag(key: &str) -> Option<&str> {
    let (_, after_open) = key.split_once('{')?;
    let (tag, _) = after_open.split_once('}')?;
    (!tag.is_empty()).then_some(tag)
}

/// Whether two keys are sure to live in one cluster slot, so one script may touch both:
/// they carry the same hash tag. Two keys without tags may share a slot by chance, which
/// no caller may count on.
pub fn share_a_slot(a: &str, b: &str) -> bool {
    hash_tag(a).is_some() && hash_tag(a) == hash_tag(b)
}

/// The refusal of a two-key operation whose keys could land on different cluster nodes.
fn keys_in_different_slots(operation: &str) -> StoreError {
    StoreError::Protocol(format!(
        "{operation} needs both keys in one cluster slot: give them the same hash tag"
    ))
}

/// JSON helpers over any store, for callers that keep structured records.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match store.get(key).await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|error| {
            StoreError::Protocol(format!("record {key:?} is unreadable: {error}"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_tag_is_the_first_braced_text_when_not_empty() {
        assert_eq!(hash_tag("wa:{abc}:queue"), Some("abc"));
        assert_eq!(hash_tag("{a}{b}"), Some("a"));
        assert_eq!(hash_tag("x{a{b}c}"), Some("a{b"));
        assert_eq!(
            hash_tag("{}{a}"),
            None,
            "an empty first tag makes the key hash whole"
        );
        assert_eq!(hash_tag("events:outbound"), None);
        assert_eq!(hash_tag("open{only"), None);
        assert_eq!(hash_tag("close}{"), None);
    }

    #[test]
    fn only_keys_with_one_tag_surely_share_a_slot() {
        assert!(share_a_slot("wa:{c1}:seen:m1", "wa:{c1}:queue"));
        assert!(!share_a_slot("wa:{c1}:seen:m1", "wa:{c2}:queue"));
        assert!(!share_a_slot("seen:m1", "queue"));
        assert!(!share_a_slot("same", "same"), "no tag: nothing to count on");
    }
}
