//! Benchmark 2: bulk template sends at the quota.
//!
//! The local Qyvo server allows 120 requests per 1 s window; 1,000 template sends through
//! `send_template_bulk` must sustain at least 98% of that quota with zero 429 responses and
//! zero duplicate messages. Run with `cargo bench -p qyvo --bench bulk` (about 9 s).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use qyvo::{bulk::Recipient, prelude::*, template::Variables};
use qyvo_mock::{MockServer, Operation, seed};

const QUOTA: u32 = 120;
const WINDOW: Duration = Duration::from_secs(1);
const SENDS: usize = 1_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::builder()
        .rate_limit(QUOTA, WINDOW)
        .start()
        .await?;
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .rate_limit(QUOTA, WINDOW)
        .build()?;
    let recipients = (0..SENDS).map(|i| {
        Recipient::new(
            format!("+1415555{:04}", i),
            Variables::from_iter([("1", "Ann"), ("2", "ORD-1"), ("3", "https://t.example/1")]),
        )
    });

    let started = Instant::now();
    let report = client
        .send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients)
        .concurrency(16)
        .send()
        .await?;
    let elapsed = started.elapsed();

    let journal = server.journal();
    let requests = journal.len();
    let too_many = journal.iter().filter(|e| e.status == Some(429)).count();
    let mut per_phone: HashMap<String, usize> = HashMap::new();
    for entry in journal
        .iter()
        .filter(|e| e.operation == Some(Operation::SendTemplateMessage))
    {
        let phone = entry
            .body
            .as_ref()
            .and_then(|b| b["phone"].as_str())
            .unwrap_or_default();
        *per_phone.entry(phone.to_owned()).or_default() += 1;
    }
    let duplicates = per_phone.values().filter(|&&n| n > 1).count();
    // Under a rolling window the k-th request (0-based) can arrive no earlier than
    // floor(k / QUOTA) windows after the first, so n requests need at least
    // floor((n - 1) / QUOTA) windows between the first and the last arrival.
    let ideal = WINDOW * ((requests as u32 - 1) / QUOTA);
    let (first, last) = (journal[0].at, journal[requests - 1].at);
    let span = (last - first).to_std()?;
    let share = ideal.as_secs_f64() / span.as_secs_f64();

    println!("bulk send at the quota ({QUOTA} requests per {WINDOW:?}, concurrency 16)");
    println!("  messages sent         {}", report.sent());
    println!("  requests              {requests} (incl. 1 get-template)");
    println!("  elapsed               {:.2} s", elapsed.as_secs_f64());
    println!(
        "  first to last arrival {:.3} s (at best {:.3} s under the rolling window)",
        span.as_secs_f64(),
        ideal.as_secs_f64()
    );
    println!("  share of the quota    {:.1}%", share * 100.0);
    println!("  429 responses         {too_many}");
    println!("  duplicate messages    {duplicates}");

    assert_eq!(report.sent(), SENDS, "every message was sent");
    assert_eq!(too_many, 0, "the limiter kept the client under the quota");
    assert_eq!(duplicates, 0, "nobody was messaged twice");
    assert!(
        share >= 0.98,
        "sustained {:.1}% of the quota",
        share * 100.0
    );
    Ok(())
}
