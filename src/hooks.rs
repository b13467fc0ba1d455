//! Cross-cutting behaviour, attached once through progenitor's `ClientHooks`: the rate
//! limiter, retries, response-size bounds, error-body normalisation and tracing. No generated
//! method is wrapped.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime},
};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{
    Request, Response, ResponseBuilderExt,
    header::{CONTENT_TYPE, RETRY_AFTER},
};

use crate::{
    Client,
    ratelimit::{self, Admission, Permit, RateLimiter},
    retry::{self, Attempt, Decision, RetryBudget, RetryClass, RetryPolicy},
};

/// The largest response body the SDK reads by default: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// The longest error body kept when a server answers an error with something other than JSON.
const MAX_RAW_ERROR_CHARS: usize = 512;

/// The most bytes of a non-JSON error body read: [`MAX_RAW_ERROR_CHARS`] characters of any
/// width.
const MAX_RAW_ERROR_BYTES: usize = MAX_RAW_ERROR_CHARS * 4;

/// Per-client settings of the hooks.
#[derive(Debug, Clone)]
pub(crate) struct RuntimeConfig {
    pub(crate) retry: RetryPolicy,
    /// `None` turns the proactive limiter off.
    pub(crate) rate_limit: Option<(u32, Duration)>,
    pub(crate) max_response_bytes: usize,
    pub(crate) template_cache_ttl: Duration,
    /// Whether request spans carry the (masked) request body.
    pub(crate) trace_request_bodies: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            rate_limit: Some((ratelimit::DEFAULT_LIMIT, ratelimit::DEFAULT_WINDOW)),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            template_cache_ttl: crate::ext::DEFAULT_TEMPLATE_CACHE_TTL,
            trace_request_bodies: false,
        }
    }
}

/// Per-client state of the hooks, shared by clones.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub(crate) config: RuntimeConfig,
    pub(crate) limiter: Option<Arc<RateLimiter>>,
    pub(crate) templates: crate::ext::TemplateCache,
    budget: RetryBudget,
}

impl Runtime {
    pub(crate) fn new(config: RuntimeConfig, limiter: Option<Arc<RateLimiter>>) -> Self {
        Self {
            templates: crate::ext::TemplateCache::new(config.template_cache_ttl),
            config,
            limiter,
            budget: RetryBudget::new(),
        }
    }

    /// Books the end of an attempt: frees its limiter slot (re-synchronising the limiter from
    /// the answer's headers), pauses the limiter on a 429's `Retry-After`, and says what the
    /// attempt ended in.
    fn settle(&self, permit: Option<Permit>, result: &reqwest::Result<Response>) -> Attempt {
        if let (Some(limiter), Some(permit)) = (&self.limiter, permit) {
            limiter.release(permit, result.as_ref().ok().map(Response::headers));
        }
        let response = match result {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Attempt::NotSent,
            Err(_) => return Attempt::NoResponse,
        };
        let status = response.status();
        let headers = response.headers();
        // Only a failure may be retried after a pause.
        let retry_after = (!status.is_success() && headers.contains_key(RETRY_AFTER))
            .then(|| retry::parse_retry_after(headers, SystemTime::now()))
            .flatten();
        if let (Some(limiter), Some(wait)) = (&self.limiter, retry_after)
            && status == reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            limiter.pause_for(wait);
        }
        Attempt::Answered {
            status,
            retry_after,
        }
    }
}

impl ClientHooks<crate::client::Shared> for Client {
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` holds the request twice (argument and binding) in its future, \
                  which every call moves; an `async move` block holds it once"
    )]
    fn exec(
        &self,
        mut request: Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<Response>> {
        async move {
            let runtime = &self.inner().runtime;
            let policy = retry::effective_policy(runtime.config.retry);
            let mut retries = 0;
            let result = loop {
                // A copy to repeat, made only while a retry may still follow.
                let copy = if policy.allows_retry(retries) {
                    retry_copy(&request)
                } else {
                    None
                };
                let permit = match &runtime.limiter {
                    Some(limiter) => {
                        let cap = policy.retry_after_cap();
                        let admitted = match limiter.admit(cap) {
                            Admission::Now(permit) => Ok(permit),
                            // Boxed, like every wait below: a timer inline would grow this
                            // future, which every call moves, by its size.
                            _ => Box::pin(limiter.acquire(cap)).await,
                        };
                        match admitted {
                            Ok(permit) => Some(permit),
                            // The server asked for a longer pause than the policy waits:
                            // answer its 429 here instead of sending a request that gets one.
                            Err(wait) => {
                                return Ok(local_too_many_requests(request.url().clone(), wait));
                            }
                        }
                    }
                    None => None,
                };
                // A retry leaves this block with its pause and the request to repeat, so the
                // span and the failed result are gone before the pause; anything else leaves
                // the loop.
                let (wait, next) = {
                    let span = crate::trace::request_span(
                        info.operation_id,
                        retries + 1,
                        request.body().and_then(reqwest::Body::as_bytes),
                        runtime.config.trace_request_bodies,
                    );
                    let result = crate::trace::attempt(&span, self.client().execute(request)).await;
                    let attempt = runtime.settle(permit, &result);
                    // Only a failed attempt needs the operation's class and a jitter sample.
                    let decision = if attempt.is_success() {
                        Decision::Stop
                    } else {
                        let class = retry::operation(info.operation_id)
                            .map_or(RetryClass::Send, |op| op.retry);
                        retry::decide(class, attempt, retries, &policy, rand::random::<f64>())
                    };
                    match (decision, copy) {
                        (Decision::RetryAfter(wait), Some(copy)) if runtime.budget.try_spend() => {
                            (wait, copy)
                        }
                        _ => break result,
                    }
                };
                retries += 1;
                request = next;
                Box::pin(tokio::time::sleep(wait)).await;
            };
            let response = result?;
            if retries == 0 && response.status().is_success() {
                runtime.budget.earn();
            }
            let max = runtime.config.max_response_bytes;
            Ok(if needs_rewrap(&response, max) {
                Box::pin(bound_and_normalize(response, max)).await
            } else {
                response
            })
        }
    }
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

/// A 429 with `Retry-After`, made by the SDK for a request it did not send.
fn local_too_many_requests(url: reqwest::Url, wait: Duration) -> Response {
    let mut parts = http::Response::new(()).into_parts().0;
    parts.status = reqwest::StatusCode::TOO_MANY_REQUESTS;
    let headers = [
        (CONTENT_TYPE, "application/json".to_owned()),
        (RETRY_AFTER, wait.as_secs_f64().ceil().to_string()),
    ];
    for (name, value) in headers {
        if let Ok(value) = reqwest::header::HeaderValue::try_from(value) {
            parts.headers.insert(name, value);
        }
    }
    let body = r#"{"message":"Too Many Attempts (paused by the client's rate limiter)."}"#;
    rebuild(parts, url, reqwest::Body::from(body))
}

/// Whether [`bound_and_normalize`] has work to do on this response.
///
/// A success or JSON answer whose `Content-Length` is within the bound is used as it is: hyper
/// reads exactly the declared length, so the body cannot exceed it, and skipping the
/// re-wrapping (two conversions, two boxed bodies, a URL copy) keeps the common path as fast as
/// plain reqwest.
fn needs_rewrap(response: &Response, max: usize) -> bool {
    !(passes_through(response) && declared_within(response, max))
}

/// Whether the body reaches progenitor as it is (a success, or an error in JSON).
fn passes_through(response: &Response) -> bool {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    !is_error
        || response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let essence = v.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
            })
}

/// Caps the body at `max` bytes and turns a non-JSON error body into `{"error": <text>}`.
///
/// progenitor decodes a declared error status as JSON; an HTML page from a proxy would
/// otherwise become a decode error that loses the status and headers. Only the start of such
/// a page is read ([`MAX_RAW_ERROR_BYTES`], within `max`), however long it is.
async fn bound_and_normalize(response: Response, max: usize) -> Response {
    let passes_through = passes_through(&response);
    let url = response.url().clone();
    let http: http::Response<reqwest::Body> = response.into();
    let (mut parts, body) = http.into_parts();
    let body = reqwest::Body::wrap(http_body_util::Limited::new(body, max));
    if passes_through {
        return rebuild(parts, url, body);
    }
    let head = head(body).await;
    let text = String::from_utf8_lossy(&head);
    let excerpt: String = text.trim().chars().take(MAX_RAW_ERROR_CHARS).collect();
    let json = serde_json::json!({ "error": excerpt }).to_string();
    parts.headers.insert(
        CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(reqwest::header::CONTENT_LENGTH);
    parts.headers.insert(
        crate::error::NON_JSON_ERROR_HEADER,
        reqwest::header::HeaderValue::from_static("1"),
    );
    rebuild(parts, url, reqwest::Body::from(json))
}

/// Whether the response declares a `Content-Length` of at most `max` bytes.
fn declared_within(response: &Response, max: usize) -> bool {
    response
        .content_length()
        .is_some_and(|length| usize::try_from(length).is_ok_and(|length| length <= max))
}

/// The first [`MAX_RAW_ERROR_BYTES`] of a body; the rest is never read. A failed read (the
/// size limit, a dropped connection) keeps what came before it.
async fn head(mut body: reqwest::Body) -> Vec<u8> {
    let mut head = Vec::new();
    while head.len() < MAX_RAW_ERROR_BYTES {
        match http_body_util::BodyExt::frame(&mut body).await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    head.extend_from_slice(data);
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    head.truncate(MAX_RAW_ERROR_BYTES);
    head
}

fn rebuild(mut parts: http::response::Parts, url: reqwest::Url, body: reqwest::Body) -> Response {
    // reqwest keeps a response's URL in a private extension that only its builder can set.
    if let Ok(mut carrier) = http::Response::builder().url(url).body(()) {
        parts
            .extensions
            .extend(std::mem::take(carrier.extensions_mut()));
    }
    Response::from(http::Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
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
    fn only_non_json_errors_and_unbounded_bodies_are_rewrapped() {
        let answer = |status: u16, content_type: &str| {
            let http = http::Response::builder()
                .status(status)
                .header(CONTENT_TYPE, content_type)
                .body(reqwest::Body::from("<html>oops</html>"))
                .unwrap();
            Response::from(http)
        };
        assert!(!needs_rewrap(&answer(200, "application/json"), 1024));
        assert!(!needs_rewrap(&answer(200, "text/plain"), 1024));
        assert!(!needs_rewrap(
            &answer(422, "application/problem+json"),
            1024
        ));
        assert!(needs_rewrap(&answer(200, "application/json"), 4));
        assert!(needs_rewrap(&answer(502, "text/html"), 1024));
        assert!(needs_rewrap(
            &answer(404, "text/plain; charset=utf-8"),
            1024
        ));
    }
}
