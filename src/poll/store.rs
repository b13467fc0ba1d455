//! Where a poller keeps its [`Checkpoint`]: the [`CheckpointStore`] trait, in memory and in a
//! file; stores that replicas share also hand out a [`Lease`].

use std::{
    fmt,
    future::Future,
    io,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use super::Checkpoint;

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
    /// The store cannot be reached now (a database restarting, a broken connection); it may
    /// work later ([`is_transient`](Self::is_transient)).
    Unavailable {
        /// The store's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A save by a replica whose lease another replica has taken since: refused, so that
    /// only the current holder moves the checkpoint.
    LeaseLost,
}

impl CheckpointError {
    /// Whether the store may work later: [`CheckpointError::Unavailable`].
    ///
    /// ```
    /// use qyvo::poll::CheckpointError;
    ///
    /// assert!(!CheckpointError::LeaseLost.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
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
            Self::Unavailable { .. } => f.write_str("the checkpoint store is unavailable"),
            Self::LeaseLost => f.write_str("another replica took the poller's lease"),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            Self::Corrupt { source, .. } => Some(source),
            Self::Store { source } | Self::Unavailable { source } => Some(source.as_ref()),
            Self::LeaseLost => None,
        }
    }
}

/// Whether this replica of a poller may poll: a [`CheckpointStore`]'s answer to
/// [`lease`](CheckpointStore::lease).
///
/// ```
/// use qyvo::poll::{CheckpointStore, Lease, MemoryCheckpointStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), qyvo::poll::CheckpointError> {
/// assert_eq!(MemoryCheckpointStore::new().lease().await?, Lease::NotShared);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease {
    /// The store serves one poller: there is no lease to hold (the memory and file stores).
    NotShared,
    /// This replica holds the lease: it polls, and only it saves the checkpoint. The fencing
    /// token grows with every change of holder.
    Held {
        /// The lease's fencing token.
        fencing_token: u64,
    },
    /// Another replica holds the lease: this one stands by.
    HeldElsewhere,
}

/// Where a poller keeps its [`Checkpoint`] between polls and across restarts.
///
/// Asynchronous, so that a store can live in a database or a key-value service without
/// blocking the runtime; the futures must be `Send` so the poller's stream is. Implement it for
/// your own storage, reporting failures as [`CheckpointError::Store`] (or
/// [`CheckpointError::Unavailable`] when trying later may work). One store serves one poller:
/// give each trigger and filter its own.
///
/// A store that several replicas of a poller share (`PgCheckpointStore`, the `postgres`
/// feature) also implements [`lease`](Self::lease), so that one replica polls at a time, and
/// refuses the saves of a replica that lost its lease ([`CheckpointError::LeaseLost`]).
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

    /// Takes or renews this replica's lease before each poll; [`Lease::NotShared`] (the
    /// default) for a store that serves one poller.
    fn lease(&self) -> impl Future<Output = Result<Lease, CheckpointError>> + Send {
        std::future::ready(Ok(Lease::NotShared))
    }
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
    /// An empty store: the poller starts as [`Poll::start_from`](super::Poll::start_from) says.
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
