//! [`Player`]: the handle. Commands go to the engine thread; events come back on channels.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use scplay_core::Client;

use crate::PlayerError;
use crate::engine::{Cmd, Engine, Shared};
use crate::events::{PlayerEvent, StatsSnapshot};
use crate::options::PlayerOptions;
use crate::output::driver::SinkSlot;
use crate::output::sink::{NullWriter, PipeWriter, Sink};
use crate::output::wav::WavWriter;
use crate::plan::Target;

/// A player. Cheap commands, usable from sync and async code (nothing blocks but
/// [`Player::wait`]); the work happens on its own threads.
///
/// ```no_run
/// use scplay_player::{Player, PlayerOptions, Sink};
/// # fn run(client: scplay_core::Client) -> Result<(), scplay_player::PlayerError> {
/// let player = Player::new(Some(client), Sink::Wav("out.wav".into()), PlayerOptions::default())?;
/// player.play("https://soundcloud.com/lena-tide/tidal-lines")?;
/// player.wait()?; // until the end of the track
/// # Ok(()) }
/// ```
pub struct Player {
    tx: Sender<Cmd>,
    shared: Arc<Shared>,
    /// Tracks asked for so far (each ends as finished: played, stopped or failed).
    requested: std::sync::atomic::AtomicU64,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("position", &self.position())
            .finish_non_exhaustive()
    }
}

impl Player {
    /// A player sending audio to `sink`. `client` is needed for SoundCloud tracks and URLs
    /// (direct media URLs play without it).
    pub fn new(
        client: Option<Client>,
        sink: Sink,
        opts: PlayerOptions,
    ) -> Result<Self, PlayerError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("scplay-fetch")
            .enable_all()
            .build()
            .map_err(|e| PlayerError::Output(format!("cannot start the fetch runtime: {e}")))?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("scplay/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| PlayerError::Output(format!("cannot build the HTTP client: {e}")))?;
        let sink = match sink {
            #[cfg(feature = "cpal")]
            Sink::Cpal { device } => SinkSlot::Cpal(device),
            Sink::Wav(path) => SinkSlot::Writer(Some(Box::new(WavWriter::new(path)))),
            Sink::Pipe(w) => SinkSlot::Writer(Some(Box::new(PipeWriter(w)))),
            Sink::Null => SinkSlot::Writer(Some(Box::new(NullWriter))),
            Sink::Writer(w) => SinkSlot::Writer(Some(w)),
        };
        let (tx, rx) = channel();
        let shared = Arc::new(Shared::default());
        let engine = Engine {
            rt,
            http,
            client,
            volume: opts.volume,
            paused: false,
            opts,
            sink,
            shared: shared.clone(),
            rx,
            pending: None,
        };
        let thread = std::thread::Builder::new()
            .name("scplay-engine".into())
            .spawn(move || engine.run())
            .map_err(|e| PlayerError::Output(format!("cannot start the engine thread: {e}")))?;
        Ok(Self {
            tx,
            shared,
            requested: std::sync::atomic::AtomicU64::new(0),
            thread: Some(thread),
        })
    }

    fn send(&self, cmd: Cmd) {
        // The engine only goes away when the player does.
        let _ = self.tx.send(cmd);
    }

    /// Plays a track URN or id, a soundcloud.com track URL, or a direct media URL, replacing
    /// what is playing.
    pub fn play(&self, target: &str) -> Result<(), PlayerError> {
        let target: Target = target.parse()?;
        self.play_target(target);
        Ok(())
    }

    /// Plays a parsed [`Target`].
    pub fn play_target(&self, target: Target) {
        if let Ok(mut e) = self.shared.last_error.lock() {
            *e = None;
        }
        self.requested.fetch_add(1, Ordering::AcqRel);
        self.send(Cmd::Play(target));
    }

    /// Pauses (the output ramps down; buffering continues). Given before [`Player::play`], the
    /// next track loads and waits paused.
    pub fn pause(&self) {
        self.send(Cmd::Pause);
    }

    /// Resumes after [`Player::pause`].
    pub fn resume(&self) {
        self.send(Cmd::Resume);
    }

    /// Stops the current track.
    pub fn stop(&self) {
        self.send(Cmd::Stop);
    }

    /// Seeks to `position` (HLS: the segment holding it, then the exact sample; files: by
    /// HTTP Range).
    pub fn seek(&self, position: Duration) {
        self.send(Cmd::Seek(position.as_secs_f64()));
    }

    /// Sets the volume, 0.0–1.0 (with a short ramp).
    pub fn set_volume(&self, volume: f32) {
        self.send(Cmd::Volume(volume));
    }

    /// The playback position.
    pub fn position(&self) -> Duration {
        Duration::from_millis(self.shared.position_ms.load(Ordering::Acquire))
    }

    /// A new subscription to events (from now on).
    pub fn events(&self) -> Receiver<PlayerEvent> {
        let (tx, rx) = channel();
        if let Ok(mut s) = self.shared.subscribers.lock() {
            s.push(tx);
        }
        rx
    }

    /// Counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// The error that ended the latest track, if one did (taken).
    pub fn last_error(&self) -> Option<PlayerError> {
        self.shared
            .last_error
            .lock()
            .ok()
            .and_then(|mut e| e.take())
    }

    /// Number of tracks that have finished (played, stopped or failed).
    pub fn finished_tracks(&self) -> u64 {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// Blocks until every track asked for so far has finished (played to its end, stopped or
    /// failed); the error of the latest if it failed.
    pub fn wait(&self) -> Result<(), PlayerError> {
        self.wait_timeout(Duration::MAX)
    }

    /// Like [`Player::wait`], giving up (with `Ok`) after `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<(), PlayerError> {
        let start = Instant::now();
        let requested = self.requested.load(Ordering::Acquire);
        while self.finished_tracks() < requested && start.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(5));
        }
        match self.last_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.tx.send(Cmd::Stop);
        let _ = self.tx.send(Cmd::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
