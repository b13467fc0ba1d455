//! The fault matrix: every way the server or the network can fail, against a safe lookup, a
//! safe upsert and a send, on the stateful mock (`qyvo_mock::MockServer`).
//!
//! Each cell checks three things: how many attempts the server saw (its journal), that a send
//! never reached the person twice (outbound messages recorded by the mock), and the typed
//! outcome the caller gets.
//!
//! Time runs on tokio's paused clock: backoff, `Retry-After`, the mock's `Delay` fault and the
//! client's own timeout all happen in virtual time, so a test that "waits" a minute finishes in
//! milliseconds and always takes the same path. The mock runs in the test's runtime.
//!
//! Why the client's timeout does not fire spuriously: when every task is idle, tokio polls the
//! I/O driver with a zero timeout and, if nothing is ready, jumps the clock to the next timer.
//! While a request is in flight that timer is the client's timeout, so a request whose bytes
//! were still on their way would time out at once. On loopback they never are: the kernel
//! delivers a TCP segment to the peer socket inside the sender's `write`/`connect` syscall, so
//! by the time the runtime goes idle the peer is already readable and the zero-timeout poll
//! wakes it (no DNS either: the base URL is an IP literal). The runtime only idles with a
//! request in flight when the mock is parked on a timer (`Delay`), and there the timeout is
//! meant to fire; the timeout is chosen shorter than the delay and longer than any backoff.
//! Should other I/O ever be involved, tokio's remedy is to wait on it inside `spawn_blocking`,
//! which inhibits auto-advance.
//!
//! What the SDK can know about a dropped connection: the mock's `DropBeforeBody` closes the
//! connection before reading the body (it did not act) and `DropAfterAction` after acting. At
//! the socket level the client sees the same thing in both cases: its request was written and
//! the connection ended without a response. (The first may show as a reset rather than an EOF,
//! because the server closed with unread data, but a server that read everything and then
//! crashed, or a proxy that forwarded the request, can reset too: it proves nothing.) So a send
//! ends in `Error::OutcomeUnknown` after one attempt in both cases; only a connection that failed
//! *before* the request was written (refused, connect timeout) is retried for a send.

use std::{collections::BTreeMap, time::Duration};

use qyvo::{Client, ClientBuilder, Error, retry::RetryPolicy};
use qyvo_mock::{Fault, Injection, MockServer, Operation, StatusCode, seed};
use tokio::time::Instant;

const PHONE: &str = "+14155550123";

/// The client's per-attempt timeout in these tests.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A `Delay` fault long enough to make the client time out.
const SLOW: Duration = Duration::from_secs(15);

/// The three kinds of call under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    /// `get_contact`: a safe lookup.
    Lookup,
    /// `create_contact`: a safe upsert.
    Upsert,
    /// `send_template_message`: a send.
    Send,
}

impl Call {
    const ALL: [Call; 3] = [Call::Lookup, Call::Upsert, Call::Send];

    fn operation(self) -> Operation {
        match self {
            Call::Lookup => Operation::GetContact,
            Call::Upsert => Operation::CreateContact,
            Call::Send => Operation::SendTemplateMessage,
        }
    }

    async fn run(self, client: &Client) -> Result<(), Error> {
        match self {
            Call::Lookup => client
                .get_contact()
                .body_map(|b| b.phone(Some(PHONE.to_owned())))
                .send()
                .await
                .map(drop),
            Call::Upsert => client
                .create_contact()
                .body_map(|b| b.phone(PHONE).name(Some("Ada".to_owned())))
                .send()
                .await
                .map(drop),
            Call::Send => {
                let variables: BTreeMap<String, String> = [
                    ("1", "Ada"),
                    ("2", "ORD-1042"),
                    ("3", "https://t.example/1"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
                client
                    .send_template_message()
                    .body_map(|b| {
                        b.phone(PHONE)
                            .template_id(seed::ORDER_SHIPPED_TEMPLATE_ID)
                            .variables(variables)
                    })
                    .send()
                    .await
                    .map(drop)
            }
        }
    }
}

/// The typed outcome a call must end in.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Success,
    /// `Error::Server` with this status, its message containing this text.
    Server(u16, &'static str),
    /// The same, as the cause of `Error::OutcomeUnknown` (a send that may have gone out).
    UnknownServer(u16, &'static str),
    Decode,
    OutcomeUnknown,
    Timeout,
    Transport,
    RateLimited(Duration),
}

impl Expect {
    fn check(self, result: &Result<(), Error>) -> bool {
        match (self, result) {
            (Expect::Success, Ok(())) => true,
            (
                Expect::Server(code, text),
                Err(Error::Server {
                    status, message, ..
                }),
            ) => *status == code && message.as_deref().is_some_and(|m| m.contains(text)),
            (
                Expect::UnknownServer(code, text),
                Err(Error::OutcomeUnknown {
                    operation: "send_template_message",
                    cause,
                }),
            ) => matches!(&**cause, Error::Server { status, message, .. }
                if *status == code && message.as_deref().is_some_and(|m| m.contains(text))),
            (Expect::Decode, Err(Error::Decode { .. }))
            | (Expect::Timeout, Err(Error::Timeout { .. }))
            | (Expect::Transport, Err(Error::Transport { .. })) => true,
            (Expect::OutcomeUnknown, Err(Error::OutcomeUnknown { operation, .. })) => {
                *operation == "send_template_message"
            }
            (Expect::RateLimited(wait), Err(Error::RateLimited { retry_after })) => {
                *retry_after == Some(wait)
            }
            _ => false,
        }
    }
}

/// A mock with the contact already known (so the lookup finds it) and a client for it.
async fn setup(policy: RetryPolicy) -> (MockServer, Client) {
    let server = MockServer::start().await.expect("the mock starts");
    server
        .contact_reply(server.token(), PHONE, "hi")
        .expect("the contact is recorded");
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .timeout(TIMEOUT)
        .retry_policy(policy)
        .build()
        .expect("a loopback client builds");
    (server, client)
}

/// Outbound messages the mock recorded for the test phone.
fn sent(server: &MockServer) -> usize {
    server
        .outbound_messages(server.token(), PHONE)
        .expect("the phone is valid")
        .len()
}

/// One column of the matrix: a fault injected once, and what each kind of call must end in.
struct Column {
    name: &'static str,
    fault: Fault,
    /// (attempts, outcome) for the two safe calls.
    safe: (usize, Expect),
    /// (attempts, outcome, messages delivered) for the send.
    send: (usize, Expect, usize),
    /// The least virtual time the call must take (an honoured `Retry-After`, a timeout).
    min_elapsed: Duration,
}

#[tokio::test(start_paused = true)]
async fn the_fault_matrix() {
    use Expect::*;
    let status = |code| StatusCode::from_u16(code).expect("a valid status");
    let columns = [
        Column {
            name: "429 with Retry-After: 2",
            fault: Fault::TooManyRequests {
                retry_after_secs: 2,
            },
            safe: (2, Success),
            send: (2, Success, 1),
            min_elapsed: Duration::from_secs(2),
        },
        Column {
            name: "500",
            fault: Fault::Status(status(500)),
            safe: (2, Success),
            send: (1, UnknownServer(500, "Internal Server Error"), 0),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "502",
            fault: Fault::Status(status(502)),
            safe: (2, Success),
            send: (1, UnknownServer(502, "Bad Gateway"), 0),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "503",
            fault: Fault::Status(status(503)),
            safe: (2, Success),
            send: (1, UnknownServer(503, "Service Unavailable"), 0),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "connection dropped before the body was read",
            fault: Fault::DropBeforeBody,
            safe: (2, Success),
            send: (1, OutcomeUnknown, 0),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "connection dropped after the server acted",
            fault: Fault::DropAfterAction,
            safe: (2, Success),
            send: (1, OutcomeUnknown, 1),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "slower than the client timeout",
            fault: Fault::Delay(SLOW),
            safe: (2, Success),
            send: (1, OutcomeUnknown, 1),
            min_elapsed: TIMEOUT,
        },
        Column {
            name: "malformed JSON",
            fault: Fault::MalformedJson,
            safe: (1, Decode),
            send: (1, Decode, 1),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "HTML 502 page",
            fault: Fault::Html(status(502)),
            safe: (2, Success),
            send: (1, UnknownServer(502, "<h1>502 Bad Gateway</h1>"), 0),
            min_elapsed: Duration::ZERO,
        },
        Column {
            name: "HTML 500 page",
            fault: Fault::Html(status(500)),
            safe: (2, Success),
            send: (1, UnknownServer(500, "<!DOCTYPE html>"), 0),
            min_elapsed: Duration::ZERO,
        },
    ];
    let mut failures = Vec::new();
    for column in &columns {
        for call in Call::ALL {
            let (server, client) = setup(RetryPolicy::default()).await;
            server.inject(Injection::new(column.fault.clone()).on(call.operation()));
            let started = Instant::now();
            let result = call.run(&client).await;
            let elapsed = started.elapsed();
            // Let a request the client gave up on finish on the server before counting.
            tokio::time::sleep(SLOW).await;
            let (attempts, outcome, delivered) = match call {
                Call::Send => column.send,
                Call::Lookup | Call::Upsert => (column.safe.0, column.safe.1, 0),
            };
            let seen = (server.count(call.operation()), sent(&server));
            let expected_sent = if call == Call::Send { delivered } else { 0 };
            if seen != (attempts, expected_sent)
                || !outcome.check(&result)
                || elapsed < column.min_elapsed
            {
                failures.push(format!(
                    "{} × {call:?}: expected {attempts} attempts, {expected_sent} sent, \
                     {outcome:?}, ≥ {:?}; got {} attempts, {} sent, {result:?} after {elapsed:?}",
                    column.name, column.min_elapsed, seen.0, seen.1
                ));
            }
            assert!(sent(&server) <= 1, "{} × {call:?}: sent twice", column.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_is_returned_at_once() {
    let cap = RetryPolicy::default().max_retry_after();
    let retry_after = cap + Duration::from_secs(1);
    for call in Call::ALL {
        let (server, client) = setup(RetryPolicy::default()).await;
        server.inject(
            Injection::new(Fault::TooManyRequests {
                retry_after_secs: retry_after.as_secs(),
            })
            .on(call.operation()),
        );
        let started = Instant::now();
        let result = call.run(&client).await;
        assert!(
            Expect::RateLimited(retry_after).check(&result),
            "{call:?}: {result:?}"
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "{call:?} waited");
        assert_eq!(server.count(call.operation()), 1, "{call:?}");
        assert_eq!(sent(&server), 0, "{call:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn repeated_faults_end_in_the_last_error() {
    let status = |code| StatusCode::from_u16(code).expect("a valid status");
    let too_many = Fault::TooManyRequests {
        retry_after_secs: 1,
    };
    let rows = [
        (
            Call::Lookup,
            vec![
                Fault::Status(status(503)),
                Fault::Status(status(502)),
                Fault::Html(status(504)),
            ],
            Expect::Server(504, "504 Gateway Timeout"),
            0,
        ),
        (
            Call::Upsert,
            vec![Fault::DropBeforeBody; 3],
            Expect::Transport,
            0,
        ),
        (
            Call::Lookup,
            vec![Fault::Delay(SLOW); 3],
            Expect::Timeout,
            0,
        ),
        (
            Call::Send,
            vec![too_many.clone(); 3],
            Expect::RateLimited(Duration::from_secs(1)),
            0,
        ),
        (
            Call::Send,
            vec![too_many.clone(), too_many, Fault::Status(status(503))],
            Expect::UnknownServer(503, "Service Unavailable"),
            0,
        ),
    ];
    let policy = RetryPolicy::default();
    let attempts = policy.max_retries() as usize + 1;
    for (call, faults, outcome, delivered) in rows {
        assert_eq!(faults.len(), attempts, "one fault per attempt");
        let (server, client) = setup(policy).await;
        for fault in &faults {
            server.inject(Injection::new(fault.clone()).on(call.operation()));
        }
        let result = call.run(&client).await;
        tokio::time::sleep(SLOW).await;
        assert!(outcome.check(&result), "{call:?} {faults:?}: {result:?}");
        assert_eq!(
            server.count(call.operation()),
            attempts,
            "{call:?} {faults:?}"
        );
        assert_eq!(sent(&server), delivered, "{call:?} {faults:?}");
    }
}

/// With every call failing, retries stop once the budget (10 tokens, refilled only by
/// first-attempt successes) is spent: N calls cost at most N + 10 attempts, not N × 3.
#[tokio::test(start_paused = true)]
async fn the_retry_budget_stops_retries_against_a_dead_api() {
    const CALLS: usize = 25;
    const BUDGET: usize = 10;
    let dead = [
        Fault::Status(StatusCode::SERVICE_UNAVAILABLE),
        Fault::DropBeforeBody,
    ];
    for fault in dead {
        let (server, client) = setup(RetryPolicy::default()).await;
        server.inject(
            Injection::new(fault.clone())
                .on(Operation::GetContact)
                .times(u32::MAX),
        );
        for _ in 0..CALLS {
            let result = Call::Lookup.run(&client).await;
            assert!(result.is_err(), "{fault:?}: a dead API answered {result:?}");
        }
        // The budget is per client, shared by its clones: a clone has nothing left either.
        let clone = client.clone();
        assert!(Call::Lookup.run(&clone).await.is_err());
        assert_eq!(
            server.count(Operation::GetContact),
            CALLS + 1 + BUDGET,
            "{fault:?}"
        );
    }
}
