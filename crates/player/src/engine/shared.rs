//! What the engine and the [`crate::Player`] handle share: commands one way; events,
//! counters, position and state the other.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::PlayerError;
use crate::events::{PlayerEvent, Stats};
use crate::plan::Target;
use crate::queue::Repeat;
use crate::status::{NowPlaying, StatusCell};

/// Commands from the handle, applied in one place (`Engine::apply`).
#[derive(Debug)]
pub(crate) enum Cmd {
    /// Replace the queue and play it, the first track from this many seconds.
    Play(Vec<Target>, f64),
    /// Add to the queue (playing it if idle).
    Enqueue(Vec<Target>),
    Next,
    Previous,
    /// Play the item at this index.
    Jump(usize),
    ClearQueue,
    Repeat(Repeat),
    Shuffle(Option<u64>),
    Pause,
    Resume,
    Stop,
    Seek(f64),
    Volume(f32),
    Shutdown,
}

/// What the engine is doing, as [`crate::Player::state`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlayerState {
    /// Nothing to play: the queue ended, was stopped, or never started (output released).
    Idle,
    /// Resolving, opening or buffering what is to be heard next (nothing heard yet).
    Loading,
    /// Audio is being heard.
    Playing,
    /// Paused by the user.
    Paused,
    /// The audio output failed and is being reopened; the position is kept.
    Recovering,
}

impl PlayerState {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Loading,
            2 => Self::Playing,
            3 => Self::Paused,
            4 => Self::Recovering,
            _ => Self::Idle,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Self::Idle => 0,
            Self::Loading => 1,
            Self::Playing => 2,
            Self::Paused => 3,
            Self::Recovering => 4,
        }
    }
}

/// State shared with the handle.
pub(crate) struct Shared {
    pub subscribers: Mutex<Vec<std::sync::mpsc::Sender<PlayerEvent>>>,
    pub stats: Stats,
    /// Position in milliseconds.
    pub position_ms: AtomicU64,
    pub last_error: Mutex<Option<PlayerError>>,
    /// Bumps when a queue item ends one way or another.
    pub finished: AtomicU64,
    /// Commands the engine has taken.
    pub handled: AtomicU64,
    /// Nothing is playing.
    pub idle: AtomicBool,
    /// Signalled when the engine becomes idle (what [`Shared::wait_idle`] sleeps on).
    idle_signal: (Mutex<()>, Condvar),
    state: AtomicU8,
    /// What [`crate::Player::status`] reads: the queue, the settings, the item heard.
    pub status: StatusCell,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            subscribers: Mutex::default(),
            stats: Stats::default(),
            position_ms: AtomicU64::new(0),
            last_error: Mutex::default(),
            finished: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            idle: AtomicBool::new(true),
            idle_signal: (Mutex::new(()), Condvar::new()),
            state: AtomicU8::new(0),
            status: StatusCell::default(),
        }
    }

    pub fn emit(&self, e: PlayerEvent) {
        crate::log::event(&e);
        if let PlayerEvent::TrackChanged {
            index,
            info,
            preview,
        } = &e
        {
            self.status.set_heard(Some(NowPlaying {
                index: *index,
                info: info.clone(),
                preview: *preview,
            }));
        }
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|s| s.send(e.clone()).is_ok());
        }
    }

    pub fn state(&self) -> PlayerState {
        PlayerState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub fn set_state(&self, s: PlayerState) {
        self.state.store(s.to_u8(), Ordering::Release);
    }

    pub fn set_position(&self, secs: f64) {
        let ms = if secs.is_finite() {
            (secs.max(0.0) * 1000.0) as u64
        } else {
            0
        };
        self.position_ms.store(ms, Ordering::Release);
    }

    pub fn position(&self) -> f64 {
        self.position_ms.load(Ordering::Acquire) as f64 / 1000.0
    }

    /// Records a failed or skipped item (what `wait` reports).
    pub fn set_error(&self, e: PlayerError) {
        if let Ok(mut l) = self.last_error.lock() {
            *l = Some(e);
        }
    }

    /// The engine is idle: wakes whoever waits for it.
    pub fn set_idle(&self) {
        self.go_idle(None);
    }

    /// The engine is idle, and `event` says why: whoever sees the event sees the engine
    /// idle, and whoever waited for idle has the event (both happen under the lock a waiter
    /// checks under).
    pub fn go_idle(&self, event: Option<PlayerEvent>) {
        let (lock, cv) = &self.idle_signal;
        let guard = lock.lock();
        self.set_state(PlayerState::Idle);
        self.idle.store(true, Ordering::Release);
        self.status.set_heard(None);
        if let Some(e) = event {
            self.emit(e);
        }
        drop(guard);
        cv.notify_all();
    }

    /// Sleeps until `done()` holds (checked whenever the engine becomes idle) or `timeout`
    /// has passed; whether it holds.
    pub fn wait_idle(&self, timeout: Duration, done: impl Fn() -> bool) -> bool {
        let end = Instant::now().checked_add(timeout);
        let (lock, cv) = &self.idle_signal;
        let Ok(mut guard) = lock.lock() else {
            return done();
        };
        loop {
            if done() {
                return true;
            }
            let left = match end {
                Some(end) => match end.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
                None => Duration::from_secs(3600),
            };
            guard = match cv.wait_timeout(guard, left) {
                Ok((g, _)) => g,
                Err(_) => return done(),
            };
        }
    }

    pub fn item_finished(&self) {
        self.finished.fetch_add(1, Ordering::AcqRel);
    }
}
