//! [`PlayerEvent`]s and [`Stats`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::plan::TrackInfo;

/// What happened, in order. Every track event carries its attribution ([`TrackInfo`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// Resolving and starting to fetch.
    Loading(TrackInfo),
    /// Waiting for data: `percent` 0 when the start-up buffer (or, after an underrun, the
    /// output) is empty, 100 once audio is ready.
    Buffering {
        /// 0–100.
        percent: u8,
    },
    /// The first audio reached the output.
    Playing {
        /// Attribution.
        info: TrackInfo,
        /// Whether this is the 30 s preview, not the full track.
        preview: bool,
        /// The stream kind.
        kind: crate::StreamKind,
    },
    /// A queue item is now heard (at the first sample of a gapless join): its index in the
    /// queue (order of addition), attribution and whether it is the 30 s preview.
    TrackChanged {
        /// Position in the queue, in the order items were added.
        index: usize,
        /// Attribution.
        info: TrackInfo,
        /// Whether this is the 30 s preview, not the full track.
        preview: bool,
    },
    /// A queue item was passed over: blocked, DRM only, no usable stream, or it failed to
    /// load (the reason says which).
    Skipped {
        /// Position in the queue.
        index: usize,
        /// What is known of it.
        info: TrackInfo,
        /// Why.
        reason: String,
        /// The kind of failure, stable for supervisors ([`crate::PlayerError::code`]).
        code: &'static str,
    },
    /// The last queue item played to its end (or the queue was emptied).
    QueueEnded,
    /// The audio output failed (device unplugged, busy, invalidated): playback holds its
    /// position and the device is reopened with backoff (the same one, then the default).
    DeviceLost(String),
    /// The output is back; playback goes on where it was.
    DeviceRestored,
    /// Paused.
    Paused,
    /// Resumed after a pause.
    Resumed,
    /// Playback position, in seconds.
    Position(f64),
    /// A seek took effect: the first audio from the new position (in seconds) reached the
    /// output (paused, it waits there). [`crate::Player::position`] says the new position
    /// at once; this event says when it is heard. A seek while the item is still being
    /// resolved is announced at once (the item then starts there); a seek replaced by
    /// another before its audio came is not announced; a stream that cannot be opened there
    /// fails the item instead (`Error` or `Skipped`).
    Seeked(f64),
    /// The output ran dry while more was expected.
    Underrun,
    /// The sound card glitched (an ALSA xrun) and recovered on its own; `count` is the total
    /// so far. Nothing is reopened.
    Xrun {
        /// Xruns since the player started.
        count: u64,
    },
    /// The track played to its end.
    EndOfTrack(TrackInfo),
    /// Stopped before the end.
    Stopped,
    /// Playback failed; the message says why (see [`crate::Player::last_error`]).
    Error {
        /// The kind of failure, stable for supervisors ([`crate::PlayerError::code`]).
        code: &'static str,
        /// What failed, for people.
        message: String,
    },
}

/// Counters of a player, cumulative across tracks.
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) first_audio_us: AtomicU64,
    pub(crate) underruns: AtomicU64,
    pub(crate) fetch: std::sync::Arc<crate::fetch::FetchCounters>,
    pub(crate) packets_skipped: AtomicU64,
    pub(crate) silence_frames: AtomicU64,
    pub(crate) xruns: AtomicU64,
    pub(crate) engine_wakeups: AtomicU64,
    /// The open output's underruns and silence frames so far (the engine publishes them;
    /// they move into the totals above when the output closes, under this lock, so a
    /// snapshot never counts them twice).
    pub(crate) open_output: std::sync::Mutex<(u64, u64)>,
}

impl Stats {
    /// The open output's counts, as the engine last read them.
    pub(crate) fn set_open_output(&self, underruns: u64, silence_frames: u64) {
        if let Ok(mut o) = self.open_output.lock() {
            *o = (underruns, silence_frames);
        }
    }

    /// The output closed with these counts: they join the totals.
    pub(crate) fn close_output(&self, underruns: u64, silence_frames: u64) {
        let open = self.open_output.lock();
        self.underruns.fetch_add(underruns, Ordering::Relaxed);
        self.silence_frames
            .fetch_add(silence_frames, Ordering::Relaxed);
        if let Ok(mut o) = open {
            *o = (0, 0);
        }
    }
}

/// A copy of a player's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// From `play` to the first audio of the latest track.
    pub time_to_first_audio: Option<Duration>,
    /// Times the output ran dry.
    pub underruns: u64,
    /// Media bytes received.
    pub bytes_fetched: u64,
    /// Media requests made (playlists excluded).
    pub media_requests: u64,
    /// Signed URLs resolved again after they expired.
    pub url_refreshes: u64,
    /// Media requests tried again after a transient failure (5xx, 429, a dropped or stalled
    /// connection), each counted once per new attempt.
    pub retries: u64,
    /// Packets that failed to decode and were skipped.
    pub packets_skipped: u64,
    /// Frames of silence a real-time output played because audio was late (underruns).
    pub silence_frames: u64,
    /// Glitches of the sound card it recovered from on its own (ALSA xruns).
    pub xruns: u64,
    /// Times the player's engine thread woke up to work (a command, audio to move, the
    /// output, a timer): what playback costs a small CPU between bursts of work. In real
    /// time about 10 a second (it refills the 200 ms output ring at half); unpaced about 2
    /// per second of audio; a few a second while a network stall keeps audio away.
    pub engine_wakeups: u64,
}

impl Stats {
    /// A snapshot.
    pub fn snapshot(&self) -> StatsSnapshot {
        let us = self.first_audio_us.load(Ordering::Acquire);
        // Held while the totals are read: an output closing meanwhile waits.
        let open = self.open_output.lock();
        let (open_underruns, open_silence) = open.as_deref().copied().unwrap_or_default();
        StatsSnapshot {
            time_to_first_audio: (us > 0).then(|| Duration::from_micros(us)),
            underruns: self.underruns.load(Ordering::Acquire) + open_underruns,
            bytes_fetched: self.fetch.bytes.load(Ordering::Acquire),
            media_requests: self.fetch.requests.load(Ordering::Acquire),
            url_refreshes: self.fetch.refreshes.load(Ordering::Acquire),
            retries: self.fetch.retries.load(Ordering::Acquire),
            packets_skipped: self.packets_skipped.load(Ordering::Acquire),
            silence_frames: self.silence_frames.load(Ordering::Acquire) + open_silence,
            xruns: self.xruns.load(Ordering::Acquire),
            engine_wakeups: self.engine_wakeups.load(Ordering::Acquire),
        }
    }
}
