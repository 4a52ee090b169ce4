//! Volume with a short linear ramp, applied sample by sample without allocating.

/// Gain state of an output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gain {
    current: f32,
    /// Change per frame.
    step: f32,
}

impl Gain {
    /// Starts at `initial` (a track starts at its own level), ramping over `ramp_frames`
    /// frames on every later change.
    pub fn new(ramp_frames: u32, initial: f32) -> Self {
        Self {
            current: initial,
            step: 1.0 / ramp_frames.max(1) as f32,
        }
    }

    /// Jumps to silence (after a flush, so new audio ramps in).
    pub fn silence(&mut self) {
        self.current = 0.0;
    }

    /// Whether the gain is (and stays) at zero for `target`.
    pub fn is_silent(&self, target: f32) -> bool {
        self.current == 0.0 && target == 0.0
    }

    /// Applies the gain to interleaved `samples`, moving toward `target`.
    pub fn apply(&mut self, samples: &mut [f32], channels: usize, target: f32) {
        let channels = channels.max(1);
        if self.current == target {
            if target != 1.0 {
                for s in samples.iter_mut() {
                    *s *= target;
                }
            }
            return;
        }
        for frame in samples.chunks_mut(channels) {
            if self.current < target {
                self.current = (self.current + self.step).min(target);
            } else if self.current > target {
                self.current = (self.current - self.step).max(target);
            }
            for s in frame.iter_mut() {
                *s *= self.current;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gain;

    #[test]
    fn ramps_without_jumps() {
        let mut g = Gain::new(100, 0.0);
        let mut buf = vec![1.0f32; 400];
        g.apply(&mut buf, 2, 1.0);
        assert_eq!(buf[0], 0.01);
        assert!(buf.windows(2).all(|w| (w[1] - w[0]).abs() <= 0.0101));
        assert_eq!(buf[399], 1.0);
        let mut buf = vec![1.0f32; 400];
        g.apply(&mut buf, 2, 0.0);
        assert_eq!(buf[399], 0.0);
        assert!(g.is_silent(0.0));
    }
}
