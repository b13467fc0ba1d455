//! The generated client: progenitor's [`Client`] and its request builders, built by `build.rs`
//! from `openapi.yaml` and standing on the runtime.
//!
//! Nothing else in the crate includes this `OUT_DIR` file; `lib.rs` re-exports what users
//! need. Each builder's `send()` hands its request to [`crate::runtime::execute`] and fails with
//! [`crate::Error`] (`build/codegen.rs`'s `Route`); the request and response types are in
//! [`crate::types`]. This module also assembles a [`Client`] from a [`ClientBuilder`]: the one
//! place where the generated client meets the runtime's configuration.

#![allow(
    missing_docs,
    unused_imports,
    unused_qualifications,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    rust_2018_idioms
)]

use crate::{ClientBuilder, ConfigError, types};

include!(concat!(env!("OUT_DIR"), "/client.rs"));

impl ClientBuilder {
    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the token cannot be sent in a header, the base URL is invalid or
    /// insecure (or needs TLS the crate was built without), or the HTTP client cannot be built.
    pub fn build(self) -> Result<Client, ConfigError> {
        let parts = self.into_parts()?;
        Ok(Client::new_with_client(
            &parts.base_url,
            parts.http,
            parts.shared,
        ))
    }
}

/// Adds a query parameter to a request; the generated code calls this where progenitor wrote
/// `builder.query(param)` (`build/codegen.rs` swaps them).
///
/// A parameter that writes nothing (an unset optional one) leaves the request alone:
/// `RequestBuilder::query` rewrites the URL's query string even then, which costs more than
/// the rest of building the request. Any other parameter goes through `query` as before,
/// errors included.
pub(crate) fn query<T: serde::Serialize + ?Sized>(
    builder: reqwest::RequestBuilder,
    param: &T,
) -> reqwest::RequestBuilder {
    match serde_urlencoded::to_string(param) {
        Ok(pairs) if pairs.is_empty() => builder,
        _ => builder.query(param),
    }
}
