//! Running `qyvo` against a local server, and reading what it did.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use qyvo_mock::{MockServer, Operation};
use serde_json::Value;
use tokio::process::{Child, Command};

/// A local Qyvo whose quota never slows a test down (the CLI adopts the raised limit from the
/// first answer's `X-RateLimit-Limit`).
pub async fn server() -> MockServer {
    MockServer::builder()
        .rate_limit(1_000_000, Duration::from_secs(60))
        .start()
        .await
        .unwrap()
}

/// `qyvo` in `dir`, pointed at `server` through the environment, with nothing inherited.
pub fn qyvo(server: &MockServer, dir: &Path) -> Command {
    let mut command = bare(dir);
    command
        .env("QYVO_BASE_URL", server.base_url())
        .env("QYVO_TOKEN", server.token());
    command
}

/// `qyvo` in `dir` with no connection settings at all.
pub fn bare(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qyvo"));
    command
        .current_dir(dir)
        .env_remove("QYVO_TOKEN")
        .env_remove("QYVO_TOKEN_FILE")
        .env_remove("QYVO_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// What a finished run left.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// Runs `command` to the end.
pub async fn run(command: &mut Command) -> Run {
    finish(command.spawn().unwrap()).await
}

/// Runs `command` with `input` on stdin.
pub async fn run_with_stdin(command: &mut Command, input: &[u8]) -> Run {
    use tokio::io::AsyncWriteExt as _;

    let mut child = command.stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).await.unwrap();
    drop(stdin);
    finish(child).await
}

async fn finish(child: Child) -> Run {
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("qyvo finishes within a minute")
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The next line `lines` gives (a child's output), within 20 s.
pub async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
) -> String {
    tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("a line within 20 s")
        .unwrap()
        .expect("the process is still running")
}

/// Waits (polling: the other side is another process) until `done` holds, for at most 30 s.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Kills `child` with SIGKILL (no chance to clean up) and reaps it.
pub async fn kill(child: &mut Child) {
    child.kill().await.unwrap();
}

/// The phones of every request of `operation` the server received, in order.
pub fn phones_sent(server: &MockServer, operation: Operation) -> Vec<String> {
    server
        .journal()
        .iter()
        .filter(|e| e.operation == Some(operation))
        .filter_map(|e| e.body.as_ref()?.get("phone")?.as_str().map(str::to_owned))
        .collect()
}

/// A valid French number, distinct for each `i`.
pub fn phone(i: usize) -> String {
    format!("+33142{:06}", 760_000 + i)
}

/// A temporary directory for a run's files.
pub fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `text` to `name` in `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
