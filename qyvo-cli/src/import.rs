//! `qyvo contacts import <file.csv>`: every row upserted as a contact through the SDK's checked
//! `upsert_contact`, resumable, with invalid rows reported by line and a summary.
//!
//! Every row is read and checked first (phone, tags and metadata through the SDK's domain
//! types); invalid rows are reported with their line number and reason and nothing is sent
//! for them. The others are upserted one after the other, at the rate the SDK's limiter
//! allows (Qyvo's quota, not latency, is the limit). Each upserted row is recorded in a
//! journal (the SDK's `FileJournal`, keyed by line and phone) so that a re-run after an
//! interruption skips what is done; upserts are idempotent, so a row whose upsert was under
//! way is simply upserted again.

use std::path::PathBuf;

use clap::Subcommand;
use qyvo::{
    Client, Error,
    bulk::{BulkJournal as _, FileJournal, JournalStatus},
    contact::{Metadata, Tags},
    phone::PhoneNumber,
    prelude::QyvoClientExt as _,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    connect::Connection,
    failure::{Failure, chain},
    output::Format,
    progress::{Interrupt, Progress},
    sheet::{Invalid, PhoneColumn, Region, Row, Sheet, beside},
};

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Upsert every row of a CSV file as a contact (by phone); resumable; a summary at the end.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The CSV file; its first row names the columns.
    file: PathBuf,
    #[command(flatten)]
    phones: PhoneColumn,
    /// The column of names (default: `name`, if there is one).
    #[arg(long, value_name = "COLUMN")]
    name_column: Option<String>,
    /// The column of emails (default: `email`, if there is one).
    #[arg(long, value_name = "COLUMN")]
    email_column: Option<String>,
    /// The column of tags (default: `tags`, if there is one); they replace the contact's tags.
    #[arg(long, value_name = "COLUMN")]
    tags_column: Option<String>,
    /// What separates tags in the tags column.
    #[arg(long, value_name = "CHAR", default_value_t = ',')]
    tag_separator: char,
    /// A column kept in the contact's metadata, under its header (repeat for several).
    #[arg(long = "metadata-column", value_name = "COLUMN")]
    metadata_columns: Vec<String>,
    /// Where imported rows are recorded, to resume after an interruption (default:
    /// `<FILE>.import.jsonl`).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
}

/// Where each field of a contact is in the file.
struct Columns {
    phone: usize,
    name: Option<usize>,
    email: Option<usize>,
    tags: Option<usize>,
    tag_separator: char,
    metadata: Vec<(String, usize)>,
}

/// A row ready to be upserted.
struct Contact {
    line: u64,
    phone: PhoneNumber,
    name: String,
    email: String,
    tags: Vec<String>,
    metadata: Map<String, Value>,
}

impl Columns {
    fn find(sheet: &Sheet, args: &ImportArgs) -> Result<Self, Failure> {
        Ok(Self {
            phone: sheet.require(&args.phones.column)?,
            name: sheet.optional(args.name_column.as_deref(), "name")?,
            email: sheet.optional(args.email_column.as_deref(), "email")?,
            tags: sheet.optional(args.tags_column.as_deref(), "tags")?,
            tag_separator: args.tag_separator,
            metadata: args
                .metadata_columns
                .iter()
                .map(|name| Ok((name.clone(), sheet.require(name)?)))
                .collect::<Result<_, Failure>>()?,
        })
    }

    /// The row as a contact, checked as the SDK's upsert checks it, or why it is invalid.
    fn contact(&self, row: &Row, region: &Region) -> Result<Contact, Invalid> {
        let phone = region
            .phone(row.get(self.phone))
            .map_err(|e| row.invalid(chain(&Error::InvalidPhone(e))))?;
        let field = |column: Option<usize>| column.map(|c| row.get(c).to_owned());
        let tags: Vec<String> = field(self.tags)
            .map(|cell| {
                cell.split(self.tag_separator)
                    .map(str::trim)
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Tags::try_from_iter(&tags).map_err(|e| row.invalid(chain(&Error::InvalidTag(e))))?;
        let metadata: Map<String, Value> = self
            .metadata
            .iter()
            .filter(|(_, column)| !row.get(*column).is_empty())
            .map(|(key, column)| (key.clone(), Value::from(row.get(*column))))
            .collect();
        Metadata::try_from(metadata.clone())
            .map_err(|e| row.invalid(chain(&Error::InvalidMetadata(e))))?;
        Ok(Contact {
            line: row.line,
            phone,
            name: field(self.name).unwrap_or_default(),
            email: field(self.email).unwrap_or_default(),
            tags,
            metadata,
        })
    }
}

impl Contact {
    /// The journal key: the row's line and phone (a journal belongs to one file).
    fn key(&self) -> String {
        format!("{}:{}", self.line, self.phone)
    }

    /// Upserts the contact; an empty cell leaves that field of the contact as it is.
    async fn upsert(&self, client: &Client) -> Result<(), Error> {
        let mut upsert = client
            .upsert_contact(self.phone.clone())
            .name(&self.name)
            .email(&self.email);
        if !self.tags.is_empty() {
            upsert = upsert.tags(&self.tags);
        }
        if !self.metadata.is_empty() {
            upsert = upsert.metadata(self.metadata.clone());
        }
        upsert.send().await.map(drop)
    }
}

/// A row that was not imported.
#[derive(Debug, Serialize)]
struct Problem {
    line: u64,
    /// `invalid` (nothing sent) or `failed` (the API refused or failed).
    kind: &'static str,
    reason: String,
}

/// The counts of a run.
#[derive(Debug, Default, Serialize)]
struct Summary {
    rows: usize,
    created_or_updated: usize,
    already_imported: usize,
    invalid: usize,
    failed: usize,
    not_attempted: usize,
    journal: PathBuf,
}

/// Errors every later row would hit too.
fn stops_the_import(error: &Error) -> bool {
    matches!(
        error,
        Error::Unauthenticated | Error::Forbidden { .. } | Error::NoWorkspace
    )
}

impl ImportArgs {
    pub async fn run(self, connection: &Connection, output: Format) -> Result<(), Failure> {
        let region = self.phones.region()?;
        let sheet = Sheet::read(&self.file)?;
        let columns = Columns::find(&sheet, &self)?;
        let rows = sheet.rows.len();
        let mut contacts = Vec::with_capacity(rows);
        let mut problems = Vec::new();
        for row in sheet.rows {
            match row.and_then(|row| columns.contact(&row, &region)) {
                Ok(contact) => contacts.push(contact),
                Err(invalid) => {
                    eprintln!("line {}: invalid: {}", invalid.line, invalid.reason);
                    problems.push(Problem {
                        line: invalid.line,
                        kind: "invalid",
                        reason: invalid.reason,
                    });
                }
            }
        }

        let session = connection.connect().await?;
        let client = session.client();
        let journal_path = self
            .journal
            .unwrap_or_else(|| beside(&self.file, ".import.jsonl"));
        let journal =
            FileJournal::open(&journal_path).map_err(|e| Failure::journal(&journal_path, &e))?;
        let done = journal
            .load()
            .map_err(|e| Failure::journal(&journal_path, &e))?;

        let mut summary = Summary {
            rows,
            invalid: problems.len(),
            journal: journal_path.clone(),
            ..Summary::default()
        };
        let interrupt = Interrupt::listen();
        let progress = Progress::start("import", contacts.len() as u64, client);
        let mut stopped_by = None;
        let mut handled = 0;
        for contact in &contacts {
            if interrupt.is_set() {
                break;
            }
            let key = contact.key();
            if done.get(&key) == Some(&JournalStatus::Sent) {
                summary.already_imported += 1;
            } else {
                match contact.upsert(client).await {
                    Ok(()) => {
                        journal
                            .record(&key, JournalStatus::Sent)
                            .map_err(|e| Failure::journal(&journal_path, &e))?;
                        summary.created_or_updated += 1;
                    }
                    Err(error) if stops_the_import(&error) => {
                        stopped_by = Some(error);
                        break;
                    }
                    Err(error) => {
                        eprintln!("line {}: failed: {error}", contact.line);
                        summary.failed += 1;
                        problems.push(Problem {
                            line: contact.line,
                            kind: "failed",
                            reason: chain(&error),
                        });
                    }
                }
            }
            handled += 1;
            progress.update(
                handled as u64,
                &format!(
                    "created or updated {}, failed {}",
                    summary.created_or_updated, summary.failed
                ),
            );
        }
        progress.finish();
        summary.not_attempted = contacts.len() - handled;
        problems.sort_by_key(|p| p.line);
        output.print_report(&summary, "problems", &problems);

        if let Some(error) = stopped_by {
            return Err(Failure::sdk(&error));
        }
        if interrupt.is_set() {
            return Err(Failure::interrupted());
        }
        Failure::partial(summary.invalid + summary.failed, rows, "rows")
    }
}
