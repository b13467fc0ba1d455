//! The behaviour of the 24 operations on one tenant's state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hyper::StatusCode;
use qyvo::contact::Tags;
use serde_json::{Map, Value, json};

use crate::Operation;
use crate::phone::normalize_phone;
use crate::state::{AutomationKind, Direction, NewMessage, Tenant};

/// Most messages new-message-received returns.
const TRIGGER_LIMIT: usize = 100;
/// Most contacts search-contacts returns.
const SEARCH_LIMIT: usize = 50;
/// Longest free-form text message, in characters.
const MAX_TEXT_CHARS: usize = 4096;
/// Longest contact name, in characters.
const MAX_NAME_CHARS: usize = 255;
/// Message types the new-message-received filter accepts.
const MESSAGE_TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "document",
    "video",
    "location",
    "contacts",
    "interactive",
    "sticker",
];
const TEMPLATE_STATUSES: &[&str] = &["APPROVED", "PENDING", "REJECTED"];

/// A JSON answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Reply {
            status: StatusCode::OK,
            body,
        }
    }

    fn created(body: Value) -> Self {
        Reply {
            status: StatusCode::CREATED,
            body,
        }
    }

    /// `{"error": message}` with `status`.
    fn error(status: StatusCode, message: &str) -> Self {
        Reply {
            status,
            body: json!({ "error": message }),
        }
    }

    fn not_found(message: &str) -> Self {
        Reply::error(StatusCode::NOT_FOUND, message)
    }

    /// The Laravel validation failure of a missing required `field`.
    fn required(field: &str) -> Self {
        let mut check = Check::new(&EMPTY);
        check.fail(field, required_message(field));
        check.into_reply()
    }
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// Laravel's name for a field in messages: `template_id` → `template id`.
fn label(field: &str) -> String {
    field.replace('_', " ")
}

/// Laravel's message for a missing required field.
fn required_message(field: &str) -> String {
    format!("The {} field is required.", label(field))
}

/// Collects Laravel-style validation errors over a JSON body.
struct Check<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<(String, Vec<String>)>,
}

impl<'a> Check<'a> {
    fn new(body: &'a Map<String, Value>) -> Self {
        Check {
            body,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, field: &str, message: String) {
        match self.errors.iter_mut().find(|(f, _)| f == field) {
            Some((_, messages)) => messages.push(message),
            None => self.errors.push((field.to_owned(), vec![message])),
        }
    }

    /// An optional field of one JSON type: `cast` picks the value, `kind` names the type in
    /// Laravel's message when it does not match (`null` matches no type: no `nullable` rule).
    fn typed<T>(
        &mut self,
        field: &str,
        kind: &str,
        cast: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let body: &'a Map<String, Value> = self.body;
        let value = cast(body.get(field)?);
        if value.is_none() {
            self.fail(field, format!("The {} field must be {kind}.", label(field)));
        }
        value
    }

    /// An optional string.
    fn string(&mut self, field: &str) -> Option<&'a str> {
        self.typed(field, "a string", Value::as_str)
    }

    /// An optional string where `""` also means absent (lookup keys and filters).
    fn filter(&mut self, field: &str) -> Option<&'a str> {
        self.string(field).filter(|s| !s.is_empty())
    }

    /// A required non-empty string.
    fn required(&mut self, field: &str) -> Option<&'a str> {
        let present = self.body.get(field).is_some_and(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            _ => true,
        });
        if !present {
            self.fail(field, required_message(field));
            return None;
        }
        self.string(field)
    }

    /// An optional JSON object (an associative array to Laravel).
    fn object(&mut self, field: &str) -> Option<&'a Map<String, Value>> {
        self.typed(field, "an array", Value::as_object)
    }

    /// An optional email; `empty_ok` makes `""` mean absent.
    fn email(&mut self, field: &str, empty_ok: bool) -> Option<&'a str> {
        let value = self.string(field)?;
        if value.is_empty() && empty_ok {
            return None;
        }
        if !is_email(value) {
            self.fail(
                field,
                format!("The {} field must be a valid email address.", label(field)),
            );
            return None;
        }
        Some(value)
    }

    /// A required phone, normalized.
    fn phone(&mut self, field: &str) -> Option<String> {
        let raw = self.required(field)?;
        let normalized = normalize_phone(raw);
        if normalized.is_none() {
            self.phone_format_error(field);
        }
        normalized
    }

    fn phone_format_error(&mut self, field: &str) {
        self.fail(
            field,
            format!(
                "The {} field must be a valid international number with a leading +.",
                label(field)
            ),
        );
    }

    /// At least one of `fields` must be a non-empty string.
    fn one_of(&mut self, fields: &[&str]) {
        let any = fields
            .iter()
            .any(|f| matches!(self.body.get(*f), Some(Value::String(s)) if !s.is_empty()));
        if !any {
            let (first, others) = fields.split_first().unwrap_or((&"", &[]));
            let others: Vec<String> = others.iter().map(|f| label(f)).collect();
            let message = if others.len() == 1 {
                format!(
                    "The {} field is required when {} is not present.",
                    label(first),
                    others.join("")
                )
            } else {
                format!(
                    "The {} field is required when none of {} are present.",
                    label(first),
                    others.join(" / ")
                )
            };
            self.fail(first, message);
        }
    }

    /// The optional `contact_id` and `phone` lookup keys, one of which must be given.
    fn contact_key(&mut self) -> (Option<&'a str>, Option<&'a str>) {
        let contact_id = self.filter("contact_id");
        let phone = self.filter("phone");
        self.one_of(&["contact_id", "phone"]);
        (contact_id, phone)
    }

    fn max_chars(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| v.chars().count() > max) {
            self.fail(
                field,
                format!(
                    "The {} field must not be greater than {max} characters.",
                    label(field)
                ),
            );
        }
    }

    fn one_of_values(&mut self, field: &str, value: Option<&str>, allowed: &[&str]) {
        if value.is_some_and(|v| !allowed.contains(&v)) {
            self.fail(field, format!("The selected {} is invalid.", label(field)));
        }
    }

    fn metadata(&mut self, field: &str) -> Option<&'a Map<String, Value>> {
        let map = self.object(field)?;
        if serde_json::to_vec(map).map_or(0, |v| v.len()) > qyvo::contact::Metadata::MAX_BYTES {
            self.fail(
                field,
                format!(
                    "The {} field must not be greater than 64 kilobytes.",
                    label(field)
                ),
            );
        }
        Some(map)
    }

    fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    fn into_reply(self) -> Reply {
        let count = self.errors.iter().map(|(_, m)| m.len()).sum::<usize>();
        let first = self
            .errors
            .first()
            .and_then(|(_, m)| m.first())
            .cloned()
            .unwrap_or_default();
        let message = match count {
            0 | 1 => first,
            2 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {} more errors)", n - 1),
        };
        let errors: Map<String, Value> = self
            .errors
            .into_iter()
            .map(|(field, messages)| (field, Value::from(messages)))
            .collect();
        Reply {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "message": message, "errors": errors }),
        }
    }

    /// `Err` with the Laravel reply when any check failed.
    fn done(self) -> Result<(), Reply> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self.into_reply())
        }
    }
}

/// A pragmatic version of Laravel's `email` rule.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Splits a CSV tag list as the SDK does: trimmed, without empties or duplicates.
fn parse_tags(csv: &str) -> Vec<String> {
    Tags::from_csv(csv).into_iter().map(String::from).collect()
}

/// Everything an operation gets from the request.
pub(crate) struct Request<'a> {
    pub(crate) body: &'a Map<String, Value>,
    pub(crate) query: &'a HashMap<String, String>,
    pub(crate) now: DateTime<Utc>,
    pub(crate) user: &'a crate::User,
}

/// Runs `operation` against `tenant`.
pub(crate) fn handle(operation: Operation, tenant: &mut Tenant, request: &Request<'_>) -> Reply {
    let result = match operation {
        Operation::Me => Ok(me(tenant, request.user)),
        Operation::NewMessageReceived => new_message_received(tenant, request),
        Operation::NewCampaignSent => Ok(new_campaign_sent(tenant)),
        Operation::NewFlowTriggered => Ok(sessions(tenant, request, AutomationKind::Flow)),
        Operation::NewSequenceTriggered => Ok(sessions(tenant, request, AutomationKind::Sequence)),
        Operation::SendTemplateMessage => send_template_message(tenant, request),
        Operation::SendTextMessage => send_text_message(tenant, request),
        Operation::CreateContact => create_contact(tenant, request),
        Operation::UpdateContact => update_contact(tenant, request),
        Operation::GetContact => get_contact(tenant, request),
        Operation::SearchContacts => search_contacts(tenant, request),
        Operation::AddTag => change_tag(tenant, request, true),
        Operation::RemoveTag => change_tag(tenant, request, false),
        Operation::ListTemplates => list_templates(tenant, request),
        Operation::GetTemplate => get_template(tenant, request),
        Operation::ListTags => list_tags(tenant, request),
        Operation::TriggerSequence => trigger(tenant, request, AutomationKind::Sequence),
        Operation::GetSequence => get_automation(tenant, request, AutomationKind::Sequence),
        Operation::TriggerFlow => trigger(tenant, request, AutomationKind::Flow),
        Operation::GetFlow => get_automation(tenant, request, AutomationKind::Flow),
        Operation::DropdownTemplates => Ok(dropdown_templates(tenant)),
        Operation::DropdownSequences => Ok(dropdown_automations(tenant, AutomationKind::Sequence)),
        Operation::DropdownFlows => Ok(dropdown_automations(tenant, AutomationKind::Flow)),
        Operation::DropdownTemplateVariables => dropdown_template_variables(tenant, request),
    };
    result.unwrap_or_else(|reply| reply)
}

fn me(tenant: &Tenant, user: &crate::User) -> Reply {
    Reply::ok(json!({
        "id": tenant.user_id, "email": user.email, "name": user.name,
        "tenant": { "id": tenant.id, "name": user.workspace },
    }))
}

/// A query parameter as a filter; `""` means no filter.
fn query_filter<'a>(request: &'a Request<'_>, name: &str) -> Option<&'a str> {
    request
        .query
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn new_message_received(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let kind = query_filter(request, "message_type");
    let mut check = Check::new(&EMPTY);
    check.one_of_values("message_type", kind, MESSAGE_TYPES);
    check.done()?;
    let items: Vec<Value> = tenant
        .messages
        .iter()
        .rev()
        .filter(|m| m.direction == Direction::Inbound && kind.is_none_or(|k| m.kind == k))
        .take(TRIGGER_LIMIT)
        .map(|m| tenant.inbound_json(m))
        .collect();
    Ok(Reply::ok(Value::from(items)))
}

fn new_campaign_sent(tenant: &Tenant) -> Reply {
    let mut campaigns: Vec<_> = tenant.campaigns.iter().collect();
    campaigns.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    Reply::ok(
        campaigns
            .into_iter()
            .take(TRIGGER_LIMIT)
            .map(|c| c.json())
            .collect(),
    )
}

fn sessions(tenant: &Tenant, request: &Request<'_>, kind: AutomationKind) -> Reply {
    let filter_name = match kind {
        AutomationKind::Sequence => "sequence_id",
        AutomationKind::Flow => "flow_id",
    };
    let filter = query_filter(request, filter_name);
    let items: Vec<Value> = tenant
        .sessions
        .iter()
        .rev()
        .filter(|(k, s)| *k == kind && filter.is_none_or(|id| s.automation_id == id))
        .take(TRIGGER_LIMIT)
        .map(|(_, s)| tenant.session_json(kind, s, request.now))
        .collect();
    Reply::ok(Value::from(items))
}

fn send_template_message(tenant: &mut Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let phone = check.phone("phone");
    let template_id = check.required("template_id");
    let language = check.filter("language");
    let variables = check.object("variables");
    for (key, value) in variables.into_iter().flatten() {
        if !value.is_string() {
            check.fail(
                &format!("variables.{key}"),
                format!("The variables.{key} field must be a string."),
            );
        }
    }
    check.done()?;
    let (Some(phone), Some(template_id)) = (phone, template_id) else {
        return Err(Reply::required("phone"));
    };
    let template = find_template(tenant, template_id)?;
    let approved = template.approved_languages();
    let Some(fallback) = approved.first() else {
        return Err(Reply {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({
                "error": "Template has no approved translation to send.",
                "available_languages": template.languages(),
            }),
        });
    };
    let chosen = language
        .and_then(|l| approved.iter().find(|a| **a == l))
        .unwrap_or(fallback)
        .to_string();
    let expected = template.placeholders();
    let missing: Vec<&String> = expected
        .iter()
        .filter(|p| !variables.is_some_and(|v| v.contains_key(p.as_str())))
        .collect();
    if !missing.is_empty() {
        return Err(Reply {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({
                "error": "Template requires variables that were not provided.",
                "expected_placeholders": expected,
                "missing": missing,
            }),
        });
    }
    let template_id = template.id.to_owned();
    let index = tenant.upsert_contact(&phone, request.now);
    let message = tenant.record_message(
        index,
        NewMessage {
            direction: Direction::Outbound,
            kind: "template".to_owned(),
            content: json!({ "variables": variables.cloned().unwrap_or_default() }),
            template_id: Some(template_id),
            language: Some(chosen),
        },
        request.now,
    );
    Ok(sent(message))
}

fn sent(message: &crate::state::Message) -> Reply {
    Reply::ok(json!({
        "id": message.id, "status": "sent",
        "whatsapp_message_id": message.whatsapp_message_id, "contact_id": message.contact_id,
    }))
}

fn send_text_message(tenant: &mut Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let phone = check.phone("phone");
    let text = check.required("message");
    check.max_chars("message", text, MAX_TEXT_CHARS);
    check.done()?;
    let (Some(phone), Some(text)) = (phone, text) else {
        return Err(Reply::required("phone"));
    };
    let index = tenant
        .contact_by_phone(&phone)
        .filter(|i| tenant.contacts[*i].window_open(request.now))
        .ok_or_else(|| {
            Reply::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Message rejected by Meta (131047): Re-engagement message. More than 24 hours \
                 have passed since the customer last replied; send a template instead.",
            )
        })?;
    let message = tenant.record_message(
        index,
        NewMessage {
            direction: Direction::Outbound,
            kind: "text".to_owned(),
            content: json!({ "body": text }),
            template_id: None,
            language: None,
        },
        request.now,
    );
    Ok(sent(message))
}

fn create_contact(tenant: &mut Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let phone = check.phone("phone");
    let fields = ContactFields::check(&mut check);
    check.done()?;
    let Some(phone) = phone else {
        return Err(Reply::required("phone"));
    };
    let index = tenant.upsert_contact(&phone, request.now);
    let contact = fields.apply(tenant, index, request.now, Metadata::Replace);
    Ok(Reply::created(contact.created_json()))
}

/// How [`ContactFields::apply`] writes `metadata`.
#[derive(Clone, Copy)]
enum Metadata {
    /// The given object replaces the stored one (create-contact).
    Replace,
    /// The given keys are merged into the stored object (update-contact).
    Merge,
}

/// The optional fields create-contact and update-contact share, validated.
struct ContactFields<'a> {
    name: Option<&'a str>,
    email: Option<&'a str>,
    tags: Option<&'a str>,
    metadata: Option<&'a Map<String, Value>>,
}

impl<'a> ContactFields<'a> {
    /// Reads and validates the fields, in Laravel's rule order.
    fn check(check: &mut Check<'a>) -> Self {
        let name = check.string("name");
        check.max_chars("name", name, MAX_NAME_CHARS);
        ContactFields {
            name,
            email: check.email("email", false),
            tags: check.string("tags"),
            metadata: check.metadata("metadata"),
        }
    }

    /// Writes the given fields to contact `index` (an empty name clears it) and stamps it.
    fn apply(
        self,
        tenant: &mut Tenant,
        index: usize,
        now: DateTime<Utc>,
        metadata: Metadata,
    ) -> &crate::state::Contact {
        if let Some(tags) = self.tags {
            tenant.set_tags(index, parse_tags(tags), now);
        }
        let contact = &mut tenant.contacts[index];
        if let Some(name) = self.name {
            contact.name = Some(name.to_owned()).filter(|n| !n.is_empty());
        }
        if let Some(email) = self.email {
            contact.email = Some(email.to_owned());
        }
        match (self.metadata, metadata) {
            (None, _) => {}
            (Some(given), Metadata::Replace) => contact.metadata = given.clone(),
            (Some(given), Metadata::Merge) => contact
                .metadata
                .extend(given.iter().map(|(k, v)| (k.clone(), v.clone()))),
        }
        contact.updated_at = now;
        contact
    }
}

/// Finds the contact named by `contact_id` or `phone` (after validation passed).
fn lookup(tenant: &Tenant, contact_id: Option<&str>, phone: Option<&str>) -> Result<usize, Reply> {
    let found = match (contact_id, phone) {
        (Some(id), _) => tenant.contact_by_id(id),
        (None, Some(phone)) => normalize_phone(phone).and_then(|p| tenant.contact_by_phone(&p)),
        (None, None) => None,
    };
    found.ok_or_else(|| Reply::not_found("Contact not found"))
}

fn update_contact(tenant: &mut Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let (contact_id, phone) = check.contact_key();
    let fields = ContactFields::check(&mut check);
    check.done()?;
    let index = lookup(tenant, contact_id, phone)?;
    let contact = fields.apply(tenant, index, request.now, Metadata::Merge);
    Ok(Reply::ok(contact.updated_json()))
}

fn get_contact(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let contact_id = check.filter("contact_id");
    let phone = check.filter("phone");
    let email = check.email("email", true);
    check.one_of(&["contact_id", "phone", "email"]);
    check.done()?;
    let index = match (contact_id, phone, email) {
        (None, None, Some(email)) => tenant
            .contacts
            .iter()
            .position(|c| c.email.as_deref() == Some(email))
            .ok_or_else(|| Reply::not_found("Contact not found"))?,
        _ => lookup(tenant, contact_id, phone)?,
    };
    Ok(Reply::ok(tenant.contacts[index].full_json()))
}

fn search_contacts(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let query = check.filter("query").map(str::to_lowercase);
    let tag = check.filter("tag");
    let email = check.email("email", true);
    check.done()?;
    let mut found: Vec<(usize, &crate::state::Contact)> = tenant
        .contacts
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            query.as_deref().is_none_or(|q| {
                [
                    Some(c.phone.as_str()),
                    c.name.as_deref(),
                    c.email.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|field| field.to_lowercase().contains(q))
            }) && tag.is_none_or(|t| c.tags.iter().any(|ct| ct == t))
                && email.is_none_or(|e| c.email.as_deref() == Some(e))
        })
        .collect();
    // Most recently active first, never-messaged contacts last, newest contacts first on ties.
    found.sort_by(|(ia, a), (ib, b)| b.last_message_at.cmp(&a.last_message_at).then(ib.cmp(ia)));
    Ok(Reply::ok(
        found
            .into_iter()
            .take(SEARCH_LIMIT)
            .map(|(_, c)| c.summary_json())
            .collect(),
    ))
}

fn change_tag(tenant: &mut Tenant, request: &Request<'_>, add: bool) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let (contact_id, phone) = check.contact_key();
    let tag = check.required("tag").map(str::trim);
    check.done()?;
    let Some(tag) = tag else {
        return Err(Reply::required("tag"));
    };
    let index = lookup(tenant, contact_id, phone)?;
    let now = request.now;
    if add {
        tenant.ensure_tag(tag, now);
    }
    let contact = &mut tenant.contacts[index];
    let has = contact.tags.iter().any(|t| t == tag);
    if add && !has {
        contact.tags.push(tag.to_owned());
    } else if !add && has {
        contact.tags.retain(|t| t != tag);
    }
    if add != has {
        contact.updated_at = now;
    }
    let key = if add { "tag_added" } else { "tag_removed" };
    let mut body = json!({ "id": contact.id, "phone": contact.phone, "tags": contact.tags });
    body[key] = Value::from(tag);
    Ok(Reply::ok(body))
}

fn list_templates(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let status = check.filter("status");
    check.one_of_values("status", status, TEMPLATE_STATUSES);
    check.done()?;
    let mut templates: Vec<_> = tenant
        .templates
        .iter()
        .filter(|t| status.is_none_or(|s| t.status == s))
        .collect();
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Reply::ok(
        templates.into_iter().map(|t| t.summary_json()).collect(),
    ))
}

fn find_template<'t>(tenant: &'t Tenant, id: &str) -> Result<&'t crate::state::Template, Reply> {
    tenant
        .templates
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| Reply::not_found("Template not found"))
}

fn get_template(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let id = check.required("template_id");
    check.done()?;
    let template = find_template(tenant, id.unwrap_or_default())?;
    Ok(Reply::ok(template.full_json()))
}

fn list_tags(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let mut check = Check::new(request.body);
    let name = check.filter("name").map(str::to_lowercase);
    check.done()?;
    let mut tags: Vec<_> = tenant
        .tags
        .iter()
        .filter(|t| {
            name.as_deref()
                .is_none_or(|n| t.name.to_lowercase().contains(n))
        })
        .collect();
    tags.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Reply::ok(
        tags.into_iter()
            .map(|t| json!({ "id": t.id, "name": t.name }))
            .collect(),
    ))
}

fn kind_names(kind: AutomationKind) -> (&'static str, &'static str) {
    match kind {
        AutomationKind::Sequence => ("sequence_id", "Sequence not found or not published"),
        AutomationKind::Flow => ("flow_id", "Flow not found or not published"),
    }
}

fn trigger(
    tenant: &mut Tenant,
    request: &Request<'_>,
    kind: AutomationKind,
) -> Result<Reply, Reply> {
    let (id_field, not_found) = kind_names(kind);
    let mut check = Check::new(request.body);
    let automation_id = check.required(id_field);
    let (contact_id, phone) = check.contact_key();
    let context = check.object("context");
    let phone = match (contact_id, phone) {
        (None, Some(raw)) => {
            let normalized = normalize_phone(raw);
            if normalized.is_none() {
                check.phone_format_error("phone");
            }
            normalized
        }
        _ => None,
    };
    check.done()?;
    let automation_id = tenant
        .automations(kind)
        .iter()
        .find(|a| Some(a.id) == automation_id && a.published_at.is_some())
        .map(|a| a.id)
        .ok_or_else(|| Reply::not_found(not_found))?;
    let index = match (contact_id, phone) {
        (None, Some(phone)) => tenant.upsert_contact(&phone, request.now),
        _ => lookup(tenant, contact_id, None)?,
    };
    let context = context.cloned().unwrap_or_default();
    Ok(
        match tenant.start_session(kind, automation_id, index, context, request.now) {
            Some(id) => Reply::created(json!({ "id": id, "status": "started" })),
            None => Reply::ok(json!({ "status": "already_running" })),
        },
    )
}

fn get_automation(
    tenant: &Tenant,
    request: &Request<'_>,
    kind: AutomationKind,
) -> Result<Reply, Reply> {
    let (id_field, _) = kind_names(kind);
    let mut check = Check::new(request.body);
    let id = check.required(id_field);
    check.done()?;
    let automation = tenant
        .automations(kind)
        .iter()
        .find(|a| Some(a.id) == id)
        .ok_or_else(|| {
            Reply::not_found(match kind {
                AutomationKind::Sequence => "Sequence not found",
                AutomationKind::Flow => "Flow not found",
            })
        })?;
    let count = tenant.sessions_count(kind, automation.id);
    Ok(Reply::ok(
        automation.json(count, kind == AutomationKind::Flow),
    ))
}

fn dropdown_templates(tenant: &Tenant) -> Reply {
    let mut templates: Vec<_> = tenant
        .templates
        .iter()
        .filter(|t| t.status == "APPROVED")
        .collect();
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    Reply::ok(
        templates
            .into_iter()
            .map(|t| json!({ "id": t.id, "label": t.name }))
            .collect(),
    )
}

fn dropdown_automations(tenant: &Tenant, kind: AutomationKind) -> Reply {
    Reply::ok(
        tenant
            .automations(kind)
            .iter()
            .filter(|a| a.published_at.is_some())
            .map(|a| json!({ "id": a.id, "label": a.name }))
            .collect(),
    )
}

fn dropdown_template_variables(tenant: &Tenant, request: &Request<'_>) -> Result<Reply, Reply> {
    let Some(id) = query_filter(request, "template_id") else {
        return Err(Reply::required("template_id"));
    };
    let template = find_template(tenant, id)?;
    Ok(Reply::ok(
        template
            .placeholders()
            .into_iter()
            .map(|p| json!({ "label": format!("{{{{{p}}}}}"), "id": p }))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            parse_tags(" vip, ,beta , vip,,fr-FR "),
            ["vip", "beta", "fr-FR"]
        );
        assert!(parse_tags(" , ").is_empty());
    }

    #[test]
    fn emails() {
        assert!(is_email("romain@example.com"));
        assert!(!is_email(""));
        assert!(!is_email("romain"));
        assert!(!is_email("romain@localhost"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@b@example.com"));
    }

    #[test]
    fn laravel_messages_count_extra_errors() {
        let body = Map::new();
        let mut check = Check::new(&body);
        check.required("phone");
        check.required("template_id");
        let reply = check.into_reply();
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            reply.body["message"],
            "The phone field is required. (and 1 more error)"
        );
        assert_eq!(
            reply.body["errors"]["template_id"][0],
            "The template id field is required."
        );
    }
}
