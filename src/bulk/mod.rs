//! Sending one template to many recipients: bounded concurrency under the shared rate
//! limiter, one result per recipient, progress reports, and resumption after a crash without
//! messaging anyone twice.
//!
//! Start one with [`QyvoClientExt::send_template_bulk`](crate::prelude::QyvoClientExt::send_template_bulk).
//! Every recipient goes through [`send_template`](crate::prelude::QyvoClientExt::send_template),
//! so phones and variables are checked locally first and the template is fetched once (while
//! the client caches it).
//!
//! **Never twice.** A phone that appears again in the same batch is reported as
//! [`Outcome::Duplicate`] and not sent. With a [`BulkJournal`], the intent to send is recorded
//! after the local checks (and the template lookup) and *before* the send request, and the
//! outcome after it; a resumed batch skips every recipient with a recorded outcome, re-sends
//! only those that certainly were not sent ([`Outcome::NotSent`]), and reports a recipient
//! whose send began but whose outcome was never recorded (the process died mid-send) as
//! [`Outcome::OutcomeUnknown`] instead of sending again.
//!
//! **Outcomes tell the truth**, by the send's [`Error::acted`]: a send the server may have
//! acted on (a 5xx, a timeout, an answer that could not be read) is
//! [`Outcome::OutcomeUnknown`]; one it certainly did not act on is [`Outcome::NotSent`] when
//! waiting may help (a 429, a refused connection, a failed template lookup),
//! [`Outcome::Stopped`] when every later send would fail too (see below), and
//! [`Outcome::Rejected`] otherwise (a 4xx).
//!
//! **Stopping early.** An error that would fail every remaining send (the token is revoked,
//! the template is missing or not approved, no workspace or WhatsApp number) stops the batch:
//! the recipients it hit are [`Outcome::Stopped`] and those not yet started
//! [`Outcome::NotAttempted`]; none of them was sent, so a resumed batch sends them all once the
//! cause is fixed. So does the signal
//! given to [`SendTemplateBulk::stop_on`] (Ctrl-C, a shutdown), once it fires: the sends under
//! way finish and are recorded, so a resumed batch knows their outcome.

mod journal;

use std::{
    collections::HashMap,
    fmt,
    future::Future,
    io,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use futures_util::{
    StreamExt,
    future::{self, Either},
    stream,
};

pub use journal::{BulkJournal, FileJournal, JournalStatus};

use crate::{
    Client, Error,
    checked::SendTemplate,
    error::Acted,
    phone::{PhoneError, PhoneNumber},
    template::{Variables, VariablesError},
    types,
};

/// One recipient of a bulk send (or of a campaign): a phone number as typed and the template
/// variables.
#[derive(Clone)]
pub struct Recipient {
    pub(crate) phone: String,
    pub(crate) variables: Variables,
}

impl Recipient {
    /// A recipient; the phone is checked when the batch runs.
    pub fn new(phone: impl Into<String>, variables: impl Into<Variables>) -> Self {
        Self {
            phone: phone.into(),
            variables: variables.into(),
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("phone", &crate::phone::mask(&self.phone))
            .field("variables", &self.variables)
            .finish()
    }
}

/// What happened to one recipient.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Meta accepted the message.
    Sent(types::SentMessage),
    /// The phone number is invalid; nothing was sent.
    InvalidPhone(PhoneError),
    /// Variables are missing; nothing was sent.
    MissingVariables {
        /// The placeholders without a value.
        missing: Vec<String>,
    },
    /// Variables break a WhatsApp rule; nothing was sent.
    InvalidVariables(VariablesError),
    /// The same phone number appeared earlier in the batch; not sent again.
    Duplicate {
        /// The index of the first occurrence.
        first: usize,
    },
    /// The server refused this send (a 4xx) for a reason of its own; nothing was sent, and a
    /// resumed batch does not try again.
    Rejected(Error),
    /// An error every later send would hit too (the token is revoked, the template is missing
    /// or not approved, no workspace or WhatsApp number): nothing was sent, the batch stopped,
    /// and a resumed batch tries again.
    Stopped(Error),
    /// The send certainly did not happen and waiting may help (rate limited beyond the retry
    /// policy, a connection that failed before the request was written, a failed template
    /// lookup); a resumed batch tries again.
    NotSent(Error),
    /// The message may have been sent, or was sent but its answer could not be read; it is
    /// never sent again. The error is `None` when a resumed batch found a send that began but
    /// never recorded an outcome.
    OutcomeUnknown(Option<Error>),
    /// A resumed batch found this recipient's outcome in the journal.
    AlreadyDone(JournalStatus),
    /// The batch stopped before this recipient (see the module docs).
    NotAttempted,
}

impl Outcome {
    /// What the journal records for this outcome; `None` for an outcome that is no send's
    /// (a repeated phone, a recipient done earlier or never started).
    pub(crate) fn status(&self) -> Option<JournalStatus> {
        Some(match self {
            Self::Sent(_) => JournalStatus::Sent,
            Self::Rejected(_)
            | Self::InvalidPhone(_)
            | Self::MissingVariables { .. }
            | Self::InvalidVariables(_) => JournalStatus::Rejected,
            Self::NotSent(_) | Self::Stopped(_) => JournalStatus::NotSent,
            Self::OutcomeUnknown(_) => JournalStatus::Unknown,
            Self::Duplicate { .. } | Self::AlreadyDone(_) | Self::NotAttempted => return None,
        })
    }
}

/// One recipient's result.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkResult {
    /// The recipient's position in the input.
    pub index: usize,
    /// What happened.
    pub outcome: Outcome,
}

/// Counters reported after every recipient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Recipients in the batch.
    pub total: usize,
    /// Recipients with a result so far.
    pub done: usize,
    /// Messages sent so far (this run).
    pub sent: usize,
    /// Recipients that were not sent (any other outcome), so far.
    pub not_sent: usize,
}

/// The results of a batch, in input order.
#[derive(Debug)]
pub struct BulkReport {
    /// One result per recipient, sorted by index.
    pub results: Vec<BulkResult>,
}

impl BulkReport {
    /// How many messages this run sent.
    pub fn sent(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Sent(_)))
            .count()
    }
}

type ProgressFn = Box<dyn Fn(&Progress) + Send + Sync>;
type StopSignal<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A bulk template send being prepared; see
/// [`QyvoClientExt::send_template_bulk`](crate::prelude::QyvoClientExt::send_template_bulk).
#[must_use = "a SendTemplateBulk does nothing until `.run().await`"]
pub struct SendTemplateBulk<'a> {
    client: &'a Client,
    template_id: String,
    recipients: Vec<Recipient>,
    language: Option<String>,
    concurrency: usize,
    progress: Option<ProgressFn>,
    journal: Option<Arc<dyn BulkJournal>>,
    stop: Option<StopSignal<'a>>,
}

impl fmt::Debug for SendTemplateBulk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendTemplateBulk")
            .field("template_id", &self.template_id)
            .field("recipients", &self.recipients.len())
            .field("language", &self.language)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<'a> SendTemplateBulk<'a> {
    pub(crate) fn new(client: &'a Client, template_id: String, recipients: Vec<Recipient>) -> Self {
        Self {
            client,
            template_id,
            recipients,
            language: None,
            concurrency: crate::defaults::BULK_CONCURRENCY,
            progress: None,
            journal: None,
            stop: None,
        }
    }

    /// Asks for this translation (see [`SendTemplate::language`](crate::checked::SendTemplate::language)).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets how many sends run at once (default [`defaults::BULK_CONCURRENCY`], at least 1).
    /// The client's rate limiter still paces them.
    ///
    /// [`defaults::BULK_CONCURRENCY`]: crate::defaults::BULK_CONCURRENCY
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Calls `report` after every recipient.
    pub fn on_progress(mut self, report: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(report));
        self
    }

    /// Records progress in `journal` and resumes from what it already holds.
    pub fn journal(mut self, journal: impl BulkJournal + 'static) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// Stops the batch when `signal` completes: recipients not yet started are reported as
    /// [`Outcome::NotAttempted`], and the sends under way finish (and are journaled) before
    /// [`send`](Self::send) returns.
    ///
    /// Dropping the `send()` future instead abandons the sends under way: with a journal, a
    /// resumed batch then reports them as [`Outcome::OutcomeUnknown`].
    ///
    /// ```no_run
    /// use qyvo::{bulk::Recipient, prelude::*};
    ///
    /// # async fn run(client: qyvo::Client, recipients: Vec<Recipient>) -> std::io::Result<()> {
    /// // Fired by a Ctrl-C handler, a shutdown hook, a deadline…
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let report = client
    ///     .send_template_bulk("01J0ABCDEFGHJKMNPQRSTVWXYZ", recipients)
    ///     .stop_on(async {
    ///         let _ = stopped.await;
    ///     })
    ///     .send()
    ///     .await?;
    /// # let _ = (report, stop);
    /// # Ok(())
    /// # }
    /// ```
    pub fn stop_on(mut self, signal: impl Future<Output = ()> + Send + 'a) -> Self {
        self.stop = Some(Box::pin(signal));
        self
    }

    /// Sends the batch.
    ///
    /// # Errors
    ///
    /// Only when the journal cannot be read or written: per-recipient failures are outcomes.
    pub async fn send(self) -> Result<BulkReport, io::Error> {
        let recorded = match &self.journal {
            Some(journal) => journal.load()?,
            None => HashMap::new(),
        };
        let total = self.recipients.len();
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        let mut planned = Vec::with_capacity(total);
        for (index, recipient) in self.recipients.into_iter().enumerate() {
            let plan = match PhoneNumber::try_from(recipient.phone.as_str()) {
                Err(e) => Err(Outcome::InvalidPhone(e)),
                Ok(phone) => match first_seen.get(phone.as_str()) {
                    Some(&first) => Err(Outcome::Duplicate { first }),
                    None => {
                        first_seen.insert(phone.as_str().to_owned(), index);
                        match recorded.get(phone.as_str()) {
                            Some(JournalStatus::Sending) => Err(Outcome::OutcomeUnknown(None)),
                            Some(JournalStatus::NotSent) | None => Ok((phone, recipient.variables)),
                            Some(&status) => Err(Outcome::AlreadyDone(status)),
                        }
                    }
                },
            };
            planned.push((index, plan));
        }

        let stop = AtomicBool::new(false);
        let progress = Mutex::new(Progress {
            total,
            ..Progress::default()
        });
        let journal = self.journal.as_deref();
        let language = self.language.as_deref();
        let template_id = self.template_id.as_str();
        let client = self.client;
        let report = self.progress.as_deref();
        let (stop, progress) = (&stop, &progress);

        let work = stream::iter(planned)
            .map(|(index, plan)| async move {
                let outcome = match plan {
                    Err(outcome) => outcome,
                    Ok(_) if stop.load(Ordering::Acquire) => Outcome::NotAttempted,
                    Ok((phone, variables)) => {
                        let mut send = SendTemplate::new(
                            client,
                            Ok(phone.clone()),
                            template_id.to_owned(),
                            variables,
                        );
                        if let Some(language) = language {
                            send = send.language(language);
                        }
                        let outcome = match send.check().await {
                            // Nothing was sent: nothing to record.
                            Err(error) => unsent(error),
                            Ok(checked) => {
                                if let Some(journal) = journal {
                                    journal.record(phone.as_str(), JournalStatus::Sending)?;
                                }
                                let outcome = sent(checked.send().await);
                                if let (Some(journal), Some(status)) = (journal, outcome.status()) {
                                    journal.record(phone.as_str(), status)?;
                                }
                                outcome
                            }
                        };
                        if matches!(outcome, Outcome::Stopped(_)) {
                            stop.store(true, Ordering::Release);
                        }
                        outcome
                    }
                };
                let snapshot = {
                    let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
                    p.done += 1;
                    if matches!(outcome, Outcome::Sent(_)) {
                        p.sent += 1;
                    } else {
                        p.not_sent += 1;
                    }
                    *p
                };
                if let Some(report) = report {
                    report(&snapshot);
                }
                Ok::<_, io::Error>(BulkResult { index, outcome })
            })
            .buffer_unordered(self.concurrency)
            .collect::<Vec<_>>();
        let outcomes = match self.stop {
            None => work.await,
            // The signal first, so a batch polled after it fired starts nothing more.
            Some(signal) => match future::select(signal, Box::pin(work)).await {
                Either::Left(((), work)) => {
                    stop.store(true, Ordering::Release);
                    work.await
                }
                Either::Right((outcomes, _)) => outcomes,
            },
        };
        let mut results: Vec<BulkResult> = outcomes.into_iter().collect::<Result<_, _>>()?;
        results.sort_by_key(|r| r.index);
        Ok(BulkReport { results })
    }
}

/// The outcome of a send request, by what the server may have done.
pub(crate) fn sent(result: Result<types::SentMessage, Error>) -> Outcome {
    match result {
        Ok(sent) => Outcome::Sent(sent),
        Err(error) => match error.acted() {
            Acted::Yes | Acted::Maybe => Outcome::OutcomeUnknown(Some(error)),
            Acted::No => unsent(error),
        },
    }
}

/// The outcome of a recipient that was not sent: refused before the send request (a local
/// check, the template lookup) or by the server.
pub(crate) fn unsent(error: Error) -> Outcome {
    match error {
        Error::InvalidPhone(e) => Outcome::InvalidPhone(e),
        Error::MissingVariables { missing, .. } => Outcome::MissingVariables { missing },
        Error::InvalidVariables(e) => Outcome::InvalidVariables(e),
        e if fails_every_send(&e) => Outcome::Stopped(e),
        e if e.is_transient() => Outcome::NotSent(e),
        e => Outcome::Rejected(e),
    }
}

/// Whether every later send of the batch would hit this error too.
fn fails_every_send(error: &Error) -> bool {
    match error {
        Error::Unauthenticated
        | Error::Forbidden { .. }
        | Error::NoWorkspace
        | Error::NoWhatsAppAccount
        | Error::NoApprovedTranslation { .. } => true,
        Error::NotFound { what, .. } => what == "template",
        _ => false,
    }
}

#[cfg(test)]
mod tests;
