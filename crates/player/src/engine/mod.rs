//! The engine thread: it owns the queue, the output and the items being played, applies every
//! command in one place ([`Engine::apply`]) and moves decoded audio, nothing else.
//!
//! ```text
//!  Player ──Cmd──► engine thread ◄──JobMsg── item jobs (a thread each: resolve, open, decode)
//!                    │  apply(cmd) · step(): job ring ─► convert ─► crossfade ─► PCM ring
//!                    ▼
//!                  Device (PCM ring → cpal callback | writer thread) · Timeline → events
//! ```
//!
//! Nothing here waits on the network or on a ring: resolving, opening at a position,
//! preloading and seeking are [`job::Job`]s, cancelled by dropping them. Between bursts of
//! work the thread sleeps until a command, a job, the output or the clock wakes it, so a
//! command takes effect within milliseconds in every [`PlayerState`].

mod crossfade;
mod device;
mod health;
mod items;
mod job;
mod pump;
mod shared;
mod timeline;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer};

use crate::PlayerError;
use crate::convert::Converter;
use crate::events::PlayerEvent;
use crate::loudness::Normalizer;
use crate::output::backend::Backend;
use crate::pipeline::Ctx;
use crate::queue::Queue;
use crossfade::Crossfader;
use device::{Device, DeviceOpts, Reopened};
use job::{Job, JobEvent, JobMsg, What};
use timeline::{Entry, Mark, Timeline};

pub use shared::PlayerState;
pub(crate) use shared::{Cmd, Shared};

/// Samples moved per conversion step.
const SCRATCH: usize = 8192;

pub(crate) struct Engine {
    ctx: Ctx,
    shared: Arc<Shared>,
    cmds: Receiver<Cmd>,
    reports: Receiver<JobMsg>,
    report_tx: Sender<JobMsg>,
    next_id: u64,
    slot: Box<dyn Backend>,
    dev: Option<Device>,
    /// A session is on: something is loading, playing or paused (not idle).
    active: bool,
    queue: Queue,
    volume: f32,
    /// Paused by the user: carries over to the next session.
    paused: bool,
    paused_since: Option<Instant>,
    /// The item whose audio goes into the output now (or is being loaded for it).
    current: Option<Job>,
    /// The item after it, loaded ahead.
    preload: Option<Job>,
    conv: Option<Converter>,
    /// The output frame where the converter's first output frame went.
    conv_base: u64,
    xfade: Crossfader,
    /// Loudness normalisation (`PlayerOptions::normalize`), for the output's format.
    norm: Option<Normalizer>,
    timeline: Timeline,
    /// Converted audio that did not fit into the output's ring yet.
    pending: Vec<f32>,
    scratch: Vec<f32>,
    /// Where the next item loaded starts (`play_at`).
    start_at: f64,
    /// When the user asked for what is to be heard next (time to first audio).
    asked: Option<Instant>,
    /// Items passed over since audio last began, and whether the network failed one of them
    /// (its error then stays the one `wait` reports).
    tried: usize,
    pass_network: bool,
    /// Network failures in a row, by queue index (a growing pause before the next try).
    failures: HashMap<usize, u32>,
    /// The last item is in the output: play it out, then the queue has ended.
    draining: bool,
    shutdown: bool,
    marks: Vec<Mark>,
}

impl Engine {
    pub fn new(ctx: Ctx, slot: Box<dyn Backend>, shared: Arc<Shared>, cmds: Receiver<Cmd>) -> Self {
        let (report_tx, reports) = std::sync::mpsc::channel();
        let volume = ctx.opts.volume;
        Self {
            ctx,
            shared,
            cmds,
            reports,
            report_tx,
            next_id: 0,
            slot,
            dev: None,
            active: false,
            queue: Queue::default(),
            volume: if volume.is_finite() {
                volume.clamp(0.0, 1.0)
            } else {
                1.0
            },
            paused: false,
            paused_since: None,
            current: None,
            preload: None,
            conv: None,
            conv_base: 0,
            xfade: Crossfader::new(0, 1),
            norm: None,
            timeline: Timeline::default(),
            pending: Vec::new(),
            scratch: vec![0.0; SCRATCH],
            start_at: 0.0,
            asked: None,
            tried: 0,
            pass_network: false,
            failures: HashMap::new(),
            draining: false,
            shutdown: false,
            marks: Vec::new(),
        }
    }

    /// The engine thread's loop: commands, job reports, a step of work, then sleep.
    pub fn run(mut self) {
        while !self.shutdown {
            loop {
                match self.cmds.try_recv() {
                    Ok(cmd) => {
                        self.took(&cmd);
                        self.apply(cmd);
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.shutdown = true;
                        break;
                    }
                }
                if self.shutdown {
                    break;
                }
            }
            if self.shutdown {
                break;
            }
            while let Ok(m) = self.reports.try_recv() {
                self.on_report(m);
            }
            self.step();
            self.publish();
            let wait = self.wait_time();
            self.sleep(wait);
            self.shared
                .stats
                .engine_wakeups
                .fetch_add(1, Ordering::Relaxed);
        }
        if self.active {
            self.end_session(Some(PlayerEvent::Stopped));
        }
        self.publish();
        // Jobs still ending hold the runtime until they are gone; otherwise it goes now,
        // without waiting for a stalled request.
        let Engine { ctx, .. } = self;
        if let Ok(rt) = Arc::try_unwrap(ctx.rt) {
            rt.shutdown_background();
        }
    }

    /// Notes a command as taken (playing ones mark the engine busy first, so a waiter never
    /// sees it taken while idle).
    fn took(&self, cmd: &Cmd) {
        if matches!(cmd, Cmd::Play(..) | Cmd::Enqueue(_) | Cmd::Jump(_)) {
            self.shared.idle.store(false, Ordering::Release);
        }
        self.shared.handled.fetch_add(1, Ordering::AcqRel);
    }

    /// Applies one command. Every command takes effect here, in every state.
    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Play(items, at) => {
                self.queue.replace(items);
                self.preload = None;
                self.start_at = at.max(0.0);
                if let Some(n) = self.norm.as_mut() {
                    n.new_set();
                }
                self.restart();
            }
            Cmd::Enqueue(items) => {
                self.queue.append(items);
                if !self.active {
                    self.start_at = 0.0;
                    self.restart();
                } else if self.draining && self.queue.current().is_some() {
                    // Added while the last item plays out: they join it.
                    self.draining = false;
                    if let Some(d) = &self.dev {
                        d.status.input_done.store(false, Ordering::Release);
                        d.status.drained.store(false, Ordering::Release);
                    }
                }
            }
            Cmd::Jump(i) => {
                if self.queue.jump(i) {
                    self.start_at = 0.0;
                    self.restart();
                }
            }
            Cmd::Next => {
                if !self.active {
                    self.queue.advance(false);
                    return;
                }
                if let Some(h) = self.heard_index() {
                    self.queue.jump(h);
                }
                if self.queue.advance(false) {
                    self.start_at = 0.0;
                    self.restart();
                } else {
                    self.end_session(Some(PlayerEvent::Stopped));
                }
            }
            Cmd::Previous => {
                if !self.active {
                    self.queue.back();
                    return;
                }
                let pos = self.shared.position();
                if let Some(h) = self.heard_index() {
                    self.queue.jump(h);
                }
                if pos > 3.0 || !self.queue.back() {
                    // Far enough in (or the first item): back to the start of this one.
                    self.seek(0.0, true);
                } else {
                    self.start_at = 0.0;
                    self.restart();
                }
            }
            Cmd::ClearQueue => {
                self.queue.clear();
                self.preload = None;
            }
            Cmd::Repeat(r) => self.queue.set_repeat(r),
            Cmd::Shuffle(s) => self.queue.set_shuffle(s),
            Cmd::Pause | Cmd::Resume => self.set_paused(matches!(cmd, Cmd::Pause)),
            Cmd::Volume(v) => {
                if v.is_finite() {
                    self.volume = v.clamp(0.0, 1.0);
                    if let Some(d) = &self.dev {
                        d.status
                            .volume_bits
                            .store(self.volume.to_bits(), Ordering::Release);
                    }
                }
            }
            Cmd::Seek(to) => {
                if self.active {
                    self.seek(to, true);
                }
            }
            Cmd::Stop => {
                if self.active {
                    self.end_session(Some(PlayerEvent::Stopped));
                }
            }
            Cmd::Shutdown => self.shutdown = true,
        }
    }

    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        self.paused_since = paused.then(Instant::now);
        if let Some(d) = self.dev.as_mut() {
            if !paused {
                d.released = false;
            }
            d.status.paused.store(paused, Ordering::Release);
            d.status.wake.interrupt_writer();
            if !paused
                && !d.is_running()
                && d.pushed > d.played()
                && let Err(e) = d.start(self.slot.as_mut())
            {
                // A device released while paused: started still paused, so it ramps in.
                self.output_failed(e);
                return;
            }
        }
        if self.active {
            self.emit(if paused {
                PlayerEvent::Paused
            } else {
                PlayerEvent::Resumed
            });
        }
    }

    /// The queue index being heard (or, before anything is, being loaded).
    fn heard_index(&self) -> Option<usize> {
        self.timeline
            .heard()
            .map(|h| h.index)
            .or_else(|| self.current.as_ref().map(|j| j.index))
    }

    /// (Re)starts playing the queue's current item: what was queued in the output goes.
    fn restart(&mut self) {
        if self.timeline.heard().is_some() {
            self.shared.item_finished();
        }
        self.current = None;
        self.flush_output();
        self.shared.status.set_heard(None);
        self.active = true;
        self.asked = Some(Instant::now());
        if let Some(d) = self.dev.as_mut() {
            d.underruns_seen = d.status.underruns.load(Ordering::Acquire);
            d.starved_at = None;
        }
    }

    /// Drops what is queued for the output (a jump, a seek).
    fn flush_output(&mut self) {
        self.conv = None;
        self.pending.clear();
        self.xfade.clear();
        if let Some(n) = self.norm.as_mut() {
            n.clear();
        }
        self.timeline.clear();
        self.draining = false;
        if let Some(d) = self.dev.as_mut() {
            d.flush();
        }
    }

    /// Seeks the item being heard (or loaded) to `to` seconds: a job opens its stream there.
    /// `announce`: a `Seeked` follows once the audio from there is in the output (a user's
    /// seek; not the engine's own reopening after an output change).
    pub(super) fn seek(&mut self, to: f64, announce: bool) {
        let to = if to.is_finite() { to.max(0.0) } else { 0.0 };
        let heard = self
            .timeline
            .heard()
            .map(|h| (h.index, h.stream.clone(), true));
        let target = heard.or_else(|| {
            let j = self.current.as_ref()?;
            Some((j.index, j.stream.clone()?, j.continues))
        });
        let Some((index, stream, continues)) = target else {
            // Still resolving (or about to start): the load starts there instead.
            self.current = None;
            self.start_at = to;
            self.shared.set_position(to);
            if announce {
                self.emit(PlayerEvent::Seeked(to));
            }
            return;
        };
        let to = match stream.duration {
            Some(d) => to.min(d),
            None => to,
        };
        self.queue.jump(index);
        self.flush_output();
        self.current = self.spawn(index, What::Open(stream), to, continues);
        if let Some(j) = self.current.as_mut() {
            j.seek_untold = announce;
        }
        self.shared.set_position(to);
        // `Seeked` follows once the audio from `to` is in the output (`pump`).
        self.publish();
    }

    fn spawn(&mut self, index: usize, what: What, at: f64, continues: bool) -> Option<Job> {
        let delay = match (&what, self.failures.get(&index)) {
            (What::Load(_), Some(&n)) if n > 0 => crate::fetch::backoff(n.min(6) + 2, None),
            _ => Duration::ZERO,
        };
        self.next_id += 1;
        let report = (self.report_tx.clone(), std::thread::current());
        match Job::spawn(&self.ctx, self.next_id, index, what, at, delay, report) {
            Ok(mut j) => {
                j.continues = continues;
                Some(j)
            }
            Err(e) => {
                self.item_failed(e, true, true);
                self.end_session(None);
                None
            }
        }
    }

    fn on_report(&mut self, m: JobMsg) {
        for job in [self.current.as_mut(), self.preload.as_mut()]
            .into_iter()
            .flatten()
        {
            if job.id == m.id {
                if let Some(ev) = job.take(m.event) {
                    job.inbox.push_back(ev);
                }
                return;
            }
        }
        // A report from a cancelled job: dropped.
    }

    /// A step of work: the output's health, the current item, audio into the output,
    /// preloading, and what the output has played.
    fn step(&mut self) {
        for _ in 0..8 {
            if !self.active {
                return;
            }
            self.tick_device();
            if !self.active {
                return;
            }
            if self.current.is_none() && !self.draining {
                self.start_current();
            }
            let before = self.current.as_ref().map(|j| j.id);
            self.handle_current();
            if !self.active {
                return;
            }
            self.pump();
            self.finish_item();
            if !self.active {
                return;
            }
            self.maybe_preload();
            self.report();
            self.check_drained();
            if self.current.as_ref().map(|j| j.id) == before {
                break;
            }
        }
    }

    /// Ends the session: jobs cancelled, the output closed (what is queued dropped unless
    /// the queue played to its end), then `ended_by` is announced.
    fn end_session(&mut self, ended_by: Option<PlayerEvent>) {
        self.current = None;
        self.preload = None;
        self.conv = None;
        self.pending.clear();
        self.xfade.clear();
        if let Some(n) = self.norm.as_mut() {
            n.clear();
            n.new_set();
        }
        self.draining = false;
        self.tried = 0;
        self.pass_network = false;
        let played = matches!(ended_by, Some(PlayerEvent::QueueEnded));
        if let Some(h) = self.timeline.take_heard() {
            if played {
                self.shared
                    .emit(PlayerEvent::EndOfTrack(h.stream.plan.info.clone()));
            }
            self.shared.item_finished();
        }
        if let Some(dev) = self.dev.take() {
            let (underruns, silence) = dev.close(played);
            self.shared.stats.close_output(underruns, silence);
        }
        self.active = false;
        self.shared.go_idle(ended_by);
    }

    fn state(&self) -> PlayerState {
        if !self.active {
            PlayerState::Idle
        } else if self.dev.as_ref().is_some_and(Device::is_recovering) {
            PlayerState::Recovering
        } else if self.paused {
            PlayerState::Paused
        } else if self.timeline.heard().is_some_and(|h| h.announced) {
            PlayerState::Playing
        } else {
            PlayerState::Loading
        }
    }

    /// Announces `e`, with the state it leaves the engine in published first (whoever sees
    /// the event sees that state).
    fn emit(&self, e: PlayerEvent) {
        self.publish();
        self.shared.emit(e);
    }

    fn publish(&self) {
        self.shared.set_state(self.state());
        self.shared.status.set_queue(crate::status::QueueNow {
            index: self.queue.current().map(|(i, _)| i),
            len: self.queue.len(),
            repeat: self.queue.repeat(),
            shuffle: self.queue.shuffle_seed(),
            volume: self.volume,
        });
        if let Some(d) = &self.dev {
            self.shared.stats.set_open_output(
                d.status.underruns.load(Ordering::Relaxed),
                d.status.silence_frames.load(Ordering::Relaxed),
            );
        }
        if !self.active {
            self.shared.set_idle();
        }
    }

    /// How long to sleep: until a command, a job or the output wakes the thread, or until a
    /// paced output's ring is half played (audio to give), played out (none: the underrun
    /// is told on time), a recovery attempt is due or a pause is long. An unpaced output
    /// (it plays at decode speed) wakes the thread itself; so does the item once it has
    /// audio, so a network stall is slept through, not polled.
    fn wait_time(&self) -> Duration {
        const IDLE: Duration = Duration::from_secs(3600);
        if !self.active {
            return IDLE;
        }
        let mut wait = self
            .ctx
            .opts
            .position_interval
            .max(Duration::from_millis(20));
        let now = Instant::now();
        if let Some(dev) = &self.dev {
            if let Some(due) = dev.recovery_due() {
                wait = wait.min(due.saturating_duration_since(now));
            }
            if dev.is_flushing() {
                return Duration::from_millis(2);
            }
            if let (Some(limit), Some(since)) =
                (self.ctx.opts.release_after_pause, self.paused_since)
            {
                wait = wait.min((since + limit).saturating_duration_since(now));
            }
            if dev.is_running() && !self.paused && self.ctx.paced {
                let ch = usize::from(dev.format.channels.max(1));
                let rate = f64::from(dev.format.rate.max(1));
                let queued = dev.pcm.occupied_len() / ch;
                let frames = if self.has_audio() {
                    Some(queued.saturating_sub(dev.pcm.capacity().get() / ch / 2))
                } else if queued > 0
                    || self.draining
                    || (dev.starved_at.is_none() && !dev.refilling())
                {
                    // Played out, and a little more for the output to count the underrun.
                    Some(queued + (rate / 50.0) as usize)
                } else {
                    // Told already, or waiting for the audio after a seek or a jump: the
                    // item wakes us when it has some.
                    None
                };
                if let Some(f) = frames {
                    let secs = f as f64 / rate;
                    wait = wait.min(Duration::from_secs_f64(secs).max(Duration::from_millis(5)));
                }
            }
        }
        wait
    }

    /// Whether there is audio to move into the output once it has room: converted audio
    /// waiting, or the current item's.
    fn has_audio(&self) -> bool {
        !self.pending.is_empty()
            || self
                .current
                .as_ref()
                .and_then(|j| j.ready.as_ref())
                .is_some_and(|r| !r.ring.is_empty())
    }

    fn sleep(&self, wait: Duration) {
        if wait.is_zero() {
            return;
        }
        if let Some(j) = &self.current
            && j.ready.as_ref().is_some_and(|r| r.ring.is_empty())
        {
            j.want();
        }
        match &self.dev {
            // Checked once the output can wake us: an output that played its ring below half
            // while this item has audio to give needs us now (a writer that drained it just
            // before we waited would otherwise wait for our timeout, and we for it).
            Some(d) => {
                // (`pump` moves both only for a current item that is ready.)
                let movable = || {
                    self.current
                        .as_ref()
                        .and_then(|j| j.ready.as_ref())
                        .is_some_and(|r| !r.ring.is_empty() || !self.pending.is_empty())
                };
                // Without audio to give, room in the output is no reason to wake up: the
                // item wakes us when it has some.
                let for_room = self.has_audio();
                d.status.wake.decoder_wait(wait, for_room, || {
                    let ring = &d.pcm;
                    let room = ring.occupied_len() * 2 < ring.capacity().get();
                    room && movable() && !self.paused && !d.is_flushing()
                })
            }
            None => std::thread::park_timeout(wait),
        }
    }
}
