//! The HTTP layer: connections, routing, auth, rate limiting, faults and the journal.
//!
//! Connections are served with hyper's HTTP/1 server directly, so that a request can end its
//! connection without an answer (the service returns an error) for the drop faults.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::api::{self, Reply};
use crate::operation::Route;
use crate::{Fault, JournalEntry, Operation, Shared, fault, lock};

/// Accepts connections until the task is aborted; aborting drops every connection task too.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = service_fn(move |request| serve(Arc::clone(&shared), request));
                    // An error here is a client going away or an injected drop: nothing to do.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Returned by the service to close the connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

type Answer = Response<Full<Bytes>>;

fn json_response(status: StatusCode, body: &Value) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn set_header(response: &mut Answer, name: &'static str, value: impl fmt::Display) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(name, value);
    }
}

/// The reason phrase of a status, for fault bodies.
fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// The bearer token of a request, if it has one.
fn bearer(request: &Request<Incoming>) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Decodes `application/x-www-form-urlencoded` text (`+` and `%XX`).
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match raw
                .get(i + 1..i + 3)
                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a query string; the last value of a repeated name wins.
fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// Outcome of the rate limiter for one request.
enum Quota {
    Allowed { remaining: u32 },
    Exhausted { retry_after_secs: u64 },
}

/// Counts the request against the token's rolling window unless the window is full.
fn take_quota(
    hits: &mut std::collections::VecDeque<Instant>,
    limit: u32,
    window: std::time::Duration,
) -> Quota {
    let now = Instant::now();
    while hits
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window)
    {
        hits.pop_front();
    }
    let used = u32::try_from(hits.len()).unwrap_or(u32::MAX);
    if used >= limit {
        let frees_at = hits.front().map_or(now, |at| *at + window);
        let wait = frees_at.saturating_duration_since(now);
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Quota::Exhausted {
            retry_after_secs: secs.max(1),
        };
    }
    hits.push_back(now);
    Quota::Allowed {
        remaining: limit - used - 1,
    }
}

fn too_many(retry_after_secs: u64, limit: u32) -> Answer {
    let mut response = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({ "message": "Too Many Attempts." }),
    );
    set_header(&mut response, "retry-after", retry_after_secs);
    set_header(&mut response, "x-ratelimit-limit", limit);
    set_header(&mut response, "x-ratelimit-remaining", 0);
    response
}

/// A request being served, collecting what the journal will record.
///
/// The entry is journaled when the exchange is dropped, so a request whose handler hyper
/// cancels (the client hung up during a `Delay`) is recorded too, with no status.
struct Exchange {
    shared: Arc<Shared>,
    entry: JournalEntry,
}

impl Exchange {
    fn finish(
        mut self,
        response: Result<Answer, DropConnection>,
    ) -> Result<Answer, DropConnection> {
        self.entry.status = response.as_ref().ok().map(|r| r.status().as_u16());
        response
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        let entry = self.entry.clone();
        lock(&self.shared.inner).journal.push(entry);
    }
}

/// Serves one request.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Answer, DropConnection> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let token = bearer(&request);
    let route = Route::resolve(&method, &path);
    let operation = match route {
        Route::Operation(op) | Route::WrongMethod(op) => Some(op),
        Route::NotFound => None,
    };
    let exchange = Exchange {
        shared: Arc::clone(&shared),
        entry: JournalEntry {
            operation,
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: None,
            token: token.clone(),
            status: None,
            fault: None,
            at: shared.clock.now(),
        },
    };
    let operation = match route {
        Route::Operation(op) => op,
        Route::WrongMethod(op) => {
            let route_name = path.trim_start_matches('/');
            let message = format!(
                "The {method} method is not supported for route {route_name}. Supported methods: {}.",
                op.method()
            );
            let mut response = json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({ "message": message }),
            );
            set_header(&mut response, "allow", op.method());
            return exchange.finish(Ok(response));
        }
        Route::NotFound => {
            let message = format!(
                "The route {} could not be found.",
                path.trim_start_matches('/')
            );
            let response = json_response(StatusCode::NOT_FOUND, &json!({ "message": message }));
            return exchange.finish(Ok(response));
        }
    };
    serve_operation(shared, request, operation, token, query, exchange).await
}

async fn serve_operation(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    operation: Operation,
    token: Option<String>,
    query: Option<String>,
    mut exchange: Exchange,
) -> Result<Answer, DropConnection> {
    let (limit, window) = shared.rate_limit;
    // Authenticate, count the request and pick its fault under one lock.
    let checked = {
        let mut inner = lock(&shared.inner);
        match token.as_deref().and_then(|t| inner.accounts.get_mut(t)) {
            None => Err(json_response(
                StatusCode::UNAUTHORIZED,
                &json!({ "message": "Unauthenticated." }),
            )),
            Some(account) => match take_quota(&mut account.hits, limit, window) {
                Quota::Exhausted { retry_after_secs } => Err(too_many(retry_after_secs, limit)),
                Quota::Allowed { remaining } => {
                    Ok((remaining, fault::take(&mut inner.injections, operation)))
                }
            },
        }
    };
    let (remaining, injected) = match checked {
        Ok(checked) => checked,
        Err(response) => return exchange.finish(Ok(response)),
    };
    exchange.entry.fault = injected.clone();
    if let Some(answer) = injected
        .as_ref()
        .and_then(|f| fault_before_action(f, limit))
    {
        return exchange.finish(answer);
    }
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return exchange.finish(Ok(response)),
    };
    exchange.entry.body = body.clone().map(Value::Object);
    let reply = {
        let mut inner = lock(&shared.inner);
        let now = shared.clock.now();
        let query = parse_query(query.as_deref());
        let empty = Map::new();
        match token.as_deref().and_then(|t| inner.accounts.get_mut(t)) {
            Some(account) => {
                let request = api::Request {
                    body: body.as_ref().unwrap_or(&empty),
                    query: &query,
                    now,
                    user: &account.user,
                };
                api::handle(operation, &mut account.tenant, &request)
            }
            None => Reply {
                status: StatusCode::UNAUTHORIZED,
                body: json!({ "message": "Unauthenticated." }),
            },
        }
    };
    if let Some(Fault::Delay(delay)) = injected {
        tokio::time::sleep(delay).await;
    }
    let answer = match injected {
        Some(Fault::DropAfterAction) => Err(DropConnection),
        Some(Fault::MalformedJson) => {
            let text = reply.body.to_string();
            let cut = text.len() / 2;
            let mut response = json_response(reply.status, &Value::Null);
            *response.body_mut() = Full::new(Bytes::from(format!("{}\"", &text[..cut.max(1)])));
            Ok(response)
        }
        _ => {
            let mut response = json_response(reply.status, &reply.body);
            set_header(&mut response, "x-ratelimit-limit", limit);
            set_header(&mut response, "x-ratelimit-remaining", remaining);
            Ok(response)
        }
    };
    exchange.finish(answer)
}

/// The answer of faults that do not let the operation run.
fn fault_before_action(fault: &Fault, limit: u32) -> Option<Result<Answer, DropConnection>> {
    Some(Ok(match fault {
        Fault::Status(status) => json_response(*status, &json!({ "message": reason(*status) })),
        Fault::TooManyRequests { retry_after_secs } => too_many(*retry_after_secs, limit),
        Fault::Html(status) => {
            let page = format!(
                "<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head>\
                 <body><h1>{code} {reason}</h1><hr><p>nginx</p></body></html>\n",
                code = status.as_u16(),
                reason = reason(*status)
            );
            let mut response = Response::new(Full::new(Bytes::from(page)));
            *response.status_mut() = *status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        Fault::DropBeforeBody => return Some(Err(DropConnection)),
        Fault::Delay(_) | Fault::DropAfterAction | Fault::MalformedJson => return None,
    }))
}

/// Reads the JSON object body of a POST; a missing body or anything but an object is a 422.
async fn read_body(request: Request<Incoming>) -> Result<Option<Map<String, Value>>, Answer> {
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    let bytes = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    if is_get {
        return Ok(None);
    }
    // Every POST operation of openapi.yaml has a required JSON object body (send `{}` for no
    // filters); a missing one is rejected like a malformed one.
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => {
            let message = "The request body must be a JSON object.";
            Err(json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "message": message, "errors": { "body": [message] } }),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        let query = parse_query(Some("template_id=01J%20X&message_type=text&a+b=c%2"));
        assert_eq!(query["template_id"], "01J X");
        assert_eq!(query["message_type"], "text");
        assert_eq!(query["a b"], "c%2");
    }

    #[tokio::test(start_paused = true)]
    async fn quota_rolls() {
        let mut hits = std::collections::VecDeque::new();
        let window = std::time::Duration::from_secs(10);
        assert!(matches!(
            take_quota(&mut hits, 2, window),
            Quota::Allowed { remaining: 1 }
        ));
        tokio::time::advance(std::time::Duration::from_millis(2500)).await;
        assert!(matches!(
            take_quota(&mut hits, 2, window),
            Quota::Allowed { remaining: 0 }
        ));
        match take_quota(&mut hits, 2, window) {
            Quota::Exhausted { retry_after_secs } => assert_eq!(retry_after_secs, 8),
            Quota::Allowed { .. } => panic!("should be exhausted"),
        }
        tokio::time::advance(std::time::Duration::from_millis(7500)).await;
        assert!(matches!(
            take_quota(&mut hits, 2, window),
            Quota::Allowed { remaining: 0 }
        ));
    }
}
