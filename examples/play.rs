//! `play`: headless SoundCloud playback from the command line.
//!
//! ```text
//! cargo run --release --example play -- --demo                  # the built-in demo, no account needed
//! cargo run --release --example play -- https://soundcloud.com/artist/track
//! cargo run --release --example play -- --sink wav:out.wav soundcloud:tracks:123
//! cargo run --release --example play -- --help
//! ```
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
use scplay::core::{Client, Error as ApiError, MemoryStore, Resource, TrackUrn};
use scplay::player::{
    Player, PlayerError, PlayerEvent, PlayerOptions, Prefer, Sink, Target, TrackInfo,
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
    /// A soundcloud.com track or playlist URL, a URN (soundcloud:tracks:123), a numeric track
    /// id, or a direct http(s) URL to an .m3u8 playlist or an audio file.
    target: Option<String>,
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
    /// List the audio output devices and exit.
    #[arg(long)]
    list_devices: bool,
    /// Events as JSON lines on stdout (on stderr when the pipe sink owns stdout).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    api: cli::ApiArgs,
}

/// Keys on a terminal: space pauses and resumes, ←/→ seek 10 s, q quits. The terminal is put
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
    }
}

/// Plays one target to its end, showing status or JSON; returns the player's error.
fn play_one(
    player: &Player,
    target: Target,
    start: f64,
    args: &Args,
    pipe: bool,
) -> Result<(), PlayerError> {
    let events = player.events();
    let before = player.finished_tracks();
    player.play_target(target);
    if start > 0.0 {
        player.seek(Duration::from_secs_f64(start));
    }
    let tty = std::io::stderr().is_terminal() && !args.json;
    let mut now: Option<(TrackInfo, bool)> = None;
    loop {
        let Ok(e) = events.recv_timeout(Duration::from_millis(500)) else {
            if player.finished_tracks() > before {
                break;
            }
            continue;
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
                now = Some((info.clone(), *preview));
                if !args.json {
                    say(&format!(
                        "▶ {} — {}{}  {}",
                        info.title.as_deref().unwrap_or("(untitled)"),
                        info.uploader.as_deref().unwrap_or("unknown artist"),
                        if *preview { " [30 s preview]" } else { "" },
                        info.link.as_deref().unwrap_or("")
                    ));
                    if tty {
                        say("  space: pause/resume   ←/→: 10 s   q: quit");
                    }
                }
            }
            PlayerEvent::Position(p) if tty => {
                if let Some((info, _)) = &now {
                    let total = info.duration_ms.map_or(String::new(), |d| {
                        format!(" / {}", fmt_time(d as f64 / 1000.0))
                    });
                    eprint!("\r  {}{}   ", fmt_time(*p), total);
                    let _ = std::io::stderr().flush();
                }
            }
            PlayerEvent::Underrun if tty => eprint!("\r  buffering…   "),
            PlayerEvent::Paused if tty => eprint!("\r  paused        "),
            PlayerEvent::EndOfTrack(_) | PlayerEvent::Stopped | PlayerEvent::Error(_) => {
                if tty {
                    say("");
                }
                break;
            }
            _ => {}
        }
    }
    // The engine counts the track as finished just after its last event.
    let waited = std::time::Instant::now();
    while player.finished_tracks() <= before && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    match player.last_error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
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
    if !args.demo && args.target.is_none() {
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
        ..PlayerOptions::default()
    };
    let player = Arc::new(Player::new(client.clone(), sink, opts).map_err(|e| exit_for(&e))?);
    let target_text = if args.demo {
        "https://soundcloud.com/scplay-demo/sets/scplay-demo".to_string()
    } else {
        args.target.clone().unwrap_or_default()
    };
    let target: Target = target_text
        .parse()
        .map_err(|e: PlayerError| Fail(2, format!("{e}.")))?;
    if client.is_none() && !matches!(target, Target::Direct(_)) {
        return Err(Fail(2, "playing SoundCloud tracks needs your app's credentials: --client-id and --client-secret (or SOUNDCLOUD_CLIENT_ID/SECRET).".into()));
    }
    // A playlist plays its tracks in order; anything else is one track.
    let tracks: Vec<Target> = match (&target, &client) {
        (Target::Page(url), Some(c)) => match rt
            .block_on(c.resolve(url))
            .map_err(|e| exit_for(&PlayerError::Api(e)))?
        {
            Resource::Playlist(p) => {
                let list = p.tracks.unwrap_or_default();
                let mut out = Vec::new();
                for t in list {
                    let title = t.title.clone().unwrap_or_default();
                    if t.access == Some(scplay::core::Access::Blocked) {
                        say(&format!(
                            "Skipping \"{title}\": blocked for playback outside SoundCloud."
                        ));
                        continue;
                    }
                    if let Some(urn) = t.urn.as_deref().and_then(|u| TrackUrn::parse(u).ok()) {
                        out.push(Target::Track(urn));
                    }
                }
                if out.is_empty() {
                    return Err(Fail(
                        3,
                        "none of the playlist's tracks can be played here.".into(),
                    ));
                }
                out
            }
            Resource::Track(_) => vec![target.clone()],
            Resource::User(_) => {
                return Err(Fail(
                    2,
                    "that URL is a profile, not a track or playlist.".into(),
                ));
            }
        },
        _ => vec![target.clone()],
    };
    let many = tracks.len() > 1;
    let mut last = Ok(());
    let keys = if std::io::stderr().is_terminal() && !args.json {
        Keys::start(player.clone())
    } else {
        None
    };
    for (i, t) in tracks.into_iter().enumerate() {
        if keys.as_ref().is_some_and(Keys::quit_requested) {
            break;
        }
        let start = if i == 0 { args.start } else { 0.0 };
        match play_one(&player, t, start, &args, pipe) {
            Ok(()) => {}
            Err(e) if many && e.is_not_playable() => say(&format!("Skipping a track: {e}.")),
            Err(e) => {
                last = Err(exit_for(&e));
                break;
            }
        }
    }
    drop(keys);
    drop(player);
    drop(emulator);
    last
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
