//! Running external commands, behind a trait so that jobs can be tested without running them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One external command: program, arguments, extra environment and working directory.
///
/// ```
/// use xtask::run::Invocation;
///
/// let doc = Invocation::new("cargo", ["doc", "--no-deps"], "/repo").env("RUSTDOCFLAGS", "-D warnings");
/// assert_eq!(doc.to_string(), "RUSTDOCFLAGS=\"-D warnings\" cargo doc --no-deps");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The program.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// The working directory.
    pub dir: PathBuf,
}

impl Invocation {
    /// A command run in `dir` with the inherited environment.
    pub fn new<I, S>(program: &str, args: I, dir: impl AsRef<Path>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            program: program.to_owned(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            dir: dir.as_ref().to_owned(),
        }
    }

    /// The same command with one more environment variable.
    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }
}

fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+@".contains(c))
    {
        word.to_owned()
    } else {
        format!("{word:?}")
    }
}

impl fmt::Display for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.env {
            write!(f, "{name}={} ", shell_word(value))?;
        }
        f.write_str(&shell_word(&self.program))?;
        self.args
            .iter()
            .try_for_each(|a| write!(f, " {}", shell_word(a)))
    }
}

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The program could not be started (not installed?).
    #[error("cannot start `{command}`")]
    Spawn {
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The program exited unsuccessfully.
    #[error("`{command}` failed ({status})")]
    Failed {
        /// The command line.
        command: String,
        /// The exit status, as printed by the OS.
        status: String,
    },
}

/// Runs invocations.
pub trait Runner {
    /// Runs `invocation` to completion; `Ok` only when it exits successfully.
    fn run(&mut self, invocation: &Invocation) -> Result<(), RunError>;
}

/// Runs invocations as child processes that share this process's terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct System;

impl Runner for System {
    fn run(&mut self, invocation: &Invocation) -> Result<(), RunError> {
        eprintln!("$ {invocation}");
        let status = Command::new(&invocation.program)
            .args(&invocation.args)
            .envs(invocation.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&invocation.dir)
            .status()
            .map_err(|source| RunError::Spawn {
                command: invocation.to_string(),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(RunError::Failed {
                command: invocation.to_string(),
                status: status.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_runner_reports_exit_status_and_missing_programs() {
        let dir = std::env::temp_dir();
        assert!(System.run(&Invocation::new("true", [""; 0], &dir)).is_ok());
        let failed = System
            .run(&Invocation::new("false", [""; 0], &dir))
            .unwrap_err();
        assert!(matches!(failed, RunError::Failed { .. }), "{failed}");
        let missing = System
            .run(&Invocation::new("xtask-no-such-program", [""; 0], &dir))
            .unwrap_err();
        assert!(matches!(missing, RunError::Spawn { .. }));
    }

    #[test]
    fn display_quotes_only_what_needs_it() {
        let inv = Invocation::new("pip", ["install", "-r", "a b.txt"], "/").env("X", "1");
        assert_eq!(inv.to_string(), "X=1 pip install -r \"a b.txt\"");
    }
}
