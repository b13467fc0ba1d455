//! The SDK's state on PostgreSQL (`postgres` feature), against a real server started for this
//! binary: its migrations, and the poller checkpoint store's lease and fencing.
//!
//! One PostgreSQL serves every test (each in a database of its own) and is stopped after the
//! last one: libtest has no such hook, hence this binary's own `main` (libtest-mimic keeps the
//! usual command line). `tests/workers.rs` runs the same stores from separate processes.

// With `harness = false` the binary is not built with `cfg(test)`, so clippy's
// allow-unwrap-in-tests does not apply.
#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed assertion"
)]

#[path = "support/servers.rs"]
mod servers;

use std::{
    future::Future,
    process::ExitCode,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use libtest_mimic::{Failed, Trial};
use qyvo::{
    poll::{Checkpoint, CheckpointError, CheckpointStore, Lease, PgCheckpointStore},
    postgres::Postgres,
};

/// The server of this binary, started by the first test that needs it.
struct Fixture {
    server: OnceLock<servers::Postgres>,
    databases: AtomicU32,
}

impl Fixture {
    fn server(&self) -> &servers::Postgres {
        self.server.get_or_init(servers::Postgres::start)
    }

    /// A fresh, empty database.
    fn database(&self) -> Postgres {
        let name = format!("test_{}", self.databases.fetch_add(1, Ordering::Relaxed));
        self.server().create_database(&name);
        Postgres::new(&self.server().config(&name)).unwrap()
    }

    /// A fresh database with the SDK's schema.
    async fn migrated(&self) -> Postgres {
        let postgres = self.database();
        assert_eq!(postgres.migrate().await.unwrap(), 1);
        postgres
    }
}

/// One libtest trial per async test function, named after it.
macro_rules! trials {
    ($fixture:expr; $($test:ident),* $(,)?) => {
        vec![$(trial(&$fixture, stringify!($test), $test)),*]
    };
}

fn trial<F, Fut>(fixture: &Arc<Fixture>, name: &'static str, test: F) -> Trial
where
    F: FnOnce(Arc<Fixture>) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let fixture = Arc::clone(fixture);
    Trial::test(name, move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(test(fixture));
        Ok::<(), Failed>(())
    })
}

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let fixture = Arc::new(Fixture {
        server: OnceLock::new(),
        databases: AtomicU32::new(0),
    });
    let trials = trials![fixture; migrations_apply_once_however_many_replicas_start, one_replica_holds_the_lease_and_fencing_refuses_the_others];
    let conclusion = libtest_mimic::run(&args, trials);
    drop(fixture);
    conclusion.exit_code()
}

async fn migrations_apply_once_however_many_replicas_start(fixture: Arc<Fixture>) {
    let postgres = fixture.database();
    let replicas = futures_util::future::join_all((0..4).map(|_| postgres.migrate())).await;
    let applied: usize = replicas.into_iter().map(Result::unwrap).sum();
    assert_eq!(applied, 1, "each migration applies once");
    assert_eq!(postgres.migrate().await.unwrap(), 0);
    let client = postgres.connect().await.unwrap();
    for table in [
        "qyvo_poll_checkpoints",
        "qyvo_campaigns",
        "qyvo_campaign_recipients",
    ] {
        let row = client
            .query_one("SELECT to_regclass($1)::text", &[&table])
            .await
            .unwrap();
        assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some(table));
    }
}

async fn one_replica_holds_the_lease_and_fencing_refuses_the_others(fixture: Arc<Fixture>) {
    let postgres = fixture.migrated().await;
    let ttl = Duration::from_millis(500);
    let store = || PgCheckpointStore::new(postgres.clone(), "inbox").lease_ttl(ttl);
    let (first, second) = (store(), store());
    let other_poller = PgCheckpointStore::new(postgres.clone(), "campaigns");
    assert_eq!(
        first.lease().await.unwrap(),
        Lease::Held { fencing_token: 1 }
    );
    assert_eq!(second.lease().await.unwrap(), Lease::HeldElsewhere);
    assert!(matches!(
        other_poller.lease().await.unwrap(),
        Lease::Held { .. }
    ));
    // Renewing keeps the token; only the holder saves.
    assert_eq!(
        first.lease().await.unwrap(),
        Lease::Held { fencing_token: 1 }
    );
    let saved = Checkpoint::after("01J0MSG1", None);
    first.save(&saved).await.unwrap();
    assert!(matches!(
        second.save(&Checkpoint::after("01J0MSG0", None)).await,
        Err(CheckpointError::LeaseLost)
    ));
    assert_eq!(second.load().await.unwrap(), Some(saved.clone()));
    // The holder goes quiet past the TTL: the other replica takes over with a new token, and
    // the first one's late save is refused.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(
        second.lease().await.unwrap(),
        Lease::Held { fencing_token: 2 }
    );
    assert!(matches!(
        first.save(&Checkpoint::after("01J0MSG9", None)).await,
        Err(CheckpointError::LeaseLost)
    ));
    assert_eq!(first.lease().await.unwrap(), Lease::HeldElsewhere);
    assert_eq!(first.load().await.unwrap(), Some(saved));
}
