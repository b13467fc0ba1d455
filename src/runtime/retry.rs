//! Which failed calls are repeated, when, and how long to wait.
//!
//! One rule decides: a failed attempt is repeated when its [`Error`] says it is
//! [retryable](Error::is_retryable), i.e. repeating cannot act twice and may succeed. By
//! operation (see [`crate::catalog`]), that means:
//!
//! - a [`Safe`](crate::catalog::RetryClass::Safe) operation (reads, dropdowns, triggers, upserts,
//!   tag changes, and trigger-sequence / trigger-flow, which answer `already_running` on a
//!   repeat) is repeated on a 429, a 5xx, a failed connection and a timeout;
//! - a [`Send`](crate::catalog::RetryClass::Send) operation (send-template-message,
//!   send-text-message) **only** when the server certainly did not act: a 429, or a connection
//!   that failed before the request was written. A send that may have gone out ends in
//!   [`Error::OutcomeUnknown`] and is never repeated automatically.
//!
//! Waits use exponential backoff with full jitter (a random delay between zero and
//! `min(max_delay, base_delay × 2^retry)`), except that a `Retry-After` header (seconds or an
//! HTTP date) is honoured exactly, up to [`RetryPolicy::max_retry_after`]; a longer one returns
//! the error at once. A retry budget shared by all clones of a client keeps a dead API from
//! being hammered.
//!
//! The defaults ([`RetryPolicy::default`]) are in [`crate::defaults`]: 2 retries, 0.5 s base
//! delay, 8 s cap, 60 s `Retry-After` cap. Set a policy per client with
//! [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy), or for the calls inside
//! one future with [`with_policy`].

use std::{future::Future, sync::Mutex, time::Duration};

use crate::{Error, defaults};

/// The retry settings of a client or of a scope of calls.
///
/// ```
/// use std::time::Duration;
/// use qyvo::retry::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_base_delay(Duration::from_secs(1));
/// assert_eq!(patient.max_retries(), 5);
/// assert_eq!(patient.base_delay(), Duration::from_secs(1));
/// assert_eq!(RetryPolicy::none().max_retries(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// [`defaults::RETRIES`] retries, [`defaults::RETRY_BASE_DELAY`] base delay,
    /// [`defaults::RETRY_MAX_DELAY`] cap, [`defaults::MAX_RETRY_AFTER`] `Retry-After` cap.
    fn default() -> Self {
        Self {
            max_retries: defaults::RETRIES,
            base_delay: defaults::RETRY_BASE_DELAY,
            max_delay: defaults::RETRY_MAX_DELAY,
            max_retry_after: defaults::MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self::default().with_max_retries(0)
    }

    /// Sets how many times a request may be repeated after the first attempt.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the base of the exponential backoff.
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the longest backoff between two attempts.
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the longest `Retry-After` the SDK waits for; a longer one returns the error
    /// ([`Error::RateLimited`], say) at once.
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// How many times a request may be repeated after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The base of the exponential backoff.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest backoff between two attempts.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The longest `Retry-After` this policy waits for.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether another attempt may follow `retries_done` retries.
    pub(crate) fn allows_retry(&self, retries_done: u32) -> bool {
        retries_done < self.max_retries
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

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then repeat the request.
    RetryAfter(Duration),
    /// Return the error to the caller.
    Stop,
}

/// Decides whether to repeat a call after its attempt number `retries_done + 1` failed with
/// `error`.
///
/// A pure function: `jitter` in `[0, 1)` picks the point inside the backoff window (the client
/// passes a random number; tests pass fixed ones). A retry budget, checked by the caller, may
/// still veto a [`Decision::RetryAfter`].
///
/// ```
/// use std::time::Duration;
/// use qyvo::retry::{decide, Decision, RetryPolicy};
///
/// let policy = RetryPolicy::default();
/// let busy = qyvo::Error::Server { status: 503, message: None, retry_after: None };
/// assert_eq!(decide(&busy, 0, &policy, 0.5), Decision::RetryAfter(Duration::from_millis(250)));
/// // A send that may have gone out is never repeated.
/// let maybe_sent = qyvo::Error::OutcomeUnknown { operation: "send_text_message", cause: Box::new(busy) };
/// assert_eq!(decide(&maybe_sent, 0, &policy, 0.5), Decision::Stop);
/// ```
pub fn decide(error: &Error, retries_done: u32, policy: &RetryPolicy, jitter: f64) -> Decision {
    if !policy.allows_retry(retries_done) || !error.is_retryable() {
        return Decision::Stop;
    }
    match error.retry_after() {
        Some(wait) if wait > policy.max_retry_after => Decision::Stop,
        Some(wait) => Decision::RetryAfter(wait),
        None => Decision::RetryAfter(
            policy
                .backoff_ceiling(retries_done)
                .mul_f64(jitter.clamp(0.0, 1.0)),
        ),
    }
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

    fn server(status: u16, retry_after: Option<u64>) -> Error {
        Error::Server {
            status,
            message: None,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn limited(retry_after: Option<u64>) -> Error {
        Error::RateLimited {
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn the_decision_follows_the_errors_answers() {
        let p = RetryPolicy::default();
        let half = Decision::RetryAfter(p.backoff_ceiling(0).mul_f64(0.5));
        let after = |secs| Decision::RetryAfter(Duration::from_secs(secs));
        let unknown = Error::OutcomeUnknown {
            operation: "send_text_message",
            cause: Box::new(server(503, None)),
        };
        let cases = [
            (limited(None), half),
            (limited(Some(3)), after(3)),
            (limited(Some(61)), Decision::Stop),
            (server(500, None), half),
            (server(503, Some(1)), after(1)),
            (unknown, Decision::Stop),
            (Error::Unauthenticated, Decision::Stop),
            (Error::UnexpectedStatus { status: 200 }, Decision::Stop),
            (
                Error::Rejected {
                    status: 409,
                    message: None,
                },
                Decision::Stop,
            ),
            (Error::invalid_request("x"), Decision::Stop),
        ];
        for (error, expected) in cases {
            assert_eq!(decide(&error, 0, &p, 0.5), expected, "{error:?}");
            let retryable = expected != Decision::Stop;
            if retryable {
                assert!(error.is_retryable(), "{error:?}");
            }
        }
    }

    #[test]
    fn stops_after_the_last_retry() {
        let p = RetryPolicy::default();
        assert_ne!(decide(&limited(None), 1, &p, 0.5), Decision::Stop);
        assert_eq!(decide(&limited(None), 2, &p, 0.5), Decision::Stop);
        assert!(p.allows_retry(1) && !p.allows_retry(2));
        assert_eq!(
            decide(&limited(None), 0, &RetryPolicy::none(), 0.5),
            Decision::Stop
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let p = RetryPolicy::default().with_max_retries(10);
        let ceilings: Vec<_> = (0..6).map(|r| p.backoff_ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(8));
        assert_eq!(
            decide(&limited(None), 3, &p, 0.0),
            Decision::RetryAfter(Duration::ZERO)
        );
        assert_eq!(
            decide(&limited(None), 3, &p, 0.999_999_9),
            Decision::RetryAfter(Duration::from_secs(4).mul_f64(0.999_999_9))
        );
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
