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
use serde_json::json;
use wiremock::MockServer;

use super::app::APP_SECRET;
use super::chat::{PHONE_NUMBER_ID, message_calls};

const COUNTRIES: [&str; 10] = [
    "Japan", "France", "Peru", "Italy", "Spain", "Mexico", "Brazil", "Canada", "Germany",
    "Thailand",
];

/// A `bino serve` subprocess, killed (SIGKILL) when dropped.
pub struct BinoProcess {
    child: Child,
    pub base: String,
}

impl BinoProcess {
    /// Starts `bino serve` on `port` over Redis at `redis_url` under `prefix`, sending its
    /// replies to the Graph mock, and waits until it answers.
    pub async fn start(port: u16, redis_url: &str, prefix: &str, graph: &MockServer) -> Self {
        let listen = format!("127.0.0.1:{port}");
        let graph_base = format!("{}/v25.0", graph.uri());
        let mut command = Command::new(env!("CARGO_BIN_EXE_bino"));
        command.arg("serve");
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("BINO_")) {
            command.env_remove(name);
        }
        command
            .env("BINO_LISTEN", &listen)
            .env("BINO_REDIS_URL", redis_url)
            .env("BINO_REDIS_PREFIX", prefix)
            .env("BINO_WHATSAPP_APP_SECRET", APP_SECRET)
            .env("BINO_WHATSAPP_TOKEN", "test-graph-token")
            .env("BINO_WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
            .env("BINO_GRAPH_BASE_URL", &graph_base)
            // Each traveller searches ten times within seconds.
            .env("BINO_SEARCHES_PER_MINUTE", "10000")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().expect("bino starts");
        let process = BinoProcess {
            child,
            base: format!("http://{listen}"),
        };
        process.wait_until_healthy().await;
        process
    }

    async fn wait_until_healthy(&self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(response) = client.get(format!("{}/healthz", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("bino serve did not become healthy at {}", self.base);
    }

    /// SIGKILL: no shutdown, no lease given back, as in a power cut.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BinoProcess {
    fn drop(&mut self) {
        self.kill();
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
        let phone = self.phone();
        json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "120000000000001", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550009999", "phone_number_id": PHONE_NUMBER_ID},
                "contacts": [{"profile": {"name": "Test Traveller"}, "wa_id": phone}],
                "messages": [{
                    "id": format!("wamid.{run}-{}-{}", self.traveller, self.number),
                    "from": phone,
                    "timestamp": chrono::Utc::now().timestamp().to_string(),
                    "type": "text",
                    "text": {"body": format!("{country}, {} days", self.number)}
                }]
            }}]}]
        })
        .to_string()
        .into_bytes()
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
