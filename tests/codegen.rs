//! The generated client, as a reviewed snapshot: a spec or generator change shows as a diff.

#[test]
fn generated_client_snapshot() {
    insta::assert_snapshot!(
        "codegen",
        include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"))
    );
}

#[test]
fn operation_table_snapshot() {
    insta::assert_snapshot!(
        "operations",
        include_str!(concat!(env!("OUT_DIR"), "/operations.rs"))
    );
}
