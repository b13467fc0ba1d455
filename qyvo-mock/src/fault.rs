//! Fault injection: make the next requests to an operation fail in a chosen way.

use std::time::Duration;

use hyper::StatusCode;

use crate::Operation;

/// A way for the server to misbehave on one request.
///
/// Faults that answer without acting ([`Fault::Status`], [`Fault::TooManyRequests`],
/// [`Fault::Html`], [`Fault::DropBeforeBody`]) leave the state untouched; the others
/// ([`Fault::Delay`], [`Fault::DropAfterAction`], [`Fault::MalformedJson`]) perform the
/// operation first.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status (e.g. 500, 502, 503) with a JSON body `{"message": <reason>}`,
    /// without performing the operation.
    Status(StatusCode),
    /// Answer 429 with `Retry-After: <seconds>` and `{"message": "Too Many Attempts."}`,
    /// without performing the operation or consuming quota.
    TooManyRequests {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Perform the operation, then wait this long (on tokio's clock) before answering. A
    /// client that gives up first has had its request acted on, as with a slow production
    /// server.
    Delay(Duration),
    /// Close the connection before reading the request body: the server did not act.
    DropBeforeBody,
    /// Read the body, perform the operation, then close the connection without answering.
    DropAfterAction,
    /// Perform the operation, then answer its status (200, 201) with a truncated JSON body.
    MalformedJson,
    /// Answer an HTML error page (`text/html`) with this status, without performing the
    /// operation, as a load balancer in front of the API would.
    Html(StatusCode),
}

impl Fault {
    /// Whether the server performs the operation before the fault shows (the request had
    /// its effect even though the client may not see a normal answer).
    pub fn performs_operation(&self) -> bool {
        matches!(
            self,
            Fault::Delay(_) | Fault::DropAfterAction | Fault::MalformedJson
        )
    }
}

/// A fault scheduled for the next requests to one operation (or to any operation).
///
/// ```
/// use qyvo_mock::{Fault, Injection, Operation, StatusCode};
///
/// let injection = Injection::new(Fault::Status(StatusCode::SERVICE_UNAVAILABLE))
///     .on(Operation::SendTemplateMessage)
///     .times(2);
/// assert_eq!(injection.remaining(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    pub(crate) fault: Fault,
    pub(crate) operation: Option<Operation>,
    pub(crate) remaining: u32,
}

impl Injection {
    /// Applies `fault` once, to the next request of any operation.
    pub fn new(fault: Fault) -> Self {
        Injection {
            fault,
            operation: None,
            remaining: 1,
        }
    }

    /// Restricts the injection to requests of `operation`.
    pub fn on(mut self, operation: Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Applies the fault to the next `count` matching requests.
    pub fn times(mut self, count: u32) -> Self {
        self.remaining = count;
        self
    }

    /// How many more requests this injection will affect.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }
}

impl From<Fault> for Injection {
    fn from(fault: Fault) -> Self {
        Injection::new(fault)
    }
}

/// Takes the fault for a request of `operation` out of the queue, if one is scheduled.
pub(crate) fn take(queue: &mut Vec<Injection>, operation: Operation) -> Option<Fault> {
    let index = queue
        .iter()
        .position(|i| i.remaining > 0 && i.operation.is_none_or(|op| op == operation))?;
    let injection = &mut queue[index];
    injection.remaining -= 1;
    let fault = injection.fault.clone();
    if injection.remaining == 0 {
        queue.remove(index);
    }
    Some(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injections_are_consumed_in_order_and_by_operation() {
        let mut queue = vec![
            Injection::new(Fault::DropBeforeBody)
                .on(Operation::GetContact)
                .times(2),
            Injection::new(Fault::MalformedJson),
        ];
        assert_eq!(take(&mut queue, Operation::Me), Some(Fault::MalformedJson));
        assert_eq!(take(&mut queue, Operation::Me), None);
        assert_eq!(
            take(&mut queue, Operation::GetContact),
            Some(Fault::DropBeforeBody)
        );
        assert_eq!(
            take(&mut queue, Operation::GetContact),
            Some(Fault::DropBeforeBody)
        );
        assert_eq!(take(&mut queue, Operation::GetContact), None);
        assert!(queue.is_empty());
    }

    #[test]
    fn zero_times_never_fires() {
        let mut queue = vec![Injection::new(Fault::DropAfterAction).times(0)];
        assert_eq!(take(&mut queue, Operation::Me), None);
    }
}
