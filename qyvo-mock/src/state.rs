//! The state of one tenant: contacts, tags, messages, templates, sequences, flows, campaigns.

use chrono::{DateTime, Duration, Utc};
use qyvo::template::Placeholders;
use serde_json::{Map, Value, json};

use crate::clock::rfc3339;
use crate::ids::{new_id, new_wamid};
use crate::seed;

/// How long flow sessions run before they expire.
const FLOW_SESSION_TTL: Duration = Duration::minutes(30);
/// The customer-service window opened by an inbound message.
pub(crate) const SERVICE_WINDOW: Duration = Duration::hours(24);

fn ts(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::String(rfc3339(at)))
}

#[derive(Clone, Debug)]
pub(crate) struct Contact {
    pub(crate) id: String,
    pub(crate) phone: String,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) source: String,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) tags: Vec<String>,
    pub(crate) opted_in_at: Option<DateTime<Utc>>,
    pub(crate) last_message_at: Option<DateTime<Utc>>,
    pub(crate) last_inbound_at: Option<DateTime<Utc>>,
    pub(crate) total_messages: u64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl Contact {
    pub(crate) fn created_json(&self) -> Value {
        json!({
            "id": self.id, "phone": self.phone, "name": self.name, "email": self.email,
            "tags": self.tags, "created_at": rfc3339(self.created_at),
        })
    }

    pub(crate) fn updated_json(&self) -> Value {
        json!({
            "id": self.id, "phone": self.phone, "name": self.name, "email": self.email,
            "tags": self.tags, "updated_at": rfc3339(self.updated_at),
        })
    }

    pub(crate) fn full_json(&self) -> Value {
        json!({
            "id": self.id, "phone": self.phone, "name": self.name, "email": self.email,
            "source": self.source, "locale": Value::Null, "metadata": self.metadata,
            "tags": self.tags, "opted_in_at": ts(self.opted_in_at), "opted_out_at": Value::Null,
            "last_message_at": ts(self.last_message_at), "total_messages": self.total_messages,
            "created_at": rfc3339(self.created_at),
        })
    }

    pub(crate) fn summary_json(&self) -> Value {
        json!({
            "id": self.id, "phone": self.phone, "name": self.name, "email": self.email,
            "source": self.source, "tags": self.tags,
            "last_message_at": ts(self.last_message_at), "created_at": rfc3339(self.created_at),
        })
    }

    /// Whether free-form text may be sent at `now`.
    pub(crate) fn window_open(&self, now: DateTime<Utc>) -> bool {
        self.last_inbound_at
            .is_some_and(|at| now.signed_duration_since(at) < SERVICE_WINDOW)
    }
}

/// Whether a message came from the contact or was sent to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the contact.
    Inbound,
    /// Sent to the contact.
    Outbound,
}

#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub(crate) id: String,
    pub(crate) contact_id: String,
    pub(crate) direction: Direction,
    pub(crate) kind: String,
    pub(crate) content: Value,
    pub(crate) whatsapp_message_id: Option<String>,
    pub(crate) template_id: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct Tag {
    pub(crate) id: String,
    pub(crate) name: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Translation {
    pub(crate) language: String,
    pub(crate) body: String,
    pub(crate) approved: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) status: String,
    pub(crate) translations: Vec<Translation>,
    pub(crate) header: Option<(&'static str, &'static str)>,
    pub(crate) footer: Option<&'static str>,
    pub(crate) buttons: Vec<Value>,
    pub(crate) created_at: DateTime<Utc>,
}

impl Template {
    /// The body shown by get-template: the first approved translation's, else the first one's.
    fn body(&self) -> &str {
        self.translations
            .iter()
            .find(|t| t.approved)
            .or(self.translations.first())
            .map_or("", |t| &t.body)
    }

    /// Placeholder names of the body, in order of first appearance.
    pub(crate) fn placeholders(&self) -> Vec<String> {
        extract_placeholders(self.body())
    }

    pub(crate) fn languages(&self) -> Vec<&str> {
        self.translations
            .iter()
            .map(|t| t.language.as_str())
            .collect()
    }

    pub(crate) fn approved_languages(&self) -> Vec<&str> {
        self.translations
            .iter()
            .filter(|t| t.approved)
            .map(|t| t.language.as_str())
            .collect()
    }

    pub(crate) fn summary_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "category": self.category, "status": self.status,
            "languages": self.languages(), "created_at": rfc3339(self.created_at),
        })
    }

    pub(crate) fn full_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "category": self.category, "status": self.status,
            "languages": self.languages(), "body": self.body(),
            "header_type": self.header.map(|(kind, _)| kind),
            "header_content": self.header.map(|(_, content)| content),
            "footer": self.footer, "buttons": self.buttons,
            "placeholders": self.placeholders(), "created_at": rfc3339(self.created_at),
        })
    }
}

/// The `{{name}}` placeholders of a body, as the SDK reads them (deduplicated, in order).
pub(crate) fn extract_placeholders(body: &str) -> Vec<String> {
    Placeholders::from_body(body).into_iter().collect()
}

/// A sequence or a flow: both are published or draft and run sessions.
#[derive(Clone, Debug)]
pub(crate) struct Automation {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) trigger_type: &'static str,
    pub(crate) published_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
}

impl Automation {
    pub(crate) fn json(&self, sessions_count: usize, with_trigger_type: bool) -> Value {
        let mut value = json!({
            "id": self.id, "name": self.name,
            "status": if self.published_at.is_some() { "published" } else { "draft" },
            "sessions_count": sessions_count, "published_at": ts(self.published_at),
            "created_at": rfc3339(self.created_at),
        });
        if with_trigger_type {
            value["trigger_type"] = Value::from(self.trigger_type);
        }
        value
    }
}

/// Which kind of automation a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AutomationKind {
    Sequence,
    Flow,
}

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) automation_id: &'static str,
    pub(crate) contact_id: String,
    pub(crate) context: Map<String, Value>,
    pub(crate) created_at: DateTime<Utc>,
    /// Flow sessions expire; sequence sessions run until the end of the test.
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl Session {
    pub(crate) fn running(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Campaign {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) sent_count: u64,
    pub(crate) created_at: DateTime<Utc>,
}

impl Campaign {
    pub(crate) fn json(&self) -> Value {
        let failed = self.sent_count / 50;
        let delivered = self.sent_count - failed;
        json!({
            "id": self.id, "name": self.name, "status": "completed",
            "sent_count": self.sent_count, "delivered_count": delivered,
            "read_count": delivered * 3 / 5, "failed_count": failed,
            "created_at": rfc3339(self.created_at),
        })
    }
}

/// Everything one token sees.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) user_id: u64,
    pub(crate) id: String,
    pub(crate) contacts: Vec<Contact>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) messages: Vec<Message>,
    pub(crate) templates: Vec<Template>,
    pub(crate) sequences: Vec<Automation>,
    pub(crate) flows: Vec<Automation>,
    pub(crate) sessions: Vec<(AutomationKind, Session)>,
    pub(crate) campaigns: Vec<Campaign>,
}

impl Tenant {
    /// A seeded tenant for the `user_id`-th token.
    pub(crate) fn seeded(user_id: u64, now: DateTime<Utc>) -> Self {
        let days = |n: i64| now - Duration::days(n);
        let tr = |language: &str, body: &str, approved| Translation {
            language: language.to_owned(),
            body: body.to_owned(),
            approved,
        };
        let order_body = "Hi {{1}}, your order {{2}} is shipping today. Track it: {{3}}";
        let templates = vec![
            Template {
                id: seed::ORDER_SHIPPED_TEMPLATE_ID.to_owned(),
                name: "order_shipped".to_owned(),
                category: "UTILITY".to_owned(),
                status: "APPROVED".to_owned(),
                translations: vec![
                    tr("en", order_body, true),
                    tr(
                        "fr",
                        "Bonjour {{1}}, votre commande {{2}} part aujourd'hui. Suivi : {{3}}",
                        true,
                    ),
                    tr(
                        "es",
                        "Hola {{1}}, tu pedido {{2}} sale hoy. Seguimiento: {{3}}",
                        false,
                    ),
                ],
                header: Some(("TEXT", "Your order is on its way")),
                footer: Some("Reply STOP to unsubscribe"),
                buttons: vec![json!({
                    "type": "URL", "text": "Track order",
                    "url": "https://shop.example.com/track/{{1}}", "phone_number": null,
                })],
                created_at: days(60),
            },
            Template {
                id: seed::WELCOME_NAMED_TEMPLATE_ID.to_owned(),
                name: "welcome_named".to_owned(),
                category: "MARKETING".to_owned(),
                status: "APPROVED".to_owned(),
                translations: vec![
                    tr("en", "Hi {{first_name}}, welcome to {{shop_name}}!", true),
                    tr(
                        "de",
                        "Hallo {{first_name}}, willkommen bei {{shop_name}}!",
                        false,
                    ),
                    tr(
                        "fr",
                        "Bonjour {{first_name}}, bienvenue chez {{shop_name}} !",
                        false,
                    ),
                ],
                header: Some(("IMAGE", "https://shop.example.com/welcome.png")),
                footer: None,
                buttons: vec![json!({
                    "type": "QUICK_REPLY", "text": "Show me deals", "url": null,
                    "phone_number": null,
                })],
                created_at: days(50),
            },
            Template {
                id: seed::OPENING_HOURS_TEMPLATE_ID.to_owned(),
                name: "opening_hours".to_owned(),
                category: "UTILITY".to_owned(),
                status: "APPROVED".to_owned(),
                translations: vec![tr(
                    "en",
                    "We are open Monday to Friday, 9:00 to 18:00.",
                    true,
                )],
                header: None,
                footer: None,
                buttons: vec![json!({
                    "type": "PHONE_NUMBER", "text": "Call us", "url": null,
                    "phone_number": "+14155550100",
                })],
                created_at: days(40),
            },
            Template {
                id: seed::SPRING_SALE_TEMPLATE_ID.to_owned(),
                name: "spring_sale".to_owned(),
                category: "MARKETING".to_owned(),
                status: "PENDING".to_owned(),
                translations: vec![
                    tr("en", "Spring sale: {{1}} off everything", false),
                    tr("fr", "Soldes de printemps : {{1}} sur tout", false),
                ],
                header: None,
                footer: None,
                buttons: Vec::new(),
                created_at: days(2),
            },
            Template {
                id: seed::LEGACY_PROMO_TEMPLATE_ID.to_owned(),
                name: "legacy_promo".to_owned(),
                category: "MARKETING".to_owned(),
                status: "REJECTED".to_owned(),
                translations: vec![tr("en", "Buy now!!! {{1}}", false)],
                header: None,
                footer: None,
                buttons: Vec::new(),
                created_at: days(90),
            },
        ];
        let automation = |id, name, trigger_type, published: bool, age| Automation {
            id,
            name,
            trigger_type,
            published_at: published.then(|| days(age - 1)),
            created_at: days(age),
        };
        Tenant {
            user_id,
            id: new_id(now),
            contacts: Vec::new(),
            tags: Vec::new(),
            messages: Vec::new(),
            templates,
            sequences: vec![
                automation(
                    seed::WELCOME_SEQUENCE_ID,
                    "Welcome series",
                    "manual",
                    true,
                    30,
                ),
                automation(seed::WINBACK_SEQUENCE_ID, "Win-back", "manual", true, 20),
                automation(
                    seed::DRAFT_SEQUENCE_ID,
                    "Birthday (draft)",
                    "manual",
                    false,
                    5,
                ),
            ],
            flows: vec![
                automation(
                    seed::CART_RECOVERY_FLOW_ID,
                    "Cart recovery",
                    "shopify_cart_abandoned",
                    true,
                    30,
                ),
                automation(
                    seed::SUPPORT_MENU_FLOW_ID,
                    "Support menu",
                    "keyword",
                    true,
                    25,
                ),
                automation(seed::DRAFT_FLOW_ID, "Survey (draft)", "manual", false, 3),
            ],
            sessions: Vec::new(),
            campaigns: vec![
                Campaign {
                    id: seed::BLACK_FRIDAY_CAMPAIGN_ID.to_owned(),
                    name: "Black Friday".to_owned(),
                    sent_count: 1200,
                    created_at: days(14),
                },
                Campaign {
                    id: seed::SPRING_LAUNCH_CAMPAIGN_ID.to_owned(),
                    name: "Spring launch".to_owned(),
                    sent_count: 450,
                    created_at: days(3),
                },
            ],
        }
    }

    pub(crate) fn contact_by_phone(&self, phone: &str) -> Option<usize> {
        self.contacts.iter().position(|c| c.phone == phone)
    }

    pub(crate) fn contact_by_id(&self, id: &str) -> Option<usize> {
        self.contacts.iter().position(|c| c.id == id)
    }

    /// Finds or creates the contact with this (normalized) phone.
    pub(crate) fn upsert_contact(&mut self, phone: &str, now: DateTime<Utc>) -> usize {
        if let Some(index) = self.contact_by_phone(phone) {
            return index;
        }
        self.contacts.push(Contact {
            id: new_id(now),
            phone: phone.to_owned(),
            name: None,
            email: None,
            source: "api".to_owned(),
            metadata: Map::new(),
            tags: Vec::new(),
            opted_in_at: Some(now),
            last_message_at: None,
            last_inbound_at: None,
            total_messages: 0,
            created_at: now,
            updated_at: now,
        });
        self.contacts.len() - 1
    }

    /// Makes sure a tag definition exists.
    pub(crate) fn ensure_tag(&mut self, name: &str, now: DateTime<Utc>) {
        if !self.tags.iter().any(|t| t.name == name) {
            self.tags.push(Tag {
                id: new_id(now),
                name: name.to_owned(),
            });
        }
    }

    /// Replaces a contact's tag list, creating missing tag definitions.
    pub(crate) fn set_tags(&mut self, index: usize, tags: Vec<String>, now: DateTime<Utc>) {
        for tag in &tags {
            self.ensure_tag(tag, now);
        }
        self.contacts[index].tags = tags;
    }

    /// Records a message and updates the contact's counters.
    pub(crate) fn record_message(
        &mut self,
        index: usize,
        message: NewMessage,
        now: DateTime<Utc>,
    ) -> &Message {
        let contact = &mut self.contacts[index];
        contact.last_message_at = Some(now);
        contact.total_messages += 1;
        if message.direction == Direction::Inbound {
            contact.last_inbound_at = Some(now);
        }
        let whatsapp_message_id = (message.direction == Direction::Outbound).then(new_wamid);
        self.messages.push(Message {
            id: new_id(now),
            contact_id: contact.id.clone(),
            direction: message.direction,
            kind: message.kind,
            content: message.content,
            whatsapp_message_id,
            template_id: message.template_id,
            language: message.language,
            created_at: now,
        });
        let last = self.messages.len() - 1;
        &self.messages[last]
    }

    pub(crate) fn inbound_json(&self, message: &Message) -> Value {
        let contact = self.contacts.iter().find(|c| c.id == message.contact_id);
        json!({
            "id": message.id, "direction": "inbound", "type": message.kind,
            "content": message.content, "status": "received", "contact_id": message.contact_id,
            "contact_phone": contact.map(|c| c.phone.as_str()),
            "contact_name": contact.and_then(|c| c.name.as_deref()),
            "contact_email": contact.and_then(|c| c.email.as_deref()),
            "sent_at": null, "delivered_at": null, "read_at": null,
            "created_at": rfc3339(message.created_at),
        })
    }

    pub(crate) fn automations(&self, kind: AutomationKind) -> &[Automation] {
        match kind {
            AutomationKind::Sequence => &self.sequences,
            AutomationKind::Flow => &self.flows,
        }
    }

    pub(crate) fn sessions_count(&self, kind: AutomationKind, id: &str) -> usize {
        self.sessions
            .iter()
            .filter(|(k, s)| *k == kind && s.automation_id == id)
            .count()
    }

    /// Starts a session unless the contact already has a running one. Returns the new id.
    pub(crate) fn start_session(
        &mut self,
        kind: AutomationKind,
        automation_id: &'static str,
        contact_index: usize,
        context: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let contact_id = self.contacts[contact_index].id.clone();
        let running = self.sessions.iter().any(|(k, s)| {
            *k == kind
                && s.automation_id == automation_id
                && s.contact_id == contact_id
                && s.running(now)
        });
        if running {
            return None;
        }
        let id = new_id(now);
        self.sessions.push((
            kind,
            Session {
                id: id.clone(),
                automation_id,
                contact_id,
                context,
                created_at: now,
                expires_at: (kind == AutomationKind::Flow).then(|| now + FLOW_SESSION_TTL),
            },
        ));
        Some(id)
    }

    pub(crate) fn session_json(
        &self,
        kind: AutomationKind,
        session: &Session,
        now: DateTime<Utc>,
    ) -> Value {
        let contact = self.contacts.iter().find(|c| c.id == session.contact_id);
        let name = self
            .automations(kind)
            .iter()
            .find(|a| a.id == session.automation_id)
            .map(|a| a.name);
        let status = if session.running(now) {
            "running"
        } else {
            "expired"
        };
        let mut value = json!({
            "id": session.id, "contact_id": session.contact_id,
            "contact_phone": contact.map(|c| c.phone.as_str()),
            "contact_name": contact.and_then(|c| c.name.as_deref()),
            "status": status, "context": session.context,
            "created_at": rfc3339(session.created_at),
        });
        match kind {
            AutomationKind::Sequence => {
                value["sequence_id"] = Value::from(session.automation_id);
                value["sequence_name"] = Value::from(name);
            }
            AutomationKind::Flow => {
                value["flow_id"] = Value::from(session.automation_id);
                value["flow_name"] = Value::from(name);
                value["contact_email"] = Value::from(contact.and_then(|c| c.email.clone()));
                value["current_node_id"] = Value::from("node_1");
                value["last_interaction_at"] = Value::from(rfc3339(session.created_at));
                value["expires_at"] = ts(session.expires_at);
                value["completed_at"] = Value::Null;
            }
        }
        value
    }
}

/// A message about to be recorded.
#[derive(Debug)]
pub(crate) struct NewMessage {
    pub(crate) direction: Direction,
    pub(crate) kind: String,
    pub(crate) content: Value,
    pub(crate) template_id: Option<String>,
    pub(crate) language: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_numeric_and_named_placeholders() {
        assert_eq!(
            extract_placeholders("Hi {{1}}, {{ 2 }} and {{1}} again {{first_name}} {{"),
            ["1", "2", "first_name"]
        );
        assert!(extract_placeholders("no placeholders").is_empty());
    }

    #[test]
    fn window_is_24_hours_from_last_inbound() {
        let now = Utc::now();
        let mut tenant = Tenant::seeded(1, now);
        let index = tenant.upsert_contact("+14155550123", now);
        assert!(!tenant.contacts[index].window_open(now));
        tenant.contacts[index].last_inbound_at = Some(now);
        assert!(tenant.contacts[index].window_open(now + Duration::hours(23)));
        assert!(!tenant.contacts[index].window_open(now + Duration::hours(24)));
    }
}
