//! Trigger pollers: a [`Stream`](futures_core::Stream) of the new items of each of Qyvo's four triggers.
//!
//! Qyvo has no webhooks for integrations to subscribe to programmatically; its triggers
//! (`new_message_received`, `new_campaign_sent`, `new_flow_triggered`,
//! `new_sequence_triggered`) each answer the 100 most recent records, newest first. A poller
//! calls one of them every [`Poll::interval`] (30 s by default, Qyvo's guidance, ±10 %
//! jitter) and yields what is new, **oldest first**, as [`PollEvent::Item`]s. Start one with the
//! [`QyvoClientExt`](crate::prelude::QyvoClientExt) methods `poll_messages`, `poll_campaigns`,
//! `poll_flow_sessions` and `poll_sequence_sessions`, which return a [`Poll`] builder;
//! `.send()` starts it.
//!
//! ```no_run
//! use futures_util::StreamExt as _;
//! use qyvo::poll::{FileCheckpointStore, PollEvent};
//! use qyvo::prelude::*;
//!
//! # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let mut inbox = client
//!     .poll_messages()
//!     .store(FileCheckpointStore::new("inbox.checkpoint.json"))
//!     .send();
//! while let Some(event) = inbox.next().await {
//!     match event {
//!         Ok(PollEvent::Item(message)) => println!("{} says {:?}", message.id, message.content),
//!         Ok(PollEvent::Gap { since }) => eprintln!("more arrived than one poll can see since {since}"),
//!         Ok(_) => {}
//!         Err(e) if e.is_fatal() => return Err(e.into()),
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What counts as new
//!
//! The poller keeps a [`Checkpoint`]: the id and `created_at` of the newest item delivered,
//! plus the ids of every delivered item sharing that `created_at` (Qyvo stamps whole seconds,
//! so many items can share one). An item of a page is new when its `created_at` is later than
//! the checkpoint's, or equal to it and its id was not delivered yet. This finds the same items
//! as walking the newest-first page down to the checkpoint's id, but stays right when the
//! checkpoint's record was deleted and whatever order the server gives items of equal
//! `created_at`. Items without a `created_at` (the spec allows it for campaigns and sequence
//! sessions) fall back to that walk.
//!
//! A page holds at most [`PAGE_SIZE`] items. When a full page is entirely new, more may have
//! arrived since the last poll than one poll can see: the poller yields [`PollEvent::Gap`]
//! before the page's items instead of losing the others silently. Exactly [`PAGE_SIZE`] new
//! items look the same as more (the checkpoint's item is just off the page), so a gap is a
//! warning that items *may* be missing, never a false all-clear. It does the same when it
//! cannot tell what is new at all (no `created_at` to compare and the checkpoint's id gone):
//! the items that follow may then repeat ones delivered before.
//!
//! # First poll
//!
//! With no checkpoint stored, [`StartFrom::Now`] (the default) delivers nothing on the first
//! poll: it remembers the newest item and delivers what arrives after it.
//! [`StartFrom::CurrentPage`] delivers the current page first (without a gap, although older
//! items may exist).
//!
//! # Delivery guarantee: at least once
//!
//! The checkpoint covering a poll's items is saved when the consumer asks for the event after
//! the last of them, i.e. once it is done with them, and before the poller waits for the next
//! poll. A consumer that crashes, or drops the stream, in between gets those items again from
//! the next poller loaded from the same [`CheckpointStore`]: every item is delivered **at least
//! once**, and exactly once when nothing crashes. Make handlers idempotent on the item's id
//! where a repeat matters. A memory or file store must be used by one poller at a time.
//!
//! # Several replicas: leases
//!
//! A store that replicas share (`PgCheckpointStore`, the `postgres` feature) hands a
//! [`Lease`] to one replica at a time: that one polls and saves; the others stand by, poll
//! nothing and ask for the lease every [`Poll::interval`]. When the holder stops renewing (it
//! died, or its consumer kept it away longer than the lease's TTL) another takes over from the
//! last saved checkpoint and yields [`PollEvent::LeaseAcquired`]. Each lease has a fencing
//! token, and the store refuses the save of a replica whose lease was taken since: that
//! replica yields [`PollEvent::LeaseLost`] and stands by. So across replicas each item is
//! delivered by one replica, and at least once: the items a holder delivered after its last
//! save, when it dies or loses the lease, are delivered again by the next.
//!
//! # Errors and cancellation
//!
//! Every call goes through the client's retries and rate limiter first. When a poll still
//! fails with an error that [is transient](Error::is_transient) (5xx, transport failure,
//! timeout, 429, undecodable body), the stream yields [`PollError::Transient`] and polls again
//! after an exponential backoff
//! (`interval × 2^failures`, at most [`Poll::max_backoff`], at least the server's
//! `Retry-After`); no item is lost, since the checkpoint did not move. Any other error
//! ([`Error::Unauthenticated`], a rejected filter, a failing checkpoint store) is yielded as a
//! fatal [`PollError`] and ends the stream, except a store that cannot be reached for now
//! ([`CheckpointError::is_transient`]): the stream yields [`PollError::StoreUnavailable`],
//! polls nothing, and tries the store again after the same backoff.
//!
//! The stream is a plain state machine polled by its consumer: no task is spawned, so dropping
//! it stops polling at once. Waits use `tokio::time`, so tests can run it on a paused clock.

mod checkpoint;
#[cfg(feature = "postgres")]
mod postgres;
mod store;
mod stream;

use std::{fmt, future::Future, time::Duration};

use chrono::{DateTime, Utc};

pub use checkpoint::Checkpoint;
#[cfg(feature = "postgres")]
pub use postgres::PgCheckpointStore;
pub use store::{
    CheckpointError, CheckpointStore, FileCheckpointStore, Lease, MemoryCheckpointStore,
};
pub use stream::{PollError, PollEvent, PollStream};

use crate::{Client, Error, defaults, types};

/// How many items a trigger answers at most: the 100 most recent.
pub const PAGE_SIZE: usize = 100;

mod sealed {
    use std::future::Future;

    use crate::{Client, Error};

    /// How a trigger item is fetched, and what its trigger can be filtered by.
    pub trait Trigger: Sized {
        /// The trigger's filter (`()` when it has none).
        type Filter: Clone + Send + Sync + 'static;

        /// One page of the trigger, newest first.
        fn fetch<'a>(
            client: &'a Client,
            filter: Option<&'a Self::Filter>,
        ) -> impl Future<Output = Result<Vec<Self>, Error>> + Send + 'a;
    }
}

/// An item a trigger answers: it has an id and, usually, a creation time.
///
/// Sealed: implemented by [`types::InboundMessage`], [`types::Campaign`],
/// [`types::FlowSession`] and [`types::SequenceSession`]. Useful to write one handler for
/// several pollers.
///
/// ```
/// use qyvo::poll::TriggerItem;
///
/// fn describe<T: TriggerItem>(item: &T) -> String {
///     match item.created_at() {
///         Some(at) => format!("{} at {at}", item.id()),
///         None => item.id().to_owned(),
///     }
/// }
///
/// let campaign: qyvo::types::Campaign =
///     qyvo::types::Campaign::builder().id("01J0CP7Q4W5M3N8C2ZP6TKV9RA").try_into()?;
/// assert_eq!(describe(&campaign), "01J0CP7Q4W5M3N8C2ZP6TKV9RA");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait TriggerItem: sealed::Trigger + Send + 'static {
    /// The record's id.
    fn id(&self) -> &str;
    /// When the record was created, when the server said.
    fn created_at(&self) -> Option<DateTime<Utc>>;
}

impl TriggerItem for types::InboundMessage {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> Option<DateTime<Utc>> {
        Some(self.created_at)
    }
}

impl TriggerItem for types::Campaign {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }
}

impl TriggerItem for types::FlowSession {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> Option<DateTime<Utc>> {
        Some(self.created_at)
    }
}

impl TriggerItem for types::SequenceSession {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }
}

impl sealed::Trigger for types::InboundMessage {
    type Filter = types::MessageTypeFilter;

    fn fetch<'a>(
        client: &'a Client,
        filter: Option<&'a Self::Filter>,
    ) -> impl Future<Output = Result<Vec<Self>, Error>> + Send + 'a {
        let request = client.new_message_received();
        let request = match filter {
            Some(kind) => request.message_type(*kind),
            None => request,
        };
        async move { Ok(request.send().await?.into_inner()) }
    }
}

impl sealed::Trigger for types::Campaign {
    type Filter = ();

    async fn fetch<'a>(
        client: &'a Client,
        _: Option<&'a Self::Filter>,
    ) -> Result<Vec<Self>, Error> {
        Ok(client.new_campaign_sent().send().await?.into_inner())
    }
}

impl sealed::Trigger for types::FlowSession {
    type Filter = String;

    fn fetch<'a>(
        client: &'a Client,
        filter: Option<&'a Self::Filter>,
    ) -> impl Future<Output = Result<Vec<Self>, Error>> + Send + 'a {
        let request = client.new_flow_triggered();
        let request = match filter {
            Some(id) => request.flow_id(id.clone()),
            None => request,
        };
        async move { Ok(request.send().await?.into_inner()) }
    }
}

impl sealed::Trigger for types::SequenceSession {
    type Filter = String;

    fn fetch<'a>(
        client: &'a Client,
        filter: Option<&'a Self::Filter>,
    ) -> impl Future<Output = Result<Vec<Self>, Error>> + Send + 'a {
        let request = client.new_sequence_triggered();
        let request = match filter {
            Some(id) => request.sequence_id(id.clone()),
            None => request,
        };
        async move { Ok(request.send().await?.into_inner()) }
    }
}

/// What a poller does when no checkpoint is stored yet.
///
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StartFrom {
    /// Deliver only what arrives after the first poll (the default).
    #[default]
    Now,
    /// Deliver the current page (up to [`PAGE_SIZE`] items) first, oldest first.
    CurrentPage,
}

/// How a poller polls: interval, jitter, backoff, first-poll behaviour and checkpoint store.
struct Options<S> {
    interval: Duration,
    jitter: f64,
    max_backoff: Duration,
    start: StartFrom,
    store: S,
}

/// A trigger poller being prepared; `.send()` starts it.
///
/// Made by the [`QyvoClientExt`](crate::prelude::QyvoClientExt) methods `poll_messages`,
/// `poll_campaigns`, `poll_flow_sessions` and `poll_sequence_sessions`. Defaults: every
/// [`defaults::POLL_INTERVAL`] ± [`defaults::POLL_JITTER`], backoff up to
/// [`defaults::POLL_MAX_BACKOFF`], [`StartFrom::Now`], checkpoint in memory.
///
/// ```no_run
/// use std::time::Duration;
///
/// use qyvo::poll::{FileCheckpointStore, StartFrom};
/// use qyvo::prelude::*;
///
/// # fn run(client: qyvo::Client) {
/// let campaigns = client
///     .poll_campaigns()
///     .interval(Duration::from_secs(60))
///     .jitter(0.2)
///     .start_from(StartFrom::CurrentPage)
///     .store(FileCheckpointStore::new("campaigns.json"))
///     .send();
/// # drop(campaigns);
/// # }
/// ```
#[must_use = "a Poll does nothing until `.send()` and the stream is read"]
pub struct Poll<T: TriggerItem, S = MemoryCheckpointStore> {
    client: Client,
    filter: Option<<T as sealed::Trigger>::Filter>,
    options: Options<S>,
}

impl<T: TriggerItem, S> fmt::Debug for Poll<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll")
            .field("interval", &self.options.interval)
            .field("jitter", &self.options.jitter)
            .field("max_backoff", &self.options.max_backoff)
            .field("start", &self.options.start)
            .finish_non_exhaustive()
    }
}

impl<T: TriggerItem> Poll<T> {
    pub(crate) fn new(client: &Client) -> Self {
        Self {
            client: client.clone(),
            filter: None,
            options: Options {
                interval: defaults::POLL_INTERVAL,
                jitter: defaults::POLL_JITTER,
                max_backoff: defaults::POLL_MAX_BACKOFF,
                start: StartFrom::Now,
                store: MemoryCheckpointStore::new(),
            },
        }
    }
}

impl<T: TriggerItem, S> Poll<T, S> {
    /// Sets the time between two polls (default [`defaults::POLL_INTERVAL`]).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.options.interval = interval;
        self
    }

    /// Sets the jitter as a fraction of the wait, clamped to `0.0..=1.0` (default
    /// [`defaults::POLL_JITTER`]); `0.0` polls at exact intervals.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.options.jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// Sets the longest wait after failed polls (default [`defaults::POLL_MAX_BACKOFF`]).
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.options.max_backoff = max;
        self
    }

    /// Sets what to deliver when no checkpoint is stored (default [`StartFrom::Now`]).
    pub fn start_from(mut self, start: StartFrom) -> Self {
        self.options.start = start;
        self
    }

    /// Keeps the checkpoint in `store` (default: in memory).
    pub fn store<U: CheckpointStore>(self, store: U) -> Poll<T, U> {
        let Options {
            interval,
            jitter,
            max_backoff,
            start,
            store: _,
        } = self.options;
        Poll {
            client: self.client,
            filter: self.filter,
            options: Options {
                interval,
                jitter,
                max_backoff,
                start,
                store,
            },
        }
    }
}

impl<S> Poll<types::InboundMessage, S> {
    /// Polls only messages of this type.
    pub fn message_type(mut self, message_type: types::MessageTypeFilter) -> Self {
        self.filter = Some(message_type);
        self
    }
}

impl<S> Poll<types::FlowSession, S> {
    /// Polls only sessions of this flow.
    pub fn flow_id(mut self, flow_id: impl Into<String>) -> Self {
        self.filter = Some(flow_id.into());
        self
    }
}

impl<S> Poll<types::SequenceSession, S> {
    /// Polls only enrolments in this sequence.
    pub fn sequence_id(mut self, sequence_id: impl Into<String>) -> Self {
        self.filter = Some(sequence_id.into());
        self
    }
}

impl<T: TriggerItem, S: CheckpointStore> Poll<T, S> {
    /// Starts the poller: the first poll happens when the stream is first read.
    pub fn send(self) -> PollStream<T> {
        stream::start(self.client, self.filter, self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jitter_setter_clamps() {
        let client = crate::ClientBuilder::new("t").build().unwrap();
        let jitter = |j| {
            Poll::<types::Campaign>::new(&client)
                .jitter(j)
                .options
                .jitter
        };
        assert_eq!(jitter(7.0), 1.0);
        assert_eq!(jitter(-1.0), 0.0);
        assert_eq!(jitter(f64::NAN), 0.0);
        assert_eq!(jitter(0.25), 0.25);
    }
}
