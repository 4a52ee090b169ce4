//! A capturing `tracing` subscriber for this thread, and checks that logs hold no secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything logged while the guard lives (on this thread: the tests' current-thread
/// runtime runs every task here).
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every level, without colours, until the guard is dropped.
pub fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

/// A query string (`?key=`) anywhere in `text`, if there is one.
pub fn query_in(text: &str) -> Option<&str> {
    text.match_indices('?').find_map(|(i, _)| {
        let rest = &text[i + 1..];
        let key = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (key > 0 && rest[key..].starts_with('=')).then(|| &text[i..(i + 40).min(text.len())])
    })
}
