//! Nothing secret leaves the SDK: not the token, not a full phone number, and (unless asked)
//! not a message's text or a template's variables, in any span, event, log record, error
//! message or `Debug` output of a whole story against the local Qyvo server.

#![allow(
    clippy::unwrap_used,
    reason = "the story is the test: any unexpected failure should fail it loudly"
)]

#[path = "support/logs.rs"]
mod logs;

use std::time::Duration;

use futures_util::StreamExt as _;
use logs::Captured;
use qyvo::{
    ConfigError, Error,
    bulk::{Outcome, Recipient},
    phone::PhoneNumber,
    poll::{PollEvent, StartFrom},
    prelude::*,
    template::Variables,
    webhook::{Verifier, WebhookEvent, WebhookSecret, sign},
};
use qyvo_mock::{Fault, Injection, MockServer, Operation, seed};
use serde_json::json;
use tracing_subscriber::{fmt::format::FmtSpan, util::SubscriberInitExt as _};

const TOKEN: &str = "qyvo-secret-token-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e";
const WRONG_TOKEN: &str = "qyvo-wrong-token-8e6c4a2f0d1b3e5c7a9f2d4b6e8a0c1f";
const PHONE: &str = "+14155550123";
const BULK_PHONES: [&str; 2] = ["+33142764978", "+442079460958"];
const MASKED: [&str; 3] = ["+1415*****23", "+3314*****78", "+4420******58"];

/// Values that are personal data but not secrets: recorded only with request bodies on.
const NAME: &str = "Zéphyrin Quillard";
const ORDER: &str = "ORD-7Q4W5M3N";
const EMAIL: &str = "zq@example.com";
const TEXT: &str = "Your parcel left the depot at 7:42";
const REPLY: &str = "Where is my parcel? It is urgent";

/// What the story shows that must never hold personal data.
const PRIVATE_FREE: [&str; 9] = [
    "builder",
    "upsert",
    "send_template",
    "send_text",
    "upsert_error",
    "error",
    "recipients",
    "bulk",
    "poll",
];

/// Runs the story, returning the `Debug` and `Display` text of everything it produced.
async fn story(server: &MockServer, trace_bodies: bool) -> Vec<String> {
    let mut shown = Vec::new();
    let mut show = |what: &str, debug: String| shown.push(format!("{what}: {debug}"));
    let builder = ClientBuilder::new(TOKEN)
        .base_url(server.base_url())
        .trace_request_bodies(trace_bodies);
    show("builder", format!("{builder:?}"));
    let client = builder.build().unwrap();
    show("client", format!("{client:?}"));

    let me = client.me().send().await.unwrap();
    show("me", format!("{me:?}"));

    let upsert = client
        .upsert_contact(PHONE)
        .name(NAME)
        .email(EMAIL)
        .tags(["vip"])
        .metadata(json!({"order": ORDER}));
    show("upsert", format!("{upsert:?}"));
    let contact = upsert.send().await.unwrap();
    assert_eq!(contact.phone, PHONE);

    let variables = Variables::from_iter([("1", NAME), ("2", ORDER), ("3", "https://t.example/7")]);
    let send = client
        .send_template(PHONE, seed::ORDER_SHIPPED_TEMPLATE_ID, variables.clone())
        .language("en");
    show("send_template", format!("{send:?}"));
    let sent = send.send().await.unwrap();
    show("sent", format!("{sent:?}"));

    server.contact_reply(TOKEN, PHONE, REPLY).unwrap();
    let poll = client.poll_messages().start_from(StartFrom::CurrentPage);
    show("poll", format!("{poll:?}"));
    let mut replies = poll.send();
    show("poll_stream", format!("{replies:?}"));
    let reply = tokio::time::timeout(Duration::from_secs(10), replies.next())
        .await
        .expect("the first poll answers at once");
    match reply {
        Some(Ok(PollEvent::Item(message))) => {
            assert!(
                format!("{:?}", message.content).contains(REPLY),
                "{message:?}"
            );
        }
        other => panic!("expected the reply, got {other:?}"),
    }
    drop(replies);

    let text = client.send_text(PHONE, TEXT);
    show("send_text", format!("{text:?}"));
    text.send().await.unwrap();
    client
        .add_tag()
        .body_map(|b| b.phone(Some(PHONE.to_owned())).tag("followed-up"))
        .send()
        .await
        .unwrap();
    client
        .trigger_sequence()
        .body_map(|b| {
            b.sequence_id(seed::WELCOME_SEQUENCE_ID)
                .phone(Some(PHONE.to_owned()))
        })
        .send()
        .await
        .unwrap();

    let mut errors = Vec::new();
    let stranger = ClientBuilder::new(WRONG_TOKEN)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let unauthenticated = stranger.me().send().await.unwrap_err();
    assert!(matches!(unauthenticated, Error::Unauthenticated));
    errors.push(unauthenticated);
    let invalid = client
        .upsert_contact(PHONE)
        .email("not an email")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(invalid, Error::Validation { .. }), "{invalid:?}");
    errors.push(invalid);
    let not_found = client
        .trigger_sequence()
        .body_map(|b| {
            b.sequence_id(seed::DRAFT_SEQUENCE_ID)
                .phone(Some(PHONE.to_owned()))
        })
        .send()
        .await
        .unwrap_err();
    assert!(matches!(not_found, Error::NotFound { .. }), "{not_found:?}");
    errors.push(not_found);
    errors.push(
        client
            .send_template(
                PHONE,
                seed::ORDER_SHIPPED_TEMPLATE_ID,
                Variables::from_iter([("1", NAME)]),
            )
            .send()
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .send_text("+1 415 555", TEXT)
            .send()
            .await
            .unwrap_err(),
    );
    let (bad_phone, bad_variables) = (
        client.upsert_contact(format!("{PHONE}x")),
        client.send_template(
            PHONE,
            seed::ORDER_SHIPPED_TEMPLATE_ID,
            Variables::from_iter([("1", "a\nb"), ("2", ORDER), ("3", "x")]),
        ),
    );
    show("upsert_error", format!("{bad_phone:?}"));
    errors.push(bad_variables.send().await.unwrap_err());
    // An answer that does not decode, holding the contact's phone and name, and a send that
    // may have gone out: the errors services log most.
    server.inject(Injection::new(Fault::MalformedJson).on(Operation::CreateContact));
    let unreadable = client
        .upsert_contact(PHONE)
        .name(NAME)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(unreadable, Error::Decode { .. }), "{unreadable:?}");
    let raw = unreadable.raw_body().unwrap();
    // The body holds personal data (which fields survive the cut depends on key order).
    assert!(
        [EMAIL, NAME, &PHONE[1..]].iter().any(|p| raw.contains(p)),
        "{raw}"
    );
    errors.push(unreadable);
    server.inject(Injection::new(Fault::DropAfterAction).on(Operation::SendTextMessage));
    let maybe_sent = client.send_text(PHONE, TEXT).send().await.unwrap_err();
    assert!(
        matches!(maybe_sent, Error::OutcomeUnknown { .. }),
        "{maybe_sent:?}"
    );
    errors.push(maybe_sent);
    for error in &errors {
        show("error", format!("{error:?} / {error:#?} / {error}"));
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            show("error", format!("caused by {cause:?} / {cause}"));
            source = cause.source();
        }
    }
    let config = ClientBuilder::new(format!("{TOKEN}\n"))
        .build()
        .unwrap_err();
    assert!(matches!(config, ConfigError::InvalidToken { .. }));
    show("config_error", format!("{config:?} / {config}"));

    let recipients: Vec<_> = BULK_PHONES
        .iter()
        .chain(&["not a phone", BULK_PHONES[0]])
        .map(|phone| Recipient::new(*phone, variables.clone()))
        .collect();
    show("recipients", format!("{recipients:?}"));
    let bulk = client.send_template_bulk(seed::ORDER_SHIPPED_TEMPLATE_ID, recipients);
    show("bulk", format!("{bulk:?}"));
    let report = bulk.send().await.unwrap();
    assert_eq!(report.sent(), 2, "{report:?}");
    assert!(matches!(
        report.results[3].outcome,
        Outcome::Duplicate { first: 0 }
    ));
    show("report", format!("{report:?}"));

    let phone: PhoneNumber = PHONE.parse().unwrap();
    show("phone", format!("{phone:?}"));
    let secret = WebhookSecret::new(TOKEN).unwrap();
    show("webhook_secret", format!("{secret:?}"));
    let verifier = Verifier::new(secret.clone());
    show("verifier", format!("{verifier:?}"));
    let body = json!({"event": "message.received", "tenant_id": "t1",
        "message": {"id": "m1", "type": "text", "created_at": "2024-06-01T12:00:00Z"},
        "contact": {"id": "c1", "phone": PHONE}})
    .to_string();
    let now = chrono::Utc::now();
    let header = sign(&secret, now.timestamp(), body.as_bytes());
    verifier
        .verify_at(Some(&header), body.as_bytes(), now)
        .unwrap();
    let bad = verifier.verify_at(Some(&header), b"{}", now).unwrap_err();
    show("webhook_error", format!("{bad:?} / {bad}"));
    let event = WebhookEvent::from_slice(body.as_bytes()).unwrap();
    assert_eq!(event.event_name(), "message.received");
    // serde_json quotes a string where an object belongs: the error must not.
    let misshapen = json!({"event": "message.received", "tenant_id": "t1", "message": PHONE});
    let misshapen = WebhookEvent::from_slice(misshapen.to_string().as_bytes()).unwrap_err();
    let source = std::error::Error::source(&misshapen).expect("the decoder's error");
    assert!(
        source.to_string().starts_with("invalid type: string"),
        "{source}"
    );
    show(
        "webhook_payload_error",
        format!("{misshapen:?} / {misshapen} / {source} / {source:?}"),
    );
    show("server", format!("{server:?}"));
    // The journal holds the request bodies, phones included: only its tokens are checked.
    let journal = format!("{:?}", server.journal());
    assert!(journal.contains(r#"token: Some("qyvo-sec…")"#), "{journal}");
    assert!(
        !journal.contains(TOKEN) && !journal.contains(WRONG_TOKEN),
        "{journal}"
    );
    shown
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [TOKEN, WRONG_TOKEN, &TOKEN[..16], &WRONG_TOKEN[..16]] {
        assert!(!text.contains(secret), "{what} shows a token:\n{text}");
    }
    for phone in [PHONE].iter().chain(&BULK_PHONES) {
        let national = phone.parse::<PhoneNumber>().unwrap();
        let national = national.national_number();
        for line in text.lines() {
            assert!(!line.contains(&phone[1..]), "{what} shows {phone}:\n{line}");
            assert!(
                !line.contains(national),
                "{what} shows {phone}'s national number:\n{line}"
            );
        }
    }
}

#[tokio::test]
async fn no_token_phone_or_message_leaks_into_traces_logs_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();
    // reqwest and rustls log through `log`: route those records to the same subscriber.
    tracing_log::LogTracer::init().unwrap();
    let server = MockServer::builder()
        .token(TOKEN)
        .rate_limit(10_000, Duration::from_secs(60))
        .start()
        .await
        .unwrap();

    for trace_bodies in [false, true] {
        let shown = story(&server, trace_bodies).await;
        for line in &shown {
            assert_no_secret("Debug or Display", line);
            // Errors and the SDK's own builders never show personal data; response types are
            // the user's data and may.
            let (what, _) = line.split_once(": ").unwrap();
            if PRIVATE_FREE.contains(&what) {
                for private in [NAME, ORDER, TEXT, REPLY, EMAIL] {
                    assert!(!line.contains(private), "{what} shows {private:?}:\n{line}");
                }
            }
        }
        let traced = captured.take();
        assert_no_secret("the trace", &traced);
        for operation in [
            "me",
            "create_contact",
            "get_template",
            "send_template_message",
            "new_message_received",
            "send_text_message",
            "add_tag",
            "trigger_sequence",
        ] {
            assert!(
                traced.contains(&format!("operation=\"{operation}\"")),
                "no span for {operation}:\n{traced}"
            );
        }
        for masked in MASKED {
            assert!(
                traced.contains(&format!("phone=\"{masked}\"")),
                "no {masked}:\n{traced}"
            );
        }
        assert!(traced.contains("http.status=401"), "{traced}");
        assert!(traced.contains("http.status=422"), "{traced}");
        // Response bodies are never recorded, request bodies only when asked.
        assert!(!traced.contains(REPLY), "{traced}");
        for private in [NAME, ORDER, TEXT] {
            assert_eq!(
                traced.contains(private),
                trace_bodies,
                "{private:?} with trace_request_bodies({trace_bodies}):\n{traced}"
            );
        }
        assert_eq!(traced.contains(" body="), trace_bodies, "{traced}");
    }
}
