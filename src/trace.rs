//! Tracing of requests: one span per attempt, with nothing secret in it.
//!
//! With the `tracing` feature (on by default) every attempt of every operation runs in an
//! `INFO` span named `qyvo.request` with the fields `operation`, `attempt`, `http.status`,
//! `latency_ms`, `ratelimit.limit` and `ratelimit.remaining`, and an `error` field when no
//! response came. The token is never recorded (headers are not), nor are request or response
//! bodies.

use std::{future::Future, time::Duration};

#[cfg(feature = "tracing")]
mod imp {
    use super::*;
    use tracing::{Instrument, field::Empty};

    pub(crate) type Span = tracing::Span;

    pub(crate) fn request_span(operation: &'static str, attempt: u32) -> Span {
        tracing::info_span!(
            "qyvo.request",
            operation,
            attempt,
            http.status = Empty,
            latency_ms = Empty,
            ratelimit.limit = Empty,
            ratelimit.remaining = Empty,
            error = Empty,
        )
    }

    pub(crate) async fn instrument<F: Future>(span: &Span, fut: F) -> F::Output {
        fut.instrument(span.clone()).await
    }

    pub(crate) fn record_result(
        span: &Span,
        result: &reqwest::Result<reqwest::Response>,
        latency: Duration,
    ) {
        // Without a subscriber interested in the span, skip the header lookups.
        if span.is_disabled() {
            return;
        }
        span.record("latency_ms", latency.as_millis() as u64);
        match result {
            Ok(response) => {
                span.record("http.status", response.status().as_u16());
                let header = |name: reqwest::header::HeaderName| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                };
                if let Some(limit) = header(crate::ratelimit::LIMIT_HEADER) {
                    span.record("ratelimit.limit", limit);
                }
                if let Some(remaining) = header(crate::ratelimit::REMAINING_HEADER) {
                    span.record("ratelimit.remaining", remaining);
                }
            }
            Err(e) => {
                span.record(
                    "error",
                    tracing::field::display(crate::error::describe_transport(e)),
                );
            }
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod imp {
    use super::*;

    #[derive(Clone)]
    pub(crate) struct Span;

    pub(crate) fn request_span(_operation: &'static str, _attempt: u32) -> Span {
        Span
    }

    pub(crate) async fn instrument<F: Future>(_span: &Span, fut: F) -> F::Output {
        fut.await
    }

    pub(crate) fn record_result(
        _span: &Span,
        _result: &reqwest::Result<reqwest::Response>,
        _latency: Duration,
    ) {
    }
}

pub(crate) use imp::{instrument, record_result, request_span};
