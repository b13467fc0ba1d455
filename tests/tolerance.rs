//! Every optional field of every response schema (and webhook payload) reads an explicit `null`.
//!
//! Laravel writes an unset nullable column as `null`, and the docs never promise an optional
//! field is absent rather than null. The rule lives in `build/codegen.rs` (`Tolerate`: an optional list
//! or map reads `null` as empty; optional scalars are `Option`s); this test walks the spec, not
//! the code, so a schema or field added later is covered without an edit here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

type Decoder = fn(Value) -> Result<(), serde_json::Error>;

/// A decoder per component schema of `openapi.yaml`; the test fails when the spec has a schema
/// this list lacks, so a new one cannot be skipped.
macro_rules! decoders {
    ($($name:ident),* $(,)?) => {
        BTreeMap::from([$(
            (
                stringify!($name),
                (|value| serde_json::from_value::<qyvo::types::$name>(value).map(drop)) as Decoder,
            ),
        )*])
    };
}

fn decoders() -> BTreeMap<&'static str, Decoder> {
    decoders![
        ApiError,
        Campaign,
        Contact,
        ContactSummary,
        ContactTagRequest,
        CreateContactRequest,
        CreatedContact,
        DropdownOption,
        Flow,
        FlowSession,
        GetContactRequest,
        GetFlowRequest,
        GetSequenceRequest,
        GetTemplateRequest,
        InboundMessage,
        ListTagsRequest,
        ListTemplatesRequest,
        ListedTag,
        Me,
        MessageContent,
        MessageTypeFilter,
        SearchContactsRequest,
        SendTemplateMessageRequest,
        SendTextMessageRequest,
        SentMessage,
        Sequence,
        SequenceSession,
        TagAdded,
        TagObject,
        TagRemoved,
        Template,
        TemplateButton,
        TemplateStatus,
        TemplateSummary,
        Tenant,
        TriggerFlowRequest,
        TriggerResult,
        TriggerSequenceRequest,
        UpdateContactRequest,
        UpdatedContact,
        WebhookContact,
        WebhookMessageReceived,
        WebhookMessageStatus,
        WebhookTest,
    ]
}

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml is readable");
    yaml_serde::from_str(&text).expect("openapi.yaml is YAML")
}

/// The schema a `$ref` points to, or the schema itself.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(spec, spec.pointer(pointer).expect("every $ref resolves"))
        }
        None => schema,
    }
}

/// The component schema names `schema` refers to, at any depth.
fn refs(schema: &Value, found: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                found.insert(name.to_owned());
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

/// Every component schema a response of any operation, or a webhook payload
/// (`Webhook*`), can contain: everything the SDK receives.
fn response_schemas(spec: &Value) -> BTreeSet<String> {
    let mut roots: BTreeSet<String> = spec["components"]["schemas"]
        .as_object()
        .expect("component schemas")
        .keys()
        .filter(|name| name.starts_with("Webhook"))
        .cloned()
        .collect();
    for item in spec["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("a path item").values() {
            for response in operation["responses"]
                .as_object()
                .expect("responses")
                .values()
            {
                refs(resolve(spec, response), &mut roots);
            }
        }
    }
    let mut reachable = BTreeSet::new();
    let mut queue: Vec<String> = roots.into_iter().collect();
    while let Some(name) = queue.pop() {
        if reachable.insert(name.clone()) {
            let mut next = BTreeSet::new();
            refs(&spec["components"]["schemas"][&name], &mut next);
            queue.extend(next);
        }
    }
    reachable
}

/// The smallest instance of `schema`: required properties only, first enum value or arm.
fn minimal(spec: &Value, schema: &Value) -> Value {
    let schema = resolve(spec, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.first().cloned().unwrap_or(Value::Null);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema.get(key).and_then(|arms| arms.get(0)) {
            return minimal(spec, first);
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = serde_json::Map::new();
        for part in parts {
            if let Value::Object(fields) = minimal(spec, part) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-05-07T08:14:23Z"),
            Some("date") => json!("2026-05-07"),
            _ => json!("x"),
        },
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => {
            let mut object = serde_json::Map::new();
            for name in required(schema) {
                object.insert(name.clone(), minimal(spec, &schema["properties"][&name]));
            }
            Value::Object(object)
        }
    }
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The paths of every optional property of `schema`, into inline objects too (a `$ref` is its
/// own component, checked on its own).
fn optional_paths(schema: &Value, prefix: &[String], out: &mut Vec<Vec<String>>) {
    if schema.get("$ref").is_some() {
        return;
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        optional_paths(part, prefix, out);
    }
    let required = required(schema);
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path: Vec<String> = prefix.iter().cloned().chain([name.clone()]).collect();
        if !required.contains(name) {
            out.push(path.clone());
        }
        optional_paths(property, &path, out);
    }
}

/// `instance` with the property at `path` set to `null`, creating the objects on the way.
fn with_null(spec: &Value, component: &Value, path: &[String]) -> Value {
    let mut instance = minimal(spec, component);
    let mut schema = resolve(spec, component);
    let mut at = &mut instance;
    for (depth, name) in path.iter().enumerate() {
        let property = resolve(spec, &schema["properties"][name]);
        let object = at.as_object_mut().expect("a path goes through objects");
        if depth + 1 == path.len() {
            object.insert(name.clone(), Value::Null);
            break;
        }
        at = object
            .entry(name.clone())
            .or_insert_with(|| minimal(spec, property));
        schema = property;
    }
    instance
}

#[test]
fn every_optional_field_of_every_response_schema_reads_null() {
    let spec = spec();
    let decoders = decoders();
    let components: BTreeSet<_> = spec["components"]["schemas"]
        .as_object()
        .expect("component schemas")
        .keys()
        .cloned()
        .collect();
    let listed: BTreeSet<_> = decoders.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(
        components, listed,
        "add every component schema to `decoders!` (the list above)"
    );

    let responses = response_schemas(&spec);
    assert!(responses.contains("Contact") && responses.contains("ApiError"));
    assert!(responses.contains("WebhookMessageStatus") && responses.contains("InboundMessage"));
    let mut checked = 0;
    let mut failures = Vec::new();
    for name in &responses {
        let component = &spec["components"]["schemas"][name];
        let decode = decoders[name.as_str()];
        decode(minimal(&spec, component))
            .unwrap_or_else(|e| panic!("the minimal {name} does not decode: {e}"));
        let mut paths = Vec::new();
        optional_paths(component, &[], &mut paths);
        for path in paths {
            checked += 1;
            let instance = with_null(&spec, component, &path);
            if let Err(e) = decode(instance) {
                failures.push(format!("{name}.{}: {e}", path.join(".")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "optional fields that reject null:\n{}",
        failures.join("\n")
    );
    // The responses hold about a hundred optional fields; fewer means the walk went blind.
    assert!(checked >= 90, "only {checked} optional fields were checked");
}

#[test]
fn a_template_stored_without_lists_and_a_contact_without_tags_decode() {
    let template: qyvo::types::Template = serde_json::from_value(json!({
        "id": "01J0TPL", "name": "order_shipped", "body": "Hi {{1}}",
        "buttons": null, "languages": null, "placeholders": null,
    }))
    .expect("null lists read as empty");
    assert!(template.buttons.is_empty() && template.languages.is_empty());
    assert!(template.placeholders.is_empty());
    let page: Vec<qyvo::types::ContactSummary> = serde_json::from_value(json!([
        {"id": "01J1", "phone": "+14155550123", "tags": ["vip"]},
        {"id": "01J2", "phone": "+33142764978", "tags": null},
    ]))
    .expect("one contact's null tags do not fail the page");
    assert_eq!(page[0].tags, ["vip"]);
    assert!(page[1].tags.is_empty());
}
