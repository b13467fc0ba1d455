//! The one error type of the webhook module and the reasons a signature header is malformed.

use std::{error::Error, fmt};

use crate::error::DecodeError;

/// Why a webhook delivery could not be verified or decoded, or a secret could not be used.
///
/// No variant ever carries the secret, and neither `Display`, `Debug` nor any
/// [`source`](Error::source) quotes the payload: a decoding failure names the JSON path, and
/// its [`DecodeError`] leaves out the values serde_json would quote (a payload holds phone
/// numbers, names and message text).
///
/// [`WebhookError::is_signature_error`] tells the failures that should be answered with
/// `401 Unauthorized` from those that should be answered with `400 Bad Request`.
///
/// # Example
///
/// ```
/// use qyvo::webhook::{Verifier, WebhookError, WebhookSecret};
///
/// let verifier = Verifier::new("whsec_example".parse()?);
/// let err = verifier.verify(None, b"{}").unwrap_err();
/// assert!(matches!(err, WebhookError::MissingSignature));
/// assert!(err.is_signature_error());
/// assert_eq!(err.to_string(), "missing x-qyvo-signature header");
/// # Ok::<(), WebhookError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// The secret cannot be used as an HMAC key (it is empty, or only whitespace and control characters).
    InvalidSecret {
        /// What is wrong with it; never the secret itself.
        reason: &'static str,
    },
    /// The request has no `X-Qyvo-Signature` header.
    MissingSignature,
    /// The `X-Qyvo-Signature` header is not `t=<unix seconds>,v1=<64 hex digits>[,...]`.
    MalformedSignature {
        /// Which rule the header breaks.
        reason: MalformedReason,
    },
    /// The signature is authentic but its timestamp is older than the tolerance allows.
    StaleTimestamp {
        /// How many seconds before "now" the signature was made.
        age_secs: u64,
        /// The tolerance in force, in seconds.
        tolerance_secs: u64,
    },
    /// The signature is authentic but its timestamp is further in the future than the tolerance
    /// allows (a clock problem on one side, or a pre-signed replay).
    FutureTimestamp {
        /// How many seconds after "now" the signature claims to be made.
        ahead_secs: u64,
        /// The tolerance in force, in seconds.
        tolerance_secs: u64,
    },
    /// No `v1` signature in the header matches the body under any of the secrets.
    BadSignature,
    /// The body is not JSON, or a known event's body does not match its schema.
    InvalidPayload {
        /// Where decoding stopped, as a JSON path such as `message.created_at` (`.` for the
        /// document itself).
        path: String,
        /// The decoder's error, without the values it quotes
        /// ([`DecodeError::inner`] has them).
        source: DecodeError,
    },
}

impl WebhookError {
    /// Whether this is a failure to authenticate the delivery (answer `401`), as opposed to a
    /// bad payload or configuration.
    ///
    /// True for a missing, malformed or non-matching signature and for a timestamp outside the
    /// tolerance.
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::WebhookError;
    ///
    /// assert!(WebhookError::BadSignature.is_signature_error());
    /// let bad_json = qyvo::webhook::WebhookEvent::from_slice(b"{").unwrap_err();
    /// assert!(!bad_json.is_signature_error());
    /// ```
    pub fn is_signature_error(&self) -> bool {
        matches!(
            self,
            Self::MissingSignature
                | Self::MalformedSignature { .. }
                | Self::StaleTimestamp { .. }
                | Self::FutureTimestamp { .. }
                | Self::BadSignature
        )
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSecret { reason } => write!(f, "invalid webhook secret: {reason}"),
            Self::MissingSignature => f.write_str("missing x-qyvo-signature header"),
            Self::MalformedSignature { reason } => {
                write!(f, "malformed x-qyvo-signature header: {reason}")
            }
            Self::StaleTimestamp {
                age_secs,
                tolerance_secs,
            } => write!(
                f,
                "webhook signature is {age_secs}s old, beyond the {tolerance_secs}s tolerance"
            ),
            Self::FutureTimestamp {
                ahead_secs,
                tolerance_secs,
            } => write!(
                f,
                "webhook signature is dated {ahead_secs}s in the future, beyond the {tolerance_secs}s tolerance"
            ),
            Self::BadSignature => f.write_str("no v1 signature matches the webhook secret"),
            Self::InvalidPayload { path, .. } => write!(f, "invalid webhook payload at `{path}`"),
        }
    }
}

impl Error for WebhookError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::InvalidPayload { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Which rule a malformed `X-Qyvo-Signature` header breaks.
///
/// # Example
///
/// ```
/// use qyvo::webhook::{MalformedReason, SignatureHeader, WebhookError};
///
/// let err = "t=abc,v1=00".parse::<SignatureHeader>().unwrap_err();
/// assert!(matches!(
///     err,
///     WebhookError::MalformedSignature { reason: MalformedReason::InvalidTimestamp }
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MalformedReason {
    /// The header value is empty.
    Empty,
    /// The header value is not visible ASCII.
    NotText,
    /// A comma-separated element is not `key=value`.
    NotKeyValue,
    /// The `t` value is not a whole number of unix seconds written canonically (no `+`, no
    /// leading zeros).
    InvalidTimestamp,
    /// `t` appears more than once.
    DuplicateTimestamp,
    /// There is no `t` element.
    MissingTimestamp,
    /// A `v1` value is not 64 hexadecimal digits.
    InvalidV1,
    /// There is no `v1` element.
    MissingV1,
}

impl fmt::Display for MalformedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "the header is empty",
            Self::NotText => "the header is not visible ascii",
            Self::NotKeyValue => "an element is not `key=value`",
            Self::InvalidTimestamp => "`t` is not a whole number of unix seconds",
            Self::DuplicateTimestamp => "`t` appears more than once",
            Self::MissingTimestamp => "there is no `t` element",
            Self::InvalidV1 => "a `v1` value is not 64 hex digits",
            Self::MissingV1 => "there is no `v1` element",
        })
    }
}
