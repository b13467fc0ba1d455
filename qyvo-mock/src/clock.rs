//! The mock's controllable wall clock.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

/// Wall-clock time that runs with tokio's clock and can be moved forward by tests.
#[derive(Debug)]
pub(crate) struct Clock {
    start: DateTime<Utc>,
    started: tokio::time::Instant,
    offset: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn new(start: DateTime<Utc>) -> Self {
        Clock {
            start,
            started: tokio::time::Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// The current mock time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let offset = *crate::lock(&self.offset);
        let elapsed = self.started.elapsed() + offset;
        self.start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let mut offset = crate::lock(&self.offset);
        *offset = offset.saturating_add(by);
    }
}

/// Formats a timestamp as RFC 3339 with whole seconds and a `+00:00` offset.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_explicit_offset() {
        let at = DateTime::parse_from_rfc3339("2026-05-07T08:14:23.456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339(at), "2026-05-07T08:14:23+00:00");
    }

    #[tokio::test(start_paused = true)]
    async fn advances() {
        let start = Utc::now();
        let clock = Clock::new(start);
        clock.advance(Duration::from_secs(3600));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(clock.now() - start, chrono::Duration::seconds(3601));
    }
}
