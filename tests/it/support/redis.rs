//! A real Redis for the integration tests, shared by the whole test binary.
//!
//! Tests use `BINO_TEST_REDIS_URL` when it is set (CI with a Redis service); otherwise the
//! first test that asks starts one `redis-server` on a free port, without persistence.
//! Every test gets its own key prefix, so tests running in parallel never see each other's
//! keys and nothing needs flushing.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// How long a `redis-server` gets to start answering `PING`, or to stop.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The server shared by this test binary, started by the first test that asks.
static SHARED: OnceLock<RedisServer> = OnceLock::new();

/// A `redis-server` run by this test process, killed when the process exits.
pub struct RedisServer {
    url: String,
    port: u16,
    /// The `sh` that runs the server and kills it when its stdin closes. A static is never
    /// dropped, so a `Drop` guard could not stop the shared server; a closed pipe can.
    shell: Child,
}

/// The URL of the Redis the tests use: `BINO_TEST_REDIS_URL`, or a server started once for
/// this test binary.
pub async fn redis_url() -> String {
    if let Ok(url) = std::env::var("BINO_TEST_REDIS_URL") {
        return url;
    }
    // Starting takes a moment of blocking I/O; off the runtime's threads it does not stall
    // other tests' tasks. Its panic (say, redis-server missing) becomes this test's failure.
    tokio::task::spawn_blocking(|| SHARED.get_or_init(RedisServer::start).url.clone())
        .await
        .unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
}

/// A key prefix no other test uses.
pub fn random_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4())
}

impl RedisServer {
    /// Starts a server of its own, for a test that needs to stop it; most tests share the
    /// one behind [`redis_url`].
    pub fn start() -> Self {
        ensure_redis_server_is_installed();
        let port = free_port();

        // `sh` runs the server in the background and waits on its own stdin, a pipe from
        // this process: when the tests end, even killed, the pipe closes, `read` returns
        // and the server is killed with it (and reaped, so no zombie is left).
        let script = r#"redis-server "$@" & pid=$!; read _; kill "$pid"; wait "$pid""#;
        let mut shell = Command::new("sh")
            .args(["-c", script, "sh"])
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "warning"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("could not run sh to start redis-server");

        if let Err(reason) = wait_until(STARTUP_TIMEOUT, || ping(port)) {
            // Closing stdin stops the server if it started after all.
            drop(shell.stdin.take());
            panic!("redis-server on port {port} did not answer PING: {reason}");
        }
        Self {
            url: format!("redis://127.0.0.1:{port}"),
            port,
            shell,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server and returns once its port refuses connections.
    pub fn stop(mut self) {
        drop(self.shell.stdin.take());
        let _ = self.shell.wait();
        let refused = || match TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
            Ok(_) => Err(std::io::Error::other("still accepting connections")),
            Err(_) => Ok(()),
        };
        if let Err(reason) = wait_until(STARTUP_TIMEOUT, refused) {
            panic!("redis-server on port {} did not stop: {reason}", self.port);
        }
    }
}

fn ensure_redis_server_is_installed() {
    match Command::new("redis-server").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!("`redis-server --version` failed: {}", output.status),
        Err(error) if error.kind() == ErrorKind::NotFound => panic!(
            "the integration tests need Redis: install redis-server (`apt-get install \
             redis-server`) or set BINO_TEST_REDIS_URL to a Redis the tests may write to"
        ),
        Err(error) => panic!("could not run redis-server: {error}"),
    }
}

/// A port nothing listens on right now: the kernel picks one for a listener we close.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("no free local port")
        .port()
}

/// Retries `check` until it succeeds or `limit` passes; the last failure explains why.
fn wait_until(limit: Duration, check: impl Fn() -> std::io::Result<()>) -> Result<(), String> {
    let started = Instant::now();
    let mut last_error = String::from("no attempt");
    while started.elapsed() < limit {
        match check() {
            Ok(()) => return Ok(()),
            Err(error) => last_error = error.to_string(),
        }
        thread::sleep(Duration::from_millis(20));
    }
    Err(last_error)
}

fn ping(port: u16) -> std::io::Result<()> {
    let mut connection = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    connection.set_read_timeout(Some(Duration::from_secs(1)))?;
    connection.write_all(b"PING\r\n")?;
    let mut reply = [0; 7];
    connection.read_exact(&mut reply)?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "unexpected reply {:?}",
            String::from_utf8_lossy(&reply)
        )))
    }
}
