//! Logs and metrics.
//!
//! Logs go through `tracing`: compact lines for people, JSON lines for log pipelines.
//! Metrics are recorded with the `metrics` facade and rendered in the Prometheus text
//! format at `GET /metrics`. Neither may carry personal data: identifiers that a log needs
//! are hashed with [`hash_id`] first.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The default log filter: `info` for Bino, `warn` for libraries.
pub const DEFAULT_LOG_FILTER: &str = "warn,bino=info";

/// Installs the global log subscriber. The filter comes from `RUST_LOG`, defaulting to
/// `default_filter` (usually [`DEFAULT_LOG_FILTER`]). async-openai is always silenced,
/// whatever `RUST_LOG` says: it logs response bodies, which hold the model's reading of a
/// traveller's message.
pub fn init_logs(format: LogFormat, default_filter: &str) {
    let silence_llm_client = "async_openai=off".parse().expect("a valid directive");
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter))
        .add_directive(silence_llm_client);
    // Colours only for a person at a terminal; a log file or collector gets plain text.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(std::io::stderr);
    // A second initialisation (tests, `bino chat` after `serve` in one process) is harmless.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Compact => builder.compact().try_init(),
    };
}

/// The process-wide Prometheus recorder, installed on first use. A process has one
/// recorder, so every app built in it (as in tests) shares this handle.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let latency_buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets(&latency_buckets)
                .expect("latency buckets are a valid non-empty list")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only when another recorder was installed first; ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A short, stable, non-reversible stand-in for an identifier (phone number, customer id,
/// order id) so logs can correlate events without holding personal data.
pub fn hash_id(identifier: &str) -> String {
    let digest = Sha256::digest(identifier.as_bytes());
    hex::encode(&digest[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_ids_are_stable_short_and_hide_the_input() {
        let hashed = hash_id("15550001234");
        assert_eq!(hashed, hash_id("15550001234"));
        assert_eq!(hashed.len(), 12);
        assert!(!hashed.contains("1555"));
        assert_ne!(hashed, hash_id("15550001235"));
    }
}
