//! Typed webhook events: dispatch on the event name into the payload types generated from the
//! spec (`types::Webhook*`), which decode tolerantly.

use std::{borrow::Cow, fmt};

use serde::Deserialize;
use serde_json::Value;

use super::WebhookError;
use crate::types;

/// One webhook delivery, decoded.
///
/// The payload types are generated from the spec's webhook schemas
/// ([`types::WebhookTest`], [`types::WebhookMessageReceived`], [`types::WebhookMessageStatus`]).
/// Decoding is tolerant: unknown fields are ignored everywhere, ids may be strings or integers,
/// `error_code` may be a number or a string, and `timestamp` may be an RFC 3339 string or unix
/// seconds (see [`WebhookEvent::from_slice`] for the exact rules). An event name this crate does
/// not know decodes as [`WebhookEvent::Unknown`] with the whole JSON kept. A known event whose
/// body does not match its schema is an error, not `Unknown`.
///
/// # Example
///
/// ```
/// use qyvo::webhook::{DeliveryStatus, WebhookEvent};
///
/// let body = br#"{"event":"message.status.read","message_id":"01J0AB","timestamp":1717243200}"#;
/// match WebhookEvent::from_slice(body)? {
///     WebhookEvent::MessageStatus { status, update } => {
///         assert_eq!(status, DeliveryStatus::Read);
///         assert_eq!(update.message_id, "01J0AB");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `webhook.test`: sent right after the webhook is created in the dashboard.
    Test(types::WebhookTest),
    /// `message.received`: a contact sent an inbound message.
    MessageReceived(Box<types::WebhookMessageReceived>),
    /// `message.status.sent`, `.delivered`, `.read` or `.failed`: an outbound message moved on.
    MessageStatus {
        /// The new status, from the event name.
        status: DeliveryStatus,
        /// The rest of the body.
        update: types::WebhookMessageStatus,
    },
    /// An event name this crate does not know; `raw` is the whole body.
    #[non_exhaustive]
    Unknown {
        /// The `event` field.
        event: String,
        /// The whole JSON body, `event` included.
        raw: Value,
    },
}

impl WebhookEvent {
    /// Decodes a webhook body (verify it first, see [`Verifier`](super::Verifier)).
    ///
    /// The body must be a JSON object with a string `event`. Known events then decode into
    /// their variant; a body that does not fit fails with [`WebhookError::InvalidPayload`],
    /// whose `path` names the offending field.
    ///
    /// Timestamps (`timestamp` fields) are decoded leniently, since the docs do not fix their
    /// type: an RFC 3339 string, a `YYYY-MM-DD HH:MM:SS[.fff]` string (taken as UTC), or unix
    /// seconds as an integer, a float or a string of digits. Anything else (another string
    /// format, a boolean, an object, an out-of-range number) yields `None` rather than an error,
    /// so that an event is never lost over an informational field; the authoritative delivery
    /// time is the signed `t` of the signature header. The nested `message` keeps the generated
    /// [`InboundMessage`](types::InboundMessage) schema, whose `created_at` must be RFC 3339.
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::{WebhookError, WebhookEvent};
    ///
    /// let event = WebhookEvent::from_slice(br#"{"event":"order.paid","order":7}"#)?;
    /// assert_eq!(event.event_name(), "order.paid");
    ///
    /// let err = WebhookEvent::from_slice(br#"{"event":"message.status.sent"}"#).unwrap_err();
    /// assert!(matches!(err, WebhookError::InvalidPayload { ref path, .. } if path == "."));
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn from_slice(body: &[u8]) -> Result<Self, WebhookError> {
        let Envelope { event } = decode(body)?;
        Ok(match &*event {
            TEST => Self::Test(decode(body)?),
            RECEIVED => Self::MessageReceived(Box::new(decode(body)?)),
            name => match DeliveryStatus::from_event_name(name) {
                Some(status) => Self::MessageStatus {
                    status,
                    update: decode(body)?,
                },
                None => Self::Unknown {
                    event: event.into_owned(),
                    raw: decode(body)?,
                },
            },
        })
    }

    /// The event's name, as in the body's `event` field and the `X-Qyvo-Event` header.
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::webhook::WebhookEvent;
    ///
    /// let event = WebhookEvent::from_slice(br#"{"event":"webhook.test","webhook_id":"wh_1"}"#)?;
    /// assert_eq!(event.event_name(), "webhook.test");
    /// # Ok::<(), qyvo::webhook::WebhookError>(())
    /// ```
    pub fn event_name(&self) -> &str {
        match self {
            Self::Test(_) => TEST,
            Self::MessageReceived(_) => RECEIVED,
            Self::MessageStatus { status, .. } => status.event_name(),
            Self::Unknown { event, .. } => event,
        }
    }
}

/// The `webhook.test` event name.
const TEST: &str = "webhook.test";
/// The `message.received` event name.
const RECEIVED: &str = "message.received";

/// The delivery status a `message.status.*` event reports.
///
/// `Display` writes the status as in the event name (`sent`, `delivered`, `read`, `failed`).
///
/// # Example
///
/// ```
/// use qyvo::webhook::DeliveryStatus;
///
/// assert_eq!(DeliveryStatus::Delivered.to_string(), "delivered");
/// assert_eq!(DeliveryStatus::Delivered.event_name(), "message.status.delivered");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Meta accepted the message.
    Sent,
    /// Meta confirmed delivery to the phone.
    Delivered,
    /// The recipient opened the message.
    Read,
    /// Meta rejected the message.
    Failed,
}

impl DeliveryStatus {
    /// Every status, in lifecycle order.
    const ALL: [Self; 4] = [Self::Sent, Self::Delivered, Self::Read, Self::Failed];

    /// The status as in the event name: `sent`, `delivered`, `read` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    /// The full event name, e.g. `message.status.read`.
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Sent => "message.status.sent",
            Self::Delivered => "message.status.delivered",
            Self::Read => "message.status.read",
            Self::Failed => "message.status.failed",
        }
    }

    /// The status whose event name is `name`, if any.
    fn from_event_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.event_name() == name)
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Just the event name, read first to choose the schema.
#[derive(Deserialize)]
struct Envelope<'a> {
    /// The event name.
    #[serde(borrow)]
    event: Cow<'a, str>,
}

/// Decodes the whole body as `T`, recording the JSON path of a failure.
fn decode<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, WebhookError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value =
        serde_path_to_error::deserialize(&mut de).map_err(|e| WebhookError::InvalidPayload {
            path: e.path().to_string(),
            source: e.into_inner().into(),
        })?;
    de.end().map_err(|source| WebhookError::InvalidPayload {
        path: ".".to_owned(),
        source: source.into(),
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        Some(Utc.timestamp_opt(secs, 0).unwrap())
    }

    fn parse(body: Value) -> WebhookEvent {
        WebhookEvent::from_slice(body.to_string().as_bytes()).unwrap()
    }

    fn error_path(body: &str) -> String {
        match WebhookEvent::from_slice(body.as_bytes()) {
            Err(WebhookError::InvalidPayload { path, .. }) => path,
            other => panic!("expected InvalidPayload, got {other:?}"),
        }
    }

    fn inbound() -> Value {
        json!({
            "id": "01J0AB", "direction": "inbound", "type": "text",
            "content": {"body": "Hi", "emoji": "👋"}, "status": "received",
            "contact_phone": "+14155550123", "contact_email": null,
            "created_at": "2024-06-01T12:00:00Z", "future_field": 1
        })
    }

    #[test]
    fn decodes_webhook_test_with_unknown_fields() {
        let event = parse(json!({
            "event": "webhook.test", "webhook_id": "wh_1",
            "timestamp": "2024-06-01T12:00:00+00:00", "extra": {"nested": [1]}
        }));
        let WebhookEvent::Test(test) = &event else {
            panic!("{event:?}")
        };
        assert_eq!(test.webhook_id, "wh_1");
        assert_eq!(test.timestamp, at(1_717_243_200));
        assert_eq!(event.event_name(), "webhook.test");
    }

    #[test]
    fn decodes_message_received() {
        let event = parse(json!({
            "event": "message.received", "timestamp": 1_717_243_200, "tenant_id": 42,
            "message": inbound(),
            "contact": {"id": "c1", "phone": "+14155550123", "name": null, "tags": ["vip"]}
        }));
        let WebhookEvent::MessageReceived(received) = &event else {
            panic!("{event:?}")
        };
        assert_eq!(received.timestamp, at(1_717_243_200));
        assert_eq!(received.tenant_id, "42");
        let message = &received.message;
        assert_eq!(message.id, "01J0AB");
        assert_eq!(message.type_, "text");
        assert_eq!(
            message.content.as_ref().and_then(|c| c.body.as_deref()),
            Some("Hi")
        );
        let contact = received.contact.as_ref().unwrap();
        assert_eq!(contact.id.as_deref(), Some("c1"));
        assert_eq!(contact.phone.as_deref(), Some("+14155550123"));
        assert_eq!(contact.name, None);
        assert_eq!(
            contact.extra,
            serde_json::Map::from_iter([("tags".to_owned(), json!(["vip"]))])
        );
        assert_eq!(event.event_name(), "message.received");
    }

    #[test]
    fn contact_is_optional_and_lenient() {
        for (contact, expected) in [
            (json!(null), None),
            (json!({}), Some(serde_json::from_value(json!({})).unwrap())),
        ] {
            let event = parse(json!({
                "event": "message.received", "tenant_id": "t1",
                "message": inbound(), "contact": contact
            }));
            assert!(
                matches!(&event, WebhookEvent::MessageReceived(received)
                    if received.contact == expected && received.timestamp.is_none()),
                "{event:?}"
            );
        }
        let event = parse(json!({
            "event": "message.received", "tenant_id": "t1", "message": inbound(),
            "contact": {"id": 7, "phone": 14_155_550_123_u64, "email": false}
        }));
        let WebhookEvent::MessageReceived(received) = event else {
            panic!()
        };
        let contact = received.contact.unwrap();
        assert_eq!(contact.id.as_deref(), Some("7"));
        assert_eq!(contact.phone.as_deref(), Some("14155550123"));
        assert_eq!(contact.email.as_deref(), Some("false"));
    }

    #[test]
    fn decodes_each_status() {
        for status in DeliveryStatus::ALL {
            let event = parse(json!({
                "event": status.event_name(), "message_id": "m1",
                "whatsapp_message_id": "wamid.1", "timestamp": "1717243200", "unknown": true
            }));
            let WebhookEvent::MessageStatus {
                status: found,
                update,
            } = &event
            else {
                panic!("{event:?}")
            };
            assert_eq!(*found, status);
            assert_eq!(update.message_id, "m1");
            assert_eq!(update.whatsapp_message_id.as_deref(), Some("wamid.1"));
            assert_eq!(update.timestamp, at(1_717_243_200));
            assert_eq!((&update.error_code, &update.error_message), (&None, &None));
            assert_eq!(event.event_name(), format!("message.status.{status}"));
        }
    }

    #[test]
    fn failed_error_code_is_text_whether_number_or_string() {
        for (code, expected) in [
            (json!(131_047), "131047"),
            (json!("131047"), "131047"),
            (json!(1.5), "1.5"),
        ] {
            let WebhookEvent::MessageStatus { update: failed, .. } = parse(json!({
                "event": "message.status.failed", "message_id": "m1",
                "error_code": code, "error_message": "Re-engagement message"
            })) else {
                panic!()
            };
            assert_eq!(failed.error_code.as_deref(), Some(expected));
            assert_eq!(
                failed.error_message.as_deref(),
                Some("Re-engagement message")
            );
            assert_eq!(failed.whatsapp_message_id, None);
        }
    }

    #[test]
    fn unknown_event_keeps_raw_json() {
        let raw = json!({"event": "campaign.sent", "campaign": {"id": 1}});
        let event = parse(raw.clone());
        assert_eq!(
            event,
            WebhookEvent::Unknown {
                event: "campaign.sent".into(),
                raw
            }
        );
        assert_eq!(event.event_name(), "campaign.sent");
        // Escapes in the name decode (the envelope borrows only when it can).
        let escaped = WebhookEvent::from_slice(br#"{"event":"a\u002eb"}"#).unwrap();
        assert_eq!(escaped.event_name(), "a.b");
    }

    #[test]
    fn timestamp_forms() {
        let cases = [
            (json!("2024-06-01T12:00:00Z"), at(1_717_243_200)),
            (json!("2024-06-01T14:00:00+02:00"), at(1_717_243_200)),
            (json!("2024-06-01T12:00:00.000000Z"), at(1_717_243_200)),
            (json!("2024-06-01 12:00:00"), at(1_717_243_200)),
            (json!(1_717_243_200), at(1_717_243_200)),
            (json!(" 1717243200 "), at(1_717_243_200)),
            (
                json!(1_717_243_200.25),
                Some(Utc.timestamp_opt(1_717_243_200, 250_000_000).unwrap()),
            ),
            (json!(null), None),
            (json!("yesterday"), None),
            (json!("2024-06-01"), None),
            (json!(true), None),
            (json!({"seconds": 1}), None),
            (json!(u64::MAX), None),
            (json!(1e300), None),
            (json!(i64::MAX), None),
        ];
        for (timestamp, expected) in cases {
            let event =
                parse(json!({"event": "webhook.test", "webhook_id": "w", "timestamp": timestamp}));
            assert!(
                matches!(&event, WebhookEvent::Test(test) if test.timestamp == expected),
                "{event:?}"
            );
        }
        let event = parse(json!({"event": "webhook.test", "webhook_id": "w"}));
        assert!(matches!(event, WebhookEvent::Test(test) if test.timestamp.is_none()));
    }

    #[test]
    fn schema_mismatch_is_an_error_with_a_path() {
        assert_eq!(error_path(r#"{"event":"message.status.sent"}"#), ".");
        assert_eq!(
            error_path(r#"{"event":"message.status.read","message_id":{"a":1}}"#),
            "message_id"
        );
        assert_eq!(
            error_path(r#"{"event":"webhook.test","webhook_id":true}"#),
            "webhook_id"
        );
        let bad_message = json!({
            "event": "message.received", "tenant_id": "t",
            "message": {"id": "m", "type": "text", "created_at": "not a date"}
        });
        assert_eq!(error_path(&bad_message.to_string()), "message.created_at");
        let bad_contact = json!({
            "event": "message.received", "tenant_id": "t", "message": inbound(), "contact": "+14155550123"
        });
        let err = WebhookEvent::from_slice(bad_contact.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "invalid webhook payload at `contact`");
        assert!(std::error::Error::source(&err).is_some());
        assert!(!err.to_string().contains("4155550123"));
    }

    #[test]
    fn not_an_event_is_an_error() {
        for body in [
            "",
            "{",
            "[]",
            "42",
            "{}",
            r#"{"event":1}"#,
            r#"{"event":null}"#,
            r#"{"event":"x"} trailing"#,
            "\u{feff}{}",
        ] {
            let err = WebhookEvent::from_slice(body.as_bytes()).unwrap_err();
            assert!(
                matches!(err, WebhookError::InvalidPayload { .. }),
                "{body:?}: {err:?}"
            );
        }
        assert_eq!(error_path(r#"{"event":1}"#), "event");
    }

    proptest! {
        #[test]
        fn from_slice_never_panics(body in any::<Vec<u8>>()) {
            let _ = WebhookEvent::from_slice(&body);
        }

        #[test]
        fn from_slice_never_panics_on_near_miss_json(
            event in "webhook\\.test|message\\.received|message\\.status\\.(sent|read|failed)|[a-z.]{0,12}",
            key in "[a-z_]{1,20}",
            value in prop_oneof![
                Just(json!(null)), any::<i64>().prop_map(Value::from), any::<f64>().prop_map(Value::from),
                any::<String>().prop_map(Value::from), any::<bool>().prop_map(Value::from),
                Just(json!({"id": "m", "type": "text", "created_at": "2024-06-01T12:00:00Z"})),
            ],
        ) {
            let body = json!({"event": event, "webhook_id": "w", "tenant_id": "t", "message_id": "m", key: value});
            let _ = WebhookEvent::from_slice(body.to_string().as_bytes());
        }

        #[test]
        fn integer_timestamps_in_range_decode(secs in -8_000_000_000_i64..8_000_000_000) {
            let event = parse(json!({"event": "webhook.test", "webhook_id": "w", "timestamp": secs}));
            let decoded = matches!(event, WebhookEvent::Test(test) if test.timestamp.is_some_and(|t| t.timestamp() == secs));
            prop_assert!(decoded);
        }
    }
}
