//! The engine thread: takes commands, resolves, starts the fetch task, decodes into the PCM
//! ring and drives the output; one stage per module, this one only wires them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringbuf::traits::Producer;
use scplay_core::{Client, Resource};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::PlayerError;
use crate::convert::Converter;
use crate::decode::Decoder;
use crate::events::{PlayerEvent, Stats};
use crate::fetch::{self, FetchCounters};
use crate::options::PlayerOptions;
use crate::output::driver::SinkSlot;
use crate::output::{Format, OutputStatus, PcmProducer};
use crate::plan::{self, Source, StreamPlan, Target};
use crate::ring::{RingCancel, byte_ring};

/// Commands from the handle.
#[derive(Debug)]
pub(crate) enum Cmd {
    Play(Target),
    Pause,
    Resume,
    Stop,
    Seek(f64),
    Volume(f32),
    Shutdown,
}

/// State shared with the handle.
#[derive(Default)]
pub(crate) struct Shared {
    pub subscribers: Mutex<Vec<std::sync::mpsc::Sender<PlayerEvent>>>,
    pub stats: Stats,
    /// Position in milliseconds.
    pub position_ms: AtomicU64,
    pub last_error: Mutex<Option<PlayerError>>,
    /// Bumps when a track ends one way or another.
    pub finished: AtomicU64,
}

impl Shared {
    pub fn emit(&self, e: PlayerEvent) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|s| s.send(e.clone()).is_ok());
        }
    }
}

pub(crate) struct Engine {
    pub rt: Runtime,
    pub http: reqwest::Client,
    pub client: Option<Client>,
    pub opts: PlayerOptions,
    pub sink: SinkSlot,
    pub shared: Arc<Shared>,
    pub rx: Receiver<Cmd>,
    pub volume: f32,
    /// Paused by the user: carries over to the next track.
    pub paused: bool,
    pub pending: Option<Cmd>,
}

/// How one track ended.
enum Outcome {
    Ended,
    Stopped,
    Failed(PlayerError),
}

struct Pipeline {
    fetch: JoinHandle<Result<(), PlayerError>>,
    cancel: RingCancel,
    decoder: Decoder,
}

impl Drop for Pipeline {
    /// However a pipeline is left behind (a seek, a stop, an error), its fetch task ends.
    fn drop(&mut self) {
        self.cancel.cancel();
        self.fetch.abort();
    }
}

impl Engine {
    pub fn run(mut self) {
        loop {
            let cmd = match self.pending.take() {
                Some(c) => c,
                None => match self.rx.recv() {
                    Ok(c) => c,
                    Err(_) => return,
                },
            };
            match cmd {
                Cmd::Play(target) => {
                    let outcome = self.play(target);
                    let shared = self.shared.clone();
                    match outcome {
                        Outcome::Ended => {}
                        Outcome::Stopped => shared.emit(PlayerEvent::Stopped),
                        Outcome::Failed(e) => {
                            shared.emit(PlayerEvent::Error(e.to_string()));
                            if let Ok(mut l) = shared.last_error.lock() {
                                *l = Some(e);
                            }
                        }
                    }
                    shared.finished.fetch_add(1, Ordering::AcqRel);
                }
                Cmd::Volume(v) => self.volume = v.clamp(0.0, 1.0),
                Cmd::Shutdown => return,
                Cmd::Pause => self.paused = true,
                Cmd::Resume => self.paused = false,
                Cmd::Stop | Cmd::Seek(_) => {}
            }
        }
    }

    fn resolve(&self, target: &Target) -> Result<StreamPlan, PlayerError> {
        let prefer = self.opts.prefer;
        self.rt.block_on(async {
            match target {
                Target::Direct(url) => plan::resolve_direct(&self.http, url).await,
                Target::Track(urn) => {
                    let client = self.client.as_ref().ok_or_else(|| {
                        PlayerError::InvalidTarget("playing a track needs an API client".into())
                    })?;
                    let track = client.track(*urn).await?;
                    plan::resolve_track(client, &self.http, &track, prefer).await
                }
                Target::Page(url) => {
                    let client = self.client.as_ref().ok_or_else(|| {
                        PlayerError::InvalidTarget(
                            "playing a SoundCloud URL needs an API client".into(),
                        )
                    })?;
                    match client.resolve(url).await? {
                        Resource::Track(t) => {
                            plan::resolve_track(client, &self.http, &t, prefer).await
                        }
                        Resource::Playlist(_) => Err(PlayerError::InvalidTarget(
                            "that is a playlist: play its tracks one by one".into(),
                        )),
                        Resource::User(_) => Err(PlayerError::InvalidTarget(
                            "that is a profile, not a track".into(),
                        )),
                    }
                }
            }
        })
    }

    /// Starts fetching and decoding `plan` from `at` seconds.
    fn pipeline(
        &self,
        plan: &StreamPlan,
        at: f64,
        counters: &Arc<FetchCounters>,
    ) -> Result<Pipeline, PlayerError> {
        let (prod, reader, cancel) = byte_ring(self.opts.byte_ring_bytes);
        let (fetch, ext, skip_secs) = match &plan.source {
            Source::Hls { playlist, .. } => {
                let (k, seg_start) = playlist.locate(at).unwrap_or((0, 0.0));
                let ext = if playlist.segments[k].init.is_some() {
                    "mp4"
                } else {
                    "mp3"
                };
                let task = fetch::run_hls(
                    self.http.clone(),
                    std::sync::Arc::clone(playlist),
                    k,
                    prod,
                    self.opts.prefetch_segments,
                    counters.clone(),
                );
                (self.rt.spawn(task), ext, at - seg_start)
            }
            Source::File { url } => {
                // Progressive seeks start at the byte of the target at the stream's mean rate
                // (CBR MP3): the decoder resyncs at the next frame.
                let offset = match (at > 0.0, plan.info.duration_ms) {
                    (true, Some(ms)) if ms > 0 => self
                        .rt
                        .block_on(content_length(&self.http, url))
                        .map_or(0, |len| (len as f64 * at * 1000.0 / ms as f64) as u64),
                    _ => 0,
                };
                let skip = if offset > 0 { 0.0 } else { at };
                let task = fetch::run_file(
                    self.http.clone(),
                    url.clone(),
                    offset,
                    prod,
                    counters.clone(),
                );
                (self.rt.spawn(task), "mp3", skip)
            }
        };
        match Decoder::open(reader, Some(ext)) {
            Ok(mut decoder) => {
                let rate = f64::from(decoder.format().rate);
                decoder.skip_frames((skip_secs.max(0.0) * rate).round() as u64);
                Ok(Pipeline {
                    fetch,
                    cancel,
                    decoder,
                })
            }
            Err(e) => {
                // A fetch failure explains an unreadable stream better than the probe does;
                // a fetch still running is told to stop first (nobody reads its ring now).
                cancel.cancel();
                let fetched = self.rt.block_on(fetch);
                Err(match fetched {
                    Ok(Err(fe)) => fe,
                    _ => e,
                })
            }
        }
    }

    fn play(&mut self, target: Target) -> Outcome {
        let started = Instant::now();
        let shared = self.shared.clone();
        shared.emit(PlayerEvent::Loading(Default::default()));
        let plan = match self.resolve(&target) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e),
        };
        shared.emit(PlayerEvent::Loading(plan.info.clone()));
        let counters = Arc::new(FetchCounters::default());
        let mut pipe = match self.pipeline(&plan, 0.0, &counters) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e),
        };
        let stream_format = pipe.decoder.format();
        shared.emit(PlayerEvent::Buffering { percent: 0 });
        // Convert (channels, rate) only when the sink needs it.
        let format = match self.sink.negotiate(stream_format) {
            Ok(f) => f,
            Err(e) => return Outcome::Failed(e),
        };
        let mut conv = match Converter::new(stream_format, format) {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(e),
        };
        let (mut pcm, cons) = crate::output::pcm_ring(format, self.opts.pcm_ring.as_secs_f64());
        // Prime the ring with the first block so the device does not start on an underrun.
        match pipe.decoder.next() {
            Ok(Some(block)) => {
                let out = match conv.as_mut().map(|c| c.push(block)) {
                    Some(Ok(o)) => o,
                    Some(Err(e)) => return Outcome::Failed(e),
                    None => block,
                };
                pcm.push_slice(out);
            }
            Ok(None) => {}
            Err(e) => return Outcome::Failed(e),
        }
        shared.emit(PlayerEvent::Buffering { percent: 100 });
        let status = OutputStatus::new(self.volume);
        status.paused.store(self.paused, Ordering::Release);
        let output = match crate::output::start(
            &mut self.sink,
            format,
            cons,
            status.clone(),
            self.opts.ramp,
            self.opts.realtime,
        ) {
            Ok(o) => o,
            Err(e) => {
                pipe.cancel.cancel();
                return Outcome::Failed(e);
            }
        };
        let mut t = Tracking {
            at: 0.0,
            base_frames: 0,
            announced: false,
            next_position: 0.0,
            format,
            started,
            generation: 0,
            underruns: 0,
            conv,
        };
        let outcome = loop {
            if let Some(o) =
                self.decode_phase(&status, &mut pipe, &mut pcm, &mut t, &plan, &counters)
            {
                break o;
            }
            // The stream ended: let the output drain, still answering commands.
            status.input_done.store(true, Ordering::Release);
            match self.drain_phase(&status, &mut pipe, &mut t, &plan, &counters) {
                Some(o) => break o,
                None => status.input_done.store(false, Ordering::Release),
            }
        };
        pipe.cancel.cancel();
        pipe.fetch.abort();
        shared
            .stats
            .packets_skipped
            .fetch_add(pipe.decoder.skipped_packets, Ordering::Relaxed);
        shared
            .stats
            .bytes_fetched
            .fetch_add(counters.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        shared
            .stats
            .media_requests
            .fetch_add(counters.requests.load(Ordering::Relaxed), Ordering::Relaxed);
        shared
            .stats
            .underruns
            .fetch_add(status.underruns.load(Ordering::Relaxed), Ordering::Relaxed);
        if matches!(outcome, Outcome::Ended) {
            shared.emit(PlayerEvent::EndOfTrack(plan.info.clone()));
        } else {
            status.flush.store(true, Ordering::Release);
        }
        drop(pcm);
        output.stop(&mut self.sink);
        outcome
    }

    /// Decodes into the PCM ring until the stream ends (`None`) or the track ends (`Some`).
    fn decode_phase(
        &mut self,
        status: &OutputStatus,
        pipe: &mut Pipeline,
        pcm: &mut PcmProducer,
        t: &mut Tracking,
        plan: &StreamPlan,
        counters: &Arc<FetchCounters>,
    ) -> Option<Outcome> {
        loop {
            if let Some(o) = self.commands(status, pipe, t, plan, counters) {
                return Some(o);
            }
            let block = match pipe.decoder.next() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => return Some(Outcome::Failed(e)),
            };
            let converted = match t.conv.as_mut().map(|c| c.push(block)) {
                Some(Ok(o)) => o,
                Some(Err(e)) => return Some(Outcome::Failed(e)),
                None => block,
            };
            let n = pcm.push_slice(converted);
            if n < converted.len() {
                // The ring is full: keep the rest and wait for room.
                let left = converted[n..].to_vec();
                if let Some(o) = self.wait_push(status, pipe, pcm, t, plan, counters, left) {
                    return Some(o);
                }
            }
            self.report(status, t, plan);
        }
        // The resampler's tail, if any.
        if let Some(c) = t.conv.as_mut() {
            let tail = match c.finish() {
                Ok(tail) => tail.to_vec(),
                Err(e) => return Some(Outcome::Failed(e)),
            };
            if let Some(o) = self.wait_push(status, pipe, pcm, t, plan, counters, tail) {
                return Some(o);
            }
        }
        if let Ok(Err(e)) = self.rt.block_on(&mut pipe.fetch) {
            return Some(Outcome::Failed(e));
        }
        None
    }

    /// Pushes `left` into the PCM ring as room appears, answering commands meanwhile; a seek
    /// makes it stale and drops it.
    #[allow(clippy::too_many_arguments)]
    fn wait_push(
        &mut self,
        status: &OutputStatus,
        pipe: &mut Pipeline,
        pcm: &mut PcmProducer,
        t: &mut Tracking,
        plan: &StreamPlan,
        counters: &Arc<FetchCounters>,
        mut left: Vec<f32>,
    ) -> Option<Outcome> {
        let generation = t.generation;
        while !left.is_empty() {
            self.report(status, t, plan);
            if let Some(o) = self.commands(status, pipe, t, plan, counters) {
                return Some(o);
            }
            if t.generation != generation {
                return None;
            }
            let n = pcm.push_slice(&left);
            left.drain(..n);
            if !left.is_empty() {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        None
    }

    /// Waits for the output to play what is queued; a seek returns `None` to decode again.
    fn drain_phase(
        &mut self,
        status: &OutputStatus,
        pipe: &mut Pipeline,
        t: &mut Tracking,
        plan: &StreamPlan,
        counters: &Arc<FetchCounters>,
    ) -> Option<Outcome> {
        loop {
            self.report(status, t, plan);
            if status.drained.load(Ordering::Acquire) {
                return Some(Outcome::Ended);
            }
            if status.failed.load(Ordering::Acquire) {
                return Some(Outcome::Failed(PlayerError::Output(
                    "the audio output failed".into(),
                )));
            }
            match self.rx.recv_timeout(Duration::from_millis(5)) {
                Ok(Cmd::Seek(to)) => {
                    return match self.seek(status, pipe, t, to, plan, counters) {
                        Ok(()) => None,
                        Err(e) => Some(Outcome::Failed(e)),
                    };
                }
                Ok(cmd) => {
                    if let Some(o) = self.command(cmd, status) {
                        return Some(o);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Some(Outcome::Stopped),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// Where playback stands, for position reports.
struct Tracking {
    /// Seconds at which the current pipeline started.
    at: f64,
    /// Output frames already played when it started.
    base_frames: u64,
    announced: bool,
    next_position: f64,
    format: Format,
    started: Instant,
    /// Bumped by every seek: samples decoded before it are stale.
    generation: u64,
    /// Underruns already reported.
    underruns: u64,
    /// Channel mapping and resampling for the sink, when it needs them.
    conv: Option<Converter>,
}

async fn content_length(http: &reqwest::Client, url: &url::Url) -> Option<u64> {
    http.head(url.clone()).send().await.ok()?.content_length()
}

impl Engine {
    fn pause(&mut self, status: &OutputStatus, paused: bool) {
        self.paused = paused;
        status.paused.store(paused, Ordering::Release);
        self.shared.emit(if paused {
            PlayerEvent::Paused
        } else {
            PlayerEvent::Resumed
        });
    }

    fn set_volume(&mut self, status: &OutputStatus, v: f32) {
        self.volume = v.clamp(0.0, 1.0);
        status
            .volume_bits
            .store(self.volume.to_bits(), Ordering::Release);
    }

    /// Restarts the pipeline at `to` seconds; queued audio is flushed.
    fn seek(
        &self,
        status: &OutputStatus,
        pipe: &mut Pipeline,
        t: &mut Tracking,
        to: f64,
        plan: &StreamPlan,
        counters: &Arc<FetchCounters>,
    ) -> Result<(), PlayerError> {
        pipe.cancel.cancel();
        pipe.fetch.abort();
        let to = match plan.info.duration_ms {
            Some(ms) => to.max(0.0).min(ms as f64 / 1000.0),
            None => to.max(0.0),
        };
        *pipe = self.pipeline(plan, to, counters)?;
        status.flush.store(true, Ordering::Release);
        // Wait until the output has dropped the old audio, so none of the new is dropped too.
        let asked = Instant::now();
        while status.flush.load(Ordering::Acquire) && asked.elapsed() < Duration::from_millis(500) {
            std::thread::sleep(Duration::from_millis(1));
        }
        status.drained.store(false, Ordering::Release);
        if let Some(c) = t.conv.as_mut() {
            c.reset();
        }
        t.generation += 1;
        t.at = to;
        t.base_frames = status.frames_played.load(Ordering::Acquire);
        t.next_position = to;
        self.shared
            .position_ms
            .store((to * 1000.0) as u64, Ordering::Release);
        self.shared.emit(PlayerEvent::Seeked(to));
        Ok(())
    }

    /// A command other than a seek; `Some` ends the track.
    fn command(&mut self, cmd: Cmd, status: &OutputStatus) -> Option<Outcome> {
        match cmd {
            Cmd::Stop | Cmd::Shutdown => Some(Outcome::Stopped),
            Cmd::Play(t) => {
                self.pending = Some(Cmd::Play(t));
                Some(Outcome::Stopped)
            }
            Cmd::Pause => {
                self.pause(status, true);
                None
            }
            Cmd::Resume => {
                self.pause(status, false);
                None
            }
            Cmd::Volume(v) => {
                self.set_volume(status, v);
                None
            }
            Cmd::Seek(_) => None,
        }
    }

    /// Handles waiting commands during decoding; `Some` ends the track.
    fn commands(
        &mut self,
        status: &OutputStatus,
        pipe: &mut Pipeline,
        t: &mut Tracking,
        plan: &StreamPlan,
        counters: &Arc<FetchCounters>,
    ) -> Option<Outcome> {
        while let Ok(cmd) = self.rx.try_recv() {
            if let Cmd::Seek(to) = cmd {
                if let Err(e) = self.seek(status, pipe, t, to, plan, counters) {
                    return Some(Outcome::Failed(e));
                }
            } else if let Some(o) = self.command(cmd, status) {
                return Some(o);
            }
        }
        None
    }

    /// Publishes position and first-audio news.
    fn report(&self, status: &OutputStatus, t: &mut Tracking, plan: &StreamPlan) {
        let played = status.frames_played.load(Ordering::Acquire);
        if !t.announced && played > 0 {
            t.announced = true;
            let us = t.started.elapsed().as_micros().max(1) as u64;
            self.shared
                .stats
                .first_audio_us
                .store(us, Ordering::Release);
            self.shared.emit(PlayerEvent::Playing {
                info: plan.info.clone(),
                preview: plan.preview,
                kind: plan.kind.clone(),
            });
        }
        let underruns = status.underruns.load(Ordering::Acquire);
        if underruns > t.underruns && !status.paused.load(Ordering::Acquire) {
            t.underruns = underruns;
            self.shared.emit(PlayerEvent::Underrun);
            self.shared.emit(PlayerEvent::Buffering { percent: 0 });
        }
        let pos = t.at + played.saturating_sub(t.base_frames) as f64 / f64::from(t.format.rate);
        self.shared
            .position_ms
            .store((pos * 1000.0) as u64, Ordering::Release);
        if pos >= t.next_position {
            t.next_position = pos + self.opts.position_interval.as_secs_f64();
            self.shared.emit(PlayerEvent::Position(pos));
        }
    }
}
