//! Hand-written methods on the generated client, in a sealed extension trait.
//!
//! Bring them into scope with `use qyvo::prelude::*;`. Generated methods are named after the
//! spec's operationIds; the names here are checked against every operationId by a test, so a
//! new operation can never silently shadow one of them.
//!
//! These methods check what they can before sending anything: a phone number that is not a
//! valid E.164 number, a missing template variable, a tag with a comma or oversized metadata
//! fail with a typed [`Error`] and no request is made.

use std::{collections::HashMap, fmt, sync::Mutex, time::Duration};

use tokio::time::Instant;

use crate::{
    Client, Error, Metadata, MetadataError, PhoneError, PhoneNumber, Placeholders, Tag, TagError,
    Tags, Variables,
    bulk::{Recipient, SendTemplateBulk},
    poll::{CheckpointStore, PollOptions, PollStream},
    ratelimit::RateLimitStatus,
    types,
};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Client {}
}

/// How long a template's placeholders are cached by default: 5 minutes.
pub const DEFAULT_TEMPLATE_CACHE_TTL: Duration = Duration::from_secs(300);

/// SDK conveniences on [`Client`]: checked sends, bulk sends, trigger pollers and quota.
///
/// Sealed: only [`Client`] implements it. Every method that takes a phone number takes
/// anything convertible into a [`PhoneNumber`] (`&str`, `String`, `PhoneNumber`).
pub trait QyvoClientExt: sealed::Sealed {
    /// What the server last said about the quota (`X-RateLimit-Limit` and
    /// `X-RateLimit-Remaining`), shared by all clones of this client; `None` before the first
    /// response or when the rate limiter is turned off.
    ///
    /// ```no_run
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// client.me().send().await?;
    /// if let Some(quota) = client.rate_limit() {
    ///     println!("{} of {} requests left", quota.remaining, quota.limit);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn rate_limit(&self) -> Option<RateLimitStatus>;

    /// Sends an approved template after checking the phone number and the variables locally.
    ///
    /// Normalises the phone to E.164, fetches the template's placeholders with get-template
    /// (cached per template id for [`DEFAULT_TEMPLATE_CACHE_TTL`] by default), checks the
    /// variables, then sends. A missing variable fails with [`Error::MissingVariables`] before
    /// any message goes out: the same error the server's 422 maps to. Extra variables that
    /// match no placeholder are allowed, as the server allows them.
    ///
    /// ```no_run
    /// use qyvo::{prelude::*, Variables};
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// let variables = Variables::from_iter([("1", "Romain"), ("2", "ORD-1042")]);
    /// let sent = client
    ///     .send_template("+1 (415) 555-0123", "01J0ABCDEFGHJKMNPQRSTVWXYZ", variables)
    ///     .language("en")
    ///     .send()
    ///     .await?;
    /// println!("sent {}", sent.id);
    /// # Ok(())
    /// # }
    /// ```
    fn send_template<P>(
        &self,
        phone: P,
        template_id: impl Into<String>,
        variables: impl Into<Variables>,
    ) -> SendTemplate<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>;

    /// Sends free-form text inside the 24-hour customer-service window.
    ///
    /// The phone is normalised and the text checked (1 to 4096 characters) before sending.
    /// Outside the window the server's rejection arrives as [`Error::WindowClosed`].
    ///
    /// ```no_run
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// match client.send_text("+14155550123", "Yes, we ship to Canada!").await {
    ///     Err(qyvo::Error::WindowClosed { .. }) => println!("send a template instead"),
    ///     other => { other?; }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn send_text<P>(
        &self,
        phone: P,
        message: impl Into<String>,
    ) -> impl Future<Output = Result<types::SentMessage, Error>> + Send
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>;

    /// Starts an upsert of the contact with this phone number (create-contact).
    ///
    /// Tags are given as a list and sent comma-separated; a tag containing a comma fails with
    /// [`Error::InvalidTag`], and metadata over the documented 64 KB with
    /// [`Error::InvalidMetadata`], before anything is sent.
    ///
    /// ```no_run
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// let contact = client
    ///     .upsert_contact("+33 1 42 76 49 78")
    ///     .name("Romain")
    ///     .tags(["vip", "fr-FR"])
    ///     .send()
    ///     .await?;
    /// assert_eq!(contact.phone, "+33142764978");
    /// # Ok(())
    /// # }
    /// ```
    fn upsert_contact<P>(&self, phone: P) -> UpsertContact<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>;

    /// Starts sending one template to many recipients; see [`crate::bulk`].
    ///
    /// ```no_run
    /// use qyvo::{bulk::Recipient, prelude::*, Variables};
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let recipients = [
    ///     Recipient::new("+14155550123", Variables::from_iter([("1", "Romain")])),
    ///     Recipient::new("+33142764978", Variables::from_iter([("1", "Chloé")])),
    /// ];
    /// let report = client
    ///     .send_template_bulk("01J0ABCDEFGHJKMNPQRSTVWXYZ", recipients)
    ///     .concurrency(8)
    ///     .journal(qyvo::bulk::FileJournal::open("campaign.jsonl")?)
    ///     .on_progress(|p| eprintln!("{}/{}", p.done, p.total))
    ///     .run()
    ///     .await?;
    /// println!("{} sent", report.sent());
    /// # Ok(())
    /// # }
    /// ```
    fn send_template_bulk<I>(
        &self,
        template_id: impl Into<String>,
        recipients: I,
    ) -> SendTemplateBulk<'_>
    where
        I: IntoIterator<Item = Recipient>;

    /// Polls `new_message_received`: a stream of new inbound messages, oldest first,
    /// optionally only of one type.
    ///
    /// See [`crate::poll`] for what counts as new, the first poll, the delivery guarantee
    /// (at least once) and errors.
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::{PollEvent, PollOptions};
    /// use qyvo::prelude::*;
    /// use qyvo::types::MessageTypeFilter;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut texts = client.poll_messages(Some(MessageTypeFilter::Text), PollOptions::new());
    /// while let Some(event) = texts.next().await {
    ///     if let PollEvent::Item(message) = event? {
    ///         println!("{}: {:?}", message.id, message.content);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_messages<S: CheckpointStore>(
        &self,
        message_type: Option<types::MessageTypeFilter>,
        options: PollOptions<S>,
    ) -> PollStream<types::InboundMessage>;

    /// Polls `new_campaign_sent`: a stream of campaigns that finished sending, oldest first.
    ///
    /// See [`crate::poll`]; campaigns without a `created_at` are told apart by their position
    /// in the page.
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::{PollEvent, PollOptions};
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut sent = client.poll_campaigns(PollOptions::new());
    /// while let Some(event) = sent.next().await {
    ///     if let PollEvent::Item(campaign) = event? {
    ///         println!("{} sent to {:?}", campaign.id, campaign.sent_count);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_campaigns<S: CheckpointStore>(
        &self,
        options: PollOptions<S>,
    ) -> PollStream<types::Campaign>;

    /// Polls `new_flow_triggered`: a stream of new flow sessions, oldest first, optionally only
    /// of one flow.
    ///
    /// See [`crate::poll`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::{PollEvent, PollOptions};
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut sessions = client.poll_flow_sessions(Some("01J0FL7Q4W5M3N8C2ZP6TKV9RA".into()), PollOptions::new());
    /// while let Some(event) = sessions.next().await {
    ///     if let PollEvent::Item(session) = event? {
    ///         println!("{} entered {:?}", session.id, session.flow_id);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_flow_sessions<S: CheckpointStore>(
        &self,
        flow_id: Option<String>,
        options: PollOptions<S>,
    ) -> PollStream<types::FlowSession>;

    /// Polls `new_sequence_triggered`: a stream of new sequence enrolments, oldest first,
    /// optionally only of one sequence.
    ///
    /// See [`crate::poll`]; sessions without a `created_at` are told apart by their position
    /// in the page.
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::{PollEvent, PollOptions};
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut enrolments = client.poll_sequence_sessions(None, PollOptions::new());
    /// while let Some(event) = enrolments.next().await {
    ///     if let PollEvent::Item(session) = event? {
    ///         println!("{} enrolled in {:?}", session.id, session.sequence_id);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_sequence_sessions<S: CheckpointStore>(
        &self,
        sequence_id: Option<String>,
        options: PollOptions<S>,
    ) -> PollStream<types::SequenceSession>;
}

fn phone<P>(phone: P) -> Result<PhoneNumber, Error>
where
    P: TryInto<PhoneNumber>,
    P::Error: Into<PhoneError>,
{
    phone.try_into().map_err(|e| Error::InvalidPhone(e.into()))
}

impl QyvoClientExt for Client {
    fn poll_messages<S: CheckpointStore>(
        &self,
        message_type: Option<types::MessageTypeFilter>,
        options: PollOptions<S>,
    ) -> PollStream<types::InboundMessage> {
        crate::poll::messages(self, message_type, options)
    }

    fn poll_campaigns<S: CheckpointStore>(
        &self,
        options: PollOptions<S>,
    ) -> PollStream<types::Campaign> {
        crate::poll::campaigns(self, options)
    }

    fn poll_flow_sessions<S: CheckpointStore>(
        &self,
        flow_id: Option<String>,
        options: PollOptions<S>,
    ) -> PollStream<types::FlowSession> {
        crate::poll::flow_sessions(self, flow_id, options)
    }

    fn poll_sequence_sessions<S: CheckpointStore>(
        &self,
        sequence_id: Option<String>,
        options: PollOptions<S>,
    ) -> PollStream<types::SequenceSession> {
        crate::poll::sequence_sessions(self, sequence_id, options)
    }

    fn send_template_bulk<I>(
        &self,
        template_id: impl Into<String>,
        recipients: I,
    ) -> SendTemplateBulk<'_>
    where
        I: IntoIterator<Item = Recipient>,
    {
        SendTemplateBulk::new(self, template_id.into(), recipients.into_iter().collect())
    }

    fn rate_limit(&self) -> Option<RateLimitStatus> {
        self.inner.runtime.limiter.as_ref()?.status()
    }

    fn send_template<P>(
        &self,
        to: P,
        template_id: impl Into<String>,
        variables: impl Into<Variables>,
    ) -> SendTemplate<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>,
    {
        SendTemplate {
            client: self,
            phone: phone(to),
            template_id: template_id.into(),
            variables: variables.into(),
            language: None,
        }
    }

    fn send_text<P>(
        &self,
        to: P,
        message: impl Into<String>,
    ) -> impl Future<Output = Result<types::SentMessage, Error>> + Send
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>,
    {
        let to = phone(to);
        let message = message.into();
        async move {
            let to = to?;
            let length = message.chars().count();
            if !(1..=4096).contains(&length) {
                return Err(Error::InvalidRequest {
                    message: format!(
                        "a text message has 1 to 4096 characters, this one has {length}"
                    ),
                });
            }
            let sent = self
                .send_text_message()
                .body_map(|b| b.phone(to).message(message))
                .send()
                .await?;
            Ok(sent.into_inner())
        }
    }

    fn upsert_contact<P>(&self, to: P) -> UpsertContact<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>,
    {
        UpsertContact {
            client: self,
            body: phone(to).map(|p| types::CreateContactRequest {
                phone: p.into(),
                name: None,
                email: None,
                tags: None,
                metadata: serde_json::Map::new(),
            }),
        }
    }
}

/// A template send being prepared; see [`QyvoClientExt::send_template`].
#[derive(Debug)]
#[must_use = "a SendTemplate does nothing until `.send().await`"]
pub struct SendTemplate<'a> {
    client: &'a Client,
    phone: Result<PhoneNumber, Error>,
    template_id: String,
    variables: Variables,
    language: Option<String>,
}

impl SendTemplate<'_> {
    /// Asks for this translation, e.g. `en` or `fr`; when it is not approved Qyvo falls back
    /// to any approved one.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into()).filter(|l| !l.trim().is_empty());
        self
    }

    /// Checks everything locally, then sends the template.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPhone`], [`Error::MissingVariables`] or [`Error::InvalidVariables`]
    /// before any message is sent; any API error of get-template or send-template-message.
    pub async fn send(self) -> Result<types::SentMessage, Error> {
        let phone = self.phone?;
        let cache = &self.client.inner.runtime.templates;
        let placeholders = cache.placeholders(self.client, &self.template_id).await?;
        if let Err(problems) = placeholders.check(&self.variables) {
            return Err(Error::from(problems));
        }
        let result = self
            .client
            .send_template_message()
            .body_map(|b| {
                b.phone(phone)
                    .template_id(self.template_id.clone())
                    .language(self.language)
                    .variables(std::collections::BTreeMap::from(self.variables))
            })
            .send()
            .await;
        match result.map_err(Error::from) {
            Ok(sent) => Ok(sent.into_inner()),
            Err(error @ Error::MissingVariables { .. }) => {
                // The template changed since it was cached.
                cache.forget(&self.template_id);
                Err(error)
            }
            Err(error) => Err(error),
        }
    }
}

/// A contact upsert being prepared; see [`QyvoClientExt::upsert_contact`].
///
/// `Debug` shows the phone masked and none of the contact's other details.
#[must_use = "an UpsertContact does nothing until `.send().await`"]
pub struct UpsertContact<'a> {
    client: &'a Client,
    body: Result<types::CreateContactRequest, Error>,
}

impl fmt::Debug for UpsertContact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut upsert = f.debug_struct("UpsertContact");
        match &self.body {
            Ok(body) => upsert.field("phone", &crate::phone::mask(&body.phone)),
            Err(error) => upsert.field("error", error),
        };
        upsert.finish_non_exhaustive()
    }
}

impl UpsertContact<'_> {
    fn edit(
        mut self,
        f: impl FnOnce(&mut types::CreateContactRequest) -> Result<(), Error>,
    ) -> Self {
        if let Ok(body) = &mut self.body
            && let Err(e) = f(body)
        {
            self.body = Err(e);
        }
        self
    }

    /// Sets the display name.
    pub fn name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.edit(|b| {
            b.name = Some(name);
            Ok(())
        })
    }

    /// Sets the email (omit it rather than sending an empty one: Qyvo rejects blank emails).
    pub fn email(self, email: impl Into<String>) -> Self {
        let email = email.into();
        self.edit(|b| {
            b.email = Some(email).filter(|e| !e.trim().is_empty());
            Ok(())
        })
    }

    /// Sets the tags; the upsert replaces the contact's tags with these.
    pub fn tags<I>(self, tags: I) -> Self
    where
        I: IntoIterator,
        I::Item: TryInto<Tag, Error = TagError>,
    {
        let tags = Tags::try_from_iter(tags);
        self.edit(|b| {
            b.tags = tags.map_err(Error::InvalidTag)?.into();
            Ok(())
        })
    }

    /// Sets the metadata (free-form JSON, at most 64 KB serialised).
    pub fn metadata<M>(self, metadata: M) -> Self
    where
        M: TryInto<Metadata, Error = MetadataError>,
    {
        let metadata = metadata.try_into();
        self.edit(|b| {
            b.metadata = metadata.map_err(Error::InvalidMetadata)?.into();
            Ok(())
        })
    }

    /// Sends the upsert.
    ///
    /// # Errors
    ///
    /// The first local problem ([`Error::InvalidPhone`], [`Error::InvalidTag`],
    /// [`Error::InvalidMetadata`]) before anything is sent, or any API error.
    pub async fn send(self) -> Result<types::CreatedContact, Error> {
        let body = self.body?;
        Ok(self
            .client
            .create_contact()
            .body(body)
            .send()
            .await?
            .into_inner())
    }
}

/// Placeholders of recently used templates, per client, with a bounded lifetime and size.
#[derive(Debug)]
pub(crate) struct TemplateCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Placeholders)>>,
    /// Serialises fetches, so concurrent sends of an uncached template fetch it once.
    fetching: tokio::sync::Mutex<()>,
}

impl TemplateCache {
    const CAPACITY: usize = 256;

    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Placeholders)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self, template_id: &str) -> Option<Placeholders> {
        let entries = self.lock();
        let (at, placeholders) = entries.get(template_id)?;
        (at.elapsed() < self.ttl).then(|| placeholders.clone())
    }

    /// The template's placeholders, from the cache or from get-template.
    async fn placeholders(
        &self,
        client: &Client,
        template_id: &str,
    ) -> Result<Placeholders, Error> {
        if let Some(placeholders) = self.fresh(template_id) {
            return Ok(placeholders);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(placeholders) = self.fresh(template_id) {
            return Ok(placeholders);
        }
        let template = client
            .get_template()
            .body_map(|b| b.template_id(template_id.to_owned()))
            .send()
            .await?
            .into_inner();
        let placeholders = if template.placeholders.is_empty() {
            Placeholders::from_body(&template.body)
        } else {
            Placeholders::from(template.placeholders)
        };
        let now = Instant::now();
        let mut entries = self.lock();
        entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
        if entries.len() >= Self::CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(template_id.to_owned(), (now, placeholders.clone()));
        Ok(placeholders)
    }

    fn forget(&self, template_id: &str) {
        self.lock().remove(template_id);
    }
}

/// The names of every hand-written method on [`Client`], checked against the operationIds.
#[cfg(test)]
pub(crate) const EXT_METHODS: &[&str] = &[
    "poll_campaigns",
    "poll_flow_sessions",
    "poll_messages",
    "poll_sequence_sessions",
    "rate_limit",
    "send_template",
    "send_template_bulk",
    "send_text",
    "upsert_contact",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_operation_id_collides_with_a_hand_written_method() {
        for name in EXT_METHODS {
            assert!(
                crate::retry::operation(name).is_none(),
                "operation {name} would shadow QyvoClientExt::{name}"
            );
        }
    }
}
