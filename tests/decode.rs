//! Every response example of the Qyvo docs decodes into the generated types, and so do the
//! shapes the docs leave open: ULID and integer ids, explicit nulls, unknown fields, unknown
//! enum values and the four error body shapes.

use qyvo::types::*;

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[test]
fn me_with_integer_id_and_null_name() {
    let me: Me = decode(
        r#"{"id": 42, "email": "romain@example.com", "name": null,
            "tenant": {"id": "01HZX9ABCDEFGHJKMNPQRSTVWX", "name": "Acme"}}"#,
    );
    assert_eq!(me.id, 42);
    assert_eq!(me.name, None);
    assert_eq!(me.tenant.unwrap().id, "01HZX9ABCDEFGHJKMNPQRSTVWX");
    let orphan: Me = decode(r#"{"id": 7, "email": "a@b.c", "name": "A", "tenant": null}"#);
    assert!(orphan.tenant.is_none());
}

#[test]
fn new_message_received_example() {
    // The docs' example, verbatim (ids shortened as in the docs).
    let items: Vec<InboundMessage> = decode(
        r#"[
          {
            "id": "01J4M...",
            "direction": "inbound",
            "type": "text",
            "content": { "body": "Hi, do you ship to Canada?" },
            "status": "received",
            "contact_id": "01J1Y...",
            "contact_phone": "+14155550123",
            "contact_name": "Romain",
            "contact_email": null,
            "sent_at": null,
            "delivered_at": null,
            "read_at": null,
            "created_at": "2026-05-07T08:14:23+00:00"
          }
        ]"#,
    );
    let m = &items[0];
    assert_eq!(m.type_, "text");
    assert_eq!(
        m.content.as_ref().unwrap().body.as_deref(),
        Some("Hi, do you ship to Canada?")
    );
    assert_eq!(m.contact_email, None);
    assert_eq!(m.created_at.to_rfc3339(), "2026-05-07T08:14:23+00:00");
}

#[test]
fn undocumented_message_types_and_unknown_fields_decode() {
    let m: InboundMessage = decode(
        r#"{"id": "01J4MZZZZZZZZZZZZZZZZZZZZZ", "direction": "inbound", "type": "sticker",
            "content": {"url": "https://cdn.example/s.webp", "mime_type": "image/webp", "animated": true},
            "status": "received", "created_at": "2026-05-07T08:14:23Z",
            "reaction_to": "01J4MYYYYYYYYYYYYYYYYYYYYY", "brand_new_field": {"nested": [1, 2]}}"#,
    );
    assert_eq!(m.type_, "sticker");
    assert_eq!(m.content.unwrap().mime_type.as_deref(), Some("image/webp"));
    let empty: Vec<InboundMessage> = decode("[]");
    assert!(empty.is_empty());
}

#[test]
fn get_contact_example() {
    let c: Contact = decode(
        r#"{
          "id": "01J1Y...",
          "phone": "+14155550123",
          "name": "Romain",
          "email": "romain@example.com",
          "source": "shopify",
          "locale": "fr",
          "metadata": { "shopify_id": "12345" },
          "tags": ["vip", "fr-FR"],
          "opted_in_at": "2026-04-15T10:32:00+00:00",
          "opted_out_at": null,
          "last_message_at": "2026-05-07T08:14:23+00:00",
          "total_messages": 27,
          "created_at": "2026-04-15T10:32:00+00:00"
        }"#,
    );
    assert_eq!(c.tags, ["vip", "fr-FR"]);
    assert_eq!(c.metadata.unwrap()["shopify_id"], "12345");
    assert_eq!(c.total_messages, Some(27));
    let unknown_source: Contact =
        decode(r#"{"id": "01J1Y", "phone": "+1", "source": "tiktok_shop", "tags": []}"#);
    assert_eq!(unknown_source.source.as_deref(), Some("tiktok_shop"));
}

#[test]
fn create_contact_201_example() {
    let c: CreatedContact = decode(
        r#"{"id": "01J1Y...", "phone": "+14155550123", "name": "Romain",
            "email": "romain@example.com", "tags": ["vip", "fr-FR"],
            "created_at": "2026-05-07T08:14:23+00:00"}"#,
    );
    assert_eq!(c.tags, ["vip", "fr-FR"]);
}

#[test]
fn sent_message_example() {
    let m: SentMessage = decode(
        r#"{"id": "01J1Z...", "status": "sent", "whatsapp_message_id": "wamid.HBgL...", "contact_id": "01J1Y..."}"#,
    );
    assert_eq!(m.whatsapp_message_id.as_deref(), Some("wamid.HBgL..."));
}

#[test]
fn contact_updates_searches_and_tags() {
    let u: UpdatedContact = decode(
        r#"{"id": "01J1Y", "phone": "+14155550123", "name": null, "email": null,
            "tags": ["vip"], "updated_at": "2026-05-07T08:14:23+00:00"}"#,
    );
    assert_eq!(u.name, None);
    let found: Vec<ContactSummary> = decode(
        r#"[{"id": "01J1Y", "phone": "+14155550123", "name": "Romain", "email": "r@example.com",
             "source": "api", "tags": ["vip"], "last_message_at": null,
             "created_at": "2026-04-15T10:32:00+00:00"}]"#,
    );
    assert_eq!(found[0].source.as_deref(), Some("api"));
    let added: TagAdded = decode(
        r#"{"id": "01J1Y", "phone": "+14155550123", "tag_added": "vip", "tags": ["vip", "beta"]}"#,
    );
    assert_eq!(added.tag_added.as_deref(), Some("vip"));
    let removed: TagRemoved =
        decode(r#"{"id": "01J1Y", "phone": "+14155550123", "tag_removed": "vip", "tags": []}"#);
    assert!(removed.tags.is_empty());
}

#[test]
fn templates_examples() {
    let list: Vec<TemplateSummary> = decode(
        r#"[{"id": "01J0AB...", "name": "order_shipped", "category": "UTILITY", "status": "APPROVED",
             "languages": ["en", "fr"], "created_at": "2026-04-01T09:00:00+00:00"}]"#,
    );
    assert_eq!(list[0].languages, ["en", "fr"]);
    let t: Template = decode(
        r#"{"id": "01J0AB...", "name": "order_shipped", "category": "UTILITY", "status": "APPROVED",
            "languages": ["en"], "body": "Hi {{1}}, your order {{2}} is shipping today. Track it: {{3}}",
            "header_type": null, "header_content": null, "footer": null,
            "buttons": [{"type": "URL", "text": "Track", "url": "https://shop.example/track/{{1}}"}],
            "placeholders": ["1", "2", "3"], "created_at": "2026-04-01T09:00:00+00:00"}"#,
    );
    assert_eq!(t.placeholders, ["1", "2", "3"]);
    assert_eq!(t.buttons[0].type_.as_deref(), Some("URL"));
    let odd_button: TemplateButton =
        decode(r#"{"type": "COPY_CODE", "text": "Copy", "example": ["X"]}"#);
    assert_eq!(odd_button.type_.as_deref(), Some("COPY_CODE"));
}

#[test]
fn sequences_flows_and_sessions() {
    let s: Sequence = decode(
        r#"{"id": "01J2S", "name": "Welcome", "status": "draft", "sessions_count": 0,
            "published_at": null, "created_at": "2026-04-01T09:00:00+00:00"}"#,
    );
    assert_eq!(s.published_at, None);
    let f: Flow = decode(
        r#"{"id": "01J2F", "name": "Cart", "status": "published", "trigger_type": "instagram_dm",
            "sessions_count": 12, "published_at": "2026-04-02T09:00:00+00:00",
            "created_at": "2026-04-01T09:00:00+00:00"}"#,
    );
    assert_eq!(f.trigger_type.as_deref(), Some("instagram_dm"));
    let sessions: Vec<FlowSession> = decode(
        r#"[{"id": "01J3S", "flow_id": "01J2F", "flow_name": "Cart", "contact_id": "01J1Y",
             "contact_phone": "+14155550123", "contact_name": "Romain", "contact_email": null,
             "status": "paused_by_agent", "current_node_id": "node_3", "context": {"cart_total": 42.5},
             "last_interaction_at": "2026-05-07T08:14:23+00:00", "expires_at": "2026-05-07T08:44:23+00:00",
             "completed_at": null, "created_at": "2026-05-07T08:10:00+00:00"}]"#,
    );
    assert_eq!(sessions[0].status.as_deref(), Some("paused_by_agent"));
    let seq_sessions: Vec<SequenceSession> =
        decode(r#"[{"id": "01J3T", "sequence_id": "01J2S", "whatever": 1}]"#);
    assert_eq!(seq_sessions[0].sequence_id.as_deref(), Some("01J2S"));
    let campaigns: Vec<Campaign> = decode(
        r#"[{"id": "01J5C", "name": "Spring", "status": "completed", "sent_count": 10, "revenue": 99.5}]"#,
    );
    assert_eq!(campaigns[0].sent_count, Some(10));
}

#[test]
fn trigger_results_started_and_already_running() {
    let started: TriggerResult = decode(r#"{"id": "01J3S", "status": "started"}"#);
    assert_eq!(started.id.as_deref(), Some("01J3S"));
    let running: TriggerResult = decode(r#"{"status": "already_running"}"#);
    assert_eq!(
        (running.id, running.status.as_str()),
        (None, "already_running")
    );
}

#[test]
fn dropdowns_and_both_tag_shapes() {
    let options: Vec<DropdownOption> = decode(r#"[{"id": "1", "label": "{{1}}"}]"#);
    assert_eq!(options[0].id, "1");
    let tags: Vec<ListedTag> =
        decode(r#"["vip", {"id": "01J6T", "name": "beta", "contacts_count": 3}]"#);
    assert_eq!(tags[0], ListedTag::String("vip".into()));
    assert!(matches!(&tags[1], ListedTag::TagObject(t) if t.name.as_deref() == Some("beta")));
}

#[test]
fn the_four_error_shapes_and_401() {
    let simple: ApiError = decode(r#"{"error": "Contact not found"}"#);
    assert_eq!(simple.error.as_deref(), Some("Contact not found"));
    let laravel: ApiError = decode(
        r#"{"message": "The given data was invalid.",
            "errors": {"phone": ["The phone field is required."], "template_id": ["The template id must be a valid UUID."]}}"#,
    );
    assert_eq!(
        laravel.errors["template_id"],
        ["The template id must be a valid UUID."]
    );
    let missing: ApiError = decode(
        r#"{"error": "Template requires variables that were not provided.",
            "expected_placeholders": ["name", "order", "tracking_url"], "missing": ["tracking_url"]}"#,
    );
    assert_eq!(missing.missing, ["tracking_url"]);
    let languages: ApiError = decode(
        r#"{"error": "Template has no approved translation to send.", "available_languages": ["fr"]}"#,
    );
    assert_eq!(languages.available_languages, ["fr"]);
    let unauthenticated: ApiError = decode(r#"{"message": "Unauthenticated."}"#);
    assert_eq!(unauthenticated.message.as_deref(), Some("Unauthenticated."));
    let future: ApiError = decode(r#"{"error": "x", "meta_code": 131047, "trace_id": "abc"}"#);
    assert_eq!(future.error.as_deref(), Some("x"));
}
