//! Behaviour when a dependency fails: answer honestly, lose nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bino::store::{RedisStore, SharedStore};
use serde_json::json;

use crate::support::app::{WEBHOOK_TOKEN, assert_error, spawn_app_on};
use crate::support::chat::graph_mock;
use crate::support::redis::{RedisServer, free_port, random_prefix};
use crate::support::serve::{
    BinoProcess, MessageRef, assert_repeats_only_from_interrupted_turns, post_signed, redis_pid,
    repeated, reply_counts, settled_replies, signal,
};

#[tokio::test]
async fn a_supplier_event_gets_503_when_the_inbox_cannot_be_written() {
    let server = RedisServer::start();
    let store: SharedStore = Arc::new(
        RedisStore::connect(server.url(), &random_prefix())
            .await
            .expect("Redis answers"),
    );
    let app = spawn_app_on(store, &[]).await;
    let event = r#"{"notifyType":"ESIM_STATUS","notifyId":"n-503","content":{"esimTranNo":"1","esimStatus":"IN_USE"}}"#;
    let accepted = app.post_supplier_event(WEBHOOK_TOKEN, event).await;

    server.stop();
    let refused = app.post_supplier_event(WEBHOOK_TOKEN, event).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();

    assert_eq!(accepted.0, 200);
    assert_error(&refused, 503, "unavailable");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        body["store"],
        json!({"backend": "redis", "status": "unavailable"})
    );
}

/// One delivery posted during the outage test: when it left, when it was answered, how.
struct Posted {
    message: MessageRef,
    sent_at: Instant,
    answered_at: Instant,
    status: Option<u16>,
}

/// The messages of the posts answered with `status`.
fn answered<'a>(
    posts: impl Iterator<Item = &'a Posted>,
    status: u16,
) -> impl Iterator<Item = MessageRef> {
    posts
        .filter(move |post| post.status == Some(status))
        .map(|post| post.message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_deliveries_get_503_while_redis_is_frozen_and_are_answered_once_it_thaws() {
    const TRAVELLERS: usize = 50;
    const MESSAGES_EACH: u32 = 14;
    let started = Instant::now();
    let redis = RedisServer::start();
    let graph = graph_mock().await;
    let bino = BinoProcess::start(free_port(), redis.url(), &random_prefix(), &graph).await;
    let redis_process = redis_pid(redis.url());
    let client = reqwest::Client::new();

    // A frozen Redis keeps its connections open and answers nothing: the hardest outage
    // to notice, since nothing fails until a timeout.
    let outage = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        signal(redis_process, "STOP");
        let stopped_at = Instant::now();
        tokio::time::sleep(Duration::from_secs(10)).await;
        signal(redis_process, "CONT");
        (stopped_at, Instant::now())
    });

    // Fifty deliveries a second for fourteen seconds: before, during and after the outage.
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    let mut posts = Vec::new();
    for number in 1..=MESSAGES_EACH {
        for traveller in 0..TRAVELLERS {
            ticker.tick().await;
            let message = MessageRef { traveller, number };
            let client = client.clone();
            let base = bino.base.clone();
            posts.push(tokio::spawn(async move {
                let sent_at = Instant::now();
                let status = post_signed(&client, &base, message.delivery("outage")).await;
                Posted {
                    message,
                    sent_at,
                    answered_at: Instant::now(),
                    status,
                }
            }));
        }
    }
    let mut posted = Vec::new();
    for post in posts {
        posted.push(post.await.unwrap());
    }
    let (stopped_at, resumed_at) = outage.await.unwrap();

    let during: Vec<&Posted> = posted
        .iter()
        .filter(|post| post.sent_at > stopped_at && post.answered_at < resumed_at)
        .collect();
    let after: Vec<&Posted> = posted
        .iter()
        .filter(|post| post.sent_at > resumed_at)
        .collect();
    let accepted: HashSet<MessageRef> = answered(posted.iter(), 200).collect();
    let refused: Vec<MessageRef> = answered(posted.iter(), 503).collect();
    let after_accepted: Vec<MessageRef> = answered(after.iter().copied(), 200).collect();
    let replies_to_accepted = settled_replies(
        &graph,
        TRAVELLERS,
        &accepted.iter().copied().collect::<Vec<_>>(),
        Duration::from_secs(40),
    )
    .await;
    let counts = reply_counts(&replies_to_accepted);
    let accepted_unanswered = accepted
        .iter()
        .filter(|message| !counts.contains_key(message))
        .count();
    let after_unanswered = after_accepted
        .iter()
        .filter(|message| !counts.contains_key(message))
        .count();

    // Meta retries what got 503; those are answered too.
    for message in &refused {
        assert_eq!(
            post_signed(&client, &bino.base, message.delivery("outage")).await,
            Some(200)
        );
    }
    let everything: Vec<MessageRef> = posted.iter().map(|post| post.message).collect();
    let replies = settled_replies(&graph, TRAVELLERS, &everything, Duration::from_secs(20)).await;
    let counts = reply_counts(&replies);
    let never_answered = everything
        .iter()
        .filter(|message| !counts.contains_key(message))
        .count();
    let repeated = repeated(&counts);
    println!(
        "redis outage: {} deliveries, {} answered 200, {} answered 503, {} unanswered; \
         {} sent and answered while Redis was frozen (200: {}, 503: {}, slowest {:.1} s); \
         {} sent after it thawed, {} of them answered 200, {} of those not replied to; \
         {} accepted deliveries never replied to; after Meta's retries {} replies, {} \
         messages never replied to, {} replied more than once; {:.1} s",
        posted.len(),
        accepted.len(),
        refused.len(),
        posted.iter().filter(|post| post.status.is_none()).count(),
        during.len(),
        during
            .iter()
            .filter(|post| post.status == Some(200))
            .count(),
        during
            .iter()
            .filter(|post| post.status == Some(503))
            .count(),
        during
            .iter()
            .map(|post| (post.answered_at - post.sent_at).as_secs_f64())
            .fold(0.0, f64::max),
        after.len(),
        after_accepted.len(),
        after_unanswered,
        accepted_unanswered,
        replies.len(),
        never_answered,
        repeated.len(),
        started.elapsed().as_secs_f64(),
    );

    assert!(during.len() > 100, "too few deliveries during the outage");
    assert!(
        during.iter().all(|post| post.status == Some(503)),
        "a delivery was not refused while Redis was frozen"
    );
    assert!(
        posted
            .iter()
            .all(|post| matches!(post.status, Some(200 | 503))),
        "a delivery got neither 200 nor 503"
    );
    assert!(!after.is_empty() && after_accepted.len() == after.len());
    assert_eq!(accepted_unanswered, 0, "accepted deliveries never handled");
    assert_eq!(never_answered, 0, "retried deliveries never handled");
    assert_repeats_only_from_interrupted_turns(&repeated);
    drop(bino);
    redis.stop();
}
