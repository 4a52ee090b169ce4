//! The `sc` and `login` examples, spawned as a user would run them, against the emulator.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use scplay_emulator::{App, Emulator, EmulatorConfig, catalog};
use serde_json::Value;

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Env {
    emu: Emulator,
    token: PathBuf,
    redirect: String,
}

async fn env(name: &str) -> Env {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let config = EmulatorConfig {
        apps: vec![App {
            client_id: catalog::CLIENT_ID.into(),
            client_secret: catalog::CLIENT_SECRET.into(),
            redirect_uri: redirect.clone(),
        }],
        ..EmulatorConfig::default()
    };
    let dir = std::env::temp_dir().join(format!("scplay-sc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Env {
        emu: Emulator::start(config).await.unwrap(),
        token: dir.join("token.json"),
        redirect,
    }
}

fn base(cmd: &mut Command, e: &Env) {
    cmd.args([
        "--api-base",
        e.emu.api_base(),
        "--auth-base",
        e.emu.auth_base(),
        "--client-id",
        catalog::CLIENT_ID,
    ])
    .arg("--token-file")
    .arg(&e.token)
    .env("SOUNDCLOUD_CLIENT_SECRET", catalog::CLIENT_SECRET);
}

fn sc(e: &Env, args: &[&str]) -> Output {
    let mut c = Command::new(bin("sc"));
    base(&mut c, e);
    c.args(args).output().unwrap()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Runs `login`, playing the browser's part.
fn login(e: &Env) {
    let mut c = Command::new(bin("login"));
    base(&mut c, e);
    let mut child = c
        .args(["--redirect-uri", &e.redirect, "--timeout", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.starts_with("http"))
        .unwrap();
    // login listens once it takes connections (the browser is sent there next).
    let addr = e
        .redirect
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert!(scplay_testkit::wait_until(
        std::time::Duration::from_secs(10),
        || { std::net::TcpStream::connect(&addr).is_ok() }
    ));
    let back = location_of(&url);
    let _ = raw_get(&back);
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(child.wait().unwrap().success());
    assert!(
        rest.iter().any(|l| l.contains("Signed in as lena-tide")),
        "{rest:?}"
    );
}

/// A minimal HTTP GET on loopback (the browser following the redirect).
fn raw_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// GETs `url` without following the redirect; returns its Location.
fn location_of(url: &str) -> String {
    let response = raw_get(url);
    response
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap()
        .trim()
        .to_string()
}

fn wav(path: &Path) {
    let mut v = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    v.resize(50_000, 0);
    std::fs::write(path, v).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_then_round_trips() {
    let e = env("round").await;
    tokio::task::block_in_place(|| login(&e));
    let me = tokio::task::block_in_place(|| json(&sc(&e, &["me"])));
    assert_eq!(me["username"], "lena-tide");
    // Upload with artwork.
    let dir = e.token.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let audio = dir.join("take.wav");
    wav(&audio);
    let art = dir.join("cover.jpg");
    std::fs::write(&art, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    let up = tokio::task::block_in_place(|| {
        json(&sc(
            &e,
            &[
                "upload",
                audio.to_str().unwrap(),
                "--title",
                "Take One",
                "--artwork",
                art.to_str().unwrap(),
            ],
        ))
    });
    assert_eq!(up["title"], "Take One");
    assert!(up["artwork_url"].is_string());
    let urn = up["urn"].as_str().unwrap().to_string();
    let upd =
        tokio::task::block_in_place(|| json(&sc(&e, &["update", &urn, "--title", "Take Two"])));
    assert_eq!(upd["title"], "Take Two");
    // A timed comment.
    let c = tokio::task::block_in_place(|| {
        json(&sc(
            &e,
            &["comment", &urn, "--body", "here", "--at", "1500"],
        ))
    });
    assert_eq!(c["timestamp"], "1500");
    // Like and follow.
    tokio::task::block_in_place(|| json(&sc(&e, &["like", "track", "2202"])));
    let likes = tokio::task::block_in_place(|| json(&sc(&e, &["track", "2202"])));
    assert_eq!(likes["user_favorite"], true);
    tokio::task::block_in_place(|| json(&sc(&e, &["follow", "1101"])));
    tokio::task::block_in_place(|| json(&sc(&e, &["unfollow", "1101"])));
    // A playlist: create, add, show, delete.
    let p = tokio::task::block_in_place(|| {
        json(&sc(&e, &["playlist", "create", "--title", "Road", &urn]))
    });
    let pid = p["urn"].as_str().unwrap().to_string();
    tokio::task::block_in_place(|| json(&sc(&e, &["playlist", "add", &pid, "2001"])));
    let shown = tokio::task::block_in_place(|| json(&sc(&e, &["playlist", "show", &pid])));
    assert_eq!(shown["tracks"].as_array().unwrap().len(), 2);
    tokio::task::block_in_place(|| json(&sc(&e, &["playlist", "delete", &pid])));
    // Sign out, and the saved token is gone.
    tokio::task::block_in_place(|| json(&sc(&e, &["sign-out"])));
    assert!(!e.token.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_returns_every_item_exactly_once() {
    let e = env("all").await;
    let users = tokio::task::block_in_place(|| {
        json(&sc(&e, &["search", "users", "--all", "--limit", "37"]))
    });
    let urns: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["urn"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<_> = urns.iter().collect();
    assert_eq!(unique.len(), urns.len());
    assert_eq!(urns.len(), 263, "every seeded user");
    let one_page =
        tokio::task::block_in_place(|| json(&sc(&e, &["search", "users", "--limit", "10"])));
    assert_eq!(one_page.as_array().unwrap().len(), 10);
    let tracks = tokio::task::block_in_place(|| {
        json(&sc(
            &e,
            &[
                "search",
                "tracks",
                "--genres",
                "House",
                "--bpm-from",
                "100",
                "--created-from",
                "2024-02-01",
                "--all",
            ],
        ))
    });
    assert!(!tracks.as_array().unwrap().is_empty());
    assert!(
        tracks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["genre"] == "House" && t["bpm"].as_f64().unwrap() >= 100.0)
    );
    let o = tokio::task::block_in_place(|| sc(&e, &["me"]));
    assert_eq!(o.status.code(), Some(4), "an app token has no user");
    let o = tokio::task::block_in_place(|| sc(&e, &["track", "soundcloud:users:1"]));
    assert_eq!(o.status.code(), Some(2));
}

/// `sc ARGS…` with the emulator's flags after the subcommand (flags go anywhere).
fn sc_flags_last(e: &Env, args: &[&str]) -> Output {
    let mut c = Command::new(bin("sc"));
    c.args(args);
    base(&mut c, e);
    c.output().unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_by_url_and_permalink_flags_anywhere_and_pages_said() {
    let e = env("forms").await;
    tokio::task::block_in_place(|| login(&e));
    let set = "https://soundcloud.com/orbit-collective/sets/undertow";
    let track = "https://soundcloud.com/lena-tide/three-minutes";
    tokio::task::block_in_place(|| {
        // URLs and permalinks through /resolve, flags after the subcommand.
        let shown = json(&sc_flags_last(&e, &["playlist", "show", set]));
        assert_eq!(shown["id"], catalog::PLAYLIST_SET);
        let shown = json(&sc(
            &e,
            &["playlist", "show", "orbit-collective/sets/undertow"],
        ));
        assert_eq!(shown["id"], catalog::PLAYLIST_SET);
        json(&sc_flags_last(&e, &["like", "track", track]));
        let liked = json(&sc(&e, &["me", "likes"]));
        assert!(
            liked
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == catalog::TRACK_THREE_MINUTES),
            "{liked}"
        );
        json(&sc(&e, &["unlike", "track", track]));
        let o = sc(&e, &["unlike", "track", track]);
        assert_eq!(o.status.code(), Some(3), "{}", err(&o));
        assert!(err(&o).contains("not among your likes"), "{}", err(&o));
        assert!(!err(&o).contains("/likes/"), "{}", err(&o));
        json(&sc(&e, &["follow", "orbit-collective"]));
        json(&sc(
            &e,
            &["unfollow", "https://soundcloud.com/orbit-collective"],
        ));
        let missing = sc(&e, &["track", "nobody/nothing-here"]);
        assert_eq!(missing.status.code(), Some(3), "{}", err(&missing));
        assert!(err(&missing).contains("nobody/nothing-here"));
        assert!(json(&sc(&e, &["me", "playlists"])).is_array());
        // An empty playlist: `play` says so and exits 3 (it used to exit 0 silently).
        let empty = json(&sc(&e, &["playlist", "create", "--title", "Empty"]));
        let mut c = Command::new(bin("play"));
        base(&mut c, &e);
        let o = c
            .args(["--sink", "null", empty["urn"].as_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "{}", err(&o));
        assert!(err(&o).contains("empty"), "{}", err(&o));
        assert!(json(&sc(&e, &["me", "feed", "--limit", "5"])).is_array());
        let url = json(&sc(&e, &["stream-url", "lena-tide/three-minutes"]));
        assert_eq!(url["format"], "hls_aac_160");
        assert!(url["url"].as_str().unwrap().starts_with(e.emu.cdn_base()));
        // One page says there is more; --all has no hint; --limit 0 is refused.
        let o = sc(&e, &["comments", &catalog::TRACK_PLAYABLE.to_string()]);
        let page: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(page.as_array().unwrap().len(), 50);
        assert!(err(&o).contains("--all"), "{}", err(&o));
        let o = sc(
            &e,
            &["comments", "--all", &catalog::TRACK_PLAYABLE.to_string()],
        );
        assert_eq!(json(&o).as_array().unwrap().len(), 120);
        assert!(err(&o).is_empty(), "{}", err(&o));
        let o = sc(&e, &["comments", "2001", "--limit", "0"]);
        assert_eq!(o.status.code(), Some(2));
        // The query as words or -q.
        let words = json(&sc(&e, &["search", "tracks", "three", "minutes"]));
        let flag = json(&sc(&e, &["search", "tracks", "-q", "three minutes"]));
        assert_eq!(words, flag);
        assert!(!words.as_array().unwrap().is_empty());
        // Values are checked before anything is sent.
        let o = sc(&e, &["playlist", "add", "3005"]);
        assert_eq!(o.status.code(), Some(2));
        let audio = e.token.parent().unwrap().join("take.wav");
        wav(&audio);
        e.emu.clear_requests();
        let o = sc(
            &e,
            &[
                "upload",
                audio.to_str().unwrap(),
                "--title",
                "T",
                "--sharing",
                "secret",
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{}", err(&o));
        assert!(e.emu.requests().is_empty(), "refused before the upload");
        assert!(
            String::from_utf8_lossy(&sc(&e, &["upload", "--help"]).stdout)
                .contains("[default: public]")
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_and_a_busy_port_end_quietly_and_clearly() {
    let e = env("pipes").await;
    tokio::task::block_in_place(|| {
        // `sc … | head -1` where head has gone before sc writes.
        let mut c = Command::new(bin("sc"));
        base(&mut c, &e);
        let mut child = c
            .args(["comments", "--all", &catalog::TRACK_PLAYABLE.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(141), "{}", err(&o));
        assert!(err(&o).is_empty(), "quietly: {}", err(&o));
        // login with its port taken: says so (and what to do) before printing the address.
        let port = e
            .redirect
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let _held = std::net::TcpListener::bind(format!("127.0.0.1:{port}")).unwrap();
        let mut c = Command::new(bin("login"));
        base(&mut c, &e);
        let o = c
            .args(["--redirect-uri", &e.redirect, "--timeout", "5"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(o.stdout.is_empty(), "no address printed: {:?}", o.stdout);
        assert!(err(&o).contains("--paste"), "{}", err(&o));
        assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
    });
}
