//! `qyvo-mock`: runs the mock Qyvo server until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use qyvo_mock::MockServer;

/// A stateful local Qyvo REST API server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on (127.0.0.1); 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Bearer token to accept; repeat for several tenants. Defaults to a fixed mock token.
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Requests allowed per token per window.
    #[arg(long, default_value_t = 120)]
    rate_limit: u32,
    /// Length of the rate-limit window, in seconds.
    #[arg(long, default_value_t = 60)]
    rate_window_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = MockServer::builder()
        .port(args.port)
        .rate_limit(args.rate_limit, Duration::from_secs(args.rate_window_secs));
    for token in args.tokens {
        builder = builder.token(token);
    }
    let server = match builder.start().await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("qyvo-mock: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("Qyvo mock listening on {}", server.base_url());
    for token in server.tokens() {
        println!("token: {token}");
    }
    println!("Press Ctrl-C to stop.");
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("qyvo-mock: cannot wait for Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
