//! `play`: headless SoundCloud playback from the command line.
//!
//! ```text
//! cargo run --release --example play -- --demo                  # the built-in demo, no account needed
//! cargo run --release --example play -- https://soundcloud.com/artist/track
//! cargo run --release --example play -- --sink wav:out.wav soundcloud:tracks:123
//! cargo run --release --example play -- --repeat all --shuffle 7 https://soundcloud.com/artist/sets/album
//! cargo run --release --example play -- --help
//! ```
//!
//! Several targets (and playlists, which expand into their tracks) form one queue that plays
//! gaplessly; blocked tracks are skipped with a note.
//!
//! Exit codes: 0 played to the end; 2 usage; 3 not playable (blocked, DRM only, no stream);
//! 4 authentication failed; 5 network gave up; 1 anything else.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use scplay::core::{Client, Error as ApiError, MemoryStore};
use scplay::player::{
    Loudness, LoudnessMode, Player, PlayerError, PlayerEvent, PlayerOptions, Prefer, Repeat, Sink,
    Target, TrackInfo,
};

#[path = "common/cli.rs"]
mod cli;

/// Play SoundCloud tracks and playlists headless: on the sound card, into a WAV file, to a
/// pipe, or nowhere.
#[derive(Debug, Parser)]
#[command(
    name = "play",
    version,
    after_help = "Exit codes: 0 played to the end; 2 usage; 3 not playable (blocked, DRM only, no stream); 4 authentication failed; 5 network gave up; 1 anything else."
)]
struct Args {
    /// What to play, in order: soundcloud.com track or playlist URLs, URNs
    /// (soundcloud:tracks:123), numeric track ids, or direct http(s) URLs to an .m3u8 playlist
    /// or an audio file. They form one queue that plays gaplessly.
    targets: Vec<String>,
    /// Start the built-in SoundCloud emulator and play its demo playlist (no account, no network).
    #[arg(long)]
    demo: bool,
    /// Where the audio goes: cpal, cpal:DEVICE (see --list-devices), wav:PATH, pipe (raw f32le on stdout), null.
    #[arg(long, default_value = "cpal")]
    sink: String,
    /// Pace wav, pipe and null sinks in real time (they run as fast as possible otherwise).
    #[arg(long)]
    realtime: bool,
    /// Codec to try first: aac or mp3.
    #[arg(long, default_value = "aac")]
    prefer: String,
    /// Start this many seconds into the (first) track.
    #[arg(long, default_value_t = 0.0)]
    start: f64,
    /// Volume, 0 to 1.
    #[arg(long, default_value_t = 1.0)]
    volume: f32,
    /// Repeat: off, one (the current track) or all (the whole queue).
    #[arg(long, default_value = "off")]
    repeat: String,
    /// Shuffle the queue with this seed (the same seed gives the same order).
    #[arg(long, value_name = "SEED")]
    shuffle: Option<u64>,
    /// Crossfade between tracks, in seconds (0: gapless joins, sample for sample).
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    crossfade: f64,
    /// Even loudness without metadata: measure each track (EBU R128) in its first seconds,
    /// then hold one gain to reach --loudness-target, up to +12 dB, with a limiter at
    /// -1 dBTP. --normalize=album gives the whole queue one gain (gapless sets stay
    /// untouched); --normalize alone is --normalize=track.
    #[arg(long, value_name = "MODE", num_args = 0..=1, require_equals = true,
          default_missing_value = "track", value_parser = ["track", "album"])]
    normalize: Option<String>,
    /// Loudness --normalize aims for, in LUFS, -40 to 0 (implies --normalize).
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    loudness_target: Option<f32>,
    /// Load the next track this many seconds before the current one ends.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    preload: f64,
    /// List the audio output devices and exit.
    #[arg(long)]
    list_devices: bool,
    /// Events as JSON lines on stdout (on stderr when the pipe sink owns stdout).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    api: cli::ApiArgs,
}

/// Keys on a terminal: space pauses and resumes, ←/→ seek 10 s, n/p next and previous
/// track, q quits. The terminal is put
/// back as it was when this is dropped.
struct Keys {
    done: Arc<AtomicBool>,
    quit: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Keys {
    fn start(player: Arc<Player>) -> Option<Self> {
        use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
        if !std::io::stdin().is_terminal() || crossterm::terminal::enable_raw_mode().is_err() {
            return None;
        }
        let done = Arc::new(AtomicBool::new(false));
        let quit = Arc::new(AtomicBool::new(false));
        let (d, q) = (done.clone(), quit.clone());
        let thread = std::thread::spawn(move || {
            let mut paused = false;
            while !d.load(Ordering::Acquire) {
                if !event::poll(Duration::from_millis(100)).unwrap_or(false) {
                    continue;
                }
                let Ok(Event::Key(k)) = event::read() else {
                    continue;
                };
                if k.kind != KeyEventKind::Press {
                    continue;
                }
                match k.code {
                    KeyCode::Char(' ') => {
                        paused = !paused;
                        if paused {
                            player.pause()
                        } else {
                            player.resume()
                        }
                    }
                    KeyCode::Left => {
                        player.seek(player.position().saturating_sub(Duration::from_secs(10)))
                    }
                    KeyCode::Right => player.seek(player.position() + Duration::from_secs(10)),
                    KeyCode::Char('n') => player.next(),
                    KeyCode::Char('p') => player.previous(),
                    KeyCode::Char('q') => {
                        q.store(true, Ordering::Release);
                        player.stop();
                    }
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        q.store(true, Ordering::Release);
                        player.stop();
                    }
                    _ => {}
                }
            }
        });
        Some(Self {
            done,
            quit,
            thread: Some(thread),
        })
    }

    fn quit_requested(&self) -> bool {
        self.quit.load(Ordering::Acquire)
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// A line on stderr that also ends properly while the terminal is in raw mode.
fn say(line: &str) {
    eprint!("\r{line}\r\n");
}

/// A failure with its exit code and one sentence for the user.
struct Fail(u8, String);

fn exit_for(e: &PlayerError) -> Fail {
    let code = match e {
        _ if e.is_not_playable() => 3,
        PlayerError::Api(a) if a.is_auth() => 4,
        PlayerError::Api(ApiError::Network { .. })
        | PlayerError::Network { .. }
        | PlayerError::Stalled { .. }
        | PlayerError::Http { .. } => 5,
        PlayerError::Api(a) if a.is_retryable() => 5,
        PlayerError::InvalidTarget(_) => 2,
        _ => 1,
    };
    let hint = match code {
        3 => " SoundCloud does not let third-party players stream it.",
        4 => " Check --client-id/--client-secret, or sign in again with the login example.",
        5 => " Check the network and try again.",
        _ => "",
    };
    Fail(code, format!("{e}.{hint}"))
}

/// Whether a sound card exists (probing ALSA without one only prints noise).
fn sound_card_present() -> bool {
    match std::fs::read_to_string("/proc/asound/cards") {
        Ok(cards) => !cards.contains("no soundcards"),
        Err(_) => !cfg!(target_os = "linux"),
    }
}

/// `--normalize [MODE]` and `--loudness-target LUFS` as the player's setting.
fn normalize(mode: Option<&str>, target: Option<f32>) -> Result<Option<Loudness>, Fail> {
    if mode.is_none() && target.is_none() {
        return Ok(None);
    }
    let mode = match mode {
        Some("album") => LoudnessMode::Album,
        _ => LoudnessMode::Track,
    };
    let target_lufs = target.unwrap_or(-14.0);
    if !(target_lufs.is_finite() && (-40.0..=0.0).contains(&target_lufs)) {
        return Err(Fail(2, "--loudness-target takes -40 to 0 LUFS.".into()));
    }
    Ok(Some(Loudness {
        target_lufs,
        mode,
        ..Loudness::default()
    }))
}

fn parse_sink(spec: &str) -> Result<Sink, Fail> {
    match spec.split_once(':') {
        None if spec == "cpal" => Ok(Sink::Cpal { device: None }),
        None if spec == "null" => Ok(Sink::Null),
        None if spec == "pipe" => Ok(Sink::Pipe(Box::new(std::io::stdout()))),
        Some(("cpal", dev)) => Ok(Sink::Cpal {
            device: Some(dev.to_string()),
        }),
        Some(("wav", path)) if !path.is_empty() => Ok(Sink::Wav(PathBuf::from(path))),
        _ => Err(Fail(
            2,
            format!("unknown sink {spec:?}: use cpal, cpal:DEVICE, wav:PATH, pipe or null."),
        )),
    }
}

fn fmt_time(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

fn event_json(e: &PlayerEvent) -> serde_json::Value {
    use serde_json::json;
    let info = |i: &TrackInfo| json!({"urn": i.urn, "title": i.title, "uploader": i.uploader, "link": i.link, "artwork_url": i.artwork_url, "duration_ms": i.duration_ms});
    match e {
        PlayerEvent::Loading(i) => json!({"event": "loading", "track": info(i)}),
        PlayerEvent::Buffering { percent } => json!({"event": "buffering", "percent": percent}),
        PlayerEvent::Playing {
            info: i,
            preview,
            kind,
        } => json!({"event": "playing", "track": info(i), "preview": preview, "stream": kind}),
        PlayerEvent::Paused => json!({"event": "paused"}),
        PlayerEvent::Resumed => json!({"event": "resumed"}),
        PlayerEvent::Position(p) => json!({"event": "position", "seconds": p}),
        PlayerEvent::Seeked(p) => json!({"event": "seeked", "seconds": p}),
        PlayerEvent::Underrun => json!({"event": "underrun"}),
        PlayerEvent::EndOfTrack(i) => json!({"event": "end_of_track", "track": info(i)}),
        PlayerEvent::Stopped => json!({"event": "stopped"}),
        PlayerEvent::Error(m) => json!({"event": "error", "message": m}),
        PlayerEvent::TrackChanged {
            index,
            info: i,
            preview,
        } => {
            json!({"event": "track_changed", "index": index, "track": info(i), "preview": preview})
        }
        PlayerEvent::Skipped {
            index,
            info: i,
            reason,
        } => json!({"event": "skipped", "index": index, "track": info(i), "reason": reason}),
        PlayerEvent::QueueEnded => json!({"event": "queue_ended"}),
        PlayerEvent::DeviceLost(m) => json!({"event": "device_lost", "message": m}),
        PlayerEvent::DeviceRestored => json!({"event": "device_restored"}),
    }
}

/// Plays the queue to its end, showing status or JSON. Returns how many tracks were heard
/// and the latest error.
fn play_queue(player: &Player, args: &Args, pipe: bool) -> (u64, Option<PlayerError>) {
    let events = player.events();
    let tty = std::io::stderr().is_terminal() && !args.json;
    let mut now: Option<TrackInfo> = None;
    let mut heard = 0;
    let mut shown_keys = false;
    loop {
        let e = match events.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => e,
            Err(_) if player.is_idle() => break,
            Err(_) => continue,
        };
        if args.json {
            let line = event_json(&e).to_string();
            if pipe {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        match &e {
            PlayerEvent::Playing { info, preview, .. } => {
                heard += 1;
                now = Some(info.clone());
                if !args.json {
                    say(&format!(
                        "▶ {} — {}{}  {}",
                        info.title.as_deref().unwrap_or("(untitled)"),
                        info.uploader.as_deref().unwrap_or("unknown artist"),
                        if *preview { " [30 s preview]" } else { "" },
                        info.link.as_deref().unwrap_or("")
                    ));
                    if tty && !shown_keys {
                        shown_keys = true;
                        say("  space: pause/resume   ←/→: 10 s   n/p: next/previous   q: quit");
                    }
                }
            }
            PlayerEvent::Skipped { info, reason, .. } if !args.json => say(&format!(
                "Skipping \"{}\": {reason}.",
                info.title.as_deref().unwrap_or("a track")
            )),
            PlayerEvent::Error(m) if !args.json => say(&format!("Error: {m}.")),
            PlayerEvent::DeviceLost(m) if !args.json => say(&format!("Audio device lost: {m}…")),
            PlayerEvent::DeviceRestored if !args.json => say("Audio device back."),
            PlayerEvent::Position(p) if tty => {
                if let Some(info) = &now {
                    let total = info.duration_ms.map_or(String::new(), |d| {
                        format!(" / {}", fmt_time(d as f64 / 1000.0))
                    });
                    eprint!("\r  {}{}   ", fmt_time(*p), total);
                    let _ = std::io::stderr().flush();
                }
            }
            PlayerEvent::Underrun if tty => eprint!("\r  buffering…   "),
            PlayerEvent::Paused if tty => eprint!("\r  paused        "),
            PlayerEvent::QueueEnded | PlayerEvent::Stopped if tty => say(""),
            _ => {}
        }
    }
    (heard, player.last_error())
}

fn run(args: Args) -> Result<(), Fail> {
    if args.list_devices {
        for d in scplay::player::list_devices() {
            println!("cpal:{d}");
        }
        return Ok(());
    }
    let prefer = match args.prefer.as_str() {
        "aac" => Prefer::Aac,
        "mp3" => Prefer::Mp3,
        p => return Err(Fail(2, format!("--prefer takes aac or mp3, not {p:?}."))),
    };
    if !(0.0..=1.0).contains(&args.volume) {
        return Err(Fail(2, "--volume takes a number from 0 to 1.".into()));
    }
    let repeat = match args.repeat.as_str() {
        "off" => Repeat::Off,
        "one" => Repeat::One,
        "all" => Repeat::All,
        r => {
            return Err(Fail(
                2,
                format!("--repeat takes off, one or all, not {r:?}."),
            ));
        }
    };
    if !(args.crossfade.is_finite() && (0.0..=30.0).contains(&args.crossfade)) {
        return Err(Fail(2, "--crossfade takes 0 to 30 seconds.".into()));
    }
    if !(args.preload.is_finite() && (0.0..=600.0).contains(&args.preload)) {
        return Err(Fail(2, "--preload takes 0 to 600 seconds.".into()));
    }
    let normalize = normalize(args.normalize.as_deref(), args.loudness_target)?;
    if let Some(mode) = args.targets.iter().find(|t| *t == "track" || *t == "album") {
        return Err(Fail(
            2,
            format!("{mode:?} is not a target: write --normalize={mode}."),
        ));
    }
    if !args.demo && args.targets.is_empty() {
        return Err(Fail(
            2,
            "nothing to play: give a TARGET (a SoundCloud URL, URN, id or media URL), or --demo."
                .into(),
        ));
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| Fail(1, format!("cannot start: {e}.")))?;
    // The demo runs against the built-in emulator: no credentials, no network.
    let emulator = if args.demo {
        Some(
            rt.block_on(scplay_emulator::Emulator::start(Default::default()))
                .map_err(|e| Fail(1, format!("cannot start the demo emulator: {e}.")))?,
        )
    } else {
        None
    };
    let mut realtime = args.realtime;
    let mut sink_spec = args.sink.clone();
    if sink_spec.starts_with("cpal") && !sink_spec.contains(':') && !sound_card_present() {
        if args.demo {
            eprintln!(
                "No audio device could be opened; playing to the null sink in real time (try --sink wav:demo.wav)."
            );
            sink_spec = "null".into();
            realtime = true;
        } else {
            return Err(Fail(1, "no audio device could be opened: use --sink wav:PATH, --sink pipe or --sink null, or name a device (--list-devices).".into()));
        }
    }
    let pipe = sink_spec == "pipe";
    let sink = parse_sink(&sink_spec)?;
    let client = match &emulator {
        Some(emu) => Some(
            Client::builder()
                .client_id(scplay_emulator::catalog::CLIENT_ID)
                .client_secret(scplay_emulator::catalog::CLIENT_SECRET)
                .api_base(emu.api_base())
                .auth_base(emu.auth_base())
                .web_base(emu.web_base())
                .token_store(MemoryStore::new())
                .build()
                .map_err(|e| Fail(1, format!("{e}.")))?,
        ),
        None => args
            .api
            .client(None)
            .map_err(|e| Fail(2, format!("{e}.")))?,
    };
    let opts = PlayerOptions {
        prefer,
        volume: args.volume,
        realtime,
        crossfade: Duration::from_secs_f64(args.crossfade),
        preload_before: Duration::from_secs_f64(args.preload),
        normalize,
        ..PlayerOptions::default()
    };
    let player = Arc::new(Player::new(client.clone(), sink, opts).map_err(|e| exit_for(&e))?);
    let texts = if args.demo {
        vec!["https://soundcloud.com/scplay-demo/sets/scplay-demo".to_string()]
    } else {
        args.targets.clone()
    };
    let targets = texts
        .iter()
        .map(|t| t.parse::<Target>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Fail(2, format!("{e}.")))?;
    if client.is_none() && targets.iter().any(|t| !matches!(t, Target::Direct(_))) {
        return Err(Fail(2, "playing SoundCloud tracks needs your app's credentials: --client-id and --client-secret (or SOUNDCLOUD_CLIENT_ID/SECRET).".into()));
    }
    let keys = if std::io::stderr().is_terminal() && !args.json {
        Keys::start(player.clone())
    } else {
        None
    };
    player.set_repeat(repeat);
    if args.shuffle.is_some() {
        player.shuffle(args.shuffle);
    }
    // One open at the start position: the first request asks for the right segment.
    let start = Duration::try_from_secs_f64(args.start)
        .map_err(|_| Fail(2, "--start takes a number of seconds, 0 or more.".into()))?;
    player.play_all_at(targets, start);
    let (heard, error) = play_queue(&player, &args, pipe);
    let quit = keys.as_ref().is_some_and(Keys::quit_requested);
    drop(keys);
    drop(player);
    drop(emulator);
    match error {
        // Tracks that cannot be played were skipped; the rest played.
        Some(e) if heard > 0 && e.is_not_playable() => Ok(()),
        Some(e) if !quit => Err(exit_for(&e)),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, message)) => {
            eprintln!("play: {message}");
            ExitCode::from(code)
        }
    }
}
