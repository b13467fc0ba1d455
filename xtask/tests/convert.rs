//! Down-conversion: one fixture per rule, the loud failures, identity on 3.0, the real snapshot.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions may panic"
)]

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use xtask::convert::{ConvertError, down_convert};
use xtask::document::parse;
use xtask::spec;

fn load(path: &Path) -> Value {
    parse(&fs::read(path).unwrap()).unwrap()
}

/// Each rule has a fixture: `input.yaml` converts (`spec convert`) to `expected.yaml`, reports
/// exactly `notes.txt` (none when absent), and progenitor generates the client from the result.
#[test]
fn every_rule_fixture_converts_to_its_expected_document() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/convert");
    let mut rules: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rules.sort();
    assert!(rules.len() >= 23, "fixtures missing: {rules:?}");
    for rule in rules {
        let name = rule.display();
        let converted = spec::convert(&fs::read(rule.join("input.yaml")).unwrap(), "input.yaml")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let document = parse(converted.text.as_bytes()).unwrap();
        assert_eq!(document, load(&rule.join("expected.yaml")), "rule {name}");
        let notes: Vec<String> = converted.notes.iter().map(ToString::to_string).collect();
        let expected_notes = fs::read_to_string(rule.join("notes.txt")).unwrap_or_default();
        assert_eq!(
            notes,
            expected_notes.lines().collect::<Vec<_>>(),
            "rule {name}"
        );
        spec::generates(&converted.text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The expected output is a fixed point: converting it again changes nothing.
        let again = spec::convert(converted.text.as_bytes(), "expected.yaml").unwrap();
        assert_eq!(
            parse(again.text.as_bytes()).unwrap(),
            document,
            "rule {name}"
        );
    }
}

#[test]
fn conversion_keeps_property_order() {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {"S": {"type": "object", "properties": {
            "z": {"type": ["string", "null"]}, "a": {"const": 1}, "m": {"type": "string"}}}}}});
    let converted = down_convert(doc).unwrap().document;
    let props = converted["components"]["schemas"]["S"]["properties"]
        .as_object()
        .unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["z", "a", "m"]);
    let z = props["z"].as_object().unwrap();
    assert_eq!(z.keys().collect::<Vec<_>>(), ["type", "nullable"]);
}

fn schema_error(schema: Value) -> String {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {"S": {"type": "object", "properties": {"p": schema}}}}});
    down_convert(doc).unwrap_err().to_string()
}

/// Keywords that change what validates and have no faithful 3.0 form stop the conversion.
#[test]
fn unknown_and_unsupported_keywords_fail_with_their_json_path() {
    let at = "$.components.schemas.S.properties.p";
    for keyword in [
        "if",
        "then",
        "else",
        "$dynamicRef",
        "dependentSchemas",
        "patternProperties",
        "unevaluatedItems",
        "$defs",
    ] {
        assert_eq!(
            schema_error(json!({"type": "object", keyword: {}})),
            format!("{at}: `{keyword}` is not supported by the 3.0 conversion"),
        );
    }
    assert_eq!(
        schema_error(json!({"type": "number", "minimum": 1, "exclusiveMinimum": 0})),
        format!(
            "{at}: `exclusiveMinimum` cannot be converted: a numeric exclusive bound next to an inclusive one"
        )
    );
    assert_eq!(
        schema_error(json!({"type": "array", "prefixItems": {"type": "string"}})),
        format!("{at}.prefixItems: expected an array of schemas")
    );
}

#[test]
fn unknown_keywords_outside_schemas_fail_too() {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "bogus": 1}}}}}});
    let err = down_convert(doc).unwrap_err();
    assert!(matches!(err, ConvertError::UnsupportedKeyword { .. }));
    assert_eq!(
        err.to_string(),
        "$.paths['/a'].get.responses['200']: `bogus` is not supported by the 3.0 conversion"
    );
    let tls = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "security": [{"m": []}, {"k": []}],
        "components": {"securitySchemes": {"m": {"type": "mutualTLS"},
            "k": {"type": "apiKey", "name": "k", "in": "header"}}}});
    let converted = down_convert(tls).unwrap();
    assert_eq!(converted.document["security"], json!([{"k": []}]));
    assert_eq!(
        converted.document["components"]["securitySchemes"],
        json!({"k": {"type": "apiKey", "name": "k", "in": "header"}})
    );
    assert_eq!(
        converted.notes[0].location.to_string(),
        "$.components.securitySchemes.m"
    );
}

#[test]
fn versions_other_than_3_0_and_3_1_are_rejected() {
    let err = down_convert(json!({"swagger": "2.0"})).unwrap_err();
    assert!(matches!(err, ConvertError::MissingVersion));
    let err = down_convert(json!({"openapi": "3.2.0"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported openapi version `3.2.0` (expected 3.0.x or 3.1.x)"
    );
}

fn repo_file(path: &str) -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)).unwrap()
}

#[test]
fn converting_a_3_0_3_document_is_the_identity() {
    let spec = parse(&repo_file("openapi.yaml")).unwrap();
    let converted = down_convert(spec.clone()).unwrap();
    assert_eq!(converted.document, spec);
    assert_eq!(
        serde_json::to_string(&converted.document).unwrap(),
        serde_json::to_string(&spec).unwrap(),
        "key order is kept too"
    );
    assert!(converted.notes.is_empty());
}

/// The snapshot is written in Scramble's dialect, as a Laravel export would be.
#[test]
fn the_upstream_snapshot_speaks_scramble() {
    let upstream = parse(&repo_file("spec/upstream.yaml")).unwrap();
    let keys: Vec<&str> = upstream
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "openapi",
            "info",
            "servers",
            "security",
            "paths",
            "components"
        ]
    );
    let schemas = upstream["components"]["schemas"].as_object().unwrap();
    assert!(
        schemas.contains_key("ContactResource") && schemas.contains_key("CreateContactRequest")
    );
    for (path, item) in upstream["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            assert_eq!(
                responses["401"]["$ref"], "#/components/responses/AuthenticationException",
                "{method} {path}"
            );
            if operation.get("requestBody").is_some() {
                assert_eq!(
                    responses["422"]["$ref"], "#/components/responses/ValidationException",
                    "{method} {path}"
                );
            }
        }
    }
}

/// Qyvo's document converts on its own (without the overlay) and generates.
#[test]
fn the_upstream_snapshot_converts_and_generates() {
    let converted = spec::convert(&repo_file("spec/upstream.yaml"), "upstream.yaml").unwrap();
    spec::generates(&converted.text).unwrap();
    let spec = xtask::codegen::parse(&converted.text).unwrap();
    assert_eq!(spec.openapi, "3.0.3");
    assert_eq!(spec.operations().count(), 24);
}

#[test]
fn a_synthesized_operation_id_that_is_taken_fails_loudly() {
    let doc = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/a": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/b": {"get": {"operationId": "get_a", "responses": {"200": {"description": "ok"}}}}}}"#;
    let err = spec::convert(doc, "doc.json").unwrap_err();
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "$.paths['/a'].get: `operationId` cannot be converted: the operationId made from method and path is already taken"
    );
}
