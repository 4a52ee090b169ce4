//! The `play` example, spawned as a user would run it, against the emulator.
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use scplay_emulator::{Emulator, Fault, FaultKind, Origin, catalog};

mod common;
use common::play::{
    api_args, emulator, exit_within, on_terminal_command, play, play_bin, stderr, wav_secs,
};

#[path = "../crates/player/tests/common/ffmpeg.rs"]
mod ffmpeg;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_target_form_plays() {
    let emu = emulator().await;
    let dir = std::env::temp_dir().join(format!("scplay-cli-targets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let direct = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_DEMO_1),
        Duration::from_secs(300),
    );
    for (name, target, secs) in [
        ("url", "https://soundcloud.com/scplay-demo/first-light", 6.0),
        ("urn", "soundcloud:tracks:2102", 8.0),
        ("id", "2101", 6.0),
        ("direct", direct.as_str(), 6.0),
        (
            "set",
            "https://soundcloud.com/scplay-demo/sets/scplay-demo",
            14.0,
        ),
    ] {
        let wav = dir.join(format!("{name}.wav"));
        let sink = format!("wav:{}", wav.display());
        let o = tokio::task::block_in_place(|| play(&emu, &["--sink", &sink, target]));
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let got = wav_secs(&wav);
        assert!((got - secs).abs() < 0.3, "{name}: {got} s");
        if name != "direct" {
            assert!(
                stderr(&o).contains("scplay-demo"),
                "{name}: credits the uploader: {}",
                stderr(&o)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sinks_pipe_null_and_json() {
    let emu = emulator().await;
    let o = tokio::task::block_in_place(|| play(&emu, &["--sink", "pipe", "2101"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let frames = o.stdout.len() / 8;
    assert!(
        (frames as f64 / 44_100.0 - 6.0).abs() < 0.3,
        "pipe carried {frames} frames"
    );
    let o = tokio::task::block_in_place(|| play(&emu, &["--sink", "null", "--json", "2101"]));
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "playing" && l["track"]["uploader"] == "scplay-demo")
    );
    assert!(lines.iter().any(|l| l["event"] == "end_of_track"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_exit_with_their_codes() {
    let emu = emulator().await;
    let o = tokio::task::block_in_place(|| {
        play(
            &emu,
            &["--sink", "null", &catalog::TRACK_BLOCKED.to_string()],
        )
    });
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("blocked"));
    let o = tokio::task::block_in_place(|| {
        play(&emu, &["--sink", "null", &catalog::TRACK_DRM.to_string()])
    });
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // Repeating a queue where nothing plays ends after one pass (it used to ask forever).
    let (blocked, drm) = (
        catalog::TRACK_BLOCKED.to_string(),
        catalog::TRACK_DRM.to_string(),
    );
    emu.clear_requests();
    let o = tokio::task::block_in_place(|| {
        play(&emu, &["--sink", "null", "--repeat", "all", &blocked, &drm])
    });
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let api = emu
        .requests()
        .iter()
        .filter(|r| r.origin == Origin::Api)
        .count();
    assert!(api <= 12, "{api} API requests for one pass over two items");
    let o = tokio::task::block_in_place(|| {
        Command::new(play_bin())
            .args(api_args(&emu))
            .args(["--client-secret", "wrong", "--sink", "null", "2101"])
            .env(
                "XDG_CONFIG_HOME",
                std::env::temp_dir().join(format!("scplay-cli-wrong-{}", std::process::id())),
            )
            .output()
            .unwrap()
    });
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let o = tokio::task::block_in_place(|| play(&emu, &["--sink", "bogus", "2101"]));
    assert_eq!(o.status.code(), Some(2));
    let o = tokio::task::block_in_place(|| play(&emu, &["--volume", "3", "2101"]));
    assert_eq!(o.status.code(), Some(2));
    let o = tokio::task::block_in_place(|| play(&emu, &["--sink", "null", "ftp://nowhere/x"]));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).lines().count(),
        1,
        "one clear sentence: {}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_plays_the_whole_playlist_headless() {
    let dir = std::env::temp_dir().join(format!("scplay-cli-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("demo.wav");
    let o = tokio::task::block_in_place(|| {
        Command::new(play_bin())
            .args(["--demo", "--sink", &format!("wav:{}", wav.display())])
            .output()
            .unwrap()
    });
    assert!(o.status.success(), "{}", stderr(&o));
    assert!((wav_secs(&wav) - 14.0).abs() < 0.3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_service_exits_5() {
    let emu = emulator().await;
    // Hold every segment after the first, so little is buffered when the service goes away.
    for seg in ["/1.m4s", "/2.m4s", "/3.m4s"] {
        let pause = Duration::from_secs(120);
        emu.add_fault(
            Fault::on(
                seg,
                FaultKind::Stall {
                    after_bytes: 0,
                    pause,
                },
            )
            .at(Origin::Cdn),
        );
    }
    let mut child = Command::new(play_bin())
        .args(api_args(&emu))
        .args([
            "--sink",
            "null",
            "--realtime",
            "--json",
            &catalog::TRACK_THREE_MINUTES.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .env("SOUNDCLOUD_CLIENT_SECRET", catalog::CLIENT_SECRET)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join(format!("scplay-cli-gone-{}", std::process::id())),
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The service goes away once the track is heard (the `playing` event).
    let stdout = child.stdout.take().unwrap();
    let (seen, rest) = tokio::task::block_in_place(|| {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        for l in lines.by_ref() {
            let l = l.unwrap();
            let playing = l.contains("\"event\":\"playing\"");
            seen.push(l);
            if playing {
                break;
            }
        }
        (seen, lines)
    });
    let out = seen.join("\n");
    assert!(
        out.contains("\"event\":\"playing\""),
        "it was playing when the service went away: {out}"
    );
    drop(emu);
    let o = tokio::task::block_in_place(|| {
        rest.for_each(drop);
        child.wait_with_output().unwrap()
    });
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("network"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_as_the_readme_runs_it() {
    // No sink named: the sound card where there is one, else (as in CI) the null sink in real
    // time after one line saying so.
    let t = std::time::Instant::now();
    let o =
        tokio::task::block_in_place(|| Command::new(play_bin()).arg("--demo").output().unwrap());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("First Light") && err.contains("Harbour Steps"),
        "{err}"
    );
    let headless =
        std::fs::read_to_string("/proc/asound/cards").map_or(true, |c| c.contains("no soundcards"));
    if headless {
        assert_eq!(
            err.lines()
                .filter(|l| l.contains("No audio device"))
                .count(),
            1,
            "{err}"
        );
        assert!(t.elapsed() >= Duration::from_secs(13), "paced in real time");
        assert!(!err.contains("ALSA lib"), "no ALSA noise: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cpal_sink_plays_through_alsa() {
    // An ALSA `file` PCM (slave: null) records what the sound-card path plays.
    let system_conf = std::path::Path::new("/usr/share/alsa/alsa.conf");
    assert!(
        system_conf.exists(),
        "libasound2 is installed by the README's commands"
    );
    let dir = std::env::temp_dir().join(format!("scplay-cli-alsa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("capture.raw");
    let conf = dir.join("asound.conf");
    std::fs::write(
        &conf,
        format!(
            "pcm.cap {{\n type file\n slave.pcm \"null\"\n file \"{}\"\n format \"raw\"\n}}\n",
            capture.display()
        ),
    )
    .unwrap();
    let emu = emulator().await;
    let o = tokio::task::block_in_place(|| {
        Command::new(play_bin())
            .args(api_args(&emu))
            .args(["--sink", "cpal:alsa:cap", "2101"])
            .env("SOUNDCLOUD_CLIENT_SECRET", catalog::CLIENT_SECRET)
            .env(
                "ALSA_CONFIG_PATH",
                format!("{}:{}", system_conf.display(), conf.display()),
            )
            .env("XDG_CONFIG_HOME", &dir)
            .output()
            .unwrap()
    });
    // The null slave takes audio as fast as it comes, so the capture is large: read it, then
    // remove it before anything can fail.
    let raw = std::fs::read(&capture).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let nonzero_frames = raw
        .chunks_exact(8)
        .filter(|f| f.iter().any(|b| *b != 0))
        .count();
    assert!(
        (nonzero_frames as f64 / 44_100.0 - 6.0).abs() < 0.2,
        "{nonzero_frames} frames reached the device"
    );
}

/// `play` on a terminal (a pseudo-terminal from util-linux's `script`), its keys typed into it.
fn on_terminal(emu: &Emulator, args: &[&str]) -> std::process::Child {
    on_terminal_command(emu, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits (up to 10 s) until a request whose path contains `path` has reached `origin`.
fn wait_arrival(emu: &Emulator, origin: Origin, path: &str) {
    let arrived = || {
        emu.arrivals()
            .iter()
            .any(|(o, p)| *o == origin && p.contains(path))
    };
    assert!(
        scplay_testkit::wait_until(Duration::from_secs(10), arrived),
        "no request for {path} within 10 s"
    );
}

fn type_keys(child: &mut std::process::Child, keys: &str) {
    use std::io::Write;
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(keys.as_bytes()).unwrap();
    stdin.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_and_n_on_a_terminal_answer_during_a_stalled_load() {
    let emu = emulator().await;
    let playlist = format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE);
    emu.add_fault(
        Fault::on(
            playlist.clone(),
            FaultKind::Latency(Duration::from_secs(60)),
        )
        .at(Origin::Cdn),
    );
    let emu = tokio::task::spawn_blocking(move || {
        // q while the playlist hangs: play exits at once.
        let track = catalog::TRACK_PLAYABLE.to_string();
        let mut child = on_terminal(&emu, &[&track, "--sink", "null", "--realtime"]);
        wait_arrival(&emu, Origin::Cdn, &playlist);
        type_keys(&mut child, "q");
        let pressed = std::time::Instant::now();
        let took = exit_within(&mut child, Duration::from_secs(10)).map(|_| pressed.elapsed());
        eprintln!("q during a stalled load: exit after {took:?}");
        assert!(
            took.is_some_and(|t| t < Duration::from_secs(2)),
            "q took {took:?}"
        );
        // n while the first item's playlist hangs: the second item is asked for at once.
        emu.clear_requests();
        let second = catalog::TRACK_MP3_ONLY.to_string();
        let mut child = on_terminal(&emu, &[&track, &second, "--sink", "null", "--realtime"]);
        wait_arrival(&emu, Origin::Cdn, &playlist);
        let asked = std::time::Instant::now();
        type_keys(&mut child, "n");
        wait_arrival(&emu, Origin::Api, &second);
        eprintln!(
            "n during a stalled load: next item asked for after {:?}",
            asked.elapsed()
        );
        assert!(asked.elapsed() < Duration::from_secs(2));
        type_keys(&mut child, "q");
        assert!(exit_within(&mut child, Duration::from_secs(10)).is_some());
        emu
    })
    .await
    .unwrap();
    drop(emu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normalize_reaches_the_loudness_target() {
    let emu = emulator().await;
    let dir = std::env::temp_dir().join(format!("scplay-cli-loud-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let track = catalog::TRACK_PLAYABLE.to_string(); // about −17 LUFS as mastered
    let plain = dir.join("plain.wav");
    let sink = format!("wav:{}", plain.display());
    let o = tokio::task::block_in_place(|| play(&emu, &["--sink", &sink, &track]));
    assert!(o.status.success(), "{}", stderr(&o));
    for (name, args) in [
        ("implied", &["--loudness-target", "-22"][..]),
        ("album", &["--loudness-target=-22", "--normalize=album"][..]),
        ("track", &["--loudness-target", "-22", "--normalize"][..]),
    ] {
        let wav = dir.join(format!("{name}.wav"));
        let sink = format!("wav:{}", wav.display());
        let mut all = vec!["--sink", sink.as_str()];
        all.extend_from_slice(args);
        all.push(&track);
        let o = tokio::task::block_in_place(|| play(&emu, &all));
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let got = ffmpeg::ebur128(&wav).0;
        assert!(
            (got + 22.0).abs() <= 1.0,
            "{name}: {got} LUFS (as mastered {})",
            ffmpeg::ebur128(&plain).0
        );
        assert!(
            (wav_secs(&wav) - wav_secs(&plain)).abs() < 1e-9,
            "{name}: same length"
        );
    }
    for bad in [
        &["--normalize=loud"][..],
        &["--loudness-target", "-90"][..],
        &["--normalize", "album"][..],
    ] {
        let mut all = vec!["--sink", "null"];
        all.extend_from_slice(bad);
        all.push(&track);
        let o = tokio::task::block_in_place(|| play(&emu, &all));
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soundcloud_url_played_again_after_a_restart_skips_resolve() {
    let emu = emulator().await;
    let pages = std::env::temp_dir().join(format!("scplay-cli-pages-{}", std::process::id()));
    let _ = std::fs::remove_file(&pages);
    let url = "https://soundcloud.com/scplay-demo/first-light";
    let resolves = |emu: &Emulator| {
        emu.requests()
            .iter()
            .filter(|r| r.path == "/resolve")
            .count()
    };
    let run = |cache: &str| {
        let o = tokio::task::block_in_place(|| {
            play(&emu, &["--sink", "null", "--page-cache", cache, url])
        });
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let cache = pages.to_str().unwrap();
    run(cache);
    assert_eq!(resolves(&emu), 1);
    run(cache);
    assert_eq!(
        resolves(&emu),
        1,
        "the second run went straight to the track"
    );
    run("off");
    assert_eq!(resolves(&emu), 2, "off: nothing remembered across runs");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pages).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let _ = std::fs::remove_file(&pages);
}
