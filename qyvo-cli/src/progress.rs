//! Long runs: progress on stderr (a bar with rate and ETA on a terminal; otherwise, for a
//! pipe, a log file or CI, a plain line at most once a second and at the end) and Ctrl-C.

use std::{
    future::Future,
    io::IsTerminal as _,
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};
use qyvo::{Client, defaults, prelude::QyvoClientExt as _, ratelimit::RateLimitStatus};
use tokio::sync::watch;

/// How often plain progress lines are printed, at most.
const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// The progress of a run over `total` rows, one request each.
pub struct Progress {
    label: &'static str,
    total: u64,
    started: Instant,
    client: Client,
    kind: Kind,
}

enum Kind {
    Bar(ProgressBar),
    /// When the last line was printed.
    Plain(Mutex<Option<Instant>>),
}

impl Progress {
    /// Starts the progress of `total` requests of `client`, whose quota paces them.
    pub fn start(label: &'static str, total: u64, client: &Client) -> Self {
        let kind = if std::io::stderr().is_terminal() {
            let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
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
            client: client.clone(),
            kind,
        }
    }

    /// `done` of the rows are handled; `detail` (counts) is shown with them, then the quota,
    /// the rate and the time left.
    pub fn update(&self, done: u64, detail: &str) {
        let now = Instant::now();
        match &self.kind {
            Kind::Bar(bar) => {
                let status = self.status(done, detail, now - self.started);
                bar.set_message(format!("{} ({status})", self.label));
                bar.set_position(done);
            }
            Kind::Plain(last) => {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if done < self.total && last.is_some_and(|at| now - at < PLAIN_EVERY) {
                    return;
                }
                *last = Some(now);
                let percent = (done * 100).checked_div(self.total).unwrap_or(100);
                let status = self.status(done, detail, now - self.started);
                eprintln!(
                    "{}: {done}/{} ({percent}%), {status}",
                    self.label, self.total
                );
            }
        }
    }

    /// Counts, quota, rate and time left.
    fn status(&self, done: u64, detail: &str, elapsed: Duration) -> String {
        let quota = self.client.rate_limit();
        let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
        let mut status = detail.to_owned();
        if let Some(quota) = quota {
            status.push_str(&format!(", quota {}/{} left", quota.remaining, quota.limit));
        }
        status.push_str(&format!(", {rate:.1}/s"));
        let left = self.total.saturating_sub(done);
        if left > 0 {
            let eta = time_left(left, rate, quota, defaults::RATE_WINDOW);
            status.push_str(&format!(", eta {}", clock(eta)));
        }
        status
    }

    /// Leaves the final state on screen.
    pub fn finish(&self) {
        if let Kind::Bar(bar) = &self.kind {
            bar.finish();
        }
    }
}

/// The time `left` more requests take: at the rate so far, but no faster than the quota
/// allows. `remaining` of `limit` requests are left in the current `window`; beyond them,
/// every `limit` requests take one more window.
fn time_left(left: u64, rate: f64, quota: Option<RateLimitStatus>, window: Duration) -> Duration {
    let at_rate = left as f64 / rate.max(f64::MIN_POSITIVE);
    let at_quota = quota.map_or(0.0, |q| {
        let beyond = left.saturating_sub(u64::from(q.remaining));
        beyond as f64 / f64::from(q.limit.max(1)) * window.as_secs_f64()
    });
    Duration::from_secs_f64(at_rate.max(at_quota).min(1e9))
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
    fn time_left_is_at_the_rate_so_far_but_no_faster_than_the_quota() {
        let minute = Duration::from_secs(60);
        let quota = |remaining, limit| Some(RateLimitStatus { remaining, limit });
        // 750 left at 2/s: 6m15s, when the quota is no limit.
        assert_eq!(time_left(750, 2.0, None, minute), Duration::from_secs(375));
        assert_eq!(
            time_left(750, 2.0, quota(10_000, 10_000), minute),
            Duration::from_secs(375)
        );
        // Fast so far, but 120 a minute: 20 go now, the other 240 take two more minutes.
        assert_eq!(
            time_left(260, 300.0, quota(20, 120), minute),
            Duration::from_secs(120)
        );
        assert_eq!(
            time_left(5, 0.0, None, minute),
            Duration::from_secs(1_000_000_000)
        );
        assert_eq!(clock(Duration::from_secs(375)), "6m15s");
        assert_eq!(clock(Duration::from_secs(3723)), "1h02m03s");
        assert_eq!(clock(Duration::from_secs(7)), "7s");
    }
}
