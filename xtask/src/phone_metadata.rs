//! `cargo xtask phone-metadata [--check]`: Google libphonenumber's numbering plans as Rust
//! tables for the SDK's phone parser.
//!
//! Writes `src/phone/metadata.rs` from the compiled metadata that `rlibphonenumber` (this
//! crate's dependency, and the SDK's test oracle) ships: for every territory its calling code,
//! dialling prefixes and the number patterns and lengths validity is decided by, and which
//! territories share each calling code, main one first, in libphonenumber's order. It also lists
//! every digit zero libphonenumber reads, so the SDK reads the same digits.
//!
//! The file is committed, so users' builds need neither this job nor `rlibphonenumber`'s
//! protobuf build chain. To take a new metadata release, update `rlibphonenumber` in
//! `Cargo.lock` and run the job; `--check` (also a `cargo test` of this crate) fails when the
//! committed file is not what the job writes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message as _;
use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneMetadata, PhoneMetadataCollection, PhoneNumberDesc};

/// The generated file.
pub const OUTPUT: &str = "src/phone/metadata.rs";

/// Where `rlibphonenumber` keeps its compiled metadata, in its package.
const METADATA: &str = "src/generated/metadata/metadata.bin";

/// Why the job failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneMetadataError {
    /// A file could not be read or written.
    #[error("cannot access {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `cargo metadata` failed or did not name the `rlibphonenumber` package.
    #[error("cannot locate the rlibphonenumber package: {reason}")]
    Locate {
        /// What went wrong.
        reason: String,
    },
    /// The metadata did not decode.
    #[error("cannot decode {}", path.display())]
    Decode {
        /// The metadata file.
        path: PathBuf,
        /// The protobuf error.
        #[source]
        source: prost::DecodeError,
    },
    /// The metadata uses something the SDK's parser does not read.
    #[error("the metadata of {territory} is not supported: {reason}")]
    Unsupported {
        /// The territory (`US`, or `001` for a non-geographic code).
        territory: String,
        /// What is not supported.
        reason: String,
    },
    /// The committed file does not match the metadata: run `cargo xtask phone-metadata`.
    #[error("{OUTPUT} does not match rlibphonenumber's metadata: run `cargo xtask phone-metadata`")]
    Stale,
}

/// The `rlibphonenumber` package the workspace's lockfile resolves: its version and directory.
fn package(root: &Path) -> Result<(String, PathBuf), PhoneMetadataError> {
    let locate = |reason: String| PhoneMetadataError::Locate { reason };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(root.join("xtask/Cargo.toml"))
        .output()
        .map_err(|error| locate(error.to_string()))?;
    if !output.status.success() {
        return Err(locate(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|error| locate(error.to_string()))?;
    let found = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "rlibphonenumber")
        .ok_or_else(|| locate("not in `cargo metadata`".to_owned()))?;
    let version = found["version"].as_str().unwrap_or_default().to_owned();
    let manifest = Path::new(found["manifest_path"].as_str().unwrap_or_default());
    let dir = manifest
        .parent()
        .ok_or_else(|| locate("no manifest path".to_owned()))?;
    Ok((version, dir.to_owned()))
}

/// The content of [`OUTPUT`] for the metadata of the `rlibphonenumber` under `root`'s lockfile.
///
/// # Errors
///
/// [`PhoneMetadataError`] when the package cannot be found, its metadata does not decode, or
/// it uses a rule the SDK's parser does not read.
pub fn render(root: &Path) -> Result<String, PhoneMetadataError> {
    let (version, dir) = package(root)?;
    let path = dir.join(METADATA);
    let bytes = fs::read(&path).map_err(|source| PhoneMetadataError::Io {
        path: path.clone(),
        source,
    })?;
    let collection = PhoneMetadataCollection::decode(bytes.as_slice())
        .map_err(|source| PhoneMetadataError::Decode { path, source })?;
    render_collection(&version, &collection.metadata)
}

/// Renders the tables for `territories`, in the metadata's order.
fn render_collection(
    version: &str,
    territories: &[PhoneMetadata],
) -> Result<String, PhoneMetadataError> {
    let mut out = format!(
        "// @generated by `cargo xtask phone-metadata` from the libphonenumber metadata of rlibphonenumber {version}; regenerate with `cargo xtask phone-metadata`.
//! Google libphonenumber's numbering plans, as the SDK's phone parser reads them.
//!
//! The data is libphonenumber's metadata, Copyright (C) 2009 The Libphonenumber Authors,
//! licensed under the Apache License, Version 2.0.

use std::sync::OnceLock;

use super::plan::{{Desc, Territory}};

/// Every territory with a calling code, in the metadata's order.
pub static TERRITORIES: [Territory; {}] = [
",
        territories.iter().filter(|t| t.country_code.is_some()).count()
    );
    // Calling code -> indexes in TERRITORIES, sorted by code.
    let mut codes: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    let coded = territories
        .iter()
        .filter_map(|metadata| Some((metadata, metadata.country_code?)));
    for (index, (metadata, code)) in coded.enumerate() {
        territory(&mut out, metadata)?;
        let list = codes.entry(code).or_default();
        if metadata.main_country_for_code() {
            list.insert(0, index);
        } else {
            list.push(index);
        }
    }
    out.push_str("];\n\n/// Each calling code and the indexes in [`TERRITORIES`] of the territories that share it,\n/// the main one first; sorted by code.\npub static CALLING_CODES: [(u16, &[u16]); ");
    let _ = writeln!(out, "{}] = [", codes.len());
    for (code, list) in &codes {
        let _ = writeln!(out, "    ({code}, &{list:?}),");
    }
    out.push_str("];\n\n/// The code point of each decimal digit zero libphonenumber reads; the nine code points after\n/// it are the digits one to nine.\npub static DIGIT_ZEROS: [u32; ");
    let zeros = digit_zeros();
    let _ = writeln!(out, "{}] = {zeros:?};", zeros.len());
    Ok(out)
}

/// Writes one `Territory { .. },` line.
// rlibphonenumber marks the raw proto fields deprecated in favour of its wrappers; this job
// reads the raw metadata on purpose.
#[allow(deprecated)]
fn territory(out: &mut String, metadata: &PhoneMetadata) -> Result<(), PhoneMetadataError> {
    let unsupported = |reason: String| PhoneMetadataError::Unsupported {
        territory: metadata.id.clone(),
        reason,
    };
    let transform = metadata
        .national_prefix_transform_rule
        .clone()
        .unwrap_or_default();
    // The parser expands `$` and one digit; `$1x` with a digit `x` would be ambiguous.
    let mut rest = transform.as_str();
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let mut after = rest.chars();
        if !after.next().is_some_and(|c| c.is_ascii_digit())
            || after.next().is_some_and(|c| c.is_ascii_digit())
        {
            return Err(unsupported(format!("transform rule {transform:?}")));
        }
    }
    let general = metadata
        .general_desc
        .as_ref()
        .ok_or_else(|| unsupported("no general description".to_owned()))?;
    let types = [
        &metadata.premium_rate,
        &metadata.toll_free,
        &metadata.shared_cost,
        &metadata.voip,
        &metadata.personal_number,
        &metadata.pager,
        &metadata.uan,
        &metadata.voicemail,
        &metadata.fixed_line,
        &metadata.mobile,
    ];
    let pattern = |stored: &Option<String>| -> Result<String, PhoneMetadataError> {
        inner(stored.as_deref())
            .map(str::to_owned)
            .ok_or_else(|| unsupported(format!("pattern {stored:?}")))
    };
    let _ = write!(
        out,
        "    Territory {{ id: {:?}, code: {}, international_prefix: {:?}, national_prefix_for_parsing: {:?}, transform: {transform:?}, leading_digits: {:?}, general: {}, types: &[",
        metadata.id,
        metadata.country_code.unwrap_or_default(),
        pattern(&metadata.international_prefix)?,
        pattern(&metadata.national_prefix_for_parsing)?,
        pattern(&metadata.leading_digits)?,
        desc(general, &pattern(&general.national_number_pattern)?, true),
    );
    let mut rendered = Vec::new();
    for desc_of_type in types.into_iter().flatten() {
        let found = pattern(&desc_of_type.national_number_pattern)?;
        // A description without a pattern, or whose only length is -1, matches no number.
        if !found.is_empty() && desc_of_type.possible_length != [-1] {
            rendered.push(desc(desc_of_type, &found, false));
        }
    }
    let _ = writeln!(
        out,
        "{}], compiled: OnceLock::new() }},",
        rendered.join(", ")
    );
    Ok(())
}

/// The pattern rlibphonenumber stores as `^(?:pattern)$`, or `""` for none; `None` when it is
/// stored some other way.
fn inner(stored: Option<&str>) -> Option<&str> {
    match stored {
        None => Some(""),
        Some(stored) => stored.strip_prefix("^(?:")?.strip_suffix(")$"),
    }
}

/// `Desc { .. }` for one description with its `pattern`; `local` keeps its local-only lengths.
fn desc(desc: &PhoneNumberDesc, pattern: &str, local: bool) -> String {
    let local_lengths: &[i32] = if local {
        &desc.possible_length_local_only
    } else {
        &[]
    };
    format!(
        "Desc {{ pattern: {pattern:?}, lengths: &{:?}, local: &{local_lengths:?} }}",
        desc.possible_length,
    )
}

/// The digit zeros libphonenumber reads: the characters it normalizes to `0`.
fn digit_zeros() -> Vec<u32> {
    let mut buffer = [0; 4];
    (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|c| PHONE_NUMBER_UTIL.normalize_digits_only(c.encode_utf8(&mut buffer)) == "0")
        .map(u32::from)
        .collect()
}

/// Rewrites [`OUTPUT`]; answers whether it changed.
///
/// # Errors
///
/// [`PhoneMetadataError`] when the metadata cannot be read or the file written.
pub fn write(root: &Path) -> Result<bool, PhoneMetadataError> {
    let wanted = render(root)?;
    let path = root.join(OUTPUT);
    crate::files::write_if_changed(&path, &wanted)
        .map_err(|source| PhoneMetadataError::Io { path, source })
}

/// Fails with [`PhoneMetadataError::Stale`] when [`OUTPUT`] is not what [`write()`] would write.
///
/// # Errors
///
/// [`PhoneMetadataError::Stale`], or why the metadata or the file could not be read.
pub fn check(root: &Path) -> Result<(), PhoneMetadataError> {
    let wanted = render(root)?;
    let path = root.join(OUTPUT);
    match crate::files::is_current(&path, &wanted) {
        Ok(true) => Ok(()),
        Ok(false) => Err(PhoneMetadataError::Stale),
        Err(source) => Err(PhoneMetadataError::Io { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn the_committed_tables_are_current() {
        check(&repo()).unwrap();
    }

    #[test]
    #[allow(deprecated)] // the raw proto fields, as `territory` reads them
    fn shared_codes_list_the_main_territory_first_and_a_transform_rule_is_checked() {
        let territory = |id: &str, code, main| PhoneMetadata {
            id: id.to_owned(),
            country_code: Some(code),
            main_country_for_code: Some(main),
            general_desc: Some(PhoneNumberDesc::default()),
            ..PhoneMetadata::default()
        };
        let out = render_collection(
            "0",
            &[
                territory("CA", 1, false),
                territory("US", 1, true),
                territory("DE", 49, true),
            ],
        )
        .unwrap();
        assert!(
            out.contains("    (1, &[1, 0]),\n    (49, &[2]),\n"),
            "{out}"
        );
        let mut ambiguous = territory("AR", 54, true);
        ambiguous.national_prefix_transform_rule = Some("9$12".to_owned());
        let err = render_collection("0", &[ambiguous]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the metadata of AR is not supported: transform rule \"9$12\""
        );
    }
}
