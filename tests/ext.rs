//! The hand-written layer against the local Qyvo server: bad input sends nothing, and the
//! server's errors arrive as the same typed errors as the local checks.

use std::time::Duration;

use qyvo::{Error, phone::PhoneError, prelude::*, template::Variables};
use qyvo_mock::{MockServer, Operation, seed};
use serde_json::json;

const PHONE: &str = "+14155550123";

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await.expect("the mock starts");
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .build()
        .expect("the client builds");
    (server, client)
}

fn order_variables() -> Variables {
    Variables::from_iter([
        ("1", "Romain"),
        ("2", "ORD-1042"),
        ("3", "https://t.example/1"),
    ])
}

#[tokio::test]
async fn a_bad_phone_sends_nothing() {
    let (server, client) = setup().await;
    for (input, expected) in [
        ("", PhoneError::Empty),
        ("call me", PhoneError::NotANumber),
        ("4155550123", PhoneError::MissingCountryCode),
        ("+1 415 555", PhoneError::TooShort),
    ] {
        let err = client
            .send_template(input, seed::ORDER_SHIPPED_TEMPLATE_ID, order_variables())
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidPhone(e) if e == &expected),
            "{input:?}: {err:?}"
        );
        let err = client.send_text(input, "hello").send().await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidPhone(e) if e == &expected),
            "{input:?}: {err:?}"
        );
        let err = client.upsert_contact(input).send().await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidPhone(e) if e == &expected),
            "{input:?}: {err:?}"
        );
    }
    assert!(server.journal().is_empty(), "{:#?}", server.journal());
}

#[tokio::test]
async fn a_missing_variable_is_caught_locally_with_the_servers_own_error() {
    let (server, client) = setup().await;
    let partial = Variables::from_iter([("1", "Romain")]);
    let local = client
        .send_template(PHONE, seed::ORDER_SHIPPED_TEMPLATE_ID, partial.clone())
        .send()
        .await
        .unwrap_err();
    // Only the template lookup went out; nothing was sent to the person.
    assert_eq!(server.count(Operation::GetTemplate), 1);
    assert_eq!(server.count(Operation::SendTemplateMessage), 0);

    // The template is cached now: the same mistake sends no request at all.
    server.clear_journal();
    let again = client
        .send_template(PHONE, seed::ORDER_SHIPPED_TEMPLATE_ID, partial.clone())
        .send()
        .await
        .unwrap_err();
    assert!(server.journal().is_empty());

    // The server, asked directly, answers 422 with the same error.
    let remote = client
        .send_template_message()
        .body_map(|b| {
            b.phone(PHONE)
                .template_id(seed::ORDER_SHIPPED_TEMPLATE_ID)
                .variables(std::collections::BTreeMap::from(partial))
        })
        .send()
        .await
        .unwrap_err();
    for (err, status) in [(&local, None), (&again, None), (&remote, Some(422))] {
        assert_eq!(err.status(), status, "{err:?}");
        match err {
            Error::MissingVariables {
                expected, missing, ..
            } => {
                assert_eq!(expected, &["1", "2", "3"]);
                assert_eq!(missing, &["2", "3"]);
            }
            other => panic!("expected missing variables, got {other:?}"),
        }
    }
    assert!(
        server
            .outbound_messages(server.token(), PHONE)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn invalid_values_tags_and_metadata_are_refused_before_sending() {
    let (server, client) = setup().await;
    let mut bad = order_variables();
    bad.insert("2", "line\nbreak");
    let err = client
        .send_template(PHONE, seed::ORDER_SHIPPED_TEMPLATE_ID, bad)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidVariables(e) if e.invalid.len() == 1 && e.invalid[0].key == "2"),
        "{err:?}"
    );

    let err = client
        .upsert_contact(PHONE)
        .tags(["vip", "a,b"])
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidTag(qyvo::contact::TagError::ContainsComma { .. })
        ),
        "{err:?}"
    );
    let huge = json!({"blob": "x".repeat(70_000)});
    let err = client
        .upsert_contact(PHONE)
        .metadata(huge)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidMetadata(qyvo::contact::MetadataError::TooLarge { .. })
        ),
        "{err:?}"
    );
    assert_eq!(server.count(Operation::SendTemplateMessage), 0);
    assert_eq!(server.count(Operation::CreateContact), 0);
}

#[tokio::test]
async fn sends_a_template_with_a_normalised_phone_and_caches_the_template() {
    let (server, client) = setup().await;
    for formatted in ["+1 (415) 555-0123", "+1.415.555.0123"] {
        let sent = client
            .send_template(
                formatted,
                seed::ORDER_SHIPPED_TEMPLATE_ID,
                order_variables(),
            )
            .language("fr")
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status.as_deref(), Some("sent"));
    }
    assert_eq!(
        server.count(Operation::GetTemplate),
        1,
        "the second send used the cache"
    );
    let sends: Vec<_> = server
        .journal()
        .into_iter()
        .filter(|e| e.operation == Some(Operation::SendTemplateMessage))
        .collect();
    assert_eq!(sends.len(), 2);
    for entry in sends {
        let body = entry.body.expect("a JSON body");
        assert_eq!(body["phone"], PHONE);
        assert_eq!(body["language"], "fr");
    }
    assert_eq!(
        server
            .outbound_messages(server.token(), PHONE)
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn the_template_cache_expires() {
    let server = MockServer::start().await.unwrap();
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .template_cache_ttl(Duration::from_secs(60))
        .build()
        .unwrap();
    let send = || async {
        client
            .send_template(PHONE, seed::OPENING_HOURS_TEMPLATE_ID, Variables::new())
            .send()
            .await
            .unwrap()
    };
    send().await;
    send().await;
    assert_eq!(server.count(Operation::GetTemplate), 1);
    tokio::time::advance(Duration::from_secs(61)).await;
    send().await;
    assert_eq!(server.count(Operation::GetTemplate), 2);
}

#[tokio::test]
async fn no_approved_translation_carries_the_languages() {
    let (_server, client) = setup().await;
    let err = client
        .send_template(
            PHONE,
            seed::SPRING_SALE_TEMPLATE_ID,
            Variables::from_iter([("1", "x")]),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoApprovedTranslation { available_languages } if available_languages == &["en", "fr"]),
        "{err:?}"
    );
}

#[tokio::test]
async fn free_text_only_inside_the_window() {
    let (server, client) = setup().await;
    client
        .upsert_contact(PHONE)
        .name("Romain")
        .send()
        .await
        .unwrap();
    let err = client.send_text(PHONE, "hello").send().await.unwrap_err();
    assert!(matches!(err, Error::WindowClosed { .. }), "{err:?}");
    server.contact_reply(server.token(), PHONE, "hi!").unwrap();
    let sent = client
        .send_text("+1 415 555 0123", "Yes, we ship to Canada")
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status.as_deref(), Some("sent"));
    let err = client
        .send_text(PHONE, "x".repeat(4097))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    server.advance_clock(Duration::from_secs(25 * 3600));
    let err = client
        .send_text(PHONE, "still there?")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WindowClosed { .. }), "{err:?}");
}

#[tokio::test]
async fn upserts_with_tags_and_metadata() {
    let (server, client) = setup().await;
    let contact = client
        .upsert_contact("+33 1 42 76 49 78")
        .name("Romain")
        .email("")
        .tags(["vip", " fr-FR ", "vip"])
        .metadata(json!({"shopify_id": "12345"}))
        .send()
        .await
        .unwrap();
    assert_eq!(contact.phone, "+33142764978");
    assert_eq!(contact.tags, ["vip", "fr-FR"]);
    let body = server.journal()[0].body.clone().unwrap();
    assert_eq!(
        body,
        json!({"phone": "+33142764978", "name": "Romain", "tags": "vip, fr-FR", "metadata": {"shopify_id": "12345"}})
    );
}

#[tokio::test]
async fn reports_the_rate_limit() {
    let (_server, client) = setup().await;
    assert_eq!(client.rate_limit(), None);
    client.me().send().await.unwrap();
    client.me().send().await.unwrap();
    let quota = client.rate_limit().unwrap();
    assert_eq!((quota.limit, quota.remaining), (120, 118));
}
