//! Shared helpers for the HTTP tests: a recording server on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a broken fixture should fail the test loudly"
)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};

/// One request the recorder received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A canned answer: status, extra headers and body.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Canned {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Answers per path, used in order; the last one repeats.
    answers: HashMap<String, Vec<Canned>>,
}

/// A server that records every request and answers with canned responses.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

impl Recorder {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            inner,
            base_url: format!("http://{addr}/api/v1"),
        }
    }

    /// Answers requests to `path` (under `/api/v1`) with these responses in order.
    pub fn answer(&self, path: &str, answers: impl IntoIterator<Item = Canned>) {
        self.inner
            .lock()
            .unwrap()
            .answers
            .insert(format!("/api/v1{path}"), answers.into_iter().collect());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:#?}"
        );
        requests.into_iter().next().unwrap()
    }

    /// A client for this server with the given token.
    pub fn client(&self, token: &str) -> qyvo::Client {
        qyvo::ClientBuilder::new(token)
            .base_url(&self.base_url)
            .build()
            .expect("a loopback client builds")
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap();
    let path = uri.path().to_owned();
    inner.requests.push(Recorded {
        method,
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        headers,
        body,
    });
    let canned = match inner.answers.get_mut(&path) {
        Some(list) if list.len() > 1 => list.remove(0),
        Some(list) if list.len() == 1 => list[0].clone(),
        _ => Canned::json(404, serde_json::json!({"error": "no canned answer"})),
    };
    let mut response = (StatusCode::from_u16(canned.status).unwrap(), canned.body).into_response();
    for (name, value) in canned.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}
