//! How `sc` fails and prints: an exit code and one sentence; JSON on stdout, a closed stdout
//! (`sc … | head -1`) ending the program quietly instead of a panic.

use std::io::Write;

use scplay::core::Error;
use serde::Serialize;

/// A failure: the exit code and one sentence (empty: nothing to say).
pub struct Fail(pub u8, pub String);

/// A usage error (exit 2).
pub fn usage(e: impl std::fmt::Display) -> Fail {
    Fail(2, e.to_string())
}

/// An API failure: 4 authentication, 5 network or retryable, 3 not found, 2 refused
/// argument, 1 anything else.
pub fn api(e: Error) -> Fail {
    let code = if e.is_auth() {
        4
    } else if matches!(e, Error::Network { .. }) || e.is_retryable() {
        5
    } else if matches!(e, Error::InvalidArgument(_)) {
        2
    } else if matches!(e, Error::NotFound { .. }) {
        3
    } else {
        1
    };
    let text = e.to_string();
    // The core's message may already say what to do; the hint is not repeated then.
    let hint = if code == 4 && !text.contains("sign in") {
        " Sign in with login, or check the app's credentials."
    } else {
        ""
    };
    Fail(code, format!("{text}.{hint}"))
}

/// Prints `v` as pretty JSON. A closed stdout is the end of the output: exit 141, quietly.
pub fn out(v: &impl Serialize) -> Result<(), Fail> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Fail(1, e.to_string()))?;
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{text}").and_then(|()| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Fail(141, String::new())),
        Err(e) => Err(Fail(1, format!("cannot write the output: {e}."))),
        Ok(()) => Ok(()),
    }
}
