//! The journal of every request the server received.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Fault, Operation};

/// One request received by the mock, with the answer it got.
///
/// `Debug` shows only the first characters of the token (`"qyvo-moc…"`).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalEntry {
    /// The operation the path resolved to; `None` for unknown paths.
    pub operation: Option<Operation>,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The full request path, e.g. `/api/v1/actions/get-contact`.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: Option<String>,
    /// The request body when it was read and is JSON.
    pub body: Option<Value>,
    /// The bearer token sent, if any.
    pub token: Option<String>,
    /// The status answered; `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// The injected fault applied to this request, if any.
    pub fault: Option<Fault>,
    /// When the request was received, on the mock's clock.
    pub at: DateTime<Utc>,
}

impl fmt::Debug for JournalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournalEntry")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body", &self.body)
            .field("token", &self.token.as_deref().map(Redacted))
            .field("status", &self.status)
            .field("fault", &self.fault)
            .field("at", &self.at)
            .finish()
    }
}

/// A token in `Debug` output: its first characters (a quarter of it, at most eight) and `…`.
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = (self.0.chars().count() / 4).min(8);
        let prefix: String = self.0.chars().take(shown).collect();
        write!(f, "\"{}…\"", prefix.escape_debug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_start_of_the_token() {
        let token = crate::seed::DEFAULT_TOKEN;
        let entry = JournalEntry {
            operation: Some(Operation::Me),
            method: "GET".to_owned(),
            path: "/api/v1/me".to_owned(),
            query: None,
            body: None,
            token: Some(token.to_owned()),
            status: Some(200),
            fault: None,
            at: DateTime::UNIX_EPOCH,
        };
        let shown = format!("{entry:?}");
        assert!(shown.contains(r#"token: Some("qyvo-moc…")"#), "{shown}");
        assert!(!shown.contains(&token[..9]), "{shown}");
        let builder = format!("{:?}", crate::MockServer::builder().token(token));
        assert!(builder.contains(r#"tokens: ["qyvo-moc…"]"#), "{builder}");
        assert_eq!(format!("{:?}", Redacted("token-a")), r#""t…""#);
        assert_eq!(format!("{:?}", Redacted("abc")), r#""…""#);
        assert_eq!(format!("{:?}", Redacted("ééééééééé\"")), r#""éé…""#);
    }
}
