//! Playing the queue: one output for as long as items follow each other, each item decoded
//! into the same PCM ring right after the last sample of the one before (gapless), the next
//! item loaded on a preload thread while the current one plays, an optional crossfade, and
//! the track changes announced when they are heard, not when they are decoded. The output
//! itself (opening, releasing, recovering) is in [`device`], commands and reports in
//! [`control`].

mod control;
mod device;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use ringbuf::traits::{Observer, Producer};

use crate::PlayerError;
use crate::convert::Converter;
use crate::engine::Engine;
use crate::events::PlayerEvent;
use crate::output::driver::Running;
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
