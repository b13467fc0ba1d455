//! The disk a test run takes: the build directory's size and the space left on its file
//! system, which `cargo xtask test` prints after every step, so that a run that fills the disk
//! shows how much it had and which step took it (Unix).

use std::collections::HashSet;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The disk use of one directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Bytes its files occupy on disk, a file with several hard links once.
    pub used: u64,
    /// Bytes left for an unprivileged process on its file system; `None` when not known.
    pub free: Option<u64>,
}

impl Usage {
    /// Measures `dir`; a missing directory uses nothing.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a"), vec![1u8; 1 << 20])?;
    /// let usage = xtask::disk::Usage::of(dir.path());
    /// assert!(usage.used >= 1 << 20);
    /// assert!(usage.free.is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn of(dir: &Path) -> Self {
        Self {
            used: occupied(dir, &mut HashSet::new()),
            free: free(dir),
        }
    }
}

/// Bytes left for an unprivileged process on the file system of `path`, or of its nearest
/// existing ancestor (a build directory that does not exist yet); `None` when not known.
///
/// ```
/// assert!(xtask::disk::free(&std::env::temp_dir().join("not-yet/made")).is_some());
/// ```
#[must_use]
pub fn free(path: &Path) -> Option<u64> {
    let stat = path
        .ancestors()
        .find_map(|dir| nix::sys::statvfs::statvfs(dir).ok())?;
    // The block count is 32-bit on some Unix systems, 64-bit on Linux.
    #[allow(clippy::useless_conversion)]
    Some(u64::from(stat.blocks_available()).saturating_mul(u64::from(stat.fragment_size())))
}

/// Bytes under `dir`, counting each inode once (cargo hard-links test binaries into place).
fn occupied(dir: &Path, seen: &mut HashSet<(u64, u64)>) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.path().symlink_metadata() {
            Ok(meta) if meta.is_dir() => occupied(&entry.path(), seen),
            Ok(meta) if seen.insert((meta.dev(), meta.ino())) => meta.blocks().saturating_mul(512),
            _ => 0,
        })
        .sum()
}

/// Bytes in GiB with one decimal.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} used", gib(self.used))?;
        match self.free {
            Some(free) => write!(f, ", {} free", gib(free)),
            None => f.write_str(", free space unknown"),
        }
    }
}

/// Cargo's build directory for the workspace at `root`: `$CARGO_TARGET_DIR`, else `root/target`.
#[must_use]
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_links_count_once_and_missing_directories_use_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("deps")).unwrap();
        let binary = dir.path().join("deps/test-1234");
        std::fs::write(&binary, vec![7u8; 256 << 10]).unwrap();
        let once = Usage::of(dir.path()).used;
        std::fs::hard_link(&binary, dir.path().join("test")).unwrap();
        assert_eq!(Usage::of(dir.path()).used, once);
        assert!(once >= 256 << 10, "{once}");
        assert_eq!(Usage::of(&dir.path().join("nowhere")).used, 0);
    }

    #[test]
    fn display_is_in_gib() {
        let usage = Usage {
            used: 3 << 29,
            free: Some(10 << 30),
        };
        assert_eq!(usage.to_string(), "1.5 GiB used, 10.0 GiB free");
        let unknown = Usage {
            used: 0,
            free: None,
        };
        assert_eq!(unknown.to_string(), "0.0 GiB used, free space unknown");
    }
}
