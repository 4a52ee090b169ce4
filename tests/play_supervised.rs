//! `play` as a supervisor and a shell pipeline meet it: signals, closed pipes, `--json`'s
//! shape, exit codes and messages, target forms, `--shuffle` and `--start`. Each test spawns
//! the built example against the emulator.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, catalog};

mod common;
use common::play::{
    command, emulator, exit_within, kill, on_terminal_command, play, play_bin, read_until, stderr,
    wav_secs,
};
use serde_json::Value;

fn run(emu: &Emulator, args: &[&str]) -> Output {
    play(emu, args)
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scplay-sup-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_stop_cleanly_with_the_wav_finalised() {
    let emu = emulator().await;
    let d = dir("signals");
    tokio::task::block_in_place(|| {
        for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
            let wav = d.join(format!("{signal}.wav"));
            let sink = format!("wav:{}", wav.display());
            let three = catalog::TRACK_THREE_MINUTES.to_string();
            let mut child = command(&emu, &["--json", "--realtime", "--sink", &sink, &three])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            read_until(&mut lines, "\"seconds\":1.");
            kill(&child, signal);
            let got = exit_within(&mut child, Duration::from_secs(5));
            assert_eq!(got, Some(Some(code)), "SIGTERM/INT/HUP: {signal}");
            let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
            let last: Value = serde_json::from_str(rest.last().unwrap()).unwrap();
            assert_eq!(last["event"], "exit", "{rest:?}");
            assert_eq!(last["status"], code);
            let name = [(143, "terminated"), (130, "interrupted"), (129, "hung_up")];
            assert!(
                name.contains(&(code, last["code"].as_str().unwrap())),
                "{last}"
            );
            // The header names the audio written: about the second or so played.
            let secs = wav_secs(&wav);
            assert!((0.9..10.0).contains(&secs), "{signal}: {secs} s in the WAV");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_json_output_quietly() {
    let emu = emulator().await;
    tokio::task::block_in_place(|| {
        let three = catalog::TRACK_THREE_MINUTES.to_string();
        let mut child = command(&emu, &["--json", "--realtime", "--sink", "null", &three])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        read_until(&mut lines, "\"event\":\"playing\"");
        drop(lines); // `| head -3`: the reader goes away.
        let got = exit_within(&mut child, Duration::from_secs(5));
        assert_eq!(
            got,
            Some(Some(141)),
            "ends at the next line, as the end of output"
        );
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(err.is_empty(), "quietly: {err}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_shaped_for_supervisors() {
    let emu = emulator().await;
    let (blocked, track) = (
        catalog::TRACK_BLOCKED.to_string(),
        catalog::TRACK_DEMO_1.to_string(),
    );
    let o =
        tokio::task::block_in_place(|| run(&emu, &["--json", "--sink", "null", &blocked, &track]));
    assert!(o.status.success(), "{}", stderr(&o));
    let events = json_lines(&o);
    // No event that says nothing: a field-bearing event has something in its fields, and a
    // track is never all nulls (a `loading` before anything is known used to be).
    let empty = |v: &Value| {
        v.is_null()
            || v.as_object()
                .is_some_and(|t| t.values().all(Value::is_null))
    };
    for e in &events {
        let fields: Vec<&Value> = e
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "event")
            .map(|(_, v)| v)
            .collect();
        assert!(fields.is_empty() || !fields.iter().all(|v| empty(v)), "{e}");
        assert!(!e.get("track").is_some_and(empty), "{e}");
    }
    let skipped = events.iter().find(|e| e["event"] == "skipped").unwrap();
    assert_eq!(skipped["code"], "blocked");
    assert_eq!(skipped["index"], 0);
    let playing = events.iter().find(|e| e["event"] == "playing").unwrap();
    assert_eq!(playing["index"], 1);
    // One position a second (default), rounded to hundredths: a 6 s track gives about 6.
    let positions: Vec<f64> = events
        .iter()
        .filter(|e| e["event"] == "position")
        .map(|e| e["seconds"].as_f64().unwrap())
        .collect();
    assert!((5..=7).contains(&positions.len()), "{positions:?}");
    assert!(
        positions
            .iter()
            .all(|p| (p * 100.0 - (p * 100.0).round()).abs() < 1e-6),
        "{positions:?}"
    );
    let o = tokio::task::block_in_place(|| {
        run(
            &emu,
            &[
                "--json",
                "--sink",
                "null",
                "--position-interval",
                "2",
                &track,
            ],
        )
    });
    let n = json_lines(&o)
        .iter()
        .filter(|e| e["event"] == "position")
        .count();
    assert!((2..=4).contains(&n), "{n} positions at a 2 s interval");
    // A failure ends with an `exit` event carrying the status and a code.
    let missing = "https://soundcloud.com/nobody/nothing-here";
    let o = tokio::task::block_in_place(|| run(&emu, &["--json", "--sink", "null", missing]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let last = json_lines(&o).pop().unwrap();
    assert_eq!(last["event"], "exit");
    assert_eq!(last["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_one_sentence_naming_what_was_given() {
    let emu = emulator().await;
    let d = dir("fail");
    // An unknown soundcloud.com URL: the user's URL, not the API's, exit 3.
    let missing = "https://soundcloud.com/nobody/nothing-here";
    let o = tokio::task::block_in_place(|| run(&emu, &["--sink", "null", missing]));
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o).lines().count(),
        1,
        "printed once: {}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(missing), "{}", stderr(&o));
    assert!(!stderr(&o).contains("/resolve"), "{}", stderr(&o));
    // Lines for a journal carry no carriage returns (those are for a terminal).
    let o = tokio::task::block_in_place(|| run(&emu, &["--sink", "null", "2101"]));
    assert!(
        stderr(&o).contains("First Light") && !stderr(&o).contains('\r'),
        "{:?}",
        stderr(&o)
    );
    // Wrong credentials: exit 4, one sentence that says what to do once.
    let o = tokio::task::block_in_place(|| {
        command(
            &emu,
            &["--client-secret", "wrong", "--sink", "null", "2101"],
        )
        .env("XDG_CONFIG_HOME", d.join("wrong"))
        .output()
        .unwrap()
    });
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("sign in").count(), 1, "{}", stderr(&o));
    // A WAV path in no folder: refused before any request, naming the path, exit 2.
    emu.clear_requests();
    let bad = d.join("no-such-dir").join("x.wav");
    let sink = format!("wav:{}", bad.display());
    let o = tokio::task::block_in_place(|| run(&emu, &["--sink", &sink, "2101"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&bad.display().to_string()),
        "{}",
        stderr(&o)
    );
    assert!(
        emu.requests().is_empty(),
        "no network work before the sink is checked"
    );
    // A media URL that answers 404: not playable (3), not "check the network" (5).
    let gone = emu.sign_cdn_path("/nope/file.mp3", Duration::from_secs(60));
    let o = tokio::task::block_in_place(|| run(&emu, &["--sink", "null", &gone]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!stderr(&o).contains("network"), "{}", stderr(&o));
    // A URL that serves a web page, not audio: 3, one line.
    let page = serve_once("/page.mp3", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 27\r\nConnection: close\r\n\r\n<html><p>not audio</p></html>");
    let o = tokio::task::block_in_place(|| run(&emu, &["--sink", "null", &page]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    // A malformed playlist: 3, one line naming its URL once (the parser's message has it).
    let playlist = serve_once(
        "/bad.m3u8",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\nContent-Length: 68\r\nConnection: close\r\n\r\n#EXTM3U\n#EXT-X-TARGETDURATION:abc\n#EXTINF:10,\nseg.ts\n#EXT-X-ENDLIST\n",
    );
    let o = tokio::task::block_in_place(|| run(&emu, &["--sink", "null", &playlist]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert_eq!(stderr(&o).matches(&playlist).count(), 1, "{}", stderr(&o));
    // --start past the end says so (it used to exit 0 silently).
    let o =
        tokio::task::block_in_place(|| run(&emu, &["--sink", "null", "--start", "99999", "2101"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("past the end"), "{}", stderr(&o));
    // Raw audio is not poured onto a terminal.
    let o = tokio::task::block_in_place(|| {
        let line = format!("'{}' --sink pipe 2101", play_bin().display());
        Command::new("script")
            .args(["-qefc", &line, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    });
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("terminal"));
}

/// Serves one HTTP answer on loopback at `path` (say, a web page where audio was expected);
/// its URL.
fn serve_once(path: &str, answer: &'static [u8]) -> String {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming().take(4) {
            let mut s = s.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer);
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_forms_start_and_shuffle() {
    let emu = emulator().await;
    let set = format!("soundcloud:playlists:{}", catalog::PLAYLIST_SET);
    let order = |o: &Output| -> Vec<String> {
        json_lines(o)
            .iter()
            .filter(|e| e["event"] == "track_changed")
            .map(|e| e["track"]["urn"].as_str().unwrap().to_string())
            .collect()
    };
    // A playlist URN expands into its tracks, in order.
    let o = tokio::task::block_in_place(|| run(&emu, &["--json", "--sink", "null", &set]));
    assert!(o.status.success(), "{}", stderr(&o));
    let plain = order(&o);
    let expected: Vec<String> = [
        catalog::TRACK_SET_1,
        catalog::TRACK_SET_2,
        catalog::TRACK_SET_3,
    ]
    .iter()
    .map(|id| format!("soundcloud:tracks:{id}"))
    .collect();
    assert_eq!(plain, expected);
    // --shuffle applies to the tracks the playlist expands to: some seed changes the order,
    // and a seed always gives the same order.
    let mut orders = vec![];
    for seed in ["1", "2", "3", "4"] {
        let o = tokio::task::block_in_place(|| {
            run(&emu, &["--json", "--sink", "null", "--shuffle", seed, &set])
        });
        let got = order(&o);
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "every track once");
        orders.push(got);
    }
    assert!(orders.iter().any(|o| *o != expected), "{orders:?}");
    let again = tokio::task::block_in_place(|| {
        run(&emu, &["--json", "--sink", "null", "--shuffle", "1", &set])
    });
    assert_eq!(order(&again), orders[0]);
    // --start MM:SS opens there and reports the track like any start.
    let three = catalog::TRACK_THREE_MINUTES.to_string();
    let o = tokio::task::block_in_place(|| {
        run(
            &emu,
            &["--json", "--sink", "null", "--start", "2:50", &three],
        )
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let events = json_lines(&o);
    assert!(events.iter().any(|e| e["event"] == "track_changed"));
    let first = events.iter().find(|e| e["event"] == "position").unwrap();
    let at = first["seconds"].as_f64().unwrap();
    assert!((170.0..171.5).contains(&at), "started at {at}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_work_on_a_terminal_with_json() {
    let emu = emulator().await;
    tokio::task::block_in_place(|| {
        let three = catalog::TRACK_THREE_MINUTES.to_string();
        let mut child =
            on_terminal_command(&emu, &["--json", "--realtime", "--sink", "null", &three])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        read_until(&mut lines, "\"event\":\"playing\"");
        {
            use std::io::Write;
            let stdin = child.stdin.as_mut().unwrap();
            stdin.write_all(b"q").unwrap();
            stdin.flush().unwrap();
        }
        let got = exit_within(&mut child, Duration::from_secs(5));
        assert_eq!(
            got,
            Some(Some(130)),
            "q stops (130, not 0: it did not play to the end)"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipe_sink_whose_reader_goes_away_ends_promptly() {
    // `play 2009 --sink pipe | head -c 100`: a closed stdout is the end of the output, not a
    // lost device to reopen ten times a second.
    let emu = emulator().await;
    tokio::task::block_in_place(|| {
        let three = catalog::TRACK_THREE_MINUTES.to_string();
        let mut child = command(&emu, &["--realtime", "--sink", "pipe", &three])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        drop(child.stdout.take());
        let started = Instant::now();
        let got = exit_within(&mut child, Duration::from_secs(5));
        eprintln!("pipe sink: exit {got:?} after {:?}", started.elapsed());
        assert_eq!(got, Some(Some(141)), "ends as the end of the output");
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(!err.contains("Audio device lost"), "{err}");
    });
}
