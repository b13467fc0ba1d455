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

/// Reads a JSON response into a [`ResponseValue`]; the generated code calls this where
/// progenitor wrote `ResponseValue::from_response` (`build.rs` swaps them).
///
/// Behaves like progenitor's reader (same errors for a failed read and for a body that does
/// not decode) but moves the response headers into the value instead of copying them. Not an
/// `async fn`, which would hold the response twice in its future.
pub(crate) fn read_json<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> impl std::future::Future<Output = Result<ResponseValue<T>, Error<E>>> {
    async move {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
        let inner =
            serde_json::from_slice(&full).map_err(|e| Error::InvalidResponsePayload(full, e))?;
        Ok(ResponseValue::new(inner, status, headers))
    }
}

/// Adds a query parameter to a request; the generated code calls this where progenitor wrote
/// `builder.query(param)` (`build.rs` swaps them).
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
