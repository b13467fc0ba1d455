//! Independent validation of `openapi.yaml` with `openapi-spec-validator`. Needs Python and
//! the validator (`QYVO_TEST_TOOLS=python`, see `qyvo_test_tools`).

use std::process::ExitCode;

use qyvo_test_tools::conformance::{spec_path, tool};
use qyvo_test_tools::{Tool, test};

fn main() -> ExitCode {
    qyvo_test_tools::run(vec![test(
        "openapi_yaml_is_a_valid_openapi_document",
        &[Tool::Python],
        openapi_yaml_is_a_valid_openapi_document,
    )])
}

fn openapi_yaml_is_a_valid_openapi_document() {
    let validator = tool(".venv/bin/openapi-spec-validator").unwrap_or_else(|e| panic!("{e}"));
    let output = std::process::Command::new(validator)
        .arg(spec_path())
        .output()
        .expect("run openapi-spec-validator");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "openapi-spec-validator failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("OK"), "unexpected output:\n{stdout}");
}
