//! Real `bino serve` processes over a private Redis, and travellers who each write a
//! numbered series of trip requests, for tests of crashes, outages and several processes.
//!
//! Every message is "<country>, <n> days", and the bot answers it with one plan list whose
//! body names the trip length ("Plans for Japan, 7 days."), so each reply at the Graph mock
//! tells which message it answers: a missing, repeated or reordered reply shows.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bino::whatsapp::signature::SignatureVerifier;
use serde_json::{Value, json};
use wiremock::MockServer;

use super::app::APP_SECRET;
use super::chat::{PHONE_NUMBER_ID, delivery_from, message_calls};

const COUNTRIES: [&str; 10] = [
    "Japan", "France", "Peru", "Italy", "Spain", "Mexico", "Brazil", "Canada", "Germany",
    "Thailand",
];

/// Runs `bino` with only the given variables of its own (no `BINO_*` inherited from the
/// caller), so a developer's environment cannot change what a test sees.
pub fn bino(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bino"));
    command.args(args);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("BINO_")) {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    command
}

/// A child process, killed (SIGKILL: no shutdown, no lease given back, as in a power cut)
/// when dropped.
pub struct Running(pub Child);

impl Running {
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until the server at `base` answers `/healthz`.
pub async fn wait_until_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("bino serve did not become healthy at {base}");
}

/// Sends `request` and reads the answer as JSON.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Orders a Japanese plan through the supply API of the server at `base` as `id`, and
/// returns the order once its profile is allocated.
pub async fn order_a_japanese_esim(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
) -> Value {
    let search = json_of(
        client
            .post(format!("{base}/esim/search"))
            .bearer_auth(key)
            .json(&json!({"locationCode": "JP"})),
    )
    .await;
    let plan = search["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plan| plan["data_allowance"] == "total")
        .expect("a Japanese plan");
    let placed = json_of(
        client
            .post(format!("{base}/esim/order"))
            .bearer_auth(key)
            .json(&json!({"binoTransactionId": id, "items": [{"packageCode": plan["packageCode"], "quantity": 1}]})),
    )
    .await;
    assert_eq!(placed["status"], "SUBMITTED", "{placed}");

    for _ in 0..100 {
        let order = json_of(
            client
                .get(format!("{base}/esim/orders/{id}"))
                .bearer_auth(key),
        )
        .await;
        if order["status"] == "ALLOCATED" {
            return order;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the order's profile never appeared");
}

/// A `bino serve` over a private Redis that replies to the Graph mock.
pub struct BinoProcess {
    running: Running,
    pub base: String,
}

impl BinoProcess {
    /// Starts `bino serve` on `port` over Redis at `redis_url` under `prefix`, sending its
    /// replies to the Graph mock, and waits until it answers.
    pub async fn start(port: u16, redis_url: &str, prefix: &str, graph: &MockServer) -> Self {
        let listen = format!("127.0.0.1:{port}");
        let graph_base = format!("{}/v25.0", graph.uri());
        let child = bino(
            &["serve"],
            &[
                ("BINO_LISTEN", &listen),
                ("BINO_REDIS_URL", redis_url),
                ("BINO_REDIS_PREFIX", prefix),
                ("BINO_WHATSAPP_APP_SECRET", APP_SECRET),
                ("BINO_WHATSAPP_TOKEN", "test-graph-token"),
                ("BINO_WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
                ("BINO_GRAPH_BASE_URL", &graph_base),
                // Each traveller searches ten times within seconds.
                ("BINO_SEARCHES_PER_MINUTE", "10000"),
                ("RUST_LOG", "error"),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bino starts");
        let process = BinoProcess {
            running: Running(child),
            base: format!("http://{listen}"),
        };
        wait_until_healthy(&reqwest::Client::new(), &process.base).await;
        process
    }

    /// SIGKILL, as in a power cut.
    pub fn kill(&mut self) {
        self.running.kill();
    }
}

/// Message `number` (1, 2, ...) of `traveller` (0, 1, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageRef {
    pub traveller: usize,
    pub number: u32,
}

impl MessageRef {
    pub fn phone(&self) -> String {
        phone(self.traveller)
    }

    /// The signed webhook body carrying this message, with an id unique to `run`.
    pub fn delivery(&self, run: &str) -> Vec<u8> {
        let country = COUNTRIES[self.traveller % COUNTRIES.len()];
        delivery_from(
            &self.phone(),
            &format!("wamid.{run}-{}-{}", self.traveller, self.number),
            json!({"type": "text", "text": {"body": format!("{country}, {} days", self.number)}}),
        )
    }
}

/// An invented phone number per traveller.
pub fn phone(traveller: usize) -> String {
    format!("1555000{traveller:04}")
}

/// Posts a webhook body signed as Meta signs it; the status, or `None` when no answer came
/// (the process was gone).
pub async fn post_signed(client: &reqwest::Client, base: &str, body: Vec<u8>) -> Option<u16> {
    let signature = SignatureVerifier::sign(APP_SECRET, &body);
    client
        .post(format!("{base}/whatsapp/webhook"))
        .header("x-hub-signature-256", signature)
        .header("content-type", "application/json")
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()
        .map(|response| response.status().as_u16())
}

/// The plan lists the bot sent, in the order the Graph mock received them, as the message
/// each answers: the recipient and the trip length in the list's body.
pub async fn replies(graph: &MockServer, travellers: usize) -> Vec<MessageRef> {
    let by_phone: HashMap<String, usize> = (0..travellers).map(|t| (phone(t), t)).collect();
    message_calls(graph)
        .await
        .iter()
        .filter(|call| call["interactive"]["type"] == "list")
        .filter_map(|call| {
            let traveller = *by_phone.get(call["to"].as_str()?)?;
            let number = first_number(call["interactive"]["body"]["text"].as_str()?)?;
            Some(MessageRef { traveller, number })
        })
        .collect()
}

fn first_number(text: &str) -> Option<u32> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// How often each message was answered.
pub fn reply_counts(replies: &[MessageRef]) -> HashMap<MessageRef, usize> {
    let mut counts = HashMap::new();
    for reply in replies {
        *counts.entry(*reply).or_insert(0) += 1;
    }
    counts
}

/// Waits until every message in `expected` has a reply and nothing new has arrived for a
/// second and a half, or `limit` passes; returns the replies.
pub async fn settled_replies(
    graph: &MockServer,
    travellers: usize,
    expected: &[MessageRef],
    limit: Duration,
) -> Vec<MessageRef> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut last_len = usize::MAX;
    let mut quiet_since = tokio::time::Instant::now();
    loop {
        let replies = replies(graph, travellers).await;
        let now = tokio::time::Instant::now();
        if replies.len() != last_len {
            last_len = replies.len();
            quiet_since = now;
        }
        let counts = reply_counts(&replies);
        let all_answered = expected.iter().all(|message| counts.contains_key(message));
        if (all_answered && now - quiet_since > Duration::from_millis(1500)) || now > deadline {
            return replies;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The process id of the Redis at `url`, as it reports it.
pub fn redis_pid(url: &str) -> u32 {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client.get_connection().expect("Redis answers");
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut connection)
        .expect("Redis reports itself");
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
        .expect("INFO names the process id")
}

/// Sends `signal` (`STOP`, `CONT`) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid} failed");
}

/// The messages answered more than once, with how often.
pub fn repeated(counts: &HashMap<MessageRef, usize>) -> Vec<(MessageRef, usize)> {
    counts
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(message, count)| (*message, *count))
        .collect()
}

/// A turn cut off between sending a reply and recording it is carried out again, so its
/// reply may repeat; only the turn in progress at the cut can, and a traveller has one turn
/// in progress at a time: each repeat is a second reply, at most one per traveller.
pub fn assert_repeats_only_from_interrupted_turns(repeated: &[(MessageRef, usize)]) {
    let travellers: std::collections::HashSet<usize> = repeated
        .iter()
        .map(|(message, _)| message.traveller)
        .collect();
    assert!(
        repeated.iter().all(|(_, count)| *count == 2) && travellers.len() == repeated.len(),
        "replies repeated beyond one interrupted turn per traveller: {repeated:?}"
    );
}
