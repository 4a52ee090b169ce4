//! The remote against the emulator, with a null sink: every endpoint, the errors, the
//! token, the event stream, the metrics and the limits.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use scplay_emulator::{Emulator, catalog};
use scplay_player::{Player, PlayerOptions, Sink};
use scplay_remote::{BearerToken, Remote, RemoteError, RemoteOptions};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use scplay_testkit::app_client as client;

/// The emulator, a real-time player on the null sink, and its remote.
async fn setup(opts: RemoteOptions) -> (Emulator, Arc<Player>, Remote) {
    let emu = scplay_testkit::emulator().await;
    let c = client(&emu);
    let popts = PlayerOptions {
        realtime: true,
        position_interval: Duration::from_millis(250),
        ..PlayerOptions::default()
    };
    let player = Arc::new(Player::new(Some(c.clone()), Sink::Null, popts).unwrap());
    let remote = Remote::start(player.clone(), Some(c), opts).await.unwrap();
    (emu, player, remote)
}

fn url(remote: &Remote, path: &str) -> String {
    format!("{}{}", remote.url(), path.trim_start_matches('/'))
}

async fn status(http: &reqwest::Client, remote: &Remote) -> Value {
    let r = http.get(url(remote, "api/status")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn post(
    http: &reqwest::Client,
    remote: &Remote,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http.post(url(remote, path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Polls the status until `cond` holds or `limit` passes; the last status seen.
async fn status_until(
    http: &reqwest::Client,
    remote: &Remote,
    limit: Duration,
    cond: impl Fn(&Value) -> bool,
) -> Value {
    scplay_testkit::eventually_some("the status to match", limit, async || {
        Some(status(http, remote).await).filter(|s| cond(s))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_reaches_the_player_and_shows_in_the_status() {
    let (_emu, _player, remote) = setup(RemoteOptions::default()).await;
    let http = scplay_testkit::http();
    let s = status(&http, &remote).await;
    assert_eq!(s["state"], "idle");
    assert_eq!(s["track"], Value::Null);
    assert_eq!(s["queue"], json!({"index": null, "length": 0}));

    let (code, body) = post(
        &http,
        &remote,
        "api/play",
        Some(json!({"target": catalog::TRACK_DEMO_1.to_string()})),
    )
    .await;
    assert_eq!((code, body), (StatusCode::OK, json!({"ok": true})));
    let s = status_until(&http, &remote, Duration::from_secs(10), |s| {
        s["state"] == "playing"
    })
    .await;
    assert_eq!(s["track"]["uploader"], "scplay-demo");
    assert!(s["track"]["link"].as_str().unwrap().contains("scplay-demo"));
    assert!(
        s["track"]["urn"]
            .as_str()
            .unwrap()
            .ends_with(&catalog::TRACK_DEMO_1.to_string())
    );
    assert!(s["duration"].as_f64().unwrap() > 5.0);
    assert_eq!(s["queue"], json!({"index": 0, "length": 1}));

    let (code, _) = post(
        &http,
        &remote,
        "api/enqueue",
        Some(json!({"target": format!("soundcloud:tracks:{}", catalog::TRACK_DEMO_2)})),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["queue"]["length"] == 2
    })
    .await;

    assert_eq!(
        post(&http, &remote, "api/pause", None).await.0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["state"] == "paused"
    })
    .await;
    assert_eq!(
        post(&http, &remote, "api/resume", None).await.0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["state"] == "playing"
    })
    .await;

    assert_eq!(
        post(&http, &remote, "api/volume", Some(json!({"volume": 0.5})))
            .await
            .0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["volume"] == 0.5
    })
    .await;
    assert_eq!(
        post(&http, &remote, "api/repeat", Some(json!({"mode": "all"})))
            .await
            .0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["repeat"] == "all"
    })
    .await;

    assert_eq!(
        post(&http, &remote, "api/seek", Some(json!({"position": 4.0})))
            .await
            .0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["state"] == "playing" && s["position"].as_f64().unwrap() >= 4.0
    })
    .await;

    assert_eq!(
        post(&http, &remote, "api/next", None).await.0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(10), |s| {
        s["state"] == "playing"
            && s["queue"]["index"] == 1
            && s["track"]["urn"]
                .as_str()
                .is_some_and(|u| u.ends_with(&catalog::TRACK_DEMO_2.to_string()))
    })
    .await;
    // Less than 3 s in: back to the previous item.
    assert_eq!(
        post(&http, &remote, "api/previous", None).await.0,
        StatusCode::OK
    );
    status_until(&http, &remote, Duration::from_secs(10), |s| {
        s["state"] == "playing" && s["queue"]["index"] == 0
    })
    .await;

    assert_eq!(
        post(&http, &remote, "api/stop", None).await.0,
        StatusCode::OK
    );
    let s = status_until(&http, &remote, Duration::from_secs(5), |s| {
        s["state"] == "stopped"
    })
    .await;
    assert_eq!(s["track"], Value::Null);

    // Quit is the caller's to carry out: the remote says so and goes on serving.
    let quit = remote.quit_requested();
    assert_eq!(
        post(&http, &remote, "api/quit", None).await.0,
        StatusCode::OK
    );
    tokio::time::timeout(Duration::from_secs(5), quit)
        .await
        .expect("quit requested");
    status(&http, &remote).await;
    remote.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_naming_the_field() {
    let (_emu, _player, remote) = setup(RemoteOptions::default()).await;
    let http = scplay_testkit::http();
    let raw = |path: &str, body: &'static str| {
        http.post(url(&remote, path))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (path, body, field) in [
        ("api/play", "{not json", "body"),
        ("api/play", "[1, 2]", "body"),
        ("api/play", "{}", "target"),
        ("api/play", r#"{"target": 42}"#, "target"),
        (
            "api/enqueue",
            r#"{"target": "ftp://example.com/a.mp3"}"#,
            "target",
        ),
        ("api/volume", r#"{"volume": 2}"#, "volume"),
        ("api/volume", r#"{"volume": "loud"}"#, "volume"),
        ("api/seek", r#"{"position": -1}"#, "position"),
        ("api/seek", "", "position"),
        ("api/repeat", r#"{"mode": "sometimes"}"#, "mode"),
    ] {
        let r = raw(path, body).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path} {body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["field"], field, "{path} {body}: {v}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // Nothing reached the player.
    let s = status(&http, &remote).await;
    assert_eq!(
        (s["state"].clone(), s["volume"].clone()),
        (json!("idle"), json!(1.0))
    );

    let r = http.get(url(&remote, "api/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].is_string());
    let r = http.get(url(&remote, "api/pause")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    // A body over the limit is refused, not read.
    let big = format!(r#"{{"target": "{}"}}"#, "a".repeat(64 * 1024));
    let r = http
        .post(url(&remote, "api/play"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Its body was left unread: the connection is not kept for the next request.
    assert_eq!(
        r.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    // The page.
    let r = http.get(remote.url()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("/api/events") && !page.contains("src=\"http"),
        "no external assets"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_every_request_needs_it() {
    let opts = RemoteOptions {
        token: Some(BearerToken::new("kiosk-s3cret").unwrap()),
        ..RemoteOptions::default()
    };
    let (_emu, _player, remote) = setup(opts).await;
    let http = scplay_testkit::http();
    for path in ["api/status", "metrics", "api/events", "api/nothing"] {
        let r = http.get(url(&remote, path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.headers().contains_key("www-authenticate"));
        let r = http
            .get(url(&remote, path))
            .bearer_auth("kiosk-s3creT")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{path}: a wrong token"
        );
    }
    let r = http.post(url(&remote, "api/pause")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(url(&remote, "api/status"))
        .bearer_auth("kiosk-s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .post(url(&remote, "api/pause"))
        .bearer_auth("kiosk-s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The page holds no data; it asks for the token.
    let r = http.get(remote.url()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Without a token, only loopback.
    let player = Arc::new(Player::new(None, Sink::Null, PlayerOptions::default()).unwrap());
    let open = RemoteOptions {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..RemoteOptions::default()
    };
    let e = Remote::start(player, None, open).await.unwrap_err();
    assert!(matches!(e, RemoteError::TokenRequired(_)), "{e}");
}

/// Reads the event stream until a `data:` line matches `pred` (or the deadline passes).
async fn read_until(
    resp: &mut reqwest::Response,
    seen: &mut String,
    limit: Duration,
    pred: impl Fn(&str) -> bool,
) -> bool {
    let end = Instant::now() + limit;
    loop {
        if seen.lines().any(&pred) {
            return true;
        }
        let Some(left) = end.checked_duration_since(Instant::now()) else {
            return false;
        };
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            _ => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_carries_player_events_as_json_lines() {
    let opts = RemoteOptions {
        keep_alive: Duration::from_millis(200),
        max_event_streams: 1,
        ..RemoteOptions::default()
    };
    let (_emu, player, remote) = setup(opts).await;
    let http = scplay_testkit::http();
    let mut resp = http.get(url(&remote, "api/events")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // One stream only: the next is refused.
    let r = http.get(url(&remote, "api/events")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let mut seen = String::new();
    assert!(
        read_until(&mut resp, &mut seen, Duration::from_secs(3), |l| l
            .starts_with(':'))
        .await,
        "a keep-alive comment: {seen}"
    );
    player.play(&catalog::TRACK_DEMO_1.to_string()).unwrap();
    assert!(
        read_until(&mut resp, &mut seen, Duration::from_secs(10), |l| l
            .starts_with("data:")
            && l.contains("\"position\""))
        .await,
        "{seen}"
    );
    player.pause();
    assert!(
        read_until(&mut resp, &mut seen, Duration::from_secs(5), |l| l
            .contains("\"paused\""))
        .await,
        "{seen}"
    );
    let events: Vec<Value> = seen
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|l| serde_json::from_str(l.trim()).unwrap())
        .collect();
    // The same shape as `play --json`.
    let playing = events
        .iter()
        .find(|e| e["event"] == "playing")
        .expect("playing");
    assert_eq!(playing["track"]["uploader"], "scplay-demo");
    assert_eq!(playing["index"], 0);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "track_changed" && e["index"] == 0)
    );
    // Shutting down ends the stream.
    remote.shutdown().await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends with the server");
}

/// Every sample line of a Prometheus text page: (name, labels, value).
fn samples(text: &str) -> Vec<(String, String, f64)> {
    let mut typed = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut w = rest.splitn(3, ' ');
            let (kind, name) = (w.next().unwrap(), w.next().unwrap());
            assert!(matches!(kind, "HELP" | "TYPE"), "{line}");
            assert!(name.starts_with("scplay_"), "{line}");
            if kind == "TYPE" {
                let t = w.next().unwrap();
                assert!(matches!(t, "counter" | "gauge" | "histogram"), "{line}");
                assert!(
                    typed.insert(name.to_string()),
                    "one TYPE per metric: {line}"
                );
            }
            continue;
        }
        assert!(!line.trim().is_empty(), "no blank lines");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => {
                assert!(l.ends_with('}'), "{line}");
                for pair in l.trim_end_matches('}').split(',') {
                    let (k, v) = pair.split_once('=').unwrap();
                    assert!(
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{line}"
                    );
                    assert!(v.starts_with('"') && v.ends_with('"'), "{line}");
                }
                (n.to_string(), l.trim_end_matches('}').to_string())
            }
            None => (series.to_string(), String::new()),
        };
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|b| typed.contains(*b))
            .unwrap_or(&name)
            .to_string();
        assert!(typed.contains(&base), "a TYPE before {line}");
        out.push((name, labels, value));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_with_the_documented_names() {
    let (_emu, player, remote) = setup(RemoteOptions::default()).await;
    let http = scplay_testkit::http();
    let events = player.events();
    // A blocked track (skipped), then one that plays to its end.
    player.play(&catalog::TRACK_BLOCKED.to_string()).unwrap();
    player.enqueue(&catalog::TRACK_DEMO_1.to_string()).unwrap();
    let ended = tokio::task::spawn_blocking(move || {
        let end = Instant::now() + Duration::from_secs(30);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            if let Ok(scplay_player::PlayerEvent::QueueEnded) = events.recv_timeout(left) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(ended, "the queue ends");
    let r = http.get(url(&remote, "metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let s = samples(&text);
    let value = |name: &str, labels: &str| {
        s.iter()
            .find(|(n, l, _)| n == name && l == labels)
            .map(|x| x.2)
            .unwrap_or_else(|| panic!("{name}{{{labels}}} in\n{text}"))
    };
    for name in [
        "scplay_underruns_total",
        "scplay_silence_frames_total",
        "scplay_xruns_total",
        "scplay_media_requests_total",
        "scplay_url_refreshes_total",
        "scplay_retries_total",
        "scplay_packets_skipped_total",
        "scplay_token_renewals_total",
        "scplay_position_seconds",
        "scplay_volume",
        "scplay_queue_length",
        "scplay_event_streams",
        "scplay_tracks_finished_total",
        "scplay_engine_wakeups_total",
    ] {
        value(name, "");
    }
    assert!(value("scplay_bytes_fetched_total", "") > 100_000.0);
    assert_eq!(
        value("scplay_token_renewals_total", ""),
        1.0,
        "one client-credentials grant"
    );
    assert_eq!(value("scplay_time_to_first_audio_seconds_count", ""), 1.0);
    assert_eq!(
        value("scplay_time_to_first_audio_seconds_bucket", "le=\"+Inf\""),
        1.0
    );
    assert!(value("scplay_time_to_first_audio_seconds_sum", "") > 0.0);
    assert_eq!(value("scplay_skipped_total", "kind=\"blocked\""), 1.0);
    assert_eq!(value("scplay_state", "state=\"idle\""), 1.0);
    assert_eq!(value("scplay_state", "state=\"playing\""), 0.0);
    assert!(text.contains("# TYPE scplay_errors_total counter"));
    remote.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_clients_are_cut_off() {
    let opts = RemoteOptions {
        request_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        ..RemoteOptions::default()
    };
    let (_emu, _player, remote) = setup(opts).await;
    // A body announced and never sent: 408 after the request timeout.
    let mut c = tokio::net::TcpStream::connect(remote.local_addr())
        .await
        .unwrap();
    c.write_all(b"POST /api/volume HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"vol")
        .await
        .unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "answered and closed in time");
    assert!(
        String::from_utf8_lossy(&got).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    // A connection that sends nothing at all is closed after the idle timeout.
    let mut c = tokio::net::TcpStream::connect(remote.local_addr())
        .await
        .unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "closed in time");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before the idle timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_wait_for_a_slot() {
    let opts = RemoteOptions {
        max_connections: 1,
        idle_timeout: Duration::from_millis(800),
        ..RemoteOptions::default()
    };
    let (_emu, _player, remote) = setup(opts).await;
    // A silent connection holds the only slot until the idle timeout closes it (it is
    // accepted first: the kernel queues connections in the order they were made).
    let _held = tokio::net::TcpStream::connect(remote.local_addr())
        .await
        .unwrap();
    let started = Instant::now();
    let http = scplay_testkit::http();
    let s = status(&http, &remote).await;
    assert_eq!(s["state"], "idle");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "served only once the slot was free ({waited:?})"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}
