//! `cargo xtask build-cost`: what depending on `qyvo` adds to a user's clean build.
//!
//! Writes two hello-world programs under [`OUTPUT_DIR`] that read the token and print the
//! account's e-mail: one through `qyvo` (its default features), one calling the API by hand
//! with `reqwest` (the features `qyvo` enables, and the TLS of `qyvo`'s default), `serde_json`
//! and `tokio`. Both start from the workspace's `Cargo.lock`, so they build the versions the
//! project tests. Each is built from clean (its own target directory, `CARGO_INCREMENTAL=0`, the
//! debug profile a user's first `cargo build` uses) `runs` times, alternating, so both see the
//! same machine. A build's CPU time is the user and system time of every process cargo ran, from
//! the kernel's accounting of waited-for children; wall time on a shared machine says less.
//!
//! The job fails when the ratio of the medians exceeds [`TARGET`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::run::{Invocation, RunError, Runner};

/// The most a `qyvo` hello-world may cost, as a multiple of the raw one's CPU time.
pub const TARGET: f64 = 1.8;

/// Where the two crates and their target directories are written, under the workspace root.
pub const OUTPUT_DIR: &str = "target/build-cost";

/// The `reqwest` features `qyvo` enables, plus `rustls`, which its default TLS feature adds.
const RAW_REQWEST_FEATURES: [&str; 4] = ["json", "query", "stream", "rustls"];

const TOKIO: &str = r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#;

const QYVO_MAIN: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = qyvo::ClientBuilder::from_env()?.build()?;
    let me = client.me().send().await?;
    println!("{}", me.email);
    Ok(())
}
"#;

const RAW_MAIN: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("QYVO_TOKEN")?;
    let me: serde_json::Value = reqwest::Client::new()
        .get("https://www.qyvo.io/api/v1/me")
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    println!("{}", me["email"]);
    Ok(())
}
"#;

/// Why the measurement could not be made, or what it found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildCostError {
    /// A file or directory of the hello-world crates could not be written or read.
    #[error("cannot write or read {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A build failed.
    #[error("a hello-world build failed")]
    Build(#[from] RunError),
    /// `runs` was zero.
    #[error("at least one run is needed")]
    NoRuns,
    /// The `qyvo` build costs more than [`TARGET`] times the raw one.
    #[error(
        "the qyvo hello-world costs {ratio:.2}× the raw one's CPU time; the target is {TARGET}×"
    )]
    OverTarget {
        /// Median `qyvo` CPU time over median raw CPU time.
        ratio: f64,
    },
}

/// One hello-world crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The package name, also its directory under [`OUTPUT_DIR`].
    pub name: &'static str,
    /// Its `Cargo.toml`.
    pub manifest: String,
    /// Its `src/main.rs`.
    pub main: &'static str,
}

/// The two crates: on `qyvo` (a path dependency on the workspace at `root`), and raw.
pub fn hellos(root: &Path) -> [Hello; 2] {
    let hello = |name, dependencies: &str, main| Hello {
        name,
        manifest: format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\
             \n# Its own workspace, not the SDK's.\n[workspace]\n\n[dependencies]\n{dependencies}{TOKIO}\n"
        ),
        main,
    };
    let qyvo = format!("qyvo = {{ path = {:?} }}\n", root.display().to_string());
    let features = RAW_REQWEST_FEATURES.map(|f| format!("{f:?}")).join(", ");
    let raw = format!(
        "reqwest = {{ version = \"0.13\", default-features = false, features = [{features}] }}\n\
         serde_json = \"1\"\n"
    );
    [
        hello("hello-qyvo", &qyvo, QYVO_MAIN),
        hello("hello-raw", &raw, RAW_MAIN),
    ]
}

/// What one crate's clean builds cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The package name.
    pub name: &'static str,
    /// The CPU time of each clean build.
    pub cpu: Vec<Duration>,
    /// Library crates compiled (`.rlib` files and proc-macro libraries), after the last build.
    pub libraries: usize,
}

impl Measured {
    /// The median CPU time (the upper one of an even count).
    pub fn median(&self) -> Duration {
        let mut sorted = self.cpu.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }
}

/// Both crates' figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The hello-world on `qyvo`.
    pub qyvo: Measured,
    /// The hello-world on raw `reqwest`.
    pub raw: Measured,
}

impl Report {
    /// Median `qyvo` CPU time over median raw CPU time.
    pub fn ratio(&self) -> f64 {
        self.qyvo.median().as_secs_f64() / self.raw.median().as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Fails with [`BuildCostError::OverTarget`] above [`TARGET`].
    pub fn check(&self) -> Result<(), BuildCostError> {
        let ratio = self.ratio();
        if ratio > TARGET {
            return Err(BuildCostError::OverTarget { ratio });
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "crate       libraries  CPU s per clean build (median)")?;
        for measured in [&self.raw, &self.qyvo] {
            let runs: Vec<String> = measured
                .cpu
                .iter()
                .map(|cpu| format!("{:.1}", cpu.as_secs_f64()))
                .collect();
            writeln!(
                f,
                "{:<11} {:>9}  {} ({:.1})",
                measured.name,
                measured.libraries,
                runs.join(", "),
                measured.median().as_secs_f64()
            )?;
        }
        writeln!(f, "ratio {:.2}× (target {TARGET}×)", self.ratio())
    }
}

/// Writes the crates under `root`'s [`OUTPUT_DIR`] and builds each from clean `runs` times,
/// alternating; `cpu` reads the CPU time used so far by this process's finished children.
///
/// # Errors
///
/// [`BuildCostError::NoRuns`], [`BuildCostError::Io`] or [`BuildCostError::Build`].
pub fn measure(
    root: &Path,
    runs: usize,
    runner: &mut dyn Runner,
    cpu: &mut dyn FnMut() -> Duration,
) -> Result<Report, BuildCostError> {
    if runs == 0 {
        return Err(BuildCostError::NoRuns);
    }
    let out = root.join(OUTPUT_DIR);
    let hellos = hellos(root);
    for hello in &hellos {
        write_crate(root, &out.join(hello.name), hello)?;
    }
    let mut measured = hellos.map(|hello| Measured {
        name: hello.name,
        cpu: Vec::with_capacity(runs),
        libraries: 0,
    });
    let target = |name| out.join(name).join("target");
    let cargo = cargo();
    for _ in 0..runs {
        for one in &mut measured {
            let target = target(one.name);
            remove_dir(&target)?;
            let build = Invocation::new(&cargo, ["build", "--quiet"], out.join(one.name))
                .env("CARGO_TARGET_DIR", &target.display().to_string())
                .env("CARGO_INCREMENTAL", "0");
            let before = cpu();
            runner.run(&build)?;
            one.cpu.push(cpu().saturating_sub(before));
        }
    }
    // Every run starts clean, so the last one's directory counts what one build compiles.
    for one in &mut measured {
        one.libraries = libraries(&target(one.name).join("debug").join("deps"))?;
    }
    let [qyvo, raw] = measured;
    Ok(Report { qyvo, raw })
}

/// The CPU time (user + system) of this process's children that have finished and been
/// waited for, with their own waited-for descendants: everything a finished `cargo build` ran.
pub fn children_cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(Duration::ZERO, |usage| {
        let time = |t: nix::sys::time::TimeVal| {
            Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or_default())
                + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or_default())
        };
        time(usage.user_time()) + time(usage.system_time())
    })
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildCostError + '_ {
    move |source| BuildCostError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write_crate(root: &Path, dir: &Path, hello: &Hello) -> Result<(), BuildCostError> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(io(&src))?;
    for (path, text) in [
        (dir.join("Cargo.toml"), hello.manifest.as_str()),
        (src.join("main.rs"), hello.main),
    ] {
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    // The versions the project tests; cargo drops what the crate does not use.
    let lock = dir.join("Cargo.lock");
    std::fs::copy(root.join("Cargo.lock"), &lock).map_err(io(&lock))?;
    Ok(())
}

fn remove_dir(dir: &Path) -> Result<(), BuildCostError> {
    match std::fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io(dir)(error)),
        _ => Ok(()),
    }
}

/// Library crates in a `deps` directory: `.rlib`s and proc-macro libraries.
fn libraries(deps: &Path) -> Result<usize, BuildCostError> {
    let entries = match std::fs::read_dir(deps) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        entries => entries.map_err(io(deps))?,
    };
    let mut count = 0;
    for entry in entries {
        let path = entry.map_err(io(deps))?.path();
        let extension = path.extension().and_then(|e| e.to_str());
        if matches!(extension, Some("rlib" | "so" | "dylib" | "dll")) {
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records builds, pretends each compiled `libraries` crates and cost `cost` of CPU.
    struct FakeCargo {
        builds: Vec<Invocation>,
        libraries: Vec<usize>,
    }

    impl Runner for FakeCargo {
        fn run(&mut self, invocation: &Invocation) -> Result<(), RunError> {
            let (_, target) = invocation
                .env
                .iter()
                .find(|(name, _)| name == "CARGO_TARGET_DIR")
                .expect("a target directory");
            let deps = Path::new(target).join("debug").join("deps");
            std::fs::create_dir_all(&deps).unwrap();
            let count = self.libraries[self.builds.len() % self.libraries.len()];
            for i in 0..count {
                std::fs::write(deps.join(format!("libdep{i}.rlib")), "").unwrap();
            }
            std::fs::write(deps.join("dep.d"), "").unwrap();
            self.builds.push(invocation.clone());
            Ok(())
        }
    }

    fn fake_root() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("Cargo.lock"), "version = 4\n").unwrap();
        root
    }

    #[test]
    fn builds_both_crates_from_clean_alternating_and_reports_the_median_ratio() {
        let root = fake_root();
        let mut cargo = FakeCargo {
            builds: Vec::new(),
            libraries: vec![200, 100],
        };
        // CPU seconds used by each build in turn: qyvo 30, raw 10, qyvo 20, raw 11, qyvo 22, raw 9.
        let costs = [30, 10, 20, 11, 22, 9];
        let mut used = Duration::ZERO;
        let mut reads = 0;
        let mut cpu = || {
            if reads % 2 == 1 {
                used += Duration::from_secs(costs[reads / 2]);
            }
            reads += 1;
            used
        };
        let report = measure(root.path(), 3, &mut cargo, &mut cpu).unwrap();

        let names: Vec<&str> = cargo
            .builds
            .iter()
            .map(|b| b.dir.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "hello-qyvo",
                "hello-raw",
                "hello-qyvo",
                "hello-raw",
                "hello-qyvo",
                "hello-raw"
            ]
        );
        for build in &cargo.builds {
            assert_eq!(build.args, ["build", "--quiet"]);
            assert!(
                build
                    .env
                    .contains(&("CARGO_INCREMENTAL".into(), "0".into()))
            );
            assert!(build.dir.starts_with(root.path().join(OUTPUT_DIR)));
        }
        let secs = |s: &[u64]| {
            s.iter()
                .map(|&s| Duration::from_secs(s))
                .collect::<Vec<_>>()
        };
        assert_eq!(report.qyvo.cpu, secs(&[30, 20, 22]));
        assert_eq!(report.raw.cpu, secs(&[10, 11, 9]));
        // Each build starts from an empty target directory: the counts do not add up.
        assert_eq!((report.qyvo.libraries, report.raw.libraries), (200, 100));
        // Medians 22 and 10.
        assert!((report.ratio() - 2.2).abs() < 1e-9, "{}", report.ratio());
        assert!(matches!(
            report.check(),
            Err(BuildCostError::OverTarget { ratio }) if (ratio - 2.2).abs() < 1e-9
        ));
        let text = report.to_string();
        assert!(
            text.contains("hello-qyvo        200  30.0, 20.0, 22.0 (22.0)"),
            "{text}"
        );
        assert!(text.contains("ratio 2.20× (target 1.8×)"), "{text}");
    }

    #[test]
    fn the_crates_are_written_with_the_workspace_lockfile() {
        let root = fake_root();
        let mut cargo = FakeCargo {
            builds: Vec::new(),
            libraries: vec![1],
        };
        measure(root.path(), 1, &mut cargo, &mut || Duration::ZERO).unwrap();
        for hello in hellos(root.path()) {
            let dir = root.path().join(OUTPUT_DIR).join(hello.name);
            let read = |path: &str| std::fs::read_to_string(dir.join(path)).unwrap();
            assert_eq!(read("Cargo.toml"), hello.manifest);
            assert_eq!(read("src/main.rs"), hello.main);
            assert_eq!(read("Cargo.lock"), "version = 4\n");
        }
        assert!(matches!(
            measure(root.path(), 0, &mut cargo, &mut || Duration::ZERO),
            Err(BuildCostError::NoRuns)
        ));
    }

    #[test]
    fn within_the_target_passes() {
        let measured = |name, secs| Measured {
            name,
            cpu: vec![Duration::from_secs(secs)],
            libraries: 1,
        };
        let report = Report {
            qyvo: measured("hello-qyvo", 18),
            raw: measured("hello-raw", 10),
        };
        assert!(report.check().is_ok());
    }

    /// The raw crate uses reqwest as `qyvo` does: the same features, and the TLS of its default.
    #[test]
    fn the_raw_crate_has_qyvos_reqwest_features() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let reqwest = manifest
            .lines()
            .find(|line| line.starts_with("reqwest = "))
            .unwrap();
        let listed = reqwest
            .split_once("features = [")
            .and_then(|(_, rest)| rest.split_once(']'))
            .unwrap()
            .0;
        let mut features: Vec<&str> = listed.split(", ").map(|f| f.trim_matches('"')).collect();
        assert!(
            manifest.contains("default = [\"rustls-aws-lc\""),
            "{manifest}"
        );
        assert!(
            manifest.contains("rustls-aws-lc = [\"reqwest/rustls\"]"),
            "{manifest}"
        );
        features.push("rustls");
        assert_eq!(features, RAW_REQWEST_FEATURES);
        assert!(reqwest.contains("default-features = false"));
        let [_, raw] = hellos(root);
        assert!(raw.manifest.contains(&format!(
            "features = [{}]",
            RAW_REQWEST_FEATURES.map(|f| format!("{f:?}")).join(", ")
        )));
    }

    #[test]
    fn children_cpu_counts_a_finished_child() {
        let before = children_cpu();
        // A child that burns a little CPU, then is waited for.
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(children_cpu() > before);
    }
}
