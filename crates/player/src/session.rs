//! Playing the queue: one output for as long as items follow each other, each item decoded
//! into the same PCM ring right after the last sample of the one before (gapless), the next
//! item loaded on a preload thread while the current one plays, an optional crossfade, and
//! the track changes announced when they are heard, not when they are decoded.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer};

use crate::PlayerError;
use crate::convert::Converter;
use crate::engine::{Cmd, Engine};
use crate::events::PlayerEvent;
use crate::output::driver::{OutputSpec, Reclaimed, Running};
use crate::output::{Format, OutputStatus, PcmConsumer, PcmProducer};
use crate::pipeline::{Item, Loaded, Stream};

/// A queue item being loaded ahead of its turn.
pub(crate) struct Preload {
    pub index: usize,
    pub handle: std::thread::JoinHandle<Result<Item<Loaded>, PlayerError>>,
}

/// The item being heard.
struct Heard {
    index: usize,
    stream: Stream,
    /// Track seconds at output frame `base`.
    start: f64,
    base: u64,
    announced: bool,
}

/// One running output and what is queued in it.
pub(crate) struct Out {
    running: Option<Running>,
    /// The ring's read end until the output starts.
    cons: Option<PcmConsumer>,
    status: Arc<OutputStatus>,
    pcm: PcmProducer,
    format: Format,
    /// Frames pushed into the ring (after a flush: counted from what was played).
    pushed: u64,
    heard: Option<Heard>,
    /// Items already in the ring, by the output frame where they start.
    next: VecDeque<(u64, Heard)>,
    /// Crossfade: the last `xfade` frames held back from the ring, and the previous item's
    /// tail being faded out under the current item's head.
    xfade: usize,
    hold: VecDeque<f32>,
    fade: Option<(Vec<f32>, usize)>,
    /// Bumped by seeks and flushes: samples decoded before are stale.
    generation: u64,
    next_position: f64,
    underruns: u64,
    /// When the user asked for what is about to be heard (time to first audio).
    asked: Option<Instant>,
    /// Frames played when the output last ran dry (until audio flows again).
    starved_at: Option<u64>,
    /// When the user paused (for [`crate::PlayerOptions::release_after_pause`]).
    paused_since: Option<Instant>,
    /// The device was handed back while paused: it stays closed until resume.
    released: bool,
    /// A seek to make once the decoder is at hand (after an output came back in another
    /// format, its queued audio gone).
    pending_seek: Option<f64>,
}

/// How feeding an item (or draining the output) ended.
pub(crate) enum Flow {
    /// The item's stream ended: the next one joins.
    EndOfItem,
    /// The user moved in the queue: flush, then load the current item.
    Jump,
    /// A seek after the last item reopened the heard one: feed it.
    Reload(Box<Loaded>),
    /// Items were added while the last one drained: they join.
    More,
    /// Stopped.
    Stop,
    /// The item failed; the queue goes on.
    Failed(PlayerError),
    /// The output failed; playback ends.
    OutputFailed(PlayerError),
}

impl Engine {
    /// Plays the queue from its current item until it ends or is stopped.
    pub(crate) fn play_queue(&mut self) {
        let mut out: Option<Out> = None;
        let mut reload: Option<Box<Loaded>> = None;
        let mut asked = Instant::now();
        let ended_by = 'items: loop {
            let mut cur = match reload.take() {
                Some(l) => l,
                None => {
                    let Some((index, target)) = self.queue.current().map(|(i, t)| (i, t.clone()))
                    else {
                        break 'items None;
                    };
                    let item = match self.take_preload(index) {
                        Some(r) => r,
                        None => {
                            self.shared.emit(PlayerEvent::Loading(Default::default()));
                            self.ctx.load(index, &target, 0.0)
                        }
                    };
                    match item {
                        Ok(Item::Track(l)) => l,
                        Ok(Item::Playlist(tracks)) => {
                            self.queue.expand(index, tracks);
                            continue;
                        }
                        Ok(Item::Skip(info, e)) => {
                            self.shared.emit(PlayerEvent::Skipped {
                                index,
                                info,
                                reason: e.to_string(),
                            });
                            self.item_failed(e, false, true);
                            if !self.queue.advance(false) {
                                break 'items None;
                            }
                            continue;
                        }
                        Err(e) => {
                            self.item_failed(e, true, true);
                            if !self.queue.advance(false) {
                                break 'items None;
                            }
                            continue;
                        }
                    }
                }
            };
            self.shared
                .emit(PlayerEvent::Loading(cur.stream.plan.info.clone()));
            if out.as_ref().is_none_or(|o| o.running.is_none()) {
                self.shared.emit(PlayerEvent::Buffering { percent: 0 });
            }
            if out.is_none() {
                match self.new_out(cur.pipe.decoder.format(), asked) {
                    Ok(o) => out = Some(o),
                    Err(e) => {
                        self.item_failed(e, true, true);
                        break 'items None;
                    }
                }
            }
            let Some(o) = out.as_mut() else {
                break 'items None;
            };
            o.begin_item(&cur);
            let mut flow = self.feed(o, &mut cur);
            self.shared
                .stats
                .packets_skipped
                .fetch_add(cur.pipe.decoder.skipped(), Ordering::Relaxed);
            drop(cur);
            loop {
                match flow {
                    Flow::EndOfItem => {
                        if self.queue.advance(true) {
                            break;
                        }
                        // The last item: play out what is queued, still answering commands.
                        flow = self.drain(o);
                        if matches!(flow, Flow::EndOfItem) {
                            break 'items Some(PlayerEvent::QueueEnded);
                        }
                    }
                    Flow::More => break,
                    Flow::Reload(l) => {
                        reload = Some(l);
                        break;
                    }
                    Flow::Jump => {
                        if o.heard.is_some() {
                            self.shared.finished.fetch_add(1, Ordering::AcqRel);
                        }
                        self.flush(o);
                        asked = Instant::now();
                        o.asked = Some(asked);
                        break;
                    }
                    Flow::Stop => break 'items Some(PlayerEvent::Stopped),
                    Flow::Failed(e) => {
                        // What was decoded still plays; the queue goes on.
                        self.item_failed(e, true, false);
                        if self.queue.advance(false) {
                            break;
                        }
                        flow = self.drain(o);
                        if matches!(flow, Flow::EndOfItem) {
                            break 'items Some(PlayerEvent::QueueEnded);
                        }
                    }
                    Flow::OutputFailed(e) => {
                        self.item_failed(e, true, false);
                        break 'items None;
                    }
                }
            }
        };
        self.preload = None;
        if let Some(o) = out {
            self.close(o, &ended_by);
        }
        if let Some(e) = ended_by {
            self.shared.emit(e);
        }
    }

    /// Records a failed or skipped item (the error is what `wait` reports); `ended` when it
    /// never reached the output (one that did ends when it is heard out).
    fn item_failed(&self, e: PlayerError, announce: bool, ended: bool) {
        if announce {
            self.shared.emit(PlayerEvent::Error(e.to_string()));
        }
        if let Ok(mut l) = self.shared.last_error.lock() {
            *l = Some(e);
        }
        if ended {
            self.shared.finished.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn take_preload(&mut self, index: usize) -> Option<Result<Item<Loaded>, PlayerError>> {
        let p = self.preload.take()?;
        if p.index != index {
            return None; // another item is next now: the preload ends on its own
        }
        p.handle.join().ok()
    }

    /// Starts loading the item after `cur` when `cur` is near its end or fully fetched.
    fn maybe_preload(&mut self, cur: &Loaded) {
        if self.preload.is_some() {
            return;
        }
        let near_end = cur.pipe.fetch.is_finished()
            || cur.duration().is_some_and(|d| {
                d - cur.decoded_secs() <= self.ctx.opts.preload_before.as_secs_f64()
            });
        if !near_end {
            return;
        }
        let Some(next) = self.queue.peek_next(true) else {
            return;
        };
        let Some(target) = self.queue.target(next).cloned() else {
            return;
        };
        let ctx = self.ctx.clone();
        if let Ok(handle) = std::thread::Builder::new()
            .name("scplay-preload".into())
            .spawn(move || ctx.load(next, &target, 0.0))
        {
            self.preload = Some(Preload {
                index: next,
                handle,
            });
        }
    }

    fn new_out(&mut self, stream: Format, asked: Instant) -> Result<Out, PlayerError> {
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

    fn spec(&self, o: &Out, leftover: Vec<f32>) -> OutputSpec {
        OutputSpec {
            format: o.format,
            status: o.status.clone(),
            ramp: self.ctx.opts.ramp,
            realtime: self.ctx.opts.realtime,
            leftover,
        }
    }

    /// Starts the output once there is audio for it.
    fn start_output(&mut self, o: &mut Out) -> Result<(), PlayerError> {
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
    fn release(&mut self, o: &mut Out) {
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
    fn recover(&mut self, o: &mut Out) -> Option<Flow> {
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

    /// Decodes `cur` into the output until its stream ends or a command ends it.
    fn feed(&mut self, o: &mut Out, cur: &mut Box<Loaded>) -> Flow {
        let mut conv = match Converter::new(cur.pipe.decoder.format(), o.format) {
            Ok(c) => c,
            Err(e) => return Flow::Failed(e),
        };
        let mut scratch: Vec<f32> = Vec::with_capacity(8192);
        loop {
            if let Some(f) = self.commands(o, Some(&mut *cur), &mut conv) {
                return f;
            }
            if let Some(f) = self.report(o) {
                return f;
            }
            self.maybe_preload(cur);
            scratch.clear();
            let ch = usize::from(cur.pipe.decoder.format().channels.max(1));
            let frames;
            match cur.pipe.decoder.next_block() {
                Ok(Some(block)) => {
                    frames = (block.len() / ch) as u64;
                    let out = match conv.as_mut().map(|c| c.push(block)) {
                        Some(Ok(out)) => out,
                        Some(Err(e)) => return Flow::Failed(e),
                        None => block,
                    };
                    // The common case straight into the ring; only what does not fit (or
                    // what the crossfade holds back) is copied aside to wait.
                    let n = if o.xfade == 0 {
                        o.pcm.push_slice(out)
                    } else {
                        0
                    };
                    o.pushed += (n / usize::from(o.format.channels.max(1))) as u64;
                    scratch.extend_from_slice(&out[n..]);
                    if n > 0 && o.pcm.occupied_len() * 2 >= o.pcm.capacity().get() {
                        o.status.wake.wake_writer();
                    }
                }
                Ok(None) => break,
                Err(e) => return Flow::Failed(e),
            }
            cur.decoded += frames;
            if !scratch.is_empty()
                && let Some(f) = self.push(o, Some(&mut *cur), &mut conv, &mut scratch)
            {
                return f;
            }
            if o.running.is_none()
                && o.pushed > 0
                && let Err(e) = self.start_output(o)
            {
                return Flow::OutputFailed(e);
            }
        }
        // The resampler's tail, if any.
        if let Some(c) = conv.as_mut() {
            scratch.clear();
            match c.finish() {
                Ok(tail) => scratch.extend_from_slice(tail),
                Err(e) => return Flow::Failed(e),
            }
            if let Some(f) = self.push(o, Some(&mut *cur), &mut conv, &mut scratch) {
                return f;
            }
        }
        if cur.pipe.cancel.timed_out() {
            return Flow::Failed(PlayerError::Stalled {
                secs: self.ctx.opts.watchdog.as_secs(),
            });
        }
        // The stream ended: the fetch is done (or, after bytes the decoder could not use,
        // is told to stop).
        let fetch = &mut cur.pipe.fetch;
        let ended = self
            .ctx
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(2), fetch).await });
        match ended {
            Ok(Ok(Err(e))) => Flow::Failed(e),
            Ok(_) => Flow::EndOfItem,
            Err(_) => {
                cur.pipe.cancel.cancel();
                Flow::EndOfItem
            }
        }
    }

    /// Queues decoded samples (through the crossfade, when there is one), waiting for room and
    /// answering commands meanwhile. `Some` ends the item; samples a seek made stale are
    /// dropped.
    fn push(
        &mut self,
        o: &mut Out,
        cur: Option<&mut Box<Loaded>>,
        conv: &mut Option<Converter>,
        data: &mut [f32],
    ) -> Option<Flow> {
        if o.xfade == 0 {
            return self.write(o, cur, conv, data);
        }
        let ch = usize::from(o.format.channels.max(1));
        if let Some((tail, pos)) = o.fade.as_mut() {
            // Equal-power crossfade: the previous item's tail out, this item's head in.
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
                o.fade = None;
            }
        }
        o.hold.extend(data.iter());
        let excess = o.hold.len().saturating_sub(o.xfade * ch);
        if excess == 0 {
            return None;
        }
        let out: Vec<f32> = o.hold.drain(..excess).collect();
        self.write(o, cur, conv, &out)
    }

    /// Writes samples into the PCM ring, waiting for room.
    fn write(
        &mut self,
        o: &mut Out,
        mut cur: Option<&mut Box<Loaded>>,
        conv: &mut Option<Converter>,
        data: &[f32],
    ) -> Option<Flow> {
        let ch = usize::from(o.format.channels.max(1));
        let generation = o.generation;
        let mut left = data;
        loop {
            let n = o.pcm.push_slice(left);
            o.pushed += (n / ch) as u64;
            left = &left[n..];
            // A waiting writer is woken once there is a good amount to write (or the ring is
            // about to fill): one wake-up per block would cost more than the copying.
            if n > 0 && o.pcm.occupied_len() * 2 >= o.pcm.capacity().get() {
                o.status.wake.wake_writer();
            }
            if left.is_empty() {
                break;
            }
            // The ring is full: the output must be running to make room.
            if let Err(e) = self.start_output(o) {
                return Some(Flow::OutputFailed(e));
            }
            // Until a quarter of the ring is free (a sound card frees it in small steps; the
            // wait is bounded so commands are still answered within milliseconds).
            let (pcm, want) = (&o.pcm, (o.pcm.capacity().get() / 4).min(left.len()));
            o.status
                .wake
                .decoder_wait(Duration::from_millis(2), || pcm.vacant_len() >= want);
            if let Some(f) = self.report(o) {
                return Some(f);
            }
            if let Some(f) = self.commands(o, cur.as_deref_mut(), conv) {
                return Some(f);
            }
            if o.generation != generation {
                return None;
            }
        }
        if o.pushed > 0
            && let Err(e) = self.start_output(o)
        {
            return Some(Flow::OutputFailed(e));
        }
        None
    }

    /// Plays out what is queued after the last item, still answering commands.
    fn drain(&mut self, o: &mut Out) -> Flow {
        let mut rest: Vec<f32> = o.hold.drain(..).collect();
        if let Some((tail, pos)) = o.fade.take() {
            // An item shorter than the crossfade: the rest of the tail fades out alone.
            let ch = usize::from(o.format.channels.max(1));
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
        let mut no_conv: Option<Converter> = None;
        if let Some(f) = self.write(o, None, &mut no_conv, &rest) {
            return f;
        }
        if let Err(e) = self.start_output(o) {
            return Flow::OutputFailed(e);
        }
        o.status.input_done.store(true, Ordering::Release);
        let flow = loop {
            if let Some(f) = self.report(o) {
                break f;
            }
            if let Some(f) = self.commands(o, None, &mut no_conv) {
                break f;
            }
            if self.queue.current().is_some() {
                break Flow::More;
            }
            if o.status.drained.load(Ordering::Acquire) {
                break Flow::EndOfItem;
            }
            match self.rx.recv_timeout(Duration::from_millis(5)) {
                Ok(cmd) => {
                    self.took(&cmd);
                    if let Some(f) = self.command(cmd, o, None, &mut no_conv) {
                        break f;
                    }
                    if self.queue.current().is_some() {
                        break Flow::More;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break Flow::Stop,
                Err(RecvTimeoutError::Timeout) => {}
            }
        };
        if !matches!(flow, Flow::EndOfItem) {
            o.status.input_done.store(false, Ordering::Release);
            o.status.drained.store(false, Ordering::Release);
        }
        flow
    }

    /// Drops everything queued in the output (a jump, a seek).
    fn flush(&mut self, o: &mut Out) {
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
    fn close(&mut self, mut o: Out, ended_by: &Option<PlayerEvent>) {
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

    /// Handles waiting commands; `Some` ends the item.
    fn commands(
        &mut self,
        o: &mut Out,
        mut cur: Option<&mut Box<Loaded>>,
        conv: &mut Option<Converter>,
    ) -> Option<Flow> {
        if let Some(to) = o.pending_seek.take()
            && let Some(f) = self.command(Cmd::Seek(to), o, cur.as_deref_mut(), conv)
        {
            return Some(f);
        }
        while let Some(cmd) = self.deferred.pop_front() {
            if let Some(f) = self.command(cmd, o, cur.as_deref_mut(), conv) {
                return Some(f);
            }
        }
        while let Ok(cmd) = self.rx.try_recv() {
            self.took(&cmd);
            if let Some(f) = self.command(cmd, o, cur.as_deref_mut(), conv) {
                return Some(f);
            }
        }
        None
    }

    /// One command during playback; `Some` ends the item.
    fn command(
        &mut self,
        cmd: Cmd,
        o: &mut Out,
        cur: Option<&mut Box<Loaded>>,
        conv: &mut Option<Converter>,
    ) -> Option<Flow> {
        let heard_index = o.heard.as_ref().map(|h| h.index);
        match cmd {
            Cmd::Stop => Some(Flow::Stop),
            Cmd::Shutdown => {
                self.pending = Some(Cmd::Shutdown);
                Some(Flow::Stop)
            }
            Cmd::Play(items) => {
                self.queue.replace(items);
                self.preload = None;
                Some(Flow::Jump)
            }
            Cmd::Enqueue(items) => {
                self.queue.append(items);
                None
            }
            Cmd::Jump(i) => self.queue.jump(i).then(|| {
                self.preload = None;
                Flow::Jump
            }),
            Cmd::Next => {
                if let Some(h) = heard_index {
                    self.queue.jump(h);
                }
                Some(if self.queue.advance(false) {
                    Flow::Jump
                } else {
                    Flow::Stop
                })
            }
            Cmd::Previous => {
                let pos = self.shared.position_ms.load(Ordering::Acquire);
                if let Some(h) = heard_index {
                    self.queue.jump(h);
                }
                if pos > 3000 || !self.queue.back() {
                    // Far enough in (or the first item): back to the start of this one.
                    return self.command(Cmd::Seek(0.0), o, cur, conv);
                }
                Some(Flow::Jump)
            }
            Cmd::ClearQueue => {
                self.queue.clear();
                self.preload = None;
                None
            }
            Cmd::Repeat(r) => {
                self.queue.set_repeat(r);
                None
            }
            Cmd::Shuffle(s) => {
                self.queue.set_shuffle(s);
                None
            }
            Cmd::Pause | Cmd::Resume => {
                let paused = matches!(cmd, Cmd::Pause);
                self.paused = paused;
                o.paused_since = paused.then(Instant::now);
                if !paused {
                    o.released = false;
                }
                if !paused
                    && o.running.is_none()
                    && o.pushed > 0
                    && let Err(e) = self.start_output(o)
                {
                    // A device released while paused: started still paused, so it ramps in.
                    return Some(Flow::OutputFailed(e));
                }
                o.status.paused.store(paused, Ordering::Release);
                self.shared.emit(if paused {
                    PlayerEvent::Paused
                } else {
                    PlayerEvent::Resumed
                });
                None
            }
            Cmd::Volume(v) => {
                self.volume = v.clamp(0.0, 1.0);
                o.status
                    .volume_bits
                    .store(self.volume.to_bits(), Ordering::Release);
                None
            }
            Cmd::Seek(to) => match self.seek(o, cur, conv, to) {
                Ok(None) => None,
                Ok(Some(l)) => Some(Flow::Reload(l)),
                Err(e) => Some(Flow::Failed(e)),
            },
        }
    }

    /// Seeks the item being heard to `to` seconds. Returns the reopened item when there was
    /// none being decoded (after the last one).
    fn seek(
        &mut self,
        o: &mut Out,
        cur: Option<&mut Box<Loaded>>,
        conv: &mut Option<Converter>,
        to: f64,
    ) -> Result<Option<Box<Loaded>>, PlayerError> {
        let Some(h) = o.heard.as_ref() else {
            return Ok(None);
        };
        let (index, stream) = (h.index, h.stream.clone());
        let to = match stream.plan.info.duration_ms {
            Some(ms) => to.max(0.0).min(ms as f64 / 1000.0),
            None => to.max(0.0),
        };
        let pipe = self.ctx.open(&stream, to)?;
        let format = pipe.decoder.format();
        let loaded = Box::new(Loaded {
            index,
            stream: stream.clone(),
            pipe,
            start: to,
            decoded: 0,
        });
        self.queue.jump(index);
        self.flush(o);
        *conv = Converter::new(format, o.format)?;
        o.heard = Some(Heard {
            index,
            stream,
            start: to,
            base: o.pushed,
            announced: true,
        });
        o.next_position = to;
        self.shared
            .position_ms
            .store((to * 1000.0) as u64, Ordering::Release);
        self.shared.emit(PlayerEvent::Seeked(to));
        match cur {
            Some(c) => {
                *c = loaded;
                Ok(None)
            }
            None => Ok(Some(loaded)),
        }
    }

    /// Publishes track changes as they are heard, position and underruns; reopens a failed
    /// output. `Some` when playback must end.
    fn report(&mut self, o: &mut Out) -> Option<Flow> {
        if o.status.failed.load(Ordering::Acquire)
            && let Some(f) = self.recover(o)
        {
            return Some(f);
        }
        if let (Some(limit), Some(since)) = (self.ctx.opts.release_after_pause, o.paused_since)
            && since.elapsed() >= limit
            && o.running.is_some()
        {
            self.release(o);
        }
        let played = o.status.frames_played.load(Ordering::Acquire);
        while o.next.front().is_some_and(|(at, _)| played > *at) {
            let Some((_, h)) = o.next.pop_front() else {
                break;
            };
            if let Some(prev) = o.heard.replace(h) {
                self.shared
                    .emit(PlayerEvent::EndOfTrack(prev.stream.plan.info.clone()));
                self.shared.finished.fetch_add(1, Ordering::AcqRel);
            }
        }
        let h = o.heard.as_mut()?;
        if !h.announced && played > h.base {
            h.announced = true;
            if let Some(asked) = o.asked.take() {
                let us = asked.elapsed().as_micros().max(1) as u64;
                self.shared
                    .stats
                    .first_audio_us
                    .store(us, Ordering::Release);
            }
            let plan = &h.stream.plan;
            self.shared.emit(PlayerEvent::TrackChanged {
                index: h.index,
                info: plan.info.clone(),
                preview: plan.preview,
            });
            self.shared.emit(PlayerEvent::Playing {
                info: plan.info.clone(),
                preview: plan.preview,
                kind: plan.kind.clone(),
            });
            o.next_position = h.start;
        }
        let underruns = o.status.underruns.load(Ordering::Acquire);
        if underruns > o.underruns && !o.status.paused.load(Ordering::Acquire) {
            o.underruns = underruns;
            o.starved_at = Some(played);
            self.shared.emit(PlayerEvent::Underrun);
            self.shared.emit(PlayerEvent::Buffering { percent: 0 });
        } else if o.starved_at.is_some_and(|at| played > at) {
            // Audio flows again after an underrun.
            o.starved_at = None;
            self.shared.emit(PlayerEvent::Buffering { percent: 100 });
        }
        let pos = h.start + played.saturating_sub(h.base) as f64 / f64::from(o.format.rate);
        self.shared
            .position_ms
            .store((pos * 1000.0) as u64, Ordering::Release);
        if h.announced && pos >= o.next_position {
            o.next_position = pos + self.ctx.opts.position_interval.as_secs_f64();
            self.shared.emit(PlayerEvent::Position(pos));
        }
        None
    }
}

impl Out {
    /// Queues `cur` to be heard after what is in the ring (right away after a flush).
    fn begin_item(&mut self, cur: &Loaded) {
        let heard = Heard {
            index: cur.index,
            stream: cur.stream.clone(),
            start: cur.start,
            base: self.pushed,
            announced: false,
        };
        if self.heard.is_none() && self.next.is_empty() {
            self.heard = Some(heard);
            return;
        }
        if self.xfade > 0 && !self.hold.is_empty() {
            // The held-back tail fades out under this item's head.
            self.fade = Some((self.hold.drain(..).collect(), 0));
        }
        self.next.push_back((self.pushed, heard));
    }
}
