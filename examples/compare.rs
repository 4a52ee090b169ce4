//! Time to first audio, CPU per audio hour and peak memory, scplay side by side with ffmpeg on
//! the same emulator URLs (alternating runs, medians). See BENCHMARKS.md.
//!
//! ```text
//! cargo run --release --example compare                          # all tables
//! cargo run --release --example compare -- --runs 9 --cpu-runs 5
//! cargo run --release --example compare -- --realtime-only --realtime-secs 60
//! cargo build --release --example play && cargo run --release --example compare -- --cold-only --realtime-secs 0
//! cargo run --release --example compare -- --cpu-only --realtime-secs 0 --cpu-runs 5  # CPU and memory only
//! ```
//!
//! Cold start (`compare/cold.rs`; needs the `play` example built beside it): from spawning
//! `play --sink pipe TARGET` to the first PCM byte on its stdout, for a direct playlist URL (and
//! ffmpeg), a track URN and a soundcloud.com URL through the API with a stored token, at 0 and
//! 50 ms per answer. Then `next` to an item not preloaded and `seek` inside and outside what
//! was fetched (`compare/commands.rs`), in process.
//!
//! Without ffmpeg on the PATH the scplay columns are still measured and the ffmpeg ones say
//! so. Time to first audio is from starting playback of a direct playlist URL to the first
//! decoded sample reaching the sink (scplay) or stdout (`ffmpeg -i URL -f f32le -`), with 0
//! and 50 ms of emulator latency per request. CPU and peak RSS are measured on child processes
//! playing the 60-minute track (and the 3-minute one) unpaced as raw f32 to a pipe into
//! /dev/null: scplay's player with its pipe sink (what `play --sink pipe` runs) against
//! `ffmpeg -i URL -f f32le -`; "decode only" is scplay's decoder over the same encode in
//! memory, for an hour of audio. Real-time cost (`--realtime-secs`, 30 by default, 0 skips
//! it): CPU per audio hour and wake-ups per second (context switches of every thread, from
//! `/proc`) of the 60-minute track played in real time to a null output, against
//! `ffmpeg -re … -f null -`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Origin, catalog};
use scplay_player::{Player, PlayerOptions, Sink};

#[path = "common/raw_stdout.rs"]
mod raw_stdout;
use raw_stdout::raw_stdout;
#[path = "common/first_pcm.rs"]
mod first_pcm;
use first_pcm::first_pcm as scplay_ttfa;

#[path = "compare/cold.rs"]
mod cold;
#[path = "compare/commands.rs"]
mod commands;

fn ffmpeg_ttfa(url: &str) -> Option<Duration> {
    cold::first_byte(ffmpeg_pipe(url))
}

/// Holds every answer of the emulator (API, OAuth, CDN) back `ms` milliseconds; 0 clears
/// every fault.
fn every_answer_late(emu: &Emulator, ms: u64) {
    emu.clear_faults();
    if ms > 0 {
        let d = Duration::from_millis(ms);
        emu.add_fault(Fault::on("/", FaultKind::Latency(d)));
    }
}

fn median(mut v: Vec<Duration>) -> Option<Duration> {
    v.sort();
    v.get(v.len() / 2).copied()
}

/// CPU seconds (user + system) and peak RSS (KiB) of a command, read from /proc while it
/// runs and once it has exited (before it is reaped).
fn measured(mut cmd: Command) -> Option<(f64, u64)> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let (status, stat) = (
        format!("/proc/{}/status", child.id()),
        format!("/proc/{}/stat", child.id()),
    );
    let mut peak = 0;
    let cpu = loop {
        if let Ok(s) = std::fs::read_to_string(&status)
            && let Some(v) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        {
            peak = peak.max(v);
        }
        // Fields after the command name: state is the first, utime and stime the 12th and
        // 13th (clock ticks of 1/100 s).
        let fields = std::fs::read_to_string(&stat).ok()?;
        let rest: Vec<&str> = fields.rsplit_once(')')?.1.split_whitespace().collect();
        if rest.first() == Some(&"Z") {
            let ticks: f64 =
                rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?;
            break ticks / 100.0;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    child.wait().ok()?.success().then_some((cpu, peak))
}

/// CPU seconds (user + system) and context switches (voluntary + not, every thread) of a
/// running process, from `/proc`.
fn cost_now(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?;
    let mut switches = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(status) = std::fs::read_to_string(task.ok()?.path().join("status")) else {
            continue; // a thread that ended in between
        };
        switches += status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    Some((ticks / 100.0, switches))
}

/// Real-time playback's cost: CPU seconds per audio hour and wake-ups (context switches) per
/// second of a command playing in real time, measured over `secs` after `warmup`.
fn realtime_cost(mut cmd: Command, warmup: Duration, secs: Duration) -> Option<(f64, f64)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(warmup);
    let before = cost_now(child.id());
    let t = Instant::now();
    std::thread::sleep(secs);
    let after = cost_now(child.id());
    let elapsed = t.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    let ((c0, w0), (c1, w1)) = (before?, after?);
    Some(((c1 - c0) / elapsed * 3600.0, (w1 - w0) as f64 / elapsed))
}

fn ffmpeg_pipe(url: &str) -> Command {
    let mut c = Command::new("ffmpeg");
    c.args([
        "-nostdin",
        "-loglevel",
        "error",
        "-i",
        url,
        "-f",
        "f32le",
        "-",
    ]);
    c
}

const USAGE: &str = "\
compare: scplay side by side with ffmpeg on the emulator (BENCHMARKS.md)

  compare [--runs N] [--cpu-runs N] [--realtime-secs S]   every table
  compare --cold-only        cold start and the command rows (needs `play` built beside)
  compare --cpu-only         CPU and peak RSS of the unpaced hour, and decoding alone
  compare --realtime-only    CPU and wake-ups of real-time playback
  compare --serve-hour       print a signed URL of the 60-minute track and serve it 10 min

  --runs N           runs of each latency row (default 7; medians)
  --cpu-runs N       runs of each CPU row (default 3)
  --realtime-secs S  seconds of real-time playback measured (default 30; 0 skips it)";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    let known = [
        "--runs",
        "--cpu-runs",
        "--realtime-secs",
        "--cold-only",
        "--cpu-only",
        "--realtime-only",
        "--serve-hour",
        "--decode-hour",
        "--play-realtime",
        "--play-pipe",
    ];
    if let Some(a) = args
        .iter()
        .skip(1)
        .find(|a| a.starts_with('-') && !known.contains(&a.as_str()))
    {
        eprintln!("compare: unknown option {a}\n\n{USAGE}");
        std::process::exit(2);
    }
    if let Some(i) = args.iter().position(|a| a == "--decode-hour") {
        // Child mode: decode an hour of the main encode from memory.
        let (bytes, ext): (&[u8], &str) = match args.get(i + 1).map(String::as_str) {
            Some("mp3") => (
                include_bytes!("../crates/emulator/fixtures/main.mp3"),
                "mp3",
            ),
            _ => (
                include_bytes!("../crates/emulator/fixtures/main.aac160.mp4"),
                "mp4",
            ),
        };
        let mut frames = 0u64;
        while frames < 3600 * 44_100 {
            match scplay_player::decode::decode_all(bytes, Some(ext), |b| {
                std::hint::black_box(b);
            }) {
                Ok((_, n)) => frames += n.max(1),
                Err(e) => panic!("{e}"),
            }
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--play-realtime") {
        // Child mode: play a URL in real time to the null sink (what `play --sink null
        // --realtime` runs: paced like a sound card).
        let url = args.get(i + 1).cloned().unwrap_or_default();
        let opts = PlayerOptions {
            realtime: true,
            ..PlayerOptions::default()
        };
        let player = Player::new(None, Sink::Null, opts).unwrap_or_else(|e| panic!("{e}"));
        player.play(&url).unwrap_or_else(|e| panic!("{e}"));
        let _ = player.wait();
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--play-pipe") {
        // Child mode: play a URL as raw f32 to stdout as fast as possible (as
        // `play --sink pipe` does).
        let url = args.get(i + 1).cloned().unwrap_or_default();
        let player = Player::new(None, Sink::Pipe(raw_stdout()), PlayerOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        player.play(&url).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = player.wait() {
            eprintln!("{e}");
            std::process::exit(1);
        }
        return;
    }
    let flag = |name: &str, default: usize| -> usize {
        let Some(i) = args.iter().position(|a| a == name) else {
            return default;
        };
        match args.get(i + 1).map(|v| v.parse::<usize>()) {
            Some(Ok(n)) => n,
            _ => {
                eprintln!("compare: {name} takes a whole number\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    };
    let runs = flag("--runs", 7);
    let realtime_secs = flag("--realtime-secs", 30);
    let cpu_runs = flag("--cpu-runs", 3).max(1);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let emu: Emulator = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    if args.iter().any(|a| a == "--serve-hour") {
        // Prints a signed URL of the 60-minute track and serves it for ten minutes (for
        // watching memory over time with other tools).
        println!(
            "{}",
            emu.sign_cdn_path(
                &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_HOUR),
                Duration::from_secs(3600)
            )
        );
        std::thread::sleep(Duration::from_secs(600));
        return;
    }
    let have_ffmpeg = Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if realtime_secs > 0 {
        println!(
            "60-minute AAC track in real time to a null output, measured over {realtime_secs} s after 3 s"
        );
        println!(
            "{:<10} {:>22} {:>22}",
            "", "CPU per audio hour", "wake-ups per second"
        );
        let url = emu.sign_cdn_path(
            &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_HOUR),
            Duration::from_secs(3600),
        );
        let mut ours = Command::new(std::env::current_exe().unwrap_or_default());
        ours.args(["--play-realtime", &url]);
        let mut cmds = vec![("scplay", ours)];
        if have_ffmpeg {
            let mut c = Command::new("ffmpeg");
            c.args([
                "-nostdin",
                "-loglevel",
                "error",
                "-re",
                "-i",
                &url,
                "-f",
                "null",
                "-",
            ]);
            cmds.push(("ffmpeg -re", c));
        }
        for (name, cmd) in cmds {
            let secs = Duration::from_secs(realtime_secs as u64);
            match realtime_cost(cmd, Duration::from_secs(3), secs) {
                Some((cpu, wakeups)) => {
                    println!("{name:<10} {:>22} {wakeups:>22.1}", format!("{cpu:.1} s"))
                }
                None => println!("{name:<10} {:>22} {:>22}", "n/a", "n/a"),
            }
        }
    }
    if args.iter().any(|a| a == "--realtime-only") {
        return;
    }
    if !args.iter().any(|a| a == "--cpu-only") {
        cold::table(&emu, runs, have_ffmpeg, median, ffmpeg_pipe);
        commands::table(&emu, &rt, runs, median);
        if args.iter().any(|a| a == "--cold-only") {
            return;
        }
        println!();
        println!(
            "stream: AAC-LC 160 kbit/s fMP4 HLS, direct playlist URL on loopback; {runs} alternating runs, medians"
        );
        println!(
            "{:<24} {:>12} {:>12} {:>8} {:>18}",
            "latency per request", "scplay", "ffmpeg", "ratio", "requests (scplay)"
        );
        for latency in [0u64, 50] {
            emu.clear_faults();
            if latency > 0 {
                emu.add_fault(
                    Fault::on("/", FaultKind::Latency(Duration::from_millis(latency)))
                        .at(Origin::Cdn),
                );
            }
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            let mut requests = 0;
            for _ in 0..runs {
                let url = emu.sign_cdn_path(
                    &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
                    Duration::from_secs(600),
                );
                emu.clear_requests();
                if let Some(t) = scplay_ttfa(&url) {
                    ours.push(t);
                }
                requests = emu
                    .requests()
                    .iter()
                    .filter(|r| r.origin == Origin::Cdn)
                    .count();
                if have_ffmpeg && let Some(t) = ffmpeg_ttfa(&url) {
                    theirs.push(t);
                }
            }
            let (a, b) = (median(ours), median(theirs));
            let fmt = |d: Option<Duration>| {
                d.map_or("n/a".to_string(), |d| {
                    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
                })
            };
            let ratio = match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()),
                _ => "n/a".into(),
            };
            println!(
                "{:<24} {:>12} {:>12} {:>8} {:>18}",
                format!("{latency} ms"),
                fmt(a),
                fmt(b),
                ratio,
                requests
            );
        }
    }
    emu.clear_faults();
    let exe = std::env::current_exe().unwrap_or_default();
    let cpu = |cmd: Command| measured(cmd);
    let fmt_s = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.1} s"));
    let mib = |k: Option<u64>| {
        k.map_or("n/a".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".into(),
    };
    let median_f = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let median_k = |mut v: Vec<u64>| {
        v.sort();
        v.get(v.len() / 2).copied()
    };
    println!();
    println!(
        "60-minute track, unpaced, raw f32 into a pipe to /dev/null; {cpu_runs} alternating runs, medians"
    );
    println!(
        "{:<16} {:>14} {:>14} {:>7} {:>14} {:>10} {:>12} {:>12}",
        "CPU per audio h",
        "scplay",
        "ffmpeg",
        "ratio",
        "decode only",
        "pipe/dec",
        "RSS scplay",
        "RSS ffmpeg"
    );
    for (codec, path) in [
        (
            "AAC 160 HLS",
            format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_HOUR),
        ),
        (
            "MP3 128 HLS",
            format!("/hls/{}.128.mp3/playlist.m3u8", catalog::TRACK_HOUR),
        ),
    ] {
        let (mut ours, mut theirs, mut dec) = (vec![], vec![], vec![]);
        let (mut rss_ours, mut rss_theirs) = (vec![], vec![]);
        for _ in 0..cpu_runs {
            let url = emu.sign_cdn_path(&path, Duration::from_secs(3600));
            let mut c = Command::new(&exe);
            c.args(["--play-pipe", &url]);
            if let Some((s, k)) = cpu(c) {
                ours.push(s);
                rss_ours.push(k);
            }
            if have_ffmpeg && let Some((s, k)) = cpu(ffmpeg_pipe(&url)) {
                theirs.push(s);
                rss_theirs.push(k);
            }
            let mut c = Command::new(&exe);
            c.args([
                "--decode-hour",
                if codec.starts_with("MP3") {
                    "mp3"
                } else {
                    "aac"
                },
            ]);
            if let Some((s, _)) = cpu(c) {
                dec.push(s);
            }
        }
        let (a, b, d) = (median_f(ours), median_f(theirs), median_f(dec));
        println!(
            "{:<16} {:>14} {:>14} {:>7} {:>14} {:>10} {:>12} {:>12}",
            codec,
            fmt_s(a),
            fmt_s(b),
            ratio(a, b),
            fmt_s(d),
            ratio(a, d),
            mib(median_k(rss_ours)),
            mib(median_k(rss_theirs)),
        );
    }
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_THREE_MINUTES),
        Duration::from_secs(3600),
    );
    let mut c = Command::new(&exe);
    c.args(["--play-pipe", &url]);
    let short = cpu(c).map(|(_, k)| k);
    let theirs = if have_ffmpeg {
        cpu(ffmpeg_pipe(&url)).map(|(_, k)| k)
    } else {
        None
    };
    println!(
        "peak RSS, 3-minute AAC track: scplay {}, ffmpeg {}",
        mib(short),
        mib(theirs)
    );
    if !have_ffmpeg {
        println!("ffmpeg is not installed (apt-get install ffmpeg): its columns are n/a");
    }
}
