//! The signing secret, the `X-Qyvo-Signature` header, signing and verification.

use std::{fmt, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, de};
use sha2::Sha256;

use super::{MalformedReason, WebhookError, WebhookEvent};

/// The name of the header that carries the signature (lowercase, as `http` stores names).
pub const SIGNATURE_HEADER: &str = "x-qyvo-signature";

/// HMAC-SHA256, the documented algorithm.
type HmacSha256 = Hmac<Sha256>;

/// Bytes in an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

/// An HMAC-SHA256 tag: one `v1` value of the header.
type Tag = [u8; TAG_LEN];

/// A webhook's signing secret, as shown once in the dashboard.
///
/// The secret's UTF-8 bytes are the HMAC key (INFERRED: the docs do not say whether a prefix or
/// an encoding is stripped; like Stripe's `whsec_…` secrets, the string is used as is).
/// Surrounding whitespace is trimmed, so a secret read from a file or an environment variable
/// with a trailing newline still works.
///
/// Only the keyed HMAC state is kept, never the text. `Debug` prints `WebhookSecret(<redacted>)`
/// and there is deliberately no `Display` or `Serialize`. `Deserialize` reads a string, for
/// configuration files.
///
/// # Example
///
/// ```
/// use qyvo::webhook::WebhookSecret;
///
/// let secret: WebhookSecret = "whsec_9f8e7d\n".parse()?;
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
/// assert!("  ".parse::<WebhookSecret>().is_err());
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
#[derive(Clone)]
pub struct WebhookSecret {
    /// The HMAC keyed with the secret, cloned for every signature.
    keyed: HmacSha256,
}

impl WebhookSecret {
    /// Checks the secret and prepares the HMAC key.
    ///
    /// Fails with [`WebhookError::InvalidSecret`] when the secret is blank: nothing but
    /// whitespace and control characters (such as NUL, as a zeroed buffer or a C string
    /// would give).
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::WebhookSecret;
    ///
    /// let secret = WebhookSecret::new("whsec_9f8e7d")?;
    /// # let _ = secret;
    /// # Ok::<(), qyvo::webhook::WebhookError>(())
    /// ```
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let secret = secret.trim();
        if secret.chars().all(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookError::InvalidSecret {
                reason: "it is blank (empty, or only whitespace and control characters)",
            });
        }
        let keyed = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| {
            WebhookError::InvalidSecret {
                reason: "hmac-sha256 rejects the key",
            }
        })?;
        Ok(Self { keyed })
    }

    /// The tag of `"{timestamp}.{body}"` (the INFERRED signed string).
    fn tag(&self, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl FromStr for WebhookSecret {
    type Err = WebhookError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for WebhookSecret {
    type Error = WebhookError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for WebhookSecret {
    type Error = WebhookError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl<'de> Deserialize<'de> for WebhookSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(de::Error::custom)
    }
}

/// A parsed `X-Qyvo-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
///
/// Elements are separated by commas (spaces around them are ignored) and may come in any
/// order. Exactly one `t` is required, as an optionally negative whole number of unix seconds
/// written canonically (no `+`, no leading zeros);
/// at least one `v1`, each 64 hexadecimal digits in either case (several appear while a secret
/// is being rotated). Elements with any other key, such as `v0`, are ignored. Anything else is
/// [`WebhookError::MalformedSignature`].
///
/// `Display` writes the canonical form, lowercase hex, which parses back to the same value.
///
/// # Example
///
/// ```
/// use qyvo::webhook::SignatureHeader;
///
/// let v1 = "ab".repeat(32);
/// let header: SignatureHeader = format!("t=1717243200, v0=legacy, v1={v1}").parse()?;
/// assert_eq!(header.timestamp(), 1_717_243_200);
/// assert_eq!(header.signatures(), &[[0xab; 32]]);
/// assert_eq!(header.to_string(), format!("t=1717243200,v1={v1}"));
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignatureHeader {
    /// The `t` value, unix seconds.
    timestamp: i64,
    /// The `v1` values, in header order; never empty.
    signatures: Vec<Tag>,
}

impl SignatureHeader {
    /// The signing time, in unix seconds (the `t` element).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The `v1` HMAC-SHA256 tags, in header order; at least one.
    pub fn signatures(&self) -> &[[u8; 32]] {
        &self.signatures
    }
}

impl FromStr for SignatureHeader {
    type Err = WebhookError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = |reason| WebhookError::MalformedSignature { reason };
        if s.trim().is_empty() {
            return Err(malformed(MalformedReason::Empty));
        }
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for element in s.split(',') {
            let (key, value) = element
                .trim()
                .split_once('=')
                .ok_or(malformed(MalformedReason::NotKeyValue))?;
            match key {
                "t" => {
                    let t = parse_unix_seconds(value)
                        .ok_or(malformed(MalformedReason::InvalidTimestamp))?;
                    if timestamp.replace(t).is_some() {
                        return Err(malformed(MalformedReason::DuplicateTimestamp));
                    }
                }
                "v1" => {
                    signatures.push(decode_tag(value).ok_or(malformed(MalformedReason::InvalidV1))?)
                }
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(malformed(MalformedReason::MissingTimestamp))?;
        if signatures.is_empty() {
            return Err(malformed(MalformedReason::MissingV1));
        }
        Ok(Self {
            timestamp,
            signatures,
        })
    }
}

impl fmt::Display for SignatureHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", self.timestamp)?;
        for tag in &self.signatures {
            f.write_str(",v1=")?;
            for byte in tag {
                write!(f, "{byte:02x}")?;
            }
        }
        Ok(())
    }
}

/// A canonical decimal `i64` (`-?[1-9][0-9]*` or `0`); `None` for anything else, including `+5`,
/// leading zeros, `-0` and overflow.
///
/// Only the canonical form is accepted because the signed string re-renders `t` from the
/// parsed number: a non-canonical `t` would be signed as different text than the header holds.
fn parse_unix_seconds(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = match digits.as_bytes() {
        [] => false,
        [b'0'] => digits.len() == text.len(),
        [first, rest @ ..] => {
            *first != b'0' && first.is_ascii_digit() && rest.iter().all(u8::is_ascii_digit)
        }
    };
    if canonical { text.parse().ok() } else { None }
}

/// Exactly 64 hex digits (either case) as a tag; `None` for anything else.
///
/// Hand-rolled rather than a `hex` dependency: the only input is one fixed-size tag.
fn decode_tag(text: &str) -> Option<Tag> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * TAG_LEN {
        return None;
    }
    let mut tag = [0; TAG_LEN];
    for (out, pair) in tag.iter_mut().zip(bytes.chunks_exact(2)) {
        *out = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(tag)
}

/// The value of one hexadecimal digit.
fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Builds the `X-Qyvo-Signature` value Qyvo would send for `body` signed at `timestamp`.
///
/// The signed string is `"{timestamp}.{body}"`, HMAC-SHA256 with the secret, hex-encoded as the
/// single `v1` value. That string is INFERRED (Stripe's scheme, which the header format copies);
/// the docs are cut before they name it. Use this to test your own endpoint.
///
/// # Example
///
/// ```
/// use qyvo::webhook::{Verifier, WebhookSecret, sign};
///
/// let secret: WebhookSecret = "whsec_example".parse()?;
/// let body = br#"{"event":"webhook.test","webhook_id":"wh_1"}"#;
/// let now = chrono::Utc::now();
/// let header = sign(&secret, now.timestamp(), body);
/// assert!(header.starts_with(&format!("t={},v1=", now.timestamp())));
/// Verifier::new(secret).verify_at(Some(&header), body, now)?;
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
pub fn sign(secret: &WebhookSecret, timestamp: i64, body: &[u8]) -> String {
    let tag: Tag = secret.tag(timestamp, body).finalize().into_bytes().into();
    SignatureHeader {
        timestamp,
        signatures: vec![tag],
    }
    .to_string()
}

/// Checks `X-Qyvo-Signature` headers against one or more secrets, within a time tolerance.
///
/// A delivery is authentic when any `v1` value of the header equals, in constant time, the
/// HMAC-SHA256 of `"{t}.{raw body}"` under any of the secrets (several secrets let you accept
/// both the old and the new one while rotating). The signature is checked first, then the
/// timestamp: a [`WebhookError::StaleTimestamp`] or [`WebhookError::FutureTimestamp`] therefore
/// always concerns an authentic but replayed or clock-skewed delivery. The tolerance applies in
/// both directions and defaults to [`defaults::WEBHOOK_TOLERANCE`](crate::defaults::WEBHOOK_TOLERANCE) (five minutes).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use qyvo::webhook::{Verifier, WebhookError, WebhookSecret, sign};
///
/// let old: WebhookSecret = "whsec_old".parse()?;
/// let new: WebhookSecret = "whsec_new".parse()?;
/// let verifier = Verifier::new(new).with_secret(old.clone()).with_tolerance(Duration::from_secs(60));
///
/// let now = chrono::Utc::now();
/// let body = b"{}";
/// verifier.verify_at(Some(&sign(&old, now.timestamp(), body)), body, now)?;
///
/// let late = sign(&old, now.timestamp() - 61, body);
/// assert!(matches!(
///     verifier.verify_at(Some(&late), body, now),
///     Err(WebhookError::StaleTimestamp { age_secs: 61, tolerance_secs: 60 })
/// ));
/// # Ok::<(), WebhookError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    /// Every secret accepted; never empty.
    secrets: Vec<WebhookSecret>,
    /// How far the signed time may be from now, either way.
    tolerance: Duration,
}

impl Verifier {
    /// A verifier for one secret with the default tolerance.
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::Verifier;
    ///
    /// let verifier = Verifier::new("whsec_example".parse()?);
    /// assert_eq!(verifier.tolerance(), qyvo::defaults::WEBHOOK_TOLERANCE);
    /// # Ok::<(), qyvo::webhook::WebhookError>(())
    /// ```
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secrets: vec![secret],
            tolerance: crate::defaults::WEBHOOK_TOLERANCE,
        }
    }

    /// Also accepts signatures made with `secret`, e.g. the previous one during a rotation.
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::{Verifier, WebhookSecret};
    ///
    /// let verifier = Verifier::new("whsec_new".parse()?).with_secret("whsec_old".parse()?);
    /// # let _ = verifier;
    /// # Ok::<(), qyvo::webhook::WebhookError>(())
    /// ```
    pub fn with_secret(mut self, secret: WebhookSecret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Sets how far the signed timestamp may lie from now, in either direction.
    ///
    /// Whole seconds count; sub-second parts are dropped. [`Duration::ZERO`] demands the very
    /// same second.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use qyvo::webhook::Verifier;
    ///
    /// let verifier = Verifier::new("whsec_example".parse()?).with_tolerance(Duration::from_secs(30));
    /// assert_eq!(verifier.tolerance(), Duration::from_secs(30));
    /// # Ok::<(), qyvo::webhook::WebhookError>(())
    /// ```
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Duration::from_secs(tolerance.as_secs());
        self
    }

    /// The timestamp tolerance in force.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Verifies a delivery against the system clock.
    ///
    /// `signature` is the `X-Qyvo-Signature` header value (`None` when absent), `body` the raw
    /// request body, byte for byte as received. See [`Verifier::verify_at`].
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::{Verifier, WebhookSecret, sign};
    ///
    /// let secret: WebhookSecret = "whsec_example".parse()?;
    /// let body = b"{}";
    /// let header = sign(&secret, chrono::Utc::now().timestamp(), body);
    /// Verifier::new(secret).verify(Some(&header), body)?;
    /// # Ok::<(), qyvo::webhook::WebhookError>(())
    /// ```
    pub fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(signature, body, Utc::now())
    }

    /// Verifies a delivery as if the time were `now` (deterministic, for tests).
    ///
    /// Fails with [`WebhookError::MissingSignature`], [`WebhookError::MalformedSignature`],
    /// [`WebhookError::BadSignature`], then [`WebhookError::StaleTimestamp`] or
    /// [`WebhookError::FutureTimestamp`], in that order of checking.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::TimeZone;
    /// use qyvo::webhook::{Verifier, WebhookError, WebhookSecret, sign};
    ///
    /// let secret: WebhookSecret = "whsec_example".parse()?;
    /// let now = chrono::Utc.timestamp_opt(1_717_243_200, 0).unwrap();
    /// let header = sign(&secret, 1_717_243_200 + 301, b"{}");
    /// assert!(matches!(
    ///     Verifier::new(secret).verify_at(Some(&header), b"{}", now),
    ///     Err(WebhookError::FutureTimestamp { ahead_secs: 301, tolerance_secs: 300 })
    /// ));
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn verify_at(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let header: SignatureHeader = signature.ok_or(WebhookError::MissingSignature)?.parse()?;
        let authentic = self.secrets.iter().any(|secret| {
            let expected = secret.tag(header.timestamp, body);
            header
                .signatures
                .iter()
                .any(|tag| expected.clone().verify_slice(tag).is_ok())
        });
        if !authentic {
            return Err(WebhookError::BadSignature);
        }
        self.check_age(header.timestamp, now.timestamp())
    }

    /// Accepts `signed` when it lies within the tolerance of `now`, either way.
    fn check_age(&self, signed: i64, now: i64) -> Result<(), WebhookError> {
        let tolerance_secs = self.tolerance.as_secs();
        let age = i128::from(now) - i128::from(signed);
        let saturate = |secs: i128| u64::try_from(secs).unwrap_or(u64::MAX);
        if age > i128::from(tolerance_secs) {
            Err(WebhookError::StaleTimestamp {
                age_secs: saturate(age),
                tolerance_secs,
            })
        } else if -age > i128::from(tolerance_secs) {
            Err(WebhookError::FutureTimestamp {
                ahead_secs: saturate(-age),
                tolerance_secs,
            })
        } else {
            Ok(())
        }
    }

    /// Verifies a delivery against the system clock and decodes its event: the one call a web
    /// handler needs.
    ///
    /// Reads the first `X-Qyvo-Signature` header of `headers` (the `http` crate's map, which
    /// axum, hyper, reqwest and warp share). Answer `401` when the error
    /// [`is_signature_error`](WebhookError::is_signature_error), `400` otherwise.
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::{SIGNATURE_HEADER, Verifier, WebhookEvent, WebhookSecret, sign};
    ///
    /// let secret: WebhookSecret = "whsec_example".parse()?;
    /// let body = br#"{"event":"webhook.test","webhook_id":"wh_1","timestamp":1717243200}"#;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign(&secret, chrono::Utc::now().timestamp(), body).parse()?);
    ///
    /// let event = Verifier::new(secret).verify_and_parse(&headers, body)?;
    /// assert_eq!(event.event_name(), "webhook.test");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_and_parse(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        self.verify_and_parse_at(headers, body, Utc::now())
    }

    /// [`Verifier::verify_and_parse`] as if the time were `now` (deterministic, for tests).
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::{SIGNATURE_HEADER, Verifier, WebhookError, WebhookSecret, sign};
    ///
    /// let secret: WebhookSecret = "whsec_example".parse()?;
    /// let now = chrono::Utc::now();
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign(&secret, now.timestamp(), b"not json").parse()?);
    ///
    /// let err = Verifier::new(secret).verify_and_parse_at(&headers, b"not json", now).unwrap_err();
    /// assert!(matches!(err, WebhookError::InvalidPayload { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_and_parse_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, WebhookError> {
        let signature = headers
            .get(SIGNATURE_HEADER)
            .map(|value| {
                value
                    .to_str()
                    .map_err(|_| WebhookError::MalformedSignature {
                        reason: MalformedReason::NotText,
                    })
            })
            .transpose()?;
        self.verify_at(signature, body, now)?;
        WebhookEvent::from_slice(body)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    const NOW: i64 = 1_717_243_200;
    const BODY: &[u8] = br#"{"event":"webhook.test","webhook_id":"wh_1"}"#;

    fn secret(text: &str) -> WebhookSecret {
        text.parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(NOW, 0).unwrap()
    }

    fn verifier() -> Verifier {
        Verifier::new(secret("whsec_test"))
    }

    /// A verification case: name, header, body, and the expected outcome.
    type Case<'a> = (&'a str, Option<&'a str>, &'a [u8], Result<(), &'a str>);

    fn hex_of(header: &str) -> &str {
        header.split_once(",v1=").unwrap().1
    }

    /// A known-answer vector computed independently:
    /// `openssl dgst -sha256 -hmac whsec_test` over `1717243200.` followed by [`BODY`].
    #[test]
    fn signs_t_dot_body_with_hmac_sha256() {
        assert_eq!(
            sign(&secret("whsec_test"), NOW, BODY),
            "t=1717243200,v1=63be750a0663d235bf4499d349bba1eaa159078122b80d0e15e40d1cb4a02b96"
        );
    }

    #[test]
    fn secret_is_trimmed_and_never_blank() {
        assert_eq!(
            sign(&secret(" whsec_test\n"), NOW, BODY),
            sign(&secret("whsec_test"), NOW, BODY)
        );
        for blank in ["", "  ", "\n", "\0", "\0\0\0\0", " \0\t\u{7f}\u{85}\0 "] {
            let err = blank.parse::<WebhookSecret>().unwrap_err();
            assert_eq!(
                err.to_string(),
                "invalid webhook secret: it is blank (empty, or only whitespace and control characters)",
                "{blank:?}"
            );
        }
        assert!(WebhookSecret::new("\0x\0").is_ok());
        let from_json: WebhookSecret = serde_json::from_str("\"whsec_test\"").unwrap();
        assert_eq!(
            sign(&from_json, NOW, BODY),
            sign(&secret("whsec_test"), NOW, BODY)
        );
        assert!(serde_json::from_str::<WebhookSecret>("\"\"").is_err());
        assert!(WebhookSecret::try_from(String::from("x")).is_ok());
        assert!(WebhookSecret::try_from("").is_err());
    }

    /// Issue 12: a secret of NUL bytes (a zeroed buffer) was accepted as non-blank.
    #[test]
    fn nul_only_secret_is_refused() {
        assert!(WebhookSecret::new("\0\0\0\0").is_err());
        assert!(serde_json::from_str::<WebhookSecret>(r#"" \u0000\u0000 ""#).is_err());
    }

    #[test]
    fn secret_never_shows_in_debug_or_errors() {
        let secret = secret("whsec_supersecret");
        let verifier = Verifier::new(secret.clone());
        let shown = format!("{secret:?} {verifier:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("WebhookSecret(<redacted>)"));
        let err = verifier
            .verify_at(Some("t=1,v1=zz"), BODY, now())
            .unwrap_err();
        assert!(!format!("{err} {err:?}").contains("supersecret"));
    }

    #[test]
    fn verification_table() {
        let good = sign(&secret("whsec_test"), NOW, BODY);
        let other = sign(&secret("whsec_other"), NOW, BODY);
        let v1 = hex_of(&good).to_owned();
        let other_v1 = hex_of(&other).to_owned();
        let upper = format!("t={NOW},v1={}", v1.to_uppercase());
        let spaced = format!(" v0=legacy , v1={v1} , t={NOW} ");
        let rotated = format!("t={NOW},v1={other_v1},v1={v1}");
        let stale = sign(&secret("whsec_test"), NOW - 301, BODY);
        let edge_old = sign(&secret("whsec_test"), NOW - 300, BODY);
        let future = sign(&secret("whsec_test"), NOW + 301, BODY);
        let edge_future = sign(&secret("whsec_test"), NOW + 300, BODY);
        let tampered = br#"{"event":"webhook.test","webhook_id":"wh_2"}"#;
        let short = format!("t={NOW},v1={}", &v1[..62]);
        let dup_t = format!("t={NOW},t={NOW},v1={v1}");
        let no_t = format!("v1={v1}");
        let plus_t = format!("t=+{NOW},v1={v1}");
        let zero_t = format!("t=0{NOW},v1={v1}");
        let only_v0 = format!("t={NOW},v0={v1}");
        let trailing_comma = format!("{good},");

        use MalformedReason as R;
        let cases: Vec<Case<'_>> = vec![
            ("good", Some(&good), BODY, Ok(())),
            ("uppercase hex", Some(&upper), BODY, Ok(())),
            ("any order, spaces, v0 ignored", Some(&spaced), BODY, Ok(())),
            ("second v1 matches", Some(&rotated), BODY, Ok(())),
            ("exactly tolerance old", Some(&edge_old), BODY, Ok(())),
            ("exactly tolerance ahead", Some(&edge_future), BODY, Ok(())),
            ("tampered body", Some(&good), tampered, Err("bad")),
            ("wrong secret", Some(&other), BODY, Err("bad")),
            ("stale", Some(&stale), BODY, Err("stale")),
            ("future", Some(&future), BODY, Err("future")),
            ("missing", None, BODY, Err("missing")),
            ("empty", Some(""), BODY, Err("Empty")),
            ("blank", Some("  "), BODY, Err("Empty")),
            ("t=abc", Some("t=abc,v1=00"), BODY, Err("InvalidTimestamp")),
            ("t=+n", Some(&plus_t), BODY, Err("InvalidTimestamp")),
            ("t empty", Some("t=,v1=00"), BODY, Err("InvalidTimestamp")),
            (
                "t leading zero",
                Some(&zero_t),
                BODY,
                Err("InvalidTimestamp"),
            ),
            ("t=-0", Some("t=-0,v1=00"), BODY, Err("InvalidTimestamp")),
            (
                "t overflow",
                Some("t=99999999999999999999,v1=00"),
                BODY,
                Err("InvalidTimestamp"),
            ),
            ("v1=zz", Some("t=1,v1=zz"), BODY, Err("InvalidV1")),
            ("v1 too short", Some(&short), BODY, Err("InvalidV1")),
            ("duplicate t", Some(&dup_t), BODY, Err("DuplicateTimestamp")),
            ("no t", Some(&no_t), BODY, Err("MissingTimestamp")),
            ("no v1", Some("t=1"), BODY, Err("MissingV1")),
            ("only v0", Some(&only_v0), BODY, Err("MissingV1")),
            ("no equals", Some("t1717243200"), BODY, Err("NotKeyValue")),
            (
                "trailing comma",
                Some(&trailing_comma),
                BODY,
                Err("NotKeyValue"),
            ),
        ];
        for (name, header, body, expected) in cases {
            let got = verifier().verify_at(header, body, now());
            let outcome = match &got {
                Ok(()) => Ok(()),
                Err(WebhookError::BadSignature) => Err("bad"),
                Err(WebhookError::MissingSignature) => Err("missing"),
                Err(WebhookError::StaleTimestamp {
                    age_secs: 301,
                    tolerance_secs: 300,
                }) => Err("stale"),
                Err(WebhookError::FutureTimestamp {
                    ahead_secs: 301,
                    tolerance_secs: 300,
                }) => Err("future"),
                Err(WebhookError::MalformedSignature { reason }) => Err(match reason {
                    R::Empty => "Empty",
                    R::NotText => "NotText",
                    R::NotKeyValue => "NotKeyValue",
                    R::InvalidTimestamp => "InvalidTimestamp",
                    R::DuplicateTimestamp => "DuplicateTimestamp",
                    R::MissingTimestamp => "MissingTimestamp",
                    R::InvalidV1 => "InvalidV1",
                    R::MissingV1 => "MissingV1",
                }),
                Err(other) => panic!("{name}: unexpected {other:?}"),
            };
            assert_eq!(outcome, expected, "{name}: {got:?}");
            if let Err(err) = got {
                assert!(err.is_signature_error(), "{name}");
            }
        }
    }

    #[test]
    fn several_secrets_accept_either() {
        let rotating = verifier().with_secret(secret("whsec_old"));
        for text in ["whsec_test", "whsec_old"] {
            let header = sign(&secret(text), NOW, BODY);
            rotating.verify_at(Some(&header), BODY, now()).unwrap();
        }
        let header = sign(&secret("whsec_neither"), NOW, BODY);
        assert!(matches!(
            rotating.verify_at(Some(&header), BODY, now()),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn signature_is_checked_before_the_timestamp() {
        let forged_and_stale = format!("t={},v1={}", NOW - 10_000, "00".repeat(32));
        assert!(matches!(
            verifier().verify_at(Some(&forged_and_stale), BODY, now()),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn tolerance_is_configurable_and_whole_seconds() {
        let strict = verifier().with_tolerance(Duration::from_millis(10_900));
        assert_eq!(strict.tolerance(), Duration::from_secs(10));
        let ok = sign(&secret("whsec_test"), NOW - 10, BODY);
        strict.verify_at(Some(&ok), BODY, now()).unwrap();
        let late = sign(&secret("whsec_test"), NOW - 11, BODY);
        let err = strict.verify_at(Some(&late), BODY, now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "webhook signature is 11s old, beyond the 10s tolerance"
        );
        let zero = verifier().with_tolerance(Duration::ZERO);
        zero.verify_at(Some(&sign(&secret("whsec_test"), NOW, BODY)), BODY, now())
            .unwrap();
        let ahead = sign(&secret("whsec_test"), NOW + 1, BODY);
        let err = zero.verify_at(Some(&ahead), BODY, now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "webhook signature is dated 1s in the future, beyond the 0s tolerance"
        );
    }

    #[test]
    fn extreme_timestamps_saturate() {
        for t in [i64::MIN, i64::MAX] {
            let header = sign(&secret("whsec_test"), t, BODY);
            assert_eq!(header.parse::<SignatureHeader>().unwrap().timestamp(), t);
            let err = verifier()
                .verify_at(Some(&header), BODY, now())
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    WebhookError::StaleTimestamp { age_secs, .. }
                    | WebhookError::FutureTimestamp { ahead_secs: age_secs, .. }
                    if age_secs > 9_000_000_000_000_000_000
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn header_display_round_trips() {
        let zero = format!("t=0,v1={}", "0f".repeat(32));
        assert_eq!(zero.parse::<SignatureHeader>().unwrap().to_string(), zero);
        let text = format!("t=-5,v1={},v1={}", "0f".repeat(32), "a0".repeat(32));
        let header: SignatureHeader = text.parse().unwrap();
        assert_eq!(header.timestamp(), -5);
        assert_eq!(header.signatures(), &[[0x0f; 32], [0xa0; 32]]);
        assert_eq!(header.to_string(), text);
    }

    #[test]
    fn verify_and_parse_reads_the_header_map() {
        let mut headers = http::HeaderMap::new();
        let err = verifier()
            .verify_and_parse_at(&headers, BODY, now())
            .unwrap_err();
        assert!(matches!(err, WebhookError::MissingSignature));

        headers.insert(
            SIGNATURE_HEADER,
            http::HeaderValue::from_bytes(b"t=1,v1=\xff").unwrap(),
        );
        let err = verifier()
            .verify_and_parse_at(&headers, BODY, now())
            .unwrap_err();
        assert!(matches!(
            err,
            WebhookError::MalformedSignature {
                reason: MalformedReason::NotText
            }
        ));

        let signed = sign(&secret("whsec_test"), NOW, BODY);
        headers.insert("X-Qyvo-Signature", signed.parse().unwrap());
        let event = verifier()
            .verify_and_parse_at(&headers, BODY, now())
            .unwrap();
        assert_eq!(event.event_name(), "webhook.test");

        let not_json = b"{\"event\":";
        let signed = sign(&secret("whsec_test"), NOW, not_json);
        headers.insert(SIGNATURE_HEADER, signed.parse().unwrap());
        let err = verifier()
            .verify_and_parse_at(&headers, not_json, now())
            .unwrap_err();
        assert!(matches!(err, WebhookError::InvalidPayload { .. }));
        assert!(!err.is_signature_error());
    }

    proptest! {
        #[test]
        fn header_parsing_and_verification_never_panic(header in any::<String>(), body in any::<Vec<u8>>()) {
            let _ = header.parse::<SignatureHeader>();
            let result = verifier().verify_at(Some(&header), &body, now());
            prop_assert!(result.is_err());
        }

        #[test]
        fn header_like_strings_never_panic(
            t in "-?[0-9]{0,21}|[a-z+]{0,3}",
            v1 in "[0-9a-fA-Fxz]{0,66}",
            extra in "(,[a-z0-9]{0,3}=?[0-9a-f]{0,4}){0,3}",
        ) {
            let header = format!("t={t},v1={v1}{extra}");
            let _ = header.parse::<SignatureHeader>();
            prop_assert!(verifier().verify_at(Some(&header), BODY, now()).is_err());
        }

        #[test]
        fn blank_secrets_are_refused(blank in "[\\s\\x00-\\x1f\\x7f-\\x9f]{0,40}") {
            prop_assert!(WebhookSecret::new(&blank).is_err());
        }

        #[test]
        fn sign_then_verify_round_trips(body in any::<Vec<u8>>(), skew in -300_i64..=300, key in "[ -~]{1,40}") {
            prop_assume!(!key.trim().is_empty());
            let secret = secret(&key);
            let header = sign(&secret, NOW + skew, &body);
            prop_assert!(Verifier::new(secret).verify_at(Some(&header), &body, now()).is_ok());
        }

        #[test]
        fn header_display_parses_back(timestamp in any::<i64>(), tags in prop::collection::vec(any::<[u8; 32]>(), 1..4)) {
            let header = SignatureHeader { timestamp, signatures: tags };
            prop_assert_eq!(header.to_string().parse::<SignatureHeader>().unwrap(), header);
        }

        #[test]
        fn flipping_any_body_byte_fails(body in prop::collection::vec(any::<u8>(), 1..256), index in any::<prop::sample::Index>(), flip in 1_u8..=255) {
            let header = sign(&secret("whsec_test"), NOW, &body);
            let mut tampered = body.clone();
            let i = index.index(tampered.len());
            tampered[i] ^= flip;
            prop_assert!(matches!(
                verifier().verify_at(Some(&header), &tampered, now()),
                Err(WebhookError::BadSignature)
            ));
        }
    }
}
