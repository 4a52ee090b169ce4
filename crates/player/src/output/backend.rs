//! The output backend trait: what a new output (PipeWire, JACK, a network sink) implements,
//! in one module of its own. A backend only supplies the buffer and the clock; what goes into
//! the buffer comes from [`super::render::Renderer`].

use std::sync::Arc;
use std::time::Duration;

use super::{Format, OutputStatus, PcmConsumer};
use crate::PlayerError;

/// How to start an output.
pub(crate) struct OutputSpec {
    pub format: Format,
    pub status: Arc<OutputStatus>,
    /// Length of a volume ramp.
    pub ramp: Duration,
    /// Pace file-like outputs like a sound card.
    pub realtime: bool,
    /// Samples to play before the ring's (what a failed output had taken).
    pub leftover: Vec<f32>,
}

/// What an output hands back when it stops: the ring's read end (queued audio included) and
/// samples it had taken but not played.
pub(crate) struct Reclaimed {
    pub cons: Option<PcmConsumer>,
    pub leftover: Vec<f32>,
}

/// Where a player's audio goes.
pub(crate) trait Backend: Send {
    /// The format this output takes a stream of `stream` in (the engine converts).
    fn negotiate(&self, stream: Format) -> Result<Format, PlayerError>;

    /// Starts playing `cons`; on failure the ring's read end comes back.
    fn start(
        &mut self,
        spec: OutputSpec,
        cons: PcmConsumer,
    ) -> Result<Box<dyn Running>, (PlayerError, PcmConsumer)>;

    /// Another output to try when this one keeps failing to reopen (the default device for
    /// a named one).
    fn fallback(&self) -> Option<Box<dyn Backend>> {
        None
    }
}

/// A running output.
pub(crate) trait Running: Send {
    /// Stops now and returns what was queued.
    fn stop(self: Box<Self>) -> Reclaimed;
}
