//! Project automation for the qyvo SDK, run as `cargo xtask <job>`.
//!
//! Jobs:
//! - `spec refresh [--from <url-or-file>]`: fetch Qyvo's OpenAPI 3.1 document, down-convert it
//!   to 3.0.3 ([`convert`]), apply `spec/corrections.overlay.yaml` ([`overlay`]), write
//!   `openapi.yaml` and print what changed for SDK users ([`report`]);
//! - `spec convert <input> [-o <output>]`: any OpenAPI 3.0/3.1 document to 3.0.3 that progenitor
//!   generates from ([`convert`], [`operations`], [`preflight`]), every lossy step printed;
//! - `spec check`: prove `openapi.yaml` is exactly what the snapshot and the corrections produce;
//! - `spec diff <old> <new>`: the SDK-user report between any two 3.0 documents;
//! - `cli-spec [--check]`: copy `openapi.yaml` and `build/codegen.rs` for `qyvo-cli`'s build
//!   script ([`cli_spec`]);
//! - `phone-metadata [--check]`: Google libphonenumber's numbering plans as the SDK's phone
//!   parser tables ([`phone_metadata`]);
//! - `setup`: install the test tools under `tools/`, and Redis and PostgreSQL ([`servers`]);
//! - `version [--check]`: record in the SDK which API document it was generated from
//!   ([`version`]);
//! - `test`: the project's one test command;
//! - `build-cost [--runs N]`: a clean build of a hello-world on `qyvo` against one on raw
//!   `reqwest`, in CPU seconds, checked against the target ratio ([`build_cost`], Unix).
//!
//! The pipeline itself lives in [`spec`]; every job takes the repository root as a parameter so
//! that tests run it on temporary copies.

#[cfg(unix)]
pub mod build_cost;
pub mod ci;
pub mod cli_spec;
#[path = "../../build/codegen.rs"]
pub mod codegen;
pub mod convert;
#[cfg(unix)]
pub mod disk;
pub mod document;
pub mod fetch;
pub mod files;
pub mod location;
pub mod operations;
pub mod overlay;
pub mod phone_metadata;
pub mod preflight;
pub mod report;
pub mod run;
pub mod servers;
pub mod setup;
pub mod spec;
pub mod version;
