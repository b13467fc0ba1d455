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
//! # Where the count is kept
//!
//! [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter) chooses the [`Backend`]:
//!
//! - [`Backend::InProcess`] (the default): one limiter serves all clones of a client and every
//!   client built with the same token and base URL in the process. Processes that share a token
//!   only see each other through the quota headers, after the fact.
//! - `Backend::Redis` (the `redis` feature, `RedisRateLimiter`): the same window, kept in
//!   Redis and shared by every process using the token, on any machine.

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex, OnceLock, Weak},
    time::Duration,
};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::RedisRateLimiter;

/// The most requests a quota answer can make the limiter count as taken, whatever the server
/// says (`X-RateLimit-Limit` is a `u32`; a window is never that busy).
const MAX_COUNTED: u32 = 10_000;

/// `X-RateLimit-Limit`, parsed once.
pub(crate) const LIMIT_HEADER: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("x-ratelimit-limit");

/// `X-RateLimit-Remaining`, parsed once.
pub(crate) const REMAINING_HEADER: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("x-ratelimit-remaining");

/// `X-RateLimit-Limit` and `X-RateLimit-Remaining`, when both are there and are numbers.
///
/// One pass over the handful of headers a response has costs less than two hashed lookups;
/// the first value of each header counts, as with `HeaderMap::get`.
fn quota(headers: &HeaderMap) -> Option<RateLimitStatus> {
    let (mut limit, mut remaining) = (None, None);
    for (name, value) in headers {
        let number = if name == LIMIT_HEADER {
            &mut limit
        } else if name == REMAINING_HEADER {
            &mut remaining
        } else {
            continue;
        };
        if number.is_none() {
            *number = Some(digits(value.as_bytes()));
            if limit.is_some() && remaining.is_some() {
                break;
            }
        }
    }
    Some(RateLimitStatus {
        limit: limit??,
        remaining: remaining??,
    })
}

/// A header's decimal number (surrounding blanks allowed); `None` for anything else or
/// beyond `u32`. Reads the bytes in place: no UTF-8 pass first.
fn digits(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, &b| {
        n.checked_mul(10)?.checked_add(char::from(b).to_digit(10)?)
    })
}

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
    /// `now + window`, so the queue stays sorted. When a request's answer arrives its slot
    /// moves to a window after it: the newest slot is moved in place; any other is left in
    /// the queue, dead (so that permits can find their slot by sequence number), and a new
    /// one is pushed.
    slots: VecDeque<Slot>,
    /// The sequence number of `slots[0]`.
    first_seq: u64,
    /// How many slots are live.
    live: usize,
    /// When the live slots that expired in the last window freed up, oldest first: a request
    /// answered after one of them freed may have been counted with it by the server.
    freed: VecDeque<Instant>,
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
    /// Drops the slots that are free at `now`, remembering for a `window` when the live ones
    /// freed up.
    fn expire(&mut self, now: Instant, window: Duration) {
        while let Some(slot) = self.slots.front().copied()
            && slot.free_at <= now
        {
            self.slots.pop_front();
            self.first_seq += 1;
            if slot.live {
                self.live -= 1;
                self.freed.push_back(slot.free_at);
            }
        }
        if let Some(horizon) = now.checked_sub(window) {
            while self.freed.front().is_some_and(|&at| at <= horizon) {
                self.freed.pop_front();
            }
        }
    }

    /// The slots held at `instant` or taken since: live ones and those freed after it.
    fn held_since(&self, instant: Instant) -> usize {
        self.live + self.freed.iter().filter(|&&at| at > instant).count()
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

/// Whether a request may be sent now: [`RateLimiter::admit`]'s answer.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Yes, in this slot.
    Now(Permit),
    /// Not before this instant; ask again then.
    WaitUntil(Instant),
    /// A 429's pause outlasts the caller's patience: this much of it is left.
    Refused(Duration),
}

/// A slot taken by one request; give it back with [`RateLimiter::release`].
#[derive(Debug)]
pub(crate) struct Permit {
    /// The slot's sequence number.
    seq: u64,
    /// When the request was admitted.
    admitted: Instant,
}

/// A rolling-window limiter shared by clients using one token.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    window: Duration,
    /// The fraction of the server's limit this limiter allows: 1, but for the fallback of a
    /// shared limiter.
    share: f64,
    state: Mutex<State>,
}

/// `share` of `limit`, at least 1.
fn scaled(limit: u32, share: f64) -> u32 {
    // Saturating float-to-int conversion; `share` is within (0, 1].
    ((f64::from(limit) * share) as u32).max(1)
}

/// The window a limiter keeps, in process or on Redis: the server's, widened by 0.2% against
/// clock granularity.
fn widened(window: Duration) -> Duration {
    window + window / 500
}

impl RateLimiter {
    #[cfg(test)]
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self::with_share(limit, window, 1.0)
    }

    /// A limiter that allows only `share` (within (0, 1]) of the limit it starts from and of
    /// any limit the server announces.
    pub(crate) fn with_share(limit: u32, window: Duration, share: f64) -> Self {
        Self {
            window: widened(window),
            share,
            state: Mutex::new(State {
                limit: scaled(limit, share),
                slots: VecDeque::new(),
                first_seq: 0,
                live: 0,
                freed: VecDeque::new(),
                paused_until: None,
                last: None,
            }),
        }
    }

    /// The limiter shared in this process by clients of the same token and base URL.
    pub(crate) fn shared(key: impl Hash, limit: u32, window: Duration) -> Arc<Self> {
        Self::shared_with_share(key, limit, window, 1.0)
    }

    /// [`shared`](Self::shared), for limiters allowing `share` of the limit.
    pub(crate) fn shared_with_share(
        key: impl Hash,
        limit: u32,
        window: Duration,
        share: f64,
    ) -> Arc<Self> {
        type Key = (u64, u32, Duration, u64);
        static REGISTRY: OnceLock<Mutex<HashMap<Key, Weak<RateLimiter>>>> = OnceLock::new();
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let key = (hasher.finish(), limit, window, share.to_bits());
        let mut registry = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        registry.retain(|_, limiter| limiter.strong_count() > 0);
        if let Some(limiter) = registry.get(&key).and_then(Weak::upgrade) {
            return limiter;
        }
        let limiter = Arc::new(Self::with_share(limit, window, share));
        registry.insert(key, Arc::downgrade(&limiter));
        limiter
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a slot if a request may be sent now; otherwise says until when to wait.
    ///
    /// When a 429's `Retry-After` pauses the limiter for longer than `max_pause`, the answer
    /// is [`Admission::Refused`] with the remaining pause.
    pub(crate) fn admit(&self, max_pause: Duration) -> Admission {
        let mut state = self.lock();
        let now = Instant::now();
        match state.paused_until {
            Some(until) if until > now + max_pause => Admission::Refused(until - now),
            Some(until) if until > now => Admission::WaitUntil(until),
            _ => {
                state.paused_until = None;
                state.expire(now, self.window);
                if state.live < state.limit as usize {
                    return Admission::Now(Permit {
                        seq: state.push(now + self.window),
                        admitted: now,
                    });
                }
                Admission::WaitUntil(match state.slots.iter().find(|slot| slot.live) {
                    Some(slot) => slot.free_at,
                    None => now,
                })
            }
        }
    }

    /// Waits until a request may be sent, then takes a slot for it.
    ///
    /// Returns the remaining pause at once, instead of waiting, when [`admit`](Self::admit)
    /// refuses.
    pub(crate) async fn acquire(&self, max_pause: Duration) -> Result<Permit, Duration> {
        loop {
            match self.admit(max_pause) {
                Admission::Now(permit) => return Ok(permit),
                Admission::Refused(pause) => return Err(pause),
                Admission::WaitUntil(wake_at) => tokio::time::sleep_until(wake_at).await,
            }
        }
    }

    /// The request of `permit` ended: its slot frees one window from now, and the quota its
    /// answer announced, if one came, re-synchronises the limiter.
    pub(crate) fn release(&self, permit: Permit, quota: Option<RateLimitStatus>) {
        let now = Instant::now();
        let free_at = now + self.window;
        let mut state = self.lock();
        let index = permit
            .seq
            .checked_sub(state.first_seq)
            .and_then(|i| usize::try_from(i).ok());
        let newest = state.slots.len().checked_sub(1);
        match index.and_then(|i| Some((i, state.slots.get_mut(i)?))) {
            // The newest slot (one request at a time): moving its end later keeps the queue
            // sorted, so it is reused instead of leaving a dead slot behind.
            Some((i, slot)) if slot.live && Some(i) == newest => slot.free_at = free_at,
            found => {
                if let Some((_, slot)) = found
                    && slot.live
                {
                    slot.live = false;
                    state.live -= 1;
                }
                // A slot that already expired is taken again: the server may still count it.
                state.push(free_at);
            }
        }
        if let Some(quota) = quota {
            self.resync(&mut state, quota, permit.admitted, now);
        }
    }

    /// Re-synchronises from a quota the server announced for a request this limiter did not
    /// admit (a shared limiter's, kept warm as its fallback).
    #[cfg(feature = "redis")]
    pub(crate) fn observe(&self, quota: RateLimitStatus) {
        let now = Instant::now();
        let mut state = self.lock();
        self.resync(&mut state, quota, now, now);
    }

    /// Adopts the server's limit (scaled by the share) and takes a slot for every request the
    /// server counted that the limiter did not hold.
    ///
    /// The server counted at some moment after the request was `admitted`, so every slot held
    /// then counts as one of them, freed since or not (as the Redis limiter counts).
    fn resync(&self, state: &mut State, quota: RateLimitStatus, admitted: Instant, now: Instant) {
        state.last = Some(quota);
        state.limit = scaled(quota.limit, self.share);
        let counted_by_server =
            quota.limit.saturating_sub(quota.remaining).min(MAX_COUNTED) as usize;
        state.expire(now, self.window);
        for _ in state.held_since(admitted)..counted_by_server {
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

/// Where the proactive rate limiter keeps its count; chosen with
/// [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter).
///
/// The quota it starts from is [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)'s
/// either way, and either way it adopts the server's `X-RateLimit-*` headers.
///
/// ```
/// use qyvo::ratelimit::Backend;
///
/// # fn main() -> Result<(), qyvo::ConfigError> {
/// let client = qyvo::ClientBuilder::new("my-token")
///     .rate_limiter(Backend::InProcess)
///     .build()?;
/// # drop(client);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Backend {
    /// In this process, shared by every client of the same token and base URL in it (the
    /// default).
    #[default]
    InProcess,
    /// In Redis, shared by every process using the token (the `redis` feature).
    #[cfg(feature = "redis")]
    Redis(RedisRateLimiter),
}

#[cfg(feature = "redis")]
impl From<RedisRateLimiter> for Backend {
    fn from(limiter: RedisRateLimiter) -> Self {
        Self::Redis(limiter)
    }
}

/// The limiter of one client: a [`Backend`] made real.
#[derive(Debug)]
pub(crate) enum Limiter {
    Local(Arc<RateLimiter>),
    #[cfg(feature = "redis")]
    Redis(Arc<redis::Shared>),
}

/// A slot taken by one request, from whichever limiter admitted it.
#[derive(Debug)]
pub(crate) enum Ticket {
    Local(Permit),
    #[cfg(feature = "redis")]
    Redis(redis::Ticket),
}

impl Limiter {
    /// The limiter for a client of `token` on `base_url`, starting from `limit` per `window`.
    pub(crate) fn new(
        backend: &Backend,
        token: &str,
        base_url: &str,
        limit: u32,
        window: Duration,
    ) -> Self {
        match backend {
            Backend::InProcess => {
                Self::Local(RateLimiter::shared((token, base_url), limit, window))
            }
            #[cfg(feature = "redis")]
            Backend::Redis(config) => Self::Redis(Arc::new(redis::Shared::new(
                config, token, base_url, limit, window,
            ))),
        }
    }

    /// Admission decided without waiting, when it can be: the in-process limiter's fast path.
    /// `None` means "call [`acquire`](Self::acquire)".
    pub(crate) fn try_admit(&self, max_pause: Duration) -> Option<Result<Ticket, Duration>> {
        match self {
            Self::Local(limiter) => match limiter.admit(max_pause) {
                Admission::Now(permit) => Some(Ok(Ticket::Local(permit))),
                Admission::Refused(pause) => Some(Err(pause)),
                Admission::WaitUntil(_) => None,
            },
            #[cfg(feature = "redis")]
            Self::Redis(_) => None,
        }
    }

    /// Waits until a request may be sent, then takes a slot for it; the remaining pause
    /// instead when a 429's pause outlasts `max_pause`.
    pub(crate) async fn acquire(&self, max_pause: Duration) -> Result<Ticket, Duration> {
        match self {
            Self::Local(limiter) => limiter.acquire(max_pause).await.map(Ticket::Local),
            #[cfg(feature = "redis")]
            Self::Redis(limiter) => limiter.acquire(max_pause).await.map(Ticket::Redis),
        }
    }

    /// The request of `ticket` ended, with this answer if one came.
    pub(crate) async fn release(&self, ticket: Ticket, answer: Option<&HeaderMap>) {
        let quota = answer.and_then(quota);
        match (self, ticket) {
            (Self::Local(limiter), Ticket::Local(permit)) => limiter.release(permit, quota),
            #[cfg(feature = "redis")]
            (Self::Redis(limiter), Ticket::Redis(ticket)) => {
                Box::pin(limiter.release(ticket, quota)).await;
            }
            // A ticket always comes back to the limiter that issued it.
            #[cfg(feature = "redis")]
            _ => {}
        }
    }

    /// Pauses every caller for `wait` (a 429's `Retry-After`).
    pub(crate) async fn pause_for(&self, wait: Duration) {
        match self {
            Self::Local(limiter) => limiter.pause_for(wait),
            #[cfg(feature = "redis")]
            Self::Redis(limiter) => Box::pin(limiter.pause_for(wait)).await,
        }
    }

    /// What the server last said to this process.
    pub(crate) fn status(&self) -> Option<RateLimitStatus> {
        match self {
            Self::Local(limiter) => limiter.status(),
            #[cfg(feature = "redis")]
            Self::Redis(limiter) => limiter.status(),
        }
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
        // Another process already used 117 of a raised limit of 200; ours is the 118th.
        let permit = limiter.acquire(MAX).await.unwrap();
        limiter.release(permit, quota(&headers(200, 82)));
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
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_that_freed_while_a_request_was_under_way_counts_as_held() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let first = limiter.acquire(MAX).await.unwrap();
        limiter.release(first, quota(&headers(3, 2)));
        tokio::time::advance(Duration::from_secs(60)).await;
        let second = limiter.acquire(MAX).await.unwrap();
        // The first slot frees while the second request is under way; the server still
        // counts both when it answers.
        tokio::time::advance(Duration::from_millis(500)).await;
        limiter.release(second, quota(&headers(3, 1)));
        // One of the three is held (the second's): two may go at once, no spare slot.
        let start = Instant::now();
        for _ in 0..2 {
            let _ = limiter.acquire(MAX).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        let _ = limiter.acquire(MAX).await.unwrap();
        assert!(
            start.elapsed() > Duration::from_secs(59),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn overlapping_requests_each_hold_a_slot_until_a_window_after_their_answer() {
        let limiter = RateLimiter::new(2, Duration::from_secs(10));
        let start = Instant::now();
        let first = limiter.acquire(MAX).await.unwrap();
        let second = limiter.acquire(MAX).await.unwrap();
        // The answers come back in reverse order: the second request's slot is the newest
        // and moves; the first's is not, so it dies and a new one is taken.
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.release(second, None);
        tokio::time::advance(Duration::from_secs(1)).await;
        limiter.release(first, None);
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(13_020));
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(14_020));
    }

    #[test]
    fn reads_the_quota_only_from_two_numbers() {
        let status = |limit, remaining| Some(RateLimitStatus { limit, remaining });
        assert_eq!(quota(&headers(120, 7)), status(120, 7));
        let mut spaced = HeaderMap::new();
        spaced.insert("x-ratelimit-limit", " 120 ".parse().unwrap());
        spaced.insert("x-ratelimit-remaining", "0".parse().unwrap());
        assert_eq!(quota(&spaced), status(120, 0));
        // The first value counts, as with `HeaderMap::get`.
        let mut repeated = headers(120, 7);
        repeated.append("x-ratelimit-remaining", "9".parse().unwrap());
        assert_eq!(quota(&repeated), status(120, 7));
        let mut bad = headers(1, 0);
        bad.insert("x-ratelimit-limit", "many".parse().unwrap());
        assert_eq!(quota(&bad), None);
        for (text, number) in [
            ("0", Some(0)),
            ("000", Some(0)),
            ("4294967295", Some(u32::MAX)),
            ("000004294967295", Some(u32::MAX)),
            ("\t42 ", Some(42)),
        ] {
            assert_eq!(digits(text.as_bytes()), number, "{text:?}");
        }
        for text in [
            "",
            " ",
            "4294967296",
            "99999999999",
            "-1",
            "+1",
            "1e3",
            "١٢",
            "12 3",
        ] {
            assert_eq!(digits(text.as_bytes()), None, "{text:?}");
        }
        let mut half = HeaderMap::new();
        half.insert("x-ratelimit-limit", 120.into());
        assert_eq!(quota(&half), None);
        assert_eq!(quota(&HeaderMap::new()), None);
    }

    proptest::proptest! {
        #[test]
        fn digits_reads_what_parse_reads(text in "[ \t]{0,2}0{0,6}[0-9]{0,12}[ \t]{0,2}") {
            proptest::prop_assert_eq!(digits(text.as_bytes()), text.trim_ascii().parse::<u32>().ok());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_request_frees_its_slot_without_touching_the_quota() {
        let limiter = RateLimiter::new(1, Duration::from_secs(10));
        let permit = limiter.acquire(MAX).await.unwrap();
        limiter.release(permit, None);
        assert_eq!(limiter.status(), None);
        let start = Instant::now();
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(10_020));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_is_held_until_a_window_after_the_response() {
        let limiter = RateLimiter::new(1, Duration::from_secs(10));
        let start = Instant::now();
        let permit = limiter.acquire(MAX).await.unwrap();
        // The answer takes 3 s: the server may have counted the request at any moment of them.
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.release(permit, None);
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(13_020));
    }

    #[tokio::test(start_paused = true)]
    async fn a_share_scales_the_starting_limit_and_the_servers() {
        let limiter = RateLimiter::with_share(120, Duration::from_secs(10), 0.25);
        let start = Instant::now();
        let mut last = None;
        for _ in 0..30 {
            last = Some(limiter.acquire(MAX).await.unwrap());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        // The server raises the limit to 400 and counted only these 30: a quarter is 100.
        limiter.release(last.unwrap(), quota(&headers(400, 370)));
        for _ in 0..70 {
            let _ = limiter.acquire(MAX).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        let _ = limiter.acquire(MAX).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(10_020));
        // However small the share, a request per window goes out.
        assert_eq!(scaled(3, 0.0), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quota_answer_takes_a_bounded_number_of_slots() {
        let limiter = RateLimiter::new(120, Duration::from_secs(10));
        let permit = limiter.acquire(MAX).await.unwrap();
        limiter.release(permit, quota(&headers(u32::MAX, 0)));
        assert_eq!(limiter.lock().live, MAX_COUNTED as usize);
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
