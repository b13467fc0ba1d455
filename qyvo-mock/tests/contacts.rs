//! Contacts and tags: upsert, validation, partial update, lookups, search, tag changes.

mod common;

use std::time::Duration;

use common::setup;
use serde_json::{Value, json};

const PHONE: &str = "+14155550123";

#[tokio::test]
async fn create_contact_upserts_by_normalized_phone() {
    let (_server, api) = setup().await;
    let first = api
        .call(
            "POST",
            "/actions/create-contact",
            json!({"phone": "+1 (415) 555-01.23", "name": "Romain", "email": "romain@example.com",
                   "tags": " vip, ,fr-FR ,vip", "metadata": {"shopify_id": "12345"}}),
        )
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["phone"], PHONE);
    assert_eq!(first.body["tags"], json!(["vip", "fr-FR"]));
    assert_eq!(first.body["name"], "Romain");
    let id = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 26);
    assert!(
        first.body["created_at"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );

    let second = api
        .call(
            "POST",
            "/actions/create-contact",
            json!({"phone": PHONE, "name": "Ro", "tags": "beta"}),
        )
        .await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body["id"], id.as_str());
    assert_eq!(second.body["name"], "Ro");
    assert_eq!(second.body["email"], "romain@example.com");
    assert_eq!(second.body["tags"], json!(["beta"]));

    let tags = api.call("POST", "/actions/list-tags", json!({})).await;
    let names: Vec<&str> = tags
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["beta", "fr-FR", "vip"]);
}

#[tokio::test]
async fn create_contact_validates_like_laravel() {
    let (_server, api) = setup().await;
    for (body, field) in [
        (json!({}), "phone"),
        (json!({"phone": "14155550123"}), "phone"),
        (json!({"phone": "+1234567"}), "phone"),
        (json!({"phone": "+1234567890123456"}), "phone"),
        (json!({"phone": PHONE, "email": "not-an-email"}), "email"),
        (json!({"phone": PHONE, "email": ""}), "email"),
        (json!({"phone": PHONE, "name": "x".repeat(256)}), "name"),
        (json!({"phone": PHONE, "metadata": "nope"}), "metadata"),
        (json!({"phone": 14155550123u64}), "phone"),
    ] {
        let answer = api
            .call("POST", "/actions/create-contact", body.clone())
            .await;
        assert_eq!(answer.status, 422, "{body}");
        assert!(answer.body["message"].is_string(), "{body}");
        assert!(
            answer.body["errors"][field][0].is_string(),
            "{body}: {}",
            answer.body
        );
    }
    let missing = api.call("POST", "/actions/create-contact", json!({})).await;
    assert_eq!(missing.body["message"], "The phone field is required.");
}

#[tokio::test]
async fn update_contact_is_partial_and_merges_metadata() {
    let (_server, api) = setup().await;
    let created = api
        .call(
            "POST",
            "/actions/create-contact",
            json!({"phone": PHONE, "name": "Romain", "email": "r@example.com", "tags": "vip",
                   "metadata": {"a": 1, "b": 2}}),
        )
        .await;
    let id = created.body["id"].clone();

    let updated = api
        .call(
            "POST",
            "/actions/update-contact",
            json!({"contact_id": id, "metadata": {"b": 3, "c": 4}, "tags": "new, other"}),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["name"], "Romain");
    assert_eq!(updated.body["email"], "r@example.com");
    assert_eq!(updated.body["tags"], json!(["new", "other"]));
    assert!(updated.body["updated_at"].is_string());

    let cleared = api
        .call(
            "POST",
            "/actions/update-contact",
            json!({"phone": "+1 415 555 0123", "name": ""}),
        )
        .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.body["name"], Value::Null);

    let contact = api
        .call("POST", "/actions/get-contact", json!({"contact_id": id}))
        .await;
    assert_eq!(contact.body["metadata"], json!({"a": 1, "b": 3, "c": 4}));
    assert_eq!(contact.body["source"], "api");
    assert_eq!(contact.body["total_messages"], 0);
    assert_eq!(contact.body["opted_out_at"], Value::Null);
}

#[tokio::test]
async fn lookups_answer_404_and_422() {
    let (_server, api) = setup().await;
    let neither = api
        .call("POST", "/actions/update-contact", json!({"name": "x"}))
        .await;
    assert_eq!(neither.status, 422);
    assert!(neither.body["errors"]["contact_id"][0].is_string());
    let unknown = api
        .call(
            "POST",
            "/actions/update-contact",
            json!({"phone": PHONE, "name": "x"}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (404, json!({"error": "Contact not found"}))
    );

    let no_key = api
        .call("POST", "/actions/get-contact", json!({"phone": ""}))
        .await;
    assert_eq!(no_key.status, 422);
    for key in [
        json!({"contact_id": "01J0000000000000000000000X"}),
        json!({"phone": PHONE}),
        json!({"email": "a@b.co"}),
    ] {
        let answer = api.call("POST", "/actions/get-contact", key).await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.body, json!({"error": "Contact not found"}));
    }
    api.call(
        "POST",
        "/actions/create-contact",
        json!({"phone": PHONE, "email": "a@b.co"}),
    )
    .await;
    let by_email = api
        .call("POST", "/actions/get-contact", json!({"email": "a@b.co"}))
        .await;
    assert_eq!(by_email.status, 200);
    assert_eq!(by_email.body["phone"], PHONE);
    let bad_email = api
        .call("POST", "/actions/get-contact", json!({"email": "nope"}))
        .await;
    assert_eq!(bad_email.status, 422);
}

#[tokio::test]
async fn search_filters_orders_and_caps() {
    let (server, api) = setup().await;
    for n in 0..55 {
        let body = json!({"phone": format!("+3361234{n:04}"), "name": format!("Bulk {n}")});
        assert_eq!(
            api.call("POST", "/actions/create-contact", body)
                .await
                .status,
            201
        );
    }
    api.call(
        "POST",
        "/actions/create-contact",
        json!({"phone": PHONE, "name": "Romain Dupont", "email": "Romain@Example.com", "tags": "vip"}),
    )
    .await;
    api.call(
        "POST",
        "/actions/create-contact",
        json!({"phone": "+14155550124", "name": "Alice", "tags": "vip"}),
    )
    .await;
    // Activity: Alice messaged first, then Romain (newest activity first).
    server
        .contact_reply(server.token(), "+14155550124", "hello")
        .unwrap();
    server.advance_clock(Duration::from_secs(60));
    server.contact_reply(server.token(), PHONE, "hi").unwrap();

    let all = api
        .call("POST", "/actions/search-contacts", json!({}))
        .await;
    let all = all.body.as_array().unwrap().clone();
    assert_eq!(all.len(), 50);
    assert_eq!(all[0]["phone"], PHONE);
    assert_eq!(all[1]["phone"], "+14155550124");
    assert_eq!(all[2]["last_message_at"], Value::Null);

    let phones = |answer: common::Answer| -> Vec<String> {
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["phone"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_query = api
        .call(
            "POST",
            "/actions/search-contacts",
            json!({"query": "example.COM"}),
        )
        .await;
    assert_eq!(phones(by_query), [PHONE]);
    let by_phone = api
        .call(
            "POST",
            "/actions/search-contacts",
            json!({"query": "555012"}),
        )
        .await;
    assert_eq!(phones(by_phone), [PHONE, "+14155550124"]);
    let by_tag = api
        .call(
            "POST",
            "/actions/search-contacts",
            json!({"tag": "vip", "query": "ali"}),
        )
        .await;
    assert_eq!(phones(by_tag), ["+14155550124"]);
    let by_email = api
        .call(
            "POST",
            "/actions/search-contacts",
            json!({"email": "Romain@Example.com", "tag": "", "query": ""}),
        )
        .await;
    assert_eq!(phones(by_email), [PHONE]);
    let exact_tag = api
        .call("POST", "/actions/search-contacts", json!({"tag": "vi"}))
        .await;
    assert!(phones(exact_tag).is_empty());
}

#[tokio::test]
async fn tags_are_idempotent() {
    let (_server, api) = setup().await;
    let created = api
        .call(
            "POST",
            "/actions/create-contact",
            json!({"phone": PHONE, "tags": "a"}),
        )
        .await;
    let id = created.body["id"].clone();
    for _ in 0..2 {
        let added = api
            .call(
                "POST",
                "/actions/add-tag",
                json!({"contact_id": id, "tag": " vip "}),
            )
            .await;
        assert_eq!(added.status, 200);
        assert_eq!(added.body["tag_added"], "vip");
        assert_eq!(added.body["tags"], json!(["a", "vip"]));
    }
    for _ in 0..2 {
        let removed = api
            .call(
                "POST",
                "/actions/remove-tag",
                json!({"phone": PHONE, "tag": "vip"}),
            )
            .await;
        assert_eq!(removed.status, 200);
        assert_eq!(removed.body["tag_removed"], "vip");
        assert_eq!(removed.body["tags"], json!(["a"]));
    }
    // The tag definition survives removal; list-tags filters by substring.
    let listed = api
        .call("POST", "/actions/list-tags", json!({"name": "VI"}))
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["name"], "vip");
    assert!(listed.body[0]["id"].is_string());

    let unknown = api
        .call(
            "POST",
            "/actions/add-tag",
            json!({"phone": "+14155550999", "tag": "x"}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body, json!({"error": "Contact not found"}));
    let no_key = api
        .call("POST", "/actions/remove-tag", json!({"tag": "x"}))
        .await;
    assert_eq!(no_key.status, 422);
    let no_tag = api
        .call("POST", "/actions/add-tag", json!({"phone": PHONE}))
        .await;
    assert_eq!(no_tag.status, 422);
    assert!(no_tag.body["errors"]["tag"][0].is_string());
}
