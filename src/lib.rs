#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly): each feature-gated item shows the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The layers, bottom up (`docs/architecture.md`); a module imports only from layers below it.
//
// Foundations: constants and generated data, no HTTP.
pub mod catalog;
pub mod defaults;
mod spec_version;
pub mod types;
// Domain types: phone numbers, templates, contacts; no HTTP.
pub mod contact;
pub mod phone;
pub mod template;
// Runtime: configuration, the request path, retries, rate limiting, tracing, errors; the
// PostgreSQL connection and schema that shared state stands on.
pub mod error;
#[cfg(feature = "postgres")]
pub mod postgres;
mod runtime;
// The generated client, standing on the runtime.
mod generated;
// Conveniences on the client: checked requests, pollers and webhooks; bulk sends on the
// checked ones; campaigns shared by workers on bulk sends; the extension trait that starts
// them all.
pub mod bulk;
#[cfg(feature = "postgres")]
pub mod campaign;
pub mod checked;
pub mod ext;
pub mod poll;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use error::Error;
pub use generated::{Client, builder};
pub use progenitor_client::{ClientInfo, ResponseValue};
/// The HTTP client the SDK is built on, at the version it uses (see
/// [`ClientBuilder::http_client`]).
pub use reqwest;
pub use runtime::{
    config::{ClientBuilder, ConfigError},
    ratelimit, retry,
};
pub use spec_version::{SPEC_FETCHED_AT, SPEC_SHA256, SPEC_VERSION};

/// Everything a typical caller needs: `use qyvo::prelude::*;`.
pub mod prelude {
    pub use crate::ext::QyvoClientExt;
    pub use crate::{Client, ClientBuilder, ClientInfo as _, Error};
}
