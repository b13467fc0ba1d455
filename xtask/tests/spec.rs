//! The pipeline on temporary copies of the repository's spec files: refresh, check, drift,
//! unmatched corrections, offline failures, determinism. Also checks the real repository.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions may panic"
)]

use std::fs;
use std::path::{Path, PathBuf};

use xtask::fetch::Source;
use xtask::spec::{self, SpecError};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const FILES: &[&str] = &[
    "openapi.yaml",
    "spec/upstream.yaml",
    "spec/corrections.overlay.yaml",
    "spec/provenance.json",
];

/// A temporary root holding copies of the spec files.
fn copy_of_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("spec")).unwrap();
    for file in FILES {
        fs::copy(repo().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn snapshot(root: &Path) -> Vec<Vec<u8>> {
    FILES
        .iter()
        .map(|f| fs::read(root.join(f)).unwrap())
        .collect()
}

/// `cargo test --workspace` fails when openapi.yaml drifts from spec/ (hand edit, stale refresh).
#[test]
fn repository_spec_is_up_to_date() {
    if let Err(e) = spec::check(&repo()) {
        panic!("{e}");
    }
}

#[test]
fn refresh_from_the_snapshot_reproduces_openapi_yaml_and_is_deterministic() {
    let root = copy_of_repo();
    let upstream = Source::File(root.path().join("spec/upstream.yaml"));
    let first = spec::refresh(root.path(), &upstream).unwrap();
    assert!(
        !first.changed,
        "the committed openapi.yaml is what refresh writes"
    );
    assert!(first.report.changes.is_empty());
    let once = fs::read(root.path().join("openapi.yaml")).unwrap();
    spec::refresh(root.path(), &upstream).unwrap();
    assert_eq!(fs::read(root.path().join("openapi.yaml")).unwrap(), once);
    assert_eq!(once, fs::read(repo().join("openapi.yaml")).unwrap());
    spec::check(root.path()).unwrap();
}

#[test]
fn hand_edits_are_caught_with_a_diff() {
    let root = copy_of_repo();
    let path = root.path().join("openapi.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("summary: Send free-form text", "summary: Send text"),
    )
    .unwrap();
    let err = spec::check(root.path()).unwrap_err();
    let SpecError::Drift { diff, .. } = &err else {
        panic!("expected drift, got {err}");
    };
    assert!(diff.contains("-      summary: Send text inside"), "{diff}");
    assert!(
        diff.contains("+      summary: Send free-form text inside"),
        "{diff}"
    );
}

#[test]
fn a_correction_that_matches_nothing_is_an_error_naming_it() {
    let root = copy_of_repo();
    let path = root.path().join("spec/corrections.overlay.yaml");
    let mut overlay = fs::read_to_string(&path).unwrap();
    overlay.push_str("  - target: $.components.schemas.Vanished.properties.id\n    remove: true\n");
    fs::write(&path, overlay).unwrap();
    let count =
        xtask::overlay::Overlay::actions(&fs::read_to_string(&path).unwrap().parse().unwrap())
            .len();
    for result in [
        spec::check(root.path()),
        spec::refresh(
            root.path(),
            &Source::File(root.path().join("spec/upstream.yaml")),
        )
        .map(drop),
    ] {
        let err = result.unwrap_err();
        let SpecError::Unmatched { unmatched } = &err else {
            panic!("expected unmatched, got {err}");
        };
        assert_eq!(unmatched.len(), 1);
        assert_eq!(unmatched[0].index, count - 1);
        assert_eq!(
            unmatched[0].target,
            "$.components.schemas.Vanished.properties.id"
        );
    }
}

#[test]
fn offline_refresh_fails_clearly_and_changes_nothing() {
    let root = copy_of_repo();
    let before = snapshot(root.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // the listener is dropped: the port is closed
    let url = format!("http://127.0.0.1:{port}/openapi.yaml");
    let err = spec::refresh(root.path(), &url.parse().unwrap()).unwrap_err();
    assert!(matches!(err, SpecError::Fetch(_)), "{err:?}");
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        format!("cannot fetch {url} (offline, or the server is unreachable?)")
    );
    assert_eq!(snapshot(root.path()), before);
    let leftovers: Vec<_> = fs::read_dir(root.path().join("spec")).unwrap().collect();
    assert_eq!(leftovers.len(), 3, "no temporary files left behind");
}

#[test]
fn http_errors_and_bad_documents_change_nothing() {
    let root = copy_of_repo();
    let before = snapshot(root.path());
    // A server that answers 404 once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/openapi.yaml", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0; 1024];
        let _ = stream.read(&mut buf).unwrap();
        stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .unwrap();
    });
    let err = spec::refresh(root.path(), &url.parse().unwrap()).unwrap_err();
    server.join().unwrap();
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        format!("{url} answered http 404")
    );
    let bad = root.path().join("bad.yaml");
    fs::write(&bad, "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents: {schemas: {S: {if: {}}}}\n").unwrap();
    let err = spec::refresh(root.path(), &Source::File(bad)).unwrap_err();
    assert!(matches!(err, SpecError::Convert(_)), "{err}");
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn refresh_reports_changes_and_records_provenance() {
    let root = copy_of_repo();
    let changed = root.path().join("changed.json");
    let mut doc =
        xtask::document::parse(&fs::read(root.path().join("spec/upstream.yaml")).unwrap()).unwrap();
    let props = doc["components"]["schemas"]["SendTextMessageRequest"]["properties"]
        .as_object_mut()
        .unwrap();
    props.insert("preview_url".into(), serde_json::json!({"type": "boolean"}));
    doc["components"]["schemas"]["SendTextMessageRequest"]["required"]
        .as_array_mut()
        .unwrap()
        .push("preview_url".into());
    fs::write(&changed, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let refreshed = spec::refresh(root.path(), &Source::File(changed)).unwrap();
    assert!(refreshed.changed);
    assert_eq!(refreshed.report.changes.len(), 1);
    assert_eq!(
        refreshed.report.changes[0].location,
        "SendTextMessageRequest.preview_url"
    );
    assert!(refreshed.report.changes[0].breaking);
    // A JSON upstream replaces the YAML snapshot, and provenance describes it.
    assert!(root.path().join("spec/upstream.json").exists());
    assert!(!root.path().join("spec/upstream.yaml").exists());
    let provenance: serde_json::Value =
        serde_json::from_slice(&fs::read(root.path().join("spec/provenance.json")).unwrap())
            .unwrap();
    assert_eq!(provenance["upstream"], "spec/upstream.json");
    assert_eq!(
        provenance["sha256"],
        spec::sha256_hex(&fs::read(root.path().join("spec/upstream.json")).unwrap())
    );
    spec::check(root.path()).unwrap();
    assert!(
        fs::read_to_string(root.path().join("openapi.yaml"))
            .unwrap()
            .starts_with("# Generated by `cargo xtask spec refresh` from spec/upstream.json + ")
    );
}
