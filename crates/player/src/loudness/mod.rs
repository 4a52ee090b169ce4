//! Loudness normalisation without metadata: EBU R128 measured as the audio plays, a gain
//! decided within the first seconds and then held, and a true-peak limiter so a boost never
//! clips.
//!
//! ```text
//!  item audio ─► Gain (meter for the first 3 s, a ramped gain, then held) ─► crossfade
//!            ─► Limiter (look-ahead 5 ms, −1 dBTP) ─► output PCM ring
//! ```
//!
//! The gain cannot pump: it follows the integrated loudness of what has played so far
//! (a running mean that moves less with every block) for the first 3 s, then it
//! is held for the rest of the item (track mode) or the set (album mode), whatever the music
//! does. Only the limiter moves afterwards, and only to keep peaks under the ceiling, by
//! ramps of at least 5 ms. Runs on the engine thread, never in the audio callback.

mod gain;
mod limiter;

use crate::output::Format;
use gain::Gain;
use limiter::Limiter;

/// What shares one gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoudnessMode {
    /// Every queue item is measured and gets its own gain (the default).
    #[default]
    Track,
    /// The queue is one set or album: the first seconds of the first item decide one gain,
    /// held across every item, so the album's own dynamics and its gapless joins stay
    /// untouched. A new `play` starts a new set.
    Album,
}

/// Loudness normalisation settings ([`crate::PlayerOptions::normalize`]). `Default` gives
/// −14 LUFS, track mode, up to +12 dB of boost, a −1 dBTP ceiling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    /// Target integrated loudness, in LUFS (−40 to 0). Default −14.
    pub target_lufs: f32,
    /// One gain per track or per set. Default [`LoudnessMode::Track`].
    pub mode: LoudnessMode,
    /// The largest boost, in dB (0 to 24); quieter tracks stay below the target. Default 12.
    pub max_boost_db: f32,
    /// True-peak ceiling of the limiter, in dBTP (−20 to 0). Default −1.
    pub ceiling_dbtp: f32,
}

impl Default for Loudness {
    fn default() -> Self {
        Self {
            target_lufs: -14.0,
            mode: LoudnessMode::Track,
            max_boost_db: 12.0,
            ceiling_dbtp: -1.0,
        }
    }
}

impl Loudness {
    /// The settings within their documented ranges (a non-finite value: its default).
    fn sane(self) -> Self {
        let d = Self::default();
        let fix = |v: f32, def: f32, lo: f32, hi: f32| {
            if v.is_finite() { v.clamp(lo, hi) } else { def }
        };
        Self {
            target_lufs: fix(self.target_lufs, d.target_lufs, -40.0, 0.0),
            mode: self.mode,
            max_boost_db: fix(self.max_boost_db, d.max_boost_db, 0.0, 24.0),
            ceiling_dbtp: fix(self.ceiling_dbtp, d.ceiling_dbtp, -20.0, 0.0),
        }
    }
}

/// The engine's normaliser for one output format.
pub(crate) struct Normalizer {
    mode: LoudnessMode,
    format: Format,
    gain: Gain,
    limiter: Limiter,
    /// Track mode: the queue item measured (a seek within it keeps its gain).
    item: Option<usize>,
}

impl Normalizer {
    pub fn new(opts: Loudness, format: Format) -> Self {
        let o = opts.sane();
        Self {
            mode: o.mode,
            format,
            gain: Gain::new(format.channels, format.rate, o.target_lufs, o.max_boost_db),
            limiter: Limiter::new(format.channels, format.rate, o.ceiling_dbtp),
            item: None,
        }
    }

    /// The output format it was made for.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Queue item `index` begins (or is reopened by a seek).
    pub fn begin_item(&mut self, index: usize) {
        if self.mode == LoudnessMode::Track && self.item != Some(index) {
            self.gain.restart();
        }
        self.item = Some(index);
    }

    /// A new queue (a new set): measure again.
    pub fn new_set(&mut self) {
        self.gain.restart();
        self.item = None;
    }

    /// The item's audio with its gain (measured while the gain settles).
    pub fn gain(&mut self, data: &[f32]) -> &[f32] {
        self.gain.apply(data)
    }

    /// Limits `buf[from..]` in place; `buf` is cut to what comes out.
    pub fn limit(&mut self, buf: &mut Vec<f32>, from: usize) {
        self.limiter.process(buf, from);
    }

    /// The stream ended: appends what the limiter holds.
    pub fn drain(&mut self, buf: &mut Vec<f32>) {
        self.limiter.drain(buf);
    }

    /// Frames taken in and not given out yet (they come before the next item's first).
    pub fn held_frames(&self) -> u64 {
        self.limiter.held_frames() as u64
    }

    /// Drops what the limiter holds (a flush); the decided gain stays.
    pub fn clear(&mut self) {
        self.limiter.reset();
    }
}

#[cfg(test)]
mod tests;
