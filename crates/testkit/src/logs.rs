//! Capturing what the crates log through `tracing`, and checks that logs hold no secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

/// Everything logged to a capture so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
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

/// Captures every level logged on this thread, without colours, until the guard is dropped
/// (a current-thread runtime runs every task here).
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

/// Captures every level the scplay crates log on any thread (their engines log from their
/// own), for the rest of the test process: one such test per test binary.
pub fn capture_global() -> Captured {
    let logs = Captured::default();
    let writer = logs.clone();
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(move || writer.clone())
        .with_ansi(false);
    let ours = Targets::new()
        .with_target("scplay_core", tracing::Level::TRACE)
        .with_target("scplay_player", tracing::Level::TRACE);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(fmt).with(ours))
        .expect("the first global subscriber of this test binary");
    logs
}

/// The first line of `logs` holding all of `parts`; panics showing the logs when none does.
pub fn line<'a>(logs: &'a str, parts: &[&str]) -> &'a str {
    logs.lines()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no log line with {parts:?} in:\n{logs}"))
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
