//! `cargo xtask cli-spec [--check]`: the copy of `openapi.yaml` that `qyvo-cli`'s build
//! script reads.
//!
//! A published crate carries only its own files, so `qyvo-cli` cannot read the workspace's
//! `openapi.yaml` once it is on crates.io; it reads [`COPY`] instead: [`HEADER`] then the spec,
//! byte for byte. [`write()`] makes it (`cargo xtask spec refresh` calls it too) and [`check()`]
//! proves it is current (a test runs it, so `cargo test` fails on a stale copy).

use std::fs;
use std::path::{Path, PathBuf};

use crate::spec::OUTPUT;

/// The copy, relative to the repository root.
pub const COPY: &str = "qyvo-cli/openapi.yaml";
/// The copy's first line.
pub const HEADER: &str = "# Copied from openapi.yaml by `cargo xtask cli-spec` for qyvo-cli's build script. Do not edit: edit the spec's sources and run `cargo xtask spec refresh`.\n";

/// Why the copy could not be made or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliSpecError {
    /// The spec could not be read or the copy written.
    #[error("cannot {action} {}", path.display())]
    File {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The copy is missing or differs from the spec.
    #[error("{COPY} is not a copy of {OUTPUT}: run `cargo xtask cli-spec`")]
    Stale,
}

/// What [`COPY`] must hold.
fn expected(root: &Path) -> Result<String, CliSpecError> {
    let path = root.join(OUTPUT);
    let spec = fs::read_to_string(&path).map_err(|source| CliSpecError::File {
        action: "read",
        path,
        source,
    })?;
    Ok(format!("{HEADER}{spec}"))
}

/// Writes [`COPY`] from the spec; returns whether it changed.
///
/// ```no_run
/// let changed = xtask::cli_spec::write(std::path::Path::new("."))?;
/// # let _ = changed;
/// # Ok::<(), xtask::cli_spec::CliSpecError>(())
/// ```
pub fn write(root: &Path) -> Result<bool, CliSpecError> {
    let expected = expected(root)?;
    let path = root.join(COPY);
    if fs::read_to_string(&path).is_ok_and(|current| current == expected) {
        return Ok(false);
    }
    fs::write(&path, expected).map_err(|source| CliSpecError::File {
        action: "write",
        path,
        source,
    })?;
    Ok(true)
}

/// Fails with [`CliSpecError::Stale`] unless [`COPY`] is what [`write()`] writes.
///
/// ```no_run
/// xtask::cli_spec::check(std::path::Path::new("."))?;
/// # Ok::<(), xtask::cli_spec::CliSpecError>(())
/// ```
pub fn check(root: &Path) -> Result<(), CliSpecError> {
    let expected = expected(root)?;
    match fs::read_to_string(root.join(COPY)) {
        Ok(current) if current == expected => Ok(()),
        _ => Err(CliSpecError::Stale),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_copy_is_current() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if let Err(e) = check(&root) {
            panic!("{e}");
        }
    }

    #[test]
    fn write_makes_the_copy_and_check_catches_a_stale_one() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("qyvo-cli")).unwrap();
        fs::write(root.path().join(OUTPUT), "openapi: 3.0.3\n").unwrap();
        assert!(matches!(check(root.path()), Err(CliSpecError::Stale)));

        assert!(write(root.path()).unwrap());
        check(root.path()).unwrap();
        assert!(
            !write(root.path()).unwrap(),
            "an unchanged copy is not rewritten"
        );
        let copy = fs::read_to_string(root.path().join(COPY)).unwrap();
        assert_eq!(copy, format!("{HEADER}openapi: 3.0.3\n"));

        fs::write(root.path().join(OUTPUT), "openapi: 3.0.4\n").unwrap();
        let stale = check(root.path()).unwrap_err();
        assert_eq!(
            stale.to_string(),
            "qyvo-cli/openapi.yaml is not a copy of openapi.yaml: run `cargo xtask cli-spec`"
        );
    }
}
