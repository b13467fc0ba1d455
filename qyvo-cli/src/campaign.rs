//! `qyvo campaign send --template <id> <recipients.csv>`: one template to every row, through the
//! SDK's bulk send (checked sends, the shared rate limiter, a journal so that a re-run never
//! messages anyone twice), with a per-recipient report.
//!
//! `--dry-run` sends **zero** requests, and so needs no token. It checks every row locally:
//! the phone number (with `--region`), repeated phones, and the WhatsApp parameter rules on
//! every non-empty variable (no line break, no tab, at most four consecutive spaces). Whether
//! every placeholder of the template has a non-empty variable is checked only when the
//! placeholders are known offline: `--template-file` (a template saved with
//! `qyvo api get-template`) or `--placeholders`. Nothing in a dry run looks the template up.

use std::{collections::HashMap, path::PathBuf, sync::Arc};

use clap::Subcommand;
use qyvo::{
    Error,
    bulk::{FileJournal, JournalStatus, Outcome, Recipient},
    phone::PhoneNumber,
    prelude::QyvoClientExt as _,
    template::{Placeholders, Variables},
    types,
};
use serde::Serialize;

use crate::{
    connect::Connection,
    failure::{Exit, Failure, chain},
    output::Format,
    progress::{Interrupt, Progress},
    sheet::{Invalid, PhoneColumn, Region, Row, Sheet, beside},
};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Send a template to every recipient of a CSV file, never twice to anyone.
    Send(SendArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Variables: with no --var, every column but the phone column is a variable named by its header
(columns `1`, `2` fill {{1}}, {{2}}); --var NAME=COLUMN takes them from other columns.

The journal is the campaign: a re-run with the same journal skips whoever was sent, retries
only those certainly not sent, and reports a send that may have gone out (the process died
mid-send) as `unknown` instead of sending it again.")]
pub struct SendArgs {
    /// The template's Qyvo id (see `qyvo api list-templates`).
    #[arg(long, value_name = "ID")]
    template: String,
    /// The CSV file of recipients; its first row names the columns.
    recipients: PathBuf,
    /// The translation to send, e.g. `en` (Qyvo falls back to an approved one).
    #[arg(long)]
    language: Option<String>,
    #[command(flatten)]
    phones: PhoneColumn,
    /// Fill placeholder NAME from COLUMN (repeat for several); then only these are sent.
    #[arg(long = "var", value_name = "NAME=COLUMN", value_parser = name_and_column)]
    vars: Vec<(String, String)>,
    /// Check every row locally and send nothing (no request at all).
    #[arg(long)]
    dry_run: bool,
    /// For --dry-run: the template as `qyvo api get-template` printed it, for its placeholders.
    #[arg(long, value_name = "PATH", requires = "dry_run")]
    template_file: Option<PathBuf>,
    /// For --dry-run: the template's placeholders, comma-separated (e.g. `1,2,3`).
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        requires = "dry_run",
        conflicts_with = "template_file"
    )]
    placeholders: Vec<String>,
    /// The journal of this campaign (default: `<RECIPIENTS>.<TEMPLATE>.journal.jsonl`).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Write the per-recipient report here: JSON if the name ends in `.json`, else CSV.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// How many sends run at once (the rate limiter still paces them).
    #[arg(long, default_value_t = qyvo::defaults::BULK_CONCURRENCY)]
    concurrency: usize,
}

fn name_and_column(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, column)) if !name.is_empty() && !column.is_empty() => {
            Ok((name.to_owned(), column.to_owned()))
        }
        _ => Err("expected NAME=COLUMN, e.g. 1=first_name".to_owned()),
    }
}

/// A row read from the file: its phone (or why not) and its variables.
struct Candidate {
    line: u64,
    phone: Result<PhoneNumber, Invalid>,
    variables: Variables,
}

/// One recipient's line of the report (no `Debug`: it holds the phone).
#[derive(Serialize)]
struct Reported {
    line: u64,
    /// E.164, or empty when the row has no valid phone.
    phone: String,
    /// `sent`, `unknown`, `rejected`, `not_sent`, `invalid`, `duplicate`, `not_attempted`; in
    /// a dry run `ok` for a row that would be sent.
    status: &'static str,
    message_id: Option<String>,
    reason: Option<String>,
}

impl Reported {
    fn new(line: u64, phone: Option<&PhoneNumber>, status: &'static str) -> Self {
        Self {
            line,
            phone: phone.map(ToString::to_string).unwrap_or_default(),
            status,
            message_id: None,
            reason: None,
        }
    }

    fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// The counts of a run, by status.
#[derive(Debug, Serialize)]
struct Summary {
    template: String,
    recipients: usize,
    dry_run: bool,
    /// Whether missing variables were checked (`--dry-run` needs the placeholders offline).
    placeholders_checked: bool,
    counts: std::collections::BTreeMap<&'static str, usize>,
}

impl SendArgs {
    pub async fn run(self, connection: &Connection, output: Format) -> Result<(), Failure> {
        let region = self.phones.region()?;
        let sheet = Sheet::read(&self.recipients)?;
        let candidates = self.candidates(sheet, &region)?;
        let (reported, placeholders_checked, ending) = if self.dry_run {
            let placeholders = self.placeholders()?;
            let checked = placeholders.is_some();
            let reported = dry_run(&candidates, placeholders.as_ref());
            (reported, checked, Ending::Finished)
        } else {
            let (reported, ending) = self.send(&candidates, connection).await?;
            (reported, true, ending)
        };

        let mut counts = std::collections::BTreeMap::new();
        for line in &reported {
            *counts.entry(line.status).or_insert(0) += 1;
        }
        let summary = Summary {
            template: self.template.clone(),
            recipients: reported.len(),
            dry_run: self.dry_run,
            placeholders_checked,
            counts,
        };
        if let Some(path) = &self.report {
            write_report(path, &reported)?;
        }
        // Rows other than those sent (or that would be) are listed; a repeated phone was sent
        // (or would be) once, so only the others fail the run.
        let done = if self.dry_run { "ok" } else { "sent" };
        let problems: Vec<&Reported> = reported.iter().filter(|r| r.status != done).collect();
        let failed = problems.iter().filter(|r| r.status != "duplicate").count();
        output.print_report(&summary, "problems", &problems);

        match ending {
            Ending::Finished => {}
            Ending::Interrupted => {
                return Err(Failure::interrupted());
            }
            Ending::Stopped(failure) => return Err(failure),
        }
        if self.dry_run && failed > 0 {
            return Err(Failure::input(format!(
                "{failed} of {} rows would not be sent: see the summary",
                reported.len()
            )));
        }
        Failure::partial(failed, reported.len(), "recipients")
    }

    /// Every row with its phone and variables.
    fn candidates(&self, sheet: Sheet, region: &Region) -> Result<Vec<Candidate>, Failure> {
        let phone = sheet.require(&self.phones.column)?;
        let variables: Vec<(String, usize)> = if self.vars.is_empty() {
            (0..sheet.headers().len())
                .filter(|column| *column != phone)
                .map(|column| (sheet.headers()[column].clone(), column))
                .collect()
        } else {
            self.vars
                .iter()
                .map(|(name, column)| Ok((name.clone(), sheet.require(column)?)))
                .collect::<Result<_, Failure>>()?
        };
        let candidate = |row: Row| Candidate {
            line: row.line,
            phone: region
                .phone(row.get(phone))
                .map_err(|e| row.invalid(chain(&Error::InvalidPhone(e)))),
            variables: variables
                .iter()
                .map(|(name, column)| (name.clone(), row.get(*column).to_owned()))
                .collect(),
        };
        Ok(sheet
            .rows
            .into_iter()
            .map(|row| match row {
                Ok(row) => candidate(row),
                Err(invalid) => Candidate {
                    line: invalid.line,
                    phone: Err(invalid),
                    variables: Variables::new(),
                },
            })
            .collect())
    }

    /// The template's placeholders, when given offline.
    fn placeholders(&self) -> Result<Option<Placeholders>, Failure> {
        if let Some(path) = &self.template_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
            let template: types::Template = serde_json::from_str(&text).map_err(|e| {
                Failure::input(format!(
                    "{} is not a template from `qyvo api get-template`: {e}",
                    path.display()
                ))
            })?;
            return Ok(Some(Placeholders::from(&template)));
        }
        Ok((!self.placeholders.is_empty()).then(|| self.placeholders.iter().collect()))
    }

    /// Sends to every valid row; returns the report and how the run ended.
    async fn send(
        &self,
        candidates: &[Candidate],
        connection: &Connection,
    ) -> Result<(Vec<Reported>, Ending), Failure> {
        let session = connection.connect().await?;
        let client = session.client().clone();
        let journal_path = self.journal.clone().unwrap_or_else(|| {
            beside(
                &self.recipients,
                &format!(".{}.journal.jsonl", self.template),
            )
        });
        let journal =
            FileJournal::open(&journal_path).map_err(|e| Failure::journal(&journal_path, &e))?;

        // Rows with a phone go to the bulk send (which also finds repeats); the others are
        // reported as they are.
        let sendable: Vec<&Candidate> = candidates.iter().filter(|c| c.phone.is_ok()).collect();
        let recipients = sendable.iter().filter_map(|c| {
            let phone = c.phone.as_ref().ok()?;
            Some(Recipient::new(phone.as_str(), c.variables.clone()))
        });
        let progress = Arc::new(Progress::start("campaign", sendable.len() as u64, &client));
        let interrupt = Interrupt::listen();
        let mut bulk = client
            .send_template_bulk(&self.template, recipients)
            .concurrency(self.concurrency)
            .journal(journal)
            .stop_on(interrupt.clone().wait())
            .on_progress({
                let progress = Arc::clone(&progress);
                move |p| {
                    let detail = format!("sent {}, not sent {}", p.sent, p.not_sent);
                    progress.update(p.done as u64, &detail);
                }
            });
        if let Some(language) = &self.language {
            bulk = bulk.language(language);
        }
        let report = bulk
            .send()
            .await
            .map_err(|e| Failure::journal(&journal_path, &e))?;
        progress.finish();

        let lines: Vec<u64> = sendable.iter().map(|c| c.line).collect();
        let mut reported: Vec<Reported> = candidates
            .iter()
            .filter_map(|c| c.phone.as_ref().err())
            .map(|invalid| Reported::new(invalid.line, None, "invalid").because(&invalid.reason))
            .collect();
        for result in &report.results {
            let candidate = sendable[result.index];
            let phone = candidate.phone.as_ref().ok();
            reported.push(describe(
                Reported::new(candidate.line, phone, "sent"),
                &result.outcome,
                &lines,
            ));
        }
        reported.sort_by_key(|r| r.line);
        // An error every send would hit (a revoked token, an unapproved template) stopped the
        // batch: the command fails with it.
        let stopped_by = report.results.iter().find_map(|r| match &r.outcome {
            Outcome::Stopped(error) => Some(Failure::sdk(error)),
            _ => None,
        });
        let ending = match stopped_by {
            _ if interrupt.is_set() => Ending::Interrupted,
            Some(failure) => Ending::Stopped(failure),
            None => Ending::Finished,
        };
        Ok((reported, ending))
    }
}

/// How a run ended, besides its report.
enum Ending {
    Finished,
    Interrupted,
    /// An API error every send would hit stopped the batch.
    Stopped(Failure),
}

/// A dry run: what the bulk send would do with each row, found offline.
fn dry_run(candidates: &[Candidate], placeholders: Option<&Placeholders>) -> Vec<Reported> {
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    candidates
        .iter()
        .map(|c| {
            let phone = match &c.phone {
                Ok(phone) => phone,
                Err(invalid) => {
                    return Reported::new(c.line, None, "invalid").because(&invalid.reason);
                }
            };
            let line = Reported::new(c.line, Some(phone), "ok");
            if let Some(first) = first_line.get(phone.as_str()) {
                return Reported {
                    status: "duplicate",
                    ..line
                }
                .because(format!("the same phone as line {first}; sent once"));
            }
            first_line.insert(phone.as_str(), c.line);
            // Without the template, every non-empty variable is held to the parameter rules
            // (an empty one may be a column the template does not use).
            let given: Placeholders = c
                .variables
                .iter()
                .filter(|(_, value)| !value.trim().is_empty())
                .map(|(name, _)| name)
                .collect();
            match placeholders.unwrap_or(&given).check(&c.variables) {
                Ok(()) => line,
                Err(e) => Reported {
                    status: "invalid",
                    ..line
                }
                .because(e.to_string()),
            }
        })
        .collect()
}

/// The report line of a bulk send's outcome; `lines` maps the batch's indexes to lines.
fn describe(reported: Reported, outcome: &Outcome, lines: &[u64]) -> Reported {
    let earlier = || Some("in an earlier run".to_owned());
    let (status, reason) = match outcome {
        Outcome::Sent(message) => {
            return Reported {
                message_id: Some(message.id.clone()),
                ..reported
            };
        }
        Outcome::InvalidPhone(e) => ("invalid", Some(chain(&Error::InvalidPhone(e.clone())))),
        Outcome::MissingVariables { missing } => (
            "invalid",
            Some(format!(
                "template variables missing: {}",
                missing.join(", ")
            )),
        ),
        Outcome::InvalidVariables(e) => ("invalid", Some(e.to_string())),
        Outcome::Duplicate { first } => (
            "duplicate",
            Some(format!(
                "the same phone as line {}; sent once",
                lines.get(*first).copied().unwrap_or_default()
            )),
        ),
        Outcome::Rejected(error) => ("rejected", Some(chain(error))),
        Outcome::NotSent(error) | Outcome::Stopped(error) => (
            "not_sent",
            Some(format!("{}; a re-run tries again", chain(error))),
        ),
        Outcome::OutcomeUnknown(error) => (
            "unknown",
            Some(format!(
                "{}; never sent again",
                error.as_ref().map_or_else(
                    || "an earlier run stopped during this send".to_owned(),
                    |e| chain(e)
                )
            )),
        ),
        Outcome::AlreadyDone(JournalStatus::Sent) => ("sent", earlier()),
        Outcome::AlreadyDone(JournalStatus::Rejected) => ("rejected", earlier()),
        Outcome::AlreadyDone(_) => (
            "unknown",
            Some("in an earlier run; never sent again".to_owned()),
        ),
        Outcome::NotAttempted => (
            "not_attempted",
            Some("the batch stopped before this recipient".to_owned()),
        ),
        other => ("not_sent", Some(format!("{other:?}"))),
    };
    Reported {
        status,
        reason,
        ..reported
    }
}

/// Writes the per-recipient report: JSON for a `.json` path, CSV otherwise.
fn write_report(path: &std::path::Path, reported: &[Reported]) -> Result<(), Failure> {
    let fail = |e: &dyn std::fmt::Display| {
        Failure::new(
            Exit::Other,
            format!("cannot write the report {}: {e}", path.display()),
        )
    };
    if path.extension().is_some_and(|e| e == "json") {
        let json = serde_json::to_vec_pretty(reported).map_err(|e| fail(&e))?;
        return std::fs::write(path, json).map_err(|e| fail(&e));
    }
    let mut writer = csv::Writer::from_path(path).map_err(|e| fail(&e))?;
    for line in reported {
        writer.serialize(line).map_err(|e| fail(&e))?;
    }
    writer.flush().map_err(|e| fail(&e))
}
