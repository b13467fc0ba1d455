//! `cargo xtask test`: the project's one test command.
//!
//! Runs [`setup`](crate::setup::setup) and [`servers::install`], then every step of [`STEPS`]
//! in order, stopping at the first failure and naming it.

use std::path::Path;

use crate::run::{Invocation, RunError, Runner};
use crate::servers::{self, Host};
use crate::setup::{self, SetupError};

/// One step: a name, the program, its arguments, extra environment.
pub type Step = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The steps after setup, in order.
#[rustfmt::skip]
pub const STEPS: &[Step] = &[
    // name      program   arguments                                                                      environment
    ("fmt",      "cargo", &["fmt", "--all", "--check"],                                                  &[]),
    ("clippy",   "cargo", &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"], &[]),
    ("test",     "cargo", &["test", "--workspace", "--all-features"],                                    &[]),
    ("doc",      "cargo", &["doc", "--workspace", "--no-deps"],                                          &[("RUSTDOCFLAGS", "-D warnings")]),
];

/// Why the test command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// Installing the tools failed.
    #[error("setup failed")]
    Setup(#[from] SetupError),
    /// A step failed.
    #[error("step `{step}` failed")]
    Step {
        /// The step name.
        step: &'static str,
        /// The command's failure.
        #[source]
        source: RunError,
    },
}

/// Runs setup and every step in `root`, failing fast.
///
/// ```no_run
/// xtask::ci::test(std::path::Path::new("."), &mut xtask::run::System)?;
/// # Ok::<(), xtask::ci::TestError>(())
/// ```
pub fn test(root: &Path, runner: &mut dyn Runner) -> Result<(), TestError> {
    test_on(root, runner, &Host::probe())
}

/// [`test()`] on a host whose servers are known (the tests say which).
pub fn test_on(root: &Path, runner: &mut dyn Runner, host: &Host) -> Result<(), TestError> {
    setup::setup(root, runner)?;
    servers::install(root, runner, host)?;
    for &(step, program, args, env) in STEPS {
        let invocation = env.iter().fold(
            Invocation::new(program, args.iter().copied(), root),
            |inv, (name, value)| inv.env(name, value),
        );
        runner
            .run(&invocation)
            .map_err(|source| TestError::Step { step, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine with the servers installed: nothing to do for them.
    const READY: Host = Host {
        installed: true,
        root: true,
    };

    struct Recorder {
        ran: Vec<String>,
        fail_on: &'static str,
    }

    impl Runner for Recorder {
        fn run(&mut self, invocation: &Invocation) -> Result<(), RunError> {
            let line = invocation.to_string();
            self.ran.push(line.clone());
            if line.contains(self.fail_on) {
                return Err(RunError::Failed {
                    command: line,
                    status: "exit status: 101".into(),
                });
            }
            Ok(())
        }
    }

    #[test]
    fn runs_every_step_in_order() {
        let root = tempfile::tempdir().unwrap();
        let mut recorder = Recorder {
            ran: Vec::new(),
            fail_on: "never",
        };
        test_on(root.path(), &mut recorder, &READY).unwrap();
        assert_eq!(
            recorder.ran,
            [
                "cargo fmt --all --check",
                "cargo clippy --workspace --all-targets --all-features -- -D warnings",
                "cargo test --workspace --all-features",
                "RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps",
            ]
        );
    }

    #[test]
    fn stops_at_the_first_failure_and_names_it() {
        let root = tempfile::tempdir().unwrap();
        let mut recorder = Recorder {
            ran: Vec::new(),
            fail_on: "clippy",
        };
        let err = test_on(root.path(), &mut recorder, &READY).unwrap_err();
        assert_eq!(err.to_string(), "step `clippy` failed");
        assert_eq!(recorder.ran.len(), 2);
    }
}
