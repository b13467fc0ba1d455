//! The example webhook server (`examples/webhook_server`), end to end over HTTP on 127.0.0.1.

#[path = "../examples/webhook_server/app.rs"]
mod app;

use chrono::Utc;
use qyvo::webhook::{WebhookSecret, sign};
use serde_json::{Value, json};

const SECRET: &str = "whsec_example_server";

/// Serves the example's router on an ephemeral port; returns the webhook URL.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        axum::serve(listener, app::app(secret(SECRET)))
            .await
            .expect("the example server runs");
    });
    format!("http://{addr}{}", app::PATH)
}

fn secret(text: &str) -> WebhookSecret {
    text.parse().expect("a non-blank secret")
}

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Posts `body` with an optional `X-Qyvo-Signature`; returns the status and the answer text.
async fn post(url: &str, signature: Option<String>, body: impl Into<Vec<u8>>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.into());
    if let Some(signature) = signature {
        request = request.header("x-qyvo-signature", signature);
    }
    let response = request.send().await.expect("the server answers");
    (
        response.status().as_u16(),
        response.text().await.expect("a text answer"),
    )
}

/// Posts `body` signed with the server's secret at the current time.
async fn post_signed(url: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let signature = sign(&secret(SECRET), now(), body.as_bytes());
    post(url, Some(signature), body).await
}

#[tokio::test]
async fn accepts_every_event_type() {
    let url = serve().await;
    let received = json!({
        "event": "message.received", "timestamp": "2024-06-01T12:00:00Z", "tenant_id": "t1",
        "message": {"id": "m1", "direction": "inbound", "type": "text", "content": {"body": "Hi"},
                    "contact_phone": "+14155550123", "created_at": "2024-06-01T12:00:00Z"},
        "contact": {"id": "c1", "phone": "+14155550123", "name": "Ada"}
    });
    let cases = [
        (
            json!({"event": "webhook.test", "webhook_id": "wh_1", "timestamp": now()}),
            "webhook.test from webhook wh_1".to_owned(),
        ),
        (
            received,
            "message.received: text message m1 from +1415*****23 (tenant t1)".to_owned(),
        ),
        (
            json!({"event": "message.status.failed", "message_id": "m2", "error_code": 131_047,
                   "error_message": "Re-engagement message"}),
            "message.status.failed: message m2 (error 131047)".to_owned(),
        ),
    ];
    let statuses = ["sent", "delivered", "read"].map(|status| {
        (
            json!({"event": format!("message.status.{status}"), "message_id": "m2",
                   "whatsapp_message_id": "wamid.1", "timestamp": now()}),
            format!("message.status.{status}: message m2"),
        )
    });
    for (body, expected) in cases.into_iter().chain(statuses) {
        let (status, text) = post_signed(&url, &body).await;
        assert_eq!((status, text.as_str()), (200, expected.as_str()), "{body}");
        assert!(!text.contains("4155550123"));
    }
}

#[tokio::test]
async fn unknown_event_is_accepted_as_unknown() {
    let url = serve().await;
    let body = json!({"event": "campaign.sent", "campaign": {"id": 7}});
    assert_eq!(
        post_signed(&url, &body).await,
        (200, "unknown event `campaign.sent`".to_owned())
    );
}

#[tokio::test]
async fn rejects_bad_signatures_with_401() {
    let url = serve().await;
    let body = json!({"event": "webhook.test", "webhook_id": "wh_1"}).to_string();
    let good = sign(&secret(SECRET), now(), body.as_bytes());
    let tampered = body.replace("wh_1", "wh_2");
    let cases = [
        (
            "tampered body",
            Some(good.clone()),
            tampered,
            "no v1 signature matches the webhook secret",
        ),
        (
            "wrong secret",
            Some(sign(&secret("whsec_someone_else"), now(), body.as_bytes())),
            body.clone(),
            "no v1 signature matches the webhook secret",
        ),
        (
            "stale timestamp",
            Some(sign(&secret(SECRET), now() - 3600, body.as_bytes())),
            body.clone(),
            "webhook signature is 3600s old, beyond the 300s tolerance",
        ),
        (
            "missing header",
            None,
            body.clone(),
            "missing x-qyvo-signature header",
        ),
        (
            "malformed header",
            Some("t=abc,v1=zz".to_owned()),
            body.clone(),
            "malformed x-qyvo-signature header: `t` is not a whole number of unix seconds",
        ),
    ];
    for (name, signature, body, expected) in cases {
        let (status, text) = post(&url, signature, body).await;
        assert_eq!(status, 401, "{name}: {text}");
        // The stale case may straddle a second boundary.
        if name == "stale timestamp" {
            assert!(text.starts_with("webhook signature is 360"), "{text}");
        } else {
            assert_eq!(text, expected, "{name}");
        }
        assert!(!text.contains(SECRET));
    }
}

#[tokio::test]
async fn accepts_two_v1_values_during_rotation() {
    let url = serve().await;
    let body = json!({"event": "webhook.test", "webhook_id": "wh_1"}).to_string();
    let t = now();
    let old = sign(&secret("whsec_previous"), t, body.as_bytes());
    let new = sign(&secret(SECRET), t, body.as_bytes());
    let (_, new_v1) = new.split_once(",v1=").unwrap();
    let both = format!("{old},v1={new_v1}");
    let (status, text) = post(&url, Some(both), body).await;
    assert_eq!(
        (status, text.as_str()),
        (200, "webhook.test from webhook wh_1")
    );
}

#[tokio::test]
async fn rejects_invalid_json_with_400() {
    let url = serve().await;
    for body in [
        "{\"event\": \"webhook.test\"",
        "{\"event\":\"message.status.read\"}",
    ] {
        let signature = sign(&secret(SECRET), now(), body.as_bytes());
        let (status, text) = post(&url, Some(signature), body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.starts_with("invalid webhook payload at `"), "{text}");
    }
}
