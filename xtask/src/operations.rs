//! Operation rules: shape every operation of a 3.0 document the way progenitor 0.15.1 can
//! generate it, reporting each decision as a [`Note`].
//!
//! - An operation without an `operationId` gets one from its method and path
//!   (`get /users/{id}` → `get_users_id`): stable across refreshes, checked against every other id.
//! - A request body offered in several media types keeps the one progenitor sends (JSON first,
//!   then form, octet-stream, plain text); a response offered in several keeps its JSON one, and
//!   an `application/…+json` response is read as JSON.
//! - progenitor gives an operation one success type and one error type. Responses of a group
//!   (2xx, or 4xx/5xx) with different JSON bodies get one schema that decodes each
//!   (`anyOf` of the bodies, added to `components.schemas` as `<OperationId>Success|Error`);
//!   identical bodies need nothing; a body-less or non-JSON response next to JSON ones is left
//!   out (it then arrives as an unexpected response, with its status). `default` next to a 2xx
//!   response is the error catch-all, so it becomes `4XX` + `5XX`.
//! - An operation progenitor cannot generate at all (a multipart-only body, cookie or
//!   non-simple parameters) is left out.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::convert::{ConvertError, Note};
use crate::location::Location;

/// The HTTP methods a Path Item may hold, as its keys.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Request body media types progenitor can send, in order of preference.
const SENDABLE: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "text/plain",
    "text/x-markdown",
];

/// Applies the operation rules to `document` (OpenAPI 3.0) and returns what they changed.
///
/// ```
/// let mut doc = serde_json::json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
///     "paths": {"/users/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}}});
/// let notes = xtask::operations::normalize(&mut doc)?;
/// assert_eq!(doc["paths"]["/users/{id}"]["get"]["operationId"], "get_users_id");
/// assert_eq!(notes[0].to_string(), "$.paths['/users/{id}'].get: operationId `get_users_id` synthesized from method and path");
/// # Ok::<(), xtask::convert::ConvertError>(())
/// ```
pub fn normalize(document: &mut Value) -> Result<Vec<Note>, ConvertError> {
    let mut rules = Rules {
        notes: Vec::new(),
        components: document.get("components").cloned().unwrap_or(json!({})),
        added_schemas: Map::new(),
    };
    rules.shared_responses(document);
    rules.operation_ids(document)?;
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(rules.notes);
    };
    let mut empty_paths = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let path_parameters = item.get("parameters").cloned().unwrap_or(json!([]));
        for method in METHODS {
            let here = Location::root().key("paths").key(path).key(method);
            let Some(operation) = item.get_mut(*method).and_then(Value::as_object_mut) else {
                continue;
            };
            rules.path_parameters(operation, path, &path_parameters, &here);
            if let Some(reason) = rules.unsupported(operation, &path_parameters, &here) {
                item.shift_remove(*method);
                rules
                    .notes
                    .push(Note::new(here, format!("left out: {reason}")));
                continue;
            }
            rules.responses(operation, &here);
        }
        if !METHODS.iter().any(|m| item.contains_key(*m)) {
            empty_paths.push(path.clone());
        }
    }
    for path in empty_paths {
        paths.shift_remove(&path);
    }
    if !rules.added_schemas.is_empty() {
        let schemas = document
            .as_object_mut()
            .map(|root| root.entry("components").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut);
        if let Some(schemas) = schemas {
            schemas.extend(rules.added_schemas);
        }
    }
    Ok(rules.notes)
}

struct Rules {
    notes: Vec<Note>,
    /// The document's components as they were before the rules, to resolve `$ref`s.
    components: Value,
    /// Schemas the rules add to `components.schemas`.
    added_schemas: Map<String, Value>,
}

/// What a response gives progenitor: a JSON body of some schema, another body, or none.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    Json(Value),
    Raw,
    None,
}

impl Body {
    /// The kinds, richest first: when they mix, the richest is kept.
    fn rank(&self) -> u8 {
        match self {
            Self::Json(_) => 0,
            Self::Raw => 1,
            Self::None => 2,
        }
    }
}

impl Rules {
    /// Resolves a `#/components/<kind>/<name>` reference (one level) against the components.
    fn resolve<'a>(&'a self, value: &'a Value, kind: &str) -> &'a Value {
        value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(&format!("#/components/{kind}/")))
            .and_then(|name| self.components.get(kind).and_then(|c| c.get(name)))
            .unwrap_or(value)
    }

    /// Media-type rules on `components.responses`, shared by many operations.
    fn shared_responses(&mut self, document: &mut Value) {
        let Some(responses) = document
            .pointer_mut("/components/responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        for (name, response) in responses.iter_mut() {
            let here = Location::root()
                .key("components")
                .key("responses")
                .key(name);
            self.response_media(response, &here);
        }
        if let Some(c) = self.components.get_mut("responses") {
            *c = Value::Object(responses.clone());
        }
    }

    /// Gives every operation an `operationId`, failing on a collision.
    fn operation_ids(&mut self, document: &mut Value) -> Result<(), ConvertError> {
        let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let mut taken: BTreeSet<String> = paths
            .values()
            .filter_map(Value::as_object)
            .flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)))
            .filter_map(|op| op.get("operationId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                let Some(operation) = item.get_mut(*method).and_then(Value::as_object_mut) else {
                    continue;
                };
                if operation.contains_key("operationId") {
                    continue;
                }
                let here = Location::root().key("paths").key(path).key(method);
                let id = synthesized_id(method, path);
                if !taken.insert(id.clone()) {
                    return Err(ConvertError::UnsupportedValue {
                        location: here,
                        keyword: "operationId".into(),
                        reason: "the operationId made from method and path is already taken",
                    });
                }
                operation.insert("operationId".into(), Value::from(id.clone()));
                self.notes.push(Note::new(
                    here,
                    format!("operationId `{id}` synthesized from method and path"),
                ));
            }
        }
        Ok(())
    }

    /// Declares, as strings, the path template's parameters that the operation does not declare
    /// (progenitor cannot build the URL without them; a URL segment is a string).
    fn path_parameters(
        &mut self,
        operation: &mut Map<String, Value>,
        path: &str,
        path_parameters: &Value,
        here: &Location,
    ) {
        let declared: Vec<String> = path_parameters
            .as_array()
            .into_iter()
            .chain(operation.get("parameters").and_then(Value::as_array))
            .flatten()
            .map(|p| self.resolve(p, "parameters"))
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
            .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let missing: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .filter(|name| !declared.iter().any(|d| d == name))
            .collect();
        for name in missing {
            let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
            if let Some(parameters) = parameters.as_array_mut() {
                parameters.push(
                    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}),
                );
            }
            self.notes.push(Note::new(
                here.clone(),
                format!("path parameter `{name}` is not declared: declared as a string"),
            ));
        }
    }

    /// Why progenitor cannot generate `operation` at all, after choosing its request media type.
    fn unsupported(
        &mut self,
        operation: &mut Map<String, Value>,
        path_parameters: &Value,
        here: &Location,
    ) -> Option<String> {
        let parameters = path_parameters
            .as_array()
            .into_iter()
            .chain(operation.get("parameters").and_then(Value::as_array))
            .flatten()
            .map(|p| self.resolve(p, "parameters").clone())
            .collect::<Vec<_>>();
        for parameter in &parameters {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
            let place = parameter.get("in").and_then(Value::as_str).unwrap_or("?");
            let style = parameter.get("style").and_then(Value::as_str);
            let supported_style = match place {
                "path" | "header" => style.is_none_or(|s| s == "simple"),
                "query" => style.is_none_or(|s| s == "form"),
                _ => false,
            };
            if !supported_style {
                return Some(format!(
                    "progenitor cannot send the {place} parameter `{name}`{}",
                    style.map_or_else(String::new, |s| format!(" in style {s}"))
                ));
            }
            if parameter.get("schema").is_none() {
                return Some(format!("the parameter `{name}` has no schema"));
            }
        }
        self.request_body(operation, here)
    }

    /// Keeps the one request media type progenitor sends; `Some(reason)` when there is none.
    fn request_body(
        &mut self,
        operation: &mut Map<String, Value>,
        here: &Location,
    ) -> Option<String> {
        let body = self
            .resolve(operation.get("requestBody")?, "requestBodies")
            .clone();
        let content = body.get("content").and_then(Value::as_object)?;
        if content.is_empty() {
            return None;
        }
        let chosen = SENDABLE.iter().find_map(|wanted| {
            content
                .keys()
                .find(|k| k.split(';').next().is_some_and(|t| t.trim() == *wanted))
        });
        let Some(chosen) = chosen.cloned() else {
            let offered: Vec<&str> = content.keys().map(String::as_str).collect();
            return Some(format!(
                "progenitor cannot send a {} request body",
                offered.join(" or ")
            ));
        };
        let mut media = content.get(&chosen).cloned().unwrap_or(json!({}));
        let body_here = here.key("requestBody").key("content");
        let mut changed = content.len() > 1;
        if changed {
            let others: Vec<&str> = content
                .keys()
                .filter(|k| **k != chosen)
                .map(String::as_str)
                .collect();
            self.notes.push(Note::new(
                here.key("requestBody"),
                format!("sends {chosen}; dropped {}", others.join(", ")),
            ));
        }
        changed |= self.media_schema(&mut media, &chosen, &body_here.key(&chosen));
        if changed {
            let mut body = body;
            if let Some(body) = body.as_object_mut() {
                body.insert("content".into(), json!({ chosen: media }));
            }
            operation.insert("requestBody".into(), body);
        }
        None
    }

    /// Makes a request media type's schema one progenitor accepts for it; whether it changed.
    fn media_schema(&mut self, media: &mut Value, media_type: &str, here: &Location) -> bool {
        let Some(media) = media.as_object_mut() else {
            return false;
        };
        let mut changed = false;
        if media.shift_remove("encoding").is_some() {
            self.notes.push(Note::new(
                here.key("encoding"),
                "dropped (progenitor encodes the body itself)",
            ));
            changed = true;
        }
        let required = if media_type.starts_with("application/octet-stream") {
            Some(json!({"type": "string", "format": "binary"}))
        } else if media_type.starts_with("text/") {
            Some(json!({"type": "string"}))
        } else {
            None
        };
        match (required, media.get("schema")) {
            (Some(required), schema) if schema != Some(&required) => {
                media.insert("schema".into(), required.clone());
                self.notes.push(Note::new(
                    here.key("schema"),
                    format!("written as {required}: progenitor sends a raw {media_type} body"),
                ));
                changed = true;
            }
            (None, None) => {
                media.insert("schema".into(), json!({}));
                self.notes
                    .push(Note::new(here.clone(), "no schema: any JSON value (`{}`)"));
                changed = true;
            }
            _ => {}
        }
        changed
    }

    /// Media-type rules for one Response Object (not a reference).
    fn response_media(&mut self, response: &mut Value, here: &Location) {
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
            return;
        };
        let json = content
            .keys()
            .find(|k| is_json(k))
            .or_else(|| content.keys().find(|k| is_json_suffix(k)))
            .cloned();
        let Some(json) = json else {
            return;
        };
        if content.len() > 1 {
            let others: Vec<String> = content.keys().filter(|k| **k != json).cloned().collect();
            content.retain(|k, _| *k == json);
            self.notes.push(Note::new(
                here.key("content"),
                format!("reads {json}; dropped {}", others.join(", ")),
            ));
        }
        if !is_json(&json) {
            if let Some(media) = content.shift_remove(&json) {
                content.insert("application/json".into(), media);
            }
            self.notes.push(Note::new(
                here.key("content").key(&json),
                "read as application/json",
            ));
        }
        let Some(media) = content.values_mut().next().and_then(Value::as_object_mut) else {
            return;
        };
        if media.shift_remove("encoding").is_some() {
            self.notes.push(Note::new(
                here.key("content"),
                "dropped `encoding` (a JSON body has none)",
            ));
        }
        if !media.contains_key("schema") {
            media.insert("schema".into(), json!({}));
            self.notes.push(Note::new(
                here.key("content"),
                "no schema: any JSON value (`{}`)",
            ));
        }
    }

    /// The response rules of one operation.
    fn responses(&mut self, operation: &mut Map<String, Value>, here: &Location) {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let here = here.key("responses");
        for (status, response) in responses.iter_mut() {
            if response.get("$ref").is_none() {
                self.response_media(response, &here.key(status));
            }
        }
        let is_success = |s: &str| s.starts_with('2');
        let has_success = responses.keys().any(|s| is_success(s));
        if has_success && let Some(default) = responses.shift_remove("default") {
            for range in ["4XX", "5XX"] {
                if !responses.contains_key(range) {
                    responses.insert(range.into(), default.clone());
                }
            }
            self.notes.push(Note::new(
                here.key("default"),
                "treated as the error response (4XX and 5XX): progenitor would also read it as a success",
            ));
        }
        let success: Vec<String> = responses
            .keys()
            .filter(|s| is_success(s) || (!has_success && *s == "default"))
            .cloned()
            .collect();
        let errors: Vec<String> = responses
            .keys()
            .filter(|s| !is_success(s) && !s.starts_with('1'))
            .cloned()
            .collect();
        self.one_type(
            responses,
            &success,
            &format!("{}Success", pascal(&id)),
            &here,
            "success",
        );
        self.one_type(
            responses,
            &errors,
            &format!("{}Error", pascal(&id)),
            &here,
            "error",
        );
    }

    /// Makes the responses `statuses` share one body type (or none).
    fn one_type(
        &mut self,
        responses: &mut Map<String, Value>,
        statuses: &[String],
        name: &str,
        here: &Location,
        role: &str,
    ) {
        let bodies: Vec<(String, Body)> = statuses
            .iter()
            .filter_map(|s| Some((s.clone(), self.body(responses.get(s)?))))
            .collect();
        let json: Vec<&Value> = bodies
            .iter()
            .filter_map(|(_, b)| match b {
                Body::Json(schema) => Some(schema),
                _ => None,
            })
            .collect();
        let kinds: BTreeSet<u8> = bodies.iter().map(|(_, b)| b.rank()).collect();
        if kinds.len() > 1 {
            let keep = kinds.first().copied().unwrap_or(0);
            for (status, body) in &bodies {
                if body.rank() != keep {
                    responses.shift_remove(status);
                    let what = if *body == Body::None {
                        "no body"
                    } else {
                        "a non-JSON body"
                    };
                    self.notes.push(Note::new(
                        here.key(status),
                        format!("left out: {what} next to other {role} bodies (progenitor has one {role} type per operation); it arrives as an unexpected response"),
                    ));
                }
            }
        }
        let mut distinct: Vec<Value> = Vec::new();
        for schema in json {
            if !distinct.contains(schema) {
                distinct.push(schema.clone());
            }
        }
        if distinct.len() < 2 {
            return;
        }
        // An untagged enum takes the first arm that decodes: bodies with more required
        // properties go first, so a permissive body cannot shadow a specific one.
        distinct.sort_by_key(|schema| std::cmp::Reverse(self.required_count(schema)));
        let mut name = name.to_owned();
        let mut n = 2;
        while self.taken(&name) {
            name = format!("{}{n}", name.trim_end_matches(char::is_numeric));
            n += 1;
        }
        self.added_schemas.insert(
            name.clone(),
            json!({
                "description": format!("Any {role} body of the operation (the API documents {} different ones).", distinct.len()),
                "anyOf": distinct,
            }),
        );
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        let mut merged = Vec::new();
        for (status, body) in bodies {
            if !matches!(body, Body::Json(_)) {
                continue;
            }
            let Some(response) = responses.get_mut(&status) else {
                continue;
            };
            let mut inline = self.resolve(response, "responses").clone();
            if let Some(media) = inline
                .get_mut("content")
                .and_then(Value::as_object_mut)
                .and_then(|c| c.values_mut().next())
                .and_then(Value::as_object_mut)
            {
                media.insert("schema".into(), reference.clone());
            }
            *response = inline;
            merged.push(status);
        }
        self.notes.push(Note::new(
            here.clone(),
            format!(
                "{role} responses {} merged: one type `{name}` decodes each of their {} bodies",
                merged.join(", "),
                distinct.len()
            ),
        ));
    }

    fn required_count(&self, schema: &Value) -> usize {
        self.resolve(schema, "schemas")
            .get("required")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    fn taken(&self, name: &str) -> bool {
        self.added_schemas.contains_key(name)
            || self
                .components
                .get("schemas")
                .is_some_and(|s| s.get(name).is_some())
    }

    /// What a response (or a reference to one) gives progenitor.
    fn body(&self, response: &Value) -> Body {
        let response = self.resolve(response, "responses");
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return Body::None;
        };
        match content.iter().find(|(k, _)| is_json(k)) {
            Some((_, media)) => Body::Json(media.get("schema").cloned().unwrap_or(json!({}))),
            None if content.is_empty() => Body::None,
            None => Body::Raw,
        }
    }
}

/// progenitor's test for a typed JSON body.
pub(crate) fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.starts_with("application/json;")
}

/// `application/problem+json`, `application/vnd.api+json`, ...
pub(crate) fn is_json_suffix(media_type: &str) -> bool {
    media_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().ends_with("+json"))
}

/// `get /users/{id}/posts` → `get_users_id_posts`; `{fallbackPlaceholder}` → `fallback_placeholder`.
fn synthesized_id(method: &str, path: &str) -> String {
    let mut id = String::from(method);
    let mut previous: Option<char> = None;
    for c in path.chars() {
        if !c.is_ascii_alphanumeric() {
            previous = None;
            continue;
        }
        let boundary = previous.is_none_or(|p| c.is_ascii_uppercase() && p.is_ascii_lowercase());
        if boundary {
            id.push('_');
        }
        id.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    id
}

/// `auth.register` → `AuthRegister`, `get_users_id` → `GetUsersId`.
pub(crate) fn pascal(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
