//! [`Error`]: every way a call can fail, typed so callers `match` instead of reading JSON.

use std::{collections::BTreeMap, fmt, time::Duration};

use reqwest::{StatusCode, header::HeaderMap};

use crate::{
    MetadataError, PhoneError, TagError, VariablesError,
    retry::{self, RetryClass},
    types::ApiError,
};

/// Marks an error response whose body was not JSON and was wrapped by the SDK.
pub(crate) const NON_JSON_ERROR_HEADER: &str = "x-qyvo-sdk-non-json-error";

/// A failed call to the Qyvo API, or a request refused before it was sent.
///
/// Built from progenitor's error for every generated method (`?` converts), from any of the
/// four error body shapes Qyvo answers with (`{error}`, Laravel `{message, errors}`,
/// `{error, expected_placeholders, missing}` and `{error, available_languages}`); a non-JSON
/// error body (an HTML page from a proxy) still yields its status.
///
/// ```no_run
/// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
/// match client.get_contact().body_map(|b| b.phone(Some("+14155550123".to_owned()))).send().await {
///     Ok(contact) => println!("{}", contact.id),
///     Err(e) => match qyvo::Error::from(e) {
///         qyvo::Error::NotFound { what, .. } => println!("no such {what}"),
///         other => return Err(other),
///     },
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
    /// Template variables are missing (found locally or answered by the server).
    MissingVariables {
        /// Every placeholder the template needs.
        expected: Vec<String>,
        /// The ones not provided.
        missing: Vec<String>,
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
    /// 429: the quota is exhausted; retry after `retry_after` when the server said.
    RateLimited {
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Another 4xx: the server refused the request.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The server's message, when it sent one.
        message: Option<String>,
    },
    /// A status the spec does not declare for the operation and that is not an error, e.g. a
    /// 200 where the operation answers 201: the server may have acted, but the answer cannot
    /// be read as the operation's result.
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
    },
    /// The connection failed, or the response could not be read.
    Transport {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// No response came in time, for an operation that is safe to repeat.
    Timeout {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// A send went out but no answer came (timeout or dropped connection): the message may or
    /// may not have been sent. Never retried automatically; check the contact's messages before
    /// sending again.
    OutcomeUnknown {
        /// The operation, e.g. `send_template_message`.
        operation: &'static str,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The response body was larger than the client's bound.
    ResponseTooLarge {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// A response did not match the spec.
    Decode {
        /// Where in the body decoding failed, e.g. `$[3].created_at`.
        path: String,
        /// The raw body.
        body: String,
        /// The decoding error.
        source: serde_json::Error,
    },
    /// The request could not be built (a required field is missing or a value is invalid).
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
                write!(f, "validation failed for {}", names.join(", "))
            }
            Self::MissingVariables { expected, missing } => write!(
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
                write!(f, "rate limited: retry after {} s", wait.as_secs())
            }
            Self::RateLimited { retry_after: None } => f.write_str("rate limited"),
            Self::Rejected { status, message } => match message {
                Some(m) => write!(f, "request rejected with status {status}: {}", lowercase_message(m)),
                None => write!(f, "request rejected with status {status}"),
            },
            Self::UnexpectedStatus { status } => write!(f, "unexpected status {status}"),
            Self::Server { status, .. } => write!(f, "server error {status}"),
            Self::Transport { .. } => f.write_str("connection failed"),
            Self::Timeout { .. } => f.write_str("the request timed out"),
            Self::OutcomeUnknown { operation, .. } => write!(
                f,
                "{operation} may or may not have been performed: no response came"
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
            | Self::OutcomeUnknown { source, .. }
            | Self::ResponseTooLarge { source } => Some(source),
            Self::Decode { source, .. } => Some(source),
            Self::InvalidPhone(source) => Some(source),
            Self::InvalidVariables(source) => Some(source),
            Self::InvalidTag(source) => Some(source),
            Self::InvalidMetadata(source) => Some(source),
            _ => None,
        }
    }
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

impl Error {
    /// The HTTP status the server answered with, when it answered.
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
            Self::RateLimited { .. } => Some(429),
            Self::Rejected { status, .. }
            | Self::Server { status, .. }
            | Self::UnexpectedStatus { status } => Some(*status),
            _ => None,
        }
    }

    /// Classifies an error answer from its status, headers and (permissive) body.
    pub(crate) fn from_api(status: StatusCode, headers: &HeaderMap, body: ApiError) -> Self {
        let text = body
            .error
            .clone()
            .or_else(|| body.message.clone())
            .unwrap_or_default();
        let non_json = headers.contains_key(NON_JSON_ERROR_HEADER);
        let lower = text.to_ascii_lowercase();
        match status.as_u16() {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden { message: text },
            404 => Self::NotFound {
                what: what_was_not_found(&text),
                message: text,
            },
            429 => Self::RateLimited {
                retry_after: retry::parse_retry_after(headers, std::time::SystemTime::now()),
            },
            500..=599 => Self::Server {
                status: status.as_u16(),
                message: (!text.is_empty()).then_some(text),
            },
            422 if !body.missing.is_empty() => Self::MissingVariables {
                expected: body.expected_placeholders,
                missing: body.missing,
            },
            422 if !body.available_languages.is_empty()
                || lower.contains("no approved translation") =>
            {
                Self::NoApprovedTranslation {
                    available_languages: body.available_languages,
                }
            }
            422 if lower.contains("no workspace") => Self::NoWorkspace,
            422 if lower.contains("no whatsapp account") => Self::NoWhatsAppAccount,
            422 if is_window_closed(&lower) => Self::WindowClosed { message: text },
            422 if !body.errors.is_empty() || (body.error.is_none() && !non_json) => {
                Self::Validation {
                    message: body.message.unwrap_or_default(),
                    fields: body.errors,
                }
            }
            code @ 400..=499 => Self::Rejected {
                status: code,
                message: (!text.is_empty()).then_some(text),
            },
            code => Self::UnexpectedStatus { status: code },
        }
    }

    /// Classifies a transport error; `None` as the operation means unknown.
    fn from_transport(source: reqwest::Error) -> Self {
        if is_too_large(&source) {
            return Self::ResponseTooLarge { source };
        }
        let operation = source
            .url()
            .and_then(|url| {
                [reqwest::Method::GET, reqwest::Method::POST]
                    .into_iter()
                    .find_map(|m| retry::operation_for_path(m.as_str(), url.path()))
            })
            .filter(|op| op.retry == RetryClass::Send);
        match operation {
            Some(op) if !source.is_connect() => Self::OutcomeUnknown {
                operation: op.id,
                source,
            },
            _ if source.is_timeout() => Self::Timeout { source },
            _ => Self::Transport { source },
        }
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

impl From<progenitor_client::Error<ApiError>> for Error {
    fn from(error: progenitor_client::Error<ApiError>) -> Self {
        use progenitor_client::Error as E;
        match error {
            E::InvalidRequest(message) | E::Custom(message) => Self::InvalidRequest { message },
            E::CommunicationError(source)
            | E::InvalidUpgrade(source)
            | E::ResponseBodyError(source) => Self::from_transport(source),
            E::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                Self::from_api(status, &headers, response.into_inner())
            }
            E::InvalidResponsePayload(bytes, source) => Self::Decode {
                path: crate::json_path::path_at(&bytes, source.line(), source.column()),
                body: String::from_utf8_lossy(&bytes).into_owned(),
                source,
            },
            E::UnexpectedResponse(response) => {
                let status = response.status();
                Self::from_api(status, response.headers(), ApiError::default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn api(json: serde_json::Value) -> ApiError {
        serde_json::from_value(json).unwrap()
    }

    fn classify(status: u16, json: serde_json::Value) -> Error {
        Error::from_api(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            api(json),
        )
    }

    #[test]
    fn maps_every_documented_error_body() {
        use serde_json::json;
        assert!(matches!(
            classify(401, json!({"message": "Unauthenticated."})),
            Error::Unauthenticated
        ));
        assert!(matches!(
            classify(404, json!({"error": "Contact not found"})),
            Error::NotFound { what, .. } if what == "contact"
        ));
        assert!(matches!(
            classify(404, json!({"error": "Sequence not found or not published"})),
            Error::NotFound { what, .. } if what == "sequence"
        ));
        assert!(matches!(
            classify(404, json!({})),
            Error::NotFound { what, .. } if what == "resource"
        ));
        let e = classify(
            422,
            json!({"message": "The given data was invalid.", "errors": {"phone": ["The phone field is required."]}}),
        );
        assert!(
            matches!(&e, Error::Validation { fields, .. } if fields["phone"] == ["The phone field is required."])
        );
        assert_eq!(e.to_string(), "validation failed for phone");
        let e = classify(
            422,
            json!({"error": "Template requires variables that were not provided.", "expected_placeholders": ["1", "2"], "missing": ["2"]}),
        );
        assert!(
            matches!(&e, Error::MissingVariables { expected, missing } if expected == &["1", "2"] && missing == &["2"])
        );
        assert!(matches!(
            classify(422, json!({"error": "Template has no approved translation to send.", "available_languages": ["en"]})),
            Error::NoApprovedTranslation { available_languages } if available_languages == ["en"]
        ));
        assert!(matches!(
            classify(
                422,
                json!({"error": "No workspace configured for this account."})
            ),
            Error::NoWorkspace
        ));
        assert!(matches!(
            classify(422, json!({"error": "No WhatsApp account configured"})),
            Error::NoWhatsAppAccount
        ));
        assert!(matches!(
            classify(
                422,
                json!({"error": "Message rejected by Meta (131047): Re-engagement message"})
            ),
            Error::WindowClosed { .. }
        ));
        assert!(matches!(
            classify(422, json!({"error": "Something else"})),
            Error::Rejected { status: 422, message: Some(m) } if m == "Something else"
        ));
        assert!(matches!(
            classify(503, json!({})),
            Error::Server {
                status: 503,
                message: None
            }
        ));
        assert!(matches!(
            classify(409, json!({"error": "Conflict"})),
            Error::Rejected { status: 409, .. }
        ));
    }

    #[test]
    fn an_undeclared_success_or_redirect_is_not_a_rejection() {
        for status in [200, 204, 302] {
            let e = classify(status, serde_json::json!({"id": "01J1Y"}));
            assert!(
                matches!(e, Error::UnexpectedStatus { status: s } if s == status),
                "{e:?}"
            );
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.to_string(), format!("unexpected status {status}"));
        }
        assert!(matches!(
            classify(418, serde_json::json!({})),
            Error::Rejected { status: 418, .. }
        ));
    }

    #[test]
    fn reads_retry_after_on_429() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "23".parse().unwrap());
        let e = Error::from_api(StatusCode::TOO_MANY_REQUESTS, &headers, ApiError::default());
        assert!(
            matches!(e, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(23))
        );
        assert_eq!(e.to_string(), "rate limited: retry after 23 s");
        assert_eq!(e.status(), Some(429));
    }

    /// Any status `StatusCode` accepts.
    fn any_status() -> impl Strategy<Value = StatusCode> {
        (100u16..1000).prop_map(|code| StatusCode::from_u16(code).unwrap())
    }

    /// Text that sometimes holds the phrases the classification looks for.
    fn any_text() -> impl Strategy<Value = String> {
        ".{0,12}( not found|131047|no workspace|no whatsapp account|no approved translation)?.{0,6}"
    }

    /// Error bodies: arbitrary bytes, or JSON objects with any subset of the documented keys.
    fn any_body() -> impl Strategy<Value = Vec<u8>> {
        let list = || prop::collection::vec(any_text(), 0..3);
        let json = (
            prop::option::of(any_text()),
            prop::option::of(any_text()),
            prop::option::of(prop::collection::btree_map(any_text(), list(), 0..3)),
            prop::option::of(list()),
            prop::option::of(list()),
            prop::option::of(list()),
        )
            .prop_map(|(error, message, errors, expected, missing, languages)| {
                let mut body = serde_json::Map::new();
                let mut put = |key: &str, value: Option<serde_json::Value>| {
                    if let Some(value) = value {
                        body.insert(key.to_owned(), value);
                    }
                };
                put("error", error.map(Into::into));
                put("message", message.map(Into::into));
                put("errors", errors.map(|e| serde_json::json!(e)));
                put("expected_placeholders", expected.map(Into::into));
                put("missing", missing.map(Into::into));
                put("available_languages", languages.map(Into::into));
                serde_json::Value::Object(body).to_string().into_bytes()
            });
        prop_oneof![prop::collection::vec(any::<u8>(), 0..256), json]
    }

    proptest! {
        #[test]
        fn any_error_answer_is_classified_without_panicking(
            status in any_status(),
            body in any_body(),
            retry_after in "[ -~]{0,30}",
            non_json in any::<bool>(),
        ) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = reqwest::header::HeaderValue::from_str(&retry_after) {
                headers.insert(reqwest::header::RETRY_AFTER, value);
            }
            if non_json {
                headers.insert(NON_JSON_ERROR_HEADER, reqwest::header::HeaderValue::from_static("1"));
            }
            let error = match serde_json::from_slice::<ApiError>(&body) {
                Ok(api) => {
                    let answered = progenitor_client::ResponseValue::new(api, status, headers.clone());
                    let error = Error::from(progenitor_client::Error::ErrorResponse(answered));
                    prop_assert_eq!(error.status(), Some(status.as_u16()), "{:?}", error);
                    prop_assert!(!error.to_string().ends_with('.'), "{}", error);
                    error
                }
                Err(source) => {
                    let error = Error::from(progenitor_client::Error::InvalidResponsePayload(
                        body.clone().into(),
                        source,
                    ));
                    let is_decode = matches!(&error, Error::Decode { path, .. } if path.starts_with('$'));
                    prop_assert!(is_decode, "{:?}", error);
                    error
                }
            };
            let _ = format!("{error} {error:?}");
            let mut unexpected = http::Response::new(body);
            *unexpected.status_mut() = status;
            *unexpected.headers_mut() = headers;
            let error = Error::from(progenitor_client::Error::<ApiError>::UnexpectedResponse(
                reqwest::Response::from(unexpected),
            ));
            prop_assert_eq!(error.status(), Some(status.as_u16()), "{:?}", error);
        }
    }

    #[test]
    fn messages_are_lowercase_without_trailing_periods() {
        use serde_json::json;
        let errors = [
            classify(401, json!({})),
            classify(403, json!({"error": "Forbidden."})),
            classify(404, json!({"error": "Template not found"})),
            classify(422, json!({"error": "No WhatsApp account configured"})),
            classify(422, json!({"error": "Odd."})),
            classify(500, json!({"error": "Boom."})),
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.ends_with('.'), "{text}");
            assert_eq!(
                text.chars().next().map(char::is_lowercase),
                Some(true),
                "{text}"
            );
        }
    }
}
