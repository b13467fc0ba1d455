//! `cargo xtask <job>`: see the library documentation for the jobs.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::fetch::Source;
use xtask::{ci, run, servers, setup, spec};

const USAGE: &str = "usage:
  cargo xtask spec refresh [--from <url-or-file>]   fetch, convert, correct, write openapi.yaml
  cargo xtask spec check                            openapi.yaml matches spec/ (offline)
  cargo xtask spec diff <old> <new>                 what changed for SDK users
  cargo xtask setup                                 install the test tools under tools/, Redis, PostgreSQL
  cargo xtask test                                  setup, fmt, clippy, test, doc";

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
        ["spec", "check"] => {
            spec::check(root)?;
            emit(&format!("{} is up to date and valid\n", spec::OUTPUT));
            Ok(())
        }
        ["spec", "diff", old, new] => {
            emit(&spec::diff_files(Path::new(old), Path::new(new))?.to_string());
            Ok(())
        }
        ["setup"] => {
            let done = setup::setup(root, &mut run::System)?;
            let servers = servers::install(root, &mut run::System, &servers::Host::probe())?;
            emit(&format!(
                "tools: node {:?}, python {:?}; servers {servers:?}\n",
                done.node, done.python
            ));
            Ok(())
        }
        ["test"] => {
            ci::test(root, &mut run::System)?;
            emit("all steps passed\n");
            Ok(())
        }
        _ => Err(Failure::Usage),
    }
}

fn refresh(root: &Path, source: &Source) -> Result<(), Failure> {
    let refreshed = spec::refresh(root, source)?;
    for dropped in &refreshed.dropped {
        emit(&format!("dropped (no 3.0 form): {dropped}\n"));
    }
    if refreshed.changed {
        emit(&format!("{} rewritten from {source}\n", spec::OUTPUT));
    } else {
        emit(&format!("{} unchanged ({source})\n", spec::OUTPUT));
    }
    emit(&refreshed.report.to_string());
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
