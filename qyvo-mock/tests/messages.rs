//! Templates and sending: template errors, language fallback, the 24-hour window, inbound
//! messages and the new-message-received trigger.

mod common;

use std::time::Duration;

use common::setup;
use qyvo_mock::{Direction, seed};
use serde_json::{Value, json};

const PHONE: &str = "+14155550123";

fn order_variables() -> Value {
    json!({"1": "Romain", "2": "ORD-1042", "3": "https://t.example/1"})
}

#[tokio::test]
async fn templates_are_listed_fetched_and_offered() {
    let (_server, api) = setup().await;
    let all = api.call("POST", "/actions/list-templates", json!({})).await;
    let names: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "legacy_promo",
            "opening_hours",
            "order_shipped",
            "spring_sale",
            "welcome_named"
        ]
    );
    let pending = api
        .call(
            "POST",
            "/actions/list-templates",
            json!({"status": "PENDING"}),
        )
        .await;
    assert_eq!(pending.body.as_array().unwrap().len(), 1);
    assert_eq!(pending.body[0]["id"], seed::SPRING_SALE_TEMPLATE_ID);
    let invalid = api
        .call("POST", "/actions/list-templates", json!({"status": "NOPE"}))
        .await;
    assert_eq!(invalid.status, 422);

    let template = api
        .call(
            "POST",
            "/actions/get-template",
            json!({"template_id": seed::ORDER_SHIPPED_TEMPLATE_ID}),
        )
        .await;
    assert_eq!(template.status, 200);
    assert_eq!(template.body["placeholders"], json!(["1", "2", "3"]));
    assert_eq!(template.body["languages"], json!(["en", "fr", "es"]));
    assert_eq!(template.body["header_type"], "TEXT");
    assert_eq!(template.body["buttons"][0]["type"], "URL");
    let named = api
        .call(
            "POST",
            "/actions/get-template",
            json!({"template_id": seed::WELCOME_NAMED_TEMPLATE_ID}),
        )
        .await;
    assert_eq!(
        named.body["placeholders"],
        json!(["first_name", "shop_name"])
    );
    let missing = api
        .call(
            "POST",
            "/actions/get-template",
            json!({"template_id": "nope"}),
        )
        .await;
    assert_eq!(
        (missing.status, missing.body),
        (404, json!({"error": "Template not found"}))
    );

    let options = api.call("GET", "/dropdowns/templates", Value::Null).await;
    let labels: Vec<&str> = options
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["opening_hours", "order_shipped", "welcome_named"]);
    let variables = api
        .call(
            "GET",
            &format!(
                "/dropdowns/template-variables?template_id={}",
                seed::WELCOME_NAMED_TEMPLATE_ID
            ),
            Value::Null,
        )
        .await;
    assert_eq!(
        variables.body,
        json!([{"id": "first_name", "label": "{{first_name}}"}, {"id": "shop_name", "label": "{{shop_name}}"}])
    );
    let unknown = api
        .call(
            "GET",
            "/dropdowns/template-variables?template_id=x",
            Value::Null,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let no_id = api
        .call("GET", "/dropdowns/template-variables", Value::Null)
        .await;
    assert_eq!(no_id.status, 422);
}

#[tokio::test]
async fn send_template_upserts_and_records_outbound() {
    let (server, api) = setup().await;
    let sent = api
        .call(
            "POST",
            "/actions/send-template-message",
            json!({"phone": "+1 415-555-0123", "template_id": seed::ORDER_SHIPPED_TEMPLATE_ID,
                   "language": "es", "variables": order_variables()}),
        )
        .await;
    assert_eq!(sent.status, 200);
    assert_eq!(sent.body["status"], "sent");
    assert!(
        sent.body["whatsapp_message_id"]
            .as_str()
            .unwrap()
            .starts_with("wamid.")
    );
    let contact = api
        .call("POST", "/actions/get-contact", json!({"phone": PHONE}))
        .await;
    assert_eq!(contact.body["id"], sent.body["contact_id"]);
    assert_eq!(contact.body["total_messages"], 1);

    let outbound = server.outbound_messages(server.token(), PHONE).unwrap();
    assert_eq!(outbound.len(), 1);
    assert_eq!(outbound[0].id, sent.body["id"].as_str().unwrap());
    assert_eq!(outbound[0].direction, Direction::Outbound);
    assert_eq!(
        outbound[0].template_id.as_deref(),
        Some(seed::ORDER_SHIPPED_TEMPLATE_ID)
    );
    // `es` is not approved: the first approved translation is used instead.
    assert_eq!(outbound[0].language.as_deref(), Some("en"));

    api.call(
        "POST",
        "/actions/send-template-message",
        json!({"phone": PHONE, "template_id": seed::ORDER_SHIPPED_TEMPLATE_ID, "language": "fr",
               "variables": order_variables()}),
    )
    .await;
    let outbound = server.outbound_messages(server.token(), PHONE).unwrap();
    assert_eq!(outbound[1].language.as_deref(), Some("fr"));
}

#[tokio::test]
async fn send_template_errors_have_the_documented_bodies() {
    let (server, api) = setup().await;
    let send = |body: Value| api.call("POST", "/actions/send-template-message", body);

    let unknown = send(json!({"phone": PHONE, "template_id": "01J0000000000000000000000X"})).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (404, json!({"error": "Template not found"}))
    );

    let pending = send(
        json!({"phone": PHONE, "template_id": seed::SPRING_SALE_TEMPLATE_ID,
                              "variables": {"1": "20%"}}),
    )
    .await;
    assert_eq!(pending.status, 422);
    assert_eq!(
        pending.body,
        json!({"error": "Template has no approved translation to send.", "available_languages": ["en", "fr"]})
    );

    let missing = send(
        json!({"phone": PHONE, "template_id": seed::WELCOME_NAMED_TEMPLATE_ID,
                              "variables": {"first_name": "Romain"}}),
    )
    .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.body,
        json!({"error": "Template requires variables that were not provided.",
               "expected_placeholders": ["first_name", "shop_name"], "missing": ["shop_name"]})
    );

    let numeric = send(
        json!({"phone": PHONE, "template_id": seed::ORDER_SHIPPED_TEMPLATE_ID,
                              "variables": {"1": "Romain", "2": 1042, "3": "x"}}),
    )
    .await;
    assert_eq!(numeric.status, 422);
    assert_eq!(
        numeric.body["errors"]["variables.2"][0],
        "The variables.2 field must be a string."
    );

    let bad_phone =
        send(json!({"phone": "0612345678", "template_id": seed::OPENING_HOURS_TEMPLATE_ID})).await;
    assert_eq!(bad_phone.status, 422);
    assert!(bad_phone.body["errors"]["phone"][0].is_string());

    // Nothing was sent and no contact was created by the failures.
    assert!(server.messages(server.token(), PHONE).unwrap().is_empty());
    let contact = api
        .call("POST", "/actions/get-contact", json!({"phone": PHONE}))
        .await;
    assert_eq!(contact.status, 404);
}

#[tokio::test]
async fn send_text_needs_the_24_hour_window() {
    let (server, api) = setup().await;
    let text = |message: &str| {
        api.call(
            "POST",
            "/actions/send-text-message",
            json!({"phone": PHONE, "message": message}),
        )
    };
    let closed = |answer: &common::Answer| {
        answer.status == 422
            && answer.body["error"]
                .as_str()
                .unwrap_or("")
                .contains("131047")
    };
    // Unknown contact, then a contact that never wrote.
    assert!(closed(&text("hello").await));
    api.call("POST", "/actions/create-contact", json!({"phone": PHONE}))
        .await;
    assert!(closed(&text("hello").await));

    server
        .contact_reply(server.token(), PHONE, "Hi, do you ship to Canada?")
        .unwrap();
    server.advance_clock(Duration::from_secs(23 * 3600));
    let sent = text("Yes we do!").await;
    assert_eq!(sent.status, 200);
    assert_eq!(sent.body["status"], "sent");

    // Our own outbound message does not extend the window.
    server.advance_clock(Duration::from_secs(2 * 3600));
    let late = text("Still there?").await;
    assert!(closed(&late), "{}", late.body);
    assert_eq!(
        late.body["error"],
        "Message rejected by Meta (131047): Re-engagement message. More than 24 hours have passed \
         since the customer last replied; send a template instead."
    );
    let outbound = server.outbound_messages(server.token(), PHONE).unwrap();
    assert_eq!(outbound.len(), 1);
    assert_eq!(outbound[0].content, json!({"body": "Yes we do!"}));
}

#[tokio::test]
async fn send_text_validates_the_message_length() {
    let (server, api) = setup().await;
    server.contact_reply(server.token(), PHONE, "hi").unwrap();
    let send = |message: String| {
        api.call(
            "POST",
            "/actions/send-text-message",
            json!({"phone": PHONE, "message": message}),
        )
    };
    assert_eq!(send("é".repeat(4096)).await.status, 200);
    let long = send("x".repeat(4097)).await;
    assert_eq!(long.status, 422);
    assert_eq!(
        long.body["errors"]["message"][0],
        "The message field must not be greater than 4096 characters."
    );
    let empty = send(String::new()).await;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.body["message"], "The message field is required.");
}

#[tokio::test]
async fn replies_show_in_new_message_received() {
    let (server, api) = setup().await;
    api.call(
        "POST",
        "/actions/create-contact",
        json!({"phone": PHONE, "name": "Romain"}),
    )
    .await;
    server
        .contact_reply(server.token(), PHONE, "first")
        .unwrap();
    let sticker = server
        .receive_message(
            server.token(),
            "+14155550124",
            "sticker",
            json!({"url": "https://x/s.webp", "mime_type": "image/webp"}),
        )
        .unwrap();
    let last = server.contact_reply(server.token(), PHONE, "last").unwrap();
    // Outbound messages never show on this trigger.
    api.call(
        "POST",
        "/actions/send-text-message",
        json!({"phone": PHONE, "message": "reply"}),
    )
    .await;

    let all = api
        .call("GET", "/triggers/new-message-received", Value::Null)
        .await;
    let all = all.body.as_array().unwrap().clone();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["id"], last.as_str());
    assert_eq!(all[0]["content"], json!({"body": "last"}));
    assert_eq!(all[0]["direction"], "inbound");
    assert_eq!(all[0]["status"], "received");
    assert_eq!(all[0]["contact_name"], "Romain");
    assert_eq!(all[0]["sent_at"], Value::Null);
    assert_eq!(all[1]["id"], sticker.as_str());
    assert_eq!(all[2]["content"], json!({"body": "first"}));

    let stickers = api
        .call(
            "GET",
            "/triggers/new-message-received?message_type=sticker",
            Value::Null,
        )
        .await;
    assert_eq!(stickers.body.as_array().unwrap().len(), 1);
    assert_eq!(stickers.body[0]["type"], "sticker");
    let any = api
        .call(
            "GET",
            "/triggers/new-message-received?message_type=",
            Value::Null,
        )
        .await;
    assert_eq!(any.body.as_array().unwrap().len(), 3);
    let invalid = api
        .call(
            "GET",
            "/triggers/new-message-received?message_type=fax",
            Value::Null,
        )
        .await;
    assert_eq!(invalid.status, 422);

    for n in 0..105 {
        server
            .contact_reply(server.token(), PHONE, &format!("m{n}"))
            .unwrap();
    }
    let capped = api
        .call("GET", "/triggers/new-message-received", Value::Null)
        .await;
    assert_eq!(capped.body.as_array().unwrap().len(), 100);
    assert_eq!(capped.body[0]["content"]["body"], "m104");
}
