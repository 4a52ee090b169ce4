//! `--json`: one JSON object per line for supervisors. Every object has `event`; failures
//! carry a stable `code` (see `PlayerError::code`); track events carry the queue `index`;
//! seconds are rounded to hundredths. Player events are the remote's (`GET /api/events`
//! sends the same lines); the run's own (warnings, the control URL, the exit) are here.

use serde_json::{Value, json};

/// Player events in the same shape as the remote's event stream (one definition, in
/// `scplay::remote::json`).
pub use scplay::remote::json::event;

/// Where the remote control listens (`--control`): its page's URL.
pub fn control(url: &str) -> Value {
    json!({"event": "control", "url": url})
}

/// A warning that is not a player event (no sound card, a fallback taken).
pub fn warning(code: &str, message: &str) -> Value {
    json!({"event": "warning", "code": code, "message": message})
}

/// The end of the run when it is not "played to the end": the exit status, a stable code and
/// the sentence also printed on stderr.
pub fn exit(status: u8, code: &str, message: &str) -> Value {
    json!({"event": "exit", "status": status, "code": code, "message": message})
}
