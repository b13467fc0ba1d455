//! Campaigns that several workers send together, through PostgreSQL (the `postgres`
//! feature): one template, its language and its recipients, stored once; any number of
//! worker processes, on any machines, send it together, and none messages a person twice.
//!
//! ```no_run
//! use qyvo::{bulk::Recipient, campaign::{Campaigns, NewCampaign}, postgres::Postgres, prelude::*,
//!     template::Variables};
//!
//! # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let postgres = Postgres::new("host=db.internal user=shop dbname=shop")?;
//! postgres.migrate().await?;
//! let campaigns = Campaigns::new(postgres);
//! let recipients = [Recipient::new("+14155550123", Variables::from_iter([("1", "Romain")]))];
//! // Every worker may call this: the first creates the campaign, the others find it.
//! campaigns
//!     .create(NewCampaign::new("spring-sale", "01J0ABCDEFGHJKMNPQRSTVWXYZ", recipients).language("en"))
//!     .await?;
//! let report = client.run_campaign(&campaigns, "spring-sale").concurrency(4).send().await?;
//! println!("{} sent, {} unknown", report.sent, report.unknown + report.sending);
//! # Ok(())
//! # }
//! ```
//!
//! # How workers split a campaign
//!
//! Each recipient is a row of `qyvo_campaign_recipients` (see [`crate::postgres`] for the
//! schema). A worker runs [`concurrency`](RunCampaign::concurrency) lanes, each on its own
//! connection, and each lane repeats, until no recipient is left to claim:
//!
//! 1. claim the next `pending` recipient (or a `not_sent` one whose retry time has come) in a
//!    transaction, with `SELECT … FOR UPDATE SKIP LOCKED`: rows another worker holds are
//!    skipped, never waited for, never shared;
//! 2. check it as a bulk send does ([`SendTemplate::check`](crate::checked::SendTemplate::check):
//!    the phone, the variables against the template, whose lookup is cached): a refusal is
//!    written as the outcome in the same transaction, with nothing sent;
//! 3. write the intent (`sending`) and **commit it before the send**;
//! 4. send, and write the outcome after it, sorted as bulk sends sort theirs (by
//!    [`Error::acted`](crate::Error::acted) and [`Error::is_transient`](crate::Error::is_transient)):
//!    `sent`, `rejected`, `not_sent` (certainly not sent: tried again after
//!    [`defaults::CAMPAIGN_RETRY_DELAY`]) or `unknown` (it may have gone out).
//!
//! **Stopping.** An error every later send would hit too (the token is revoked, the template
//! is missing or not approved…) stops the run with [`CampaignError::Stopped`]: the recipient
//! it hit is `not_sent`, claimable at once, and the others stay `pending`, so running again
//! once the cause is fixed sends them all.
//!
//! **Never twice.** A worker killed between 3 and 4 leaves its recipient `sending`: whether the
//! message went out is unknown, and it is never sent again, by any worker. That is the price
//! of safety: at most [`concurrency`](RunCampaign::concurrency) recipients per killed worker.
//! A worker killed before 3 leaves nothing behind: PostgreSQL drops its transaction and the
//! recipient is claimed again. Any worker can resume a campaign (run it again) or
//! [report](Campaigns::report) on it.
//!
//! **PostgreSQL down.** A worker that cannot claim, or cannot write an intent, sends nothing
//! more and [`RunCampaign::send`] fails with [`CampaignError::Database`]; a send already under
//! way finishes, and when its outcome cannot be written its recipient stays `sending`
//! (unknown, never sent again). Run the campaign again once PostgreSQL is back: it resumes.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use futures_util::future::join_all;
use tokio_postgres::GenericClient;

use crate::{
    Client, Error,
    bulk::{self, JournalStatus, Outcome, Recipient},
    checked::SendTemplate,
    defaults,
    phone::PhoneNumber,
    postgres::{self, Postgres},
    template::Variables,
};

/// A failure to create, run or report on a campaign.
#[derive(Debug)]
#[non_exhaustive]
pub enum CampaignError {
    /// PostgreSQL failed, or could not be reached ([`is_transient`](Self::is_transient)).
    Database {
        /// The database's error.
        source: tokio_postgres::Error,
    },
    /// No campaign has this id.
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// A campaign with this id exists, with another template or language.
    Conflict {
        /// The id asked for.
        id: String,
    },
    /// An error every later send would hit too (the token is revoked, the template is
    /// missing or not approved…): the run stopped; the recipient it hit is `not_sent`, the
    /// recipients not claimed yet stay `pending`, and a later run sends them.
    Stopped {
        /// The error.
        source: Error,
    },
}

impl CampaignError {
    /// Whether running again later may work: PostgreSQL was unreachable or restarting.
    ///
    /// ```
    /// use qyvo::campaign::CampaignError;
    ///
    /// assert!(!CampaignError::NotFound { id: "spring-sale".into() }.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Database { source } if postgres::is_transient(source))
    }
}

impl fmt::Display for CampaignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database { .. } => f.write_str("the campaign database failed"),
            Self::NotFound { id } => write!(f, "no campaign {id:?}"),
            Self::Conflict { id } => write!(
                f,
                "campaign {id:?} exists with another template or language"
            ),
            Self::Stopped { .. } => f.write_str("the campaign stopped: every send would fail"),
        }
    }
}

impl std::error::Error for CampaignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Database { source } => Some(source),
            Self::Stopped { source } => Some(source),
            Self::NotFound { .. } | Self::Conflict { .. } => None,
        }
    }
}

impl From<tokio_postgres::Error> for CampaignError {
    fn from(source: tokio_postgres::Error) -> Self {
        Self::Database { source }
    }
}

/// A campaign to store: its id (yours to choose), template, language and recipients.
#[derive(Debug)]
pub struct NewCampaign {
    id: String,
    template_id: String,
    language: Option<String>,
    recipients: Vec<Recipient>,
}

impl NewCampaign {
    /// A campaign of `template_id` to `recipients`, in the template's default language.
    pub fn new(
        id: impl Into<String>,
        template_id: impl Into<String>,
        recipients: impl IntoIterator<Item = Recipient>,
    ) -> Self {
        Self {
            id: id.into(),
            template_id: template_id.into(),
            language: None,
            recipients: recipients.into_iter().collect(),
        }
    }

    /// Asks for this translation (see
    /// [`SendTemplate::language`](crate::checked::SendTemplate::language)).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into()).filter(|l| !l.trim().is_empty());
        self
    }
}

/// Where each recipient of a campaign stands, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CampaignReport {
    /// Recipients in the campaign.
    pub total: u64,
    /// Not claimed yet.
    pub pending: u64,
    /// Claimed for a send whose outcome was never written: in flight now, or their worker
    /// died mid-send; never sent again.
    pub sending: u64,
    /// Sent.
    pub sent: u64,
    /// Refused, locally (an invalid phone or variables, a phone repeated in the campaign) or
    /// by the server; nothing was sent.
    pub rejected: u64,
    /// Certainly not sent, for a reason that may pass: a later run tries again.
    pub not_sent: u64,
    /// The send may have gone out (a timeout, a 5xx); never sent again.
    pub unknown: u64,
}

impl CampaignReport {
    /// Whether nothing is left to claim: every recipient is sent, rejected, unknown or
    /// `sending`.
    ///
    /// ```
    /// let report = qyvo::campaign::CampaignReport::default();
    /// assert!(report.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.pending == 0 && self.not_sent == 0
    }
}

/// The campaigns of a PostgreSQL database: create them and report on them; run them with
/// [`QyvoClientExt::run_campaign`](crate::prelude::QyvoClientExt::run_campaign).
///
/// The schema must be there: [`Postgres::migrate`].
#[derive(Debug, Clone)]
pub struct Campaigns {
    postgres: Postgres,
}

impl Campaigns {
    /// The campaigns stored in `postgres`.
    pub fn new(postgres: Postgres) -> Self {
        Self { postgres }
    }

    /// Stores a campaign; answers `false`, changing nothing, when one with this id exists
    /// already (so every worker may call it at start-up).
    ///
    /// Phones are checked and normalised now: an invalid phone, or a phone that appears
    /// earlier in the list, is stored `rejected` (its detail says why) and never sent.
    ///
    /// # Errors
    ///
    /// [`CampaignError::Conflict`] when the campaign with this id has another template or
    /// language; [`CampaignError::Database`].
    pub async fn create(&self, campaign: NewCampaign) -> Result<bool, CampaignError> {
        let mut client = self.postgres.connect().await?;
        let transaction = client.transaction().await?;
        let created = transaction
            .execute(
                "INSERT INTO qyvo_campaigns (id, template_id, language) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
                &[&campaign.id, &campaign.template_id, &campaign.language],
            )
            .await?;
        if created == 0 {
            let existing = stored(&transaction, &campaign.id).await?;
            let same = existing.is_some_and(|existing| {
                existing.template_id == campaign.template_id
                    && existing.language == campaign.language
            });
            return if same {
                Ok(false)
            } else {
                Err(CampaignError::Conflict { id: campaign.id })
            };
        }
        let rows = Rows::plan(campaign.recipients);
        transaction
            .execute(
                "INSERT INTO qyvo_campaign_recipients
                     (campaign_id, position, phone, variables, status, detail)
                 SELECT $1, * FROM unnest($2::int4[], $3::text[], $4::jsonb[], $5::text[], $6::text[])",
                &[
                    &campaign.id,
                    &rows.positions,
                    &rows.phones,
                    &rows.variables,
                    &rows.statuses,
                    &rows.details,
                ],
            )
            .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Where the campaign's recipients stand.
    ///
    /// # Errors
    ///
    /// [`CampaignError::NotFound`]; [`CampaignError::Database`].
    pub async fn report(&self, id: &str) -> Result<CampaignReport, CampaignError> {
        let client = self.postgres.connect().await?;
        existing(&client, id).await?;
        counts(&client, id).await
    }
}

/// The campaign `id` as stored, if it is.
async fn stored(client: &impl GenericClient, id: &str) -> Result<Option<Campaign>, CampaignError> {
    let Some(row) = client
        .query_opt(
            "SELECT template_id, language FROM qyvo_campaigns WHERE id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Campaign {
        id: id.to_owned(),
        template_id: row.try_get(0)?,
        language: row.try_get(1)?,
    }))
}

/// The campaign `id` as stored; [`CampaignError::NotFound`] when it is not.
async fn existing(client: &impl GenericClient, id: &str) -> Result<Campaign, CampaignError> {
    stored(client, id)
        .await?
        .ok_or_else(|| CampaignError::NotFound { id: id.to_owned() })
}

/// The recipients of a new campaign, as the columns of their rows.
struct Rows {
    positions: Vec<i32>,
    phones: Vec<String>,
    variables: Vec<serde_json::Value>,
    statuses: Vec<&'static str>,
    details: Vec<Option<String>>,
}

impl Rows {
    /// Normalises the phones; refuses the invalid ones and repeats.
    fn plan(recipients: Vec<Recipient>) -> Self {
        let mut rows = Self {
            positions: Vec::with_capacity(recipients.len()),
            phones: Vec::with_capacity(recipients.len()),
            variables: Vec::with_capacity(recipients.len()),
            statuses: Vec::with_capacity(recipients.len()),
            details: Vec::with_capacity(recipients.len()),
        };
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        for (position, recipient) in recipients.into_iter().enumerate() {
            let (phone, status, detail) = match PhoneNumber::try_from(recipient.phone.as_str()) {
                Err(e) => (recipient.phone, "rejected", Some(e.to_string())),
                Ok(phone) => match first_seen.get(phone.as_str()) {
                    Some(first) => (
                        phone.as_str().to_owned(),
                        "rejected",
                        Some(format!("the same phone as recipient {first}")),
                    ),
                    None => {
                        first_seen.insert(phone.as_str().to_owned(), position);
                        (phone.as_str().to_owned(), "pending", None)
                    }
                },
            };
            let variables = BTreeMap::<String, String>::from(recipient.variables);
            rows.positions
                .push(i32::try_from(position).unwrap_or(i32::MAX));
            rows.phones.push(phone);
            rows.variables
                .push(serde_json::to_value(variables).unwrap_or_default());
            rows.statuses.push(status);
            rows.details.push(detail);
        }
        rows
    }
}

/// Where the recipients of the (existing) campaign `id` stand.
async fn counts(client: &impl GenericClient, id: &str) -> Result<CampaignReport, CampaignError> {
    let mut report = CampaignReport::default();
    for row in client
        .query(
            "SELECT status, count(*) FROM qyvo_campaign_recipients WHERE campaign_id = $1
             GROUP BY status",
            &[&id],
        )
        .await?
    {
        let count = u64::try_from(row.try_get::<_, i64>(1)?).unwrap_or_default();
        report.total += count;
        match row.try_get::<_, &str>(0)? {
            "pending" => report.pending = count,
            "sending" => report.sending = count,
            "sent" => report.sent = count,
            "rejected" => report.rejected = count,
            "not_sent" => report.not_sent = count,
            _ => report.unknown += count,
        }
    }
    Ok(report)
}

/// One run of a campaign by this worker; see the [module docs](self).
#[must_use = "a RunCampaign does nothing until `.send().await`"]
pub struct RunCampaign<'a> {
    client: &'a Client,
    campaigns: &'a Campaigns,
    id: String,
    concurrency: usize,
    worker: String,
}

impl fmt::Debug for RunCampaign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunCampaign")
            .field("id", &self.id)
            .field("concurrency", &self.concurrency)
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// A claimed recipient, and the campaign it belongs to.
struct Claim<'c> {
    campaign: &'c Campaign,
    position: i32,
}

/// What a run needs of the campaign's row.
struct Campaign {
    id: String,
    template_id: String,
    language: Option<String>,
}

impl<'a> RunCampaign<'a> {
    pub(crate) fn new(client: &'a Client, campaigns: &'a Campaigns, id: String) -> Self {
        Self {
            client,
            campaigns,
            id,
            concurrency: defaults::BULK_CONCURRENCY,
            worker: format!("{}-{:08x}", std::process::id(), fastrand::u32(..)),
        }
    }

    /// Sets how many recipients this worker sends at once, each lane on its own connection
    /// (default [`defaults::BULK_CONCURRENCY`], at least 1). The client's rate limiter paces
    /// them; share it between workers with a Redis limiter.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Names this worker in the rows it claims (`worker` column; default: process id and a
    /// random suffix).
    pub fn worker(mut self, name: impl Into<String>) -> Self {
        self.worker = name.into();
        self
    }

    /// Sends the campaign with the other workers until no recipient is left to claim, then
    /// reports where every recipient stands.
    ///
    /// # Errors
    ///
    /// [`CampaignError::NotFound`]; [`CampaignError::Stopped`] when an error every later send
    /// would hit stopped the run; [`CampaignError::Database`] when PostgreSQL failed: this
    /// worker sends nothing more, and running again resumes.
    pub async fn send(self) -> Result<CampaignReport, CampaignError> {
        let campaign = existing(&self.campaigns.postgres.connect().await?, &self.id).await?;
        let stop = AtomicBool::new(false);
        let lanes = join_all((0..self.concurrency).map(|_| self.lane(&campaign, &stop))).await;
        // The first failure of any lane (they all stop at it).
        lanes.into_iter().collect::<Result<(), _>>()?;
        // A connection of its own: one held through the whole run could have been dropped.
        counts(&self.campaigns.postgres.connect().await?, &self.id).await
    }

    /// Claims, checks and sends recipients one after another, until none is left or another
    /// lane stopped.
    async fn lane(&self, campaign: &Campaign, stop: &AtomicBool) -> Result<(), CampaignError> {
        let lane = async {
            let mut connection = self.campaigns.postgres.connect().await?;
            while !stop.load(Ordering::Acquire) {
                if !self.next(&mut connection, campaign).await? {
                    break;
                }
            }
            Ok(())
        };
        let ended: Result<(), CampaignError> = lane.await;
        if ended.is_err() {
            stop.store(true, Ordering::Release);
        }
        ended
    }

    /// One recipient, claimed and seen through; `false` when none was left to claim.
    async fn next(
        &self,
        connection: &mut tokio_postgres::Client,
        campaign: &Campaign,
    ) -> Result<bool, CampaignError> {
        let transaction = connection.transaction().await?;
        let Some(row) = transaction
            .query_opt(
                "SELECT position, phone, variables FROM qyvo_campaign_recipients
                 WHERE campaign_id = $1
                   AND (status = 'pending' OR (status = 'not_sent' AND retry_at <= now()))
                 ORDER BY position
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED",
                &[&campaign.id],
            )
            .await?
        else {
            return Ok(false);
        };
        let claim = Claim {
            campaign,
            position: row.try_get(0)?,
        };
        let phone = PhoneNumber::try_from(row.try_get::<_, &str>(1)?);
        let checked = match Variables::try_from(row.try_get::<_, serde_json::Value>(2)?) {
            // Only a hand-edited row holds anything else.
            Err(_) => Err(Error::invalid_request(
                "the stored variables are not an object of strings",
            )),
            Ok(variables) => {
                let mut send =
                    SendTemplate::new(self.client, phone, campaign.template_id.clone(), variables);
                if let Some(language) = &campaign.language {
                    send = send.language(language);
                }
                send.check().await
            }
        };
        let outcome = match checked {
            // Nothing was sent: the refusal is the outcome, in the claim's transaction.
            Err(error) => {
                let outcome = bulk::unsent(error);
                self.record(&transaction, &claim, &outcome).await?;
                transaction.commit().await?;
                outcome
            }
            Ok(checked) => {
                transaction
                    .execute(
                        "UPDATE qyvo_campaign_recipients
                         SET status = 'sending', worker = $3, attempts = attempts + 1,
                             updated_at = now()
                         WHERE campaign_id = $1 AND position = $2",
                        &[&campaign.id, &claim.position, &self.worker],
                    )
                    .await?;
                // The intent is durable before the send begins.
                transaction.commit().await?;
                let outcome = bulk::sent(checked.send().await);
                self.record(&*connection, &claim, &outcome).await?;
                outcome
            }
        };
        if let Outcome::Stopped(source) = outcome {
            return Err(CampaignError::Stopped { source });
        }
        Ok(true)
    }

    /// Writes a recipient's outcome.
    async fn record(
        &self,
        client: &impl GenericClient,
        claim: &Claim<'_>,
        outcome: &Outcome,
    ) -> Result<(), CampaignError> {
        // The journal's status, as a bulk send records it. A campaign's recipients are planned
        // at creation and claimed one at a time: only outcomes of a send reach here.
        let status = outcome.status().unwrap_or(JournalStatus::Rejected).as_str();
        let (message_id, detail, retry_in) = match outcome {
            Outcome::Sent(sent) => (Some(sent.id.as_str()), None, None),
            Outcome::OutcomeUnknown(error) => (None, error.as_ref().map(Error::to_string), None),
            Outcome::NotSent(error) => (
                None,
                Some(error.to_string()),
                Some(
                    error
                        .retry_after()
                        .unwrap_or(defaults::CAMPAIGN_RETRY_DELAY)
                        .max(defaults::CAMPAIGN_RETRY_DELAY),
                ),
            ),
            Outcome::Rejected(error) => (None, Some(error.to_string()), None),
            // Claimable by the next run, as soon as its cause is fixed.
            Outcome::Stopped(error) => (None, Some(error.to_string()), Some(Duration::ZERO)),
            Outcome::InvalidPhone(error) => (None, Some(error.to_string()), None),
            Outcome::InvalidVariables(error) => (None, Some(error.to_string()), None),
            Outcome::MissingVariables { missing } => (
                None,
                Some(format!(
                    "missing template variables: {}",
                    missing.join(", ")
                )),
                None,
            ),
            _ => (None, None, None),
        };
        client
            .execute(
                "UPDATE qyvo_campaign_recipients
                 SET status = $3, message_id = $4, detail = $5, worker = $6, updated_at = now(),
                     retry_at = now() + make_interval(secs => $7)
                 WHERE campaign_id = $1 AND position = $2",
                &[
                    &claim.campaign.id,
                    &claim.position,
                    &status,
                    &message_id,
                    &detail,
                    &self.worker,
                    &retry_in.map(|wait: Duration| wait.as_secs_f64()),
                ],
            )
            .await?;
        Ok(())
    }
}
