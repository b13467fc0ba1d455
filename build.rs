//! Generates the Qyvo client from `openapi.yaml` with progenitor.
//!
//! Writes three files to `OUT_DIR`, left unformatted (`tests/codegen.rs` formats them for the
//! reviewed snapshots):
//! - `types.rs`: progenitor's request and response types, included by `src/types.rs`;
//! - `client.rs`: the client and its request builders (builder interface, merged tags), edited
//!   to run through the runtime and answer `qyvo::Error`, included by `src/generated.rs`;
//! - `operations.rs`: the table of operations and their `x-qyvo-retry` class, included by
//!   `src/catalog.rs`.
//!
//! The generation itself lives in `build/codegen.rs`, which the xtask includes too: every spec
//! `cargo xtask spec refresh` writes has already been generated exactly this way.
//! Reads only the local spec: this script never touches the network.

use std::{env, fs, path::PathBuf};

#[path = "build/codegen.rs"]
mod codegen;

const SPEC: &str = "openapi.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/codegen.rs");

    let text = fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("cannot read {SPEC}: {e}"));
    let spec = codegen::parse(&text).unwrap_or_else(fail);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let codegen::Generated { types, client } = codegen::client(&spec).unwrap_or_else(fail);
    let operations = codegen::operation_table(&spec).unwrap_or_else(fail);
    fs::write(out.join("types.rs"), types).expect("write types.rs");
    fs::write(out.join("client.rs"), client).expect("write client.rs");
    fs::write(out.join("operations.rs"), operations).expect("write operations.rs");
}

fn fail<T>(e: codegen::CodegenError) -> T {
    panic!("{SPEC}: {e} (run `cargo xtask spec check`)")
}
