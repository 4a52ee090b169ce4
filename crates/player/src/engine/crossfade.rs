//! The crossfader: holds back the last `frames` of what goes to the output, so that when
//! the next item begins, that tail fades out (equal power) under the new item's head. Pure.

use std::collections::VecDeque;

pub(crate) struct Crossfader {
    /// Crossfade length in frames (0: gapless, everything passes through untouched).
    frames: usize,
    channels: usize,
    hold: VecDeque<f32>,
    /// The previous item's tail and how far into it the fade is.
    fade: Option<(Vec<f32>, usize)>,
}

impl Crossfader {
    pub fn new(frames: usize, channels: u16) -> Self {
        Self {
            frames,
            channels: usize::from(channels.max(1)),
            hold: VecDeque::new(),
            fade: None,
        }
    }

    /// Whether samples pass straight through.
    pub fn is_off(&self) -> bool {
        self.frames == 0
    }

    /// A new item begins: what is held back fades out under its head.
    pub fn next_item(&mut self) {
        if self.frames > 0 && !self.hold.is_empty() {
            self.fade = Some((self.hold.drain(..).collect(), 0));
        }
    }

    /// Forgets everything (a flush).
    pub fn clear(&mut self) {
        self.hold.clear();
        self.fade = None;
    }

    /// Takes `data` (fading it in over the previous tail) and appends to `out` what no longer
    /// needs holding back.
    pub fn push(&mut self, data: &[f32], out: &mut Vec<f32>) {
        if self.frames == 0 {
            out.extend_from_slice(data);
            return;
        }
        let ch = self.channels;
        let mut data = data.to_vec();
        if let Some((tail, pos)) = self.fade.as_mut() {
            let total = (tail.len() / ch).max(1) as f32;
            for frame in data.chunks_exact_mut(ch) {
                if *pos >= tail.len() {
                    break;
                }
                let x = (*pos / ch) as f32 / total * std::f32::consts::FRAC_PI_2;
                let (fade_out, fade_in) = (x.cos(), x.sin());
                for (s, t) in frame.iter_mut().zip(&tail[*pos..*pos + ch]) {
                    *s = *s * fade_in + *t * fade_out;
                }
                *pos += ch;
            }
            if *pos >= tail.len() {
                self.fade = None;
            }
        }
        self.hold.extend(data);
        let excess = self.hold.len().saturating_sub(self.frames * ch);
        out.extend(self.hold.drain(..excess));
    }

    /// The queue ended: what is held back, with the rest of a tail still fading out alone
    /// (an item shorter than the crossfade).
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let ch = self.channels;
        let mut rest: Vec<f32> = self.hold.drain(..).collect();
        if let Some((tail, pos)) = self.fade.take() {
            let total = (tail.len() / ch).max(1) as f32;
            for (k, t) in tail[pos.min(tail.len())..].chunks_exact(ch).enumerate() {
                let x = ((pos / ch + k) as f32 / total * std::f32::consts::FRAC_PI_2).cos();
                for (j, s) in t.iter().enumerate() {
                    match rest.get_mut(k * ch + j) {
                        Some(r) => *r += s * x,
                        None => rest.push(s * x),
                    }
                }
            }
        }
        out.extend_from_slice(&rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_passes_everything_through() {
        let mut x = Crossfader::new(0, 2);
        let mut out = Vec::new();
        x.push(&[1.0, 2.0, 3.0, 4.0], &mut out);
        x.next_item();
        x.finish(&mut out);
        assert_eq!(out, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn the_tail_fades_under_the_next_head_at_equal_power() {
        let mut x = Crossfader::new(4, 1);
        let mut out = Vec::new();
        x.push(&[1.0; 8], &mut out);
        assert_eq!(out, [1.0; 4], "the last 4 frames are held back");
        x.next_item();
        out.clear();
        x.push(&[0.0; 8], &mut out);
        // Frames 0..4 of the new item carry the old tail fading out: cos(k/4 · π/2).
        for (k, s) in out.iter().take(4).enumerate() {
            let want = (k as f32 / 4.0 * std::f32::consts::FRAC_PI_2).cos();
            assert!((s - want).abs() < 1e-6, "frame {k}: {s} vs {want}");
        }
        out.clear();
        x.finish(&mut out);
        assert_eq!(out, [0.0; 4]);
    }
}
