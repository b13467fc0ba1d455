//! `qyvo messages tail`: new inbound messages, one JSON line each, until Ctrl-C; through the
//! SDK's poller of `new_message_received` with a checkpoint file, so that a restart delivers
//! what arrived meanwhile and nothing twice (at least once if the process is killed between
//! printing a message and saving the checkpoint).

use std::{path::PathBuf, time::Duration};

use clap::Subcommand;
use futures_util::StreamExt as _;
use qyvo::{
    poll::{FileCheckpointStore, PollError, PollEvent, StartFrom},
    prelude::QyvoClientExt as _,
    types::MessageTypeFilter,
};

use crate::{
    connect::Connection,
    failure::{Exit, Failure, chain},
    output::Format,
    progress::Interrupt,
};

#[derive(Debug, Subcommand)]
pub enum MessagesCommand {
    /// Print new inbound messages as they arrive (JSON lines), until Ctrl-C.
    Tail(TailArgs),
}

#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// Only messages of this type (text, image, audio, document, video, location, contacts,
    /// interactive, sticker).
    #[arg(long = "type", value_name = "TYPE", value_parser = message_type)]
    message_type: Option<MessageTypeFilter>,
    /// Where the last message delivered is remembered between runs (default:
    /// `qyvo-messages[-TYPE].checkpoint.json`).
    #[arg(long, value_name = "PATH")]
    checkpoint: Option<PathBuf>,
    /// Time between two polls: `30s` (Qyvo's guidance), `500ms`, `2m`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    interval: Duration,
    /// With no checkpoint yet, print the most recent messages (up to 100) first.
    #[arg(long)]
    recent: bool,
}

fn message_type(text: &str) -> Result<MessageTypeFilter, String> {
    text.parse().map_err(|e| format!("{e}"))
}

/// `500ms`, `30s`, `2m`, or a number of seconds.
fn duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 30s, 500ms or 2m, not `{text}`"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(number.saturating_mul(60))),
        _ => Err(format!("unknown unit `{unit}`: use ms, s or m")),
    }
}

impl TailArgs {
    pub async fn run(self, connection: &Connection, output: Format) -> Result<(), Failure> {
        let checkpoint = self.checkpoint.unwrap_or_else(|| match &self.message_type {
            Some(kind) => format!("qyvo-messages-{kind}.checkpoint.json").into(),
            None => PathBuf::from("qyvo-messages.checkpoint.json"),
        });
        let session = connection.connect().await?;
        let mut poll = session
            .client()
            .poll_messages()
            .interval(self.interval)
            .start_from(if self.recent {
                StartFrom::CurrentPage
            } else {
                StartFrom::Now
            });
        if let Some(kind) = self.message_type {
            poll = poll.message_type(kind);
        }
        let mut messages = poll.store(FileCheckpointStore::new(checkpoint)).send();
        let interrupt = Interrupt::listen();
        loop {
            let Some(event) = interrupt.during(messages.next()).await else {
                return Ok(());
            };
            match event {
                Some(Ok(PollEvent::Item(message))) => output.print_line(&message),
                Some(Ok(PollEvent::Gap { since })) => eprintln!(
                    "qyvo: warning: more messages may have arrived since {since} than one poll \
                     shows; some may be missing"
                ),
                Some(Ok(_)) => {}
                Some(Err(PollError::Transient { source, retry_in })) => eprintln!(
                    "qyvo: poll failed, trying again in {}s: {}",
                    retry_in.as_secs(),
                    chain(&source)
                ),
                Some(Err(PollError::Fatal { source })) => return Err(Failure::sdk(&source)),
                Some(Err(other)) => return Err(Failure::new(Exit::Other, chain(&other))),
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        assert_eq!(duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("5"), Ok(Duration::from_secs(5)));
        assert!(duration("fast").is_err());
        assert!(duration("3h").is_err());
    }
}
