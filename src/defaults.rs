//! Every default of the SDK, in one place.
//!
//! Each setting that has a default is changed where it is used ([`ClientBuilder`], the
//! [`RetryPolicy`] builder, the poller and bulk builders); this module only says what it is
//! when nobody changes it.
//!
//! ```
//! use std::time::Duration;
//!
//! assert_eq!(qyvo::defaults::TIMEOUT, Duration::from_secs(30));
//! assert_eq!(qyvo::defaults::RATE_LIMIT, 120);
//! ```
//!
//! [`ClientBuilder`]: crate::ClientBuilder
//! [`RetryPolicy`]: crate::retry::RetryPolicy

use std::time::Duration;

/// The production base URL, `https://www.qyvo.io/api/v1`.
pub const BASE_URL: &str = "https://www.qyvo.io/api/v1";

/// The environment variable [`ClientBuilder::from_env`](crate::ClientBuilder::from_env) reads
/// the API token from.
pub const TOKEN_ENV: &str = "QYVO_TOKEN";

/// The optional environment variable that overrides [`BASE_URL`] in
/// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env).
pub const BASE_URL_ENV: &str = "QYVO_BASE_URL";

/// The `User-Agent` the SDK sends: `qyvo-rust/<version>`.
pub const USER_AGENT: &str = concat!("qyvo-rust/", env!("CARGO_PKG_VERSION"));

/// How long to wait for a TCP and TLS connection: 10 seconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one attempt of a request may take in total: 30 seconds.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest response body the SDK reads: 10 MiB.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// How many same-origin redirects a request follows: 5.
pub const MAX_REDIRECTS: usize = 5;

/// How many times a failed request is repeated: 2.
pub const RETRIES: u32 = 2;

/// The base of the exponential backoff between attempts: 0.5 seconds.
pub const RETRY_BASE_DELAY: Duration = Duration::from_millis(500);

/// The longest backoff between two attempts: 8 seconds.
pub const RETRY_MAX_DELAY: Duration = Duration::from_secs(8);

/// The longest `Retry-After` the SDK waits for before returning the error: 60 seconds.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Qyvo's quota, which the proactive rate limiter starts from: 120 requests…
pub const RATE_LIMIT: u32 = 120;

/// …per rolling 60 seconds.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// How long the Redis rate limiter waits for Redis at each step before it counts Redis as
/// unreachable and uses its in-process fallback: 250 milliseconds.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// The share of the quota one process's fallback allows while Redis is unreachable: a quarter,
/// so that four processes falling back together stay within the quota.
pub const REDIS_FALLBACK_SHARE: f64 = 0.25;

/// How long the Redis rate limiter keeps to its fallback after Redis failed, before it tries
/// Redis again: 5 seconds.
pub const REDIS_RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// How long [`send_template`](crate::prelude::QyvoClientExt::send_template) caches a
/// template's placeholders: 5 minutes.
pub const TEMPLATE_CACHE_TTL: Duration = Duration::from_secs(300);

/// How often a trigger poller polls: every 30 seconds, Qyvo's guidance.
pub const POLL_INTERVAL: Duration = Duration::from_secs(30);

/// The jitter of a poller's waits, as a fraction of the wait: ±10 %.
pub const POLL_JITTER: f64 = 0.1;

/// The longest wait of a poller after failed polls: 5 minutes.
pub const POLL_MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How long a campaign's recipient that certainly was not sent (a 429 beyond the retry
/// policy, a failed template lookup) waits before a worker tries it again: 1 minute, or the
/// server's `Retry-After` when longer.
pub const CAMPAIGN_RETRY_DELAY: Duration = Duration::from_secs(60);

/// How long a poller replica's lease on a shared checkpoint store lasts after it was taken or
/// renewed: 90 seconds, three poll intervals.
pub const POLL_LEASE_TTL: Duration = Duration::from_secs(90);

/// How many sends of a bulk send run at once: 4.
pub const BULK_CONCURRENCY: usize = 4;

/// How far a webhook's signed time may be from now, either way: 5 minutes (the docs give
/// none; five minutes is Stripe's default).
pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);
