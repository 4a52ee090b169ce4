//! Item jobs: one thread per queue item being loaded or played, so that nothing on the engine
//! thread waits on the network or on a ring.
//!
//! A job resolves its target (the API), opens the stream at a position (playlist, init and
//! first segment, in one go), then decodes into a PCM ring of its own, in the stream's own
//! format, and sleeps while that ring is full. It reports to the engine through a channel
//! and wakes it. Dropping the [`Job`] handle cancels it: the async steps race a cancel
//! signal, the byte ring's reader returns at once, and a job waiting for room wakes up and
//! ends; nobody waits for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::Duration;

use ringbuf::traits::{Observer, Producer};

use crate::PlayerError;
use crate::output::{Format, PcmConsumer, PcmProducer, pcm_ring};
use crate::pipeline::{Ctx, Item, Stream};
use crate::plan::{Target, TrackInfo};
use crate::ring::RingCancel;

/// Seconds of decoded audio a job keeps ready ahead of the engine (172 KiB at 44.1 kHz
/// stereo).
const AHEAD_SECS: f64 = 0.5;

/// The same for an unpaced output, which runs at decode speed: the engine is woken once per
/// half ring, so a longer ring means fewer hand-offs (measured in BENCHMARKS.md).
const UNPACED_AHEAD_SECS: f64 = 1.0;

/// What a job starts from.
pub(crate) enum What {
    /// A queue item: resolve it, then open its stream.
    Load(Target),
    /// A stream already resolved (a seek, a reopened output).
    Open(Stream),
}

/// What a job reports, in this order: one of `Ready`, `Playlist`, `Skip`, `Failed`; after
/// `Ready`, one `Ended` once every sample is in the ring.
pub(crate) enum JobEvent {
    /// Resolved and opened: the audio follows in `ring`, from `start` seconds.
    Ready {
        stream: Stream,
        format: Format,
        ring: PcmConsumer,
    },
    /// A playlist: these tracks take its place in the queue.
    Playlist(Vec<Target>),
    /// Not playable (blocked, DRM only, no stream).
    Skip(TrackInfo, PlayerError),
    /// Failed before any audio (the network gave up, a broken stream).
    Failed(PlayerError),
    /// The stream ended (or failed after some audio); packets skipped as undecodable.
    Ended {
        result: Result<(), PlayerError>,
        skipped: u64,
    },
}

/// A report from job `id`.
pub(crate) struct JobMsg {
    pub id: u64,
    pub event: JobEvent,
}

/// What the engine and a job share.
#[derive(Default)]
struct Ctl {
    cancelled: AtomicBool,
    /// The byte ring of the stream being opened or decoded.
    ring: Mutex<Option<RingCancel>>,
    /// The engine found the job's ring empty: wake it with the next block.
    engine_waiting: AtomicBool,
    /// The job waits for room in its ring.
    job_waiting: AtomicBool,
    /// Frames decoded, in the stream's rate.
    decoded: AtomicU64,
    /// The fetch has every byte of the stream.
    fetched: AtomicBool,
}

impl Ctl {
    fn cancel(&self, cancel_tx: &tokio::sync::watch::Sender<bool>) {
        self.cancelled.store(true, Ordering::Release);
        let _ = cancel_tx.send(true);
        if let Ok(r) = self.ring.lock()
            && let Some(c) = r.as_ref()
        {
            c.cancel();
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

/// A job that resolved and opened its stream.
pub(crate) struct Ready {
    pub stream: Stream,
    pub format: Format,
    pub ring: PcmConsumer,
}

/// The engine's handle on a job. Dropping it cancels the job.
pub(crate) struct Job {
    pub id: u64,
    /// Its queue index.
    pub index: usize,
    /// Track seconds its audio starts at.
    pub start: f64,
    /// A seek's continuation (its item is already heard: no new track announcement).
    pub continues: bool,
    /// A user's seek whose `Seeked` is still to be announced (once its first audio is in the
    /// output).
    pub seek_untold: bool,
    /// The output frame where its first sample sits (set when its audio begins).
    pub first_frame: u64,
    /// The stream, once known.
    pub stream: Option<Stream>,
    /// Set by `Ready`.
    pub ready: Option<Ready>,
    /// Set by `Ended`: the ring then holds the rest.
    pub ended: Option<(Result<(), PlayerError>, u64)>,
    /// Reports not yet acted on (a preload's, until it becomes current).
    pub inbox: std::collections::VecDeque<JobEvent>,
    /// Whether its audio has begun in the output.
    pub begun: bool,
    ctl: Arc<Ctl>,
    cancel_tx: tokio::sync::watch::Sender<bool>,
    thread: Option<Thread>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.ctl.cancel(&self.cancel_tx);
        if let Some(t) = &self.thread {
            t.unpark();
        }
    }
}

impl Job {
    /// Starts job `id` for queue item `index` on its own thread, after `delay` (a backoff).
    pub fn spawn(
        ctx: &Ctx,
        id: u64,
        index: usize,
        what: What,
        at: f64,
        delay: Duration,
        report: (Sender<JobMsg>, Thread),
    ) -> Result<Job, PlayerError> {
        match &what {
            What::Load(t) => tracing::info!(
                index,
                item = %t.shown(),
                delay_ms = delay.as_millis() as u64,
                "loading"
            ),
            What::Open(_) => tracing::debug!(index, at_s = at, "opening the stream again"),
        }
        let ctl = Arc::new(Ctl::default());
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        let stream = match &what {
            What::Open(s) => Some(s.clone()),
            What::Load(_) => None,
        };
        let continues = matches!(what, What::Open(_));
        let runner = Runner {
            ctx: ctx.clone(),
            id,
            ctl: ctl.clone(),
            cancel: cancel_rx,
            report,
        };
        let handle = std::thread::Builder::new()
            .name("scplay-item".into())
            .spawn(move || runner.guarded(what, at, delay))
            .map_err(|source| PlayerError::Setup {
                what: "a loading thread",
                source,
            })?;
        Ok(Job {
            id,
            index,
            start: at,
            continues,
            seek_untold: false,
            first_frame: 0,
            stream,
            ready: None,
            ended: None,
            inbox: Default::default(),
            begun: false,
            ctl,
            cancel_tx,
            thread: Some(handle.thread().clone()),
        })
    }

    /// Takes a report: `Ready` and `Ended` are kept in the job, the rest returned to act on.
    pub fn take(&mut self, event: JobEvent) -> Option<JobEvent> {
        match event {
            JobEvent::Ready {
                stream,
                format,
                ring,
            } => {
                self.stream = Some(stream.clone());
                self.ready = Some(Ready {
                    stream,
                    format,
                    ring,
                });
                None
            }
            JobEvent::Ended { result, skipped } => {
                self.ended = Some((result, skipped));
                None
            }
            other => Some(other),
        }
    }

    /// Seconds of the track decoded so far.
    pub fn decoded_secs(&self) -> f64 {
        let rate = self.ready.as_ref().map_or(1, |r| r.format.rate.max(1));
        self.start + self.ctl.decoded.load(Ordering::Acquire) as f64 / f64::from(rate)
    }

    /// Whether the fetch has every byte of the stream.
    pub fn fetched(&self) -> bool {
        self.ctl.fetched.load(Ordering::Acquire)
    }

    /// Whether every sample is in the ring and the ring is empty: the item is over.
    pub fn done(&self) -> bool {
        self.ended.is_some() && self.ready.as_ref().is_none_or(|r| r.ring.is_empty())
    }

    /// After the engine took audio: wake the job if it waits and there is room for a burst.
    pub fn taken(&self) {
        if let Some(r) = &self.ready
            && self.ctl.job_waiting.load(Ordering::Acquire)
            && r.ring.vacant_len() * 2 >= r.ring.capacity().get()
            && let Some(t) = &self.thread
        {
            t.unpark();
        }
    }

    /// The engine is about to sleep with this job's ring empty: wake it with the next block.
    pub fn want(&self) {
        self.ctl.engine_waiting.store(true, Ordering::Release);
    }
}

/// The job's side.
struct Runner {
    ctx: Ctx,
    id: u64,
    ctl: Arc<Ctl>,
    cancel: tokio::sync::watch::Receiver<bool>,
    report: (Sender<JobMsg>, Thread),
}

impl Runner {
    fn send(&self, event: JobEvent) {
        if self.ctl.is_cancelled() {
            return;
        }
        let _ = self.report.0.send(JobMsg { id: self.id, event });
        self.report.1.unpark();
    }

    /// Runs `fut` on the runtime until it ends or the job is cancelled (`None`).
    fn block<F: std::future::Future>(&self, fut: F) -> Option<F::Output> {
        if self.ctl.is_cancelled() {
            return None;
        }
        let mut cancel = self.cancel.clone();
        self.ctx.rt.block_on(async move {
            tokio::select! {
                out = fut => Some(out),
                _ = cancel.wait_for(|c| *c) => None,
            }
        })
    }

    /// Runs the job; a bug that panics fails this item with an error instead of leaving the
    /// engine waiting for it.
    fn guarded(self, what: What, at: f64, delay: Duration) {
        let (id, ctl, report) = (self.id, self.ctl.clone(), self.report.clone());
        let run = std::panic::AssertUnwindSafe(move || self.run(what, at, delay));
        if std::panic::catch_unwind(run).is_err() && !ctl.is_cancelled() {
            tracing::error!("an item job panicked (a bug); the item fails");
            let e = PlayerError::decode("the player failed on this item (a bug)");
            let _ = report.0.send(JobMsg {
                id,
                event: JobEvent::Failed(e),
            });
            report.1.unpark();
        }
    }

    fn run(self, what: What, at: f64, delay: Duration) {
        if !delay.is_zero()
            && self
                .block(async { tokio::time::sleep(delay).await })
                .is_none()
        {
            return;
        }
        let stream = match what {
            What::Open(s) => s,
            What::Load(target) => match self.block(self.ctx.resolve(&target)) {
                None => return,
                Some(Ok(Item::Track(s))) => {
                    tracing::debug!(
                        urn = s.plan.info.urn.as_deref(),
                        stream = s.plan.kind.name(),
                        preview = s.plan.preview,
                        "resolved"
                    );
                    *s
                }
                Some(Ok(Item::Playlist(tracks))) => return self.send(JobEvent::Playlist(tracks)),
                Some(Ok(Item::Skip(info, e))) => return self.send(JobEvent::Skip(info, e)),
                Some(Err(e)) if e.is_not_playable() => {
                    return self.send(JobEvent::Skip(TrackInfo::default(), e));
                }
                Some(Err(e)) => return self.send(JobEvent::Failed(e)),
            },
        };
        let Some(started) = self.block(self.ctx.start(&stream, at)) else {
            return;
        };
        if let Ok(mut r) = self.ctl.ring.lock() {
            *r = Some(started.cancel.clone());
        }
        let mut started = started;
        {
            // Before the decoder sleeps for bytes, the engine gets what was decoded so far
            // (once: while the network stalls, the reader looks again every 250 ms with
            // nothing new to give).
            let (ctl, engine) = (self.ctl.clone(), self.report.1.clone());
            let handed = AtomicU64::new(u64::MAX);
            started.reader.on_wait(Arc::new(move || {
                let decoded = ctl.decoded.load(Ordering::Acquire);
                if handed.load(Ordering::Relaxed) != decoded
                    && ctl.engine_waiting.swap(false, Ordering::AcqRel)
                {
                    handed.store(decoded, Ordering::Relaxed);
                    engine.unpark();
                }
            }));
        }
        if self.ctl.is_cancelled() {
            return; // dropping `started` stops its fetch
        }
        let mut pipe = match started.open(&self.ctx.rt, self.ctx.opts.watchdog) {
            Ok(p) => p,
            Err(_) if self.ctl.is_cancelled() => return,
            Err(e) if e.is_not_playable() => {
                return self.send(JobEvent::Skip(stream.plan.info.clone(), e));
            }
            Err(e) => return self.send(JobEvent::Failed(e)),
        };
        let format = pipe.decoder.format();
        let ahead = if self.ctx.paced {
            AHEAD_SECS
        } else {
            UNPACED_AHEAD_SECS
        };
        let (mut prod, ring) = pcm_ring(format, ahead);
        self.send(JobEvent::Ready {
            stream,
            format,
            ring,
        });
        let ch = u64::from(format.channels.max(1));
        let result = loop {
            if self.ctl.is_cancelled() {
                return;
            }
            match pipe.decoder.next_block() {
                Ok(Some(block)) => {
                    let frames = block.len() as u64 / ch;
                    if !self.push(&mut prod, block) {
                        return;
                    }
                    self.ctl.decoded.fetch_add(frames, Ordering::AcqRel);
                    if pipe.fetch.is_finished() {
                        self.ctl.fetched.store(true, Ordering::Release);
                    }
                }
                Ok(None) => {
                    self.wake_engine();
                    break self.finish(&mut pipe);
                }
                Err(e) => break Err(e),
            }
        };
        if self.ctl.is_cancelled() {
            return;
        }
        drop(prod);
        self.send(JobEvent::Ended {
            result,
            skipped: pipe.decoder.skipped(),
        });
        self.wake_engine();
    }

    /// The decoder ended: why (a stall, the fetch's error, or the end of the stream).
    fn finish(&self, pipe: &mut crate::pipeline::Pipeline) -> Result<(), PlayerError> {
        if pipe.cancel.timed_out() {
            return Err(PlayerError::Stalled {
                secs: self.ctx.opts.watchdog.as_secs(),
            });
        }
        // The fetch is done (or, after bytes the decoder could not use, is told to stop).
        let fetch = &mut pipe.fetch;
        let ended = async { tokio::time::timeout(Duration::from_secs(2), fetch).await };
        match self.block(ended) {
            Some(Ok(Ok(Err(e)))) => Err(e),
            Some(Err(_)) => {
                pipe.cancel.cancel();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Queues `block`, sleeping while the ring is full; `false` when cancelled. An engine
    /// waiting for audio is woken with the stream's first block, then once a quarter of the
    /// ring is ready (half for an unpaced output), or before this
    /// thread sleeps (for room here, or for bytes in the reader's `on_wait`), not for every
    /// block: one wake-up per burst.
    fn push(&self, prod: &mut PcmProducer, mut block: &[f32]) -> bool {
        loop {
            let n = prod.push_slice(block);
            block = &block[n..];
            // The first block at once (the start, a seek: someone waits to hear it); then,
            // paced, a quarter (the output may be waiting), unpaced, half: fewer, larger
            // bursts.
            let first = self.ctl.decoded.load(Ordering::Acquire) == 0;
            let burst = if self.ctx.paced { 4 } else { 2 };
            if n > 0 && (first || prod.occupied_len() * burst >= prod.capacity().get()) {
                self.wake_engine();
            }
            if block.is_empty() {
                return true;
            }
            // Full: sleep until the engine has taken a burst (it wakes us).
            self.wake_engine();
            self.ctl.job_waiting.store(true, Ordering::SeqCst);
            if prod.vacant_len() * 2 < prod.capacity().get() && !self.ctl.is_cancelled() {
                std::thread::park_timeout(Duration::from_secs(1));
            }
            self.ctl.job_waiting.store(false, Ordering::SeqCst);
            if self.ctl.is_cancelled() {
                return false;
            }
        }
    }

    fn wake_engine(&self) {
        if self.ctl.engine_waiting.swap(false, Ordering::AcqRel) {
            self.report.1.unpark();
        }
    }
}
