//! `qyvo`: the Qyvo API on the command line, built on the `qyvo` SDK.
//!
//! Every operation of the API is a command (`qyvo api <operation>`, generated from the spec by
//! `build.rs`); the workflows an operator runs (`contacts import`, `campaign send`,
//! `messages tail`, `webhooks verify|listen`, `mock`) go through the SDK's own conveniences.
//! See `qyvo --help`.

mod api;
mod campaign;
mod connect;
mod failure;
mod import;
mod output;
mod progress;
mod sheet;
mod tail;
mod webhooks;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::{
    campaign::CampaignCommand, connect::Connection, failure::Failure, import::ContactsCommand,
    output::Format, tail::MessagesCommand,
};

/// The Qyvo API on the command line.
#[derive(Debug, Parser)]
#[command(
    name = "qyvo",
    version,
    about,
    after_help = "\
Authentication: the token is read from QYVO_TOKEN, or from the file named by --token-file or
QYVO_TOKEN_FILE; the base URL from QYVO_BASE_URL. With --mock, a command runs against an
embedded local Qyvo server and needs no token.

Exit codes: 0 success, 1 other failure (a file that cannot be written, …), 2 usage,
3 invalid input (a file, a row, a phone number, a signature), 4 API error (a single call failed,
or an error every later request would hit stopped a workflow), 5 partial failure (some rows or
recipients failed: see the summary), 130 interrupted."
)]
struct Args {
    #[command(flatten)]
    globals: Globals,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global options")]
struct Globals {
    #[command(flatten)]
    connection: Connection,
    /// How results are printed on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Json)]
    output: Format,
    /// Log every request on stderr: operation, attempt, status, latency, quota and the
    /// recipient's phone masked (never the token, names or message text).
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Contacts: import a CSV file.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Campaigns: send a template to a CSV list of recipients.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Messages: follow new inbound messages.
    #[command(subcommand)]
    Messages(MessagesCommand),
    /// Webhooks: verify a delivery, or receive them locally.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Run the local Qyvo server (seeded data, a fixed token) until Ctrl-C.
    Mock {
        /// Port to listen on (127.0.0.1); 0 picks a free one.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Print a shell completion script, e.g. `qyvo completions bash > /etc/bash_completion.d/qyvo`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The whole command line: the derived commands and the generated `api` ones.
fn command() -> clap::Command {
    Args::command().subcommand(api::command())
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = command().get_matches();
    match run(&matches).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn run(matches: &clap::ArgMatches) -> Result<(), Failure> {
    let globals = Globals::from_arg_matches(matches).unwrap_or_else(|e| e.exit());
    if globals.verbose {
        connect::log_requests();
    }
    let output = globals.output;
    if let Some(("api", api)) = matches.subcommand() {
        let session = globals.connection.connect().await?;
        return api::run(session.client(), output, api).await;
    }
    let Args { command: run, .. } = Args::from_arg_matches(matches).unwrap_or_else(|e| e.exit());
    let connection = &globals.connection;
    match run {
        Command::Contacts(ContactsCommand::Import(import)) => import.run(connection, output).await,
        Command::Campaign(CampaignCommand::Send(send)) => send.run(connection, output).await,
        Command::Messages(MessagesCommand::Tail(tail)) => tail.run(connection, output).await,
        Command::Webhooks(command) => command.run(output).await,
        Command::Mock { port } => connect::serve_mock(port).await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command(), "qyvo", &mut std::io::stdout());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    #[test]
    fn the_command_line_is_well_formed() {
        super::command().debug_assert();
    }

    #[test]
    fn parsed_arguments_never_show_the_token() {
        let args =
            super::Args::parse_from(["qyvo", "--token", "s3cret-token-value", "messages", "tail"]);
        let shown = format!("{args:?}");
        assert!(shown.contains("token: Some(\"…\")"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
