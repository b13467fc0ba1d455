//! `cargo xtask setup`: installs the test tools under `tools/`, skipping what is up to date.
//!
//! - Node: `npm ci --prefix tools`, skipped while `tools/node_modules/.package-lock.json` (written
//!   by npm on install) is newer than `tools/package-lock.json`.
//! - Python: `python3 -m venv tools/.venv` (once) and `tools/.venv/bin/pip install -r
//!   tools/requirements.txt`, skipped while the stamp `tools/.venv/requirements.sha256` holds the
//!   sha256 of `tools/requirements.txt`.
//! - Cargo tools ([`CARGO_TOOLS`]: cargo-hack, cargo-deny, cargo-semver-checks, pinned):
//!   `cargo install --locked --root tools/cargo <name>@<version>` from crates.io (compiled from
//!   source: no prebuilt binary is downloaded), skipped for each one `tools/cargo/.crates.toml`
//!   already records at that version. The steps of `cargo xtask test` find them on `PATH`
//!   ([`cargo_bin`]).
//!
//! A missing manifest skips its tool ([`Status::NoManifest`]).

use std::fs;
use std::path::{Path, PathBuf};

use crate::run::{Invocation, RunError, Runner};
use crate::spec::sha256_hex;

/// npm's lock file.
pub const PACKAGE_LOCK: &str = "tools/package-lock.json";
/// The copy npm writes into `node_modules` on install.
pub const INSTALLED_LOCK: &str = "tools/node_modules/.package-lock.json";
/// pip's requirements.
pub const REQUIREMENTS: &str = "tools/requirements.txt";
/// The virtual environment.
pub const VENV: &str = "tools/.venv";
/// The stamp holding the sha256 of the installed requirements.
pub const STAMP: &str = "tools/.venv/requirements.sha256";
/// Where `cargo install` puts the cargo tools (`bin/` and its record of what it installed).
pub const CARGO_ROOT: &str = "tools/cargo";
/// The cargo tools of the release checks and tests, pinned: name and version.
pub const CARGO_TOOLS: &[(&str, &str)] = &[
    ("cargo-hack", "0.6.46"),
    ("cargo-deny", "0.20.2"),
    ("cargo-semver-checks", "0.51.0"),
];

/// The directory holding the cargo tools' binaries, to put first on `PATH`.
pub fn cargo_bin(root: &Path) -> PathBuf {
    root.join(CARGO_ROOT).join("bin")
}

/// What setup did for one tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Installed now.
    Installed,
    /// Already up to date; nothing ran.
    UpToDate,
    /// The manifest does not exist; nothing to install.
    NoManifest,
}

/// What setup did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The npm tools.
    pub node: Status,
    /// The Python tools.
    pub python: Status,
    /// The cargo tools: `Installed` when at least one was installed now.
    pub cargo: Status,
}

/// Why setup failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// An install command failed.
    #[error("setup step `{step}` failed")]
    Step {
        /// The step name.
        step: &'static str,
        /// The command's failure.
        #[source]
        source: RunError,
    },
    /// A file could not be inspected or written.
    #[error("cannot access {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Installs what is missing or stale under `root/tools`.
///
/// ```no_run
/// let done = xtask::setup::setup(std::path::Path::new("."), &mut xtask::run::System)?;
/// println!("{done:?}");
/// # Ok::<(), xtask::setup::SetupError>(())
/// ```
pub fn setup(root: &Path, runner: &mut dyn Runner) -> Result<Setup, SetupError> {
    Ok(Setup {
        node: node(root, runner)?,
        python: python(root, runner)?,
        cargo: cargo_tools(root, runner)?,
    })
}

fn cargo_tools(root: &Path, runner: &mut dyn Runner) -> Result<Status, SetupError> {
    let record = root.join(CARGO_ROOT).join(".crates.toml");
    let installed = match fs::read_to_string(&record) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(&record)(e)),
    };
    let mut status = Status::UpToDate;
    for (name, version) in CARGO_TOOLS {
        // `.crates.toml` lists `"<name> <version> (<source>)" = [<binaries>]`.
        if installed.contains(&format!("\"{name} {version} (")) {
            continue;
        }
        let spec = format!("{name}@{version}");
        runner
            .run(&Invocation::new(
                "cargo",
                ["install", "--locked", "--root", CARGO_ROOT, &spec],
                root,
            ))
            .map_err(|source| SetupError::Step {
                step: "cargo install",
                source,
            })?;
        status = Status::Installed;
    }
    Ok(status)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SetupError + '_ {
    move |source| SetupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The modification time of `path`, `None` when it does not exist.
fn modified(path: &Path) -> Result<Option<std::time::SystemTime>, SetupError> {
    match fs::metadata(path) {
        Ok(meta) => meta.modified().map(Some).map_err(io(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

fn node(root: &Path, runner: &mut dyn Runner) -> Result<Status, SetupError> {
    let Some(lock) = modified(&root.join(PACKAGE_LOCK))? else {
        return Ok(Status::NoManifest);
    };
    if modified(&root.join(INSTALLED_LOCK))?.is_some_and(|installed| installed > lock) {
        return Ok(Status::UpToDate);
    }
    runner
        .run(&Invocation::new("npm", ["ci", "--prefix", "tools"], root))
        .map_err(|source| SetupError::Step {
            step: "npm ci",
            source,
        })?;
    Ok(Status::Installed)
}

fn python(root: &Path, runner: &mut dyn Runner) -> Result<Status, SetupError> {
    let requirements = root.join(REQUIREMENTS);
    let wanted = match fs::read(&requirements) {
        Ok(bytes) => sha256_hex(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Status::NoManifest),
        Err(e) => return Err(io(&requirements)(e)),
    };
    let stamp = root.join(STAMP);
    let python = root.join(VENV).join("bin/python");
    if python.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == wanted) {
        return Ok(Status::UpToDate);
    }
    if !python.exists() {
        runner
            .run(&Invocation::new("python3", ["-m", "venv", VENV], root))
            .map_err(|source| SetupError::Step {
                step: "python venv",
                source,
            })?;
    }
    let pip = format!("{VENV}/bin/pip");
    runner
        .run(&Invocation::new(
            &pip,
            ["install", "-r", REQUIREMENTS],
            root,
        ))
        .map_err(|source| SetupError::Step {
            step: "pip install",
            source,
        })?;
    fs::write(&stamp, format!("{wanted}\n")).map_err(io(&stamp))?;
    Ok(Status::Installed)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    /// Records invocations and plays the part of npm / venv on the fixture directory.
    struct Fake {
        root: PathBuf,
        ran: Vec<String>,
        fail: Option<&'static str>,
    }

    impl Runner for Fake {
        fn run(&mut self, invocation: &Invocation) -> Result<(), RunError> {
            let line = invocation.to_string();
            self.ran.push(line.clone());
            if self.fail.is_some_and(|f| line.starts_with(f)) {
                return Err(RunError::Failed {
                    command: line,
                    status: "exit status: 1".into(),
                });
            }
            if invocation.program == "cargo" {
                let record = self.root.join(CARGO_ROOT).join(".crates.toml");
                fs::create_dir_all(record.parent().unwrap()).unwrap();
                let spec = invocation.args.last().unwrap().replace('@', " ");
                let mut text = fs::read_to_string(&record).unwrap_or_default();
                text.push_str(&format!("\"{spec} (registry+x)\" = []\n"));
                fs::write(&record, text).unwrap();
            } else if invocation.program == "npm" {
                let installed = self.root.join(INSTALLED_LOCK);
                fs::create_dir_all(installed.parent().unwrap()).unwrap();
                fs::write(&installed, "{}").unwrap();
            } else if invocation.program == "python3" {
                fs::create_dir_all(self.root.join(VENV).join("bin")).unwrap();
                fs::write(self.root.join(VENV).join("bin/python"), "").unwrap();
            }
            Ok(())
        }
    }

    /// Sets the modification time of the package lock under `root`.
    fn set_lock_modified(root: &Path, time: SystemTime) {
        fs::File::options()
            .write(true)
            .open(root.join(PACKAGE_LOCK))
            .unwrap()
            .set_modified(time)
            .unwrap();
    }

    fn fixture() -> (tempfile::TempDir, Fake) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("tools")).unwrap();
        fs::write(dir.path().join(PACKAGE_LOCK), "{}").unwrap();
        fs::write(dir.path().join(REQUIREMENTS), "pytest==8.3.3\n").unwrap();
        // The lock was written in the past, so a fresh install is newer.
        set_lock_modified(dir.path(), SystemTime::now() - Duration::from_secs(3600));
        let fake = Fake {
            root: dir.path().to_owned(),
            ran: Vec::new(),
            fail: None,
        };
        (dir, fake)
    }

    #[test]
    fn installs_once_then_skips() {
        let (dir, mut fake) = fixture();
        let first = setup(dir.path(), &mut fake).unwrap();
        assert_eq!(
            first,
            Setup {
                node: Status::Installed,
                python: Status::Installed,
                cargo: Status::Installed,
            }
        );
        assert_eq!(
            fake.ran,
            [
                "npm ci --prefix tools",
                "python3 -m venv tools/.venv",
                "tools/.venv/bin/pip install -r tools/requirements.txt",
                "cargo install --locked --root tools/cargo cargo-hack@0.6.46",
                "cargo install --locked --root tools/cargo cargo-deny@0.20.2",
                "cargo install --locked --root tools/cargo cargo-semver-checks@0.51.0",
            ]
        );
        fake.ran.clear();
        let second = setup(dir.path(), &mut fake).unwrap();
        assert_eq!(
            second,
            Setup {
                node: Status::UpToDate,
                python: Status::UpToDate,
                cargo: Status::UpToDate,
            }
        );
        assert!(fake.ran.is_empty());
    }

    #[test]
    fn a_cargo_tool_at_another_version_is_reinstalled_alone() {
        let (dir, mut fake) = fixture();
        setup(dir.path(), &mut fake).unwrap();
        let record = dir.path().join(CARGO_ROOT).join(".crates.toml");
        let text = fs::read_to_string(&record).unwrap();
        fs::write(
            &record,
            text.replace("cargo-deny 0.20.2", "cargo-deny 0.19.0"),
        )
        .unwrap();
        fake.ran.clear();
        let again = setup(dir.path(), &mut fake).unwrap();
        assert_eq!(again.cargo, Status::Installed);
        assert_eq!(
            fake.ran,
            ["cargo install --locked --root tools/cargo cargo-deny@0.20.2"]
        );
    }

    #[test]
    fn changed_manifests_reinstall_without_recreating_the_venv() {
        let (dir, mut fake) = fixture();
        setup(dir.path(), &mut fake).unwrap();
        fake.ran.clear();
        fs::write(dir.path().join(REQUIREMENTS), "pytest==8.4.0\n").unwrap();
        set_lock_modified(dir.path(), SystemTime::now() + Duration::from_secs(3600));
        setup(dir.path(), &mut fake).unwrap();
        assert_eq!(
            fake.ran,
            [
                "npm ci --prefix tools",
                "tools/.venv/bin/pip install -r tools/requirements.txt",
            ]
        );
    }

    #[test]
    fn missing_manifests_skip_and_failures_name_the_step() {
        let empty = tempfile::tempdir().unwrap();
        let mut fake = Fake {
            root: empty.path().to_owned(),
            ran: Vec::new(),
            fail: None,
        };
        let none = setup(empty.path(), &mut fake).unwrap();
        assert_eq!(
            (none.node, none.python),
            (Status::NoManifest, Status::NoManifest)
        );
        assert!(fake.ran.iter().all(|r| r.starts_with("cargo install")));

        let (dir, mut fake) = fixture();
        fake.fail = Some("tools/.venv/bin/pip");
        let err = setup(dir.path(), &mut fake).unwrap_err();
        assert_eq!(err.to_string(), "setup step `pip install` failed");
        assert!(
            !dir.path().join(STAMP).exists(),
            "no stamp after a failed install"
        );
    }
}
