//! What a `tracing` subscriber writes, kept for the test to read.

#![allow(
    clippy::unwrap_used,
    dead_code,
    reason = "test support: a poisoned lock fails the test; each binary reads the logs its way"
)]

use std::{
    io,
    sync::{Arc, Mutex},
};

/// A writer for `tracing_subscriber::fmt().with_writer(move || captured.clone())`: clones
/// share what was written.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, kept.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Everything written since the last `take`, forgotten.
    pub fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
