//! The workspace's switch for tests that need tools beyond the Rust toolchain.
//!
//! `cargo test` passes offline with only the Rust toolchain. Tests that need Node.js (Prism),
//! Python (schemathesis, openapi-spec-validator), cargo-semver-checks or a real server (Redis,
//! PostgreSQL) run when the environment variable [`VARIABLE`] (`QYVO_TEST_TOOLS`) names their
//! [`Tool`]:
//!
//! ```sh
//! cargo xtask setup                                 # installs them under tools/
//! QYVO_TEST_TOOLS=node,python,semver-checks cargo test --workspace
//! QYVO_TEST_TOOLS=all cargo test --workspace        # every tool (what `cargo xtask test` sets)
//! ```
//!
//! Such a test binary has its own `main` ([`run`]): a test whose tool is not named shows as
//! `ignored` in the test output, and the binary prints first which tests and why; a test whose
//! tool *is* named runs, and fails if the tool is missing. So a test is never skipped
//! silently, and CI, which names every tool, never passes without running them. A name the
//! switch does not know is an error, so a typo cannot switch tests off.
//!
//! ```
//! use qyvo_test_tools::{Switch, Tool};
//!
//! let switch = Switch::parse("node, python")?;
//! assert!(switch.enables(Tool::Node));
//! assert!(!switch.enables(Tool::SemverChecks));
//! assert!(Switch::parse("all")?.enables(Tool::SemverChecks));
//! assert!(Switch::parse("nodejs").is_err());
//! # Ok::<(), qyvo_test_tools::UnknownTool>(())
//! ```

pub mod conformance;

use std::fmt;
use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};

/// The environment variable naming the enabled tools, comma-separated (or `all`).
pub const VARIABLE: &str = "QYVO_TEST_TOOLS";

/// A tool some tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tool {
    /// Node.js with Stoplight Prism under `tools/node_modules` (`cargo xtask setup`).
    Node,
    /// Python with schemathesis and openapi-spec-validator under `tools/.venv`.
    Python,
    /// cargo-semver-checks under `tools/cargo` (`cargo xtask setup`).
    SemverChecks,
    /// `redis-server`, from Debian's package (`cargo xtask setup`); the tests start their own.
    Redis,
    /// PostgreSQL's server binaries, from Debian's package (`cargo xtask setup`); the tests
    /// start their own cluster.
    Postgres,
}

impl Tool {
    /// Every tool, in the order the switch lists them.
    pub const ALL: &[Tool] = &[
        Tool::Node,
        Tool::Python,
        Tool::SemverChecks,
        Tool::Redis,
        Tool::Postgres,
    ];

    /// The name in [`VARIABLE`].
    pub fn name(self) -> &'static str {
        match self {
            Tool::Node => "node",
            Tool::Python => "python",
            Tool::SemverChecks => "semver-checks",
            Tool::Redis => "redis",
            Tool::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name in [`VARIABLE`] that is no [`Tool`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTool(pub String);

impl fmt::Display for UnknownTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<_> = Tool::ALL.iter().map(|t| t.name()).collect();
        write!(
            f,
            "{VARIABLE} names `{}`, which is not a tool (known: {}, all)",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownTool {}

/// The tools enabled for this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Switch {
    enabled: Vec<Tool>,
}

impl Switch {
    /// Reads [`VARIABLE`]; unset or empty enables nothing.
    ///
    /// # Errors
    ///
    /// [`UnknownTool`] for a name that is no tool.
    pub fn from_env() -> Result<Switch, UnknownTool> {
        Switch::parse(&std::env::var(VARIABLE).unwrap_or_default())
    }

    /// Parses a comma-separated list of tool names, or `all`.
    ///
    /// # Errors
    ///
    /// [`UnknownTool`] for a name that is no tool.
    pub fn parse(list: &str) -> Result<Switch, UnknownTool> {
        let mut enabled = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                enabled.extend_from_slice(Tool::ALL);
                continue;
            }
            let tool = Tool::ALL
                .iter()
                .find(|t| t.name() == name)
                .ok_or_else(|| UnknownTool(name.to_owned()))?;
            enabled.push(*tool);
        }
        Ok(Switch { enabled })
    }

    /// Whether `tool` is enabled.
    pub fn enables(&self, tool: Tool) -> bool {
        self.enabled.contains(&tool)
    }

    /// Marks `trial` ignored unless every tool of `needs` is enabled; says so in `notes`.
    fn gate(&self, trial: Trial, needs: &[Tool], notes: &mut Vec<String>) -> Trial {
        let missing: Vec<&str> = needs
            .iter()
            .filter(|t| !self.enables(**t))
            .map(|t| t.name())
            .collect();
        if missing.is_empty() {
            return trial;
        }
        notes.push(format!(
            "{} needs {}",
            trial.name(),
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
        trial.with_ignored_flag(true)
    }
}

/// A test and the tools it needs.
pub struct Gated {
    trial: Trial,
    needs: &'static [Tool],
}

impl fmt::Debug for Gated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gated")
            .field("name", &self.trial.name())
            .field("needs", &self.needs)
            .finish()
    }
}

/// A test that needs `needs`, its body a function that panics on failure.
pub fn test(name: &'static str, needs: &'static [Tool], body: fn()) -> Gated {
    Gated {
        trial: Trial::test(name, move || {
            body();
            Ok(())
        }),
        needs,
    }
}

/// An async test that needs `needs`, run on a two-worker tokio runtime of its own.
pub fn async_test<F>(name: &'static str, needs: &'static [Tool], body: fn() -> F) -> Gated
where
    F: Future<Output = ()> + Send + 'static,
{
    test_trial(
        Trial::test(name, move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot build a tokio runtime: {e}"))?
                .block_on(body());
            Ok(())
        }),
        needs,
    )
}

/// An already built libtest trial that needs `needs`.
pub fn test_trial(trial: Trial, needs: &'static [Tool]) -> Gated {
    Gated { trial, needs }
}

/// The `main` of a test binary with tests that need tools: parses the usual test arguments,
/// marks the tests whose tools [`VARIABLE`] does not name as ignored and prints why, runs.
///
/// An unknown tool name in [`VARIABLE`] fails the binary before any test runs.
pub fn run(tests: Vec<Gated>) -> ExitCode {
    run_with(Arguments::from_args(), tests)
}

/// [`run`] with test arguments of the binary's own (e.g. one test thread at a time).
pub fn run_with(arguments: Arguments, tests: Vec<Gated>) -> ExitCode {
    let switch = match Switch::from_env() {
        Ok(switch) => switch,
        Err(unknown) => {
            eprintln!("error: {unknown}");
            return ExitCode::FAILURE;
        }
    };
    let mut notes = Vec::new();
    let trials = tests
        .into_iter()
        .map(|g| switch.gate(g.trial, g.needs, &mut notes))
        .collect();
    if !notes.is_empty() {
        eprintln!(
            "note: not run (shown as ignored) because {VARIABLE} does not name their tool; \
             `cargo xtask test` installs every tool and sets {VARIABLE}=all:"
        );
        for note in &notes {
            eprintln!("note:   {note}");
        }
    }
    libtest_mimic::run(&arguments, trials).exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_all_enables_everything() {
        for tool in Tool::ALL {
            assert!(Switch::parse(tool.name()).unwrap().enables(*tool));
        }
        let all = Switch::parse(" all ").unwrap();
        assert!(Tool::ALL.iter().all(|t| all.enables(*t)));
        let none = Switch::parse("").unwrap();
        assert!(Tool::ALL.iter().all(|t| !none.enables(*t)));
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_known_ones() {
        let err = Switch::parse("node,pyhton").unwrap_err();
        assert_eq!(err, UnknownTool("pyhton".into()));
        let message = err.to_string();
        assert!(
            message.contains("node, python, semver-checks, redis, postgres, all"),
            "{message}"
        );
    }

    #[test]
    fn gating_ignores_only_tests_whose_tools_are_off_and_names_them() {
        let switch = Switch::parse("node").unwrap();
        let mut notes = Vec::new();
        let on = switch.gate(Trial::test("on", || Ok(())), &[Tool::Node], &mut notes);
        let off = switch.gate(
            Trial::test("off", || Ok(())),
            &[Tool::Node, Tool::Python],
            &mut notes,
        );
        assert!(!on.has_ignored_flag());
        assert!(off.has_ignored_flag());
        assert_eq!(notes, ["off needs `python`"]);
    }
}
