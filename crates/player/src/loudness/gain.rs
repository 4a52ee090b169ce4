//! The gain decided from the first seconds: EBU R128 integrated loudness of what has played,
//! a gain towards the target at 0.4 s (the first gating block) and every half second after
//! while settling (each reached by a linear ramp: 50 ms down, 250 ms up), then held.
//! Measuring stops once the gain is held. A new measurement starts at the gain so far, but
//! never above unity: a loud track after a boosted quiet one is not boosted for its first
//! moments.

use ebur128::{EbuR128, Mode};

/// Audio measured before the gain is held (seconds).
const SETTLE_SECS: f64 = 3.0;
/// The first gain comes after one gating block (seconds of audio).
const FIRST_SECS: f64 = 0.4;
/// While settling, the gain is updated this often after that (seconds of audio).
const UPDATE_SECS: f64 = 0.5;
/// Length of the ramp to a higher gain (seconds).
pub(crate) const RAMP_SECS: f64 = 0.25;
/// Length of the ramp to a lower gain (seconds).
const CUT_SECS: f64 = 0.05;
/// A start this long without anything above the absolute gate (−70 LUFS): hold the gain.
const GIVE_UP_SECS: f64 = 15.0;

pub(crate) struct Gain {
    meter: Option<EbuR128>,
    ch: usize,
    rate: f64,
    target_db: f64,
    max_boost_db: f64,
    /// Frames measured since the measurement began, and when the gain is next updated.
    measured: u64,
    next_update: u64,
    settled: bool,
    /// Linear gain now, the gain the ramp heads for and its step per frame.
    now: f32,
    to: f32,
    step: f32,
    buf: Vec<f32>,
}

impl Gain {
    pub fn new(channels: u16, rate: u32, target_db: f32, max_boost_db: f32) -> Self {
        let ch = usize::from(channels.max(1));
        // Histogram mode: the integrated loudness in fixed memory (no list of blocks).
        let meter = EbuR128::new(u32::from(channels.max(1)), rate, Mode::I | Mode::HISTOGRAM).ok();
        let mut g = Self {
            meter,
            ch,
            rate: f64::from(rate.max(1)),
            target_db: f64::from(target_db),
            max_boost_db: f64::from(max_boost_db),
            measured: 0,
            next_update: 0,
            settled: false,
            now: 1.0,
            to: 1.0,
            step: 0.0,
            buf: Vec::new(),
        };
        g.restart();
        g
    }

    /// A new measurement (a new item, a new set): from the gain so far, capped at unity.
    pub fn restart(&mut self) {
        if let Some(m) = self.meter.as_mut() {
            m.reset();
        }
        self.measured = 0;
        self.next_update = (FIRST_SECS * self.rate) as u64;
        self.settled = self.meter.is_none();
        self.ramp_to(self.now.min(self.to).min(1.0));
    }

    /// Heads for `to` by a linear ramp (shorter when going down).
    fn ramp_to(&mut self, to: f32) {
        self.to = to;
        let secs = if to < self.now { CUT_SECS } else { RAMP_SECS };
        self.step = (to - self.now) / (secs * self.rate) as f32;
    }

    /// The linear gain applied now.
    #[cfg(test)]
    pub fn linear(&self) -> f32 {
        self.now
    }

    /// Whether the gain is decided and held.
    #[cfg(test)]
    pub fn is_settled(&self) -> bool {
        self.settled
    }

    /// Measures `data` (while settling) and returns it with the gain applied. How the audio
    /// is cut into calls changes nothing: a new gain starts ramping at the frame after the
    /// one its measurement ends on, wherever a call ends.
    pub fn apply(&mut self, data: &[f32]) -> &[f32] {
        let ch = self.ch;
        self.buf.clear();
        self.buf.reserve(data.len());
        let mut rest = data;
        while !rest.is_empty() {
            // Up to the next update while settling (whole frames), else all of it.
            let n = if self.settled {
                rest.len()
            } else {
                let frames = self.next_update.saturating_sub(self.measured).max(1);
                usize::try_from(frames)
                    .map_or(rest.len(), |f| f.saturating_mul(ch))
                    .min(rest.len())
            };
            let (piece, tail) = rest.split_at(n);
            self.ramped(piece);
            if !self.settled {
                self.measure(piece);
            }
            rest = tail;
        }
        &self.buf
    }

    /// Adds `piece` to the measurement, updating the gain once enough is measured.
    fn measure(&mut self, piece: &[f32]) {
        let whole = &piece[..piece.len() - piece.len() % self.ch];
        if let Some(m) = self.meter.as_mut()
            && m.add_frames_f32(whole).is_err()
        {
            self.settled = true;
            return;
        }
        self.measured += (whole.len() / self.ch) as u64;
        if self.measured >= self.next_update {
            self.update();
        }
    }

    /// Appends `piece` to the output with the gain (following its ramp frame by frame).
    fn ramped(&mut self, piece: &[f32]) {
        if self.now == self.to {
            let g = self.now;
            self.buf.extend(piece.iter().map(|x| x * g));
            return;
        }
        for frame in piece.chunks(self.ch) {
            if self.now != self.to {
                let next = self.now + self.step;
                self.now = if (self.step > 0.0 && next >= self.to)
                    || (self.step < 0.0 && next <= self.to)
                {
                    self.to
                } else {
                    next
                };
            }
            let g = self.now;
            self.buf.extend(frame.iter().map(|x| x * g));
        }
    }

    /// A new gain from the loudness so far; held once enough was measured.
    fn update(&mut self) {
        self.next_update = self.measured + (UPDATE_SECS * self.rate) as u64;
        let secs = self.measured as f64 / self.rate;
        let loudness = self
            .meter
            .as_ref()
            .and_then(|m| m.loudness_global().ok())
            .filter(|l| l.is_finite() && *l > -70.0);
        match loudness {
            Some(l) => {
                let db = (self.target_db - l).min(self.max_boost_db);
                self.ramp_to(10f64.powf(db / 20.0) as f32);
                self.settled = secs >= SETTLE_SECS;
            }
            None => self.settled = secs >= GIVE_UP_SECS,
        }
    }
}
