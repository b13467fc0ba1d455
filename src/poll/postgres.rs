//! [`PgCheckpointStore`]: a checkpoint in PostgreSQL that replicas of a poller share, with a
//! lease so that one of them polls at a time.

use std::{fmt, time::Duration};

use tokio_postgres::Client;

use super::{Checkpoint, CheckpointError, CheckpointStore, Lease};
use crate::{defaults, postgres::Postgres};

/// A [`CheckpointStore`] in PostgreSQL, shared by the replicas of a poller (the `postgres`
/// feature): exactly one replica polls at a time, holding a lease, and the others take over
/// from its last saved checkpoint when it dies.
///
/// One row of `qyvo_poll_checkpoints` per `name`: give every trigger and filter its own (say
/// `inbox` or `inbox:text`), and the same one to every replica of that poller. Call
/// [`Postgres::migrate`] first.
///
/// **The lease.** Before each poll a replica takes or renews the lease, for
/// [`lease_ttl`](Self::lease_ttl) from now on PostgreSQL's clock; saving the checkpoint renews
/// it too. Another replica may take it once it has expired, which raises its *fencing token*;
/// a save is refused unless it comes from the holder of the current token
/// ([`CheckpointError::LeaseLost`]), so a replica that was paused past its lease never moves
/// the checkpoint back, or forward past items the new holder has not delivered. A stand-by
/// replica asks for the lease every poll interval, so it takes over at most the TTL plus one
/// interval after the holder's last poll or save. Make the TTL longer than the interval plus
/// the time your consumer takes with a poll's items (default
/// [`defaults::POLL_LEASE_TTL`], three default intervals): a holder that does not come back
/// within it loses the lease, and the items it delivered since its last save are delivered
/// again by the next holder.
///
/// **Why PostgreSQL, not Redis.** The checkpoint is what at-least-once delivery rests on: a
/// commit here is durable, while Redis acknowledges writes it may lose on a crash (snapshots,
/// or an append-only file synced once a second), which would move the checkpoint back and
/// repeat deliveries, or forget the lease and its token. The poll interval (30 s) makes a
/// database round trip per poll free.
///
/// **PostgreSQL down.** No replica can tell whether it still holds the lease, so none polls:
/// each yields [`PollError::StoreUnavailable`](super::PollError::StoreUnavailable) (not fatal)
/// and tries again with a growing backoff. Items already yielded whose checkpoint could not be
/// saved are saved first once PostgreSQL is back, or, if another replica took the lease
/// meanwhile, delivered again by it.
///
/// ```no_run
/// use futures_util::StreamExt as _;
/// use qyvo::{poll::{PgCheckpointStore, PollEvent}, postgres::Postgres, prelude::*};
///
/// # async fn run(client: qyvo::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let postgres = Postgres::new("host=db.internal user=shop dbname=shop")?;
/// postgres.migrate().await?;
/// let mut inbox = client
///     .poll_messages()
///     .store(PgCheckpointStore::new(postgres, "inbox"))
///     .send();
/// while let Some(event) = inbox.next().await {
///     match event {
///         Ok(PollEvent::Item(message)) => println!("{}", message.id),
///         Ok(PollEvent::LeaseAcquired { fencing_token }) => println!("polling ({fencing_token})"),
///         Ok(_) => {}
///         Err(e) if e.is_fatal() => return Err(e.into()),
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct PgCheckpointStore {
    postgres: Postgres,
    name: String,
    /// This replica, in the `holder` column: unique per store value.
    holder: String,
    ttl: Duration,
    connection: tokio::sync::Mutex<Option<Client>>,
    /// The fencing token of the lease this replica last took.
    fencing_token: std::sync::Mutex<Option<i64>>,
}

impl fmt::Debug for PgCheckpointStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgCheckpointStore")
            .field("name", &self.name)
            .field("holder", &self.holder)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl PgCheckpointStore {
    /// The store of the poller `name`, for one replica.
    pub fn new(postgres: Postgres, name: impl Into<String>) -> Self {
        Self {
            postgres,
            name: name.into(),
            holder: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)),
            ttl: defaults::POLL_LEASE_TTL,
            connection: tokio::sync::Mutex::new(None),
            fencing_token: std::sync::Mutex::new(None),
        }
    }

    /// Sets how long a lease lasts after it was taken or renewed (default
    /// [`defaults::POLL_LEASE_TTL`]).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The poller's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn token(&self) -> std::sync::MutexGuard<'_, Option<i64>> {
        self.fencing_token.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `work` on this store's connection, opening it first when there is none; a
    /// connection that failed is dropped, so the next call opens a new one.
    async fn with_connection<T>(
        &self,
        work: impl AsyncFnOnce(&Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, CheckpointError> {
        let mut connection = self.connection.lock().await;
        let client = match connection.take() {
            Some(client) if !client.is_closed() => client,
            _ => self.postgres.connect().await.map_err(error)?,
        };
        let result = work(&client).await;
        if !result.as_ref().is_err_and(crate::postgres::is_transient) {
            *connection = Some(client);
        }
        result.map_err(error)
    }
}

/// A database error, as the poller tells them apart: unavailable (try later) or not.
fn error(error: tokio_postgres::Error) -> CheckpointError {
    if crate::postgres::is_transient(&error) {
        CheckpointError::Unavailable {
            source: Box::new(error),
        }
    } else {
        store_error(error)
    }
}

/// Any other failure of the store (a row or a checkpoint that does not convert).
fn store_error(error: impl std::error::Error + Send + Sync + 'static) -> CheckpointError {
    CheckpointError::Store {
        source: Box::new(error),
    }
}

impl CheckpointStore for PgCheckpointStore {
    async fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let row = self
            .with_connection(async |client| {
                client
                    .query_opt(
                        "SELECT checkpoint FROM qyvo_poll_checkpoints WHERE name = $1",
                        &[&self.name],
                    )
                    .await
            })
            .await?;
        let json = row
            .map(|row| row.try_get::<_, Option<serde_json::Value>>(0))
            .transpose()
            .map_err(store_error)?;
        let Some(json) = json.flatten() else {
            return Ok(None);
        };
        serde_json::from_value(json).map(Some).map_err(store_error)
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        let Some(token) = *self.token() else {
            return Err(CheckpointError::LeaseLost);
        };
        let json = serde_json::to_value(checkpoint).map_err(store_error)?;
        let saved = self
            .with_connection(async |client| {
                client
                    .execute(
                        "UPDATE qyvo_poll_checkpoints
                         SET checkpoint = $1, lease_expires_at = now() + make_interval(secs => $2)
                         WHERE name = $3 AND holder = $4 AND fencing_token = $5",
                        &[
                            &json,
                            &self.ttl.as_secs_f64(),
                            &self.name,
                            &self.holder,
                            &token,
                        ],
                    )
                    .await
            })
            .await?;
        if saved == 0 {
            *self.token() = None;
            return Err(CheckpointError::LeaseLost);
        }
        Ok(())
    }

    async fn lease(&self) -> Result<Lease, CheckpointError> {
        let row = self
            .with_connection(async |client| {
                client
                    .query_opt(
                        "INSERT INTO qyvo_poll_checkpoints AS c
                             (name, holder, fencing_token, lease_expires_at)
                         VALUES ($1, $2, 1, now() + make_interval(secs => $3))
                         ON CONFLICT (name) DO UPDATE SET
                             holder = EXCLUDED.holder,
                             fencing_token = CASE WHEN c.holder = EXCLUDED.holder
                                 THEN c.fencing_token ELSE c.fencing_token + 1 END,
                             lease_expires_at = EXCLUDED.lease_expires_at
                         WHERE c.holder = EXCLUDED.holder
                             OR c.holder IS NULL
                             OR c.lease_expires_at IS NULL
                             OR c.lease_expires_at <= now()
                         RETURNING fencing_token",
                        &[&self.name, &self.holder, &self.ttl.as_secs_f64()],
                    )
                    .await
            })
            .await?;
        let token = row
            .map(|row| row.try_get::<_, i64>(0))
            .transpose()
            .map_err(store_error)?;
        *self.token() = token;
        Ok(match token {
            Some(token) => Lease::Held {
                fencing_token: u64::try_from(token).unwrap_or_default(),
            },
            None => Lease::HeldElsewhere,
        })
    }
}
