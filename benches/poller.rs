//! Benchmark 3: the message poller delivers 10,000 inbound messages, arriving in bursts of at
//! most 100 between two polls, each exactly once, against the mock server on 127.0.0.1.
//!
//! Run it with `cargo bench -p qyvo --bench poller` (release), or without a release build with
//! `cargo bench -p qyvo --bench poller --profile dev`. It prints one line per checkpoint store
//! (memory, then file) and fails if an item is missed, repeated or out of order.
//!
//! Each burst is recorded only after the previous one was fully delivered, so no poll can see
//! more than 100 new messages; the poll interval is 1 ms to measure the SDK, not the wait. A poll
//! that sees a whole burst (a full page, all new) cannot tell it from a larger one and yields a
//! `Gap` warning first; the run counts them, and checks that nothing was actually lost.

use std::{collections::HashSet, error::Error, time::Duration};

use futures_util::StreamExt as _;
use qyvo::{
    poll::{CheckpointStore, FileCheckpointStore, MemoryCheckpointStore, PollEvent, StartFrom},
    prelude::*,
};
use qyvo_mock::{MockServer, Operation};

const TOTAL: usize = 10_000;
const BURST: usize = 100;
const PHONES: [&str; 10] = [
    "+14155550100",
    "+14155550101",
    "+14155550102",
    "+14155550103",
    "+14155550104",
    "+14155550105",
    "+14155550106",
    "+14155550107",
    "+14155550108",
    "+14155550109",
];

/// Runs one pass with `store` and prints its figures.
async fn run<S: CheckpointStore>(label: &str, store: S) -> Result<(), Box<dyn Error>> {
    let server = MockServer::builder()
        .rate_limit(u32::MAX, Duration::from_secs(60))
        .start()
        .await?;
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .without_rate_limiter()
        .build()?;
    // The feed starts empty: replaying the current page delivers everything from the start.
    let mut stream = client
        .poll_messages()
        .interval(Duration::from_millis(1))
        .jitter(0.0)
        .start_from(StartFrom::CurrentPage)
        .store(store)
        .send();

    let started = std::time::Instant::now();
    let mut sent = Vec::with_capacity(TOTAL);
    let mut delivered = Vec::with_capacity(TOTAL);
    let mut gaps = 0;
    for _ in 0..TOTAL / BURST {
        for n in 0..BURST {
            sent.push(server.contact_reply(server.token(), PHONES[n % PHONES.len()], "hello")?);
        }
        let target = sent.len();
        while delivered.len() < target {
            match stream.next().await {
                Some(Ok(PollEvent::Item(message))) => delivered.push(message.id),
                Some(Ok(_)) => gaps += 1,
                Some(Err(e)) => return Err(e.into()),
                None => return Err("the stream ended".into()),
            }
        }
    }
    let elapsed = started.elapsed();
    if let Ok(extra) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await {
        return Err(format!("an extra event after the last burst: {extra:?}").into());
    }

    let unique: HashSet<_> = delivered.iter().collect();
    assert_eq!(delivered.len(), TOTAL, "every message is delivered");
    assert_eq!(unique.len(), TOTAL, "no message is delivered twice");
    assert_eq!(delivered, sent, "messages come oldest first");
    let polls = server.count(Operation::NewMessageReceived);
    println!(
        "poller/{label}: {TOTAL} messages in {:.2} s = {:.0} items/s, {polls} polls ({:.1} items/poll), \
         each delivered exactly once; {gaps} gap warnings (polls that saw exactly 100 new items)",
        elapsed.as_secs_f64(),
        TOTAL as f64 / elapsed.as_secs_f64(),
        TOTAL as f64 / polls as f64,
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    run("memory", MemoryCheckpointStore::new()).await?;
    let path = std::env::temp_dir().join(format!("qyvo-bench-poller-{}.json", std::process::id()));
    let result = run("file", FileCheckpointStore::new(&path)).await;
    let _ = std::fs::remove_file(&path);
    result
}
