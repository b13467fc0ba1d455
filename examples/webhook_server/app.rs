//! The example's router, apart from `main` so that `tests/webhook_server.rs` can mount it.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use qyvo::webhook::{Verifier, WebhookEvent, WebhookSecret};

/// The path Qyvo posts to.
pub const PATH: &str = "/webhooks/qyvo";

/// The router: `POST /webhooks/qyvo`, verified with `secret` against the system clock.
pub fn app(secret: WebhookSecret) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .with_state(Arc::new(Verifier::new(secret)))
}

/// Verifies, decodes and prints one delivery; the answer's body says what happened.
async fn receive(
    State(verifier): State<Arc<Verifier>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    match verifier.verify_and_parse(&headers, &body) {
        Ok(event) => {
            let line = describe(&event);
            println!("{line}");
            (StatusCode::OK, line)
        }
        Err(err) => {
            let status = if err.is_signature_error() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            eprintln!("rejected ({status}): {err}");
            (status, err.to_string())
        }
    }
}

/// One line about an event, with phone numbers masked.
fn describe(event: &WebhookEvent) -> String {
    match event {
        WebhookEvent::Test(test) => format!("webhook.test from webhook {}", test.webhook_id),
        WebhookEvent::MessageReceived(received) => {
            let message = &received.message;
            let phone = received
                .contact
                .as_ref()
                .and_then(|c| c.phone.as_deref())
                .or(message.contact_phone.as_deref());
            let from = phone.map_or_else(|| "an unknown number".to_owned(), qyvo::phone::mask);
            format!(
                "message.received: {} message {} from {from} (tenant {})",
                message.type_, message.id, received.tenant_id
            )
        }
        WebhookEvent::MessageStatus { status, update } => {
            let mut line = format!("{}: message {}", status.event_name(), update.message_id);
            if let Some(code) = &update.error_code {
                line.push_str(&format!(" (error {code})"));
            }
            line
        }
        WebhookEvent::Unknown { event, .. } => format!("unknown event `{event}`"),
        other => format!("{} (not described by this example)", other.event_name()),
    }
}
