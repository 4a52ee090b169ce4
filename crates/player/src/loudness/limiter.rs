//! The true-peak limiter: a look-ahead gain that keeps every sample, and the peaks between
//! samples (4× oversampled), under a ceiling, so a boost never clips.
//!
//! For each frame `m` the detector finds the highest peak of the interval `[m, m+1]` (the two
//! samples and three interpolated points, on every channel) and the gain `r[m]` that brings it
//! to the threshold. The gain applied to frame `o` is the mean over `look` frames of a
//! running minimum of `r` over `look + 2` frames, so it has reached `min(r[o-1], r[o],
//! r[o+1])` by the time frame `o` plays (no overshoot), and it never moves by more than
//! `1 / look` per frame (a ramp of at least `look` frames: no click). Released with a 100 ms
//! time constant. Audio is delayed by `look + HALF` frames; [`Limiter::drain`] gives the
//! held frames back, so the output has exactly as many frames as the input.
//!
//! Every buffer is sized at set-up: nothing allocates per block.

use std::collections::VecDeque;

/// Taps on each side of an interpolated point (16 taps per phase).
const HALF: usize = 8;
const TAPS: usize = 2 * HALF;
/// Oversampling factor of the peak detector.
const OVER: usize = 4;
/// Detection threshold below the ceiling, for the interpolator's error (dB).
const MARGIN_DB: f32 = 0.2;
/// Look-ahead: the attack ramp's length (seconds).
const LOOK_SECS: f64 = 0.005;
/// Release time constant (seconds).
const RELEASE_SECS: f64 = 0.1;

pub(crate) struct Limiter {
    ch: usize,
    /// Look-ahead in frames.
    look: usize,
    /// Linear: peaks are brought to `thresh`; no sample leaves above `ceil`.
    thresh: f32,
    ceil: f32,
    /// Release coefficient per frame.
    release: f32,
    /// Interpolation filters for the points `k / OVER` past a frame, `k = 1..OVER`.
    coef: [[f32; TAPS]; OVER - 1],
    /// Per channel, the last `TAPS` samples written twice (`2 × TAPS`), so they are contiguous.
    hist: Vec<f32>,
    hist_pos: usize,
    /// Below this no interpolated point can reach `thresh` (`thresh` over the filters' gain).
    quiet: f32,
    /// Frames since one had a sample above `quiet` (the filters run only within `TAPS`).
    loud_ago: usize,
    /// Frames waiting for their gain (`look + HALF` at most), a ring.
    delay: Vec<f32>,
    delay_head: usize,
    delay_len: usize,
    /// Of those, frames that came from the stream (not the silence of a drain).
    real: usize,
    /// The frame that just left the delay line.
    popped: Vec<f32>,
    /// Running minimum of `r` over `look + 2` frames: (index, gain).
    mins: VecDeque<(u64, f32)>,
    idx: u64,
    /// The released gain and the last `look` of its values (their mean is applied).
    held: f32,
    /// Frames in a row with `held` at 1 (from `look` on, the limiter is at rest).
    rest: usize,
    boxed: Vec<f32>,
    box_pos: usize,
    box_sum: f64,
}

impl Limiter {
    /// A limiter for `channels` at `rate`, with its ceiling in dBTP.
    pub fn new(channels: u16, rate: u32, ceiling_db: f32) -> Self {
        let ch = usize::from(channels.max(1));
        let rate = f64::from(rate.max(1));
        let look = ((LOOK_SECS * rate) as usize).max(8);
        let ceil = 10f32.powf(ceiling_db / 20.0);
        let mut coef = [[0.0f32; TAPS]; OVER - 1];
        let mut reach = 1.0f32;
        for (k, phase) in coef.iter_mut().enumerate() {
            let f = (k + 1) as f64 / OVER as f64;
            let mut sum = 0.0;
            for (t, c) in phase.iter_mut().enumerate() {
                // Tap t holds the sample at m + j, j = t - HALF + 1; the point is at m + f.
                let u = f - (t as f64 - HALF as f64 + 1.0);
                let sinc = if u == 0.0 {
                    1.0
                } else {
                    (std::f64::consts::PI * u).sin() / (std::f64::consts::PI * u)
                };
                let window = 0.5 * (1.0 + (std::f64::consts::PI * u / (HALF as f64 + 1.0)).cos());
                *c = (sinc * window) as f32;
                sum += sinc * window;
            }
            for c in phase.iter_mut() {
                *c /= sum as f32;
            }
            reach = reach.max(phase.iter().map(|c| c.abs()).sum());
        }
        let thresh = ceil * 10f32.powf(-MARGIN_DB / 20.0);
        let mut l = Self {
            ch,
            look,
            thresh,
            ceil,
            release: (1.0 - (-1.0 / (RELEASE_SECS * rate)).exp()) as f32,
            coef,
            hist: vec![0.0; ch * 2 * TAPS],
            hist_pos: 0,
            quiet: thresh / reach,
            loud_ago: TAPS,
            delay: vec![0.0; ch * (look + HALF)],
            delay_head: 0,
            delay_len: 0,
            real: 0,
            popped: vec![0.0; ch],
            mins: VecDeque::with_capacity(look + 4),
            idx: 0,
            held: 1.0,
            rest: 0,
            boxed: vec![1.0; look],
            box_pos: 0,
            box_sum: look as f64,
        };
        l.reset();
        l
    }

    /// Frames taken in and not given out yet.
    pub fn held_frames(&self) -> usize {
        self.real
    }

    /// Forgets everything held (a flush).
    pub fn reset(&mut self) {
        self.hist.fill(0.0);
        self.hist_pos = 0;
        self.loud_ago = TAPS;
        self.delay_head = 0;
        self.delay_len = 0;
        self.real = 0;
        self.mins.clear();
        self.idx = 0;
        self.held = 1.0;
        self.rest = self.look; // a fresh limiter is at rest
        self.boxed.fill(1.0);
        self.box_pos = 0;
        self.box_sum = self.look as f64;
    }

    /// Limits the frames of `buf[from..]` in place; `buf` is cut to what comes out (the
    /// frames `look + HALF` earlier).
    pub fn process(&mut self, buf: &mut Vec<f32>, from: usize) {
        let ch = self.ch;
        let (mut w, mut r) = (from, from);
        while r + ch <= buf.len() {
            let out = self.push(Some(&buf[r..r + ch]));
            r += ch;
            if let Some(g) = out {
                self.emit(&mut buf[w..w + ch], g);
                w += ch;
            }
        }
        buf.truncate(w);
    }

    /// Appends every frame held to `out` (the stream ended: what follows is silence), then
    /// starts afresh.
    pub fn drain(&mut self, out: &mut Vec<f32>) {
        let ch = self.ch;
        while self.real > 0 {
            let real = self.real;
            if let Some(g) = self.push(None)
                && self.real < real
            {
                let at = out.len();
                out.resize(at + ch, 0.0);
                self.emit(&mut out[at..], g);
            }
        }
        self.reset();
    }

    /// The frame just popped, with `gain`, into `out`; never above the ceiling.
    fn emit(&self, out: &mut [f32], gain: f32) {
        for (o, &x) in out.iter_mut().zip(&self.popped) {
            *o = (x * gain).clamp(-self.ceil, self.ceil);
        }
    }

    /// Takes one frame in (`None`: a frame of silence that is not the stream's); once the
    /// delay is full, the oldest frame moves to `popped` and its gain is returned.
    fn push(&mut self, input: Option<&[f32]>) -> Option<f32> {
        let ch = self.ch;
        let sample = |c: usize| sample(input, c);
        // Detector: history, then the peak of the interval [m, m+1], m = idx - HALF.
        self.hist_pos += 1;
        if self.hist_pos == TAPS {
            self.hist_pos = 0;
        }
        let mut top = 0.0f32;
        for c in 0..ch {
            let x = sample(c).unwrap_or(0.0);
            top = top.max(x.abs());
            let at = c * 2 * TAPS + self.hist_pos;
            self.hist[at] = x;
            self.hist[at + TAPS] = x;
        }
        self.loud_ago = if top > self.quiet {
            0
        } else {
            self.loud_ago.saturating_add(1)
        };
        let mut peak = 0.0f32;
        // Quiet for a whole window: nothing there can reach the threshold (the common case).
        if self.loud_ago < TAPS {
            for c in 0..ch {
                let at = c * 2 * TAPS + self.hist_pos + 1;
                let win = &self.hist[at..at + TAPS];
                peak = peak.max(win[HALF - 1].abs()).max(win[HALF].abs());
                for phase in &self.coef {
                    let y: f32 = phase.iter().zip(win).map(|(a, b)| a * b).sum();
                    peak = peak.max(y.abs());
                }
            }
        }
        let r = if peak > self.thresh {
            self.thresh / peak
        } else {
            1.0
        };
        let i = self.idx;
        self.idx += 1;
        let gain = if r >= 1.0 && self.rest >= self.look {
            // At rest (every gain in reach is 1): nothing to track.
            self.mins.clear();
            1.0
        } else {
            self.follow(i, r)
        };
        self.delay_frame(input, gain)
    }

    /// Running minimum of `r` over look + 2 frames, released, then averaged over look frames:
    /// the gain for the frame leaving the delay line now.
    fn follow(&mut self, i: u64, r: f32) -> f32 {
        while self.mins.back().is_some_and(|&(_, v)| v >= r) {
            self.mins.pop_back();
        }
        self.mins.push_back((i, r));
        let span = self.look as u64 + 2;
        while self.mins.front().is_some_and(|&(j, _)| j + span <= i) {
            self.mins.pop_front();
        }
        let w = self.mins.front().map_or(1.0, |&(_, v)| v);
        self.held = w.min(self.held + (1.0 - self.held) * self.release);
        if w >= 1.0 && self.held > 1.0 - 1e-6 {
            self.held = 1.0; // the release would only creep towards 1 in f32
        }
        self.box_sum += f64::from(self.held) - f64::from(self.boxed[self.box_pos]);
        self.boxed[self.box_pos] = self.held;
        self.box_pos += 1;
        if self.box_pos == self.look {
            self.box_pos = 0;
        }
        if self.held >= 1.0 {
            self.rest += 1;
            if self.rest >= self.look {
                self.box_sum = self.look as f64; // every value averaged is 1 (no drift)
            }
        } else {
            self.rest = 0;
        }
        (self.box_sum / self.look as f64).clamp(0.0, 1.0) as f32
    }

    /// Puts `input` (or silence) into the delay line; once it is full, the oldest frame moves
    /// to `popped` and `gain`, its gain, is returned.
    fn delay_frame(&mut self, input: Option<&[f32]>, gain: f32) -> Option<f32> {
        let ch = self.ch;
        let sample = |c: usize| sample(input, c);
        // The delay line (FIFO; the stream's frames always ahead of a drain's silence).
        let cap = self.look + HALF;
        let popped = self.delay_len == cap;
        let slot = if popped {
            let at = self.delay_head;
            self.popped
                .copy_from_slice(&self.delay[at * ch..(at + 1) * ch]);
            self.delay_head = if at + 1 == cap { 0 } else { at + 1 };
            self.real = self.real.saturating_sub(1);
            at
        } else {
            self.delay_len += 1;
            let at = self.delay_head + self.delay_len - 1;
            if at >= cap { at - cap } else { at }
        };
        for c in 0..ch {
            self.delay[slot * ch + c] = sample(c).unwrap_or(0.0);
        }
        if input.is_some() {
            self.real += 1;
        }
        popped.then_some(gain)
    }
}

/// Channel `c` of a frame; silence for a missing frame or a non-finite sample.
fn sample(frame: Option<&[f32]>, c: usize) -> Option<f32> {
    frame
        .and_then(|f| f.get(c))
        .copied()
        .filter(|x| x.is_finite())
}
