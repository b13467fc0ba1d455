//! Where the upstream document comes from, and reading it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Qyvo's published OpenAPI document.
pub const UPSTREAM_URL: &str = "https://www.qyvo.io/api/v1/openapi.yaml";

/// Time allowed to open the TCP + TLS connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for the whole request, body included.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest accepted document.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Why the upstream document could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with a non-success status.
    #[error("{url} answered http {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The request failed: offline, DNS, refused, TLS, timeout, body too large.
    #[error("cannot fetch {url} (offline, or the server is unreachable?)")]
    Http {
        /// The URL requested.
        url: String,
        /// The client's error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// A local file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A URL (`http://`, `https://`) or a local file.
///
/// ```
/// use xtask::fetch::Source;
///
/// let url: Source = "https://www.qyvo.io/api/v1/openapi.yaml".parse()?;
/// assert!(matches!(url, Source::Url(_)));
/// let file: Source = "spec/upstream.yaml".parse()?;
/// assert_eq!(file.to_string(), "spec/upstream.yaml");
/// # Ok::<(), std::convert::Infallible>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Fetched over HTTP(S).
    Url(String),
    /// Read from disk (relative paths are relative to the current directory).
    File(PathBuf),
}

impl Default for Source {
    fn default() -> Self {
        Self::Url(UPSTREAM_URL.to_owned())
    }
}

impl FromStr for Source {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s.starts_with("http://") || s.starts_with("https://") {
            Self::Url(s.to_owned())
        } else {
            Self::File(PathBuf::from(s))
        })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => f.write_str(url),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Source {
    /// Reads the document's bytes, with [`CONNECT_TIMEOUT`] and [`TOTAL_TIMEOUT`] for URLs.
    pub fn read(&self) -> Result<Vec<u8>, FetchError> {
        match self {
            Self::File(path) => std::fs::read(path).map_err(|source| FetchError::Io {
                path: path.clone(),
                source,
            }),
            Self::Url(url) => fetch(url),
        }
    }
}

fn fetch(url: &str) -> Result<Vec<u8>, FetchError> {
    let http = |source: ureq::Error| match source {
        ureq::Error::StatusCode(status) => FetchError::Status {
            url: url.to_owned(),
            status,
        },
        source => FetchError::Http {
            url: url.to_owned(),
            source: Box::new(source),
        },
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(TOTAL_TIMEOUT))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .header(
            "Accept",
            "application/yaml, application/json;q=0.9, */*;q=0.5",
        )
        .call()
        .map_err(http)?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_BYTES)
        .read_to_vec()
        .map_err(http)
}
