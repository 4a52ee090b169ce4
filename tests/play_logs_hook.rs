//! `play`'s logs (`RUST_LOG`, `--log-format`) and its event hook (`--onevent`), spawned as
//! systemd would run it (stderr not a terminal) against the emulator.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use scplay_emulator::catalog;
use serde_json::Value;

mod common;
use common::play::{command, emulator, exit_within, kill, read_until, stderr};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scplay-ops-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The hook's records: one `event|urn|title|position` line per run.
fn records(path: &PathBuf) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// Writes what the hook was given, one line per event.
const RECORD: &str = r#"printf '%s|%s|%s|%s\n' "$SCPLAY_EVENT" "$SCPLAY_URN" "$SCPLAY_TITLE" "$SCPLAY_POSITION" >> "$HOOK_OUT""#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_go_to_stderr_and_json_events_to_stdout() {
    let emu = emulator().await;
    let urn = format!("soundcloud:tracks:{}", catalog::TRACK_DEMO_1);
    let o = tokio::task::block_in_place(|| {
        command(
            &emu,
            &["--json", "--sink", "null", "--log-format", "json", &urn],
        )
        .env("RUST_LOG", "info")
        .output()
        .unwrap()
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let logs: Vec<Value> = stderr(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    for l in &logs {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(l[key].is_string(), "{key} in {l}");
        }
    }
    let playing = logs
        .iter()
        .find(|l| l["message"] == "playing")
        .unwrap_or_else(|| panic!("no 'playing' line: {logs:?}"));
    assert_eq!(playing["level"], "INFO");
    assert_eq!(playing["urn"], urn.as_str());
    assert_eq!(playing["title"], "First Light");
    assert!(
        playing["target"]
            .as_str()
            .unwrap()
            .starts_with("scplay_player")
    );
    assert!(
        logs.iter()
            .any(|l| l["message"] == "app token granted (client credentials)")
    );
    // stdout holds the events and nothing else.
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert!(v["event"].is_string() && v.get("level").is_none(), "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rust_log_stderr_holds_only_plays_own_lines() {
    let emu = emulator().await;
    let o = tokio::task::block_in_place(|| {
        command(
            &emu,
            &["--sink", "null", &catalog::TRACK_DEMO_1.to_string()],
        )
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("First Light"), "play's own line: {err}");
    assert!(!err.contains("INFO") && !err.contains("scplay_"), "{err}");
    // With RUST_LOG=info, text lines with the level and the target.
    let o = tokio::task::block_in_place(|| {
        command(
            &emu,
            &["--sink", "null", &catalog::TRACK_DEMO_1.to_string()],
        )
        .env("RUST_LOG", "info")
        .output()
        .unwrap()
    });
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.contains(" INFO scplay_player") && l.contains("playing")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_hears_track_changes_and_the_stop_in_order() {
    let emu = emulator().await;
    let out = dir("hook").join("events");
    let _ = std::fs::remove_file(&out);
    let (one, two) = (
        catalog::TRACK_DEMO_1.to_string(),
        catalog::TRACK_DEMO_2.to_string(),
    );
    tokio::task::block_in_place(|| {
        // 2 s of the first track, then the second, stopped by SIGTERM while it plays.
        let mut child = command(
            &emu,
            &[
                "--json",
                "--realtime",
                "--sink",
                "null",
                "--start",
                "4",
                "--onevent",
                RECORD,
                &one,
                &two,
            ],
        )
        .env("HOOK_OUT", &out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        read_until(&mut lines, "\"event\":\"track_changed\",\"index\":1");
        read_until(&mut lines, "\"seconds\":1.");
        kill(&child, "TERM");
        assert_eq!(
            exit_within(&mut child, Duration::from_secs(5)),
            Some(Some(143))
        );
    });
    let got = records(&out);
    let events: Vec<&str> = got.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        events,
        ["track_changed", "track_changed", "stopped"],
        "{got:?}"
    );
    assert_eq!(got[0][1], "soundcloud:tracks:2101");
    assert_eq!(got[0][2], "First Light");
    assert_eq!(got[1][1], "soundcloud:tracks:2102");
    assert_eq!(got[1][2], "Harbour Steps");
    assert_eq!(
        got[2][1], "soundcloud:tracks:2102",
        "stopped names what was playing"
    );
    let position: f64 = got[2][3].parse().unwrap();
    assert!(
        (1.0..3.0).contains(&position),
        "the position at the stop: {position}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_hook_delays_neither_playback_nor_the_exit() {
    let emu = emulator().await;
    let track = catalog::TRACK_DEMO_1.to_string();
    let started = Instant::now();
    let o = tokio::task::block_in_place(|| {
        command(
            &emu,
            &["--json", "--sink", "null", "--onevent", "sleep 5", &track],
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
    });
    let took = started.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    // Every event came: the hook held nothing up.
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\"event\":\"queue_ended\""), "{out}");
    // The exit waited at most the grace (1 s) for the hooks, not their 2 × 5 s.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(
        stderr(&o).contains("leaving with event hooks unfinished"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_that_runs_too_long_is_killed_and_the_next_runs() {
    let emu = emulator().await;
    let out = dir("timeout").join("events");
    let _ = std::fs::remove_file(&out);
    let hook = r#"echo "$SCPLAY_EVENT" >> "$HOOK_OUT"; echo "hook-said-$SCPLAY_EVENT"
        [ "$SCPLAY_EVENT" != track_changed ] || sleep 30"#;
    let track = catalog::TRACK_DEMO_1.to_string();
    let started = Instant::now();
    let o = tokio::task::block_in_place(|| {
        command(
            &emu,
            &[
                "--realtime",
                "--sink",
                "null",
                "--start",
                "4",
                "--onevent-timeout",
                "0.5",
                "--onevent",
                hook,
                &track,
            ],
        )
        .env("HOOK_OUT", &out)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
    });
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ran too long and was killed"),
        "{}",
        stderr(&o)
    );
    // Its `sleep 30` was killed with it (it held stderr open: `output` would wait for it).
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let got = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        ["track_changed", "queue_ended"]
    );
    // A hook's own output goes to stderr, never to stdout.
    assert!(
        stderr(&o).contains("hook-said-queue_ended"),
        "{}",
        stderr(&o)
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("hook-said"));
}
