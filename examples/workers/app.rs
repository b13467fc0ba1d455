//! What each replica of `examples/workers` does, shared with `tests/workers.rs`, which runs
//! these same functions as separate worker processes.
//!
//! Every replica builds its client the same way (see `main.rs`): one token, and the rate
//! limiter in Redis, so that all of them together keep to the token's quota. Then it polls the
//! inbox ([`poll_inbox`]), where one replica at a time holds the lease, or sends a campaign
//! with the others ([`send_campaign`]).

use std::time::Duration;

use futures_util::StreamExt as _;
use qyvo::{
    campaign::{CampaignError, CampaignReport, Campaigns},
    poll::{PgCheckpointStore, PollError, PollEvent},
    postgres::Postgres,
    prelude::*,
};

/// Polls new inbound messages with the other replicas: the checkpoint and its lease are in
/// PostgreSQL, so one replica polls at a time and another takes over when it dies.
///
/// Prints one line per event (`item <id>`, `lease <fencing token>`, `lost`, `gap`,
/// `error <message>`) until an error ends the stream.
pub async fn poll_inbox(
    client: &Client,
    postgres: Postgres,
    interval: Duration,
    lease_ttl: Duration,
) -> Result<(), PollError> {
    let store = PgCheckpointStore::new(postgres, "inbox").lease_ttl(lease_ttl);
    let mut inbox = client
        .poll_messages()
        .interval(interval)
        .store(store)
        .send();
    while let Some(event) = inbox.next().await {
        match event {
            // Handle the message here: at least once, and by one replica.
            Ok(PollEvent::Item(message)) => println!("item {}", message.id),
            Ok(PollEvent::LeaseAcquired { fencing_token }) => println!("lease {fencing_token}"),
            Ok(PollEvent::LeaseLost) => println!("lost"),
            Ok(PollEvent::Gap { .. }) => println!("gap"),
            Ok(_) => {}
            Err(error) if error.is_fatal() => return Err(error),
            Err(error) => println!("error {error}"),
        }
    }
    Ok(())
}

/// Sends the campaign `id` with the other replicas until no recipient is left to claim.
pub async fn send_campaign(
    client: &Client,
    postgres: Postgres,
    id: &str,
) -> Result<CampaignReport, CampaignError> {
    let campaigns = Campaigns::new(postgres);
    client
        .run_campaign(&campaigns, id)
        .concurrency(4)
        .send()
        .await
}
