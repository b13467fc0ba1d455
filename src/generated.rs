//! The one seam between hand-written code and the code progenitor generates from `openapi.yaml`.
//!
//! Nothing else in the crate includes `OUT_DIR` files; `lib.rs` re-exports what users need.

#![allow(
    missing_docs,
    unused_imports,
    unused_qualifications,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    rust_2018_idioms
)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));

use crate::retry::{Operation, RetryClass};

include!(concat!(env!("OUT_DIR"), "/operations.rs"));
