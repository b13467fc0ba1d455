//! The HTTP envelope: auth, tenants, routing errors, rate limiting, faults and the journal.

mod common;

use std::time::Duration;

use common::{Api, setup};
use qyvo_mock::{Fault, Injection, MockServer, Operation, StatusCode, seed};
use reqwest::Method;
use serde_json::{Value, json};

const PHONE: &str = "+14155550123";

#[tokio::test]
async fn auth_and_tenant_isolation() {
    let server = MockServer::builder()
        .token("token-a")
        .token("token-b")
        .start()
        .await
        .unwrap();
    let a = Api::new(&server);
    let b = with_token(&server, "token-b");
    let nobody = with_token(&server, "wrong");

    let unauthenticated = nobody.call("GET", "/me", Value::Null).await;
    assert_eq!(
        (unauthenticated.status, unauthenticated.body),
        (401, json!({"message": "Unauthenticated."}))
    );
    assert!(unauthenticated.headers.get("x-ratelimit-limit").is_none());
    let no_header = a.http.get(format!("{}/me", a.base)).send().await.unwrap();
    assert_eq!(no_header.status(), 401);

    let me_a = a.call("GET", "/me", Value::Null).await;
    let me_b = b.call("GET", "/me", Value::Null).await;
    assert_eq!(me_a.status, 200);
    assert!(me_a.body["id"].is_i64());
    assert_ne!(me_a.body["id"], me_b.body["id"]);
    assert_ne!(me_a.body["tenant"]["id"], me_b.body["tenant"]["id"]);
    assert!(me_a.body["tenant"]["name"].is_string());

    a.call("POST", "/actions/create-contact", json!({"phone": PHONE}))
        .await;
    assert_eq!(
        a.call("POST", "/actions/get-contact", json!({"phone": PHONE}))
            .await
            .status,
        200
    );
    assert_eq!(
        b.call("POST", "/actions/get-contact", json!({"phone": PHONE}))
            .await
            .status,
        404
    );
    assert!(server.contact_reply("wrong", PHONE, "x").is_err());
    assert!(server.contact_reply("token-a", "bad", "x").is_err());
}

#[tokio::test]
async fn routing_errors() {
    let (_server, api) = setup().await;
    let wrong_method = api.call("GET", "/actions/get-contact", Value::Null).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.headers["allow"], "POST");
    let unknown = api.call("GET", "/nope", Value::Null).await;
    assert_eq!(unknown.status, 404);
    let not_json = api.send_raw("/actions/list-tags", "not json").await;
    assert_eq!(not_json, 422);
    let missing_body = api.call("POST", "/actions/list-tags", Value::Null).await;
    assert_eq!(missing_body.status, 422);
}

/// A client of `server` sending `token`.
fn with_token(server: &MockServer, token: &str) -> Api {
    Api {
        token: token.to_owned(),
        ..Api::new(server)
    }
}

/// How many outbound messages the default tenant holds for [`PHONE`].
fn outbound_count(server: &MockServer) -> usize {
    server
        .outbound_messages(server.token(), PHONE)
        .expect("a known token and phone")
        .len()
}

trait RawBody {
    async fn send_raw(&self, path: &str, body: &'static str) -> u16;
}

impl RawBody for Api {
    async fn send_raw(&self, path: &str, body: &'static str) -> u16 {
        let response = self
            .request(Method::POST, path)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        response.status().as_u16()
    }
}

#[tokio::test(start_paused = true)]
async fn rate_limit_headers_and_429() {
    let server = MockServer::builder()
        .token("token-a")
        .token("token-b")
        .rate_limit(3, Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let api = Api::new(&server);
    for remaining in [2, 1] {
        let answer = api.call("GET", "/me", Value::Null).await;
        assert_eq!(answer.headers["x-ratelimit-limit"], "3");
        assert_eq!(
            answer.headers["x-ratelimit-remaining"],
            remaining.to_string().as_str()
        );
        tokio::time::advance(Duration::from_secs(4)).await;
    }
    // Business errors count and carry the headers too.
    let not_found = api
        .call("POST", "/actions/get-contact", json!({"phone": PHONE}))
        .await;
    assert_eq!(not_found.status, 404);
    assert_eq!(not_found.headers["x-ratelimit-remaining"], "0");

    // t = 8 s: the first slot frees at t = 10 s.
    let limited = api.call("GET", "/me", Value::Null).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body, json!({"message": "Too Many Attempts."}));
    assert_eq!(limited.headers["retry-after"], "2");
    assert_eq!(limited.headers["x-ratelimit-remaining"], "0");
    // Rejected requests do not consume quota; other tokens have their own.
    tokio::time::advance(Duration::from_millis(1500)).await;
    let still = api.call("GET", "/me", Value::Null).await;
    assert_eq!(
        (still.status, still.headers["retry-after"].to_str().unwrap()),
        (429, "1")
    );
    let other = with_token(&server, "token-b");
    assert_eq!(other.call("GET", "/me", Value::Null).await.status, 200);

    tokio::time::advance(Duration::from_millis(500)).await;
    let freed = api.call("GET", "/me", Value::Null).await;
    assert_eq!(freed.status, 200);
    assert_eq!(freed.headers["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn status_faults_answer_without_acting() {
    let (server, api) = setup().await;
    server.inject(
        Injection::new(Fault::Status(StatusCode::SERVICE_UNAVAILABLE))
            .on(Operation::CreateContact)
            .times(2),
    );
    server.inject(
        Injection::new(Fault::TooManyRequests {
            retry_after_secs: 7,
        })
        .on(Operation::GetContact),
    );
    server.inject(Injection::new(Fault::Html(StatusCode::BAD_GATEWAY)).on(Operation::ListTags));

    // Other operations are not affected.
    assert_eq!(api.call("GET", "/me", Value::Null).await.status, 200);
    let body = json!({"phone": PHONE});
    for _ in 0..2 {
        let answer = api
            .call("POST", "/actions/create-contact", body.clone())
            .await;
        assert_eq!(
            (answer.status, answer.body),
            (503, json!({"message": "Service Unavailable"}))
        );
    }
    let created = api.call("POST", "/actions/get-contact", body.clone()).await;
    assert_eq!(created.status, 429);
    assert_eq!(created.headers["retry-after"], "7");
    assert_eq!(created.body, json!({"message": "Too Many Attempts."}));
    assert_eq!(
        api.call("POST", "/actions/get-contact", body.clone())
            .await
            .status,
        404
    );
    assert_eq!(
        api.call("POST", "/actions/create-contact", body.clone())
            .await
            .status,
        201
    );

    let html = api.call("POST", "/actions/list-tags", json!({})).await;
    assert_eq!(html.status, 502);
    assert!(
        html.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(html.body, Value::Null);

    let journal = server.journal();
    let faults: Vec<Option<&Fault>> = journal.iter().map(|e| e.fault.as_ref()).collect();
    assert_eq!(faults.iter().filter(|f| f.is_some()).count(), 4);
    assert_eq!(server.count(Operation::CreateContact), 3);
}

#[tokio::test]
async fn drop_before_body_does_not_act() {
    let (server, api) = setup().await;
    server.inject(Injection::new(Fault::DropBeforeBody).on(Operation::SendTemplateMessage));
    let body = json!({"phone": PHONE, "template_id": seed::OPENING_HOURS_TEMPLATE_ID});
    let error = api
        .request(Method::POST, "/actions/send-template-message")
        .json(&body)
        .send()
        .await
        .expect_err("the connection is dropped");
    assert!(!error.is_status());
    assert!(server.messages(server.token(), PHONE).unwrap().is_empty());
    assert_eq!(server.count(Operation::SendTemplateMessage), 1);
    let entry = &server.journal()[0];
    assert_eq!(entry.status, None);
    assert_eq!(entry.fault, Some(Fault::DropBeforeBody));
    assert_eq!(entry.body, None);
    assert!(!Fault::DropBeforeBody.performs_operation());

    let sent = api
        .call("POST", "/actions/send-template-message", body)
        .await;
    assert_eq!(sent.status, 200);
    assert_eq!(outbound_count(&server), 1);
}

#[tokio::test]
async fn drop_after_action_and_malformed_json_act() {
    let (server, api) = setup().await;
    server.inject(Injection::new(Fault::DropAfterAction).on(Operation::SendTemplateMessage));
    server.inject(Injection::new(Fault::MalformedJson).on(Operation::SendTemplateMessage));
    let body = json!({"phone": PHONE, "template_id": seed::OPENING_HOURS_TEMPLATE_ID});
    let request = || {
        api.request(Method::POST, "/actions/send-template-message")
            .json(&body)
    };
    assert!(request().send().await.is_err());
    assert_eq!(outbound_count(&server), 1);

    let malformed = request().send().await.unwrap();
    assert_eq!(malformed.status(), 200);
    let text = malformed.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(outbound_count(&server), 2);
    assert!(Fault::DropAfterAction.performs_operation());

    let statuses: Vec<Option<u16>> = server.journal().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [None, Some(200)]);
    assert_eq!(server.journal()[0].body.as_ref(), Some(&body));
    server.clear_journal();
    assert_eq!(server.count(Operation::SendTemplateMessage), 0);
}

#[tokio::test(start_paused = true)]
async fn delay_fault_waits_on_tokio_time() {
    let (server, api) = setup().await;
    server.inject(Fault::Delay(Duration::from_secs(30)));
    let started = tokio::time::Instant::now();
    let answer = api.call("GET", "/me", Value::Null).await;
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= Duration::from_secs(30));
    // An injection for any operation fires once, then is gone.
    let started = tokio::time::Instant::now();
    api.call("GET", "/me", Value::Null).await;
    assert!(started.elapsed() < Duration::from_secs(30));

    server.inject(Injection::new(Fault::MalformedJson).times(5));
    server.clear_faults();
    assert_eq!(api.call("GET", "/me", Value::Null).await.status, 200);
}

/// A client that gives up during a `Delay` has had its request acted on, and the journal still
/// records the request (with no status), although hyper cancelled its handler.
#[tokio::test(start_paused = true)]
async fn a_request_abandoned_during_a_delay_acted_and_is_journaled() {
    let server = MockServer::start().await.unwrap();
    let api = Api::new(&server);
    server.inject(
        Injection::new(Fault::Delay(Duration::from_secs(30))).on(Operation::SendTemplateMessage),
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let error = impatient
        .post(format!("{}/actions/send-template-message", api.base))
        .bearer_auth(&api.token)
        .json(&json!({"phone": PHONE, "template_id": seed::OPENING_HOURS_TEMPLATE_ID}))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    tokio::time::sleep(Duration::from_secs(30)).await;
    let journal = server.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].status, None);
    assert_eq!(
        journal[0].fault,
        Some(Fault::Delay(Duration::from_secs(30)))
    );
    assert_eq!(
        server
            .outbound_messages(server.token(), PHONE)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn journal_records_requests() {
    let (server, api) = setup().await;
    api.call(
        "GET",
        "/triggers/new-flow-triggered?flow_id=abc",
        Value::Null,
    )
    .await;
    let wrong = with_token(&server, "nope");
    wrong
        .call("POST", "/actions/get-flow", json!({"flow_id": "x"}))
        .await;
    let journal = server.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].operation, Some(Operation::NewFlowTriggered));
    assert_eq!(journal[0].method, "GET");
    assert_eq!(journal[0].path, "/api/v1/triggers/new-flow-triggered");
    assert_eq!(journal[0].query.as_deref(), Some("flow_id=abc"));
    assert_eq!(journal[0].token.as_deref(), Some(server.token()));
    assert_eq!(journal[0].status, Some(200));
    assert_eq!(journal[1].status, Some(401));
    assert_eq!(journal[1].token.as_deref(), Some("nope"));
    assert!(journal[1].at >= journal[0].at);
}

#[tokio::test]
async fn dropping_the_server_frees_the_port() {
    let (server, api) = setup().await;
    let addr = server.addr();
    assert_eq!(api.call("GET", "/me", Value::Null).await.status, 200);
    drop(server);
    // The aborted accept task releases the listener the next time the runtime polls it.
    let mut freed = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if tokio::net::TcpListener::bind(addr).await.is_ok() {
            freed = true;
            break;
        }
    }
    assert!(freed, "port {addr} still bound");
}
