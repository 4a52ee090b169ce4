//! How `play` fails: an exit code that means what the README says, and one sentence naming
//! what the user gave and what to do. Also the checks made before any network work.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use scplay::core::Error as ApiError;
use scplay::player::{PlayerError, Sink};

/// A failure: the exit code, a stable machine code (for `--json`) and one sentence.
#[derive(Debug)]
pub struct Fail {
    /// Process exit code.
    pub status: u8,
    /// Stable name of the failure (`usage`, `blocked`, `auth`, …).
    pub code: &'static str,
    /// One sentence for the user.
    pub message: String,
}

impl Fail {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            status: 2,
            code: "usage",
            message: message.into(),
        }
    }

    /// Anything else (exit 1).
    pub fn other(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 1,
            code,
            message: message.into(),
        }
    }
}

/// The failure for a player error; `target` is what the user gave when there was one item.
pub fn exit_for(e: &PlayerError, target: Option<&str>) -> Fail {
    let code = e.code();
    let named = |what: &str| target.map_or(String::new(), |t| format!(" {what} {t}"));
    // The message with its causes (the decoder's, the audio system's, …).
    let report = e.report();
    // Where the audio came from, unless the report already says it.
    let from = if target.is_some_and(|t| report.contains(t)) {
        String::new()
    } else {
        named("at")
    };
    let (status, message) = match e {
        PlayerError::Unsupported(_) => (
            3,
            format!("{report}: not audio this player can play{from}."),
        ),
        _ if e.is_not_playable() => (
            3,
            format!("{report}: SoundCloud does not let third-party players stream it."),
        ),
        PlayerError::Api(a) if a.is_auth() => (
            4,
            format!(
                "SoundCloud refused the app's credentials or the sign-in ({}): check \
                 --client-id and --client-secret, or sign in again with login.",
                a.status()
                    .map_or_else(|| a.to_string(), |s| format!("HTTP {s}"))
            ),
        ),
        PlayerError::Api(ApiError::NotFound { .. }) => (
            3,
            match target {
                Some(t) => format!(
                    "nothing found at {t}: check the link (a private track needs a sign-in)."
                ),
                None => format!("{report}: check the links (a private track needs a sign-in)."),
            },
        ),
        PlayerError::Http { status, .. } if (400..500).contains(status) && *status != 429 => (
            3,
            format!(
                "the media{} answered HTTP {status}: it is gone or not public; nothing to retry.",
                named("at")
            ),
        ),
        PlayerError::Decode { .. } | PlayerError::Playlist { .. } => (
            3,
            format!("{report}: not audio this player can play{from}."),
        ),
        _ if e.is_transient() => (5, format!("{report}. Check the network and try again.")),
        PlayerError::InvalidTarget(_) => (2, format!("{report}.")),
        _ => (1, format!("{report}.")),
    };
    Fail {
        status,
        code,
        message,
    }
}

/// The sink named by `--sink`, checked before any network work: a WAV path must be
/// writable, and raw audio is not written onto a terminal.
pub fn parse_sink(spec: &str) -> Result<Sink, Fail> {
    match spec.split_once(':') {
        None if spec == "cpal" => Ok(Sink::Cpal { device: None }),
        None if spec == "null" => Ok(Sink::Null),
        None if spec == "pipe" => {
            if std::io::stdout().is_terminal() {
                return Err(Fail::usage(
                    "--sink pipe writes raw audio (f32le, interleaved) to stdout, which is a \
                     terminal: pipe it into a program (… | aplay -f FLOAT_LE -c 2 -r 44100), \
                     or use --sink wav:PATH.",
                ));
            }
            Ok(Sink::Pipe(crate::raw_stdout::raw_stdout()))
        }
        Some(("cpal", dev)) => Ok(Sink::Cpal {
            device: Some(dev.to_string()),
        }),
        Some(("wav", path)) if !path.is_empty() => {
            let path = PathBuf::from(path);
            // Opened (not truncated) now so a bad path fails before any request.
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| {
                    Fail::usage(format!(
                        "cannot write the WAV file {}: {e}; give a path in an existing, \
                         writable folder.",
                        path.display()
                    ))
                })?;
            Ok(Sink::Wav(path))
        }
        _ => Err(Fail::usage(format!(
            "unknown sink {spec:?}: use cpal, cpal:DEVICE, wav:PATH, pipe or null."
        ))),
    }
}

/// `--start`: seconds (`90`, `12.5`), `MM:SS` or `H:MM:SS`.
pub fn parse_start(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a time: give seconds (90), MM:SS (1:30) or H:MM:SS");
    let mut total = 0.0;
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.len() > 3 {
        return Err(bad());
    }
    for (i, p) in parts.iter().enumerate() {
        let v: f64 = p.parse().map_err(|_| bad())?;
        let last = i + 1 == parts.len();
        if !v.is_finite() || v < 0.0 || (!last && v.fract() != 0.0) || (i > 0 && v >= 60.0) {
            return Err(bad());
        }
        total = total * 60.0 + v;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// `m:ss` for people.
pub fn fmt_time(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
