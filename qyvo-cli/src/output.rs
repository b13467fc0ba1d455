//! Results on stdout: JSON (the default, for scripts) or an aligned table (for people).

use std::io::Write as _;

use serde::Serialize;
use serde_json::Value;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Pretty-printed JSON.
    Json,
    /// An aligned table: a list of objects as rows, an object as field/value pairs.
    Table,
}

impl Format {
    /// Prints `value` on stdout: pretty JSON, or a table.
    pub fn print<T: Serialize + ?Sized>(self, value: &T) {
        emit(self, value, |format, value| match format {
            Self::Json => serde_json::to_string_pretty(&value).unwrap_or_default(),
            Self::Table => table(&value),
        });
    }

    /// Prints one item of a stream (`messages tail`, `webhooks listen`) on one line: compact
    /// JSON, or its fields two spaces apart.
    pub fn print_line<T: Serialize + ?Sized>(self, value: &T) {
        emit(self, value, |format, value| match (format, value) {
            (Self::Json, value) => value.to_string(),
            (Self::Table, Value::Object(fields)) => {
                fields.values().map(cell).collect::<Vec<_>>().join("  ")
            }
            (Self::Table, other) => cell(&other),
        });
    }
}

/// Writes `value` rendered by `render` on stdout, and flushes it. A closed stdout (`| head`)
/// is not an error worth reporting.
fn emit<T: Serialize + ?Sized>(format: Format, value: &T, render: fn(Format, Value) -> String) {
    let text = match serde_json::to_value(value) {
        Ok(value) => render(format, value),
        Err(e) => format!("cannot show the result: {e}"),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

impl Format {
    /// Prints a run's summary and its rows: one JSON object with the rows under `key`, or the
    /// summary's table, then the rows' table when there are any.
    pub fn print_report<S: Serialize, R: Serialize>(self, summary: &S, key: &str, rows: &[R]) {
        match self {
            Self::Json => {
                let mut value = serde_json::to_value(summary).unwrap_or(Value::Null);
                if let Value::Object(fields) = &mut value {
                    fields.insert(
                        key.to_owned(),
                        serde_json::to_value(rows).unwrap_or(Value::Null),
                    );
                }
                self.print(&value);
            }
            Self::Table => {
                self.print(summary);
                if !rows.is_empty() {
                    self.print("");
                    self.print(rows);
                }
            }
        }
    }
}

/// One cell: strings as they are, `null` empty, lists of scalars comma-separated, anything
/// else compact JSON; on one line.
fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(cell).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    };
    text.replace(['\n', '\r', '\t'], " ")
}

/// Renders `value` as a table.
fn table(value: &Value) -> String {
    match value {
        Value::Array(rows) if !rows.is_empty() && rows.iter().all(Value::is_object) => {
            let mut columns: Vec<&str> = Vec::new();
            for row in rows.iter().filter_map(Value::as_object) {
                for key in row.keys() {
                    if !columns.contains(&key.as_str()) {
                        columns.push(key);
                    }
                }
            }
            let header = columns.iter().map(|c| (*c).to_owned()).collect();
            let body = rows.iter().map(|row| {
                columns
                    .iter()
                    .map(|c| row.get(c).map(cell).unwrap_or_default())
                    .collect()
            });
            align(std::iter::once(header).chain(body).collect())
        }
        Value::Array(items) => align(items.iter().map(|i| vec![cell(i)]).collect()),
        Value::Object(fields) => align(
            fields
                .iter()
                .map(|(key, value)| vec![key.clone(), cell(value)])
                .collect(),
        ),
        scalar => cell(scalar),
    }
}

/// Pads every column to its widest cell; columns are two spaces apart, lines end without
/// blanks.
fn align(rows: Vec<Vec<String>>) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width(cell)),
                None => widths.push(width(cell)),
            }
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.extend(std::iter::repeat_n(' ', widths[i] - width(cell) + 2));
                }
            }
            line.truncate(line.trim_end().len());
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_list_of_objects_is_rows_under_the_union_of_their_keys() {
        let value = json!([
            {"id": "01J", "name": "Ann", "tags": ["vip", "fr"]},
            {"id": "01K", "email": null, "name": "Bérénice\nB."}
        ]);
        assert_eq!(
            table(&value),
            "id   name         tags     email\n\
             01J  Ann          vip, fr\n\
             01K  Bérénice B."
        );
    }

    #[test]
    fn an_object_is_field_value_pairs_and_nested_values_are_compact_json() {
        let value = json!({"count": 3, "id": "01J", "metadata": {"plan": "pro"}});
        assert_eq!(
            table(&value),
            "count     3\nid        01J\nmetadata  {\"plan\":\"pro\"}"
        );
        assert_eq!(table(&json!([])), "");
        assert_eq!(table(&json!("plain")), "plain");
    }
}
