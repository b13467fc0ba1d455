//! Turns serde_json's line and column of a decoding error into a JSON path like `$[3].created_at`.
//!
//! progenitor reports a response that does not match its type with serde_json's error, which
//! knows only a position. This scanner walks the raw body up to that position, tracking the
//! object keys and array indexes it is inside.

use std::fmt::Write as _;

enum Frame {
    Object {
        key: Option<String>,
        done: bool,
    },
    Array {
        index: usize,
        started: bool,
        done: bool,
    },
}

/// The JSON path at 1-based `line` and `column` of `body` (serde_json's convention).
///
/// Never panics: past the end, or in invalid JSON, it returns the deepest path reached.
pub(crate) fn path_at(body: &[u8], line: usize, column: usize) -> String {
    let offset = offset_of(body, line, column);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < body.len() && i <= offset {
        if i == offset && matches!(body[i], b'}' | b']' | b',') {
            break;
        }
        match body[i] {
            b'{' => {
                start_value(&mut stack);
                stack.push(Frame::Object {
                    key: None,
                    done: false,
                });
            }
            b'[' => {
                start_value(&mut stack);
                stack.push(Frame::Array {
                    index: 0,
                    started: false,
                    done: false,
                });
            }
            b'}' | b']' => {
                stack.pop();
                end_value(&mut stack);
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array {
                    index,
                    started,
                    done,
                }) => {
                    *index += 1;
                    *started = false;
                    *done = false;
                }
                Some(Frame::Object { key, done }) => {
                    *key = None;
                    *done = false;
                }
                None => {}
            },
            b'"' => {
                let (text, end) = read_string(body, i);
                let is_key = matches!(stack.last(), Some(Frame::Object { key: None, .. }))
                    && body[end..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':');
                if is_key {
                    if let Some(Frame::Object { key, .. }) = stack.last_mut() {
                        *key = Some(text);
                    }
                } else {
                    start_value(&mut stack);
                    if end <= offset {
                        end_value(&mut stack);
                    }
                }
                i = end;
                continue;
            }
            b if b.is_ascii_whitespace() || b == b':' => {}
            _ => {
                let end = body[i..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                    .map_or(body.len(), |p| i + p);
                start_value(&mut stack);
                if end < offset {
                    end_value(&mut stack);
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    render(&stack)
}

fn start_value(stack: &mut [Frame]) {
    if let Some(Frame::Array { started, .. }) = stack.last_mut() {
        *started = true;
    }
}

fn end_value(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Array { done, .. } | Frame::Object { done, .. }) => *done = true,
        None => {}
    }
}

fn render(stack: &[Frame]) -> String {
    let mut path = String::from("$");
    for frame in stack {
        match frame {
            Frame::Object {
                key: Some(key),
                done: false,
            } => {
                if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty() {
                    let _ = write!(path, ".{key}");
                } else {
                    let _ = write!(path, "[{key:?}]");
                }
            }
            Frame::Array {
                index,
                started: true,
                done: false,
            } => {
                let _ = write!(path, "[{index}]");
            }
            _ => {}
        }
    }
    path
}

/// Reads the string starting at the quote at `start`; returns its text and the index after it.
fn read_string(body: &[u8], start: usize) -> (String, usize) {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => {
                let raw = &body[start..=i];
                let text = serde_json::from_slice::<String>(raw)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&body[start + 1..i]).into_owned());
                return (text, i + 1);
            }
            _ => i += 1,
        }
    }
    (
        String::from_utf8_lossy(&body[(start + 1).min(body.len())..]).into_owned(),
        body.len(),
    )
}

/// The byte offset of serde_json's 1-based line and column (the column counts bytes).
fn offset_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    for _ in 1..line {
        match body[line_start..].iter().position(|&b| b == b'\n') {
            Some(p) => line_start += p + 1,
            None => return body.len(),
        }
    }
    (line_start + column.saturating_sub(1)).min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Item {
        id: String,
        created_at: chrono::DateTime<chrono::Utc>,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn path_of_error<T: for<'de> Deserialize<'de> + std::fmt::Debug>(json: &str) -> String {
        let err = serde_json::from_str::<T>(json).unwrap_err();
        path_at(json.as_bytes(), err.line(), err.column())
    }

    #[test]
    fn the_fixture_type_decodes_valid_items() {
        let json = r#"[{"id":"a","created_at":"2026-05-07T08:14:23+00:00","tags":["x"]}]"#;
        let items: Vec<Item> = serde_json::from_str(json).unwrap();
        assert_eq!(items[0].id, "a");
        assert_eq!(
            items[0].created_at.to_rfc3339(),
            "2026-05-07T08:14:23+00:00"
        );
        assert_eq!(items[0].tags, ["x"]);
    }

    #[test]
    fn finds_the_path_of_real_serde_errors() {
        let cases = [
            (
                r#"[{"id":"a","created_at":"2026-05-07T08:14:23+00:00"},{"id":"b","created_at":"yesterday"}]"#,
                "$[1].created_at",
            ),
            (
                r#"[{"id": 5, "created_at": "2026-05-07T08:14:23+00:00"}]"#,
                "$[0].id",
            ),
            (
                r#"[{"id":"a","created_at":"2026-05-07T08:14:23+00:00","tags":["x",7]}]"#,
                "$[0].tags[1]",
            ),
            ("[\n  {\n    \"id\": \"a\"\n  }\n]", "$[0]"),
            (r#"{"id":"a"}"#, "$"),
            (
                r#"[{"id":"a","created_at":"2026-05-07T08:14:23+00:00","odd key":1},{"id":null}]"#,
                "$[1].id",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(path_of_error::<Vec<Item>>(json), expected, "{json}");
        }
    }

    #[test]
    fn quotes_unusual_keys() {
        let json = r#"{"a b": [1, "x"]}"#;
        assert_eq!(path_at(json.as_bytes(), 1, 15), r#"$["a b"][1]"#);
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..200), line in 0usize..5, column in 0usize..300) {
            let _ = path_at(&body, line, column);
        }

        #[test]
        fn never_panics_on_jsonish_text(body in r#"[\[\]{}",:a-z0-9\\ \n]{0,80}"#, column in 0usize..100) {
            let _ = path_at(body.as_bytes(), 1, column);
        }
    }
}
