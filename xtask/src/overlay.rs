//! OpenAPI Overlay 1.0 documents: ordered `update` / `remove` actions on RFC 9535 JSONPath targets.
//!
//! Semantics (Overlay 1.0.0): actions run in order, each on the result of the previous one.
//! `remove: true` deletes every node the target selects. `update` is merged into every selected
//! node: into an object recursively (objects merge, arrays concatenate, anything else is
//! replaced); into an array it is appended as one element. An action whose target selects
//! nothing is not an error while applying, but is returned so that callers can report it: a
//! correction that no longer matches the upstream document has silently stopped correcting.
//!
//! One extension (Overlay allows `x-` fields on actions): `x-rename: NewName` on an action whose
//! target selects one schema of `components.schemas` renames it in place and rewrites every
//! `$ref` to it, so the SDK's type names need not be the upstream's (Laravel's class names).

use std::fmt;

use serde_json::{Map, Value};
use serde_json_path::{JsonPath, PathElement};

use crate::document::{self, DocumentError};
use crate::location::{Location, Step};

/// Why an overlay could not be read or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OverlayError {
    /// The overlay file is not YAML/JSON.
    #[error("cannot parse the overlay")]
    Parse(#[source] DocumentError),
    /// The overlay is not an Overlay 1.0 document.
    #[error("not an overlay 1.0 document: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// An action's target is not a valid JSONPath.
    #[error("action #{index}: invalid target `{target}`")]
    Target {
        /// Position of the action in `actions`, from 0.
        index: usize,
        /// The target expression.
        target: String,
        /// The parser's complaint.
        #[source]
        source: serde_json_path::ParseError,
    },
    /// An action tried to remove the whole document.
    #[error("action #{index}: cannot remove the document root")]
    RemoveRoot {
        /// Position of the action in `actions`, from 0.
        index: usize,
    },
    /// An `x-rename` whose target is not exactly one member of `components.schemas`, or whose
    /// new name is taken.
    #[error("action #{index}: cannot rename {location} to `{name}`: {reason}")]
    Rename {
        /// Position of the action in `actions`, from 0.
        index: usize,
        /// The selected node.
        location: Location,
        /// The new name.
        name: String,
        /// Why not.
        reason: &'static str,
    },
    /// An `update` selected a string, number, boolean or null, which cannot be merged into.
    #[error("action #{index}: {location} is not an object or an array and cannot be updated")]
    UpdatePrimitive {
        /// Position of the action in `actions`, from 0.
        index: usize,
        /// The selected node.
        location: Location,
    },
}

/// One action of an overlay.
#[derive(Debug, Clone)]
pub struct Action {
    /// The JSONPath expression, as written.
    pub target: String,
    /// The reviewer-facing reason for the action.
    pub description: Option<String>,
    /// The value merged into each selected node.
    pub update: Option<Value>,
    /// Whether the selected nodes are removed.
    pub remove: bool,
    /// `x-rename`: the new name of the selected component schema.
    pub rename: Option<String>,
    path: JsonPath,
}

/// An action whose target selected nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// Position of the action in `actions`, from 0.
    pub index: usize,
    /// The target expression.
    pub target: String,
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "action #{} (`{}`) matches nothing",
            self.index, self.target
        )
    }
}

/// A parsed Overlay 1.0 document.
///
/// ```
/// use serde_json::json;
/// use xtask::overlay::Overlay;
///
/// let overlay: Overlay = r#"
/// overlay: 1.0.0
/// info: {title: fixes, version: 1.0.0}
/// actions:
///   - target: $.info
///     update: {description: corrected}
///   - target: $.info.summary
///     remove: true
///   - target: $.tags
///     update: {name: extra}
/// "#.parse()?;
/// let mut doc = json!({"info": {"title": "t", "summary": "s"}, "tags": []});
/// let unmatched = overlay.apply(&mut doc)?;
/// assert!(unmatched.is_empty());
/// assert_eq!(doc, json!({"info": {"title": "t", "description": "corrected"}, "tags": [{"name": "extra"}]}));
/// # Ok::<(), xtask::overlay::OverlayError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Overlay {
    actions: Vec<Action>,
}

impl std::str::FromStr for Overlay {
    type Err = OverlayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_value(document::parse(text.as_bytes()).map_err(OverlayError::Parse)?)
    }
}

fn invalid(reason: impl Into<String>) -> OverlayError {
    OverlayError::Invalid {
        reason: reason.into(),
    }
}

impl Overlay {
    /// Reads an overlay from its JSON tree, compiling every target.
    pub fn from_value(value: Value) -> Result<Self, OverlayError> {
        let Value::Object(mut root) = value else {
            return Err(invalid("the root is not an object"));
        };
        match root.get("overlay").and_then(Value::as_str) {
            Some(v) if v.starts_with("1.0.") => {}
            Some(v) => return Err(invalid(format!("unsupported overlay version `{v}`"))),
            None => return Err(invalid("no `overlay` version")),
        }
        let info = root.get("info").and_then(Value::as_object);
        if !info.is_some_and(|i| i.get("title").is_some() && i.get("version").is_some()) {
            return Err(invalid("`info` needs `title` and `version`"));
        }
        let Some(Value::Array(actions)) = root.remove("actions") else {
            return Err(invalid("no `actions` array"));
        };
        let actions = actions
            .into_iter()
            .enumerate()
            .map(|(index, action)| Action::from_value(index, action))
            .collect::<Result<_, _>>()?;
        Ok(Self { actions })
    }

    /// The actions, in order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Applies every action in order and returns those whose target matched nothing.
    pub fn apply(&self, document: &mut Value) -> Result<Vec<Unmatched>, OverlayError> {
        let mut unmatched = Vec::new();
        for (index, action) in self.actions.iter().enumerate() {
            let mut locations: Vec<Location> = action
                .path
                .query_located(document)
                .dedup()
                .locations()
                .map(|path| {
                    path.iter()
                        .map(|e| match e {
                            PathElement::Name(n) => Step::Key((*n).to_owned()),
                            PathElement::Index(i) => Step::Index(*i),
                        })
                        .collect::<Vec<_>>()
                        .into()
                })
                .collect();
            if locations.is_empty() {
                unmatched.push(Unmatched {
                    index,
                    target: action.target.clone(),
                });
            } else if let Some(name) = &action.rename {
                rename(document, &locations, name, index)?;
            } else if action.remove {
                // Later siblings first, so that array indices stay valid.
                locations.sort_by(|a, b| compare_steps(b.steps(), a.steps()));
                for location in &locations {
                    remove(document, location).ok_or(OverlayError::RemoveRoot { index })?;
                }
            } else if let Some(update) = &action.update {
                for location in locations {
                    let node = node_mut(document, &location);
                    match node {
                        Some(Value::Object(target)) => match update {
                            Value::Object(update) => merge(target, update),
                            _ => return Err(OverlayError::UpdatePrimitive { index, location }),
                        },
                        Some(Value::Array(items)) => items.push(update.clone()),
                        _ => return Err(OverlayError::UpdatePrimitive { index, location }),
                    }
                }
            }
        }
        Ok(unmatched)
    }
}

impl Action {
    fn from_value(index: usize, value: Value) -> Result<Self, OverlayError> {
        let Value::Object(mut action) = value else {
            return Err(invalid(format!("action #{index} is not an object")));
        };
        let Some(Value::String(target)) = action.remove("target") else {
            return Err(invalid(format!("action #{index} has no `target` string")));
        };
        let path = JsonPath::parse(&target).map_err(|source| OverlayError::Target {
            index,
            target: target.clone(),
            source,
        })?;
        let description = match action.remove("description") {
            Some(Value::String(d)) => Some(d),
            None => None,
            Some(_) => {
                return Err(invalid(format!(
                    "action #{index}: `description` is not a string"
                )));
            }
        };
        let remove = match action.remove("remove") {
            Some(Value::Bool(b)) => b,
            None => false,
            Some(_) => {
                return Err(invalid(format!(
                    "action #{index}: `remove` is not a boolean"
                )));
            }
        };
        let update = action.remove("update");
        let rename = match action.remove("x-rename") {
            Some(Value::String(name)) => Some(name),
            None => None,
            Some(_) => {
                return Err(invalid(format!(
                    "action #{index}: `x-rename` is not a string"
                )));
            }
        };
        if !remove && update.is_none() && rename.is_none() {
            return Err(invalid(format!(
                "action #{index} has neither `update`, `remove: true` nor `x-rename`"
            )));
        }
        if let Some(key) = action.keys().find(|k| !k.starts_with("x-")) {
            return Err(invalid(format!("action #{index}: unknown field `{key}`")));
        }
        Ok(Self {
            target,
            description,
            update,
            remove,
            rename,
            path,
        })
    }
}

/// Renames the one component schema at `locations` to `name` and rewrites every `$ref` to it.
fn rename(
    document: &mut Value,
    locations: &[Location],
    name: &str,
    index: usize,
) -> Result<(), OverlayError> {
    let error = |location: &Location, reason| OverlayError::Rename {
        index,
        location: location.clone(),
        name: name.to_owned(),
        reason,
    };
    let [location] = locations else {
        return Err(error(&locations[0], "the target selects several nodes"));
    };
    let old = match location.steps() {
        [Step::Key(c), Step::Key(s), Step::Key(old)] if c == "components" && s == "schemas" => {
            old.clone()
        }
        _ => return Err(error(location, "it is not a member of components.schemas")),
    };
    let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") else {
        return Err(error(location, "there are no component schemas"));
    };
    if schemas.contains_key(name) {
        return Err(error(location, "a schema of that name exists"));
    }
    *schemas = std::mem::take(schemas)
        .into_iter()
        .map(|(key, value)| {
            if key == old {
                (name.to_owned(), value)
            } else {
                (key, value)
            }
        })
        .collect();
    let (from, to) = (
        format!("#/components/schemas/{old}"),
        Value::from(format!("#/components/schemas/{name}")),
    );
    rewrite_refs(document, &from, &to);
    Ok(())
}

fn rewrite_refs(node: &mut Value, from: &str, to: &Value) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "$ref" && value.as_str() == Some(from) {
                    *value = to.clone();
                } else {
                    rewrite_refs(value, from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, from, to)),
        _ => {}
    }
}

fn compare_steps(a: &[Step], b: &[Step]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (x, y) {
            (Step::Index(x), Step::Index(y)) => x.cmp(y),
            (Step::Key(x), Step::Key(y)) => x.cmp(y),
            (Step::Index(_), Step::Key(_)) => std::cmp::Ordering::Less,
            (Step::Key(_), Step::Index(_)) => std::cmp::Ordering::Greater,
        };
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

fn node_mut<'a>(document: &'a mut Value, location: &Location) -> Option<&'a mut Value> {
    location
        .steps()
        .iter()
        .try_fold(document, |node, step| match step {
            Step::Key(k) => node.get_mut(k.as_str()),
            Step::Index(i) => node.get_mut(*i),
        })
}

/// Removes the node at `location`; `None` for the root.
fn remove(document: &mut Value, location: &Location) -> Option<()> {
    let (last, parent) = location.steps().split_last()?;
    let parent = node_mut(document, &Location::from(parent.to_vec()))?;
    match (parent, last) {
        (Value::Object(map), Step::Key(k)) => {
            map.shift_remove(k.as_str());
        }
        (Value::Array(items), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        _ => {}
    }
    Some(())
}

/// Overlay merge: objects merge recursively, arrays concatenate, other values replace.
fn merge(target: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        match (target.get_mut(key), value) {
            (Some(Value::Object(t)), Value::Object(u)) => merge(t, u),
            (Some(Value::Array(t)), Value::Array(u)) => t.extend(u.iter().cloned()),
            (Some(slot), _) => *slot = value.clone(),
            (None, _) => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn overlay(actions: Value) -> Overlay {
        Overlay::from_value(json!({
            "overlay": "1.0.0",
            "info": {"title": "t", "version": "1"},
            "actions": actions,
        }))
        .unwrap()
    }

    #[test]
    fn x_rename_renames_a_component_schema_in_place_and_its_refs() {
        let mut doc = json!({
            "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ContactResource"}}}}}}}},
            "components": {"schemas": {
                "A": {"type": "string"},
                "ContactResource": {"type": "object"},
                "List": {"type": "array", "items": {"$ref": "#/components/schemas/ContactResource"}}}}});
        let renames = overlay(json!([
            {"target": "$.components.schemas.ContactResource", "x-rename": "Contact"}
        ]));
        assert!(renames.apply(&mut doc).unwrap().is_empty());
        let names: Vec<_> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(names, ["A", "Contact", "List"]);
        assert_eq!(
            doc["components"]["schemas"]["List"]["items"]["$ref"],
            "#/components/schemas/Contact"
        );
        assert_eq!(
            doc.pointer("/paths/~1a/get/responses/200/content/application~1json/schema/$ref")
                .unwrap(),
            "#/components/schemas/Contact"
        );
        let taken = overlay(json!([{"target": "$.components.schemas.A", "x-rename": "List"}]));
        assert_eq!(
            taken.apply(&mut doc).unwrap_err().to_string(),
            "action #0: cannot rename $.components.schemas.A to `List`: a schema of that name exists"
        );
        let not_a_schema = overlay(json!([{"target": "$.paths", "x-rename": "X"}]));
        assert!(matches!(
            not_a_schema.apply(&mut doc),
            Err(OverlayError::Rename { .. })
        ));
    }

    #[test]
    fn update_merges_objects_concatenates_arrays_and_replaces_scalars() {
        let mut doc = json!({"a": {"b": 1, "c": {"d": [1]}, "keep": true}});
        let o = overlay(json!([{"target": "$.a", "update": {"b": 2, "c": {"d": [2], "e": 3}}}]));
        assert!(o.apply(&mut doc).unwrap().is_empty());
        assert_eq!(
            doc,
            json!({"a": {"b": 2, "c": {"d": [1, 2], "e": 3}, "keep": true}})
        );
    }

    #[test]
    fn update_appends_to_a_selected_array() {
        let mut doc = json!({"enum": ["a"]});
        overlay(json!([{"target": "$.enum", "update": "b"}]))
            .apply(&mut doc)
            .unwrap();
        assert_eq!(doc, json!({"enum": ["a", "b"]}));
    }

    #[test]
    fn remove_deletes_every_match_including_array_elements() {
        let mut doc = json!({"s": {"x": {"format": "uuid"}, "y": {"format": "date-time"}, "z": {"format": "uuid"}},
                             "l": [1, 2, 3, 2]});
        overlay(json!([
            {"target": "$..[?@.format == 'uuid'].format", "remove": true},
            {"target": "$.l[?@ == 2]", "remove": true},
        ]))
        .apply(&mut doc)
        .unwrap();
        assert_eq!(
            doc,
            json!({"s": {"x": {}, "y": {"format": "date-time"}, "z": {}}, "l": [1, 3]})
        );
    }

    #[test]
    fn remove_keeps_the_order_of_the_remaining_keys() {
        let mut doc = json!({"a": 1, "b": 2, "c": 3});
        overlay(json!([{"target": "$.b", "remove": true}]))
            .apply(&mut doc)
            .unwrap();
        let keys: Vec<_> = doc.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "c"]);
    }

    #[test]
    fn unmatched_targets_are_reported_with_index_and_target() {
        let mut doc = json!({"a": {}});
        let unmatched = overlay(json!([
            {"target": "$.a", "update": {"x": 1}},
            {"target": "$.missing", "remove": true},
            {"target": "$.a.nope", "update": {"y": 1}},
        ]))
        .apply(&mut doc)
        .unwrap();
        assert_eq!(
            unmatched,
            [
                Unmatched {
                    index: 1,
                    target: "$.missing".into()
                },
                Unmatched {
                    index: 2,
                    target: "$.a.nope".into()
                },
            ]
        );
        assert_eq!(
            unmatched[0].to_string(),
            "action #1 (`$.missing`) matches nothing"
        );
        assert_eq!(doc, json!({"a": {"x": 1}}));
    }

    #[test]
    fn later_actions_see_earlier_results() {
        let mut doc = json!({"s": {"schema": {"oneOf": [1, 2]}}});
        let unmatched = overlay(json!([
            {"target": "$.s.schema", "remove": true},
            {"target": "$.s", "update": {"schema": {"$ref": "#/x"}}},
        ]))
        .apply(&mut doc)
        .unwrap();
        assert!(unmatched.is_empty());
        assert_eq!(doc, json!({"s": {"schema": {"$ref": "#/x"}}}));
    }

    #[test]
    fn invalid_documents_are_rejected() {
        let bad_target = Overlay::from_value(
            json!({"overlay": "1.0.0", "info": {"title": "t", "version": "1"},
            "actions": [{"target": "$[", "remove": true}]}),
        );
        assert!(matches!(
            bad_target,
            Err(OverlayError::Target { index: 0, .. })
        ));
        let no_effect = Overlay::from_value(
            json!({"overlay": "1.0.0", "info": {"title": "t", "version": "1"},
            "actions": [{"target": "$.a"}]}),
        );
        assert!(matches!(no_effect, Err(OverlayError::Invalid { .. })));
        let version = Overlay::from_value(json!({"overlay": "2.0.0", "info": {}, "actions": []}));
        assert!(matches!(version, Err(OverlayError::Invalid { .. })));
    }

    #[test]
    fn root_cannot_be_removed_and_scalars_cannot_be_updated() {
        let mut doc = json!({"a": 1});
        let root = overlay(json!([{"target": "$", "remove": true}])).apply(&mut doc);
        assert!(matches!(root, Err(OverlayError::RemoveRoot { index: 0 })));
        let scalar = overlay(json!([{"target": "$.a", "update": {"b": 1}}])).apply(&mut doc);
        assert!(matches!(
            scalar,
            Err(OverlayError::UpdatePrimitive { index: 0, .. })
        ));
    }
}
