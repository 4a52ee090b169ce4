//! Where `play` writes: JSON lines (stdout, or stderr when the pipe sink owns stdout) and
//! sentences for people (stderr). A closed stdout is reported, never a panic; lines end with
//! `\r\n` only where a terminal in raw mode needs it.

use std::io::{IsTerminal, Write};

use serde_json::Value;

/// The program's outputs.
pub struct Out {
    /// JSON goes to stderr (the pipe sink owns stdout).
    json_on_stderr: bool,
    /// stderr is a terminal.
    err_tty: bool,
    /// stdout is a terminal.
    out_tty: bool,
}

/// The reader of the JSON stream went away.
#[derive(Debug)]
pub struct Closed;

impl Out {
    /// Outputs for a run; `json_on_stderr` when stdout carries audio.
    pub fn new(json_on_stderr: bool) -> Self {
        Self {
            json_on_stderr,
            err_tty: std::io::stderr().is_terminal(),
            out_tty: std::io::stdout().is_terminal(),
        }
    }

    /// Whether stderr is a terminal (status line, key hints).
    pub fn err_tty(&self) -> bool {
        self.err_tty
    }

    /// One JSON line; `Err(Closed)` when its reader has gone (EPIPE).
    pub fn json(&self, v: &Value) -> Result<(), Closed> {
        let written = if self.json_on_stderr {
            line(&mut std::io::stderr().lock(), &v.to_string(), self.err_tty)
        } else {
            line(&mut std::io::stdout().lock(), &v.to_string(), self.out_tty)
        };
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed),
            _ => Ok(()),
        }
    }

    /// A sentence on stderr (a lost stderr is ignored: there is no one to tell).
    pub fn say(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.err_tty {
            // Clears the status line first; raw mode needs the carriage return.
            let _ = write!(err, "\r\x1b[K");
        }
        let _ = line(&mut err, text, self.err_tty);
    }

    /// The status line on a terminal (position, buffering, paused), rewritten in place.
    pub fn status(&self, text: &str) {
        if self.err_tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K{text}");
            let _ = err.flush();
        }
    }

    /// Ends the status line, if one is showing.
    pub fn end_status(&self) {
        if self.err_tty {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

fn line(w: &mut impl Write, text: &str, tty: bool) -> std::io::Result<()> {
    let eol = if tty { "\r\n" } else { "\n" };
    write!(w, "{text}{eol}")?;
    w.flush()
}
