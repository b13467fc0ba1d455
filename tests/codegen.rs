//! The generated client, as a reviewed snapshot: a spec or generator change shows as a diff.
//!
//! `build.rs` writes the client unformatted (users' builds need no formatter); the snapshot is
//! the same code formatted by prettyplease, after the file's one-line header.

const CODEGEN: &str = include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"));

fn formatted() -> String {
    let (header, code) = CODEGEN.split_once('\n').expect("a header line");
    let file = syn::parse_file(code).expect("build.rs writes valid Rust");
    format!("{header}\n{}", prettyplease::unparse(&file))
}

#[test]
fn generated_client_snapshot() {
    insta::assert_snapshot!("codegen", formatted());
}

/// `build/codegen.rs`'s edits still find what they replace in progenitor's output for this spec.
#[test]
fn trims_apply_to_the_qyvo_client() {
    let code = formatted();
    for wanted in [
        "crate::generated::read_json(",
        "crate::generated::query(",
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
    ] {
        assert!(!code.contains(gone), "{gone} left");
    }
}

#[test]
fn operation_table_snapshot() {
    insta::assert_snapshot!(
        "operations",
        include_str!(concat!(env!("OUT_DIR"), "/operations.rs"))
    );
}
