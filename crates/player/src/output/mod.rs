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
///
/// The decoder says whether it waits for room: one that waits only for its item's audio is
/// not woken each time the writer plays the ring below half (it could not use the room).
#[derive(Debug, Default)]
pub(crate) struct Wake {
    decoder: Side,
    decoder_waiting: AtomicBool,
    decoder_wants_room: AtomicBool,
    writer: Side,
    writer_waiting: AtomicBool,
}

/// One side's thread, and a number for it that the side checks without the lock on each
/// wait (a waker holds the lock while it unparks).
#[derive(Debug, Default)]
struct Side {
    thread: Mutex<Option<std::thread::Thread>>,
    named: AtomicU64,
}

/// A number for the calling thread, unique in the process and never 0.
fn thread_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static NUMBER: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

impl Wake {
    /// The decoder waits (up to `max`) for room or for its item's audio, unless `ready()`
    /// already says it can go on. `for_room`: it has audio and waits for room for it (the
    /// writer's [`Wake::wake_decoder_for_room`] wakes it only then).
    pub fn decoder_wait(&self, max: std::time::Duration, for_room: bool, ready: impl Fn() -> bool) {
        self.decoder_wants_room.store(for_room, Ordering::SeqCst);
        Self::wait(&self.decoder, &self.decoder_waiting, max, ready);
        self.decoder_wants_room.store(false, Ordering::SeqCst);
    }

    /// The writer waits (up to `max`) for audio, unless `ready()` already says there is.
    pub fn writer_wait(&self, max: std::time::Duration, ready: impl Fn() -> bool) {
        Self::wait(&self.writer, &self.writer_waiting, max, ready);
    }

    /// Wakes the decoder if it waits (the output drained or failed); whether it did.
    pub fn wake_decoder(&self) -> bool {
        Self::wake(&self.decoder, &self.decoder_waiting)
    }

    /// Wakes the decoder if it waits for room (after the writer made room); whether it did.
    pub fn wake_decoder_for_room(&self) -> bool {
        std::sync::atomic::fence(Ordering::SeqCst);
        self.decoder_wants_room.load(Ordering::SeqCst)
            && Self::wake(&self.decoder, &self.decoder_waiting)
    }

    /// Wakes the writer if it waits (after the decoder queued audio).
    pub fn wake_writer(&self) {
        Self::wake(&self.writer, &self.writer_waiting);
    }

    /// Names the calling thread as the writer (so it can be woken before it first waits).
    pub fn writer_is_current(&self) {
        self.writer.name_current();
    }

    /// Wakes the writer even from its real-time pacing sleep (a flush or a pause must not
    /// wait for the next block to fall due).
    pub fn interrupt_writer(&self) {
        let _ = self.writer.unpark();
    }

    fn wait(who: &Side, flag: &AtomicBool, max: std::time::Duration, ready: impl Fn() -> bool) {
        who.name_current();
        flag.store(true, Ordering::SeqCst);
        // Checked after raising the flag, so a wake-up in between is not lost (the fence
        // keeps the reads in `ready` after the store, as the waker's fence keeps its writes
        // before its read of the flag).
        std::sync::atomic::fence(Ordering::SeqCst);
        if !ready() {
            std::thread::park_timeout(max);
        }
        flag.store(false, Ordering::SeqCst);
    }

    fn wake(who: &Side, flag: &AtomicBool) -> bool {
        // What the waker changed (a ring's index, a release store) is ordered before it
        // reads the flag, as the waiter's flag is before it reads the ring.
        std::sync::atomic::fence(Ordering::SeqCst);
        flag.load(Ordering::SeqCst) && who.unpark()
    }
}

impl Side {
    fn name_current(&self) {
        let me = thread_number();
        if self.named.load(Ordering::Acquire) == me {
            return;
        }
        if let Ok(mut w) = self.thread.lock() {
            *w = Some(std::thread::current());
            self.named.store(me, Ordering::Release);
        }
    }

    fn unpark(&self) -> bool {
        if let Ok(w) = self.thread.lock()
            && let Some(t) = w.as_ref()
        {
            t.unpark();
            return true;
        }
        false
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A decoder thread waiting (`for_room` as given) until woken; what it reports when it
    /// returns.
    fn waiting_decoder(wake: &Arc<Wake>, for_room: bool) -> std::sync::mpsc::Receiver<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        let w = wake.clone();
        std::thread::spawn(move || {
            w.decoder_wait(Duration::from_secs(30), for_room, || false);
            let _ = tx.send(());
        });
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while !wake.decoder_waiting.load(Ordering::SeqCst) {
            assert!(std::time::Instant::now() < end, "the decoder never waited");
            std::thread::yield_now();
        }
        rx
    }

    #[test]
    fn room_wakes_only_a_decoder_that_waits_for_room() {
        let wake = Arc::new(Wake::default());
        // Waiting for its item's audio: room is no reason to wake it; anything else is.
        let done = waiting_decoder(&wake, false);
        assert!(!wake.wake_decoder_for_room());
        assert!(wake.wake_decoder());
        done.recv_timeout(Duration::from_secs(5)).unwrap();

        // Waiting for room: room wakes it.
        let done = waiting_decoder(&wake, true);
        assert!(wake.wake_decoder_for_room());
        done.recv_timeout(Duration::from_secs(5)).unwrap();

        // Nobody waiting: nothing to wake.
        assert!(!wake.wake_decoder());
        assert!(!wake.wake_decoder_for_room());
    }

    #[test]
    fn a_new_waiting_thread_is_the_one_woken() {
        let wake = Arc::new(Wake::default());
        for _ in 0..3 {
            // Each wait names its own thread (a writer restarted is a new thread).
            let done = waiting_decoder(&wake, true);
            assert!(wake.wake_decoder());
            done.recv_timeout(Duration::from_secs(5)).unwrap();
        }
    }
}
