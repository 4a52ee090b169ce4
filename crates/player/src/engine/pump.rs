//! Moving an item's decoded audio into the output: the converter (one per run of items in
//! one format), the loudness stage and crossfade, and playing out the queue's end.

use super::*;

/// The least output ring of an unpaced output (a file, pipe or null sink without
/// `realtime`): it runs at decode speed, and the threads hand audio on once per half ring.
pub(crate) const UNPACED_PCM_RING: Duration = Duration::from_secs(1);

impl Engine {
    /// Moves the current item's audio into the output: converted, crossfaded, as much as
    /// fits.
    pub(super) fn pump(&mut self) {
        let Some(job) = self.current.as_mut() else {
            return;
        };
        let Some(ready) = job.ready.as_mut() else {
            return;
        };
        if self.dev.is_none() {
            let opts = DeviceOpts {
                ring_secs: if self.ctx.paced {
                    self.ctx.opts.pcm_ring
                } else {
                    self.ctx.opts.pcm_ring.max(UNPACED_PCM_RING)
                }
                .as_secs_f64(),
                ramp: self.ctx.opts.ramp,
                realtime: self.ctx.opts.realtime,
            };
            match Device::new(
                self.slot.as_ref(),
                ready.format,
                self.volume,
                self.paused,
                opts,
            ) {
                Ok(d) => {
                    let frames =
                        (self.ctx.opts.crossfade.as_secs_f64() * f64::from(d.format.rate)) as usize;
                    self.xfade = Crossfader::new(frames, d.format.channels);
                    self.dev = Some(d);
                }
                Err(e) => {
                    self.output_failed(e);
                    return;
                }
            }
        }
        let Some(dev) = self.dev.as_mut() else {
            return;
        };
        if !dev.can_push() {
            return;
        }
        let out_ch = usize::from(dev.format.channels.max(1));
        // What did not fit before goes first.
        if !dev.push_pending(&mut self.pending) {
            return;
        }
        if !job.begun {
            job.begun = true;
            // One converter for a run of items in the same format (a resampler carried across
            // a join keeps it gapless); another format, or a crossfade, starts a new one
            // after the old one's tail.
            let keep = self
                .conv
                .as_ref()
                .is_some_and(|c| c.input_format() == ready.format && self.xfade.is_off());
            let base = match self.conv.as_ref() {
                Some(c) if keep && c.resamples() => self.conv_base + c.output_position(),
                _ => dev.pushed,
            };
            if !keep {
                if let Some(mut c) = self.conv.take()
                    && let Ok(tail) = c.finish()
                {
                    into_pending(self.norm.as_mut(), &mut self.xfade, tail, &mut self.pending);
                    dev.push_pending(&mut self.pending);
                }
                match Converter::new(ready.format, dev.format) {
                    Ok(c) => self.conv = c,
                    Err(e) => {
                        job.ended = Some((Err(e), 0));
                        ready.ring.clear();
                        return;
                    }
                }
                self.conv_base = dev.pushed + (self.pending.len() / out_ch) as u64;
            }
            self.xfade.next_item();
            if let Some(o) = self.ctx.opts.normalize {
                let n = self.norm.take().filter(|n| n.format() == dev.format);
                let n = self
                    .norm
                    .insert(n.unwrap_or_else(|| Normalizer::new(o, dev.format)));
                n.begin_item(job.index);
            }
            // What the limiter still holds of the previous item plays first.
            job.first_frame = base + self.norm.as_ref().map_or(0, Normalizer::held_frames);
            self.timeline.queue(Entry {
                index: job.index,
                stream: ready.stream.clone(),
                start: job.start,
                base: job.first_frame,
                announced: job.continues,
            });
            if !job.continues {
                self.shared
                    .emit(PlayerEvent::Loading(ready.stream.plan.info.clone()));
            }
            if !dev.is_running() {
                self.shared.emit(PlayerEvent::Buffering { percent: 0 });
            }
            self.tried = 0;
            self.pass_network = false;
        }
        let in_ch = usize::from(ready.format.channels.max(1));
        let mut took = false;
        loop {
            let moved = if self.conv.is_none() && self.xfade.is_off() && self.norm.is_none() {
                // The common case: straight from the item's ring into the output's.
                let (a, b) = ready.ring.as_slices();
                let mut n = dev.pcm.push_slice(a);
                if n == a.len() {
                    n += dev.pcm.push_slice(b);
                }
                ready.ring.skip(n);
                dev.pushed += (n / out_ch) as u64;
                n
            } else {
                let room = dev.pcm.vacant_len();
                let take = ready
                    .ring
                    .occupied_len()
                    .min(self.scratch.len())
                    .min(room.max(in_ch));
                let take = take - take % in_ch;
                let n = ready.ring.pop_slice(&mut self.scratch[..take]);
                if n > 0 {
                    let data = &self.scratch[..n];
                    let converted = match self.conv.as_mut().map(|c| c.push(data)) {
                        Some(Ok(out)) => out,
                        Some(Err(e)) => {
                            job.ended = Some((Err(e), 0));
                            ready.ring.clear();
                            return;
                        }
                        None => data,
                    };
                    into_pending(
                        self.norm.as_mut(),
                        &mut self.xfade,
                        converted,
                        &mut self.pending,
                    );
                    dev.push_pending(&mut self.pending);
                }
                n
            };
            took |= moved > 0;
            if moved == 0 || !self.pending.is_empty() || dev.pcm.is_full() {
                break;
            }
        }
        let drained = ready.ring.is_empty();
        if took {
            job.taken();
        }
        // A seek took effect once its first audio is in the output (past what a crossfade or
        // a resampler holds back), or its stream ended there without any.
        let arrived = dev.pushed > job.first_frame && job.begun;
        let gone = job.ended.is_some() && drained;
        let seeked = (job.seek_untold && (arrived || gone)).then(|| {
            job.seek_untold = false;
            job.start
        });
        if dev.pcm.occupied_len() * 2 >= dev.pcm.capacity().get() {
            dev.status.wake.wake_writer();
        }
        if let Some(to) = seeked {
            self.emit(PlayerEvent::Seeked(to));
        }
        let Some(dev) = self.dev.as_mut() else {
            return;
        };
        if !dev.is_running() && dev.pushed > dev.played() {
            match dev.start(self.slot.as_mut()) {
                Ok(()) if dev.is_running() => self.emit(PlayerEvent::Buffering { percent: 100 }),
                Ok(()) => {}
                Err(e) => self.output_failed(e),
            }
        }
    }

    /// After the last item: once its audio is in the output, let it play out, then end.
    pub(super) fn check_drained(&mut self) {
        if !self.draining {
            return;
        }
        let Some(dev) = self.dev.as_mut() else {
            self.end_session(Some(PlayerEvent::QueueEnded));
            return;
        };
        if !dev.can_push() {
            return;
        }
        // The resampler's tail, then the crossfader's.
        if let Some(mut c) = self.conv.take()
            && let Ok(tail) = c.finish()
        {
            into_pending(self.norm.as_mut(), &mut self.xfade, tail, &mut self.pending);
        }
        if !self.xfade.is_off() {
            let from = self.pending.len();
            self.xfade.finish(&mut self.pending);
            if let Some(n) = self.norm.as_mut() {
                n.limit(&mut self.pending, from);
            }
        }
        if let Some(n) = self.norm.as_mut() {
            n.drain(&mut self.pending);
        }
        if !dev.push_pending(&mut self.pending) {
            return;
        }
        if dev.pushed > dev.played()
            && !dev.is_running()
            && let Err(e) = dev.start(self.slot.as_mut())
        {
            self.output_failed(e);
            return;
        }
        dev.status.input_done.store(true, Ordering::Release);
        dev.status.wake.wake_writer();
        let nothing_left = !dev.is_running() && dev.pcm.is_empty() && !dev.is_recovering();
        if dev.status.drained.load(Ordering::Acquire) || (nothing_left && !dev.released) {
            self.report();
            self.end_session(Some(PlayerEvent::QueueEnded));
        }
    }
}

/// An item's converted audio on its way to the output: its loudness gain, the crossfade,
/// then the limiter (with normalisation on); appended to `pending`.
fn into_pending(
    norm: Option<&mut Normalizer>,
    xfade: &mut Crossfader,
    data: &[f32],
    pending: &mut Vec<f32>,
) {
    match norm {
        Some(n) => {
            let from = pending.len();
            xfade.push(n.gain(data), pending);
            n.limit(pending, from);
        }
        None => xfade.push(data, pending),
    }
}
