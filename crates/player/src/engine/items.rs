//! The life of a queue item on the engine: starting it (or taking the preload), acting on
//! its job's reports, passing over items that give no audio, finishing it, preloading the
//! next, and the end of the queue.

use super::*;

impl Engine {
    /// Loads the queue's current item (or takes it from the preload).
    pub(super) fn start_current(&mut self) {
        let Some((index, target)) = self.queue.current().map(|(i, t)| (i, t.clone())) else {
            self.queue_end();
            return;
        };
        if let Some(p) = self.preload.take()
            && p.index == index
            && self.start_at == 0.0
        {
            self.current = Some(p);
            return;
        }
        self.emit(PlayerEvent::Loading(Default::default()));
        let at = std::mem::take(&mut self.start_at);
        self.current = self.spawn(index, What::Load(target), at, false);
    }

    /// Acts on the current job's reports (a playlist, a skip, a failure before audio).
    pub(super) fn handle_current(&mut self) {
        let Some(job) = self.current.as_mut() else {
            return;
        };
        let Some(ev) = job.inbox.pop_front() else {
            return;
        };
        let (index, start) = (job.index, job.start);
        self.current = None;
        match ev {
            JobEvent::Playlist(tracks) => {
                self.queue.expand(index, tracks);
                self.start_at = start;
            }
            JobEvent::Skip(info, e) => {
                self.emit(PlayerEvent::Skipped {
                    index,
                    info,
                    reason: e.to_string(),
                    code: e.code(),
                });
                self.passed_over(index, e, false);
            }
            JobEvent::Failed(e) => self.passed_over(index, e, true),
            JobEvent::Ready { .. } | JobEvent::Ended { .. } => {}
        }
    }

    /// An item that gave no audio: the queue goes on, unless a whole pass gave none.
    pub(super) fn passed_over(&mut self, index: usize, e: PlayerError, announce: bool) {
        if !e.is_not_playable() {
            *self.failures.entry(index).or_default() += 1;
        }
        self.tried += 1;
        if announce {
            self.emit(PlayerEvent::Error {
                code: e.code(),
                message: e.report(),
            });
        }
        self.shared.item_finished();
        // The error `wait` reports: the network's over "not playable" within a pass.
        if !self.pass_network || !e.is_not_playable() {
            self.pass_network |= !e.is_not_playable();
            self.shared.set_error(e);
        }
        if self.tried >= self.queue.len().max(1) || !self.queue.advance(false) {
            // The end of the queue, or a whole pass without audio (repeat or not).
            self.queue_end();
        }
    }

    /// The current item is over once its job ended and its audio is in the output.
    pub(super) fn finish_item(&mut self) {
        let Some(job) = self.current.as_mut() else {
            return;
        };
        if !job.done() || !self.pending.is_empty() || (!job.begun && job.ready.is_some()) {
            return;
        }
        // The converter stays for the next item (its tail is flushed when another format
        // follows, or at the end of the queue).
        let (result, skipped) = job.ended.take().unwrap_or((Ok(()), 0));
        let index = job.index;
        if skipped > 0 {
            tracing::warn!(
                index,
                skipped,
                "undecodable packets were skipped in this item"
            );
        }
        self.current = None;
        self.shared
            .stats
            .packets_skipped
            .fetch_add(skipped, Ordering::Relaxed);
        let more = match result {
            Ok(()) => {
                self.failures.remove(&index);
                self.queue.advance(true)
            }
            Err(e) => {
                // What was decoded still plays; the queue goes on.
                if !e.is_not_playable() {
                    *self.failures.entry(index).or_default() += 1;
                }
                self.item_failed(e, true, false);
                self.queue.advance(false)
            }
        };
        if !more {
            self.queue_end();
        }
    }

    /// Loads the next item ahead once the current one is near its end or fully fetched.
    pub(super) fn maybe_preload(&mut self) {
        // Between items (the current one just ended) the preload is about to be taken.
        if self.current.is_none() {
            return;
        }
        let next = self.queue.peek_next(true);
        if let Some(p) = &self.preload {
            if Some(p.index) == next {
                return;
            }
            self.preload = None; // the queue changed: another item is next now
        }
        let Some(job) = self.current.as_ref() else {
            return;
        };
        let Some(ready) = job.ready.as_ref() else {
            return;
        };
        let near_end = job.fetched()
            || ready.stream.duration.is_some_and(|d| {
                d - job.decoded_secs() <= self.ctx.opts.preload_before.as_secs_f64()
            });
        if !near_end {
            return;
        }
        let Some(next) = next else {
            return;
        };
        let Some(target) = self.queue.target(next).cloned() else {
            return;
        };
        self.preload = self.spawn(next, What::Load(target), 0.0, false);
    }

    /// No next item: play out what is queued (or end now when nothing is).
    pub(super) fn queue_end(&mut self) {
        self.current = None;
        self.preload = None;
        if self.dev.is_some() {
            self.draining = true;
        } else {
            self.end_session(Some(PlayerEvent::QueueEnded));
        }
    }

    /// Records a failed item (the error is what `wait` reports); `ended` when it never
    /// reached the output (one that did ends when it is heard out).
    pub(super) fn item_failed(&self, e: PlayerError, announce: bool, ended: bool) {
        if announce {
            self.emit(PlayerEvent::Error {
                code: e.code(),
                message: e.report(),
            });
        }
        self.shared.set_error(e);
        if ended {
            self.shared.item_finished();
        }
    }
}
