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
//! Exit codes: 0 played to the end; 1 anything else; 2 usage (a bad flag, target or sink
//! path); 3 nothing playable (blocked, DRM only, not found, not audio, an empty playlist);
//! 4 authentication failed; 5 network gave up; 129/130/143 stopped by SIGHUP, by `q`, Ctrl-C
//! or SIGINT, by SIGTERM (the WAV file is finalised first); 141 stdout closed (`| head`).
//!
//! `--control ADDR:PORT` serves the remote control (HTTP API, events, metrics, a phone page:
//! docs/kiosk.md) and keeps `play` up after the queue ends, until `POST /api/quit` (exit 0)
//! or a signal.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use scplay::player::{
    Loudness, LoudnessMode, Player, PlayerError, PlayerEvent, PlayerOptions, Prefer, Repeat,
    Target, TrackInfo,
};

#[path = "common/cli.rs"]
mod cli;
#[path = "play/control.rs"]
mod control;
#[path = "play/demo.rs"]
mod demo;
#[path = "play/fail.rs"]
mod fail;
#[path = "play/hook.rs"]
mod hook;
#[path = "play/json.rs"]
mod json;
#[path = "play/keys.rs"]
mod keys;
#[path = "play/logs.rs"]
mod logs;
#[path = "play/memory.rs"]
mod memory;
#[path = "play/out.rs"]
mod out;
#[path = "common/raw_stdout.rs"]
mod raw_stdout;
#[path = "play/stop.rs"]
mod stop;

use fail::{Fail, exit_for, fmt_time, parse_sink, parse_start};
use out::Out;
use stop::{Stop, StopReason};

const EXIT_CODES: &str = "Exit codes: 0 played to the end (or quit through --control); 1 anything else; 2 usage (bad flag, target or sink path); 3 nothing playable (blocked, DRM only, not found, not audio, empty playlist); 4 authentication failed; 5 network gave up; 130 stopped by q, Ctrl-C or SIGINT; 143 by SIGTERM; 129 by SIGHUP; 141 stdout closed.\n\nKeys (stdin on a terminal, also with --json): space pause/resume, left/right 10 s, n/p next/previous, q quit.\n\nExamples:\n  play --demo\n  play https://soundcloud.com/artist/sets/album --shuffle 7 --repeat all\n  play soundcloud:tracks:123 --start 1:30 --sink wav:out.wav\n  play --json --sink null soundcloud:playlists:456\n  play --control 127.0.0.1:8080 --demo    # then open http://127.0.0.1:8080/\n  RUST_LOG=info play --log-format json --onevent '/usr/local/bin/on-scplay-event' --demo\n\nLogs go to stderr when RUST_LOG asks for them (e.g. warn, info, debug, scplay_player=debug,warn). docs/kiosk.md has the hook's SCPLAY_* variables.";

/// Play SoundCloud tracks and playlists headless: on the sound card, into a WAV file, to a
/// pipe, or nowhere.
#[derive(Debug, Parser)]
#[command(
    name = "play",
    version,
    after_help = EXIT_CODES
)]
struct Args {
    /// What to play, in order: soundcloud.com track or playlist URLs, URNs
    /// (soundcloud:tracks:123), numeric track ids, or direct http(s) URLs to an .m3u8 playlist
    /// or an audio file. They form one queue that plays gaplessly.
    targets: Vec<String>,
    /// Start the built-in SoundCloud emulator and play its demo playlist (no account, no
    /// network; builds with the `demo` feature, on by default).
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
    /// Start this far into the (first) track: seconds (90), MM:SS (1:30) or H:MM:SS.
    #[arg(long, default_value = "0", value_name = "TIME")]
    start: String,
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
    /// Events as JSON lines on stdout (on stderr when the pipe sink owns stdout): `event`
    /// names the event; errors and skips carry a stable `code`; track events the queue `index`.
    #[arg(long)]
    json: bool,
    /// Seconds between `position` events (and status-line updates), 0.1 to 3600.
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    position_interval: f64,
    /// Serve the remote control on ADDR:PORT (port 0 picks one; the URL is printed on
    /// stderr): a phone page at /, a JSON API under /api/, events at /api/events, Prometheus
    /// metrics at /metrics. play then keeps running when the queue ends, until POST
    /// /api/quit, SIGTERM or SIGINT. Without --control-token only loopback addresses.
    #[arg(long, value_name = "ADDR:PORT")]
    control: Option<String>,
    /// Where to remember what soundcloud.com URLs led to (`/resolve`'s answer), so playing
    /// one again, after a restart too, starts a round trip sooner; each use is checked
    /// against the track's permalink. Default: pages.tsv beside the token file (mode 0600);
    /// `off` remembers only while play runs (`./off` names a file). --demo never writes it.
    #[arg(long, value_name = "FILE|off")]
    page_cache: Option<std::path::PathBuf>,
    /// Every request to the remote control must then carry `Authorization: Bearer TOKEN`
    /// (the page asks for it). Needed for an address other than loopback.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SCPLAY_CONTROL_TOKEN",
        hide_env_values = true,
        value_parser = control::token
    )]
    control_token: Option<scplay::remote::BearerToken>,
    #[command(flatten)]
    api: cli::ApiArgs,
    #[command(flatten)]
    log: logs::LogArgs,
    #[command(flatten)]
    hook: hook::HookArgs,
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
        return Err(Fail::usage("--loudness-target takes -40 to 0 LUFS."));
    }
    Ok(Some(Loudness {
        target_lufs,
        mode,
        ..Loudness::default()
    }))
}

/// Whether a sound card exists (probing ALSA without one only prints noise).
fn sound_card_present() -> bool {
    match std::fs::read_to_string("/proc/asound/cards") {
        Ok(cards) => !cards.contains("no soundcards"),
        Err(_) => !cfg!(target_os = "linux"),
    }
}

/// What the event loop saw.
struct Outcome {
    /// Tracks heard.
    heard: u64,
    /// The last error the player reported (said once, at the end).
    error: Option<PlayerError>,
}

/// Plays the queue to its end, showing status or JSON.
/// `on_start` is called for every track that starts playing (the fleet's play count).
fn play_queue(
    player: &Player,
    args: &Args,
    out: &Out,
    stop: &Stop,
    on_start: &dyn Fn(),
    hook: &hook::Hook,
) -> Outcome {
    let events = player.events();
    let tty = out.err_tty() && !args.json;
    let keys_hint = tty && std::io::stdin().is_terminal();
    let mut now: Option<TrackInfo> = None;
    let mut index: Option<usize> = None;
    let mut heard = 0;
    let mut shown_keys = false;
    let mut pending: Option<String> = None;
    // With the remote control, an idle player waits for its next command until told to quit.
    let done = || player.is_idle() && (args.control.is_none() || stop.reason().is_some());
    loop {
        let e = match events.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => e,
            Err(_) if done() => break,
            Err(_) => continue,
        };
        if let PlayerEvent::TrackChanged { index: i, .. } = &e {
            index = Some(*i);
        }
        hook.event(&e, player.position());
        if args.json
            && let Some(v) = json::event(&e, index)
            && out.json(&v).is_err()
        {
            stop.request(StopReason::OutputClosed);
        }
        match &e {
            PlayerEvent::Playing { info, preview, .. } => {
                heard += 1;
                on_start();
                now = Some(info.clone());
                if let Some(m) = pending.take() {
                    out.say(&format!("play: {m}; going on."));
                }
                if !args.json {
                    out.say(&format!(
                        "▶ {} — {}{}  {}",
                        info.title.as_deref().unwrap_or("(untitled)"),
                        info.uploader.as_deref().unwrap_or("unknown artist"),
                        if *preview { " [30 s preview]" } else { "" },
                        info.link.as_deref().unwrap_or("")
                    ));
                    if keys_hint && !shown_keys {
                        shown_keys = true;
                        out.say("  space: pause/resume   ←/→: 10 s   n/p: next/previous   q: quit");
                    }
                }
            }
            // Held like errors: said when the queue goes on, left to the final message when
            // this was the last thing to play.
            PlayerEvent::Skipped { info, reason, .. } if !args.json => {
                let m = format!(
                    "Skipping \"{}\": {reason}",
                    info.title.as_deref().unwrap_or("a track")
                );
                if let Some(m) = pending.replace(m) {
                    out.say(&format!("play: {m}; going on."));
                }
            }
            PlayerEvent::Error { message, .. } if !args.json => {
                if let Some(m) = pending.replace(message.clone()) {
                    out.say(&format!("play: {m}; going on."));
                }
            }
            PlayerEvent::DeviceLost(m) if !args.json => {
                out.say(&format!("Audio device lost: {m}…"))
            }
            PlayerEvent::DeviceRestored if !args.json => out.say("Audio device back."),
            PlayerEvent::Position(p) if tty => show_position(out, now.as_ref(), *p),
            // The line said "paused": put the position back at once, not at the next tick.
            PlayerEvent::Resumed if tty => {
                show_position(out, now.as_ref(), player.position().as_secs_f64());
            }
            PlayerEvent::Underrun if tty => out.status("  buffering…"),
            PlayerEvent::Paused if tty => out.status("  paused"),
            PlayerEvent::QueueEnded | PlayerEvent::Stopped if tty => out.end_status(),
            _ => {}
        }
        // The session's last event: leave at once (not at the next poll) when nothing else
        // was asked for in between.
        if matches!(e, PlayerEvent::QueueEnded | PlayerEvent::Stopped) && done() {
            break;
        }
    }
    // An error announced but not said yet is the one the end says.
    drop(pending);
    Outcome {
        heard,
        error: player.last_error(),
    }
}

/// The status line while a track plays: its position and length.
fn show_position(out: &Out, now: Option<&TrackInfo>, secs: f64) {
    if let Some(info) = now {
        let total = info.duration_ms.map_or(String::new(), |d| {
            format!(" / {}", fmt_time(d as f64 / 1000.0))
        });
        out.status(&format!("  {}{}", fmt_time(secs), total));
    }
}

/// Checks every flag and target (no network).
struct Checked {
    prefer: Prefer,
    repeat: Repeat,
    start: Duration,
    targets: Vec<Target>,
    /// `--normalize` / `--loudness-target`.
    normalize: Option<Loudness>,
}

fn check(args: &Args) -> Result<Checked, Fail> {
    let prefer = match args.prefer.as_str() {
        "aac" => Prefer::Aac,
        "mp3" => Prefer::Mp3,
        p => {
            return Err(Fail::usage(format!(
                "--prefer takes aac or mp3, not {p:?}."
            )));
        }
    };
    if !(0.0..=1.0).contains(&args.volume) {
        return Err(Fail::usage("--volume takes a number from 0 to 1."));
    }
    let repeat = match args.repeat.as_str() {
        "off" => Repeat::Off,
        "one" => Repeat::One,
        "all" => Repeat::All,
        r => {
            return Err(Fail::usage(format!(
                "--repeat takes off, one or all, not {r:?}."
            )));
        }
    };
    if !(args.crossfade.is_finite() && (0.0..=30.0).contains(&args.crossfade)) {
        return Err(Fail::usage("--crossfade takes 0 to 30 seconds."));
    }
    if !(args.preload.is_finite() && (0.0..=600.0).contains(&args.preload)) {
        return Err(Fail::usage("--preload takes 0 to 600 seconds."));
    }
    let normalize = normalize(args.normalize.as_deref(), args.loudness_target)?;
    if let Some(mode) = args.targets.iter().find(|t| *t == "track" || *t == "album") {
        return Err(Fail::usage(format!(
            "{mode:?} is not a target: write --normalize={mode}."
        )));
    }
    if !(args.position_interval.is_finite() && (0.1..=3600.0).contains(&args.position_interval)) {
        return Err(Fail::usage(
            "--position-interval takes 0.1 to 3600 seconds.",
        ));
    }
    let start = parse_start(&args.start).map_err(|e| Fail::usage(format!("--start: {e}.")))?;
    if args.demo {
        demo::available()?;
    }
    if !args.demo && args.targets.is_empty() && args.control.is_none() {
        return Err(Fail::usage(
            "nothing to play: give a TARGET (a SoundCloud URL, URN, id or media URL), or --demo.",
        ));
    }
    let texts = if args.demo {
        vec!["https://soundcloud.com/scplay-demo/sets/scplay-demo".to_string()]
    } else {
        args.targets.clone()
    };
    let targets = texts
        .iter()
        .map(|t| t.parse::<Target>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Fail::usage(format!("{e}.")))?;
    Ok(Checked {
        prefer,
        repeat,
        start,
        targets,
        normalize,
    })
}

fn run(args: Args) -> Result<(), Fail> {
    if let Some(m) = logs::init(&args.log) {
        Out::new(true).say(&format!("play: {m}"));
    }
    if args.list_devices {
        for d in scplay::player::list_devices() {
            println!("cpal:{d}");
        }
        return Ok(());
    }
    let checked = check(&args)?;
    let hook = hook::Hook::start(&args.hook).map_err(Fail::usage)?;
    let control_opts = control::options(args.control.as_deref(), args.control_token.clone())?;
    let mut realtime = args.realtime;
    let mut sink_spec = args.sink.clone();
    let pipe = sink_spec == "pipe";
    let out = Out::new(pipe);
    if sink_spec.starts_with("cpal") && !sink_spec.contains(':') && !sound_card_present() {
        if args.demo {
            let m = "No audio device could be opened; playing to the null sink in real time (try --sink wav:demo.wav).";
            if args.json {
                let _ = out.json(&json::warning("no_device", m));
            } else {
                out.say(m);
            }
            sink_spec = "null".into();
            realtime = true;
        } else {
            return Err(Fail::other(
                "no_device",
                "no audio device could be opened: use --sink wav:PATH, --sink pipe or --sink null, or name a device (--list-devices).",
            ));
        }
    }
    // The sink is checked (a WAV path opened) before any network work.
    let sink = parse_sink(&sink_spec)?;
    // One worker: signals, the remote control and the play count's requests are light (the
    // player fetches on a runtime of its own). One thread per core would idle with a stack
    // and an allocator arena each.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Fail::other("runtime", format!("cannot start: {e}.")))?;
    // The demo runs against the built-in emulator: no credentials, no network.
    let (emulator, client) = if args.demo {
        let (emu, client) = demo::start(&rt)?;
        (Some(emu), Some(client))
    } else {
        let client = args
            .api
            .client(None)
            .map_err(|e| Fail::usage(format!("{e}.")))?;
        (None, client)
    };
    if client.is_none()
        && checked
            .targets
            .iter()
            .any(|t| !matches!(t, Target::Direct(_)))
    {
        return Err(Fail::usage(
            "playing SoundCloud tracks needs your app's credentials: --client-id and --client-secret (or SOUNDCLOUD_CLIENT_ID/SECRET).",
        ));
    }
    let opts = PlayerOptions {
        prefer: checked.prefer,
        volume: args.volume,
        realtime,
        crossfade: Duration::from_secs_f64(args.crossfade),
        preload_before: Duration::from_secs_f64(args.preload),
        normalize: checked.normalize,
        position_interval: Duration::from_secs_f64(args.position_interval),
        page_cache: match &args.page_cache {
            _ if args.demo => None,
            Some(p) if p.as_os_str() == "off" => None,
            Some(p) => Some(p.clone()),
            None => Some(args.api.token_path().with_file_name("pages.tsv")),
        },
        ..PlayerOptions::default()
    };
    let one_target = (args.targets.len() == 1).then(|| args.targets[0].as_str());
    let client_for_count = client.clone();
    let player = Arc::new(Player::new(client, sink, opts).map_err(|e| exit_for(&e, one_target))?);
    let stop = Stop::new(player.clone());
    stop.on_signals(&rt)
        .map_err(|e| Fail::other("signals", format!("cannot watch signals: {e}.")))?;
    let control = match control_opts {
        Some(o) => Some(control::Control::start(
            &rt,
            &player,
            client_for_count.clone(),
            o,
            &stop,
            &out,
            args.json,
        )?),
        None => None,
    };
    let keys = keys::Keys::start(player.clone(), stop.clone());
    player.set_repeat(checked.repeat);
    if args.shuffle.is_some() {
        player.shuffle(args.shuffle);
    }
    // One open at the start position: the first request asks for the right segment.
    if !checked.targets.is_empty() {
        player.play_all_at(checked.targets, checked.start);
    }
    // Counted in a shared token store (Redis) for the fleet's 24-hour play count.
    let counter = client_for_count.clone();
    let count_play = || {
        if let Some(c) = counter.clone() {
            rt.spawn(async move { c.note_play_started().await });
        }
    };
    let outcome = play_queue(&player, &args, &out, &stop, &count_play, &hook);
    // The terminal is restored and the WAV file finalised before anything is said.
    drop(keys);
    if let Some(c) = control {
        c.shutdown(&rt);
    }
    drop(player);
    // Stops the demo's emulator (a build without the `demo` feature holds nothing here).
    #[allow(clippy::drop_non_drop)]
    drop(emulator);
    hook.finish();
    let stopped = stop.reason().or_else(|| {
        // A pipe sink whose reader went away ends as the end of the output, not a failure.
        matches!(outcome.error, Some(PlayerError::OutputClosed)).then_some(StopReason::OutputClosed)
    });
    let fail = match (stopped, outcome.error) {
        (Some(StopReason::Quit), _) => return Ok(()),
        (Some(StopReason::OutputClosed), _) => {
            return Err(Fail {
                status: StopReason::OutputClosed.exit_code(),
                code: StopReason::OutputClosed.code(),
                message: String::new(),
            });
        }
        (Some(r), _) => Fail {
            status: r.exit_code(),
            code: r.code(),
            message: String::new(),
        },
        // Tracks that cannot be played were skipped; the rest played.
        (None, Some(e)) if outcome.heard > 0 && e.is_not_playable() => return Ok(()),
        (None, Some(e)) => exit_for(&e, one_target),
        (None, None) if outcome.heard > 0 => return Ok(()),
        (None, None) if !checked.start.is_zero() => Fail::usage(format!(
            "--start {} is past the end of the track: nothing played.",
            fmt_time(checked.start.as_secs_f64())
        )),
        (None, None) => Fail {
            status: 3,
            code: "empty",
            message: "nothing played: the playlist is empty.".into(),
        },
    };
    if args.json {
        let _ = out.json(&json::exit(fail.status, fail.code, &fail.message));
    }
    Err(fail)
}

fn main() -> ExitCode {
    memory::return_large_blocks();
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
        Err(Fail {
            status, message, ..
        }) => {
            if !message.is_empty() {
                Out::new(true).say(&format!("play: {message}"));
            }
            ExitCode::from(status)
        }
    }
}
