//! The `scplay-emulator` binary: its JSON line, and `--bandwidth` pacing what it sends.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use common::*;
use reqwest::StatusCode;
use scplay_emulator::catalog;
use serde_json::Value;

/// The emulator binary with `args`, and the JSON line it printed.
fn spawn(args: &[&str]) -> (Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scplay-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

/// Seconds to fetch the first 100 KB of a progressive MP3 through the API, as a player does.
async fn seconds_for_100_kb(origins: &Value) -> f64 {
    let (api, auth) = (
        origins["api_base"].as_str().unwrap(),
        origins["auth_base"].as_str().unwrap(),
    );
    let r = client()
        .post(format!("{auth}/oauth/token"))
        .basic_auth(catalog::CLIENT_ID, Some(catalog::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let token = json(r).await["access_token"].as_str().unwrap().to_string();
    let hop = client()
        .get(format!(
            "{api}/tracks/soundcloud:tracks:{}/streams/http_mp3_128",
            catalog::TRACK_MP3_ONLY
        ))
        .header("Authorization", format!("OAuth {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(hop.status(), StatusCode::FOUND);
    let cdn = hop.headers()["location"].to_str().unwrap().to_string();
    let t = Instant::now();
    let body = client()
        .get(&cdn)
        .header("Range", "bytes=0-99999")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 100_000);
    t.elapsed().as_secs_f64()
}

#[tokio::test]
async fn bandwidth_paces_what_the_binary_sends() {
    let (mut slow, origins) = spawn(&["--bandwidth", "200000"]);
    let secs = seconds_for_100_kb(&origins).await;
    let _ = slow.kill();
    let _ = slow.wait();
    // 100 KB at 200 KB/s: half a second (a little less: the first chunk goes out at once).
    assert!(secs >= 0.4, "100 KB in {secs:.3} s at 200 KB/s");
}
