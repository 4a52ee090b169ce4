//! The engine thread: takes commands, keeps the queue and plays it (see [`crate::session`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;

use crate::PlayerError;
use crate::events::{PlayerEvent, Stats};
use crate::output::driver::SinkSlot;
use crate::pipeline::Ctx;
use crate::plan::Target;
use crate::queue::{Queue, Repeat};
use crate::session::Preload;

/// Commands from the handle.
#[derive(Debug)]
pub(crate) enum Cmd {
    /// Replace the queue and play it.
    Play(Vec<Target>),
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
        }
    }

    pub fn emit(&self, e: PlayerEvent) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|s| s.send(e.clone()).is_ok());
        }
    }
}

pub(crate) struct Engine {
    /// Owns the fetch runtime (`ctx.rt` is its handle).
    pub _rt: Runtime,
    pub ctx: Ctx,
    pub sink: SinkSlot,
    pub shared: Arc<Shared>,
    pub rx: Receiver<Cmd>,
    pub volume: f32,
    /// Paused by the user: carries over to the next session.
    pub paused: bool,
    pub pending: Option<Cmd>,
    pub queue: Queue,
    pub preload: Option<Preload>,
    /// Commands that arrived while the output was being reopened.
    pub deferred: std::collections::VecDeque<Cmd>,
}

impl Engine {
    /// Notes a command as taken (playing ones mark the engine busy first, so a waiter never
    /// sees it taken while idle).
    pub(crate) fn took(&self, cmd: &Cmd) {
        if matches!(cmd, Cmd::Play(_) | Cmd::Enqueue(_) | Cmd::Jump(_)) {
            self.shared.idle.store(false, Ordering::Release);
        }
        self.shared.handled.fetch_add(1, Ordering::AcqRel);
    }

    pub fn run(mut self) {
        loop {
            let cmd = match self.pending.take() {
                Some(c) => c,
                None => match self.rx.recv() {
                    Ok(c) => {
                        self.took(&c);
                        c
                    }
                    Err(_) => return,
                },
            };
            match cmd {
                Cmd::Play(items) => {
                    self.queue.replace(items);
                    self.play_queue();
                }
                Cmd::Enqueue(items) => {
                    self.queue.append(items);
                    self.play_queue();
                }
                Cmd::Jump(i) => {
                    if self.queue.jump(i) {
                        self.play_queue();
                    }
                }
                Cmd::Next => {
                    self.queue.advance(false);
                }
                Cmd::Previous => {
                    self.queue.back();
                }
                Cmd::ClearQueue => self.queue.clear(),
                Cmd::Repeat(r) => self.queue.set_repeat(r),
                Cmd::Shuffle(s) => self.queue.set_shuffle(s),
                Cmd::Volume(v) => self.volume = v.clamp(0.0, 1.0),
                Cmd::Shutdown => return,
                Cmd::Pause => self.paused = true,
                Cmd::Resume => self.paused = false,
                Cmd::Stop | Cmd::Seek(_) => {}
            }
            if self.pending.is_none() {
                self.shared.idle.store(true, Ordering::Release);
            }
        }
    }
}
