//! Bulk template sends against the local Qyvo server: one outcome per recipient, nobody
//! messaged twice, resumption from a journal, pacing under the shared rate limiter.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly"
)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use qyvo::{
    Error,
    bulk::{BulkJournal, FileJournal, JournalStatus, Outcome, Progress, Recipient},
    prelude::*,
    template::Variables,
};
use qyvo_mock::{Fault, Injection, MockServer, Operation, seed};

fn vars(name: &str) -> Variables {
    Variables::from_iter([("1", name), ("2", "ORD-1"), ("3", "https://t.example/1")])
}

fn phone(i: usize) -> String {
    format!("+1415555{:04}", 100 + i)
}

/// Recipients `phone(i)` for every `i` of `numbers`, each with `vars(name)`.
fn numbered(numbers: std::ops::Range<usize>, name: &str) -> Vec<Recipient> {
    numbers
        .map(|i| Recipient::new(phone(i), vars(name)))
        .collect()
}

fn client_for(server: &MockServer) -> Client {
    ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .build()
        .unwrap()
}

/// Runs a batch one recipient at a time, journaling to `path`.
async fn run_journaled(
    client: &Client,
    recipients: Vec<Recipient>,
    path: &std::path::Path,
) -> qyvo::bulk::BulkReport {
    client
        .send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients)
        .concurrency(1)
        .journal(FileJournal::open(path).unwrap())
        .send()
        .await
        .unwrap()
}

/// A journal path in a fresh temporary directory, removed with it when the guard drops.
fn journal_path(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("qyvo-bulk-{name}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().join("journal.jsonl");
    (dir, path)
}

fn outbound(server: &MockServer, phone: &str) -> usize {
    server
        .outbound_messages(server.token(), phone)
        .unwrap()
        .len()
}

#[tokio::test]
async fn one_outcome_per_recipient_and_duplicates_are_not_sent() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server);
    let recipients = vec![
        Recipient::new(phone(0), vars("Ann")),
        Recipient::new("not a phone", vars("Bob")),
        Recipient::new(phone(2), Variables::from_iter([("1", "Cy")])),
        Recipient::new("+1 (415) 555-0100", vars("Ann again")),
        Recipient::new(phone(4), vars("Dee")),
    ];
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let log = seen.clone();
    let report = client
        .send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients)
        .concurrency(3)
        .on_progress(move |p| log.lock().unwrap().push(*p))
        .send()
        .await
        .unwrap();

    let outcomes: Vec<_> = report
        .results
        .iter()
        .map(|r| (r.index, &r.outcome))
        .collect();
    assert!(matches!(outcomes[0], (0, Outcome::Sent(_))));
    assert!(matches!(outcomes[1], (1, Outcome::InvalidPhone(_))));
    assert!(
        matches!(outcomes[2], (2, Outcome::MissingVariables { missing }) if missing == &["2", "3"])
    );
    assert!(matches!(outcomes[3], (3, Outcome::Duplicate { first: 0 })));
    assert!(matches!(outcomes[4], (4, Outcome::Sent(_))));
    assert_eq!(report.sent(), 2);
    assert_eq!(outbound(&server, &phone(0)), 1);
    assert_eq!(server.count(Operation::SendTemplateMessage), 2);
    assert_eq!(server.count(Operation::GetTemplate), 1);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 5);
    let last = seen.last().unwrap();
    assert_eq!(
        (last.total, last.done, last.sent, last.not_sent),
        (5, 5, 2, 3)
    );
}

#[tokio::test(start_paused = true)]
async fn resumes_from_a_journal_without_messaging_anyone_twice() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server);
    let (_dir, path) = journal_path("resume");
    let recipients = numbered(0..6, "x");

    // A previous run crashed after recording the intent to send to recipient 5.
    FileJournal::open(&path)
        .unwrap()
        .record(&phone(5), JournalStatus::Sending)
        .unwrap();
    // This run: recipient 0's connection drops after the server sent the message.
    server.inject(
        Injection::new(Fault::DropAfterAction)
            .on(Operation::SendTemplateMessage)
            .times(1),
    );
    let first = run_journaled(&client, recipients.clone(), &path).await;
    assert!(matches!(
        first.results[0].outcome,
        Outcome::OutcomeUnknown(Some(_))
    ));
    assert!(matches!(
        first.results[5].outcome,
        Outcome::OutcomeUnknown(None)
    ));
    assert_eq!(first.sent(), 4);

    // The next run is told to wait two minutes, longer than the retry policy waits: recipient
    // 6 gets the server's 429, recipient 7 the client limiter's own; neither is sent.
    server.inject(
        Injection::new(Fault::TooManyRequests {
            retry_after_secs: 120,
        })
        .on(Operation::SendTemplateMessage)
        .times(1),
    );
    let more = numbered(6..8, "y");
    let all: Vec<_> = recipients.iter().cloned().chain(more).collect();
    let second = run_journaled(&client, all.clone(), &path).await;
    assert!(matches!(
        second.results[0].outcome,
        Outcome::AlreadyDone(JournalStatus::Unknown)
    ));
    assert!(matches!(
        second.results[1].outcome,
        Outcome::AlreadyDone(JournalStatus::Sent)
    ));
    assert!(matches!(
        second.results[5].outcome,
        Outcome::OutcomeUnknown(None)
    ));
    for late in &second.results[6..] {
        assert!(
            matches!(
                late.outcome,
                Outcome::NotSent(Error::RateLimited {
                    retry_after: Some(_)
                })
            ),
            "{late:?}"
        );
    }
    assert_eq!(
        server.count(Operation::SendTemplateMessage),
        6,
        "the limiter sent nothing more"
    );

    // Two minutes later, the third run retries only what certainly was not sent.
    tokio::time::advance(Duration::from_secs(121)).await;
    let third = run_journaled(&client, all, &path).await;
    assert_eq!(third.sent(), 2);
    assert!(matches!(third.results[6].outcome, Outcome::Sent(_)));
    assert!(matches!(third.results[7].outcome, Outcome::Sent(_)));
    for i in 0..8 {
        assert!(
            outbound(&server, &phone(i)) <= 1,
            "recipient {i} was messaged twice"
        );
    }
    assert_eq!(
        outbound(&server, &phone(5)),
        0,
        "the crashed send is never repeated"
    );
}

#[tokio::test]
async fn an_error_that_fails_every_send_stops_the_batch() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server);
    let recipients = numbered(0..5, "x");
    let report = client
        .send_template_bulk(seed::SPRING_SALE_TEMPLATE_ID, recipients)
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert!(matches!(
        report.results[0].outcome,
        Outcome::Stopped(Error::NoApprovedTranslation { .. })
    ));
    for result in &report.results[1..] {
        assert!(
            matches!(result.outcome, Outcome::NotAttempted),
            "{result:?}"
        );
    }
    assert_eq!(server.count(Operation::SendTemplateMessage), 1);
}

/// The recipient a revoked token stopped the batch on was not sent: once the token works
/// again, the resumed batch sends it with the others.
#[tokio::test]
async fn a_batch_stopped_by_a_revoked_token_resumes_with_everyone() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(
        Injection::new(Fault::Status(qyvo_mock::StatusCode::UNAUTHORIZED))
            .on(Operation::SendTemplateMessage),
    );
    let (_dir, path) = journal_path("revoked");
    let stopped = run_journaled(&client, numbered(0..5, "x"), &path).await;
    assert!(matches!(
        stopped.results[0].outcome,
        Outcome::Stopped(Error::Unauthenticated)
    ));
    assert!(
        stopped.results[1..]
            .iter()
            .all(|r| matches!(r.outcome, Outcome::NotAttempted))
    );
    let resumed = run_journaled(&client, numbered(0..5, "x"), &path).await;
    assert_eq!(resumed.sent(), 5, "{resumed:?}");
    assert!((0..5).all(|i| outbound(&server, &phone(i)) == 1));
}

/// A stop signal (Ctrl-C in the CLI) starts nothing new but lets the sends under way finish
/// and be journaled: nothing is left "maybe sent" for the resumed batch.
#[tokio::test(start_paused = true)]
async fn a_stop_signal_finishes_the_sends_under_way_and_starts_no_other() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(
        Injection::new(Fault::Delay(Duration::from_secs(1)))
            .on(Operation::SendTemplateMessage)
            .times(u32::MAX),
    );
    let (_dir, path) = journal_path("stop");
    let recipients = numbered(0..10, "x");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let stop = Mutex::new(Some(stop));
    let report = client
        .send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients)
        .concurrency(3)
        .journal(FileJournal::open(&path).unwrap())
        .on_progress(move |p| {
            if p.done == 2
                && let Some(stop) = stop.lock().unwrap().take()
            {
                stop.send(()).unwrap();
            }
        })
        .stop_on(async {
            let _ = stopped.await;
        })
        .send()
        .await
        .unwrap();

    // Sends started before the signal was seen finish; the batch stops well short of the end.
    let sent = report.sent();
    assert!((2..10).contains(&sent), "{report:?}");
    for result in &report.results {
        if result.index < sent {
            assert!(matches!(result.outcome, Outcome::Sent(_)), "{result:?}");
        } else {
            assert!(
                matches!(result.outcome, Outcome::NotAttempted),
                "{result:?}"
            );
        }
    }
    assert_eq!(server.count(Operation::SendTemplateMessage), sent);
    let journal = FileJournal::open(&path).unwrap().load().unwrap();
    assert_eq!(journal.len(), sent);
    assert!(
        journal.values().all(|s| *s == JournalStatus::Sent),
        "{journal:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_sends_share_the_rate_limiter_and_see_no_429() {
    let server = MockServer::builder()
        .rate_limit(20, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .rate_limit(20, Duration::from_secs(1))
        .build()
        .unwrap();
    let recipients = numbered(0..60, "z");
    let started = tokio::time::Instant::now();
    let report = client
        .send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients)
        .concurrency(8)
        .send()
        .await
        .unwrap();
    assert_eq!(report.sent(), 60);
    let statuses: Vec<_> = server.journal().iter().filter_map(|e| e.status).collect();
    assert!(statuses.iter().all(|s| *s != 429), "{statuses:?}");
    // 61 requests at 20 per (1 s + 1% guard): three full windows must pass.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// A process that starts during an outage of the template lookup (a restart behind a proxy
/// answering 503) sends nothing, reports nothing as maybe sent, and a resume sends everyone.
#[tokio::test(start_paused = true)]
async fn a_failed_template_lookup_is_not_sent_and_a_resume_sends_everyone() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(
        Injection::new(Fault::Status(qyvo_mock::StatusCode::SERVICE_UNAVAILABLE))
            .on(Operation::GetTemplate)
            .times(u32::MAX),
    );
    let (_dir, path) = journal_path("lookup");

    let report = run_journaled(&client, numbered(0..6, "Ann"), &path).await;
    for result in &report.results {
        assert!(
            matches!(&result.outcome, Outcome::NotSent(e) if e.status() == Some(503)),
            "{result:?}"
        );
    }
    assert_eq!(server.count(Operation::SendTemplateMessage), 0);
    assert!(
        FileJournal::open(&path).unwrap().load().unwrap().is_empty(),
        "nothing was sent, so nothing was recorded as being sent"
    );

    server.clear_faults();
    let resumed = run_journaled(&client, numbered(0..6, "Ann"), &path).await;
    assert_eq!(resumed.sent(), 6, "{resumed:?}");
    for i in 0..6 {
        assert_eq!(outbound(&server, &phone(i)), 1);
    }
}
