//! [`SendTemplate`]: a template send checked against the template before it goes out, and the
//! per-client cache of templates it looks up.

use std::{collections::HashMap, fmt, sync::Mutex, time::Duration};

use tokio::time::Instant;

use crate::{
    Client, Error,
    builder::SendTemplateMessage,
    phone::{PhoneError, PhoneNumber},
    template::{Placeholders, Variables},
    types,
};

/// A template send being prepared; see
/// [`QyvoClientExt::send_template`](crate::prelude::QyvoClientExt::send_template).
///
/// [`send`](Self::send) normalises the phone to E.164, looks the template's placeholders up
/// with get-template (cached per client for [`defaults::TEMPLATE_CACHE_TTL`](crate::defaults::TEMPLATE_CACHE_TTL)
/// by default), checks the variables, then sends. A missing variable fails with
/// [`Error::MissingVariables`] before any message goes out: the same error the server's 422
/// maps to. Extra variables that match no placeholder are allowed, as the server allows them.
///
/// Any other field of send-template-message is set with [`body_map`](Self::body_map), on the
/// generated body builder. `Debug` shows the phone masked and the variables' names only.
#[must_use = "a SendTemplate does nothing until `.send().await`"]
pub struct SendTemplate<'a> {
    client: &'a Client,
    phone: Result<PhoneNumber, PhoneError>,
    template_id: String,
    variables: Variables,
    request: SendTemplateMessage<'a>,
}

impl fmt::Debug for SendTemplate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendTemplate")
            .field("phone", &self.phone)
            .field("template_id", &self.template_id)
            .field("variables", &self.variables)
            .finish_non_exhaustive()
    }
}

impl<'a> SendTemplate<'a> {
    pub(crate) fn new(
        client: &'a Client,
        phone: Result<PhoneNumber, PhoneError>,
        template_id: String,
        variables: Variables,
    ) -> Self {
        Self {
            client,
            phone,
            template_id,
            variables,
            request: client.send_template_message(),
        }
    }

    /// Asks for this translation, e.g. `en` or `fr`; when it is not approved Qyvo falls back
    /// to any approved one. A blank language is not sent.
    pub fn language(self, language: impl Into<String>) -> Self {
        let language = Some(language.into()).filter(|l| !l.trim().is_empty());
        self.body_map(|b| b.language(language))
    }

    /// Sets any other field of the request on the generated body builder; the phone, the
    /// template id and the variables are always the checked ones.
    ///
    /// ```no_run
    /// use qyvo::{prelude::*, template::Variables};
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// let sent = client
    ///     .send_template("+14155550123", "01J0ABCDEFGHJKMNPQRSTVWXYZ", Variables::new())
    ///     .body_map(|b| b.language(Some("fr".to_owned())))
    ///     .send()
    ///     .await?;
    /// # let _ = sent;
    /// # Ok(())
    /// # }
    /// ```
    pub fn body_map<F>(mut self, f: F) -> Self
    where
        F: FnOnce(
            types::builder::SendTemplateMessageRequest,
        ) -> types::builder::SendTemplateMessageRequest,
    {
        self.request = self.request.body_map(f);
        self
    }

    /// Checks everything locally (looking the template up when it is not cached), without
    /// sending: what [`send`](Self::send) does before it sends.
    ///
    /// Useful to record an intent to send between the checks and the send, as bulk sends do:
    /// an error here means nothing was sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPhone`], [`Error::MissingVariables`] or [`Error::InvalidVariables`];
    /// any error of get-template.
    pub async fn check(self) -> Result<CheckedSend<'a>, Error> {
        let phone = self.phone?;
        let cache = self.client.inner.extension::<TemplateCache>();
        let ttl = self.client.inner.settings().template_cache_ttl;
        let placeholders = cache
            .placeholders(self.client, &self.template_id, ttl)
            .await?;
        placeholders.check(&self.variables)?;
        let variables = std::collections::BTreeMap::from(self.variables);
        let template_id = self.template_id;
        let request = self.request.body_map({
            let template_id = template_id.clone();
            |b| b.phone(phone).template_id(template_id).variables(variables)
        });
        Ok(CheckedSend {
            client: self.client,
            template_id,
            request,
        })
    }

    /// Checks everything locally, then sends the template.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPhone`], [`Error::MissingVariables`] or [`Error::InvalidVariables`]
    /// before any message is sent; any error of get-template or send-template-message.
    pub async fn send(self) -> Result<types::SentMessage, Error> {
        self.check().await?.send().await
    }
}

/// A template send that passed every local check; [`send`](Self::send) sends it.
///
/// Made by [`SendTemplate::check`].
#[must_use = "a CheckedSend does nothing until `.send().await`"]
pub struct CheckedSend<'a> {
    client: &'a Client,
    template_id: String,
    request: SendTemplateMessage<'a>,
}

impl fmt::Debug for CheckedSend<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedSend")
            .field("template_id", &self.template_id)
            .finish_non_exhaustive()
    }
}

impl CheckedSend<'_> {
    /// Sends the template.
    ///
    /// # Errors
    ///
    /// Any error of send-template-message; a send that may have gone out is
    /// [`Error::OutcomeUnknown`].
    pub async fn send(self) -> Result<types::SentMessage, Error> {
        match self.request.send().await {
            Ok(sent) => Ok(sent.into_inner()),
            Err(error @ Error::MissingVariables { .. }) => {
                // The template changed since it was cached.
                self.client
                    .inner
                    .extension::<TemplateCache>()
                    .forget(&self.template_id);
                Err(error)
            }
            Err(error) => Err(error),
        }
    }
}

/// Placeholders of recently used templates, per client, with a bounded lifetime and size.
#[derive(Debug, Default)]
struct TemplateCache {
    entries: Mutex<HashMap<String, (Instant, Placeholders)>>,
    /// Serialises fetches, so concurrent sends of an uncached template fetch it once.
    fetching: tokio::sync::Mutex<()>,
}

impl TemplateCache {
    const CAPACITY: usize = 256;

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Placeholders)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self, template_id: &str, ttl: Duration) -> Option<Placeholders> {
        let entries = self.lock();
        let (at, placeholders) = entries.get(template_id)?;
        (at.elapsed() < ttl).then(|| placeholders.clone())
    }

    /// The template's placeholders, from the cache or from get-template.
    async fn placeholders(
        &self,
        client: &Client,
        template_id: &str,
        ttl: Duration,
    ) -> Result<Placeholders, Error> {
        if let Some(placeholders) = self.fresh(template_id, ttl) {
            return Ok(placeholders);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(placeholders) = self.fresh(template_id, ttl) {
            return Ok(placeholders);
        }
        let template = client
            .get_template()
            .body_map(|b| b.template_id(template_id.to_owned()))
            .send()
            .await?
            .into_inner();
        let placeholders = Placeholders::from(&template);
        let now = Instant::now();
        let mut entries = self.lock();
        entries.retain(|_, (at, _)| now.duration_since(*at) < ttl);
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
