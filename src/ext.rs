//! Hand-written methods on the generated client, in sealed extension traits.
//!
//! Bring them into scope with `use qyvo::prelude::*;`. Generated methods are named after the
//! spec's operationIds; the names here are checked against every operationId by a test, so a
//! new operation can never silently shadow one of them.

use crate::{
    Client,
    poll::{CheckpointStore, PollOptions, PollStream},
    ratelimit::RateLimitStatus,
    types,
};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Client {}
}

/// SDK conveniences on [`Client`]: quota introspection and trigger pollers.
///
/// Sealed: only [`Client`] implements it.
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

impl QyvoClientExt for Client {
    fn rate_limit(&self) -> Option<RateLimitStatus> {
        self.inner.runtime.limiter.as_ref()?.status()
    }

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
}

/// The names of every hand-written method on [`Client`], checked against the operationIds.
#[cfg(test)]
pub(crate) const EXT_METHODS: &[&str] = &[
    "rate_limit",
    "poll_messages",
    "poll_campaigns",
    "poll_flow_sessions",
    "poll_sequence_sessions",
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
