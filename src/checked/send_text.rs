//! [`SendText`]: a free-form text send, checked before it goes out.

use std::fmt;

use crate::{
    Client, Error,
    builder::SendTextMessage,
    phone::{PhoneError, PhoneNumber},
    types,
};

/// The longest text message Qyvo accepts, in characters.
const MAX_CHARS: usize = 4096;

/// A text send being prepared; see
/// [`QyvoClientExt::send_text`](crate::prelude::QyvoClientExt::send_text).
///
/// The phone is normalised and the text checked (1 to 4096 characters) before anything is
/// sent. Outside the 24-hour customer-service window the server's rejection arrives as
/// [`Error::WindowClosed`]. Any other field of send-text-message is set with
/// [`body_map`](Self::body_map). `Debug` shows the phone masked and never the text.
#[must_use = "a SendText does nothing until `.send().await`"]
pub struct SendText<'a> {
    checked: Result<PhoneNumber, Error>,
    request: SendTextMessage<'a>,
}

impl fmt::Debug for SendText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendText")
            .field("phone", &self.checked)
            .finish_non_exhaustive()
    }
}

impl<'a> SendText<'a> {
    pub(crate) fn new(
        client: &'a Client,
        phone: Result<PhoneNumber, PhoneError>,
        message: String,
    ) -> Self {
        let length = message.chars().count();
        let checked = match phone {
            Err(e) => Err(Error::InvalidPhone(e)),
            Ok(_) if !(1..=MAX_CHARS).contains(&length) => Err(Error::invalid_request(format!(
                "a text message has 1 to {MAX_CHARS} characters, this one has {length}"
            ))),
            Ok(phone) => Ok(phone),
        };
        let request = match &checked {
            Ok(phone) => {
                let phone = phone.clone();
                client
                    .send_text_message()
                    .body_map(|b| b.phone(phone).message(message))
            }
            Err(_) => client.send_text_message(),
        };
        Self { checked, request }
    }

    /// Sets any other field of the request on the generated body builder; the phone and the
    /// text are always the checked ones.
    pub fn body_map<F>(mut self, f: F) -> Self
    where
        F: FnOnce(types::builder::SendTextMessageRequest) -> types::builder::SendTextMessageRequest,
    {
        self.request = self.request.body_map(f);
        self
    }

    /// Sends the text.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPhone`] or [`Error::InvalidRequest`] (the length) before anything is
    /// sent; any error of send-text-message, e.g. [`Error::WindowClosed`]. A send that may have
    /// gone out is [`Error::OutcomeUnknown`].
    pub async fn send(self) -> Result<types::SentMessage, Error> {
        self.checked?;
        Ok(self.request.send().await?.into_inner())
    }
}
