//! The spec report and the Rust API agree: for the breaking / non-breaking fixture pair
//! (`tests/fixtures/report`), a client is generated from each version with the SDK's own
//! generation (`build/codegen.rs`), and what `spec diff` marks BREAKING is compared with what
//! cargo-semver-checks reports as breaking between the two generated crates.
//!
//! Needs cargo-semver-checks (`QYVO_TEST_TOOLS=semver-checks`, see `qyvo_test_tools`).
//!
//! Each side names the spec location of a change (`operation`, `Schema.field`, `Schema`): a
//! semver-checks finding is traced to the location through the generated item it names. The
//! two sets must be equal but for [`KNOWN`]: the differences whose cause is understood, each
//! asserted still to be there, so a change on either side fails this test until the table is
//! updated.

#![allow(
    clippy::unwrap_used,
    reason = "a test binary with its own main: a failed unwrap is a failed assertion"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use qyvo_test_tools::{Tool, test};
use xtask::spec::diff_files;

fn main() -> ExitCode {
    qyvo_test_tools::run(vec![test(
        "spec_report_and_semver_checks_agree_on_what_breaks",
        &[Tool::SemverChecks],
        spec_report_and_semver_checks_agree_on_what_breaks,
    )])
}

/// What `spec diff` marks BREAKING and cargo-semver-checks does not report, and why. The other
/// way round there is nothing: whatever cargo-semver-checks calls breaking, so does the report.
const KNOWN: &[(&str, &str)] = &[
    (
        "Item.count",
        "a retyped field: cargo-semver-checks has no lint for a changed field type",
    ),
    (
        "list.tenant",
        "a required parameter added: the builder gains a method (compatible Rust), and calls \
         without it fail at send() (a runtime break)",
    ),
    (
        "SendRequest.channel",
        "a required request field added: the generated type is #[non_exhaustive], so Rust \
         code still compiles, and a body built without it fails at send() (a runtime break)",
    ),
    (
        "Sent.status",
        "a value added to a response enum: the generated enum is #[non_exhaustive], so Rust \
         code still compiles, and an older client cannot decode the new value (a runtime \
         break; the SDK keeps Qyvo's response sets open as strings for this reason)",
    ),
];

fn xtask_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A crate whose `build.rs` generates a client from `openapi.yaml` with the SDK's own
/// generation (`build/codegen.rs`, included as the SDK's build script includes it: progenitor,
/// its settings and every edit that shapes the public API), on a stand-in runtime: what the
/// generated code calls, without behaviour.
fn client_crate(dir: &Path, spec: &Path) {
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::copy(spec, dir.join("openapi.yaml")).unwrap();
    let codegen = xtask_dir()
        .join("../build/codegen.rs")
        .canonicalize()
        .unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        r#"[package]
name = "fixture-client"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
progenitor-client = "0.15.1"
reqwest = { version = "0.13", default-features = false, features = ["json", "query"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
chrono = { version = "0.4", default-features = false, features = ["serde"] }

[build-dependencies]
progenitor = { version = "=0.15.1", default-features = false }
openapiv3 = "2.2"
yaml_serde = "0.10"
syn = { version = "3", features = ["full", "visit-mut"] }
quote = "1"
"#,
    )
    .unwrap();
    fs::write(
        dir.join("build.rs"),
        format!(
            r#"#[path = {codegen:?}]
mod codegen;

fn main() {{
    let text = std::fs::read_to_string("openapi.yaml").unwrap();
    let spec = codegen::parse(&text).unwrap();
    let generated = codegen::client(&spec).unwrap();
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::write(out.join("types.rs"), generated.types).unwrap();
    std::fs::write(out.join("client.rs"), generated.client).unwrap();
}}
"#
        ),
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), STAND_IN).unwrap();
    // The workspace's lockfile: the same dependency versions, already downloaded.
    fs::copy(xtask_dir().join("../Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

/// The fixture crate's `lib.rs`: the generated files in the modules the SDK includes them in,
/// and the runtime functions the generated code calls, which do nothing.
const STAND_IN: &str = r#"#![allow(warnings, clippy::all)]
pub mod types {
    include!(concat!(env!("OUT_DIR"), "/types.rs"));
    pub(crate) fn null_as_default<'de, D: serde::Deserializer<'de>, T: Default>(_: D) -> Result<T, D::Error> {
        Ok(T::default())
    }
}
mod generated {
    use crate::types;
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
    pub(crate) fn query<T: ?Sized>(builder: reqwest::RequestBuilder, _: &T) -> reqwest::RequestBuilder {
        builder
    }
}
pub use generated::*;
#[derive(Debug)]
pub struct Error;
mod runtime {
    use super::Error;
    #[derive(Clone, Debug)]
    pub struct Shared;
    pub(crate) async fn execute(
        _: &reqwest::Client,
        _: &Shared,
        _: reqwest::Request,
        _: &progenitor_client::OperationInfo,
    ) -> Result<reqwest::Response, Error> {
        Err(Error)
    }
    pub(crate) async fn read_json<T>(
        _: reqwest::Response,
        _: &progenitor_client::OperationInfo,
    ) -> Result<progenitor_client::ResponseValue<T>, Error> {
        Err(Error)
    }
    pub(crate) async fn error_response(
        _: &Shared,
        _: reqwest::Response,
        _: &progenitor_client::OperationInfo,
    ) -> Error {
        Error
    }
    pub(crate) trait IntoError {
        fn into_error(self) -> Error;
    }
    impl<T> IntoError for T {
        fn into_error(self) -> Error {
            Error
        }
    }
}
"#;

/// The spec locations (among `locations`) of what cargo-semver-checks reports as breaking
/// from `old` to `new`, and its report.
fn semver_breaks(
    old: &Path,
    new: &Path,
    target: &Path,
    locations: &[&str],
) -> (BTreeSet<String>, String) {
    let binary = qyvo_test_tools::conformance::tool("cargo/bin/cargo-semver-checks")
        .unwrap_or_else(|missing| panic!("{missing}"));
    let output = Command::new(binary)
        .args(["semver-checks", "check-release", "--manifest-path"])
        .arg(new.join("Cargo.toml"))
        .arg("--baseline-root")
        .arg(old)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("Checking fixture-client"),
        "cargo-semver-checks did not run:\n{text}"
    );
    (traced(&text, locations), text)
}

/// Traces each item a semver-checks failure names back to a spec location, among the
/// `locations` of the report's changes.
///
/// progenitor names a schema's type after it (`SendRequest`), an inline enum after its parent
/// and field (`Sent.status` -> `SentStatus`), an operation's method after its id
/// (`Client::legacy`) and its builder after the id in camel case (`builder::Legacy`).
fn traced(report: &str, locations: &[&str]) -> BTreeSet<String> {
    let camel = |snake: &str| -> String {
        snake
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            })
            .collect()
    };
    // A generated type name: the location of a change whose type it is, else itself.
    let of_type = |ty: &str| -> String {
        locations
            .iter()
            .find(|location| match location.split_once('.') {
                Some((parent, field)) => format!("{parent}{}", camel(field)) == ty,
                None => camel(location) == ty,
            })
            .map_or_else(|| ty.to_owned(), |location| (*location).to_owned())
    };
    let member = |ty: &str, member: &str| match ty {
        "Client" => member.to_owned(),
        _ => format!("{ty}.{member}"),
    };
    let mut found = BTreeSet::new();
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let location = match words.as_slice() {
            // `field note of struct SendRequest, previously in file ...`
            ["field", field, "of", "struct", ty, ..] => member(ty.trim_end_matches(','), field),
            // `field SendRequest.channel in ...`
            ["field", path, "in", ..] => (*path).to_owned(),
            // `variant Kind:Sticker in ...`
            ["variant", path, ..] => of_type(path.split(':').next().unwrap_or(path)),
            // `struct fixture_client::builder::Legacy, previously in file ...`
            ["struct", path, ..] => {
                let name = path
                    .trim_end_matches(',')
                    .rsplit("::")
                    .next()
                    .unwrap_or(path);
                of_type(name)
            }
            // `Client::legacy, previously in file ...` (a method of a type)
            [path, ..] if path.ends_with(',') && path.contains("::") => {
                let (ty, name) = path.trim_end_matches(',').split_once("::").unwrap();
                member(ty, name)
            }
            _ => continue,
        };
        found.insert(location);
    }
    found
}

fn spec_report_and_semver_checks_agree_on_what_breaks() {
    let fixtures = xtask_dir().join("tests/fixtures/report");
    let report = diff_files(&fixtures.join("old.yaml"), &fixtures.join("new.yaml")).unwrap();
    let marked: BTreeSet<String> = report
        .changes
        .iter()
        .filter(|c| c.breaking)
        .map(|c| c.location.clone())
        .collect();

    let work = tempfile::tempdir().unwrap();
    let (old, new) = (work.path().join("old"), work.path().join("new"));
    client_crate(&old, &fixtures.join("old.yaml"));
    client_crate(&new, &fixtures.join("new.yaml"));
    // Shared, and kept between runs: progenitor is built once.
    let target = xtask_dir().join("../target/semver-agreement");
    let locations: Vec<&str> = report.changes.iter().map(|c| c.location.as_str()).collect();
    let (reported, text) = semver_breaks(&old, &new, &target, &locations);

    let report_only: BTreeSet<&str> = marked
        .iter()
        .filter(|l| !reported.contains(*l))
        .map(String::as_str)
        .collect();
    let semver_only: BTreeSet<&str> = reported
        .iter()
        .filter(|l| !marked.contains(*l))
        .map(String::as_str)
        .collect();
    let known: BTreeSet<&str> = KNOWN.iter().map(|(location, _)| *location).collect();
    assert_eq!(
        report_only, known,
        "marked BREAKING by spec diff, not reported by cargo-semver-checks\n{text}"
    );
    assert!(
        semver_only.is_empty(),
        "reported by cargo-semver-checks, not marked BREAKING by spec diff: {semver_only:?}\n{text}"
    );
    // Everything else agrees: here, an operation removed, a request and a response field
    // removed. And nothing cargo-semver-checks calls breaking is called compatible by the
    // report: the generated types are #[non_exhaustive], so the fields and values a refresh
    // adds (an optional request field, a request enum value) break no caller.
    let both: BTreeSet<&str> = marked
        .iter()
        .filter(|l| reported.contains(*l))
        .map(String::as_str)
        .collect();
    assert_eq!(
        both,
        BTreeSet::from(["legacy", "SendRequest.note", "Sent.contact_id"]),
        "{text}"
    );
}
