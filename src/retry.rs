//! Which operations may be retried, and when.
//!
//! Every operation of the API carries a retry class in the spec (`x-qyvo-retry`); the build
//! fails when one lacks it.

use crate::generated::OPERATIONS;

/// How an operation may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Repeating the request is harmless: reads, upserts, idempotent tag changes, and triggers
    /// that answer `already_running` on a repeat.
    Safe,
    /// The request messages a person: it is repeated only when the server certainly did not act.
    Send,
}

/// One operation of the API, as the spec describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The operationId, e.g. `send_template_message`.
    pub id: &'static str,
    /// The HTTP method, e.g. `POST`.
    pub method: &'static str,
    /// The path under the base URL, e.g. `/actions/send-template-message`.
    pub path: &'static str,
    /// The retry class.
    pub retry: RetryClass,
}

/// Every operation of the API, sorted by id.
pub fn operations() -> &'static [Operation] {
    OPERATIONS
}

/// The operation with this operationId, if the API has one.
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_24_operations_are_classified() {
        assert_eq!(operations().len(), 24);
        let sends: Vec<_> = operations()
            .iter()
            .filter(|op| op.retry == RetryClass::Send)
            .map(|op| op.id)
            .collect();
        assert_eq!(sends, ["send_template_message", "send_text_message"]);
    }

    #[test]
    fn looks_operations_up_by_id() {
        let op = operation("get_contact").expect("get_contact exists");
        assert_eq!((op.method, op.path), ("POST", "/actions/get-contact"));
        assert!(operation("delete_contact").is_none());
    }
}
