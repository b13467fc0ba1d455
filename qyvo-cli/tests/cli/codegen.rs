//! The generated commands, as a reviewed snapshot: a spec, progenitor or `build.rs` change
//! shows as a diff.

#[test]
fn generated_commands_snapshot() {
    insta::assert_snapshot!("cli", include_str!(concat!(env!("OUT_DIR"), "/cli.rs")));
}
