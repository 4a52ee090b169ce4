//! `play --control`: the remote control of a running `play`, spawned as a user would run it
//! against the emulator: the URL it prints, pause and quit through HTTP, staying up after the
//! queue ends, the token, and the refusal of an open address without one.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use scplay_emulator::catalog;
use serde_json::{Value, json};

mod common;
use common::play::{command, emulator, exit_within, kill, play, stderr};
use common::remote::status_until;

/// The lines of a child's stream, read on a thread (so a wait can have a deadline).
fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stream).lines() {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line matching `pred` within `limit`.
fn line_where(rx: &Receiver<String>, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
    let end = Instant::now() + limit;
    loop {
        let left = end
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("no matching line within {limit:?}"));
        match rx.recv_timeout(left) {
            Ok(l) if pred(&l) => return l,
            Ok(_) => {}
            Err(e) => panic!("no matching line: {e}"),
        }
    }
}

/// `play … --control 127.0.0.1:0 args`, and the URL it printed on stderr.
fn spawn(
    emu: &scplay_emulator::Emulator,
    args: &[&str],
    token: Option<&str>,
) -> (Child, String, Receiver<String>) {
    let mut c = command(emu, &[&["--control", "127.0.0.1:0"], args].concat());
    if let Some(t) = token {
        c.env("SCPLAY_CONTROL_TOKEN", t);
    }
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = lines(child.stderr.take().unwrap());
    let said = line_where(&err, Duration::from_secs(20), |l| {
        l.contains("remote control on")
    });
    let url = said.rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{said}");
    let out = lines(child.stdout.take().unwrap());
    (child, url, out)
}

/// `POST {url}api/{path}` with a JSON body, which must answer 200.
async fn post(http: &reqwest::Client, url: &str, path: &str, token: Option<&str>, body: Value) {
    let mut req = http.post(format!("{url}api/{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    assert_eq!(req.send().await.unwrap().status(), 200, "{path}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_quit_through_http() {
    let emu = emulator().await;
    let three = catalog::TRACK_THREE_MINUTES.to_string();
    let (mut child, url, out) = tokio::task::block_in_place(|| {
        spawn(
            &emu,
            &["--json", "--realtime", "--sink", "null", &three],
            None,
        )
    });
    // With --json, the URL is an event too.
    let control = line_where(&out, Duration::from_secs(5), |l| l.contains("\"control\""));
    let v: Value = serde_json::from_str(&control).unwrap();
    assert_eq!(v, json!({"event": "control", "url": url}));
    let http = scplay_testkit::http();
    status_until(&http, &url, None, |s| s["state"] == "playing").await;
    let r = http.post(format!("{url}api/pause")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    status_until(&http, &url, None, |s| s["state"] == "paused").await;
    tokio::task::block_in_place(|| {
        line_where(&out, Duration::from_secs(5), |l| l.contains("\"paused\""))
    });
    let r = http.post(format!("{url}api/quit")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let code = tokio::task::block_in_place(|| exit_within(&mut child, Duration::from_secs(10)));
    assert_eq!(code, Some(Some(0)), "quit through HTTP exits 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stays_up_after_the_queue_ends_until_a_signal() {
    let emu = emulator().await;
    let token = "kiosk-t0ken";
    let (mut child, url, out) = tokio::task::block_in_place(|| {
        spawn(&emu, &["--json", "--sink", "null", "2101"], Some(token))
    });
    tokio::task::block_in_place(|| {
        line_where(&out, Duration::from_secs(20), |l| {
            l.contains("\"queue_ended\"")
        })
    });
    let http = scplay_testkit::http();
    // The token from the environment guards every request.
    let r = http.get(format!("{url}api/status")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let s = status_until(&http, &url, Some(token), |s| s["state"] == "idle").await;
    assert_eq!(s["queue"]["length"], 1);
    assert!(
        child.try_wait().unwrap().is_none(),
        "still up after the queue ended"
    );
    // It still takes commands: the queue plays again.
    post(&http, &url, "play", Some(token), json!({"target": "2102"})).await;
    tokio::task::block_in_place(|| {
        line_where(&out, Duration::from_secs(20), |l| {
            l.contains("\"playing\"") && l.contains("2102")
        })
    });
    kill(&child, "TERM");
    let code = tokio::task::block_in_place(|| exit_within(&mut child, Duration::from_secs(10)));
    assert_eq!(code, Some(Some(143)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_address_without_a_token_is_refused() {
    let emu = emulator().await;
    let o = tokio::task::block_in_place(|| {
        play(&emu, &["--control", "0.0.0.0:0", "--sink", "null", "2101"])
    });
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--control-token"), "{}", stderr(&o));
    let o = tokio::task::block_in_place(|| {
        play(&emu, &["--control", "nowhere", "--sink", "null", "2101"])
    });
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = tokio::task::block_in_place(|| {
        play(
            &emu,
            &[
                "--control",
                "0.0.0.0:0",
                "--control-token",
                " ",
                "--sink",
                "null",
                "2101",
            ],
        )
    });
    assert_eq!(o.status.code(), Some(2), "an empty token: {}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_without_a_target_and_waits_for_one() {
    let emu = emulator().await;
    let (mut child, url, out) =
        tokio::task::block_in_place(|| spawn(&emu, &["--json", "--sink", "null"], None));
    let http = scplay_testkit::http();
    let s = status_until(&http, &url, None, |s| s["state"] == "idle").await;
    assert_eq!(s["queue"]["length"], 0);
    let first_light = json!({"target": "https://soundcloud.com/scplay-demo/first-light"});
    post(&http, &url, "enqueue", None, first_light).await;
    tokio::task::block_in_place(|| {
        line_where(&out, Duration::from_secs(20), |l| {
            l.contains("\"end_of_track\"")
        })
    });
    http.post(format!("{url}api/quit")).send().await.unwrap();
    let code = tokio::task::block_in_place(|| exit_within(&mut child, Duration::from_secs(10)));
    assert_eq!(code, Some(Some(0)));
}
