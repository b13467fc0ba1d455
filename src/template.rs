//! Template placeholders and the variables that fill them.
//!
//! A template body such as `Hi {{name}}, your order {{order}} ships today` names the values the
//! send-template-message call needs in its `variables` object. This module extracts those names
//! ([`Placeholders`]), holds the values ([`Variables`]), checks one against the other before a
//! request is sent ([`Placeholders::check`]) and renders a preview for dry runs
//! ([`render_preview`]). Nothing here performs HTTP.
//!
//! # Placeholder syntax
//!
//! A placeholder is `{{`, optional spaces or tabs, a name, optional spaces or tabs, then `}}`.
//! A name is one or more ASCII lowercase letters, digits or underscores: Meta's numeric form
//! (`{{1}}`) and its named form (`{{first_name}}`). Anything else is literal text, never a
//! guess:
//!
//! | Text | Result |
//! |---|---|
//! | `{{1}}`, `{{ 1 }}`, `{{first_name}}`, `{{ first_name }}` | placeholder `1` / `first_name` |
//! | `{1}`, `{{}}`, `{{ }}`, `{{1` | literal text |
//! | `{{a b}}`, `{{context.name}}`, `{{Name}}`, `{{prénom}}` | literal text (not a Meta name) |
//! | `{{{1}}}` | placeholder `1` surrounded by a literal `{` and `}` |
//! | `{{1}}}` | placeholder `1` followed by a literal `}` |
//!
//! The text is scanned left to right and the first well-formed placeholder wins, as a regular
//! expression `\{\{[ \t]*([a-z0-9_]+)[ \t]*\}\}` would; so in `{{{1}}}` the inner `{{1}}` is the
//! placeholder. Line breaks inside the braces are not tolerated.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::types::json_kind;

/// One placeholder found in a body: where it is and what it is called.
struct Occurrence<'a> {
    span: Range<usize>,
    name: &'a str,
}

/// Whether a byte may pad a name inside the braces.
fn is_padding(byte: &u8) -> bool {
    matches!(byte, b' ' | b'\t')
}

/// Whether a byte may appear in a placeholder name.
fn is_name_byte(byte: &u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'_'
}

/// Parses the placeholder that starts at `start` (the first `{` of `{{`), if it is well formed.
fn placeholder_at(body: &str, start: usize) -> Option<Occurrence<'_>> {
    let bytes = body.as_bytes();
    let skip = |from: usize, class: fn(&u8) -> bool| {
        from + bytes
            .get(from..)
            .map_or(0, |rest| rest.iter().take_while(|byte| class(byte)).count())
    };
    let name_start = skip(start + 2, is_padding);
    let name_end = skip(name_start, is_name_byte);
    if name_end == name_start {
        return None;
    }
    let close = skip(name_end, is_padding);
    if bytes.get(close..close + 2)? != b"}}" {
        return None;
    }
    Some(Occurrence {
        span: start..close + 2,
        name: body.get(name_start..name_end)?,
    })
}

/// Every well-formed placeholder of `body`, left to right, duplicates included.
fn occurrences(body: &str) -> impl Iterator<Item = Occurrence<'_>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while let Some(offset) = body.get(pos..)?.find("{{") {
            let start = pos + offset;
            match placeholder_at(body, start) {
                Some(found) => {
                    pos = found.span.end;
                    return Some(found);
                }
                // `{` is one byte, so `start + 1` is a character boundary.
                None => pos = start + 1,
            }
        }
        None
    })
}

/// The placeholder names of a template body, in order of first appearance, without duplicates.
///
/// This is the list the server reports as `expected_placeholders` and get-template returns as
/// `placeholders`. Build it from a body with [`Placeholders::from_body`] (or `str::parse`), or
/// from the server's array with `From<Vec<String>>` / [`FromIterator`]. See the
/// [module documentation](self) for the exact syntax.
///
/// ```
/// use qyvo::template::Placeholders;
///
/// let body = "Hi {{name}}, your order {{ order }} is shipping today. Track it: {{tracking_url}}";
/// let placeholders: Placeholders = body.parse()?;
/// assert_eq!(placeholders.as_slice(), ["name", "order", "tracking_url"]);
/// # Ok::<(), std::convert::Infallible>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Vec<String>")]
pub struct Placeholders(Vec<String>);

impl Placeholders {
    /// Extracts the placeholders of a template body.
    ///
    /// Malformed braces are literal text (see the [module documentation](self)); a repeated
    /// placeholder is listed once, where it first appears.
    ///
    /// ```
    /// use qyvo::template::Placeholders;
    ///
    /// let placeholders = Placeholders::from_body("{{2}} then {{1}}, again {{ 2 }}; {1} {{}} {{a b}}");
    /// assert_eq!(placeholders.as_slice(), ["2", "1"]);
    /// ```
    pub fn from_body(body: &str) -> Self {
        let mut seen = HashSet::new();
        Self(
            occurrences(body)
                .map(|found| found.name)
                .filter(|name| seen.insert(*name))
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The names, in order of first appearance.
    ///
    /// ```
    /// use qyvo::template::Placeholders;
    ///
    /// assert_eq!(Placeholders::from_body("Hi {{1}}").as_slice(), ["1"]);
    /// ```
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Iterates over the names, in order of first appearance.
    ///
    /// ```
    /// use qyvo::template::Placeholders;
    ///
    /// let placeholders = Placeholders::from_body("{{a}} {{b}}");
    /// let names: Vec<&str> = placeholders.iter().map(String::as_str).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    /// The number of distinct placeholders.
    ///
    /// ```
    /// use qyvo::template::Placeholders;
    ///
    /// assert_eq!(Placeholders::from_body("{{1}} {{2}} {{1}}").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body has no placeholder (then `variables` may be omitted).
    ///
    /// ```
    /// use qyvo::template::Placeholders;
    ///
    /// assert!(Placeholders::from_body("Thanks for your order!").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `name` is one of the placeholders.
    ///
    /// ```
    /// use qyvo::template::Placeholders;
    ///
    /// assert!(Placeholders::from_body("Hi {{ name }}").contains("name"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|known| known == name)
    }

    /// Checks `variables` against these placeholders before sending.
    ///
    /// It is an error when a placeholder has no variable (`missing`), when a placeholder's value
    /// is empty or only whitespace (`empty`), or when a value breaks one of WhatsApp's parameter
    /// rules (`invalid`, see [`ParameterRule`]). Keys that match no placeholder are **not** an
    /// error: the server accepts them, so refusing them here would reject valid requests. They
    /// are listed in [`VariablesError::unexpected`] when something else fails, and by
    /// [`Placeholders::unexpected`] at any time. Values of unexpected keys are not checked.
    ///
    /// ```
    /// use qyvo::template::{Placeholders, Variables};
    ///
    /// let placeholders = Placeholders::from_body("Hi {{1}}, your order {{2}} ships today");
    /// let variables: Variables = [("1", "Romain"), ("2", "ORD-1042")].into_iter().collect();
    /// placeholders.check(&variables)?;
    ///
    /// let err = placeholders.check(&[("1", "Romain")].into_iter().collect()).unwrap_err();
    /// assert_eq!(err.missing, ["2"]);
    /// # Ok::<(), qyvo::template::VariablesError>(())
    /// ```
    pub fn check(&self, variables: &Variables) -> Result<(), VariablesError> {
        let mut missing = Vec::new();
        let mut empty = Vec::new();
        let mut invalid = Vec::new();
        for name in &self.0 {
            match variables.get(name) {
                None => missing.push(name.clone()),
                Some(value) if value.trim().is_empty() => empty.push(name.clone()),
                Some(value) => invalid.extend(
                    ParameterRule::ALL
                        .into_iter()
                        .filter(|rule| rule.is_broken_by(value))
                        .map(|rule| InvalidVariable {
                            key: name.clone(),
                            rule,
                        }),
                ),
            }
        }
        if missing.is_empty() && empty.is_empty() && invalid.is_empty() {
            return Ok(());
        }
        Err(VariablesError {
            expected_placeholders: self.0.clone(),
            missing,
            empty,
            invalid,
            unexpected: self.unexpected(variables),
        })
    }

    /// The keys of `variables` that match no placeholder, in key order.
    ///
    /// The server accepts such keys, so they are reported rather than refused; a key listed here
    /// next to a missing placeholder is usually a typo.
    ///
    /// ```
    /// use qyvo::template::{Placeholders, Variables};
    ///
    /// let placeholders = Placeholders::from_body("Track it: {{tracking_url}}");
    /// let variables: Variables = [("tracking_url", "https://t.example/1"), ("tracking", "x")]
    ///     .into_iter()
    ///     .collect();
    /// assert_eq!(placeholders.unexpected(&variables), ["tracking"]);
    /// ```
    pub fn unexpected(&self, variables: &Variables) -> Vec<String> {
        let known: HashSet<&str> = self.0.iter().map(String::as_str).collect();
        variables
            .keys()
            .filter(|key| !known.contains(key))
            .map(str::to_owned)
            .collect()
    }
}

impl FromStr for Placeholders {
    type Err = Infallible;

    /// Same as [`Placeholders::from_body`]; never fails.
    fn from_str(body: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_body(body))
    }
}

impl<S: Into<String>> FromIterator<S> for Placeholders {
    /// Collects names as given (e.g. get-template's `placeholders`), dropping repeats.
    fn from_iter<I: IntoIterator<Item = S>>(names: I) -> Self {
        let mut seen = HashSet::new();
        Self(
            names
                .into_iter()
                .map(Into::into)
                .filter(|name| seen.insert(name.clone()))
                .collect(),
        )
    }
}

impl From<Vec<String>> for Placeholders {
    /// Takes the server's `placeholders` array as is, dropping repeats.
    fn from(names: Vec<String>) -> Self {
        names.into_iter().collect()
    }
}

impl From<&crate::types::Template> for Placeholders {
    /// The placeholders of a template as get-template answers it: its `placeholders` array,
    /// or those of its body when the array is empty (older answers leave it out).
    ///
    /// ```
    /// use qyvo::{template::Placeholders, types::Template};
    ///
    /// let template: Template = serde_json::from_str(
    ///     r#"{"id": "01J0AB", "name": "order_shipped", "body": "Hi {{1}}, order {{2}}"}"#,
    /// )?;
    /// assert_eq!(Placeholders::from(&template).as_slice(), ["1", "2"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    fn from(template: &crate::types::Template) -> Self {
        if template.placeholders.is_empty() {
            Self::from_body(&template.body)
        } else {
            template.placeholders.iter().map(String::as_str).collect()
        }
    }
}

impl<'a> IntoIterator for &'a Placeholders {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Placeholders {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The values of a template's placeholders: the `variables` object of send-template-message.
///
/// Keys are placeholder names (`"1"`, `"first_name"`), values are strings: the API refuses other
/// JSON types, so numbers and dates must be formatted before they go in. Build it from pairs
/// ([`FromIterator`]), from a `BTreeMap`/`HashMap`, or from JSON with `TryFrom` (which refuses
/// non-string values). It serializes as a JSON object and converts into the
/// `BTreeMap<String, String>` the generated request type holds.
///
/// `Debug` shows the keys only: values are often personal data.
///
/// ```
/// use std::collections::BTreeMap;
/// use qyvo::template::Variables;
///
/// let variables = Variables::try_from(serde_json::json!({"1": "Romain", "2": "ORD-1042"}))?;
/// assert_eq!(variables.get("2"), Some("ORD-1042"));
/// assert_eq!(serde_json::to_string(&variables)?, r#"{"1":"Romain","2":"ORD-1042"}"#);
/// let map: BTreeMap<String, String> = variables.into();
/// assert_eq!(map.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Variables(BTreeMap<String, String>);

impl Variables {
    /// An empty set of variables.
    ///
    /// ```
    /// assert!(qyvo::template::Variables::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value of a placeholder, returning the previous value if there was one.
    ///
    /// ```
    /// let mut variables = qyvo::template::Variables::new();
    /// assert_eq!(variables.insert("1", "Romain"), None);
    /// assert_eq!(variables.insert("1", "Ana"), Some("Romain".to_owned()));
    /// ```
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// The value of a placeholder, if set.
    ///
    /// ```
    /// let variables: qyvo::template::Variables = [("name", "Romain")].into_iter().collect();
    /// assert_eq!(variables.get("name"), Some("Romain"));
    /// assert_eq!(variables.get("order"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The keys, in key order.
    ///
    /// ```
    /// let variables: qyvo::template::Variables = [("2", "b"), ("1", "a")].into_iter().collect();
    /// assert_eq!(variables.keys().collect::<Vec<_>>(), ["1", "2"]);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The key/value pairs, in key order.
    ///
    /// ```
    /// let variables: qyvo::template::Variables = [("1", "a")].into_iter().collect();
    /// assert_eq!(variables.iter().collect::<Vec<_>>(), [("1", "a")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// The number of variables.
    ///
    /// ```
    /// let variables: qyvo::template::Variables = [("1", "a"), ("2", "b")].into_iter().collect();
    /// assert_eq!(variables.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no variable.
    ///
    /// ```
    /// assert!(qyvo::template::Variables::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Variables {
    /// Lists the keys; the values stay hidden because they are often personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Variables")
            .field(&self.0.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Variables {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut variables = Self::new();
        variables.extend(pairs);
        variables
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Variables {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        self.0.extend(
            pairs
                .into_iter()
                .map(|(key, value)| (key.into(), value.into())),
        );
    }
}

impl From<BTreeMap<String, String>> for Variables {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl<S: BuildHasher> From<HashMap<String, String, S>> for Variables {
    fn from(map: HashMap<String, String, S>) -> Self {
        map.into_iter().collect()
    }
}

impl From<Variables> for BTreeMap<String, String> {
    /// The shape of `types::SendTemplateMessageRequest::variables`.
    fn from(variables: Variables) -> Self {
        variables.0
    }
}

impl TryFrom<Map<String, Value>> for Variables {
    type Error = VariablesJsonError;

    /// Takes a JSON object whose values are all strings.
    ///
    /// # Errors
    ///
    /// [`VariablesJsonError::NotAString`] for the first (in key order) non-string value.
    fn try_from(object: Map<String, Value>) -> Result<Self, Self::Error> {
        object
            .into_iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key, text)),
                other => Err(VariablesJsonError::NotAString {
                    key,
                    found: json_kind(&other),
                }),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Self)
    }
}

impl TryFrom<Value> for Variables {
    type Error = VariablesJsonError;

    /// Takes a JSON object whose values are all strings.
    ///
    /// # Errors
    ///
    /// [`VariablesJsonError::NotAnObject`] when `value` is not an object, else as
    /// `TryFrom<Map<String, Value>>`.
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Object(object) => object.try_into(),
            other => Err(VariablesJsonError::NotAnObject {
                found: json_kind(&other),
            }),
        }
    }
}

impl IntoIterator for Variables {
    type Item = (String, String);
    type IntoIter = std::collections::btree_map::IntoIter<String, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Why JSON could not become [`Variables`].
///
/// Messages name the key and the JSON type found, never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VariablesJsonError {
    /// The JSON is not an object.
    NotAnObject {
        /// The JSON type found, e.g. `an array`.
        found: &'static str,
    },
    /// A value is not a string; the API needs numbers and dates formatted client-side.
    NotAString {
        /// The key whose value is not a string.
        key: String,
        /// The JSON type found, e.g. `a number`.
        found: &'static str,
    },
}

impl fmt::Display for VariablesJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject { found } => {
                write!(f, "template variables must be a json object, found {found}")
            }
            Self::NotAString { key, found } => write!(
                f,
                "template variable `{key}` must be a string, found {found} (format numbers and dates before sending)"
            ),
        }
    }
}

impl std::error::Error for VariablesJsonError {}

/// A WhatsApp rule for template parameter values; Meta refuses a send that breaks one.
///
/// These are the rules Meta applies to text parameters: no line break, no tab, and no more than
/// four consecutive spaces. Nothing else (such as a length limit) is checked: the Qyvo docs
/// state no other rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParameterRule {
    /// No line break (`\n` or `\r`).
    NoLineBreak,
    /// No tab (`\t`).
    NoTab,
    /// No run of more than four spaces.
    AtMostFourConsecutiveSpaces,
}

impl ParameterRule {
    /// Every rule, in the order [`Placeholders::check`] reports them.
    pub const ALL: [Self; 3] = [
        Self::NoLineBreak,
        Self::NoTab,
        Self::AtMostFourConsecutiveSpaces,
    ];

    /// Whether `value` breaks this rule.
    ///
    /// ```
    /// use qyvo::template::ParameterRule;
    ///
    /// assert!(ParameterRule::NoLineBreak.is_broken_by("line\nbreak"));
    /// assert!(ParameterRule::AtMostFourConsecutiveSpaces.is_broken_by("a     b"));
    /// assert!(!ParameterRule::AtMostFourConsecutiveSpaces.is_broken_by("a    b"));
    /// ```
    pub fn is_broken_by(self, value: &str) -> bool {
        match self {
            Self::NoLineBreak => value.contains(['\n', '\r']),
            Self::NoTab => value.contains('\t'),
            Self::AtMostFourConsecutiveSpaces => value.contains("     "),
        }
    }
}

impl fmt::Display for ParameterRule {
    /// Describes the breach, e.g. `contains a tab`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoLineBreak => "contains a line break",
            Self::NoTab => "contains a tab",
            Self::AtMostFourConsecutiveSpaces => "contains more than four consecutive spaces",
        })
    }
}

/// A variable whose value breaks a WhatsApp parameter rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct InvalidVariable {
    /// The placeholder name.
    pub key: String,
    /// The rule the value breaks.
    pub rule: ParameterRule,
}

impl fmt::Display for InvalidVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.key, self.rule)
    }
}

/// Variables that do not fit a template, from [`Placeholders::check`].
///
/// One value reports every problem at once, as the server's own 422 does, which is why it is a
/// struct rather than an enum of single failures. `expected_placeholders` and `missing` have the
/// shape and order of the server's answer. Messages name keys only, never values.
///
/// ```
/// use qyvo::template::{Placeholders, Variables};
///
/// let body = "Hi {{name}}, your order {{order}} is shipping today. Track it: {{tracking_url}}";
/// let variables: Variables = [("name", "Romain"), ("order", "ORD-1042")].into_iter().collect();
/// let err = Placeholders::from_body(body).check(&variables).unwrap_err();
/// assert_eq!(err.expected_placeholders, ["name", "order", "tracking_url"]);
/// assert_eq!(err.missing, ["tracking_url"]);
/// assert_eq!(err.to_string(), "template variables do not fit the template: missing `tracking_url`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VariablesError {
    /// Every placeholder of the template, in order of first appearance.
    pub expected_placeholders: Vec<String>,
    /// Placeholders without a variable, in placeholder order.
    pub missing: Vec<String>,
    /// Placeholders whose value is empty or only whitespace, in placeholder order.
    pub empty: Vec<String>,
    /// Values that break a WhatsApp parameter rule, in placeholder then rule order.
    pub invalid: Vec<InvalidVariable>,
    /// Keys that match no placeholder, in key order. Not an error by themselves: the server
    /// accepts them.
    pub unexpected: Vec<String>,
}

impl fmt::Display for VariablesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |names: &[String]| {
            names
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing {}", keys(&self.missing)));
        }
        if !self.empty.is_empty() {
            parts.push(format!("empty {}", keys(&self.empty)));
        }
        parts.extend(self.invalid.iter().map(ToString::to_string));
        if !self.unexpected.is_empty() {
            parts.push(format!(
                "unexpected {} (accepted by the server)",
                keys(&self.unexpected)
            ));
        }
        write!(
            f,
            "template variables do not fit the template: {}",
            parts.join("; ")
        )
    }
}

impl std::error::Error for VariablesError {}

/// Fills a template body with `variables`, for dry runs and previews.
///
/// Each well-formed placeholder with a variable is replaced by its value; a placeholder without
/// one stays as written (inner spaces included), so gaps are visible. Malformed braces are left
/// alone (see the [module documentation](self)). Never fails.
///
/// ```
/// use qyvo::template::{Variables, render_preview};
///
/// let variables: Variables = [("1", "Romain")].into_iter().collect();
/// assert_eq!(
///     render_preview("Hi {{ 1 }}, your order {{2}} is shipping today", &variables),
///     "Hi Romain, your order {{2}} is shipping today",
/// );
/// ```
pub fn render_preview(body: &str, variables: &Variables) -> String {
    let mut rendered = String::with_capacity(body.len());
    let mut copied = 0;
    for found in occurrences(body) {
        if let Some(value) = variables.get(found.name) {
            // Spans start and end on ASCII braces, so they are character boundaries.
            rendered.push_str(&body[copied..found.span.start]);
            rendered.push_str(value);
            copied = found.span.end;
        }
    }
    rendered.push_str(&body[copied..]);
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        pairs.iter().copied().collect()
    }

    #[test]
    fn extracts_placeholders() {
        let cases: &[(&str, &[&str])] = &[
            ("Hi {{1}}, your order {{2}} ...", &["1", "2"]),
            (
                "Hi {{name}}, your order {{order}} is shipping today. Track it: {{tracking_url}}",
                &["name", "order", "tracking_url"],
            ),
            (
                "{{ 1 }} {{\tfirst_name\t}} {{  x_2}}",
                &["1", "first_name", "x_2"],
            ),
            ("{{2}} {{1}} {{2}} {{ 1 }}", &["2", "1"]),
            ("{1} {{}} {{ }} {{a b}} {{context.name}} {{Name}}", &[]),
            ("{{prénom}} {{-1}} {{1 }", &[]),
            ("unterminated {{1", &[]),
            ("unterminated {{1}", &[]),
            ("{{{1}}}", &["1"]),
            ("{{1}}}", &["1"]),
            ("{{{{a}}}}", &["a"]),
            ("{{ {{b}}", &["b"]),
            ("{{a{{b}}", &["b"]),
            ("{{\n1}}", &[]),
            ("é{{1}}ü{{ü}}", &["1"]),
            ("", &[]),
            ("{{", &[]),
            ("{{0}}{{00}}", &["0", "00"]),
        ];
        for (body, expected) in cases {
            assert_eq!(
                Placeholders::from_body(body).as_slice(),
                *expected,
                "body {body:?}"
            );
        }
    }

    #[test]
    fn parse_and_server_list_agree() {
        let parsed: Placeholders = "{{1}} {{2}}".parse().unwrap();
        let from_server = Placeholders::from(vec!["1".to_owned(), "2".to_owned(), "1".to_owned()]);
        assert_eq!(parsed, from_server);
        let deserialized: Placeholders = serde_json::from_value(json!(["1", "2"])).unwrap();
        assert_eq!(deserialized, parsed);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(["1", "2"]));
        assert_eq!(parsed.into_iter().collect::<Vec<_>>(), ["1", "2"]);
    }

    #[test]
    fn a_template_answer_gives_its_array_else_its_body() {
        let template = |extra: Value| -> crate::types::Template {
            let mut value = json!({"id": "t", "name": "n", "body": "Hi {{1}} {{2}}"});
            value
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value(value).unwrap()
        };
        // The server's list wins over the body (it is what the server checks against).
        let listed = template(json!({"placeholders": ["name", "name", "order"]}));
        assert_eq!(Placeholders::from(&listed).as_slice(), ["name", "order"]);
        for absent in [
            json!({}),
            json!({"placeholders": []}),
            json!({"placeholders": null}),
        ] {
            assert_eq!(Placeholders::from(&template(absent)).as_slice(), ["1", "2"]);
        }
    }

    #[test]
    fn builds_variables() {
        let from_pairs = vars(&[("1", "Romain"), ("2", "ORD-1042")]);
        let from_hash: Variables = HashMap::from([
            ("1".to_owned(), "Romain".to_owned()),
            ("2".to_owned(), "ORD-1042".to_owned()),
        ])
        .into();
        let from_json = Variables::try_from(json!({"1": "Romain", "2": "ORD-1042"})).unwrap();
        assert_eq!(from_pairs, from_hash);
        assert_eq!(from_pairs, from_json);
        let map: BTreeMap<String, String> = from_pairs.clone().into();
        assert_eq!(Variables::from(map), from_pairs);
        assert_eq!(
            serde_json::to_value(&from_pairs).unwrap(),
            json!({"1": "Romain", "2": "ORD-1042"})
        );
    }

    #[test]
    fn fits_the_generated_request_builder() {
        let request = crate::types::SendTemplateMessageRequest::try_from(
            crate::types::SendTemplateMessageRequest::builder()
                .phone("+14155550123")
                .template_id("01J0AB")
                .variables(vars(&[("1", "Romain"), ("2", "ORD-1042")])),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({
                "phone": "+14155550123",
                "template_id": "01J0AB",
                "variables": {"1": "Romain", "2": "ORD-1042"}
            })
        );
    }

    #[test]
    fn rejects_non_string_json() {
        let err = Variables::try_from(json!({"1": "Romain", "total": 42.5})).unwrap_err();
        assert_eq!(
            err,
            VariablesJsonError::NotAString {
                key: "total".to_owned(),
                found: "a number"
            }
        );
        assert!(!err.to_string().contains("42"));
        assert_eq!(
            err.to_string(),
            "template variable `total` must be a string, found a number (format numbers and dates before sending)"
        );
        for (value, found) in [
            (json!(null), "null"),
            (json!(true), "a boolean"),
            (json!(["a"]), "an array"),
            (json!({"x": 1}), "an object"),
        ] {
            let err = Variables::try_from(json!({ "k": value })).unwrap_err();
            assert_eq!(
                err,
                VariablesJsonError::NotAString {
                    key: "k".to_owned(),
                    found
                }
            );
        }
        assert_eq!(
            Variables::try_from(json!(["1"])).unwrap_err().to_string(),
            "template variables must be a json object, found an array"
        );
    }

    #[test]
    fn debug_hides_values() {
        let debug = format!("{:?}", vars(&[("name", "Romain Secret")]));
        assert_eq!(debug, r#"Variables(["name"])"#);
    }

    #[test]
    fn docs_numeric_example_passes() {
        let placeholders = Placeholders::from_body("Hi {{1}}, your order {{2}} ...");
        let variables = Variables::try_from(json!({"1": "Romain", "2": "ORD-1042"})).unwrap();
        assert_eq!(placeholders.check(&variables), Ok(()));
    }

    #[test]
    fn docs_named_example_reports_missing_in_server_shape() {
        let placeholders = Placeholders::from_body(
            "Hi {{name}}, your order {{order}} is shipping today. Track it: {{tracking_url}}",
        );
        let err = placeholders
            .check(&vars(&[("name", "Romain"), ("order", "ORD-1042")]))
            .unwrap_err();
        assert_eq!(err.expected_placeholders, ["name", "order", "tracking_url"]);
        assert_eq!(err.missing, ["tracking_url"]);
        assert!(err.empty.is_empty() && err.invalid.is_empty() && err.unexpected.is_empty());
    }

    #[test]
    fn checks_variables() {
        use ParameterRule::*;
        let placeholders = Placeholders::from_body("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}}");
        let err = placeholders
            .check(&vars(&[
                ("a", ""),
                ("b", " \u{a0} "),
                ("c", "two\r\nlines\tand     spaces"),
                ("d", "four    spaces ok"),
                ("x", "extra\n"),
            ]))
            .unwrap_err();
        let invalid = |key: &str, rule| InvalidVariable {
            key: key.to_owned(),
            rule,
        };
        assert_eq!(
            err,
            VariablesError {
                expected_placeholders: ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec(),
                missing: vec!["e".to_owned(), "f".to_owned()],
                empty: vec!["a".to_owned(), "b".to_owned()],
                invalid: vec![
                    invalid("c", NoLineBreak),
                    invalid("c", NoTab),
                    invalid("c", AtMostFourConsecutiveSpaces),
                ],
                unexpected: vec!["x".to_owned()],
            }
        );
        assert_eq!(
            err.to_string(),
            "template variables do not fit the template: missing `e`, `f`; empty `a`, `b`; \
             `c` contains a line break; `c` contains a tab; \
             `c` contains more than four consecutive spaces; \
             unexpected `x` (accepted by the server)"
        );
    }

    #[test]
    fn extras_alone_are_not_an_error() {
        let placeholders = Placeholders::from_body("Hi {{1}}");
        let variables = vars(&[("1", "Romain"), ("2", "bad\nvalue"), ("0", "x")]);
        assert_eq!(placeholders.check(&variables), Ok(()));
        assert_eq!(placeholders.unexpected(&variables), ["0", "2"]);
        assert_eq!(Placeholders::default().check(&Variables::new()), Ok(()));
    }

    #[test]
    fn many_placeholders_and_keys_are_matched_exactly() {
        let body: String = (0..10_000)
            .map(|i| format!("{{{{p{}}}}} ", i % 6_000))
            .collect();
        let placeholders = Placeholders::from_body(&body);
        assert_eq!(placeholders.len(), 6_000);
        assert_eq!(placeholders.as_slice()[5_999], "p5999");
        let variables: Variables = (3_000..9_000).map(|i| (format!("p{i}"), "x")).collect();
        assert_eq!(placeholders.unexpected(&variables).len(), 3_000);
        let err = placeholders.check(&variables).unwrap_err();
        assert_eq!(err.missing.len(), 3_000);
        assert_eq!(err.missing[0], "p0");
        assert_eq!(err.unexpected.first().map(String::as_str), Some("p6000"));
        assert_eq!(err.unexpected, placeholders.unexpected(&variables));
    }

    #[test]
    fn rule_boundaries() {
        let cases = [
            ("\n", ParameterRule::NoLineBreak, true),
            ("\r", ParameterRule::NoLineBreak, true),
            ("a b", ParameterRule::NoLineBreak, false),
            ("\t", ParameterRule::NoTab, true),
            ("    ", ParameterRule::AtMostFourConsecutiveSpaces, false),
            ("     ", ParameterRule::AtMostFourConsecutiveSpaces, true),
            (
                "  \u{a0}  ",
                ParameterRule::AtMostFourConsecutiveSpaces,
                false,
            ),
        ];
        for (value, rule, broken) in cases {
            assert_eq!(rule.is_broken_by(value), broken, "{value:?} {rule:?}");
        }
    }

    #[test]
    fn error_messages_never_show_values() {
        let err = Placeholders::from_body("{{a}} {{b}}")
            .check(&vars(&[("a", "SECRET\tVALUE"), ("c", "OTHER SECRET")]))
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn renders_previews() {
        let variables = vars(&[("1", "Romain"), ("name", "Ana"), ("unused", "x")]);
        let cases = [
            ("Hi {{1}}, order {{2}}", "Hi Romain, order {{2}}"),
            ("Hi {{ 1 }} / {{  name\t}}", "Hi Romain / Ana"),
            ("{{{1}}} {1} {{1", "{Romain} {1} {{1"),
            ("{{1}}{{1}}", "RomainRomain"),
            ("no placeholders", "no placeholders"),
            ("é {{ 2 }} ü", "é {{ 2 }} ü"),
        ];
        for (body, expected) in cases {
            assert_eq!(render_preview(body, &variables), expected, "body {body:?}");
        }
    }

    proptest! {
        #[test]
        fn extraction_and_rendering_never_panic(body in any::<String>(), value in any::<String>()) {
            let placeholders = Placeholders::from_body(&body);
            let variables: Variables = placeholders.iter().map(|name| (name.clone(), value.clone())).collect();
            let _ = render_preview(&body, &variables);
            let _ = placeholders.check(&variables);
        }

        #[test]
        fn extraction_handles_brace_heavy_input(body in "[{}a-c1 \t._\n]{0,40}") {
            let placeholders = Placeholders::from_body(&body);
            for name in &placeholders {
                prop_assert!(body.contains(name.as_str()));
                prop_assert!(name.bytes().all(|byte| is_name_byte(&byte)));
            }
            prop_assert_eq!(render_preview(&body, &Variables::new()), body);
        }

        #[test]
        fn rendering_with_every_value_leaves_no_placeholder(
            body in "([{}a-c1 \t._]|\\{\\{ ?[a-c1]{1,2} ?\\}\\}){0,30}",
            value in "[A-Z.-]{1,5}",
        ) {
            let placeholders = Placeholders::from_body(&body);
            let variables: Variables = placeholders.iter().map(|name| (name.clone(), value.clone())).collect();
            prop_assert_eq!(placeholders.check(&variables), Ok(()));
            let rendered = render_preview(&body, &variables);
            prop_assert!(Placeholders::from_body(&rendered).is_empty(), "{:?} -> {:?}", body, rendered);
        }
    }
}
