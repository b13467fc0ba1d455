//! The path of one call: what every generated `send()` hands its request to.
//!
//! `build/codegen.rs` routes progenitor's methods here (see its `Route`): [`execute`] takes the
//! request from the rate limiter to an answer, retrying as the [`retry`](super::retry) policy
//! decides, and turns every failure into a typed [`Error`]; [`read_json`] reads a success body
//! and [`error_response`] any other answer. Nothing here wraps a generated method: they call
//! in, once each.

use std::future::Future;

use progenitor_client::{OperationInfo, ResponseValue};
use reqwest::{Request, Response, header::CONTENT_TYPE};

use super::{
    Shared,
    retry::{self, Decision},
    trace,
};
use crate::{
    Error,
    catalog::{self, RetryClass},
    error::Body,
    types::ApiError,
};

/// The longest excerpt kept of an error body that is not JSON, in characters.
const MAX_RAW_ERROR_CHARS: usize = 512;

/// The most bytes of a non-JSON error body read: [`MAX_RAW_ERROR_CHARS`] characters of any
/// width.
const MAX_RAW_ERROR_BYTES: usize = MAX_RAW_ERROR_CHARS * 4;

/// Sends `request` for the operation `info` until it succeeds, fails for good or runs out of
/// retries.
///
/// A 1xx or 2xx answer comes back as it is (its body bounded by the client's
/// `max_response_bytes`); any other answer, and any transport failure, as the [`Error`] it
/// classifies as. Each attempt takes a rate-limiter slot first; a failed one is repeated when
/// [`retry::decide`] says so and the retry budget allows.
///
/// Not an `async fn`, which would hold the request twice (argument and binding) in its future,
/// which every call moves; the `async move` block holds it once.
pub(crate) fn execute<'a>(
    http: &'a reqwest::Client,
    shared: &'a Shared,
    mut request: Request,
    info: &OperationInfo,
) -> impl Future<Output = Result<Response, Error>> + Send + 'a {
    let operation = info.operation_id;
    async move {
        let settings = shared.settings();
        let policy = retry::effective_policy(settings.retry);
        let mut retries = 0;
        loop {
            // A copy to repeat, made only while a retry may still follow.
            let copy = if policy.allows_retry(retries) {
                retry_copy(&request)
            } else {
                None
            };
            let ticket = match shared.limiter() {
                Some(limiter) => {
                    let cap = policy.max_retry_after();
                    let admitted = match limiter.try_admit(cap) {
                        Some(admitted) => admitted,
                        // Boxed, like every wait below: a timer inline would grow this
                        // future, which every call moves, by its size.
                        None => Box::pin(limiter.acquire(cap)).await,
                    };
                    match admitted {
                        Ok(ticket) => Some(ticket),
                        // The server asked for a longer pause than the policy waits: answer
                        // its 429 here instead of sending a request that gets one.
                        Err(wait) => {
                            return Err(Error::RateLimited {
                                retry_after: Some(wait),
                            });
                        }
                    }
                }
                None => None,
            };
            // A retry leaves this block with its pause and the request to repeat, so the span
            // and the failed attempt are gone before the pause; anything else returns.
            let (wait, next) = {
                let span = trace::request_span(
                    operation,
                    retries + 1,
                    request.body().and_then(reqwest::Body::as_bytes),
                    settings.trace_request_bodies,
                );
                let result = trace::attempt(&span, http.execute(request)).await;
                if let (Some(limiter), Some(ticket)) = (shared.limiter(), ticket) {
                    limiter
                        .release(ticket, result.as_ref().ok().map(Response::headers))
                        .await;
                }
                let max = settings.max_response_bytes;
                let error = match result {
                    Ok(response) if !is_failure(&response) => {
                        if retries == 0 {
                            shared.budget().earn();
                        }
                        return Ok(bounded(response, max));
                    }
                    // Only a failed attempt needs the operation's class.
                    Ok(response) => {
                        Box::pin(read_error(
                            response,
                            max,
                            operation,
                            catalog::retry_class(operation),
                        ))
                        .await
                    }
                    Err(source) => {
                        Error::from_transport(source, operation, catalog::retry_class(operation))
                    }
                };
                if let (
                    Some(limiter),
                    Error::RateLimited {
                        retry_after: Some(wait),
                    },
                ) = (shared.limiter(), &error)
                {
                    limiter.pause_for(*wait).await;
                }
                let decision = retry::decide(&error, retries, &policy, fastrand::f64());
                match (decision, copy) {
                    (Decision::RetryAfter(wait), Some(copy)) if shared.budget().try_spend() => {
                        (wait, copy)
                    }
                    _ => return Err(error),
                }
            };
            retries += 1;
            request = next;
            Box::pin(tokio::time::sleep(wait)).await;
        }
    }
}

/// Whether an answer is a failure: anything but 1xx and 2xx.
fn is_failure(response: &Response) -> bool {
    response.status().as_u16() >= 300
}

/// Reads a success body as `T`; the generated code calls this where progenitor wrote
/// `ResponseValue::from_response` (`build/codegen.rs` swaps them).
///
/// Moves the response headers into the value instead of copying them. Not an `async fn`,
/// which would hold the response twice in its future.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    mut response: Response,
    info: &OperationInfo,
) -> impl Future<Output = Result<ResponseValue<T>, Error>> {
    let operation = info.operation_id;
    async move {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let bytes = response.bytes().await.map_err(|source| {
            Error::from_transport(source, operation, catalog::retry_class(operation))
        })?;
        let inner = crate::error::decode(&bytes)?;
        Ok(ResponseValue::new(inner, status, headers))
    }
}

/// The error for an answer the generated code did not expect as a success: a status the
/// operation declares as an error, or one it does not declare at all.
///
/// [`execute`] already turns every 3xx, 4xx and 5xx into an [`Error`], so this reads what is
/// left: a 1xx or 2xx the operation does not declare ([`Error::UnexpectedStatus`]).
pub(crate) async fn error_response(
    shared: &Shared,
    response: Response,
    info: &OperationInfo,
) -> Error {
    let operation = info.operation_id;
    let max = shared.settings().max_response_bytes;
    read_error(response, max, operation, catalog::retry_class(operation)).await
}

/// Reads an answer's body (bounded) and classifies the answer.
///
/// A JSON body is read up to `max` bytes with the permissive error schema; any other body only
/// up to an excerpt ([`MAX_RAW_ERROR_CHARS`]), however long it is. Only a 4xx or 5xx body is
/// read: classification uses no other.
async fn read_error(
    mut response: Response,
    max: usize,
    operation: &'static str,
    class: RetryClass,
) -> Error {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = if !status.is_client_error() && !status.is_server_error() {
        Body::Text(String::new())
    } else if is_json(&headers) {
        Body::Json(api_error(&head(response, max).await))
    } else {
        let head = head(response, MAX_RAW_ERROR_BYTES).await;
        let text = String::from_utf8_lossy(&head);
        Body::Text(text.trim().chars().take(MAX_RAW_ERROR_CHARS).collect())
    };
    Error::from_answer(status, &headers, body, operation, class)
}

/// An error body read with the permissive schema; when even that fails (a field of another
/// type, a cut body), what can be salvaged: the `error` and `message` strings.
fn api_error(bytes: &[u8]) -> ApiError {
    serde_json::from_slice(bytes).unwrap_or_else(|_| {
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        ApiError {
            error: text("error"),
            message: text("message"),
            ..ApiError::default()
        }
    })
}

/// Whether the answer says it is JSON (`application/json` or any `+json` type).
fn is_json(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
        })
}

/// The first `limit` bytes of a body; the rest is never read. A failed read (a dropped
/// connection) keeps what came before it.
async fn head(response: Response, limit: usize) -> Vec<u8> {
    let mut body = reqwest::Body::from(response);
    let mut head = Vec::new();
    while head.len() < limit {
        match http_body_util::BodyExt::frame(&mut body).await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    head.extend_from_slice(data);
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    head.truncate(limit);
    head
}

/// A success answer whose body is bounded by `max` bytes.
///
/// An answer whose `Content-Length` is within the bound is used as it is: hyper reads exactly
/// the declared length, so the body cannot exceed it, and skipping the re-wrapping keeps the
/// common path as fast as plain reqwest.
fn bounded(response: Response, max: usize) -> Response {
    if declared_within(&response, max) {
        return response;
    }
    let http: http::Response<reqwest::Body> = response.into();
    let (parts, body) = http.into_parts();
    let body = reqwest::Body::wrap(http_body_util::Limited::new(body, max));
    Response::from(http::Response::from_parts(parts, body))
}

/// Whether the response declares a `Content-Length` of at most `max` bytes.
fn declared_within(response: &Response, max: usize) -> bool {
    response
        .content_length()
        .is_some_and(|length| usize::try_from(length).is_ok_and(|length| length <= max))
}

/// A copy of `request` to send again, or `None` when its body is a stream.
///
/// The same copy as `Request::try_clone`, without the extension map that one allocates on
/// every call to carry a timeout (the only extension a request built through the public API
/// can hold).
fn retry_copy(request: &Request) -> Option<Request> {
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    if let Some(body) = request.body() {
        *copy.body_mut() = Some(reqwest::Body::from(body.as_bytes()?.to_vec()));
    }
    Some(copy)
}

/// Turns the errors of the generated code's own `?`s (building the request) into [`Error`];
/// `build/codegen.rs` inserts `.map_err(IntoError::into_error)` before each.
///
/// Crate-private, so no progenitor type shows in the public API.
pub(crate) trait IntoError {
    /// The SDK's error for `self`.
    fn into_error(self) -> Error;
}

impl IntoError for Error {
    fn into_error(self) -> Error {
        self
    }
}

/// `RequestBuilder::build` fails only on a request that cannot be built.
impl IntoError for reqwest::Error {
    fn into_error(self) -> Error {
        Error::invalid_request(self.to_string())
    }
}

impl IntoError for reqwest::header::InvalidHeaderValue {
    fn into_error(self) -> Error {
        Error::invalid_request("a header parameter is not a valid header value")
    }
}

impl IntoError for std::convert::Infallible {
    fn into_error(self) -> Error {
        match self {}
    }
}

/// A builder's own check (`Error::InvalidRequest`) or a body that cannot be form-encoded.
impl IntoError for progenitor_client::Error {
    fn into_error(self) -> Error {
        match self {
            progenitor_client::Error::InvalidRequest(message) => Error::invalid_request(message),
            other => Error::invalid_request(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn response(body: reqwest::Body) -> Response {
        Response::from(http::Response::new(body))
    }

    #[test]
    fn a_retry_copy_is_the_same_request() {
        let client = reqwest::Client::new();
        let request = client
            .post("https://api.qyvo.io/api/v1/actions/get-contact?x=1")
            .header("accept", "application/json")
            .header("x-twice", "a")
            .header("x-twice", "b")
            .timeout(Duration::from_secs(7))
            .version(reqwest::Version::HTTP_11)
            .json(&serde_json::json!({"phone": "+14155550123"}))
            .build()
            .unwrap();
        let copy = retry_copy(&request).expect("a byte body can be copied");
        assert_eq!(copy.method(), request.method());
        assert_eq!(copy.url(), request.url());
        assert_eq!(copy.headers(), request.headers());
        assert_eq!(copy.timeout(), Some(&Duration::from_secs(7)));
        assert_eq!(copy.version(), reqwest::Version::HTTP_11);
        assert_eq!(
            copy.body().and_then(reqwest::Body::as_bytes),
            request.body().and_then(reqwest::Body::as_bytes)
        );

        let bare = client.get("https://api.qyvo.io/api/v1/me").build().unwrap();
        let copy = retry_copy(&bare).unwrap();
        assert!(copy.body().is_none() && copy.timeout().is_none());

        // A streamed body cannot be replayed: no copy, so no retry.
        let mut streamed = client
            .post("https://api.qyvo.io/api/v1/me")
            .build()
            .unwrap();
        *streamed.body_mut() = Some(reqwest::Body::wrap(http_body_util::Full::new(&b"{}"[..])));
        assert!(retry_copy(&streamed).is_none());
    }

    #[test]
    fn only_a_declared_length_within_the_bound_skips_the_wrapper() {
        assert!(declared_within(&response("0123456789".into()), 10));
        assert!(!declared_within(&response("0123456789".into()), 9));
        // A body of unknown length (chunked) is always bounded by the wrapper.
        let chunked = http_body_util::BodyExt::map_frame(reqwest::Body::from("0123"), |f| f);
        assert!(!declared_within(
            &response(reqwest::Body::wrap(chunked)),
            10
        ));
    }

    #[test]
    fn an_error_body_of_the_wrong_shape_keeps_its_message() {
        let salvaged = api_error(br#"{"message": "Server Error", "errors": "not a map"}"#);
        assert_eq!(salvaged.message.as_deref(), Some("Server Error"));
        assert!(salvaged.errors.is_empty());
        assert_eq!(api_error(b"{\"error\": \"cut"), ApiError::default());
        assert_eq!(
            api_error(br#"{"error": "Contact not found", "extra": 1}"#)
                .error
                .as_deref(),
            Some("Contact not found")
        );
    }

    #[test]
    fn json_is_told_by_its_media_type() {
        let with = |value: &'static str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static(value),
            );
            headers
        };
        assert!(is_json(&with("application/json")));
        assert!(is_json(&with("Application/JSON; charset=utf-8")));
        assert!(is_json(&with("application/problem+json")));
        assert!(!is_json(&with("text/html")));
        assert!(!is_json(&reqwest::header::HeaderMap::new()));
    }
}
