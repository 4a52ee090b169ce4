//! [`Player`]: the handle. Commands go to the engine thread; events come back on channels.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use scplay_core::Client;

use crate::PlayerError;
use crate::engine::{Cmd, Engine, PlayerState, Shared};
use crate::events::{PlayerEvent, StatsSnapshot};
use crate::fetch::FetchCounters;
use crate::options::PlayerOptions;
use crate::output::backend::Backend;
use crate::output::sink::{NullWriter, PipeWriter, Sink};
use crate::output::wav::WavWriter;
use crate::output::writer::WriterBackend;
use crate::pipeline::Ctx;
use crate::plan::Target;
use crate::queue::Repeat;

/// A player with a play queue. Cheap commands, usable from sync and async code (nothing
/// blocks but [`Player::wait`]); the work happens on its own threads.
///
/// Queue items follow each other gaplessly: the next one is loaded while the current one
/// plays ([`PlayerOptions::preload_before`]) and decoded into the same output right after its
/// last sample, with encoder delay and padding trimmed, so tracks cut from one recording play
/// back as that recording (or crossfade, [`PlayerOptions::crossfade`]). A soundcloud.com
/// playlist URL expands into its tracks; blocked tracks are skipped with
/// [`PlayerEvent::Skipped`].
///
/// ```no_run
/// use scplay_player::{Player, PlayerOptions, Repeat, Sink};
/// # fn run(client: scplay_core::Client) -> Result<(), scplay_player::PlayerError> {
/// let player = Player::new(Some(client), Sink::Wav("out.wav".into()), PlayerOptions::default())?;
/// player.play("https://soundcloud.com/lena-tide/tidal-lines")?;
/// player.enqueue("https://soundcloud.com/orbit-collective/sets/undertow")?; // its tracks
/// player.set_repeat(Repeat::All);
/// player.wait_timeout(std::time::Duration::from_secs(600))?;
/// # Ok(()) }
/// ```
pub struct Player {
    tx: Sender<Cmd>,
    /// The engine thread, woken after each command.
    engine: std::thread::Thread,
    shared: Arc<Shared>,
    /// Commands sent so far.
    sent: std::sync::atomic::AtomicU64,
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
        check_volume(opts.volume)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("scplay-fetch")
            .enable_all()
            .build()
            .map_err(|source| PlayerError::Setup {
                what: "the fetch runtime",
                source,
            })?;
        // The process's one TLS set-up: no certificate is read until an https URL is fetched.
        let http = scplay_core::tls::client_builder()
            .user_agent(concat!("scplay/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(PlayerError::HttpClient)?;
        #[cfg(feature = "cpal")]
        let paced = opts.realtime || matches!(sink, Sink::Cpal { .. });
        #[cfg(not(feature = "cpal"))]
        let paced = opts.realtime;
        let sink: Box<dyn Backend> = match sink {
            #[cfg(feature = "cpal")]
            Sink::Cpal { device } => Box::new(crate::output::cpal_sink::CpalBackend::new(device)),
            Sink::Wav(path) => Box::new(WriterBackend::new(Box::new(WavWriter::new(path)))),
            Sink::Pipe(w) => Box::new(WriterBackend::new(Box::new(PipeWriter::new(w)))),
            Sink::Null => Box::new(WriterBackend::new(Box::new(NullWriter))),
            Sink::Writer(w) => Box::new(WriterBackend::new(w)),
        };
        let (tx, rx) = channel();
        let counters = Arc::new(FetchCounters::default());
        let mut shared = Shared::new();
        shared.stats.fetch = counters.clone();
        let shared = Arc::new(shared);
        let pages = Arc::new(crate::pages::Pages::open(opts.page_cache.clone()));
        let ctx = Ctx {
            rt: Arc::new(rt),
            http,
            client,
            opts,
            counters,
            pages,
            paced,
        };
        let engine = Engine::new(ctx, sink, shared.clone(), rx);
        let thread = std::thread::Builder::new()
            .name("scplay-engine".into())
            .spawn(move || engine.run())
            .map_err(|source| PlayerError::Setup {
                what: "the engine thread",
                source,
            })?;
        Ok(Self {
            tx,
            engine: thread.thread().clone(),
            shared,
            sent: std::sync::atomic::AtomicU64::new(0),
            thread: Some(thread),
        })
    }

    fn send(&self, cmd: Cmd) {
        self.sent.fetch_add(1, Ordering::AcqRel);
        // The engine only goes away when the player does.
        let _ = self.tx.send(cmd);
        self.engine.unpark();
    }

    fn clear_error(&self) {
        if let Ok(mut e) = self.shared.last_error.lock() {
            *e = None;
        }
    }

    /// Plays a track URN or id, a soundcloud.com track or playlist URL, or a direct media
    /// URL, replacing the queue.
    pub fn play(&self, target: &str) -> Result<(), PlayerError> {
        let target: Target = target.parse()?;
        self.play_target(target);
        Ok(())
    }

    /// Plays a parsed [`Target`], replacing the queue.
    pub fn play_target(&self, target: Target) {
        self.play_all(vec![target]);
    }

    /// Like [`Player::play`], starting `position` into the (first) track: the stream is
    /// opened there, so the first media request already asks for the right segment (HLS)
    /// or byte range (progressive).
    pub fn play_at(&self, target: &str, position: Duration) -> Result<(), PlayerError> {
        let target: Target = target.parse()?;
        self.play_all_at(vec![target], position);
        Ok(())
    }

    /// Replaces the queue with `targets` and plays it from the first.
    pub fn play_all(&self, targets: Vec<Target>) {
        self.play_all_at(targets, Duration::ZERO);
    }

    /// Replaces the queue with `targets` and plays it from `position` into the first track.
    pub fn play_all_at(&self, targets: Vec<Target>, position: Duration) {
        self.clear_error();
        self.send(Cmd::Play(targets, position.as_secs_f64()));
    }

    /// Adds a track, playlist URL or media URL at the end of the queue; an idle player
    /// starts playing the queue.
    pub fn enqueue(&self, target: &str) -> Result<(), PlayerError> {
        let target: Target = target.parse()?;
        self.enqueue_all(vec![target]);
        Ok(())
    }

    /// Adds `targets` at the end of the queue; an idle player starts playing the queue.
    pub fn enqueue_all(&self, targets: Vec<Target>) {
        self.clear_error();
        self.send(Cmd::Enqueue(targets));
    }

    /// Skips to the next queue item (after the last, playback stops).
    pub fn next(&self) {
        self.send(Cmd::Next);
    }

    /// Back to the start of the current item when more than 3 s in, else to the previous one.
    pub fn previous(&self) {
        self.send(Cmd::Previous);
    }

    /// Plays queue item `index` (counted in the order items were added).
    pub fn jump_to(&self, index: usize) {
        self.send(Cmd::Jump(index));
    }

    /// Empties the queue; what is playing plays to its end.
    pub fn clear_queue(&self) {
        self.send(Cmd::ClearQueue);
    }

    /// Sets the repeat mode.
    pub fn set_repeat(&self, repeat: Repeat) {
        self.send(Cmd::Repeat(repeat));
    }

    /// Shuffles the queue with `seed` (reproducible; the current item stays current), or
    /// with `None` goes back to the order of addition.
    pub fn shuffle(&self, seed: Option<u64>) {
        self.send(Cmd::Shuffle(seed));
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

    /// Sets the volume, 0.0–1.0 (with a short ramp). Anything else (NaN, infinite, out of
    /// range) is refused with [`PlayerError::InvalidVolume`] and the volume stays.
    pub fn set_volume(&self, volume: f32) -> Result<(), PlayerError> {
        check_volume(volume)?;
        self.send(Cmd::Volume(volume));
        Ok(())
    }

    /// What the engine is doing now.
    pub fn state(&self) -> PlayerState {
        self.shared.state()
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

    /// What the player is doing now: state, position, the item heard, the queue, repeat,
    /// shuffle and volume, in one read (for remotes and dashboards).
    pub fn status(&self) -> crate::PlayerStatus {
        self.shared.status.snapshot(self.state(), self.position())
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

    /// Number of queue items that have finished (played, skipped, stopped or failed).
    pub fn finished_tracks(&self) -> u64 {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// Whether nothing is playing and every command sent so far has been handled.
    pub fn is_idle(&self) -> bool {
        let sent = self.sent.load(Ordering::Acquire);
        self.shared.handled.load(Ordering::Acquire) >= sent
            && self.shared.idle.load(Ordering::Acquire)
    }

    /// Blocks until the queue has finished (played to its end, stopped, or every item
    /// failed); the error of the latest failure or skip, if there was one.
    pub fn wait(&self) -> Result<(), PlayerError> {
        self.wait_timeout(Duration::MAX)
    }

    /// Like [`Player::wait`], giving up (with `Ok`) after `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<(), PlayerError> {
        // Sleeps until the engine says it is idle (no polling).
        self.shared.wait_idle(timeout, || self.is_idle());
        match self.last_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A volume is a number from 0 to 1.
fn check_volume(volume: f32) -> Result<(), PlayerError> {
    if (0.0..=1.0).contains(&volume) {
        Ok(())
    } else {
        Err(PlayerError::InvalidVolume(volume))
    }
}

impl Drop for Player {
    /// Stops playback and returns at once, whatever the network is doing: items still
    /// loading are cancelled and end on their own.
    fn drop(&mut self) {
        let _ = self.tx.send(Cmd::Shutdown);
        self.engine.unpark();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
