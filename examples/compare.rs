//! Time to first audio and peak memory, scplay side by side with ffmpeg on the same emulator
//! URLs (alternating runs, medians).
//!
//! ```text
//! cargo run --release --example compare            # prints the table
//! cargo run --release --example compare -- --runs 9
//! ```
//!
//! Without ffmpeg on the PATH the scplay columns are still measured and the ffmpeg ones say
//! so. Time to first audio is from starting playback of a direct playlist URL to the first
//! decoded sample reaching the sink (scplay) or stdout (`ffmpeg -i URL -f f32le -`), with 0
//! and 50 ms of emulator latency per request. Peak RSS is measured in a child process playing
//! the 60-minute track to the null sink.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Origin, catalog};
use scplay_player::{Format, Player, PlayerOptions, SampleWriter, Sink};

/// Records when the first samples arrive.
struct FirstSample(Arc<Mutex<Option<Instant>>>);

impl SampleWriter for FirstSample {
    fn begin(&mut self, _: Format) -> std::io::Result<()> {
        Ok(())
    }
    fn write(&mut self, s: &[f32]) -> std::io::Result<()> {
        if !s.is_empty()
            && let Ok(mut t) = self.0.lock()
        {
            t.get_or_insert_with(Instant::now);
        }
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn scplay_ttfa(url: &str) -> Option<Duration> {
    let first = Arc::new(Mutex::new(None));
    let player = Player::new(
        None,
        Sink::Writer(Box::new(FirstSample(first.clone()))),
        PlayerOptions::default(),
    )
    .ok()?;
    let start = Instant::now();
    player.play(url).ok()?;
    while first.lock().ok()?.is_none() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_micros(200));
    }
    let t = first.lock().ok()?.map(|t| t - start);
    player.stop();
    t
}

fn ffmpeg_ttfa(url: &str) -> Option<Duration> {
    let start = Instant::now();
    let mut child = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            url,
            "-f",
            "f32le",
            "-",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = child.stdout.take()?;
    let mut b = [0u8; 1];
    let t = out.read_exact(&mut b).ok().map(|_| start.elapsed());
    let _ = child.kill();
    let _ = child.wait();
    t
}

fn median(mut v: Vec<Duration>) -> Option<Duration> {
    v.sort();
    v.get(v.len() / 2).copied()
}

/// Peak RSS (KiB) of a command, polled from /proc while it runs.
fn peak_rss(mut cmd: Command) -> Option<u64> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&path)
            && let Some(v) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        {
            peak = peak.max(v);
        }
        if child.try_wait().ok()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(peak)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--play-null") {
        // Child mode: play a URL to the null sink as fast as possible.
        let url = args.get(i + 1).cloned().unwrap_or_default();
        let player = Player::new(None, Sink::Null, PlayerOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        player.play(&url).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = player.wait() {
            eprintln!("{e}");
            std::process::exit(1);
        }
        return;
    }
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(7);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let emu: Emulator = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    if args.iter().any(|a| a == "--serve-hour") {
        // Prints a signed URL of the 60-minute track and serves it for two minutes (for
        // watching memory over time with other tools).
        println!(
            "{}",
            emu.sign_cdn_path(
                &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_HOUR),
                Duration::from_secs(3600)
            )
        );
        std::thread::sleep(Duration::from_secs(120));
        return;
    }
    let have_ffmpeg = Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
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
                Fault::on("/", FaultKind::Latency(Duration::from_millis(latency))).at(Origin::Cdn),
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
    emu.clear_faults();
    let exe = std::env::current_exe().unwrap_or_default();
    for (name, track, secs) in [
        ("60-minute track", catalog::TRACK_HOUR, 3600),
        ("3-minute track", catalog::TRACK_THREE_MINUTES, 176),
    ] {
        let url = emu.sign_cdn_path(
            &format!("/aac/{track}/160/playlist.m3u8"),
            Duration::from_secs(3600),
        );
        let mut ours = Command::new(&exe);
        ours.args(["--play-null", &url]);
        let ours = peak_rss(ours);
        let theirs = if have_ffmpeg {
            let mut c = Command::new("ffmpeg");
            c.args([
                "-nostdin",
                "-loglevel",
                "error",
                "-i",
                &url,
                "-f",
                "null",
                "-",
            ]);
            peak_rss(c)
        } else {
            None
        };
        let mib = |k: Option<u64>| {
            k.map_or("n/a".to_string(), |k| {
                format!("{:.1} MiB", k as f64 / 1024.0)
            })
        };
        println!(
            "peak RSS, {name} ({secs} s) to null: scplay {}, ffmpeg {}",
            mib(ours),
            mib(theirs)
        );
    }
    if !have_ffmpeg {
        println!("ffmpeg is not installed (apt-get install ffmpeg): its columns are n/a");
    }
}
