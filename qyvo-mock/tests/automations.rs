//! Sequences, flows and campaigns: triggering, idempotence, session triggers, lookups.

mod common;

use std::time::Duration;

use common::setup;
use qyvo_mock::seed;
use serde_json::{Value, json};

const PHONE: &str = "+14155550123";

#[tokio::test]
async fn trigger_sequence_starts_once_and_shows_sessions() {
    let (_server, api) = setup().await;
    let trigger = |body: Value| api.call("POST", "/actions/trigger-sequence", body);

    let started = trigger(
        json!({"sequence_id": seed::WELCOME_SEQUENCE_ID, "phone": "+1 415 555 0123",
                                 "context": {"coupon": "WELCOME10"}}),
    )
    .await;
    assert_eq!(started.status, 201);
    assert_eq!(started.body["status"], "started");
    let session_id = started.body["id"].as_str().unwrap().to_owned();

    let again = trigger(json!({"sequence_id": seed::WELCOME_SEQUENCE_ID, "phone": PHONE})).await;
    assert_eq!(
        (again.status, again.body),
        (200, json!({"status": "already_running"}))
    );

    // The phone created the contact, opted in; contact_id works too.
    let contact = api
        .call("POST", "/actions/get-contact", json!({"phone": PHONE}))
        .await;
    assert!(contact.body["opted_in_at"].is_string());
    let other = trigger(
        json!({"sequence_id": seed::WINBACK_SEQUENCE_ID, "contact_id": contact.body["id"]}),
    )
    .await;
    assert_eq!(other.status, 201);

    let sessions = api
        .call("GET", "/triggers/new-sequence-triggered", Value::Null)
        .await;
    assert_eq!(sessions.body.as_array().unwrap().len(), 2);
    assert_eq!(sessions.body[0]["sequence_id"], seed::WINBACK_SEQUENCE_ID);
    let welcome = api
        .call(
            "GET",
            &format!(
                "/triggers/new-sequence-triggered?sequence_id={}",
                seed::WELCOME_SEQUENCE_ID
            ),
            Value::Null,
        )
        .await;
    assert_eq!(welcome.body.as_array().unwrap().len(), 1);
    assert_eq!(welcome.body[0]["id"], session_id.as_str());
    assert_eq!(welcome.body[0]["sequence_name"], "Welcome series");
    assert_eq!(welcome.body[0]["contact_phone"], PHONE);
    assert_eq!(welcome.body[0]["status"], "running");
    assert_eq!(welcome.body[0]["context"], json!({"coupon": "WELCOME10"}));

    let summary = api
        .call(
            "POST",
            "/actions/get-sequence",
            json!({"sequence_id": seed::WELCOME_SEQUENCE_ID}),
        )
        .await;
    assert_eq!(summary.body["sessions_count"], 1);
    assert_eq!(summary.body["status"], "published");
    let draft = api
        .call(
            "POST",
            "/actions/get-sequence",
            json!({"sequence_id": seed::DRAFT_SEQUENCE_ID}),
        )
        .await;
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["published_at"], Value::Null);
    let options = api.call("GET", "/dropdowns/sequences", Value::Null).await;
    assert_eq!(options.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn trigger_errors() {
    let (_server, api) = setup().await;
    for (path, body, error) in [
        (
            "/actions/trigger-sequence",
            json!({"sequence_id": seed::DRAFT_SEQUENCE_ID, "phone": PHONE}),
            "Sequence not found or not published",
        ),
        (
            "/actions/trigger-sequence",
            json!({"sequence_id": "nope", "phone": PHONE}),
            "Sequence not found or not published",
        ),
        (
            "/actions/trigger-flow",
            json!({"flow_id": seed::DRAFT_FLOW_ID, "phone": PHONE}),
            "Flow not found or not published",
        ),
        (
            "/actions/trigger-flow",
            json!({"flow_id": seed::CART_RECOVERY_FLOW_ID,
                                         "contact_id": "01J0000000000000000000000X"}),
            "Contact not found",
        ),
    ] {
        let answer = api.call("POST", path, body).await;
        assert_eq!(
            (answer.status, answer.body),
            (404, json!({"error": error})),
            "{path}"
        );
    }
    let no_contact = api
        .call(
            "POST",
            "/actions/trigger-flow",
            json!({"flow_id": seed::CART_RECOVERY_FLOW_ID}),
        )
        .await;
    assert_eq!(no_contact.status, 422);
    let bad_phone = api
        .call(
            "POST",
            "/actions/trigger-flow",
            json!({"flow_id": seed::CART_RECOVERY_FLOW_ID, "phone": "123"}),
        )
        .await;
    assert_eq!(bad_phone.status, 422);
    // The draft trigger did not create the contact.
    let contact = api
        .call("POST", "/actions/get-contact", json!({"phone": PHONE}))
        .await;
    assert_eq!(contact.status, 404);
}

#[tokio::test]
async fn flow_sessions_expire_after_30_minutes() {
    let (server, api) = setup().await;
    let body = json!({"flow_id": seed::CART_RECOVERY_FLOW_ID, "phone": PHONE});
    assert_eq!(
        api.call("POST", "/actions/trigger-flow", body.clone())
            .await
            .status,
        201
    );
    assert_eq!(
        api.call("POST", "/actions/trigger-flow", body.clone())
            .await
            .body["status"],
        "already_running"
    );
    api.call(
        "POST",
        "/actions/trigger-flow",
        json!({"flow_id": seed::SUPPORT_MENU_FLOW_ID, "phone": PHONE}),
    )
    .await;

    server.advance_clock(Duration::from_secs(31 * 60));
    assert_eq!(
        api.call("POST", "/actions/trigger-flow", body).await.status,
        201
    );

    let cart = api
        .call(
            "GET",
            &format!(
                "/triggers/new-flow-triggered?flow_id={}",
                seed::CART_RECOVERY_FLOW_ID
            ),
            Value::Null,
        )
        .await;
    let cart = cart.body.as_array().unwrap().clone();
    assert_eq!(cart.len(), 2);
    assert_eq!(cart[0]["status"], "running");
    assert_eq!(cart[1]["status"], "expired");
    assert_eq!(cart[0]["flow_name"], "Cart recovery");
    assert!(cart[0]["expires_at"].is_string());
    let all = api
        .call("GET", "/triggers/new-flow-triggered?flow_id=", Value::Null)
        .await;
    assert_eq!(all.body.as_array().unwrap().len(), 3);

    let flow = api
        .call(
            "POST",
            "/actions/get-flow",
            json!({"flow_id": seed::CART_RECOVERY_FLOW_ID}),
        )
        .await;
    assert_eq!(flow.body["sessions_count"], 2);
    assert_eq!(flow.body["trigger_type"], "shopify_cart_abandoned");
    let missing = api
        .call("POST", "/actions/get-flow", json!({"flow_id": "nope"}))
        .await;
    assert_eq!(missing.status, 404);
    let options = api.call("GET", "/dropdowns/flows", Value::Null).await;
    assert_eq!(options.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn campaigns_are_seeded_and_can_be_added() {
    let (server, api) = setup().await;
    let seeded = api
        .call("GET", "/triggers/new-campaign-sent", Value::Null)
        .await;
    assert_eq!(seeded.body[0]["id"], seed::SPRING_LAUNCH_CAMPAIGN_ID);
    assert_eq!(seeded.body[1]["id"], seed::BLACK_FRIDAY_CAMPAIGN_ID);
    let id = server.add_campaign(server.token(), "Summer", 10).unwrap();
    let after = api
        .call("GET", "/triggers/new-campaign-sent", Value::Null)
        .await;
    assert_eq!(after.body.as_array().unwrap().len(), 3);
    assert_eq!(after.body[0]["id"], id.as_str());
    assert_eq!(after.body[0]["name"], "Summer");
    assert_eq!(after.body[0]["sent_count"], 10);
    assert!(server.add_campaign("unknown-token", "x", 1).is_err());
}
