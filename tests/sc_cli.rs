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
    std::thread::sleep(std::time::Duration::from_millis(200));
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
