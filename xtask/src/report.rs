//! What changed between two OpenAPI 3.0 documents, for a Rust caller of the generated SDK.
//!
//! Both documents are flattened into one entry per field position and side: request positions
//! start at `<operationId>.<param>` / `<operationId>.body`, response positions at
//! `<operationId>.response` (the success body), and a `$ref` continues at the referenced
//! schema's name (`Contact.phone`), so a shared schema is listed once per side. Entries are then
//! compared; an entry added or removed under a parent that itself appeared or vanished is not
//! repeated.
//!
//! Breaking rules (for the Rust API the builder interface generates):
//! - operation removed: breaking; added: not;
//! - request field added: breaking when required, otherwise not (builders default it);
//! - request field removed, or made required: breaking; made optional: not;
//! - response field removed, made optional, or made required: breaking (`T` ↔ `Option<T>`); added: not;
//! - any retyping (type, format, nullability, `$ref` target, enum ↔ string): breaking;
//! - enum value added: breaking in responses (old clients cannot decode it), not in requests;
//!   enum value removed: breaking in requests, not in responses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

/// Which way data flows at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// Sent by the caller (parameters and request bodies).
    Request,
    /// Returned to the caller (success bodies).
    Response,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Request => "request",
            Self::Response => "response",
        })
    }
}

/// What happened at one position.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A new operation.
    OperationAdded,
    /// An operation is gone.
    OperationRemoved,
    /// A new field or parameter.
    FieldAdded {
        /// Whether it is required.
        required: bool,
    },
    /// A field or parameter is gone.
    FieldRemoved,
    /// An optional field became required.
    FieldMadeRequired,
    /// A required field became optional.
    FieldMadeOptional,
    /// The type changed (including format, nullability and enum ↔ plain string).
    FieldRetyped {
        /// The old type.
        from: String,
        /// The new type.
        to: String,
    },
    /// A closed enum gained a value.
    EnumValueAdded {
        /// The value.
        value: String,
    },
    /// A closed enum lost a value.
    EnumValueRemoved {
        /// The value.
        value: String,
    },
}

/// One change, with its position and whether it breaks Rust callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The operation id, or a field position such as `Contact.phone`.
    pub location: String,
    /// The data direction; `None` for operation changes.
    pub side: Option<Side>,
    /// What happened.
    pub kind: ChangeKind,
    /// Whether code written against the old SDK may stop compiling or decoding.
    pub breaking: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.breaking {
            "BREAKING"
        } else {
            "ok      "
        };
        let side = self.side.map_or("operation".to_owned(), |s| s.to_string());
        write!(f, "{mark} {side:<9} {}: ", self.location)?;
        match &self.kind {
            ChangeKind::OperationAdded => f.write_str("operation added"),
            ChangeKind::OperationRemoved => f.write_str("operation removed"),
            ChangeKind::FieldAdded { required: true } => f.write_str("required field added"),
            ChangeKind::FieldAdded { required: false } => f.write_str("optional field added"),
            ChangeKind::FieldRemoved => f.write_str("field removed"),
            ChangeKind::FieldMadeRequired => f.write_str("made required"),
            ChangeKind::FieldMadeOptional => f.write_str("made optional"),
            ChangeKind::FieldRetyped { from, to } => write!(f, "type {from} -> {to}"),
            ChangeKind::EnumValueAdded { value } => write!(f, "enum value `{value}` added"),
            ChangeKind::EnumValueRemoved { value } => write!(f, "enum value `{value}` removed"),
        }
    }
}

/// Every change between two documents, operations first, then fields by position.
///
/// ```
/// use serde_json::json;
/// use xtask::report::{ChangeKind, Report};
///
/// let old = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {}}}}});
/// let new = json!({"paths": {"/b": {"get": {"operationId": "b", "responses": {}}}}});
/// let report = Report::between(&old, &new);
/// assert_eq!(report.changes.len(), 2);
/// assert!(report.changes.iter().any(|c| c.location == "a" && c.kind == ChangeKind::OperationRemoved && c.breaking));
/// assert!(report.has_breaking());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes, in a stable order.
    pub changes: Vec<Change>,
}

impl Report {
    /// Compares `old` with `new` (both OpenAPI 3.0 trees).
    pub fn between(old: &Value, new: &Value) -> Self {
        let old_ops = operations(old);
        let new_ops = operations(new);
        let mut changes = Vec::new();
        for id in old_ops.keys().filter(|id| !new_ops.contains_key(*id)) {
            changes.push(operation_change(id, ChangeKind::OperationRemoved, true));
        }
        for id in new_ops.keys().filter(|id| !old_ops.contains_key(*id)) {
            changes.push(operation_change(id, ChangeKind::OperationAdded, false));
        }
        let old_fields = Flattener::run(old);
        let new_fields = Flattener::run(new);
        for (key, old_field) in old_fields.iter().filter(|(_, f)| f.ty != OPERATION) {
            match new_fields.get(key) {
                Some(new_field) => compare(key, old_field, new_field, &mut changes),
                None if parent_in(key, &new_fields) => {
                    changes.push(field_change(key, ChangeKind::FieldRemoved, true))
                }
                None => {}
            }
        }
        for (key, field) in new_fields.iter().filter(|(_, f)| f.ty != OPERATION) {
            if !old_fields.contains_key(key) && parent_in(key, &old_fields) {
                let breaking = key.0 == Side::Request && field.required;
                let kind = ChangeKind::FieldAdded {
                    required: field.required,
                };
                changes.push(field_change(key, kind, breaking));
            }
        }
        changes.sort_by(|a, b| (a.side, &a.location).cmp(&(b.side, &b.location)));
        Self { changes }
    }

    /// Whether any change breaks Rust callers.
    pub fn has_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return writeln!(f, "no changes for SDK users");
        }
        let breaking = self.changes.iter().filter(|c| c.breaking).count();
        writeln!(
            f,
            "{} change(s) for SDK users, {breaking} breaking:",
            self.changes.len()
        )?;
        self.changes.iter().try_for_each(|c| writeln!(f, "  {c}"))
    }
}

type Key = (Side, String);

/// The type of the per-operation anchor entries that parameters and bodies hang under.
const OPERATION: &str = "operation";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    ty: String,
    required: bool,
    values: Option<BTreeSet<String>>,
}

fn operation_change(id: &str, kind: ChangeKind, breaking: bool) -> Change {
    Change {
        location: id.to_owned(),
        side: None,
        kind,
        breaking,
    }
}

fn field_change(key: &Key, kind: ChangeKind, breaking: bool) -> Change {
    Change {
        location: key.1.clone(),
        side: Some(key.0),
        kind,
        breaking,
    }
}

/// Whether the parent position of `key` exists in `fields` (positions without a parent do).
fn parent_in(key: &Key, fields: &BTreeMap<Key, Field>) -> bool {
    match key.1.rfind(['.', '[']) {
        Some(i) => fields.contains_key(&(key.0, key.1[..i].to_owned())),
        None => true,
    }
}

fn compare(key: &Key, old: &Field, new: &Field, changes: &mut Vec<Change>) {
    let request = key.0 == Side::Request;
    if old.required != new.required {
        let (kind, breaking) = if new.required {
            (ChangeKind::FieldMadeRequired, true)
        } else {
            (ChangeKind::FieldMadeOptional, !request)
        };
        changes.push(field_change(key, kind, breaking));
    }
    if old.ty != new.ty {
        let kind = ChangeKind::FieldRetyped {
            from: old.ty.clone(),
            to: new.ty.clone(),
        };
        changes.push(field_change(key, kind, true));
    } else if let (Some(old_values), Some(new_values)) = (&old.values, &new.values) {
        for value in new_values.difference(old_values) {
            let kind = ChangeKind::EnumValueAdded {
                value: value.clone(),
            };
            changes.push(field_change(key, kind, !request));
        }
        for value in old_values.difference(new_values) {
            let kind = ChangeKind::EnumValueRemoved {
                value: value.clone(),
            };
            changes.push(field_change(key, kind, request));
        }
    }
}

/// `operationId` (or `METHOD path` without one) → the operation object.
fn operations(doc: &Value) -> BTreeMap<String, &Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if let Some(op) = item.get(method) {
                let id = op.get("operationId").and_then(Value::as_str).map_or_else(
                    || format!("{} {path}", method.to_uppercase()),
                    str::to_owned,
                );
                ops.insert(id, op);
            }
        }
    }
    ops
}

struct Flattener<'a> {
    doc: &'a Value,
    fields: BTreeMap<Key, Field>,
    visited: BTreeSet<Key>,
}

impl<'a> Flattener<'a> {
    fn run(doc: &'a Value) -> BTreeMap<Key, Field> {
        let mut this = Flattener {
            doc,
            fields: BTreeMap::new(),
            visited: BTreeSet::new(),
        };
        for (id, op) in operations(doc) {
            for side in [Side::Request, Side::Response] {
                let anchor = Field {
                    ty: OPERATION.to_owned(),
                    required: true,
                    values: None,
                };
                this.fields.insert((side, id.clone()), anchor);
            }
            for param in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let param = this.resolve(param);
                let Some(name) = param.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let required = param.get("required") == Some(&Value::Bool(true));
                let schema = param.get("schema").unwrap_or(&Value::Null);
                this.schema(Side::Request, format!("{id}.{name}"), schema, required);
            }
            if let Some(body) = op.get("requestBody") {
                let body = this.resolve(body);
                if let Some(schema) = json_schema(body) {
                    let required = body.get("required") == Some(&Value::Bool(true));
                    this.schema(Side::Request, format!("{id}.body"), schema, required);
                }
            }
            let success = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .find(|(code, _)| code.starts_with('2'))
                .and_then(|(_, r)| json_schema(this.resolve(r)));
            if let Some(schema) = success {
                this.schema(Side::Response, format!("{id}.response"), schema, true);
            }
        }
        this.fields
    }

    /// Follows a local `$ref` (one level per call; schemas are followed by name instead).
    fn resolve(&self, value: &'a Value) -> &'a Value {
        value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| self.doc.pointer(pointer))
            .unwrap_or(value)
    }

    fn schema(&mut self, side: Side, at: String, schema: &'a Value, required: bool) {
        let ty = self.type_name(schema);
        let values = schema.get("enum").and_then(Value::as_array).map(|values| {
            values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect()
        });
        self.fields.insert(
            (side, at.clone()),
            Field {
                ty,
                required,
                values,
            },
        );
        self.children(side, &at, schema);
    }

    fn children(&mut self, side: Side, at: &str, schema: &'a Value) {
        if let Some(name) = ref_name(schema) {
            let key = (side, name.to_owned());
            if self.visited.insert(key)
                && let Some(target) = self.doc.pointer(&format!("/components/schemas/{name}"))
            {
                self.schema(side, name.to_owned(), target, true);
            }
            return;
        }
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let required = required.contains(name.as_str());
            self.schema(side, format!("{at}.{name}"), property, required);
        }
        if let Some(items) = schema.get("items") {
            self.schema(side, format!("{at}[]"), items, true);
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            self.schema(side, format!("{at}{{}}"), values, true);
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            for arm in schema
                .get(combinator)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.children(side, at, arm);
            }
        }
    }

    /// A short type signature: `string(date-time)?`, `array`, `Contact`, `anyOf(string|TagObject)`.
    fn type_name(&self, schema: &Value) -> String {
        let nullable = if schema.get("nullable") == Some(&Value::Bool(true)) {
            "?"
        } else {
            ""
        };
        if let Some(name) = ref_name(schema) {
            return name.to_owned();
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            if let Some(arms) = schema.get(combinator).and_then(Value::as_array) {
                let arms: Vec<String> = arms.iter().map(|a| self.type_name(a)).collect();
                if combinator == "allOf" && arms.len() == 1 {
                    return format!("{}{nullable}", arms[0]);
                }
                return format!("{combinator}({}){nullable}", arms.join("|"));
            }
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
        let format = schema
            .get("format")
            .and_then(Value::as_str)
            .map(|f| format!("({f})"))
            .unwrap_or_default();
        let kind = if schema.get("enum").is_some() {
            "enum "
        } else {
            ""
        };
        format!("{kind}{ty}{format}{nullable}")
    }
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

fn json_schema(holder: &Value) -> Option<&Value> {
    holder
        .get("content")?
        .as_object()?
        .iter()
        .find(|(media, _)| media.starts_with("application/json"))
        .and_then(|(_, media)| media.get("schema"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(request: Value, response: Value) -> Value {
        json!({
            "paths": {"/x": {"post": {
                "operationId": "op",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Res"}}}}}
            }}},
            "components": {"schemas": {"Req": request, "Res": response}}
        })
    }

    fn kinds(report: &Report) -> Vec<(String, ChangeKind, bool)> {
        report
            .changes
            .iter()
            .map(|c| (c.location.clone(), c.kind.clone(), c.breaking))
            .collect()
    }

    #[test]
    fn request_field_rules() {
        let old = doc(
            json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "gone": {"type": "string"}}}),
            json!({"type": "object"}),
        );
        let new = doc(
            json!({"type": "object", "required": ["b", "new_req"], "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                "new_opt": {"type": "string"}, "new_req": {"type": "integer"}}}),
            json!({"type": "object"}),
        );
        assert_eq!(
            kinds(&Report::between(&old, &new)),
            [
                ("Req.a".into(), ChangeKind::FieldMadeOptional, false),
                ("Req.b".into(), ChangeKind::FieldMadeRequired, true),
                ("Req.gone".into(), ChangeKind::FieldRemoved, true),
                (
                    "Req.new_opt".into(),
                    ChangeKind::FieldAdded { required: false },
                    false
                ),
                (
                    "Req.new_req".into(),
                    ChangeKind::FieldAdded { required: true },
                    true
                ),
            ]
        );
    }

    #[test]
    fn response_field_rules_and_enum_sides() {
        let old = doc(
            json!({"type": "object", "properties": {"s": {"type": "string", "enum": ["a", "b"]}}}),
            json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "n": {"type": "integer"},
                "k": {"type": "string", "enum": ["x", "y"]}}}),
        );
        let new = doc(
            json!({"type": "object", "properties": {"s": {"type": "string", "enum": ["a", "c"]}}}),
            json!({"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer", "nullable": true},
                "k": {"type": "string", "enum": ["y", "z"]}, "extra": {"type": "string"}}}),
        );
        let report = Report::between(&old, &new);
        assert_eq!(
            kinds(&report),
            [
                (
                    "Req.s".into(),
                    ChangeKind::EnumValueAdded { value: "c".into() },
                    false
                ),
                (
                    "Req.s".into(),
                    ChangeKind::EnumValueRemoved { value: "b".into() },
                    true
                ),
                (
                    "Res.extra".into(),
                    ChangeKind::FieldAdded { required: false },
                    false
                ),
                ("Res.id".into(), ChangeKind::FieldMadeOptional, true),
                (
                    "Res.k".into(),
                    ChangeKind::EnumValueAdded { value: "z".into() },
                    true
                ),
                (
                    "Res.k".into(),
                    ChangeKind::EnumValueRemoved { value: "x".into() },
                    false
                ),
                (
                    "Res.n".into(),
                    ChangeKind::FieldRetyped {
                        from: "integer".into(),
                        to: "integer?".into()
                    },
                    true
                ),
            ]
        );
        assert!(
            report
                .to_string()
                .starts_with("7 change(s) for SDK users, 4 breaking:\n")
        );
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let d = doc(json!({"type": "object"}), json!({"type": "string"}));
        let report = Report::between(&d, &d);
        assert!(report.changes.is_empty());
        assert_eq!(report.to_string(), "no changes for SDK users\n");
    }
}
