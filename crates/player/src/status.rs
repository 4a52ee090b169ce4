//! [`PlayerStatus`]: a read-only snapshot of what the player is doing, for remotes and
//! dashboards ([`crate::Player::status`]).

use std::sync::Mutex;
use std::time::Duration;

use crate::engine::PlayerState;
use crate::plan::TrackInfo;
use crate::queue::Repeat;

/// What the player is doing now: one consistent read of the state, the item heard, the
/// queue and the settings. Cheap to take (a few atomics and two short locks); nothing waits
/// on the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerStatus {
    /// What the engine is doing.
    pub state: PlayerState,
    /// The playback position in the item heard.
    pub position: Duration,
    /// The item heard (or, paused, the one that was): its attribution and whether it is the
    /// 30 s preview. `None` when nothing has been heard in this session (loading, idle).
    pub track: Option<NowPlaying>,
    /// The queue: the index of the current item (in the order items were added; the one
    /// loading when nothing is heard yet) and how many items it holds. A playlist counts as
    /// one item until it has expanded into its tracks.
    pub queue_index: Option<usize>,
    /// Items in the queue.
    pub queue_len: usize,
    /// The repeat mode.
    pub repeat: Repeat,
    /// The shuffle seed, when the queue is shuffled.
    pub shuffle: Option<u64>,
    /// The volume, 0.0–1.0.
    pub volume: f32,
}

/// The item being heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NowPlaying {
    /// Its index in the queue (order of addition).
    pub index: usize,
    /// Attribution: title, uploader, link, artwork, length from the metadata.
    pub info: TrackInfo,
    /// Whether this is the 30 s preview, not the full track.
    pub preview: bool,
}

/// What the engine publishes of its queue and settings (copied, never allocated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct QueueNow {
    pub index: Option<usize>,
    pub len: usize,
    pub repeat: Repeat,
    pub shuffle: Option<u64>,
    pub volume: f32,
}

impl Default for QueueNow {
    fn default() -> Self {
        Self {
            index: None,
            len: 0,
            repeat: Repeat::Off,
            shuffle: None,
            volume: 1.0,
        }
    }
}

/// The part of the shared state behind [`PlayerStatus`].
#[derive(Debug, Default)]
pub(crate) struct StatusCell {
    queue: Mutex<QueueNow>,
    heard: Mutex<Option<NowPlaying>>,
}

impl StatusCell {
    /// The engine's queue and settings, stored when they changed.
    pub fn set_queue(&self, now: QueueNow) {
        if let Ok(mut q) = self.queue.lock()
            && *q != now
        {
            *q = now;
        }
    }

    /// The item heard now (`None`: the session ended).
    pub fn set_heard(&self, heard: Option<NowPlaying>) {
        if let Ok(mut h) = self.heard.lock() {
            *h = heard;
        }
    }

    /// A snapshot, with the state and position read by the caller.
    pub fn snapshot(&self, state: PlayerState, position: Duration) -> PlayerStatus {
        let q = self.queue.lock().map(|q| *q).unwrap_or_default();
        let track = self.heard.lock().ok().and_then(|h| h.clone());
        PlayerStatus {
            state,
            position,
            queue_index: track.as_ref().map(|t| t.index).or(q.index),
            track,
            queue_len: q.len,
            repeat: q.repeat,
            shuffle: q.shuffle,
            volume: q.volume,
        }
    }
}
