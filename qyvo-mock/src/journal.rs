//! The journal of every request the server received.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Fault, Operation};

/// One request received by the mock, with the answer it got.
#[derive(Clone, Debug, PartialEq)]
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
