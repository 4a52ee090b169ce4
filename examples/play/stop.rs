//! Why `play` stops before the end of its queue: a key, a signal, a closed stdout, or the
//! remote's quit. The first reason wins and gives the exit code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use scplay::player::Player;

/// Why playback was stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `q`, Ctrl-C on the terminal or SIGINT: exit 130.
    Interrupted,
    /// SIGTERM (`systemctl stop`, `timeout`): exit 143.
    Terminated,
    /// SIGHUP (the terminal went away): exit 129.
    HungUp,
    /// Whoever read stdout went away (`| head`): exit 141, as if killed by SIGPIPE.
    OutputClosed,
    /// `POST /api/quit` on the remote control (`--control`): exit 0.
    Quit,
}

impl StopReason {
    /// The exit code: 128 + the signal's number, as shells report a process killed by it.
    pub fn exit_code(self) -> u8 {
        match self {
            StopReason::Interrupted => 130,
            StopReason::Terminated => 143,
            StopReason::HungUp => 129,
            StopReason::OutputClosed => 141,
            StopReason::Quit => 0,
        }
    }

    /// The stable name in `--json`'s `exit` event.
    pub fn code(self) -> &'static str {
        match self {
            StopReason::Interrupted => "interrupted",
            StopReason::Terminated => "terminated",
            StopReason::HungUp => "hung_up",
            StopReason::OutputClosed => "output_closed",
            StopReason::Quit => "quit",
        }
    }

    /// Every reason, in the order of their stored numbers (1 and up; 0 is none).
    const ALL: [StopReason; 5] = [
        StopReason::Interrupted,
        StopReason::Terminated,
        StopReason::HungUp,
        StopReason::OutputClosed,
        StopReason::Quit,
    ];

    fn number(self) -> u8 {
        Self::ALL
            .iter()
            .position(|r| *r == self)
            .map_or(0, |i| i as u8 + 1)
    }

    fn from_number(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }
}

/// A shared stop request: records the first reason and stops the player (which finalises a
/// WAV file and ends the event loop).
#[derive(Clone)]
pub struct Stop {
    reason: Arc<AtomicU8>,
    player: Arc<Player>,
}

impl Stop {
    /// A stop for `player`, not requested yet.
    pub fn new(player: Arc<Player>) -> Self {
        Self {
            reason: Arc::new(AtomicU8::new(0)),
            player,
        }
    }

    /// Asks playback to stop for `reason` (the first reason is kept).
    pub fn request(&self, reason: StopReason) {
        let _ =
            self.reason
                .compare_exchange(0, reason.number(), Ordering::AcqRel, Ordering::Acquire);
        self.player.stop();
    }

    /// Why playback was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        StopReason::from_number(self.reason.load(Ordering::Acquire))
    }

    /// Stops on SIGINT, SIGTERM and SIGHUP (on `rt`); the player's own end follows, so the
    /// WAV header is written and the terminal restored before the exit.
    #[cfg(unix)]
    pub fn on_signals(&self, rt: &tokio::runtime::Runtime) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let _enter = rt.enter();
        for (kind, reason) in [
            (SignalKind::interrupt(), StopReason::Interrupted),
            (SignalKind::terminate(), StopReason::Terminated),
            (SignalKind::hangup(), StopReason::HungUp),
        ] {
            let mut sig = signal(kind)?;
            let stop = self.clone();
            rt.spawn(async move {
                while sig.recv().await.is_some() {
                    stop.request(reason);
                }
            });
        }
        Ok(())
    }

    /// Stops on Ctrl-C (other platforms).
    #[cfg(not(unix))]
    pub fn on_signals(&self, rt: &tokio::runtime::Runtime) -> std::io::Result<()> {
        let stop = self.clone();
        rt.spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                stop.request(StopReason::Interrupted);
            }
        });
        Ok(())
    }
}
