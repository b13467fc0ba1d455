//! PostgreSQL, where workers share durable state (the `postgres` feature): how to reach it,
//! and the schema the SDK ships.
//!
//! Two conveniences keep their state there, both through a [`Postgres`]: the poller
//! checkpoint store with leases (`poll::PgCheckpointStore`), so that one replica of many polls
//! a trigger, and campaigns that several workers send together (`campaign`).
//!
//! **The schema** is [`MIGRATIONS`], SQL files under `migrations/postgres/` in the crate.
//! [`Postgres::migrate`] applies those a database lacks, each once and in a transaction, and
//! records them in `qyvo_schema_migrations`; any number of replicas may call it at start-up
//! (an advisory lock makes them take turns). Teams that run their own migration tool can
//! apply the same files with it instead.
//!
//! ```no_run
//! use qyvo::postgres::Postgres;
//!
//! # async fn run() -> Result<(), qyvo::postgres::tokio_postgres::Error> {
//! let postgres = Postgres::new("host=127.0.0.1 user=qyvo dbname=shop")?;
//! postgres.migrate().await?;
//! # Ok(())
//! # }
//! ```

use std::{fmt, future::Future, pin::Pin, str::FromStr, sync::Arc};

/// The PostgreSQL client the SDK uses, at its version: for [`Postgres::with_tls`]'s settings
/// and TLS connectors.
pub use tokio_postgres;
use tokio_postgres::{
    Client, Config, NoTls, Socket,
    tls::{MakeTlsConnect, TlsConnect},
};

/// A connection being opened.
type Connecting = Pin<Box<dyn Future<Output = Result<Client, tokio_postgres::Error>> + Send>>;

/// How to reach the PostgreSQL database where workers share state: connection settings and
/// TLS.
///
/// Cheap to clone. Each store opens the connections it needs, and each connection's I/O runs
/// on a task of its own (on the tokio runtime), which ends with the connection.
#[derive(Clone)]
pub struct Postgres {
    config: Config,
    connect: Arc<dyn Fn(Config) -> Connecting + Send + Sync>,
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The settings may hold a password.
        f.debug_struct("Postgres")
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

impl Postgres {
    /// A database reached without TLS (on the same host or a private network), from a
    /// connection string: `host=… port=… user=… password=… dbname=…` or a
    /// `postgresql://` URL.
    ///
    /// # Errors
    ///
    /// The string does not parse.
    pub fn new(config: &str) -> Result<Self, tokio_postgres::Error> {
        Ok(Self::with_tls(Config::from_str(config)?, NoTls))
    }

    /// A database reached with these settings and this TLS connector (e.g.
    /// `tokio-postgres-rustls` or `postgres-native-tls`).
    pub fn with_tls<T>(config: Config, tls: T) -> Self
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let connect = move |config: Config| -> Connecting {
            let tls = tls.clone();
            Box::pin(async move {
                let (client, connection) = config.connect(tls).await?;
                // The connection's I/O; its error, if any, reaches the client's next call.
                tokio::spawn(connection);
                Ok(client)
            })
        };
        Self {
            config,
            connect: Arc::new(connect),
        }
    }

    /// Opens a connection.
    ///
    /// # Errors
    ///
    /// The database cannot be reached or refuses the connection.
    pub async fn connect(&self) -> Result<Client, tokio_postgres::Error> {
        (self.connect)(self.config.clone()).await
    }

    /// Applies the [`MIGRATIONS`] the database lacks; returns how many it applied.
    ///
    /// All in one transaction, under an advisory lock, so replicas starting together apply
    /// each migration once.
    ///
    /// # Errors
    ///
    /// The database cannot be reached, or a migration fails (nothing of this call is kept).
    pub async fn migrate(&self) -> Result<usize, tokio_postgres::Error> {
        let mut client = self.connect().await?;
        let transaction = client.transaction().await?;
        transaction
            .query("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS qyvo_schema_migrations (
                     version integer PRIMARY KEY,
                     name text NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now()
                 )",
            )
            .await?;
        let applied: Vec<i32> = transaction
            .query("SELECT version FROM qyvo_schema_migrations", &[])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let mut count = 0;
        for migration in MIGRATIONS {
            if applied.contains(&migration.version) {
                continue;
            }
            transaction.batch_execute(migration.sql).await?;
            transaction
                .execute(
                    "INSERT INTO qyvo_schema_migrations (version, name) VALUES ($1, $2)",
                    &[&migration.version, &migration.name],
                )
                .await?;
            count += 1;
        }
        transaction.commit().await?;
        Ok(count)
    }
}

/// The advisory lock migrations hold: `qyvo` in ASCII.
const MIGRATION_LOCK: i64 = 0x7179_766f;

/// One step of the SDK's schema: a SQL file of `migrations/postgres/`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Migration {
    /// Its version: migrations apply in this order, each once.
    pub version: i32,
    /// What it is for.
    pub name: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

/// The SDK's schema, oldest first: poller checkpoints with leases
/// (`qyvo_poll_checkpoints`), campaigns (`qyvo_campaigns`) and their recipients
/// (`qyvo_campaign_recipients`).
///
/// ```
/// assert_eq!(qyvo::postgres::MIGRATIONS[0].version, 1);
/// ```
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "shared_state",
    sql: include_str!("../migrations/postgres/0001_shared_state.sql"),
}];

/// Whether a failed statement may work later: the database was unreachable, restarting or
/// shutting down, or the connection broke (not a statement it refused, nor a value of the
/// wrong type).
pub(crate) fn is_transient(error: &tokio_postgres::Error) -> bool {
    match error.code() {
        // Connection exceptions; shutting down or starting up; serialization and deadlock.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P") || code == "40001" || code == "40P01"
        }
        // A closed connection, or I/O with the server (connecting included).
        None => {
            error.is_closed()
                || std::error::Error::source(error)
                    .is_some_and(|source| source.is::<std::io::Error>())
        }
    }
}
