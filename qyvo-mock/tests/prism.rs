//! Requests through Prism's validating proxy (`prism proxy --errors`) to the mock.
//!
//! Needs Node.js and Prism (`QYVO_TEST_TOOLS=node`, see `qyvo_test_tools`).

#![allow(
    clippy::unwrap_used,
    reason = "a test binary with its own main: a failed unwrap is a failed assertion"
)]

use std::process::ExitCode;

use qyvo_mock::{MockServer, Operation, seed};
use qyvo_test_tools::conformance::Prism;
use qyvo_test_tools::{Tool, async_test};
use reqwest::Method;
use serde_json::{Value, json};

fn main() -> ExitCode {
    qyvo_test_tools::run(vec![async_test(
        "prism_passes_valid_exchanges_and_rejects_violations",
        &[Tool::Node],
        prism_passes_valid_exchanges_and_rejects_violations,
    )])
}

async fn prism_passes_valid_exchanges_and_rejects_violations() {
    let server = MockServer::start().await.unwrap();
    let prism = Prism::proxy(&server.base_url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!prism.url().ends_with("/api/v1"));
    let http = reqwest::Client::new();
    let request = |method: Method, path: &str| {
        http.request(method, format!("{}{path}", prism.url()))
            .bearer_auth(server.token())
    };
    let post = |path: &str, body: Value| request(Method::POST, path).json(&body).send();

    // A valid exchange goes through, validated both ways.
    let me = request(Method::GET, "/me").send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert!(me.headers().contains_key("x-ratelimit-remaining"));
    let me: Value = me.json().await.unwrap();
    assert!(me["id"].is_i64());

    let sent = post(
        "/actions/send-template-message",
        json!({"phone": "+14155550123", "template_id": seed::ORDER_SHIPPED_TEMPLATE_ID,
               "variables": {"1": "a", "2": "b", "3": "c"}}),
    )
    .await
    .unwrap();
    assert_eq!(sent.status(), 200);
    let template = post(
        "/actions/get-template",
        json!({"template_id": seed::ORDER_SHIPPED_TEMPLATE_ID}),
    )
    .await
    .unwrap();
    assert_eq!(template.status(), 200);
    // A documented error answer is a valid exchange too.
    let missing = post("/actions/get-contact", json!({"phone": "+14155550999"}))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"error": "Contact not found"})
    );

    // A request missing a required field is rejected by Prism and never reaches the mock.
    server.clear_journal();
    let invalid = post(
        "/actions/send-text-message",
        json!({"phone": "+14155550123"}),
    )
    .await
    .unwrap();
    assert_eq!(invalid.status(), 422);
    assert!(
        invalid.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    let problem: Value = invalid.json().await.unwrap();
    assert!(
        problem["type"].as_str().unwrap().contains("prism"),
        "{problem}"
    );
    assert_eq!(server.count(Operation::SendTextMessage), 0);

    // Prism serves the spec's paths at its root, not under /api/v1.
    let prefixed = request(Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(prefixed.status(), 404);
}
