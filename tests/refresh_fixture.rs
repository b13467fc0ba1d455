//! A refresh that adds an optional request field needs no hand edit to use it through the
//! checked builders: the crate's own sources, built against a fixture spec that adds a field
//! to send-template-message and one to create-contact, compile a caller setting both through
//! `send_template(..).body_map(..)` and `upsert_contact(..).body_map(..)`. The same caller does
//! not compile against the real spec, so the fields are really new.
//!
//! The fixture crate is this crate's `src/` and `build.rs` (by path, unchanged) with the
//! fixture spec beside its manifest; it is checked with `cargo check --no-default-features`
//! into `target/refresh-fixture`, kept between runs.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed assertion"
)]

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{Value, json};

/// A caller of the new fields, through the hand-written builders only.
const CALLER: &str = r#"use qyvo::{prelude::*, template::Variables};

async fn uses_the_new_fields(client: &qyvo::Client) -> Result<(), qyvo::Error> {
    client
        .send_template("+14155550123", "01J0AB7Q4W5M3N8C2ZP6TKV9RA", Variables::new())
        .body_map(|b| b.campaign_tag(Some("spring-sale".to_owned())))
        .send()
        .await?;
    client
        .upsert_contact("+14155550123")
        .body_map(|b| b.source_note(Some("met at the fair".to_owned())))
        .send()
        .await?;
    Ok(())
}

fn main() {
    let _ = uses_the_new_fields;
}
"#;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One `[section]` of the real manifest, header included.
fn section(manifest: &str, name: &str) -> String {
    let header = format!("[{name}]");
    let mut lines = manifest.lines().skip_while(|line| line.trim() != header);
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.take_while(|line| !line.starts_with('[')));
    assert!(!out.is_empty(), "Cargo.toml has no {header}");
    out.join("\n")
}

/// The real spec, with `campaign_tag` added to the send-template-message body and
/// `source_note` to the create-contact body when `with_new_fields`.
fn spec(with_new_fields: bool) -> Value {
    let text = fs::read_to_string(root().join("openapi.yaml")).unwrap();
    let mut spec: Value = yaml_serde::from_str(&text).unwrap();
    if with_new_fields {
        let schemas = &mut spec["components"]["schemas"];
        for (schema, field) in [
            ("SendTemplateMessageRequest", "campaign_tag"),
            ("CreateContactRequest", "source_note"),
        ] {
            let properties = schemas[schema]["properties"]
                .as_object_mut()
                .unwrap_or_else(|| panic!("{schema} has properties"));
            assert!(
                !properties.contains_key(field),
                "{schema}.{field} exists already"
            );
            properties.insert(
                field.to_owned(),
                json!({"type": "string", "nullable": true}),
            );
        }
    }
    spec
}

/// A crate of this crate's sources and build script with `spec` beside its manifest.
fn fixture(dir: &Path, spec: &Value) {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let sections = ["features", "dependencies", "build-dependencies"]
        .map(|name| section(&manifest, name))
        .join("\n\n");
    let path = |relative: &str| root().join(relative).display().to_string();
    fs::create_dir_all(dir.join("examples")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"qyvo\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\nbuild = {:?}\n\n[lib]\npath = {:?}\n\n[workspace]\n\n{sections}\n",
            path("build.rs"),
            path("src/lib.rs"),
        ),
    )
    .unwrap();
    fs::write(dir.join("openapi.yaml"), spec.to_string()).unwrap();
    fs::write(dir.join("examples/caller.rs"), CALLER).unwrap();
    fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

/// `cargo check` of the caller against the crate built from `spec`: its stderr on failure.
fn check(spec: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), spec);
    let output = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--quiet",
            "--no-default-features",
            "--example",
            "caller",
        ])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", root().join("target/refresh-fixture"))
        .output()
        .unwrap();
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

#[test]
fn a_new_optional_request_field_is_usable_through_the_checked_builders_with_no_hand_edit() {
    check(&spec(true)).unwrap_or_else(|e| panic!("the fixture crate does not build:\n{e}"));
    let without = check(&spec(false)).expect_err("the caller needs the new fields");
    assert!(
        without.contains("campaign_tag") && without.contains("source_note"),
        "{without}"
    );
}
