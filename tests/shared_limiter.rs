//! The rate limiter on Redis (`redis` feature), against a real `redis-server` started for each
//! test and the local Qyvo server enforcing a rolling window: clients that share nothing but
//! Redis share the quota and a 429's pause; a Redis that is down or frozen makes a client fall
//! back to its share of the quota, with a warning, instead of hanging or stopping.
//!
//! The clients here live in one process, each with its own connection to Redis and nothing
//! else in common; `tests/workers.rs` runs the same limiter in separate processes.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed assertion"
)]

#[path = "support/logs.rs"]
mod logs;
#[path = "support/servers.rs"]
mod servers;

use std::time::Duration;

use futures_util::future::join_all;
use logs::Captured;
use qyvo::{ClientBuilder, ratelimit::RedisRateLimiter};
use qyvo_mock::{MockServer, Operation};
use servers::Redis;
use tokio::time::Instant;
use tracing_subscriber::{filter::LevelFilter, util::SubscriberInitExt as _};

/// The scaled quota: 5 requests per rolling second.
const LIMIT: u32 = 5;
const WINDOW: Duration = Duration::from_secs(1);

async fn mock() -> MockServer {
    MockServer::builder()
        .rate_limit(LIMIT, WINDOW)
        .start()
        .await
        .unwrap()
}

/// A client whose limiter is in `redis`, with its own connection: as alone as a process.
fn client(server: &MockServer, redis: RedisRateLimiter) -> qyvo::Client {
    ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .rate_limit(LIMIT, WINDOW)
        .rate_limiter(redis)
        .build()
        .unwrap()
}

fn limiter(redis: &Redis) -> RedisRateLimiter {
    RedisRateLimiter::open(&redis.url())
        .unwrap()
        .timeout(Duration::from_millis(200))
        .retry_interval(Duration::from_millis(300))
}

/// Sends `count` requests from each client at once; returns how many succeeded.
async fn burst(clients: &[qyvo::Client], count: usize) -> usize {
    let calls = clients
        .iter()
        .flat_map(|client| (0..count).map(move |_| client.me().send()));
    join_all(calls)
        .await
        .into_iter()
        .filter(Result::is_ok)
        .count()
}

fn statuses(server: &MockServer, status: u16) -> usize {
    server
        .journal()
        .iter()
        .filter(|e| e.operation == Some(Operation::Me) && e.status == Some(status))
        .count()
}

async fn clients_sharing_only_redis_share_the_quota() {
    let redis = Redis::start();
    let server = mock().await;
    let clients: Vec<_> = (0..3).map(|_| client(&server, limiter(&redis))).collect();
    let start = Instant::now();
    // 30 requests, 5 per rolling second: the first 5 at once, the last 5 three windows later.
    assert_eq!(burst(&clients, 10).await, 30);
    let elapsed = start.elapsed();
    assert_eq!(statuses(&server, 429), 0, "the server refused none");
    assert_eq!(statuses(&server, 200), 30);
    assert!(elapsed >= WINDOW * 5, "{elapsed:?}");
    assert!(elapsed < WINDOW * 8, "{elapsed:?}");
    // The keys name a hash of token and base URL, never the token.
    let keys = redis.command("KEYS *");
    assert!(keys.contains("qyvo:ratelimit:{"), "{keys}");
    assert!(!keys.contains(server.token()), "{keys}");
}

async fn in_process_limiters_alone_overrun_the_quota() {
    // What the shared limiter replaces: two processes (here two base URLs naming the same
    // server, so the two clients do not share their in-process limiter) each keep to the
    // quota, and together send twice it.
    let server = mock().await;
    let other = server.base_url().replace("127.0.0.1", "localhost");
    let clients: Vec<_> = [server.base_url(), other]
        .into_iter()
        .map(|url| {
            ClientBuilder::new(server.token())
                .base_url(url)
                .rate_limit(LIMIT, WINDOW)
                .build()
                .unwrap()
        })
        .collect();
    burst(&clients, 5).await;
    assert!(statuses(&server, 429) >= 1, "{:?}", server.journal());
}

async fn requests_that_bypass_redis_take_slots_from_the_quota_headers() {
    let redis = Redis::start();
    let server = mock().await;
    // A process without the shared limiter used three of the window's five requests.
    let outsider = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .without_rate_limiter()
        .build()
        .unwrap();
    for _ in 0..3 {
        outsider.me().send().await.unwrap();
    }
    // The first answer tells the shared limiter: one more now, then a window's wait.
    let client = client(&server, limiter(&redis));
    let start = Instant::now();
    client.me().send().await.unwrap();
    client.me().send().await.unwrap();
    assert!(start.elapsed() < WINDOW / 2, "{:?}", start.elapsed());
    client.me().send().await.unwrap();
    assert!(start.elapsed() >= WINDOW * 9 / 10, "{:?}", start.elapsed());
    assert_eq!(statuses(&server, 429), 0);
}

async fn a_retry_after_pauses_every_client() {
    let redis = Redis::start();
    let server = mock().await;
    let first = client(&server, limiter(&redis));
    let second = client(&server, limiter(&redis));
    // Another process (no limiter at all) used the whole window: the first client's request
    // is refused with a `Retry-After`, which pauses the second client too.
    let greedy = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .without_rate_limiter()
        .build()
        .unwrap();
    for _ in 0..LIMIT {
        greedy.me().send().await.unwrap();
    }
    let start = Instant::now();
    let (a, b) = tokio::join!(first.me().send(), async {
        // Starts once the first one's 429 has paused Redis.
        tokio::time::sleep(Duration::from_millis(100)).await;
        second.me().send().await
    });
    a.unwrap();
    b.unwrap();
    assert_eq!(statuses(&server, 429), 1, "only the first client's request");
    assert!(start.elapsed() >= Duration::from_millis(900));
}

fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let guard = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();
    (captured, guard)
}

/// The most requests the server received in any rolling window.
fn busiest_window(server: &MockServer) -> usize {
    let times: Vec<_> = server.journal().iter().map(|e| e.at).collect();
    let window = chrono::Duration::from_std(WINDOW).unwrap();
    times
        .iter()
        .map(|&end| {
            times
                .iter()
                .filter(|&&t| t <= end && end - t < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn redis_down_falls_back_to_a_share_of_the_quota_with_a_warning() {
    let (logs, _guard) = capture_logs();
    let mut redis = Redis::start();
    let server = mock().await;
    let client = client(&server, limiter(&redis).fallback_share(0.4));
    client.me().send().await.unwrap();
    redis.kill();
    // Redis is down: the client keeps sending, two requests per window (0.4 of 5), never
    // hanging on Redis.
    let start = Instant::now();
    assert_eq!(burst(std::slice::from_ref(&client), 6).await, 6);
    let elapsed = start.elapsed();
    assert!(elapsed >= WINDOW * 2 && elapsed < WINDOW * 4, "{elapsed:?}");
    assert!(
        busiest_window(&server) <= 2 + 1,
        "{}",
        busiest_window(&server)
    );
    assert_eq!(statuses(&server, 429), 0);
    let text = logs.text();
    assert_eq!(
        text.matches("WARN").count(),
        1,
        "one warning per outage: {text}"
    );
    assert!(text.contains("redis is unreachable"), "{text}");
    // Back: after the retry interval the client uses Redis again, and says so.
    redis.restart();
    tokio::time::sleep(Duration::from_millis(400)).await;
    client.me().send().await.unwrap();
    assert!(
        logs.text().contains("redis answers again"),
        "{}",
        logs.text()
    );
    let keys = redis.command("KEYS *");
    assert!(keys.contains("qyvo:ratelimit:{"), "{keys:?}");
}

async fn a_frozen_redis_costs_a_timeout_not_a_hang() {
    let (logs, _guard) = capture_logs();
    let redis = Redis::start();
    let server = mock().await;
    let client = client(&server, limiter(&redis).fallback_share(1.0));
    client.me().send().await.unwrap();
    redis.freeze();
    let start = Instant::now();
    client.me().send().await.unwrap();
    let first = start.elapsed();
    // The admission waited for Redis at most its timeout, then the fallback let it through;
    // the next one does not ask Redis again before the retry interval.
    assert!(first < Duration::from_millis(600), "{first:?}");
    let start = Instant::now();
    client.me().send().await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(100));
    redis.resume();
    assert!(
        logs.text().contains("redis is unreachable"),
        "{}",
        logs.text()
    );
}

async fn an_unreachable_redis_from_the_start_still_sends() {
    let (logs, _guard) = capture_logs();
    let server = mock().await;
    // Nothing listens on port 1.
    let client = client(
        &server,
        RedisRateLimiter::open("redis://127.0.0.1:1/")
            .unwrap()
            .timeout(Duration::from_millis(200)),
    );
    client.me().send().await.unwrap();
    assert!(
        logs.text().contains("redis is unreachable"),
        "{}",
        logs.text()
    );
}

fn main() -> std::process::ExitCode {
    use qyvo_test_tools::{Tool, async_test};
    const REDIS: &[Tool] = &[Tool::Redis];
    qyvo_test_tools::run(vec![
        async_test(
            "clients_sharing_only_redis_share_the_quota",
            REDIS,
            clients_sharing_only_redis_share_the_quota,
        ),
        async_test(
            "in_process_limiters_alone_overrun_the_quota",
            &[],
            in_process_limiters_alone_overrun_the_quota,
        ),
        async_test(
            "requests_that_bypass_redis_take_slots_from_the_quota_headers",
            REDIS,
            requests_that_bypass_redis_take_slots_from_the_quota_headers,
        ),
        async_test(
            "a_retry_after_pauses_every_client",
            REDIS,
            a_retry_after_pauses_every_client,
        ),
        async_test(
            "redis_down_falls_back_to_a_share_of_the_quota_with_a_warning",
            REDIS,
            redis_down_falls_back_to_a_share_of_the_quota_with_a_warning,
        ),
        async_test(
            "a_frozen_redis_costs_a_timeout_not_a_hang",
            REDIS,
            a_frozen_redis_costs_a_timeout_not_a_hang,
        ),
        async_test(
            "an_unreachable_redis_from_the_start_still_sends",
            &[],
            an_unreachable_redis_from_the_start_still_sends,
        ),
    ])
}
