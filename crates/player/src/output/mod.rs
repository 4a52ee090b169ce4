//! The output side: the PCM ring from the decoder, the state the output shares through
//! atomics, the gain stage with its click-free ramp, and the sinks.

pub(crate) mod backend;
mod gain;
pub(crate) mod render;
pub mod sink;
pub mod wav;
pub(crate) mod writer;

#[cfg(feature = "cpal")]
pub mod cpal_sink;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ringbuf::HeapRb;
use ringbuf::wrap::{Cons, Prod};

pub(crate) use gain::Gain;

/// Sample rate and channel count of a PCM stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// Frames per second.
    pub rate: u32,
    /// Interleaved channels.
    pub channels: u16,
}

pub(crate) type PcmProducer = Prod<Arc<HeapRb<f32>>>;
pub(crate) type PcmConsumer = Cons<Arc<HeapRb<f32>>>;

/// A PCM ring holding `secs` of audio in `format` (interleaved f32).
pub(crate) fn pcm_ring(format: Format, secs: f64) -> (PcmProducer, PcmConsumer) {
    let frames = ((f64::from(format.rate) * secs).ceil() as usize).max(256);
    let rb = Arc::new(HeapRb::new(frames * usize::from(format.channels.max(1))));
    (Prod::new(rb.clone()), Cons::new(rb))
}

/// What the output and the engine share; lock-free, so the audio callback may touch it.
#[derive(Debug, Default)]
pub struct OutputStatus {
    /// Frames handed to the device or file (silence excluded).
    pub frames_played: AtomicU64,
    /// Episodes of silence played while more audio was expected.
    pub underruns: AtomicU64,
    /// Frames of silence played because the ring was short.
    pub silence_frames: AtomicU64,
    /// Paused: ramp to silence and stop consuming.
    pub paused: AtomicBool,
    /// Discard everything queued (after a seek or stop), then clear this flag.
    pub flush: AtomicBool,
    /// Target volume, as `f32::to_bits`.
    pub volume_bits: AtomicU32,
    /// The decoder has delivered its last sample for now.
    pub input_done: AtomicBool,
    /// `input_done` and the ring ran dry.
    pub drained: AtomicBool,
    /// The device or file failed (the engine reopens it).
    pub failed: AtomicBool,
    /// The output was closed for good (a pipe whose reader went away): playback ends.
    pub closed: AtomicBool,
    /// Glitches the output recovered from on its own (ALSA xruns).
    pub xruns: AtomicU64,
    /// Wake-ups between the decoder and a writer thread (not used by the audio callback).
    pub(crate) wake: Wake,
}

/// Parks a side that waits on the PCM ring until the other side has moved, instead of
/// sleeping a fixed time: an unpaced file sink runs at decode speed, not at the speed of
/// sleep granularity. Each side's thread is the one that waited (or named itself) last: a
/// writer thread started again after a release or a failure is the one woken.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    decoder: Mutex<Option<std::thread::Thread>>,
    decoder_waiting: AtomicBool,
    writer: Mutex<Option<std::thread::Thread>>,
    writer_waiting: AtomicBool,
}

impl Wake {
    /// The decoder waits (up to `max`) for room, unless `ready()` already says there is.
    pub fn decoder_wait(&self, max: std::time::Duration, ready: impl Fn() -> bool) {
        Self::wait(&self.decoder, &self.decoder_waiting, max, ready);
    }

    /// The writer waits (up to `max`) for audio, unless `ready()` already says there is.
    pub fn writer_wait(&self, max: std::time::Duration, ready: impl Fn() -> bool) {
        Self::wait(&self.writer, &self.writer_waiting, max, ready);
    }

    /// Wakes the decoder if it waits (after the writer made room).
    pub fn wake_decoder(&self) {
        Self::wake(&self.decoder, &self.decoder_waiting);
    }

    /// Wakes the writer if it waits (after the decoder queued audio).
    pub fn wake_writer(&self) {
        Self::wake(&self.writer, &self.writer_waiting);
    }

    /// Names the calling thread as the writer (so it can be woken before it first waits).
    pub fn writer_is_current(&self) {
        Self::name_current(&self.writer);
    }

    /// Wakes the writer even from its real-time pacing sleep (a flush or a pause must not
    /// wait for the next block to fall due).
    pub fn interrupt_writer(&self) {
        if let Ok(w) = self.writer.lock()
            && let Some(t) = w.as_ref()
        {
            t.unpark();
        }
    }

    fn name_current(who: &Mutex<Option<std::thread::Thread>>) {
        if let Ok(mut w) = who.lock() {
            let me = std::thread::current();
            if w.as_ref().is_none_or(|t| t.id() != me.id()) {
                *w = Some(me);
            }
        }
    }

    fn wait(
        who: &Mutex<Option<std::thread::Thread>>,
        flag: &AtomicBool,
        max: std::time::Duration,
        ready: impl Fn() -> bool,
    ) {
        Self::name_current(who);
        flag.store(true, Ordering::SeqCst);
        // Checked after raising the flag, so a wake-up in between is not lost.
        if !ready() {
            std::thread::park_timeout(max);
        }
        flag.store(false, Ordering::SeqCst);
    }

    fn wake(who: &Mutex<Option<std::thread::Thread>>, flag: &AtomicBool) {
        // What the waker changed (a ring's index, a release store) is ordered before it
        // reads the flag, as the waiter's flag is before it reads the ring.
        std::sync::atomic::fence(Ordering::SeqCst);
        if flag.load(Ordering::SeqCst)
            && let Ok(w) = who.lock()
            && let Some(t) = w.as_ref()
        {
            t.unpark();
        }
    }
}

impl OutputStatus {
    pub(crate) fn new(volume: f32) -> Arc<Self> {
        let s = Self::default();
        s.volume_bits
            .store(volume.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        Arc::new(s)
    }

    pub(crate) fn volume(&self) -> f32 {
        f32::from_bits(self.volume_bits.load(Ordering::Relaxed))
    }
}
