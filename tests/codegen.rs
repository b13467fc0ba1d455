//! The generated code, as reviewed snapshots: a spec or generator change shows as a diff.
//!
//! `build.rs` writes the generated files unformatted (users' builds need no formatter); the
//! snapshots are the same code formatted by prettyplease, after each file's one-line header.

const TYPES: &str = include_str!(concat!(env!("OUT_DIR"), "/types.rs"));
const CLIENT: &str = include_str!(concat!(env!("OUT_DIR"), "/client.rs"));

fn formatted(generated: &str) -> String {
    let (header, code) = generated.split_once('\n').expect("a header line");
    let file = syn::parse_file(code).expect("build.rs writes valid Rust");
    format!("{header}\n{}", prettyplease::unparse(&file))
}

#[test]
fn generated_types_snapshot() {
    insta::assert_snapshot!("types", formatted(TYPES));
}

#[test]
fn generated_client_snapshot() {
    insta::assert_snapshot!("client", formatted(CLIENT));
}

/// `build/codegen.rs`'s edits still find what they replace in progenitor's output for this spec.
#[test]
fn edits_apply_to_the_qyvo_client() {
    let code = formatted(CLIENT);
    for wanted in [
        "crate::runtime::read_json(",
        "crate::runtime::execute(",
        "crate::runtime::error_response(",
        "crate::runtime::IntoError::into_error",
        "crate::generated::query(",
        "-> Result<ResponseValue<types::Me>, crate::Error>",
        "```text",
    ] {
        assert!(code.contains(wanted), "{wanted} missing");
    }
    for gone in [
        "api-version",
        "from_response",
        "ACCEPT",
        "```ignore",
        "HeaderMap",
        ".exec(",
        "Error<types::ApiError>",
        "pub fn new(baseurl",
        "pub fn new_with_client",
    ] {
        assert!(!code.contains(gone), "{gone} left");
    }
    assert!(
        formatted(TYPES).contains("deserialize_with = \"crate::types::null_as_default\""),
        "optional lists read null"
    );
}

#[test]
fn operation_table_snapshot() {
    insta::assert_snapshot!(
        "operations",
        include_str!(concat!(env!("OUT_DIR"), "/operations.rs"))
    );
}
