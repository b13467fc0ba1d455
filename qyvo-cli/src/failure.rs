//! How a command fails: one line on stderr and an exit code scripts can branch on.

use std::{fmt, process::ExitCode};

use qyvo::error::DecodeError;

/// The exit codes, documented in `qyvo --help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 1: anything else (a report or journal that cannot be written, …).
    Other = 1,
    /// 3: a file, a row, a phone number or a signature is invalid; nothing was sent for it.
    InvalidInput = 3,
    /// 4: the API refused or failed (a single call, or an error that stopped a workflow).
    Api = 4,
    /// 5: a workflow finished, but some rows or recipients failed.
    Partial = 5,
    /// 130: interrupted (Ctrl-C); re-run the same command to resume.
    Interrupted = 130,
}

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    exit: Exit,
    message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl fmt::Display) -> Self {
        Self {
            exit,
            message: message.to_string(),
        }
    }

    /// Invalid input: a file, a row, a value.
    pub fn input(message: impl fmt::Display) -> Self {
        Self::new(Exit::InvalidInput, message)
    }

    /// A file the command writes (a report, a journal) failed.
    pub fn io(what: &str, error: &std::io::Error) -> Self {
        Self::new(Exit::Other, format!("{what}: {error}"))
    }

    /// A journal that cannot be opened, read or written.
    pub fn journal(path: &std::path::Path, error: &std::io::Error) -> Self {
        Self::io(&format!("journal {}", path.display()), error)
    }

    /// Ctrl-C: the journal lets the same command resume.
    pub fn interrupted() -> Self {
        Self::new(
            Exit::Interrupted,
            "interrupted: run the same command again to resume",
        )
    }

    /// An SDK error: refused before sending (invalid input) or answered by the API.
    pub fn sdk(error: &qyvo::Error) -> Self {
        let exit = if is_local(error) {
            Exit::InvalidInput
        } else {
            Exit::Api
        };
        Self::new(exit, chain(error))
    }

    /// What `exit` a run that left `failed` rows out of `total` ends with.
    pub fn partial(failed: usize, total: usize, what: &str) -> Result<(), Self> {
        if failed == 0 {
            return Ok(());
        }
        Err(Self::new(
            Exit::Partial,
            format!("{failed} of {total} {what} failed: see the summary"),
        ))
    }

    #[cfg(test)]
    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// Prints the one-line message and gives the exit code.
    pub fn report(&self) -> ExitCode {
        eprintln!("qyvo: {}", one_line(&self.message));
        ExitCode::from(self.exit as u8)
    }
}

/// An error the SDK found before sending anything.
fn is_local(error: &qyvo::Error) -> bool {
    matches!(
        error,
        qyvo::Error::InvalidRequest { .. }
            | qyvo::Error::InvalidPhone(_)
            | qyvo::Error::InvalidVariables(_)
            | qyvo::Error::InvalidTag(_)
            | qyvo::Error::InvalidMetadata(_)
            | qyvo::Error::MissingVariables { status: None, .. }
    )
}

/// An error and its sources, `: `-separated (a source its error already quotes is skipped).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Line breaks and tabs become spaces: errors are one line.
fn one_line(message: &str) -> String {
    message
        .split(['\n', '\r', '\t'])
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<anyhow::Error> for Failure {
    /// A generated command's error: the SDK's when the call failed, else the request body's
    /// (a file that cannot be read, JSON that does not fit).
    fn from(error: anyhow::Error) -> Self {
        let other = match error.downcast::<qyvo::Error>() {
            Ok(error) => return Self::sdk(&error),
            Err(other) => other,
        };
        // JSON that does not fit the request type: serde_json's message quotes the value,
        // which may be a customer's phone or text.
        let context = other.to_string();
        match other.downcast::<serde_json::Error>() {
            Ok(json) if json.classify() == serde_json::error::Category::Data => {
                Self::input(format!("{context}: {}", DecodeError::from(json)))
            }
            Ok(json) => Self::input(format!("{context}: {json}")),
            Err(other) => Self::input(format!("{other:#}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_refusals_are_invalid_input_and_answers_are_api_errors() {
        let local =
            qyvo::Error::InvalidPhone("12".parse::<qyvo::phone::PhoneNumber>().unwrap_err());
        assert_eq!(Failure::sdk(&local).exit(), Exit::InvalidInput);
        assert_eq!(
            Failure::sdk(&qyvo::Error::Unauthenticated).exit(),
            Exit::Api
        );
        let answered = qyvo::Error::MissingVariables {
            expected: vec!["1".into()],
            missing: vec!["1".into()],
            status: Some(422),
        };
        assert_eq!(Failure::sdk(&answered).exit(), Exit::Api);
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\nb\r\n\tc"), "a b c");
        let body = anyhow::anyhow!("expected `,`\nat line 2").context("failed to parse x.json");
        let failure = Failure::from(body);
        assert_eq!(failure.exit(), Exit::InvalidInput);
        assert_eq!(
            one_line(&failure.message),
            "failed to parse x.json: expected `,` at line 2"
        );
    }

    #[test]
    fn a_body_that_does_not_fit_shows_no_value() {
        let json =
            serde_json::from_str::<qyvo::types::CreateContactRequest>(r#"{"phone": 33142764978}"#)
                .unwrap_err();
        let failure = Failure::from(anyhow::Error::new(json).context("failed to parse x.json"));
        assert_eq!(failure.exit(), Exit::InvalidInput);
        assert!(
            failure
                .message
                .starts_with("failed to parse x.json: invalid type: integer"),
            "{}",
            failure.message
        );
        assert!(
            !failure.message.contains("33142764978"),
            "{}",
            failure.message
        );
        let syntax = serde_json::from_str::<serde_json::Value>("{\"a\" 1}").unwrap_err();
        let failure = Failure::from(anyhow::Error::new(syntax).context("failed to parse x.json"));
        assert!(
            failure
                .message
                .starts_with("failed to parse x.json: expected `:`"),
            "{}",
            failure.message
        );
    }
}
