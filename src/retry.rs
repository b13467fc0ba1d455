//! Which requests are retried, when, and how long to wait: decided per operation.
//!
//! Qyvo's read-only lookups are `POST`s and a message sent twice reaches a person twice, so the
//! SDK does not decide by HTTP method. Every operation carries a [`RetryClass`] in the spec
//! (`x-qyvo-retry`; the build fails when one lacks it):
//!
//! - [`RetryClass::Safe`] (reads, dropdowns, triggers, upserts, tag changes, and
//!   trigger-sequence / trigger-flow, which answer `already_running` on a repeat) is retried on
//!   429, 502, 503, 504, connection failures and timeouts;
//! - [`RetryClass::Send`] (send-template-message, send-text-message) is retried **only** when the
//!   server certainly did not act: a 429, or a connection that failed before the request was
//!   written. A send that times out or loses its connection after the request went out ends in
//!   [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) and is never retried automatically.
//!
//! Waits use exponential backoff with full jitter (a random delay between zero and
//! `min(max_delay, base_delay × 2^retry)`), except that a `Retry-After` header (seconds or an
//! HTTP date) is honoured exactly, up to [`RetryPolicy::max_retry_after`]; a longer one returns
//! [`Error::RateLimited`](crate::Error::RateLimited) at once. A retry budget shared by all clones
//! of a client keeps a dead API from being hammered.
//!
//! The defaults ([`RetryPolicy::default`]): 2 retries, 0.5 s base delay, 8 s cap, 60 s
//! `Retry-After` cap. Set a policy per client with
//! [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy), or for the calls inside one
//! future with [`with_policy`].

use std::{
    future::Future,
    sync::Mutex,
    time::{Duration, SystemTime},
};

use reqwest::{StatusCode, header::HeaderMap};

use crate::generated::OPERATIONS;

/// How an operation may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Repeating the request is harmless: reads, upserts, idempotent tag changes, and triggers
    /// that answer `already_running` on a repeat.
    Safe,
    /// The request messages a person: it is repeated only when the server certainly did not act.
    Send,
}

/// One operation of the API, as the spec describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The operationId, e.g. `send_template_message`.
    pub id: &'static str,
    /// The HTTP method, e.g. `POST`.
    pub method: &'static str,
    /// The path under the base URL, e.g. `/actions/send-template-message`.
    pub path: &'static str,
    /// The retry class.
    pub retry: RetryClass,
}

/// Every operation of the API, sorted by id.
pub fn operations() -> &'static [Operation] {
    OPERATIONS
}

/// The operation with this operationId, if the API has one.
pub fn operation(id: &str) -> Option<&'static Operation> {
    // `build.rs` sorts the table by id.
    OPERATIONS
        .binary_search_by(|op| op.id.cmp(id))
        .ok()
        .map(|index| &OPERATIONS[index])
}

/// The operation a request URL path belongs to (the path may carry the base URL's prefix).
pub(crate) fn operation_for_path(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.method.eq_ignore_ascii_case(method) && path.ends_with(op.path))
}

/// The retry settings of a client or of a scope of calls.
///
/// ```
/// use std::time::Duration;
/// use qyvo::retry::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_retries(5)
///     .base_delay(Duration::from_secs(1));
/// assert_eq!(patient.retries(), 5);
/// assert_eq!(RetryPolicy::none().retries(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, 0.5 s base delay, 8 s cap, 60 s `Retry-After` cap.
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// Sets how many times a request may be repeated after the first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Whether another attempt may follow `retries_done` retries.
    pub(crate) fn allows_retry(&self, retries_done: u32) -> bool {
        retries_done < self.max_retries
    }

    /// Sets the base of the exponential backoff.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the longest backoff between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the longest `Retry-After` the SDK waits for; a longer one is returned as
    /// [`Error::RateLimited`](crate::Error::RateLimited) at once.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// How many retries this policy allows.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// The longest `Retry-After` this policy waits for.
    pub fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
    }

    /// The backoff ceiling before retry number `retry` (0-based): `min(max, base × 2^retry)`.
    fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry);
        self.base_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }
}

tokio::task_local! {
    static SCOPED_POLICY: RetryPolicy;
}

/// Runs `fut` with `policy` in place of the client's retry policy for every call it makes.
///
/// ```no_run
/// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
/// use qyvo::retry::{with_policy, RetryPolicy};
///
/// // No retries for this one lookup.
/// let me = with_policy(RetryPolicy::none(), client.me().send()).await?;
/// # let _ = me;
/// # Ok(())
/// # }
/// ```
pub async fn with_policy<F: Future>(policy: RetryPolicy, fut: F) -> F::Output {
    SCOPED_POLICY.scope(policy, fut).await
}

/// The policy in force: the scoped one if any, else the client's.
pub(crate) fn effective_policy(client_policy: RetryPolicy) -> RetryPolicy {
    SCOPED_POLICY.try_with(|p| *p).unwrap_or(client_policy)
}

/// What one attempt ended in, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The server answered with this status and, maybe, a `Retry-After`.
    Answered {
        /// The status.
        status: StatusCode,
        /// The parsed `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The connection failed before the request was written: the server did not act.
    NotSent,
    /// The request may have reached the server but no response came (timeout, dropped
    /// connection): the server may have acted.
    NoResponse,
}

impl Attempt {
    /// Whether the server answered with a 2xx status; [`decide`] never repeats such an attempt.
    pub fn is_success(self) -> bool {
        matches!(self, Attempt::Answered { status, .. } if status.is_success())
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then repeat the request.
    RetryAfter(Duration),
    /// Return this attempt's result to the caller.
    Stop,
}

/// Decides whether to retry after attempt number `retries_done + 1`.
///
/// A pure function: `jitter` in `[0, 1)` picks the point inside the backoff window (the client
/// passes a random number; tests pass fixed ones). A retry budget, checked by the caller, may
/// still veto a [`Decision::RetryAfter`].
///
/// ```
/// use std::time::Duration;
/// use qyvo::retry::{decide, Attempt, Decision, RetryClass, RetryPolicy};
/// use reqwest::StatusCode;
///
/// let policy = RetryPolicy::default();
/// let busy = Attempt::Answered { status: StatusCode::SERVICE_UNAVAILABLE, retry_after: None };
/// assert_eq!(decide(RetryClass::Safe, busy, 0, &policy, 0.5), Decision::RetryAfter(Duration::from_millis(250)));
/// // A send is repeated only when the server certainly did not act.
/// assert_eq!(decide(RetryClass::Send, busy, 0, &policy, 0.5), Decision::Stop);
/// assert_eq!(decide(RetryClass::Send, Attempt::NoResponse, 0, &policy, 0.5), Decision::Stop);
/// ```
pub fn decide(
    class: RetryClass,
    attempt: Attempt,
    retries_done: u32,
    policy: &RetryPolicy,
    jitter: f64,
) -> Decision {
    if !policy.allows_retry(retries_done) {
        return Decision::Stop;
    }
    let backoff = || {
        policy
            .backoff_ceiling(retries_done)
            .mul_f64(jitter.clamp(0.0, 1.0))
    };
    let retryable = match attempt {
        Attempt::Answered { status, .. } => match status.as_u16() {
            429 => true,
            502..=504 => class == RetryClass::Safe,
            _ => false,
        },
        Attempt::NotSent => true,
        Attempt::NoResponse => class == RetryClass::Safe,
    };
    if !retryable {
        return Decision::Stop;
    }
    match attempt {
        Attempt::Answered {
            retry_after: Some(wait),
            ..
        } if wait > policy.max_retry_after => Decision::Stop,
        Attempt::Answered {
            retry_after: Some(wait),
            ..
        } => Decision::RetryAfter(wait),
        _ => Decision::RetryAfter(backoff()),
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A token bucket that limits retries to a fraction of traffic, shared by a client's clones.
///
/// Every retry spends one token; every first attempt that succeeds earns a fifth of one, up to
/// ten. With no tokens left, failures are returned instead of retried, so a dead API sees at
/// most about one retry for every five successful requests once the initial ten are spent.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    tokens: Mutex<f64>,
}

impl RetryBudget {
    const MAX: f64 = 10.0;
    const EARN: f64 = 0.2;

    pub(crate) fn new() -> Self {
        Self {
            tokens: Mutex::new(Self::MAX),
        }
    }

    /// Takes a token for a retry; `false` when the budget is spent.
    pub(crate) fn try_spend(&self) -> bool {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Records a success.
    pub(crate) fn earn(&self) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        *tokens = (*tokens + Self::EARN).min(Self::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEND: RetryClass = RetryClass::Send;
    const SAFE: RetryClass = RetryClass::Safe;

    fn answered(code: u16, retry_after: Option<u64>) -> Attempt {
        Attempt::Answered {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn all_24_operations_are_classified() {
        assert_eq!(operations().len(), 24);
        let sends: Vec<_> = operations()
            .iter()
            .filter(|op| op.retry == RetryClass::Send)
            .map(|op| op.id)
            .collect();
        assert_eq!(sends, ["send_template_message", "send_text_message"]);
    }

    #[test]
    fn the_table_is_sorted_by_id() {
        assert!(operations().windows(2).all(|w| w[0].id < w[1].id));
        for op in operations() {
            assert_eq!(operation(op.id), Some(op));
        }
    }

    #[test]
    fn looks_operations_up_by_id_and_path() {
        let op = operation("get_contact").expect("get_contact exists");
        assert_eq!((op.method, op.path), ("POST", "/actions/get-contact"));
        assert!(operation("delete_contact").is_none());
        let by_path = operation_for_path("POST", "/api/v1/actions/send-text-message").unwrap();
        assert_eq!(by_path.id, "send_text_message");
        assert!(operation_for_path("GET", "/api/v1/actions/send-text-message").is_none());
    }

    #[test]
    fn the_decision_table() {
        let p = RetryPolicy::default();
        let half = |retry| Decision::RetryAfter(p.backoff_ceiling(retry).mul_f64(0.5));
        let cases = [
            (SAFE, answered(429, None), half(0)),
            (SEND, answered(429, None), half(0)),
            (
                SAFE,
                answered(429, Some(3)),
                Decision::RetryAfter(Duration::from_secs(3)),
            ),
            (
                SEND,
                answered(429, Some(3)),
                Decision::RetryAfter(Duration::from_secs(3)),
            ),
            (SAFE, answered(429, Some(61)), Decision::Stop),
            (SAFE, answered(500, None), Decision::Stop),
            (SAFE, answered(502, None), half(0)),
            (
                SAFE,
                answered(503, Some(1)),
                Decision::RetryAfter(Duration::from_secs(1)),
            ),
            (SAFE, answered(504, None), half(0)),
            (SEND, answered(502, None), Decision::Stop),
            (SEND, answered(503, None), Decision::Stop),
            (SEND, answered(500, None), Decision::Stop),
            (SAFE, answered(200, None), Decision::Stop),
            (SAFE, answered(404, None), Decision::Stop),
            (SAFE, answered(422, None), Decision::Stop),
            (SAFE, Attempt::NotSent, half(0)),
            (SEND, Attempt::NotSent, half(0)),
            (SAFE, Attempt::NoResponse, half(0)),
            (SEND, Attempt::NoResponse, Decision::Stop),
        ];
        for (class, attempt, expected) in cases {
            assert_eq!(
                decide(class, attempt, 0, &p, 0.5),
                expected,
                "{class:?} {attempt:?}"
            );
        }
    }

    #[test]
    fn a_success_is_never_repeated_so_the_client_need_not_ask() {
        let p = RetryPolicy::default();
        for status in [200, 201, 204, 299] {
            let attempt = answered(status, Some(1));
            assert!(attempt.is_success());
            for class in [SAFE, SEND] {
                assert_eq!(decide(class, attempt, 0, &p, 0.5), Decision::Stop);
            }
        }
        for attempt in [
            answered(199, None),
            answered(300, None),
            answered(429, None),
            Attempt::NotSent,
            Attempt::NoResponse,
        ] {
            assert!(!attempt.is_success(), "{attempt:?}");
        }
    }

    #[test]
    fn stops_after_the_last_retry() {
        let p = RetryPolicy::default();
        assert_ne!(decide(SAFE, Attempt::NotSent, 1, &p, 0.5), Decision::Stop);
        assert_eq!(decide(SAFE, Attempt::NotSent, 2, &p, 0.5), Decision::Stop);
        assert!(p.allows_retry(1) && !p.allows_retry(2));
        assert_eq!(
            decide(SAFE, Attempt::NotSent, 0, &RetryPolicy::none(), 0.5),
            Decision::Stop
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let p = RetryPolicy::default().max_retries(10);
        let ceilings: Vec<_> = (0..6).map(|r| p.backoff_ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(8));
        assert_eq!(
            decide(SAFE, Attempt::NotSent, 3, &p, 0.0),
            Decision::RetryAfter(Duration::ZERO)
        );
        assert_eq!(
            decide(SAFE, Attempt::NotSent, 3, &p, 0.999_999_9),
            Decision::RetryAfter(Duration::from_secs(4).mul_f64(0.999_999_9))
        );
    }

    #[test]
    fn parses_retry_after_in_both_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        assert_eq!(parse_retry_after(&headers, now), None);
        headers.insert("retry-after", "23".parse().unwrap());
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(23))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        headers.insert("retry-after", later.parse().unwrap());
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        headers.insert("retry-after", past.parse().unwrap());
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    #[test]
    fn the_budget_runs_out_and_refills_on_success() {
        let budget = RetryBudget::new();
        for _ in 0..10 {
            assert!(budget.try_spend());
        }
        assert!(!budget.try_spend());
        for _ in 0..5 {
            budget.earn();
        }
        assert!(budget.try_spend());
        assert!(!budget.try_spend());
    }

    #[tokio::test]
    async fn a_scoped_policy_overrides_the_client_one() {
        let client = RetryPolicy::default();
        assert_eq!(effective_policy(client), client);
        let scoped = with_policy(RetryPolicy::none(), async { effective_policy(client) }).await;
        assert_eq!(scoped, RetryPolicy::none());
    }
}
