//! The example's router, apart from `main` so that `tests/webhook_server.rs` can mount it.

use std::{fmt, sync::Arc};

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
        WebhookEvent::Test { webhook_id, .. } => format!("webhook.test from webhook {webhook_id}"),
        WebhookEvent::MessageReceived {
            tenant_id,
            message,
            contact,
            ..
        } => {
            let phone = contact
                .phone
                .as_deref()
                .or(message.contact_phone.as_deref());
            let from =
                phone.map_or_else(|| "an unknown number".to_owned(), |p| Masked(p).to_string());
            format!(
                "message.received: {} message {} from {from} (tenant {tenant_id})",
                message.type_, message.id
            )
        }
        WebhookEvent::MessageStatus(status) => {
            let mut line = format!(
                "{}: message {}",
                status.status.event_name(),
                status.message_id
            );
            if let Some(code) = &status.error_code {
                line.push_str(&format!(" (error {code})"));
            }
            line
        }
        WebhookEvent::Unknown { event, .. } => format!("unknown event `{event}`"),
        other => format!("{} (not described by this example)", other.event_name()),
    }
}

/// A phone number for logs: the `+`, the first four digits and the last two, the rest starred
/// (`+14155550123` → `+1415*****23`); with fewer than ten digits every digit is starred.
///
/// Once the crate's `phone` module lands, `qyvo::phone::mask` does the same job.
struct Masked<'a>(&'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        if self.0.trim_start().starts_with('+') {
            f.write_str("+")?;
        }
        let shown = digits.len() >= 10;
        for (i, digit) in digits.iter().enumerate() {
            let visible = shown && (i < 4 || i >= digits.len() - 2);
            write!(f, "{}", if visible { *digit } else { '*' })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Masked;

    #[test]
    fn masks_phone_numbers() {
        for (raw, masked) in [
            ("+14155550123", "+1415*****23"),
            ("+1 (415) 555-0123", "+1415*****23"),
            ("+447911123456", "+4479******56"),
            ("4155550123", "4155****23"),
            ("+41446", "+*****"),
            ("", ""),
        ] {
            assert_eq!(Masked(raw).to_string(), masked, "{raw}");
        }
    }
}
