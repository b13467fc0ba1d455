//! Project automation for the qyvo SDK, run as `cargo xtask <job>`.
//!
//! Jobs:
//! - `spec refresh [--from <url-or-file>]`: fetch Qyvo's OpenAPI 3.1 document, down-convert it
//!   to 3.0.3 ([`convert`]), apply `spec/corrections.overlay.yaml` ([`overlay`]), write
//!   `openapi.yaml` and print what changed for SDK users ([`report`]);
//! - `spec check`: prove `openapi.yaml` is exactly what the snapshot and the corrections produce;
//! - `spec diff <old> <new>`: the SDK-user report between any two 3.0 documents;
//! - `setup`: install the test tools under `tools/`, and Redis and PostgreSQL ([`servers`]);
//! - `test`: the project's one test command.
//!
//! The pipeline itself lives in [`spec`]; every job takes the repository root as a parameter so
//! that tests run it on temporary copies.

pub mod ci;
pub mod convert;
pub mod document;
pub mod fetch;
pub mod location;
pub mod overlay;
pub mod report;
pub mod run;
pub mod servers;
pub mod setup;
pub mod spec;
