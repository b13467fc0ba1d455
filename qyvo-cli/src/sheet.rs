//! CSV input with a header row: every row with its line number, or why it cannot be read; and
//! the phone column read through the SDK's [`PhoneNumber`].

use std::path::{Path, PathBuf};

use qyvo::phone::{PhoneError, PhoneNumber};

use crate::failure::Failure;

/// A CSV file: its header and its rows, in order.
#[derive(Debug)]
pub struct Sheet {
    headers: Vec<String>,
    pub rows: Vec<Result<Row, Invalid>>,
}

/// One data row and the line it starts on (the header is line 1).
pub struct Row {
    pub line: u64,
    record: csv::StringRecord,
}

/// The line and the number of fields: never a value (phones, names).
impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("line", &self.line)
            .field("fields", &self.record.len())
            .finish_non_exhaustive()
    }
}

/// A row that cannot be used, and why; nothing is sent for it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Invalid {
    pub line: u64,
    pub reason: String,
}

impl Sheet {
    /// Reads `path`. Fields are trimmed; a row whose field count differs from the header's,
    /// or that is not UTF-8, is an [`Invalid`] row.
    pub fn read(path: &Path) -> Result<Self, Failure> {
        let cannot = |e: &dyn std::fmt::Display| {
            Failure::input(format!("cannot read {}: {e}", path.display()))
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| cannot(&e))?;
        let headers = reader
            .headers()
            .map_err(|e| cannot(&e))?
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .into_records()
            .map(|record| match record {
                Ok(record) => Ok(Row {
                    line: record.position().map_or(0, csv::Position::line),
                    record,
                }),
                Err(e) => Err(Invalid {
                    line: e.position().map_or(0, csv::Position::line),
                    reason: unreadable(&e),
                }),
            })
            .collect();
        Ok(Self { headers, rows })
    }

    /// The headers, in order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of the column named `name`, if there is one.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The index of the column named `name`, or an error naming the columns there are.
    pub fn require(&self, name: &str) -> Result<usize, Failure> {
        self.column(name).ok_or_else(|| {
            Failure::input(format!(
                "no column `{name}` in the header (columns: {})",
                self.headers.join(", ")
            ))
        })
    }

    /// The column named `given`, which must exist; or the column named `default`, if any.
    pub fn optional(&self, given: Option<&str>, default: &str) -> Result<Option<usize>, Failure> {
        match given {
            Some(name) => self.require(name).map(Some),
            None => Ok(self.column(default)),
        }
    }
}

impl Row {
    /// The field in `column` (empty past the end of the row).
    pub fn get(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or_default()
    }

    /// A row that cannot be used, at this row's line.
    pub fn invalid(&self, reason: impl std::fmt::Display) -> Invalid {
        Invalid {
            line: self.line,
            reason: reason.to_string(),
        }
    }
}

/// Why a row cannot be read, without its content.
fn unreadable(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields, the header {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
        _ => "the row cannot be read as CSV".to_owned(),
    }
}

/// How phone numbers without a `+` are read: `--region`.
#[derive(Debug, Clone, Default)]
pub struct Region(Option<String>);

/// Where a CSV file's phone numbers are, and how national ones are read: the flags of every
/// command that reads one.
#[derive(Debug, clap::Args)]
pub struct PhoneColumn {
    /// Read phone numbers written without `+` as national numbers of this region (ISO 3166
    /// code: US, DE, FR…).
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// The column of phone numbers.
    #[arg(long = "phone-column", value_name = "COLUMN", default_value = "phone")]
    pub column: String,
}

impl PhoneColumn {
    /// The checked `--region`.
    pub fn region(&self) -> Result<Region, Failure> {
        Region::new(self.region.clone())
    }
}

/// `file` with `suffix` appended to its name: where a command keeps its journal by default.
pub fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut path = file.as_os_str().to_owned();
    path.push(suffix);
    path.into()
}

impl Region {
    /// `--region`, checked once so that an unknown code is one error, not one per row.
    pub fn new(region: Option<String>) -> Result<Self, Failure> {
        if let Some(code) = &region
            && let Err(e @ PhoneError::UnknownRegion { .. }) =
                PhoneNumber::parse_with_region("", code)
        {
            return Err(Failure::input(e));
        }
        Ok(Self(region))
    }

    /// Reads a phone number: with its `+`, or as a national number of the region.
    pub fn phone(&self, raw: &str) -> Result<PhoneNumber, PhoneError> {
        match &self.0 {
            Some(region) => PhoneNumber::parse_with_region(raw, region),
            None => raw.parse(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn rows_keep_their_line_numbers_and_unreadable_rows_say_why() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(
            b"phone,name\n+14155550100,Ann\n\"+1 415 555 0101\",\"B\nB\"\n+14155550102\n",
        )
        .unwrap();
        file.write_all(b"+14155550103,\xff\n").unwrap();
        let sheet = Sheet::read(file.path()).unwrap();
        assert_eq!(sheet.headers(), ["phone", "name"]);
        let lines: Vec<_> = sheet
            .rows
            .iter()
            .map(|r| match r {
                Ok(row) => (row.line, String::new()),
                Err(invalid) => (invalid.line, invalid.reason.clone()),
            })
            .collect();
        assert_eq!(
            lines,
            [
                (2, String::new()),
                (3, String::new()),
                (5, "the row has 1 fields, the header 2".to_owned()),
                (6, "the row is not valid UTF-8".to_owned()),
            ]
        );
        let Ok(row) = &sheet.rows[1] else { panic!() };
        assert_eq!(row.get(0), "+1 415 555 0101");
        assert_eq!(row.get(7), "");
        let shown = format!("{sheet:?}");
        assert!(!shown.contains("555") && !shown.contains("Ann"), "{shown}");
        assert!(sheet.require("email").unwrap_err().exit() == crate::failure::Exit::InvalidInput);
    }

    #[test]
    fn a_region_reads_national_numbers_and_an_unknown_one_is_refused_once() {
        let us = Region::new(Some("US".to_owned())).unwrap();
        assert_eq!(us.phone("(415) 555-0100").unwrap().as_str(), "+14155550100");
        assert_eq!(
            us.phone("+33 1 42 76 49 78").unwrap().as_str(),
            "+33142764978"
        );
        assert!(Region::default().phone("(415) 555-0100").is_err());
        assert!(Region::new(Some("XX".to_owned())).is_err());
    }
}
