//! What the output reports back: frames played turned into events (track changes, ends,
//! positions, underruns, xruns), a failed or closed output, and reopening it.

use super::*;

impl Engine {
    /// Publishes what the output has played: track changes as they are heard, positions,
    /// underruns.
    pub(super) fn report(&mut self) {
        let Some(dev) = self.dev.as_ref() else {
            return;
        };
        let played = dev.played();
        let rate = dev.format.rate;
        let interval = self.ctx.opts.position_interval.as_secs_f64();
        let mut marks = std::mem::take(&mut self.marks);
        self.timeline.advance(played, rate, interval, &mut marks);
        if let Some(pos) = self.timeline.position(played, rate) {
            self.shared.set_position(pos);
        }
        for m in marks.drain(..) {
            match m {
                Mark::Ended(e) => {
                    self.emit(PlayerEvent::EndOfTrack(e.stream.plan.info.clone()));
                    self.shared.item_finished();
                }
                Mark::Changed(e) => {
                    if let Some(asked) = self.asked.take() {
                        let us = asked.elapsed().as_micros().max(1) as u64;
                        self.shared
                            .stats
                            .first_audio_us
                            .store(us, Ordering::Release);
                    }
                    let plan = &e.stream.plan;
                    self.emit(PlayerEvent::TrackChanged {
                        index: e.index,
                        info: plan.info.clone(),
                        preview: plan.preview,
                    });
                    self.emit(PlayerEvent::Playing {
                        info: plan.info.clone(),
                        preview: plan.preview,
                        kind: plan.kind,
                    });
                }
                Mark::Position(p) => self.emit(PlayerEvent::Position(p)),
            }
        }
        self.marks = marks;
        let Some(dev) = self.dev.as_mut() else {
            return;
        };
        let underruns = dev.status.underruns.load(Ordering::Acquire);
        let event = if underruns > dev.underruns_seen && !self.paused {
            dev.underruns_seen = underruns;
            dev.starved_at = Some(played);
            Some(0)
        } else if dev.starved_at.is_some_and(|at| played > at) {
            // Audio flows again after an underrun.
            dev.starved_at = None;
            Some(100)
        } else {
            None
        };
        match event {
            Some(0) => {
                self.emit(PlayerEvent::Underrun);
                self.emit(PlayerEvent::Buffering { percent: 0 });
            }
            Some(percent) => self.emit(PlayerEvent::Buffering { percent }),
            None => {}
        }
    }

    /// The output's health: a failure starts a recovery, a due attempt reopens it, a long
    /// pause hands the device back.
    pub(super) fn tick_device(&mut self) {
        let Some(dev) = self.dev.as_mut() else {
            return;
        };
        if dev.status.closed.load(Ordering::Acquire) {
            // A pipe whose reader went away: the end of the output, not a lost device.
            self.output_failed(PlayerError::OutputClosed);
            return;
        }
        let xruns = dev.status.xruns.load(Ordering::Acquire);
        if xruns > dev.xruns_seen {
            let new = xruns - dev.xruns_seen;
            dev.xruns_seen = xruns;
            let count = self.shared.stats.xruns.fetch_add(new, Ordering::AcqRel) + new;
            self.emit(PlayerEvent::Xrun { count });
        }
        let Some(dev) = self.dev.as_mut() else {
            return;
        };
        if dev.status.failed.load(Ordering::Acquire) && !dev.is_recovering() {
            dev.failed();
            self.emit(PlayerEvent::DeviceLost(
                "the audio output failed; reopening it".into(),
            ));
        }
        let Some(dev) = self.dev.as_mut() else {
            return;
        };
        if dev.is_recovering() {
            match dev.try_reopen(self.slot.as_mut()) {
                Reopened::NotYet => {}
                Reopened::Same => self.emit(PlayerEvent::DeviceRestored),
                Reopened::NewFormat => {
                    self.emit(PlayerEvent::DeviceRestored);
                    self.reformat();
                }
            }
            return;
        }
        if let (Some(limit), Some(since)) = (self.ctx.opts.release_after_pause, self.paused_since)
            && since.elapsed() >= limit
            && dev.is_running()
            && dev.release()
        {
            // What was queued could not be kept: decode again from the position.
            self.reformat();
        }
    }

    /// The output's ring is new (another format, or lost): decode again from the position.
    pub(super) fn reformat(&mut self) {
        let Some(dev) = self.dev.as_ref() else {
            return;
        };
        let frames = (self.ctx.opts.crossfade.as_secs_f64() * f64::from(dev.format.rate)) as usize;
        self.xfade = Crossfader::new(frames, dev.format.channels);
        let pos = self.shared.position();
        self.seek(pos, false);
    }

    /// The output could not start: playback ends.
    pub(super) fn output_failed(&mut self, e: PlayerError) {
        self.item_failed(e, true, false);
        self.end_session(None);
    }
}
