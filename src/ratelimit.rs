//! The proactive rate limiter: keeps a client under Qyvo's quota so it does not see 429s.
//!
//! Qyvo allows 120 requests per token per rolling 60 s window. The limiter remembers when each
//! request of the current window was sent and makes a caller wait for a free slot before
//! sending. After every response it re-synchronises from `X-RateLimit-Limit` and
//! `X-RateLimit-Remaining`: a raised limit is adopted, and requests the server counted that this
//! process did not send (another process using the same token) take slots too. A 429's
//! `Retry-After` pauses every caller until it has passed.
//!
//! A request holds its slot until one window after its *response* arrived, not after it was
//! sent: the server counted it at some moment in between, so the slot is certainly free on the
//! server when the limiter frees it, however the request was delayed on the way. The cost is
//! one round trip per window (well under 1% of throughput on a 60 s window). The window is also
//! widened by 0.2% against clock granularity.
//!
//! One limiter serves all clones of a client and every client built with the same token and
//! base URL in the process.

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex, OnceLock, Weak},
    time::Duration,
};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// Qyvo's default quota: 120 requests.
pub const DEFAULT_LIMIT: u32 = 120;

/// Qyvo's default window: a rolling 60 seconds.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// `X-RateLimit-Limit`, parsed once.
pub(crate) const LIMIT_HEADER: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("x-ratelimit-limit");

/// `X-RateLimit-Remaining`, parsed once.
pub(crate) const REMAINING_HEADER: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("x-ratelimit-remaining");

/// What the server last said about the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Requests allowed per window (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left in the window when the response was sent (`X-RateLimit-Remaining`).
    pub remaining: u32,
}

#[derive(Debug)]
struct State {
    limit: u32,
    /// Slots of the current window, by the instant they free up. Every slot is pushed at
    /// `now + window`, so the queue stays sorted. A request's slot is replaced, when its
    /// answer arrives, by a later one: the old one stays in the queue, dead, so that permits
    /// can find their slot by sequence number.
    slots: VecDeque<Slot>,
    /// The sequence number of `slots[0]`.
    first_seq: u64,
    /// How many slots are live.
    live: usize,
    /// No request may start before this instant (a 429's `Retry-After`).
    paused_until: Option<Instant>,
    last: Option<RateLimitStatus>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    free_at: Instant,
    live: bool,
}

impl State {
    /// Drops the slots that are free at `now`.
    fn expire(&mut self, now: Instant) {
        while let Some(slot) = self.slots.front().copied()
            && slot.free_at <= now
        {
            self.slots.pop_front();
            self.first_seq += 1;
            if slot.live {
                self.live -= 1;
            }
        }
    }

    /// Takes a live slot freeing at `free_at` (never earlier than the last one); returns its
    /// sequence number.
    fn push(&mut self, free_at: Instant) -> u64 {
        self.slots.push_back(Slot {
            free_at,
            live: true,
        });
        self.live += 1;
        self.first_seq + self.slots.len() as u64 - 1
    }
}

/// A slot taken by one request; give it back with [`RateLimiter::release`].
#[derive(Debug)]
pub(crate) struct Permit(u64);

/// A rolling-window limiter shared by clients using one token.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    window: Duration,
    state: Mutex<State>,
}

impl RateLimiter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self {
            window: window + window / 500,
            state: Mutex::new(State {
                limit: limit.max(1),
                slots: VecDeque::new(),
                first_seq: 0,
                live: 0,
                paused_until: None,
                last: None,
            }),
        }
    }

    /// The limiter shared in this process by clients of the same token and base URL.
    pub(crate) fn shared(key: impl Hash, limit: u32, window: Duration) -> Arc<Self> {
        type Key = (u64, u32, Duration);
        static REGISTRY: OnceLock<Mutex<HashMap<Key, Weak<RateLimiter>>>> = OnceLock::new();
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let key = (hasher.finish(), limit, window);
        let mut registry = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        registry.retain(|_, limiter| limiter.strong_count() > 0);
        if let Some(limiter) = registry.get(&key).and_then(Weak::upgrade) {
            return limiter;
        }
        let limiter = Arc::new(Self::new(limit, window));
        registry.insert(key, Arc::downgrade(&limiter));
        limiter
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request may be sent, then takes a slot for it.
    ///
    /// When a 429's `Retry-After` pauses the limiter for longer than `max_pause`, returns the
    /// remaining pause at once instead of waiting.
    pub(crate) async fn acquire(&self, max_pause: Duration) -> Result<Permit, Duration> {
        loop {
            let wake_at = {
                let mut state = self.lock();
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now + max_pause => return Err(until - now),
                    Some(until) if until > now => until,
                    _ => {
                        state.paused_until = None;
                        state.expire(now);
                        if state.live < state.limit as usize {
                            return Ok(Permit(state.push(now + self.window)));
                        }
                        match state.slots.iter().find(|slot| slot.live) {
                            Some(slot) => slot.free_at,
                            None => now,
                        }
                    }
                }
            };
            tokio::time::sleep_until(wake_at).await;
        }
    }

    /// The request of `permit` got its answer (or failed): its slot frees one window from now.
    pub(crate) fn release(&self, permit: Permit) {
        let free_at = Instant::now() + self.window;
        let mut state = self.lock();
        let index = permit
            .0
            .checked_sub(state.first_seq)
            .and_then(|i| usize::try_from(i).ok());
        match index.and_then(|i| state.slots.get_mut(i)) {
            Some(slot) if slot.live => {
                slot.live = false;
                state.live -= 1;
            }
            // Already expired: the server may still count it, so take a slot again.
            _ => {}
        }
        state.push(free_at);
    }

    /// Learns from a response's headers.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        let number = |name: reqwest::header::HeaderName| {
            headers.get(name)?.to_str().ok()?.trim().parse::<u32>().ok()
        };
        let (Some(limit), Some(remaining)) = (number(LIMIT_HEADER), number(REMAINING_HEADER))
        else {
            return;
        };
        let mut state = self.lock();
        state.last = Some(RateLimitStatus { limit, remaining });
        state.limit = limit.max(1);
        let counted_by_server = limit.saturating_sub(remaining) as usize;
        let now = Instant::now();
        state.expire(now);
        while state.live < counted_by_server {
            state.push(now + self.window);
        }
    }

    /// Pauses every caller for `wait` (a 429's `Retry-After`).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut state = self.lock();
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
    }

    /// What the server last said.
    pub(crate) fn status(&self) -> Option<RateLimitStatus> {
        self.lock().last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(60);

    fn headers(limit: u32, remaining: u32) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", limit.into());
        h.insert("x-ratelimit-remaining", remaining.into());
        h
    }

    #[tokio::test(start_paused = true)]
    async fn admits_the_limit_then_waits_for_the_oldest_to_leave_the_window() {
        let limiter = RateLimiter::new(3, Duration::from_secs(10));
        let start = Instant::now();
        for _ in 0..3 {
            let _ = limiter.acquire(MAX).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(10_020));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rolling_window_frees_slots_one_by_one() {
        let limiter = RateLimiter::new(2, Duration::from_secs(100));
        let start = Instant::now();
        let _ = limiter.acquire(MAX).await.unwrap();
        tokio::time::advance(Duration::from_secs(50)).await;
        let _ = limiter.acquire(MAX).await.unwrap();
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(100_200));
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(150_200));
    }

    #[tokio::test(start_paused = true)]
    async fn syncs_from_headers_and_pauses_on_retry_after() {
        let limiter = RateLimiter::new(120, Duration::from_secs(60));
        assert_eq!(limiter.status(), None);
        // Another process already used 118 of a raised limit of 200.
        limiter.observe(&headers(200, 82));
        assert_eq!(
            limiter.status(),
            Some(RateLimitStatus {
                limit: 200,
                remaining: 82
            })
        );
        let start = Instant::now();
        for _ in 0..81 {
            let _ = limiter.acquire(MAX).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.pause_for(Duration::from_secs(7));
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(7));
        // A pause longer than the caller accepts is reported, not waited out.
        limiter.pause_for(Duration::from_secs(90));
        assert_eq!(
            limiter.acquire(MAX).await.unwrap_err(),
            Duration::from_secs(90)
        );
        assert_eq!(start.elapsed(), Duration::from_secs(7));
        // Malformed headers are ignored.
        let mut bad = headers(1, 0);
        bad.insert("x-ratelimit-limit", "many".parse().unwrap());
        limiter.observe(&bad);
        assert_eq!(limiter.status().unwrap().limit, 200);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_is_held_until_a_window_after_the_response() {
        let limiter = RateLimiter::new(1, Duration::from_secs(10));
        let start = Instant::now();
        let permit = limiter.acquire(MAX).await.unwrap();
        // The answer takes 3 s: the server may have counted the request at any moment of them.
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.release(permit);
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(13_020));
    }

    #[test]
    fn clients_of_one_token_share_a_limiter() {
        let window = Duration::from_secs(60);
        let a = RateLimiter::shared(("token-a", "https://x"), 120, window);
        let b = RateLimiter::shared(("token-a", "https://x"), 120, window);
        let c = RateLimiter::shared(("token-b", "https://x"), 120, window);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
