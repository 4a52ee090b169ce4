//! The one render routine every output backend calls: it takes audio from the PCM ring and
//! applies what the engine asked for through [`OutputStatus`] (flush, pause ramp, volume
//! ramp), and keeps the counters (frames played, underruns, silence) with one definition of
//! an underrun: an episode of silence played while more audio was expected, counted once
//! however many buffers it lasts. No locks, no allocation, no system calls: the sound card's
//! callback runs it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ringbuf::traits::{Consumer, Observer};

use super::{Format, Gain, OutputStatus, PcmConsumer};

/// Why a buffer was not filled with audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shortfall {
    /// Paused: silence, as asked.
    Paused,
    /// The last sample has been played (it was the first time if `newly`).
    Drained { newly: bool },
    /// More audio was expected: an underrun.
    Underrun,
    /// The ring was flushed (a seek, a jump) and its new audio has not come yet: silence
    /// the listener asked for, not an underrun.
    Refilling,
}

/// The render state of one running output.
pub(crate) struct Renderer {
    cons: PcmConsumer,
    status: Arc<OutputStatus>,
    gain: Gain,
    channels: usize,
    /// Samples of one volume ramp (what a pause still plays).
    ramp_samples: usize,
    /// In an underrun episode.
    starved: bool,
    /// Flushed, and nothing rendered since.
    refilling: bool,
}

impl Renderer {
    /// Renders `cons` in `format`, ramping gain changes over `ramp`. A stream that starts
    /// paused starts silent, so nothing is consumed before `resume`.
    pub fn new(
        cons: PcmConsumer,
        status: Arc<OutputStatus>,
        format: Format,
        ramp: Duration,
    ) -> Self {
        let ramp_frames = (ramp.as_secs_f64() * f64::from(format.rate)) as u32;
        let initial = if status.paused.load(Ordering::Acquire) {
            0.0
        } else {
            status.volume()
        };
        let channels = usize::from(format.channels.max(1));
        Self {
            cons,
            status,
            gain: Gain::new(ramp_frames, initial),
            channels,
            ramp_samples: ramp_frames.max(1) as usize * channels,
            starved: false,
            refilling: false,
        }
    }

    /// Gives the ring's read end back (what is queued stays in it).
    pub fn into_consumer(self) -> PcmConsumer {
        self.cons
    }

    pub fn status(&self) -> &Arc<OutputStatus> {
        &self.status
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Samples queued in the ring, and its capacity.
    pub fn queued(&self) -> (usize, usize) {
        (self.cons.occupied_len(), self.cons.capacity().get())
    }

    /// Whether the engine has gone (no more audio will ever come).
    pub fn abandoned(&self) -> bool {
        !self.cons.write_is_held()
    }

    fn paused(&self) -> bool {
        self.status.paused.load(Ordering::Acquire)
    }

    /// Paused and ramped down: nothing to render until resumed or flushed.
    pub fn holding(&self) -> bool {
        self.paused() && self.gain.is_silent(0.0) && !self.status.flush.load(Ordering::Acquire)
    }

    /// Renders what the ring has into the front of `out`: a pending flush first, then audio
    /// with the volume and pause ramps applied (while pausing, only a ramp's worth is taken,
    /// so the position stops where the ear does). Returns the samples written (whole
    /// frames); the rest of `out` is untouched.
    pub fn render(&mut self, out: &mut [f32]) -> usize {
        let st = &*self.status;
        if st.flush.swap(false, Ordering::AcqRel) {
            let n = self.cons.occupied_len();
            self.cons.skip(n);
            self.gain.silence();
            self.refilling = true;
        }
        let paused = st.paused.load(Ordering::Acquire);
        let target = if paused { 0.0 } else { st.volume() };
        if paused && self.gain.is_silent(0.0) {
            return 0;
        }
        let ch = self.channels;
        let want = if paused {
            self.ramp_samples.min(out.len())
        } else {
            out.len()
        };
        let want = want - want % ch;
        let n = self.cons.pop_slice(&mut out[..want]);
        let n = n - n % ch;
        if n > 0 {
            self.starved = false;
            self.refilling = false;
            self.gain.apply(&mut out[..n], ch, target);
            st.frames_played
                .fetch_add((n / ch) as u64, Ordering::AcqRel);
        }
        n
    }

    /// Whether the last sample has been played (the engine said there is no more, and the
    /// ring is empty).
    pub fn finished(&self) -> bool {
        self.status.input_done.load(Ordering::Acquire) && self.cons.is_empty()
    }

    /// `out` plays as silence because the ring had nothing for it: zeros, and why. An
    /// underrun is counted once per episode; its silence is counted in frames.
    pub fn shortfall(&mut self, out: &mut [f32]) -> Shortfall {
        out.fill(0.0);
        let st = &*self.status;
        if self.paused() {
            return Shortfall::Paused;
        }
        if self.finished() {
            let newly = !st.drained.swap(true, Ordering::AcqRel);
            return Shortfall::Drained { newly };
        }
        if self.refilling {
            return Shortfall::Refilling;
        }
        if out.is_empty() {
            return Shortfall::Underrun;
        }
        if !self.starved {
            self.starved = true;
            st.underruns.fetch_add(1, Ordering::AcqRel);
        }
        st.silence_frames
            .fetch_add((out.len() / self.channels) as u64, Ordering::AcqRel);
        Shortfall::Underrun
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::pcm_ring;
    use ringbuf::traits::Producer;

    fn renderer(secs: f64) -> (crate::output::PcmProducer, Renderer) {
        let format = Format {
            rate: 1000,
            channels: 2,
        };
        let (prod, cons) = pcm_ring(format, secs);
        let status = OutputStatus::new(1.0);
        (
            prod,
            Renderer::new(cons, status, format, Duration::from_millis(10)),
        )
    }

    #[test]
    fn an_underrun_is_one_episode_however_many_buffers_it_lasts() {
        let (mut prod, mut r) = renderer(1.0);
        let mut out = [1.0f32; 8];
        for _ in 0..5 {
            let n = r.render(&mut out);
            assert_eq!(r.shortfall(&mut out[n..]), Shortfall::Underrun);
        }
        assert_eq!(r.status().underruns.load(Ordering::Acquire), 1);
        assert_eq!(r.status().silence_frames.load(Ordering::Acquire), 20);
        prod.push_slice(&[0.5; 8]);
        assert_eq!(r.render(&mut out), 8);
        let n = r.render(&mut out);
        r.shortfall(&mut out[n..]);
        assert_eq!(r.status().underruns.load(Ordering::Acquire), 2);
    }

    #[test]
    fn pausing_takes_one_ramp_then_holds_and_the_end_is_not_an_underrun() {
        let (mut prod, mut r) = renderer(1.0);
        prod.push_slice(&[1.0; 200]);
        r.status().paused.store(true, Ordering::Release);
        let mut out = [0.0f32; 64];
        // 10 ms at 1 kHz = 10 frames = 20 samples, ramping down.
        assert_eq!(r.render(&mut out), 20);
        assert!(out[..20].windows(2).all(|w| w[1] <= w[0]));
        assert!(r.holding());
        assert_eq!(r.render(&mut out), 0);
        assert_eq!(r.shortfall(&mut out), Shortfall::Paused);
        r.status().paused.store(false, Ordering::Release);
        while r.render(&mut out) > 0 {}
        r.status().input_done.store(true, Ordering::Release);
        assert_eq!(r.shortfall(&mut out), Shortfall::Drained { newly: true });
        assert_eq!(r.status().underruns.load(Ordering::Acquire), 0);
        assert_eq!(r.status().frames_played.load(Ordering::Acquire), 100);
    }

    #[test]
    fn a_flush_drops_what_is_queued_and_ramps_the_next_audio_in() {
        let (mut prod, mut r) = renderer(1.0);
        prod.push_slice(&[1.0; 100]);
        r.status().flush.store(true, Ordering::Release);
        let mut out = [0.0f32; 8];
        assert_eq!(r.render(&mut out), 0);
        prod.push_slice(&[1.0; 8]);
        assert_eq!(r.render(&mut out), 8);
        assert!(out[0] < 0.2, "ramped in from silence: {out:?}");
    }

    #[test]
    fn the_wait_for_audio_after_a_flush_is_not_an_underrun() {
        let (mut prod, mut r) = renderer(1.0);
        prod.push_slice(&[1.0; 100]);
        r.status().flush.store(true, Ordering::Release);
        let mut out = [0.0f32; 8];
        for _ in 0..3 {
            let n = r.render(&mut out);
            assert_eq!(r.shortfall(&mut out[n..]), Shortfall::Refilling);
        }
        assert_eq!(r.status().underruns.load(Ordering::Acquire), 0);
        assert_eq!(r.status().silence_frames.load(Ordering::Acquire), 0);
        // Once the new audio has played, running dry again is an underrun.
        prod.push_slice(&[1.0; 8]);
        assert_eq!(r.render(&mut out), 8);
        let n = r.render(&mut out);
        assert_eq!(r.shortfall(&mut out[n..]), Shortfall::Underrun);
        assert_eq!(r.status().underruns.load(Ordering::Acquire), 1);
    }
}
