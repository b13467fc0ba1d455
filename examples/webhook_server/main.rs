//! A webhook receiver for Qyvo: verifies `X-Qyvo-Signature`, decodes the event and prints it.
//!
//! ```text
//! QYVO_WEBHOOK_SECRET=whsec_… cargo run --example webhook_server
//! ```
//!
//! Listens on `127.0.0.1:3000` (override with `QYVO_WEBHOOK_ADDR`) and answers
//! `POST /webhooks/qyvo`: `200` for a verified event, `401` for a missing, malformed, wrong or
//! stale signature, `400` for a body that is not a valid event. Put it behind an HTTPS tunnel or
//! proxy: Qyvo only delivers to `https://` URLs.

mod app;

use std::{env, error::Error, process::ExitCode};

use qyvo::webhook::WebhookSecret;

/// Runs the server; prints why it could not start, if it could not.
#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("webhook_server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the configuration, binds and serves until interrupted.
async fn run() -> Result<(), Box<dyn Error>> {
    let Ok(secret) = env::var("QYVO_WEBHOOK_SECRET") else {
        return Err(
            "QYVO_WEBHOOK_SECRET is not set: copy the webhook's signing secret from \
                    Settings → Webhooks in the Qyvo dashboard"
                .into(),
        );
    };
    let secret: WebhookSecret = secret.parse()?;
    let addr = env::var("QYVO_WEBHOOK_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "listening on http://{}{}",
        listener.local_addr()?,
        app::PATH
    );
    axum::serve(listener, app::app(secret)).await?;
    Ok(())
}
