//! What the benchmarks share: a throwaway Redis, webhook bodies and percentile printing.

// Each benchmark is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bino::store::{RedisStore, SharedStore};

/// The Redis a benchmark runs against: `BINO_BENCH_REDIS_URL`, or a `redis-server` started
/// for the run (stopped when this is dropped). `None` when neither is available.
pub struct BenchRedis {
    url: String,
    server: Option<Child>,
}

impl BenchRedis {
    pub fn start() -> Option<BenchRedis> {
        if let Ok(url) = std::env::var("BINO_BENCH_REDIS_URL") {
            return Some(BenchRedis { url, server: None });
        }
        let started = start_redis();
        if started.is_none() {
            println!("redis store: skipped (no redis-server on the PATH)");
        }
        started.map(|(child, url)| BenchRedis {
            url,
            server: Some(child),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A store over this Redis under a fresh key prefix, so runs never see each other.
    pub async fn store(&self) -> SharedStore {
        let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
        Arc::new(
            RedisStore::connect(self.url(), &prefix)
                .await
                .expect("redis answers"),
        )
    }
}

impl Drop for BenchRedis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.server {
            let _ = child.kill();
        }
    }
}

pub fn print_percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let count = samples.len();
    println!(
        "{label} over HTTP: p50 {:?}, p99 {:?}, max {:?}",
        samples[count / 2],
        samples[count * 99 / 100],
        samples[count - 1]
    );
}

/// Starts `redis-server` on a free port without persistence; `None` when it is not on the
/// PATH. The caller kills the child when done.
fn start_redis() -> Option<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, format!("redis://127.0.0.1:{port}/")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A WhatsApp delivery shaped like Meta's: one entry and one `messages` change carrying a
/// text message (and its sender's contact) for each `(from, message id, text)`.
pub fn text_delivery(phone_number_id: &str, messages: &[(&str, &str, &str)]) -> Vec<u8> {
    let now = chrono::Utc::now().timestamp().to_string();
    let contacts: Vec<serde_json::Value> = messages
        .iter()
        .map(|(from, _, _)| serde_json::json!({"profile": {"name": "Test Traveller"}, "wa_id": from}))
        .collect();
    let items: Vec<serde_json::Value> = messages
        .iter()
        .map(|(from, id, text)| {
            serde_json::json!({"from": from, "id": id, "timestamp": now, "type": "text",
                               "text": {"body": text}})
        })
        .collect();
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "120000000000001", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550009999", "phone_number_id": phone_number_id},
            "contacts": contacts,
            "messages": items
        }}]}]
    })
    .to_string()
    .into_bytes()
}
