//! Commands during playback (pause, seek, queue moves, …) and what the session reports
//! (track changes as they are heard, position, underruns).

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Flow, Heard, Out};
use crate::PlayerError;
use crate::convert::Converter;
use crate::engine::{Cmd, Engine};
use crate::events::PlayerEvent;
use crate::pipeline::Loaded;

impl Engine {
    /// Handles waiting commands; `Some` ends the item.
    pub(super) fn commands(
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
    pub(super) fn command(
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
    pub(super) fn seek(
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
    pub(super) fn report(&mut self, o: &mut Out) -> Option<Flow> {
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
