//! `--token-store redis://…` on `sc` and `play`, as a fleet would run them: separate
//! processes sharing one token through a real redis-server, and `sc token status`.
#![allow(clippy::unwrap_used)]

#[path = "../crates/core/tests/common/redis_server.rs"]
mod redis_server;

use std::path::PathBuf;
use std::process::{Command, Output};

use redis_server::{RedisServer, unused_port};
use scplay_emulator::{Emulator, EmulatorConfig, catalog};
use serde_json::Value;

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "build the example first: {}", bin.display());
    bin
}

/// `name` with the emulator's origins and credentials, its config folder private to `machine`.
fn command(emu: &Emulator, name: &str, machine: usize) -> Command {
    let mut c = Command::new(bin(name));
    c.args(["--api-base", emu.api_base(), "--auth-base", emu.auth_base()])
        .args(["--client-id", catalog::CLIENT_ID])
        .env("SOUNDCLOUD_CLIENT_SECRET", catalog::CLIENT_SECRET)
        .env_remove("SOUNDCLOUD_TOKEN_STORE")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join(format!("scplay-fleet-{}-{machine}", std::process::id())),
        );
    c
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Three machines × three processes each fetch a track at the same moment.
fn fleet_fetches(emu: &Emulator, url: &str) {
    let children: Vec<_> = (0..9)
        .map(|i| {
            let mut c = command(emu, "sc", i / 3);
            if i % 2 == 0 {
                c.args(["--token-store", url]);
            } else {
                c.env("SOUNDCLOUD_TOKEN_STORE", url);
            }
            c.args(["track", "2001"]).output().unwrap()
        })
        .collect();
    for o in children {
        ok(o);
    }
}

fn status(emu: &Emulator, url: &str) -> Value {
    let o = ok(command(emu, "sc", 0)
        .args(["--token-store", url, "token", "status", "--json"])
        .output()
        .unwrap());
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_on_three_machines_share_one_grant_and_one_refresh() {
    let redis = RedisServer::start();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let url = redis.url();
    tokio::task::block_in_place(|| fleet_fetches(&emu, &url));
    assert_eq!(emu.grants().client_credentials, 1);
    emu.expire_access_tokens();
    tokio::task::block_in_place(|| fleet_fetches(&emu, &url));
    let g = emu.grants();
    assert_eq!(
        (
            g.client_credentials,
            g.refresh_token,
            g.refresh_token_reused
        ),
        (1, 1, 0)
    );
    let s = tokio::task::block_in_place(|| status(&emu, &url));
    assert_eq!(s["store"], url.as_str());
    assert_eq!(s["token"]["kind"], "app");
    assert!(s["token"]["expires_in"].as_i64().unwrap() > 3000);
    assert_eq!(s["fleet"]["grants_12h"], 1);
    assert_eq!(s["fleet"]["refreshes_12h"], 1);
    assert_eq!(s["fleet"]["last_renewal"]["how"], "refresh");
    assert_eq!(s["limits"]["grants_per_12h"], 50);
    let text = tokio::task::block_in_place(|| {
        ok(command(&emu, "sc", 0)
            .args(["--token-store", &url, "token", "status"])
            .output()
            .unwrap())
    });
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("1 grants of 50 allowed, 1 refreshes"),
        "{text}"
    );
    assert!(text.contains("last renewal:  refresh"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_works_with_redis_down_and_counts_plays_when_up() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let port = unused_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let o = tokio::task::block_in_place(|| {
        command(&emu, "play", 0)
            .args(["--token-store", &url, "--sink", "null", "2101"])
            .output()
            .unwrap()
    });
    let o = ok(o);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("▶"),
        "it played"
    );
    assert_eq!(emu.grants().client_credentials, 1, "one local grant");
    let _redis = RedisServer::start_on(port);
    tokio::task::block_in_place(|| {
        ok(command(&emu, "play", 1)
            .args(["--token-store", &url, "--sink", "null", "2101", "2101"])
            .output()
            .unwrap())
    });
    let s = tokio::task::block_in_place(|| status(&emu, &url));
    assert_eq!(s["fleet"]["plays_24h"], 2, "two tracks started");
}

#[test]
fn a_bad_store_is_a_usage_error_and_a_file_store_has_no_fleet() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap();
    let o = command(&emu, "sc", 0)
        .args(["--token-store", "ftp://x", "token", "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let dir = std::env::temp_dir().join(format!("scplay-fleet-file-{}", std::process::id()));
    let file = format!("file:{}", dir.join("t.json").display());
    ok(command(&emu, "sc", 0)
        .args(["--token-store", &file, "track", "2001"])
        .output()
        .unwrap());
    let o = ok(command(&emu, "sc", 0)
        .args(["--token-store", &file, "token", "status", "--json"])
        .output()
        .unwrap());
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["token"]["kind"], "app");
    assert!(s["fleet"].is_null());
    assert!(dir.join("t.json").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_checks_the_certificate_and_shares_the_token_over_tls() {
    let (redis, cert) = RedisServer::start_tls();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let url = format!("rediss://127.0.0.1:{}/0", redis.port);
    // The server's certificate trusted (rustls-native-certs reads SSL_CERT_FILE).
    let trusted = |args: &[&str]| {
        command(&emu, "sc", 0)
            .env("SSL_CERT_FILE", &cert)
            .args(["--token-store", &url])
            .args(args)
            .output()
            .unwrap()
    };
    tokio::task::block_in_place(|| ok(trusted(&["track", "2001"])));
    let o = tokio::task::block_in_place(|| ok(trusted(&["token", "status", "--json"])));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        s["fleet"]["grants_12h"], 1,
        "the grant went through Redis over TLS"
    );
    assert_eq!(s["store"], url.as_str());
    // Not trusted: no connection (the API still works on a local token), and status says so.
    let o = tokio::task::block_in_place(|| {
        command(&emu, "sc", 1)
            .env("SSL_CERT_FILE", "/nonexistent")
            .args(["--token-store", &url, "token", "status"])
            .output()
            .unwrap()
    });
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("token store unavailable"), "{err}");
}
