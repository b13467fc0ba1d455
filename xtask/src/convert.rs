//! Down-conversion of an OpenAPI 3.1 document to OpenAPI 3.0.3, on the `serde_json::Value` tree.
//!
//! The walk knows every object kind of the OpenAPI document (root, info, paths, operations,
//! parameters, media types, responses, headers, components, schemas, ...) and, for each, the
//! keywords it may carry. A keyword is either kept, rewritten into its 3.0 form, dropped (a
//! [`Note`] says where and why) or rejected with its JSONPath
//! ([`ConvertError::UnsupportedKeyword`]): nothing unknown passes silently.
//!
//! Schema rewrites (each decided by what keeps the generated types correct; `docs/spec-sync.md`
//! gives the reasons): `type: [T, "null"]` → `type: T` + `nullable: true` (several non-null types
//! become an `anyOf` of one-type schemas); `anyOf`/`oneOf` arms of `type: "null"` → `nullable`
//! (a single `$ref` arm left becomes `allOf: [$ref]`); `const` → one-value `enum`; `examples` →
//! `example` (the first); numeric `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum`
//! with the boolean flag; `contentEncoding`/`contentMediaType` → `format: byte`/`binary` where
//! 3.0 has one, dropped otherwise (they only annotate); `prefixItems` (and the older array form
//! of `items`) → an `items` that accepts every member, bounds kept; `additionalItems` dropped
//! (JSON Schema 2020-12 gives it no meaning); `$ref` with siblings → `allOf: [$ref]` plus the
//! siblings (assertions in a second `allOf` arm, a `type` the target already has dropped);
//! `enum: []` and `default`s that contradict their schema dropped; boolean schemas → `{}` /
//! `{not: {}}`.
//!
//! A 3.0.x document passes through unchanged.

use serde_json::{Map, Value, json};

use crate::location::Location;
use crate::operations::{METHODS, is_json, is_json_suffix, pascal};

/// Why a document cannot be down-converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The root has no `openapi` string.
    #[error("the document has no `openapi` version string")]
    MissingVersion,
    /// The `openapi` version is neither 3.0.x nor 3.1.x.
    #[error("unsupported openapi version `{version}` (expected 3.0.x or 3.1.x)")]
    UnsupportedVersion {
        /// The version found.
        version: String,
    },
    /// A node has the wrong JSON type for its position.
    #[error("{location}: expected {expected}")]
    Shape {
        /// Where the node is.
        location: Location,
        /// What the position requires.
        expected: &'static str,
    },
    /// A keyword with no OpenAPI 3.0 equivalent (or unknown to this converter).
    #[error("{location}: `{keyword}` is not supported by the 3.0 conversion")]
    UnsupportedKeyword {
        /// The object that carries the keyword.
        location: Location,
        /// The keyword.
        keyword: String,
    },
    /// A known keyword whose value or combination has no 3.0 form.
    #[error("{location}: `{keyword}` cannot be converted: {reason}")]
    UnsupportedValue {
        /// The object that carries the keyword.
        location: Location,
        /// The keyword.
        keyword: String,
        /// Why.
        reason: &'static str,
    },
}

/// One lossy step of a conversion: where, and what was done there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The node the step changed, in the input document.
    pub location: Location,
    /// What was done, e.g. `` dropped `$comment` (3.0 has no such keyword; it only annotates) ``.
    pub action: String,
}

impl Note {
    /// A note at `location`.
    pub fn new(location: Location, action: impl Into<String>) -> Self {
        Self {
            location,
            action: action.into(),
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.action)
    }
}

/// The result of a down-conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The OpenAPI 3.0.3 document.
    pub document: Value,
    /// Every lossy step: dropped keywords and rewrites that change what the document says.
    pub notes: Vec<Note>,
}

/// Down-converts an OpenAPI 3.1 document to 3.0.3; a 3.0.x document is returned unchanged.
///
/// ```
/// use serde_json::json;
///
/// let doc = json!({
///     "openapi": "3.1.0",
///     "info": {"title": "t", "version": "1", "summary": "dropped"},
///     "paths": {},
///     "components": {"schemas": {"Name": {"type": ["string", "null"], "examples": ["Ada"]}}}
/// });
/// let converted = xtask::convert::down_convert(doc)?;
/// assert_eq!(converted.document["openapi"], "3.0.3");
/// assert_eq!(
///     converted.document["components"]["schemas"]["Name"],
///     json!({"type": "string", "nullable": true, "example": "Ada"})
/// );
/// assert_eq!(converted.notes[0].location.to_string(), "$.info.summary");
/// # Ok::<(), xtask::convert::ConvertError>(())
/// ```
pub fn down_convert(mut document: Value) -> Result<Conversion> {
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut ids = Map::new();
    let mut anchors = Map::new();
    for (name, schema) in &schemas {
        if let Some(id) = schema.get("$id").and_then(Value::as_str) {
            ids.insert(
                id.to_owned(),
                Value::from(format!("#/components/schemas/{name}")),
            );
        }
        collect_anchors(schema, &mut anchors);
    }
    let mut converter = Converter {
        schemas,
        ids,
        anchors,
        notes: Vec::new(),
    };
    converter.root(&mut document)?;
    Ok(Conversion {
        document,
        notes: converter.notes,
    })
}

const ROOT: &[&str] = &[
    "openapi",
    "info",
    "servers",
    "paths",
    "components",
    "security",
    "tags",
    "externalDocs",
];
const ROOT_DROP: &[&str] = &["jsonSchemaDialect", "webhooks"];
const INFO: &[&str] = &[
    "title",
    "description",
    "termsOfService",
    "contact",
    "license",
    "version",
];
const CONTACT: &[&str] = &["name", "url", "email"];
const LICENSE: &[&str] = &["name", "url"];
const SERVER: &[&str] = &["url", "description", "variables"];
const SERVER_VARIABLE: &[&str] = &["enum", "default", "description"];
const TAG: &[&str] = &["name", "description", "externalDocs"];
const EXTERNAL_DOCS: &[&str] = &["description", "url"];
const COMPONENTS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
];
const PATH_ITEM: &[&str] = &[
    "$ref",
    "summary",
    "description",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "servers",
    "parameters",
];
const OPERATION: &[&str] = &[
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "deprecated",
    "security",
    "servers",
];
/// The keys a Parameter Object carries besides those of a Header Object.
const PARAMETER_ONLY: &[&str] = &["name", "in"];
/// The keys of a Header Object, which a Parameter Object shares.
const HEADER: &[&str] = &[
    "description",
    "required",
    "deprecated",
    "allowEmptyValue",
    "style",
    "explode",
    "allowReserved",
    "schema",
    "example",
    "examples",
    "content",
];
const REQUEST_BODY: &[&str] = &["description", "content", "required"];
const MEDIA_TYPE: &[&str] = &["schema", "example", "examples", "encoding"];
const ENCODING: &[&str] = &[
    "contentType",
    "headers",
    "style",
    "explode",
    "allowReserved",
];
const RESPONSE: &[&str] = &["description", "headers", "content", "links"];
const EXAMPLE: &[&str] = &["summary", "description", "value", "externalValue"];
const LINK: &[&str] = &[
    "operationRef",
    "operationId",
    "parameters",
    "requestBody",
    "description",
    "server",
];
const SECURITY_SCHEME: &[&str] = &[
    "type",
    "description",
    "name",
    "in",
    "scheme",
    "bearerFormat",
    "flows",
    "openIdConnectUrl",
];
const REFERENCE: &[&str] = &["$ref"];
const REFERENCE_DROP: &[&str] = &["summary", "description"];

/// Schema keywords that mean the same in 3.0 and are kept as they are.
const SCHEMA_KEEP: &[&str] = &[
    "$ref",
    "title",
    "multipleOf",
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "description",
    "format",
    "default",
    "nullable",
    "discriminator",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "example",
    "deprecated",
];
/// Schema keywords 3.0 lacks whose loss does not change what a client accepts or sends.
const SCHEMA_DROP: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "$vocabulary",
    "$dynamicAnchor",
    "unevaluatedProperties",
    "contentSchema",
];
/// JSON Schema 2020-12 keywords that change what validates and have no 3.0 form: refused.
/// Any other unknown keyword is not in the vocabulary, so JSON Schema ignores it: dropped.
const SCHEMA_REFUSE: &[&str] = &[
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
    "$defs",
    "definitions",
];
/// Siblings of a `$ref` that only annotate: they stay next to its `allOf`.
const REF_ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "xml",
    "nullable",
    "default",
];
/// Keys an arm of `anyOf`/`oneOf` may carry besides `type: "null"` and still be a null arm.
const ANNOTATIONS: &[&str] = &["title", "description", "$comment"];

struct Converter {
    /// The input's `components.schemas`, to resolve a `$ref` whose siblings need its target.
    schemas: Map<String, Value>,
    /// `$id` of a component schema → its `#/components/schemas/...` reference.
    ids: Map<String, Value>,
    /// `$anchor` name → the (unconverted) subschema that declares it.
    anchors: Map<String, Value>,
    notes: Vec<Note>,
}

type Result<T = ()> = std::result::Result<T, ConvertError>;

/// The component name of a webhook's payload: `message.received` → `WebhookMessageReceived`.
fn webhook_schema_name(webhook: &str) -> String {
    format!("Webhook{}", pascal(webhook))
}

/// Why a field 3.0 lacks can go.
fn drop_reason(key: &str) -> &'static str {
    match key {
        "webhooks" => {
            "dropped (3.0 has no webhooks; their JSON payloads are kept as component schemas)"
        }
        "pathItems" => "dropped (3.0 has no reusable path items; none is referenced then)",
        "unevaluatedProperties" => {
            "dropped (3.0 has no such keyword; extra properties are accepted, as everywhere)"
        }
        _ => "dropped (3.0 has no such field; it only annotates)",
    }
}

fn object<'a>(value: &'a mut Value, location: &Location) -> Result<&'a mut Map<String, Value>> {
    value.as_object_mut().ok_or_else(|| ConvertError::Shape {
        location: location.clone(),
        expected: "an object",
    })
}

fn array<'a>(value: &'a mut Value, location: &Location) -> Result<&'a mut Vec<Value>> {
    value.as_array_mut().ok_or_else(|| ConvertError::Shape {
        location: location.clone(),
        expected: "an array",
    })
}

fn is_extension(key: &str) -> bool {
    key.starts_with("x-")
}

fn is_reference(value: &Value) -> bool {
    value.get("$ref").is_some()
}

impl Converter {
    /// Drops the `drop` keys of `map` (recording them) and rejects keys outside `allowed`.
    fn keys(
        &mut self,
        map: &mut Map<String, Value>,
        location: &Location,
        allowed: &[&str],
        drop: &[&str],
    ) -> Result {
        let dropped: Vec<String> = map
            .keys()
            .filter(|k| drop.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in dropped {
            map.shift_remove(&key);
            self.notes
                .push(Note::new(location.key(&key), drop_reason(&key)));
        }
        match map
            .keys()
            .find(|k| !is_extension(k) && !allowed.contains(&k.as_str()))
        {
            Some(keyword) => Err(ConvertError::UnsupportedKeyword {
                location: location.clone(),
                keyword: keyword.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Checks an object of a fixed kind that holds no nested OpenAPI objects to convert.
    fn plain(
        &mut self,
        parent: &mut Map<String, Value>,
        key: &str,
        location: &Location,
        allowed: &[&str],
        drop: &[&str],
    ) -> Result {
        if let Some(value) = parent.get_mut(key) {
            let here = location.key(key);
            self.keys(object(value, &here)?, &here, allowed, drop)?;
        }
        Ok(())
    }

    /// Applies `each` to every member of the map at `parent[key]`, skipping extensions.
    fn each_member(
        &mut self,
        parent: &mut Map<String, Value>,
        key: &str,
        location: &Location,
        mut each: impl FnMut(&mut Self, &mut Value, &Location) -> Result,
    ) -> Result {
        if let Some(value) = parent.get_mut(key) {
            let here = location.key(key);
            for (name, member) in object(value, &here)? {
                if !is_extension(name) {
                    each(self, member, &here.key(name))?;
                }
            }
        }
        Ok(())
    }

    /// Applies `each` to every element of the array at `parent[key]`.
    fn each_element(
        &mut self,
        parent: &mut Map<String, Value>,
        key: &str,
        location: &Location,
        mut each: impl FnMut(&mut Self, &mut Value, &Location) -> Result,
    ) -> Result {
        if let Some(value) = parent.get_mut(key) {
            let here = location.key(key);
            for (i, element) in array(value, &here)?.iter_mut().enumerate() {
                each(self, element, &here.index(i))?;
            }
        }
        Ok(())
    }

    fn root(&mut self, document: &mut Value) -> Result {
        let location = Location::root();
        let root = object(document, &location)?;
        let version = root
            .get("openapi")
            .and_then(Value::as_str)
            .ok_or(ConvertError::MissingVersion)?
            .to_owned();
        if version.starts_with("3.1.") {
            root.insert("openapi".into(), Value::from("3.0.3"));
            if !root.contains_key("paths") {
                root.insert("paths".into(), json!({}));
            }
        } else if !version.starts_with("3.0.") {
            return Err(ConvertError::UnsupportedVersion { version });
        }
        self.lift_webhooks(root);
        self.keys(root, &location, ROOT, ROOT_DROP)?;
        if let Some(info) = root.get_mut("info") {
            let here = location.key("info");
            let info = object(info, &here)?;
            self.keys(info, &here, INFO, &["summary"])?;
            self.plain(info, "contact", &here, CONTACT, &[])?;
            self.plain(info, "license", &here, LICENSE, &["identifier"])?;
        }
        self.each_element(root, "servers", &location, Self::server)?;
        self.each_element(root, "tags", &location, |this, tag, here| {
            let tag = object(tag, here)?;
            this.keys(tag, here, TAG, &[])?;
            this.plain(tag, "externalDocs", here, EXTERNAL_DOCS, &[])
        })?;
        self.plain(root, "externalDocs", &location, EXTERNAL_DOCS, &[])?;
        self.each_member(root, "paths", &location, Self::path_item)?;
        if let Some(components) = root.get_mut("components") {
            self.components(components, &location.key("components"))?;
        }
        self.mutual_tls(root);
        Ok(())
    }

    /// 3.0 has no `webhooks`: each webhook's JSON payload schema becomes a component schema
    /// (`message.received` → `WebhookMessageReceived`), so the generator still makes its type;
    /// the webhook itself goes with `webhooks`. A name already taken is left alone, reported.
    fn lift_webhooks(&mut self, root: &mut Map<String, Value>) {
        let Some(Value::Object(webhooks)) = root.get("webhooks") else {
            return;
        };
        let mut lifted = Vec::new();
        for (name, item) in webhooks {
            for method in METHODS {
                let Some(schema) = item
                    .get(*method)
                    .and_then(|operation| operation.pointer("/requestBody/content"))
                    .and_then(Value::as_object)
                    .and_then(|content| {
                        content
                            .iter()
                            .find(|(media, _)| is_json(media) || is_json_suffix(media))
                            .and_then(|(_, media)| media.get("schema"))
                    })
                else {
                    continue;
                };
                let from = Location::root()
                    .key("webhooks")
                    .key(name)
                    .key(method)
                    .key("requestBody");
                lifted.push((webhook_schema_name(name), schema.clone(), from));
            }
        }
        let components = root
            .entry("components")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
        let Some(Value::Object(schemas)) = components else {
            return;
        };
        for (name, schema, from) in lifted {
            let action = if schemas.contains_key(&name) {
                format!("payload not lifted: components.schemas.{name} exists")
            } else {
                schemas.insert(name.clone(), schema);
                format!(
                    "payload lifted to components.schemas.{name} (3.0 has no webhooks; its type is still generated)"
                )
            };
            self.notes.push(Note::new(from, action));
        }
    }

    fn server(&mut self, server: &mut Value, location: &Location) -> Result {
        let server = object(server, location)?;
        self.keys(server, location, SERVER, &[])?;
        self.each_member(server, "variables", location, |this, variable, here| {
            this.keys(object(variable, here)?, here, SERVER_VARIABLE, &[])
        })
    }

    fn components(&mut self, components: &mut Value, location: &Location) -> Result {
        let components = object(components, location)?;
        self.keys(components, location, COMPONENTS, &["pathItems"])?;
        self.each_member(components, "schemas", location, Self::schema)?;
        self.each_member(components, "responses", location, Self::response)?;
        self.each_member(components, "parameters", location, Self::parameter)?;
        self.each_member(components, "examples", location, Self::example)?;
        self.each_member(components, "requestBodies", location, Self::request_body)?;
        self.each_member(components, "headers", location, Self::header)?;
        self.each_member(
            components,
            "securitySchemes",
            location,
            Self::security_scheme,
        )?;
        self.each_member(components, "links", location, Self::link)?;
        self.each_member(components, "callbacks", location, Self::callback)
    }

    /// Checks a Reference Object (not a schema `$ref`): 3.1's `summary`/`description` siblings go.
    fn reference(&mut self, value: &mut Value, location: &Location) -> Result {
        self.keys(
            object(value, location)?,
            location,
            REFERENCE,
            REFERENCE_DROP,
        )
    }

    fn path_item(&mut self, item: &mut Value, location: &Location) -> Result {
        let item = object(item, location)?;
        self.keys(item, location, PATH_ITEM, &[])?;
        self.each_element(item, "servers", location, Self::server)?;
        self.each_element(item, "parameters", location, Self::parameter)?;
        for method in METHODS {
            if let Some(operation) = item.get_mut(*method) {
                self.operation(operation, &location.key(method))?;
            }
        }
        Ok(())
    }

    fn operation(&mut self, operation: &mut Value, location: &Location) -> Result {
        let operation = object(operation, location)?;
        self.keys(operation, location, OPERATION, &[])?;
        self.plain(operation, "externalDocs", location, EXTERNAL_DOCS, &[])?;
        self.each_element(operation, "parameters", location, Self::parameter)?;
        if let Some(body) = operation.get_mut("requestBody") {
            self.request_body(body, &location.key("requestBody"))?;
        }
        self.each_member(operation, "responses", location, Self::response)?;
        self.each_member(operation, "callbacks", location, Self::callback)?;
        self.each_element(operation, "servers", location, Self::server)
    }

    fn callback(&mut self, callback: &mut Value, location: &Location) -> Result {
        if is_reference(callback) {
            return self.reference(callback, location);
        }
        for (expression, item) in object(callback, location)? {
            if !is_extension(expression) {
                self.path_item(item, &location.key(expression))?;
            }
        }
        Ok(())
    }

    fn parameter(&mut self, parameter: &mut Value, location: &Location) -> Result {
        self.parameter_like(parameter, location, PARAMETER_ONLY)
    }

    fn header(&mut self, header: &mut Value, location: &Location) -> Result {
        self.parameter_like(header, location, &[])
    }

    /// Checks a Parameter or Header Object; `own` are the keys the kind adds to [`HEADER`].
    fn parameter_like(&mut self, value: &mut Value, location: &Location, own: &[&str]) -> Result {
        if is_reference(value) {
            return self.reference(value, location);
        }
        let map = object(value, location)?;
        self.keys(map, location, &[own, HEADER].concat(), &[])?;
        if let Some(schema) = map.get_mut("schema") {
            self.schema(schema, &location.key("schema"))?;
        }
        self.each_member(map, "examples", location, Self::example)?;
        self.each_member(map, "content", location, Self::media_type)
    }

    fn request_body(&mut self, body: &mut Value, location: &Location) -> Result {
        if is_reference(body) {
            return self.reference(body, location);
        }
        let body = object(body, location)?;
        self.keys(body, location, REQUEST_BODY, &[])?;
        self.each_member(body, "content", location, Self::media_type)
    }

    fn media_type(&mut self, media: &mut Value, location: &Location) -> Result {
        let media = object(media, location)?;
        self.keys(media, location, MEDIA_TYPE, &[])?;
        if let Some(schema) = media.get_mut("schema") {
            self.schema(schema, &location.key("schema"))?;
        }
        self.each_member(media, "examples", location, Self::example)?;
        self.each_member(media, "encoding", location, |this, encoding, here| {
            let encoding = object(encoding, here)?;
            this.keys(encoding, here, ENCODING, &[])?;
            this.each_member(encoding, "headers", here, Self::header)
        })
    }

    fn response(&mut self, response: &mut Value, location: &Location) -> Result {
        if is_reference(response) {
            return self.reference(response, location);
        }
        let response = object(response, location)?;
        self.keys(response, location, RESPONSE, &[])?;
        self.each_member(response, "headers", location, Self::header)?;
        self.each_member(response, "content", location, Self::media_type)?;
        self.each_member(response, "links", location, Self::link)
    }

    fn example(&mut self, example: &mut Value, location: &Location) -> Result {
        if is_reference(example) {
            return self.reference(example, location);
        }
        self.keys(object(example, location)?, location, EXAMPLE, &[])
    }

    fn link(&mut self, link: &mut Value, location: &Location) -> Result {
        if is_reference(link) {
            return self.reference(link, location);
        }
        self.keys(object(link, location)?, location, LINK, &[])
    }

    fn security_scheme(&mut self, scheme: &mut Value, location: &Location) -> Result {
        if is_reference(scheme) {
            return self.reference(scheme, location);
        }
        let scheme = object(scheme, location)?;
        self.keys(scheme, location, SECURITY_SCHEME, &[])
    }

    /// 3.0 has no `mutualTLS` scheme: it goes, with every security requirement naming it (the
    /// client's TLS configuration is reqwest's, and progenitor reads no security anyway).
    fn mutual_tls(&mut self, root: &mut Map<String, Value>) {
        let Some(schemes) = root
            .get_mut("components")
            .and_then(|c| c.get_mut("securitySchemes"))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let names: Vec<String> = schemes
            .iter()
            .filter(|(_, s)| s.get("type").and_then(Value::as_str) == Some("mutualTLS"))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &names {
            schemes.shift_remove(name);
            self.notes.push(Note::new(
                Location::root()
                    .key("components")
                    .key("securitySchemes")
                    .key(name),
                "dropped with the requirements naming it (3.0 has no mutualTLS scheme; TLS is the HTTP client's)",
            ));
        }
        if names.is_empty() {
            return;
        }
        let strip = |requirements: &mut Value| {
            if let Some(list) = requirements.as_array_mut() {
                for requirement in list.iter_mut() {
                    if let Some(requirement) = requirement.as_object_mut() {
                        requirement.retain(|name, _| !names.contains(name));
                    }
                }
                list.retain(|r| r.as_object().is_none_or(|r| !r.is_empty()));
            }
        };
        if let Some(security) = root.get_mut("security") {
            strip(security);
        }
        for item in root
            .get_mut("paths")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|paths| paths.values_mut())
            .filter_map(Value::as_object_mut)
        {
            for method in METHODS {
                if let Some(security) = item.get_mut(*method).and_then(|op| op.get_mut("security"))
                {
                    strip(security);
                }
            }
        }
    }

    fn schema(&mut self, schema: &mut Value, location: &Location) -> Result {
        match schema {
            Value::Bool(true) => *schema = json!({}),
            Value::Bool(false) => *schema = json!({"not": {}}),
            Value::Object(map) => {
                self.resolve_identifiers(map, location);
                let collapsed = collapse_null_arms(std::mem::take(map), location)?;
                let mut converted = self.schema_keywords(collapsed, location)?;
                if converted.contains_key("$ref") && converted.len() > 1 {
                    converted = self.wrap_reference(converted, location)?;
                }
                self.check_default(&mut converted, location);
                *map = converted;
            }
            _ => {
                return Err(ConvertError::Shape {
                    location: location.clone(),
                    expected: "a schema object",
                });
            }
        }
        Ok(())
    }

    /// A `$ref` to a component's `$id` becomes its `#/components/schemas/...` reference; a `$ref` to
    /// an `$anchor` (`#name` or `<id>#name`) is replaced by the anchored subschema, its siblings
    /// winning (progenitor resolves only component references).
    fn resolve_identifiers(&mut self, map: &mut Map<String, Value>, location: &Location) {
        let Some(reference) = map.get("$ref").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        if let Some(pointer) = self.ids.get(&reference) {
            self.notes.push(Note::new(
                location.key("$ref"),
                format!("`{reference}` (a schema's $id) written as {pointer}"),
            ));
            map.insert("$ref".into(), pointer.clone());
            return;
        }
        let anchor = reference
            .rsplit_once('#')
            .map(|(_, a)| a)
            .unwrap_or_default();
        let Some(target) = self.anchors.get(anchor).and_then(Value::as_object) else {
            return;
        };
        map.shift_remove("$ref");
        for (key, value) in target {
            if key != "$anchor" && !map.contains_key(key) {
                map.insert(key.clone(), value.clone());
            }
        }
        self.notes.push(Note::new(
            location.key("$ref"),
            format!("`{reference}` (an $anchor) replaced by the schema it names"),
        ));
    }

    /// Rewrites the keywords of one schema object in place order and recurses into subschemas.
    fn schema_keywords(
        &mut self,
        mut map: Map<String, Value>,
        location: &Location,
    ) -> Result<Map<String, Value>> {
        let unsupported = |keyword: &str, reason| ConvertError::UnsupportedValue {
            location: location.clone(),
            keyword: keyword.to_owned(),
            reason,
        };
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if map.get(exclusive).is_some_and(Value::is_number) && map.contains_key(bound) {
                return Err(unsupported(
                    exclusive,
                    "a numeric exclusive bound next to an inclusive one",
                ));
            }
        }
        if map.contains_key("const") && map.contains_key("enum") {
            return Err(unsupported("const", "`const` next to `enum`"));
        }
        self.tuple(&mut map, location)?;
        let has_type = map.contains_key("type");
        let has_example = map.contains_key("example");
        let encoding = map.get("contentEncoding").cloned();
        let mut out = Map::new();
        for (key, mut value) in map {
            let here = location.key(&key);
            match key.as_str() {
                "type" => type_keyword(value, &here, &mut out)?,
                "const" => {
                    if value.is_null() {
                        out.insert("nullable".into(), Value::Bool(true));
                    } else if !has_type {
                        out.insert("type".into(), Value::from(json_type(&value)));
                    }
                    out.insert("enum".into(), Value::Array(vec![value]));
                }
                "examples" => match value {
                    Value::Array(values) => match values.into_iter().next() {
                        Some(first) if !has_example => {
                            out.insert("example".into(), first);
                        }
                        _ => self.notes.push(Note::new(
                            here,
                            "dropped (3.0 keeps one `example`; the first is kept)",
                        )),
                    },
                    _ => {
                        return Err(ConvertError::Shape {
                            location: here,
                            expected: "an array of examples",
                        });
                    }
                },
                "exclusiveMinimum" | "exclusiveMaximum" if value.is_number() => {
                    let bound = if key == "exclusiveMinimum" {
                        "minimum"
                    } else {
                        "maximum"
                    };
                    out.insert(bound.into(), value);
                    out.insert(key, Value::Bool(true));
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    out.insert(key, value);
                }
                "contentEncoding" => {
                    let format = match value.as_str() {
                        Some("base64" | "base64url") => Some("byte"),
                        Some("binary") => Some("binary"),
                        _ => None,
                    };
                    self.content_format(&mut out, format, here, &value);
                }
                "contentMediaType" => {
                    // Raw content of that type (a file part of a multipart body, say): `binary`.
                    // Textual types (JSON, text/*) and encoded content keep their string form.
                    let media = value.as_str().unwrap_or_default();
                    let textual = media.starts_with("text/") || media.contains("json");
                    let format = (encoding.is_none() && !textual).then_some("binary");
                    self.content_format(&mut out, format, here, &value);
                }
                "additionalItems" => self.notes.push(Note::new(
                    here,
                    "dropped (JSON Schema 2020-12 gives `additionalItems` no meaning)",
                )),
                "enum" if value.as_array().is_some_and(Vec::is_empty) => self.notes.push(
                    Note::new(here, "dropped (an empty enum admits no value at all)"),
                ),
                "enum" if unnameable(&value) => self.notes.push(Note::new(
                    here,
                    format!("dropped {value} (progenitor cannot name a distinct Rust variant for each value; they stay plain strings)"),
                )),
                "properties" => {
                    for (name, property) in object(&mut value, &here)? {
                        self.schema(property, &here.key(name))?;
                    }
                    out.insert(key, value);
                }
                "items" => {
                    self.schema(&mut value, &here)?;
                    out.insert(key, value);
                }
                "additionalProperties" => {
                    if !value.is_boolean() {
                        self.schema(&mut value, &here)?;
                    }
                    out.insert(key, value);
                }
                "allOf" | "anyOf" | "oneOf" => {
                    for (i, arm) in array(&mut value, &here)?.iter_mut().enumerate() {
                        self.schema(arm, &here.index(i))?;
                    }
                    out.insert(key, value);
                }
                "not" => {
                    self.schema(&mut value, &here)?;
                    if value == json!({"nullable": true, "enum": [null]}) {
                        // "Not null": a 3.0 schema excludes null unless it says `nullable`.
                        self.notes.push(Note::new(
                            here,
                            "dropped (a 3.0 schema without `nullable` already excludes null)",
                        ));
                    } else {
                        out.insert(key, value);
                    }
                }
                k if SCHEMA_KEEP.contains(&k) || is_extension(k) => {
                    out.insert(key, value);
                }
                k if SCHEMA_DROP.contains(&k) => {
                    self.notes.push(Note::new(here, drop_reason(k)));
                }
                k if SCHEMA_REFUSE.contains(&k) => {
                    return Err(ConvertError::UnsupportedKeyword {
                        location: location.clone(),
                        keyword: key,
                    });
                }
                _ => self.notes.push(Note::new(
                    here,
                    "dropped (not a JSON Schema keyword, so it only annotates)",
                )),
            }
        }
        Ok(out)
    }

    /// `contentEncoding`/`contentMediaType` annotate a string; `format` says the same in 3.0
    /// where it has a word for it (`byte` for base64, `binary` for raw octets).
    fn content_format(
        &mut self,
        out: &mut Map<String, Value>,
        format: Option<&str>,
        here: Location,
        value: &Value,
    ) {
        match format {
            Some(format) if !out.contains_key("format") => {
                out.insert("format".into(), Value::from(format));
                self.notes.push(Note::new(
                    here,
                    format!("{value} written as `format: {format}`"),
                ));
            }
            _ => self.notes.push(Note::new(
                here,
                format!("dropped {value} (it only annotates; 3.0 has no other form)"),
            )),
        }
    }

    /// A tuple (`prefixItems`, or the pre-2020 array form of `items` with `additionalItems`)
    /// becomes an `items` that accepts every member and every further item allowed; a closed
    /// tuple's length becomes its `maxItems`. Positions are no longer enforced (reported).
    fn tuple(&mut self, map: &mut Map<String, Value>, location: &Location) -> Result {
        let (keyword, members, rest) = match (map.shift_remove("prefixItems"), map.get("items")) {
            (Some(members), _) => ("prefixItems", members, map.shift_remove("items")),
            (None, Some(Value::Array(_))) => (
                "items",
                map.shift_remove("items").unwrap_or_default(),
                map.shift_remove("additionalItems"),
            ),
            _ => return Ok(()),
        };
        let here = location.key(keyword);
        let Value::Array(members) = members else {
            return Err(ConvertError::Shape {
                location: here,
                expected: "an array of schemas",
            });
        };
        let count = members.len();
        let mut accepted: Vec<Value> = Vec::new();
        for member in members
            .into_iter()
            .chain(rest.clone().filter(|r| *r != json!(false)))
        {
            if !accepted.contains(&member) {
                accepted.push(member);
            }
        }
        let items = match accepted.len() {
            0 => json!({"not": {}}),
            1 => accepted.remove(0),
            _ => json!({ "anyOf": accepted }),
        };
        map.insert("items".into(), items);
        if rest == Some(json!(false)) {
            let max = map
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(count as u64, |m| m.min(count as u64));
            map.insert("maxItems".into(), Value::from(max));
        }
        self.notes.push(Note::new(
            here,
            "tuple written as `items` accepting each member (positions are not enforced)",
        ));
        Ok(())
    }

    /// `{$ref, siblings...}` → `{annotations..., allOf: [{$ref}, {assertions...}]}`, `allOf` at
    /// the `$ref`'s place. A `type` the target already has is redundant and goes.
    fn wrap_reference(
        &mut self,
        map: Map<String, Value>,
        location: &Location,
    ) -> Result<Map<String, Value>> {
        if map.contains_key("allOf") {
            return Err(ConvertError::UnsupportedValue {
                location: location.clone(),
                keyword: "$ref".into(),
                reason: "`$ref` next to `allOf`",
            });
        }
        let target_type = map
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|name| self.schemas.get(name))
            .and_then(|target| target.get("type"))
            .cloned();
        let mut out = Map::new();
        let mut assertions = Map::new();
        let mut reference = Value::Null;
        for (key, value) in map {
            if key == "$ref" {
                reference = value;
                out.insert("allOf".into(), Value::Null);
            } else if key == "type" && target_type.as_ref() == Some(&value) {
                self.notes.push(Note::new(
                    location.key("type"),
                    "dropped (the referenced schema has the same type)",
                ));
            } else if REF_ANNOTATIONS.contains(&key.as_str()) || is_extension(&key) {
                out.insert(key, value);
            } else {
                assertions.insert(key, value);
            }
        }
        let mut arms = vec![json!({ "$ref": reference })];
        if !assertions.is_empty() {
            arms.push(Value::Object(assertions));
        }
        out.insert("allOf".into(), Value::Array(arms));
        Ok(out)
    }

    /// Drops a `default` that its own schema rejects: the wrong JSON type, `null` where null is
    /// not allowed, or a value outside the `enum` (the generated code could not hold it).
    fn check_default(&mut self, schema: &mut Map<String, Value>, location: &Location) {
        let Some(default) = schema.get("default") else {
            return;
        };
        let nullable = schema.get("nullable") == Some(&Value::Bool(true));
        let fits_type = match (default, schema.get("type").and_then(Value::as_str)) {
            (Value::Null, _) => nullable,
            (_, None) => true,
            (value, Some("integer")) => {
                value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (value, Some("number")) => value.is_number(),
            (value, Some(t)) => json_type(value) == t,
        };
        let fits_enum = schema
            .get("enum")
            .and_then(Value::as_array)
            .is_none_or(|values| values.contains(default));
        if !(fits_type && fits_enum) {
            let reason = if fits_type {
                "not one of the enum's values"
            } else {
                "the wrong type for its schema"
            };
            let note = format!("dropped {default} ({reason})");
            schema.shift_remove("default");
            self.notes.push(Note::new(location.key("default"), note));
        }
    }
}

/// `type` as a string stays; a type array becomes `type` + `nullable` or an `anyOf`.
fn type_keyword(value: Value, location: &Location, out: &mut Map<String, Value>) -> Result {
    let types: Vec<String> = match value {
        Value::String(t) => vec![t],
        Value::Array(types) => types
            .into_iter()
            .map(|t| match t {
                Value::String(t) => Ok(t),
                _ => Err(ConvertError::Shape {
                    location: location.clone(),
                    expected: "type names",
                }),
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(ConvertError::Shape {
                location: location.clone(),
                expected: "a type name or an array of them",
            });
        }
    };
    let nullable = types.iter().any(|t| t == "null");
    let mut non_null: Vec<String> = types.into_iter().filter(|t| t != "null").collect();
    match non_null.len() {
        0 => {
            out.insert("nullable".into(), Value::Bool(true));
            out.insert("enum".into(), json!([null]));
            return Ok(());
        }
        1 => {
            out.insert("type".into(), Value::from(non_null.remove(0)));
        }
        _ => {
            let arms = non_null.into_iter().map(|t| json!({ "type": t })).collect();
            out.insert("anyOf".into(), Value::Array(arms));
        }
    }
    if nullable {
        out.insert("nullable".into(), Value::Bool(true));
    }
    Ok(())
}

/// Every `$anchor` in `schema` and its subschemas, by name.
fn collect_anchors(schema: &Value, anchors: &mut Map<String, Value>) {
    match schema {
        Value::Object(map) => {
            if let Some(anchor) = map.get("$anchor").and_then(Value::as_str) {
                anchors.insert(anchor.to_owned(), schema.clone());
            }
            map.values().for_each(|v| collect_anchors(v, anchors));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_anchors(v, anchors)),
        _ => {}
    }
}

/// Whether typify would fail to give each string of `values` its own Rust variant name: it
/// PascalCases them (separators and case vanish), then retries with separators as `X`; values
/// that collide both ways make it panic.
fn unnameable(values: &Value) -> bool {
    let strings: Vec<&str> = values
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let collides = |name: &dyn Fn(&str) -> String| {
        let mut seen = std::collections::BTreeSet::new();
        !strings.iter().all(|s| seen.insert(name(s)))
    };
    let plain = |s: &str| {
        let name: String = s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() { "x".into() } else { name }
    };
    let marked = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    'x'
                }
            })
            .collect::<String>()
    };
    collides(&plain) && collides(&marked)
}

/// The JSON Schema type name of a `const` value.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether an `anyOf`/`oneOf` arm only says "null".
fn is_null_arm(arm: &Value) -> bool {
    arm.as_object().is_some_and(|arm| {
        arm.get("type").and_then(Value::as_str) == Some("null")
            && arm
                .keys()
                .all(|k| k == "type" || ANNOTATIONS.contains(&k.as_str()))
    })
}

/// Replaces `anyOf`/`oneOf` null arms by `nullable: true`, at the combinator's position.
fn collapse_null_arms(map: Map<String, Value>, location: &Location) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut hoisted = Map::new();
    for (key, value) in map {
        let combinator = key == "anyOf" || key == "oneOf";
        let arms = match value {
            Value::Array(arms) if combinator && arms.iter().any(is_null_arm) => arms,
            other => {
                out.insert(key, other);
                continue;
            }
        };
        out.insert("nullable".into(), Value::Bool(true));
        let mut rest: Vec<Value> = arms.into_iter().filter(|a| !is_null_arm(a)).collect();
        match rest.len() {
            0 => {
                out.insert("enum".into(), json!([null]));
            }
            1 if is_reference(&rest[0]) => {
                out.insert("allOf".into(), Value::Array(rest));
            }
            1 => match rest.remove(0) {
                Value::Object(arm) => hoisted = arm,
                other => {
                    out.insert(key, Value::Array(vec![other]));
                }
            },
            _ => {
                out.insert(key, Value::Array(rest));
            }
        }
    }
    for (key, value) in hoisted {
        if out.contains_key(&key) {
            return Err(ConvertError::UnsupportedValue {
                location: location.clone(),
                keyword: key,
                reason: "the non-null arm repeats a keyword of its parent",
            });
        }
        out.insert(key, value);
    }
    Ok(out)
}
