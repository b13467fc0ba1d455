//! A bulk send killed with SIGKILL at random moments, its journal torn at random offsets, then
//! resumed: nobody is messaged twice (counted on the server) and nobody is stranded.
//!
//! Processes, not tasks: the test binary runs itself as the sender (`QYVO_CRASH_CHILD` set),
//! against a local Qyvo server that lives in the parent and so survives every kill. It has its
//! own `main` (libtest-mimic's command line, not libtest's harness) because the child must run
//! the send and nothing else.

#[path = "support/recipients.rs"]
mod recipients;

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
    time::Duration,
};

use qyvo::{
    bulk::{FileJournal, JournalStatus, Outcome, Recipient},
    prelude::*,
};
use qyvo_mock::{MockServer, seed};
use recipients::order_shipped;

const CHILD: &str = "QYVO_CRASH_CHILD";
const RECIPIENTS: usize = 300;
const KILLS_PER_TRIAL: usize = 8;
const TRIALS: u64 = 3;

fn phone(index: usize) -> String {
    format!("+33142{:06}", 760_000 + index)
}

fn recipients() -> Vec<Recipient> {
    (0..RECIPIENTS).map(|i| order_shipped(phone(i))).collect()
}

/// The child: one run of the bulk send, resuming from the journal; prints what it ended with.
fn child(base_url: &str, token: &str, journal: &Path) -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let client = ClientBuilder::new(token)
            .base_url(base_url)
            .without_rate_limiter()
            .build()
            .expect("a loopback client");
        let journal = FileJournal::open(journal).expect("the journal opens");
        let report = client
            .send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients())
            .concurrency(4)
            .journal(journal)
            .send()
            .await
            .expect("the journal is readable");
        let unresolved = report
            .results
            .iter()
            .filter(|r| {
                !matches!(
                    r.outcome,
                    Outcome::Sent(_)
                        | Outcome::OutcomeUnknown(_)
                        | Outcome::AlreadyDone(JournalStatus::Sent | JournalStatus::Unknown)
                )
            })
            .count();
        println!("unresolved={unresolved}");
        ExitCode::SUCCESS
    })
}

/// Leaves the journal as a crash in the middle of a write does: the next record cut at a random
/// offset, with no newline. (A record that was written in full was synced before its send
/// began; losing it is not a crash but a lost disk, which no journal survives.)
fn tear(journal: &Path, rng: &mut fastrand::Rng) {
    let record = format!(
        "{{\"key\":\"{}\",\"status\":\"sending\"}}\n",
        phone(rng.usize(0..RECIPIENTS))
    );
    let cut = rng.usize(1..record.len());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal)
        .expect("the journal is writable");
    file.write_all(&record.as_bytes()[..cut])
        .expect("the journal is writable");
}

fn run_child(exe: &Path, server: &MockServer, journal: &Path) -> Command {
    let mut command = Command::new(exe);
    command
        .env(CHILD, "1")
        .env("QYVO_CRASH_BASE_URL", server.base_url())
        .env("QYVO_CRASH_TOKEN", server.token())
        .env("QYVO_CRASH_JOURNAL", journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
}

fn trial(exe: &Path, dir: &Path, seed: u64) -> (usize, usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let server = runtime.block_on(async {
        MockServer::builder()
            .rate_limit(1_000_000, Duration::from_secs(60))
            .start()
            .await
            .expect("the mock binds 127.0.0.1")
    });
    let journal = dir.join(format!("journal-{seed}.jsonl"));
    let (mut kills, mut tears) = (0, 0);
    for _ in 0..KILLS_PER_TRIAL {
        let mut running = run_child(exe, &server, &journal)
            .spawn()
            .expect("the sender starts");
        // A real process is killed at a real moment: no clock to pause here.
        std::thread::sleep(Duration::from_millis(rng.u64(20..400)));
        if running
            .try_wait()
            .expect("the sender can be waited on")
            .is_none()
        {
            running.kill().expect("SIGKILL");
            kills += 1;
        }
        running.wait().expect("the sender ends");
        if rng.bool() {
            tear(&journal, &mut rng);
            tears += 1;
        }
    }
    let last = run_child(exe, &server, &journal)
        .output()
        .expect("the last run completes");
    let stdout = String::from_utf8_lossy(&last.stdout);
    assert!(last.status.success(), "the last run failed: {stdout}");
    assert_eq!(stdout.trim(), "unresolved=0", "recipients stranded");

    let statuses = FileJournal::open(&journal)
        .and_then(|j| qyvo::bulk::BulkJournal::load(&j))
        .expect("the journal reads after the runs");
    let (mut delivered, mut unknown) = (0, 0);
    for index in 0..RECIPIENTS {
        let received = server
            .outbound_messages(server.token(), &phone(index))
            .expect("a valid phone")
            .len();
        assert!(
            received <= 1,
            "seed {seed}: recipient {index} received {received} messages"
        );
        delivered += received;
        match statuses.get(&phone(index)) {
            Some(JournalStatus::Sent) => assert_eq!(received, 1, "seed {seed}: {index}"),
            // The process died between the intent and the outcome: maybe sent, never again.
            Some(JournalStatus::Sending | JournalStatus::Unknown) => unknown += 1,
            other => panic!("seed {seed}: recipient {index} ended {other:?}"),
        }
    }
    println!(
        "seed {seed}: {kills} kills, {tears} torn journals, {delivered} of {RECIPIENTS} delivered once, \
         {unknown} reported unknown (the price of never sending twice), 0 duplicates"
    );
    (delivered, unknown)
}

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        let var = |name| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
        return child(
            &var("QYVO_CRASH_BASE_URL"),
            &var("QYVO_CRASH_TOKEN"),
            &PathBuf::from(var("QYVO_CRASH_JOURNAL")),
        );
    }
    qyvo_test_tools::run(vec![qyvo_test_tools::test(
        "sigkill_and_torn_journals_never_send_twice",
        &[],
        sigkill_and_torn_journals_never_send_twice,
    )])
}

fn sigkill_and_torn_journals_never_send_twice() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = tempfile::Builder::new()
        .prefix("qyvo-crash-")
        .tempdir()
        .expect("a temporary directory");
    let mut total_unknown = 0;
    for seed in 0..TRIALS {
        let (delivered, unknown) = trial(&exe, dir.path(), seed);
        assert!(
            delivered + unknown >= RECIPIENTS,
            "seed {seed}: every recipient resolved"
        );
        total_unknown += unknown;
    }
    println!("{total_unknown} unknown over {TRIALS} trials");
}
