//! Trigger pollers: a [`Stream`] of the new items of each of Qyvo's four triggers.
//!
//! Qyvo has no webhooks for integrations to subscribe to programmatically; its triggers
//! (`new_message_received`, `new_campaign_sent`, `new_flow_triggered`,
//! `new_sequence_triggered`) each answer the 100 most recent records, newest first. A poller
//! calls one of them every [`PollOptions::interval`] (30 s by default, Qyvo's guidance, ±10 %
//! jitter) and yields what is new, **oldest first**, as [`PollEvent::Item`]s. Start one with the
//! [`QyvoClientExt`](crate::prelude::QyvoClientExt) methods `poll_messages`, `poll_campaigns`,
//! `poll_flow_sessions` and `poll_sequence_sessions`.
//!
//! ```no_run
//! use futures_util::StreamExt as _;
//! use qyvo::poll::{FileCheckpointStore, PollEvent, PollOptions};
//! use qyvo::prelude::*;
//!
//! # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let options = PollOptions::new().store(FileCheckpointStore::new("inbox.checkpoint.json"));
//! let mut inbox = client.poll_messages(None, options);
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
//! where a repeat matters. A store must be used by one poller at a time.
//!
//! # Errors and cancellation
//!
//! Every call goes through the client's retries and rate limiter first. When a poll still
//! fails with a transient error (5xx, transport failure, timeout, 429, undecodable body), the
//! stream yields [`PollError::Transient`] and polls again after an exponential backoff
//! (`interval × 2^failures`, at most [`PollOptions::max_backoff`], at least the server's
//! `Retry-After`); no item is lost, since the checkpoint did not move. Any other error
//! ([`Error::Unauthenticated`], a rejected filter, a failing checkpoint store) is yielded as a
//! fatal [`PollError`] and ends the stream.
//!
//! The stream is a plain state machine polled by its consumer: no task is spawned, so dropping
//! it stops polling at once. Waits use `tokio::time`, so tests can run it on a paused clock.

use std::{
    collections::{BTreeSet, VecDeque},
    fmt,
    future::Future,
    io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_core::Stream;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::{Client, Error, ResponseValue, types};

/// How often a poller calls its trigger by default: every 30 seconds, Qyvo's guidance.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// The default jitter: each wait is the interval ±10 %.
pub const DEFAULT_JITTER: f64 = 0.1;

/// The longest wait after failed polls by default: 5 minutes.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How many items a trigger answers at most: the 100 most recent.
pub const PAGE_SIZE: usize = 100;

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::types::InboundMessage {}
    impl Sealed for crate::types::Campaign {}
    impl Sealed for crate::types::FlowSession {}
    impl Sealed for crate::types::SequenceSession {}
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
pub trait TriggerItem: sealed::Sealed + Send + 'static {
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

/// Where a poller stands in a trigger's feed: the newest item it delivered.
///
/// Holds the item's id and `created_at`, and the ids of the delivered items sharing that
/// `created_at` (at most about one page of them), so that items of equal timestamps are
/// neither lost nor repeated. Stored as JSON, e.g.
/// `{"id":"01J…","created_at":"2026-05-07T08:14:23Z","same_time_ids":["01J…"]}`; `id` and
/// `created_at` are required (both `null` for [`Checkpoint::beginning`]).
///
/// ```
/// use qyvo::poll::Checkpoint;
///
/// let at = "2026-05-07T08:14:23Z".parse()?;
/// let checkpoint = Checkpoint::after("01J0MSG", Some(at));
/// assert_eq!(checkpoint.id(), Some("01J0MSG"));
/// assert_eq!(checkpoint.to_string(), "after 01J0MSG (2026-05-07 08:14:23 UTC)");
/// let json = serde_json::to_string(&checkpoint)?;
/// assert_eq!(serde_json::from_str::<Checkpoint>(&json)?, checkpoint);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    #[serde(deserialize_with = "Option::deserialize")]
    id: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    same_time_ids: BTreeSet<String>,
}

impl Checkpoint {
    /// A checkpoint before every item: all items are new (a full page yields a
    /// [`PollEvent::Gap`] first).
    ///
    /// ```
    /// assert_eq!(qyvo::poll::Checkpoint::beginning().id(), None);
    /// ```
    pub fn beginning() -> Self {
        Self {
            id: None,
            created_at: None,
            same_time_ids: BTreeSet::new(),
        }
    }

    /// A checkpoint right after a known item, e.g. the last one another system processed.
    ///
    /// ```
    /// let checkpoint = qyvo::poll::Checkpoint::after("01J0MSG", None);
    /// assert_eq!(checkpoint.created_at(), None);
    /// ```
    pub fn after(id: impl Into<String>, created_at: Option<DateTime<Utc>>) -> Self {
        let id = id.into();
        Self {
            same_time_ids: BTreeSet::from([id.clone()]),
            id: Some(id),
            created_at,
        }
    }

    /// The newest delivered item's id; `None` at the beginning.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The newest delivered item's `created_at`, when known.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }

    /// Moves past a delivered item (items come oldest first); never moves the time back.
    fn advance<T: TriggerItem>(&mut self, item: &T) {
        let at = item.created_at();
        match (at, self.created_at) {
            (Some(at), Some(seen)) if at < seen => return,
            (Some(at), Some(seen)) if at == seen => {}
            _ => {
                self.same_time_ids.clear();
                self.created_at = at;
            }
        }
        self.id = Some(item.id().to_owned());
        self.same_time_ids.insert(item.id().to_owned());
    }

    /// Splits a newest-first page into what is new, oldest first, and the checkpoint after it.
    fn plan<T: TriggerItem>(&self, page: Vec<T>) -> (Vec<PollEvent<T>>, Checkpoint) {
        let mut next = self.clone();
        if page.len() >= PAGE_SIZE {
            // Ids that fell off a full page cannot come back (records are only added), so the
            // set stays bounded by about one page.
            next.same_time_ids
                .retain(|id| page.iter().any(|item| item.id() == id));
        }
        let position = self
            .id
            .as_deref()
            .and_then(|id| page.iter().position(|item| item.id() == id));
        let mut uncertain = false;
        let mut fresh = Vec::with_capacity(page.len());
        for (index, item) in page.iter().enumerate() {
            fresh.push(match (&self.id, item.created_at(), self.created_at) {
                (None, _, _) => true,
                (Some(_), Some(at), Some(seen)) => {
                    at > seen || (at == seen && !self.same_time_ids.contains(item.id()))
                }
                (Some(_), _, _) => match position {
                    Some(p) => index < p,
                    None => {
                        uncertain = true;
                        true
                    }
                },
            });
        }
        let full_and_new = page.len() >= PAGE_SIZE && fresh.iter().all(|f| *f);
        let mut events = Vec::new();
        if uncertain || full_and_new {
            events.push(PollEvent::Gap {
                since: self.clone(),
            });
        }
        for (item, new) in page.into_iter().zip(fresh).rev() {
            if new {
                next.advance(&item);
                events.push(PollEvent::Item(item));
            }
        }
        (events, next)
    }
}

impl Default for Checkpoint {
    /// [`Checkpoint::beginning`].
    fn default() -> Self {
        Self::beginning()
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.id, self.created_at) {
            (None, _) => f.write_str("the beginning"),
            (Some(id), Some(at)) => write!(f, "after {id} ({at})"),
            (Some(id), None) => write!(f, "after {id}"),
        }
    }
}

/// A failure to load or save a [`Checkpoint`].
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The checkpoint file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The checkpoint file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The checkpoint file does not hold a checkpoint (not JSON, or another shape).
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// A custom store failed.
    Store {
        /// The store's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, .. } => {
                write!(f, "cannot read the checkpoint file {}", path.display())
            }
            Self::Write { path, .. } => {
                write!(f, "cannot write the checkpoint file {}", path.display())
            }
            Self::Corrupt { path, .. } => {
                write!(f, "the checkpoint file {} is corrupt", path.display())
            }
            Self::Store { .. } => f.write_str("the checkpoint store failed"),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            Self::Corrupt { source, .. } => Some(source),
            Self::Store { source } => Some(source.as_ref()),
        }
    }
}

/// Where a poller keeps its [`Checkpoint`] between polls and across restarts.
///
/// Asynchronous, so that a store can live in a database or a key-value service without
/// blocking the runtime; the futures must be `Send` so the poller's stream is. Implement it for
/// your own storage, reporting failures as [`CheckpointError::Store`]. One store serves one
/// poller: give each trigger and filter its own.
///
/// ```
/// use qyvo::poll::{Checkpoint, CheckpointStore, MemoryCheckpointStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), qyvo::poll::CheckpointError> {
/// let store = MemoryCheckpointStore::new();
/// assert_eq!(store.load().await?, None);
/// store.save(&Checkpoint::after("01J0MSG", None)).await?;
/// assert_eq!(store.load().await?.as_ref().and_then(Checkpoint::id), Some("01J0MSG"));
/// # Ok(())
/// # }
/// ```
pub trait CheckpointStore: Send + Sync + 'static {
    /// The saved checkpoint, or `None` when nothing was saved yet.
    fn load(&self) -> impl Future<Output = Result<Option<Checkpoint>, CheckpointError>> + Send;

    /// Replaces the saved checkpoint.
    fn save(
        &self,
        checkpoint: &Checkpoint,
    ) -> impl Future<Output = Result<(), CheckpointError>> + Send;
}

/// A [`CheckpointStore`] in memory: the default, for processes that may start from scratch.
///
/// Clones share the checkpoint, so a clone kept aside shows what the poller saved.
///
/// ```
/// use qyvo::poll::{Checkpoint, MemoryCheckpointStore};
///
/// let store = MemoryCheckpointStore::with(Checkpoint::after("01J0MSG", None));
/// let view = store.clone();
/// assert_eq!(view.get().as_ref().and_then(Checkpoint::id), Some("01J0MSG"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryCheckpointStore {
    checkpoint: Arc<Mutex<Option<Checkpoint>>>,
}

impl MemoryCheckpointStore {
    /// An empty store: the poller starts as [`PollOptions::start_from`] says.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `checkpoint`: the poller resumes after it.
    pub fn with(checkpoint: Checkpoint) -> Self {
        Self {
            checkpoint: Arc::new(Mutex::new(Some(checkpoint))),
        }
    }

    /// The checkpoint saved last.
    pub fn get(&self) -> Option<Checkpoint> {
        self.checkpoint
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl CheckpointStore for MemoryCheckpointStore {
    async fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        Ok(self.get())
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        *self.checkpoint.lock().unwrap_or_else(|e| e.into_inner()) = Some(checkpoint.clone());
        Ok(())
    }
}

/// A [`CheckpointStore`] in a JSON file, which survives restarts.
///
/// Writes are atomic: the checkpoint goes to a temporary file in the same directory, is
/// flushed to disk, then renamed over the old one, so a crash leaves either the old or the new
/// checkpoint, never half of one. A missing file means no checkpoint; a file that does not
/// parse is [`CheckpointError::Corrupt`]. File work runs on tokio's blocking pool.
///
/// ```
/// use qyvo::poll::{Checkpoint, CheckpointStore, FileCheckpointStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = std::env::temp_dir().join(format!("qyvo-doc-{}.json", std::process::id()));
/// let store = FileCheckpointStore::new(&path);
/// store.save(&Checkpoint::after("01J0MSG", None)).await?;
/// let reopened = FileCheckpointStore::new(&path);
/// assert_eq!(reopened.load().await?, Some(Checkpoint::after("01J0MSG", None)));
/// std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FileCheckpointStore {
    path: PathBuf,
}

impl FileCheckpointStore {
    /// A store in the file at `path` (created on the first save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce(PathBuf) -> Result<T, CheckpointError> + Send + 'static,
    on_join_error: fn(PathBuf, io::Error) -> CheckpointError,
) -> Result<T, CheckpointError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || work(owned))
        .await
        .unwrap_or_else(|e| Err(on_join_error(path.to_path_buf(), io::Error::other(e))))
}

fn read_checkpoint(path: PathBuf) -> Result<Option<Checkpoint>, CheckpointError> {
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CheckpointError::Read { path, source }),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| CheckpointError::Corrupt { path, source })
}

fn write_checkpoint(path: PathBuf, json: Vec<u8>) -> Result<(), CheckpointError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let Some(name) = path.file_name() else {
        let source = io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name");
        return Err(CheckpointError::Write { path, source });
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    })();
    if let Err(source) = written {
        // Best effort: the temporary file is garbage either way.
        let _ = std::fs::remove_file(&temp);
        return Err(CheckpointError::Write { path, source });
    }
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

impl CheckpointStore for FileCheckpointStore {
    async fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        blocking(&self.path, read_checkpoint, |path, source| {
            CheckpointError::Read { path, source }
        })
        .await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        let json = serde_json::to_vec(checkpoint).map_err(|e| CheckpointError::Write {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        blocking(
            &self.path,
            move |path| write_checkpoint(path, json),
            |path, source| CheckpointError::Write { path, source },
        )
        .await
    }
}

/// What a poller does when no checkpoint is stored yet.
///
/// ```
/// use qyvo::poll::{PollOptions, StartFrom};
///
/// let options = PollOptions::new().start_from(StartFrom::CurrentPage);
/// assert_eq!(options.start(), StartFrom::CurrentPage);
/// ```
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
///
/// ```
/// use std::time::Duration;
/// use qyvo::poll::{FileCheckpointStore, PollOptions};
///
/// let options = PollOptions::new()
///     .interval(Duration::from_secs(60))
///     .jitter(0.2)
///     .store(FileCheckpointStore::new("campaigns.json"));
/// assert_eq!(options.interval_duration(), Duration::from_secs(60));
/// assert_eq!(options.store_ref().path().to_str(), Some("campaigns.json"));
/// ```
#[derive(Debug, Clone)]
pub struct PollOptions<S = MemoryCheckpointStore> {
    interval: Duration,
    jitter: f64,
    max_backoff: Duration,
    start: StartFrom,
    store: S,
}

impl PollOptions {
    /// Every 30 s ±10 %, backoff up to 5 min, [`StartFrom::Now`], in memory.
    pub fn new() -> Self {
        Self {
            interval: DEFAULT_INTERVAL,
            jitter: DEFAULT_JITTER,
            max_backoff: DEFAULT_MAX_BACKOFF,
            start: StartFrom::Now,
            store: MemoryCheckpointStore::new(),
        }
    }
}

impl Default for PollOptions {
    /// [`PollOptions::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<S> PollOptions<S> {
    /// Sets the time between two polls (default [`DEFAULT_INTERVAL`]).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets the jitter as a fraction of the wait, clamped to `0.0..=1.0` (default
    /// [`DEFAULT_JITTER`]); `0.0` polls at exact intervals.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// Sets the longest wait after failed polls (default [`DEFAULT_MAX_BACKOFF`]).
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// Sets what to deliver when no checkpoint is stored (default [`StartFrom::Now`]).
    pub fn start_from(mut self, start: StartFrom) -> Self {
        self.start = start;
        self
    }

    /// Keeps the checkpoint in `store` instead.
    pub fn store<T: CheckpointStore>(self, store: T) -> PollOptions<T> {
        PollOptions {
            interval: self.interval,
            jitter: self.jitter,
            max_backoff: self.max_backoff,
            start: self.start,
            store,
        }
    }

    /// The time between two polls.
    pub fn interval_duration(&self) -> Duration {
        self.interval
    }

    /// What is delivered when no checkpoint is stored.
    pub fn start(&self) -> StartFrom {
        self.start
    }

    /// The checkpoint store.
    pub fn store_ref(&self) -> &S {
        &self.store
    }
}

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
}

impl<T> PollEvent<T> {
    /// The item, for [`PollEvent::Item`].
    pub fn item(&self) -> Option<&T> {
        match self {
            Self::Item(item) => Some(item),
            Self::Gap { .. } => None,
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
        !matches!(self, Self::Transient { .. })
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
        }
    }
}

impl std::error::Error for PollError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transient { source, .. } | Self::Fatal { source } => Some(source),
            Self::Checkpoint { source } => Some(source),
        }
    }
}

/// The stream of a trigger poller: `Result<PollEvent<T>, PollError>` items, until dropped or
/// a fatal error.
///
/// Built by the [`QyvoClientExt`](crate::prelude::QyvoClientExt) `poll_*` methods; see the
/// [module documentation](self). Read it with `futures_util::StreamExt::next`.
///
/// ```no_run
/// use futures_util::StreamExt as _;
/// use qyvo::poll::PollOptions;
/// use qyvo::prelude::*;
///
/// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
/// let mut campaigns = client.poll_campaigns(PollOptions::new());
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

/// Whether waiting may fix a failed poll.
fn is_transient(error: &Error) -> bool {
    matches!(
        error,
        Error::Server { .. }
            | Error::Transport { .. }
            | Error::Timeout { .. }
            | Error::RateLimited { .. }
            | Error::Decode { .. }
    )
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

type Page<T> = Result<ResponseValue<Vec<T>>, progenitor_client::Error<types::ApiError>>;

/// A poller's state between two events.
struct State<T, S, F> {
    fetch: F,
    options: PollOptions<S>,
    loaded: bool,
    checkpoint: Option<Checkpoint>,
    unsaved: bool,
    queue: VecDeque<PollEvent<T>>,
    next_poll: Option<Instant>,
    failures: u32,
    done: bool,
}

impl<T: TriggerItem, S: CheckpointStore, F> State<T, S, F> {
    /// Ends the stream after yielding `error`.
    fn fail(mut self, error: PollError) -> Option<(Result<PollEvent<T>, PollError>, Self)> {
        self.done = true;
        Some((Err(error), self))
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

/// One step of the stream: the next event, after saving, waiting and polling as needed.
async fn step<T, S, F, Fut>(
    mut state: State<T, S, F>,
) -> Option<(Result<PollEvent<T>, PollError>, State<T, S, F>)>
where
    T: TriggerItem,
    S: CheckpointStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = Page<T>>,
{
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
            if let Err(source) = state.options.store.save(checkpoint).await {
                return state.fail(PollError::Checkpoint { source });
            }
            state.unsaved = false;
        }
        if !state.loaded {
            match state.options.store.load().await {
                Ok(checkpoint) => state.checkpoint = checkpoint,
                Err(source) => return state.fail(PollError::Checkpoint { source }),
            }
            state.loaded = true;
        }
        if let Some(at) = state.next_poll {
            tokio::time::sleep_until(at).await;
        }
        match (state.fetch)().await.map(ResponseValue::into_inner) {
            Ok(page) => {
                state.failures = 0;
                let wait = jittered(state.options.interval, state.options.jitter, rand::random());
                state.next_poll = Some(deadline(wait));
                state.absorb(page);
            }
            Err(error) => {
                let source = Error::from(error);
                if !is_transient(&source) {
                    return state.fail(PollError::Fatal { source });
                }
                state.failures = state.failures.saturating_add(1);
                let wait = jittered(
                    backoff(
                        state.options.interval,
                        state.failures,
                        state.options.max_backoff,
                    ),
                    state.options.jitter,
                    rand::random(),
                );
                let retry_in = match &source {
                    Error::RateLimited {
                        retry_after: Some(after),
                    } => wait.max(*after),
                    _ => wait,
                };
                state.next_poll = Some(deadline(retry_in));
                return Some((Err(PollError::Transient { source, retry_in }), state));
            }
        }
    }
}

/// The poller engine shared by the four triggers: `call` fetches one page.
fn poller<T, S, F, Fut>(client: &Client, options: PollOptions<S>, call: F) -> PollStream<T>
where
    T: TriggerItem,
    S: CheckpointStore,
    F: Fn(Client) -> Fut + Send + 'static,
    Fut: Future<Output = Page<T>> + Send + 'static,
{
    let client = client.clone();
    let state = State {
        fetch: move || call(client.clone()),
        options,
        loaded: false,
        checkpoint: None,
        unsaved: false,
        queue: VecDeque::new(),
        next_poll: None,
        failures: 0,
        done: false,
    };
    PollStream {
        inner: Box::pin(futures_util::stream::unfold(state, step)),
    }
}

/// Polls `new_message_received`, optionally only messages of one type.
pub(crate) fn messages<S: CheckpointStore>(
    client: &Client,
    message_type: Option<types::MessageTypeFilter>,
    options: PollOptions<S>,
) -> PollStream<types::InboundMessage> {
    poller(client, options, move |client| async move {
        let request = client.new_message_received();
        match message_type {
            Some(kind) => request.message_type(kind),
            None => request,
        }
        .send()
        .await
    })
}

/// Polls `new_campaign_sent`.
pub(crate) fn campaigns<S: CheckpointStore>(
    client: &Client,
    options: PollOptions<S>,
) -> PollStream<types::Campaign> {
    poller(client, options, |client| async move {
        client.new_campaign_sent().send().await
    })
}

/// Polls `new_flow_triggered`, optionally only sessions of one flow.
pub(crate) fn flow_sessions<S: CheckpointStore>(
    client: &Client,
    flow_id: Option<String>,
    options: PollOptions<S>,
) -> PollStream<types::FlowSession> {
    poller(client, options, move |client| {
        let flow_id = flow_id.clone();
        async move {
            let request = client.new_flow_triggered();
            match flow_id {
                Some(id) => request.flow_id(id),
                None => request,
            }
            .send()
            .await
        }
    })
}

/// Polls `new_sequence_triggered`, optionally only sessions of one sequence.
pub(crate) fn sequence_sessions<S: CheckpointStore>(
    client: &Client,
    sequence_id: Option<String>,
    options: PollOptions<S>,
) -> PollStream<types::SequenceSession> {
    poller(client, options, move |client| {
        let sequence_id = sequence_id.clone();
        async move {
            let request = client.new_sequence_triggered();
            match sequence_id {
                Some(id) => request.sequence_id(id),
                None => request,
            }
            .send()
            .await
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A campaign: the one trigger item whose `created_at` is optional.
    fn item(id: &str, second: Option<u32>) -> types::Campaign {
        types::Campaign::builder()
            .id(id)
            .created_at(second.map(|s| {
                "2026-05-07T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
                    + chrono::Duration::seconds(i64::from(s))
            }))
            .try_into()
            .unwrap()
    }

    /// A newest-first page of `(id, second)`.
    fn page(items: &[(&str, Option<u32>)]) -> Vec<types::Campaign> {
        items.iter().map(|(id, s)| item(id, *s)).collect()
    }

    fn ids(events: &[PollEvent<types::Campaign>]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                PollEvent::Item(c) => c.id.clone(),
                PollEvent::Gap { .. } => "GAP".to_owned(),
            })
            .collect()
    }

    fn after(items: &[(&str, Option<u32>)]) -> Checkpoint {
        let mut checkpoint = Checkpoint::beginning();
        for i in page(items).iter().rev() {
            checkpoint.advance(i);
        }
        checkpoint
    }

    #[test]
    fn new_items_come_oldest_first_up_to_the_checkpoint() {
        let checkpoint = after(&[("b", Some(2)), ("a", Some(1))]);
        assert_eq!(checkpoint.id(), Some("b"));
        let (events, next) = checkpoint.plan(page(&[
            ("d", Some(4)),
            ("c", Some(3)),
            ("b", Some(2)),
            ("a", Some(1)),
        ]));
        assert_eq!(ids(&events), ["c", "d"]);
        assert_eq!(next.id(), Some("d"));
        let (again, _) = next.plan(page(&[("d", Some(4)), ("c", Some(3))]));
        assert!(again.is_empty());
    }

    #[test]
    fn equal_timestamps_are_neither_lost_nor_repeated_in_any_order() {
        let checkpoint = after(&[("b", Some(5)), ("a", Some(5))]);
        // The server lists ties in either order; "c" arrived in the same second after "b".
        for order in [
            page(&[("c", Some(5)), ("b", Some(5)), ("a", Some(5))]),
            page(&[("a", Some(5)), ("b", Some(5)), ("c", Some(5))]),
        ] {
            let (events, next) = checkpoint.plan(order);
            assert_eq!(ids(&events), ["c"]);
            let (again, _) = next.plan(page(&[("c", Some(5)), ("b", Some(5))]));
            assert!(again.is_empty());
        }
    }

    #[test]
    fn a_deleted_checkpoint_item_falls_back_to_created_at() {
        let checkpoint = after(&[("b", Some(2))]);
        let (events, _) = checkpoint.plan(page(&[("c", Some(3)), ("a", Some(1))]));
        assert_eq!(ids(&events), ["c"]);
    }

    #[test]
    fn a_full_page_of_new_items_starts_with_a_gap() {
        let checkpoint = after(&[("old", Some(1))]);
        let full: Vec<_> = (0..PAGE_SIZE)
            .rev()
            .map(|n| item(&format!("n{n:03}"), Some(10)))
            .collect();
        let (events, next) = checkpoint.plan(full.clone());
        assert_eq!(events.len(), PAGE_SIZE + 1);
        assert_eq!(events[0], PollEvent::Gap { since: checkpoint });
        assert_eq!(ids(&events[1..3]), ["n000", "n001"]);
        // Nothing new: no gap, even though the page is still full.
        assert!(next.plan(full).0.is_empty());
        // A full page that reaches the checkpoint is no gap.
        let mut reaching: Vec<_> = (0..PAGE_SIZE - 1)
            .map(|n| item(&format!("m{n:03}"), Some(20)))
            .collect();
        reaching.push(item("n099", Some(10)));
        assert_eq!(next.plan(reaching).0.len(), PAGE_SIZE - 1);
    }

    #[test]
    fn the_tie_set_stays_bounded_by_a_page() {
        let mut checkpoint = Checkpoint::beginning();
        for round in 0..5 {
            let full: Vec<_> = (0..PAGE_SIZE)
                .rev()
                .map(|n| item(&format!("r{round}-{n:03}"), Some(7)))
                .collect();
            checkpoint = checkpoint.plan(full).1;
        }
        assert!(checkpoint.same_time_ids.len() <= PAGE_SIZE);
    }

    #[test]
    fn items_without_created_at_use_the_id_walk() {
        let checkpoint = after(&[("b", None)]);
        let (events, _) = checkpoint.plan(page(&[("c", None), ("b", None), ("a", None)]));
        assert_eq!(ids(&events), ["c"]);
        // The checkpoint's id is gone and nothing can be compared: flag it, deliver all.
        let (events, _) = checkpoint.plan(page(&[("d", None), ("c", None)]));
        assert_eq!(ids(&events), ["GAP", "c", "d"]);
    }

    #[test]
    fn the_beginning_makes_everything_new() {
        let (events, next) = Checkpoint::beginning().plan(page(&[("b", Some(2)), ("a", None)]));
        assert_eq!(ids(&events), ["a", "b"]);
        assert_eq!(next, after(&[("b", Some(2))]));
    }

    #[test]
    fn checkpoints_round_trip_and_reject_other_shapes() {
        let checkpoint = after(&[("b", Some(2)), ("a", Some(2))]);
        let json = serde_json::to_string(&checkpoint).unwrap();
        assert_eq!(
            json,
            r#"{"id":"b","created_at":"2026-05-07T08:00:02Z","same_time_ids":["a","b"]}"#
        );
        assert_eq!(
            serde_json::from_str::<Checkpoint>(&json).unwrap(),
            checkpoint
        );
        let start: Checkpoint = serde_json::from_str(r#"{"id":null,"created_at":null}"#).unwrap();
        assert_eq!(start, Checkpoint::beginning());
        for bad in ["", "{}", "[]", r#"{"id":3,"created_at":null}"#, "{\"id\":"] {
            assert!(serde_json::from_str::<Checkpoint>(bad).is_err(), "{bad}");
        }
    }

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
            .map(|n| backoff(interval, n, DEFAULT_MAX_BACKOFF).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 300]);
        assert_eq!(
            backoff(interval, u32::MAX, DEFAULT_MAX_BACKOFF),
            DEFAULT_MAX_BACKOFF
        );
    }

    #[test]
    fn only_waitable_errors_are_transient() {
        assert!(is_transient(&Error::Server {
            status: 503,
            message: None
        }));
        assert!(is_transient(&Error::RateLimited { retry_after: None }));
        assert!(!is_transient(&Error::Unauthenticated));
        assert!(!is_transient(&Error::Rejected {
            status: 400,
            message: None
        }));
    }

    #[test]
    fn option_setters_clamp_jitter() {
        assert_eq!(PollOptions::new().jitter(7.0).jitter, 1.0);
        assert_eq!(PollOptions::new().jitter(-1.0).jitter, 0.0);
        assert_eq!(PollOptions::new().jitter(f64::NAN).jitter, 0.0);
    }
}
