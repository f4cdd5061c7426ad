//! One contract for every [`Store`]: each test runs against `MemoryStore`, against
//! `RedisStore` on a real Redis and against `RedisStore` on a three-node Redis Cluster, so
//! which backend a process picks never changes behaviour.
//!
//! Tests that wait on time use short TTLs and idle times with real sleeps, because Redis
//! keeps its own clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bino::store::{MemoryStore, RedisStore, SharedStore, Store, StoreError, StreamEntry};
use tokio::task::JoinSet;

use crate::support::redis::{RedisServer, free_port, random_prefix, redis_cluster_url, redis_url};

/// Instantiates each contract test three times, as `memory::<name>`, `redis::<name>` and
/// `redis_cluster::<name>` (a local three-node cluster).
macro_rules! store_contract {
    ($($name:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::memory_store()).await;
                }
            )+
        }

        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::redis_store().await).await;
                }
            )+
        }

        mod redis_cluster {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::redis_cluster_store().await).await;
                }
            )+
        }
    };
}

store_contract!(
    a_value_reads_back_until_it_is_overwritten_or_deleted,
    values_and_payloads_are_binary_safe,
    a_value_with_a_ttl_expires,
    writing_without_a_ttl_removes_an_earlier_ttl,
    only_the_first_set_if_absent_wins_until_the_key_expires,
    only_one_of_twenty_concurrent_set_if_absent_calls_wins,
    compare_and_swap_from_absent_succeeds_only_while_the_key_is_absent,
    compare_and_swap_replaces_only_the_expected_value,
    compare_and_swap_can_give_the_new_value_a_ttl,
    only_the_first_of_twenty_concurrent_compare_and_swaps_wins,
    a_counter_counts_within_a_fixed_window_that_later_increments_do_not_extend,
    incrementing_a_value_that_is_not_a_number_is_refused,
    a_read_delivers_each_entry_once_and_an_ack_clears_it_from_pending,
    reads_hand_out_entries_in_append_order_at_most_count_at_a_time,
    stream_ids_increase_with_each_append,
    a_few_acknowledgements_do_not_shorten_the_stream_at_once,
    acknowledged_entries_are_trimmed_but_unhandled_ones_never_are,
    an_entry_is_trimmed_only_once_every_group_has_handled_it,
    a_stream_without_a_group_is_never_trimmed,
    every_group_gets_every_entry,
    an_unacknowledged_entry_is_claimable_by_another_consumer_only_once_idle,
    ensuring_a_group_again_does_not_redeliver_its_entries,
    a_group_created_after_appends_still_sees_the_earlier_entries,
    a_blocking_read_returns_as_soon_as_an_entry_is_appended,
    a_blocking_read_with_nothing_new_returns_empty_after_its_block_time,
    a_blocking_read_does_not_hold_up_other_commands,
    reading_through_a_missing_group_is_an_error,
    delete_if_removes_only_the_expected_value,
    a_queue_hands_out_items_front_first_and_removes_only_the_front,
    queue_push_once_queues_an_item_once_per_dedupe_key_until_it_expires,
    only_one_of_twenty_concurrent_pushes_with_one_dedupe_key_queues,
    stream_append_once_appends_once_per_dedupe_key_and_remembers_the_entry,
    two_key_operations_refuse_keys_without_one_hash_tag,
    a_stream_range_pages_after_an_entry_without_a_group,
    dropping_old_entries_keeps_the_recent_ones_whatever_the_groups,
    a_sorted_set_orders_members_by_score_and_keeps_one_score_each,
    taking_due_members_moves_them_to_their_lease_and_leaves_the_rest,
    twenty_concurrent_takers_never_take_the_same_member,
);

fn memory_store() -> SharedStore {
    Arc::new(MemoryStore::new())
}

async fn redis_store() -> SharedStore {
    Arc::new(connect_redis(&random_prefix()).await)
}

async fn redis_cluster_store() -> SharedStore {
    let store = RedisStore::connect(&redis_cluster_url().await, &random_prefix())
        .await
        .expect("the test cluster does not answer");
    assert!(store.is_cluster(), "the store did not see a cluster");
    Arc::new(store)
}

async fn connect_redis(prefix: &str) -> RedisStore {
    RedisStore::connect(&redis_url().await, prefix)
        .await
        .expect("the test redis does not answer")
}

/// Reads what is there without waiting.
async fn read_now(store: &SharedStore, consumer: &str, count: usize) -> Vec<StreamEntry> {
    store
        .stream_read("inbox", "workers", consumer, count, Duration::ZERO)
        .await
        .expect("read failed")
}

async fn append(store: &SharedStore, payload: &[u8]) -> String {
    store
        .stream_append("inbox", payload)
        .await
        .expect("append failed")
}

async fn ensure_group(store: &SharedStore) {
    store
        .stream_ensure_group("inbox", "workers")
        .await
        .expect("creating the group failed");
}

async fn pending(store: &SharedStore) -> u64 {
    store
        .stream_pending("inbox", "workers")
        .await
        .expect("pending failed")
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

/// `<ms>-<seq>` as a pair that orders like the ids do.
fn id_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').expect("an id is <ms>-<seq>");
    (ms.parse().unwrap(), seq.parse().unwrap())
}

async fn a_value_reads_back_until_it_is_overwritten_or_deleted(store: SharedStore) {
    assert_eq!(store.get("greeting").await.unwrap(), None);

    store.set("greeting", b"hello", None).await.unwrap();
    assert_eq!(
        store.get("greeting").await.unwrap().as_deref(),
        Some(&b"hello"[..])
    );

    store.set("greeting", b"hola", None).await.unwrap();
    assert_eq!(
        store.get("greeting").await.unwrap().as_deref(),
        Some(&b"hola"[..])
    );

    assert!(store.delete("greeting").await.unwrap(), "the key existed");
    assert_eq!(store.get("greeting").await.unwrap(), None);
    assert!(!store.delete("greeting").await.unwrap(), "the key is gone");
}

async fn values_and_payloads_are_binary_safe(store: SharedStore) {
    let bytes = [0_u8, 255, 13, 10, 0xC3, 0x28, b'p', 0];

    store.set("binary", &bytes, None).await.unwrap();
    ensure_group(&store).await;
    append(&store, &bytes).await;

    assert_eq!(
        store.get("binary").await.unwrap().as_deref(),
        Some(&bytes[..])
    );
    assert_eq!(payloads(&read_now(&store, "a", 1).await), [&bytes[..]]);
}

async fn a_value_with_a_ttl_expires(store: SharedStore) {
    store
        .set("session", b"open", Some(Duration::from_millis(250)))
        .await
        .unwrap();
    assert!(store.get("session").await.unwrap().is_some());

    tokio::time::sleep(Duration::from_millis(350)).await;

    assert_eq!(store.get("session").await.unwrap(), None);
    assert!(
        !store.delete("session").await.unwrap(),
        "an expired key is absent"
    );
}

async fn writing_without_a_ttl_removes_an_earlier_ttl(store: SharedStore) {
    let short = Some(Duration::from_millis(250));
    store.set("plan", b"draft", short).await.unwrap();
    store.set("plan", b"final", None).await.unwrap();

    tokio::time::sleep(Duration::from_millis(350)).await;

    assert_eq!(
        store.get("plan").await.unwrap().as_deref(),
        Some(&b"final"[..])
    );
}

async fn only_the_first_set_if_absent_wins_until_the_key_expires(store: SharedStore) {
    let ttl = Some(Duration::from_millis(250));

    assert!(store.set_if_absent("dedup", b"first", ttl).await.unwrap());
    assert!(!store.set_if_absent("dedup", b"second", ttl).await.unwrap());
    assert_eq!(
        store.get("dedup").await.unwrap().as_deref(),
        Some(&b"first"[..])
    );

    tokio::time::sleep(Duration::from_millis(350)).await;

    assert!(store.set_if_absent("dedup", b"third", None).await.unwrap());
    assert_eq!(
        store.get("dedup").await.unwrap().as_deref(),
        Some(&b"third"[..])
    );
}

async fn only_one_of_twenty_concurrent_set_if_absent_calls_wins(store: SharedStore) {
    let mut calls = JoinSet::new();
    for caller in 0..20 {
        let store = store.clone();
        calls.spawn(async move {
            let value = format!("caller-{caller}");
            let won = store
                .set_if_absent("claim", value.as_bytes(), None)
                .await
                .unwrap();
            won.then_some(value)
        });
    }

    let winners: Vec<String> = calls.join_all().await.into_iter().flatten().collect();

    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = store.get("claim").await.unwrap().unwrap();
    assert_eq!(stored, winners[0].as_bytes(), "the winner's value is kept");
}

async fn compare_and_swap_from_absent_succeeds_only_while_the_key_is_absent(store: SharedStore) {
    assert!(
        store
            .compare_and_swap("state", None, b"v1", None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_swap("state", None, b"v2", None)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get("state").await.unwrap().as_deref(),
        Some(&b"v1"[..])
    );

    assert!(
        !store
            .compare_and_swap("other", Some(b"v1"), b"v2", None)
            .await
            .unwrap(),
        "expecting a value where there is none fails"
    );
    assert_eq!(store.get("other").await.unwrap(), None);
}

async fn compare_and_swap_replaces_only_the_expected_value(store: SharedStore) {
    store.set("state", b"v1", None).await.unwrap();

    assert!(
        store
            .compare_and_swap("state", Some(b"v1"), b"v2", None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_swap("state", Some(b"v1"), b"v3", None)
            .await
            .unwrap(),
        "a stale expected value is refused"
    );
    assert_eq!(
        store.get("state").await.unwrap().as_deref(),
        Some(&b"v2"[..])
    );
}

async fn compare_and_swap_can_give_the_new_value_a_ttl(store: SharedStore) {
    let ttl = Some(Duration::from_millis(250));
    assert!(
        store
            .compare_and_swap("lease", None, b"mine", ttl)
            .await
            .unwrap()
    );

    tokio::time::sleep(Duration::from_millis(350)).await;

    assert_eq!(store.get("lease").await.unwrap(), None);
}

async fn only_the_first_of_twenty_concurrent_compare_and_swaps_wins(store: SharedStore) {
    store.set("state", b"v0", None).await.unwrap();

    let mut swaps = JoinSet::new();
    for writer in 0..20 {
        let store = store.clone();
        swaps.spawn(async move {
            let new = format!("from-writer-{writer}");
            let won = store
                .compare_and_swap("state", Some(b"v0"), new.as_bytes(), None)
                .await
                .unwrap();
            won.then_some(new)
        });
    }

    let winners: Vec<String> = swaps.join_all().await.into_iter().flatten().collect();

    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = store.get("state").await.unwrap().unwrap();
    assert_eq!(stored, winners[0].as_bytes(), "the winner's value is kept");
}

async fn a_counter_counts_within_a_fixed_window_that_later_increments_do_not_extend(
    store: SharedStore,
) {
    let window = Some(Duration::from_millis(600));

    assert_eq!(store.increment("hits", window).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.increment("hits", window).await.unwrap(), 2);
    assert_eq!(store.increment("hits", window).await.unwrap(), 3);
    assert_eq!(store.get("hits").await.unwrap().as_deref(), Some(&b"3"[..]));

    // 750 ms after the first increment: past its window, though not past a window that
    // the later increments would have restarted.
    tokio::time::sleep(Duration::from_millis(450)).await;

    assert_eq!(store.increment("hits", window).await.unwrap(), 1);
}

async fn incrementing_a_value_that_is_not_a_number_is_refused(store: SharedStore) {
    store.set("name", b"not a number", None).await.unwrap();

    let refused = store.increment("name", None).await;

    assert!(
        matches!(refused, Err(StoreError::Protocol(_))),
        "{refused:?}"
    );
    assert_eq!(
        store.get("name").await.unwrap().as_deref(),
        Some(&b"not a number"[..])
    );
}

async fn a_read_delivers_each_entry_once_and_an_ack_clears_it_from_pending(store: SharedStore) {
    ensure_group(&store).await;
    let id = append(&store, b"event").await;

    let first = read_now(&store, "a", 10).await;
    assert_eq!(
        first,
        [StreamEntry {
            id: id.clone(),
            payload: b"event".to_vec()
        }]
    );
    assert_eq!(pending(&store).await, 1);

    assert!(
        read_now(&store, "a", 10).await.is_empty(),
        "nothing new for the consumer"
    );
    assert!(
        read_now(&store, "b", 10).await.is_empty(),
        "nor for another one"
    );

    store.stream_ack("inbox", "workers", &[id]).await.unwrap();
    assert_eq!(pending(&store).await, 0);
}

async fn reads_hand_out_entries_in_append_order_at_most_count_at_a_time(store: SharedStore) {
    ensure_group(&store).await;
    for payload in [b"1", b"2", b"3", b"4", b"5"] {
        append(&store, payload).await;
    }

    let first = read_now(&store, "a", 2).await;
    let rest = read_now(&store, "b", 10).await;

    assert_eq!(payloads(&first), [b"1", b"2"]);
    assert_eq!(payloads(&rest), [b"3", b"4", b"5"]);
    assert_eq!(pending(&store).await, 5);
}

async fn stream_ids_increase_with_each_append(store: SharedStore) {
    let mut appended = Vec::new();
    for _ in 0..50 {
        appended.push(append(&store, b"tick").await);
    }

    let order: Vec<(u64, u64)> = appended.iter().map(|id| id_order(id)).collect();
    assert!(
        order.windows(2).all(|pair| pair[0] < pair[1]),
        "{appended:?}"
    );
    assert_eq!(store.stream_len("inbox").await.unwrap(), 50);
}

async fn a_few_acknowledgements_do_not_shorten_the_stream_at_once(store: SharedStore) {
    assert_eq!(
        store.stream_len("inbox").await.unwrap(),
        0,
        "a missing stream is empty"
    );
    ensure_group(&store).await;
    append(&store, b"1").await;
    append(&store, b"2").await;

    let read = read_now(&store, "a", 10).await;
    store
        .stream_ack("inbox", "workers", &ids(&read))
        .await
        .unwrap();

    assert_eq!(store.stream_len("inbox").await.unwrap(), 2);
    assert_eq!(pending(&store).await, 0);
}

async fn acknowledged_entries_are_trimmed_but_unhandled_ones_never_are(store: SharedStore) {
    ensure_group(&store).await;
    for payload in [b"1", b"2", b"3", b"4"] {
        append(&store, payload).await;
    }
    let delivered = read_now(&store, "crashed", 3).await;
    let handled = [delivered[0].id.clone(), delivered[2].id.clone()];
    store
        .stream_ack("inbox", "workers", &handled)
        .await
        .unwrap();

    // "1" is handled; "3" is too, but it waits behind "2", still pending; "4" is unread.
    assert_eq!(store.stream_trim("inbox").await.unwrap(), 1);
    assert_eq!(store.stream_len("inbox").await.unwrap(), 3);
    assert_eq!(
        store.stream_trim("inbox").await.unwrap(),
        0,
        "nothing more is handled"
    );

    let claimed = store
        .stream_claim_idle("inbox", "workers", "rescuer", Duration::ZERO, 10)
        .await
        .unwrap();
    let unread = read_now(&store, "a", 10).await;
    assert_eq!(
        payloads(&claimed),
        [b"2"],
        "the pending entry is still there"
    );
    assert_eq!(payloads(&unread), [b"4"], "so is the undelivered one");

    store
        .stream_ack("inbox", "workers", &[ids(&claimed), ids(&unread)].concat())
        .await
        .unwrap();
    store.stream_trim("inbox").await.unwrap();
    assert_eq!(store.stream_len("inbox").await.unwrap(), 0);
    assert!(read_now(&store, "a", 10).await.is_empty());
}

async fn an_entry_is_trimmed_only_once_every_group_has_handled_it(store: SharedStore) {
    ensure_group(&store).await;
    store
        .stream_ensure_group("inbox", "auditors")
        .await
        .unwrap();
    append(&store, b"1").await;
    append(&store, b"2").await;
    let workers = read_now(&store, "a", 10).await;
    store
        .stream_ack("inbox", "workers", &ids(&workers))
        .await
        .unwrap();

    assert_eq!(
        store.stream_trim("inbox").await.unwrap(),
        0,
        "the auditors have read nothing"
    );

    let audited = store
        .stream_read("inbox", "auditors", "a", 1, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        store.stream_trim("inbox").await.unwrap(),
        0,
        "the auditors have not acknowledged what they read"
    );

    store
        .stream_ack("inbox", "auditors", &ids(&audited))
        .await
        .unwrap();
    assert_eq!(store.stream_trim("inbox").await.unwrap(), 1);
    let rest = store
        .stream_read("inbox", "auditors", "a", 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(payloads(&rest), [b"2"]);
    assert_eq!(store.stream_len("inbox").await.unwrap(), 1);
}

async fn a_stream_without_a_group_is_never_trimmed(store: SharedStore) {
    assert_eq!(
        store.stream_trim("inbox").await.unwrap(),
        0,
        "a missing stream has nothing to trim"
    );
    append(&store, b"1").await;
    append(&store, b"2").await;

    assert_eq!(store.stream_trim("inbox").await.unwrap(), 0);

    ensure_group(&store).await;
    assert_eq!(payloads(&read_now(&store, "a", 10).await), [b"1", b"2"]);
}

async fn every_group_gets_every_entry(store: SharedStore) {
    ensure_group(&store).await;
    store
        .stream_ensure_group("inbox", "auditors")
        .await
        .unwrap();
    append(&store, b"event").await;

    let workers = read_now(&store, "a", 10).await;
    let auditors = store
        .stream_read("inbox", "auditors", "a", 10, Duration::ZERO)
        .await
        .unwrap();

    assert_eq!(payloads(&workers), [b"event"]);
    assert_eq!(auditors, workers);
}

async fn an_unacknowledged_entry_is_claimable_by_another_consumer_only_once_idle(
    store: SharedStore,
) {
    let min_idle = Duration::from_millis(500);
    ensure_group(&store).await;
    append(&store, b"1").await;
    append(&store, b"2").await;
    let delivered = read_now(&store, "crashed", 10).await;

    let too_early = store
        .stream_claim_idle("inbox", "workers", "rescuer", min_idle, 10)
        .await
        .unwrap();
    assert!(too_early.is_empty(), "entries are not idle long enough yet");

    tokio::time::sleep(Duration::from_millis(650)).await;
    let claimed = store
        .stream_claim_idle("inbox", "workers", "rescuer", min_idle, 10)
        .await
        .unwrap();
    assert_eq!(claimed, delivered, "the same entries, payloads included");

    let again = store
        .stream_claim_idle("inbox", "workers", "another", min_idle, 10)
        .await
        .unwrap();
    assert!(again.is_empty(), "a claim restarts the idle time");
    assert_eq!(pending(&store).await, 2);

    store
        .stream_ack("inbox", "workers", &ids(&claimed))
        .await
        .unwrap();
    assert_eq!(pending(&store).await, 0);
}

async fn ensuring_a_group_again_does_not_redeliver_its_entries(store: SharedStore) {
    ensure_group(&store).await;
    ensure_group(&store).await;
    append(&store, b"1").await;
    append(&store, b"2").await;
    assert_eq!(payloads(&read_now(&store, "a", 1).await), [b"1"]);

    ensure_group(&store).await;

    assert_eq!(payloads(&read_now(&store, "a", 10).await), [b"2"]);
}

async fn a_group_created_after_appends_still_sees_the_earlier_entries(store: SharedStore) {
    append(&store, b"early").await;
    append(&store, b"also early").await;

    ensure_group(&store).await;

    assert_eq!(
        payloads(&read_now(&store, "a", 10).await),
        [&b"early"[..], &b"also early"[..]]
    );
}

async fn a_blocking_read_returns_as_soon_as_an_entry_is_appended(store: SharedStore) {
    ensure_group(&store).await;
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .stream_read("inbox", "workers", "a", 10, Duration::from_secs(10))
                .await
                .unwrap()
        })
    };
    // Let the reader start waiting before anything arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let appended_at = Instant::now();
    append(&store, b"wake up").await;
    let read = tokio::time::timeout(Duration::from_secs(2), reader)
        .await
        .expect("the reader was not woken")
        .unwrap();

    assert_eq!(payloads(&read), [b"wake up"]);
    assert!(
        appended_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        appended_at.elapsed()
    );
}

async fn a_blocking_read_with_nothing_new_returns_empty_after_its_block_time(store: SharedStore) {
    ensure_group(&store).await;
    let started = Instant::now();

    let read = store
        .stream_read("inbox", "workers", "a", 10, Duration::from_millis(300))
        .await
        .unwrap();

    let waited = started.elapsed();
    assert!(read.is_empty(), "{read:?}");
    assert!(
        waited >= Duration::from_millis(250),
        "returned early: {waited:?}"
    );
    assert!(waited < Duration::from_secs(2), "returned late: {waited:?}");
}

async fn a_blocking_read_does_not_hold_up_other_commands(store: SharedStore) {
    ensure_group(&store).await;
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .stream_read("inbox", "workers", "a", 10, Duration::from_millis(1_500))
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    for round in 0..10 {
        let value = format!("round-{round}");
        store.set("busy", value.as_bytes(), None).await.unwrap();
        assert_eq!(store.get("busy").await.unwrap(), Some(value.into_bytes()));
    }
    let took = started.elapsed();

    assert!(
        took < Duration::from_millis(500),
        "commands waited for the read: {took:?}"
    );
    assert!(reader.await.unwrap().is_empty());
}

async fn reading_through_a_missing_group_is_an_error(store: SharedStore) {
    append(&store, b"event").await;

    let read = store
        .stream_read("inbox", "nobody", "a", 10, Duration::ZERO)
        .await;
    let pending = store.stream_pending("inbox", "nobody").await;
    let claimed = store
        .stream_claim_idle("inbox", "nobody", "a", Duration::ZERO, 10)
        .await;

    assert!(matches!(read, Err(StoreError::Protocol(_))), "{read:?}");
    assert!(
        matches!(pending, Err(StoreError::Protocol(_))),
        "{pending:?}"
    );
    assert!(
        matches!(claimed, Err(StoreError::Protocol(_))),
        "{claimed:?}"
    );
}

#[tokio::test]
async fn keys_under_one_prefix_are_invisible_under_another() {
    let first = connect_redis(&random_prefix()).await;
    let second = connect_redis(&random_prefix()).await;

    first.set("shared-name", b"first", None).await.unwrap();
    first.stream_append("inbox", b"event").await.unwrap();

    assert_eq!(second.get("shared-name").await.unwrap(), None);
    assert_eq!(second.stream_len("inbox").await.unwrap(), 0);
    assert!(
        second
            .set_if_absent("shared-name", b"second", None)
            .await
            .unwrap()
    );
    assert_eq!(
        first.get("shared-name").await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
}

#[tokio::test]
async fn enough_acknowledgements_on_redis_trim_the_handled_entries_by_themselves() {
    let store: SharedStore = Arc::new(connect_redis(&random_prefix()).await);
    ensure_group(&store).await;
    for _ in 0..1_001 {
        append(&store, b"event").await;
    }
    let handled = read_now(&store, "a", 1_000).await;

    store
        .stream_ack("inbox", "workers", &ids(&handled))
        .await
        .unwrap();

    assert_eq!(
        store.stream_len("inbox").await.unwrap(),
        1,
        "only the unread entry is left"
    );
    assert_eq!(read_now(&store, "a", 10).await.len(), 1);
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_without_showing_the_password() {
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}/0", free_port());
    let started = Instant::now();

    let refused = RedisStore::connect(&url, &random_prefix()).await;

    let Err(StoreError::Unavailable(message)) = refused else {
        panic!("expected the store to be unavailable, got {refused:?}");
    };
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_stopped_redis_is_reported_unavailable_within_seconds() {
    let server = RedisServer::start();
    let store = RedisStore::connect(server.url(), &random_prefix())
        .await
        .unwrap();
    store.stream_ensure_group("inbox", "workers").await.unwrap();
    // Leaves a dedicated connection in the pool, to be found dead later.
    store
        .stream_read("inbox", "workers", "a", 1, Duration::from_millis(10))
        .await
        .unwrap();

    tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    let started = Instant::now();
    let get = store.get("anything").await;
    let append = store.stream_append("inbox", b"event").await;
    let read = store
        .stream_read("inbox", "workers", "a", 1, Duration::from_millis(100))
        .await;
    let ping = store.ping().await;

    assert!(matches!(get, Err(StoreError::Unavailable(_))), "{get:?}");
    assert!(
        matches!(append, Err(StoreError::Unavailable(_))),
        "{append:?}"
    );
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn delete_if_removes_only_the_expected_value(store: SharedStore) {
    store.set("lock", b"holder-a", None).await.unwrap();

    assert!(!store.delete_if("lock", b"holder-b").await.unwrap());
    assert_eq!(
        store.get("lock").await.unwrap().as_deref(),
        Some(&b"holder-a"[..])
    );
    assert!(store.delete_if("lock", b"holder-a").await.unwrap());
    assert_eq!(store.get("lock").await.unwrap(), None);
    assert!(!store.delete_if("lock", b"holder-a").await.unwrap());
}

async fn a_queue_hands_out_items_front_first_and_removes_only_the_front(store: SharedStore) {
    let ttl = Duration::from_secs(60);
    assert_eq!(store.queue_front("{q}:queue").await.unwrap(), None);
    assert_eq!(store.queue_len("{q}:queue").await.unwrap(), 0);
    for (dedupe, item) in [
        ("{q}:seen:d1", &b"first"[..]),
        ("{q}:seen:d2", b"second"),
        ("{q}:seen:d3", b"\x00\xff"),
    ] {
        assert!(
            store
                .queue_push_once(dedupe, ttl, "{q}:queue", item)
                .await
                .unwrap()
        );
    }
    assert_eq!(store.queue_len("{q}:queue").await.unwrap(), 3);
    assert_eq!(
        store.queue_front("{q}:queue").await.unwrap().as_deref(),
        Some(&b"first"[..]),
        "reading the front leaves it in place"
    );
    assert_eq!(
        store.queue_front("{q}:queue").await.unwrap().as_deref(),
        Some(&b"first"[..])
    );

    assert!(
        !store
            .queue_remove_front("{q}:queue", b"second")
            .await
            .unwrap(),
        "an item behind the front is not removed"
    );
    assert!(
        store
            .queue_remove_front("{q}:queue", b"first")
            .await
            .unwrap()
    );
    assert!(
        store
            .queue_remove_front("{q}:queue", b"second")
            .await
            .unwrap()
    );
    assert_eq!(
        store.queue_front("{q}:queue").await.unwrap().as_deref(),
        Some(&b"\x00\xff"[..])
    );
    assert!(
        store
            .queue_remove_front("{q}:queue", b"\x00\xff")
            .await
            .unwrap()
    );
    assert_eq!(store.queue_len("{q}:queue").await.unwrap(), 0);
    assert!(
        !store
            .queue_remove_front("{q}:queue", b"first")
            .await
            .unwrap()
    );
}

async fn queue_push_once_queues_an_item_once_per_dedupe_key_until_it_expires(store: SharedStore) {
    let ttl = Duration::from_millis(250);
    assert!(
        store
            .queue_push_once("{q}:seen:m1", ttl, "{q}:queue", b"m1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .queue_push_once("{q}:seen:m1", ttl, "{q}:queue", b"m1")
            .await
            .unwrap()
    );
    assert_eq!(store.queue_len("{q}:queue").await.unwrap(), 1);

    tokio::time::sleep(Duration::from_millis(350)).await;

    assert!(
        store
            .queue_push_once("{q}:seen:m1", ttl, "{q}:queue", b"m1")
            .await
            .unwrap(),
        "the dedupe key expired, so the item is new again"
    );
    assert_eq!(store.queue_len("{q}:queue").await.unwrap(), 2);
}

async fn only_one_of_twenty_concurrent_pushes_with_one_dedupe_key_queues(store: SharedStore) {
    let mut calls = JoinSet::new();
    for caller in 0..20 {
        let store = store.clone();
        calls.spawn(async move {
            store
                .queue_push_once(
                    "{dup}:seen",
                    Duration::from_secs(60),
                    "{dup}:queue",
                    format!("copy-{caller}").as_bytes(),
                )
                .await
                .unwrap()
        });
    }
    let queued = calls
        .join_all()
        .await
        .into_iter()
        .filter(|&won| won)
        .count();

    assert_eq!(queued, 1);
    assert_eq!(store.queue_len("{dup}:queue").await.unwrap(), 1);
}

async fn stream_append_once_appends_once_per_dedupe_key_and_remembers_the_entry(
    store: SharedStore,
) {
    let ttl = Duration::from_secs(60);

    let first = store
        .stream_append_once("{log}:seen:e1", ttl, "{log}", b"e1")
        .await
        .unwrap();
    let again = store
        .stream_append_once("{log}:seen:e1", ttl, "{log}", b"e1 again")
        .await
        .unwrap();
    let other = store
        .stream_append_once("{log}:seen:e2", ttl, "{log}", b"e2")
        .await
        .unwrap();

    let first = first.expect("the first append goes through");
    assert_eq!(again, None);
    assert!(other.is_some());
    assert_eq!(store.stream_len("{log}").await.unwrap(), 2);
    assert_eq!(
        store.get("{log}:seen:e1").await.unwrap().as_deref(),
        Some(first.as_bytes()),
        "the mark holds the entry's id"
    );
}

async fn two_key_operations_refuse_keys_without_one_hash_tag(store: SharedStore) {
    let ttl = Duration::from_secs(60);
    for (dedupe, target) in [
        ("seen:m1", "queue"),
        ("{a}:seen", "{b}:queue"),
        ("{}:seen", "{}:queue"),
    ] {
        let pushed = store.queue_push_once(dedupe, ttl, target, b"m1").await;
        assert!(
            matches!(pushed, Err(StoreError::Protocol(_))),
            "{dedupe} and {target} could be on two cluster nodes: {pushed:?}"
        );
        let appended = store.stream_append_once(dedupe, ttl, target, b"e1").await;
        assert!(
            matches!(appended, Err(StoreError::Protocol(_))),
            "{dedupe} and {target} could be on two cluster nodes: {appended:?}"
        );
        assert_eq!(store.get(dedupe).await.unwrap(), None, "nothing was marked");
    }
}

async fn a_stream_range_pages_after_an_entry_without_a_group(store: SharedStore) {
    let mut appended = Vec::new();
    for payload in [&b"a"[..], b"b", b"c", b"\x00\xff"] {
        appended.push(store.stream_append("log", payload).await.unwrap());
    }

    let first = store.stream_range("log", None, 2).await.unwrap();
    let rest = store
        .stream_range("log", Some(&first[1].id), 10)
        .await
        .unwrap();
    let after_last = store
        .stream_range("log", Some(&appended[3]), 10)
        .await
        .unwrap();
    let missing = store.stream_range("no-such-log", None, 10).await.unwrap();

    assert_eq!(payloads(&first), [b"a", b"b"]);
    assert_eq!(ids(&first), appended[..2]);
    assert_eq!(payloads(&rest), [&b"c"[..], b"\x00\xff"]);
    assert!(after_last.is_empty());
    assert!(missing.is_empty());
    assert_eq!(
        store.stream_len("log").await.unwrap(),
        4,
        "reading keeps entries"
    );
}

async fn dropping_old_entries_keeps_the_recent_ones_whatever_the_groups(store: SharedStore) {
    append(&store, b"old").await;
    ensure_group(&store).await;
    read_now(&store, "a", 10).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&store, b"new").await;

    let dropped = store
        .stream_drop_older_than("inbox", Duration::from_millis(150))
        .await
        .unwrap();

    assert_eq!(dropped, 1);
    let left = store.stream_range("inbox", None, 10).await.unwrap();
    assert_eq!(payloads(&left), [b"new"]);
}

async fn a_sorted_set_orders_members_by_score_and_keeps_one_score_each(store: SharedStore) {
    assert!(store.sorted_add("due", "b", 20, false).await.unwrap());
    assert!(store.sorted_add("due", "a", 10, false).await.unwrap());
    assert!(
        store
            .sorted_add("due", "c", 1_700_000_000_000, false)
            .await
            .unwrap()
    );

    assert!(
        !store.sorted_add("due", "b", 5, false).await.unwrap(),
        "moved, not added"
    );
    assert!(
        !store.sorted_add("due", "a", 1, true).await.unwrap(),
        "kept where it was"
    );

    assert_eq!(
        store.sorted_range("due", 10).await.unwrap(),
        [
            ("b".to_owned(), 5),
            ("a".to_owned(), 10),
            ("c".to_owned(), 1_700_000_000_000)
        ]
    );
    assert_eq!(store.sorted_range("due", 1).await.unwrap().len(), 1);
    assert_eq!(store.sorted_score("due", "a").await.unwrap(), Some(10));
    assert!(store.sorted_remove("due", "a").await.unwrap());
    assert!(!store.sorted_remove("due", "a").await.unwrap());
    assert_eq!(store.sorted_score("due", "a").await.unwrap(), None);
    assert!(store.sorted_range("nothing", 10).await.unwrap().is_empty());
}

async fn taking_due_members_moves_them_to_their_lease_and_leaves_the_rest(store: SharedStore) {
    for (member, score) in [
        ("late", 500),
        ("first", 100),
        ("second", 200),
        ("third", 300),
    ] {
        store.sorted_add("due", member, score, false).await.unwrap();
    }

    let taken = store.sorted_take_due("due", 300, 1_000, 2).await.unwrap();
    let rest = store.sorted_take_due("due", 300, 1_000, 10).await.unwrap();
    let none = store.sorted_take_due("due", 300, 1_000, 10).await.unwrap();

    assert_eq!(taken, ["first", "second"]);
    assert_eq!(rest, ["third"]);
    assert!(none.is_empty(), "taken members are leased past now");
    assert_eq!(
        store.sorted_score("due", "first").await.unwrap(),
        Some(1_000)
    );
    assert_eq!(store.sorted_score("due", "late").await.unwrap(), Some(500));
    assert_eq!(
        store
            .sorted_take_due("due", 1_000, 2_000, 10)
            .await
            .unwrap(),
        ["late", "first", "second", "third"],
        "a lease that ran out makes the member due again"
    );
}

async fn twenty_concurrent_takers_never_take_the_same_member(store: SharedStore) {
    for index in 0..50 {
        store
            .sorted_add("due", &format!("m{index}"), index, false)
            .await
            .unwrap();
    }
    let mut takers = JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        takers.spawn(async move { store.sorted_take_due("due", 100, 10_000, 5).await.unwrap() });
    }

    let mut taken: Vec<String> = takers.join_all().await.into_iter().flatten().collect();
    let count = taken.len();
    taken.sort();
    taken.dedup();

    assert_eq!(count, 50);
    assert_eq!(taken.len(), 50);
}
