//! Typed webhook events and their tolerant decoding.

use std::{borrow::Cow, collections::BTreeMap, fmt};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::Value;

use super::WebhookError;
use crate::types::InboundMessage;

/// One webhook delivery, decoded.
///
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
///     WebhookEvent::MessageStatus(status) => {
///         assert_eq!(status.status, DeliveryStatus::Read);
///         assert_eq!(status.message_id, "01J0AB");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `webhook.test`: sent right after the webhook is created in the dashboard.
    #[non_exhaustive]
    Test {
        /// The webhook's id.
        webhook_id: String,
        /// When the event happened; `None` if absent or in an unrecognized form.
        timestamp: Option<DateTime<Utc>>,
    },
    /// `message.received`: a contact sent an inbound message.
    #[non_exhaustive]
    MessageReceived {
        /// When the event happened; `None` if absent or in an unrecognized form.
        timestamp: Option<DateTime<Utc>>,
        /// The workspace (tenant) the message belongs to.
        tenant_id: String,
        /// The message, shaped like an item of the new-message-received trigger.
        message: Box<InboundMessage>,
        /// The sender (an undocumented shape; empty when absent or `null`).
        contact: WebhookContact,
    },
    /// `message.status.sent`, `.delivered`, `.read` or `.failed`: an outbound message moved on.
    MessageStatus(MessageStatusEvent),
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
    /// [`InboundMessage`] schema, whose `created_at` must be RFC 3339.
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
            TEST => {
                let TestBody {
                    webhook_id,
                    timestamp,
                } = decode(body)?;
                Self::Test {
                    webhook_id,
                    timestamp,
                }
            }
            RECEIVED => {
                let ReceivedBody {
                    timestamp,
                    tenant_id,
                    message,
                    contact,
                } = decode(body)?;
                Self::MessageReceived {
                    timestamp,
                    tenant_id,
                    message,
                    contact,
                }
            }
            name => match DeliveryStatus::from_event_name(name) {
                Some(status) => {
                    let StatusBody {
                        message_id,
                        whatsapp_message_id,
                        timestamp,
                        error_code,
                        error_message,
                    } = decode(body)?;
                    Self::MessageStatus(MessageStatusEvent {
                        status,
                        message_id,
                        whatsapp_message_id,
                        timestamp,
                        error_code,
                        error_message,
                    })
                }
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
            Self::Test { .. } => TEST,
            Self::MessageReceived { .. } => RECEIVED,
            Self::MessageStatus(status) => status.status.event_name(),
            Self::Unknown { event, .. } => event,
        }
    }
}

/// The `webhook.test` event name.
const TEST: &str = "webhook.test";
/// The `message.received` event name.
const RECEIVED: &str = "message.received";

/// A `message.status.*` event: Meta accepted, delivered, showed or rejected an outbound message.
///
/// # Example
///
/// ```
/// use qyvo::webhook::{DeliveryStatus, WebhookEvent};
///
/// let body = br#"{"event":"message.status.failed","message_id":"01J0AB","error_code":131047,
///     "error_message":"Re-engagement message"}"#;
/// let WebhookEvent::MessageStatus(failed) = WebhookEvent::from_slice(body)? else {
///     panic!("a status event")
/// };
/// assert_eq!(failed.status, DeliveryStatus::Failed);
/// assert_eq!(failed.error_code.as_deref(), Some("131047"));
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MessageStatusEvent {
    /// The new status, from the event name.
    pub status: DeliveryStatus,
    /// The Qyvo message id.
    pub message_id: String,
    /// Meta's message id (`wamid…`), when the body has one.
    pub whatsapp_message_id: Option<String>,
    /// When the event happened; `None` if absent or in an unrecognized form.
    pub timestamp: Option<DateTime<Utc>>,
    /// The error code of a failed message, as text whether it was sent as a number or a string.
    pub error_code: Option<String>,
    /// The error message of a failed message.
    pub error_message: Option<String>,
}

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

/// The `contact` object of a `message.received` event.
///
/// Its shape is not documented. The fields a contact has elsewhere in the API are picked out
/// when present (as text, whatever their JSON type); every other field is kept in `extra`.
///
/// # Example
///
/// ```
/// use qyvo::webhook::WebhookEvent;
///
/// let body = br#"{"event":"message.received","tenant_id":"t1",
///     "message":{"id":"m1","type":"text","created_at":"2024-06-01T12:00:00Z"},
///     "contact":{"id":"c1","phone":"+14155550123","tags":["vip"]}}"#;
/// let WebhookEvent::MessageReceived { contact, .. } = WebhookEvent::from_slice(body)? else {
///     panic!("a message.received event")
/// };
/// assert_eq!(contact.phone.as_deref(), Some("+14155550123"));
/// assert_eq!(contact.extra["tags"], serde_json::json!(["vip"]));
/// # Ok::<(), qyvo::webhook::WebhookError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WebhookContact {
    /// The contact id.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// The phone number, as sent (usually E.164; mask it before logging).
    #[serde(default, deserialize_with = "text")]
    pub phone: Option<String>,
    /// The display name.
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    /// The e-mail address.
    #[serde(default, deserialize_with = "text")]
    pub email: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Just the event name, read first to choose the schema.
#[derive(Deserialize)]
struct Envelope<'a> {
    /// The event name.
    #[serde(borrow)]
    event: Cow<'a, str>,
}

/// The body of `webhook.test`.
#[derive(Deserialize)]
struct TestBody {
    /// See [`WebhookEvent::Test`].
    #[serde(deserialize_with = "id")]
    webhook_id: String,
    /// See [`WebhookEvent::Test`].
    #[serde(default, deserialize_with = "timestamp")]
    timestamp: Option<DateTime<Utc>>,
}

/// The body of `message.received`.
#[derive(Deserialize)]
struct ReceivedBody {
    /// See [`WebhookEvent::MessageReceived`].
    #[serde(default, deserialize_with = "timestamp")]
    timestamp: Option<DateTime<Utc>>,
    /// See [`WebhookEvent::MessageReceived`].
    #[serde(deserialize_with = "id")]
    tenant_id: String,
    /// See [`WebhookEvent::MessageReceived`].
    message: Box<InboundMessage>,
    /// See [`WebhookEvent::MessageReceived`].
    #[serde(default, deserialize_with = "contact")]
    contact: WebhookContact,
}

/// The body of `message.status.*`.
#[derive(Deserialize)]
struct StatusBody {
    /// See [`MessageStatusEvent`].
    #[serde(deserialize_with = "id")]
    message_id: String,
    /// See [`MessageStatusEvent`].
    #[serde(default, deserialize_with = "text")]
    whatsapp_message_id: Option<String>,
    /// See [`MessageStatusEvent`].
    #[serde(default, deserialize_with = "timestamp")]
    timestamp: Option<DateTime<Utc>>,
    /// See [`MessageStatusEvent`].
    #[serde(default, deserialize_with = "text")]
    error_code: Option<String>,
    /// See [`MessageStatusEvent`].
    #[serde(default, deserialize_with = "text")]
    error_message: Option<String>,
}

/// Decodes the whole body as `T`, recording the JSON path of a failure.
fn decode<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, WebhookError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value =
        serde_path_to_error::deserialize(&mut de).map_err(|e| WebhookError::InvalidPayload {
            path: e.path().to_string(),
            source: e.into_inner(),
        })?;
    de.end().map_err(|source| WebhookError::InvalidPayload {
        path: ".".to_owned(),
        source,
    })?;
    Ok(value)
}

/// An id: a string, or an integer written as text. The error never quotes the value.
fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) => Ok(s),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        _ => Err(D::Error::custom("expected an id (a string or an integer)")),
    }
}

/// Any JSON as optional text: `null` is `None`, a string is itself, anything else its JSON.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// The contact object, with `null` taken as an empty contact.
fn contact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<WebhookContact, D::Error> {
    Ok(Option::deserialize(deserializer)?.unwrap_or_default())
}

/// A timestamp in any recognized form (see [`WebhookEvent::from_slice`]), else `None`.
fn timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => parse_time_text(&s),
        Value::Number(n) => match n.as_i64() {
            Some(secs) => DateTime::from_timestamp(secs, 0),
            None => n.as_f64().and_then(from_float_seconds),
        },
        _ => None,
    })
}

/// RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]` as UTC, or digits as unix seconds.
fn parse_time_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
        })
        .ok()
        .or_else(|| {
            text.parse::<i64>()
                .ok()
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
        })
}

/// Fractional unix seconds; `None` when not finite or out of range.
fn from_float_seconds(secs: f64) -> Option<DateTime<Utc>> {
    let whole = secs.floor();
    // i64::MAX is not exactly representable; anything this large is out of chrono's range anyway.
    if !whole.is_finite() || whole.abs() >= 9.0e18 {
        return None;
    }
    let nanos = ((secs - whole) * 1e9).round().clamp(0.0, 999_999_999.0);
    DateTime::from_timestamp(whole as i64, nanos as u32)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
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
        assert_eq!(
            event,
            WebhookEvent::Test {
                webhook_id: "wh_1".into(),
                timestamp: at(1_717_243_200)
            }
        );
        assert_eq!(event.event_name(), "webhook.test");
    }

    #[test]
    fn decodes_message_received() {
        let event = parse(json!({
            "event": "message.received", "timestamp": 1_717_243_200, "tenant_id": 42,
            "message": inbound(),
            "contact": {"id": "c1", "phone": "+14155550123", "name": null, "tags": ["vip"]}
        }));
        let WebhookEvent::MessageReceived {
            timestamp,
            tenant_id,
            message,
            contact,
        } = &event
        else {
            panic!("{event:?}")
        };
        assert_eq!(*timestamp, at(1_717_243_200));
        assert_eq!(tenant_id, "42");
        assert_eq!(message.id, "01J0AB");
        assert_eq!(message.type_, "text");
        assert_eq!(
            message.content.as_ref().and_then(|c| c.body.as_deref()),
            Some("Hi")
        );
        assert_eq!(contact.id.as_deref(), Some("c1"));
        assert_eq!(contact.phone.as_deref(), Some("+14155550123"));
        assert_eq!(contact.name, None);
        assert_eq!(
            contact.extra,
            BTreeMap::from([("tags".into(), json!(["vip"]))])
        );
        assert_eq!(event.event_name(), "message.received");
    }

    #[test]
    fn contact_is_optional_and_lenient() {
        for contact in [json!(null), json!({})] {
            let event = parse(json!({
                "event": "message.received", "tenant_id": "t1",
                "message": inbound(), "contact": contact
            }));
            assert!(
                matches!(&event, WebhookEvent::MessageReceived { contact, timestamp: None, .. } if *contact == WebhookContact::default()),
                "{event:?}"
            );
        }
        let event = parse(json!({
            "event": "message.received", "tenant_id": "t1", "message": inbound(),
            "contact": {"id": 7, "phone": 14_155_550_123_u64, "email": false}
        }));
        let WebhookEvent::MessageReceived { contact, .. } = event else {
            panic!()
        };
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
            assert_eq!(
                event,
                WebhookEvent::MessageStatus(MessageStatusEvent {
                    status,
                    message_id: "m1".into(),
                    whatsapp_message_id: Some("wamid.1".into()),
                    timestamp: at(1_717_243_200),
                    error_code: None,
                    error_message: None,
                })
            );
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
            let WebhookEvent::MessageStatus(failed) = parse(json!({
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
                matches!(&event, WebhookEvent::Test { timestamp, .. } if *timestamp == expected),
                "{event:?}"
            );
        }
        let event = parse(json!({"event": "webhook.test", "webhook_id": "w"}));
        assert!(matches!(
            event,
            WebhookEvent::Test {
                timestamp: None,
                ..
            }
        ));
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
            let decoded = matches!(event, WebhookEvent::Test { timestamp: Some(t), .. } if t.timestamp() == secs);
            prop_assert!(decoded);
        }
    }
}
