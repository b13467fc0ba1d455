//! [`Error`]: every way a call can fail, typed so callers `match` instead of reading JSON, and
//! the three answers every caller needs from a failure.
//!
//! Every call (generated or hand-written) fails with [`Error`], and every error answers:
//!
//! - **was it sent?** [`Error::acted`]: the server certainly did not act ([`Acted::No`]), may
//!   have acted ([`Acted::Maybe`]) or did act although its answer could not be used
//!   ([`Acted::Yes`]);
//! - **may I retry?** [`Error::is_retryable`]: repeating the same call cannot act twice and may
//!   succeed; [`Error::is_transient`]: waiting may fix it; [`Error::retry_after`]: how long the
//!   server asked to wait;
//! - **what do I tell my user?** the variant, [`Error::status`] and the `Display` message, which
//!   never holds a phone number, a name, message text, a raw body or the token.
//!
//! The SDK's own retries, bulk sends and pollers decide with these same methods.
//!
//! | variant | [`acted`](Error::acted) | [`is_transient`](Error::is_transient) | [`is_retryable`](Error::is_retryable) |
//! |---|---|---|---|
//! | `Unauthenticated`, `Forbidden`, `NotFound`, `Validation`, `MissingVariables`, `NoApprovedTranslation`, `NoWorkspace`, `NoWhatsAppAccount`, `WindowClosed`, `Rejected`, `Redirected` | No | no | no |
//! | `RateLimited` | No | yes | yes |
//! | `Server` | Maybe | yes | yes |
//! | `Transport`, `Timeout` (before the connection was made) | No | yes | yes |
//! | `Transport`, `Timeout` (after) | Maybe | yes | yes |
//! | `OutcomeUnknown` | Maybe | yes | **no** |
//! | `UnexpectedStatus` (2xx) | Yes | no | no |
//! | `UnexpectedStatus` (1xx, 3xx) | Maybe | no | no |
//! | `Decode` | Yes | yes | no |
//! | `ResponseTooLarge` | Yes | no | no |
//! | `InvalidRequest`, `InvalidPhone`, `InvalidVariables`, `InvalidTag`, `InvalidMetadata` | No | no | no |
//!
//! An operation that messages a person (a [`RetryClass::Send`](crate::catalog::RetryClass)) never
//! ends in `Server`, `Transport` or `Timeout` after the request may have reached the server: it
//! ends in [`Error::OutcomeUnknown`], which holds that cause and is never retryable.

use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, SystemTime},
};

use reqwest::{StatusCode, header::HeaderMap};

use crate::{
    catalog::RetryClass,
    contact::{MetadataError, TagError},
    phone::PhoneError,
    template::VariablesError,
    types::ApiError,
};

/// Whether the server may have acted on a failed request: for a send, whether a message may
/// have reached a person.
///
/// ```
/// use qyvo::error::{Acted, Error};
///
/// let e = Error::RateLimited { retry_after: None };
/// assert_eq!(e.acted(), Acted::No);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acted {
    /// Certainly not: the request was refused before it was sent, never reached the server, or
    /// was refused by it (a 4xx).
    No,
    /// Unknown: the request may have reached the server, which gave no usable answer (a 5xx, a
    /// timeout, a dropped connection).
    Maybe,
    /// Yes: the server accepted the request (a 2xx), but its answer could not be read.
    Yes,
}

/// A failed call to the Qyvo API, or a request refused before it was sent.
///
/// Every generated method's `send()` and every hand-written one fails with it, so `?` works in
/// any function returning `Result<_, qyvo::Error>`. See the [module documentation](self) for
/// what each variant answers to "was it sent" and "may I retry".
///
/// ```no_run
/// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
/// match client.get_contact().body_map(|b| b.phone(Some("+14155550123".to_owned()))).send().await {
///     Ok(contact) => println!("{}", contact.id),
///     Err(qyvo::Error::NotFound { what, .. }) => println!("no such {what}"),
///     Err(e) if e.is_retryable() => println!("try again later: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// 401: the token is missing, wrong or revoked.
    Unauthenticated,
    /// 403: the token lacks the required scope.
    Forbidden {
        /// The server's message.
        message: String,
    },
    /// 404: the resource does not exist or belongs to another tenant.
    NotFound {
        /// What was not found, e.g. `contact`, `template`, `sequence`.
        what: String,
        /// The server's message, e.g. `Contact not found`.
        message: String,
    },
    /// 422 with Laravel validation errors.
    Validation {
        /// The server's message, e.g. `The given data was invalid.`.
        message: String,
        /// Field name to messages.
        fields: BTreeMap<String, Vec<String>>,
    },
    /// Template variables are missing, found before sending or answered by the server.
    MissingVariables {
        /// Every placeholder the template needs.
        expected: Vec<String>,
        /// The ones not provided.
        missing: Vec<String>,
        /// `Some(422)` when the server answered; `None` when the SDK found them missing before
        /// sending.
        status: Option<u16>,
    },
    /// The template has no approved translation to send (it is pending or rejected).
    NoApprovedTranslation {
        /// The languages the server listed: the template's translations.
        available_languages: Vec<String>,
    },
    /// The token's user has no workspace.
    NoWorkspace,
    /// The workspace has no WhatsApp number yet.
    NoWhatsAppAccount,
    /// Free text outside the 24-hour customer-service window (Meta 131047): send a template
    /// instead.
    WindowClosed {
        /// The server's message.
        message: String,
    },
    /// 429: the quota is exhausted; retry after `retry_after` when the server said. Also what a
    /// call gets, without being sent, while the rate limiter waits out a pause the server asked
    /// for that is longer than the retry policy waits.
    RateLimited {
        /// The server's `Retry-After`, or what is left of the pause.
        retry_after: Option<Duration>,
    },
    /// Another 4xx: the server refused the request.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The server's message, when it sent one.
        message: Option<String>,
    },
    /// The server redirected the request to another origin, which the SDK refuses: neither the
    /// body nor the token leaves the configured base URL's origin.
    Redirected {
        /// The redirect's status, e.g. 307.
        status: u16,
        /// Where the server redirected to (its `Location`).
        location: String,
    },
    /// A status that is neither an error nor one the operation declares, e.g. a 200 where the
    /// operation answers 201: the server may have acted, but the answer cannot be read as the
    /// operation's result.
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// 5xx: the server failed.
    Server {
        /// The HTTP status.
        status: u16,
        /// The server's message, or the start of a non-JSON body.
        message: Option<String>,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The connection failed, or the response could not be read.
    Transport {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// No response came in time.
    Timeout {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// A send may or may not have reached the person: the request went out but no usable answer
    /// came (a 5xx, a timeout, a dropped connection). Never retried automatically; check the
    /// contact's messages before sending again.
    OutcomeUnknown {
        /// The operation, e.g. `send_template_message`.
        operation: &'static str,
        /// What happened: a [`Server`](Self::Server), [`Transport`](Self::Transport) or
        /// [`Timeout`](Self::Timeout) error.
        cause: Box<Error>,
    },
    /// A success response's body was larger than the client's bound.
    ResponseTooLarge {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// A success response's body did not match the spec.
    Decode {
        /// Where in the body decoding failed, e.g. `$[3].created_at`.
        path: String,
        /// The raw body; its `Debug` shows only its length.
        body: RawBody,
        /// Why it did not decode, with the values quoted in it left out.
        source: DecodeError,
    },
    /// The request could not be built (a required field is missing or a value is invalid);
    /// nothing was sent.
    InvalidRequest {
        /// What is wrong.
        message: String,
    },
    /// A phone number is not a valid E.164 number; nothing was sent.
    InvalidPhone(PhoneError),
    /// Template variables break a rule (empty value, line break, tab, more than four
    /// consecutive spaces); nothing was sent. Missing ones are [`Error::MissingVariables`].
    InvalidVariables(VariablesError),
    /// A tag is empty or contains a comma; nothing was sent.
    InvalidTag(TagError),
    /// Contact metadata is not an object or is over the documented size; nothing was sent.
    InvalidMetadata(MetadataError),
}

impl Error {
    /// Whether the server may have acted on the request; see the [module table](self).
    ///
    /// ```
    /// use qyvo::error::{Acted, Error};
    ///
    /// let e = Error::Server { status: 503, message: None, retry_after: None };
    /// assert_eq!(e.acted(), Acted::Maybe);
    /// assert_eq!(Error::Unauthenticated.acted(), Acted::No);
    /// ```
    pub fn acted(&self) -> Acted {
        match self {
            Self::Transport { source } | Self::Timeout { source } if source.is_connect() => {
                Acted::No
            }
            Self::Server { .. }
            | Self::Transport { .. }
            | Self::Timeout { .. }
            | Self::OutcomeUnknown { .. } => Acted::Maybe,
            Self::UnexpectedStatus { status } if (200..300).contains(status) => Acted::Yes,
            Self::UnexpectedStatus { .. } => Acted::Maybe,
            Self::ResponseTooLarge { .. } | Self::Decode { .. } => Acted::Yes,
            Self::Unauthenticated
            | Self::Forbidden { .. }
            | Self::NotFound { .. }
            | Self::Validation { .. }
            | Self::MissingVariables { .. }
            | Self::NoApprovedTranslation { .. }
            | Self::NoWorkspace
            | Self::NoWhatsAppAccount
            | Self::WindowClosed { .. }
            | Self::RateLimited { .. }
            | Self::Rejected { .. }
            | Self::Redirected { .. }
            | Self::InvalidRequest { .. }
            | Self::InvalidPhone(_)
            | Self::InvalidVariables(_)
            | Self::InvalidTag(_)
            | Self::InvalidMetadata(_) => Acted::No,
        }
    }

    /// Whether waiting may fix the failure: a 429, a 5xx, a failed connection, a timeout, an
    /// answer that did not decode (a proxy's page, a record that will leave a trigger's page).
    ///
    /// A transient error is not always safe to repeat: see [`is_retryable`](Self::is_retryable).
    ///
    /// ```
    /// let e = qyvo::Error::RateLimited { retry_after: None };
    /// assert!(e.is_transient());
    /// assert!(!qyvo::Error::Unauthenticated.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        self.is_retryable() || matches!(self, Self::OutcomeUnknown { .. } | Self::Decode { .. })
    }

    /// Whether repeating the same call is safe (it cannot act twice) and may succeed, after
    /// [`retry_after`](Self::retry_after) when there is one.
    ///
    /// The SDK already retried such an error as its [`RetryPolicy`](crate::retry::RetryPolicy)
    /// allows before returning it. A send that may have reached the person
    /// ([`Error::OutcomeUnknown`]) is never retryable.
    ///
    /// ```
    /// let e = qyvo::Error::Server { status: 503, message: None, retry_after: None };
    /// assert!(e.is_retryable());
    /// let unknown = qyvo::Error::OutcomeUnknown { operation: "send_text_message", cause: Box::new(e) };
    /// assert!(!unknown.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Transport { .. }
                | Self::Timeout { .. }
        )
    }

    /// The HTTP status the server answered with, when it answered.
    ///
    /// [`Error::RateLimited`] is 429 also when the limiter refused to send during a pause the
    /// server asked for with a 429.
    ///
    /// ```
    /// assert_eq!(qyvo::Error::Unauthenticated.status(), Some(401));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthenticated => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Validation { .. }
            | Self::NoApprovedTranslation { .. }
            | Self::NoWorkspace
            | Self::NoWhatsAppAccount
            | Self::WindowClosed { .. } => Some(422),
            Self::MissingVariables { status, .. } => *status,
            Self::RateLimited { .. } => Some(429),
            Self::Rejected { status, .. }
            | Self::Redirected { status, .. }
            | Self::Server { status, .. }
            | Self::UnexpectedStatus { status } => Some(*status),
            Self::OutcomeUnknown { cause, .. } => cause.status(),
            _ => None,
        }
    }

    /// How long the server asked to wait before trying again (`Retry-After`), if it did.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let e = qyvo::Error::RateLimited { retry_after: Some(Duration::from_secs(7)) };
    /// assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The raw body of a response that did not decode, for those who want to look at it.
    ///
    /// It is the user's customers' data: `Debug` and `Display` never show it.
    pub fn raw_body(&self) -> Option<&str> {
        match self {
            Self::Decode { body, .. } => Some(body.as_str()),
            _ => None,
        }
    }

    /// An error that leaves a generated request builder unsent.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
        }
    }

    /// Classifies a 3xx/4xx/5xx answer (a 1xx or 2xx becomes `UnexpectedStatus`) of an
    /// operation of `class`.
    pub(crate) fn from_answer(
        status: StatusCode,
        headers: &HeaderMap,
        body: Body,
        operation: &'static str,
        class: RetryClass,
    ) -> Self {
        Self::classify_answer(status, headers, body).in_operation(operation, class)
    }

    /// Classifies a transport error of an operation of `class`.
    pub(crate) fn from_transport(
        source: reqwest::Error,
        operation: &'static str,
        class: RetryClass,
    ) -> Self {
        let error = if is_too_large(&source) {
            Self::ResponseTooLarge { source }
        } else if source.is_timeout() {
            Self::Timeout { source }
        } else {
            Self::Transport { source }
        };
        error.in_operation(operation, class)
    }

    /// A send after which the message may have gone out becomes [`Error::OutcomeUnknown`].
    fn in_operation(self, operation: &'static str, class: RetryClass) -> Self {
        if class == RetryClass::Send && self.acted() == Acted::Maybe {
            Self::OutcomeUnknown {
                operation,
                cause: Box::new(self),
            }
        } else {
            self
        }
    }

    fn classify_answer(status: StatusCode, headers: &HeaderMap, body: Body) -> Self {
        let code = status.as_u16();
        if status.is_redirection()
            && let Some(location) = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
        {
            return Self::Redirected {
                status: code,
                location: location.to_owned(),
            };
        }
        if !status.is_client_error() && !status.is_server_error() {
            return Self::UnexpectedStatus { status: code };
        }
        let (api, non_json) = match body {
            Body::Json(api) => (api, false),
            Body::Text(excerpt) => (
                ApiError {
                    error: (!excerpt.is_empty()).then_some(excerpt),
                    ..ApiError::default()
                },
                true,
            ),
        };
        let text = redact(
            api.error
                .as_deref()
                .or(api.message.as_deref())
                .unwrap_or(""),
        );
        let message = (!text.is_empty()).then(|| text.clone());
        let lower = text.to_ascii_lowercase();
        let retry_after = || parse_retry_after(headers, SystemTime::now());
        match code {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden { message: text },
            404 => Self::NotFound {
                what: what_was_not_found(&text),
                message: text,
            },
            429 => Self::RateLimited {
                retry_after: retry_after(),
            },
            500..=599 => Self::Server {
                status: code,
                message,
                retry_after: retry_after(),
            },
            422 if !api.missing.is_empty() => Self::MissingVariables {
                expected: api.expected_placeholders,
                missing: api.missing,
                status: Some(422),
            },
            422 if !api.available_languages.is_empty()
                || lower.contains("no approved translation") =>
            {
                Self::NoApprovedTranslation {
                    available_languages: api.available_languages,
                }
            }
            422 if lower.contains("no workspace") => Self::NoWorkspace,
            422 if lower.contains("no whatsapp account") => Self::NoWhatsAppAccount,
            422 if is_window_closed(&lower) => Self::WindowClosed { message: text },
            422 if !api.errors.is_empty() || (api.error.is_none() && !non_json) => {
                Self::Validation {
                    message: redact(api.message.as_deref().unwrap_or("")),
                    fields: api
                        .errors
                        .into_iter()
                        .map(|(field, messages)| {
                            (field, messages.iter().map(|m| redact(m)).collect())
                        })
                        .collect(),
                }
            }
            _ => Self::Rejected {
                status: code,
                message,
            },
        }
    }
}

/// The body of an error answer, as the runtime read it.
#[derive(Debug)]
pub(crate) enum Body {
    /// A JSON body, read with the permissive error schema (an unreadable one is empty).
    Json(ApiError),
    /// The start of a body that is not JSON (an HTML page from a proxy, say), trimmed.
    Text(String),
}

/// The raw body of a response that did not decode.
///
/// Its `Debug` shows only its length: the body is the user's customers' data, and errors end up
/// in logs. Read it with [`as_str`](Self::as_str).
#[derive(Clone, PartialEq, Eq)]
pub struct RawBody(String);

impl RawBody {
    /// The body, as text (invalid UTF-8 replaced).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawBody(<{} bytes>)", self.0.len())
    }
}

/// Why a response body did not decode.
///
/// Its `Display` and `Debug` are serde_json's message with the values it quotes left out
/// (`invalid type: string "…", expected i64 at line 1 column 9`): a value in a body is the
/// user's customers' data.
pub struct DecodeError(serde_json::Error);

impl DecodeError {
    /// serde_json's error, whose own `Display` quotes the offending value.
    pub fn inner(&self) -> &serde_json::Error {
        &self.0
    }
}

/// Wraps serde_json's error, for callers that decode JSON of their own and must not show the
/// values it quotes.
///
/// ```
/// let e = serde_json::from_str::<u32>("\"+14155550123\"").unwrap_err();
/// let decode = qyvo::error::DecodeError::from(e);
/// assert!(!decode.to_string().contains("4155550123"));
/// ```
impl From<serde_json::Error> for DecodeError {
    fn from(error: serde_json::Error) -> Self {
        Self(error)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&without_quoted_values(&self.0.to_string()))
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodeError({self})")
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a success body as `T`; a mismatch names its JSON path.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let first = match serde_json::from_slice(bytes) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    // Only a failure pays for tracking the path: decode again, recording it.
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let (path, source) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) => (json_path(e.path()), e.into_inner()),
        Ok(_) => ("$".to_owned(), first),
    };
    Err(Error::Decode {
        path,
        body: RawBody(String::from_utf8_lossy(bytes).into_owned()),
        source: DecodeError(source),
    })
}

/// serde_path_to_error's `errors.phone[0]` as a JSONPath, `$.errors.phone[0]`.
fn json_path(path: &serde_path_to_error::Path) -> String {
    let path = path.to_string();
    match path.as_str() {
        "." => "$".to_owned(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// serde_json's message without the values it quotes: `"…"` for strings, `` `…` `` for other
/// values.
pub(crate) fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None if c == '"' || c == '`' => {
                out.push(c);
                quote = Some(c);
            }
            None => out.push(c),
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out
}

/// A server's message with anything that looks like a phone number (seven digits or more,
/// however separated) masked, so that an error can be logged.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= 7 {
            let trimmed = run.trim_end_matches(|c: char| !c.is_ascii_digit());
            out.push_str(&crate::phone::mask(trimmed));
            out.push_str(&run[trimmed.len()..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in message.chars() {
        let in_number = c.is_ascii_digit()
            || (!run.is_empty() && matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
            || (run.is_empty() && c == '+');
        if in_number {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

impl From<PhoneError> for Error {
    fn from(error: PhoneError) -> Self {
        Self::InvalidPhone(error)
    }
}

impl From<TagError> for Error {
    fn from(error: TagError) -> Self {
        Self::InvalidTag(error)
    }
}

impl From<MetadataError> for Error {
    fn from(error: MetadataError) -> Self {
        Self::InvalidMetadata(error)
    }
}

/// Missing placeholders become [`Error::MissingVariables`], the error the server's 422 maps
/// to; other problems [`Error::InvalidVariables`].
impl From<VariablesError> for Error {
    fn from(error: VariablesError) -> Self {
        if error.missing.is_empty() {
            Self::InvalidVariables(error)
        } else {
            Self::MissingVariables {
                expected: error.expected_placeholders,
                missing: error.missing,
                status: None,
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthenticated => f.write_str("unauthenticated: the token is missing, wrong or revoked"),
            Self::Forbidden { message } => write!(f, "forbidden: {}", lowercase_message(message)),
            Self::NotFound { what, .. } => write!(f, "{what} not found"),
            Self::Validation { fields, message } if fields.is_empty() => {
                write!(f, "validation failed: {}", lowercase_message(message))
            }
            Self::Validation { fields, .. } => {
                let names: Vec<_> = fields.keys().map(String::as_str).collect();
                write!(f, "validation failed for {}", names.join(", ").trim_end_matches('.'))
            }
            Self::MissingVariables { expected, missing, .. } => write!(
                f,
                "template variables missing: {} (the template expects {})",
                missing.join(", "),
                expected.join(", ")
            ),
            Self::NoApprovedTranslation { available_languages } if available_languages.is_empty() => {
                f.write_str("the template has no approved translation")
            }
            Self::NoApprovedTranslation { available_languages } => write!(
                f,
                "the template has no approved translation (translations: {})",
                available_languages.join(", ")
            ),
            Self::NoWorkspace => f.write_str("the account has no workspace"),
            Self::NoWhatsAppAccount => f.write_str("the workspace has no whatsapp account configured"),
            Self::WindowClosed { .. } => f.write_str(
                "the 24-hour customer-service window is closed (meta 131047): send a template instead",
            ),
            Self::RateLimited { retry_after: Some(wait) } => {
                write!(f, "rate limited: retry after {} s", wait.as_secs_f64().ceil())
            }
            Self::RateLimited { retry_after: None } => f.write_str("rate limited"),
            Self::Rejected { status, message } => match message {
                Some(m) => write!(f, "request rejected with status {status}: {}", lowercase_message(m)),
                None => write!(f, "request rejected with status {status}"),
            },
            Self::Redirected { status, location } => {
                write!(f, "refused a redirect ({status}) to another origin: {location}")
            }
            Self::UnexpectedStatus { status } => write!(f, "unexpected status {status}"),
            Self::Server { status, .. } => write!(f, "server error {status}"),
            Self::Transport { .. } => f.write_str("connection failed"),
            Self::Timeout { .. } => f.write_str("the request timed out"),
            Self::OutcomeUnknown { operation, cause } => write!(
                f,
                "{operation} may or may not have been performed: {cause}"
            ),
            Self::ResponseTooLarge { .. } => f.write_str("the response body is too large"),
            Self::Decode { path, .. } => write!(f, "cannot decode the response at {path}"),
            Self::InvalidRequest { message } => write!(f, "invalid request: {message}"),
            Self::InvalidPhone(_) => f.write_str("invalid phone number"),
            Self::InvalidVariables(_) => f.write_str("invalid template variables"),
            Self::InvalidTag(_) => f.write_str("invalid tag"),
            Self::InvalidMetadata(_) => f.write_str("invalid contact metadata"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport { source }
            | Self::Timeout { source }
            | Self::ResponseTooLarge { source } => Some(source),
            Self::OutcomeUnknown { cause, .. } => Some(cause.as_ref()),
            Self::Decode { source, .. } => Some(source),
            Self::InvalidPhone(source) => Some(source),
            Self::InvalidVariables(source) => Some(source),
            Self::InvalidTag(source) => Some(source),
            Self::InvalidMetadata(source) => Some(source),
            _ => None,
        }
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
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

/// `Contact not found.` → `contact not found`, for embedding in our own messages.
fn lowercase_message(message: &str) -> String {
    let trimmed = message.trim().trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `Contact not found` → `contact`; `Sequence not found or not published` → `sequence`.
fn what_was_not_found(message: &str) -> String {
    let lower = message.trim().to_lowercase();
    match lower.find(" not found") {
        Some(end) if end > 0 => lower[..end].to_owned(),
        _ => "resource".to_owned(),
    }
}

/// Meta's re-engagement rejection (131047), however the server words it.
fn is_window_closed(lower: &str) -> bool {
    lower.contains("131047")
        || lower.contains("re-engagement")
        || lower.contains("24-hour window")
        || lower.contains("24 hour window")
}

fn is_too_large(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// A short, secret-free description of a transport error, for logs.
#[cfg(feature = "tracing")]
pub(crate) fn describe_transport(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect failed"
    } else if error.is_body() || error.is_decode() {
        "body read failed"
    } else {
        "request failed"
    }
}

#[cfg(test)]
pub(crate) mod tests;
