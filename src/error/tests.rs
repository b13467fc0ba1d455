use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::{
    contact::{Metadata, Tag},
    phone::PhoneNumber,
    template::{Placeholders, Variables},
};

/// Real transport errors, made against sockets on 127.0.0.1.
pub(crate) mod transport {
    use std::time::Duration;

    /// A connection refused: nothing listens on the port.
    pub(crate) async fn refused() -> reqwest::Error {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .expect_err("nothing listens")
    }

    /// A timeout after the request was written: the server accepts and never answers. Run it
    /// on a paused clock.
    pub(crate) async fn timed_out() -> reqwest::Error {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
            drop(socket);
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let error = client
            .post(format!("http://127.0.0.1:{port}/"))
            .body("{}")
            .send()
            .await
            .expect_err("the server never answers");
        server.abort();
        error
    }

    /// A connection dropped after the request was written.
    pub(crate) async fn dropped() -> reqwest::Error {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket);
        });
        let error = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/"))
            .body("{}")
            .send()
            .await
            .expect_err("the server hangs up");
        server.await.unwrap();
        error
    }
}

fn classify(status: u16, body: serde_json::Value) -> Error {
    Error::classify_answer(
        StatusCode::from_u16(status).unwrap(),
        &HeaderMap::new(),
        Body::Json(serde_json::from_value(body).unwrap()),
    )
}

fn decode_error(body: &str) -> Error {
    decode::<crate::types::Contact>(body.as_bytes()).unwrap_err()
}

/// One error of every variant (two for those whose answers depend on their contents), with the
/// answers the module table gives.
pub(crate) async fn every_variant() -> Vec<(Error, Acted, bool, bool, Option<u16>)> {
    use Acted::{Maybe, No, Yes};
    let server = || Error::Server {
        status: 503,
        message: None,
        retry_after: Some(Duration::from_secs(2)),
    };
    vec![
        (Error::Unauthenticated, No, false, false, Some(401)),
        (
            classify(403, json!({"error": "Forbidden."})),
            No,
            false,
            false,
            Some(403),
        ),
        (
            classify(404, json!({"error": "Contact not found"})),
            No,
            false,
            false,
            Some(404),
        ),
        (
            classify(
                422,
                json!({"message": "Invalid.", "errors": {"phone": ["Required."]}}),
            ),
            No,
            false,
            false,
            Some(422),
        ),
        (
            classify(
                422,
                json!({"error": "x", "expected_placeholders": ["1"], "missing": ["1"]}),
            ),
            No,
            false,
            false,
            Some(422),
        ),
        (
            Error::from(
                Placeholders::from_body("Hi {{1}}")
                    .check(&Variables::new())
                    .unwrap_err(),
            ),
            No,
            false,
            false,
            None,
        ),
        (
            classify(
                422,
                json!({"error": "Template has no approved translation to send."}),
            ),
            No,
            false,
            false,
            Some(422),
        ),
        (
            classify(422, json!({"error": "No workspace configured."})),
            No,
            false,
            false,
            Some(422),
        ),
        (
            classify(422, json!({"error": "No WhatsApp account configured"})),
            No,
            false,
            false,
            Some(422),
        ),
        (
            classify(422, json!({"error": "Meta error 131047"})),
            No,
            false,
            false,
            Some(422),
        ),
        (classify(429, json!({})), No, true, true, Some(429)),
        (
            classify(409, json!({"error": "Conflict"})),
            No,
            false,
            false,
            Some(409),
        ),
        (
            Error::Redirected {
                status: 307,
                location: "https://elsewhere.example/".into(),
            },
            No,
            false,
            false,
            Some(307),
        ),
        (
            Error::UnexpectedStatus { status: 200 },
            Yes,
            false,
            false,
            Some(200),
        ),
        (
            Error::UnexpectedStatus { status: 304 },
            Maybe,
            false,
            false,
            Some(304),
        ),
        (server(), Maybe, true, true, Some(503)),
        (
            Error::Transport {
                source: transport::refused().await,
            },
            No,
            true,
            true,
            None,
        ),
        (
            Error::Transport {
                source: transport::dropped().await,
            },
            Maybe,
            true,
            true,
            None,
        ),
        (
            Error::Timeout {
                source: transport::timed_out().await,
            },
            Maybe,
            true,
            true,
            None,
        ),
        (
            Error::OutcomeUnknown {
                operation: "send_text_message",
                cause: Box::new(server()),
            },
            Maybe,
            true,
            false,
            Some(503),
        ),
        (decode_error(r#"{"id": 1}"#), Yes, true, false, None),
        (Error::invalid_request("no"), No, false, false, None),
        (
            Error::from("not a phone".parse::<PhoneNumber>().unwrap_err()),
            No,
            false,
            false,
            None,
        ),
        (
            Error::from(
                Placeholders::from_body("Hi {{1}}")
                    .check(&Variables::from_iter([("1", "a\tb")]))
                    .unwrap_err(),
            ),
            No,
            false,
            false,
            None,
        ),
        (
            Error::from(Tag::try_from("a,b").unwrap_err()),
            No,
            false,
            false,
            None,
        ),
        (
            Error::from(Metadata::try_from(json!([1])).unwrap_err()),
            No,
            false,
            false,
            None,
        ),
    ]
}

#[tokio::test(start_paused = true)]
async fn every_variant_answers_the_three_questions_as_the_table_says() {
    let cases = every_variant().await;
    for (error, acted, transient, retryable, status) in &cases {
        assert_eq!(error.acted(), *acted, "{error:?}");
        assert_eq!(error.is_transient(), *transient, "{error:?}");
        assert_eq!(error.is_retryable(), *retryable, "{error:?}");
        assert_eq!(error.status(), *status, "{error:?}");
        // Retryable means safe to repeat: the server certainly did not act, or may have on an
        // operation that is safe to repeat (never a send: those are OutcomeUnknown).
        assert!(!retryable || *transient, "{error:?}");
        let text = error.to_string();
        assert!(!text.ends_with('.'), "{text}");
        assert_eq!(
            text.chars().next().map(char::is_lowercase),
            Some(true),
            "{text}"
        );
    }
    // Every variant is in the table (ResponseTooLarge is made by a real oversized body in
    // tests/faults.rs).
    let names: std::collections::BTreeSet<_> = cases
        .iter()
        .map(|(e, ..)| {
            format!("{e:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names.len(), 23, "{names:?}");
}

#[tokio::test]
async fn a_send_that_may_have_acted_is_outcome_unknown_and_one_that_did_not_is_not() {
    let maybe = Error::from_transport(
        transport::dropped().await,
        "send_text_message",
        RetryClass::Send,
    );
    assert!(
        matches!(&maybe, Error::OutcomeUnknown { operation: "send_text_message", cause } if matches!(**cause, Error::Transport { .. })),
        "{maybe:?}"
    );
    assert!(!maybe.is_retryable());
    let refused = Error::from_transport(
        transport::refused().await,
        "send_text_message",
        RetryClass::Send,
    );
    assert!(matches!(refused, Error::Transport { .. }), "{refused:?}");
    assert!(refused.is_retryable());
    let safe = Error::from_transport(transport::dropped().await, "get_contact", RetryClass::Safe);
    assert!(matches!(safe, Error::Transport { .. }), "{safe:?}");

    let busy = Error::from_answer(
        StatusCode::SERVICE_UNAVAILABLE,
        &HeaderMap::new(),
        Body::Json(ApiError::default()),
        "send_template_message",
        RetryClass::Send,
    );
    assert!(matches!(&busy, Error::OutcomeUnknown { .. }), "{busy:?}");
    assert_eq!(busy.status(), Some(503));
    assert_eq!(
        busy.to_string(),
        "send_template_message may or may not have been performed: server error 503"
    );
    let limited = Error::from_answer(
        StatusCode::TOO_MANY_REQUESTS,
        &HeaderMap::new(),
        Body::Json(ApiError::default()),
        "send_template_message",
        RetryClass::Send,
    );
    assert!(matches!(limited, Error::RateLimited { .. }));
}

#[test]
fn parses_retry_after_in_both_forms() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    assert_eq!(parse_retry_after(&headers, now), None);
    headers.insert("retry-after", "23".parse().unwrap());
    assert_eq!(
        parse_retry_after(&headers, now),
        Some(Duration::from_secs(23))
    );
    let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
    headers.insert("retry-after", later.parse().unwrap());
    assert_eq!(
        parse_retry_after(&headers, now),
        Some(Duration::from_secs(90))
    );
    let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
    headers.insert("retry-after", past.parse().unwrap());
    assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
    headers.insert("retry-after", "soon".parse().unwrap());
    assert_eq!(parse_retry_after(&headers, now), None);
}

#[test]
fn maps_every_documented_error_body() {
    assert!(matches!(
        classify(401, json!({"message": "Unauthenticated."})),
        Error::Unauthenticated
    ));
    assert!(matches!(
        classify(404, json!({"error": "Contact not found"})),
        Error::NotFound { what, .. } if what == "contact"
    ));
    assert!(matches!(
        classify(404, json!({"error": "Sequence not found or not published"})),
        Error::NotFound { what, .. } if what == "sequence"
    ));
    assert!(matches!(
        classify(404, json!({})),
        Error::NotFound { what, .. } if what == "resource"
    ));
    let e = classify(
        422,
        json!({"message": "The given data was invalid.", "errors": {"phone": ["The phone field is required."]}}),
    );
    assert!(
        matches!(&e, Error::Validation { fields, .. } if fields["phone"] == ["The phone field is required."])
    );
    assert_eq!(e.to_string(), "validation failed for phone");
    let e = classify(
        422,
        json!({"error": "Template requires variables that were not provided.", "expected_placeholders": ["1", "2"], "missing": ["2"]}),
    );
    assert!(
        matches!(&e, Error::MissingVariables { expected, missing, status: Some(422) } if expected == &["1", "2"] && missing == &["2"])
    );
    assert!(matches!(
        classify(422, json!({"error": "Template has no approved translation to send.", "available_languages": ["en"]})),
        Error::NoApprovedTranslation { available_languages } if available_languages == ["en"]
    ));
    assert!(matches!(
        classify(
            422,
            json!({"error": "Message rejected by Meta (131047): Re-engagement message"})
        ),
        Error::WindowClosed { .. }
    ));
    assert!(matches!(
        classify(422, json!({"error": "Something else"})),
        Error::Rejected { status: 422, message: Some(m) } if m == "Something else"
    ));
    assert!(matches!(
        classify(503, json!({})),
        Error::Server {
            status: 503,
            message: None,
            retry_after: None
        }
    ));
}

#[test]
fn a_non_json_error_body_keeps_its_status_and_excerpt() {
    let e = Error::classify_answer(
        StatusCode::UNPROCESSABLE_ENTITY,
        &HeaderMap::new(),
        Body::Text("Bad gateway page".into()),
    );
    assert!(
        matches!(&e, Error::Rejected { status: 422, message: Some(m) } if m == "Bad gateway page"),
        "{e:?}"
    );
    let e = Error::classify_answer(
        StatusCode::BAD_GATEWAY,
        &HeaderMap::new(),
        Body::Text(String::new()),
    );
    assert!(matches!(
        e,
        Error::Server {
            status: 502,
            message: None,
            ..
        }
    ));
}

#[test]
fn an_undeclared_success_is_unexpected_and_a_redirect_names_its_location() {
    for status in [200, 204, 302] {
        let e = classify(status, json!({"id": "01J1Y"}));
        assert!(
            matches!(e, Error::UnexpectedStatus { status: s } if s == status),
            "{e:?}"
        );
    }
    let mut headers = HeaderMap::new();
    headers.insert("location", "https://evil.example/x".parse().unwrap());
    let e = Error::classify_answer(
        StatusCode::TEMPORARY_REDIRECT,
        &headers,
        Body::Text(String::new()),
    );
    assert!(
        matches!(&e, Error::Redirected { status: 307, location } if location == "https://evil.example/x")
    );
    assert_eq!(
        e.to_string(),
        "refused a redirect (307) to another origin: https://evil.example/x"
    );
}

#[test]
fn reads_retry_after_on_429_and_5xx() {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", "23".parse().unwrap());
    for status in [
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        let e = Error::classify_answer(status, &headers, Body::Json(ApiError::default()));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(23)), "{e:?}");
    }
    let e = Error::RateLimited {
        retry_after: Some(Duration::from_millis(22_300)),
    };
    assert_eq!(e.to_string(), "rate limited: retry after 23 s");
}

#[test]
fn a_decode_error_names_its_path_and_never_shows_the_body_or_its_values() {
    let body = r#"{"id": "01J", "phone": "+14155550123", "name": "Romain Dupont", "tags": 7}"#;
    let e = decode_error(body);
    assert!(
        matches!(&e, Error::Decode { path, .. } if path == "$.tags"),
        "{e:?}"
    );
    assert_eq!(e.raw_body(), Some(body));
    for shown in [format!("{e}"), format!("{e:?}"), format!("{e:#?}")] {
        for secret in ["+14155550123", "Romain", "4155550123"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    let e = decode_error(r#""01J""#);
    assert!(
        matches!(&e, Error::Decode { path, .. } if path == "$"),
        "{e:?}"
    );
    let e = decode::<Vec<crate::types::Contact>>(
        br#"[{"id": "a", "phone": "+1"}, {"id": 2, "phone": "Romain"}]"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Decode { path, .. } if path == "$[1].id"),
        "{e:?}"
    );
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert!(
        source.starts_with("invalid type: integer `…`, expected a string"),
        "{source}"
    );
}

#[test]
fn quoted_values_are_left_out_of_decode_messages() {
    assert_eq!(
        without_quoted_values(r#"invalid type: string "Romain", expected i64 at line 1 column 9"#),
        r#"invalid type: string "…", expected i64 at line 1 column 9"#
    );
    assert_eq!(
        without_quoted_values("invalid value: integer `14155550123`, expected u8"),
        "invalid value: integer `…`, expected u8"
    );
    assert_eq!(
        without_quoted_values(r#"unterminated "abc"#),
        r#"unterminated "…"#
    );
}

#[test]
fn phone_numbers_in_server_messages_are_masked() {
    let e = classify(404, json!({"error": "Contact +1 415 555 0123 not found."}));
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains("555 0123") && !shown.contains("4155550123"),
        "{shown}"
    );
    let e = classify(
        422,
        json!({"message": "Invalid.", "errors": {"phone": ["+33142764978 is taken."]}}),
    );
    assert!(!format!("{e:?}").contains("33142764978"));
    // Short numbers (counts, codes, statuses) stay.
    assert_eq!(
        redact("Meta error 131047 after 3 tries"),
        "Meta error 131047 after 3 tries"
    );
    assert_eq!(redact("call +1 415 555 0123."), "call +1415*****23.");
}

#[test]
fn errors_are_send_and_sync_and_chain_their_sources() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
    let e = Error::OutcomeUnknown {
        operation: "send_text_message",
        cause: Box::new(Error::Server {
            status: 502,
            message: None,
            retry_after: None,
        }),
    };
    assert_eq!(
        std::error::Error::source(&e).map(ToString::to_string),
        Some("server error 502".to_owned())
    );
}

/// Any status `StatusCode` accepts.
fn any_status() -> impl Strategy<Value = StatusCode> {
    (100u16..1000).prop_map(|code| StatusCode::from_u16(code).unwrap())
}

/// Text that sometimes holds the phrases the classification looks for.
fn any_text() -> impl Strategy<Value = String> {
    ".{0,12}( not found|131047|no workspace|no whatsapp account|no approved translation)?.{0,6}"
}

proptest! {
    #[test]
    fn any_error_answer_is_classified_without_panicking(
        status in any_status(),
        error in prop::option::of(any_text()),
        message in prop::option::of(any_text()),
        missing in prop::collection::vec(any_text(), 0..3),
        fields in prop::collection::btree_map(any_text(), prop::collection::vec(any_text(), 0..2), 0..3),
        text in prop::option::of(".{0,40}"),
        retry_after in "[ -~]{0,30}",
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&retry_after) {
            headers.insert(reqwest::header::RETRY_AFTER, value);
        }
        let body = match text {
            Some(text) => Body::Text(text),
            None => Body::Json(ApiError {
                error,
                message,
                missing,
                errors: fields.into_iter().collect::<BTreeMap<_, _>>(),
                ..ApiError::default()
            }),
        };
        for class in [RetryClass::Safe, RetryClass::Send] {
            let body = match &body {
                Body::Json(api) => Body::Json(api.clone()),
                Body::Text(t) => Body::Text(t.clone()),
            };
            let e = Error::from_answer(status, &headers, body, "op", class);
            prop_assert_eq!(e.status(), Some(status.as_u16()), "{:?}", e);
            prop_assert!(!e.to_string().ends_with('.'), "{}", e);
            prop_assert!(!(class == RetryClass::Send && e.acted() == Acted::Maybe && e.is_retryable()), "{:?}", e);
            let _ = format!("{e:?}");
        }
    }

    #[test]
    fn any_body_decodes_or_fails_with_a_path(body in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(e) = decode::<crate::types::Contact>(&body) {
            let is_decode = matches!(&e, Error::Decode { path, .. } if path.starts_with('$'));
            prop_assert!(is_decode, "{:?}", e);
        }
    }
}
