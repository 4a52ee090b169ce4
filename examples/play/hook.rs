//! `--onevent CMD`: a command run (through `sh -c`) for each track change, pause, resume,
//! stop, skip, error, lost or restored device and the end of the queue, with the event in
//! `SCPLAY_*` environment variables (the table is in `docs/kiosk.md`, "Event hook").
//!
//! Playback never waits for a hook: the event loop hands each event to one hook thread
//! through a bounded queue ([`QUEUE`] events) and goes on; a full queue drops the event
//! (counted, logged at warn). Hooks run one at a time, in order. A hook still running after
//! `--onevent-timeout` is killed with its process group. Its stdout and stderr go to `play`'s
//! stderr, never into `--json` on stdout. At exit, hooks get [`EXIT_GRACE`] to finish what
//! is queued; then the running one is killed and the rest dropped.

use std::cell::RefCell;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scplay::player::{PlayerEvent, TrackInfo};

/// Events waiting for the hook thread at most; more are dropped.
pub const QUEUE: usize = 64;
/// How long `play` waits at exit for the hooks still queued or running.
pub const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Every variable a hook may be given (those that do not apply to an event are unset).
pub const VARS: [&str; 13] = [
    "SCPLAY_EVENT",
    "SCPLAY_INDEX",
    "SCPLAY_TITLE",
    "SCPLAY_ARTIST",
    "SCPLAY_URN",
    "SCPLAY_LINK",
    "SCPLAY_ARTWORK",
    "SCPLAY_DURATION",
    "SCPLAY_POSITION",
    "SCPLAY_PREVIEW",
    "SCPLAY_ERROR",
    "SCPLAY_ERROR_CODE",
    "SCPLAY_DROPPED",
];

/// The event hook's flags.
#[derive(Debug, clap::Args)]
pub struct HookArgs {
    /// Run CMD (through sh -c) at each track change, pause, resume, stop, skip, error, lost or
    /// restored device and the end of the queue, with the event in SCPLAY_EVENT, SCPLAY_TITLE,
    /// SCPLAY_ARTIST, SCPLAY_URN, SCPLAY_LINK, SCPLAY_POSITION, SCPLAY_ERROR, … (docs/kiosk.md).
    /// Hooks run one at a time in order on their own thread and never hold up playback; their
    /// output goes to stderr.
    #[arg(long, value_name = "CMD", env = "SCPLAY_ONEVENT")]
    pub onevent: Option<String>,
    /// Seconds a hook may run before it is killed with its process group, 0.1 to 3600.
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "SECS",
        env = "SCPLAY_ONEVENT_TIMEOUT"
    )]
    pub onevent_timeout: f64,
}

/// One hook run: its environment.
struct Run {
    event: &'static str,
    env: Vec<(&'static str, String)>,
}

/// What the event loop keeps to describe an event: the track heard, its queue index, and
/// the position last reported (a stop resets the player's position).
#[derive(Default)]
struct Now {
    track: Option<(usize, TrackInfo, bool)>,
    position: f64,
}

/// The hook: a no-op without `--onevent`.
pub struct Hook {
    tx: Option<SyncSender<Run>>,
    now: RefCell<Now>,
    shared: Arc<Shared>,
    done: Option<Receiver<()>>,
}

/// What the event loop and the hook thread share.
#[derive(Default)]
struct Shared {
    /// The hook running now, and whether `play` is leaving (no hook starts then).
    process: Mutex<Process>,
    /// Events dropped because the queue was full.
    dropped: AtomicU64,
    /// Events queued and not started yet.
    queued: AtomicUsize,
}

/// The running hook's process group (0: none) and whether `play` is leaving.
#[derive(Default)]
struct Process {
    group: i32,
    closing: bool,
}

impl Shared {
    fn process(&self) -> std::sync::MutexGuard<'_, Process> {
        self.process.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Seconds as a hook reads them: decimal, to the hundredth.
fn secs(s: f64) -> String {
    format!("{:.2}", s.max(0.0))
}

/// A value an environment variable can hold (no NUL byte).
fn clean(s: &str) -> String {
    s.replace('\0', "")
}

fn track_env(env: &mut Vec<(&'static str, String)>, index: usize, info: &TrackInfo, preview: bool) {
    env.push(("SCPLAY_INDEX", index.to_string()));
    for (name, value) in [
        ("SCPLAY_TITLE", &info.title),
        ("SCPLAY_ARTIST", &info.uploader),
        ("SCPLAY_URN", &info.urn),
        ("SCPLAY_LINK", &info.link),
        ("SCPLAY_ARTWORK", &info.artwork_url),
    ] {
        if let Some(v) = value {
            env.push((name, clean(v)));
        }
    }
    if let Some(ms) = info.duration_ms {
        env.push(("SCPLAY_DURATION", secs(ms as f64 / 1000.0)));
    }
    env.push(("SCPLAY_PREVIEW", if preview { "1" } else { "0" }.into()));
}

impl Hook {
    /// Starts the hook thread for `--onevent` (nothing without it); an error names the flag
    /// that is wrong.
    pub fn start(args: &HookArgs) -> Result<Self, String> {
        let t = args.onevent_timeout;
        if !(t.is_finite() && (0.1..=3600.0).contains(&t)) {
            return Err("--onevent-timeout takes 0.1 to 3600 seconds.".into());
        }
        let shared = Arc::new(Shared::default());
        let mut hook = Self {
            tx: None,
            now: RefCell::default(),
            shared: shared.clone(),
            done: None,
        };
        let Some(cmd) = args.onevent.clone().filter(|c| !c.trim().is_empty()) else {
            return Ok(hook);
        };
        let (tx, rx) = sync_channel(QUEUE);
        let (done_tx, done_rx) = channel();
        let timeout = Duration::from_secs_f64(t);
        std::thread::Builder::new()
            .name("play-hook".into())
            .spawn(move || {
                for run in rx {
                    shared.queued.fetch_sub(1, Ordering::AcqRel);
                    run_one(&cmd, timeout, &run, &shared);
                }
                let _ = done_tx.send(());
            })
            .map_err(|e| format!("cannot start the --onevent thread: {e}."))?;
        hook.tx = Some(tx);
        hook.done = Some(done_rx);
        Ok(hook)
    }

    /// Hands the hook `e` (if it is one a hook hears); `position` is the player's. Never
    /// waits: a full queue drops the event.
    pub fn event(&self, e: &PlayerEvent, position: Duration) {
        let Some(tx) = &self.tx else {
            return;
        };
        let Some(run) = self.describe(e, position.as_secs_f64()) else {
            return;
        };
        let event = run.event;
        self.shared.queued.fetch_add(1, Ordering::AcqRel);
        match tx.try_send(run) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::AcqRel);
                let n = self.shared.dropped.fetch_add(1, Ordering::AcqRel) + 1;
                tracing::warn!(
                    event,
                    dropped = n,
                    queue = QUEUE,
                    "the event hook is behind: event dropped"
                );
            }
        }
    }

    /// The run for `e`, or `None` for events hooks do not hear (positions, buffering, …).
    fn describe(&self, e: &PlayerEvent, position: f64) -> Option<Run> {
        let mut now = self.now.borrow_mut();
        match e {
            PlayerEvent::Position(p) | PlayerEvent::Seeked(p) => now.position = *p,
            PlayerEvent::TrackChanged { .. } => now.position = position,
            _ => {}
        }
        // The player's position is 0 once it has stopped: a stop is where it was last reported.
        let position = if matches!(e, PlayerEvent::Stopped) {
            now.position
        } else {
            position
        };
        let mut env = Vec::new();
        let current = |env: &mut Vec<_>, now: &Now| {
            if let Some((index, info, preview)) = &now.track {
                track_env(env, *index, info, *preview);
                env.push(("SCPLAY_POSITION", secs(position)));
            }
        };
        let event = match e {
            PlayerEvent::TrackChanged {
                index,
                info,
                preview,
            } => {
                now.track = Some((*index, info.clone(), *preview));
                current(&mut env, &now);
                "track_changed"
            }
            PlayerEvent::Paused => {
                current(&mut env, &now);
                "paused"
            }
            PlayerEvent::Resumed => {
                current(&mut env, &now);
                "resumed"
            }
            PlayerEvent::Stopped => {
                current(&mut env, &now);
                now.track = None;
                "stopped"
            }
            PlayerEvent::QueueEnded => {
                now.track = None;
                "queue_ended"
            }
            PlayerEvent::Skipped {
                index,
                info,
                reason,
                code,
            } => {
                track_env(&mut env, *index, info, false);
                env.push(("SCPLAY_ERROR", clean(reason)));
                env.push(("SCPLAY_ERROR_CODE", (*code).into()));
                "skipped"
            }
            PlayerEvent::Error { code, message } => {
                env.push(("SCPLAY_ERROR", clean(message)));
                env.push(("SCPLAY_ERROR_CODE", (*code).into()));
                "error"
            }
            PlayerEvent::DeviceLost(m) => {
                env.push(("SCPLAY_ERROR", clean(m)));
                "device_lost"
            }
            PlayerEvent::DeviceRestored => "device_restored",
            _ => return None,
        };
        env.push(("SCPLAY_EVENT", event.into()));
        let dropped = self.shared.dropped.load(Ordering::Acquire);
        env.push(("SCPLAY_DROPPED", dropped.to_string()));
        Some(Run { event, env })
    }

    /// Lets the hooks still queued run for up to [`EXIT_GRACE`], then kills the running one
    /// (and drops the rest).
    pub fn finish(mut self) {
        self.tx = None; // the thread ends once the queue is empty
        let Some(done) = self.done.take() else {
            return;
        };
        if done.recv_timeout(EXIT_GRACE).is_ok() {
            return;
        }
        let left = self.shared.queued.load(Ordering::Acquire);
        tracing::warn!(
            not_run = left,
            grace_ms = EXIT_GRACE.as_millis() as u64,
            "leaving with event hooks unfinished: the running one is killed, the rest dropped"
        );
        let mut process = self.shared.process();
        process.closing = true;
        kill_group(process.group);
    }
}

/// Kills process group `pgid` (0: none).
fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// stderr, for a hook's own output (`None` if it cannot be shared: the output is dropped).
fn stderr() -> Stdio {
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// Runs one hook to its end or its timeout.
fn run_one(cmd: &str, timeout: Duration, run: &Run, shared: &Shared) {
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(stderr())
        .stderr(stderr())
        .process_group(0);
    for v in VARS {
        c.env_remove(v);
    }
    c.envs(run.env.iter().map(|(k, v)| (k, v)));
    let event = run.event;
    // Started and recorded under the lock `finish` kills under: none starts after it.
    let mut process = shared.process();
    if process.closing {
        return;
    }
    let child = match c.spawn() {
        Ok(child) => child,
        Err(e) => {
            tracing::warn!(event, error = %e, "the event hook could not be started");
            return;
        }
    };
    let pid = child.id() as i32;
    process.group = pid;
    drop(process);
    // The child is waited for on a thread of its own, so that the timeout can kill it.
    let (tx, rx) = channel();
    let mut child = child;
    let waiter = std::thread::Builder::new()
        .name("play-hook-wait".into())
        .spawn(move || {
            let _ = tx.send(child.wait());
        });
    if let Err(e) = waiter {
        tracing::warn!(event, error = %e, "the event hook could not be watched; killed");
        kill_group(pid);
        shared.process().group = 0;
        return;
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(status)) if status.success() => tracing::debug!(event, "event hook ran"),
        Ok(Ok(status)) => tracing::warn!(event, %status, "the event hook failed"),
        Ok(Err(e)) => tracing::warn!(event, error = %e, "the event hook could not be waited for"),
        Err(_) => {
            kill_group(pid);
            tracing::warn!(
                event,
                timeout_ms = timeout.as_millis() as u64,
                "the event hook ran too long and was killed"
            );
            let _ = rx.recv();
        }
    }
    shared.process().group = 0;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_full_queue_drops_and_counts_without_waiting() {
        let hook = Hook::start(&HookArgs {
            onevent: Some("sleep 5".into()),
            onevent_timeout: 10.0,
        })
        .unwrap();
        let started = Instant::now();
        for _ in 0..QUEUE + 10 {
            hook.event(&PlayerEvent::Paused, Duration::ZERO);
        }
        // The first run may already have left the queue: at least 9 had no room.
        let dropped = hook.shared.dropped.load(Ordering::Acquire);
        assert!((9..=10).contains(&dropped), "{dropped} dropped");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        // Events that hooks do not hear take no room.
        hook.event(&PlayerEvent::Position(1.0), Duration::ZERO);
        assert_eq!(hook.shared.dropped.load(Ordering::Acquire), dropped);
        let finishing = Instant::now();
        hook.finish();
        assert!(finishing.elapsed() < EXIT_GRACE + Duration::from_millis(500));
    }

    #[test]
    fn a_stop_names_the_track_and_where_it_was_last_reported() {
        let hook = Hook::start(&HookArgs {
            onevent: None,
            onevent_timeout: 10.0,
        })
        .unwrap();
        let info = TrackInfo {
            urn: Some("soundcloud:tracks:7".into()),
            title: Some("A\0B".into()),
            duration_ms: Some(61_500),
            ..TrackInfo::default()
        };
        let changed = PlayerEvent::TrackChanged {
            index: 2,
            info,
            preview: true,
        };
        let env = |run: Run| {
            run.env
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>()
        };
        let first = env(hook.describe(&changed, 0.0).unwrap());
        assert_eq!(first["SCPLAY_EVENT"], "track_changed");
        assert_eq!(first["SCPLAY_TITLE"], "AB");
        assert_eq!(first["SCPLAY_DURATION"], "61.50");
        assert_eq!(first["SCPLAY_INDEX"], "2");
        assert_eq!(first["SCPLAY_PREVIEW"], "1");
        assert!(!first.contains_key("SCPLAY_LINK"));
        assert!(
            hook.describe(&PlayerEvent::Position(12.25), 12.25)
                .is_none()
        );
        let stopped = env(hook.describe(&PlayerEvent::Stopped, 0.0).unwrap());
        assert_eq!(stopped["SCPLAY_URN"], "soundcloud:tracks:7");
        assert_eq!(stopped["SCPLAY_POSITION"], "12.25");
        let ended = env(hook.describe(&PlayerEvent::QueueEnded, 0.0).unwrap());
        assert!(!ended.contains_key("SCPLAY_URN"));
    }
}
