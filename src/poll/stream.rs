//! The poller's stream: a state machine that saves, waits, polls and yields, with no task of
//! its own.

use std::{
    collections::VecDeque,
    fmt,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures_core::Stream;
use tokio::time::Instant;

use super::{
    Checkpoint, CheckpointError, CheckpointStore, Lease, Options, StartFrom, TriggerItem,
    sealed::Trigger,
};
use crate::{Client, Error};

/// One thing a poller yields.
///
/// ```
/// use qyvo::poll::{Checkpoint, PollEvent};
///
/// let event: PollEvent<u8> = PollEvent::Gap { since: Checkpoint::beginning() };
/// assert!(event.item().is_none());
/// assert_eq!(PollEvent::Item(7).item(), Some(&7));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PollEvent<T> {
    /// A new item; items come oldest first.
    Item(T),
    /// Continuity with the checkpoint was lost: a full page of new items came, so more may
    /// have arrived than one poll can see (and were missed; exactly one page of new items
    /// cannot be told from more, so this may be a false alarm), or nothing in the page could be
    /// compared with the checkpoint (and the items that follow may repeat earlier ones). The
    /// page's items follow.
    Gap {
        /// The checkpoint the poll started from.
        since: Checkpoint,
    },
    /// This replica took the lease of a store shared by replicas (see
    /// [`Lease`](super::Lease)): it polls from the checkpoint last saved, by whichever replica.
    LeaseAcquired {
        /// The lease's fencing token.
        fencing_token: u64,
    },
    /// Another replica holds the lease now: this one stands by and yields nothing until it
    /// takes the lease again. Items it yielded since its last save may be delivered again by
    /// the other replica.
    LeaseLost,
}

impl<T> PollEvent<T> {
    /// The item, for [`PollEvent::Item`].
    pub fn item(&self) -> Option<&T> {
        match self {
            Self::Item(item) => Some(item),
            _ => None,
        }
    }
}

/// A failed poll, as a poller's stream yields it.
#[derive(Debug)]
#[non_exhaustive]
pub enum PollError {
    /// The poll failed after the client's retries, but may work later: the stream polls again
    /// after `retry_in` and keeps going.
    Transient {
        /// Why the poll failed.
        source: Error,
        /// How long the poller waits before the next poll.
        retry_in: Duration,
    },
    /// The poll failed in a way waiting cannot fix (e.g. [`Error::Unauthenticated`]): the
    /// stream ends.
    Fatal {
        /// Why the poll failed.
        source: Error,
    },
    /// The checkpoint could not be loaded or saved: the stream ends.
    Checkpoint {
        /// The store's error.
        source: CheckpointError,
    },
    /// The checkpoint store cannot be reached now ([`CheckpointError::is_transient`]): the
    /// poller polls nothing, and tries the store again after `retry_in` (an unsaved
    /// checkpoint is kept and saved first).
    StoreUnavailable {
        /// The store's error.
        source: CheckpointError,
        /// How long the poller waits before it tries again.
        retry_in: Duration,
    },
}

impl PollError {
    /// Whether the stream ends after this error.
    ///
    /// ```
    /// use qyvo::poll::PollError;
    ///
    /// let e = PollError::Fatal { source: qyvo::Error::Unauthenticated };
    /// assert!(e.is_fatal());
    /// ```
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Self::Transient { .. } | Self::StoreUnavailable { .. })
    }
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transient { retry_in, .. } => write!(
                f,
                "polling failed, retrying in {:.1} s",
                retry_in.as_secs_f64()
            ),
            Self::Fatal { .. } => f.write_str("polling failed and stopped"),
            Self::Checkpoint { .. } => f.write_str("the checkpoint store failed, polling stopped"),
            Self::StoreUnavailable { retry_in, .. } => write!(
                f,
                "the checkpoint store is unavailable, retrying in {:.1} s",
                retry_in.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for PollError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transient { source, .. } | Self::Fatal { source } => Some(source),
            Self::Checkpoint { source } | Self::StoreUnavailable { source, .. } => Some(source),
        }
    }
}

/// The stream of a trigger poller: `Result<PollEvent<T>, PollError>` items, until dropped or
/// a fatal error.
///
/// Built by the [`QyvoClientExt`](crate::prelude::QyvoClientExt) `poll_*` methods; see the
/// [module documentation](crate::poll). Read it with `futures_util::StreamExt::next`.
///
/// ```no_run
/// use futures_util::StreamExt as _;
/// use qyvo::prelude::*;
///
/// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
/// let mut campaigns = client.poll_campaigns().send();
/// if let Some(event) = campaigns.next().await {
///     println!("{:?}", event?);
/// }
/// # Ok(())
/// # }
/// ```
pub struct PollStream<T> {
    inner: Pin<Box<dyn Stream<Item = Result<PollEvent<T>, PollError>> + Send>>,
}

impl<T> fmt::Debug for PollStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollStream").finish_non_exhaustive()
    }
}

impl<T> Stream for PollStream<T> {
    type Item = Result<PollEvent<T>, PollError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// `wait` ± `fraction`, with `unit` in `[0, 1)` picking the point.
fn jittered(wait: Duration, fraction: f64, unit: f64) -> Duration {
    let factor = 1.0 + fraction * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
    Duration::try_from_secs_f64(wait.as_secs_f64() * factor).unwrap_or(wait)
}

/// The wait after `failures` consecutive failed polls: `interval × 2^failures`, at most `max`.
fn backoff(interval: Duration, failures: u32, max: Duration) -> Duration {
    interval
        .checked_mul(2u32.saturating_pow(failures))
        .map_or(max, |wait| wait.min(max))
}

/// `now + wait`, saturating far in the future instead of overflowing.
fn deadline(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// A poller's state between two events.
struct State<T: Trigger, S> {
    client: Client,
    filter: Option<T::Filter>,
    options: Options<S>,
    loaded: bool,
    checkpoint: Option<Checkpoint>,
    unsaved: bool,
    /// The last save found the store unavailable: wait for `next_poll` before the next try.
    save_failed: bool,
    /// The fencing token of the lease this replica holds, with a store replicas share.
    fencing: Option<u64>,
    queue: VecDeque<PollEvent<T>>,
    next_poll: Option<Instant>,
    failures: u32,
    done: bool,
}

/// What [`step`] yields, with the state to go on from.
type Step<T, S> = Option<(Result<PollEvent<T>, PollError>, State<T, S>)>;

impl<T: TriggerItem, S: CheckpointStore> State<T, S> {
    /// Ends the stream after yielding `error`.
    fn fail(mut self, error: PollError) -> Step<T, S> {
        self.done = true;
        Some((Err(error), self))
    }

    /// Yields that the store is unavailable, and waits a growing backoff before trying again.
    fn unavailable(mut self, source: CheckpointError) -> Step<T, S> {
        let retry_in = self.back_off();
        self.next_poll = Some(deadline(retry_in));
        Some((Err(PollError::StoreUnavailable { source, retry_in }), self))
    }

    /// The wait after one more failure in a row: `interval × 2^failures`, at most
    /// `max_backoff`, with jitter.
    fn back_off(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let options = &self.options;
        jittered(
            backoff(options.interval, self.failures, options.max_backoff),
            options.jitter,
            fastrand::f64(),
        )
    }

    /// The next poll (or try for the lease) comes an interval from now.
    fn wait_interval(&mut self) {
        let wait = jittered(self.options.interval, self.options.jitter, fastrand::f64());
        self.next_poll = Some(deadline(wait));
    }

    /// Forgets the checkpoint: another replica holds the lease, and moves it. Answers whether
    /// this replica held the lease.
    fn stand_by(&mut self) -> bool {
        self.loaded = false;
        self.checkpoint = None;
        self.unsaved = false;
        self.save_failed = false;
        self.fencing.take().is_some()
    }

    /// Queues what a successful poll found.
    fn absorb(&mut self, page: Vec<T>) {
        let (events, next) = match (&self.checkpoint, self.options.start) {
            (Some(checkpoint), _) => checkpoint.plan(page),
            (None, StartFrom::Now) => {
                let mut next = Checkpoint::beginning();
                page.iter().rev().for_each(|item| next.advance(item));
                (Vec::new(), next)
            }
            (None, StartFrom::CurrentPage) => {
                let (mut events, next) = Checkpoint::beginning().plan(page);
                events.retain(|e| matches!(e, PollEvent::Item(_)));
                (events, next)
            }
        };
        self.unsaved |= self.checkpoint.is_none() || !events.is_empty();
        self.checkpoint = Some(next);
        self.queue.extend(events);
    }
}

/// One step of the stream: the next event, after saving, waiting, taking the lease and
/// polling as needed.
async fn step<T: TriggerItem, S: CheckpointStore>(mut state: State<T, S>) -> Step<T, S> {
    loop {
        if state.done {
            return None;
        }
        if let Some(event) = state.queue.pop_front() {
            return Some((Ok(event), state));
        }
        // The consumer came back after the last queued item: it is done with them.
        if state.unsaved
            && let Some(checkpoint) = &state.checkpoint
        {
            if state.save_failed
                && let Some(at) = state.next_poll
            {
                tokio::time::sleep_until(at).await;
            }
            match state.options.store.save(checkpoint).await {
                Ok(()) => {
                    state.unsaved = false;
                    state.save_failed = false;
                }
                Err(CheckpointError::LeaseLost) => {
                    state.stand_by();
                    state.wait_interval();
                    return Some((Ok(PollEvent::LeaseLost), state));
                }
                Err(source) if source.is_transient() => {
                    state.save_failed = true;
                    return state.unavailable(source);
                }
                Err(source) => return state.fail(PollError::Checkpoint { source }),
            }
        }
        if let Some(at) = state.next_poll {
            tokio::time::sleep_until(at).await;
        }
        match state.options.store.lease().await {
            Ok(Lease::Held { fencing_token }) if state.fencing != Some(fencing_token) => {
                // Taken (again): the checkpoint is where the last holder saved it.
                state.stand_by();
                state.fencing = Some(fencing_token);
                state.next_poll = None;
                return Some((Ok(PollEvent::LeaseAcquired { fencing_token }), state));
            }
            Ok(Lease::HeldElsewhere) => {
                let held = state.stand_by();
                state.wait_interval();
                if held {
                    return Some((Ok(PollEvent::LeaseLost), state));
                }
                continue;
            }
            Ok(_) => {}
            Err(source) if source.is_transient() => return state.unavailable(source),
            Err(source) => return state.fail(PollError::Checkpoint { source }),
        }
        if !state.loaded {
            match state.options.store.load().await {
                Ok(checkpoint) => state.checkpoint = checkpoint,
                Err(source) if source.is_transient() => return state.unavailable(source),
                Err(source) => return state.fail(PollError::Checkpoint { source }),
            }
            state.loaded = true;
        }
        match T::fetch(&state.client, state.filter.as_ref()).await {
            Ok(page) => {
                state.failures = 0;
                state.wait_interval();
                state.absorb(page);
            }
            Err(source) if !source.is_transient() => {
                return state.fail(PollError::Fatal { source });
            }
            Err(source) => {
                let wait = state.back_off();
                let retry_in = source.retry_after().map_or(wait, |after| wait.max(after));
                state.next_poll = Some(deadline(retry_in));
                return Some((Err(PollError::Transient { source, retry_in }), state));
            }
        }
    }
}

/// The stream of a poller of `T`'s trigger.
pub(super) fn start<T: TriggerItem, S: CheckpointStore>(
    client: Client,
    filter: Option<T::Filter>,
    options: Options<S>,
) -> PollStream<T> {
    let state = State {
        client,
        filter,
        options,
        loaded: false,
        checkpoint: None,
        unsaved: false,
        save_failed: false,
        fencing: None,
        queue: VecDeque::new(),
        next_poll: None,
        failures: 0,
        done: false,
    };
    PollStream {
        inner: Box::pin(futures_util::stream::unfold(state, step)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_fraction() {
        let base = Duration::from_secs(30);
        assert_eq!(jittered(base, 0.1, 0.0), Duration::from_secs(27));
        assert_eq!(jittered(base, 0.1, 0.5), base);
        assert!(jittered(base, 0.1, 0.999_999) <= Duration::from_secs(33));
        assert_eq!(jittered(base, 0.0, 0.9), base);
        assert_eq!(jittered(Duration::MAX, 1.0, 0.99), Duration::MAX);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let interval = Duration::from_secs(30);
        let waits: Vec<_> = (1..5)
            .map(|n| backoff(interval, n, crate::defaults::POLL_MAX_BACKOFF).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 300]);
        assert_eq!(
            backoff(interval, u32::MAX, crate::defaults::POLL_MAX_BACKOFF),
            crate::defaults::POLL_MAX_BACKOFF
        );
    }
}
