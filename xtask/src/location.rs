//! Where a node sits in a JSON document, printed as a normalized JSONPath.

use std::fmt;

/// One step from a JSON node to a child: an object member or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object member, by name.
    Key(String),
    /// An array element, by index.
    Index(usize),
}

/// The location of a node in a JSON document.
///
/// Displays as a JSONPath such as `$.paths['/me'].get.responses['200']`: names that are
/// plain identifiers use dot notation, every other name uses a quoted bracket.
///
/// ```
/// use xtask::location::Location;
///
/// let here = Location::root().key("paths").key("/me").key("get");
/// assert_eq!(here.to_string(), "$.paths['/me'].get");
/// assert_eq!(Location::root().key("tags").index(2).to_string(), "$.tags[2]");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location(Vec<Step>);

impl Location {
    /// The document root, `$`.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This location extended by an object member.
    #[must_use]
    pub fn key(&self, name: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Key(name.to_owned()));
        Self(steps)
    }

    /// This location extended by an array index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        Self(steps)
    }

    /// The steps from the root, in order.
    pub fn steps(&self) -> &[Step] {
        &self.0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for step in &self.0 {
            match step {
                Step::Index(i) => write!(f, "[{i}]")?,
                Step::Key(k) if is_identifier(k) => write!(f, ".{k}")?,
                Step::Key(k) => write!(f, "['{}']", k.replace('\\', "\\\\").replace('\'', "\\'"))?,
            }
        }
        Ok(())
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl From<Vec<Step>> for Location {
    fn from(steps: Vec<Step>) -> Self {
        Self(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_names_that_are_not_identifiers() {
        let loc = Location::root()
            .key("components")
            .key("x-qyvo")
            .key("it's")
            .index(0);
        assert_eq!(loc.to_string(), "$.components['x-qyvo']['it\\'s'][0]");
    }

    #[test]
    fn root_is_dollar() {
        assert_eq!(Location::root().to_string(), "$");
        assert!(Location::root().steps().is_empty());
    }
}
