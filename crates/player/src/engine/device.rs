//! The output handle: one PCM ring and the device (or writer thread) reading it, for as long
//! as queue items follow each other. It starts once there is audio, flushes without waiting
//! (the engine holds new audio back until the output has dropped the old), hands the device
//! back during a long pause, and after a failure is reopened by [`Device::try_reopen`] on the
//! engine's clock, never in a loop that sleeps.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer};

use crate::PlayerError;
use crate::output::backend::{Backend, OutputSpec, Reclaimed, Running};
use crate::output::{Format, OutputStatus, PcmConsumer, PcmProducer, pcm_ring};

/// How the output is set up (from [`crate::PlayerOptions`]).
#[derive(Clone, Copy)]
pub(crate) struct DeviceOpts {
    pub ring_secs: f64,
    pub ramp: Duration,
    pub realtime: bool,
}

/// A failed output waiting to be reopened.
struct Recovery {
    attempt: u32,
    at: Instant,
    /// Samples the failed output had taken but not played.
    leftover: Vec<f32>,
}

/// What reopening gave.
pub(crate) enum Reopened {
    /// Not yet (wait until the next attempt).
    NotYet,
    /// Back with its queued audio.
    Same,
    /// Back in another format: the queued audio is gone; decode again from the position.
    NewFormat,
}

pub(crate) struct Device {
    opts: DeviceOpts,
    running: Option<Box<dyn Running>>,
    /// The ring's read end while no output holds it.
    cons: Option<PcmConsumer>,
    pub status: Arc<OutputStatus>,
    pub pcm: PcmProducer,
    pub format: Format,
    /// Frames pushed into the ring, counted on the output's frame clock.
    pub pushed: u64,
    /// A flush the output has not acknowledged yet.
    flushing: bool,
    /// Handed back while paused; stays closed until resume.
    pub released: bool,
    recovery: Option<Recovery>,
    /// Underruns already reported, and the frame where the output last ran dry.
    pub underruns_seen: u64,
    /// Xruns already counted into the player's stats.
    pub xruns_seen: u64,
    pub starved_at: Option<u64>,
    /// `pushed` when the last flush took effect: while it has not moved, the output waits
    /// for new audio, which is not an underrun.
    refill_from: Option<u64>,
}

impl Device {
    /// A ring for audio of `stream` in the format `slot` takes it in; nothing opened yet.
    pub fn new(
        slot: &dyn Backend,
        stream: Format,
        volume: f32,
        paused: bool,
        opts: DeviceOpts,
    ) -> Result<Self, PlayerError> {
        let format = slot.negotiate(stream)?;
        let (pcm, cons) = pcm_ring(format, opts.ring_secs);
        let status = OutputStatus::new(volume);
        status.paused.store(paused, Ordering::Release);
        Ok(Self {
            opts,
            running: None,
            cons: Some(cons),
            status,
            pcm,
            format,
            pushed: 0,
            flushing: false,
            released: false,
            recovery: None,
            underruns_seen: 0,
            xruns_seen: 0,
            starved_at: None,
            refill_from: None,
        })
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    pub fn is_recovering(&self) -> bool {
        self.recovery.is_some()
    }

    /// When the next reopening attempt is due.
    pub fn recovery_due(&self) -> Option<Instant> {
        self.recovery.as_ref().map(|r| r.at)
    }

    /// Frames the output has played.
    pub fn played(&self) -> u64 {
        self.status.frames_played.load(Ordering::Acquire)
    }

    fn spec(&self, leftover: Vec<f32>) -> OutputSpec {
        OutputSpec {
            format: self.format,
            status: self.status.clone(),
            ramp: self.opts.ramp,
            realtime: self.opts.realtime,
            leftover,
        }
    }

    /// Moves as much of `pending` as fits into the ring (counting the frames pushed); `true`
    /// when all of it went.
    pub fn push_pending(&mut self, pending: &mut Vec<f32>) -> bool {
        if pending.is_empty() {
            return true;
        }
        let n = self.pcm.push_slice(pending);
        self.pushed += (n / usize::from(self.format.channels.max(1))) as u64;
        pending.drain(..n);
        pending.is_empty()
    }

    /// Starts the output (once there is audio for it).
    pub fn start(&mut self, slot: &mut dyn Backend) -> Result<(), PlayerError> {
        if self.running.is_some() || self.released || self.recovery.is_some() {
            return Ok(());
        }
        let Some(cons) = self.cons.take() else {
            return Ok(());
        };
        match slot.start(self.spec(Vec::new()), cons) {
            Ok(r) => {
                self.running = Some(r);
                Ok(())
            }
            Err((e, cons)) => {
                self.cons = Some(cons);
                Err(e)
            }
        }
    }

    /// Drops everything queued. A running output drops it on its side and says so; until
    /// then [`Device::can_push`] is false, so no new audio is dropped with the old.
    pub fn flush(&mut self) {
        self.status.drained.store(false, Ordering::Release);
        self.status.input_done.store(false, Ordering::Release);
        if let Some(c) = self.cons.as_mut() {
            let n = c.occupied_len();
            c.skip(n);
            if let Some(r) = self.recovery.as_mut() {
                r.leftover.clear();
            }
            self.flushing = false;
            self.pushed = self.played();
            self.refill_from = Some(self.pushed);
        } else {
            self.status.flush.store(true, Ordering::Release);
            self.status.wake.interrupt_writer();
            self.flushing = true;
        }
    }

    /// A flush the running output has not acknowledged yet.
    pub fn is_flushing(&self) -> bool {
        self.flushing && self.running.is_some() && self.status.flush.load(Ordering::Acquire)
    }

    /// Whether new audio may go into the ring (no flush pending).
    pub fn can_push(&mut self) -> bool {
        if self.flushing {
            if self.status.flush.load(Ordering::Acquire) && self.running.is_some() {
                return false;
            }
            self.flushing = false;
            self.pushed = self.played();
            self.refill_from = Some(self.pushed);
        }
        true
    }

    /// Whether the output waits for the first audio after a flush (a seek, a jump): asked
    /// for, or done and nothing pushed since.
    pub fn refilling(&self) -> bool {
        self.flushing || self.refill_from == Some(self.pushed)
    }

    /// Hands the device back while paused; the ring keeps what was queued and `start`
    /// reopens it on resume. `true` when the queued audio was lost (decode again from the
    /// position).
    pub fn release(&mut self) -> bool {
        let Some(r) = self.running.take() else {
            return false;
        };
        let Reclaimed { cons, leftover } = r.stop();
        self.released = true;
        match cons {
            Some(c) if leftover.is_empty() => {
                self.cons = Some(c);
                false
            }
            _ => {
                self.new_ring(self.format);
                true
            }
        }
    }

    fn new_ring(&mut self, format: Format) {
        let (pcm, c) = pcm_ring(format, self.opts.ring_secs);
        self.pcm = pcm;
        self.cons = Some(c);
        self.format = format;
        self.flushing = false;
        self.pushed = self.played();
    }

    /// The output failed: stop it, keep what it had queued, and schedule a reopening.
    pub fn failed(&mut self) {
        let Reclaimed {
            mut cons,
            mut leftover,
        } = match self.running.take() {
            Some(r) => r.stop(),
            None => Reclaimed {
                cons: self.cons.take(),
                leftover: Vec::new(),
            },
        };
        self.status.failed.store(false, Ordering::Release);
        if self.flushing || self.status.flush.swap(false, Ordering::AcqRel) {
            // The flush never reached the output: do it here.
            if let Some(c) = cons.as_mut() {
                let n = c.occupied_len();
                c.skip(n);
            }
            leftover.clear();
            self.flushing = false;
            self.pushed = self.played();
        }
        match cons {
            Some(c) => self.cons = Some(c),
            None => self.new_ring(self.format),
        }
        self.recovery = Some(Recovery {
            attempt: 0,
            at: Instant::now() + crate::fetch::backoff(0, None),
            leftover,
        });
    }

    /// One reopening attempt, when due: the same device, then alternately the default.
    pub fn try_reopen(&mut self, slot: &mut dyn Backend) -> Reopened {
        let Some(mut rec) = self.recovery.take() else {
            return Reopened::Same;
        };
        if Instant::now() < rec.at {
            self.recovery = Some(rec);
            return Reopened::NotYet;
        }
        rec.attempt += 1;
        let attempt = rec.attempt;
        rec.at = Instant::now() + crate::fetch::backoff(attempt.min(4), None);
        let mut fallback = slot
            .fallback()
            .filter(|_| attempt > 3 && attempt.is_multiple_of(2));
        let target: &mut dyn Backend = match fallback.as_deref_mut() {
            Some(f) => f,
            None => &mut *slot,
        };
        let Ok(format) = target.negotiate(self.format) else {
            self.recovery = Some(rec);
            return Reopened::NotYet;
        };
        let same = format == self.format;
        if !same {
            self.new_ring(format);
            rec.leftover.clear();
        }
        let Some(cons) = self.cons.take() else {
            self.recovery = Some(rec);
            return Reopened::NotYet;
        };
        // Cloned: a failed start drops its spec, and the samples must survive it.
        let spec = self.spec(rec.leftover.clone());
        let target: &mut dyn Backend = match fallback.as_deref_mut() {
            Some(f) => f,
            None => slot,
        };
        match target.start(spec, cons) {
            Ok(r) => {
                self.running = Some(r);
                if same {
                    Reopened::Same
                } else {
                    Reopened::NewFormat
                }
            }
            Err((e, c)) => {
                tracing::debug!(
                    attempt,
                    fallback = fallback.is_some(),
                    error = %e,
                    "the audio output did not reopen yet"
                );
                self.cons = Some(c);
                self.recovery = Some(rec);
                Reopened::NotYet
            }
        }
    }

    /// Stops the output at the end of a session (`played`: let it finish what it has;
    /// otherwise what is queued is dropped).
    pub fn close(mut self, played: bool) -> (u64, u64) {
        if !played {
            self.status.flush.store(true, Ordering::Release);
        }
        let counts = (
            self.status.underruns.load(Ordering::Relaxed),
            self.status.silence_frames.load(Ordering::Relaxed),
        );
        drop(self.pcm);
        if let Some(r) = self.running.take() {
            let _ = r.stop();
        }
        counts
    }
}
