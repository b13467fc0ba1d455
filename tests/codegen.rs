//! The generated code, as reviewed snapshots: a spec or generator change shows as a diff.

#[test]
fn generated_types_snapshot() {
    insta::assert_snapshot!("types", include_str!(concat!(env!("OUT_DIR"), "/types.rs")));
}

#[test]
fn generated_client_snapshot() {
    insta::assert_snapshot!(
        "client",
        include_str!(concat!(env!("OUT_DIR"), "/client.rs"))
    );
}

#[test]
fn operation_table_snapshot() {
    insta::assert_snapshot!(
        "operations",
        include_str!(concat!(env!("OUT_DIR"), "/operations.rs"))
    );
}
