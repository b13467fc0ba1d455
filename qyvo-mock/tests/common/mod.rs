//! Raw HTTP helper shared by the integration tests.

use qyvo_mock::MockServer;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Starts a mock server with the default configuration and a client for its first token.
pub async fn setup() -> (MockServer, Api) {
    let server = MockServer::start().await.expect("start the mock");
    let api = Api::new(&server);
    (server, api)
}

/// An answer: status, headers, JSON body (`Value::Null` when the body is not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A raw client for one token of a mock server.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    /// A client for the server's first token.
    pub fn new(server: &MockServer) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: server.base_url(),
            token: server.token().to_owned(),
        }
    }

    /// A request for `method path` (relative to the base URL) with this client's token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Calls `method path` (relative to the base URL) with `body` as JSON unless it is null.
    pub async fn call(&self, method: &str, path: &str, body: Value) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.request(method, path);
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let answer = Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        };
        // Every answer of the mock, faults included, declares its content type.
        assert!(answer.headers.contains_key("content-type"), "{path}");
        answer
    }
}
