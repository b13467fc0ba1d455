//! `cargo xtask setup`'s servers: Redis and PostgreSQL from Debian's packages, for the tests
//! that start them (`tests/support/servers.rs` runs them on 127.0.0.1 in temporary
//! directories).
//!
//! Skipped when `redis-server` is on the `PATH` and a PostgreSQL server is under
//! `/usr/lib/postgresql/<version>/bin`; otherwise `apt-get update` and `apt-get install`, as
//! root or through `sudo -n` (which fails at once, instead of asking, when a password is
//! needed).

use std::path::Path;

use crate::run::{Invocation, Runner};
use crate::setup::{SetupError, Status};

/// The Debian packages installed.
pub const PACKAGES: [&str; 2] = ["redis-server", "postgresql"];

/// What setup needs to know of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// Whether both servers are installed.
    pub installed: bool,
    /// Whether this process runs as root.
    pub root: bool,
}

impl Host {
    /// This machine.
    pub fn probe() -> Self {
        let redis = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join("redis-server").is_file())
        });
        let postgres = std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
            versions
                .filter_map(Result::ok)
                .any(|version| version.path().join("bin/postgres").is_file())
        });
        Self {
            installed: redis && postgres,
            root: is_root(),
        }
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // `/proc/self` belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// Installs the servers on `host` unless they are there.
///
/// ```no_run
/// use xtask::servers::{Host, install};
///
/// let done = install(std::path::Path::new("."), &mut xtask::run::System, &Host::probe())?;
/// println!("{done:?}");
/// # Ok::<(), xtask::setup::SetupError>(())
/// ```
pub fn install(root: &Path, runner: &mut dyn Runner, host: &Host) -> Result<Status, SetupError> {
    if host.installed {
        return Ok(Status::UpToDate);
    }
    let install: Vec<&str> = ["install", "-y", "--no-install-recommends"]
        .into_iter()
        .chain(PACKAGES)
        .collect();
    for (step, args) in [
        ("apt-get update", vec!["update"]),
        ("apt-get install", install),
    ] {
        let invocation = if host.root {
            Invocation::new("apt-get", args, root)
        } else {
            Invocation::new("sudo", ["-n", "apt-get"].into_iter().chain(args), root)
        };
        runner
            .run(&invocation.env("DEBIAN_FRONTEND", "noninteractive"))
            .map_err(|source| SetupError::Step { step, source })?;
    }
    Ok(Status::Installed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunError;

    /// Records command lines; fails the one starting with `fail`.
    #[derive(Default)]
    struct Apt {
        ran: Vec<String>,
        fail: Option<&'static str>,
    }

    impl Runner for Apt {
        fn run(&mut self, invocation: &Invocation) -> Result<(), RunError> {
            let line = invocation.to_string();
            self.ran.push(line.clone());
            match self.fail {
                Some(fail) if line.contains(fail) => Err(RunError::Failed {
                    command: line,
                    status: "exit status: 100".into(),
                }),
                _ => Ok(()),
            }
        }
    }

    const ROOT: Host = Host {
        installed: false,
        root: true,
    };

    #[test]
    fn installs_the_debian_packages_as_root_or_through_sudo() {
        let mut apt = Apt::default();
        assert_eq!(
            install(Path::new("."), &mut apt, &ROOT).unwrap(),
            Status::Installed
        );
        assert_eq!(
            apt.ran,
            [
                "DEBIAN_FRONTEND=noninteractive apt-get update",
                "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                 redis-server postgresql",
            ]
        );
        let mut apt = Apt::default();
        let user = Host {
            root: false,
            ..ROOT
        };
        install(Path::new("."), &mut apt, &user).unwrap();
        assert_eq!(
            apt.ran[0],
            "DEBIAN_FRONTEND=noninteractive sudo -n apt-get update"
        );
    }

    #[test]
    fn installed_servers_are_left_alone_and_a_failure_names_its_step() {
        let mut apt = Apt::default();
        let ready = Host {
            installed: true,
            ..ROOT
        };
        assert_eq!(
            install(Path::new("."), &mut apt, &ready).unwrap(),
            Status::UpToDate
        );
        assert!(apt.ran.is_empty());
        let mut apt = Apt {
            fail: Some("install"),
            ..Apt::default()
        };
        let err = install(Path::new("."), &mut apt, &ROOT).unwrap_err();
        assert_eq!(err.to_string(), "setup step `apt-get install` failed");
    }
}
