//! `qyvo` as a user runs it: the built binary, as a separate process, against the local Qyvo
//! server started by each test on 127.0.0.1 (which lives in the test process, so it survives a
//! killed `qyvo` and its journal can be read).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly"
)]

mod api;
mod campaign;
mod codegen;
mod import;
mod support;
mod tail;
mod webhooks;
