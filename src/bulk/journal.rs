//! Where a bulk send records its progress: the [`BulkJournal`] trait and [`FileJournal`].

use std::{
    collections::HashMap,
    fs::{File, OpenOptions},
    io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

use serde::{Deserialize, Serialize};

/// A recorded state of one recipient in a [`BulkJournal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JournalStatus {
    /// About to send: recorded before the request.
    Sending,
    /// Sent.
    Sent,
    /// Refused by the server.
    Rejected,
    /// Certainly not sent; a resumed batch tries again.
    NotSent,
    /// May have been sent.
    Unknown,
}

#[cfg(feature = "postgres")]
impl JournalStatus {
    /// The name it is recorded under (as serialized, and in a campaign's `status` column).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Rejected => "rejected",
            Self::NotSent => "not_sent",
            Self::Unknown => "unknown",
        }
    }
}

/// Where a batch records its progress so it can resume; see the [module docs](super).
///
/// `record` must be durable when it returns: the batch records [`JournalStatus::Sending`]
/// before each send and relies on it after a crash.
pub trait BulkJournal: Send + Sync {
    /// The last recorded status of every key.
    fn load(&self) -> io::Result<HashMap<String, JournalStatus>>;
    /// Records a key's new status.
    fn record(&self, key: &str, status: JournalStatus) -> io::Result<()>;
}

/// A [`BulkJournal`] in a JSON Lines file: one appended and synced line per record.
///
/// A crash in the middle of a write leaves a torn last line. [`open`](Self::open) cuts it off
/// before appending, so it never merges with the next record: the record it held never
/// completed, so the send it announced never started (a `sending` record is durable before its
/// send begins), or its outcome is unknown and the `sending` line before it says so.
///
/// ```
/// use qyvo::bulk::{BulkJournal, FileJournal, JournalStatus};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("qyvo-doc-journal-{}.jsonl", std::process::id()));
/// let journal = FileJournal::open(&path)?;
/// journal.record("+14155550123", JournalStatus::Sending)?;
/// journal.record("+14155550123", JournalStatus::Sent)?;
/// assert_eq!(journal.load()?["+14155550123"], JournalStatus::Sent);
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: Mutex<File>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    key: String,
    status: JournalStatus,
}

impl FileJournal {
    /// Opens (or creates) the journal file, cutting off a torn last line.
    ///
    /// # Errors
    ///
    /// The file cannot be opened, read, repaired or synced.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_owned();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        repair(&mut file)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }
}

/// Truncates `file` after its last complete line (one that ends with a newline).
fn repair(file: &mut File) -> io::Result<()> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(());
    }
    // Read backwards in blocks until a newline (or the start): a torn line is short.
    let mut end = length;
    let mut block = vec![0; 4096];
    let complete = loop {
        let start = end.saturating_sub(block.len() as u64);
        let size = usize::try_from(end - start).unwrap_or(block.len());
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..size])?;
        if let Some(at) = block[..size].iter().rposition(|&b| b == b'\n') {
            break start + at as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    if complete < length {
        file.set_len(complete)?;
        file.sync_all()?;
    }
    Ok(())
}

impl BulkJournal for FileJournal {
    fn load(&self) -> io::Result<HashMap<String, JournalStatus>> {
        let mut statuses = HashMap::new();
        for (number, line) in BufReader::new(File::open(&self.path)?).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let Line { key, status } = serde_json::from_str(&line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    // The line holds phones: serde_json's message may quote one.
                    format!(
                        "bulk journal line {} is corrupt: {}",
                        number + 1,
                        crate::error::without_quoted_values(&e.to_string())
                    ),
                )
            })?;
            statuses.insert(key, status);
        }
        Ok(statuses)
    }

    fn record(&self, key: &str, status: JournalStatus) -> io::Result<()> {
        let mut line = serde_json::to_string(&Line {
            key: key.to_owned(),
            status,
        })?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "postgres")]
    #[test]
    fn a_status_is_recorded_under_its_serialized_name() {
        for status in [
            JournalStatus::Sending,
            JournalStatus::Sent,
            JournalStatus::Rejected,
            JournalStatus::NotSent,
            JournalStatus::Unknown,
        ] {
            let serialized = serde_json::to_string(&status).unwrap();
            assert_eq!(serialized, format!("\"{}\"", status.as_str()));
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qyvo-journal-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn keeps_the_last_status_of_each_key() {
        let path = temp("last");
        let journal = FileJournal::open(&path).unwrap();
        journal.record("a", JournalStatus::Sending).unwrap();
        journal.record("a", JournalStatus::Sent).unwrap();
        journal.record("b", JournalStatus::Sending).unwrap();
        let loaded = FileJournal::open(&path).unwrap().load().unwrap();
        assert_eq!(loaded["a"], JournalStatus::Sent);
        assert_eq!(loaded["b"], JournalStatus::Sending);
        assert_eq!(loaded.len(), 2);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_never_merges_with_the_next_record() {
        let path = temp("torn");
        let journal = FileJournal::open(&path).unwrap();
        journal.record("a", JournalStatus::Sent).unwrap();
        journal.record("b", JournalStatus::Sending).unwrap();
        drop(journal);
        let whole = std::fs::read(&path).unwrap();
        // Tear the last record at every offset inside it.
        let last_start = whole[..whole.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap()
            + 1;
        for cut in last_start..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let journal = FileJournal::open(&path).unwrap();
            journal.record("c", JournalStatus::Sending).unwrap();
            let loaded = journal.load().expect("no corrupt line after a repair");
            assert_eq!(loaded["a"], JournalStatus::Sent, "cut at {cut}");
            assert_eq!(loaded["c"], JournalStatus::Sending, "cut at {cut}");
            assert!(
                !loaded.contains_key("b"),
                "cut at {cut}: a torn record is not a record"
            );
        }
    }

    #[test]
    fn a_torn_file_without_any_newline_is_emptied() {
        let path = temp("no-newline");
        std::fs::write(&path, b"{\"key\":\"+4930").unwrap();
        let journal = FileJournal::open(&path).unwrap();
        assert!(journal.load().unwrap().is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn a_corrupt_complete_line_is_an_error_naming_it() {
        let path = temp("corrupt");
        std::fs::write(&path, "garbage\n{\"key\":\"a\",\"status\":\"sent\"}\n").unwrap();
        let err = FileJournal::open(&path).unwrap().load().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .starts_with("bulk journal line 1 is corrupt"),
            "{err}"
        );
        std::fs::write(&path, "{\"key\":14155550123,\"status\":\"sent\"}\n").unwrap();
        let err = FileJournal::open(&path).unwrap().load().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bulk journal line 1 is corrupt")
        );
        assert!(!err.to_string().contains("4155550123"), "{err}");
    }

    #[test]
    fn a_long_journal_repairs_across_read_blocks() {
        let path = temp("long");
        let journal = FileJournal::open(&path).unwrap();
        for i in 0..500 {
            journal
                .record(&format!("+1415555{i:04}"), JournalStatus::Sent)
                .unwrap();
        }
        drop(journal);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::iter::repeat_n(b'x', 10_000));
        std::fs::write(&path, &bytes).unwrap();
        let loaded = FileJournal::open(&path).unwrap().load().unwrap();
        assert_eq!(loaded.len(), 500);
    }
}
