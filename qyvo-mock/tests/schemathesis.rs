//! Property-based conformance of the mock to `openapi.yaml`, checked by schemathesis.
//!
//! The checks and the one per-operation exception are configured (and justified) in
//! `tests/schemathesis.toml`. Needs Python and schemathesis (`QYVO_TEST_TOOLS=python`, see
//! `qyvo_test_tools`).

use std::path::Path;
use std::process::{ExitCode, Output};
use std::time::Duration;

use qyvo_mock::{Fault, Injection, MockServer, Operation};
use qyvo_test_tools::conformance::{spec_path, tool};
use qyvo_test_tools::{Tool, async_test};

fn main() -> ExitCode {
    qyvo_test_tools::run(vec![
        async_test(
            "schemathesis_finds_no_spec_violation",
            &[Tool::Python],
            schemathesis_finds_no_spec_violation,
        ),
        async_test(
            "schemathesis_catches_a_deliberate_violation",
            &[Tool::Python],
            schemathesis_catches_a_deliberate_violation,
        ),
    ])
}

/// Runs schemathesis against `server`; `extra` narrows the run.
async fn schemathesis(server: &MockServer, max_examples: u32, extra: &[&str]) -> Output {
    let binary = tool(".venv/bin/schemathesis").unwrap_or_else(|e| panic!("{e}"));
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let report_dir = std::env::temp_dir().join(format!("qyvo-schemathesis-{}", std::process::id()));
    tokio::process::Command::new(binary)
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(spec_path())
        .args(["--url", &server.base_url()])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", server.token()),
        ])
        .args(["--max-examples", &max_examples.to_string()])
        .args(["--seed", "1", "--no-color", "--generation-database", "none"])
        .arg("--report-dir")
        .arg(report_dir)
        .args(extra)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run schemathesis")
}

/// A mock server whose rate limit schemathesis never reaches.
async fn unthrottled_server() -> MockServer {
    MockServer::builder()
        .rate_limit(1_000_000, Duration::from_secs(60))
        .start()
        .await
        .expect("start the mock")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn schemathesis_finds_no_spec_violation() {
    let server = unthrottled_server().await;
    let output = schemathesis(&server, 25, &[]).await;
    let report = text(&output);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}"
    );
    assert!(
        report.contains("Tested: 24"),
        "not every operation was tested:\n{report}"
    );
    assert!(server.count(Operation::SendTemplateMessage) > 0);
}

/// The run above would fail if the server broke the spec: a malformed body on `/me` is caught.
async fn schemathesis_catches_a_deliberate_violation() {
    let server = unthrottled_server().await;
    server.inject(
        Injection::new(Fault::MalformedJson)
            .on(Operation::Me)
            .times(u32::MAX),
    );
    let output = schemathesis(
        &server,
        5,
        &["--include-operation-id", "me", "--phases", "fuzzing"],
    )
    .await;
    let report = text(&output);
    assert!(
        !output.status.success(),
        "schemathesis missed the malformed JSON:\n{report}"
    );
    assert!(report.contains("GET /me"), "{report}");
}
