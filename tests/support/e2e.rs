//! The end-to-end fixture: the stateful mock behind one Prism validating proxy, shared by every
//! test of the `e2e` binary.
//!
//! The SDK talks to `prism proxy --errors openapi.yaml <mock>`, so every request it sends and
//! every response the mock returns is checked against the spec; a violation becomes an error
//! response made by Prism. [`Tenant::call`] tells the two apart: an answer the SDK saw must be
//! the answer the mock's journal recorded for exactly that one request.
//!
//! Prism takes seconds to start, so it is started once, on first use, and [`E2e::shutdown`]
//! kills it after the last test (libtest has no such hook, hence the binary's own `main`).
//!
//! Isolation: the mock keeps one state per token, and every [`Tenant`] gets a token nobody else
//! uses. The mock's clock and fault queue are server-wide, so a test that changes them takes an
//! [`Exclusive`] tenant and runs while no other test does.

use std::{
    future::Future,
    ops::Deref,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use libtest_mimic::{Failed, Trial};
use qyvo::{ClientBuilder, ResponseValue, retry::RetryPolicy};
use qyvo_mock::{Fault, Injection, JournalEntry, MessageRecord, MockServer, Operation};
use qyvo_test_tools::conformance::Prism;
use tokio::{
    runtime::Runtime,
    sync::{OnceCell, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock},
};

/// How many tokens the mock is started with; every tenant takes a fresh one.
const TOKENS: usize = 32;

/// A request sent through the SDK, answering its HTTP status; see [`sent`].
pub type Sent<'a> = Pin<Box<dyn Future<Output = Result<u16, qyvo::Error>> + 'a>>;

/// Erases the type of a generated `send()` future, keeping the status of a success.
pub fn sent<'a, T: 'a, E: 'a>(
    request: impl Future<Output = Result<ResponseValue<T>, E>> + 'a,
) -> Sent<'a>
where
    qyvo::Error: From<E>,
{
    Box::pin(async move {
        request
            .await
            .map(|answer| answer.status().as_u16())
            .map_err(qyvo::Error::from)
    })
}

/// The mock and the Prism in front of it.
struct Stack {
    mock: MockServer,
    prism: Prism,
}

/// The shared fixture: a runtime for the mock, Prism once started, and the isolation lock.
pub struct E2e {
    runtime: Runtime,
    stack: OnceCell<Stack>,
    /// Read by ordinary tenants, written by exclusive ones.
    world: Arc<RwLock<()>>,
    next_token: AtomicUsize,
}

impl E2e {
    /// A fixture whose stack starts on first use.
    pub fn new() -> Arc<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime builds");
        Arc::new(Self {
            runtime,
            stack: OnceCell::new(),
            world: Arc::new(RwLock::new(())),
            next_token: AtomicUsize::new(0),
        })
    }

    /// A libtest trial running the async `test` on the fixture's runtime.
    pub fn trial<F, Fut>(self: &Arc<Self>, name: &'static str, test: F) -> Trial
    where
        F: FnOnce(Arc<Self>) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let e2e = Arc::clone(self);
        Trial::test(name, move || {
            e2e.runtime.handle().block_on(test(Arc::clone(&e2e)));
            Ok::<(), Failed>(())
        })
    }

    /// Kills Prism and stops the mock; call it once every trial has run.
    ///
    /// # Panics
    ///
    /// When a trial still holds the fixture.
    pub fn shutdown(self: Arc<Self>) {
        let e2e = Arc::into_inner(self).expect("every trial has finished with the fixture");
        let _context = e2e.runtime.enter();
        // Dropping Prism kills its process; dropping the mock stops its server task.
        drop(e2e.stack);
        e2e.runtime.shutdown_timeout(Duration::from_secs(5));
    }

    async fn stack(&self) -> &Stack {
        self.stack
            .get_or_init(|| async {
                let tokens = (0..TOKENS).map(|n| format!("e2e-tenant-{n:02}-0123456789abcdef"));
                let mock = tokens
                    .fold(MockServer::builder(), |builder, token| builder.token(token))
                    .start()
                    .await
                    .expect("the mock starts");
                let started = Instant::now();
                let prism = Prism::proxy(&mock.base_url())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                eprintln!("e2e: prism started in {:?}", started.elapsed());
                Stack { mock, prism }
            })
            .await
    }

    async fn tenant_with(
        self: &Arc<Self>,
        shared: Option<OwnedRwLockReadGuard<()>>,
        token: Option<String>,
    ) -> Tenant {
        let stack = self.stack().await;
        let token = token.unwrap_or_else(|| {
            let n = self.next_token.fetch_add(1, Ordering::Relaxed);
            stack
                .mock
                .tokens()
                .get(n)
                .unwrap_or_else(|| panic!("more than {TOKENS} tenants: raise TOKENS"))
                .clone()
        });
        let client = client_builder(&token, stack.prism.url())
            .build()
            .expect("a loopback client builds");
        Tenant {
            e2e: Arc::clone(self),
            token,
            client,
            _shared: shared,
        }
    }

    /// A fresh tenant (its own token and seeded state) that runs alongside other tests.
    pub async fn tenant(self: &Arc<Self>) -> Tenant {
        let shared = Arc::clone(&self.world).read_owned().await;
        self.tenant_with(Some(shared), None).await
    }

    /// Someone with a token the server does not know: every call answers 401.
    pub async fn stranger(self: &Arc<Self>) -> Tenant {
        let shared = Arc::clone(&self.world).read_owned().await;
        let token = "e2e-unknown-token-fedcba9876543210".to_owned();
        self.tenant_with(Some(shared), Some(token)).await
    }

    /// A fresh tenant that may change server-wide state (clock, faults): no other test runs
    /// until it is dropped.
    pub async fn exclusive(self: &Arc<Self>) -> Exclusive {
        let exclusive = Arc::clone(&self.world).write_owned().await;
        Exclusive {
            tenant: self.tenant_with(None, None).await,
            _exclusive: exclusive,
        }
    }
}

/// A builder for a client of `base_url` with `token` that never retries, so a violation
/// surfaces at once instead of after backoff.
fn client_builder(token: &str, base_url: &str) -> ClientBuilder {
    ClientBuilder::new(token)
        .base_url(base_url)
        .retry_policy(RetryPolicy::none())
}

/// One test's view: a token with its own state on the mock and an SDK client through Prism.
pub struct Tenant {
    e2e: Arc<E2e>,
    token: String,
    /// The SDK client, pointed at Prism, retries off, rate limiter on.
    pub client: qyvo::Client,
    /// Keeps exclusive tenants out while this one lives (`None` for an exclusive tenant).
    _shared: Option<OwnedRwLockReadGuard<()>>,
}

impl Tenant {
    fn stack(&self) -> &Stack {
        self.e2e
            .stack
            .get()
            .expect("a tenant exists only once the stack runs")
    }

    /// A builder for another client of this tenant (same token, through Prism, no retries).
    pub fn client_builder(&self) -> ClientBuilder {
        client_builder(&self.token, self.stack().prism.url())
    }

    /// The requests the mock received with this tenant's token, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.stack()
            .mock
            .journal()
            .into_iter()
            .filter(|e| e.token.as_deref() == Some(&self.token))
            .collect()
    }

    /// The contact sends a text, which opens the 24-hour window.
    pub fn contact_replies(&self, phone: &str, text: &str) -> String {
        self.stack()
            .mock
            .contact_reply(&self.token, phone, text)
            .expect("the tenant and phone are valid")
    }

    /// The messages the mock recorded as sent to `phone` through the API.
    pub fn outbound(&self, phone: &str) -> Vec<MessageRecord> {
        self.stack()
            .mock
            .outbound_messages(&self.token, phone)
            .expect("the tenant and phone are valid")
    }

    /// A broadcast campaign finishes sending now.
    pub fn campaign_finishes(&self, name: &str, sent_count: u64) -> String {
        self.stack()
            .mock
            .add_campaign(&self.token, name, sent_count)
            .expect("the tenant is valid")
    }

    /// Sends `request`, which must be `operation`, and checks that the mock answered it (see
    /// [`Exchange::verdict`]).
    ///
    /// # Panics
    ///
    /// When Prism refused the request or replaced the mock's answer.
    pub async fn call<T, E>(
        &self,
        operation: Operation,
        request: impl Future<Output = Result<ResponseValue<T>, E>>,
    ) -> Result<ResponseValue<T>, qyvo::Error>
    where
        qyvo::Error: From<E>,
    {
        let request = async { request.await.map_err(qyvo::Error::from) };
        self.exchange_with(operation, request, |answer| answer.status().as_u16())
            .await
            .checked()
    }

    /// [`call`](Self::call) for a type-erased request, answering the status of a success.
    pub async fn send(&self, operation: Operation, request: Sent<'_>) -> Result<u16, qyvo::Error> {
        self.exchange(operation, request).await.checked()
    }

    /// Sends `request`, which must be `operation`, and records what happened without judging.
    pub async fn exchange(&self, operation: Operation, request: Sent<'_>) -> Exchange<u16> {
        self.exchange_with(operation, request, |status| *status)
            .await
    }

    async fn exchange_with<T>(
        &self,
        operation: Operation,
        request: impl Future<Output = Result<T, qyvo::Error>>,
        status_of: fn(&T) -> u16,
    ) -> Exchange<T> {
        let before = self.journal().len();
        let answer = request.await;
        let seen = match &answer {
            Ok(value) => Some(status_of(value)),
            Err(error) => answered_status(error),
        };
        Exchange {
            operation,
            answer,
            seen,
            at_mock: self.journal().split_off(before),
        }
    }
}

/// One request through Prism: what the SDK got and what reached the mock meanwhile.
pub struct Exchange<T> {
    operation: Operation,
    /// What the SDK answered.
    pub answer: Result<T, qyvo::Error>,
    /// The status the SDK saw, when a server answered.
    seen: Option<u16>,
    /// The requests of the tenant the mock received meanwhile (one, unless Prism refused it).
    pub at_mock: Vec<JournalEntry>,
}

impl<T> Exchange<T> {
    /// `Ok` when the mock answered the request and the SDK saw that very answer.
    ///
    /// Through `prism proxy --errors`, a request that breaks the spec never reaches the mock,
    /// and a response that breaks it reaches the SDK as Prism's own error instead.
    ///
    /// # Errors
    ///
    /// What went wrong, for an assertion message.
    pub fn verdict(&self) -> Result<(), String> {
        let operation = self.operation;
        let outcome = self.answer.as_ref().err();
        let [entry] = self.at_mock.as_slice() else {
            return Err(format!(
                "{operation}: {} requests reached the mock, not 1 (0: Prism refused the request \
                 as off-spec); the sdk got {outcome:?}",
                self.at_mock.len()
            ));
        };
        if entry.operation != Some(operation) {
            return Err(format!("{operation}: the mock saw {entry:?}"));
        }
        if entry.status != self.seen {
            return Err(format!(
                "{operation}: the mock answered {:?} but the sdk saw {:?}, so Prism replaced the \
                 answer as off-spec; the sdk got {outcome:?}",
                entry.status, self.seen
            ));
        }
        Ok(())
    }

    fn checked(self) -> Result<T, qyvo::Error> {
        if let Err(violation) = self.verdict() {
            panic!("{violation}");
        }
        self.answer
    }
}

/// The status the server answered `error` with, if it answered.
///
/// [`qyvo::Error::status`] is `None` for [`qyvo::Error::MissingVariables`] because the SDK can
/// also raise it before sending; coming back from a call, it is the server's 422.
fn answered_status(error: &qyvo::Error) -> Option<u16> {
    match error {
        qyvo::Error::MissingVariables { .. } => Some(422),
        other => other.status(),
    }
}

/// A tenant that runs alone, so it may move the mock's clock and inject faults.
pub struct Exclusive {
    tenant: Tenant,
    _exclusive: OwnedRwLockWriteGuard<()>,
}

impl Deref for Exclusive {
    type Target = Tenant;

    fn deref(&self) -> &Tenant {
        &self.tenant
    }
}

impl Exclusive {
    fn mock(&self) -> &MockServer {
        &self.stack().mock
    }

    /// Moves the mock's clock forward (for every tenant).
    pub fn advance_clock(&self, by: Duration) {
        self.mock().advance_clock(by);
    }

    /// Makes the next request of `operation` (from any tenant) misbehave.
    pub fn inject(&self, operation: Operation, fault: Fault) {
        self.mock().inject(Injection::new(fault).on(operation));
    }
}
