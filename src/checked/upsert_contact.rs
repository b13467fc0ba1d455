//! [`UpsertContact`]: a contact upsert (create-contact) with its tags and metadata checked.

use std::fmt;

use crate::{
    Client, Error,
    builder::CreateContact,
    contact::{Metadata, MetadataError, Tag, TagError, Tags},
    phone::{PhoneError, PhoneNumber},
    types,
};

/// A contact upsert being prepared; see
/// [`QyvoClientExt::upsert_contact`](crate::prelude::QyvoClientExt::upsert_contact).
///
/// Tags are given as a list and sent comma-separated; a tag containing a comma fails with
/// [`Error::InvalidTag`], and metadata over the documented 64 KB with
/// [`Error::InvalidMetadata`], before anything is sent. A blank name or email is not sent
/// (Qyvo rejects a blank email and a blank name would wipe the contact's). Any other field of
/// create-contact is set with [`body_map`](Self::body_map).
///
/// `Debug` shows the phone masked and none of the contact's other details.
#[must_use = "an UpsertContact does nothing until `.send().await`"]
pub struct UpsertContact<'a> {
    checked: Result<PhoneNumber, Error>,
    request: CreateContact<'a>,
}

impl fmt::Debug for UpsertContact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertContact")
            .field("phone", &self.checked)
            .finish_non_exhaustive()
    }
}

impl<'a> UpsertContact<'a> {
    pub(crate) fn new(client: &'a Client, phone: Result<PhoneNumber, PhoneError>) -> Self {
        let request = match &phone {
            Ok(phone) => {
                let phone = phone.clone();
                client.create_contact().body_map(|b| b.phone(phone))
            }
            Err(_) => client.create_contact(),
        };
        Self {
            checked: phone.map_err(Error::InvalidPhone),
            request,
        }
    }

    /// Sets any field of the request on the generated body builder, including fields a newer
    /// spec adds; the phone is always the checked one.
    ///
    /// ```no_run
    /// use qyvo::prelude::*;
    ///
    /// # async fn run(client: qyvo::Client) -> Result<(), qyvo::Error> {
    /// client
    ///     .upsert_contact("+14155550123")
    ///     .body_map(|b| b.name(Some("Romain".to_owned())))
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn body_map<F>(mut self, f: F) -> Self
    where
        F: FnOnce(types::builder::CreateContactRequest) -> types::builder::CreateContactRequest,
    {
        self.request = self.request.body_map(f);
        self
    }

    /// Runs a check that may fail the upsert; the first failure is the one reported.
    fn checked<T>(self, value: Result<T, Error>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match (value, &self.checked) {
            (Ok(value), _) => set(self, value),
            (Err(_), Err(_)) => self,
            (Err(error), Ok(_)) => Self {
                checked: Err(error),
                ..self
            },
        }
    }

    /// Sets the display name; a blank one is not sent.
    pub fn name(self, name: impl Into<String>) -> Self {
        let name = Some(name.into()).filter(|n| !n.trim().is_empty());
        self.body_map(|b| b.name(name))
    }

    /// Sets the email; a blank one is not sent (Qyvo rejects blank emails).
    pub fn email(self, email: impl Into<String>) -> Self {
        let email = Some(email.into()).filter(|e| !e.trim().is_empty());
        self.body_map(|b| b.email(email))
    }

    /// Sets the tags; the upsert replaces the contact's tags with these.
    pub fn tags<I>(self, tags: I) -> Self
    where
        I: IntoIterator,
        I::Item: TryInto<Tag, Error = TagError>,
    {
        let tags = Tags::try_from_iter(tags).map_err(Error::InvalidTag);
        self.checked(tags, |upsert, tags| {
            upsert.body_map(|b| b.tags(Option::<String>::from(tags)))
        })
    }

    /// Sets the metadata (free-form JSON, at most 64 KB serialised).
    pub fn metadata<M>(self, metadata: M) -> Self
    where
        M: TryInto<Metadata, Error = MetadataError>,
    {
        let metadata = metadata.try_into().map_err(Error::InvalidMetadata);
        self.checked(metadata, |upsert, metadata| {
            upsert.body_map(|b| {
                b.metadata(serde_json::Map::<String, serde_json::Value>::from(metadata))
            })
        })
    }

    /// Sends the upsert.
    ///
    /// # Errors
    ///
    /// The first local problem ([`Error::InvalidPhone`], [`Error::InvalidTag`],
    /// [`Error::InvalidMetadata`]) before anything is sent, or any API error.
    pub async fn send(self) -> Result<types::CreatedContact, Error> {
        self.checked?;
        Ok(self.request.send().await?.into_inner())
    }
}
