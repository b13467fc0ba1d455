//! Writing the files the jobs generate.

use std::{fs, io, path::Path};

/// Writes `text` to `path` (creating its directory) unless the file already holds exactly
/// that; answers whether it wrote.
///
/// # Errors
///
/// The error of creating the directory or writing the file.
pub fn write_if_changed(path: &Path, text: &str) -> io::Result<bool> {
    if fs::read_to_string(path).is_ok_and(|current| current == text) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, text)?;
    Ok(true)
}

/// Whether the file at `path` holds exactly `text`: a generated file's `--check`.
///
/// # Errors
///
/// The error of reading the file (a missing file is an error, not "stale").
pub fn is_current(path: &Path, text: &str) -> io::Result<bool> {
    Ok(fs::read_to_string(path)? == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_what_differs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/dir/file.rs");
        assert!(write_if_changed(&path, "a").unwrap());
        assert!(!write_if_changed(&path, "a").unwrap());
        assert!(write_if_changed(&path, "b").unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), "b");
        let blocked = dir.path().join("new/dir/file.rs/below");
        assert!(write_if_changed(&blocked, "c").is_err());
    }
}
