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

fn load(path: &Path) -> Value {
    parse(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_rule_fixture_converts_to_its_expected_document() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/convert");
    let mut rules: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rules.sort();
    assert!(rules.len() >= 12, "fixtures missing: {rules:?}");
    for rule in rules {
        let converted = down_convert(load(&rule.join("input.yaml")))
            .unwrap_or_else(|e| panic!("{}: {e}", rule.display()));
        assert_eq!(
            converted.document,
            load(&rule.join("expected.yaml")),
            "rule {}",
            rule.display()
        );
        // The expected output is a fixed point: converting it again changes nothing.
        let again = down_convert(converted.document.clone()).unwrap();
        assert_eq!(
            again.document,
            converted.document,
            "rule {}",
            rule.display()
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

#[test]
fn unknown_and_unsupported_keywords_fail_with_their_json_path() {
    let at = "$.components.schemas.S.properties.p";
    for keyword in [
        "prefixItems",
        "if",
        "then",
        "else",
        "$dynamicRef",
        "dependentSchemas",
        "patternProperties",
        "unevaluatedItems",
        "$defs",
        "made-up",
    ] {
        assert_eq!(
            schema_error(json!({"type": "object", keyword: {}})),
            format!("{at}: `{keyword}` is not supported by the 3.0 conversion"),
        );
    }
    assert_eq!(
        schema_error(json!({"type": "array", "items": [{"type": "string"}]})),
        format!("{at}: `items` cannot be converted: tuple-form `items` (an array)")
    );
    assert_eq!(
        schema_error(json!({"type": "number", "minimum": 1, "exclusiveMinimum": 0})),
        format!(
            "{at}: `exclusiveMinimum` cannot be converted: a numeric exclusive bound next to an inclusive one"
        )
    );
    assert_eq!(
        schema_error(json!({"type": "string", "contentEncoding": "base32"})),
        format!(
            "{at}: `contentEncoding` cannot be converted: only base64 has a 3.0 form (`format: byte`)"
        )
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
        "components": {"securitySchemes": {"m": {"type": "mutualTLS"}}}});
    assert!(matches!(
        down_convert(tls),
        Err(ConvertError::UnsupportedValue { .. })
    ));
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
    assert!(converted.dropped.is_empty());
}

#[test]
fn the_upstream_snapshot_converts_and_parses_with_openapiv3() {
    let converted = down_convert(parse(&repo_file("spec/upstream.yaml")).unwrap()).unwrap();
    let spec: openapiv3::OpenAPI = serde_json::from_value(converted.document).unwrap();
    assert_eq!(spec.openapi, "3.0.3");
    assert_eq!(spec.operations().count(), 24);
    let dropped: Vec<String> = converted.dropped.iter().map(ToString::to_string).collect();
    assert!(dropped.contains(&"$.webhooks".to_owned()), "{dropped:?}");
    assert!(dropped.contains(&"$.info.license.identifier".to_owned()));
}
