//! Where a command connects: token, base URL, or an embedded local server (`--mock`); and
//! `qyvo mock`, the local server on its own.

use std::path::PathBuf;

use qyvo::{Client, ClientBuilder};
use qyvo_mock::MockServer;

use crate::{
    failure::{Exit, Failure},
    progress::Interrupt,
};

/// How to reach Qyvo. The token comes from `QYVO_TOKEN` or a file, never from a flag that
/// lands in the shell history without a warning.
#[derive(clap::Args)]
pub struct Connection {
    /// Read the API token from this file (instead of QYVO_TOKEN).
    #[arg(long, global = true, value_name = "PATH", env = "QYVO_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// The API token. Discouraged: it stays in your shell history; use QYVO_TOKEN or
    /// --token-file.
    #[arg(long, global = true, value_name = "TOKEN")]
    token: Option<String>,
    /// The API's base URL.
    #[arg(long, global = true, value_name = "URL", env = "QYVO_BASE_URL")]
    base_url: Option<String>,
    /// Run against an embedded local Qyvo server (seeded templates, flows and sequences; no
    /// token needed; its state ends with the command).
    #[arg(long, global = true, conflicts_with_all = ["token", "token_file", "base_url"])]
    mock: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("token_file", &self.token_file)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("base_url", &self.base_url)
            .field("mock", &self.mock)
            .finish()
    }
}

/// A connected client, and the embedded server it talks to under `--mock`.
pub struct Session {
    client: Client,
    _mock: Option<MockServer>,
}

impl Session {
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Connection {
    /// The client for this command line.
    pub async fn connect(&self) -> Result<Session, Failure> {
        if self.mock {
            let server = MockServer::start()
                .await
                .map_err(|e| Failure::new(Exit::Other, crate::failure::chain(&e)))?;
            eprintln!("qyvo: using an embedded local Qyvo server (--mock)");
            let client = build(ClientBuilder::new(server.token()).base_url(server.base_url()))?;
            return Ok(Session {
                client,
                _mock: Some(server),
            });
        }
        let mut builder = ClientBuilder::new(self.token()?);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        Ok(Session {
            client: build(builder)?,
            _mock: None,
        })
    }

    fn token(&self) -> Result<String, Failure> {
        if let Some(token) = &self.token {
            eprintln!(
                "qyvo: warning: a token given with --token stays in your shell history; \
                 use QYVO_TOKEN or --token-file"
            );
            return Ok(token.clone());
        }
        if let Some(path) = &self.token_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::input(format!(
                    "cannot read the token file {}: {e}",
                    path.display()
                ))
            })?;
            return Ok(text.trim().to_owned());
        }
        match std::env::var("QYVO_TOKEN") {
            Ok(token) => Ok(token),
            Err(_) => Err(Failure::input(
                "no API token: set QYVO_TOKEN, pass --token-file, or try --mock",
            )),
        }
    }
}

fn build(builder: ClientBuilder) -> Result<Client, Failure> {
    builder
        .build()
        .map_err(|e| Failure::input(crate::failure::chain(&e)))
}

/// `--verbose`: the SDK's request spans on stderr, when each closes. The SDK masks the phone
/// and never records the token or response bodies; spans and events of other crates are left
/// out.
pub fn log_requests() {
    use tracing_subscriber::{
        Layer as _, filter::filter_fn, fmt::format::FmtSpan, layer::SubscriberExt as _,
        util::SubscriberInitExt as _,
    };

    let sdk_only = filter_fn(|metadata| metadata.target().starts_with("qyvo"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_span_events(FmtSpan::CLOSE)
                .with_target(false)
                .with_filter(sdk_only),
        )
        .init();
}

/// `qyvo mock`: the local server until Ctrl-C, with the settings a shell needs to use it.
pub async fn serve_mock(port: u16) -> Result<(), Failure> {
    let server = MockServer::builder()
        .port(port)
        .start()
        .await
        .map_err(|e| Failure::new(Exit::Other, crate::failure::chain(&e)))?;
    println!("# Qyvo mock listening; in another shell:");
    println!("export QYVO_BASE_URL={}", server.base_url());
    println!("export QYVO_TOKEN={}", server.token());
    eprintln!("qyvo: press Ctrl-C to stop");
    Interrupt::listen().wait().await;
    Ok(())
}
