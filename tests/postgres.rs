//! The SDK's state on PostgreSQL (`postgres` feature), against a real server started for this
//! binary: its migrations, the poller checkpoint store's lease and fencing, and campaigns sent
//! by several workers against the local Qyvo server.
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

#[path = "support/recipients.rs"]
mod recipients;
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
    bulk::Recipient,
    campaign::{CampaignError, Campaigns, NewCampaign},
    poll::{Checkpoint, CheckpointError, CheckpointStore, Lease, PgCheckpointStore},
    postgres::Postgres,
    prelude::*,
    template::Variables,
};
use qyvo_mock::{Fault, Injection, MockServer, Operation, seed};
use qyvo_test_tools::{Gated, Tool};
use recipients::order_shipped;

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

fn trial<F, Fut>(fixture: &Arc<Fixture>, name: &'static str, test: F) -> Gated
where
    F: FnOnce(Arc<Fixture>) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let fixture = Arc::clone(fixture);
    let trial = Trial::test(name, move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(test(fixture));
        Ok::<(), Failed>(())
    });
    qyvo_test_tools::test_trial(trial, &[Tool::Postgres])
}

fn main() -> ExitCode {
    let fixture = Arc::new(Fixture {
        server: OnceLock::new(),
        databases: AtomicU32::new(0),
    });
    let trials = trials![fixture; migrations_apply_once_however_many_replicas_start, one_replica_holds_the_lease_and_fencing_refuses_the_others, a_campaign_is_created_once_with_its_refusals, two_workers_split_a_campaign_and_message_nobody_twice, a_send_that_may_have_gone_out_is_never_sent_again, an_error_every_send_would_hit_stops_the_run, a_campaign_stopped_by_a_revoked_token_sends_everyone_once_it_works];
    let exit = qyvo_test_tools::run(trials);
    drop(fixture);
    exit
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

fn recipient(index: usize) -> Recipient {
    order_shipped(phone(index))
}

/// Creates campaign `id` of `template` for the first `count` recipients.
async fn create(campaigns: &Campaigns, id: &str, template: &str, count: usize) {
    campaigns
        .create(NewCampaign::new(id, template, (0..count).map(recipient)))
        .await
        .unwrap();
}

async fn mock() -> MockServer {
    MockServer::builder()
        .rate_limit(1_000_000, Duration::from_secs(60))
        .start()
        .await
        .unwrap()
}

fn client(server: &MockServer) -> Client {
    ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .build()
        .unwrap()
}

async fn a_campaign_is_created_once_with_its_refusals(fixture: Arc<Fixture>) {
    let campaigns = Campaigns::new(fixture.migrated().await);
    let mut recipients: Vec<_> = (0..3).map(recipient).collect();
    recipients.push(Recipient::new("not a phone", Variables::new()));
    // The first recipient again, written another way.
    recipients.push(Recipient::new(
        "+33 1 42 77 00 00",
        Variables::from_iter([("1", "Ada")]),
    ));
    let campaign = || {
        NewCampaign::new(
            "spring",
            seed::ORDER_SHIPPED_TEMPLATE_ID,
            recipients.clone(),
        )
        .language("en")
    };
    assert!(campaigns.create(campaign()).await.unwrap());
    assert!(
        !campaigns.create(campaign()).await.unwrap(),
        "found, not made"
    );
    assert!(matches!(
        campaigns
            .create(NewCampaign::new(
                "spring",
                seed::OPENING_HOURS_TEMPLATE_ID,
                []
            ))
            .await,
        Err(CampaignError::Conflict { .. })
    ));
    let report = campaigns.report("spring").await.unwrap();
    assert_eq!((report.total, report.pending, report.rejected), (5, 3, 2));
    assert!(matches!(
        campaigns.report("autumn").await,
        Err(CampaignError::NotFound { .. })
    ));
}

/// How many messages each of the first `count` recipients received, on the server.
fn received(server: &MockServer, count: usize) -> Vec<usize> {
    (0..count)
        .map(|i| {
            server
                .outbound_messages(server.token(), &phone(i))
                .unwrap()
                .len()
        })
        .collect()
}

fn phone(index: usize) -> String {
    format!("+33142{:06}", 770_000 + index)
}

async fn two_workers_split_a_campaign_and_message_nobody_twice(fixture: Arc<Fixture>) {
    const COUNT: usize = 60;
    let postgres = fixture.migrated().await;
    let campaigns = Campaigns::new(postgres.clone());
    create(&campaigns, "split", seed::ORDER_SHIPPED_TEMPLATE_ID, COUNT).await;
    let server = mock().await;
    let (a, b) = (client(&server), client(&server));
    let (first, second) = tokio::join!(
        a.run_campaign(&campaigns, "split").concurrency(3).send(),
        b.run_campaign(&campaigns, "split").concurrency(3).send(),
    );
    // Each worker stops when nothing is left to claim; the other may still be sending its
    // last recipients then, so its report may count them `sending`.
    for report in [first.unwrap(), second.unwrap()] {
        assert!(report.is_done(), "{report:?}");
        assert_eq!(report.total, COUNT as u64, "{report:?}");
        assert_eq!(report.sent + report.sending, COUNT as u64, "{report:?}");
    }
    let after = campaigns.report("split").await.unwrap();
    assert_eq!(
        (after.total, after.sent),
        (COUNT as u64, COUNT as u64),
        "{after:?}"
    );
    let per_phone = received(&server, COUNT);
    assert!(per_phone.iter().all(|&n| n == 1), "{per_phone:?}");
    // Both took part: the rows name two workers.
    let workers = postgres
        .connect()
        .await
        .unwrap()
        .query_one(
            "SELECT count(DISTINCT worker) FROM qyvo_campaign_recipients",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(workers, 2);
    // Running it again sends nothing.
    assert_eq!(
        a.run_campaign(&campaigns, "split").send().await.unwrap(),
        after
    );
    assert_eq!(server.count(Operation::SendTemplateMessage), COUNT);
}

async fn a_send_that_may_have_gone_out_is_never_sent_again(fixture: Arc<Fixture>) {
    let campaigns = Campaigns::new(fixture.migrated().await);
    let mut recipients: Vec<_> = (0..4).map(recipient).collect();
    // Fails the check against the template: refused, nothing sent.
    recipients.push(Recipient::new(
        phone(4),
        Variables::from_iter([("1", "Ada")]),
    ));
    campaigns
        .create(NewCampaign::new(
            "flaky",
            seed::ORDER_SHIPPED_TEMPLATE_ID,
            recipients,
        ))
        .await
        .unwrap();
    let server = mock().await;
    // The first send is acted on, but its answer is lost: it may have gone out.
    server.inject(
        Injection::new(Fault::DropAfterAction)
            .on(Operation::SendTemplateMessage)
            .times(1),
    );
    let client = client(&server);
    let report = client
        .run_campaign(&campaigns, "flaky")
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.unknown, report.rejected),
        (3, 1, 1),
        "{report:?}"
    );
    assert!(report.is_done());
    // Resuming sends nothing: the unknown one is never sent again.
    let again = client
        .run_campaign(&campaigns, "flaky")
        .send()
        .await
        .unwrap();
    assert_eq!(again, report);
    assert_eq!(server.count(Operation::SendTemplateMessage), 4);
    assert_eq!(
        received(&server, 5),
        [1, 1, 1, 1, 0],
        "the lost answer's message went out, once"
    );
}

async fn an_error_every_send_would_hit_stops_the_run(fixture: Arc<Fixture>) {
    let campaigns = Campaigns::new(fixture.migrated().await);
    create(
        &campaigns,
        "pending-template",
        seed::SPRING_SALE_TEMPLATE_ID,
        5,
    )
    .await;
    let server = mock().await;
    let error = client(&server)
        .run_campaign(&campaigns, "pending-template")
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, CampaignError::Stopped { .. }), "{error:?}");
    let report = campaigns.report("pending-template").await.unwrap();
    assert_eq!((report.not_sent, report.pending), (1, 4), "{report:?}");
    assert!(!report.is_done());
}

async fn a_campaign_stopped_by_a_revoked_token_sends_everyone_once_it_works(fixture: Arc<Fixture>) {
    let campaigns = Campaigns::new(fixture.migrated().await);
    create(&campaigns, "revoked", seed::ORDER_SHIPPED_TEMPLATE_ID, 5).await;
    let server = mock().await;
    server.inject(
        Injection::new(Fault::Status(qyvo_mock::StatusCode::UNAUTHORIZED))
            .on(Operation::SendTemplateMessage),
    );
    let client = client(&server);
    let run = || {
        client
            .run_campaign(&campaigns, "revoked")
            .concurrency(1)
            .send()
    };
    let error = run().await.unwrap_err();
    assert!(
        matches!(
            error,
            CampaignError::Stopped {
                source: Error::Unauthenticated
            }
        ),
        "{error:?}"
    );
    let stopped = campaigns.report("revoked").await.unwrap();
    assert_eq!((stopped.not_sent, stopped.pending), (1, 4), "{stopped:?}");
    // The token works again: the next run sends all five, the one it hit included, at once.
    let report = run().await.unwrap();
    assert_eq!(report.sent, 5, "{report:?}");
    assert_eq!(received(&server, 5), [1; 5]);
}
