//! The hub: one thread reads the player's events, counts what the metrics need, and passes
//! each event on, as its JSON line, to every open event stream.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use scplay_player::{Player, PlayerEvent};
use tokio::sync::broadcast;

use crate::RemoteError;
use crate::metrics::Metrics;

/// Events buffered per stream; a client further behind loses the oldest (it sees the
/// status again with its next `GET /api/status`).
const STREAM_BUFFER: usize = 256;

/// What the remote's handlers share about events.
pub(crate) struct Hub {
    /// Each event's JSON line.
    pub lines: broadcast::Sender<Arc<str>>,
    /// Counters kept from events (errors by kind, time to first audio).
    pub metrics: Metrics,
    /// The latest session ended with a stop (the status says `stopped`, not `idle`).
    pub stopped: AtomicBool,
}

impl Hub {
    /// A hub fed by `player`'s events on its own thread, which ends with the player.
    pub fn start(player: &Arc<Player>) -> Result<Arc<Self>, RemoteError> {
        let (lines, _) = broadcast::channel(STREAM_BUFFER);
        let hub = Arc::new(Self {
            lines,
            metrics: Metrics::default(),
            stopped: AtomicBool::new(false),
        });
        let events = player.events();
        let weak = Arc::downgrade(player);
        let feed = hub.clone();
        std::thread::Builder::new()
            .name("scplay-remote-events".into())
            .spawn(move || {
                let mut index = None;
                // Ends when the player (and with it the sender) is gone.
                for e in events {
                    feed.take(&e, &mut index, &weak);
                }
            })
            .map_err(|source| RemoteError::Thread {
                what: "the event thread",
                source,
            })?;
        Ok(hub)
    }

    /// One event: counted, remembered, passed on.
    fn take(&self, e: &PlayerEvent, index: &mut Option<usize>, player: &Weak<Player>) {
        match e {
            PlayerEvent::TrackChanged { index: i, .. } => {
                *index = Some(*i);
                self.stopped.store(false, Ordering::Release);
            }
            PlayerEvent::Playing { .. } => {
                if let Some(p) = player.upgrade() {
                    self.metrics.first_audio(p.stats().time_to_first_audio);
                }
            }
            PlayerEvent::Loading(_) => self.stopped.store(false, Ordering::Release),
            PlayerEvent::Stopped => self.stopped.store(true, Ordering::Release),
            PlayerEvent::QueueEnded => self.stopped.store(false, Ordering::Release),
            PlayerEvent::Error { code, .. } => self.metrics.error(code),
            PlayerEvent::Skipped { code, .. } => self.metrics.skipped(code),
            _ => {}
        }
        // Written only when a stream is open to read it.
        if self.lines.receiver_count() > 0
            && let Some(v) = crate::json::event(e, *index)
        {
            let _ = self.lines.send(Arc::from(v.to_string()));
        }
    }
}
