//! Typed webhook events and `X-Qyvo-Signature` verification (feature `webhooks`, on by default).
//!
//! Qyvo pushes events to an HTTPS endpoint configured in the dashboard (Settings → Webhooks):
//! `webhook.test`, `message.received` and `message.status.{sent,delivered,read,failed}`. Every
//! delivery carries `X-Qyvo-Signature: t=<unix seconds>,v1=<hex>`, an HMAC-SHA256 made with the
//! webhook's signing secret.
//!
//! **The signed string is INFERRED.** The docs are cut before they name it; the header format is
//! Stripe's, so this module signs and verifies `"{t}.{raw body}"` with the secret's UTF-8 bytes as
//! the key. The timestamp tolerance (300 s, before or after now) is this crate's choice too.
//!
//! - [`WebhookSecret`] holds a secret; its `Debug` is redacted.
//! - [`Verifier`] checks signatures (constant-time, several secrets for rotation, timestamp
//!   tolerance) and [`Verifier::verify_and_parse`] also decodes the event, in one call.
//! - [`WebhookEvent::from_slice`] decodes a body into a [`WebhookEvent`].
//! - [`sign`] builds a header value, for testing an endpoint.
//!
//! Verify the raw body, byte for byte as received, before parsing it.
//!
//! # Example
//!
//! ```
//! use qyvo::webhook::{SIGNATURE_HEADER, Verifier, WebhookEvent, WebhookSecret, sign};
//!
//! let secret: WebhookSecret = "whsec_example".parse()?;
//! let verifier = Verifier::new(secret.clone());
//!
//! // What Qyvo sends…
//! let body = br#"{"event":"message.status.delivered","message_id":"01J0AB",
//!     "whatsapp_message_id":"wamid.HBg","timestamp":"2024-06-01T12:00:00Z"}"#;
//! let mut headers = http::HeaderMap::new();
//! headers.insert(SIGNATURE_HEADER, sign(&secret, chrono::Utc::now().timestamp(), body).parse()?);
//!
//! // …and what a handler does with it.
//! match verifier.verify_and_parse(&headers, body)? {
//!     WebhookEvent::MessageStatus { status, update } => println!("{} is {status}", update.message_id),
//!     other => println!("{}", other.event_name()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod event;
mod signature;

pub use error::{MalformedReason, WebhookError};
pub use event::{DeliveryStatus, WebhookEvent};
pub use signature::{SIGNATURE_HEADER, SignatureHeader, Verifier, WebhookSecret, sign};
