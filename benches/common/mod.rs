//! What the benchmarks share: a throwaway Redis and percentile printing.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
pub fn start_redis() -> Option<(Child, String)> {
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
