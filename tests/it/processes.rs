//! Real `bino serve` processes over one private Redis: killed mid-load, restarted, and
//! two sharing the work, on one server and on a Redis Cluster. Replies are counted at the Graph mock, one per message.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::support::chat::graph_mock;
use crate::support::redis::{RedisServer, free_port, random_prefix, redis_cluster_nodes};
use crate::support::serve::{
    BinoProcess, MessageRef, assert_repeats_only_from_interrupted_turns, post_signed, repeated,
    replies, reply_counts, settled_replies,
};

const TRAVELLERS: usize = 100;
const MESSAGES_EACH: u32 = 10;

fn all_messages() -> Vec<MessageRef> {
    (1..=MESSAGES_EACH)
        .flat_map(|number| (0..TRAVELLERS).map(move |traveller| MessageRef { traveller, number }))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_load_loses_no_accepted_message_once_restarted() {
    let started = Instant::now();
    let redis = RedisServer::start();
    let graph = graph_mock().await;
    let prefix = random_prefix();
    let port = free_port();
    let first = Arc::new(Mutex::new(
        BinoProcess::start(port, redis.url(), &prefix, &graph).await,
    ));
    let base = first.lock().unwrap().base.clone();
    let client = reqwest::Client::new();
    let messages = all_messages();

    // SIGKILL once 300 deliveries are accepted, with the rest still arriving.
    let accepted_count = Arc::new(AtomicUsize::new(0));
    let killer = {
        let first = Arc::clone(&first);
        let accepted_count = Arc::clone(&accepted_count);
        tokio::spawn(async move {
            while accepted_count.load(Ordering::SeqCst) < 300 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            first.lock().unwrap().kill();
        })
    };
    let outcomes: Vec<(MessageRef, Option<u16>)> = futures::stream::iter(messages.clone())
        .map(|message| {
            let client = client.clone();
            let base = base.clone();
            let accepted_count = Arc::clone(&accepted_count);
            async move {
                let status = post_signed(&client, &base, message.delivery("crash")).await;
                if status == Some(200) {
                    accepted_count.fetch_add(1, Ordering::SeqCst);
                }
                (message, status)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    killer.await.unwrap();
    let replied_before_restart = replies(&graph, TRAVELLERS).await.len();
    let accepted: HashSet<MessageRef> = outcomes
        .iter()
        .filter(|(_, status)| *status == Some(200))
        .map(|(message, _)| *message)
        .collect();
    let refused_otherwise = outcomes
        .iter()
        .filter(|(_, status)| status.is_some_and(|status| status != 200))
        .count();

    // Meta retries what was not answered 200; the restarted process takes it.
    let second = BinoProcess::start(port, redis.url(), &prefix, &graph).await;
    let retried: Vec<MessageRef> = outcomes
        .iter()
        .filter(|(_, status)| *status != Some(200))
        .map(|(message, _)| *message)
        .collect();
    let retry_statuses: Vec<Option<u16>> = futures::stream::iter(retried.clone())
        .map(|message| {
            let client = client.clone();
            let base = second.base.clone();
            async move { post_signed(&client, &base, message.delivery("crash")).await }
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let replies = settled_replies(&graph, TRAVELLERS, &messages, Duration::from_secs(45)).await;
    let counts = reply_counts(&replies);
    let missing: Vec<MessageRef> = messages
        .iter()
        .filter(|message| !counts.contains_key(message))
        .copied()
        .collect();
    let accepted_missing = missing.iter().filter(|m| accepted.contains(m)).count();
    let repeated = repeated(&counts);
    let repeated_travellers: HashSet<usize> = repeated.iter().map(|(m, _)| m.traveller).collect();
    println!(
        "crash: {} deliveries, {} answered 200 before the kill, {} answered otherwise, {} \
         unanswered; {} replies sent before the restart; {} reposted to the restarted process; {} replies for {} distinct \
         messages; {} messages replied more than once (travellers: {}), {} messages never \
         replied ({} of them accepted before the kill); {:.1} s",
        messages.len(),
        accepted.len(),
        refused_otherwise,
        messages.len() - accepted.len() - refused_otherwise,
        replied_before_restart,
        retried.len(),
        replies.len(),
        counts.len(),
        repeated.len(),
        repeated_travellers.len(),
        missing.len(),
        accepted_missing,
        started.elapsed().as_secs_f64(),
    );

    assert!(
        retry_statuses.iter().all(|status| *status == Some(200)),
        "the restarted process refused retries: {retry_statuses:?}"
    );
    assert!(missing.is_empty(), "messages never replied to: {missing:?}");
    assert_repeats_only_from_interrupted_turns(&repeated);
    drop(second);
    redis.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_redis_answer_each_message_once_and_in_order() {
    let redis = RedisServer::start();
    two_processes_answer_each_message_once_and_in_order(redis.url(), redis.url(), "one redis")
        .await;
    redis.stop();
}

/// The same on a three-node cluster: a customer's keys move together by their hash tag,
/// wherever the cluster puts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_a_redis_cluster_answer_each_message_once_and_in_order() {
    let nodes = redis_cluster_nodes().await;
    // One process finds the cluster from a node, the other is given the list of nodes.
    let prefix =
        two_processes_answer_each_message_once_and_in_order(&nodes[0], &nodes.join(","), "cluster")
            .await;

    // Customers' keys spread over the nodes: each node holds some of this run's keys.
    let keys_per_node: Vec<usize> = nodes
        .iter()
        .map(|node| keys_on_node(node, &prefix))
        .collect();
    println!("cluster: keys of this run per node {keys_per_node:?}");
    assert!(
        keys_per_node.iter().all(|keys| *keys > 0),
        "some node holds none of the keys: {keys_per_node:?}"
    );
}

/// How many keys under `prefix` the node at `url` holds itself (not the whole cluster).
fn keys_on_node(url: &str, prefix: &str) -> usize {
    let listed = std::process::Command::new("redis-cli")
        .args(["-u", url, "--scan", "--pattern", &format!("{prefix}*")])
        .output()
        .expect("could not run redis-cli");
    assert!(listed.status.success(), "redis-cli --scan failed");
    String::from_utf8_lossy(&listed.stdout).lines().count()
}

async fn two_processes_answer_each_message_once_and_in_order(
    left_url: &str,
    right_url: &str,
    label: &str,
) -> String {
    let started = Instant::now();
    let graph = graph_mock().await;
    let prefix = random_prefix();
    let (left, right) = tokio::join!(
        BinoProcess::start(free_port(), left_url, &prefix, &graph),
        BinoProcess::start(free_port(), right_url, &prefix, &graph),
    );
    let bases = [left.base.clone(), right.base.clone()];
    let client = reqwest::Client::new();

    // Each traveller writes in turn, like a person; consecutive messages reach different
    // processes, so only the shared inbox can keep them in order.
    let statuses: Vec<Option<u16>> = futures::stream::iter(0..TRAVELLERS)
        .map(|traveller| {
            let client = client.clone();
            let bases = bases.clone();
            async move {
                let mut statuses = Vec::new();
                for number in 1..=MESSAGES_EACH {
                    let message = MessageRef { traveller, number };
                    let base = &bases[number as usize % 2];
                    statuses.push(post_signed(&client, base, message.delivery("pair")).await);
                }
                statuses
            }
        })
        .buffer_unordered(TRAVELLERS)
        .flat_map(futures::stream::iter)
        .collect()
        .await;
    let posted_in = started.elapsed();

    let messages = all_messages();
    let replies = settled_replies(&graph, TRAVELLERS, &messages, Duration::from_secs(45)).await;
    let counts = reply_counts(&replies);
    let missing = messages.iter().filter(|m| !counts.contains_key(m)).count();
    let repeated = counts.values().filter(|count| **count > 1).count();
    let out_of_order: Vec<usize> = (0..TRAVELLERS)
        .filter(|traveller| {
            let numbers: Vec<u32> = replies
                .iter()
                .filter(|reply| reply.traveller == *traveller)
                .map(|reply| reply.number)
                .collect();
            numbers != (1..=MESSAGES_EACH).collect::<Vec<_>>()
        })
        .collect();
    println!(
        "two processes ({label}): {} deliveries posted in {:.1} s, {} answered 200; {} replies, {} \
         missing, {} repeated, {} travellers answered out of order; {:.1} s",
        statuses.len(),
        posted_in.as_secs_f64(),
        statuses.iter().filter(|s| **s == Some(200)).count(),
        replies.len(),
        missing,
        repeated,
        out_of_order.len(),
        started.elapsed().as_secs_f64(),
    );

    assert!(statuses.iter().all(|status| *status == Some(200)));
    assert_eq!((missing, repeated), (0, 0));
    assert!(
        out_of_order.is_empty(),
        "answered out of order: travellers {out_of_order:?}"
    );
    drop((left, right));
    prefix
}
