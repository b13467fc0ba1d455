//! `cargo xtask cli-spec [--check]`: the copies of `openapi.yaml` and `build/codegen.rs` that
//! `qyvo-cli`'s build script reads.
//!
//! A published crate carries only its own files, so `qyvo-cli` cannot read the workspace's
//! files once it is on crates.io; it reads [`COPIES`] instead: a header line, then the file,
//! byte for byte. With the spec it gets the SDK's own generator settings (`codegen::settings`),
//! so its commands call the builders the SDK generates. [`write()`] makes them (`cargo xtask
//! spec refresh` calls it too) and [`check()`] proves them current (a test runs it, so `cargo
//! test` fails on a stale copy).

use std::fs;
use std::path::{Path, PathBuf};

use crate::spec::OUTPUT;

/// Each copy: the original and the copy, relative to the repository root, and the copy's first
/// line.
pub const COPIES: [(&str, &str, &str); 2] = [
    (
        OUTPUT,
        "qyvo-cli/openapi.yaml",
        "# Copied from openapi.yaml by `cargo xtask cli-spec` for qyvo-cli's build script. Do not edit: edit the spec's sources and run `cargo xtask spec refresh`.\n",
    ),
    (
        "build/codegen.rs",
        "qyvo-cli/build/codegen.rs",
        "// Copied from build/codegen.rs by `cargo xtask cli-spec` for qyvo-cli's build script. Do not edit: edit the original and run `cargo xtask cli-spec`.\n",
    ),
];

/// Why the copies could not be made or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliSpecError {
    /// An original could not be read or a copy written.
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
    /// A copy is missing or differs from its original.
    #[error("{copy} is not a copy of {original}: run `cargo xtask cli-spec`")]
    Stale {
        /// The original.
        original: &'static str,
        /// The copy.
        copy: &'static str,
    },
}

/// What the copy of `original` must hold.
fn expected(root: &Path, original: &str, header: &str) -> Result<String, CliSpecError> {
    let path = root.join(original);
    let text = fs::read_to_string(&path).map_err(|source| CliSpecError::File {
        action: "read",
        path,
        source,
    })?;
    Ok(format!("{header}{text}"))
}

/// Writes every copy from its original; returns the copies that changed.
///
/// ```no_run
/// let changed = xtask::cli_spec::write(std::path::Path::new("."))?;
/// # let _ = changed;
/// # Ok::<(), xtask::cli_spec::CliSpecError>(())
/// ```
pub fn write(root: &Path) -> Result<Vec<&'static str>, CliSpecError> {
    let mut changed = Vec::new();
    for (original, copy, header) in COPIES {
        let expected = expected(root, original, header)?;
        let path = root.join(copy);
        let written = crate::files::write_if_changed(&path, &expected).map_err(|source| {
            CliSpecError::File {
                action: "write",
                path,
                source,
            }
        })?;
        if written {
            changed.push(copy);
        }
    }
    Ok(changed)
}

/// Fails with [`CliSpecError::Stale`] unless every copy is what [`write()`] writes.
///
/// ```no_run
/// xtask::cli_spec::check(std::path::Path::new("."))?;
/// # Ok::<(), xtask::cli_spec::CliSpecError>(())
/// ```
pub fn check(root: &Path) -> Result<(), CliSpecError> {
    for (original, copy, header) in COPIES {
        let expected = expected(root, original, header)?;
        // A missing or unreadable copy is stale too.
        if !crate::files::is_current(&root.join(copy), &expected).unwrap_or(false) {
            return Err(CliSpecError::Stale { original, copy });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_copies_are_current() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if let Err(e) = check(&root) {
            panic!("{e}");
        }
    }

    #[test]
    fn write_makes_the_copies_and_check_catches_a_stale_one() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("build")).unwrap();
        fs::write(root.path().join(OUTPUT), "openapi: 3.0.3\n").unwrap();
        fs::write(root.path().join("build/codegen.rs"), "fn settings() {}\n").unwrap();
        assert!(matches!(
            check(root.path()),
            Err(CliSpecError::Stale { .. })
        ));

        assert_eq!(
            write(root.path()).unwrap(),
            ["qyvo-cli/openapi.yaml", "qyvo-cli/build/codegen.rs"]
        );
        check(root.path()).unwrap();
        assert!(
            write(root.path()).unwrap().is_empty(),
            "unchanged copies are not rewritten"
        );
        let copy = fs::read_to_string(root.path().join("qyvo-cli/openapi.yaml")).unwrap();
        assert_eq!(copy, format!("{}openapi: 3.0.3\n", COPIES[0].2));

        fs::write(root.path().join("build/codegen.rs"), "fn settings() { }\n").unwrap();
        let stale = check(root.path()).unwrap_err();
        assert_eq!(
            stale.to_string(),
            "qyvo-cli/build/codegen.rs is not a copy of build/codegen.rs: run `cargo xtask cli-spec`"
        );
    }
}
