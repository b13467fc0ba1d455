//! Long runs: progress on stderr (a bar with rate and ETA on a terminal; otherwise, for a
//! pipe, a log file or CI, a plain line at most once a second and at the end) and Ctrl-C.

use std::{
    future::Future,
    io::IsTerminal as _,
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};
use qyvo::{Client, prelude::QyvoClientExt as _};
use tokio::sync::watch;

/// How often plain progress lines are printed, at most.
const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// The progress of a run over `total` rows.
pub struct Progress {
    label: &'static str,
    total: u64,
    started: Instant,
    kind: Kind,
}

enum Kind {
    Bar(ProgressBar),
    /// When the last line was printed.
    Plain(Mutex<Option<Instant>>),
}

impl Progress {
    pub fn start(label: &'static str, total: u64) -> Self {
        let kind = if std::io::stderr().is_terminal() {
            let style =
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            Kind::Bar(
                ProgressBar::new(total)
                    .with_style(style.progress_chars("=> "))
                    .with_message(label),
            )
        } else {
            Kind::Plain(Mutex::new(None))
        };
        Self {
            label,
            total,
            started: Instant::now(),
            kind,
        }
    }

    /// `done` of the rows are handled; `detail` (counts) is shown with them.
    pub fn update(&self, done: u64, detail: &str) {
        match &self.kind {
            Kind::Bar(bar) => {
                bar.set_message(format!("{} ({detail})", self.label));
                bar.set_position(done);
            }
            Kind::Plain(last) => {
                let now = Instant::now();
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if done < self.total && last.is_some_and(|at| now - at < PLAIN_EVERY) {
                    return;
                }
                *last = Some(now);
                eprintln!("{}", self.line(done, detail, now - self.started));
            }
        }
    }

    /// A plain progress line: counts, rate and time left at that rate.
    fn line(&self, done: u64, detail: &str, elapsed: Duration) -> String {
        let percent = (done * 100).checked_div(self.total).unwrap_or(100);
        let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
        let left = self.total.saturating_sub(done) as f64 / rate.max(f64::MIN_POSITIVE);
        let eta = if done == self.total || !left.is_finite() {
            String::new()
        } else {
            format!(", eta {}", clock(Duration::from_secs_f64(left.min(1e9))))
        };
        format!(
            "{}: {done}/{} ({percent}%), {detail}, {rate:.1}/s{eta}",
            self.label, self.total
        )
    }

    /// Leaves the final state on screen.
    pub fn finish(&self) {
        if let Kind::Bar(bar) = &self.kind {
            bar.finish();
        }
    }
}

/// `1h02m03s`, `2m03s` or `3s`.
fn clock(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs / 3600, secs / 60 % 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

/// What the server last said of the quota, for progress details: `quota 117/120 left`.
pub fn quota(client: &Client) -> String {
    client.rate_limit().map_or_else(String::new, |q| {
        format!(", quota {}/{} left", q.remaining, q.limit)
    })
}

/// Set once Ctrl-C is pressed: a run checks it between rows, or waits for it, and stops
/// cleanly; a second Ctrl-C exits at once.
#[derive(Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Starts listening for Ctrl-C.
    pub fn listen() -> Self {
        let (set, flag) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("qyvo: stopping (Ctrl-C again to stop at once)");
                set.send_replace(true);
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        Self(flag)
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once Ctrl-C was pressed (never, if Ctrl-C cannot be listened for).
    pub async fn wait(mut self) {
        if self.0.wait_for(|set| *set).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Runs `work` unless Ctrl-C comes first (then `None`, and `work` is dropped).
    pub async fn during<F: Future>(&self, work: F) -> Option<F::Output> {
        tokio::select! {
            () = self.clone().wait() => None,
            done = work => Some(done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_show_counts_rate_and_time_left() {
        let progress = Progress {
            label: "import",
            total: 1000,
            started: Instant::now(),
            kind: Kind::Plain(Mutex::new(None)),
        };
        assert_eq!(
            progress.line(250, "created or updated 250", Duration::from_secs(125)),
            "import: 250/1000 (25%), created or updated 250, 2.0/s, eta 6m15s"
        );
        assert_eq!(
            progress.line(1000, "done", Duration::from_secs(10)),
            "import: 1000/1000 (100%), done, 100.0/s"
        );
        assert_eq!(clock(Duration::from_secs(3723)), "1h02m03s");
    }
}
