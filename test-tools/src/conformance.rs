//! Third-party conformance checking: a Prism validating proxy in front of the mock.
//!
//! [`Prism::proxy`] starts `prism proxy --errors openapi.yaml <upstream>` from the workspace's
//! `tools/` install (made by `cargo xtask setup`). Every request and response that goes through
//! it is validated against `openapi.yaml`; with `--errors`, a violation turns into an error
//! response (`application/problem+json`, 422 for a bad request, 500 for a bad response)
//! instead of being passed on.
//!
//! Base path: in proxy mode Prism 5.14 serves the spec's paths at its root and ignores the
//! `/api/v1` of `servers`; it forwards `/me` to `<upstream>/me`. So the upstream is the mock's
//! `qyvo_mock::MockServer::base_url` (with `/api/v1`) and the URL to give the SDK is the bare
//! `http://127.0.0.1:<prism port>` ([`Prism::url`]).
//!
//! Tests that use it need [`Tool::Node`](crate::Tool::Node); see the crate documentation.
//!
//! ```no_run
//! # async fn start(mock_base_url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use qyvo_test_tools::conformance::Prism;
//!
//! let prism = Prism::proxy(mock_base_url).await?;
//! // Point the SDK at `prism.url()`: every exchange is checked against openapi.yaml.
//! assert!(prism.url().starts_with("http://127.0.0.1:"));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// How long Prism may take to start listening.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace root (the directory holding `openapi.yaml` and `tools/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The vendored spec, `<workspace root>/openapi.yaml`.
pub fn spec_path() -> PathBuf {
    workspace_root().join("openapi.yaml")
}

/// Finds a tool installed by `cargo xtask setup` under `<workspace root>/tools/`.
///
/// `relative` is the path inside `tools/`, e.g. `node_modules/.bin/prism` or
/// `.venv/bin/schemathesis`.
///
/// # Errors
///
/// [`ConformanceError::ToolMissing`] when the file does not exist.
///
/// ```
/// use qyvo_test_tools::conformance::{ConformanceError, tool};
///
/// let missing = tool("no/such/tool");
/// assert!(matches!(missing, Err(ConformanceError::ToolMissing { .. })));
/// assert!(missing.unwrap_err().to_string().contains("cargo xtask setup"));
/// ```
pub fn tool(relative: &str) -> Result<PathBuf, ConformanceError> {
    let path = workspace_root().join("tools").join(relative);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ConformanceError::ToolMissing { path })
    }
}

/// What can go wrong when starting a conformance tool.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConformanceError {
    /// The tool is not installed.
    ToolMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The tool could not be started, or no free port could be found for it.
    Spawn {
        /// The underlying error.
        source: std::io::Error,
    },
    /// The tool exited or did not listen in time.
    NotReady {
        /// How long it was waited for.
        waited: Duration,
        /// The exit status, when it exited.
        exit: Option<std::process::ExitStatus>,
    },
}

impl fmt::Display for ConformanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConformanceError::ToolMissing { path } => write!(
                f,
                "conformance tool not found at {}: run `cargo xtask setup`",
                path.display()
            ),
            ConformanceError::Spawn { .. } => f.write_str("cannot start the conformance tool"),
            ConformanceError::NotReady {
                waited,
                exit: Some(status),
            } => write!(
                f,
                "the conformance tool exited ({status}) before listening (waited {waited:?})"
            ),
            ConformanceError::NotReady { waited, exit: None } => {
                write!(f, "the conformance tool did not listen within {waited:?}")
            }
        }
    }
}

impl std::error::Error for ConformanceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConformanceError::Spawn { source } => Some(source),
            ConformanceError::ToolMissing { .. } | ConformanceError::NotReady { .. } => None,
        }
    }
}

/// A running `prism proxy --errors` process; dropping it kills the process.
#[derive(Debug)]
pub struct Prism {
    child: Child,
    url: String,
}

impl Prism {
    /// Starts Prism as a validating proxy in front of `upstream` (the mock's `base_url()`) on
    /// a free port of `127.0.0.1`, and waits until it listens.
    ///
    /// # Errors
    ///
    /// [`ConformanceError::ToolMissing`] when Prism is not installed,
    /// [`ConformanceError::Spawn`] when it cannot be started, [`ConformanceError::NotReady`]
    /// when it exits or does not listen within 60 s.
    pub async fn proxy(upstream: &str) -> Result<Prism, ConformanceError> {
        let prism = tool("node_modules/.bin/prism")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|source| ConformanceError::Spawn { source })?
            .port();
        let child = Command::new(prism)
            .arg("proxy")
            .arg("--errors")
            .arg(spec_path())
            .arg(upstream)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ConformanceError::Spawn { source })?;
        let mut prism = Prism {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        prism.wait_until_listening(port).await?;
        Ok(prism)
    }

    async fn wait_until_listening(&mut self, port: u16) -> Result<(), ConformanceError> {
        let started = std::time::Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            let exit = self
                .child
                .try_wait()
                .map_err(|source| ConformanceError::Spawn { source })?;
            let waited = started.elapsed();
            if exit.is_some() || waited > STARTUP_TIMEOUT {
                return Err(ConformanceError::NotReady { waited, exit });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The base URL to give the SDK: `http://127.0.0.1:<port>`, without `/api/v1` (Prism
    /// serves the spec's paths at its root).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        // kill_on_drop also kills it; doing it here makes the kill happen now.
        let _ = self.child.start_kill();
    }
}
