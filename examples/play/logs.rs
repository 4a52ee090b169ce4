//! `play`'s logs: what scplay-core and scplay-player log through `tracing`, on stderr only
//! (stdout carries `--json` or the pipe sink's audio), so journald keeps them under systemd.
//!
//! `RUST_LOG` picks the levels, as a comma-separated list of `LEVEL` and `TARGET=LEVEL`
//! (`tracing_subscriber`'s `Targets` syntax: no regular expressions, no span filters). A bare
//! `LEVEL` applies to scplay's own targets (`scplay_core`, `scplay_player`, `play`); other
//! libraries log only when named (`hyper=debug`), since their lines can hold signed URLs.
//! Unset or empty: no logs. `play`'s stderr then keeps its contract (one sentence per failure,
//! said once); a unit sets `RUST_LOG=warn` or `info` for the journal (docs/kiosk.md).

use std::io::{IsTerminal, Write};
use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// scplay's own targets, which a bare level in `RUST_LOG` applies to.
const OURS: [&str; 4] = ["scplay_core", "scplay_player", "scplay_remote", "play"];

/// The shape of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-01-01T12:00:00.000000Z  INFO scplay_player::log: playing index=0 …` (without the
    /// time under journald, which adds its own).
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message` and the event's
    /// own fields (`urn`, `attempt`, `delay_ms`, …).
    Json,
}

/// The logging flags.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Log lines on stderr as text or json (one object per line: timestamp, level, target,
    /// message and the event's fields). RUST_LOG turns them on and picks the levels: e.g.
    /// warn, info, debug, or scplay_player=debug,warn; a bare level covers scplay's own
    /// targets. Unset: no logs.
    #[arg(
        long,
        value_enum,
        default_value = "text",
        env = "SCPLAY_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: LogFormat,
}

/// The filter `RUST_LOG` asks for (`None`: unset or empty), or why it could not be read.
fn from_env(value: Option<&str>) -> Result<Option<Targets>, String> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parsed = Targets::from_str(v).map_err(|e| format!("RUST_LOG={v:?}: {e}"))?;
    let mut filter = Targets::new().with_targets(parsed.iter());
    if let Some(level) = parsed.default_level() {
        for t in OURS {
            if !parsed.iter().any(|(named, _)| named == t) {
                filter = filter.with_target(t, level);
            }
        }
    }
    Ok(Some(filter))
}

/// Without `RUST_LOG`: nothing.
fn default_filter() -> Targets {
    Targets::new().with_default(LevelFilter::OFF)
}

/// Installs the subscriber; returns a sentence to say when `RUST_LOG` could not be read (then
/// nothing is logged: a typo in a unit file must not stop the music).
pub fn init(args: &LogArgs) -> Option<String> {
    let terminal = std::io::stderr().is_terminal();
    let (filter, problem) = match from_env(std::env::var("RUST_LOG").ok().as_deref()) {
        Ok(Some(f)) => (f, None),
        Ok(None) => (default_filter(), None),
        Err(e) => (
            default_filter(),
            Some(format!("{e}; no logs until it is fixed.")),
        ),
    };
    let writer = move || Stderr { terminal };
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(writer);
    let installed = match args.log_format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(
                fmt.json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false),
            )
            .with(filter)
            .try_init(),
        // journald stamps every line itself (it sets JOURNAL_STREAM for the services it runs).
        LogFormat::Text if std::env::var_os("JOURNAL_STREAM").is_some() => {
            tracing_subscriber::registry()
                .with(fmt.without_time())
                .with(filter)
                .try_init()
        }
        LogFormat::Text => tracing_subscriber::registry()
            .with(fmt)
            .with(filter)
            .try_init(),
    };
    drop(installed); // only fails when a subscriber is already set: keep that one
    problem
}

/// stderr, written a whole line at a time. On a terminal the status line is cleared first
/// and lines end with `\r\n` (raw mode, while keys are read), so a log line never lands in
/// the middle of the status line; the next status update redraws it.
struct Stderr {
    terminal: bool,
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let text = String::from_utf8_lossy(buf);
            let body = text.trim_end_matches('\n').replace('\n', "\r\n");
            write!(err, "\r\x1b[K{body}\r\n")?;
        } else {
            err.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn a_bare_level_covers_only_scplay_and_named_targets_win() {
        let f = from_env(Some("info,scplay_player=debug,hyper=warn"))
            .unwrap()
            .unwrap();
        assert!(f.would_enable("scplay_core::auth", &Level::INFO));
        assert!(!f.would_enable("scplay_core::auth", &Level::DEBUG));
        assert!(f.would_enable("scplay_player::fetch", &Level::DEBUG));
        assert!(f.would_enable("play::hook", &Level::INFO));
        assert!(f.would_enable("scplay_remote::listener", &Level::WARN));
        assert!(f.would_enable("hyper::proto", &Level::WARN));
        assert!(!f.would_enable("reqwest::redirect", &Level::ERROR));
        assert_eq!(from_env(Some("  ")).unwrap(), None);
        assert!(from_env(Some("scplay_core=loud")).is_err());
        assert!(!default_filter().would_enable("scplay_player", &Level::ERROR));
    }
}
