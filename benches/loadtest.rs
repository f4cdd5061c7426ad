//! The load test: a real `bino serve` (release build, sandbox supplier) on a Redis of its
//! own, replying to a Graph API stand-in run here, everything on the one machine.
//!
//! 1. Memory at rest: bino's resident set once started and warmed.
//! 2. Turns: new travellers write "eSIM for Japan, 10 days" at a steady 500 a second for
//!    20 s, each from a number of its own. The time from posting the signed webhook to the
//!    plan list reaching the Graph stand-in is a turn: webhook, split, search over the
//!    catalog, conversation saved, reply sent. Posted open-loop (on schedule, whatever
//!    came back), so a slow answer cannot slow the load down and hide itself. Redis memory
//!    per conversation is measured across this phase, once every reply is in.
//! 3. Ingest: `wrk` posts signed webhooks as fast as it can with more and more
//!    connections, 8 s each; the highest rate whose p99 stays at 10 ms or under is the
//!    sustained ingest rate. The bodies are delivery and read receipts for messages bino
//!    sent, Meta's most frequent webhook (three for each reply); every one is distinct.
//!    A second series posts inbound text messages, which each start a conversation.
//!
//! Bino's resident set is sampled every 100 ms throughout; the largest is "under load".
//!
//! Run with `scripts/loadtest`, which installs `wrk` when missing; `cargo bench --bench
//! loadtest` works when `wrk` and `redis-server` are on the PATH.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use bino::whatsapp::signature::SignatureVerifier;
use serde_json::{Value, json};
use tokio::sync::mpsc;

mod common;

use common::{BenchRedis, text_delivery};

const APP_SECRET: &str = "loadtest-app-secret";
const PHONE_NUMBER_ID: &str = "110200330044005";

/// New conversations a second in the turn phase, and for how long.
const TURN_RATE: u64 = 500;
const TURN_SECONDS: u64 = 20;

/// The p99 an ingest rate must keep to count as sustained.
const INGEST_P99_LIMIT: Duration = Duration::from_millis(10);
/// How long each `wrk` run lasts.
const INGEST_SECONDS: u64 = 8;
/// Connection counts tried, fewest first.
const INGEST_CONNECTIONS: [usize; 5] = [4, 8, 16, 32, 64];
/// Distinct bodies written for each `wrk` run, which it cycles through: every body a run
/// sends is new up to 40,000 a second. A run that sent more is not counted, since the
/// repeats would be dropped as duplicates at less cost.
const INGEST_BODIES: usize = 320_000;

#[tokio::main]
async fn main() {
    let Some(redis) = BenchRedis::start() else {
        eprintln!("loadtest: needs redis-server on the PATH (or BINO_BENCH_REDIS_URL)");
        std::process::exit(1);
    };
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("loadtest: needs wrk on the PATH (scripts/loadtest installs it)");
        std::process::exit(1);
    }
    println!("machine: {}", machine());

    let graph = GraphStandIn::start().await;
    let bino = Bino::start(redis.url(), &graph.base).await;
    let sampler = RssSampler::start(bino.pid());
    let started = resident_kib(bino.pid());

    // Warm: the first search of a country fills the catalog cache.
    let client = reqwest::Client::new();
    let warm = graph.expect("15559999999");
    bino.post_signed(
        &client,
        &one_text("15559999999", "wamid.warm", "Japan, 10 days"),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(10), warm)
        .await
        .expect("the warm-up reply arrives")
        .ok();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = resident_kib(bino.pid());
    println!(
        "bino resident memory: {:.1} MiB once started, {:.1} MiB at rest after a first search",
        mib(started),
        mib(idle)
    );

    let redis_before = used_memory(redis.url()).await;
    let turns = run_turns(&bino, &graph).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let redis_after = used_memory(redis.url()).await;
    let per_conversation = redis_after.saturating_sub(redis_before) as f64 / turns as f64;
    println!(
        "redis memory: {:.1} MiB before, {:.1} MiB after {turns} conversations: {:.0} bytes \
         per conversation",
        mib(redis_before / 1024),
        mib(redis_after / 1024),
        per_conversation
    );
    print_key_breakdown(redis.url(), &bino.prefix, turns).await;

    let dir = tempfile::tempdir().expect("a temporary directory");
    println!("ingest, receipts (p99 limit {INGEST_P99_LIMIT:?}):");
    let best_receipts = ingest_series(&bino, dir.path(), receipt_delivery).await;
    println!("ingest, inbound messages (p99 limit {INGEST_P99_LIMIT:?}):");
    let best_messages = ingest_series(&bino, dir.path(), |n| {
        one_text(&format!("1{n:010}"), &format!("wamid.load-in-{n}"), "hi")
    })
    .await;

    let peak = sampler.stop();
    println!(
        "bino resident memory: {:.1} MiB at rest, {:.1} MiB at most under load",
        mib(idle),
        mib(peak)
    );
    println!();
    println!("summary");
    println!(
        "  highest sustained ingest with p99 <= 10 ms: {} receipts/s, {} messages/s",
        best_receipts.map_or("none".to_owned(), |rate| format!("{rate:.0}")),
        best_messages.map_or("none".to_owned(), |rate| format!("{rate:.0}")),
    );
    println!(
        "  resident memory: {:.1} MiB at rest, {:.1} MiB peak",
        mib(idle),
        mib(peak)
    );
    println!("  redis per conversation: {per_conversation:.0} bytes");
}

/// What this machine is, for the report.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cpus} cores, {model}")
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Turns at [`TURN_RATE`] a second; prints their latency and returns how many there were.
async fn run_turns(bino: &Bino, graph: &GraphStandIn) -> usize {
    let total = usize::try_from(TURN_RATE * TURN_SECONDS).unwrap_or(usize::MAX);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("an HTTP client");
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / TURN_RATE));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut turns = tokio::task::JoinSet::new();
    let refused = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    for traveller in 0..total {
        ticks.tick().await;
        let from = format!("1777{traveller:07}");
        let body = one_text(
            &from,
            &format!("wamid.turn-{traveller}"),
            "eSIM for Japan, 10 days",
        );
        let signature = SignatureVerifier::sign(APP_SECRET, &body);
        let reply = graph.expect(&from);
        let (client, url, refused) = (client.clone(), bino.webhook.clone(), Arc::clone(&refused));
        turns.spawn(async move {
            let posted = Instant::now();
            let answer = client
                .post(url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await;
            if !answer.is_ok_and(|answer| answer.status().is_success()) {
                refused.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            let arrived = tokio::time::timeout(Duration::from_secs(30), reply)
                .await
                .ok()?
                .ok()?;
            Some(arrived.duration_since(posted))
        });
    }
    let sent_in = started.elapsed();
    let mut latencies = Vec::with_capacity(total);
    let mut lost = 0;
    while let Some(turn) = turns.join_next().await {
        match turn.expect("a turn task finished") {
            Some(latency) => latencies.push(latency),
            None => lost += 1,
        }
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    println!(
        "turns: {total} new conversations at {TURN_RATE}/s (sent in {:.1} s); {} replied, {} \
         refused, {} without a reply in 30 s",
        sent_in.as_secs_f64(),
        latencies.len(),
        refused.load(Ordering::Relaxed),
        lost - refused.load(Ordering::Relaxed),
    );
    if !latencies.is_empty() {
        println!(
            "turn latency, webhook in to plan list out: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, \
             max {:.2} ms",
            ms(at(0.5)),
            ms(at(0.9)),
            ms(at(0.99)),
            ms(at(1.0)),
        );
    }
    total
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Runs `wrk` with each of [`INGEST_CONNECTIONS`] over bodies made by `body` (numbered on
/// from run to run, so no run repeats another's); prints each run and returns the highest
/// rate whose p99 kept within [`INGEST_P99_LIMIT`].
async fn ingest_series(
    bino: &Bino,
    dir: &std::path::Path,
    body: impl Fn(usize) -> Vec<u8>,
) -> Option<f64> {
    let script = dir.join("post.lua");
    std::fs::write(&script, WRK_SCRIPT).expect("the wrk script is written");
    let bodies = dir.join("bodies.txt");
    let mut best: Option<f64> = None;
    for (run, connections) in INGEST_CONNECTIONS.into_iter().enumerate() {
        write_bodies(&bodies, run * INGEST_BODIES, &body);
        // Let the workers catch up with the previous run, so each starts alike.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut wrk = Command::new("wrk");
        wrk.args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{INGEST_SECONDS}s"),
        ])
        .args(["--latency", "-s"])
        .arg(&script)
        .arg(&bino.webhook)
        .arg("--")
        .arg(&bodies);
        let output = tokio::task::spawn_blocking(move || wrk.output())
            .await
            .expect("wrk was waited for")
            .expect("wrk runs");
        let report = String::from_utf8_lossy(&output.stdout);
        let (Some(rate), Some(p99), Some(p50)) = (
            wrk_rate(&report),
            wrk_percentile(&report, "99%"),
            wrk_percentile(&report, "50%"),
        ) else {
            println!("  {connections} connections: unreadable wrk report:\n{report}");
            continue;
        };
        let errors = report
            .lines()
            .filter(|line| line.contains("Non-2xx") || line.contains("Socket errors"))
            .collect::<Vec<_>>()
            .join("; ");
        let repeated = rate * INGEST_SECONDS as f64 > INGEST_BODIES as f64;
        let sustained = p99 <= INGEST_P99_LIMIT && errors.is_empty() && !repeated;
        println!(
            "  {connections:>2} connections: {rate:>8.0} requests/s, p50 {:.2} ms, p99 {:.2} ms{}{}",
            ms(p50),
            ms(p99),
            if errors.is_empty() {
                String::new()
            } else {
                format!(", {errors}")
            },
            if repeated {
                "  (bodies repeated: not counted)"
            } else if sustained {
                ""
            } else {
                "  (not sustained)"
            },
        );
        if sustained && best.is_none_or(|best| rate > best) {
            best = Some(rate);
        }
    }
    best
}

/// Reads the bodies file given after `--` and posts them in turn, each with its signature.
const WRK_SCRIPT: &str = r#"
local signatures, bodies, next_body = {}, {}, 0
function init(args)
  for line in io.lines(args[1]) do
    local signature, body = line:match("^(%S+) (.*)$")
    signatures[#signatures + 1] = signature
    bodies[#bodies + 1] = body
  end
end
function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = signatures[next_body],
  }, bodies[next_body])
end
"#;

/// Writes [`INGEST_BODIES`] signed bodies numbered from `first` to `path`, one
/// `signature body` per line.
fn write_bodies(path: &std::path::Path, first: usize, body: &impl Fn(usize) -> Vec<u8>) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("bodies file"));
    for n in first..first + INGEST_BODIES {
        let body = body(n);
        let signature = SignatureVerifier::sign(APP_SECRET, &body);
        file.write_all(signature.as_bytes()).unwrap();
        file.write_all(b" ").unwrap();
        file.write_all(&body).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().expect("bodies written");
}

fn wrk_rate(report: &str) -> Option<f64> {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
}

/// A line of wrk's latency distribution, such as `99%    4.21ms`.
fn wrk_percentile(report: &str, label: &str) -> Option<Duration> {
    let after = report.split("Latency Distribution").nth(1)?;
    let value = after
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))?
        .trim();
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// A one-message delivery as Meta sends it.
fn one_text(from: &str, id: &str, text: &str) -> Vec<u8> {
    text_delivery(PHONE_NUMBER_ID, &[(from, id, text)])
}

/// A delivery or read receipt for a message bino sent, as Meta sends it.
fn receipt_delivery(n: usize) -> Vec<u8> {
    let recipient = format!("1888{:07}", n / 2);
    let status = if n.is_multiple_of(2) {
        "delivered"
    } else {
        "read"
    };
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "120000000000001", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550009999", "phone_number_id": PHONE_NUMBER_ID},
            "statuses": [{"id": format!("wamid.load-out-{}", n / 2), "status": status,
                          "timestamp": chrono::Utc::now().timestamp().to_string(),
                          "recipient_id": recipient,
                          "pricing": {"billable": false, "pricing_model": "PMP",
                                      "type": "free_customer_service", "category": "service"}}]
        }}]}]
    })
    .to_string()
    .into_bytes()
}

/// `bino serve` in a child process.
struct Bino {
    child: Child,
    /// The key prefix of its store.
    prefix: String,
    base: String,
    webhook: String,
}

impl Bino {
    async fn start(redis_url: &str, graph_base: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let prefix = format!("load:{}:", uuid::Uuid::new_v4().simple());
        let mut command = Command::new(env!("CARGO_BIN_EXE_bino"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("BINO_")) {
            command.env_remove(name);
        }
        let child = command
            .arg("serve")
            .envs([
                ("BINO_LISTEN", listen.as_str()),
                ("BINO_REDIS_URL", redis_url),
                ("BINO_REDIS_PREFIX", prefix.as_str()),
                ("BINO_WHATSAPP_APP_SECRET", APP_SECRET),
                ("BINO_WHATSAPP_TOKEN", "loadtest-graph-token"),
                ("BINO_WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
                ("BINO_GRAPH_BASE_URL", graph_base),
                ("RUST_LOG", "error"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bino serve starts");
        let bino = Bino {
            child,
            prefix,
            base: format!("http://{listen}"),
            webhook: format!("http://{listen}/whatsapp/webhook"),
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            let healthy = client.get(format!("{}/healthz", bino.base)).send().await;
            if healthy.is_ok_and(|answer| answer.status().is_success()) {
                return bino;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("bino serve did not become healthy");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn post_signed(&self, client: &reqwest::Client, body: &[u8]) {
        let answer = client
            .post(&self.webhook)
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                SignatureVerifier::sign(APP_SECRET, body),
            )
            .body(body.to_vec())
            .send()
            .await
            .expect("bino answers");
        assert!(answer.status().is_success(), "{}", answer.status());
    }
}

impl Drop for Bino {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Graph API as far as bino's replies need it: every message call is answered like
/// Meta does, and the first reply to each number that someone waits for is reported with
/// the instant it arrived.
struct GraphStandIn {
    base: String,
    waiting: Arc<Mutex<HashMap<String, tokio::sync::oneshot::Sender<Instant>>>>,
}

#[derive(Clone)]
struct GraphState {
    waiting: Arc<Mutex<HashMap<String, tokio::sync::oneshot::Sender<Instant>>>>,
    sent: Arc<AtomicU64>,
}

impl GraphStandIn {
    async fn start() -> Self {
        let waiting = Arc::new(Mutex::new(HashMap::new()));
        let state = GraphState {
            waiting: Arc::clone(&waiting),
            sent: Arc::new(AtomicU64::new(0)),
        };
        let app = Router::new()
            .route("/{version}/{phone}/messages", post(graph_message))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let base = format!("http://{}/v25.0", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        GraphStandIn { base, waiting }
    }

    /// Resolves with the instant the next reply (not a read mark or typing) to `to` arrives.
    fn expect(&self, to: &str) -> tokio::sync::oneshot::Receiver<Instant> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.waiting.lock().unwrap().insert(to.to_owned(), sender);
        receiver
    }
}

async fn graph_message(State(state): State<GraphState>, body: Bytes) -> axum::Json<Value> {
    let arrived = Instant::now();
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    if body["status"] != "read"
        && let Some(to) = body["to"].as_str()
        && let Some(waiter) = state.waiting.lock().unwrap().remove(to)
    {
        let _ = waiter.send(arrived);
    }
    let n = state.sent.fetch_add(1, Ordering::Relaxed);
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": body["to"], "wa_id": body["to"]}],
        "messages": [{"id": format!("wamid.load-out-{n}")}]
    }))
}

/// Samples a process's resident set every 100 ms and keeps the largest.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: mpsc::Sender<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let (stop, mut stopped) = mpsc::channel(1);
        let largest = Arc::clone(&peak);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = stopped.recv() => break,
                    _ = every.tick() => {
                        largest.fetch_max(resident_kib(pid), Ordering::Relaxed);
                    }
                }
            }
        });
        RssSampler { peak, stop }
    }

    fn stop(self) -> u64 {
        let _ = self.stop.try_send(());
        self.peak.load(Ordering::Relaxed)
    }
}

/// The resident set of process `pid` in KiB, from `/proc`; 0 once it is gone.
fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// What the keys under `prefix` hold, by kind (each part of a key that carries a digit is
/// shown as `*`), per conversation: where Redis's memory goes.
async fn print_key_breakdown(url: &str, prefix: &str, conversations: usize) {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0_u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await
            .expect("SCAN");
        keys.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let mut kinds: HashMap<String, (usize, u64)> = HashMap::new();
    for chunk in keys.chunks(1000) {
        let mut pipeline = redis::pipe();
        for key in chunk {
            pipeline
                .cmd("MEMORY")
                .arg("USAGE")
                .arg(key)
                .arg("SAMPLES")
                .arg(0);
        }
        let sizes: Vec<Option<u64>> = pipeline
            .query_async(&mut connection)
            .await
            .expect("MEMORY USAGE");
        for (key, size) in chunk.iter().zip(sizes) {
            let kind = key
                .strip_prefix(prefix)
                .unwrap_or(key)
                .split(':')
                .map(|part| {
                    if part.contains(|c: char| c.is_ascii_digit()) {
                        "*"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join(":");
            let entry = kinds.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += size.unwrap_or(0);
        }
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by_key(|(_, (_, bytes))| std::cmp::Reverse(*bytes));
    println!("redis keys by kind, bytes per conversation (MEMORY USAGE):");
    for (kind, (count, bytes)) in kinds.iter().take(12) {
        println!(
            "  {:>6.0}  {kind} ({count} keys)",
            *bytes as f64 / conversations as f64
        );
    }
}

/// Redis's `used_memory`, in bytes.
async fn used_memory(url: &str) -> u64 {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut connection)
        .await
        .expect("INFO memory");
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("used_memory in INFO")
}
