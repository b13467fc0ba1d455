//! Tracing of requests: one span per attempt, with nothing secret in it.
//!
//! With the `tracing` feature (on by default) every attempt of every operation runs in an
//! `INFO` span named `qyvo.request` with the fields `operation`, `attempt`, `http.status`,
//! `latency_ms`, `ratelimit.limit` and `ratelimit.remaining`, an `error` field when no
//! response came, and a `phone` field, masked (`+1415*****23`), when the request body names a
//! recipient. The token is never recorded (headers are not), nor are response bodies; request
//! bodies only with [`ClientBuilder::trace_request_bodies`](crate::ClientBuilder::trace_request_bodies),
//! in a `body` field with every phone number masked.
//!
//! Nothing is parsed when no subscriber is interested in the span, and no span is built at all
//! before a `tracing` subscriber is installed (so tracing's `log` fallback does not see these
//! spans: install a subscriber, e.g. `tracing-subscriber`, to record them).

use std::future::Future;

#[cfg(feature = "tracing")]
mod imp {
    use std::{borrow::Cow, time::Duration};

    use super::*;
    use serde::Deserialize;
    use tracing::{Instrument, field::Empty};

    pub(crate) type Span = tracing::Span;

    /// The keys whose values [`mask_phones`] masks, at any depth.
    const PHONE_KEYS: [&str; 2] = ["phone", "contact_phone"];

    pub(crate) fn request_span(
        operation: &'static str,
        attempt: u32,
        body: Option<&[u8]>,
        record_body: bool,
    ) -> Span {
        // No subscriber was ever installed: nothing can record the span, so skip building it
        // (and the `log` fallback tracing runs for an unrecorded span when its `log` feature is
        // on, which costs more than the rest of the hook).
        if !tracing::dispatcher::has_been_set() {
            return Span::none();
        }
        let span = tracing::info_span!(
            "qyvo.request",
            operation,
            attempt,
            phone = Empty,
            body = Empty,
            http.status = Empty,
            latency_ms = Empty,
            ratelimit.limit = Empty,
            ratelimit.remaining = Empty,
            error = Empty,
        );
        if let Some(body) = body
            && !span.is_disabled()
        {
            record_request(&span, body, record_body);
        }
        span
    }

    /// Records the masked recipient and, when asked, the masked body.
    fn record_request(span: &Span, body: &[u8], record_body: bool) {
        /// Only the recipient: the rest of the body is skipped, not built.
        #[derive(Deserialize)]
        struct Recipient<'a> {
            #[serde(borrow)]
            phone: Option<Cow<'a, str>>,
        }
        if record_body {
            if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) {
                if let Some(phone) = json.get("phone").and_then(serde_json::Value::as_str) {
                    span.record("phone", crate::phone::mask(phone));
                }
                mask_phones(&mut json);
                span.record("body", tracing::field::display(json));
            }
        } else if let Ok(Recipient { phone: Some(phone) }) = serde_json::from_slice(body) {
            span.record("phone", crate::phone::mask(&phone));
        }
    }

    /// Masks the string or number value of every [`PHONE_KEYS`] key, at any depth.
    pub(super) fn mask_phones(json: &mut serde_json::Value) {
        match json {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    let masked = match value {
                        _ if !PHONE_KEYS.contains(&key.as_str()) => None,
                        serde_json::Value::String(phone) => Some(crate::phone::mask(phone)),
                        serde_json::Value::Number(phone) => {
                            Some(crate::phone::mask(&phone.to_string()))
                        }
                        _ => None,
                    };
                    match masked {
                        Some(masked) => *value = serde_json::Value::String(masked),
                        None => mask_phones(value),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(mask_phones),
            _ => {}
        }
    }

    /// Runs one attempt inside `span` and records its outcome there.
    ///
    /// Without a subscriber interested in the span, the attempt runs bare: no clock reads,
    /// no span entered on every poll, no header lookups.
    pub(crate) async fn attempt<F>(span: &Span, fut: F) -> reqwest::Result<reqwest::Response>
    where
        F: Future<Output = reqwest::Result<reqwest::Response>>,
    {
        if span.is_disabled() {
            return fut.await;
        }
        let started = tokio::time::Instant::now();
        let result = fut.instrument(span.clone()).await;
        record_result(span, &result, started.elapsed());
        result
    }

    fn record_result(span: &Span, result: &reqwest::Result<reqwest::Response>, latency: Duration) {
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

    pub(crate) fn request_span(
        _operation: &'static str,
        _attempt: u32,
        _body: Option<&[u8]>,
        _record_body: bool,
    ) -> Span {
        Span
    }

    pub(crate) async fn attempt<F>(_span: &Span, fut: F) -> reqwest::Result<reqwest::Response>
    where
        F: Future<Output = reqwest::Result<reqwest::Response>>,
    {
        fut.await
    }
}

pub(crate) use imp::{attempt, request_span};

#[cfg(all(test, feature = "tracing"))]
mod tests {
    use serde_json::json;

    use super::imp::mask_phones;

    #[test]
    fn masks_every_phone_at_any_depth_and_nothing_else() {
        let mut body = json!({
            "phone": "+14155550123",
            "template_id": "01J0AB",
            "variables": {"1": "Romain", "phone": "+33142764978"},
            "metadata": {"people": [{"contact_phone": "+442079460958", "note": "+14155550123"}]},
            "contact_phone": 14155550123u64,
        });
        mask_phones(&mut body);
        assert_eq!(
            body,
            json!({
                "phone": "+1415*****23",
                "template_id": "01J0AB",
                "variables": {"1": "Romain", "phone": "+3314*****78"},
                "metadata": {"people": [{"contact_phone": "+4420******58", "note": "+14155550123"}]},
                "contact_phone": "1415*****23",
            })
        );
    }
}
