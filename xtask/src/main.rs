//! `cargo xtask <job>`: see the library documentation for the jobs.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::fetch::Source;
use xtask::{ci, cli_spec, phone_metadata, run, servers, setup, spec, version};

const USAGE: &str = "usage:
  cargo xtask spec refresh [--from <url-or-file>]   fetch, convert, correct, write openapi.yaml
  cargo xtask spec convert <input> [-o <output>]    any OpenAPI 3.0/3.1 document to 3.0.3 for progenitor
  cargo xtask spec check                            openapi.yaml matches spec/ (offline)
  cargo xtask spec diff <old> <new>                 what changed for SDK users
  cargo xtask cli-spec [--check]                    copy the spec and its generation for qyvo-cli's build
  cargo xtask version [--check]                     src/spec_version.rs from the spec
  cargo xtask phone-metadata [--check]              src/phone/metadata.rs from libphonenumber's metadata
  cargo xtask setup                                 install the test tools under tools/, Redis, PostgreSQL
  cargo xtask test                                  setup, fmt, clippy, test, doc
  cargo xtask build-cost [--runs <n>]               a qyvo hello-world's clean build against raw reqwest's";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match dispatch(&workspace_root(), &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Job(error)) => {
            eprint!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprint!(": {cause}");
                source = cause.source();
            }
            eprintln!();
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage,
    Job(Box<dyn Error>),
}

impl<E: Error + 'static> From<E> for Failure {
    fn from(error: E) -> Self {
        Self::Job(Box::new(error))
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

fn dispatch(root: &Path, args: &[&str]) -> Result<(), Failure> {
    match args {
        ["spec", "refresh"] => refresh(root, &Source::default()),
        ["spec", "refresh", "--from", from] => {
            let source = match from.parse::<Source>() {
                Ok(Source::File(path)) if path.is_relative() => {
                    Source::File(std::env::current_dir()?.join(path))
                }
                Ok(source) => source,
                Err(never) => match never {},
            };
            refresh(root, &source)
        }
        ["spec", "convert", input] => convert(Path::new(input), None),
        ["spec", "convert", input, "-o" | "--output", output] => {
            convert(Path::new(input), Some(Path::new(output)))
        }
        ["spec", "check"] => {
            spec::check(root)?;
            emit(&format!("{} is up to date and valid\n", spec::OUTPUT));
            Ok(())
        }
        ["spec", "diff", old, new] => {
            emit(&spec::diff_files(Path::new(old), Path::new(new))?.to_string());
            Ok(())
        }
        ["cli-spec"] => {
            let changed = cli_spec::write(root)?;
            for (_, copy, _) in cli_spec::COPIES {
                let state = if changed.contains(&copy) {
                    "rewritten"
                } else {
                    "unchanged"
                };
                emit(&format!("{copy} {state}\n"));
            }
            Ok(())
        }
        ["cli-spec", "--check"] => {
            cli_spec::check(root)?;
            emit("qyvo-cli's copies are up to date\n");
            Ok(())
        }
        ["version"] => written(version::OUTPUT, version::write(root)?),
        ["version", "--check"] => {
            version::check(root)?;
            current(version::OUTPUT)
        }
        ["phone-metadata"] => written(phone_metadata::OUTPUT, phone_metadata::write(root)?),
        ["phone-metadata", "--check"] => {
            phone_metadata::check(root)?;
            current(phone_metadata::OUTPUT)
        }
        ["setup"] => {
            let done = setup::setup(root, &mut run::System)?;
            let servers = servers::install(root, &mut run::System, &servers::Host::probe())?;
            emit(&format!(
                "tools: node {:?}, python {:?}, cargo {:?}; servers {servers:?}\n",
                done.node, done.python, done.cargo
            ));
            Ok(())
        }
        ["test"] => {
            ci::test(root, &mut run::System)?;
            emit("all steps passed\n");
            Ok(())
        }
        #[cfg(unix)]
        ["build-cost"] => build_cost(root, 3),
        #[cfg(unix)]
        ["build-cost", "--runs", runs] => {
            build_cost(root, runs.parse().map_err(|_| Failure::Usage)?)
        }
        _ => Err(Failure::Usage),
    }
}

/// Says whether a job rewrote the file it generates.
fn written(output: &str, changed: bool) -> Result<(), Failure> {
    let state = if changed { "rewritten" } else { "unchanged" };
    emit(&format!("{output} {state}\n"));
    Ok(())
}

/// Says that a generated file is what its job would write.
fn current(output: &str) -> Result<(), Failure> {
    emit(&format!("{output} is up to date\n"));
    Ok(())
}

/// Measures both hello-worlds, prints the figures, then fails above the target.
#[cfg(unix)]
fn build_cost(root: &Path, runs: usize) -> Result<(), Failure> {
    use xtask::build_cost;
    let report = build_cost::measure(root, runs, &mut run::System, &mut build_cost::children_cpu)?;
    emit(&report.to_string());
    report.check()?;
    Ok(())
}

fn refresh(root: &Path, source: &Source) -> Result<(), Failure> {
    let refreshed = spec::refresh(root, source)?;
    for copy in cli_spec::write(root)? {
        emit(&format!("{copy} rewritten\n"));
    }
    if version::write(root)? {
        emit(&format!("{} rewritten\n", version::OUTPUT));
    }
    for note in &refreshed.notes {
        emit(&format!("converted: {note}\n"));
    }
    if refreshed.changed {
        emit(&format!("{} rewritten from {source}\n", spec::OUTPUT));
    } else {
        emit(&format!("{} unchanged ({source})\n", spec::OUTPUT));
    }
    emit(&refreshed.report.to_string());
    Ok(())
}

/// Converts `input`; writes the result to `output` (notes on stdout) or to stdout (notes on
/// stderr). Fails, after printing the notes, unless the result is valid and generates.
fn convert(input: &Path, output: Option<&Path>) -> Result<(), Failure> {
    let bytes = std::fs::read(input).map_err(|source| spec::SpecError::Read {
        path: input.to_owned(),
        source,
    })?;
    let name = input.file_name().map_or_else(
        || input.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let converted = spec::convert(&bytes, &name)?;
    let notes: String = converted
        .notes
        .iter()
        .map(|note| format!("converted: {note}\n"))
        .collect();
    match output {
        Some(_) => emit(&notes),
        None => eprint!("{notes}"),
    }
    spec::generates(&converted.text)?;
    match output {
        Some(path) => {
            std::fs::write(path, &converted.text).map_err(|source| spec::SpecError::Write {
                path: path.to_owned(),
                source,
            })?;
            emit(&format!(
                "{} written: OpenAPI 3.0.3, {} lossy step(s) above, progenitor generates from it\n",
                path.display(),
                converted.notes.len()
            ));
        }
        None => emit(&converted.text),
    }
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
