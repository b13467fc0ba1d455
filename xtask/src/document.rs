//! Reading YAML or JSON documents into `serde_json::Value` and writing them back as YAML.

use serde_json::{Map, Value};

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The bytes are neither valid JSON nor valid YAML.
    #[error("not a valid yaml or json document")]
    Parse(#[source] yaml_serde::Error),
    /// A YAML construct that has no JSON form.
    #[error("yaml {what} at `{near}` has no json form")]
    NotJson {
        /// What was found (a tag, a complex key, ...).
        what: &'static str,
        /// The nearest enclosing key.
        near: String,
    },
    /// A YAML number that does not fit a JSON number.
    #[error("number at `{near}` is not a finite json number")]
    Number {
        /// The nearest enclosing key.
        near: String,
    },
    /// The YAML emitter failed.
    #[error("cannot render the document as yaml")]
    Render(#[source] yaml_serde::Error),
}

/// The serialization format of a document, guessed from its first significant character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON document (starts with `{`).
    Json,
    /// Anything else: YAML.
    Yaml,
}

impl Format {
    /// Guesses the format of `bytes`: JSON when the first non-blank character is `{`.
    ///
    /// ```
    /// use xtask::document::Format;
    /// assert_eq!(Format::detect(b"  {\"openapi\": \"3.1.0\"}"), Format::Json);
    /// assert_eq!(Format::detect(b"openapi: 3.1.0\n"), Format::Yaml);
    /// ```
    pub fn detect(bytes: &[u8]) -> Self {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Self::Json,
            _ => Self::Yaml,
        }
    }

    /// The file extension for this format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Yaml => "yaml",
        }
    }
}

/// Parses YAML or JSON (JSON is YAML) into a JSON tree, keeping key order.
///
/// Non-string keys such as unquoted status codes (`200:`) become strings, as OpenAPI means them.
///
/// ```
/// let doc = xtask::document::parse(b"responses:\n  200: {description: ok}\n")?;
/// assert_eq!(doc["responses"]["200"]["description"], "ok");
/// # Ok::<(), xtask::document::DocumentError>(())
/// ```
pub fn parse(bytes: &[u8]) -> Result<Value, DocumentError> {
    let yaml: yaml_serde::Value = yaml_serde::from_slice(bytes).map_err(DocumentError::Parse)?;
    to_json(yaml, "$")
}

fn to_json(yaml: yaml_serde::Value, near: &str) -> Result<Value, DocumentError> {
    use yaml_serde::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| DocumentError::Number {
                        near: near.to_owned(),
                    })?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|item| to_json(item, near))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => {
                        return Err(DocumentError::NotJson {
                            what: "complex key",
                            near: near.to_owned(),
                        });
                    }
                };
                let value = to_json(value, &key)?;
                map.insert(key, value);
            }
            Value::Object(map)
        }
        Y::Tagged(_) => {
            return Err(DocumentError::NotJson {
                what: "tagged value",
                near: near.to_owned(),
            });
        }
    })
}

/// Renders a JSON tree as YAML, keys in document order, after a `# ...` header comment.
///
/// The output depends only on the tree, so rendering the same tree twice gives the same bytes.
///
/// ```
/// let doc = serde_json::json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}});
/// let text = xtask::document::render(&doc, "Generated. Do not edit.")?;
/// assert!(text.starts_with("# Generated. Do not edit.\nopenapi: 3.0.3\ninfo:\n"));
/// # Ok::<(), xtask::document::DocumentError>(())
/// ```
pub fn render(document: &Value, header: &str) -> Result<String, DocumentError> {
    let body = yaml_serde::to_string(document).map_err(DocumentError::Render)?;
    Ok(format!("# {header}\n{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_values_are_rejected_with_their_key() {
        let err = parse(b"a:\n  b: !custom 1\n").unwrap_err();
        assert_eq!(err.to_string(), "yaml tagged value at `b` has no json form");
    }

    #[test]
    fn json_and_yaml_give_the_same_tree() {
        let json = parse(br#"{"b": [1, 2.5, true, null], "a": "x"}"#).unwrap();
        let yaml = parse(b"b: [1, 2.5, true, ~]\na: x\n").unwrap();
        assert_eq!(json, yaml);
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn render_round_trips() {
        let doc = parse(b"z: 1\na:\n  text: |\n    two\n    lines\n").unwrap();
        let text = render(&doc, "h").unwrap();
        assert_eq!(parse(text.as_bytes()).unwrap(), doc);
    }

    #[test]
    fn invalid_input_is_a_parse_error() {
        assert!(matches!(parse(b"a: [1,"), Err(DocumentError::Parse(_))));
    }
}
