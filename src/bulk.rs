//! Sending one template to many recipients: bounded concurrency under the shared rate
//! limiter, one result per recipient, progress reports, and resumption after a crash without
//! messaging anyone twice.
//!
//! Start one with [`QyvoClientExt::send_template_bulk`].
//! Every recipient goes through [`send_template`](crate::prelude::QyvoClientExt::send_template),
//! so phones and variables are checked locally first and the template is fetched once.
//!
//! **Never twice.** A phone that appears again in the same batch is reported as
//! [`Outcome::Duplicate`] and not sent. With a [`BulkJournal`], the intent to send is recorded
//! *before* each send and the outcome after it; a resumed batch skips every recipient with a
//! recorded outcome, re-sends only those that certainly were not sent ([`Outcome::NotSent`]),
//! and reports a recipient whose send began but whose outcome was never recorded (the process
//! died mid-send) as [`Outcome::OutcomeUnknown`] instead of sending again.
//!
//! **Stopping early.** An error that would fail every remaining send (the token is revoked,
//! the template is missing or not approved, no workspace or WhatsApp number) stops the batch:
//! recipients not yet started are reported as [`Outcome::NotAttempted`].

use std::{
    collections::HashMap,
    fmt,
    fs::{File, OpenOptions},
    io::{self, BufRead, BufReader, Write},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::{
    Client, Error, PhoneError, PhoneNumber, Variables, VariablesError, prelude::QyvoClientExt,
    types,
};

/// How many sends run at once by default.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// One recipient of a bulk send: a phone number as typed and the template variables.
#[derive(Clone)]
pub struct Recipient {
    phone: String,
    variables: Variables,
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
    /// The server refused this send (a 4xx); nothing was sent.
    Rejected(Error),
    /// The send certainly did not happen (rate limited beyond the retry policy, or the
    /// connection failed before the request was written); a resumed batch tries again.
    NotSent(Error),
    /// The message may or may not have been sent; it is not retried. The error is `None` when
    /// a resumed batch found a send that began but never recorded an outcome.
    OutcomeUnknown(Option<Error>),
    /// A resumed batch found this recipient's outcome in the journal.
    AlreadyDone(JournalStatus),
    /// The batch stopped before this recipient (see the module docs).
    NotAttempted,
}

impl Outcome {
    fn status(&self) -> Option<JournalStatus> {
        Some(match self {
            Self::Sent(_) => JournalStatus::Sent,
            Self::Rejected(_) => JournalStatus::Rejected,
            Self::NotSent(_) => JournalStatus::NotSent,
            Self::OutcomeUnknown(_) => JournalStatus::Unknown,
            _ => return None,
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

/// A recorded state of one recipient in a [`BulkJournal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JournalStatus {
    /// About to send: recorded before the request.
    Sending,
    /// Sent.
    Sent,
    /// Refused by the server.
    Rejected,
    /// Certainly not sent; a resumed batch tries again.
    NotSent,
    /// May have been sent.
    Unknown,
}

/// Where a batch records its progress so it can resume; see the module docs.
///
/// `record` must be durable when it returns: the batch records [`JournalStatus::Sending`]
/// before each send and relies on it after a crash.
pub trait BulkJournal: Send + Sync {
    /// The last recorded status of every key.
    fn load(&self) -> io::Result<HashMap<String, JournalStatus>>;
    /// Records a key's new status.
    fn record(&self, key: &str, status: JournalStatus) -> io::Result<()>;
}

/// A [`BulkJournal`] in a JSON Lines file: one appended and synced line per record.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: Mutex<File>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    key: String,
    status: JournalStatus,
}

impl FileJournal {
    /// Opens (or creates) the journal file.
    ///
    /// # Errors
    ///
    /// The file cannot be opened for appending.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_owned();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }
}

impl BulkJournal for FileJournal {
    fn load(&self) -> io::Result<HashMap<String, JournalStatus>> {
        let mut statuses = HashMap::new();
        for (number, line) in BufReader::new(File::open(&self.path)?).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(&line) {
                Ok(Line { key, status }) => {
                    statuses.insert(key, status);
                }
                // A torn last line (a crash mid-write) is a record that never completed.
                Err(_) if number + 1 == count_lines(&self.path)? => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("bulk journal line {} is corrupt: {e}", number + 1),
                    ));
                }
            }
        }
        Ok(statuses)
    }

    fn record(&self, key: &str, status: JournalStatus) -> io::Result<()> {
        let mut line = serde_json::to_string(&Line {
            key: key.to_owned(),
            status,
        })?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }
}

fn count_lines(path: &Path) -> io::Result<usize> {
    Ok(BufReader::new(File::open(path)?).lines().count())
}

type ProgressFn = Box<dyn Fn(&Progress) + Send + Sync>;

/// A bulk template send being prepared; see
/// [`QyvoClientExt::send_template_bulk`].
#[must_use = "a SendTemplateBulk does nothing until `.run().await`"]
pub struct SendTemplateBulk<'a> {
    client: &'a Client,
    template_id: String,
    recipients: Vec<Recipient>,
    language: Option<String>,
    concurrency: usize,
    progress: Option<ProgressFn>,
    journal: Option<Arc<dyn BulkJournal>>,
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
            concurrency: DEFAULT_CONCURRENCY,
            progress: None,
            journal: None,
        }
    }

    /// Asks for this translation (see [`SendTemplate::language`](crate::ext::SendTemplate::language)).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets how many sends run at once (default [`DEFAULT_CONCURRENCY`], at least 1). The
    /// client's rate limiter still paces them.
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

    /// Runs the batch.
    ///
    /// # Errors
    ///
    /// Only when the journal cannot be read or written: per-recipient failures are outcomes.
    pub async fn run(self) -> Result<BulkReport, io::Error> {
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

        let mut results: Vec<BulkResult> = stream::iter(planned)
            .map(|(index, plan)| async move {
                let outcome = match plan {
                    Err(outcome) => outcome,
                    Ok(_) if stop.load(Ordering::Acquire) => Outcome::NotAttempted,
                    Ok((phone, variables)) => {
                        if let Some(journal) = journal {
                            journal.record(phone.as_str(), JournalStatus::Sending)?;
                        }
                        let mut send = client.send_template(phone.clone(), template_id, variables);
                        if let Some(language) = language {
                            send = send.language(language);
                        }
                        let outcome = classify(send.send().await);
                        if stops_the_batch(&outcome) {
                            stop.store(true, Ordering::Release);
                        }
                        if let (Some(journal), Some(status)) = (journal, outcome.status()) {
                            journal.record(phone.as_str(), status)?;
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
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        results.sort_by_key(|r| r.index);
        Ok(BulkReport { results })
    }
}

/// Sorts a send's result into an outcome.
fn classify(result: Result<types::SentMessage, Error>) -> Outcome {
    match result {
        Ok(sent) => Outcome::Sent(sent),
        Err(Error::InvalidPhone(e)) => Outcome::InvalidPhone(e),
        Err(Error::MissingVariables { missing, .. }) => Outcome::MissingVariables { missing },
        Err(Error::InvalidVariables(e)) => Outcome::InvalidVariables(e),
        Err(
            e
            @ (Error::RateLimited { .. } | Error::Transport { .. } | Error::InvalidRequest { .. }),
        ) => Outcome::NotSent(e),
        Err(e @ (Error::OutcomeUnknown { .. } | Error::Server { .. } | Error::Timeout { .. })) => {
            Outcome::OutcomeUnknown(Some(e))
        }
        Err(e) => Outcome::Rejected(e),
    }
}

/// Errors that every later send would hit too.
fn stops_the_batch(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Rejected(
            Error::Unauthenticated
                | Error::Forbidden { .. }
                | Error::NoWorkspace
                | Error::NoWhatsAppAccount
                | Error::NoApprovedTranslation { .. }
        )
    ) || matches!(outcome, Outcome::Rejected(Error::NotFound { what, .. }) if what == "template")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_journal_keeps_the_last_status_and_survives_a_torn_line() {
        let dir = std::env::temp_dir().join(format!("qyvo-bulk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let journal = FileJournal::open(&path).unwrap();
        journal
            .record("+14155550123", JournalStatus::Sending)
            .unwrap();
        journal.record("+14155550123", JournalStatus::Sent).unwrap();
        journal
            .record("+33142764978", JournalStatus::Sending)
            .unwrap();
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"key\":\"+4930")
            .unwrap();
        let loaded = FileJournal::open(&path).unwrap().load().unwrap();
        assert_eq!(loaded["+14155550123"], JournalStatus::Sent);
        assert_eq!(loaded["+33142764978"], JournalStatus::Sending);
        assert_eq!(loaded.len(), 2);

        std::fs::write(&path, "garbage\n{\"key\":\"a\",\"status\":\"sent\"}\n").unwrap();
        let err = FileJournal::open(&path).unwrap().load().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn classifies_errors_by_what_the_server_did() {
        let not_sent = classify(Err(Error::RateLimited { retry_after: None }));
        assert!(matches!(not_sent, Outcome::NotSent(_)));
        let unknown = classify(Err(Error::Server {
            status: 502,
            message: None,
        }));
        assert!(matches!(unknown, Outcome::OutcomeUnknown(Some(_))));
        let rejected = classify(Err(Error::WindowClosed {
            message: String::new(),
        }));
        assert!(matches!(rejected, Outcome::Rejected(_)));
        assert!(!stops_the_batch(&rejected));
        assert!(stops_the_batch(&classify(Err(Error::Unauthenticated))));
        let template_gone = classify(Err(Error::NotFound {
            what: "template".into(),
            message: "Template not found".into(),
        }));
        assert!(stops_the_batch(&template_gone));
        let contact_gone = classify(Err(Error::NotFound {
            what: "contact".into(),
            message: String::new(),
        }));
        assert!(!stops_the_batch(&contact_gone));
    }
}
