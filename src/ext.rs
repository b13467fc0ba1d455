//! Hand-written methods on the generated client, in a sealed extension trait.
//!
//! Bring them into scope with `use qyvo::prelude::*;`. Every one has the shape of the
//! generated methods: it returns a builder, and `.send()` does the work: a checked request
//! ([`crate::checked`]), a bulk send ([`crate::bulk`]) or a poller ([`crate::poll`]). The names
//! here are checked against every operationId by a test, so a new operation can never silently
//! shadow one of them.

#[cfg(feature = "postgres")]
use crate::campaign::{Campaigns, RunCampaign};
use crate::{
    Client,
    bulk::{Recipient, SendTemplateBulk},
    checked::{SendTemplate, SendText, UpsertContact},
    phone::{PhoneError, PhoneNumber},
    poll::Poll,
    ratelimit::RateLimitStatus,
    template::Variables,
    types,
};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Client {}
}

/// SDK conveniences on [`Client`]: checked sends, bulk sends, trigger pollers, quota, and
/// campaigns shared by workers.
///
/// Sealed: only [`Client`] implements it. Every method that takes a phone number takes
/// anything convertible into a [`PhoneNumber`] (`&str`, `String`, `PhoneNumber`); a number
/// that does not convert fails the builder's `.send()` with
/// [`Error::InvalidPhone`](crate::Error::InvalidPhone) before anything is sent.
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

    /// Starts a send of an approved template, checked against the template before it goes out;
    /// see [`SendTemplate`].
    ///
    /// ```no_run
    /// use qyvo::{prelude::*, template::Variables};
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

    /// Starts a send of free-form text inside the 24-hour customer-service window; see
    /// [`SendText`].
    ///
    /// ```no_run
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// match client.send_text("+14155550123", "Yes, we ship to Canada!").send().await {
    ///     Err(qyvo::Error::WindowClosed { .. }) => println!("send a template instead"),
    ///     other => { other?; }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn send_text<P>(&self, phone: P, message: impl Into<String>) -> SendText<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>;

    /// Starts an upsert of the contact with this phone number (create-contact); see
    /// [`UpsertContact`].
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
    /// use qyvo::{bulk::{FileJournal, Recipient}, prelude::*, template::Variables};
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let recipients = [
    ///     Recipient::new("+14155550123", Variables::from_iter([("1", "Romain")])),
    ///     Recipient::new("+33142764978", Variables::from_iter([("1", "Chloé")])),
    /// ];
    /// let report = client
    ///     .send_template_bulk("01J0ABCDEFGHJKMNPQRSTVWXYZ", recipients)
    ///     .concurrency(8)
    ///     .journal(FileJournal::open("campaign.jsonl")?)
    ///     .on_progress(|p| eprintln!("{}/{}", p.done, p.total))
    ///     .send()
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

    /// Starts a poller of `new_message_received`: new inbound messages, oldest first; see
    /// [`crate::poll`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::PollEvent;
    /// use qyvo::prelude::*;
    /// use qyvo::types::MessageTypeFilter;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut texts = client.poll_messages().message_type(MessageTypeFilter::Text).send();
    /// while let Some(event) = texts.next().await {
    ///     if let PollEvent::Item(message) = event? {
    ///         println!("{}: {:?}", message.id, message.content);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_messages(&self) -> Poll<types::InboundMessage>;

    /// Starts a poller of `new_campaign_sent`: campaigns that finished sending, oldest first;
    /// see [`crate::poll`] (campaigns without a `created_at` are told apart by their position
    /// in the page).
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::PollEvent;
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut sent = client.poll_campaigns().send();
    /// while let Some(event) = sent.next().await {
    ///     if let PollEvent::Item(campaign) = event? {
    ///         println!("{} sent to {:?}", campaign.id, campaign.sent_count);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_campaigns(&self) -> Poll<types::Campaign>;

    /// Starts a poller of `new_flow_triggered`: new flow sessions, oldest first; see
    /// [`crate::poll`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::PollEvent;
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut sessions = client.poll_flow_sessions().flow_id("01J0FL7Q4W5M3N8C2ZP6TKV9RA").send();
    /// while let Some(event) = sessions.next().await {
    ///     if let PollEvent::Item(session) = event? {
    ///         println!("{} entered {:?}", session.id, session.flow_id);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_flow_sessions(&self) -> Poll<types::FlowSession>;

    /// Starts a poller of `new_sequence_triggered`: new sequence enrolments, oldest first; see
    /// [`crate::poll`] (sessions without a `created_at` are told apart by their position in
    /// the page).
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use qyvo::poll::PollEvent;
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::poll::PollError> {
    /// let mut enrolments = client.poll_sequence_sessions().send();
    /// while let Some(event) = enrolments.next().await {
    ///     if let PollEvent::Item(session) = event? {
    ///         println!("{} enrolled in {:?}", session.id, session.sequence_id);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn poll_sequence_sessions(&self) -> Poll<types::SequenceSession>;

    /// Starts this worker's run of a campaign stored in PostgreSQL, which any number of
    /// workers send together, none messaging a person twice; see [`crate::campaign`] (the
    /// `postgres` feature).
    ///
    /// ```no_run
    /// use qyvo::{campaign::Campaigns, postgres::Postgres, prelude::*};
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let campaigns = Campaigns::new(Postgres::new("host=db.internal user=shop dbname=shop")?);
    /// let report = client.run_campaign(&campaigns, "spring-sale").send().await?;
    /// println!("{} sent, {} left", report.sent, report.pending);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "postgres")]
    fn run_campaign<'a>(
        &'a self,
        campaigns: &'a Campaigns,
        id: impl Into<String>,
    ) -> RunCampaign<'a>;
}

impl QyvoClientExt for Client {
    fn rate_limit(&self) -> Option<RateLimitStatus> {
        self.inner.limiter()?.status()
    }

    fn send_template<P>(
        &self,
        phone: P,
        template_id: impl Into<String>,
        variables: impl Into<Variables>,
    ) -> SendTemplate<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>,
    {
        SendTemplate::new(self, to_phone(phone), template_id.into(), variables.into())
    }

    fn send_text<P>(&self, phone: P, message: impl Into<String>) -> SendText<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>,
    {
        SendText::new(self, to_phone(phone), message.into())
    }

    fn upsert_contact<P>(&self, phone: P) -> UpsertContact<'_>
    where
        P: TryInto<PhoneNumber>,
        P::Error: Into<PhoneError>,
    {
        UpsertContact::new(self, to_phone(phone))
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

    fn poll_messages(&self) -> Poll<types::InboundMessage> {
        Poll::new(self)
    }

    fn poll_campaigns(&self) -> Poll<types::Campaign> {
        Poll::new(self)
    }

    fn poll_flow_sessions(&self) -> Poll<types::FlowSession> {
        Poll::new(self)
    }

    fn poll_sequence_sessions(&self) -> Poll<types::SequenceSession> {
        Poll::new(self)
    }

    #[cfg(feature = "postgres")]
    fn run_campaign<'a>(
        &'a self,
        campaigns: &'a Campaigns,
        id: impl Into<String>,
    ) -> RunCampaign<'a> {
        RunCampaign::new(self, campaigns, id.into())
    }
}

fn to_phone<P>(phone: P) -> Result<PhoneNumber, PhoneError>
where
    P: TryInto<PhoneNumber>,
    P::Error: Into<PhoneError>,
{
    phone.try_into().map_err(Into::into)
}

#[cfg(test)]
mod tests {
    /// The names of every hand-written method on [`Client`](crate::Client).
    const EXT_METHODS: &[&str] = &[
        "poll_campaigns",
        "poll_flow_sessions",
        "poll_messages",
        "poll_sequence_sessions",
        "rate_limit",
        "run_campaign",
        "send_template",
        "send_template_bulk",
        "send_text",
        "upsert_contact",
    ];

    #[test]
    fn no_operation_id_collides_with_a_hand_written_method() {
        for name in EXT_METHODS {
            assert!(
                crate::catalog::operation(name).is_none(),
                "operation {name} would shadow QyvoClientExt::{name}"
            );
        }
    }
}
