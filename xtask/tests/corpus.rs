//! Real documents (`tests/fixtures/corpus`, sources in its README) through `spec convert` and
//! the build's generation, then openapi-spec-validator: no refusal, no panic, no invalid output.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions may panic"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use xtask::{document, setup, spec};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn operations(document: &Value) -> usize {
    document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

/// The README's rows: document, "in → out" operations, lossy steps.
fn table() -> Vec<(String, String, usize)> {
    fs::read_to_string(corpus().join("README.md"))
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_owned(),
                cells[6].to_owned(),
                cells[7].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_corpus_document_converts_validates_and_generates() {
    let rows = table();
    let out = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    let mut documents: Vec<PathBuf> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .collect();
    documents.sort();
    assert!(documents.len() >= 9, "{documents:?}");
    assert_eq!(rows.len(), documents.len(), "one README row per document");
    for path in documents {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        let converted = spec::convert(&bytes, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
        spec::generates(&converted.text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let before = operations(&document::parse(&bytes).unwrap());
        let after = operations(&document::parse(converted.text.as_bytes()).unwrap());
        let row = rows
            .iter()
            .find(|r| r.0 == name)
            .unwrap_or_else(|| panic!("no README row for {name}"));
        assert_eq!(row.1, format!("{before} → {after}"), "{name}: operations");
        assert_eq!(row.2, converted.notes.len(), "{name}: lossy steps");
        let output = out.path().join(format!("{name}.yaml"));
        fs::write(&output, &converted.text).unwrap();
        outputs.push(output);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let validator = root.join(setup::VENV).join("bin/openapi-spec-validator");
    assert!(
        validator.is_file(),
        "{} is missing: run `cargo xtask setup`",
        validator.display()
    );
    let result = Command::new(&validator).args(&outputs).output().unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "openapi-spec-validator failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(stdout.matches(": OK").count(), outputs.len(), "{stdout}");
}
