//! Cross-cutting behaviour, attached once through progenitor's `ClientHooks`: header
//! hygiene, the rate limiter, retries, response-size bounds, error-body normalisation and
//! tracing. No generated method is wrapped.

use std::{
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
    ratelimit::{self, RateLimiter},
    retry::{self, Attempt, Decision, RetryBudget, RetryClass, RetryPolicy},
};

/// The largest response body the SDK reads by default: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// progenitor's `api-version` header, removed before sending.
const API_VERSION: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("api-version");

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
}

impl ClientHooks<crate::client::Shared> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        // Qyvo versions its API by path (`/v1`); progenitor's `api-version` header would only
        // carry the spec's `info.version`, which no Qyvo server reads.
        request.headers_mut().remove(API_VERSION);
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let runtime = &self.inner().runtime;
        let class = retry::operation(info.operation_id).map_or(RetryClass::Send, |op| op.retry);
        let policy = retry::effective_policy(runtime.config.retry);
        let mut retries = 0;
        let mut request = request;
        loop {
            let copy = request.try_clone();
            let permit = match &runtime.limiter {
                // Boxed, like every wait below: a timer inline would grow this future, which
                // is moved on every call, by its size.
                Some(limiter) => match Box::pin(limiter.acquire(policy.retry_after_cap())).await {
                    Ok(permit) => Some(permit),
                    // The server asked for a longer pause than the policy waits: answer its
                    // 429 locally instead of sending a request that would get one.
                    Err(wait) => return Ok(local_too_many_requests(request.url().clone(), wait)),
                },
                None => None,
            };
            let span = crate::trace::request_span(
                info.operation_id,
                retries + 1,
                request.body().and_then(reqwest::Body::as_bytes),
                runtime.config.trace_request_bodies,
            );
            let started = tokio::time::Instant::now();
            let result = crate::trace::instrument(&span, self.client().execute(request)).await;
            crate::trace::record_result(&span, &result, started.elapsed());
            if let (Some(limiter), Some(permit)) = (&runtime.limiter, permit) {
                limiter.release(permit);
            }
            let attempt = match &result {
                Ok(response) => {
                    if let Some(limiter) = &runtime.limiter {
                        limiter.observe(response.headers());
                    }
                    Attempt::Answered {
                        status: response.status(),
                        retry_after: response
                            .headers()
                            .contains_key(RETRY_AFTER)
                            .then(|| {
                                retry::parse_retry_after(response.headers(), SystemTime::now())
                            })
                            .flatten(),
                    }
                }
                Err(e) if e.is_connect() => Attempt::NotSent,
                Err(_) => Attempt::NoResponse,
            };
            if let (
                Attempt::Answered {
                    status,
                    retry_after: Some(wait),
                },
                Some(limiter),
            ) = (attempt, &runtime.limiter)
                && status == reqwest::StatusCode::TOO_MANY_REQUESTS
            {
                limiter.pause_for(wait);
            }
            let decision = retry::decide(class, attempt, retries, &policy, rand::random::<f64>());
            match (decision, copy) {
                (Decision::RetryAfter(wait), Some(copy)) if runtime.budget.try_spend() => {
                    retries += 1;
                    request = copy;
                    Box::pin(tokio::time::sleep(wait)).await;
                }
                _ => {
                    let response = result?;
                    if retries == 0 && response.status().is_success() {
                        runtime.budget.earn();
                    }
                    let max = runtime.config.max_response_bytes;
                    return Ok(if needs_rewrap(&response, max) {
                        Box::pin(bound_and_normalize(response, max)).await
                    } else {
                        response
                    });
                }
            }
        }
    }
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
