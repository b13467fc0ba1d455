//! Building a configured [`Client`](crate::Client): token, base URL, timeouts, TLS, redirects,
//! the HTTP client's own settings, and the runtime's [`Settings`].

use std::{env, fmt, time::Duration};

use reqwest::{
    Url,
    header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue},
    redirect,
};

use super::{
    Shared,
    ratelimit::{Backend, Limiter},
    retry::RetryPolicy,
};
use crate::defaults;

/// A failure to configure a [`Client`](crate::Client).
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
        /// The URL as given, without any credentials, query or fragment it carries (they may
        /// hold a secret): `https://…@qyvo.io/api/v1?…`.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The base URL is not `https` and its host is not a loopback address.
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// The crate was built without a TLS feature (`rustls-ring`, `rustls-aws-lc` or
    /// `native-tls`), so only a loopback `http` base URL can be used.
    NoTls {
        /// The URL as given.
        url: String,
    },
    /// The Redis URL of a `RedisRateLimiter` does not parse (the `redis` feature). The URL
    /// is not repeated: it may hold a password.
    #[cfg(feature = "redis")]
    InvalidRedisUrl,
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
            Self::NoTls { url } => write!(
                f,
                "cannot use base url {url:?}: qyvo was built without a tls feature \
                 (rustls-ring, rustls-aws-lc or native-tls)"
            ),
            #[cfg(feature = "redis")]
            Self::InvalidRedisUrl => f.write_str("invalid redis url"),
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

/// The runtime's per-client settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) retry: RetryPolicy,
    /// `None` turns the proactive limiter off.
    pub(crate) rate_limit: Option<(u32, Duration)>,
    /// Where the limiter keeps its count.
    pub(crate) rate_limiter: Backend,
    pub(crate) max_response_bytes: usize,
    /// How long conveniences may reuse a template they looked up.
    pub(crate) template_cache_ttl: Duration,
    /// Whether request spans carry the (masked) request body.
    pub(crate) trace_request_bodies: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            rate_limit: Some((defaults::RATE_LIMIT, defaults::RATE_WINDOW)),
            rate_limiter: Backend::InProcess,
            max_response_bytes: defaults::MAX_RESPONSE_BYTES,
            template_cache_ttl: defaults::TEMPLATE_CACHE_TTL,
            trace_request_bodies: false,
        }
    }
}

/// What a [`Client`](crate::Client) is made of: see `ClientBuilder::build` in the seam.
pub(crate) struct Parts {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) shared: Shared,
}

/// Builds a configured [`Client`](crate::Client).
///
/// The client sends `Authorization: Bearer <token>` (marked sensitive, so it never shows in
/// `Debug` output), `Accept: application/json` and `User-Agent: qyvo-rust/<version>`, uses TLS
/// as the crate's features choose, follows redirects only within the base URL's origin, and
/// times out after [`defaults::CONNECT_TIMEOUT`] to connect and [`defaults::TIMEOUT`] per
/// attempt unless told otherwise.
///
/// ```
/// use std::time::Duration;
///
/// use qyvo::prelude::*;
///
/// # fn main() -> Result<(), qyvo::ConfigError> {
/// let client = ClientBuilder::new("my-token")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.baseurl(), "https://www.qyvo.io/api/v1");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    token: Token,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    http: Option<reqwest::ClientBuilder>,
    pub(crate) settings: Settings,
}

impl ClientBuilder {
    /// Starts a builder for the given personal access token and the production base URL.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Token(token.into()),
            base_url: defaults::BASE_URL.to_owned(),
            connect_timeout: defaults::CONNECT_TIMEOUT,
            timeout: defaults::TIMEOUT,
            http: None,
            settings: Settings::default(),
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
        let token = var(defaults::TOKEN_ENV).ok_or(ConfigError::MissingEnv {
            var: defaults::TOKEN_ENV,
        })?;
        let builder = Self::new(token);
        Ok(match var(defaults::BASE_URL_ENV) {
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

    /// Sets the connect timeout (default [`defaults::CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the total timeout of one attempt (default [`defaults::TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the HTTP client from `http` instead of a fresh `reqwest::ClientBuilder`: a proxy,
    /// extra CA roots, pool settings, local address, HTTP/2 choices stay as you set them.
    ///
    /// The SDK still sets what it relies on, over anything `http` says about it: the
    /// `Authorization`, `Accept` and `User-Agent` headers (other default headers stay), the
    /// timeouts of this builder, the redirect policy and the response-size bound (which is
    /// not a reqwest setting). `reqwest` is re-exported as [`qyvo::reqwest`](crate::reqwest),
    /// so the versions match.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let http = qyvo::reqwest::Client::builder()
    ///     .pool_idle_timeout(Duration::from_secs(30))
    ///     .pool_max_idle_per_host(4);
    /// let client = qyvo::ClientBuilder::new("my-token").http_client(http).build()?;
    /// # drop(client);
    /// # Ok(())
    /// # }
    /// ```
    pub fn http_client(mut self, http: reqwest::ClientBuilder) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets the retry policy (default [`RetryPolicy::default`]); see [`crate::retry`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Sets the quota the proactive rate limiter starts from (default
    /// [`defaults::RATE_LIMIT`] requests per rolling [`defaults::RATE_WINDOW`], Qyvo's quota).
    /// The limiter adopts the server's `X-RateLimit-Limit` as soon as it sees one; see
    /// [`crate::ratelimit`].
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.settings.rate_limit = Some((limit, window));
        self
    }

    /// Keeps the proactive rate limiter's count in `backend`: in this process
    /// ([`Backend::InProcess`], the default), or in Redis, shared by every process that uses the
    /// token (`RedisRateLimiter`, the `redis` feature). The quota is
    /// [`rate_limit`](Self::rate_limit)'s either way.
    ///
    /// ```
    /// # fn main() -> Result<(), qyvo::ConfigError> {
    /// let client = qyvo::ClientBuilder::new("my-token")
    ///     .rate_limiter(qyvo::ratelimit::Backend::InProcess)
    ///     .build()?;
    /// # drop(client);
    /// # Ok(())
    /// # }
    /// ```
    pub fn rate_limiter(mut self, backend: impl Into<Backend>) -> Self {
        self.settings.rate_limiter = backend.into();
        self
    }

    /// Turns the proactive rate limiter off: requests go out at once and a 429 is only
    /// retried after the fact.
    pub fn without_rate_limiter(mut self) -> Self {
        self.settings.rate_limit = None;
        self
    }

    /// Sets the largest response body the client reads (default
    /// [`defaults::MAX_RESPONSE_BYTES`]); a larger one fails with
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_response_bytes = bytes;
        self
    }

    /// Sets how long [`send_template`](crate::prelude::QyvoClientExt::send_template) may reuse
    /// a template's placeholders it looked up (default [`defaults::TEMPLATE_CACHE_TTL`]);
    /// `Duration::ZERO` looks the template up for every send.
    pub fn template_cache_ttl(mut self, ttl: Duration) -> Self {
        self.settings.template_cache_ttl = ttl;
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
        self.settings.trace_request_bodies = on;
        self
    }

    /// Checks the settings and builds the HTTP client and the runtime state.
    pub(crate) fn into_parts(self) -> Result<Parts, ConfigError> {
        let base = checked_base_url(&self.base_url, tls::AVAILABLE)?;
        let base_url = base.as_str().trim_end_matches('/').to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, self.token.header_value()?);
        // Every operation answers JSON; `build.rs` drops progenitor's per-request copy.
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        tls::prepare();
        let http = self
            .http
            .unwrap_or_default()
            .default_headers(headers)
            .user_agent(defaults::USER_AGENT)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(redirect_policy(base))
            .build()
            .map_err(|source| ConfigError::Http { source })?;
        let limiter = self.settings.rate_limit.map(|(limit, window)| {
            Limiter::new(
                &self.settings.rate_limiter,
                &self.token.0,
                &base_url,
                limit,
                window,
            )
        });
        Ok(Parts {
            base_url,
            http,
            shared: Shared::new(self.settings, limiter),
        })
    }
}

/// Parses and checks a base URL; without `tls`, only a loopback `http` one passes.
fn checked_base_url(raw: &str, tls: bool) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: without_secrets(raw),
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
        "https" if !tls => Err(ConfigError::NoTls {
            url: raw.to_owned(),
        }),
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ConfigError::InsecureBaseUrl {
            url: raw.to_owned(),
        }),
        other => Err(invalid(format!("unsupported scheme {other:?}"))),
    }
}

/// A URL, parsed or not, with its credentials, query and fragment elided.
fn without_secrets(raw: &str) -> String {
    // The part before any query or fragment, and the `?` or `#` that starts them.
    let (rest, separator) = match raw.find(['?', '#']) {
        Some(at) => (&raw[..at], Some(&raw[at..=at])),
        None => (raw, None),
    };
    let start = rest.find("://").map_or(0, |at| at + 3);
    let authority = &rest[start..];
    let end = authority.find('/').unwrap_or(authority.len());
    let mut shown = match authority[..end].rfind('@') {
        Some(at) => format!("{}…{}", &rest[..start], &authority[at..]),
        None => rest.to_owned(),
    };
    if let Some(separator) = separator {
        shown.push_str(separator);
        shown.push('…');
    }
    shown
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

/// Follows at most [`defaults::MAX_REDIRECTS`] redirects, and only within the base URL's
/// origin (scheme, host and port).
///
/// A redirect elsewhere is not followed: its answer comes back to the runtime, which reports
/// [`Error::Redirected`](crate::Error::Redirected). A request body (phone numbers, message text)
/// and the token therefore never leave the origin the client was configured with, whatever the
/// method and status (a 307 or 308 would re-send the body).
fn redirect_policy(base: Url) -> redirect::Policy {
    let origin = base.origin();
    redirect::Policy::custom(move |attempt| {
        if attempt.url().origin() != origin {
            attempt.stop()
        } else if attempt.previous().len() >= defaults::MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// The TLS backend, chosen by the crate's features.
mod tls {
    /// Whether the crate was built with a TLS backend.
    pub(super) const AVAILABLE: bool = cfg!(any(
        feature = "rustls-ring",
        feature = "rustls-aws-lc",
        feature = "native-tls"
    ));

    /// With `rustls-ring` alone, installs ring as the process's rustls provider unless one is
    /// already installed (reqwest's `rustls-no-provider` needs one); otherwise nothing.
    pub(super) fn prepare() {
        #[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc")))]
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Another thread may install one first; either provider serves.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::{BASE_URL, BASE_URL_ENV, TOKEN_ENV};

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
            assert_eq!(
                ClientBuilder::new("t")
                    .base_url(raw)
                    .into_parts()
                    .ok()
                    .map(|p| p.base_url)
                    .as_deref(),
                Some(expected),
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_insecure_or_malformed_base_urls() {
        assert!(matches!(
            checked_base_url("http://www.qyvo.io/api/v1", true),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        assert!(matches!(
            checked_base_url("http://10.0.0.1/api/v1", true),
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
                    checked_base_url(raw, true),
                    Err(ConfigError::InvalidBaseUrl { .. })
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_refused_base_url_is_shown_without_its_secrets() {
        for (raw, shown) in [
            ("https://u:s3cret@qyvo.io/api", "https://…@qyvo.io/api"),
            ("https://s3cret@qyvo.io", "https://…@qyvo.io"),
            ("https://qyvo.io/api?token=s3cret", "https://qyvo.io/api?…"),
            ("https://qyvo.io/api#s3cret", "https://qyvo.io/api#…"),
            ("u:s3cret@qyvo.io/x?y", "…@qyvo.io/x?…"),
            ("https://u:s3 cret@qyvo.io", "https://…@qyvo.io"),
        ] {
            let err = checked_base_url(raw, true).unwrap_err();
            assert!(
                matches!(&err, ConfigError::InvalidBaseUrl { url, .. } if url == shown),
                "{raw}: {err:?}"
            );
            assert!(!format!("{err} {err:?}").contains("s3"), "{err}");
        }
    }

    #[test]
    fn without_tls_only_a_loopback_base_url_is_accepted() {
        for raw in ["https://www.qyvo.io/api/v1", "https://127.0.0.1/api/v1"] {
            let err = checked_base_url(raw, false).unwrap_err();
            assert!(matches!(err, ConfigError::NoTls { .. }), "{raw}");
            assert!(
                err.to_string().contains("built without a tls feature"),
                "{err}"
            );
        }
        assert!(checked_base_url("http://127.0.0.1:8080/api/v1", false).is_ok());
        assert!(matches!(
            checked_base_url("http://10.0.0.1/api/v1", false),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
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
        assert_eq!(progenitor_client::ClientInfo::baseurl(&client), BASE_URL);
    }

    #[test]
    fn never_prints_the_token() {
        let builder = ClientBuilder::new("s3cr3t-token-value");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
