//! Real Redis and PostgreSQL servers for the tests: Debian's `redis-server` and PostgreSQL
//! (installed by `cargo xtask setup`), each started on a free port of 127.0.0.1 in a temporary
//! directory of its own and stopped, its directory removed, when dropped.
//!
//! PostgreSQL refuses to run as root: run as root (as CI does), the tests start it as the
//! `postgres` user that Debian's package creates.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "test support: a broken fixture should fail the test loudly; each test binary \
              uses the servers it needs"
)]

use std::{
    io::{Read as _, Write as _},
    net::{TcpListener, TcpStream},
    os::unix::process::CommandExt as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a server may take to accept connections.
const READY: Duration = Duration::from_secs(30);

/// A fresh temporary directory named after `kind`, removed with everything in it when dropped.
fn temp_dir(kind: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("qyvo-{kind}-"))
        .tempdir()
        .expect("a temporary directory")
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

/// Polls `ready` until it holds; after `within`, panics with `what` and `detail()`.
pub fn wait_until(
    what: &str,
    within: Duration,
    mut ready: impl FnMut() -> bool,
    detail: impl FnOnce() -> String,
) {
    let deadline = Instant::now() + within;
    while !ready() {
        if Instant::now() > deadline {
            panic!("{what} within {within:?}:\n{}", detail());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the server `what` is ready, or panics with its log.
fn wait_started(what: &str, log: &Path, ready: impl FnMut() -> bool) {
    let log = || std::fs::read_to_string(log).unwrap_or_default();
    wait_until(&format!("{what} did not start"), READY, ready, log);
}

/// A `redis-server` on 127.0.0.1, without persistence, in a temporary directory.
#[derive(Debug)]
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    /// Starts a server on a free port.
    pub fn start() -> Self {
        let mut redis = Self {
            child: None,
            port: free_port(),
            dir: temp_dir("redis"),
        };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Sends one command in Redis's inline protocol and returns the raw answer.
    pub fn command(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis is up");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        let mut answer = vec![0; 64 * 1024];
        let read = stream.read(&mut answer).unwrap_or(0);
        String::from_utf8_lossy(&answer[..read]).into_owned()
    }

    fn ping(&self) -> bool {
        TcpStream::connect(("127.0.0.1", self.port)).is_ok_and(|mut stream| {
            stream
                .set_read_timeout(Some(Duration::from_secs(1)))
                .is_ok()
                && stream.write_all(b"PING\r\n").is_ok()
                && {
                    let mut answer = [0; 7];
                    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
                }
        })
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a
    /// Redis stuck on a slow command, until [`resume`](Self::resume).
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen server answer again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("redis is running").id();
        let sent = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// Kills the server (SIGKILL): Redis is down until [`restart`](Self::restart).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        let log = self.dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed: run `cargo xtask setup`");
        self.child = Some(child);
        wait_started("redis-server", &log, || self.ping());
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` to its end; panics with its stderr when it fails.
fn succeeds(command: &mut Command) {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The newest PostgreSQL's `bin` directory of Debian's layout.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed: run `cargo xtask setup`")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            let bin = path.join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL server under /usr/lib/postgresql: run `cargo xtask setup`")
        .1
}

/// The user and group to run PostgreSQL as: `postgres` when this process is root (PostgreSQL
/// refuses root), nobody else's otherwise.
fn postgres_user() -> Option<(u32, u32)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?;
    if effective != "0" {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd is readable");
    let fields: Vec<&str> = passwd
        .lines()
        .find(|line| line.starts_with("postgres:"))
        .expect("the postgres user of Debian's package")
        .split(':')
        .collect();
    Some((fields[2].parse().unwrap(), fields[3].parse().unwrap()))
}

/// A PostgreSQL cluster on 127.0.0.1, in a temporary directory, with the superuser `qyvo`
/// trusted on loopback.
#[derive(Debug)]
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
    user: Option<(u32, u32)>,
    dir: tempfile::TempDir,
}

impl Postgres {
    /// Creates a cluster (initdb) and starts it on a free port.
    pub fn start() -> Self {
        let dir = temp_dir("postgres");
        let user = postgres_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let mut postgres = Self {
            child: None,
            port: free_port(),
            bin: postgres_bin(),
            user,
            dir,
        };
        succeeds(
            postgres
                .command("initdb")
                .arg("-D")
                .arg(postgres.data())
                .args(["-U", "qyvo", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        );
        postgres.restart();
        postgres
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// A command of PostgreSQL's `bin` directory, as the user that runs the server.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        command.stdin(Stdio::null());
        command
    }

    /// The connection string of database `dbname`, for `tokio_postgres::Config`.
    pub fn config(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=qyvo dbname={dbname} connect_timeout=5",
            self.port
        )
    }

    /// Creates an empty database.
    pub fn create_database(&self, name: &str) {
        let port = self.port.to_string();
        succeeds(
            Command::new(self.bin.join("createdb"))
                .args(["-h", "127.0.0.1", "-p", &port, "-U", "qyvo"])
                .arg(name),
        );
    }

    fn ready(&self) -> bool {
        Command::new(self.bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Stops the server as a crash would (`pg_ctl stop -m immediate`): committed work
    /// survives, connections break.
    pub fn crash(&mut self) {
        self.stop("immediate");
    }

    fn stop(&mut self, mode: &str) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let stopped = self
            .command("pg_ctl")
            .args(["stop", "-w", "-m", mode, "-D"])
            .arg(self.data())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = child.kill();
        }
        let _ = child.wait();
    }

    /// Starts the server (again) on the same port and data.
    pub fn restart(&mut self) {
        self.stop("fast");
        let log = std::fs::File::create(self.log()).expect("a log file");
        if let Some((uid, gid)) = self.user {
            std::os::unix::fs::chown(self.log(), Some(uid), Some(gid)).expect("chown");
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        wait_started("postgres", &self.log(), || self.ready());
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop("fast");
    }
}
