//! The Redis store: the state every `bino serve` process shares.
//!
//! Commands that answer at once share one multiplexed connection that reconnects by itself.
//! A blocking stream read would hold that connection's pipeline for the whole wait and
//! stall every other command queued behind it, so blocking reads run on dedicated
//! connections from a small pool. Read-then-write operations (compare-and-swap, a counter
//! with its window) are Lua scripts, so they are atomic on the server.
//!
//! The URL may name one server or a Redis Cluster: `connect` asks the server, and in a
//! cluster every command goes to the node holding its key's slot. A script or command that
//! touches two keys needs both in one slot, so the callers of the two-key operations give
//! them a shared hash tag (`wa:{customer}:…`); the in-memory store refuses keys that could
//! not share a slot, so a mistake fails in every test, not only against a cluster.
//!
//! Streams are not capped on append: an entry is removed only by a trim, which keeps every
//! entry some consumer group has not handled. Acknowledgements trigger a trim now and then,
//! so handled entries do not fill Redis.
//!
//! Every call has a deadline: when Redis is down, callers get [`StoreError::Unavailable`]
//! within seconds and can answer 503, instead of hanging on reconnection attempts.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingReply, StreamReadReply};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError,
    RedisFuture, RedisResult, Script, ServerErrorKind, Value,
};
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout, timeout_at};

use super::{Store, StoreError, StreamEntry, keys_in_different_slots, share_a_slot};

/// The longest any command may take, reconnection included, before the store is reported
/// unavailable. Blocking reads get this on top of their block time.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest `connect` waits, retries included, so startup fails clearly when Redis is
/// absent rather than hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connection retries after a failure before the waiting commands get the error (the next
/// command starts a new round). Few and short, so while Redis is down each caller learns
/// it in a few hundred milliseconds and can answer 503.
const RECONNECT_RETRIES: usize = 2;

/// The longest pause between two connection retries.
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(300);

/// Blocking reads that may wait at once; each holds one dedicated connection, so this also
/// bounds the sockets they open. A few workers per stream is the expected use.
const BLOCKING_CONNECTIONS: usize = 8;

/// Acknowledgements on one stream after which its next acknowledgement also trims it.
const TRIM_EVERY_ACKS: u64 = 1_000;

/// Time after which the next acknowledgement on a stream also trims it, so a quiet stream
/// is trimmed too. Handled entries linger at most this long, or until the next ack.
const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// The longest a read waits, whatever the caller asks, so a deadline never overflows.
const MAX_BLOCK: Duration = Duration::from_secs(24 * 60 * 60);

/// The stream entry field that holds the payload.
const PAYLOAD_FIELD: &str = "p";

/// Sets `KEYS[1]` to `ARGV[3]` only if it holds `ARGV[2]` (or, when `ARGV[1]` is "0", is
/// absent); `ARGV[4]` is a TTL in milliseconds, "0" for none. Returns 1 when it wrote.
static COMPARE_AND_SWAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local current = redis.call('GET', KEYS[1])
        if ARGV[1] == '1' then
            if current ~= ARGV[2] then return 0 end
        elseif current then
            return 0
        end
        local ttl_ms = tonumber(ARGV[4])
        if ttl_ms > 0 then
            redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl_ms)
        else
            redis.call('SET', KEYS[1], ARGV[3])
        end
        return 1
        ",
    )
});

/// Increments `KEYS[1]` and, when that created it, gives it a TTL of `ARGV[1]` ms ("0":
/// none). One script, so a crash between the two steps cannot leave a counter that never
/// expires.
static INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local count = redis.call('INCR', KEYS[1])
        local ttl_ms = tonumber(ARGV[1])
        if count == 1 and ttl_ms > 0 then
            redis.call('PEXPIRE', KEYS[1], ttl_ms)
        end
        return count
        ",
    )
});

/// Deletes `KEYS[1]` only if it holds `ARGV[1]`; returns 1 when it did.
static DELETE_IF: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        ",
    )
});

/// Sets `KEYS[1]` (TTL `ARGV[1]` ms) and appends `ARGV[2]` to list `KEYS[2]`, unless
/// `KEYS[1]` exists; returns 1 when it did both.
static QUEUE_PUSH_ONCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
            redis.call('RPUSH', KEYS[2], ARGV[2])
            return 1
        end
        return 0
        ",
    )
});

/// Pops the front of list `KEYS[1]` if it equals `ARGV[1]`; returns 1 when it did.
static QUEUE_REMOVE_FRONT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
            redis.call('LPOP', KEYS[1])
            return 1
        end
        return 0
        ",
    )
});

/// Appends `ARGV[2]` to stream `KEYS[2]` and sets `KEYS[1]` (TTL `ARGV[1]` ms) to the new
/// entry's id, unless `KEYS[1]` exists; returns the id, or nil when it did nothing.
static STREAM_APPEND_ONCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 1 then return false end
        local id = redis.call('XADD', KEYS[2], '*', 'p', ARGV[2])
        redis.call('SET', KEYS[1], id, 'PX', ARGV[1])
        return id
        ",
    )
});

/// Gives up to `ARGV[3]` members of sorted set `KEYS[1]` scoring at most `ARGV[1]` the
/// score `ARGV[2]`, lowest first, and returns them.
static SORTED_TAKE_DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
        for _, member in ipairs(due) do
            redis.call('ZADD', KEYS[1], ARGV[2], member)
        end
        return due
        ",
    )
});

/// Removes from stream `KEYS[1]` the entries every consumer group has handled and returns
/// how many went. A group still needs its oldest pending entry and every entry after its
/// last-delivered id; `XTRIM MINID` (exact) keeps from the oldest id any group needs. With
/// no group, nothing is handled yet and nothing goes. One script, so no read, ack or new
/// group can slip between computing that id and trimming. Ids are compared and stepped as
/// decimal text, because Lua numbers cannot hold every 64-bit part exactly.
static TRIM_HANDLED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local function split(id)
            return string.match(id, '^(%d+)%-(%d+)$')
        end

        -- Redis prints numbers without leading zeros, so a longer one is larger.
        local function less(a, b)
            if #a ~= #b then return #a < #b end
            return a < b
        end

        local function older(a, b)
            local a_ms, a_seq = split(a)
            local b_ms, b_seq = split(b)
            if a_ms ~= b_ms then return less(a_ms, b_ms) end
            return less(a_seq, b_seq)
        end

        local function plus_one(digits)
            local i = #digits
            while i > 0 and digits:sub(i, i) == '9' do i = i - 1 end
            if i == 0 then return '1' .. string.rep('0', #digits) end
            return digits:sub(1, i - 1) .. string.char(digits:byte(i) + 1)
                .. string.rep('0', #digits - i)
        end

        -- The id right after `id`. The largest id has none and stays, which trims less.
        local max_part = '18446744073709551615'
        local function next_id(id)
            local ms, seq = split(id)
            if seq ~= max_part then return ms .. '-' .. plus_one(seq) end
            if ms ~= max_part then return plus_one(ms) .. '-0' end
            return id
        end

        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local floor = nil
        for _, fields in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
            local group = {}
            for i = 1, #fields, 2 do group[fields[i]] = fields[i + 1] end
            local needed = next_id(group['last-delivered-id'])
            if group['pending'] > 0 then
                local oldest_pending = redis.call('XPENDING', KEYS[1], group['name'])[2]
                if older(oldest_pending, needed) then needed = oldest_pending end
            end
            if floor == nil or older(needed, floor) then floor = needed end
        end
        if floor == nil then return 0 end
        return redis.call('XTRIM', KEYS[1], 'MINID', floor)
        ",
    )
});

/// A store over one Redis (or Valkey) server or a Redis Cluster, every key under one prefix.
pub struct RedisStore {
    /// Shared by every command that answers at once; reconnects after a failure.
    connection: Connection,
    /// Opens the dedicated connections of blocking reads.
    opener: Opener,
    /// Dedicated connections not in use, kept so a polling worker reuses its socket.
    idle_blocking: Mutex<Vec<Connection>>,
    /// One permit per blocking read in flight, at most [`BLOCKING_CONNECTIONS`].
    blocking_permits: Semaphore,
    /// Put before every key, so tests and deployments can share one Redis.
    prefix: String,
    /// When each stream acknowledged on was last trimmed by this process, by stream name,
    /// so acknowledgements trim only now and then.
    trims: Mutex<HashMap<String, TrimSchedule>>,
}

/// Decides when acknowledgements on one stream should trim it: after [`TRIM_EVERY_ACKS`]
/// of them or [`TRIM_INTERVAL`], whichever comes first. Each process keeps its own; more
/// trims than needed cost a little time, never an entry.
#[derive(Debug)]
struct TrimSchedule {
    /// When the stream was last trimmed, or first acknowledged on.
    since: Instant,
    /// Entries acknowledged since then.
    acks: u64,
}

impl TrimSchedule {
    fn new(now: Instant) -> Self {
        Self {
            since: now,
            acks: 0,
        }
    }

    /// Counts `acks` more acknowledgements; true when a trim is due, which restarts both
    /// the count and the clock.
    fn record(&mut self, acks: u64, now: Instant) -> bool {
        self.acks = self.acks.saturating_add(acks);
        let due = self.acks >= TRIM_EVERY_ACKS
            || now.saturating_duration_since(self.since) >= TRIM_INTERVAL;
        if due {
            *self = Self::new(now);
        }
        due
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host[:port][/db]`) and checks that it answers.
    /// When the server there is a cluster node, or `url` lists several nodes separated by
    /// commas, the store works with the whole cluster. Every key this store touches is
    /// `{prefix}{key}`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let scrub = |error: RedisError| StoreError::Unavailable(without_password(error, url));
        let nodes: Vec<&str> = url.split(',').map(str::trim).collect();
        let opener = match nodes.as_slice() {
            [single] => {
                let client = Client::open(*single).map_err(scrub)?;
                if within(CONNECT_TIMEOUT, is_cluster_node(&client))
                    .await
                    .map_err(scrub)?
                {
                    Opener::cluster(&[*single]).map_err(scrub)?
                } else {
                    Opener::Single(client)
                }
            }
            several => Opener::cluster(several).map_err(scrub)?,
        };
        let connection = within(CONNECT_TIMEOUT, opener.shared())
            .await
            .map_err(scrub)?;

        Ok(Self {
            connection,
            opener,
            idle_blocking: Mutex::new(Vec::new()),
            blocking_permits: Semaphore::new(BLOCKING_CONNECTIONS),
            prefix: prefix.to_owned(),
            trims: Mutex::new(HashMap::new()),
        })
    }

    /// Whether this store talks to a Redis Cluster, for logs and tests.
    pub fn is_cluster(&self) -> bool {
        matches!(self.opener, Opener::Cluster(_))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs a command on the shared connection.
    async fn query<T: FromRedisValue>(&self, command: &Cmd) -> RedisResult<T> {
        let mut connection = self.connection.clone();
        within(COMMAND_TIMEOUT, command.query_async(&mut connection)).await
    }

    fn read_command(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Option<Duration>,
    ) -> Cmd {
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(group)
            .arg(consumer)
            .arg("COUNT")
            .arg(count);
        if let Some(block) = block {
            command.arg("BLOCK").arg(at_least_one_ms(block));
        }
        command.arg("STREAMS").arg(self.key(stream)).arg(">");
        command
    }

    /// Reads waiting up to `block`, on a dedicated connection so the shared one stays free.
    async fn read_blocking(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> RedisResult<Option<StreamReadReply>> {
        let deadline = Instant::now() + block.min(MAX_BLOCK);

        // Waiting for a dedicated connection spends the caller's block time; if none frees
        // up, a non-blocking read on the shared connection still hands out what is there.
        let Ok(Ok(_permit)) = timeout_at(deadline, self.blocking_permits.acquire()).await else {
            let command = self.read_command(stream, group, consumer, count, None);
            return self.query(&command).await;
        };

        let mut connection = match self.take_idle_connection() {
            Some(connection) => connection,
            None => self.open_blocking_connection().await?,
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let command = self.read_command(stream, group, consumer, count, Some(remaining));
        let reply = within(
            remaining + COMMAND_TIMEOUT,
            command.query_async(&mut connection),
        )
        .await;

        // A connection that failed at the socket, or timed out with a read still running
        // on the server, is dropped; a server error leaves it usable.
        let reusable = reply
            .as_ref()
            .err()
            .is_none_or(|error| !error.is_io_error());
        if reusable {
            self.idle_blocking
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
        reply
    }

    /// Records `acks` acknowledgements on `stream`; true when they make a trim due. A
    /// stream's schedule starts at its first acknowledgement in this process.
    fn trim_due(&self, stream: &str, acks: usize) -> bool {
        let now = Instant::now();
        let acks = u64::try_from(acks).unwrap_or(u64::MAX);
        let mut trims = self.trims.lock().unwrap_or_else(PoisonError::into_inner);
        match trims.get_mut(stream) {
            Some(schedule) => schedule.record(acks, now),
            None => {
                let mut schedule = TrimSchedule::new(now);
                let due = schedule.record(acks, now);
                trims.insert(stream.to_owned(), schedule);
                due
            }
        }
    }

    fn take_idle_connection(&self) -> Option<Connection> {
        self.idle_blocking
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    async fn open_blocking_connection(&self) -> RedisResult<Connection> {
        within(COMMAND_TIMEOUT, self.opener.dedicated()).await
    }
}

/// What opens connections: a client of one server, or of a cluster.
enum Opener {
    Single(Client),
    Cluster(Box<ClusterClients>),
}

/// Two clients of one cluster, differing in how long a node may take to answer.
struct ClusterClients {
    /// Its connections give up on a node after [`COMMAND_TIMEOUT`].
    shared: ClusterClient,
    /// Its connections wait as long as a blocking read asks; each read sets its own deadline.
    blocking: ClusterClient,
}

impl Opener {
    /// A client of the cluster that `nodes` (URLs of some of its nodes) belong to.
    fn cluster(nodes: &[&str]) -> RedisResult<Self> {
        let builder = || {
            ClusterClientBuilder::new(nodes.iter().copied())
                .connection_timeout(COMMAND_TIMEOUT)
                .retries(u32::try_from(RECONNECT_RETRIES).unwrap_or(u32::MAX))
                .max_retry_wait(u64::try_from(RECONNECT_MAX_DELAY.as_millis()).unwrap_or(u64::MAX))
        };
        Ok(Self::Cluster(Box::new(ClusterClients {
            shared: builder().response_timeout(COMMAND_TIMEOUT).build()?,
            blocking: builder().build()?,
        })))
    }

    /// The connection every quick command shares.
    async fn shared(&self) -> RedisResult<Connection> {
        match self {
            Self::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(COMMAND_TIMEOUT))
                    .set_response_timeout(Some(COMMAND_TIMEOUT))
                    .set_number_of_retries(RECONNECT_RETRIES)
                    .set_max_delay(RECONNECT_MAX_DELAY);
                let manager = client.get_connection_manager_with_config(config).await?;
                Ok(Connection::Manager(manager))
            }
            Self::Cluster(clients) => Ok(Connection::Cluster(
                clients.shared.get_async_connection().await?,
            )),
        }
    }

    /// A connection of its own for one blocking read at a time.
    async fn dedicated(&self) -> RedisResult<Connection> {
        match self {
            Self::Single(client) => {
                // No response timeout of its own: each read sets its deadline from its block
                // time.
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(COMMAND_TIMEOUT))
                    .set_response_timeout(None);
                let connection = client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                Ok(Connection::Dedicated(connection))
            }
            Self::Cluster(clients) => Ok(Connection::Cluster(
                clients.blocking.get_async_connection().await?,
            )),
        }
    }
}

/// Whether the server behind `client` runs in cluster mode, from its `INFO cluster`.
async fn is_cluster_node(client: &Client) -> RedisResult<bool> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(COMMAND_TIMEOUT))
        .set_response_timeout(Some(COMMAND_TIMEOUT));
    let mut connection = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    let info: String = redis::cmd("INFO")
        .arg("cluster")
        .query_async(&mut connection)
        .await?;
    Ok(info.lines().any(|line| line.trim() == "cluster_enabled:1"))
}

/// One connection of whichever kind the store uses; scripts and commands run on any.
#[derive(Clone)]
enum Connection {
    /// The shared connection to one server.
    Manager(ConnectionManager),
    /// A blocking read's own connection to one server.
    Dedicated(MultiplexedConnection),
    /// Connections to every node of a cluster, each command sent where its key lives.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, command: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(connection) => connection.req_packed_command(command),
            Self::Dedicated(connection) => connection.req_packed_command(command),
            Self::Cluster(connection) => connection.req_packed_command(command),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Dedicated(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(connection) => connection.get_db(),
            Self::Dedicated(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("cluster", &self.is_cluster())
            .finish_non_exhaustive()
    }
}

/// Awaits `future` for at most `limit`; running out counts as an I/O failure, which
/// [`store_error`] reports as the store being unavailable.
async fn within<T>(
    limit: Duration,
    future: impl Future<Output = RedisResult<T>>,
) -> RedisResult<T> {
    timeout(limit, future).await.unwrap_or_else(|_| {
        Err(io::Error::new(io::ErrorKind::TimedOut, "redis did not answer in time").into())
    })
}

/// Sorts a failure into "Redis cannot be reached" (retry later) and "Redis answered
/// something we did not expect" (a bug or a misuse).
fn store_error(error: RedisError) -> StoreError {
    let unavailable = error.is_io_error()
        || matches!(
            error.kind(),
            ErrorKind::AuthenticationFailed
                | ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::MasterDown
                )
        );
    if unavailable {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Protocol(error.to_string())
    }
}

/// The error's message with the URL's password masked. The client's messages do not quote
/// the URL today; masking anyway costs nothing, and a password in a log costs a rotation.
fn without_password(error: RedisError, url: &str) -> String {
    let message = error.to_string();
    match redis::parse_redis_url(url)
        .as_ref()
        .and_then(|url| url.password())
    {
        Some(password) if !password.is_empty() => message.replace(password, "***"),
        _ => message,
    }
}

/// Milliseconds for `PX` and `BLOCK`, rounded up and never 0: `PX 0` is refused and
/// `BLOCK 0` would wait forever.
fn at_least_one_ms(duration: Duration) -> u64 {
    let ms = duration.as_nanos().div_ceil(1_000_000).max(1);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

fn stream_entry(entry: StreamId) -> StreamEntry {
    // Only Bino writes these streams, so a missing field is a bug; an empty payload lets
    // the worker fail it into the dead letters instead of blocking the stream with errors.
    let payload = entry.get::<Vec<u8>>(PAYLOAD_FIELD).unwrap_or_else(|| {
        tracing::warn!(stream.entry_id = %entry.id, "stream entry has no payload field");
        Vec::new()
    });
    StreamEntry {
        id: entry.id,
        payload,
    }
}

#[async_trait]
impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        if self.is_cluster() {
            "redis-cluster"
        } else {
            "redis"
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.query::<Value>(&redis::cmd("PING"))
            .await
            .map(drop)
            .map_err(store_error)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut command = redis::cmd("GET");
        command.arg(self.key(key));
        self.query(&command).await.map_err(store_error)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), StoreError> {
        let mut command = redis::cmd("SET");
        command.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            command.arg("PX").arg(at_least_one_ms(ttl));
        }
        self.query::<Value>(&command)
            .await
            .map(drop)
            .map_err(store_error)
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let mut command = redis::cmd("SET");
        command.arg(self.key(key)).arg(value).arg("NX");
        if let Some(ttl) = ttl {
            command.arg("PX").arg(at_least_one_ms(ttl));
        }
        // `OK` when written, nil when the key was already there.
        let reply: Value = self.query(&command).await.map_err(store_error)?;
        Ok(reply != Value::Nil)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let mut invocation = COMPARE_AND_SWAP.prepare_invoke();
        invocation
            .key(self.key(key))
            .arg(if expected.is_some() { "1" } else { "0" })
            .arg(expected.unwrap_or_default())
            .arg(new)
            .arg(ttl.map_or(0, at_least_one_ms));
        let mut connection = self.connection.clone();
        let written: i64 = within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)?;
        Ok(written == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let mut command = redis::cmd("DEL");
        command.arg(self.key(key));
        let deleted: i64 = self.query(&command).await.map_err(store_error)?;
        Ok(deleted > 0)
    }

    async fn delete_if(&self, key: &str, expected: &[u8]) -> Result<bool, StoreError> {
        let mut invocation = DELETE_IF.prepare_invoke();
        invocation.key(self.key(key)).arg(expected);
        let mut connection = self.connection.clone();
        let deleted: i64 = within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)?;
        Ok(deleted > 0)
    }

    async fn queue_push_once(
        &self,
        dedupe_key: &str,
        ttl: Duration,
        queue: &str,
        item: &[u8],
    ) -> Result<bool, StoreError> {
        // A single server would take any two keys; refusing them everywhere keeps code that
        // works here working on a cluster.
        if !share_a_slot(dedupe_key, queue) {
            return Err(keys_in_different_slots("queue_push_once"));
        }
        let mut invocation = QUEUE_PUSH_ONCE.prepare_invoke();
        invocation
            .key(self.key(dedupe_key))
            .key(self.key(queue))
            .arg(at_least_one_ms(ttl))
            .arg(item);
        let mut connection = self.connection.clone();
        let pushed: i64 = within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)?;
        Ok(pushed > 0)
    }

    async fn queue_front(&self, queue: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut command = redis::cmd("LINDEX");
        command.arg(self.key(queue)).arg(0);
        self.query(&command).await.map_err(store_error)
    }

    async fn queue_remove_front(&self, queue: &str, item: &[u8]) -> Result<bool, StoreError> {
        let mut invocation = QUEUE_REMOVE_FRONT.prepare_invoke();
        invocation.key(self.key(queue)).arg(item);
        let mut connection = self.connection.clone();
        let removed: i64 = within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)?;
        Ok(removed > 0)
    }

    async fn queue_len(&self, queue: &str) -> Result<u64, StoreError> {
        let mut command = redis::cmd("LLEN");
        command.arg(self.key(queue));
        self.query(&command).await.map_err(store_error)
    }

    async fn increment(&self, key: &str, ttl: Option<Duration>) -> Result<i64, StoreError> {
        let mut invocation = INCREMENT.prepare_invoke();
        invocation
            .key(self.key(key))
            .arg(ttl.map_or(0, at_least_one_ms));
        let mut connection = self.connection.clone();
        within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)
    }

    async fn stream_append(&self, stream: &str, payload: &[u8]) -> Result<String, StoreError> {
        let mut command = redis::cmd("XADD");
        command
            .arg(self.key(stream))
            .arg("*")
            .arg(PAYLOAD_FIELD)
            .arg(payload);
        self.query(&command).await.map_err(store_error)
    }

    async fn stream_ensure_group(&self, stream: &str, group: &str) -> Result<(), StoreError> {
        let mut command = redis::cmd("XGROUP");
        command
            .arg("CREATE")
            .arg(self.key(stream))
            .arg(group)
            .arg("0")
            .arg("MKSTREAM");
        match self.query::<Value>(&command).await {
            Ok(_) => Ok(()),
            Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
            Err(error) => Err(store_error(error)),
        }
    }

    async fn stream_read(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        // `COUNT 0` means "no limit" to Redis; to this trait it means nothing to read.
        if count == 0 {
            return Ok(Vec::new());
        }
        let reply: Option<StreamReadReply> = if block.is_zero() {
            let command = self.read_command(stream, group, consumer, count, None);
            self.query(&command).await
        } else {
            self.read_blocking(stream, group, consumer, count, block)
                .await
        }
        .map_err(store_error)?;

        // Nil when the block time passed with nothing new.
        let Some(reply) = reply else {
            return Ok(Vec::new());
        };
        Ok(reply
            .keys
            .into_iter()
            .flat_map(|key| key.ids)
            .map(stream_entry)
            .collect())
    }

    async fn stream_ack(
        &self,
        stream: &str,
        group: &str,
        ids: &[String],
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut command = redis::cmd("XACK");
        command.arg(self.key(stream)).arg(group).arg(ids);
        self.query::<Value>(&command).await.map_err(store_error)?;

        // Trimming is housekeeping: the acknowledgement stands whether or not it works,
        // and a later one trims again.
        if self.trim_due(stream, ids.len())
            && let Err(error) = self.stream_trim(stream).await
        {
            tracing::warn!(
                stream.name = stream,
                %error,
                "handled stream entries not trimmed, will retry later"
            );
        }
        Ok(())
    }

    async fn stream_claim_idle(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        let min_idle_ms = u64::try_from(min_idle.as_millis()).unwrap_or(u64::MAX);
        let mut claimed = Vec::new();
        let mut cursor = "0-0".to_owned();

        // One `XAUTOCLAIM` scans a bounded slice of the pending list, so walk it with the
        // cursor until enough entries are claimed or the list is done. Entries deleted
        // from the stream come back as ids only, and Redis drops them from the pending list.
        while claimed.len() < count {
            let mut command = redis::cmd("XAUTOCLAIM");
            command
                .arg(self.key(stream))
                .arg(group)
                .arg(consumer)
                .arg(min_idle_ms)
                .arg(&cursor)
                .arg("COUNT")
                .arg(count - claimed.len());
            let reply: StreamAutoClaimReply = self.query(&command).await.map_err(store_error)?;

            claimed.extend(reply.claimed.into_iter().map(stream_entry));
            cursor = reply.next_stream_id;
            if cursor == "0-0" {
                break;
            }
        }
        Ok(claimed)
    }

    async fn stream_pending(&self, stream: &str, group: &str) -> Result<u64, StoreError> {
        let mut command = redis::cmd("XPENDING");
        command.arg(self.key(stream)).arg(group);
        let reply: StreamPendingReply = self.query(&command).await.map_err(store_error)?;
        Ok(u64::try_from(reply.count()).unwrap_or(u64::MAX))
    }

    async fn stream_trim(&self, stream: &str) -> Result<u64, StoreError> {
        let mut invocation = TRIM_HANDLED.prepare_invoke();
        invocation.key(self.key(stream));
        let mut connection = self.connection.clone();
        within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)
    }

    async fn stream_len(&self, stream: &str) -> Result<u64, StoreError> {
        let mut command = redis::cmd("XLEN");
        command.arg(self.key(stream));
        self.query(&command).await.map_err(store_error)
    }

    async fn stream_append_once(
        &self,
        dedupe_key: &str,
        ttl: Duration,
        stream: &str,
        payload: &[u8],
    ) -> Result<Option<String>, StoreError> {
        if !share_a_slot(dedupe_key, stream) {
            return Err(keys_in_different_slots("stream_append_once"));
        }
        let mut invocation = STREAM_APPEND_ONCE.prepare_invoke();
        invocation
            .key(self.key(dedupe_key))
            .key(self.key(stream))
            .arg(at_least_one_ms(ttl))
            .arg(payload);
        let mut connection = self.connection.clone();
        within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)
    }

    async fn stream_range(
        &self,
        stream: &str,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut command = redis::cmd("XRANGE");
        command
            .arg(self.key(stream))
            .arg(after.map_or_else(|| "-".to_owned(), |id| format!("({id}")))
            .arg("+")
            .arg("COUNT")
            .arg(count);
        let reply: redis::streams::StreamRangeReply =
            self.query(&command).await.map_err(store_error)?;
        Ok(reply.ids.into_iter().map(stream_entry).collect())
    }

    async fn stream_drop_older_than(&self, stream: &str, age: Duration) -> Result<u64, StoreError> {
        let age_ms = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
        let now_ms = u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
        )
        .unwrap_or(u64::MAX);
        let mut command = redis::cmd("XTRIM");
        command
            .arg(self.key(stream))
            .arg("MINID")
            .arg(now_ms.saturating_sub(age_ms));
        self.query(&command).await.map_err(store_error)
    }

    async fn sorted_add(
        &self,
        key: &str,
        member: &str,
        score: i64,
        only_if_absent: bool,
    ) -> Result<bool, StoreError> {
        let mut command = redis::cmd("ZADD");
        command.arg(self.key(key));
        if only_if_absent {
            command.arg("NX");
        }
        command.arg(score).arg(member);
        let added: i64 = self.query(&command).await.map_err(store_error)?;
        Ok(added > 0)
    }

    async fn sorted_remove(&self, key: &str, member: &str) -> Result<bool, StoreError> {
        let mut command = redis::cmd("ZREM");
        command.arg(self.key(key)).arg(member);
        let removed: i64 = self.query(&command).await.map_err(store_error)?;
        Ok(removed > 0)
    }

    async fn sorted_score(&self, key: &str, member: &str) -> Result<Option<i64>, StoreError> {
        let mut command = redis::cmd("ZSCORE");
        command.arg(self.key(key)).arg(member);
        let score: Option<f64> = self.query(&command).await.map_err(store_error)?;
        Ok(score.map(score_of))
    }

    async fn sorted_range(
        &self,
        key: &str,
        count: usize,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut command = redis::cmd("ZRANGE");
        command
            .arg(self.key(key))
            .arg(0)
            .arg(count - 1)
            .arg("WITHSCORES");
        let reply: Vec<(String, f64)> = self.query(&command).await.map_err(store_error)?;
        Ok(reply
            .into_iter()
            .map(|(member, score)| (member, score_of(score)))
            .collect())
    }

    async fn sorted_take_due(
        &self,
        key: &str,
        max_score: i64,
        new_score: i64,
        count: usize,
    ) -> Result<Vec<String>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut invocation = SORTED_TAKE_DUE.prepare_invoke();
        invocation
            .key(self.key(key))
            .arg(max_score)
            .arg(new_score)
            .arg(count);
        let mut connection = self.connection.clone();
        within(COMMAND_TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(store_error)
    }
}

/// A sorted-set score as the integer it was written as. Redis keeps scores as doubles,
/// which hold every integer Bino writes (milliseconds since 1970) exactly.
fn score_of(score: f64) -> i64 {
    score.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_become_whole_milliseconds_never_zero() {
        let cases = [
            (Duration::ZERO, 1),
            (Duration::from_nanos(1), 1),
            (Duration::from_micros(1_500), 2),
            (Duration::from_millis(100), 100),
            (Duration::from_secs(2), 2_000),
            (Duration::MAX, u64::MAX),
        ];
        for (duration, expected) in cases {
            assert_eq!(at_least_one_ms(duration), expected, "{duration:?}");
        }
    }

    #[test]
    fn a_trim_is_due_after_enough_acknowledgements_or_enough_time() {
        let start = Instant::now();
        let soon = start + TRIM_INTERVAL / 2;
        let late = start + TRIM_INTERVAL;
        let cases = [
            ("one ack", vec![(1, start)], false),
            ("a few acks, soon", vec![(1, start), (5, soon)], false),
            ("a few acks, late", vec![(1, start), (5, late)], true),
            ("many acks at once", vec![(TRIM_EVERY_ACKS, start)], true),
            (
                "many acks in steps",
                vec![(TRIM_EVERY_ACKS - 1, start), (1, start)],
                true,
            ),
        ];
        for (name, acks, expected) in cases {
            let mut schedule = TrimSchedule::new(start);
            let mut due = false;
            for (count, now) in acks {
                due = schedule.record(count, now);
            }
            assert_eq!(due, expected, "{name}");
        }
    }

    #[test]
    fn a_trim_restarts_the_schedule() {
        let start = Instant::now();
        let mut schedule = TrimSchedule::new(start);

        assert!(schedule.record(TRIM_EVERY_ACKS, start));
        assert!(!schedule.record(1, start + TRIM_INTERVAL / 2));
        assert!(schedule.record(1, start + TRIM_INTERVAL));
    }

    #[test]
    fn connection_errors_never_show_the_password() {
        let error = RedisError::from(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "refused by s3cret-pw",
        ));

        let message = without_password(error, "redis://:s3cret-pw@127.0.0.1:1/0");

        assert_eq!(message, "refused by ***");
    }

    #[test]
    fn timeouts_are_unavailable_and_unexpected_replies_are_protocol_errors() {
        let timed_out = RedisError::from(io::Error::from(io::ErrorKind::TimedOut));
        let wrong_type = RedisError::from((ErrorKind::UnexpectedReturnType, "wrong type"));

        assert!(matches!(store_error(timed_out), StoreError::Unavailable(_)));
        assert!(matches!(store_error(wrong_type), StoreError::Protocol(_)));
    }
}
