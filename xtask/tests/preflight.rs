//! Preflight generation: the build's own generation, run by the xtask, with progenitor's panics
//! turned into errors that name the operation.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions may panic"
)]

use xtask::preflight::{self, PreflightError};

fn spec(paths: &str, schemas: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}components:\n  schemas:\n    Thing: {{type: object, properties: {{id: {{type: string}}}}}}\n{schemas}"
    )
}

/// A future `Idempotency-Key` header: the trim keeps the header map for it, minus the slot of
/// the api-version header it removes.
#[test]
fn an_operation_with_a_header_parameter_generates() {
    let text = spec(
        "  /things:\n    post:\n      operationId: create_thing\n      parameters:\n      - {name: Idempotency-Key, in: header, required: true, schema: {type: string}}\n      - {name: X-Trace, in: header, schema: {type: string}}\n      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n      responses:\n        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n",
        "",
    );
    let code = preflight::client(&text).unwrap().client;
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        compact.contains("HeaderMap::with_capacity(2usize)"),
        "{code}"
    );
    assert!(compact.contains("header_map.append(\"Idempotency-Key\""));
    assert!(compact.contains("header_map.append(\"X-Trace\""));
    assert!(compact.contains(".headers(header_map)"));
    assert!(!code.contains("api-version"));
    syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
}

#[test]
fn operations_without_header_parameters_lose_the_header_map() {
    let text = spec(
        "  /things:\n    get:\n      operationId: list_things\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}}}}\n",
        "",
    );
    let code = preflight::client(&text).unwrap().client;
    assert!(!code.contains("header_map"));
    assert!(code.contains("crate :: runtime :: read_json"));
}

/// progenitor asserts one success type per operation; the preflight names the operation.
#[test]
fn a_progenitor_panic_names_the_operation() {
    let text = spec(
        "  /a:\n    get:\n      operationId: fine\n      responses: {'200': {description: ok}}\n  /b:\n    post:\n      operationId: two_types\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {type: string}}}}\n        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n",
        "",
    );
    let err = preflight::client(&text).unwrap_err();
    let PreflightError::Generate { failures } = &err else {
        panic!("{err}");
    };
    assert_eq!(failures.len(), 1, "{err}");
    assert_eq!(
        failures[0].operation.as_deref(),
        Some("post /b (two_types)")
    );
    assert!(
        failures[0]
            .message
            .starts_with("progenitor panicked: assertion failed: response_types.len() <= 1"),
        "{err}"
    );
}

#[test]
fn errors_outside_operations_blame_the_components() {
    let text = spec(
        "  /a:\n    get:\n      operationId: fine\n      responses: {'200': {description: ok}}\n",
        "    Clash: {type: string, enum: ['a-b', 'a_b']}\n",
    );
    let err = preflight::client(&text).unwrap_err();
    let PreflightError::Generate { failures } = &err else {
        panic!("{err}");
    };
    assert_eq!(failures[0].operation, None, "{err}");
    assert!(err.to_string().contains("the components: "), "{err}");
}

#[test]
fn progenitor_errors_are_reported_too() {
    let text = spec(
        "  /a:\n    get:\n      operationId: cookie\n      parameters: [{name: session, in: cookie, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n",
        "",
    );
    let err = preflight::client(&text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("progenitor cannot generate a client: get /a (cookie): unexpected or unhandled format in the OpenAPI document cookie parameters are not supported"),
        "{err}"
    );
    assert!(matches!(
        preflight::client("openapi: 3.0.3\n"),
        Err(PreflightError::Parse(_))
    ));
}

/// A `{client}` path parameter: progenitor renames its own client variable, and the routing
/// through the runtime follows it.
#[test]
fn a_parameter_named_client_renames_the_routing_too() {
    let text = spec(
        "  /clients/{client}:\n    get:\n      operationId: show_client\n      parameters:\n      - {name: client, in: path, required: true, schema: {type: string}}\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n        '404': {description: no, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}\n",
        "",
    );
    let code = preflight::client(&text).unwrap().client;
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains("crate::runtime::execute(&"), "{code}");
    assert!(
        compact.contains("crate::runtime::error_response(&"),
        "{code}"
    );
    syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
}

/// `x-qyvo-lenient` names a decoding the generator knows, on a field of the right shape.
#[test]
fn lenient_fields_are_checked() {
    let lenient = |property: &str, kind: &str, required: &str| {
        spec(
            "  /a:\n    get:\n      operationId: get_a\n      responses: {'200': {description: ok}}\n",
            &format!(
                "    Event:\n      type: object\n      required: [{required}]\n      properties:\n        {property}: {{type: string, x-qyvo-lenient: {kind}}}\n"
            ),
        )
    };
    let code = preflight::client(&lenient("webhook_id", "id", "webhook_id"))
        .unwrap()
        .types;
    assert!(code.contains("crate::types::lenient::id"), "{code}");
    for (text, wanted) in [
        (lenient("at", "sometime", "at"), "must be one of"),
        (
            lenient("webhook_id", "id", ""),
            "`id` fits a required field",
        ),
        (
            lenient("at", "timestamp", "at"),
            "`timestamp` fits an optional field",
        ),
    ] {
        let err = preflight::client(&text).unwrap_err().to_string();
        assert!(
            err.contains("x-qyvo-lenient") && err.contains(wanted),
            "{err}"
        );
    }
}
