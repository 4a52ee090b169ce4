//! One request per operation of SoundCloud's OpenAPI spec, driven by the committed table
//! `spec_operations.txt`: none may answer 404, 405 or a server error.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::{Method, StatusCode, multipart};
use serde_json::json;

/// A tiny valid WAV file.
fn wav() -> Vec<u8> {
    let mut v = b"RIFF".to_vec();
    v.extend(&(36u32 + 8).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(&16u32.to_le_bytes());
    v.extend(&[1, 0, 1, 0]);
    v.extend(&8000u32.to_le_bytes());
    v.extend(&16000u32.to_le_bytes());
    v.extend(&[2, 0, 16, 0]);
    v.extend(b"data");
    v.extend(&8u32.to_le_bytes());
    v.extend(&[0; 8]);
    v
}

/// A method and a path template.
type Op<'a> = (&'a str, &'a str);

#[tokio::test]
async fn every_spec_operation_is_served() {
    let emu = start().await;
    let token = user_token(&emu).await;
    let table = include_str!("spec_operations.txt");
    let ops: Vec<(&str, &str)> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    assert_eq!(ops.len(), 64, "the spec has 64 operations");
    // Deletions and sign-out run last, on resources made for them.
    let (last, first): (Vec<Op>, Vec<Op>) = ops.iter().copied().partition(|(m, p)| {
        (*m == "DELETE" && (*p == "/tracks/{track_urn}" || *p == "/playlists/{playlist_urn}"))
            || *p == "/sign-out"
    });
    let mut made_track = String::new();
    let mut made_playlist = String::new();
    for (method, path) in first.into_iter().chain(last) {
        let user = match (method, path) {
            ("PUT" | "DELETE", "/me/followings/{user_urn}") => "soundcloud:users:1101",
            _ => "soundcloud:users:1003",
        };
        let track = if method == "DELETE" && path == "/tracks/{track_urn}" {
            made_track.as_str()
        } else {
            "soundcloud:tracks:2001"
        };
        let playlist = if method == "DELETE" && path == "/playlists/{playlist_urn}" {
            made_playlist.as_str()
        } else {
            "soundcloud:playlists:3001"
        };
        let url_path = path
            .replace("{track_urn}", track)
            .replace(
                "{user_urn}",
                if path.starts_with("/users/") {
                    "soundcloud:users:1001"
                } else {
                    user
                },
            )
            .replace("{playlist_urn}", playlist)
            .replace("{follower_urn}", "soundcloud:users:1100")
            .replace("{following_urn}", "soundcloud:users:1003");
        let query = match path {
            "/resolve" => "?url=https://soundcloud.com/lena-tide/tidal-lines",
            "/tracks" | "/users" | "/playlists" if method == "GET" => "?q=o",
            _ => "",
        };
        let base = emu.api_base();
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client()
            .request(m, format!("{base}{url_path}{query}"))
            .header("Authorization", format!("OAuth {token}"));
        req = match (method, path) {
            ("POST", "/tracks") => req.multipart(
                multipart::Form::new()
                    .text("track[title]", "Spec upload")
                    .part("track[asset_data]", multipart::Part::bytes(wav()).file_name("a.wav")),
            ),
            ("PUT", "/tracks/{track_urn}") => req.json(&json!({"track": {"title": "Tidal Lines (edit)"}})),
            ("PUT", "/tracks/{track_urn}/storefront") => req.json(&json!({"title": "Buy", "type": "digital", "link": "https://example.com/buy"})),
            ("POST", "/playlists") => req.json(&json!({"playlist": {"title": "Spec set", "tracks": [{"urn": "soundcloud:tracks:2001"}]}})),
            ("PUT", "/playlists/{playlist_urn}") => req.json(&json!({"playlist": {"tracks": [{"id": 2001}, {"urn": "soundcloud:tracks:2002"}]}})),
            ("POST", "/tracks/{track_urn}/comments") => req.json(&json!({"comment": {"body": "Nice", "timestamp": 1234}})),
            ("POST", "/sign-out") => req.json(&json!({"access_token": token})),
            _ => req,
        };
        let r = req.send().await.unwrap();
        let status = r.status();
        assert!(
            status.is_success() || status == StatusCode::FOUND,
            "{method} {path} answered {status}: {}",
            r.text().await.unwrap_or_default()
        );
        if method == "POST" && path == "/tracks" {
            made_track = json(r).await["urn"].as_str().unwrap().to_string();
        } else if method == "POST" && path == "/playlists" {
            made_playlist = json(r).await["urn"].as_str().unwrap().to_string();
        }
    }
}
