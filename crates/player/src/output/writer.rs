//! File-like outputs ([`SampleWriter`]: WAV, pipe, null, yours) on a thread of their own that
//! renders blocks and writes them, as fast as possible or paced like a sound card.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::backend::{Backend, OutputSpec, Reclaimed, Running};
use super::render::{Renderer, Shortfall};
use super::sink::SampleWriter;
use super::{Format, PcmConsumer};
use crate::PlayerError;

/// A writer, lent to the output thread while a stream plays.
pub(crate) struct WriterBackend {
    writer: Arc<Mutex<Option<Box<dyn SampleWriter>>>>,
}

impl WriterBackend {
    pub fn new(writer: Box<dyn SampleWriter>) -> Self {
        Self {
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&dyn SampleWriter) -> T) -> Result<T, PlayerError> {
        let w = self.writer.lock().map_err(|_| busy())?;
        w.as_deref().map(f).ok_or_else(busy)
    }
}

fn busy() -> PlayerError {
    PlayerError::output("the sink is busy")
}

impl Backend for WriterBackend {
    fn negotiate(&self, stream: Format) -> Result<Format, PlayerError> {
        self.with(|w| w.format_for(stream))
    }

    fn start(
        &mut self,
        spec: OutputSpec,
        cons: PcmConsumer,
    ) -> Result<Box<dyn Running>, (PlayerError, PcmConsumer)> {
        let taken = self.writer.lock().ok().and_then(|mut w| w.take());
        let Some(mut writer) = taken else {
            return Err((busy(), cons));
        };
        if let Err(e) = writer.begin(spec.format) {
            if let Ok(mut w) = self.writer.lock() {
                *w = Some(writer);
            }
            return Err((PlayerError::Sink(e), cons));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = WriterThread {
            renderer: Renderer::new(cons, spec.status, spec.format, spec.ramp),
            format: spec.format,
            stop: stop.clone(),
            realtime: spec.realtime,
        };
        let leftover = spec.leftover;
        let format = spec.format;
        let handle = std::thread::Builder::new()
            .name("scplay-output".into())
            .spawn(move || thread.run(writer, leftover));
        match handle {
            Ok(handle) => Ok(Box::new(RunningWriter {
                handle,
                stop,
                slot: self.writer.clone(),
            })),
            // The closure (writer and ring end) is gone with the failed spawn.
            Err(source) => Err((
                PlayerError::Setup {
                    what: "the output thread",
                    source,
                },
                super::pcm_ring(format, 0.0).1,
            )),
        }
    }
}

type Ended = (Box<dyn SampleWriter>, PcmConsumer, Vec<f32>);

struct RunningWriter {
    handle: JoinHandle<Ended>,
    stop: Arc<AtomicBool>,
    /// Where the writer goes back.
    slot: Arc<Mutex<Option<Box<dyn SampleWriter>>>>,
}

impl Running for RunningWriter {
    fn stop(self: Box<Self>) -> Reclaimed {
        self.stop.store(true, Ordering::Release);
        self.handle.thread().unpark();
        match self.handle.join() {
            Ok((w, cons, leftover)) => {
                if let Ok(mut s) = self.slot.lock() {
                    *s = Some(w);
                }
                Reclaimed {
                    cons: Some(cons),
                    leftover,
                }
            }
            Err(_) => Reclaimed {
                cons: None,
                leftover: Vec::new(),
            },
        }
    }
}

/// The output thread's state.
struct WriterThread {
    renderer: Renderer,
    format: Format,
    stop: Arc<AtomicBool>,
    realtime: bool,
}

/// A write failed: a closed pipe or file is the end of the output; anything else is a
/// failure the engine recovers from (reopening the output).
fn write_failed(status: &super::OutputStatus, e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        status.closed.store(true, Ordering::Release);
    } else {
        status.failed.store(true, Ordering::Release);
    }
    // The engine learns of it now, not at its next timer.
    status.wake.wake_decoder();
}

impl WriterThread {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn run(mut self, mut writer: Box<dyn SampleWriter>, mut leftover: Vec<f32>) -> Ended {
        let status = self.renderer.status().clone();
        status.wake.writer_is_current();
        let channels = self.renderer.channels();
        let rate = f64::from(self.format.rate.max(1));
        // Real-time mode writes blocks of about 100 ms: few wake-ups, like a sound card's
        // period.
        let block = if self.realtime {
            ((rate / 10.0) as usize).max(256)
        } else {
            4096
        };
        let mut buf = vec![0f32; block * channels];
        let mut started = Instant::now();
        let mut frames: u64 = 0;
        let due = |frames: u64| Duration::from_secs_f64(frames as f64 / rate);
        if !leftover.is_empty() {
            if let Err(e) = writer.write(&leftover) {
                write_failed(&status, &e);
                return (writer, self.renderer.into_consumer(), leftover);
            }
            status
                .frames_played
                .fetch_add((leftover.len() / channels) as u64, Ordering::AcqRel);
            leftover.clear();
        }
        while !self.stopped() {
            if self.renderer.holding() {
                let t = Instant::now();
                // Paused: sleep until resumed, flushed or stopped (each wakes this thread).
                status.wake.writer_wait(Duration::from_millis(500), || {
                    self.stopped() || !self.renderer.holding()
                });
                // Real-time pacing resumes where it paused.
                started += t.elapsed();
                continue;
            }
            let n = self.renderer.render(&mut buf);
            if n == 0 {
                if self.renderer.finished() {
                    if let Shortfall::Drained { newly: true } = self.renderer.shortfall(&mut []) {
                        status.wake.wake_decoder();
                    }
                } else if self.renderer.abandoned() {
                    break;
                } else if self.realtime && !status.paused.load(Ordering::Acquire) {
                    // Paced like a sound card: audio that is late leaves silence in its place.
                    let late = started.elapsed().saturating_sub(due(frames));
                    if late > Duration::from_millis(10) {
                        let f = ((late.as_secs_f64() * rate) as usize).min(block);
                        self.renderer.shortfall(&mut buf[..f * channels]);
                        if let Err(e) = writer.write(&buf[..f * channels]) {
                            write_failed(&status, &e);
                            return (writer, self.renderer.into_consumer(), leftover);
                        }
                        frames += f as u64;
                        continue;
                    }
                }
                // Until the engine has queued a good amount (it wakes this thread), or, in
                // real time, until the audio would be late.
                let max = if self.realtime {
                    due(frames).saturating_sub(started.elapsed()) + Duration::from_millis(11)
                } else if status.drained.load(Ordering::Acquire) {
                    Duration::from_millis(100)
                } else {
                    Duration::from_millis(20)
                };
                let r = &self.renderer;
                status.wake.writer_wait(max, || {
                    let (queued, capacity) = r.queued();
                    queued >= capacity / 2
                        || self.stopped()
                        || status.flush.load(Ordering::Acquire)
                        || (status.input_done.load(Ordering::Acquire)
                            && !status.drained.load(Ordering::Acquire))
                });
                continue;
            }
            // The engine refills once the ring is below half (it checks the same before it
            // sleeps): one wake-up per half ring, not per block.
            let (queued, capacity) = self.renderer.queued();
            if queued * 2 < capacity {
                status.wake.wake_decoder_for_room();
            }
            if let Err(e) = writer.write(&buf[..n]) {
                // Kept, so a reopened output plays it first: a lost device loses nothing.
                leftover.extend_from_slice(&buf[..n]);
                write_failed(&status, &e);
                return (writer, self.renderer.into_consumer(), leftover);
            }
            frames += (n / channels) as u64;
            if self.realtime {
                // Paced like a sound card: sleep until this block is due (a stop, a flush or
                // a pause wakes us: what they change is heard with the next block).
                let was_paused = status.paused.load(Ordering::Acquire);
                while let Some(wait) = due(frames).checked_sub(started.elapsed()) {
                    if self.stopped()
                        || wait < Duration::from_micros(200)
                        || status.flush.load(Ordering::Acquire)
                        || status.paused.load(Ordering::Acquire) != was_paused
                    {
                        break;
                    }
                    std::thread::park_timeout(wait);
                }
            }
        }
        if let Err(e) = writer.end() {
            write_failed(&status, &e);
        }
        (writer, self.renderer.into_consumer(), leftover)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::output::{OutputStatus, pcm_ring};
    use ringbuf::traits::Producer;

    /// Waits up to 5 s for `f`.
    fn within_5s(f: impl Fn() -> bool) -> bool {
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        f()
    }

    #[test]
    fn a_flush_wakes_a_real_time_writer_from_its_pacing_sleep() {
        // 10 frames a second: a block (256 frames) falls due every 25.6 s.
        let format = Format {
            rate: 10,
            channels: 1,
        };
        let (mut prod, cons) = pcm_ring(format, 100.0);
        prod.push_slice(&[0.5; 600]);
        let status = OutputStatus::new(1.0);
        let spec = OutputSpec {
            format,
            status: status.clone(),
            ramp: Duration::ZERO,
            realtime: true,
            leftover: Vec::new(),
        };
        let mut backend = WriterBackend::new(Box::new(super::super::sink::NullWriter));
        let running = backend.start(spec, cons).map_err(|(e, _)| e).unwrap();
        let played = || status.frames_played.load(Ordering::Acquire);
        assert!(
            within_5s(|| played() == 256),
            "the first block goes at once"
        );
        // Pacing until the next block is due, 25.6 s away: a flush is taken now.
        status.flush.store(true, Ordering::Release);
        status.wake.interrupt_writer();
        assert!(
            within_5s(|| !status.flush.load(Ordering::Acquire)),
            "the flush waited for the next block"
        );
        // The new audio (the engine wakes the writer once its ring is half full).
        prod.push_slice(&[0.5; 600]);
        status.wake.wake_writer();
        assert!(within_5s(|| played() == 512));
        running.stop();
    }
}
