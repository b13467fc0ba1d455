//! `cargo xtask test`: the project's one test command.
//!
//! Runs [`setup`](crate::setup::setup) and [`servers::install`] (Redis and PostgreSQL), then
//! every step of [`STEPS`] in order, then the
//! semver check against [`baseline`], stopping at the first failure and naming it. Every step
//! finds the cargo tools of the setup first on `PATH`, and builds without incremental caches.
//! After setup and after every step it prints the build directory's size and the free space
//! on its disk (`disk`, Unix); with less than [`SEMVER_ROOM`] free before the semver step, it
//! first removes the earlier steps' builds ([`MAKE_ROOM`]).
//!
//! The release checks: `features` builds `qyvo` with each feature alone and with none
//! (cargo-hack); `deny` checks licences, bans, duplicate versions and sources (cargo-deny,
//! `deny.toml`; the advisory database is not fetched: it lives on GitHub, out of reach);
//! `package` is `cargo publish --dry-run` of the three published crates (the SDK, the mock and
//! the command line), after `forget` removed the sources and builds of the libraries cargo kept
//! from its last verification (`forget_verified_packages`); `semver` compares the libraries'
//! public API with the baseline (cargo-semver-checks); clippy's `incompatible_msrv` is denied
//! in the workspace lints, so the `clippy` step holds the code to `rust-version`.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

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
    ("test",     "cargo", &["test", "--workspace", "--all-features"],                                    &[("QYVO_TEST_TOOLS", "all")]),
    ("doc",      "cargo", &["doc", "--workspace", "--no-deps"],                                          &[("RUSTDOCFLAGS", "-D warnings")]),
    ("features", "cargo", &["hack", "check", "--package", "qyvo", "--each-feature", "--no-dev-deps"],    &[]),
    ("deny",     "cargo", &["deny", "--all-features", "check", "licenses", "bans", "sources"],           &[]),
    // The last verification's builds of the libraries (see `forget_verified_packages`).
    ("forget",   "cargo", &["clean", "--package", "qyvo", "--package", "qyvo-mock"],                 &[]),
    // A packaged member has no `[profile]` (only the workspace root's applies), so without the
    // variable the mock's and the CLI's verification rebuilt every dependency with full debug
    // info (229 units, 1.3 GB); with it, it reuses the dependencies built before (39, 0.3 GB).
    ("package",  "cargo", &["publish", "--dry-run", "--allow-dirty", "--package", "qyvo", "--package", "qyvo-mock", "--package", "qyvo-cli"], &[("CARGO_PROFILE_DEV_DEBUG", "0")]),
];

/// The published crates, whose public API the semver step checks, and their manifests.
pub const PUBLISHED: &[(&str, &str)] = &[
    ("qyvo", "Cargo.toml"),
    ("qyvo-mock", "qyvo-mock/Cargo.toml"),
];

/// The crates of [`PUBLISHED`] that were already published at the baseline: a crate the
/// baseline did not have, or marked `publish = false`, made no promise to keep.
///
/// `show` answers a file's content at the baseline, `None` when it has none.
///
/// ```
/// use xtask::ci::promised;
///
/// let show = |path: &str| match path {
///     "Cargo.toml" => Some("[package]\nname = \"qyvo\"\n".to_owned()),
///     _ => Some("[package]\nname = \"qyvo-mock\"\npublish = false\n".to_owned()),
/// };
/// assert_eq!(promised(show), ["qyvo"]);
/// ```
pub fn promised(show: impl Fn(&str) -> Option<String>) -> Vec<&'static str> {
    PUBLISHED
        .iter()
        .filter(|(_, manifest)| {
            show(manifest).is_some_and(|text| {
                !text
                    .lines()
                    .any(|line| line.replace(' ', "") == "publish=false")
            })
        })
        .map(|(name, _)| *name)
        .collect()
}

/// What the public API is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The git revision.
    pub rev: String,
    /// Why this one, for the log.
    pub why: &'static str,
}

/// The git command answering the newest commit that changed the root `Cargo.toml`'s
/// `version = ` line.
const VERSION_SET: &[&str] = &[
    "log",
    "-1",
    "--format=%H",
    "-G^version = ",
    "--",
    "Cargo.toml",
];

/// The semver baseline: the newest release tag (`v*`) reachable from `HEAD`; until a tag
/// exists, the commit that set the version `HEAD` has (the newest to change a `version = `
/// line of the root `Cargo.toml`), so that nothing since breaks the API without a new version,
/// however many commits land at once; and when `HEAD` is that commit, its parent, so that a
/// version bump is checked against the version before it. `None` when there is none (a first
/// commit, a shallow clone).
///
/// `git` answers a git command's trimmed output, `None` when it fails.
///
/// ```
/// use xtask::ci::baseline;
///
/// let git = |head: &'static str| {
///     move |args: &[&str]| match args {
///         ["describe", ..] => None,
///         ["rev-parse", "--verify", "--quiet", "HEAD"] => Some(head.to_owned()),
///         ["rev-parse", "--verify", "--quiet", "HEAD^"] => Some("c2".to_owned()),
///         ["log", ..] => Some("c3".to_owned()), // c3 set the version
///         _ => None,
///     }
/// };
/// assert_eq!(baseline(&git("c5")).unwrap().rev, "c3");
/// assert_eq!(baseline(&git("c3")).unwrap().rev, "c2");
/// ```
pub fn baseline(git: &impl Fn(&[&str]) -> Option<String>) -> Option<Baseline> {
    if let Some(tag) = git(&[
        "describe",
        "--tags",
        "--abbrev=0",
        "--match",
        "v[0-9]*",
        "HEAD",
    ]) {
        return Some(Baseline {
            rev: tag,
            why: "the last release tag",
        });
    }
    let head = git(&["rev-parse", "--verify", "--quiet", "HEAD"])?;
    let versioned = git(VERSION_SET)?;
    if versioned != head {
        return Some(Baseline {
            rev: versioned,
            why: "no release tag yet: the commit that set the current version",
        });
    }
    git(&["rev-parse", "--verify", "--quiet", "HEAD^"]).map(|parent| Baseline {
        rev: parent,
        why: "no release tag yet: this commit sets the version, so the one before it",
    })
}

/// Runs `git` in `root`, answering its trimmed standard output when it succeeds.
fn git_in(root: &Path) -> impl Fn(&[&str]) -> Option<String> + '_ {
    move |args| {
        let output = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
    }
}

/// The semver step for `packages` against `baseline`, every feature on: the APIs behind
/// `redis`, `postgres` and `webhooks` are promises too.
fn semver_step(root: &Path, baseline: &Baseline, packages: &[&str]) -> Invocation {
    let mut args = vec!["semver-checks", "check-release"];
    for package in packages {
        args.extend(["--package", package]);
    }
    args.extend(["--all-features", "--baseline-rev", &baseline.rev]);
    Invocation::new("cargo", args, root)
}

/// Why the test command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// Installing the tools failed.
    #[error("setup failed")]
    Setup(#[from] SetupError),
    /// A stale copy of a packaged crate could not be removed before the `package` step.
    #[error("cannot remove {path}")]
    Forget {
        /// The directory.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
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
    let git = git_in(root);
    let baseline = baseline(&git).map(|baseline| {
        let packages = promised(|manifest| git(&["show", &format!("{}:{manifest}", baseline.rev)]));
        (baseline, packages)
    });
    let free = || free_space(root);
    test_with(root, runner, baseline, &Host::probe(), &cargo_home(), &free)
}

/// Below this much free disk, the semver step first removes the earlier steps' builds
/// ([`MAKE_ROOM`]): its four target directories took 2.3 GiB in a clean run.
pub const SEMVER_ROOM: u64 = 4 << 30;

/// Removes the earlier steps' builds (`target/debug`), which the semver step does not use.
pub const MAKE_ROOM: &[&str] = &["clean", "--profile", "dev"];

/// [`test`] with its probes given: the servers' host, cargo's home, and the free disk.
fn test_with(
    root: &Path,
    runner: &mut dyn Runner,
    baseline: Option<(Baseline, Vec<&str>)>,
    host: &Host,
    cargo_home: &Path,
    free: &dyn Fn() -> Option<u64>,
) -> Result<(), TestError> {
    setup::setup(root, runner)?;
    servers::install(root, runner, host)?;
    report_disk(root, "setup");
    let path = search_path(root);
    // Incremental caches serve the next edit, and a test run has none: they were a sixth of a
    // clean run's build directory.
    let with_path =
        |invocation: Invocation| invocation.env("PATH", &path).env("CARGO_INCREMENTAL", "0");
    for &(step, program, args, env) in STEPS {
        if step == "forget" {
            forget_verified_packages(cargo_home)?;
        }
        let invocation = env.iter().fold(
            Invocation::new(program, args.iter().copied(), root),
            |inv, (name, value)| inv.env(name, value),
        );
        run_step(runner, root, step, &with_path(invocation))?;
    }
    let Some((baseline, packages)) = baseline else {
        eprintln!("semver: not checked: no release tag and no earlier version to compare with");
        return Ok(());
    };
    eprintln!("semver baseline: {} ({})", baseline.rev, baseline.why);
    for (name, _) in PUBLISHED {
        if !packages.contains(name) {
            eprintln!("semver: {name} not checked: not published at the baseline");
        }
    }
    if packages.is_empty() {
        return Ok(());
    }
    if free().is_some_and(|free| free < SEMVER_ROOM) {
        eprintln!(
            "disk: less than {} GiB free, and the semver step needs about 2.3: removing the \
             earlier steps' builds, which it does not use",
            SEMVER_ROOM >> 30
        );
        let clean = Invocation::new("cargo", MAKE_ROOM.iter().copied(), root);
        run_step(runner, root, "make room", &with_path(clean))?;
    }
    let semver = semver_step(root, &baseline, &packages);
    run_step(runner, root, "semver", &with_path(semver))
}

/// Runs one step and reports the disk after it, failed or not.
fn run_step(
    runner: &mut dyn Runner,
    root: &Path,
    step: &'static str,
    invocation: &Invocation,
) -> Result<(), TestError> {
    let ran = runner.run(invocation);
    report_disk(root, step);
    ran.map_err(|source| TestError::Step { step, source })
}

/// The free disk where the build directory is; `None` when not known.
#[cfg(unix)]
fn free_space(root: &Path) -> Option<u64> {
    crate::disk::free(&crate::disk::target_dir(root))
}

/// The free disk where the build directory is: not measured off Unix.
#[cfg(not(unix))]
fn free_space(_root: &Path) -> Option<u64> {
    None
}

/// Prints the build directory's size and the free space left after `step`: a run that fills
/// the disk then shows how much it had, and where it went.
fn report_disk(root: &Path, step: &str) {
    #[cfg(unix)]
    eprintln!(
        "disk after `{step}`: build directory {}",
        crate::disk::Usage::of(&crate::disk::target_dir(root))
    );
    #[cfg(not(unix))]
    let _ = (root, step);
}

/// Removes the sources cargo extracted when it last verified the workspace's libraries.
///
/// `cargo publish --dry-run` of several crates verifies each against the others through a
/// local registry (`target/package/tmp-registry`), whose packages cargo extracts under
/// `$CARGO_HOME/registry/src/-<hash>/` and never again for the same name and version, and
/// whose builds it never rebuilds either: a second run would compile (or reuse) the first
/// run's sources, and fail on any API added since. The `forget` step removes the builds
/// (`cargo clean`), this the sources; the crates.io copies (`index.crates.io-…`) are left alone.
fn forget_verified_packages(cargo_home: &Path) -> Result<(), TestError> {
    let Ok(registries) = std::fs::read_dir(cargo_home.join("registry").join("src")) else {
        return Ok(());
    };
    let local = registries
        .flatten()
        .filter(|registry| registry.file_name().to_string_lossy().starts_with('-'));
    for registry in local {
        for entry in std::fs::read_dir(registry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours = PUBLISHED.iter().any(|(package, _)| {
                name.strip_prefix(package)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours {
                let path = entry.path();
                std::fs::remove_dir_all(&path)
                    .map_err(|source| TestError::Forget { path, source })?;
            }
        }
    }
    Ok(())
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> std::path::PathBuf {
    std::env::var_os("CARGO_HOME").map_or_else(
        || {
            std::env::var_os("HOME")
                .map(std::path::PathBuf::from)
                .unwrap_or_default()
                .join(".cargo")
        },
        std::path::PathBuf::from,
    )
}

/// `PATH` with the setup's cargo tools first.
fn search_path(root: &Path) -> String {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(setup::cargo_bin(root)).chain(std::env::split_paths(&inherited));
    std::env::join_paths(paths)
        .unwrap_or_else(|_| OsString::from(setup::cargo_bin(root)))
        .to_string_lossy()
        .into_owned()
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

    /// Free disk enough for every step.
    fn plenty() -> Option<u64> {
        Some(SEMVER_ROOM * 4)
    }

    /// Runs every step against baseline `abc123` for `packages` with `free` disk, failing none.
    fn run_all(root: &Path, packages: Vec<&str>, free: &dyn Fn() -> Option<u64>) -> Recorder {
        let mut recorder = Recorder {
            ran: Vec::new(),
            fail_on: "never",
        };
        let base = Baseline {
            rev: "abc123".into(),
            why: "test",
        };
        test_with(
            root,
            &mut recorder,
            Some((base, packages)),
            &READY,
            root,
            free,
        )
        .unwrap();
        recorder
    }

    #[test]
    fn runs_every_step_in_order() {
        let root = tempfile::tempdir().unwrap();
        let recorder = run_all(root.path(), vec!["qyvo", "qyvo-mock"], &plenty);
        let without_path: Vec<String> = recorder
            .ran
            .iter()
            .filter(|line| !line.starts_with("cargo install"))
            .map(|line| {
                line.split_once(" cargo ")
                    .map_or(line.clone(), |(_, rest)| format!("cargo {rest}"))
            })
            .map(|line| line.replace("QYVO_TEST_TOOLS=all ", ""))
            .collect();
        let steps: Vec<&String> = recorder
            .ran
            .iter()
            .filter(|line| line.contains("PATH="))
            .collect();
        assert_eq!(steps.len(), without_path.len());
        assert!(
            steps
                .iter()
                .all(|line| line.contains(" CARGO_INCREMENTAL=0 ")),
            "{steps:?}"
        );
        assert_eq!(
            without_path,
            [
                "cargo fmt --all --check",
                "cargo clippy --workspace --all-targets --all-features -- -D warnings",
                "cargo test --workspace --all-features",
                "cargo doc --workspace --no-deps",
                "cargo hack check --package qyvo --each-feature --no-dev-deps",
                "cargo deny --all-features check licenses bans sources",
                "cargo clean --package qyvo --package qyvo-mock",
                "cargo publish --dry-run --allow-dirty --package qyvo --package qyvo-mock --package qyvo-cli",
                "cargo semver-checks check-release --package qyvo --package qyvo-mock --all-features --baseline-rev abc123",
            ]
        );
        let tools = setup::cargo_bin(root.path());
        let test_step = recorder
            .ran
            .iter()
            .find(|l| l.contains("cargo test"))
            .unwrap();
        assert!(
            test_step.starts_with("QYVO_TEST_TOOLS=all PATH="),
            "{test_step}"
        );
        assert!(
            test_step.contains(&tools.display().to_string()),
            "{test_step}"
        );
    }

    #[test]
    fn stops_at_the_first_failure_and_names_it() {
        let root = tempfile::tempdir().unwrap();
        let mut recorder = Recorder {
            ran: Vec::new(),
            fail_on: "clippy",
        };
        let unknown = || None;
        let err = test_with(
            root.path(),
            &mut recorder,
            None,
            &READY,
            root.path(),
            &unknown,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "step `clippy` failed");
        assert_eq!(
            recorder.ran.last().map(|l| l.contains("clippy")),
            Some(true)
        );
    }

    #[test]
    fn the_baseline_is_the_last_tag_then_the_commit_that_set_the_version() {
        let git = |tag: Option<&str>, versioned: Option<&str>| {
            let tag = tag.map(str::to_owned);
            let versioned = versioned.map(str::to_owned);
            move |args: &[&str]| match args {
                ["describe", ..] => tag.clone(),
                ["rev-parse", "--verify", "--quiet", "HEAD"] => Some("head".to_owned()),
                ["rev-parse", "--verify", "--quiet", "HEAD^"] => Some("parent".to_owned()),
                args if args == VERSION_SET => versioned.clone(),
                _ => None,
            }
        };
        assert_eq!(
            baseline(&git(Some("v0.1.0"), Some("bump"))).unwrap().rev,
            "v0.1.0"
        );
        assert_eq!(baseline(&git(None, Some("bump"))).unwrap().rev, "bump");
        assert_eq!(baseline(&git(None, Some("head"))).unwrap().rev, "parent");
        assert_eq!(baseline(&git(None, None)), None);
        assert_eq!(baseline(&|_: &[&str]| None), None);
    }

    #[test]
    fn the_last_verification_of_the_libraries_is_forgotten() {
        let home = tempfile::tempdir().unwrap();
        let src = home.path().join("registry/src");
        let dirs = [
            "-147f2ee8d0e64a9c/qyvo-0.1.0",
            "-147f2ee8d0e64a9c/qyvo-mock-0.1.0",
            "-147f2ee8d0e64a9c/qyvo-extra-0.1.0",
            "-147f2ee8d0e64a9c/serde-1.0.228",
            "index.crates.io-1949cf8c6b5b557f/qyvo-0.1.0",
        ];
        for dir in dirs {
            std::fs::create_dir_all(src.join(dir).join("src")).unwrap();
        }
        forget_verified_packages(home.path()).unwrap();
        let left: Vec<bool> = dirs.iter().map(|dir| src.join(dir).exists()).collect();
        assert_eq!(left, [false, false, true, true, true]);
        // No registry yet: nothing to do.
        forget_verified_packages(&home.path().join("nowhere")).unwrap();
    }

    #[test]
    fn a_short_disk_makes_room_before_semver_and_an_unknown_one_does_not() {
        let commands = |free: &dyn Fn() -> Option<u64>| {
            let root = tempfile::tempdir().unwrap();
            let ran = run_all(root.path(), vec!["qyvo"], free).ran;
            ran.iter()
                .rev()
                .take(2)
                .map(|line| {
                    line.split_once(" cargo ")
                        .map_or(line.clone(), |(_, c)| c.to_owned())
                })
                .collect::<Vec<String>>()
        };
        let short = commands(&|| Some(SEMVER_ROOM - 1));
        assert_eq!(short[1], MAKE_ROOM.join(" "));
        assert!(short[0].starts_with("semver-checks "), "{short:?}");
        let unknown = commands(&|| None);
        assert!(unknown[1].starts_with("publish "), "{unknown:?}");
    }

    #[test]
    fn only_crates_published_at_the_baseline_are_checked() {
        assert_eq!(promised(|_| None), Vec::<&str>::new());
        let published = |_: &str| Some("[package]\npublish = true\n".to_owned());
        assert_eq!(promised(published), ["qyvo", "qyvo-mock"]);
        let root = tempfile::tempdir().unwrap();
        let recorder = run_all(root.path(), vec!["qyvo"], &plenty);
        let semver = recorder.ran.last().unwrap();
        assert!(semver.ends_with("cargo semver-checks check-release --package qyvo --all-features --baseline-rev abc123"), "{semver}");
    }
}
