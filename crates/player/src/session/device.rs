//! The session's output: opening it when audio is ready, flushing, handing the device back
//! during a long pause, reopening it after a failure, and closing it.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer};

use super::{Flow, Out};
use crate::PlayerError;
use crate::engine::{Cmd, Engine};
use crate::events::PlayerEvent;
use crate::output::driver::{OutputSpec, Reclaimed};
use crate::output::{Format, OutputStatus};

impl Engine {
    pub(super) fn new_out(&mut self, stream: Format, asked: Instant) -> Result<Out, PlayerError> {
        let format = self.sink.negotiate(stream)?;
        let (pcm, cons) = crate::output::pcm_ring(format, self.ctx.opts.pcm_ring.as_secs_f64());
        let status = OutputStatus::new(self.volume);
        status.paused.store(self.paused, Ordering::Release);
        let xfade = (self.ctx.opts.crossfade.as_secs_f64() * f64::from(format.rate)) as usize;
        Ok(Out {
            running: None,
            cons: Some(cons),
            status,
            pcm,
            format,
            pushed: 0,
            heard: None,
            next: VecDeque::new(),
            xfade,
            hold: VecDeque::new(),
            fade: None,
            generation: 0,
            next_position: 0.0,
            underruns: 0,
            asked: Some(asked),
            pending_seek: None,
            starved_at: None,
            paused_since: self.paused.then(Instant::now),
            released: false,
        })
    }

    pub(super) fn spec(&self, o: &Out, leftover: Vec<f32>) -> OutputSpec {
        OutputSpec {
            format: o.format,
            status: o.status.clone(),
            ramp: self.ctx.opts.ramp,
            realtime: self.ctx.opts.realtime,
            leftover,
        }
    }

    /// Starts the output once there is audio for it.
    pub(super) fn start_output(&mut self, o: &mut Out) -> Result<(), PlayerError> {
        if o.running.is_some() || o.released {
            return Ok(());
        }
        let Some(cons) = o.cons.take() else {
            return Ok(());
        };
        let spec = self.spec(o, Vec::new());
        match crate::output::start(&mut self.sink, spec, cons) {
            Ok(r) => {
                o.running = Some(r);
                self.shared.emit(PlayerEvent::Buffering { percent: 100 });
                Ok(())
            }
            Err((e, cons)) => {
                o.cons = Some(cons);
                Err(e)
            }
        }
    }

    /// Hands the device back while paused; the ring keeps what was queued, and
    /// `start_output` reopens it on resume.
    pub(super) fn release(&mut self, o: &mut Out) {
        let Some(r) = o.running.take() else {
            return;
        };
        let Reclaimed { cons, leftover } = r.stop(&mut self.sink);
        o.released = true;
        match cons {
            Some(c) if leftover.is_empty() => o.cons = Some(c),
            _ => {
                // Nothing to resume from: start afresh at the position.
                let (pcm, c) =
                    crate::output::pcm_ring(o.format, self.ctx.opts.pcm_ring.as_secs_f64());
                o.pcm = pcm;
                o.cons = Some(c);
                o.pending_seek =
                    Some(self.shared.position_ms.load(Ordering::Acquire) as f64 / 1000.0);
            }
        }
    }

    /// The output failed: keep the position, reopen it with backoff (the same device, then
    /// alternately the default), and go on. Only stop (or dropping the player) ends this.
    pub(super) fn recover(&mut self, o: &mut Out) -> Option<Flow> {
        self.shared.emit(PlayerEvent::DeviceLost(
            "the audio output failed; reopening it".into(),
        ));
        let position = self.shared.position_ms.load(Ordering::Acquire) as f64 / 1000.0;
        let Reclaimed {
            mut cons,
            mut leftover,
        } = match o.running.take() {
            Some(r) => r.stop(&mut self.sink),
            None => Reclaimed {
                cons: o.cons.take(),
                leftover: Vec::new(),
            },
        };
        o.status.failed.store(false, Ordering::Release);
        let mut attempt: u32 = 0;
        loop {
            while let Ok(cmd) = self.rx.try_recv() {
                self.took(&cmd);
                match cmd {
                    Cmd::Stop => return Some(Flow::Stop),
                    Cmd::Shutdown => {
                        self.pending = Some(Cmd::Shutdown);
                        return Some(Flow::Stop);
                    }
                    other => self.deferred.push_back(other),
                }
            }
            std::thread::sleep(crate::fetch::backoff(attempt.min(4), None));
            attempt += 1;
            let mut fallback = self
                .sink
                .fallback()
                .filter(|_| attempt > 3 && attempt.is_multiple_of(2));
            let slot = fallback.as_mut().unwrap_or(&mut self.sink);
            let Ok(format) = slot.negotiate(o.format) else {
                continue;
            };
            // The same format takes the queued audio as it was; another starts afresh at the
            // position (what was queued is decoded again).
            let ring = match cons.take() {
                Some(c) if format == o.format => c,
                _ => {
                    let (pcm, c) =
                        crate::output::pcm_ring(format, self.ctx.opts.pcm_ring.as_secs_f64());
                    o.pcm = pcm;
                    o.format = format;
                    leftover.clear();
                    o.pending_seek = Some(position);
                    c
                }
            };
            // Cloned: a failed start drops its spec, and the samples must survive it.
            let spec = self.spec(o, leftover.clone());
            let slot = fallback.as_mut().unwrap_or(&mut self.sink);
            match crate::output::start(slot, spec, ring) {
                Ok(r) => {
                    o.running = Some(r);
                    break;
                }
                Err((_, c)) => cons = Some(c),
            }
        }
        self.shared.emit(PlayerEvent::DeviceRestored);
        None
    }

    /// Drops everything queued in the output (a jump, a seek).
    pub(super) fn flush(&mut self, o: &mut Out) {
        o.generation += 1;
        o.hold.clear();
        o.fade = None;
        o.next.clear();
        o.heard = None;
        if let Some(c) = o.cons.as_mut() {
            let n = c.occupied_len();
            c.skip(n);
        } else {
            o.status.flush.store(true, Ordering::Release);
            // Wait until the output has dropped the old audio, so none of the new is dropped.
            let asked = Instant::now();
            while o.status.flush.load(Ordering::Acquire)
                && asked.elapsed() < Duration::from_millis(500)
            {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        o.status.drained.store(false, Ordering::Release);
        o.status.input_done.store(false, Ordering::Release);
        o.pushed = o.status.frames_played.load(Ordering::Acquire);
    }

    /// Stops the output at the end of a session.
    pub(super) fn close(&mut self, mut o: Out, ended_by: &Option<PlayerEvent>) {
        let played = matches!(ended_by, Some(PlayerEvent::QueueEnded));
        if let Some(h) = o.heard.take() {
            if played {
                self.shared
                    .emit(PlayerEvent::EndOfTrack(h.stream.plan.info.clone()));
            }
            self.shared.finished.fetch_add(1, Ordering::AcqRel);
        }
        if !played {
            o.status.flush.store(true, Ordering::Release);
        }
        self.shared.stats.underruns.fetch_add(
            o.status.underruns.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        self.shared.stats.silence_frames.fetch_add(
            o.status.silence_frames.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        drop(o.pcm);
        if let Some(r) = o.running.take() {
            let _ = r.stop(&mut self.sink);
        }
    }
}
