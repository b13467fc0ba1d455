//! Building a configured [`Client`]: token, base URL, timeouts, TLS and user agent.

use std::{env, fmt, sync::Arc, time::Duration};

use reqwest::{
    Url,
    header::{AUTHORIZATION, HeaderMap, HeaderValue},
    redirect,
};

use crate::{Client, retry::RetryPolicy};

/// The production base URL, `https://www.qyvo.io/api/v1`.
pub const DEFAULT_BASE_URL: &str = "https://www.qyvo.io/api/v1";

/// How long to wait for a TCP and TLS connection by default: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one attempt of a request may take in total by default: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variable holding the API token.
pub const TOKEN_ENV: &str = "QYVO_TOKEN";

/// The optional environment variable overriding the base URL.
pub const BASE_URL_ENV: &str = "QYVO_BASE_URL";

/// The `User-Agent` the SDK sends: `qyvo-rust/<version>`.
pub const USER_AGENT: &str = concat!("qyvo-rust/", env!("CARGO_PKG_VERSION"));

const MAX_REDIRECTS: usize = 5;

/// A failure to configure a [`Client`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable is not set (or not valid Unicode).
    MissingEnv {
        /// The variable's name.
        var: &'static str,
    },
    /// The token is empty or cannot be sent in an HTTP header (e.g. it contains CR or LF).
    InvalidToken {
        /// What is wrong with it; never the token itself.
        reason: &'static str,
    },
    /// The base URL does not parse or cannot be a base.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The base URL is not `https` and its host is not a loopback address.
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// The HTTP client could not be built (e.g. TLS initialisation failed).
    Http {
        /// The underlying error.
        source: reqwest::Error,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingEnv { var } => write!(f, "environment variable {var} is not set"),
            Self::InvalidToken { reason } => write!(f, "invalid api token: {reason}"),
            Self::InvalidBaseUrl { url, reason } => write!(f, "invalid base url {url:?}: {reason}"),
            Self::InsecureBaseUrl { url } => write!(
                f,
                "refusing base url {url:?}: only https is allowed, except for loopback hosts"
            ),
            Self::Http { .. } => f.write_str("cannot build the http client"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Http { source } => Some(source),
            _ => None,
        }
    }
}

/// A personal access token; never printed.
#[derive(Clone)]
struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    fn header_value(&self) -> Result<HeaderValue, ConfigError> {
        if self.0.trim().is_empty() {
            return Err(ConfigError::InvalidToken {
                reason: "the token is empty",
            });
        }
        if self.0.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(ConfigError::InvalidToken {
                reason: "the token contains control or non-ascii characters",
            });
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.0)).map_err(|_| {
            ConfigError::InvalidToken {
                reason: "the token cannot be sent in an http header",
            }
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// State shared by every clone of a [`Client`].
///
/// Users never build it: [`ClientBuilder::build`] does.
#[derive(Debug, Clone)]
pub struct Shared {
    pub(crate) runtime: Arc<crate::hooks::Runtime>,
}

/// Builds a configured [`Client`].
///
/// The client sends `Authorization: Bearer <token>` (marked sensitive, so it never shows in
/// `Debug` output), `Accept: application/json` and `User-Agent: qyvo-rust/<version>`, uses TLS
/// through rustls, and times out after [`DEFAULT_CONNECT_TIMEOUT`] to connect and
/// [`DEFAULT_TIMEOUT`] per attempt unless told otherwise.
///
/// ```
/// use std::time::Duration;
///
/// use qyvo::ClientInfo as _;
///
/// # fn main() -> Result<(), qyvo::ConfigError> {
/// let client = qyvo::ClientBuilder::new("my-token")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.baseurl(), "https://www.qyvo.io/api/v1");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    token: Token,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    runtime: crate::hooks::RuntimeConfig,
}

impl ClientBuilder {
    /// Starts a builder for the given personal access token and the production base URL.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Token(token.into()),
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            runtime: crate::hooks::RuntimeConfig::default(),
        }
    }

    /// Starts a builder from `QYVO_TOKEN` and, when set, `QYVO_BASE_URL`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::MissingEnv`] naming `QYVO_TOKEN` when it is not set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let token = var(TOKEN_ENV).ok_or(ConfigError::MissingEnv { var: TOKEN_ENV })?;
        let builder = Self::new(token);
        Ok(match var(BASE_URL_ENV) {
            Some(url) if !url.trim().is_empty() => builder.base_url(url),
            _ => builder,
        })
    }

    /// Uses another base URL, e.g. a local Qyvo server or a self-hosted instance.
    ///
    /// It must be `https`, or `http` on a loopback host (`127.0.0.1`, `[::1]`, `localhost`);
    /// [`build`](Self::build) checks it.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the total timeout of one attempt (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the retry policy (default [`RetryPolicy::default`]); see [`crate::retry`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.runtime.retry = policy;
        self
    }

    /// Sets the quota the proactive rate limiter starts from (default 120 requests per rolling
    /// 60 s, Qyvo's default). The limiter adopts the server's `X-RateLimit-Limit` as soon as it
    /// sees one; see [`crate::ratelimit`].
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.runtime.rate_limit = Some((limit, window));
        self
    }

    /// Turns the proactive rate limiter off: requests go out at once and a 429 is only
    /// retried after the fact.
    pub fn without_rate_limiter(mut self) -> Self {
        self.runtime.rate_limit = None;
        self
    }

    /// Sets the largest response body the client reads (default 10 MiB); a larger one fails
    /// with [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.runtime.max_response_bytes = bytes;
        self
    }

    /// Sets how long [`send_template`](crate::prelude::QyvoClientExt::send_template) caches a
    /// template's placeholders (default 5 minutes); `Duration::ZERO` fetches them every time.
    pub fn template_cache_ttl(mut self, ttl: Duration) -> Self {
        self.runtime.template_cache_ttl = ttl;
        self
    }

    /// Records each request's JSON body on its `qyvo.request` span, in a `body` field
    /// (default `false`; needs the `tracing` feature).
    ///
    /// Off, a span names the recipient only, masked (`phone = +1415*****23`): message text,
    /// template variables, names, emails and metadata are never recorded. On, the whole body
    /// is, including those, with the value of every `phone` and `contact_phone` key masked at
    /// any depth; a phone number under another key (in free-form metadata, say) is recorded as
    /// it is. The token is never in a body, and response bodies are never recorded. Turn it
    /// on to debug, not in production.
    ///
    /// ```
    /// # fn main() -> Result<(), qyvo::ConfigError> {
    /// let client = qyvo::ClientBuilder::new("my-token")
    ///     .trace_request_bodies(true)
    ///     .build()?;
    /// # drop(client);
    /// # Ok(())
    /// # }
    /// ```
    pub fn trace_request_bodies(mut self, on: bool) -> Self {
        self.runtime.trace_request_bodies = on;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the token cannot be sent in a header, the base URL is invalid or
    /// insecure, or the HTTP client cannot be built.
    pub fn build(self) -> Result<Client, ConfigError> {
        let base_url = checked_base_url(&self.base_url)?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, self.token.header_value()?);
        // Every operation answers JSON; `build.rs` drops progenitor's per-request copy.
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(USER_AGENT)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(redirect_policy())
            .build()
            .map_err(|source| ConfigError::Http { source })?;
        let limiter = self.runtime.rate_limit.map(|(limit, window)| {
            crate::ratelimit::RateLimiter::shared((&self.token.0, &base_url), limit, window)
        });
        let shared = Shared {
            runtime: Arc::new(crate::hooks::Runtime::new(self.runtime, limiter)),
        };
        Ok(Client::new_with_client(&base_url, http, shared))
    }
}

/// Parses and checks a base URL, returning it without a trailing slash.
fn checked_base_url(raw: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: raw.to_owned(),
        reason,
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(invalid("it has no host".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it has a query or fragment".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it carries credentials".to_owned()));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::InsecureBaseUrl {
                url: raw.to_owned(),
            });
        }
        other => return Err(invalid(format!("unsupported scheme {other:?}"))),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether the URL's host is a loopback address or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        None => false,
    }
}

/// Follows at most five redirects and never downgrades to plain http off loopback.
///
/// reqwest drops `Authorization` whenever a redirect changes host, port or scheme, so the
/// token never reaches another host.
fn redirect_policy() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if attempt.url().scheme() != "https" && !is_loopback(attempt.url()) {
            attempt.error("refusing a redirect to a non-https url")
        } else {
            attempt.follow()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        for (raw, expected) in [
            ("https://www.qyvo.io/api/v1", "https://www.qyvo.io/api/v1"),
            (
                "https://qyvo.example/api/v1/",
                "https://qyvo.example/api/v1",
            ),
            (
                "http://127.0.0.1:8080/api/v1",
                "http://127.0.0.1:8080/api/v1",
            ),
            ("http://[::1]:9/api/v1", "http://[::1]:9/api/v1"),
            (
                "http://localhost:3000/api/v1",
                "http://localhost:3000/api/v1",
            ),
        ] {
            assert_eq!(checked_base_url(raw).unwrap(), expected, "{raw}");
        }
    }

    #[test]
    fn refuses_insecure_or_malformed_base_urls() {
        assert!(matches!(
            checked_base_url("http://www.qyvo.io/api/v1"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        assert!(matches!(
            checked_base_url("http://10.0.0.1/api/v1"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        for raw in [
            "not a url",
            "ftp://qyvo.io",
            "mailto:x@y",
            "https://u:p@qyvo.io",
            "https://qyvo.io/?a=1",
        ] {
            assert!(
                matches!(
                    checked_base_url(raw),
                    Err(ConfigError::InvalidBaseUrl { .. })
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_tokens_that_cannot_be_headers() {
        for token in ["", "  ", "abc\r\nX-Evil: 1", "abc\n", "tab\there", "é"] {
            let err = ClientBuilder::new(token).build().unwrap_err();
            assert!(matches!(err, ConfigError::InvalidToken { .. }), "{token:?}");
            assert!(
                !err.to_string().contains("abc"),
                "the message leaks the token"
            );
        }
    }

    #[test]
    fn from_env_names_the_missing_variable_and_reads_the_base_url() {
        let err = ClientBuilder::from_vars(|_| None).unwrap_err();
        assert!(matches!(err, ConfigError::MissingEnv { var: "QYVO_TOKEN" }));
        assert_eq!(
            err.to_string(),
            "environment variable QYVO_TOKEN is not set"
        );
        let vars = |name: &str| match name {
            TOKEN_ENV => Some("from-env-token".to_owned()),
            BASE_URL_ENV => Some("http://127.0.0.1:9/api/v1/".to_owned()),
            _ => None,
        };
        let client = ClientBuilder::from_vars(vars).unwrap().build().unwrap();
        assert_eq!(
            progenitor_client::ClientInfo::baseurl(&client),
            "http://127.0.0.1:9/api/v1"
        );
        let blank_url = |name: &str| {
            (name == TOKEN_ENV)
                .then(|| "t".to_owned())
                .or(Some(" ".to_owned()))
        };
        let client = ClientBuilder::from_vars(blank_url)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            progenitor_client::ClientInfo::baseurl(&client),
            DEFAULT_BASE_URL
        );
    }

    #[test]
    fn never_prints_the_token() {
        let builder = ClientBuilder::new("s3cr3t-token-value");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
