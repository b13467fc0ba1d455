//! What the client puts on the wire, and how it reads answers, against a recording server.

mod support;

use qyvo::{Error, prelude::QyvoClientExt as _, retry::RetryPolicy, retry::with_policy, types};
use serde_json::json;
use support::{Canned, Recorded, Recorder};

const TOKEN: &str = "test-token-0123456789abcdef";

/// Asserts `request` carries the token and the SDK's user agent.
fn assert_identified(request: &Recorded) {
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        request.header("user-agent"),
        Some(qyvo::defaults::USER_AGENT)
    );
}

fn message_item() -> serde_json::Value {
    json!({"id": "01J4MABCDEFGHJKMNPQRSTVWXY", "direction": "inbound", "type": "text",
           "content": {"body": "hi"}, "status": "received", "created_at": "2026-05-07T08:14:23+00:00"})
}

#[tokio::test]
async fn a_trigger_with_a_filter_is_a_get_with_a_query() {
    let server = Recorder::start().await;
    server.answer(
        "/triggers/new-message-received",
        [Canned::json(200, json!([message_item()]))],
    );
    let messages = server
        .client(TOKEN)
        .new_message_received()
        .message_type(types::MessageTypeFilter::Text)
        .send()
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);

    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/api/v1/triggers/new-message-received");
    assert_eq!(request.query.as_deref(), Some("message_type=text"));
    assert_identified(&request);
    assert_eq!(
        qyvo::defaults::USER_AGENT,
        concat!("qyvo-rust/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("api-version"),
        None,
        "progenitor's api-version header is stripped"
    );
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn an_unset_filter_sends_no_query_and_the_answer_keeps_its_headers() {
    let server = Recorder::start().await;
    server.answer(
        "/triggers/new-message-received",
        [Canned::json(200, json!([message_item()])).header("x-ratelimit-remaining", "117")],
    );
    let messages = server
        .client(TOKEN)
        .new_message_received()
        .send()
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages.status().as_u16(), 200);
    assert_eq!(
        messages.headers().get("x-ratelimit-remaining").unwrap(),
        "117"
    );
    assert_eq!(
        messages.headers().get("content-type").unwrap(),
        "application/json"
    );

    let request = server.only_request();
    assert_eq!(request.path, "/api/v1/triggers/new-message-received");
    assert_eq!(
        request.query, None,
        "no `?` for an unset optional parameter"
    );
}

#[tokio::test]
async fn post_actions_send_exactly_the_fields_that_are_set() {
    let server = Recorder::start().await;
    server.answer(
        "/actions/create-contact",
        [Canned::json(201, json!({"id": "01J1Y", "phone": "+14155550123", "name": "Romain", "email": null, "tags": []}))],
    );
    server.answer(
        "/actions/send-template-message",
        [Canned::json(200, json!({"id": "01J1Z", "status": "sent", "whatsapp_message_id": "wamid.X", "contact_id": "01J1Y"}))],
    );
    server.answer("/actions/search-contacts", [Canned::json(200, json!([]))]);
    server.answer(
        "/actions/trigger-sequence",
        [Canned::json(
            201,
            json!({"id": "01J3S", "status": "started"}),
        )],
    );
    let client = server.client(TOKEN);

    let created = client
        .create_contact()
        .body_map(|b| b.phone("+14155550123").name(Some("Romain".to_owned())))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    client
        .send_template_message()
        .body_map(|b| {
            b.phone("+14155550123").template_id("01J0AB").variables(
                [
                    ("1".to_owned(), "Romain".to_owned()),
                    ("2".to_owned(), "ORD-1042".to_owned()),
                ]
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
            )
        })
        .send()
        .await
        .unwrap();
    client
        .search_contacts()
        .body(types::SearchContactsRequest::default())
        .send()
        .await
        .unwrap();
    let started = client
        .trigger_sequence()
        .body_map(|b| {
            b.sequence_id("01J2S")
                .phone(Some("+14155550123".to_owned()))
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        (started.status().as_u16(), started.status.as_str()),
        (201, "started")
    );

    let bodies: Vec<_> = server
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.json()))
        .collect();
    assert_eq!(
        bodies,
        [
            (
                "/api/v1/actions/create-contact".to_owned(),
                json!({"phone": "+14155550123", "name": "Romain"})
            ),
            (
                "/api/v1/actions/send-template-message".to_owned(),
                json!({"phone": "+14155550123", "template_id": "01J0AB", "variables": {"1": "Romain", "2": "ORD-1042"}})
            ),
            ("/api/v1/actions/search-contacts".to_owned(), json!({})),
            (
                "/api/v1/actions/trigger-sequence".to_owned(),
                json!({"sequence_id": "01J2S", "phone": "+14155550123"})
            ),
        ]
    );
    for request in server.requests() {
        assert_eq!(request.method, "POST");
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn a_422_and_a_401_arrive_as_typed_errors() {
    let server = Recorder::start().await;
    server.answer(
        "/actions/create-contact",
        [Canned::json(
            422,
            json!({"message": "The given data was invalid.", "errors": {"email": ["The email field must be a valid email address."]}}),
        )],
    );
    server.answer(
        "/me",
        [Canned::json(401, json!({"message": "Unauthenticated."}))],
    );
    let client = server.client(TOKEN);

    let err = client
        .create_contact()
        .body_map(|b| b.phone("+14155550123").email(Some("nope".to_owned())))
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Validation { fields, message } => {
            assert_eq!(message, "The given data was invalid.");
            assert_eq!(
                fields["email"],
                ["The email field must be a valid email address."]
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(err.status(), Some(422));

    let err = client.me().send().await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated), "{err:?}");
    assert!(!format!("{err:?} {err}").contains(TOKEN));
}

#[tokio::test]
async fn a_missing_required_field_fails_before_any_request() {
    let server = Recorder::start().await;
    let client = server.client(TOKEN);
    let err = client
        .send_text_message()
        .body_map(|b| b.phone("+14155550123"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message } if message.contains("message")),
        "{err:?}"
    );
    let err = client
        .send_text_message()
        .body_map(|b| b.phone("+14155550123").message("x".repeat(4097)))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_html_error_page_still_yields_its_status() {
    let server = Recorder::start().await;
    server.answer(
        "/actions/get-contact",
        [Canned::raw(
            502,
            "text/html",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )],
    );
    let client = server.client(TOKEN);
    let err = with_policy(
        RetryPolicy::none(),
        client
            .get_contact()
            .body_map(|b| b.phone(Some("+14155550123".to_owned())))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Server { status: 502, message: Some(m), .. } if m.contains("502 Bad Gateway")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_malformed_success_body_is_a_decode_error_with_its_path() {
    let server = Recorder::start().await;
    let mut bad = message_item();
    bad["created_at"] = json!("yesterday");
    server.answer(
        "/triggers/new-message-received",
        [Canned::json(200, json!([message_item(), bad]))],
    );
    let err = server
        .client(TOKEN)
        .new_message_received()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::Decode { path, body, .. } => {
            assert_eq!(path, "$[1].created_at");
            assert!(body.as_str().contains("yesterday"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_body_fails_cleanly() {
    let server = Recorder::start().await;
    let huge = format!("[{}]", vec![message_item().to_string(); 2_000].join(","));
    server.answer(
        "/triggers/new-message-received",
        [Canned::raw(200, "application/json", huge)],
    );
    let client = qyvo::ClientBuilder::new(TOKEN)
        .base_url(&server.base_url)
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = client.new_message_received().send().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_nothing_reaches_it() {
    let origin = Recorder::start().await;
    let elsewhere = Recorder::start().await;
    // Another port of the same host is another origin.
    let target = format!("{}/actions/send-text-message", elsewhere.base_url);
    for status in [301u16, 302, 303, 307, 308] {
        origin.answer(
            "/actions/send-text-message",
            [Canned::raw(status, "text/plain", "").header("location", target.clone())],
        );
        let err = origin
            .client(TOKEN)
            .send_text("+14155550123", "Your order shipped")
            .send()
            .await
            .unwrap_err();
        let Error::Redirected {
            status: answered,
            location,
        } = &err
        else {
            panic!("{status}: {err:?}");
        };
        assert_eq!((*answered, location.as_str()), (status, target.as_str()));
        assert_eq!(err.acted(), qyvo::error::Acted::No);
        assert!(!err.is_retryable());
        assert_eq!(
            err.to_string(),
            format!("refused a redirect ({status}) to another origin: {target}")
        );
    }
    origin.answer(
        "/me",
        [Canned::raw(307, "text/plain", "")
            .header("location", format!("{}/me", elsewhere.base_url))],
    );
    let err = origin.client(TOKEN).me().send().await.unwrap_err();
    assert!(
        matches!(err, Error::Redirected { status: 307, .. }),
        "{err:?}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "neither the body nor the token left the origin"
    );
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_body_and_the_token() {
    let server = Recorder::start().await;
    server.answer(
        "/actions/send-text-message",
        [Canned::raw(308, "text/plain", "").header(
            "location",
            format!("{}/actions/send-text-message-v2", server.base_url),
        )],
    );
    server.answer(
        "/actions/send-text-message-v2",
        [Canned::json(200, json!({"id": "01J1", "status": "sent"}))],
    );
    let sent = server
        .client(TOKEN)
        .send_text("+14155550123", "Your order shipped")
        .send()
        .await
        .unwrap();
    assert_eq!(sent.id, "01J1");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let followed = &requests[1];
    assert_eq!(followed.path, "/api/v1/actions/send-text-message-v2");
    assert_eq!(followed.json(), requests[0].json());
    assert_eq!(
        followed.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[tokio::test]
async fn an_oversized_error_page_is_read_only_as_far_as_its_excerpt() {
    use axum::{
        body::{Body, Bytes},
        http::{StatusCode, header::CONTENT_TYPE},
        response::IntoResponse as _,
    };
    use futures_util::stream::{self, StreamExt as _};

    // A 500 with 20 MiB of HTML whose end never comes: a client that read the whole page
    // would wait for its timeout instead of answering.
    let page = || {
        let head = Bytes::from_static(b"<html><body><h1>500 Internal Server Error</h1>");
        let filler = Bytes::from(vec![b'x'; 64 * 1024]);
        let body = stream::iter([head])
            .chain(stream::repeat(filler).take(320))
            .map(Ok::<_, std::io::Error>)
            .chain(stream::pending());
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(CONTENT_TYPE, "text/html")],
            Body::from_stream(body),
        )
            .into_response()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::Router::new().fallback(move || async move { page() }),
        )
        .await
        .unwrap()
    });
    let client = qyvo::ClientBuilder::new(TOKEN)
        .base_url(base_url)
        .max_response_bytes(64 * 1024)
        .retry_policy(RetryPolicy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    let err = client
        .get_contact()
        .body_map(|b| b.phone(Some("+14155550123".to_owned())))
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Server {
            status: 500,
            message: Some(message),
            ..
        } => {
            assert!(message.starts_with("<html><body><h1>500 Internal Server Error</h1>xxx"));
            assert_eq!(message.chars().count(), 512);
        }
        other => panic!("expected the 500 with an excerpt, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_status_the_operation_does_not_declare_keeps_its_body() {
    let server = Recorder::start().await;
    // The errors page documents this 404 for a server-side setup problem, from any endpoint.
    let missing_client = json!({"error": "Personal access client not found"});
    server.answer("/me", [Canned::json(404, missing_client.clone())]);
    server.answer(
        "/actions/create-contact",
        [Canned::json(404, missing_client)],
    );
    server.answer(
        "/actions/list-tags",
        [Canned::json(
            409,
            json!({"message": "Tag list is being rebuilt."}),
        )],
    );
    let client = server.client(TOKEN);
    let me = client.me().send().await.unwrap_err();
    let upsert = client
        .create_contact()
        .body_map(|b| b.phone("+14155550123"))
        .send()
        .await
        .unwrap_err();
    for err in [&me, &upsert] {
        assert!(
            matches!(err, Error::NotFound { what, message }
                if what == "personal access client" && message == "Personal access client not found"),
            "{err:?}"
        );
        assert_eq!(err.status(), Some(404));
    }
    let tags = client.list_tags().send().await.unwrap_err();
    assert!(
        matches!(&tags, Error::Rejected { status: 409, message: Some(m) } if m == "Tag list is being rebuilt."),
        "{tags:?}"
    );
    assert_eq!(
        tags.to_string(),
        "request rejected with status 409: tag list is being rebuilt"
    );
}

#[tokio::test]
async fn the_users_http_settings_stay_and_the_sdks_rules_hold_on_top() {
    let server = Recorder::start().await;
    let elsewhere = Recorder::start().await;
    server.answer(
        "/me",
        [Canned::json(200, json!({"id": 1, "email": "a@b.c"}))],
    );
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-team", "growth".parse().unwrap());
    headers.insert("authorization", "Bearer someone-else".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(1)
        .redirect(reqwest::redirect::Policy::limited(10));
    let client = qyvo::ClientBuilder::new(TOKEN)
        .base_url(&server.base_url)
        .http_client(http)
        .build()
        .unwrap();
    client.me().send().await.unwrap();
    let request = server.only_request();
    assert_eq!(request.header("x-team"), Some("growth"));
    assert_identified(&request);
    // The user's redirect policy does not replace the SDK's.
    server.answer(
        "/me",
        [Canned::raw(307, "text/plain", "")
            .header("location", format!("{}/me", elsewhere.base_url))],
    );
    let err = client.me().send().await.unwrap_err();
    assert!(matches!(err, Error::Redirected { .. }), "{err:?}");
    assert!(elsewhere.requests().is_empty());
}

/// The server refuses a bulk send the template lookup said was complete (the template gained
/// a placeholder in between): the journal records the refusal, so a resumed batch neither
/// sends again nor calls it unknown.
#[tokio::test]
async fn a_refusal_after_a_bulk_send_is_journaled_rejected() {
    use qyvo::{
        bulk::{FileJournal, JournalStatus, Outcome, Recipient},
        template::Variables,
    };

    let server = Recorder::start().await;
    server.answer(
        "/actions/get-template",
        [Canned::json(
            200,
            json!({"id": "01J0ABCDEFGHJKMNPQRSTVWXYZ", "name": "order_shipped",
                   "category": "UTILITY", "status": "APPROVED", "languages": ["en"],
                   "body": "Hi {{1}}", "placeholders": ["1"],
                   "created_at": "2026-04-01T09:00:00+00:00"}),
        )],
    );
    server.answer(
        "/actions/send-template-message",
        [Canned::json(
            422,
            json!({"error": "Template requires variables that were not provided.",
                   "expected_placeholders": ["1", "2"], "missing": ["2"]}),
        )],
    );
    let client = server.client(TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let batch = || {
        client
            .send_template_bulk(
                "01J0ABCDEFGHJKMNPQRSTVWXYZ",
                [Recipient::new(
                    "+14155550123",
                    Variables::from_iter([("1", "Ann")]),
                )],
            )
            .journal(FileJournal::open(&path).unwrap())
            .send()
    };
    let first = batch().await.unwrap();
    assert!(
        matches!(&first.results[0].outcome, Outcome::MissingVariables { missing } if missing == &["2"]),
        "{first:?}"
    );
    let sends = || {
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/send-template-message"))
            .count()
    };
    assert_eq!(sends(), 1);
    let resumed = batch().await.unwrap();
    assert!(
        matches!(
            resumed.results[0].outcome,
            Outcome::AlreadyDone(JournalStatus::Rejected)
        ),
        "{resumed:?}"
    );
    assert_eq!(sends(), 1);
}
