//! A real Redis for the integration tests, shared by the whole test binary.
//!
//! Tests use `BINO_TEST_REDIS_URL` when it is set (CI with a Redis service); otherwise the
//! first test that asks starts one `redis-server` on a free port, without persistence.
//! Every test gets its own key prefix, so tests running in parallel never see each other's
//! keys and nothing needs flushing. Tests of scale-out also get a three-node Redis Cluster,
//! started the same way the first time one asks.

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

/// The cluster shared by this test binary, started by the first test that asks.
static SHARED_CLUSTER: OnceLock<RedisCluster> = OnceLock::new();

/// Nodes of the test cluster: the fewest masters `redis-cli --cluster create` accepts.
const CLUSTER_NODES: usize = 3;

/// How long a new cluster gets to agree on its slots.
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The URL of one node of a three-node Redis Cluster; Bino finds the other nodes from it.
pub async fn redis_cluster_url() -> String {
    redis_cluster_nodes().await.swap_remove(0)
}

/// The URLs of the nodes of a Redis Cluster: `BINO_TEST_REDIS_CLUSTER_URL` (comma-separated,
/// or one node), or a three-node cluster started once for this test binary.
pub async fn redis_cluster_nodes() -> Vec<String> {
    if let Ok(urls) = std::env::var("BINO_TEST_REDIS_CLUSTER_URL") {
        return urls.split(',').map(str::to_owned).collect();
    }
    tokio::task::spawn_blocking(|| {
        let cluster = SHARED_CLUSTER.get_or_init(RedisCluster::start);
        cluster.nodes.iter().map(|node| node.url.clone()).collect()
    })
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
        Self::start_with(&[])
    }

    /// Starts a server of its own with more `redis-server` options.
    fn start_with(options: &[&str]) -> Self {
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
            .args(options)
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

/// Three masters, no replicas, each slot range on one node; killed when the tests end, like
/// [`RedisServer`].
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    /// Holds each node's `nodes.conf`, which cluster mode insists on writing.
    _config_dir: tempfile::TempDir,
}

impl RedisCluster {
    fn start() -> Self {
        let config_dir = tempfile::tempdir().expect("no temporary directory for the cluster");
        let dir = config_dir
            .path()
            .to_str()
            .expect("temporary path is not UTF-8");
        let nodes: Vec<RedisServer> = (0..CLUSTER_NODES)
            .map(|node| {
                let config_file = format!("nodes-{node}.conf");
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &config_file,
                    "--dir",
                    dir,
                ])
            })
            .collect();

        let addresses: Vec<String> = nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("could not run redis-cli to create the cluster");
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&created.stdout)
        );

        // Creation returns once slots are assigned; nodes learn of each other by gossip a
        // moment later, and until then a command may be refused with CLUSTERDOWN.
        for node in &nodes {
            let agreed = wait_until(CLUSTER_TIMEOUT, || cluster_state_ok(node.port));
            if let Err(reason) = agreed {
                panic!("cluster node on port {} is not ready: {reason}", node.port);
            }
        }
        Self {
            nodes,
            _config_dir: config_dir,
        }
    }
}

/// Succeeds once the node on `port` reports every slot served (`cluster_state:ok`) and
/// knows all its peers.
fn cluster_state_ok(port: u16) -> std::io::Result<()> {
    let info = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "cluster", "info"])
        .output()?;
    let info = String::from_utf8_lossy(&info.stdout);
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.trim().strip_prefix(name)?.strip_prefix(':'))
            .map(str::to_owned)
    };
    let known = CLUSTER_NODES.to_string();
    if field("cluster_state").as_deref() == Some("ok")
        && field("cluster_known_nodes").as_deref() == Some(known.as_str())
    {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "cluster_state {:?}, known nodes {:?}",
            field("cluster_state"),
            field("cluster_known_nodes")
        )))
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
