//! The in-process store: the Redis contract kept in this process's memory.
//!
//! `bino chat` and `bino serve` without `BINO_REDIS_URL` use it, so a laptop runs the whole
//! service with nothing else installed; nothing survives a restart. Streams follow the
//! Redis consumer-group rules (delivered once per group, pending until acknowledged,
//! claimable once idle) so workers behave the same on both backends. A stream that grows
//! past its threshold drops its oldest entries, but only those every group has handled.
//!
//! Every operation takes one lock, does its work synchronously and releases it, which makes
//! each operation atomic the way a Redis command is. No lock is held across an `.await`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::ops::Bound;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Store, StoreError, StreamEntry, keys_in_different_slots, share_a_slot};

/// How often, at most, a write also drops every expired value. Reads drop the expired
/// values they meet; the sweep catches keys nobody reads again, so memory stays bounded.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Entries a stream keeps before its oldest handled ones are dropped. Handled entries stay
/// up to this many, so a few acknowledgements do not shorten a stream at once (as with the
/// occasional trim of the Redis store); unhandled entries stay whatever their number.
const MAX_STREAM_ENTRIES: usize = 10_000;

/// Entries a stream is brought down to, by dropping handled ones, at each acknowledgement:
/// handled entries go then, not only when the stream is full, so large deliveries do not
/// linger in memory.
const KEEP_HANDLED_ENTRIES: usize = 64;

/// The longest a read waits, whatever the caller asks, so a deadline never overflows.
const MAX_BLOCK: Duration = Duration::from_secs(24 * 60 * 60);

/// State kept in this process; cheap to create, one per `bino` process.
#[derive(Debug)]
pub struct MemoryStore {
    /// Values and streams behind one lock, so every operation is atomic.
    state: Mutex<State>,
    /// Entries a stream keeps before dropping handled ones; a field rather than the
    /// constant so tests can trim early.
    max_stream_entries: usize,
}

#[derive(Debug)]
struct State {
    values: HashMap<String, Value>,
    streams: HashMap<String, Stream>,
    /// Queues by key; an emptied queue is removed, as Redis removes an empty list.
    queues: HashMap<String, VecDeque<Vec<u8>>>,
    /// Sorted sets by key; an emptied set is removed, as Redis removes an empty one.
    sorted: HashMap<String, SortedSet>,
    /// When expired values were last swept, to sweep at most once per [`SWEEP_INTERVAL`].
    last_sweep: Instant,
}

#[derive(Debug)]
struct Value {
    bytes: Vec<u8>,
    /// `None` keeps the value until it is deleted or overwritten.
    expires_at: Option<Instant>,
}

#[derive(Debug)]
struct Stream {
    /// Entries in id order, so a group's next entries are a range after its last delivery.
    entries: Entries,
    /// The newest id ever given out, so ids keep increasing after the newest is trimmed.
    last_id: EntryId,
    groups: HashMap<String, Group>,
    /// Wakes blocked readers when an entry is appended.
    appended: Arc<Notify>,
}

#[derive(Debug)]
struct Group {
    /// Entries up to this id were handed out; `>` reads start after it.
    last_delivered: EntryId,
    /// Delivered but not acknowledged, in id order like the Redis pending entries list,
    /// with when each was last delivered: its idle time counts from there. Which consumer
    /// holds an entry is not kept, because no operation asks (`XACK` does not check it).
    pending: BTreeMap<EntryId, Instant>,
}

/// A sorted set: members with integer scores, ordered by score, then member.
#[derive(Debug, Default)]
struct SortedSet {
    scores: HashMap<String, i64>,
    order: BTreeSet<(i64, String)>,
}

impl SortedSet {
    /// Puts `member` at `score`; true when it was not in the set before.
    fn put(&mut self, member: &str, score: i64) -> bool {
        let previous = self.scores.insert(member.to_owned(), score);
        if let Some(previous) = previous {
            self.order.remove(&(previous, member.to_owned()));
        }
        self.order.insert((score, member.to_owned()));
        previous.is_none()
    }

    fn remove(&mut self, member: &str) -> bool {
        match self.scores.remove(member) {
            Some(score) => self.order.remove(&(score, member.to_owned())),
            None => false,
        }
    }
}

/// Payloads by id.
type Entries = BTreeMap<EntryId, Vec<u8>>;

/// A stream entry id, `<milliseconds>-<sequence>` as in Redis, ordered by time first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct EntryId {
    ms: u64,
    seq: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::with_max_stream_entries(MAX_STREAM_ENTRIES)
    }

    fn with_max_stream_entries(max_stream_entries: usize) -> Self {
        Self {
            state: Mutex::new(State {
                values: HashMap::new(),
                streams: HashMap::new(),
                queues: HashMap::new(),
                sorted: HashMap::new(),
                last_sweep: Instant::now(),
            }),
            max_stream_entries,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock cannot leave a half-done operation visible to Redis-style
        // callers anyway, and refusing every later call would turn one bug into an outage.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl State {
    /// The value of `key` unless it expired; an expired value is dropped on the way.
    fn live_value(&mut self, key: &str, now: Instant) -> Option<&mut Value> {
        if self
            .values
            .get(key)
            .is_some_and(|value| !value.is_live(now))
        {
            self.values.remove(key);
        }
        self.values.get_mut(key)
    }

    fn sweep_if_due(&mut self, now: Instant) {
        if now.saturating_duration_since(self.last_sweep) < SWEEP_INTERVAL {
            return;
        }
        self.values.retain(|_, value| value.is_live(now));
        self.last_sweep = now;
    }

    /// The entries of `stream` and its `group`, apart so a group can read entries while
    /// recording deliveries.
    fn group_mut(
        &mut self,
        stream: &str,
        group: &str,
    ) -> Result<(&Entries, &mut Group), StoreError> {
        let found = self
            .streams
            .get_mut(stream)
            .ok_or_else(|| no_group(stream, group))?;
        let group = found
            .groups
            .get_mut(group)
            .ok_or_else(|| no_group(stream, group))?;
        Ok((&found.entries, group))
    }

    fn appended(&self, stream: &str, group: &str) -> Result<Arc<Notify>, StoreError> {
        self.streams
            .get(stream)
            .filter(|found| found.groups.contains_key(group))
            .map(|found| found.appended.clone())
            .ok_or_else(|| no_group(stream, group))
    }
}

impl Value {
    fn new(bytes: Vec<u8>, ttl: Option<Duration>, now: Instant) -> Self {
        Self {
            bytes,
            expires_at: ttl.and_then(|ttl| now.checked_add(ttl)),
        }
    }

    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|expires_at| expires_at > now)
    }
}

impl Stream {
    fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
            last_id: EntryId::default(),
            groups: HashMap::new(),
            appended: Arc::new(Notify::new()),
        }
    }

    /// The id after `last_id`: the clock's millisecond, or the same millisecond with the
    /// next sequence number when the clock has not moved (or moved back).
    fn next_id(&mut self, now_ms: u64) -> EntryId {
        self.last_id = if now_ms > self.last_id.ms {
            EntryId { ms: now_ms, seq: 0 }
        } else {
            EntryId {
                ms: self.last_id.ms,
                seq: self.last_id.seq + 1,
            }
        };
        self.last_id
    }

    fn append(&mut self, payload: Vec<u8>, now_ms: u64, max_entries: usize) -> EntryId {
        let id = self.next_id(now_ms);
        self.entries.insert(id, payload);
        self.drop_handled(max_entries);
        id
    }

    /// Drops the oldest entries while more than `keep` remain and every group has handled
    /// the oldest one; returns how many went. Entries are handed out and acknowledged
    /// roughly in order, so few handled entries wait behind the first unhandled one.
    fn drop_handled(&mut self, keep: usize) -> usize {
        // With no group yet, the entries wait for the first consumer.
        if self.groups.is_empty() {
            return 0;
        }
        let mut dropped = 0;
        while self.entries.len() > keep
            && self.entries.first_key_value().is_some_and(|(oldest, _)| {
                self.groups.values().all(|group| group.has_handled(*oldest))
            })
        {
            self.entries.pop_first();
            dropped += 1;
        }
        dropped
    }
}

impl Group {
    fn new() -> Self {
        Self {
            last_delivered: EntryId::default(),
            pending: BTreeMap::new(),
        }
    }

    /// Whether the group is done with entry `id`: delivered, and older than every entry
    /// still pending (an acknowledged entry behind a pending one waits for it).
    fn has_handled(&self, id: EntryId) -> bool {
        id <= self.last_delivered
            && self
                .pending
                .first_key_value()
                .is_none_or(|(oldest_pending, _)| id < *oldest_pending)
    }

    /// Hands out up to `count` never-delivered entries and records them pending.
    fn deliver(&mut self, entries: &Entries, count: usize, now: Instant) -> Vec<StreamEntry> {
        let fresh: Vec<(EntryId, Vec<u8>)> = entries
            .range((Bound::Excluded(self.last_delivered), Bound::Unbounded))
            .take(count)
            .map(|(id, payload)| (*id, payload.clone()))
            .collect();

        for (id, _) in &fresh {
            self.pending.insert(*id, now);
        }
        if let Some((id, _)) = fresh.last() {
            self.last_delivered = *id;
        }
        fresh.into_iter().map(stream_entry).collect()
    }

    /// Hands out again up to `count` entries pending for at least `min_idle`, oldest id
    /// first, like `XAUTOCLAIM` from `0-0` to the end, and restarts their idle time.
    fn claim_idle(
        &mut self,
        entries: &Entries,
        min_idle: Duration,
        count: usize,
        now: Instant,
    ) -> Vec<StreamEntry> {
        let mut claimed = Vec::new();
        let mut trimmed = Vec::new();

        for (id, delivered_at) in &mut self.pending {
            if claimed.len() == count {
                break;
            }
            if now.saturating_duration_since(*delivered_at) < min_idle {
                continue;
            }
            match entries.get(id) {
                Some(payload) => {
                    *delivered_at = now;
                    claimed.push(stream_entry((*id, payload.clone())));
                }
                None => trimmed.push(*id),
            }
        }

        // Trimming never drops a pending entry, but should one be missing anyway it can
        // never be handled; Redis drops such an entry from the pending list at claim time.
        for id in trimmed {
            self.pending.remove(&id);
        }
        claimed
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl FromStr for EntryId {
    type Err = StoreError;

    /// Reads `<ms>-<seq>`, or `<ms>` alone meaning sequence 0, as Redis accepts.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (ms, seq) = text.split_once('-').unwrap_or((text, "0"));
        match (ms.parse(), seq.parse()) {
            (Ok(ms), Ok(seq)) => Ok(EntryId { ms, seq }),
            _ => Err(StoreError::Protocol(format!("invalid stream id {text:?}"))),
        }
    }
}

fn stream_entry((id, payload): (EntryId, Vec<u8>)) -> StreamEntry {
    StreamEntry {
        id: id.to_string(),
        payload,
    }
}

fn no_group(stream: &str, group: &str) -> StoreError {
    StoreError::Protocol(format!("no consumer group {group:?} on stream {stream:?}"))
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .live_value(key, Instant::now())
            .map(|value| value.bytes.clone()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep_if_due(now);
        state
            .values
            .insert(key.to_owned(), Value::new(value.to_vec(), ttl, now));
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep_if_due(now);
        if state.live_value(key, now).is_some() {
            return Ok(false);
        }
        state
            .values
            .insert(key.to_owned(), Value::new(value.to_vec(), ttl, now));
        Ok(true)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep_if_due(now);
        let current = state
            .live_value(key, now)
            .map(|value| value.bytes.as_slice());
        if current != expected {
            return Ok(false);
        }
        state
            .values
            .insert(key.to_owned(), Value::new(new.to_vec(), ttl, now));
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        let had_value = state.live_value(key, now).is_some();
        state.values.remove(key);
        // Redis keeps values and streams in one key space, so `DEL` removes either.
        let had_stream = state.streams.remove(key).is_some();
        let had_queue = state.queues.remove(key).is_some();
        let had_sorted = state.sorted.remove(key).is_some();
        Ok(had_value || had_stream || had_queue || had_sorted)
    }

    async fn delete_if(&self, key: &str, expected: &[u8]) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        let holds = state
            .live_value(key, now)
            .is_some_and(|value| value.bytes == expected);
        if holds {
            state.values.remove(key);
        }
        Ok(holds)
    }

    async fn queue_push_once(
        &self,
        dedupe_key: &str,
        ttl: Duration,
        queue: &str,
        item: &[u8],
    ) -> Result<bool, StoreError> {
        // Redis Cluster would refuse these keys; refusing them here too catches the mistake
        // in every test, not only in a cluster.
        if !share_a_slot(dedupe_key, queue) {
            return Err(keys_in_different_slots("queue_push_once"));
        }
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep_if_due(now);
        if state.live_value(dedupe_key, now).is_some() {
            return Ok(false);
        }
        state.values.insert(
            dedupe_key.to_owned(),
            Value::new(b"1".to_vec(), Some(ttl), now),
        );
        state
            .queues
            .entry(queue.to_owned())
            .or_default()
            .push_back(item.to_vec());
        Ok(true)
    }

    async fn queue_front(&self, queue: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let state = self.lock();
        Ok(state
            .queues
            .get(queue)
            .and_then(|items| items.front().cloned()))
    }

    async fn queue_remove_front(&self, queue: &str, item: &[u8]) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(items) = state.queues.get_mut(queue) else {
            return Ok(false);
        };
        if items.front().map(Vec::as_slice) != Some(item) {
            return Ok(false);
        }
        items.pop_front();
        if items.is_empty() {
            state.queues.remove(queue);
        }
        Ok(true)
    }

    async fn queue_len(&self, queue: &str) -> Result<u64, StoreError> {
        let state = self.lock();
        Ok(state
            .queues
            .get(queue)
            .map_or(0, |items| u64::try_from(items.len()).unwrap_or(u64::MAX)))
    }

    async fn increment(&self, key: &str, ttl: Option<Duration>) -> Result<i64, StoreError> {
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep_if_due(now);
        let Some(value) = state.live_value(key, now) else {
            state
                .values
                .insert(key.to_owned(), Value::new(b"1".to_vec(), ttl, now));
            return Ok(1);
        };

        // Counters are stored as decimal text, as Redis does, so `get` reads the same.
        let count = std::str::from_utf8(&value.bytes)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .and_then(|count| count.checked_add(1))
            .ok_or_else(|| StoreError::Protocol(format!("value of {key:?} is not a counter")))?;
        value.bytes = count.to_string().into_bytes();
        // The Redis script sets the window when the counter reaches 1; do the same.
        if count == 1 && ttl.is_some() {
            value.expires_at = ttl.and_then(|ttl| now.checked_add(ttl));
        }
        Ok(count)
    }

    async fn stream_append(&self, stream: &str, payload: &[u8]) -> Result<String, StoreError> {
        let mut state = self.lock();
        let stream = state
            .streams
            .entry(stream.to_owned())
            .or_insert_with(Stream::new);
        let id = stream.append(payload.to_vec(), unix_millis(), self.max_stream_entries);
        stream.appended.notify_waiters();
        Ok(id.to_string())
    }

    async fn stream_ensure_group(&self, stream: &str, group: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        state
            .streams
            .entry(stream.to_owned())
            .or_insert_with(Stream::new)
            .groups
            .entry(group.to_owned())
            .or_insert_with(Group::new);
        Ok(())
    }

    async fn stream_read(
        &self,
        stream: &str,
        group: &str,
        // The owner of a pending entry is not kept (see `Group::pending`).
        _consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let deadline = Instant::now() + block.min(MAX_BLOCK);

        loop {
            let appended = self.lock().appended(stream, group)?;
            // Registered before looking, so an append between the look and the wait still
            // wakes this reader.
            let notified = appended.notified();

            let entries = {
                let mut state = self.lock();
                let (entries, group) = state.group_mut(stream, group)?;
                group.deliver(entries, count, Instant::now())
            };
            if !entries.is_empty() {
                return Ok(entries);
            }

            // Another consumer may take the new entries first, hence the loop.
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(Vec::new());
            }
        }
    }

    async fn stream_ack(
        &self,
        stream: &str,
        group: &str,
        ids: &[String],
    ) -> Result<(), StoreError> {
        // Like `XACK`, a bad id refuses the whole call before anything is acknowledged.
        let ids = ids
            .iter()
            .map(|id| id.parse::<EntryId>())
            .collect::<Result<Vec<_>, _>>()?;

        let mut state = self.lock();
        // Acknowledging on a missing stream or group does nothing, as in Redis.
        if let Ok((_, group)) = state.group_mut(stream, group) {
            for id in ids {
                group.pending.remove(&id);
            }
        }
        if let Some(stream) = state.streams.get_mut(stream) {
            stream.drop_handled(KEEP_HANDLED_ENTRIES.min(self.max_stream_entries));
        }
        Ok(())
    }

    async fn stream_claim_idle(
        &self,
        stream: &str,
        group: &str,
        _consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        let mut state = self.lock();
        let (entries, group) = state.group_mut(stream, group)?;
        Ok(group.claim_idle(entries, min_idle, count, Instant::now()))
    }

    async fn stream_pending(&self, stream: &str, group: &str) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let (_, group) = state.group_mut(stream, group)?;
        Ok(u64::try_from(group.pending.len()).unwrap_or(u64::MAX))
    }

    async fn stream_trim(&self, stream: &str) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let dropped = state
            .streams
            .get_mut(stream)
            .map_or(0, |found| found.drop_handled(0));
        Ok(u64::try_from(dropped).unwrap_or(u64::MAX))
    }

    async fn stream_len(&self, stream: &str) -> Result<u64, StoreError> {
        let state = self.lock();
        let len = state
            .streams
            .get(stream)
            .map_or(0, |found| found.entries.len());
        Ok(u64::try_from(len).unwrap_or(u64::MAX))
    }

    async fn stream_append_once(
        &self,
        dedupe_key: &str,
        ttl: Duration,
        stream: &str,
        payload: &[u8],
    ) -> Result<Option<String>, StoreError> {
        if !share_a_slot(dedupe_key, stream) {
            return Err(keys_in_different_slots("stream_append_once"));
        }
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep_if_due(now);
        if state.live_value(dedupe_key, now).is_some() {
            return Ok(None);
        }
        let found = state
            .streams
            .entry(stream.to_owned())
            .or_insert_with(Stream::new);
        let id = found
            .append(payload.to_vec(), unix_millis(), self.max_stream_entries)
            .to_string();
        found.appended.notify_waiters();
        state.values.insert(
            dedupe_key.to_owned(),
            Value::new(id.clone().into_bytes(), Some(ttl), now),
        );
        Ok(Some(id))
    }

    async fn stream_range(
        &self,
        stream: &str,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        let start = match after {
            Some(id) => Bound::Excluded(id.parse::<EntryId>()?),
            None => Bound::Unbounded,
        };
        let state = self.lock();
        let Some(found) = state.streams.get(stream) else {
            return Ok(Vec::new());
        };
        Ok(found
            .entries
            .range((start, Bound::Unbounded))
            .take(count)
            .map(|(id, payload)| stream_entry((*id, payload.clone())))
            .collect())
    }

    async fn stream_drop_older_than(&self, stream: &str, age: Duration) -> Result<u64, StoreError> {
        let age_ms = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
        let oldest_kept = EntryId {
            ms: unix_millis().saturating_sub(age_ms),
            seq: 0,
        };
        let mut state = self.lock();
        let Some(found) = state.streams.get_mut(stream) else {
            return Ok(0);
        };
        let kept = found.entries.split_off(&oldest_kept);
        let dropped = std::mem::replace(&mut found.entries, kept).len();
        Ok(u64::try_from(dropped).unwrap_or(u64::MAX))
    }

    async fn sorted_add(
        &self,
        key: &str,
        member: &str,
        score: i64,
        only_if_absent: bool,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let set = state.sorted.entry(key.to_owned()).or_default();
        if only_if_absent && set.scores.contains_key(member) {
            return Ok(false);
        }
        Ok(set.put(member, score))
    }

    async fn sorted_remove(&self, key: &str, member: &str) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(set) = state.sorted.get_mut(key) else {
            return Ok(false);
        };
        let removed = set.remove(member);
        if set.scores.is_empty() {
            state.sorted.remove(key);
        }
        Ok(removed)
    }

    async fn sorted_score(&self, key: &str, member: &str) -> Result<Option<i64>, StoreError> {
        let state = self.lock();
        Ok(state
            .sorted
            .get(key)
            .and_then(|set| set.scores.get(member).copied()))
    }

    async fn sorted_range(
        &self,
        key: &str,
        count: usize,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let state = self.lock();
        Ok(state.sorted.get(key).map_or_else(Vec::new, |set| {
            set.order
                .iter()
                .take(count)
                .map(|(score, member)| (member.clone(), *score))
                .collect()
        }))
    }

    async fn sorted_take_due(
        &self,
        key: &str,
        max_score: i64,
        new_score: i64,
        count: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut state = self.lock();
        let Some(set) = state.sorted.get_mut(key) else {
            return Ok(Vec::new());
        };
        let due: Vec<String> = set
            .order
            .iter()
            .take_while(|(score, _)| *score <= max_score)
            .take(count)
            .map(|(_, member)| member.clone())
            .collect();
        for member in &due {
            set.put(member, new_score);
        }
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_parse_and_print_like_redis() {
        let cases = [
            ("1700000000000-0", Some((1_700_000_000_000, 0))),
            ("1700000000000-17", Some((1_700_000_000_000, 17))),
            ("42", Some((42, 0))),
            ("0-0", Some((0, 0))),
            ("", None),
            ("12-", None),
            ("-3", None),
            ("a-1", None),
            ("1-2-3", None),
        ];
        for (text, expected) in cases {
            let parsed = text.parse::<EntryId>().ok().map(|id| (id.ms, id.seq));
            assert_eq!(parsed, expected, "{text:?}");
        }
        assert_eq!(EntryId { ms: 5, seq: 9 }.to_string(), "5-9");
    }

    #[test]
    fn entry_ids_keep_increasing_when_the_clock_stalls_or_goes_back() {
        let mut stream = Stream::new();
        let ids = [
            stream.next_id(1_000),
            stream.next_id(1_000),
            stream.next_id(999),
            stream.next_id(1_001),
        ];

        assert_eq!(
            ids.map(|id| id.to_string()),
            ["1000-0", "1000-1", "1000-2", "1001-0"]
        );
    }

    #[test]
    fn a_sweep_drops_expired_values_nobody_reads_again() {
        let now = Instant::now();
        let mut state = State {
            values: HashMap::new(),
            streams: HashMap::new(),
            queues: HashMap::new(),
            sorted: HashMap::new(),
            last_sweep: now,
        };
        let short = Some(Duration::from_secs(1));
        state
            .values
            .insert("short".into(), Value::new(b"x".to_vec(), short, now));
        state
            .values
            .insert("forever".into(), Value::new(b"y".to_vec(), None, now));

        state.sweep_if_due(now + Duration::from_secs(2));
        assert_eq!(state.values.len(), 2, "a sweep waits for its interval");

        state.sweep_if_due(now + SWEEP_INTERVAL);
        assert_eq!(
            state.values.keys().collect::<Vec<_>>(),
            ["forever"],
            "only the value without a ttl is left"
        );
    }

    #[tokio::test]
    async fn a_full_stream_drops_only_the_oldest_entries_its_group_has_handled() {
        let store = MemoryStore::with_max_stream_entries(2);
        store.stream_ensure_group("s", "g").await.unwrap();
        let first = store.stream_append("s", b"1").await.unwrap();
        read_all(&store, "g").await;
        store.stream_append("s", b"2").await.unwrap();
        store.stream_append("s", b"3").await.unwrap();
        assert_eq!(
            lengths(&store).await,
            (3, 1),
            "a pending entry is never dropped"
        );

        store.stream_ack("s", "g", &[first]).await.unwrap();
        store.stream_append("s", b"4").await.unwrap();
        assert_eq!(
            lengths(&store).await,
            (3, 0),
            "the handled entry went, the undelivered ones stay"
        );

        let delivered = read_all(&store, "g").await;
        store
            .stream_ack("s", "g", &[delivered[1].id.clone()])
            .await
            .unwrap();
        store.stream_append("s", b"5").await.unwrap();
        assert_eq!(
            lengths(&store).await,
            (4, 2),
            "an acknowledged entry behind a pending one stays"
        );

        store
            .stream_ack("s", "g", &[delivered[0].id.clone()])
            .await
            .unwrap();
        store.stream_append("s", b"6").await.unwrap();
        assert_eq!(
            lengths(&store).await,
            (3, 1),
            "the two handled entries went, the pending one stopped the trim"
        );

        let rest = read_all(&store, "g").await;
        assert_eq!(payloads(&rest), [b"5", b"6"]);
        let pending = [
            delivered[2].id.clone(),
            rest[0].id.clone(),
            rest[1].id.clone(),
        ];
        store.stream_ack("s", "g", &pending).await.unwrap();
        store.stream_append("s", b"7").await.unwrap();
        assert_eq!(
            lengths(&store).await,
            (2, 0),
            "handled entries go only down to the threshold"
        );
    }

    #[tokio::test]
    async fn acknowledged_entries_beyond_a_few_are_dropped_without_waiting_for_a_full_stream() {
        let store = MemoryStore::new();
        store.stream_ensure_group("s", "g").await.unwrap();
        for n in 0..100 {
            store
                .stream_append("s", format!("big body {n}").as_bytes())
                .await
                .unwrap();
        }
        let read = read_all(&store, "g").await;
        assert_eq!(read.len(), 100);
        store.stream_ack("s", "g", &ids(&read[..70])).await.unwrap();

        // Handled entries go, oldest first, down to a few; the 30 unhandled all stay.
        assert_eq!(
            store.stream_len("s").await.unwrap(),
            KEEP_HANDLED_ENTRIES as u64
        );
        store.stream_ack("s", "g", &ids(&read[70..])).await.unwrap();
        assert_eq!(
            store.stream_len("s").await.unwrap(),
            KEEP_HANDLED_ENTRIES as u64
        );
        let unhandled = read_all(&store, "g").await;
        assert!(unhandled.is_empty());
    }

    #[tokio::test]
    async fn a_full_stream_without_a_group_or_with_a_lagging_one_drops_nothing() {
        let store = MemoryStore::with_max_stream_entries(2);
        for payload in [b"1", b"2", b"3"] {
            store.stream_append("s", payload).await.unwrap();
        }
        assert_eq!(store.stream_len("s").await.unwrap(), 3, "no group yet");

        store.stream_ensure_group("s", "fast").await.unwrap();
        store.stream_ensure_group("s", "slow").await.unwrap();
        let handled = read_all(&store, "fast").await;
        store.stream_ack("s", "fast", &ids(&handled)).await.unwrap();
        store.stream_append("s", b"4").await.unwrap();

        assert_eq!(
            store.stream_len("s").await.unwrap(),
            4,
            "slow has read nothing"
        );
        assert_eq!(read_all(&store, "slow").await.len(), 4);
    }

    async fn read_all(store: &MemoryStore, group: &str) -> Vec<StreamEntry> {
        store
            .stream_read("s", group, "a", 100, Duration::ZERO)
            .await
            .unwrap()
    }

    fn payloads(entries: &[StreamEntry]) -> Vec<&[u8]> {
        entries
            .iter()
            .map(|entry| entry.payload.as_slice())
            .collect()
    }

    fn ids(entries: &[StreamEntry]) -> Vec<String> {
        entries.iter().map(|entry| entry.id.clone()).collect()
    }

    /// Entries in stream "s" and pending in its group "g".
    async fn lengths(store: &MemoryStore) -> (u64, u64) {
        (
            store.stream_len("s").await.unwrap(),
            store.stream_pending("s", "g").await.unwrap(),
        )
    }
}
