//! The Redis backend of the rate limiter: the rolling window of a token, kept in Redis and
//! shared by every process that uses the token.

use std::{
    fmt,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use ::redis::{
    ErrorKind, FromRedisValue, Script, ScriptInvocation,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use sha2::{Digest, Sha256};
use tokio::{sync::OnceCell, time::Instant};

use super::{MAX_COUNTED, Permit, RateLimitStatus, RateLimiter, widened};
use crate::{defaults, runtime::config::ConfigError};

/// Redis's clock in milliseconds: every process reads the same one.
macro_rules! lua_now {
    () => {
        "local t = redis.call('TIME')\n\
         local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    };
}

/// One admission, atomically: a 429's pause first, then the window's free slots.
///
/// KEYS: the slots (a sorted set: request id → when its slot frees, in ms), the state (a hash:
/// the server's `limit`, `paused_until`). ARGV: the configured limit, the window in ms, the
/// request's id, the longest pause the caller waits out. Answers `{0, now}` (admitted, at
/// `now` on Redis's clock), `{1, ms}` (ask again in `ms`) or `{2, ms}` (refused: this much of
/// a pause is left). Freed slots stay a window longer, for [`RELEASE`] to count.
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_now!(),
        "local paused = tonumber(redis.call('HGET', KEYS[2], 'paused_until') or 0)
if paused > now then
  if paused - now > tonumber(ARGV[4]) then return {2, paused - now} end
  return {1, paused - now}
end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or ARGV[1])
if redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') < limit then
  redis.call('ZADD', KEYS[1], now + window, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2 * window)
  return {0, now}
end
local next = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {1, math.max(1, tonumber(next[2]) - now)}"
    ))
});

/// The end of one request: its slot frees a window from now; the quota its answer announced
/// (when ARGV[3] is not empty) sets the limit and takes a slot for every request the server
/// counted that the set did not hold. The server counted them at some moment after this
/// request's admission, so every slot still held then counts as one of them, freed since or
/// not: only requests of processes that bypass Redis take new slots.
///
/// ARGV: the request's id, the window in ms, the server's limit and remaining ('' when the
/// answer had none), the most slots a quota can take, when the request was admitted.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_now!(),
        "local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + window, ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], 'limit', math.max(tonumber(ARGV[3]), 1))
  local held = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[6], '+inf')
  local counted = math.min(tonumber(ARGV[3]) - tonumber(ARGV[4]), tonumber(ARGV[5]))
  for i = held + 1, counted do
    redis.call('ZADD', KEYS[1], now + window, ARGV[1] .. ':' .. i)
  end
end
redis.call('PEXPIRE', KEYS[1], 2 * window)
return 1"
    ))
});

/// A 429's `Retry-After` (ARGV[1], in ms) pauses every process, unless a longer pause is on.
static PAUSE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_now!(),
        "local until_ms = now + tonumber(ARGV[1])
if tonumber(redis.call('HGET', KEYS[2], 'paused_until') or 0) < until_ms then
  redis.call('HSET', KEYS[2], 'paused_until', until_ms)
end
return 1"
    ))
});

/// A rate limiter kept in Redis and shared by every process using the token: give it to
/// [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter) (the `redis` feature).
///
/// It keeps the in-process limiter's rolling window (see the [module docs](super)), in Redis:
/// each admission is one Lua script, run atomically by Redis on Redis's clock, over a sorted
/// set of the window's requests. The keys are `qyvo:ratelimit:{<sha-256 of token and base
/// URL>}:slots` and `…:state`: never the token itself, and one hash slot, so the scripts also
/// run on Redis Cluster. Answers re-synchronise it from `X-RateLimit-*` as they do in process,
/// and a 429's `Retry-After` pauses every process. Each request costs two round trips to Redis
/// (admission, then release with the answer's quota), and one more after a 429.
///
/// **When Redis is slow or down** (a step takes longer than [`timeout`](Self::timeout), or
/// fails), the process does not wait for it and does not stop sending: it logs a `WARN`
/// through `tracing` (once per outage) and limits itself in process to
/// [`fallback_share`](Self::fallback_share) of the quota (a quarter by default, so four
/// processes falling back together stay within it), still re-synchronised from the quota
/// headers. It tries Redis again after [`retry_interval`](Self::retry_interval), and logs
/// when Redis answers again.
///
/// ```
/// use std::time::Duration;
///
/// use qyvo::ratelimit::RedisRateLimiter;
///
/// # fn main() -> Result<(), qyvo::ConfigError> {
/// let shared = RedisRateLimiter::open("redis://127.0.0.1:6379/")?
///     .timeout(Duration::from_millis(100))
///     .fallback_share(0.5);
/// let client = qyvo::ClientBuilder::new("my-token").rate_limiter(shared).build()?;
/// # drop(client);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisRateLimiter {
    client: ::redis::Client,
    timeout: Duration,
    fallback_share: f64,
    retry_interval: Duration,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisRateLimiter")
            .field("timeout", &self.timeout)
            .field("fallback_share", &self.fallback_share)
            .field("retry_interval", &self.retry_interval)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimiter {
    /// A limiter on the Redis server at `url` (`redis://[:password@]host[:port][/db]`, or
    /// `redis+unix:///path`); nothing connects before the first request.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidRedisUrl`] when the URL does not parse.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        let client = ::redis::Client::open(url).map_err(|_| ConfigError::InvalidRedisUrl)?;
        Ok(Self {
            client,
            timeout: defaults::REDIS_TIMEOUT,
            fallback_share: defaults::REDIS_FALLBACK_SHARE,
            retry_interval: defaults::REDIS_RETRY_INTERVAL,
        })
    }

    /// Sets how long one step may take in Redis before the process uses its fallback
    /// (default [`defaults::REDIS_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the share of the quota a process allows itself while Redis is unreachable,
    /// clamped to `0.0..=1.0` (default [`defaults::REDIS_FALLBACK_SHARE`]); at least one
    /// request per window goes out whatever the share.
    pub fn fallback_share(mut self, share: f64) -> Self {
        self.fallback_share = if share.is_nan() {
            defaults::REDIS_FALLBACK_SHARE
        } else {
            share.clamp(0.0, 1.0)
        };
        self
    }

    /// Sets how long the process keeps to its fallback before it tries Redis again (default
    /// [`defaults::REDIS_RETRY_INTERVAL`]).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }
}

/// Why a step in Redis failed, for the warning: never the URL.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// No answer within the timeout.
    Timeout,
    /// Redis, or the connection to it, failed.
    Redis(ErrorKind),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("no answer in time"),
            Self::Redis(kind) => write!(f, "{kind:?}"),
        }
    }
}

/// A slot taken in Redis (by its id, admitted at a time on Redis's clock, in ms), or from the
/// fallback while Redis was unreachable.
#[derive(Debug)]
pub(crate) enum Ticket {
    Redis { id: String, admitted_at: u64 },
    Fallback(Permit),
}

/// The Redis limiter of one client.
pub(crate) struct Shared {
    config: RedisRateLimiter,
    slots_key: String,
    state_key: String,
    limit: u32,
    /// The window in milliseconds, widened as in process.
    window_ms: u64,
    connection: OnceCell<ConnectionManager>,
    /// The in-process limiter used while Redis is unreachable, kept warm with every answer's
    /// quota.
    fallback: Arc<RateLimiter>,
    /// While Redis counts as unreachable: until when.
    outage: Mutex<Option<Instant>>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("slots_key", &self.slots_key)
            .field("limit", &self.limit)
            .field("window_ms", &self.window_ms)
            .finish_non_exhaustive()
    }
}

/// The hex SHA-256 of the token and base URL: the limiter's key, which never holds the token.
fn key_hash(token: &str, base_url: &str) -> String {
    let digest = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update([0])
        .chain_update(base_url.as_bytes())
        .finalize();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Milliseconds, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Shared {
    pub(crate) fn new(
        config: &RedisRateLimiter,
        token: &str,
        base_url: &str,
        limit: u32,
        window: Duration,
    ) -> Self {
        let hash = key_hash(token, base_url);
        Self {
            config: config.clone(),
            slots_key: format!("qyvo:ratelimit:{{{hash}}}:slots"),
            state_key: format!("qyvo:ratelimit:{{{hash}}}:state"),
            limit: limit.max(1),
            window_ms: millis(widened(window)).max(1),
            connection: OnceCell::new(),
            fallback: RateLimiter::shared_with_share(
                ("redis-fallback", &hash),
                limit,
                window,
                config.fallback_share,
            ),
            outage: Mutex::new(None),
        }
    }

    /// Runs a script with this limiter's keys; any failure or a late answer is a [`Failure`].
    async fn run<T: FromRedisValue>(
        &self,
        script: &Script,
        args: impl FnOnce(&mut ScriptInvocation<'_>),
    ) -> Result<T, Failure> {
        let timeout = self.config.timeout;
        let connection = self
            .connection
            .get_or_try_init(|| async {
                let settings = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    // One attempt per connection: an outage's probes are the retries.
                    .set_number_of_retries(0);
                ConnectionManager::new_lazy_with_config(self.config.client.clone(), settings)
            })
            .await
            .map_err(|e| Failure::Redis(e.kind()))?;
        let mut connection = connection.clone();
        let mut invocation = script.prepare_invoke();
        invocation.key(&self.slots_key).key(&self.state_key);
        args(&mut invocation);
        let attempt = async {
            match invocation.invoke_async(&mut connection).await {
                // The connection broke (Redis restarted, say): the manager has started a new
                // one, which the second attempt waits for.
                Err(error) if error.is_io_error() => invocation.invoke_async(&mut connection).await,
                answer => answer,
            }
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(answer)) => {
                self.recovered();
                Ok(answer)
            }
            Ok(Err(error)) => Err(self.failed(Failure::Redis(error.kind()))),
            Err(_) => Err(self.failed(Failure::Timeout)),
        }
    }

    fn outage(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.outage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether Redis is to be skipped now (it failed less than a retry interval ago).
    fn unreachable(&self) -> bool {
        self.outage().is_some_and(|until| Instant::now() < until)
    }

    /// Counts Redis as unreachable for a retry interval; warns when an outage starts.
    fn failed(&self, failure: Failure) -> Failure {
        let mut outage = self.outage();
        if outage.is_none() {
            tracing::warn!(
                cause = %failure,
                fallback_share = self.config.fallback_share,
                "qyvo: the shared rate limiter's redis is unreachable; while it is, this \
                 process limits itself to its fallback share of the quota"
            );
        }
        *outage = Some(Instant::now() + self.config.retry_interval);
        failure
    }

    /// Redis answered: an outage, if there was one, is over.
    fn recovered(&self) {
        if self.outage().take().is_some() {
            tracing::info!("qyvo: the shared rate limiter's redis answers again");
        }
    }

    /// Waits until a request may be sent, then takes a slot for it: in Redis, or from the
    /// fallback while Redis is unreachable.
    pub(crate) async fn acquire(&self, max_pause: Duration) -> Result<Ticket, Duration> {
        while !self.unreachable() {
            let id = format!("{:032x}", fastrand::u128(..));
            let answer = self
                .run::<(u8, u64)>(&ADMIT, |admit| {
                    admit
                        .arg(self.limit)
                        .arg(self.window_ms)
                        .arg(&id)
                        .arg(millis(max_pause));
                })
                .await;
            match answer {
                Ok((0, admitted_at)) => return Ok(Ticket::Redis { id, admitted_at }),
                Ok((2, pause)) => return Err(Duration::from_millis(pause)),
                Ok((_, wait)) => {
                    tokio::time::sleep(Duration::from_millis(wait.max(1))).await;
                }
                Err(_) => break,
            }
        }
        self.fallback.acquire(max_pause).await.map(Ticket::Fallback)
    }

    /// The request of `ticket` ended, with the quota its answer announced, if any.
    pub(crate) async fn release(&self, ticket: Ticket, quota: Option<RateLimitStatus>) {
        let (id, admitted_at) = match ticket {
            Ticket::Fallback(permit) => return self.fallback.release(permit, quota),
            Ticket::Redis { id, admitted_at } => (id, admitted_at),
        };
        if let Some(quota) = quota {
            self.fallback.observe(quota);
        }
        if self.unreachable() {
            // Its slot in Redis frees a window after it was taken.
            return;
        }
        let (limit, remaining) = quota.map_or((String::new(), String::new()), |q| {
            (q.limit.to_string(), q.remaining.to_string())
        });
        // A failure is logged and starts an outage; nothing else to do.
        let _ = self
            .run::<i64>(&RELEASE, |release| {
                release
                    .arg(&id)
                    .arg(self.window_ms)
                    .arg(limit)
                    .arg(remaining)
                    .arg(MAX_COUNTED)
                    .arg(admitted_at);
            })
            .await;
    }

    /// Pauses every process for `wait`, and this one's fallback.
    pub(crate) async fn pause_for(&self, wait: Duration) {
        self.fallback.pause_for(wait);
        if !self.unreachable() {
            let _ = self
                .run::<i64>(&PAUSE, |pause| {
                    pause.arg(millis(wait));
                })
                .await;
        }
    }

    /// What the server last said to this process.
    pub(crate) fn status(&self) -> Option<RateLimitStatus> {
        self.fallback.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_a_hash_of_token_and_base_url_never_the_token() {
        let limiter = RedisRateLimiter::open("redis://:hunter2@127.0.0.1:1/").unwrap();
        let shared = Shared::new(
            &limiter,
            "tok-secret",
            "https://www.qyvo.io/api/v1",
            120,
            Duration::from_secs(60),
        );
        assert!(!shared.slots_key.contains("tok-secret"));
        assert_eq!(shared.slots_key.len(), "qyvo:ratelimit:{}:slots".len() + 64);
        assert_ne!(
            key_hash("tok-secret", "https://a"),
            key_hash("tok-secret", "https://b")
        );
        assert_ne!(key_hash("ab", "c"), key_hash("a", "bc"));
        assert_eq!(shared.window_ms, 60_120);
        assert!(!format!("{limiter:?}{shared:?}").contains("hunter2"));
    }

    #[test]
    fn settings_are_clamped() {
        let limiter = RedisRateLimiter::open("redis://127.0.0.1/").unwrap();
        assert_eq!(limiter.clone().fallback_share(3.0).fallback_share, 1.0);
        assert_eq!(limiter.clone().fallback_share(-1.0).fallback_share, 0.0);
        assert_eq!(
            limiter.fallback_share(f64::NAN).fallback_share,
            defaults::REDIS_FALLBACK_SHARE
        );
        assert!(matches!(
            RedisRateLimiter::open("http://nope"),
            Err(ConfigError::InvalidRedisUrl)
        ));
    }
}
