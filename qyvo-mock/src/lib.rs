//! A stateful local Qyvo REST API server for end-to-end tests and the quickstart.
//!
//! [`MockServer`] serves the 24 operations of `openapi.yaml` on `127.0.0.1` under
//! `http://127.0.0.1:<port>/api/v1`, with the documented semantics: bearer tokens (one tenant
//! with its own state per token), contact upserts by normalized phone, seeded templates,
//! sequences, flows and campaigns (see [`seed`]), the 24-hour customer-service window on a
//! controllable clock, per-token rate limiting, fault injection ([`Fault`]) and a journal of
//! every request ([`JournalEntry`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use qyvo_mock::{MockServer, Operation};
//!
//! let server = MockServer::start().await?;
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert!(server.base_url().ends_with("/api/v1"));
//! server.contact_reply(server.token(), "+14155550123", "Hi, do you ship to Canada?")?;
//! assert_eq!(server.count(Operation::SendTextMessage), 0);
//! # Ok(())
//! # }
//! ```
//!
//! Behaviour where the Qyvo docs are silent, and the choice made here:
//!
//! * list-tags answers tag objects `{id, name}` (the `TagObject` branch of `ListedTag`).
//! * create-contact overwrites the fields present in the body and keeps the others; a second
//!   call with `metadata` replaces it (update-contact merges it).
//! * `email: ""` fails validation on create-contact and update-contact, as production does
//!   (the docs' "`""` clears it" is not honoured); `name: ""` clears the name.
//! * update-contact, add-tag and remove-tag look the contact up by `contact_id` when given,
//!   else by `phone`; the phone itself is never changed.
//! * The 422 `Template has no approved translation to send.` lists in `available_languages`
//!   the template's translation languages (none approved, since the error only happens then),
//!   as `openapi.yaml` describes the field.
//! * dropdowns/templates lists only APPROVED templates; dropdowns/sequences and
//!   dropdowns/flows list only published ones.
//! * Sequence sessions keep running; flow sessions expire 30 minutes after they start (on the
//!   mock clock), after which the contact can be enrolled again.

mod api;
mod clock;
mod fault;
mod ids;
mod journal;
mod operation;
mod phone;
pub mod seed;
mod server;
mod state;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub use fault::{Fault, Injection};
pub use hyper::StatusCode;
pub use journal::JournalEntry;
pub use operation::{Operation, UnknownOperation};
pub use state::Direction;

use crate::clock::Clock;
use crate::phone::normalize_phone;
use crate::state::{Campaign, NewMessage, Tenant};

/// The path prefix of every operation.
pub(crate) const API_PREFIX: &str = "/api/v1";

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What can go wrong when starting or driving the mock.
#[derive(Debug)]
#[non_exhaustive]
pub enum MockError {
    /// The listening socket could not be bound.
    Bind {
        /// The port asked for (0 for any free port).
        port: u16,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The token passed to a state helper is not one the server was configured with.
    UnknownToken,
    /// The phone passed to a state helper is not a valid international number (see
    /// [`qyvo::phone::PhoneNumber`]).
    InvalidPhone {
        /// The phone, masked.
        masked: String,
    },
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MockError::Bind { port, .. } => write!(f, "cannot bind 127.0.0.1:{port}"),
            MockError::UnknownToken => f.write_str("the token is not configured on the mock"),
            MockError::InvalidPhone { masked } => write!(f, "invalid phone number {masked}"),
        }
    }
}

impl std::error::Error for MockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MockError::Bind { source, .. } => Some(source),
            MockError::UnknownToken | MockError::InvalidPhone { .. } => None,
        }
    }
}

/// The user behind a token, as `/me` shows it.
#[derive(Debug)]
pub(crate) struct User {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) workspace: String,
}

/// One token's account: its user, tenant and rate-limit history.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) user: User,
    pub(crate) tenant: Tenant,
    pub(crate) hits: VecDeque<tokio::time::Instant>,
}

/// Mutable server state, behind one lock.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) accounts: HashMap<String, Account>,
    pub(crate) injections: Vec<Injection>,
    pub(crate) journal: Vec<JournalEntry>,
}

/// State shared by the server tasks and the [`MockServer`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) clock: Clock,
    pub(crate) rate_limit: (u32, Duration),
    pub(crate) inner: Mutex<Inner>,
}

/// Configures a [`MockServer`] before starting it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use qyvo_mock::MockServer;
///
/// let server = MockServer::builder()
///     .token("token-a")
///     .token("token-b")
///     .rate_limit(120, Duration::from_secs(1))
///     .start()
///     .await?;
/// assert_eq!(server.token(), "token-a");
/// assert_eq!(server.tokens().len(), 2);
/// # Ok(())
/// # }
/// ```
///
/// `Debug` shows only the first characters of each token.
#[derive(Clone)]
pub struct MockServerBuilder {
    tokens: Vec<String>,
    rate_limit: (u32, Duration),
    port: u16,
    start_time: Option<DateTime<Utc>>,
}

impl fmt::Debug for MockServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServerBuilder")
            .field("tokens", &redacted(&self.tokens))
            .field("rate_limit", &self.rate_limit)
            .field("port", &self.port)
            .field("start_time", &self.start_time)
            .finish()
    }
}

/// Tokens as `Debug` shows them: see [`journal::Redacted`].
fn redacted(tokens: &[String]) -> Vec<journal::Redacted<'_>> {
    tokens.iter().map(|t| journal::Redacted(t)).collect()
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            tokens: Vec::new(),
            rate_limit: (120, Duration::from_secs(60)),
            port: 0,
            start_time: None,
        }
    }
}

impl MockServerBuilder {
    /// Adds a bearer token; each token gets its own user and tenant. The first token is
    /// [`MockServer::token`]. Without any, the server accepts [`seed::DEFAULT_TOKEN`].
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        if !self.tokens.contains(&token) {
            self.tokens.push(token);
        }
        self
    }

    /// Allows `requests` per token per rolling `window` (default: 120 per 60 s).
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = (requests, window);
        self
    }

    /// Listens on this port instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the mock clock at `start` instead of the current time.
    pub fn start_time(mut self, start: DateTime<Utc>) -> Self {
        self.start_time = Some(start);
        self
    }

    /// Binds `127.0.0.1` and starts serving in a background task.
    ///
    /// # Errors
    ///
    /// [`MockError::Bind`] when the port cannot be bound.
    pub async fn start(self) -> Result<MockServer, MockError> {
        let tokens = if self.tokens.is_empty() {
            vec![seed::DEFAULT_TOKEN.to_owned()]
        } else {
            self.tokens
        };
        let clock = Clock::new(self.start_time.unwrap_or_else(Utc::now));
        let now = clock.now();
        let accounts = tokens
            .iter()
            .zip(1u64..)
            .map(|(token, n)| {
                let account = Account {
                    user: User {
                        email: format!("user{n}@mock.qyvo.test"),
                        name: format!("Mock User {n}"),
                        workspace: format!("Mock Workspace {n}"),
                    },
                    tenant: Tenant::seeded(n, now),
                    hits: VecDeque::new(),
                };
                (token.clone(), account)
            })
            .collect();
        let shared = Arc::new(Shared {
            clock,
            rate_limit: self.rate_limit,
            inner: Mutex::new(Inner {
                accounts,
                injections: Vec::new(),
                journal: Vec::new(),
            }),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|source| MockError::Bind {
                port: self.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
            port: self.port,
            source,
        })?;
        let task = tokio::spawn(server::accept_loop(listener, Arc::clone(&shared)));
        Ok(MockServer {
            shared,
            addr,
            tokens,
            task,
        })
    }
}

/// A running mock Qyvo server; dropping it stops the server and closes its connections.
///
/// `Debug` shows the address and the first characters of each token, not the state.
pub struct MockServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tokens: Vec<String>,
    task: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("tokens", &redacted(&self.tokens))
            .finish_non_exhaustive()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A message recorded in a tenant, as seen by [`MockServer::messages`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MessageRecord {
    /// The Qyvo message id.
    pub id: String,
    /// Inbound (from the contact) or outbound (sent through the API).
    pub direction: Direction,
    /// `text`, `template`, or an inbound type such as `image` or `sticker`.
    pub message_type: String,
    /// `{body}` for text, `{variables}` for templates, as given for other inbound types.
    pub content: Value,
    /// The template sent, for template messages.
    pub template_id: Option<String>,
    /// The translation sent, for template messages.
    pub language: Option<String>,
    /// Meta's id, for outbound messages.
    pub whatsapp_message_id: Option<String>,
    /// When the message was recorded, on the mock clock.
    pub created_at: DateTime<Utc>,
}

impl MockServer {
    /// Starts a server with the default configuration: one token ([`seed::DEFAULT_TOKEN`]),
    /// 120 requests per 60 s, seeded state, any free port.
    ///
    /// # Errors
    ///
    /// [`MockError::Bind`] when no port can be bound.
    pub async fn start() -> Result<MockServer, MockError> {
        MockServerBuilder::default().start().await
    }

    /// A builder for a server with other tokens, rate limit, port or start time.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URL to give the SDK, `http://127.0.0.1:<port>/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first configured token.
    pub fn token(&self) -> &str {
        self.tokens
            .first()
            .map_or(seed::DEFAULT_TOKEN, String::as_str)
    }

    /// Every configured token, in configuration order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The current time on the mock clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Moves the mock clock forward, e.g. past the end of the 24-hour window.
    ///
    /// The rate limiter is not affected: it runs on tokio's clock.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Schedules a fault (a [`Fault`] alone hits the next request of any operation).
    pub fn inject(&self, injection: impl Into<Injection>) {
        lock(&self.shared.inner).injections.push(injection.into());
    }

    /// Cancels every scheduled fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.inner).injections.clear();
    }

    /// Every request received since the start (or the last [`MockServer::clear_journal`]).
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.shared.inner).journal.clone()
    }

    /// How many requests of `operation` were received (whatever they were answered).
    pub fn count(&self, operation: Operation) -> usize {
        lock(&self.shared.inner)
            .journal
            .iter()
            .filter(|e| e.operation == Some(operation))
            .count()
    }

    /// Forgets the journal.
    pub fn clear_journal(&self) {
        lock(&self.shared.inner).journal.clear();
    }

    /// Records an inbound text message from `phone`, opening the 24-hour window. The contact is
    /// created when it does not exist. Returns the message id.
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`] or [`MockError::InvalidPhone`].
    pub fn contact_reply(&self, token: &str, phone: &str, text: &str) -> Result<String, MockError> {
        self.receive_message(token, phone, "text", json!({ "body": text }))
    }

    /// Records an inbound message of any type (including undocumented ones such as `sticker`)
    /// with the given `content` object. Returns the message id.
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`] or [`MockError::InvalidPhone`].
    pub fn receive_message(
        &self,
        token: &str,
        phone: &str,
        message_type: &str,
        content: Value,
    ) -> Result<String, MockError> {
        let phone = valid_phone(phone)?;
        let now = self.now();
        self.with_tenant(token, |tenant| {
            let index = tenant.upsert_contact(&phone, now);
            let message = NewMessage {
                direction: Direction::Inbound,
                kind: message_type.to_owned(),
                content,
                template_id: None,
                language: None,
            };
            tenant.record_message(index, message, now).id.clone()
        })
    }

    /// Every message recorded for the contact with this phone, oldest first (empty when the
    /// contact does not exist).
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`] or [`MockError::InvalidPhone`].
    pub fn messages(&self, token: &str, phone: &str) -> Result<Vec<MessageRecord>, MockError> {
        let phone = valid_phone(phone)?;
        self.with_tenant(token, |tenant| {
            let Some(contact) = tenant.contacts.iter().find(|c| c.phone == phone) else {
                return Vec::new();
            };
            tenant
                .messages
                .iter()
                .filter(|m| m.contact_id == contact.id)
                .map(|m| MessageRecord {
                    id: m.id.clone(),
                    direction: m.direction,
                    message_type: m.kind.clone(),
                    content: m.content.clone(),
                    template_id: m.template_id.clone(),
                    language: m.language.clone(),
                    whatsapp_message_id: m.whatsapp_message_id.clone(),
                    created_at: m.created_at,
                })
                .collect()
        })
    }

    /// The messages sent to this phone through the API, oldest first.
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`] or [`MockError::InvalidPhone`].
    pub fn outbound_messages(
        &self,
        token: &str,
        phone: &str,
    ) -> Result<Vec<MessageRecord>, MockError> {
        let mut messages = self.messages(token, phone)?;
        messages.retain(|m| m.direction == Direction::Outbound);
        Ok(messages)
    }

    /// Adds a contact to the tenant of `token`, or updates the one with the same phone (the
    /// name and email given replace the old ones; tags and metadata keys are added). Returns
    /// its id.
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`] or [`MockError::InvalidPhone`].
    pub fn add_contact(&self, token: &str, contact: seed::Contact) -> Result<String, MockError> {
        let phone = valid_phone(&contact.phone)?;
        let now = self.now();
        self.with_tenant(token, |tenant| {
            let index = tenant.upsert_contact(&phone, now);
            let mut tags = tenant.contacts[index].tags.clone();
            for tag in contact.tags {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            tenant.set_tags(index, tags, now);
            let stored = &mut tenant.contacts[index];
            stored.source = "import".to_owned();
            stored.name = contact.name.or(stored.name.take());
            stored.email = contact.email.or(stored.email.take());
            stored.metadata.extend(contact.metadata);
            stored.updated_at = now;
            stored.id.clone()
        })
    }

    /// Adds a template to the tenant of `token`. Returns its id, to send it with.
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`].
    pub fn add_template(&self, token: &str, template: seed::Template) -> Result<String, MockError> {
        let now = self.now();
        self.with_tenant(token, |tenant| {
            let id = ids::new_id(now);
            tenant.templates.push(state::Template {
                id: id.clone(),
                name: template.name,
                category: template.category,
                status: template.status,
                translations: template
                    .translations
                    .into_iter()
                    .map(|(language, body, approved)| state::Translation {
                        language,
                        body,
                        approved,
                    })
                    .collect(),
                header: None,
                footer: None,
                buttons: Vec::new(),
                created_at: now,
            });
            id
        })
    }

    /// Records a campaign that finished sending now, so that new-campaign-sent shows it first.
    /// Returns its id.
    ///
    /// # Errors
    ///
    /// [`MockError::UnknownToken`].
    pub fn add_campaign(
        &self,
        token: &str,
        name: &str,
        sent_count: u64,
    ) -> Result<String, MockError> {
        let now = self.now();
        self.with_tenant(token, |tenant| {
            let id = ids::new_id(now);
            tenant.campaigns.push(Campaign {
                id: id.clone(),
                name: name.to_owned(),
                sent_count,
                created_at: now,
            });
            id
        })
    }

    fn with_tenant<T>(
        &self,
        token: &str,
        f: impl FnOnce(&mut Tenant) -> T,
    ) -> Result<T, MockError> {
        let mut inner = lock(&self.shared.inner);
        let account = inner
            .accounts
            .get_mut(token)
            .ok_or(MockError::UnknownToken)?;
        Ok(f(&mut account.tenant))
    }
}

fn valid_phone(phone: &str) -> Result<String, MockError> {
    normalize_phone(phone).ok_or_else(|| MockError::InvalidPhone {
        masked: qyvo::phone::mask(phone),
    })
}
