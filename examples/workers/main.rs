//! One replica of a shop's messaging workers: run as many as you like, on any machines, with
//! one Qyvo token. They share the token's quota through Redis, the inbox poller's checkpoint
//! and lease and the campaigns through PostgreSQL.
//!
//! ```sh
//! export QYVO_TOKEN=...                       # the workspace's one token
//! export QYVO_REDIS_URL=redis://127.0.0.1/    # the shared rate limiter
//! export QYVO_DATABASE="host=127.0.0.1 user=shop dbname=shop"   # shared state
//! cargo run --example workers --features redis,postgres -- poll          # inbox replicas
//! cargo run --example workers --features redis,postgres -- create spring-sale <template-id> recipients.csv
//! cargo run --example workers --features redis,postgres -- send spring-sale   # campaign workers
//! cargo run --example workers --features redis,postgres -- report spring-sale
//! ```
//!
//! `recipients.csv` holds one recipient per line: the phone, then the template's variables
//! `{{1}}`, `{{2}}`… in order, separated by commas.

mod app;

use std::error::Error;

use qyvo::{
    ClientBuilder,
    bulk::Recipient,
    campaign::{Campaigns, NewCampaign},
    defaults,
    postgres::Postgres,
    ratelimit::RedisRateLimiter,
    template::Variables,
};

const USAGE: &str = "usage: workers (poll | create <campaign> <template-id> <csv> | send <campaign> | report <campaign>)";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The recipients of a CSV file: phone, then the variables `1`, `2`… in order.
fn recipients(csv: &str) -> Vec<Recipient> {
    csv.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split(',').map(str::trim);
            let phone = fields.next().unwrap_or_default();
            let variables: Variables = fields
                .enumerate()
                .map(|(i, value)| ((i + 1).to_string(), value))
                .collect();
            Recipient::new(phone, variables)
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let postgres = Postgres::new(&env_or(
        "QYVO_DATABASE",
        "host=127.0.0.1 user=postgres dbname=postgres",
    ))?;
    // Every replica may do this at start-up: each migration applies once.
    postgres.migrate().await?;
    let campaigns = Campaigns::new(postgres.clone());
    // One token, and its quota kept in Redis: shared by every replica.
    let client = || {
        let shared_quota = RedisRateLimiter::open(&env_or("QYVO_REDIS_URL", "redis://127.0.0.1/"))?;
        ClientBuilder::from_env()?
            .rate_limiter(shared_quota)
            .build()
    };
    match args.as_slice() {
        ["poll"] => {
            app::poll_inbox(
                &client()?,
                postgres,
                defaults::POLL_INTERVAL,
                defaults::POLL_LEASE_TTL,
            )
            .await?;
        }
        ["create", id, template_id, csv] => {
            let recipients = recipients(&std::fs::read_to_string(csv)?);
            let created = campaigns
                .create(NewCampaign::new(*id, *template_id, recipients))
                .await?;
            println!("{}", if created { "created" } else { "exists already" });
        }
        ["send", id] => println!("{:?}", app::send_campaign(&client()?, postgres, id).await?),
        ["report", id] => println!("{:?}", campaigns.report(id).await?),
        _ => eprintln!("{USAGE}"),
    }
    Ok(())
}
